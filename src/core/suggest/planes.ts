/**
 * The small copy of the photo that the detectors read: box-averaged by an
 * integer factor (every photo pixel counts once, so nothing aliases), kept
 * as three float planes, and resampled bilinearly into each network's input
 * tensor with that network's channel order and normalisation.
 */
import type { RgbaImage } from "../image.js";

export interface RgbPlanes {
  width: number;
  height: number;
  /** Photo pixels per plane pixel along each axis. */
  factor: number;
  r: Float32Array;
  g: Float32Array;
  b: Float32Array;
}

/** The planes as an RGBA image (rounded, opaque), for a step that reads bytes (the segmenter). */
export function planesToRgba(planes: RgbPlanes): RgbaImage {
  const { width, height, r, g, b } = planes;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, p = 0; i < r.length; i++, p += 4) {
    data[p] = r[i];
    data[p + 1] = g[i];
    data[p + 2] = b[i];
    data[p + 3] = 255;
  }
  return { width, height, data };
}

/** The size of the copy `shrinkToPlanes` makes of a width × height picture: shrunk by the smallest integer factor that brings its long side to ≤ `longSide`. */
export function shrunkSize(width: number, height: number, longSide: number): { width: number; height: number; factor: number } {
  const factor = Math.max(1, Math.ceil(Math.max(width, height) / longSide));
  return { width: Math.max(1, Math.floor(width / factor)), height: Math.max(1, Math.floor(height / factor)), factor };
}

/** Box-averages `image` by the smallest integer factor that brings its long side to ≤ `longSide`. */
export function shrinkToPlanes(image: RgbaImage, longSide: number): RgbPlanes {
  const { width: W, height: H, data } = image;
  const { width: w, height: h, factor } = shrunkSize(W, H, longSide);
  const r = new Float32Array(w * h);
  const g = new Float32Array(w * h);
  const b = new Float32Array(w * h);
  const rowR = new Float64Array(w);
  const rowG = new Float64Array(w);
  const rowB = new Float64Array(w);
  const inv = 1 / (factor * factor);
  for (let y = 0; y < h; y++) {
    rowR.fill(0);
    rowG.fill(0);
    rowB.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      let p = (y * factor + dy) * W * 4;
      for (let x = 0; x < w; x++) {
        let sr = 0;
        let sg = 0;
        let sb = 0;
        for (let dx = 0; dx < factor; dx++, p += 4) {
          sr += data[p];
          sg += data[p + 1];
          sb += data[p + 2];
        }
        rowR[x] += sr;
        rowG[x] += sg;
        rowB[x] += sb;
      }
    }
    const o = y * w;
    for (let x = 0; x < w; x++) {
      r[o + x] = rowR[x] * inv;
      g[o + x] = rowG[x] * inv;
      b[o + x] = rowB[x] * inv;
    }
  }
  return { width: w, height: h, factor, r, g, b };
}

export interface TensorLayout {
  /** Tensor width and height. */
  width: number;
  height: number;
  /** The picture's size inside the tensor (placed top-left; the rest is padding, 0 after normalisation). */
  contentWidth: number;
  contentHeight: number;
  /** Channel order of the network. */
  order: "rgb" | "bgr";
  /** Per-channel mean and standard deviation in the network's channel order, on the 0–255 scale. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The planes resampled bilinearly into a [3, height, width] normalised tensor. */
export function planesToTensor(planes: RgbPlanes, layout: TensorLayout): Float32Array {
  const { width: tw, height: th, contentWidth: cw, contentHeight: ch } = layout;
  const out = new Float32Array(3 * tw * th);
  const channels = layout.order === "rgb" ? [planes.r, planes.g, planes.b] : [planes.b, planes.g, planes.r];
  const { width: w, height: h } = planes;
  const sx = w / cw;
  const sy = h / ch;
  const x0s = new Int32Array(cw);
  const x1s = new Int32Array(cw);
  const fxs = new Float32Array(cw);
  for (let x = 0; x < cw; x++) {
    const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(w - 1, x0s[x] + 1);
    fxs[x] = fx - x0s[x];
  }
  for (let c = 0; c < 3; c++) {
    const src = channels[c];
    const mean = layout.mean[c];
    const inv = 1 / layout.std[c];
    const plane = c * tw * th;
    for (let y = 0; y < ch; y++) {
      const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(h - 1, y0 + 1);
      const wy = fy - y0;
      const r0 = y0 * w;
      const r1 = y1 * w;
      const o = plane + y * tw;
      for (let x = 0; x < cw; x++) {
        const a = x0s[x];
        const b = x1s[x];
        const wx = fxs[x];
        const top = src[r0 + a] + (src[r0 + b] - src[r0 + a]) * wx;
        const bottom = src[r1 + a] + (src[r1 + b] - src[r1 + a]) * wx;
        out[o + x] = (top + (bottom - top) * wy - mean) * inv;
      }
    }
  }
  return out;
}
