/**
 * The working copy a segmenter analyses: the photo box-averaged by an integer
 * factor to about `longSide` pixels, kept as RGB (0–255) and CIE L*a*b*
 * (D65) float planes. Lab makes Euclidean colour distances roughly perceptual,
 * which SLIC and the colour models rely on.
 */
import type { RgbaImage } from "../image.js";

export interface WorkingImage {
  width: number;
  height: number;
  /** Full-resolution pixels per working pixel along each axis. */
  factor: number;
  /** Interleaved RGB, 3 floats per pixel, 0–255. */
  rgb: Float32Array;
  /** Interleaved L*a*b*, 3 floats per pixel. */
  lab: Float32Array;
}

const SRGB_TO_LINEAR = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  const c = v / 255;
  SRGB_TO_LINEAR[v] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > 0.008856451679 ? Math.cbrt(t) : t * 7.787037037 + 16 / 116;
}

/** L*a*b* of a linear-light RGB colour, written to out[o..o+2]. */
function linearToLab(r: number, g: number, b: number, out: Float32Array | Float64Array, o: number): void {
  const fx = labF((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047);
  const fy = labF(0.2126729 * r + 0.7151522 * g + 0.072175 * b);
  const fz = labF((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** L*a*b* of one sRGB colour given as 0–255 floats (linearised without the table). */
export function labOfRgb(r: number, g: number, b: number): [number, number, number] {
  const lin = (v: number): number => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const out = new Float64Array(3);
  linearToLab(lin(r), lin(g), lin(b), out, 0);
  return [out[0], out[1], out[2]];
}

/** L*a*b* of one sRGB colour given as 0–255 integers, written to out[0..2] (no allocation: for per-pixel loops). */
export function labOfBytes(r: number, g: number, b: number, out: Float64Array): void {
  linearToLab(SRGB_TO_LINEAR[r], SRGB_TO_LINEAR[g], SRGB_TO_LINEAR[b], out, 0);
}

/** Box-averages `image` by the smallest integer factor that brings its long side to ≤ `longSide`. */
export function makeWorkingImage(image: RgbaImage, longSide: number): WorkingImage {
  const { width: W, height: H, data } = image;
  const factor = Math.max(1, Math.ceil(Math.max(W, H) / longSide));
  const w = Math.max(1, Math.floor(W / factor));
  const h = Math.max(1, Math.floor(H / factor));
  const n = w * h;
  const lin = new Float32Array(n * 3);
  const rgb = new Float32Array(n * 3);
  const inv = 1 / (factor * factor);
  for (let y = 0; y < h; y++) {
    for (let yy = 0; yy < factor; yy++) {
      const src = (y * factor + yy) * W * 4;
      for (let x = 0; x < w; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        let lr = 0;
        let lg = 0;
        let lb = 0;
        for (let xx = 0, s = src + x * factor * 4; xx < factor; xx++, s += 4) {
          r += data[s];
          g += data[s + 1];
          b += data[s + 2];
          lr += SRGB_TO_LINEAR[data[s]];
          lg += SRGB_TO_LINEAR[data[s + 1]];
          lb += SRGB_TO_LINEAR[data[s + 2]];
        }
        const o = (y * w + x) * 3;
        rgb[o] += r * inv;
        rgb[o + 1] += g * inv;
        rgb[o + 2] += b * inv;
        lin[o] += lr * inv;
        lin[o + 1] += lg * inv;
        lin[o + 2] += lb * inv;
      }
    }
  }
  const lab = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i += 3) linearToLab(lin[i], lin[i + 1], lin[i + 2], lab, i);
  return { width: w, height: h, factor, rgb, lab };
}
