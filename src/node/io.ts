/**
 * Image files in Node, through sharp, written back faithfully:
 *  - the file is read once and decoded once, upright (EXIF orientation
 *    applied), in its own colour space: samples are never converted to sRGB,
 *    and the output carries the same ICC profile, so a Display P3, Adobe RGB
 *    or grey-profile photo keeps its colours;
 *  - 16-bit files keep their 16-bit samples outside the erased area (the
 *    engine works on an 8-bit copy; only pixels it changed are taken from
 *    it), and greyscale files stay greyscale;
 *  - alpha is never premultiplied, so fully transparent pixels keep their
 *    stored colour;
 *  - animated files are refused rather than flattened to one frame;
 *  - EXIF is kept with the edit recorded (Software), orientation reset and
 *    the thumbnail dropped; XMP is kept (src/container/ writes the blocks).
 * Files are replaced atomically (atomic-write.ts).
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import type { Sharp } from "sharp";
import { editedMetadata, jpegQuality, type PhotoMetadata, writeMetadata } from "../container/metadata.js";
import { encodePng16 } from "../container/png.js";
import { isLosslessWebp } from "../container/webp.js";
import { expectedError, MAX_PIXELS, type Mask, maskFromChannel, type RgbaImage, VanishError } from "../core/image.js";
import { sharp } from "./sharp.js";

export { cleanUpTempsOnSignals, sweepStaleTemps, writeFileAtomic } from "./atomic-write.js";

export const OUTPUT_FORMATS = ["jpeg", "png", "webp"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const EXTENSIONS: Record<string, OutputFormat> = { ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp" };

/** The file's own samples, when they hold more than the 8-bit RGBA working copy (16 bits, or one grey channel). */
export interface StoredSamples {
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  bits: 8 | 16;
  data: Uint8Array | Uint16Array;
}

/** A decoded photo and what is needed to write it back faithfully. */
export interface DecodedImage {
  /** 8-bit RGBA in the file's own colour space, upright: what the engine works on. */
  image: RgbaImage;
  /** Container format of the file (jpeg, png, webp, …). */
  format: string;
  /** Whether the file has an alpha channel. */
  hasAlpha: boolean;
  /** Whether the file is greyscale (written back as greyscale). */
  grey: boolean;
  /** Bits per sample in the file: 16-bit PNG and TIFF keep 16 bits outside the erased area. */
  bits: 8 | 16;
  /** Full-depth or greyscale samples, upright; null when `image` holds them all. */
  samples: StoredSamples | null;
  /** ICC profile (the samples' colour space), EXIF and XMP. */
  metadata: PhotoMetadata;
  /** Quality the file was saved at, for JPEG files (estimated from its tables). */
  quality: number | null;
  /** The file's bytes, as read. */
  bytes: Buffer;
  /** What reading changed (a CMYK file converted to sRGB). */
  notes: string[];
  path: string;
}

/** Output format for a file name, by extension; throws for anything else. */
export function formatForPath(file: string): OutputFormat {
  if (typeof file !== "string" || file === "") {
    throw expectedError("an output file name", file);
  }
  const format = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) {
    throw new VanishError("UNSUPPORTED_FORMAT", `Cannot write "${file}": use a .jpg, .jpeg, .png or .webp file name for the output.`);
  }
  return format;
}

function decodeError(file: string, err: unknown): VanishError {
  if (err instanceof VanishError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(reason)) {
    return new VanishError("IMAGE_TOO_LARGE", `"${file}" is larger than ${MAX_PIXELS / 1e6} megapixels; downscale it first.`);
  }
  if (/unsupported image format/i.test(reason)) {
    return new VanishError("UNSUPPORTED_FORMAT", `"${file}" is not an image format Vanish reads; use JPEG, PNG or WebP.`);
  }
  return new VanishError("UNREADABLE", `Cannot read "${file}" as an image (${reason}); check that the file is complete and not corrupt.`);
}

/** Reads a whole file, with messages that say what is wrong (missing, permission, folder). */
export async function readFileBytes(file: string, what = "file"): Promise<Buffer> {
  if (typeof file !== "string" || file === "") {
    throw expectedError(`the ${what}'s path`, file);
  }
  try {
    const st = await fs.stat(file);
    if (st.isDirectory()) throw new VanishError("UNREADABLE", `"${file}" is a folder, not an image file.`);
    if (!st.isFile()) throw new VanishError("UNREADABLE", `"${file}" is not a regular file.`);
    return await fs.readFile(file);
  } catch (err) {
    if (err instanceof VanishError) throw err;
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new VanishError("UNREADABLE", `"${file}" does not exist.`);
    if (code === "EACCES" || code === "EPERM") {
      throw new VanishError("UNREADABLE", `Cannot read "${file}": permission denied; check the file's permissions.`);
    }
    if (code === "EISDIR") throw new VanishError("UNREADABLE", `"${file}" is a folder, not an image file.`);
    const reason = err instanceof Error ? err.message : String(err);
    throw new VanishError("UNREADABLE", `Cannot read "${file}" (${reason}).`);
  }
}

const sharpOptions = { limitInputPixels: MAX_PIXELS, failOn: "error" } as const;

/** Reads and decodes an image file (see `decodeImage`). */
export async function readImage(file: string): Promise<DecodedImage> {
  const bytes = await readFileBytes(file, "image");
  return decodeImage(bytes, file);
}

/**
 * Decodes image bytes to 8-bit RGBA in the file's own colour space, upright,
 * keeping what is needed to write them back faithfully. `name` is for messages.
 */
export async function decodeImage(bytes: Buffer, name: string): Promise<DecodedImage> {
  if (!Buffer.isBuffer(bytes)) throw expectedError("the file's bytes as a Buffer", bytes);
  try {
    const meta = await sharp(bytes, sharpOptions).metadata();
    if ((meta.pages ?? 1) > 1) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        `"${name}" is ${meta.format === "tiff" || meta.format === "heif" ? "a multi-page file" : "animated"} (${meta.pages} ${meta.format === "tiff" ? "pages" : "frames"}); Vanish erases still images. Export the frame you want as PNG or JPEG first.`,
      );
    }
    const notes: string[] = [];
    const base = sharp(bytes, sharpOptions).autoOrient();
    const hasAlpha = meta.hasAlpha === true;
    const metadata: PhotoMetadata = {
      ...(meta.icc ? { icc: new Uint8Array(meta.icc) } : {}),
      ...(meta.exif ? { exif: new Uint8Array(meta.exif) } : {}),
      ...(meta.xmp ? { xmp: new Uint8Array(meta.xmp) } : {}),
    };
    const quality = meta.format === "jpeg" ? jpegQuality(bytes) : null;
    const common = { format: meta.format ?? "unknown", hasAlpha, metadata, quality, bytes, notes, path: name };
    const space = meta.space ?? "srgb";
    if (space !== "srgb" && space !== "b-w" && space !== "rgb16" && space !== "grey16" && space !== "rgb") {
      // CMYK, Lab, …: the engine needs RGB, so these are converted, and the output says so by its sRGB profile.
      const { data } = await base.toColourspace("srgb").ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      notes.push(`"${name}" is ${space.toUpperCase()}; it was converted to sRGB and is written as sRGB.`);
      const image = rgbaView(data, meta);
      return { ...common, image, grey: false, bits: 8, samples: null, metadata: { ...metadata, icc: await srgbProfile() } };
    }
    const grey = space === "b-w" || space === "grey16" || (meta.channels ?? 3) <= 2;
    const bits = meta.depth === "ushort" ? 16 : 8;
    if (bits === 16) {
      const { data, info } = await base
        .keepIccProfile()
        .toColourspace(grey ? "grey16" : "rgb16")
        .raw({ depth: "ushort" })
        .toBuffer({ resolveWithObject: true });
      const samples: StoredSamples = {
        channels: info.channels as StoredSamples["channels"],
        bits: 16,
        data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2),
      };
      return { ...common, image: rgbaFromSamples(samples, info.width, info.height), grey, bits, samples };
    }
    if (grey) {
      const { data, info } = await base.keepIccProfile().toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
      const samples: StoredSamples = {
        channels: info.channels as StoredSamples["channels"],
        bits: 8,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      };
      return { ...common, image: rgbaFromSamples(samples, info.width, info.height), grey, bits, samples };
    }
    const { data, info } = await base.keepIccProfile().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
    return { ...common, image: rgbaView(data, info), grey: false, bits: 8, samples: null };
  } catch (err) {
    throw decodeError(name, err);
  }
}

function rgbaView(data: Buffer, size: { width?: number; height?: number }): RgbaImage {
  const width = size.width ?? 0;
  const height = size.height ?? 0;
  if (data.length !== width * height * 4) throw new Error("unexpected decoded size");
  return { width, height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

/** The 8-bit RGBA working copy of grey or 16-bit samples (16 → 8 bits rounds to nearest). */
function rgbaFromSamples(s: StoredSamples, width: number, height: number): RgbaImage {
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  const { channels, data } = s;
  const wide = s.bits === 16;
  const to8 = (v: number) => (wide ? Math.round(v / 257) : v);
  const grey = channels <= 2;
  const alpha = channels === 2 || channels === 4;
  for (let i = 0, j = 0, o = 0; i < n; i++, j += channels, o += 4) {
    if (grey) {
      const g = to8(data[j]);
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
    } else {
      out[o] = to8(data[j]);
      out[o + 1] = to8(data[j + 1]);
      out[o + 2] = to8(data[j + 2]);
    }
    out[o + 3] = alpha ? to8(data[j + channels - 1]) : 255;
  }
  return { width, height, data: out };
}

let srgbProfileBytes: Promise<Uint8Array> | null = null;

/** sharp's built-in sRGB profile, for files converted to sRGB on reading. */
function srgbProfile(): Promise<Uint8Array> {
  srgbProfileBytes ??= sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } })
    .withIccProfile("srgb")
    .png()
    .toBuffer()
    .then(async (b) => new Uint8Array((await sharp(b).metadata()).icc as Buffer));
  return srgbProfileBytes;
}

/**
 * Decodes a mask file of any channel layout: transparent areas count as black,
 * colour is reduced to luminance, and luminance ≥ 128 marks pixels to remove.
 */
export async function readMask(file: string): Promise<Mask> {
  const bytes = await readFileBytes(file, "mask");
  try {
    const { data, info } = await sharp(bytes, sharpOptions)
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
  /** Lossy quality 1–100 for JPEG and WebP. Default: a JPEG original's own quality, else 92. */
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

/** What writing `source` as `format` cannot keep, for warnings. */
export function encodingLosses(source: DecodedImage, format: OutputFormat): string[] {
  const losses: string[] = [];
  if (source.bits === 16 && format !== "png") {
    losses.push(
      `${format === "jpeg" ? "JPEG" : "WebP"} holds 8 bits per sample, so the 16-bit image is written with 8; write a .png to keep 16.`,
    );
  }
  if (source.hasAlpha && format === "jpeg") {
    losses.push("JPEG has no transparency, so transparent areas are written on white; write a .png or .webp to keep them.");
  }
  return losses;
}

/**
 * Largest image whose JPEG gets optimised Huffman tables. Optimising needs
 * libjpeg's two-pass mode, which holds every DCT coefficient of the image
 * until the end: measured with sharp on an 8000×6000 photo, the encode's peak
 * grew by 560 MB and took 6× the CPU time, against +10 MB streaming with the
 * standard tables. Optimised files are 10–20 % smaller, so images up to
 * 24 MP keep them (≤ 280 MB extra); larger ones are streamed.
 */
export const OPTIMISED_JPEG_MAX_PIXELS = 24_000_000;

/**
 * Encodes `image` (the edited 8-bit pixels of `source`) as `format`, in the
 * source's colour space and with its metadata (see the module header). Where
 * the source has more than `image` holds (16 bits, one grey channel), pixels
 * the edit did not change are written from the source's own samples.
 */
export async function encodeEdited(source: DecodedImage, image: RgbaImage, format: OutputFormat, options: WriteOptions): Promise<Buffer> {
  if (!source?.image || !(source.bytes instanceof Uint8Array)) {
    throw expectedError("a DecodedImage from readImage or decodeImage as the source", source);
  }
  if (
    !image ||
    image.width !== source.image.width ||
    image.height !== source.image.height ||
    image.data?.length !== source.image.data.length
  ) {
    throw expectedError("the edited image in the size and layout of the source image", image, "SIZE_MISMATCH");
  }
  if (!OUTPUT_FORMATS.includes(format)) {
    throw expectedError("an output format (jpeg, png or webp)", format, "UNSUPPORTED_FORMAT");
  }
  const quality = options.quality ?? (format === "jpeg" ? (source.quality ?? 92) : 92);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw expectedError("quality to be an integer from 1 to 100", quality);
  }
  const { width, height } = image;
  try {
    let encoded: Uint8Array;
    if (source.samples?.bits === 16 && format === "png") {
      const samples = mergeSamples(source, image);
      encoded = encodePng16(width, height, samples.channels, samples.data as Uint16Array, (d) => deflateSync(d, { level: 6 }));
    } else {
      let pipeline: Sharp;
      if (source.grey) {
        const channels = source.hasAlpha ? 2 : 1;
        const grey = greyBytes(source, image, channels);
        pipeline = sharp(grey, { raw: { width, height, channels } }).toColourspace("b-w");
      } else {
        const raw = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
        pipeline = sharp(raw, { raw: { width, height, channels: 4 } });
        if (!source.hasAlpha) pipeline = pipeline.removeAlpha();
      }
      if (format === "jpeg") {
        if (source.hasAlpha) pipeline = pipeline.flatten({ background: "#ffffff" });
        pipeline = pipeline.jpeg({
          quality,
          mozjpeg: false,
          chromaSubsampling: quality >= 90 ? "4:4:4" : "4:2:0",
          optimiseCoding: width * height <= OPTIMISED_JPEG_MAX_PIXELS,
        });
      } else if (format === "webp") {
        const lossless = source.format === "webp" && isLosslessWebp(source.bytes) && options.quality === undefined;
        pipeline = pipeline.webp(lossless ? { lossless: true, exact: true } : { quality, alphaQuality: 100, exact: true });
      } else {
        pipeline = pipeline.png({ compressionLevel: 6 });
      }
      encoded = await pipeline.toBuffer();
    }
    const meta = editedMetadata(source.metadata, { software: options.software, width, height });
    const written = writeMetadata(encoded, meta);
    return Buffer.from(written.buffer, written.byteOffset, written.byteLength);
  } catch (err) {
    if (err instanceof VanishError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new VanishError("ENCODE_FAILED", `Cannot encode the ${width}×${height} result as ${format.toUpperCase()} (${reason}).`);
  }
}

function changed(a: Uint8ClampedArray, b: Uint8ClampedArray, o: number): boolean {
  return a[o] !== b[o] || a[o + 1] !== b[o + 1] || a[o + 2] !== b[o + 2] || a[o + 3] !== b[o + 3];
}

/** The source's full-depth samples with the pixels the edit changed taken from `image`. */
function mergeSamples(source: DecodedImage, image: RgbaImage): StoredSamples {
  const s = source.samples as StoredSamples;
  const { channels } = s;
  const out = s.data.slice();
  const scale = s.bits === 16 ? 257 : 1;
  const before = source.image.data;
  const after = image.data;
  const n = image.width * image.height;
  for (let i = 0, o = 0, j = 0; i < n; i++, o += 4, j += channels) {
    if (!changed(before, after, o)) continue;
    if (channels <= 2) {
      out[j] = Math.round((after[o] + after[o + 1] + after[o + 2]) / 3) * scale;
    } else {
      out[j] = after[o] * scale;
      out[j + 1] = after[o + 1] * scale;
      out[j + 2] = after[o + 2] * scale;
    }
    if (channels === 2 || channels === 4) out[j + channels - 1] = after[o + 3] * scale;
  }
  return { channels, bits: s.bits, data: out };
}

/** 8-bit grey (and alpha) of an edited greyscale image: the source's samples where unchanged. */
function greyBytes(source: DecodedImage, image: RgbaImage, channels: 1 | 2): Buffer {
  const n = image.width * image.height;
  const out = Buffer.alloc(n * channels);
  const s = source.samples;
  const before = source.image.data;
  const after = image.data;
  for (let i = 0, o = 0, j = 0; i < n; i++, o += 4, j += channels) {
    if (s && s.bits === 8 && !changed(before, after, o)) {
      out[j] = s.data[i * s.channels];
      if (channels === 2) out[j + 1] = s.channels === 2 ? s.data[i * 2 + 1] : 255;
    } else {
      out[j] = Math.round((after[o] + after[o + 1] + after[o + 2]) / 3);
      if (channels === 2) out[j + 1] = after[o + 3];
    }
  }
  return out;
}
