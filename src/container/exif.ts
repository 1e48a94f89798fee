/**
 * EXIF (a TIFF structure) rewritten for an edited photo: the Software tag
 * names the edit, Orientation is reset (the pixels are stored upright), the
 * pixel dimensions follow the image, and the thumbnail (IFD1) is dropped
 * because it would still show what was erased.
 *
 * Every other tag is kept byte for byte: IFD0 is rewritten at the end of the
 * block (the header points to the new copy), so no existing value moves and
 * every offset in the block stays valid. Pure byte manipulation: runs in Node,
 * workers and browsers.
 */

/** The EXIF block's prefix in JPEG APP1 and WebP/PNG-from-sharp metadata. */
export const EXIF_HEADER = new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0]);

const TAG_ORIENTATION = 0x0112;
const TAG_SOFTWARE = 0x0131;
const TAG_EXIF_IFD = 0x8769;
const TAG_PIXEL_X = 0xa002;
const TAG_PIXEL_Y = 0xa003;
const TYPE_ASCII = 2;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
/** An APP1 segment holds at most 65533 bytes, the "Exif\0\0" prefix included. */
const MAX_TIFF_BYTES = 65533 - EXIF_HEADER.length;

/** The TIFF bytes of an EXIF block, with or without its "Exif\0\0" prefix; null when it is not one. */
export function tiffOf(exif: Uint8Array): Uint8Array | null {
  const start = startsWith(exif, EXIF_HEADER) ? EXIF_HEADER.length : 0;
  const tiff = exif.subarray(start);
  if (tiff.length < 8) return null;
  const order = String.fromCharCode(tiff[0], tiff[1]);
  if (order !== "II" && order !== "MM") return null;
  return tiff;
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

export interface ExifEdit {
  /** Written to the Software tag (ASCII; other characters become "?"). */
  software: string;
  /** The written image's size, for the pixel dimension tags when present. */
  width?: number;
  height?: number;
}

/**
 * Rewrites EXIF (TIFF bytes, optionally with the "Exif\0\0" prefix) for an
 * edited image; returns TIFF bytes without the prefix, or null when `exif`
 * cannot be parsed (the caller then drops it rather than write a broken block).
 */
export function editExif(exif: Uint8Array, edit: ExifEdit): Uint8Array | null {
  const tiff = tiffOf(exif);
  if (!tiff) return null;
  const little = tiff[0] === 0x49;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  if (u16(2) !== 42) return null;
  const ifd0 = u32(4);
  if (ifd0 + 2 > tiff.length) return null;
  const count = u16(ifd0);
  if (ifd0 + 2 + count * 12 + 4 > tiff.length) return null;

  const software = new Uint8Array(edit.software.length + 1);
  for (let i = 0; i < edit.software.length; i++) {
    const c = edit.software.charCodeAt(i);
    software[i] = c >= 0x20 && c < 0x7f ? c : 0x3f;
  }
  const entries: { tag: number; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    const at = ifd0 + 2 + i * 12;
    const tag = u16(at);
    if (tag === TAG_SOFTWARE) continue;
    entries.push({ tag, bytes: tiff.slice(at, at + 12) });
  }
  entries.push({ tag: TAG_SOFTWARE, bytes: new Uint8Array(12) });
  entries.sort((a, b) => a.tag - b.tag);

  const ifdAt = align2(tiff.length);
  const ifdBytes = 2 + entries.length * 12 + 4;
  const softwareAt = ifdAt + ifdBytes;
  const total = softwareAt + software.length;
  if (total > MAX_TIFF_BYTES) return editInPlace(tiff, ifd0, count, little);
  const out = new Uint8Array(total);
  out.set(tiff);
  const w = new DataView(out.buffer);
  w.setUint32(4, ifdAt, little);
  w.setUint16(ifdAt, entries.length, little);
  entries.forEach((e, i) => {
    const at = ifdAt + 2 + i * 12;
    if (e.tag === TAG_SOFTWARE) {
      w.setUint16(at, TAG_SOFTWARE, little);
      w.setUint16(at + 2, TYPE_ASCII, little);
      w.setUint32(at + 4, software.length, little);
      w.setUint32(at + 8, softwareAt, little);
    } else {
      out.set(e.bytes, at);
      if (e.tag === TAG_ORIENTATION) setInlineNumber(w, at, 1, little);
    }
  });
  w.setUint32(ifdAt + 2 + entries.length * 12, 0, little);
  out.set(software, softwareAt);

  // The pixel dimensions live in the Exif sub-IFD; patched in place.
  const exifIfd = entries.find((e) => e.tag === TAG_EXIF_IFD);
  if (exifIfd && edit.width && edit.height) {
    const at = new DataView(exifIfd.bytes.buffer).getUint32(8, little);
    if (at + 2 <= tiff.length) {
      const n = w.getUint16(at, little);
      for (let i = 0; i < n && at + 2 + i * 12 + 12 <= tiff.length; i++) {
        const e = at + 2 + i * 12;
        const tag = w.getUint16(e, little);
        if (tag === TAG_PIXEL_X) setInlineNumber(w, e, edit.width, little);
        if (tag === TAG_PIXEL_Y) setInlineNumber(w, e, edit.height, little);
      }
    }
  }
  return out;
}

/**
 * For a block too full to take a new IFD0 (near JPEG's 64 KB segment limit):
 * the same edits that need no room, made in place; Software is left as it was.
 */
function editInPlace(tiff: Uint8Array, ifd0: number, count: number, little: boolean): Uint8Array {
  const out = tiff.slice();
  const w = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const at = ifd0 + 2 + i * 12;
    if (w.getUint16(at, little) === TAG_ORIENTATION) setInlineNumber(w, at, 1, little);
  }
  w.setUint32(ifd0 + 2 + count * 12, 0, little);
  return out;
}

/** Sets a one-value SHORT or LONG entry (stored inline) to `value`. */
function setInlineNumber(w: DataView, entry: number, value: number, little: boolean): void {
  const type = w.getUint16(entry + 2, little);
  if (w.getUint32(entry + 4, little) !== 1) return;
  if (type === TYPE_SHORT && value <= 0xffff) w.setUint16(entry + 8, value, little);
  else if (type === TYPE_LONG) w.setUint32(entry + 8, value, little);
}

function align2(n: number): number {
  return n + (n & 1);
}

/** Reads the Orientation tag (1–8) of an EXIF block; 1 when absent or unreadable. */
export function exifOrientation(exif: Uint8Array): number {
  const tiff = tiffOf(exif);
  if (!tiff) return 1;
  const little = tiff[0] === 0x49;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const ifd0 = view.getUint32(4, little);
  if (ifd0 + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd0, little);
  for (let i = 0; i < count && ifd0 + 2 + i * 12 + 12 <= tiff.length; i++) {
    const at = ifd0 + 2 + i * 12;
    if (view.getUint16(at, little) === TAG_ORIENTATION) {
      const v = view.getUint16(at + 8, little);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** The Software tag of an EXIF block, or null. */
export function exifSoftware(exif: Uint8Array): string | null {
  const tiff = tiffOf(exif);
  if (!tiff) return null;
  const little = tiff[0] === 0x49;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const ifd0 = view.getUint32(4, little);
  if (ifd0 + 2 > tiff.length) return null;
  const count = view.getUint16(ifd0, little);
  for (let i = 0; i < count && ifd0 + 2 + i * 12 + 12 <= tiff.length; i++) {
    const at = ifd0 + 2 + i * 12;
    if (view.getUint16(at, little) !== TAG_SOFTWARE) continue;
    const n = view.getUint32(at + 4, little);
    const start = n <= 4 ? at + 8 : view.getUint32(at + 8, little);
    let s = "";
    for (let k = 0; k < n && start + k < tiff.length && tiff[start + k] !== 0; k++) s += String.fromCharCode(tiff[start + k]);
    return s;
  }
  return null;
}
