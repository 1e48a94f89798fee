/**
 * Masked patch attention on the low-resolution fill — RETHINED's
 * NeuralPatchMatch step (Sanchez, Triginer, Sarasua, Raad & Ballester,
 * "RETHINED: A New Benchmark and Baseline for Real-Time High-Resolution Image Inpainting on Edge Devices",
 * 2024, §3.2), computed sparsely.
 *
 * The low-res image is split into P×P tokens (P = 8 in the paper). Every token
 * that touches the hole attends only to fully known P×P blocks (never to hole
 * content, never to itself); known tokens are the identity and get no entries.
 * Instead of a dense softmax over all tokens, the candidates come from the
 * coarse stage's nearest-neighbour field plus a token-level PatchMatch
 * (propagation from neighbouring tokens, random search), and only the top-k
 * are kept. Keys are at any pixel offset, not only on the token grid, so
 * matches are exact copies where the texture allows. Weights are a softmax of
 * the per-value squared distance with a temperature relative to the best
 * match: A_ij ∝ exp(−(d_ij − d_i,min) / (τ·max(d_i,min, 1))).
 */

import { blockHoleCount, holeIntegral } from "../mask.js";
import type { Random } from "../random.js";
import { int32Scratch } from "../scratch.js";
import type { Nnf, PatchProblem } from "./patchmatch.js";
import type { FloatImage } from "./resample.js";
import { attentionSearchInWasm } from "./wasm/coarse.js";

/** Sparse attention of hole tokens over known blocks; offsets in low-res pixels. */
export interface Attention {
  patch: number;
  cols: number;
  rows: number;
  /** Entries per token; 0 for tokens without hole. */
  count: Uint8Array;
  /** Maximum entries per token (top-k). */
  k: number;
  dx: Int16Array;
  dy: Int16Array;
  weight: Float32Array;
}

export interface AttentionOptions {
  /** Token size P in low-res pixels. Default 8. */
  patch?: number;
  /** Entries kept per hole token. Default 4. */
  topK?: number;
  /** Relative softmax temperature τ. Default 0.02. */
  temperature?: number;
  /** Token-level PatchMatch scans. Default 3. */
  iterations?: number;
}

/**
 * The attention of a fill at full resolution (scale 1): no token has an
 * entry. There the low-res image is the photo itself, so every source's high
 * band I − up(down(I)) is zero and the upscaling would add nothing; without
 * entries it writes the fill as it is and skips the seam's diffusion of a
 * zero mismatch (the same bytes).
 */
export function withoutAttention(img: FloatImage, options: AttentionOptions): Attention {
  const P = options.patch ?? 8;
  const K = options.topK ?? 4;
  const cols = Math.ceil(img.width / P);
  const rows = Math.ceil(img.height / P);
  const T = cols * rows;
  return {
    patch: P,
    cols,
    rows,
    count: new Uint8Array(T),
    k: K,
    dx: new Int16Array(T * K),
    dy: new Int16Array(T * K),
    weight: new Float32Array(T * K),
  };
}

/** `buildAttention`'s hole integral, kept between calls (see scratch.ts). */
const integralScratch = int32Scratch();

/** Builds the sparse masked attention for the filled low-res image. */
export function buildAttention(
  img: FloatImage,
  hole: Uint8Array,
  field: { problem: PatchProblem; nnf: Nnf } | undefined,
  options: AttentionOptions,
  rng: Random,
  wasm = true,
): Attention {
  const P = options.patch ?? 8;
  const K = options.topK ?? 4;
  const tau = options.temperature ?? 0.02;
  const iterations = options.iterations ?? 3;
  const { width: w, height: h, channels: C, data } = img;
  const cols = Math.ceil(w / P);
  const rows = Math.ceil(h / P);
  const T = cols * rows;
  const searched =
    wasm && C >= 3
      ? attentionSearchInWasm(
          data,
          w,
          h,
          C,
          hole,
          P,
          K,
          iterations,
          field && { slotOf: field.problem.slotOf, source: field.nnf.source },
          rng,
        )
      : null;
  if (searched)
    return withWeights(searched.tokens, searched.count, searched.dist, searched.dx, searched.dy, { w, h, P, K, tau, cols, rows });
  const integral = holeIntegral(hole, w, h, integralScratch.take((w + 1) * (h + 1), true));

  const count = new Uint8Array(T);
  const dist = new Float32Array(T * K).fill(Number.POSITIVE_INFINITY);
  const dx = new Int16Array(T * K);
  const dy = new Int16Array(T * K);
  const holeTokens: number[] = [];
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const x0 = i * P;
      const y0 = j * P;
      if (blockHoleCount(integral, w, x0, y0, Math.min(P, w - x0), Math.min(P, h - y0)) > 0) holeTokens.push(j * cols + i);
    }
  }

  /** Squared distance between token block (x0, y0) and block (sx, sy), early exit at `limit`. */
  const blockDistance = (x0: number, y0: number, sx: number, sy: number, pw: number, ph: number, limit: number): number => {
    let sum = 0;
    for (let yy = 0; yy < ph; yy++) {
      let a = ((y0 + yy) * w + x0) * C;
      let b = ((sy + yy) * w + sx) * C;
      const end = a + pw * C;
      for (; a < end; a += C, b += C) {
        const d0 = data[a] - data[b];
        const d1 = data[a + 1] - data[b + 1];
        const d2 = data[a + 2] - data[b + 2];
        sum += d0 * d0 + d1 * d1 + d2 * d2;
      }
      if (sum >= limit) return sum;
    }
    return sum;
  };

  /** Offers offset (ox, oy) to token t; keeps its list sorted and free of duplicates. */
  const offer = (t: number, ox: number, oy: number): void => {
    const i = t % cols;
    const x0 = i * P;
    const y0 = ((t - i) / cols) * P;
    const pw = Math.min(P, w - x0);
    const ph = Math.min(P, h - y0);
    const sx = x0 + ox;
    const sy = y0 + oy;
    if (sx < 0 || sy < 0 || sx + pw > w || sy + ph > h) return;
    const base = t * K;
    const n = count[t];
    for (let e = 0; e < n; e++) if (dx[base + e] === ox && dy[base + e] === oy) return;
    if (blockHoleCount(integral, w, sx, sy, pw, ph) !== 0) return;
    const worst = n < K ? Number.POSITIVE_INFINITY : dist[base + K - 1];
    const d = blockDistance(x0, y0, sx, sy, pw, ph, worst);
    if (d >= worst) return;
    let e = n < K ? n : K - 1;
    while (e > 0 && dist[base + e - 1] > d) {
      dist[base + e] = dist[base + e - 1];
      dx[base + e] = dx[base + e - 1];
      dy[base + e] = dy[base + e - 1];
      e--;
    }
    dist[base + e] = d;
    dx[base + e] = ox;
    dy[base + e] = oy;
    if (n < K) count[t] = n + 1;
  };

  const sampleStep = Math.max(1, P >> 2);
  for (const t of holeTokens) {
    const i = t % cols;
    const x0 = i * P;
    const y0 = ((t - i) / cols) * P;
    if (field) {
      const { problem, nnf } = field;
      for (let yy = y0; yy < Math.min(y0 + P, h); yy += sampleStep) {
        for (let xx = x0; xx < Math.min(x0 + P, w); xx += sampleStep) {
          const p = yy * w + xx;
          const slot = problem.slotOf[p];
          if (slot < 0) continue;
          const s = nnf.source[slot];
          const sxx = s % w;
          offer(t, sxx - xx, (s - sxx) / w - yy);
        }
      }
    }
    for (let tries = 0; tries < 32 && count[t] === 0; tries++) {
      offer(t, rng.int(0, w - 1) - x0, rng.int(0, h - 1) - y0);
    }
  }

  const maxRadius = field ? Math.max(4, Math.max(w, h) >> 3) : Math.max(w, h);
  for (let it = 0; it < iterations; it++) {
    const forward = (it & 1) === 0;
    const step = forward ? 1 : -1;
    for (let q = 0; q < holeTokens.length; q++) {
      const t = holeTokens[forward ? q : holeTokens.length - 1 - q];
      const i = t % cols;
      const j = (t - i) / cols;
      const ni = i - step;
      if (ni >= 0 && ni < cols && count[t - step] > 0) offer(t, dx[(t - step) * K], dy[(t - step) * K]);
      const nj = j - step;
      if (nj >= 0 && nj < rows && count[t - step * cols] > 0) offer(t, dx[(t - step * cols) * K], dy[(t - step * cols) * K]);
      if (count[t] === 0) continue;
      const bx = dx[t * K];
      const by = dy[t * K];
      for (let R = maxRadius; R >= 1; R >>= 1) offer(t, bx + rng.int(-R, R), by + rng.int(-R, R));
    }
  }

  return withWeights(holeTokens, count, dist, dx, dy, { w, h, P, K, tau, cols, rows });
}

/**
 * The attention from the search's entries: each hole token's softmax over its
 * entries' mean squared distances at temperature τ·max(best, 1), entries
 * below 2 % of the best's weight dropped.
 */
function withWeights(
  holeTokens: ArrayLike<number>,
  count: Uint8Array,
  dist: Float32Array,
  dx: Int16Array,
  dy: Int16Array,
  shape: { w: number; h: number; P: number; K: number; tau: number; cols: number; rows: number },
): Attention {
  const { w, h, P, K, tau, cols, rows } = shape;
  const weight = new Float32Array(cols * rows * K);
  for (let q = 0; q < holeTokens.length; q++) {
    const t = holeTokens[q];
    const n = count[t];
    if (n === 0) continue;
    const i = t % cols;
    const pw = Math.min(P, w - i * P);
    const ph = Math.min(P, h - ((t - i) / cols) * P);
    const norm = 1 / (pw * ph * 3);
    const base = t * K;
    const best = dist[base] * norm;
    const temp = tau * Math.max(best, 1);
    let sum = 0;
    let kept = 0;
    for (let e = 0; e < n; e++) {
      const a = Math.exp(-(dist[base + e] * norm - best) / temp);
      if (a < 0.02) break;
      weight[base + e] = a;
      sum += a;
      kept++;
    }
    for (let e = 0; e < kept; e++) weight[base + e] /= sum;
    count[t] = kept;
  }
  return { patch: P, cols, rows, count, k: K, dx, dy, weight };
}
