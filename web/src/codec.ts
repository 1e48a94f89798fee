/**
 * Decoding and encoding in the browser: the platform's own codecs
 * (createImageBitmap applies EXIF orientation; OffscreenCanvas encodes JPEG,
 * PNG and WebP), with the size limits and messages the app shows. Runs in
 * the engine worker, so a 12-megapixel decode never blocks the page. A file
 * that cannot be opened throws a VanishError whose message is for the user
 * (IMAGE_TOO_LARGE: the app offers to open it downscaled).
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
/** The smallest photo side the eraser can work with (it needs content around the hole to copy from). */
export const MIN_SIDE = 16;
const SUPPORTED = ["image/jpeg", "image/png", "image/webp", "image/avif"];
const HEIC = ["image/heic", "image/heif"];

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

export interface DecodeOptions {
  /** Open a photo over the megapixel limit scaled down to just under it, instead of refusing it. */
  downscale?: boolean;
}

/** Decodes a JPEG, PNG, WebP or AVIF file (AVIF where the browser decodes it) to RGBA, orientation applied. */
export async function decodePhoto(file: Blob, name: string, options: DecodeOptions = {}): Promise<Photo> {
  const { photo, bitmap } = await decodePhotoAndBitmap(file, name, options);
  bitmap.close();
  return photo;
}

/**
 * `decodePhoto`, with the decoded bitmap its pixels were read from (the caller closes it): for a JPEG (no
 * alpha) it holds those very samples, so it can be shown as it is instead of made again from the pixels.
 */
export async function decodePhotoAndBitmap(
  file: Blob,
  name: string,
  options: DecodeOptions = {},
): Promise<{ photo: Photo; bitmap: ImageBitmap }> {
  const guessed = guessMime(name);
  if (HEIC.includes(file.type) || guessed === "image/heic") {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${name} is a HEIC photo, which this browser cannot open. On an iPhone, pick it with “Open photo” in Safari (Safari hands over a JPEG), or set Settings → Camera → Formats → Most Compatible; on a Mac, open it in Preview and use File → Export → JPEG.`,
    );
  }
  const mime = SUPPORTED.includes(file.type) ? file.type : guessed;
  if (!mime) throw new VanishError("UNSUPPORTED_FORMAT", `${name} is not a JPEG, PNG, WebP or AVIF photo.`);
  let bitmap: ImageBitmap;
  try {
    // The file's own samples: they are erased and saved with the file's own profile.
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image", colorSpaceConversion: "none" });
  } catch {
    throw new VanishError(
      "UNREADABLE",
      mime === "image/avif"
        ? `${name} could not be read: this browser does not decode AVIF, or the file is damaged. Save it as JPEG or PNG and open that.`
        : `${name} could not be read: the file is damaged or not an image.`,
    );
  }
  let { width, height } = bitmap;
  if (width < MIN_SIDE || height < MIN_SIDE) {
    bitmap.close();
    throw new VanishError(
      "IMAGE_TOO_SMALL",
      `${name} is ${width}×${height} pixels; Vanish needs at least ${MIN_SIDE}×${MIN_SIDE} to find content to fill with.`,
    );
  }
  if (width * height > MAX_MEGAPIXELS * 1e6) {
    if (!options.downscale) {
      bitmap.close();
      throw new VanishError(
        "IMAGE_TOO_LARGE",
        `${name} is ${((width * height) / 1e6).toFixed(0)} megapixels; Vanish opens photos up to ${MAX_MEGAPIXELS} megapixels.`,
      );
    }
    const k = Math.sqrt((MAX_MEGAPIXELS * 0.98e6) / (width * height));
    width = Math.max(MIN_SIDE, Math.floor(width * k));
    height = Math.max(MIN_SIDE, Math.floor(height * k));
    const resized = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: "high" });
    bitmap.close();
    bitmap = resized;
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { photo: { name, mime, width, height, data }, bitmap };
}

function guessMime(name: string): string | null {
  const ext = name.toLowerCase().split(".").pop();
  const byExt: Record<string, string> = {
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    webp: "image/webp",
    avif: "image/avif",
    heic: "image/heic",
    heif: "image/heic",
  };
  return (ext && byExt[ext]) ?? null;
}

/** The format a photo is downloaded in: its own, or JPEG for formats the browser can read but not write (AVIF). */
export function outputMime(mime: string): string {
  return mime === "image/png" || mime === "image/webp" ? mime : "image/jpeg";
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
