/**
 * A photo's metadata across JPEG, PNG and WebP: the ICC profile its samples
 * are in, EXIF and XMP. Read from an original, edited (the EXIF records the
 * edit) and written into the re-encoded file, so that a photo keeps its
 * colours, date and camera through an erase, in Node and in the browser.
 */
import { editExif } from "./exif.js";
import { isJpeg, jpegQuality, readJpegMetadata, writeJpegMetadata } from "./jpeg.js";
import { isPng, readPngMetadata, writePngMetadata } from "./png.js";
import { isWebp, readWebpMetadata, writeWebpMetadata } from "./webp.js";

export interface PhotoMetadata {
  /** ICC profile: the colour space the samples are in. */
  icc?: Uint8Array;
  /** EXIF as TIFF bytes (no "Exif\0\0" prefix). */
  exif?: Uint8Array;
  /** XMP packet (XML, UTF-8). */
  xmp?: Uint8Array;
}

/** A little-endian TIFF header and an empty IFD0. */
const EMPTY_TIFF = new Uint8Array([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

export type ContainerFormat = "jpeg" | "png" | "webp";

export function containerFormat(bytes: Uint8Array): ContainerFormat | null {
  return isJpeg(bytes) ? "jpeg" : isPng(bytes) ? "png" : isWebp(bytes) ? "webp" : null;
}

/** Inflates zlib data with the platform's DecompressionStream (Node 18+, browsers). */
async function inflateStream(z: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([z as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads the metadata of a JPEG, PNG or WebP file; empty for other files. */
export async function readMetadata(bytes: Uint8Array, inflate = inflateStream): Promise<PhotoMetadata> {
  const format = containerFormat(bytes);
  if (format === "jpeg") return readJpegMetadata(bytes);
  if (format === "png") return readPngMetadata(bytes, inflate);
  if (format === "webp") return readWebpMetadata(bytes);
  return {};
}

export interface EditedMetadataOptions {
  /** Names the edit in the EXIF Software tag. */
  software: string;
  width: number;
  height: number;
}

/**
 * The metadata for an edited copy: the same profile and XMP, EXIF with the
 * edit recorded, orientation reset and the thumbnail dropped. A photo without
 * EXIF gets a block with the Software tag alone; EXIF that cannot be parsed
 * is replaced by that too, rather than copied half-valid.
 */
export function editedMetadata(meta: PhotoMetadata, options: EditedMetadataOptions): PhotoMetadata {
  const exif = (meta.exif ? editExif(meta.exif, options) : null) ?? editExif(EMPTY_TIFF, options);
  return { ...(meta.icc ? { icc: meta.icc } : {}), ...(exif ? { exif } : {}), ...(meta.xmp ? { xmp: meta.xmp } : {}) };
}

/** Writes `meta` into a freshly encoded JPEG, PNG or WebP file (replacing what the encoder put there). */
export function writeMetadata(encoded: Uint8Array, meta: PhotoMetadata): Uint8Array {
  const format = containerFormat(encoded);
  if (format === "jpeg") return writeJpegMetadata(encoded, meta);
  if (format === "png") return writePngMetadata(encoded, meta);
  if (format === "webp") return writeWebpMetadata(encoded, meta);
  throw new RangeError("writeMetadata takes a JPEG, PNG or WebP file");
}

export { jpegQuality };
