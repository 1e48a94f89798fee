/**
 * WebP's RIFF container (RFC 9649 §2.7): reading the ICCP, EXIF and XMP
 * chunks, and writing them into a freshly encoded file, which turns a simple
 * file (one VP8 or VP8L chunk) into the extended format with a VP8X header.
 */
import { tiffOf } from "./exif.js";
import { ascii, concat } from "./jpeg.js";
import type { PhotoMetadata } from "./metadata.js";

const FLAG_ICC = 0x20;
const FLAG_ALPHA = 0x10;
const FLAG_EXIF = 0x08;
const FLAG_XMP = 0x04;
const FLAG_ANIMATION = 0x02;

export function isWebp(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && fourcc(bytes, 0) === "RIFF" && fourcc(bytes, 8) === "WEBP";
}

function fourcc(bytes: Uint8Array, o: number): string {
  return String.fromCharCode(bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]);
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Chunk[] = [];
  let o = 12;
  while (o + 8 <= bytes.length) {
    const size = view.getUint32(o + 4, true);
    if (o + 8 + size > bytes.length) break;
    out.push({ type: fourcc(bytes, o), data: bytes.subarray(o + 8, o + 8 + size) });
    o += 8 + size + (size & 1);
  }
  return out;
}

/** ICC profile, EXIF (TIFF bytes) and XMP of a WebP file. */
export function readWebpMetadata(bytes: Uint8Array): PhotoMetadata {
  const meta: PhotoMetadata = {};
  for (const c of chunks(bytes)) {
    if (c.type === "ICCP") meta.icc = c.data.slice();
    else if (c.type === "EXIF") {
      const tiff = tiffOf(c.data);
      if (tiff) meta.exif = tiff.slice();
    } else if (c.type === "XMP ") meta.xmp = c.data.slice();
  }
  return meta;
}

/** Whether a WebP file is animated (VP8X animation flag or ANIM chunk). */
export function isAnimatedWebp(bytes: Uint8Array): boolean {
  return chunks(bytes).some((c) => c.type === "ANIM" || (c.type === "VP8X" && (c.data[0] & FLAG_ANIMATION) !== 0));
}

function riffChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(ascii(type));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/** Canvas size of a VP8 or VP8L bitstream chunk. */
function bitstreamSize(c: Chunk): { width: number; height: number } | null {
  const d = c.data;
  if (c.type === "VP8 " && d.length >= 10) {
    return { width: (d[6] | (d[7] << 8)) & 0x3fff, height: (d[8] | (d[9] << 8)) & 0x3fff };
  }
  if (c.type === "VP8L" && d.length >= 5) {
    const bits = d[1] | (d[2] << 8) | (d[3] << 16) | (d[4] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return null;
}

/**
 * Returns `encoded` (a still WebP from an encoder) with `meta` written in,
 * in the order RFC 9649 asks: VP8X, ICCP, the image (ALPH, VP8/VP8L), EXIF,
 * XMP. Chunks of those kinds the encoder wrote are replaced.
 */
export function writeWebpMetadata(encoded: Uint8Array, meta: PhotoMetadata): Uint8Array {
  const list = chunks(encoded);
  const image = list.filter((c) => c.type === "ALPH" || c.type === "VP8 " || c.type === "VP8L");
  const bitstream = image.find((c) => c.type !== "ALPH");
  if (!bitstream) throw new RangeError("Not a still WebP: no VP8 or VP8L chunk");
  const existing = list.find((c) => c.type === "VP8X");
  let width: number;
  let height: number;
  if (existing && existing.data.length >= 10) {
    const d = existing.data;
    width = 1 + (d[4] | (d[5] << 8) | (d[6] << 16));
    height = 1 + (d[7] | (d[8] << 8) | (d[9] << 16));
  } else {
    const size = bitstreamSize(bitstream);
    if (!size) throw new RangeError("Unreadable WebP bitstream header");
    ({ width, height } = size);
  }
  const hasAlpha =
    image.some((c) => c.type === "ALPH") ||
    (existing !== undefined && (existing.data[0] & FLAG_ALPHA) !== 0) ||
    (bitstream.type === "VP8L" && bitstream.data.length >= 5 && (bitstream.data[4] & 0x10) !== 0);
  const vp8x = new Uint8Array(10);
  vp8x[0] = (meta.icc ? FLAG_ICC : 0) | (hasAlpha ? FLAG_ALPHA : 0) | (meta.exif ? FLAG_EXIF : 0) | (meta.xmp ? FLAG_XMP : 0);
  vp8x[4] = (width - 1) & 0xff;
  vp8x[5] = ((width - 1) >> 8) & 0xff;
  vp8x[6] = ((width - 1) >> 16) & 0xff;
  vp8x[7] = (height - 1) & 0xff;
  vp8x[8] = ((height - 1) >> 8) & 0xff;
  vp8x[9] = ((height - 1) >> 16) & 0xff;
  const body = concat([
    ascii("WEBP"),
    riffChunk("VP8X", vp8x),
    ...(meta.icc ? [riffChunk("ICCP", meta.icc)] : []),
    ...image.map((c) => riffChunk(c.type, c.data)),
    ...(meta.exif ? [riffChunk("EXIF", meta.exif)] : []),
    ...(meta.xmp ? [riffChunk("XMP ", meta.xmp)] : []),
  ]);
  const header = new Uint8Array(8);
  header.set(ascii("RIFF"));
  new DataView(header.buffer).setUint32(4, body.length, true);
  return concat([header, body]);
}

/** Whether a still WebP file is lossless (its bitstream is VP8L). */
export function isLosslessWebp(bytes: Uint8Array): boolean {
  return isWebp(bytes) && chunks(bytes).some((c) => c.type === "VP8L");
}
