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
}

/** Evaluates base + attention-weighted high frequencies at any crop pixel. */
class DetailTransfer {
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
 * and blends the seam band. Pixels outside the mask are not touched.
 */
export function upscaleInto(input: UpscaleInput, out: Uint8ClampedArray): void {
  upscaleRows(input, out, input.holeRect.y, input.holeRect.y + input.holeRect.height);
  upscaleSeam(input, out);
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
  if (input.seamWidth > 0) blendSeam(input, new DetailTransfer(input), out);
}

/**
 * Diffuses the boundary mismatch e = known − fill from the ring of known
 * pixels around the hole into the hole, breadth first over 4-neighbours, and
 * adds e·(1 − d/(b+1)) at depth d ≤ b.
 */
function blendSeam(input: UpscaleInput, transfer: DetailTransfer, out: Uint8ClampedArray): void {
  const { crop, mask, source, lowRes, seamWidth: b, holeRect } = input;
  const W = source.width;
  const C = lowRes.channels;
  // Work in the hole's box grown by one pixel (the known ring), clipped to the crop.
  const rx = Math.max(0, holeRect.x - 1);
  const ry = Math.max(0, holeRect.y - 1);
  const rw = Math.min(crop.width, holeRect.x + holeRect.width + 1) - rx;
  const rh = Math.min(crop.height, holeRect.y + holeRect.height + 1) - ry;
  const depth = new Uint8Array(rw * rh);
  const slot = new Int32Array(rw * rh).fill(-1);
  const res = new Float32Array(4);
  const offset = (crop.y + ry) * W + crop.x + rx;
  // The box's hole plane, copied once so that the scans below index it directly.
  const inHole = new Uint8Array(rw * rh);
  for (let y = 0; y < rh; y++) for (let x = 0; x < rw; x++) inHole[y * rw + x] = mask[offset + y * W + x] !== 0 ? 1 : 0;

  let frontier: number[] = [];
  let errors: number[] = [];
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const i = y * rw + x;
      if (inHole[i] !== 0) continue;
      const touches =
        (x > 0 && inHole[i - 1] !== 0) ||
        (x < rw - 1 && inHole[i + 1] !== 0) ||
        (y > 0 && inHole[i - rw] !== 0) ||
        (y < rh - 1 && inHole[i + rw] !== 0);
      if (!touches) continue;
      depth[i] = 1;
      if (transfer.at(x + rx, y + ry, res) === 0) continue;
      const p = (offset + y * W + x) * 4;
      frontier.push(i);
      for (let c = 0; c < 4; c++) errors.push(c < C ? source.data[p + c] - res[c] : 0);
    }
  }
  for (let d = 1; d <= b && frontier.length > 0; d++) {
    for (let f = 0; f < frontier.length; f++) slot[frontier[f]] = f;
    const next: number[] = [];
    const nextErr: number[] = [];
    const fade = 1 - d / (b + 1);
    for (let f = 0; f < frontier.length; f++) {
      const q = frontier[f];
      const qx = q % rw;
      const qy = (q - qx) / rw;
      for (let nb = 0; nb < 4; nb++) {
        const x = nb === 0 ? qx - 1 : nb === 1 ? qx + 1 : qx;
        const y = nb === 2 ? qy - 1 : nb === 3 ? qy + 1 : qy;
        if (x < 0 || y < 0 || x >= rw || y >= rh) continue;
        const i = y * rw + x;
        if (depth[i] !== 0 || inHole[i] === 0) continue;
        depth[i] = d + 1;
        let e0 = 0;
        let e1 = 0;
        let e2 = 0;
        let e3 = 0;
        let k = 0;
        for (let mb = 0; mb < 4; mb++) {
          const xx = mb === 0 ? x - 1 : mb === 1 ? x + 1 : x;
          const yy = mb === 2 ? y - 1 : mb === 3 ? y + 1 : y;
          if (xx < 0 || yy < 0 || xx >= rw || yy >= rh) continue;
          const j = yy * rw + xx;
          const sIdx = slot[j];
          if (sIdx < 0 || depth[j] !== d) continue;
          e0 += errors[sIdx * 4];
          e1 += errors[sIdx * 4 + 1];
          e2 += errors[sIdx * 4 + 2];
          e3 += errors[sIdx * 4 + 3];
          k++;
        }
        e0 /= k;
        e1 /= k;
        e2 /= k;
        e3 /= k;
        next.push(i);
        nextErr.push(e0, e1, e2, e3);
        const p = (offset + y * W + x) * 4;
        out[p] = out[p] + e0 * fade;
        out[p + 1] = out[p + 1] + e1 * fade;
        out[p + 2] = out[p + 2] + e2 * fade;
        if (C === 4) out[p + 3] = out[p + 3] + e3 * fade;
      }
    }
    for (let f = 0; f < frontier.length; f++) slot[frontier[f]] = -1;
    frontier = next;
    errors = nextErr;
  }
}
