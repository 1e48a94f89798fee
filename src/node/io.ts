/**
 * Image files in Node, through sharp: decoding with EXIF orientation applied,
 * masks of any channel layout, and encoding that keeps the source's colour
 * profile and metadata, records the edit in the EXIF Software tag, and writes
 * atomically (temporary file in the same folder, then rename), so that a
 * failure never leaves a half-written or destroyed file.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { MAX_PIXELS, type Mask, maskFromChannel, type RgbaImage, VanishError } from "../core/image.js";

export const OUTPUT_FORMATS = ["jpeg", "png", "webp"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const EXTENSIONS: Record<string, OutputFormat> = { ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp" };

/** A decoded photo and what is needed to write it back faithfully. */
export interface DecodedImage {
  image: RgbaImage;
  /** Container format of the file (jpeg, png, webp, …). */
  format: string;
  /** Whether the file has an alpha channel. */
  hasAlpha: boolean;
  path: string;
}

/** Output format for a file name, by extension; throws for anything else. */
export function formatForPath(file: string): OutputFormat {
  const format = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) {
    throw new VanishError("UNSUPPORTED_FORMAT", `Cannot write "${file}": use a .jpg, .jpeg, .png or .webp file name for the output.`);
  }
  return format;
}

function decodeError(file: string, err: unknown): VanishError {
  const reason = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(reason)) {
    return new VanishError("IMAGE_TOO_LARGE", `"${file}" is larger than ${MAX_PIXELS / 1e6} megapixels; downscale it first.`);
  }
  if ((err as NodeJS.ErrnoException)?.code === "ENOENT") return new VanishError("UNREADABLE", `"${file}" does not exist.`);
  if (/unsupported image format/i.test(reason)) {
    return new VanishError("UNSUPPORTED_FORMAT", `"${file}" is not an image format Vanish reads; use JPEG, PNG or WebP.`);
  }
  return new VanishError("UNREADABLE", `Cannot read "${file}" as an image (${reason}); check that the file is complete and not corrupt.`);
}

async function readable(file: string): Promise<void> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) throw new VanishError("UNREADABLE", `"${file}" is not a file.`);
  } catch (err) {
    if (err instanceof VanishError) throw err;
    throw decodeError(file, err);
  }
}

/** Decodes an image file to RGBA, applying its EXIF orientation. */
export async function readImage(file: string): Promise<DecodedImage> {
  await readable(file);
  try {
    const input = sharp(file, { limitInputPixels: MAX_PIXELS, failOn: "error" });
    const meta = await input.metadata();
    const { data, info } = await input.autoOrient().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return {
      image: { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) },
      format: meta.format ?? "unknown",
      hasAlpha: meta.hasAlpha === true,
      path: file,
    };
  } catch (err) {
    throw decodeError(file, err);
  }
}

/**
 * Decodes a mask file of any channel layout: transparent areas count as black,
 * colour is reduced to luminance, and luminance ≥ 128 marks pixels to remove.
 */
export async function readMask(file: string): Promise<Mask> {
  await readable(file);
  try {
    const { data, info } = await sharp(file, { limitInputPixels: MAX_PIXELS, failOn: "error" })
      .autoOrient()
      .flatten({ background: "#000000" })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return maskFromChannel(info.width, info.height, data, info.channels);
  } catch (err) {
    throw decodeError(file, err);
  }
}

export interface WriteOptions {
  /** Lossy quality 1–100 for JPEG and WebP. Default 92. */
  quality?: number;
  /** Recorded in the EXIF Software tag. */
  software: string;
}

/** Refuses an output path that is the input file itself (also through links). */
export async function assertNotSameFile(input: string, output: string): Promise<void> {
  const a = path.resolve(input);
  const b = path.resolve(output);
  let same = a === b;
  if (!same) {
    try {
      const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
      same = sa.ino === sb.ino && sa.dev === sb.dev;
    } catch {
      same = false;
    }
  }
  if (same) {
    throw new VanishError(
      "OUTPUT_IS_INPUT",
      `The output "${output}" is the input file; choose another output path so the original is kept.`,
    );
  }
}

/**
 * Encodes `image` (the edited pixels of `source`) to `output`: pixels replace
 * the source's, its ICC profile, EXIF and XMP are kept (orientation reset,
 * since the pixels are upright), and the Software tag names the edit.
 */
export async function encodeEdited(source: DecodedImage, image: RgbaImage, format: OutputFormat, options: WriteOptions): Promise<Buffer> {
  const quality = options.quality ?? 92;
  const raw = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  let pipeline = sharp(source.path, { limitInputPixels: MAX_PIXELS })
    .autoOrient()
    .composite([{ input: raw, raw: { width: image.width, height: image.height, channels: 4 }, blend: "source" }]);
  if (!source.hasAlpha) pipeline = pipeline.removeAlpha();
  pipeline = pipeline.keepMetadata().withExifMerge({ IFD0: { Software: options.software } });
  if (format === "jpeg") return pipeline.jpeg({ quality, mozjpeg: false, chromaSubsampling: quality >= 90 ? "4:4:4" : "4:2:0" }).toBuffer();
  if (format === "webp") return pipeline.webp({ quality, alphaQuality: 100 }).toBuffer();
  return pipeline.png({ compressionLevel: 6 }).toBuffer();
}

/** Writes bytes to `file` through a temporary sibling and a rename. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await fs.writeFile(tmp, bytes, { flag: "wx" });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    const reason = err instanceof Error ? err.message : String(err);
    throw new VanishError("WRITE_FAILED", `Cannot write "${file}" (${reason}); check that its folder exists and is writable.`);
  }
}
