/**
 * Onion-peel start for the coarsest level of the completion: the hole is
 * filled layer by layer from its edge inward, each pixel copied from the
 * source whose patch best fits what is already known around it (the greedy
 * exemplar fill of Efros and Leung, "Texture Synthesis by Non-parametric
 * Sampling", ICCV 1999, in onion-peel order). The candidates for each pixel
 * are PatchMatch's (Barnes et al., SIGGRAPH 2009): its filled neighbours'
 * sources shifted by the same offset, random sources, and a random search
 * around the best that shrinks by halves.
 *
 * Why: EM started from a smooth guess settles on whatever the blur looks like,
 * which for a hole crossed by a trunk or a shoreline is often plain background.
 * Copied inward from both sides, such an edge is carried into the hole, and
 * EM then refines it instead of inventing it.
 */
import type { Random } from "../random.js";
import { type PatchProblem, sidesAgree } from "./patchmatch.js";
import { onionPeelInWasm } from "./wasm/coarse.js";

/** Colour channels compared (texture channels, where present, are copied but not compared). */
const COMPARED = 3;
/** A candidate's sum stops once above the best's times this (clearly worse whatever the rounding). */
const EXIT_MARGIN = 1 + 1e-9;

/**
 * Fills `p.image`'s hole pixels (every channel) layer by layer from the hole's
 * edge and returns, per pixel, the source centre each was copied from (−1 for
 * known pixels and for any the peel could not reach). `randomCandidates`
 * random sources are tried per pixel besides the neighbours' and the search's.
 * In WebAssembly where it runs (`wasm`), else in TypeScript: the same pixels.
 */
export function onionPeel(p: PatchProblem, rng: Random, randomCandidates: number, wasm = true): Int32Array {
  const { width: W, height: H, channels: C, image, hole, radius: r, validSource, sources, side } = p;
  if (wasm) {
    const from = onionPeelInWasm(image, W, H, C, hole, r, validSource, sources, side, randomCandidates, rng);
    if (from !== null) return from;
  }
  const n = W * H;
  const known = new Uint8Array(n);
  const queued = new Uint8Array(n);
  const from = new Int32Array(n).fill(-1);
  let front: number[] = [];
  for (let i = 0; i < n; i++) known[i] = hole[i] === 0 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    if (known[i]) continue;
    const x = i % W;
    const y = (i - x) / W;
    if ((x > 0 && known[i - 1]) || (x < W - 1 && known[i + 1]) || (y > 0 && known[i - W]) || (y < H - 1 && known[i + W])) {
      queued[i] = 1;
      front.push(i);
    }
  }
  if (sources.length === 0) return from;

  // The target's known patch pixels, as offsets from its centre (the same for every candidate source).
  const offsets = new Int32Array((2 * r + 1) * (2 * r + 1));
  let knownCount = 0;
  const gatherKnown = (t: number) => {
    const tx = t % W;
    const ty = (t - tx) / W;
    const x0 = Math.max(-r, -tx);
    const x1 = Math.min(r, W - 1 - tx);
    const y0 = Math.max(-r, -ty);
    const y1 = Math.min(r, H - 1 - ty);
    knownCount = 0;
    for (let dy = y0; dy <= y1; dy++) {
      for (let dx = x0; dx <= x1; dx++) if (known[t + dy * W + dx] !== 0) offsets[knownCount++] = dy * W + dx;
    }
  };
  // Squared colour difference summed over those pixels; a candidate stops once clearly above `limit`.
  const distance = (t: number, s: number, limit: number): number => {
    let sum = 0;
    for (let k = 0; k < knownCount; k++) {
      const a = (t + offsets[k]) * C;
      const b = (s + offsets[k]) * C;
      for (let c = 0; c < COMPARED; c++) {
        const d = image[a + c] - image[b + c];
        sum += d * d;
      }
      if (sum > limit) return Number.POSITIVE_INFINITY;
    }
    return sum;
  };

  let best = Number.POSITIVE_INFINITY;
  let bestSource = -1;
  const consider = (t: number, s: number) => {
    if (s < 0 || s >= n || validSource[s] !== 1 || (side !== undefined && !sidesAgree(side, t, s))) return;
    // Sums, not means: every candidate of one target is compared over the same pixels.
    const d = distance(t, s, best * EXIT_MARGIN);
    if (d < best) {
      best = d;
      bestSource = s;
    }
  };

  const enqueue = (q: number) => {
    if (known[q] || queued[q]) return;
    queued[q] = 1;
    front.push(q);
  };

  const longSide = Math.max(W, H);
  while (front.length > 0) {
    // Every pixel of a layer sees the same known set, so the layer's result does not depend on its order.
    for (const t of front) {
      const tx = t % W;
      const ty = (t - tx) / W;
      best = Number.POSITIVE_INFINITY;
      bestSource = -1;
      gatherKnown(t);
      if (knownCount === 0) continue;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const qx = tx + dx;
          const qy = ty + dy;
          if ((dx === 0 && dy === 0) || qx < 0 || qy < 0 || qx >= W || qy >= H) continue;
          const s = from[qy * W + qx];
          if (s < 0) continue;
          const sx = (s % W) - dx;
          const sy = Math.floor(s / W) - dy;
          if (sx >= 0 && sy >= 0 && sx < W && sy < H) consider(t, sy * W + sx);
        }
      }
      for (let k = 0; k < randomCandidates; k++) consider(t, sources[rng.int(0, sources.length - 1)]);
      for (let radius = longSide; radius >= 1 && bestSource >= 0; radius >>= 1) {
        const bx = bestSource % W;
        const by = (bestSource - bx) / W;
        // floor(v + 0.5) rather than Math.round, which WebAssembly has not: the kernel rounds the same.
        const x = Math.min(W - 1, Math.max(0, bx + Math.floor((2 * rng.next() - 1) * radius + 0.5)));
        const y = Math.min(H - 1, Math.max(0, by + Math.floor((2 * rng.next() - 1) * radius + 0.5)));
        consider(t, y * W + x);
      }
      from[t] = bestSource;
    }
    for (const t of front) {
      const s = from[t];
      if (s >= 0) for (let c = 0; c < C; c++) image[t * C + c] = image[s * C + c];
      known[t] = 1;
    }
    const layer = front;
    front = [];
    for (const t of layer) {
      const tx = t % W;
      const ty = (t - tx) / W;
      if (tx > 0) enqueue(t - 1);
      if (tx < W - 1) enqueue(t + 1);
      if (ty > 0) enqueue(t - W);
      if (ty < H - 1) enqueue(t + W);
    }
  }
  return from;
}
