/**
 * Attention upscaling (RETHINED §3.3, after Contextual Residual Aggregation,
 * Yi et al. 2020): full-resolution detail is a weighted copy, never a search.
 *
 * For a hole pixel x of the full-resolution crop (scale s to the low-res grid):
 *   out(x) = up(LR_fill)(x) + Σ_j a_j(x) · HF(x + s·o_j),   HF = I − up(down(I))
 * where up is the bilinear upsampler and down the anti-aliased downsampler of
 * `resample.ts`, so HF is the band that the low-res stage cannot hold (the
 * Laplacian-pyramid high band: p − G∗p with G matched to the downsampling).
 * The weights a_j(x) are the token attention of the four tokens around x,
 * blended bilinearly by distance to their centres: inside a coherent region
 * all four agree and the copy is exact; across token borders the blend hides
 * the seam (the paper's coherence filter). Sources that fall on hole pixels or
 * outside the crop are skipped and the remaining weights renormalised so that
 * the blended detail keeps the amplitude of one source (see MAX_BLEND_GAIN).
 *
 * Composite: pixels outside the mask are never written. Inside a band of b
 * pixels along the hole's edge the fill is corrected by the mismatch measured
 * just outside (known value − fill evaluated there), fading linearly to zero,
 * so that neither brightness nor texture phase jumps at the boundary.
 */

import type { Rect, RgbaImage } from "../image.js";
import type { Attention } from "./attention.js";
import { type AxisTable, bilinearAxis, type FloatImage } from "./resample.js";
import { createUpscaleKernel, type UpscaleKernel } from "./wasm/detail-transfer.js";
import { seamLevelsInWasm } from "./wasm/seam.js";

export interface UpscaleInput {
  source: RgbaImage;
  /** Full-image hole plane, non-zero = hole. */
  mask: Uint8Array;
  crop: Rect;
  scale: number;
  lowRes: FloatImage;
  attention: Attention;
  /** Bounding box of the hole, in crop coordinates. */
  holeRect: Rect;
  /** Width in pixels of the seam band inside the hole's edge. */
  seamWidth: number;
  /** Called with the fraction of the hole's rows done, now and then. */
  progress?: (fraction: number) => void;
  /**
   * Optional: polled between runs of rows; once it returns true the caller throws this upscaling away, so it
   * may stop and leave the output as it was (`upscaleInto` in WebAssembly writes nothing then).
   */
  stop?: () => boolean;
}

/** The fill at a crop pixel: `DetailTransfer`, or the same in WebAssembly (`UpscaleKernel`). */
export interface PixelFill {
  /** Writes the fill at crop pixel (x, y) into `res` (C values); returns the attention weight used (0: no hole token near). */
  at(x: number, y: number, res: Float32Array): number;
}

/** Evaluates base + attention-weighted high frequencies at any crop pixel. */
export class DetailTransfer implements PixelFill {
  private readonly ax: AxisTable;
  private readonly ay: AxisTable;
  private readonly offX = new Int32Array(64);
  private readonly offY = new Int32Array(64);
  private readonly offW = new Float32Array(64);
  private readonly src: Uint8ClampedArray;
  private readonly lr: Float32Array;
  private readonly lw: number;
  private readonly lh: number;
  private readonly C: number;
  private readonly tokenCentre: number;
  /** The token and blend fractions whose merged offsets `offX`/`offY`/`offW` hold (`mergedN` of them). */
  private mergedTi = Number.NaN;
  private mergedTj = Number.NaN;
  private mergedFi = Number.NaN;
  private mergedFj = Number.NaN;
  private mergedN = 0;

  constructor(private readonly input: UpscaleInput) {
    const { crop, scale, lowRes } = input;
    this.ax = bilinearAxis(crop.width, lowRes.width, scale);
    this.ay = bilinearAxis(crop.height, lowRes.height, scale);
    this.src = input.source.data;
    this.lr = lowRes.data;
    this.lw = lowRes.width;
    this.lh = lowRes.height;
    this.C = lowRes.channels;
    this.tokenCentre = (input.attention.patch - 1) / 2;
  }

  /**
   * Writes the fill at crop pixel (x, y) into `res` (C values) and returns the
   * total attention weight used (0 when no hole token is near).
   */
  at(x: number, y: number, res: Float32Array): number {
    const { crop, scale: s, mask, attention: att } = this.input;
    const { ax, ay, lr, lw, lh, C, src, offX, offY, offW } = this;
    const x0 = ax.lo[x];
    const x1 = ax.hi[x];
    const fx = ax.frac[x];
    const y0 = ay.lo[y];
    const y1 = ay.hi[y];
    const fy = ay.frac[y];
    const w00 = (1 - fx) * (1 - fy);
    const w10 = fx * (1 - fy);
    const w01 = (1 - fx) * fy;
    const w11 = fx * fy;
    for (let c = 0; c < C; c++) {
      res[c] =
        w00 * lr[(y0 * lw + x0) * C + c] +
        w10 * lr[(y0 * lw + x1) * C + c] +
        w01 * lr[(y1 * lw + x0) * C + c] +
        w11 * lr[(y1 * lw + x1) * C + c];
    }

    const P = att.patch;
    let tu = ((x + 0.5) / s - 0.5 - this.tokenCentre) / P;
    let tv = ((y + 0.5) / s - 0.5 - this.tokenCentre) / P;
    if (tu < 0) tu = 0;
    if (tv < 0) tv = 0;
    let ti = Math.floor(tu);
    let tj = Math.floor(tv);
    let fi = sharpen(tu - ti);
    let fj = sharpen(tv - tj);
    if (ti >= att.cols - 1) {
      ti = att.cols - 1;
      fi = 0;
    }
    if (tj >= att.rows - 1) {
      tj = att.rows - 1;
      fj = 0;
    }
    // The merged offsets depend on the token and the two blend fractions only: inside a token, away from its
    // blend band, a whole run of pixels shares them, so the last merge is kept.
    let n = this.mergedN;
    if (ti !== this.mergedTi || tj !== this.mergedTj || fi !== this.mergedFi || fj !== this.mergedFj) {
      n = this.merge(ti, tj, fi, fj);
      this.mergedTi = ti;
      this.mergedTj = tj;
      this.mergedFi = fi;
      this.mergedFj = fj;
      this.mergedN = n;
    }

    let wsum = 0;
    let energy = 0;
    let h0 = 0;
    let h1 = 0;
    let h2 = 0;
    let h3 = 0;
    const W = this.input.source.width;
    for (let u = 0; u < n; u++) {
      const ox = offX[u];
      const oy = offY[u];
      const xs = x + ox * s;
      const ys = y + oy * s;
      if (xs < 0 || ys < 0 || xs >= crop.width || ys >= crop.height) continue;
      const m = (crop.y + ys) * W + crop.x + xs;
      if (mask[m] !== 0) continue;
      const sx0 = clampIndex(x0 + ox, lw);
      const sx1 = clampIndex(x1 + ox, lw);
      const sy0 = clampIndex(y0 + oy, lh);
      const sy1 = clampIndex(y1 + oy, lh);
      const a = (sy0 * lw + sx0) * C;
      const b = (sy0 * lw + sx1) * C;
      const c0 = (sy1 * lw + sx0) * C;
      const d = (sy1 * lw + sx1) * C;
      const p = m * 4;
      const wgt = offW[u];
      const d0 = src[p] - (w00 * lr[a] + w10 * lr[b] + w01 * lr[c0] + w11 * lr[d]);
      const d1 = src[p + 1] - (w00 * lr[a + 1] + w10 * lr[b + 1] + w01 * lr[c0 + 1] + w11 * lr[d + 1]);
      const d2 = src[p + 2] - (w00 * lr[a + 2] + w10 * lr[b + 2] + w01 * lr[c0 + 2] + w11 * lr[d + 2]);
      h0 += wgt * d0;
      h1 += wgt * d1;
      h2 += wgt * d2;
      if (C === 4) h3 += wgt * (src[p + 3] - (w00 * lr[a + 3] + w10 * lr[b + 3] + w01 * lr[c0 + 3] + w11 * lr[d + 3]));
      energy += wgt * (d0 * d0 + d1 * d1 + d2 * d2);
      wsum += wgt;
    }
    if (wsum > 0) {
      const inv = 1 / wsum;
      const blended = (h0 * h0 + h1 * h1 + h2 * h2) * inv * inv;
      const target = energy * inv;
      const gain =
        blended * MAX_BLEND_GAIN * MAX_BLEND_GAIN <= target ? MAX_BLEND_GAIN : blended > target ? 1 : Math.sqrt(target / blended);
      res[0] += h0 * inv * gain;
      res[1] += h1 * inv * gain;
      res[2] += h2 * inv * gain;
      if (C === 4) res[3] += h3 * inv * gain;
    }
    return wsum;
  }

  /** Merges the entries of the (up to four) tokens around a pixel into one offset list; returns its length. */
  private merge(ti: number, tj: number, fi: number, fj: number): number {
    const att = this.input.attention;
    const { offX, offY, offW } = this;
    let n = 0;
    for (let corner = 0; corner < 4; corner++) {
      const di = corner & 1;
      const dj = corner >> 1;
      const beta = (di ? fi : 1 - fi) * (dj ? fj : 1 - fj);
      if (beta <= 0) continue;
      const t = (tj + dj) * att.cols + ti + di;
      const cnt = att.count[t];
      const base = t * att.k;
      for (let e = 0; e < cnt; e++) {
        const ox = att.dx[base + e];
        const oy = att.dy[base + e];
        const wgt = beta * att.weight[base + e];
        let u = 0;
        while (u < n && (offX[u] !== ox || offY[u] !== oy)) u++;
        if (u === n) {
          offX[n] = ox;
          offY[n] = oy;
          offW[n] = wgt;
          n++;
        } else {
          offW[u] += wgt;
        }
      }
    }
    return n;
  }
}

/**
 * Narrows the bilinear blend between token centres to a band of
 * ±BLEND_HALF_WIDTH around the token border: most pixels are a coherent copy
 * of one token's sources (averaging incoherent high frequencies would blur),
 * and only the border band cross-fades.
 */
const BLEND_HALF_WIDTH = 0.2;
function sharpen(f: number): number {
  const g = (f - 0.5) / (2 * BLEND_HALF_WIDTH) + 0.5;
  return Math.min(1, Math.max(0, g));
}

/**
 * A weighted mean of high bands that disagree is weaker than any of them: four
 * uncorrelated sources of equal weight keep half the amplitude, and the fill
 * looks soft. So the blended band is rescaled to the weighted RMS of the
 * sources' bands at that pixel, √(Σ aⱼ‖HFⱼ‖² / Σ aⱼ), the variance-preserving
 * idea of Heitz and Neyret ("High-Performance By-Example Noise using a
 * Histogram-Preserving Blending Operator", HPG 2018). Sources that agree
 * (one offset, or a periodic texture's repeats) get no gain; the gain is
 * capped where the bands nearly cancel.
 */
const MAX_BLEND_GAIN = 2;
function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/**
 * Fills every hole pixel of the crop into `out` (an RGBA copy of the source)
 * and blends the seam band. Pixels outside the mask are not touched. The rows
 * run in WebAssembly where the runtime has it (`upscaleKernel`), else in
 * `upscaleRows`: the same bytes.
 */
export function upscaleInto(input: UpscaleInput, out: Uint8ClampedArray): void {
  const hr = input.holeRect;
  const kernel = upscaleKernel(input);
  if (!kernel) {
    upscaleRows(input, out, hr.y, hr.y + hr.height);
    upscaleSeam(input, out);
    return;
  }
  // In runs of rows, to report progress where `upscaleRows` does.
  const every = Math.max(1, Math.ceil(hr.height / 25));
  for (let y = hr.y; y < hr.y + hr.height; y += every) {
    if (input.stop?.()) {
      kernel.release();
      return;
    }
    input.progress?.((y - hr.y) / hr.height);
    kernel.rows(y, Math.min(y + every, hr.y + hr.height));
  }
  kernel.copyInto(out);
  if (input.seamWidth > 0) applySeam(planSeam(input, kernel), out);
  kernel.release();
}

/**
 * The upscaling's detail transfer in WebAssembly, its data copied in (the
 * crop's pixels and hole plane: a few ms at 1 MP), or null where the runtime
 * can't run it. In a page's first erase the TypeScript loop runs unoptimised
 * for most of its pixels; the kernel is compiled from the first.
 */
export function upscaleKernel(input: UpscaleInput): UpscaleKernel | null {
  const { crop, lowRes, scale } = input;
  return createUpscaleKernel(input, bilinearAxis(crop.width, lowRes.width, scale), bilinearAxis(crop.height, lowRes.height, scale));
}

/**
 * The end of an upscaling whose rows other threads share (`others`: their
 * `upscaleRowsOverMemory` over `kernel`'s memory, under way): this thread
 * plans the seam (it reads known pixels only) and takes rows too
 * (`UpscaleKernel.shareRows`), then, once every thread is done, writes the
 * hole into `out`, blends the seam and hands the kernel's memory back. The
 * pixels are `upscaleInto`'s.
 */
export async function finishSharedUpscale(
  input: UpscaleInput,
  out: Uint8ClampedArray,
  kernel: UpscaleKernel,
  others: Promise<unknown>[],
): Promise<void> {
  const seam = input.seamWidth > 0 ? planSeam(input, kernel) : null;
  kernel.shareRows();
  input.progress?.(0.9);
  await Promise.all(others);
  kernel.copyInto(out);
  if (seam) applySeam(seam, out);
  // Every thread has left the memory, and the next kernel made in it writes its header anew: it may serve again.
  kernel.release();
}

/**
 * The hole pixels of crop rows [y0, y1) (the first part of `upscaleInto`):
 * each pixel is computed on its own from pixels outside the hole, so bands of
 * rows may run on separate threads, in any order, with the same result.
 */
export function upscaleRows(input: UpscaleInput, out: Uint8ClampedArray, y0: number, y1: number): void {
  const { crop, mask, source, lowRes } = input;
  const W = source.width;
  const C = lowRes.channels;
  const transfer = new DetailTransfer(input);
  const res = new Float32Array(4);
  const hr = input.holeRect;
  const report = input.progress;
  const every = Math.max(1, Math.ceil(hr.height / 25));
  for (let y = y0; y < y1; y++) {
    if (report && (y - hr.y) % every === 0) report((y - hr.y) / hr.height);
    let m = (crop.y + y) * W + crop.x + hr.x;
    for (let x = hr.x; x < hr.x + hr.width; x++, m++) {
      if (mask[m] === 0) continue;
      transfer.at(x, y, res);
      const p = m * 4;
      out[p] = res[0];
      out[p + 1] = res[1];
      out[p + 2] = res[2];
      if (C === 4) out[p + 3] = res[3];
    }
  }
}

/** The seam band of `upscaleInto` (its second part), once every hole row is filled. */
export function upscaleSeam(input: UpscaleInput, out: Uint8ClampedArray): void {
  if (input.seamWidth > 0) applySeam(planSeam(input), out);
}

/**
 * The seam band's corrections (see `planSeam`): the pixels it writes, level
 * by level, with the mismatch each carries in from the hole's edge.
 */
export interface SeamPlan {
  /** Image pixel of each entry: the ring's sources first, then the band's pixels, level after level. */
  pixels: Int32Array;
  /** The mismatch (known − fill) of each entry, 4 values (the 4th is 0 for a 3-channel fill). */
  errors: Float64Array;
  /** Where each level starts in `pixels`: level d (1 = the ring) is [levels[d − 1], levels[d]). */
  levels: Int32Array;
  /** Channels written (3 or 4). */
  channels: number;
  /** The band's width b: level d is faded by 1 − (d − 1)/(b + 1). */
  width: number;
}

/**
 * Diffuses the boundary mismatch e = known − fill from the ring of known
 * pixels around the hole into the hole, breadth first over 4-neighbours:
 * each pixel at depth d + 1 takes the mean mismatch of its neighbours at
 * depth d (in left, right, up, down order), and `applySeam` adds
 * e·(1 − d/(b + 1)) to it, for d ≤ b. A pixel's depth and mismatch do not
 * depend on the order in which its level is visited, so the ring is found
 * from each row's runs of hole pixels (the known pixels at their ends and
 * along them in the rows above and below) instead of a scan of every pixel of
 * the hole's box, and the levels live in typed arrays: a 1-megapixel hole's
 * band is a few 10⁴ pixels of a 1.4-megapixel box. Reads only known pixels
 * of the photo (the ring and the detail's sources), never the hole's, so it
 * may run while other threads write the hole's rows. `transfer` evaluates the
 * fill at the ring (an `UpscaleKernel` gives the same values).
 */
export function planSeam(input: UpscaleInput, transfer: PixelFill = new DetailTransfer(input), wasm = true): SeamPlan {
  const { crop, mask, source, lowRes, seamWidth: b, holeRect } = input;
  const W = source.width;
  const C = lowRes.channels;
  const src = source.data;
  // Work in the hole's box grown by one pixel (the known ring), clipped to the crop.
  const rx = Math.max(0, holeRect.x - 1);
  const ry = Math.max(0, holeRect.y - 1);
  const rw = Math.min(crop.width, holeRect.x + holeRect.width + 1) - rx;
  const rh = Math.min(crop.height, holeRect.y + holeRect.height + 1) - ry;
  const offset = (crop.y + ry) * W + crop.x + rx;
  // Each box pixel's entry in the lists plus one: 0 not reached, −1 a ring pixel without an entry. A pixel's
  // depth is its entry's level (level d is [levels[d − 1], levels[d])), so no depth plane: one box plane less
  // of fresh memory in a worker's first erase.
  const slot = seamScratch(rw * rh);
  const list = new GrowingEntries(Math.max(1024, 2 * (rw + rh) * (b + 1)));
  const res = new Float32Array(4);
  const ring = (x: number, y: number) => {
    const i = y * rw + x;
    if (slot[i] !== 0) return;
    if (transfer.at(x + rx, y + ry, res) === 0) {
      slot[i] = -1;
      return;
    }
    const p = (offset + y * W + x) * 4;
    slot[i] = list.push(i, src[p] - res[0], src[p + 1] - res[1], src[p + 2] - res[2], C === 4 ? src[p + 3] - res[3] : 0) + 1;
  };
  const words = new DataView(mask.buffer, mask.byteOffset, mask.byteLength);
  let above = new HoleRuns();
  let here = new HoleRuns();
  let below = new HoleRuns();
  if (rh > 0) here.read(mask, words, offset, rw);
  for (let y = 0; y < rh; y++) {
    if (y + 1 < rh) below.read(mask, words, offset + (y + 1) * W, rw);
    else below.length = 0;
    const runs = here.runs;
    for (let r = 0; r < here.length; r++) {
      if (runs[2 * r] > 0) ring(runs[2 * r] - 1, y);
      if (runs[2 * r + 1] < rw) ring(runs[2 * r + 1], y);
    }
    // Known pixels of this row under a hole run of the row above, or over one of the row below.
    for (const next of [above, below]) {
      for (let r = 0, h = 0; r < next.length; r++) {
        let x0 = next.runs[2 * r];
        const x1 = next.runs[2 * r + 1];
        while (x0 < x1) {
          while (h < here.length && runs[2 * h + 1] <= x0) h++;
          const holeFrom = h < here.length ? runs[2 * h] : rw;
          for (const end = Math.min(x1, holeFrom); x0 < end; x0++) ring(x0, y);
          if (h < here.length && x0 < x1) x0 = Math.min(x1, runs[2 * h + 1]);
        }
      }
    }
    const spare = above;
    above = here;
    here = below;
    below = spare;
  }
  // The levels in WebAssembly unless `wasm` is false (tests): the same entries.
  const levelled = wasm ? seamLevelsInWasm(slot, mask, offset, W, rw, rh, list, b) : null;
  if (levelled) {
    list.box = levelled.box;
    list.errors = levelled.errors;
    list.length = levelled.box.length;
  }
  const levels: number[] = levelled ? Array.from(levelled.levels) : [0, list.length];
  for (let d = 1; d <= b && !levelled; d++) {
    const start = levels[d - 1];
    const end = levels[d];
    if (end === start) break;
    for (let f = start; f < end; f++) {
      const q = list.box[f];
      const qx = q % rw;
      const qy = (q - qx) / rw;
      for (let nb = 0; nb < 4; nb++) {
        const x = nb === 0 ? qx - 1 : nb === 1 ? qx + 1 : qx;
        const y = nb === 2 ? qy - 1 : nb === 3 ? qy + 1 : qy;
        if (x < 0 || y < 0 || x >= rw || y >= rh) continue;
        const i = y * rw + x;
        if (slot[i] !== 0 || mask[offset + y * W + x] === 0) continue;
        let e0 = 0;
        let e1 = 0;
        let e2 = 0;
        let e3 = 0;
        let k = 0;
        const err = list.errors;
        for (let mb = 0; mb < 4; mb++) {
          const xx = mb === 0 ? x - 1 : mb === 1 ? x + 1 : x;
          const yy = mb === 2 ? y - 1 : mb === 3 ? y + 1 : y;
          if (xx < 0 || yy < 0 || xx >= rw || yy >= rh) continue;
          const j = yy * rw + xx;
          const e = slot[j] - 1;
          // Only neighbours at depth d: entries of level d (this level's new ones come after `end`).
          if (e < start || e >= end) continue;
          e0 += err[e * 4];
          e1 += err[e * 4 + 1];
          e2 += err[e * 4 + 2];
          e3 += err[e * 4 + 3];
          k++;
        }
        slot[i] = list.push(i, e0 / k, e1 / k, e2 / k, e3 / k) + 1;
      }
    }
    levels.push(list.length);
  }
  // Box positions to image pixels.
  const n = list.length;
  const pixels = list.box.subarray(0, n);
  for (let e = 0; e < n; e++) {
    const q = pixels[e];
    const qx = q % rw;
    pixels[e] = offset + ((q - qx) / rw) * W + qx;
  }
  return { pixels, errors: list.errors.subarray(0, n * 4), levels: Int32Array.from(levels), channels: C, width: b };
}

/**
 * Box planes up to this many pixels (4 B each: 16 MB) are kept for the next
 * `planSeam` instead of left to the GC: fresh memory costs 15–50 µs per 4 KiB
 * page in a sandboxed browser, ~5 MB (20–70 ms) for a 1-megapixel hole's box
 * on every erase, against 1–2 ms to clear the kept plane.
 */
const SEAM_SCRATCH_KEEP = 1 << 22;
let seamSlots = new Int32Array(0);

/** `planSeam`'s box plane of at least n pixels, zero (one thread per module instance, dead after it returns). */
function seamScratch(n: number): Int32Array {
  if (n > SEAM_SCRATCH_KEEP) return new Int32Array(n);
  if (seamSlots.length < n) seamSlots = new Int32Array(n);
  else seamSlots.fill(0, 0, n);
  return seamSlots;
}

/** One row's runs of hole pixels, [start, end) pairs in the row's own coordinates. */
class HoleRuns {
  runs = new Int32Array(64);
  length = 0;

  /**
   * Reads the runs of `width` bytes of `mask` from `at` (non-zero = hole),
   * four bytes at a time through a run's middle.
   */
  read(mask: Uint8Array, words: DataView, at: number, width: number): void {
    this.length = 0;
    let x = 0;
    while (x < width) {
      // Known pixels: skip words of four zero bytes.
      while (x + 4 <= width && words.getUint32(at + x) === 0) x += 4;
      while (x < width && mask[at + x] === 0) x++;
      if (x >= width) break;
      const start = x;
      // Hole pixels: skip words without a zero byte.
      for (;;) {
        if (x + 4 > width) break;
        const v = words.getUint32(at + x);
        if (((v - 0x01010101) & ~v & 0x80808080) !== 0) break;
        x += 4;
      }
      while (x < width && mask[at + x] !== 0) x++;
      this.push(start, x);
    }
  }

  private push(start: number, end: number): void {
    if (2 * this.length + 2 > this.runs.length) {
      const more = new Int32Array(this.runs.length * 2);
      more.set(this.runs);
      this.runs = more;
    }
    this.runs[2 * this.length] = start;
    this.runs[2 * this.length + 1] = end;
    this.length++;
  }
}

/** Adds a seam plan's faded mismatch to the filled hole pixels of `out` (after every hole row is written). */
export function applySeam(plan: SeamPlan, out: Uint8ClampedArray): void {
  const { pixels, errors, levels, channels: C, width: b } = plan;
  for (let d = 1; d < levels.length - 1; d++) {
    const fade = 1 - d / (b + 1);
    for (let e = levels[d]; e < levels[d + 1]; e++) {
      const p = pixels[e] * 4;
      const o = e * 4;
      out[p] = out[p] + errors[o] * fade;
      out[p + 1] = out[p + 1] + errors[o + 1] * fade;
      out[p + 2] = out[p + 2] + errors[o + 2] * fade;
      if (C === 4) out[p + 3] = out[p + 3] + errors[o + 3] * fade;
    }
  }
}

/** Box positions with 4 error values each, in typed arrays that double when full. */
class GrowingEntries {
  box: Int32Array;
  errors: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.box = new Int32Array(capacity);
    this.errors = new Float64Array(capacity * 4);
  }

  /** Appends an entry; returns its index. */
  push(i: number, e0: number, e1: number, e2: number, e3: number): number {
    const n = this.length;
    if (n === this.box.length) {
      const box = new Int32Array(n * 2);
      box.set(this.box);
      this.box = box;
      const errors = new Float64Array(n * 8);
      errors.set(this.errors);
      this.errors = errors;
    }
    this.box[n] = i;
    const o = n * 4;
    this.errors[o] = e0;
    this.errors[o + 1] = e1;
    this.errors[o + 2] = e2;
    this.errors[o + 3] = e3;
    this.length = n + 1;
    return n;
  }
}
