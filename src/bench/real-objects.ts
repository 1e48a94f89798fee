/**
 * Segmentation benchmark cases with real edges: objects whose masks come
 * from real photographs, not from drawn silhouettes.
 * - opencv-doc: the alphamat plant with its ground-truth matte, as
 *   photographed; three shop-sign words with their segmentation masks
 *   (text/scenetext_segmented_word0{1,2,3}).
 * - Cut-outs pasted onto the benchmark photos whose colours are closest to
 *   the object's own: the plant (by its matte) and the scikit-image horse
 *   silhouette filled with the cat photo's fur (python3-skimage data).
 * Packages are fetched once with `apt-get download`; a missing one skips its
 * cases with a logged reason.
 */
import path from "node:path";
import type { Sharp } from "sharp";
import type { RgbaImage } from "../core/image.js";
import { Random } from "../core/random.js";
import { sharp } from "../node/sharp.js";
import { pasteMatte } from "./objects.js";
import { ensureOpenCvDoc } from "./opencv-doc.js";
import { decodeFitted, ensureSkimageData } from "./photos.js";

export interface SegmentationCase {
  name: string;
  image: RgbaImage;
  truth: Uint8Array;
}

async function rgba(pipeline: Sharp): Promise<RgbaImage> {
  const { data, info } = await pipeline.toColourspace("srgb").ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

/** A photo and a greyscale mask file of the same scene, fitted to 1024 px; truth = mask ≥ 128. */
async function maskedPhoto(name: string, photo: string, mask: string): Promise<SegmentationCase> {
  const image = await decodeFitted(photo, 1024);
  const m = await sharp(mask).extractChannel(0).resize(image.width, image.height, { fit: "fill" }).raw().toBuffer();
  const truth = new Uint8Array(image.width * image.height);
  for (let i = 0; i < truth.length; i++) truth[i] = m[i] >= 128 ? 1 : 0;
  return { name, image, truth };
}

/** An RGB photo with a separate matte file as its alpha. */
async function cutOut(photo: string, matte: string): Promise<RgbaImage> {
  const rgb = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const a = await sharp(matte).extractChannel(0).resize(rgb.info.width, rgb.info.height, { fit: "fill" }).raw().toBuffer();
  const data = new Uint8ClampedArray(rgb.info.width * rgb.info.height * 4);
  for (let i = 0; i < a.length; i++) {
    data.set([rgb.data[i * 3], rgb.data[i * 3 + 1], rgb.data[i * 3 + 2], a[i]], i * 4);
  }
  return { width: rgb.info.width, height: rgb.info.height, data };
}

/** The horse silhouette (dark on light) as alpha over the cat photo's fur, cropped to the horse's size. */
async function furryHorse(horse: string, fur: string): Promise<RgbaImage> {
  const shape = await sharp(horse).flatten({ background: "#ffffff" }).greyscale().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = shape.info;
  const texture = await rgba(sharp(fur).resize(width, height, { fit: "cover" }));
  for (let i = 0; i < width * height; i++) texture.data[i * 4 + 3] = 255 - shape.data[i];
  return texture;
}

/** Mean colour of an object's opaque pixels, or of a whole photo. */
function meanColour(image: RgbaImage): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    if (image.data[i * 4 + 3] < 128) continue;
    for (let k = 0; k < 3; k++) sum[k] += image.data[i * 4 + k];
    n++;
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** Resizes a cut-out so its long side is `size` pixels (alpha resized with it). */
async function resizeCutOut(object: RgbaImage, size: number): Promise<RgbaImage> {
  return rgba(
    sharp(Buffer.from(object.data.buffer, object.data.byteOffset, object.data.length), {
      raw: { width: object.width, height: object.height, channels: 4 },
    }).resize(size, size, { fit: "inside", kernel: "lanczos3" }),
  );
}

/**
 * Each cut-out pasted onto the `perObject` benchmark photos closest to it in
 * mean colour (the hardest backgrounds for a colour model), at 40–70 % of the
 * photo's short side, at a seeded position.
 */
async function composites(
  objects: { name: string; object: RgbaImage }[],
  photos: string[],
  perObject: number,
): Promise<SegmentationCase[]> {
  const backgrounds = await Promise.all(photos.map((p) => decodeFitted(p, 1024)));
  const means = backgrounds.map(meanColour);
  const cases: SegmentationCase[] = [];
  const rng = new Random(77);
  for (const { name, object } of objects) {
    const m = meanColour(object);
    const order = means
      .map((c, i) => ({ i, d: (c[0] - m[0]) ** 2 + (c[1] - m[1]) ** 2 + (c[2] - m[2]) ** 2 }))
      .sort((a, b) => a.d - b.d)
      .slice(0, perObject);
    for (const { i } of order) {
      const bg = backgrounds[i];
      const side = Math.min(bg.width, bg.height);
      const sized = await resizeCutOut(object, Math.round(side * (0.4 + 0.3 * rng.next())));
      const left = Math.round((bg.width - sized.width) * rng.next());
      const top = Math.round((bg.height - sized.height) * rng.next());
      const { image, truth } = pasteMatte(bg, sized, left, top);
      const photoName = path.basename(photos[i].includes("/contents/") ? photos[i].split("/contents/")[0] : photos[i], ".jpg");
      cases.push({ name: `${name} on ${photoName}`, image, truth });
    }
  }
  return cases;
}

/** All real-edge cases that the available packages allow, in a fixed order. */
export async function realObjectCases(cacheDir: string, photos: string[], log: (line: string) => void): Promise<SegmentationCase[]> {
  const cases: SegmentationCase[] = [];
  const objects: { name: string; object: RgbaImage }[] = [];
  const examples = await ensureOpenCvDoc(cacheDir, log);
  if (examples) {
    const plantPhoto = path.join(examples, "alphamat/input_images/plant.jpg");
    const plantMatte = path.join(examples, "alphamat/output_mattes/plant_result.png");
    cases.push(await maskedPhoto("alphamat plant", plantPhoto, plantMatte));
    for (const k of [1, 2, 3]) {
      const base = path.join(examples, `text/scenetext_segmented_word0${k}`);
      cases.push(await maskedPhoto(`sign word ${k}`, `${base}.jpg`, `${base}_mask.png`));
    }
    objects.push({ name: "plant", object: await cutOut(plantPhoto, plantMatte) });
  } else {
    log("the opencv-doc cases (plant, sign words) are skipped");
  }
  const skimage = await ensureSkimageData(cacheDir, log);
  if (skimage) {
    objects.push({ name: "furry horse", object: await furryHorse(path.join(skimage, "horse.png"), path.join(skimage, "chelsea.png")) });
  } else {
    log("the scikit-image cut-out (horse) is skipped");
  }
  cases.push(...(await composites(objects, photos, 6)));
  return cases;
}
