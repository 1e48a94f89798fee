/**
 * An RGBA image shrunk by a whole factor with a box filter (each output pixel
 * the mean of an f×f block; the right and bottom remainders are dropped), so
 * that output pixel (x, y) covers exactly input pixels [x·f, x·f + f) ×
 * [y·f, y·f + f): coordinates map by a plain division.
 */
import type { RgbaImage } from "./image.js";

export function boxReduce(image: RgbaImage, factor: number): RgbaImage {
  const { width: W, data } = image;
  const f = Math.max(1, Math.min(Math.floor(factor), W, image.height));
  const w = Math.max(1, Math.floor(W / f));
  const h = Math.max(1, Math.floor(image.height / f));
  const out = new Uint8ClampedArray(w * h * 4);
  const sums = new Uint32Array(w * 4);
  const area = f * f;
  const half = area >> 1;
  for (let y = 0; y < h; y++) {
    sums.fill(0);
    for (let yy = 0; yy < f; yy++) {
      let s = (y * f + yy) * W * 4;
      for (let x = 0; x < w; x++) {
        const o = x * 4;
        for (let xx = 0; xx < f; xx++, s += 4) {
          sums[o] += data[s];
          sums[o + 1] += data[s + 1];
          sums[o + 2] += data[s + 2];
          sums[o + 3] += data[s + 3];
        }
      }
    }
    const row = y * w * 4;
    for (let i = 0; i < w * 4; i++) out[row + i] = ((sums[i] + half) / area) | 0;
  }
  return { width: w, height: h, data: out };
}
