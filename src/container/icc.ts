/**
 * ICC profile headers (ICC.1:2010 §7): the profile's colour space and its
 * description, enough to tell which of the browser's canvas colour spaces
 * (sRGB, Display P3) a photo's samples are in.
 */

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
}

/** The profile's description ('desc' tag, v2 text or v4 multi-localised), or "". */
export function iccDescription(icc: Uint8Array): string {
  if (icc.length < 132) return "";
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  const count = view.getUint32(128);
  for (let i = 0; i < count && 132 + i * 12 + 12 <= icc.length; i++) {
    const at = 132 + i * 12;
    if (fourcc(icc, at) !== "desc") continue;
    const offset = view.getUint32(at + 4);
    const size = view.getUint32(at + 8);
    if (offset + size > icc.length || size < 12) return "";
    const type = fourcc(icc, offset);
    if (type === "desc") {
      const n = view.getUint32(offset + 8);
      let s = "";
      for (let k = 0; k < n && offset + 12 + k < offset + size && icc[offset + 12 + k] !== 0; k++)
        s += String.fromCharCode(icc[offset + 12 + k]);
      return s;
    }
    if (type === "mluc" && size >= 28) {
      const length = view.getUint32(offset + 20);
      const start = offset + view.getUint32(offset + 24);
      let s = "";
      for (let k = 0; k + 1 < length && start + k + 1 < icc.length; k += 2) s += String.fromCharCode(view.getUint16(start + k));
      return s;
    }
    return "";
  }
  return "";
}

/** The canvas colour space a profile's samples can be shown in: Display P3, or sRGB for everything else. */
export function canvasColorSpace(icc: Uint8Array | undefined): "srgb" | "display-p3" {
  if (!icc || icc.length < 20 || fourcc(icc, 16) !== "RGB ") return "srgb";
  return /P3/.test(iccDescription(icc)) ? "display-p3" : "srgb";
}
