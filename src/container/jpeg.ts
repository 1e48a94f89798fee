/**
 * JPEG markers (ITU T.81, JFIF, EXIF 2.3 §4.5, ICC.1 annex B.4, XMP part 3):
 * reading the ICC profile, EXIF and XMP of a file, writing them into a
 * freshly encoded one, and estimating the quality a file was saved at from
 * its quantisation tables (the IJG scaling of the standard tables, as
 * libjpeg, browsers and most editors use).
 */
import { EXIF_HEADER, startsWith } from "./exif.js";
import type { PhotoMetadata } from "./metadata.js";

const ICC_HEADER = ascii("ICC_PROFILE\0");
const XMP_HEADER = ascii("http://ns.adobe.com/xap/1.0/\0");
/** Payload of one APP2 ICC segment: 65535 − length field − header − sequence bytes. */
const ICC_CHUNK = 65535 - 2 - ICC_HEADER.length - 2;

export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

interface Segment {
  marker: number;
  /** Offset of the 0xFF of the marker. */
  start: number;
  /** Offset just past the segment. */
  end: number;
  payload: Uint8Array;
}

/** The marker segments before the first scan (SOS), in file order. */
function headerSegments(bytes: Uint8Array): Segment[] {
  const segments: Segment[] = [];
  let o = 2;
  while (o + 4 <= bytes.length) {
    if (bytes[o] !== 0xff) break;
    const marker = bytes[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    const length = (bytes[o + 2] << 8) | bytes[o + 3];
    if (length < 2 || o + 2 + length > bytes.length) break;
    segments.push({ marker, start: o, end: o + 2 + length, payload: bytes.subarray(o + 4, o + 2 + length) });
    o += 2 + length;
  }
  return segments;
}

/**
 * The stored width and height of a JPEG (from its frame header), before any
 * EXIF orientation; null when `bytes` (the file, or its start) holds no
 * complete frame header.
 */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (!isJpeg(bytes)) return null;
  for (const s of headerSegments(bytes)) {
    // SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (s.marker < 0xc0 || s.marker > 0xcf || s.marker === 0xc4 || s.marker === 0xc8 || s.marker === 0xcc) continue;
    if (s.payload.length < 5) return null;
    const height = (s.payload[1] << 8) | s.payload[2];
    const width = (s.payload[3] << 8) | s.payload[4];
    return width > 0 && height > 0 ? { width, height } : null;
  }
  return null;
}

/** ICC profile, EXIF (TIFF bytes) and XMP of a JPEG file. */
export function readJpegMetadata(bytes: Uint8Array): PhotoMetadata {
  const meta: PhotoMetadata = {};
  const icc: { seq: number; data: Uint8Array }[] = [];
  for (const s of headerSegments(bytes)) {
    if (s.marker === 0xe1 && !meta.exif && startsWith(s.payload, EXIF_HEADER)) meta.exif = s.payload.slice(EXIF_HEADER.length);
    else if (s.marker === 0xe1 && !meta.xmp && startsWith(s.payload, XMP_HEADER)) meta.xmp = s.payload.slice(XMP_HEADER.length);
    else if (s.marker === 0xe2 && startsWith(s.payload, ICC_HEADER) && s.payload.length > ICC_HEADER.length + 2) {
      icc.push({ seq: s.payload[ICC_HEADER.length], data: s.payload.subarray(ICC_HEADER.length + 2) });
    }
  }
  if (icc.length > 0) meta.icc = concat(icc.sort((a, b) => a.seq - b.seq).map((c) => c.data));
  return meta;
}

function segment(marker: number, ...parts: Uint8Array[]): Uint8Array {
  const length = 2 + parts.reduce((n, p) => n + p.length, 0);
  if (length > 0xffff) throw new RangeError(`JPEG segment of ${length} bytes`);
  return concat([new Uint8Array([0xff, marker, length >> 8, length & 0xff]), ...parts]);
}

/**
 * Returns `encoded` (a JPEG from an encoder) with `meta` written in: EXIF,
 * XMP and ICC segments right after the JFIF header, replacing any the encoder
 * wrote. Metadata too large for its segment is left out.
 */
export function writeJpegMetadata(encoded: Uint8Array, meta: PhotoMetadata): Uint8Array {
  const segments = headerSegments(encoded);
  const drop = segments.filter(
    (s) =>
      (s.marker === 0xe1 && (startsWith(s.payload, EXIF_HEADER) || startsWith(s.payload, XMP_HEADER))) ||
      (s.marker === 0xe2 && startsWith(s.payload, ICC_HEADER)),
  );
  const jfif = segments.find((s) => s.marker === 0xe0);
  const insertAt = jfif ? jfif.end : 2;
  const added: Uint8Array[] = [];
  if (meta.exif && meta.exif.length + EXIF_HEADER.length + 2 <= 0xffff) added.push(segment(0xe1, EXIF_HEADER, meta.exif));
  if (meta.xmp && meta.xmp.length + XMP_HEADER.length + 2 <= 0xffff) added.push(segment(0xe1, XMP_HEADER, meta.xmp));
  if (meta.icc && meta.icc.length > 0) {
    const chunks = Math.ceil(meta.icc.length / ICC_CHUNK);
    if (chunks <= 255) {
      for (let i = 0; i < chunks; i++) {
        const part = meta.icc.subarray(i * ICC_CHUNK, (i + 1) * ICC_CHUNK);
        added.push(segment(0xe2, ICC_HEADER, new Uint8Array([i + 1, chunks]), part));
      }
    }
  }
  const pieces: Uint8Array[] = [encoded.subarray(0, insertAt), ...added];
  let o = insertAt;
  for (const s of drop) {
    if (s.start < insertAt) continue;
    pieces.push(encoded.subarray(o, s.start));
    o = s.end;
  }
  pieces.push(encoded.subarray(o));
  return concat(pieces);
}

/** IJG's standard luminance and chrominance tables (ITU T.81 annex K), in zig-zag order as stored. */
const STD_LUMA = [
  16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55,
  64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
];
const STD_CHROMA = [
  17, 18, 18, 24, 21, 24, 47, 26, 26, 47, 99, 66, 56, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

function ijgTable(std: readonly number[], quality: number): number[] {
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  return std.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

/**
 * The quality (1–100) a JPEG was most likely saved at: the IJG quality whose
 * scaled standard tables are closest to the file's. Exact for files from
 * libjpeg and its descendants; the nearest equivalent for cameras' own
 * tables. Null when the file has no readable quantisation table.
 */
export function jpegQuality(bytes: Uint8Array): number | null {
  if (!isJpeg(bytes)) return null;
  const tables = new Map<number, number[]>();
  for (const s of headerSegments(bytes)) {
    if (s.marker !== 0xdb) continue;
    let o = 0;
    while (o < s.payload.length) {
      const precision = s.payload[o] >> 4;
      const id = s.payload[o] & 15;
      const size = precision ? 128 : 64;
      if (o + 1 + size > s.payload.length) break;
      const t: number[] = [];
      for (let i = 0; i < 64; i++) t.push(precision ? (s.payload[o + 1 + 2 * i] << 8) | s.payload[o + 2 + 2 * i] : s.payload[o + 1 + i]);
      tables.set(id, t);
      o += 1 + size;
    }
  }
  const luma = tables.get(0);
  if (!luma) return null;
  const chroma = tables.get(1);
  let best = 0;
  let bestError = Number.POSITIVE_INFINITY;
  for (let q = 1; q <= 100; q++) {
    const l = ijgTable(STD_LUMA, q);
    let error = 0;
    for (let i = 0; i < 64; i++) error += Math.abs(Math.min(255, luma[i]) - l[i]);
    if (chroma) {
      const c = ijgTable(STD_CHROMA, q);
      for (let i = 0; i < 64; i++) error += Math.abs(Math.min(255, chroma[i]) - c[i]);
    }
    if (error < bestError) {
      bestError = error;
      best = q;
    }
  }
  return best;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
