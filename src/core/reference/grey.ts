/**
 * Greyscale float planes for geometric alignment: an integer box-downsampled
 * luma copy of a photo, separable Gaussian blur, and bilinear sampling.
 * Luma is Rec. 601 (0.299 R + 0.587 G + 0.114 B) in 0–255.
 */
import type { Rect, RgbaImage } from "../image.js";
import { blurInWasm, lumaInWasm } from "./wasm/align.js";

/** One float value per pixel, rows packed. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** A luma copy of a photo, downsampled by an integer factor. */
export interface WorkingGrey extends GreyImage {
  /** Full-resolution pixels per working pixel: full = (working + ½)·factor − ½. */
  factor: number;
}

/**
 * Luma of `image`, box-averaged by the smallest integer factor that brings
 * the long side to ≤ `longSide`; in WebAssembly where it runs (the same
 * bytes) unless `kernel` is false.
 */
export function workingGrey(image: RgbaImage, longSide: number, kernel = true): WorkingGrey {
  const factor = Math.max(1, Math.ceil(Math.max(image.width, image.height) / longSide));
  const w = Math.max(1, Math.floor(image.width / factor));
  const h = Math.max(1, Math.floor(image.height / factor));
  const copied = kernel ? lumaInWasm(image, factor, w, h) : null;
  if (copied) return { width: w, height: h, data: copied, factor };
  const out = new Float32Array(w * h);
  const src = image.data;
  const inv = 1 / (factor * factor);
  for (let y = 0; y < h; y++) {
    for (let yy = 0; yy < factor; yy++) {
      let p = (y * factor + yy) * image.width * 4;
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let xx = 0; xx < factor; xx++, p += 4) sum += 0.299 * src[p] + 0.587 * src[p + 1] + 0.114 * src[p + 2];
        out[y * w + x] += sum * inv;
      }
    }
  }
  return { width: w, height: h, data: out, factor };
}

/**
 * Downsamples a hole plane by an integer factor: a working pixel is hole if
 * any of its pixels is. Only the rows and columns of `bounds` (the hole's
 * bounding box, when known) are read: at 12 MP the whole plane costs more
 * than the rest of the downsampling.
 */
export function workingHole(mask: Uint8Array, width: number, factor: number, w: number, h: number, bounds?: Rect): Uint8Array {
  const out = new Uint8Array(w * h);
  const x0 = bounds ? bounds.x : 0;
  const y0 = bounds ? bounds.y : 0;
  const x1 = Math.min(w * factor, bounds ? bounds.x + bounds.width : w * factor);
  const y1 = Math.min(h * factor, bounds ? bounds.y + bounds.height : h * factor);
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    const orow = Math.floor(y / factor) * w;
    for (let x = x0; x < x1; x++) if (mask[row + x] !== 0) out[orow + Math.floor(x / factor)] = 1;
  }
  return out;
}

/**
 * Separable Gaussian blur with clamped edges, truncated at `extent`·σ;
 * returns a new plane. With `rect`, only that rectangle is computed (the
 * rest is left 0), exactly as the whole plane would have it there. In
 * WebAssembly where it runs (the same bytes) unless `kernel` is false.
 */
export function gaussianBlur(img: GreyImage, sigma: number, extent = 3, rect?: Rect, kernel = true): GreyImage {
  const { width: w, height: h } = img;
  if (sigma <= 0) return { width: w, height: h, data: new Float32Array(img.data) };
  const { k, r } = gaussianKernel(sigma, extent);
  const x0 = rect ? Math.max(0, rect.x) : 0;
  const y0 = rect ? Math.max(0, rect.y) : 0;
  const x1 = rect ? Math.min(w, rect.x + rect.width) : w;
  const y1 = rect ? Math.min(h, rect.y + rect.height) : h;
  const out = new Float32Array(w * h);
  if (x1 <= x0 || y1 <= y0) return { width: w, height: h, data: out };
  if (kernel && blurInWasm(img.data, w, h, k, r, y0, y1, x0, x1, out)) return { width: w, height: h, data: out };
  const tmp = new Float32Array(w * h);
  convolveRows(img.data, tmp, w, k, r, Math.max(0, y0 - r), Math.min(h, y1 + r), x0, x1);
  convolveColumns(tmp, out, w, h, k, r, y0, y1, x0, x1);
  return { width: w, height: h, data: out };
}

/** The normalised taps of a Gaussian of `sigma` truncated at `extent`·σ (radius at least 1). */
export function gaussianKernel(sigma: number, extent = 3): { k: Float32Array; r: number } {
  const r = Math.max(1, Math.ceil(extent * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return { k, r };
}

/**
 * The whole-plane blur of `gaussianBlur` into caller-owned planes (`tmp` and
 * `out` at least w·h long), so a pyramid reuses one pair for every level.
 */
export function gaussianBlurInto(
  src: Float32Array,
  w: number,
  h: number,
  k: Float32Array,
  r: number,
  tmp: Float32Array,
  out: Float32Array,
): void {
  convolveRows(src, tmp, w, k, r, 0, h, 0, w);
  convolveColumns(tmp, out, w, h, k, r, 0, h, 0, w);
}

/** Horizontal pass over rows [ya, yb) and columns [xa, xb), summed in doubles; the clamped-edge branches run only near the left and right borders. */
function convolveRows(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  k: Float32Array,
  r: number,
  ya: number,
  yb: number,
  xa: number,
  xb: number,
): void {
  // Columns split into the clamped borders and the interior, whose 7-tap sum is unrolled (in the loop's order).
  const left = Math.min(xb, Math.max(xa, r));
  const right = Math.max(left, Math.min(xb, w - r));
  const [k0, k1, k2, k3, k4, k5, k6] = r === 3 ? k : [0, 0, 0, 0, 0, 0, 0];
  for (let y = ya; y < yb; y++) {
    const row = y * w;
    for (let x = xa; x < left; x++) dst[row + x] = clampedTaps(src, row, w, k, r, x);
    if (r === 3) {
      for (let x = left, p = row + left; x < right; x++, p++) {
        dst[p] = k0 * src[p - 3] + k1 * src[p - 2] + k2 * src[p - 1] + k3 * src[p] + k4 * src[p + 1] + k5 * src[p + 2] + k6 * src[p + 3];
      }
    } else {
      for (let x = left; x < right; x++) {
        let acc = 0;
        for (let i = -r, p = row + x - r; i <= r; i++, p++) acc += k[i + r] * src[p];
        dst[row + x] = acc;
      }
    }
    for (let x = right; x < xb; x++) dst[row + x] = clampedTaps(src, row, w, k, r, x);
  }
}

function clampedTaps(src: Float32Array, row: number, w: number, k: Float32Array, r: number, x: number): number {
  let acc = 0;
  for (let i = -r; i <= r; i++) {
    const xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
    acc += k[i + r] * src[row + xx];
  }
  return acc;
}

/**
 * Vertical pass over rows [ya, yb) and columns [xa, xb), accumulated row by
 * row so memory is read in order, each tap's sum rounded to 32 bits. The
 * 7-tap kernel (σ ≤ 1: the feature pyramid, the refinement's fine level)
 * is unrolled and summed in a local, the same roundings without the
 * plane's read-modify-write.
 */
function convolveColumns(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  h: number,
  k: Float32Array,
  r: number,
  ya: number,
  yb: number,
  xa: number,
  xb: number,
): void {
  if (r === 3) {
    convolveColumns7(src, dst, w, h, k, ya, yb, xa, xb);
    return;
  }
  for (let y = ya; y < yb; y++) {
    const row = y * w;
    for (let i = -r; i <= r; i++) {
      const yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
      const weight = k[i + r];
      const srow = yy * w;
      if (i === -r) for (let x = xa; x < xb; x++) dst[row + x] = weight * src[srow + x];
      else for (let x = xa; x < xb; x++) dst[row + x] += weight * src[srow + x];
    }
  }
}

function convolveColumns7(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  h: number,
  k: Float32Array,
  ya: number,
  yb: number,
  xa: number,
  xb: number,
): void {
  const [k0, k1, k2, k3, k4, k5, k6] = k;
  const f32 = Math.fround;
  const clampedRow = (y: number) => (y < 0 ? 0 : y >= h ? h - 1 : y) * w;
  for (let y = ya; y < yb; y++) {
    const r0 = clampedRow(y - 3);
    const r1 = clampedRow(y - 2);
    const r2 = clampedRow(y - 1);
    const r3 = y * w;
    const r4 = clampedRow(y + 1);
    const r5 = clampedRow(y + 2);
    const r6 = clampedRow(y + 3);
    for (let x = xa; x < xb; x++) {
      let acc = f32(k0 * src[r0 + x]);
      acc = f32(acc + k1 * src[r1 + x]);
      acc = f32(acc + k2 * src[r2 + x]);
      acc = f32(acc + k3 * src[r3 + x]);
      acc = f32(acc + k4 * src[r4 + x]);
      acc = f32(acc + k5 * src[r5 + x]);
      dst[r3 + x] = acc + k6 * src[r6 + x];
    }
  }
}

/** Bilinear sample with clamped edges. */
export function sampleBilinear(img: GreyImage, x: number, y: number): number {
  const { width: w, height: h, data } = img;
  const cx = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  const cy = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = Math.min(w - 2, Math.floor(cx));
  const y0 = Math.min(h - 2, Math.floor(cy));
  if (x0 < 0 || y0 < 0) return data[Math.round(cy) * w + Math.round(cx)];
  const fx = cx - x0;
  const fy = cy - y0;
  const p = y0 * w + x0;
  const top = data[p] + fx * (data[p + 1] - data[p]);
  const bottom = data[p + w] + fx * (data[p + w + 1] - data[p + w]);
  return top + fy * (bottom - top);
}

/**
 * Zero-mean normalised correlation from running sums of n sample pairs (a, b):
 * Σa, Σb, Σa², Σb², Σab. −1 where fewer than 64 pairs or either side is flat.
 */
export function correlationFromSums(n: number, sa: number, sb: number, saa: number, sbb: number, sab: number): number {
  if (n < 64) return -1;
  const va = saa / n - (sa / n) ** 2;
  const vb = sbb / n - (sb / n) ** 2;
  if (va < 1e-6 || vb < 1e-6) return -1;
  return (sab / n - (sa / n) * (sb / n)) / Math.sqrt(va * vb);
}
