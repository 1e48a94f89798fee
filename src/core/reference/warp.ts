/**
 * Resampling the reference photo into the target's pixel grid through a
 * homography, with Catmull-Rom bicubic interpolation so the reference's fine
 * detail survives a sub-pixel shift. When the homography shrinks the
 * reference by 2× or more around the hole, the reference is first
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
 * `shrinks` keeps the reference's box-averaged copies between calls.
 */
export function warpReference(
  reference: RgbaImage,
  h: Homography,
  rect: Rect,
  needed?: Uint8Array,
  displace?: (x: number, y: number, out: Float64Array) => void,
  shrinks?: ShrunkReferences,
): WarpedReference {
  const sampler = new Sampler(reference, h, rect, displace, shrinks);
  const n = rect.width * rect.height;
  const rgb = new Float32Array(n * 3);
  const valid = new Uint8Array(n);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const i = y * rect.width + x;
      if (needed && !needed[i]) continue;
      valid[i] = sampler.sample(x, y, rgb, i * 3);
    }
  }
  return { rect, rgb, valid };
}

/** The reference at a list of the rect's pixels: entry k is pixel `points[k]` (row-major in `rect`). */
export interface SparseWarp {
  /** Interleaved RGB floats, 0–255, one triple per point. */
  rgb: Float32Array;
  /** 1 where the reference covers the point. */
  valid: Uint8Array;
}

/**
 * `warpReference` at `points` alone (indices into `rect`, row-major), each
 * value exactly as the dense warp gives it: scoring a pose on a sparse ring
 * lattice then costs the lattice, not planes the size of the crop (a 12 MP
 * photo's object hole: a 1.7 MP crop, four candidates).
 */
export function warpReferenceAt(
  reference: RgbaImage,
  h: Homography,
  rect: Rect,
  points: Int32Array,
  displace?: (x: number, y: number, out: Float64Array) => void,
  shrinks?: ShrunkReferences,
): SparseWarp {
  const sampler = new Sampler(reference, h, rect, displace, shrinks);
  const rgb = new Float32Array(points.length * 3);
  const valid = new Uint8Array(points.length);
  const w = rect.width;
  for (let k = 0; k < points.length; k++) {
    const i = points[k];
    const x = i % w;
    valid[k] = sampler.sample(x, (i - x) / w, rgb, k * 3);
  }
  return { rgb, valid };
}

/**
 * Catmull-Rom bicubic samples of the reference through a homography, for the
 * pixels of one rect of the target. When the homography shrinks the
 * reference by 2× or more around the rect's centre, it samples the reference
 * box-averaged by that integer factor (`shrinkCells`), so the copy does not alias.
 */
class Sampler {
  private readonly src: RgbaImage;
  private readonly map: Homography;
  private readonly pt = new Float64Array(2);
  private readonly shift = new Float64Array(2);
  private readonly wx = new Float64Array(4);
  private readonly wy = new Float64Array(4);

  constructor(
    reference: RgbaImage,
    h: Homography,
    private readonly rect: Rect,
    private readonly displace?: (x: number, y: number, out: Float64Array) => void,
    shrinks?: ShrunkReferences,
  ) {
    const factor = Math.floor(localScale(h, rect.x + rect.width / 2, rect.y + rect.height / 2));
    this.map = factor >= 2 ? compose(scaling(1 / factor, 0.5 / factor - 0.5), h) : h;
    if (factor < 2) {
      this.src = reference;
      return;
    }
    const cache = shrinks ?? new Map();
    let shrunk = cache.get(factor);
    if (shrunk === undefined) {
      shrunk = emptyShrink(reference, factor);
      cache.set(factor, shrunk);
    }
    // Only the cells the samples can read are averaged (without a flow: the rect's corners bound where it lands).
    const reach = displace ? null : cellsReached(this.map, rect, shrunk.image.width, shrunk.image.height);
    shrinkCells(reference, shrunk, reach ?? { x0: 0, y0: 0, x1: shrunk.image.width, y1: shrunk.image.height });
    this.src = shrunk.image;
  }

  /** Writes the rect's pixel (x, y) into `rgb` at `o` and returns 1, or returns 0 where the reference does not cover it. */
  sample(x: number, y: number, rgb: Float32Array, o: number): number {
    const { width: W, height: H, data } = this.src;
    const { pt, shift, wx, wy } = this;
    if (this.displace) this.displace(x, y, shift);
    if (!project(this.map, this.rect.x + x + shift[0], this.rect.y + y + shift[1], pt)) return 0;
    const u = pt[0];
    const v = pt[1];
    if (u < -0.5 || v < -0.5 || u > W - 0.5 || v > H - 0.5) return 0;
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
    rgb[o] = r < 0 ? 0 : r > 255 ? 255 : r;
    rgb[o + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
    rgb[o + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
    return 1;
  }
}

/**
 * One reference's box-averaged copies by factor, for the warps of one
 * alignment (a pose's candidates, checks and fill each warp it: without
 * them the whole 12 MP reference was averaged again every time). The
 * reference's pixels must not change while it is used.
 */
export type ShrunkReferences = Map<number, ShrunkReference>;

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

/** Cells [x0, x1) × [y0, y1) of a box-averaged image. */
interface Cells {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The cells a Catmull-Rom sample of each pixel of `rect` through `map` can read, or null when that is not known. */
function cellsReached(map: Homography, rect: Rect, w: number, h: number): Cells | null {
  // The map's denominator is affine: positive at the rect's four corners, it is positive all over, and the rect
  // lands inside the quadrilateral of the corners' images.
  const pt = new Float64Array(2);
  let u0 = Number.POSITIVE_INFINITY;
  let v0 = Number.POSITIVE_INFINITY;
  let u1 = Number.NEGATIVE_INFINITY;
  let v1 = Number.NEGATIVE_INFINITY;
  for (const [x, y] of [
    [rect.x, rect.y],
    [rect.x + rect.width - 1, rect.y],
    [rect.x, rect.y + rect.height - 1],
    [rect.x + rect.width - 1, rect.y + rect.height - 1],
  ]) {
    if (!project(map, x, y, pt)) return null;
    u0 = Math.min(u0, pt[0]);
    v0 = Math.min(v0, pt[1]);
    u1 = Math.max(u1, pt[0]);
    v1 = Math.max(v1, pt[1]);
  }
  // A sample at u reads cells ⌊u⌋ − 1 … ⌊u⌋ + 2, clamped to the image (one more cell each way for rounding).
  const clampX = (x: number) => Math.min(w, Math.max(0, x));
  const clampY = (y: number) => Math.min(h, Math.max(0, y));
  return {
    x0: clampX(Math.floor(u0) - 2),
    y0: clampY(Math.floor(v0) - 2),
    x1: clampX(Math.floor(u1) + 4),
    y1: clampY(Math.floor(v1) + 4),
  };
}

/** A reference box-averaged by `factor`, with the cells averaged so far (`done`; the rest are 0 and never read). */
export interface ShrunkReference {
  image: RgbaImage;
  factor: number;
  done: Cells;
}

function emptyShrink(image: RgbaImage, f: number): ShrunkReference {
  const w = Math.max(1, Math.floor(image.width / f));
  const h = Math.max(1, Math.floor(image.height / f));
  return { image: { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }, factor: f, done: { x0: 0, y0: 0, x1: 0, y1: 0 } };
}

/**
 * Averages the cells of `want` that `shrunk` lacks: it then holds the
 * bounding box of what it held and `want`. Each cell sums its f × f pixels
 * row by row, as the whole image's average does, so a cell's value does not
 * depend on which others were averaged.
 */
function shrinkCells(image: RgbaImage, shrunk: ShrunkReference, want: Cells): void {
  const { done } = shrunk;
  if (want.x0 >= want.x1 || want.y0 >= want.y1) return;
  if (want.x0 >= done.x0 && want.y0 >= done.y0 && want.x1 <= done.x1 && want.y1 <= done.y1) return;
  const had = done.x0 < done.x1 && done.y0 < done.y1;
  const x0 = had ? Math.min(done.x0, want.x0) : want.x0;
  const y0 = had ? Math.min(done.y0, want.y0) : want.y0;
  const x1 = had ? Math.max(done.x1, want.x1) : want.x1;
  const y1 = had ? Math.max(done.y1, want.y1) : want.y1;
  const f = shrunk.factor;
  const { width: w, data: out } = shrunk.image;
  const acc = new Float64Array((x1 - x0) * 4);
  const inv = 1 / (f * f);
  for (let y = y0; y < y1; y++) {
    acc.fill(0);
    for (let yy = 0; yy < f; yy++) {
      let p = ((y * f + yy) * image.width + x0 * f) * 4;
      for (let x = 0; x < x1 - x0; x++) {
        for (let xx = 0; xx < f; xx++, p += 4) {
          acc[x * 4] += image.data[p];
          acc[x * 4 + 1] += image.data[p + 1];
          acc[x * 4 + 2] += image.data[p + 2];
          acc[x * 4 + 3] += image.data[p + 3];
        }
      }
    }
    const row = (y * w + x0) * 4;
    for (let k = 0; k < (x1 - x0) * 4; k++) out[row + k] = acc[k] * inv;
  }
  shrunk.done = { x0, y0, x1, y1 };
}
