/**
 * Decoding and encoding in the browser: the platform's own codecs
 * (createImageBitmap applies EXIF orientation; OffscreenCanvas encodes JPEG,
 * PNG and WebP), with the size limits and messages the app shows. Runs in
 * the engine worker, so a 12-megapixel decode never blocks the page. A file
 * that cannot be opened throws a VanishError whose message is for the user.
 *
 * Photos are decoded without colour conversion, so the pixels are the file's
 * own (a Display P3 photo's P3 values); the download gets the original's ICC
 * profile, EXIF (with the edit recorded, orientation reset, thumbnail
 * dropped) and XMP back (src/container/), and a JPEG is saved at the
 * original's quality when its tables tell it (else 95).
 */
import {
  canvasColorSpace,
  editedMetadata,
  jpegQuality,
  type PhotoMetadata,
  readMetadata,
  VanishError,
  writeMetadata,
} from "../../src/index.js";

export const MAX_MEGAPIXELS = 50;
const SUPPORTED = ["image/jpeg", "image/png", "image/webp"];

export interface Photo {
  name: string;
  mime: string;
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** What the download needs from the original file. */
export interface PhotoSource {
  metadata: PhotoMetadata;
  /** JPEG quality of the original, 1–100, when it is a JPEG with readable tables. */
  quality: number | null;
  /** The canvas colour space that shows the file's samples as they are meant. */
  colorSpace: PredefinedColorSpace;
}

/** Quality for JPEG and WebP when the original's cannot be read. */
export const DEFAULT_QUALITY = 0.95;
const SOFTWARE = "Vanish (object removal, in the browser)";

/** Reads the original's metadata and JPEG quality. */
export async function readSource(file: Blob): Promise<PhotoSource> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let metadata: PhotoMetadata = {};
  try {
    metadata = await readMetadata(bytes);
  } catch {
    // Damaged metadata is left behind; the pixels still open.
  }
  return { metadata, quality: jpegQuality(bytes), colorSpace: canvasColorSpace(metadata.icc) };
}

/** Decodes a JPEG, PNG or WebP file to RGBA, orientation applied. */
export async function decodePhoto(file: Blob, name: string): Promise<Photo> {
  const mime = SUPPORTED.includes(file.type) ? file.type : guessMime(name);
  if (!mime) throw new VanishError("UNSUPPORTED_FORMAT", `${name} is not a JPEG, PNG or WebP photo.`);
  let bitmap: ImageBitmap;
  try {
    // The file's own samples: they are erased and saved with the file's own profile.
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image", colorSpaceConversion: "none" });
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

/**
 * Encodes RGBA pixels in `mime` at full resolution; with the original's
 * `source`, at its JPEG quality and with its metadata (see the header).
 */
export async function encodePhoto(
  width: number,
  height: number,
  data: Uint8ClampedArray,
  mime: string,
  source?: PhotoSource,
): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(data), width, height), 0, 0);
  const quality = mime === "image/png" ? undefined : mime === "image/jpeg" && source?.quality ? source.quality / 100 : DEFAULT_QUALITY;
  const blob = await canvas.convertToBlob({ type: mime, quality });
  if (!source) return blob;
  const encoded = new Uint8Array(await blob.arrayBuffer());
  const metadata = editedMetadata(source.metadata, { software: SOFTWARE, width, height });
  return new Blob([writeMetadata(encoded, metadata) as Uint8Array<ArrayBuffer>], { type: blob.type });
}

/** "photo.jpg" → "photo-vanish.jpg". */
export function downloadName(name: string, mime: string): string {
  const base = name.replace(/\.[^.]+$/, "");
  const ext = mime === "image/png" ? "png" : mime === "image/webp" ? "webp" : "jpg";
  return `${base}-vanish.${ext}`;
}
