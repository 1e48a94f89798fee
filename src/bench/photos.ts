/**
 * The benchmark's photographs: natural photos from Debian's wallpaper
 * packages, fetched once with `apt-get download` and unpacked with
 * `dpkg -x` into the bench's own cache folder (cache.ts). The list is fixed so
 * results stay comparable over time; abstract art in the same packages is
 * left out.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import type { RgbaImage } from "../core/image.js";
import { VanishError } from "../core/image.js";
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
