/**
 * Decoding and encoding in the browser: the platform's own codecs
 * (createImageBitmap applies EXIF orientation; OffscreenCanvas encodes JPEG,
 * PNG and WebP), with the size limits and messages the app shows. Runs in
 * the engine worker, so a 12-megapixel decode never blocks the page. A file
 * that cannot be opened throws a VanishError whose message is for the user.
 */

import { VanishError } from "../../src/index.js";

export const MAX_MEGAPIXELS = 50;
const SUPPORTED = ["image/jpeg", "image/png", "image/webp"];

export interface Photo {
  name: string;
  mime: string;
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Decodes a JPEG, PNG or WebP file to RGBA, orientation applied. */
export async function decodePhoto(file: Blob, name: string): Promise<Photo> {
  const mime = SUPPORTED.includes(file.type) ? file.type : guessMime(name);
  if (!mime) throw new VanishError("UNSUPPORTED_FORMAT", `${name} is not a JPEG, PNG or WebP photo.`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new VanishError("UNREADABLE", `${name} could not be read: the file is damaged or not an image.`);
  }
  const { width, height } = bitmap;
  if (width * height > MAX_MEGAPIXELS * 1e6) {
    bitmap.close();
    throw new VanishError(
      "IMAGE_TOO_LARGE",
      `${name} is ${((width * height) / 1e6).toFixed(0)} megapixels; Vanish opens photos up to ${MAX_MEGAPIXELS} megapixels.`,
    );
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return { name, mime, width, height, data };
}

function guessMime(name: string): string | null {
  const ext = name.toLowerCase().split(".").pop();
  return ext === "jpg" || ext === "jpeg" ? "image/jpeg" : ext === "png" ? "image/png" : ext === "webp" ? "image/webp" : null;
}

/** Encodes RGBA pixels in `mime` at full resolution. */
export async function encodePhoto(width: number, height: number, data: Uint8ClampedArray, mime: string): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(data), width, height), 0, 0);
  return canvas.convertToBlob({ type: mime, quality: mime === "image/png" ? undefined : 0.92 });
}

/** "photo.jpg" → "photo-vanish.jpg". */
export function downloadName(name: string, mime: string): string {
  const base = name.replace(/\.[^.]+$/, "");
  const ext = mime === "image/png" ? "png" : mime === "image/webp" ? "webp" : "jpg";
  return `${base}-vanish.${ext}`;
}
