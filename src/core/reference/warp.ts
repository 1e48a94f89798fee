/**
 * Resampling the reference photo into the target's pixel grid through a
 * homography, with Catmull-Rom bicubic interpolation so the reference's fine
 * detail survives a sub-pixel shift. When the homography shrinks the
 * reference by more than 1.5× around the hole, the reference is first
 * box-averaged by the integer part of that factor, so the copy does not alias.
 */
import type { Rect, RgbaImage } from "../image.js";
import { compose, type Homography, project, scaling } from "./homography.js";

/** The reference seen from the target, over one rectangle of the target. */
export interface WarpedReference {
  rect: Rect;
  /** Interleaved RGB floats, 0–255, rect.width × rect.height. */
  rgb: Float32Array;
  /** 1 where the reference covers the pixel. */
  valid: Uint8Array;
}

/**
 * Samples `reference` at h(x, y) for every pixel (x, y) of `rect` (only where
 * `needed` is set, when given). With `displace`, at h(x + dx, y + dy) where
 * displace(x, y) gives (dx, dy) for the rect's pixel (x, y): a residual flow.
 */
export function warpReference(
  reference: RgbaImage,
  h: Homography,
  rect: Rect,
  needed?: Uint8Array,
  displace?: (x: number, y: number, out: Float64Array) => void,
): WarpedReference {
  const factor = Math.floor(localScale(h, rect.x + rect.width / 2, rect.y + rect.height / 2));
  let src = reference;
  let map = h;
  if (factor >= 2) {
    src = boxShrink(reference, factor);
    map = compose(scaling(1 / factor, 0.5 / factor - 0.5), h);
  }
  const { width: W, height: H, data } = src;
  const n = rect.width * rect.height;
  const rgb = new Float32Array(n * 3);
  const valid = new Uint8Array(n);
  const pt = new Float64Array(2);
  const shift = new Float64Array(2);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const i = y * rect.width + x;
      if (needed && !needed[i]) continue;
      if (displace) displace(x, y, shift);
      if (!project(map, rect.x + x + shift[0], rect.y + y + shift[1], pt)) continue;
      const u = pt[0];
      const v = pt[1];
      if (u < -0.5 || v < -0.5 || u > W - 0.5 || v > H - 0.5) continue;
      valid[i] = 1;
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      catmullRom(u - u0, wx);
      catmullRom(v - v0, wy);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < 4; j++) {
        const yy = Math.min(H - 1, Math.max(0, v0 - 1 + j));
        const row = yy * W;
        for (let k = 0; k < 4; k++) {
          const xx = Math.min(W - 1, Math.max(0, u0 - 1 + k));
          const w = wy[j] * wx[k];
          const p = (row + xx) * 4;
          r += w * data[p];
          g += w * data[p + 1];
          b += w * data[p + 2];
        }
      }
      rgb[i * 3] = r < 0 ? 0 : r > 255 ? 255 : r;
      rgb[i * 3 + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
      rgb[i * 3 + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
  }
  return { rect, rgb, valid };
}

/** Reference pixels per target pixel around (x, y): √|det J| of the homography. */
export function localScale(h: Homography, x: number, y: number): number {
  const a = new Float64Array(2);
  const b = new Float64Array(2);
  const c = new Float64Array(2);
  if (!project(h, x, y, a) || !project(h, x + 1, y, b) || !project(h, x, y + 1, c)) return 1;
  return Math.sqrt(Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])));
}

function catmullRom(t: number, w: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = 0.5 * (-t3 + 2 * t2 - t);
  w[1] = 0.5 * (3 * t3 - 5 * t2 + 2);
  w[2] = 0.5 * (-3 * t3 + 4 * t2 + t);
  w[3] = 0.5 * (t3 - t2);
}

function boxShrink(image: RgbaImage, f: number): RgbaImage {
  const w = Math.max(1, Math.floor(image.width / f));
  const h = Math.max(1, Math.floor(image.height / f));
  const out = new Uint8ClampedArray(w * h * 4);
  const acc = new Float64Array(w * 4);
  const inv = 1 / (f * f);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let yy = 0; yy < f; yy++) {
      let p = (y * f + yy) * image.width * 4;
      for (let x = 0; x < w; x++) {
        for (let xx = 0; xx < f; xx++, p += 4) {
          acc[x * 4] += image.data[p];
          acc[x * 4 + 1] += image.data[p + 1];
          acc[x * 4 + 2] += image.data[p + 2];
          acc[x * 4 + 3] += image.data[p + 3];
        }
      }
    }
    for (let k = 0; k < w * 4; k++) out[y * w * 4 + k] = acc[k] * inv;
  }
  return { width: w, height: h, data: out };
}
