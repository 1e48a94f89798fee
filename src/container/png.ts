/**
 * PNG chunks (PNG 3rd edition §11.3): reading and writing the ICC profile
 * (iCCP), EXIF (eXIf) and XMP (iTXt "XML:com.adobe.xmp"), and a plain
 * 16-bit PNG writer for the depths the image libraries here do not write
 * from raw samples.
 *
 * iCCP must be zlib-compressed; profiles are small, so they are written as
 * "stored" deflate blocks, which needs no compressor and is valid zlib.
 * Reading a compressed profile takes an `inflate` function from the caller
 * (zlib in Node, DecompressionStream in browsers).
 */
import { tiffOf } from "./exif.js";
import { ascii, concat } from "./jpeg.js";
import type { PhotoMetadata } from "./metadata.js";

const SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
const XMP_KEYWORD = "XML:com.adobe.xmp";

export function isPng(bytes: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

interface Chunk {
  type: string;
  start: number;
  end: number;
  data: Uint8Array;
}

function chunks(bytes: Uint8Array): Chunk[] {
  const out: Chunk[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  while (o + 12 <= bytes.length) {
    const length = view.getUint32(o);
    const type = String.fromCharCode(bytes[o + 4], bytes[o + 5], bytes[o + 6], bytes[o + 7]);
    if (o + 12 + length > bytes.length) break;
    out.push({ type, start: o, end: o + 12 + length, data: bytes.subarray(o + 8, o + 8 + length) });
    o += 12 + length;
    if (type === "IEND") break;
  }
  return out;
}

/** ICC profile, EXIF (TIFF bytes) and XMP of a PNG file; `inflate` decompresses zlib data. */
export async function readPngMetadata(bytes: Uint8Array, inflate: (z: Uint8Array) => Promise<Uint8Array>): Promise<PhotoMetadata> {
  const meta: PhotoMetadata = {};
  for (const c of chunks(bytes)) {
    if (c.type === "IDAT") break;
    if (c.type === "iCCP") {
      const nul = c.data.indexOf(0);
      if (nul > 0 && c.data[nul + 1] === 0) {
        try {
          meta.icc = await inflate(c.data.subarray(nul + 2));
        } catch {
          // A damaged profile is left out, as a viewer would ignore it.
        }
      }
    } else if (c.type === "eXIf") {
      const tiff = tiffOf(c.data);
      if (tiff) meta.exif = tiff.slice();
    } else if (c.type === "iTXt") {
      const nul = c.data.indexOf(0);
      const keyword = String.fromCharCode(...c.data.subarray(0, nul));
      if (keyword === XMP_KEYWORD && c.data[nul + 1] === 0) {
        let o = nul + 3;
        o = c.data.indexOf(0, o) + 1; // language tag
        o = c.data.indexOf(0, o) + 1; // translated keyword
        if (o > 0) meta.xmp = c.data.slice(o);
      }
    }
  }
  return meta;
}

/**
 * Returns `encoded` (a PNG from an encoder) with `meta` written in right
 * after IHDR, replacing the colour chunks (iCCP, sRGB, gAMA, cHRM), EXIF and
 * XMP the encoder wrote: the profile given is the one the samples are in.
 */
export function writePngMetadata(encoded: Uint8Array, meta: PhotoMetadata): Uint8Array {
  const list = chunks(encoded);
  const ihdr = list.find((c) => c.type === "IHDR");
  if (!ihdr) throw new RangeError("Not a PNG: no IHDR chunk");
  const replaced = new Set(meta.icc ? ["iCCP", "sRGB", "gAMA", "cHRM", "eXIf"] : ["eXIf"]);
  const added: Uint8Array[] = [];
  if (meta.icc && meta.icc.length > 0) added.push(chunk("iCCP", concat([ascii("ICC profile\0\0"), zlibStored(meta.icc)])));
  if (meta.exif) added.push(chunk("eXIf", meta.exif));
  if (meta.xmp) added.push(chunk("iTXt", concat([ascii(`${XMP_KEYWORD}\0\0\0\0\0`), meta.xmp])));
  const pieces: Uint8Array[] = [encoded.subarray(0, ihdr.end), ...added];
  for (const c of list) {
    if (c === ihdr || c.start < ihdr.end) continue;
    if (replaced.has(c.type)) continue;
    if (c.type === "iTXt" && meta.xmp && isXmpChunk(c.data)) continue;
    pieces.push(encoded.subarray(c.start, c.end));
  }
  return concat(pieces);
}

function isXmpChunk(data: Uint8Array): boolean {
  const key = ascii(`${XMP_KEYWORD}\0`);
  for (let i = 0; i < key.length; i++) if (data[i] !== key[i]) return false;
  return true;
}

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** zlib stream of "stored" (uncompressed) deflate blocks. */
function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const part = data.subarray(b * 65535, (b + 1) * 65535);
    out[o] = b === blocks - 1 ? 1 : 0;
    out[o + 1] = part.length & 0xff;
    out[o + 2] = part.length >> 8;
    out[o + 3] = ~part.length & 0xff;
    out[o + 4] = (~part.length >> 8) & 0xff;
    out.set(part, o + 5);
    o += 5 + part.length;
  }
  new DataView(out.buffer).setUint32(o, adler32(data));
  return out;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let crcTable: Uint32Array | null = null;

export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Encodes 16-bit samples (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA channels,
 * rows packed) as a PNG. Each row takes the filter (none, sub, up, average,
 * Paeth) with the smallest sum of absolute filtered bytes, the usual
 * heuristic; `deflate` compresses (zlib format).
 */
export function encodePng16(
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  samples: Uint16Array,
  deflate: (data: Uint8Array) => Uint8Array,
): Uint8Array {
  const colourType = [0, 0, 4, 2, 6][channels];
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 16;
  ihdr[9] = colourType;
  const bpp = channels * 2;
  const stride = width * bpp;
  const raw = new Uint8Array((stride + 1) * height);
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  const trial = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const rowStart = y * width * channels;
    for (let i = 0, s = rowStart; i < stride; i += 2, s++) {
      cur[i] = samples[s] >> 8;
      cur[i + 1] = samples[s] & 0xff;
    }
    let bestSum = Number.POSITIVE_INFINITY;
    let bestFilter = 0;
    for (let f = 0; f < 5; f++) {
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? cur[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        let p: number;
        if (f === 0) p = 0;
        else if (f === 1) p = a;
        else if (f === 2) p = b;
        else if (f === 3) p = (a + b) >> 1;
        else {
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        const v = (cur[i] - p) & 0xff;
        trial[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) {
        bestSum = sum;
        bestFilter = f;
        best.set(trial);
      }
    }
    const o = y * (stride + 1);
    raw[o] = bestFilter;
    raw.set(best, o + 1);
    const t = prev;
    prev = cur;
    cur = t;
  }
  return concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", deflate(raw)), chunk("IEND", new Uint8Array(0))]);
}
