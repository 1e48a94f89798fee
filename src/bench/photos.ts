/**
 * The benchmark's photographs: natural photos from Debian's wallpaper
 * packages, fetched once with `apt-get download` and unpacked with
 * `dpkg -x` into the bench's own cache folder (cache.ts). The list is fixed so
 * results stay comparable over time; abstract art in the same packages is
 * left out.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { RgbaImage } from "../core/image.js";
import { VanishError } from "../core/image.js";
import { sharp } from "../node/sharp.js";
import { ensureDebPackages, OWN_FOLDER } from "./cache.js";

export const PHOTO_PACKAGES = ["plasma-workspace-wallpapers", "mate-backgrounds"] as const;

/** Natural photographs, in the order the benchmark uses them (paths inside the packages). */
export const BENCH_PHOTOS = [
  "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg",
  "usr/share/wallpapers/Path/contents/images/2560x1600.jpg",
  "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
  "usr/share/backgrounds/mate/nature/Wood.jpg",
  "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
  "usr/share/wallpapers/Grey/contents/images/2560x1600.jpg",
  "usr/share/backgrounds/mate/nature/TwoWings.jpg",
  "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg",
  "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
  "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg",
  "usr/share/backgrounds/mate/nature/Garden.jpg",
  "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
] as const;

/** Makes sure the photos are in `cacheDir` and returns their paths, in benchmark order. */
export async function ensurePhotos(cacheDir: string, log: (line: string) => void): Promise<string[]> {
  // Photos unpacked by earlier versions straight into DIR/root are read where they are, never moved or changed.
  for (const root of [path.join(cacheDir, OWN_FOLDER, "root"), path.join(cacheDir, "root")]) {
    const found = BENCH_PHOTOS.map((p) => path.join(root, p));
    if (found.every((p) => existsSync(p))) return found;
  }
  const root = await ensureDebPackages(cacheDir, PHOTO_PACKAGES, log);
  const paths = BENCH_PHOTOS.map((p) => path.join(root, p));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new VanishError("UNREADABLE", `Photos missing after unpacking: ${missing.join(", ")}`);
  return paths;
}

/** Decodes `file`, resized to fit inside a square of `fit`, or to cover `fit`'s box, or as it is (null). */
export async function decodeFitted(file: string, fit: { width: number; height: number } | number | null): Promise<RgbaImage> {
  const pipeline =
    fit === null
      ? sharp(file)
      : typeof fit === "number"
        ? sharp(file).resize(fit, fit, { fit: "inside", kernel: "lanczos3" })
        : sharp(file).resize(fit.width, fit.height, { fit: "cover" });
  const { data, info } = await pipeline.toColourspace("srgb").ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

const SKIMAGE_DATA = "usr/lib/python3/dist-packages/skimage/data";

/**
 * scikit-image's sample images (Debian's python3-skimage, unpacked once into
 * the bench's own cache folder), or null with a logged reason when apt-get
 * cannot fetch it. Folders unpacked by earlier versions are read where they are.
 */
export async function ensureSkimageData(cacheDir: string, log: (line: string) => void): Promise<string | null> {
  for (const root of [path.join(cacheDir, OWN_FOLDER, "root"), path.join(cacheDir, "root"), path.join(cacheDir, "skimage-root")]) {
    const data = path.join(root, SKIMAGE_DATA);
    if (existsSync(path.join(data, "astronaut.png"))) return data;
  }
  try {
    return path.join(await ensureDebPackages(cacheDir, ["python3-skimage"], log), SKIMAGE_DATA);
  } catch (err) {
    log(`python3-skimage unavailable (${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}

/** The folder the benchmark photos were unpacked into (what `BENCH_PHOTOS` paths are relative to). */
export function photoRoot(photos: readonly string[]): string {
  return photos[0].slice(0, photos[0].length - BENCH_PHOTOS[0].length - 1);
}
