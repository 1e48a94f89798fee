/**
 * PatchMatch nearest-neighbour fields (Barnes, Shechtman, Finkelstein,
 * Goldman, SIGGRAPH 2009) for image completion.
 *
 * Targets are the centres of patches that overlap the hole; sources are the
 * centres of (2r+1)² patches that lie inside the image and contain no hole
 * pixel, so a hole patch can only ever be matched to known content. The field
 * is improved by alternating-order scans: propagation from the previous
 * neighbour's match shifted by one pixel, then random search around the best
 * match at radii R, R/2, … 1. Distances are sums of squared differences over
 * the first three channels, plus optionally two texture-feature channels
 * weighted by λ (Newson, Almansa, Fradet, Gousseau, Pérez, "Video Inpainting
 * of Complex Scenes", SIAM J. Imaging Sciences 2014, §3.3), with early exit
 * once a candidate is worse than the current best.
 */
import { holeIntegral } from "../mask.js";
import { Random } from "../random.js";

/** One completion problem at one pyramid level. */
export interface PatchProblem {
  width: number;
  height: number;
  channels: number;
  /** Current estimate; known pixels hold the truth. Interleaved, `channels` per pixel. */
  image: Float32Array;
  /** 1 for pixels to fill. */
  hole: Uint8Array;
  radius: number;
  /** Centres whose patch overlaps the hole, in raster order. */
  targets: Int32Array;
  /** 1 where a centre is a usable source (patch inside the image, no hole). */
  validSource: Uint8Array;
  /** The valid source centres, for random initialisation. */
  sources: Int32Array;
  /** Target slot of each pixel, −1 if not a target. */
  slotOf: Int32Array;
  /** First of two texture-feature channels compared by the distance, or −1 for none. */
  textureChannel: number;
  /** λ, the weight of the texture channels' squared differences. */
  textureWeight: number;
  /**
   * Optional side labels per pixel (structure propagation, `sideLabels` in
   * structure/): bits 2k and 2k+1 mark the left and right of continued curve
   * k. A source on the other side of a curve than its target is never taken.
   */
  side?: Uint8Array;
}

/** Whether source s lies on no other side of a continued curve than target t (see `PatchProblem.side`). */
export function sidesAgree(side: Uint8Array, t: number, s: number): boolean {
  const a = side[t];
  const b = side[s];
  return ((((a >> 1) & b) | ((b >> 1) & a)) & 0x55) === 0;
}

/** Texture channels that the patch distance also compares. */
export interface TextureTerm {
  channel: number;
  weight: number;
}

/** A nearest-neighbour field: one source centre and its distance per target. */
export interface Nnf {
  source: Int32Array;
  distance: Float32Array;
}

/** Sets up targets and sources for a hole; returns null if nothing can be copied from. */
export function makePatchProblem(
  image: Float32Array,
  width: number,
  height: number,
  channels: number,
  hole: Uint8Array,
  radius: number,
  texture?: TextureTerm,
): PatchProblem | null {
  const r = radius;
  const side = 2 * r + 1;
  const integral = holeIntegral(hole, width, height);
  const w1 = width + 1;
  const validSource = new Uint8Array(width * height);
  let nSources = 0;
  for (let y = r; y < height - r; y++) {
    for (let x = r; x < width - r; x++) {
      const x0 = x - r;
      const y0 = y - r;
      const count =
        integral[(y0 + side) * w1 + x0 + side] - integral[y0 * w1 + x0 + side] - integral[(y0 + side) * w1 + x0] + integral[y0 * w1 + x0];
      if (count === 0) {
        validSource[y * width + x] = 1;
        nSources++;
      }
    }
  }
  if (nSources === 0) return null;
  const sources = new Int32Array(nSources);
  for (let i = 0, k = 0; i < validSource.length; i++) if (validSource[i] !== 0) sources[k++] = i;

  // Targets lie within r of the hole, so only the hole's box grown by r is scanned.
  const slotOf = new Int32Array(width * height).fill(-1);
  const box = holeBoxOf(integral, width, height);
  const gx0 = Math.max(0, box.x0 - r);
  const gx1 = Math.min(width, box.x1 + r);
  const gy0 = Math.max(0, box.y0 - r);
  const gy1 = Math.min(height, box.y1 + r);
  const list = new Int32Array(Math.max(0, (gx1 - gx0) * (gy1 - gy0)));
  let nTargets = 0;
  for (let y = gy0; y < gy1; y++) {
    const ya = Math.max(0, y - r);
    const yb = Math.min(height, y + r + 1);
    for (let x = gx0; x < gx1; x++) {
      const xa = Math.max(0, x - r);
      const xb = Math.min(width, x + r + 1);
      const count = integral[yb * w1 + xb] - integral[ya * w1 + xb] - integral[yb * w1 + xa] + integral[ya * w1 + xa];
      if (count > 0) {
        slotOf[y * width + x] = nTargets;
        list[nTargets++] = y * width + x;
      }
    }
  }
  return {
    width,
    height,
    channels,
    image,
    hole,
    radius: r,
    targets: list.slice(0, nTargets),
    validSource,
    sources,
    slotOf,
    textureChannel: texture?.channel ?? -1,
    textureWeight: texture?.weight ?? 0,
  };
}

/** The hole's bounding box [x0, x1) × [y0, y1) read off its summed-area table (empty when there is no hole). */
function holeBoxOf(integral: Int32Array, width: number, height: number): { x0: number; x1: number; y0: number; y1: number } {
  const w1 = width + 1;
  const total = integral[height * w1 + width];
  if (total === 0) return { x0: 0, x1: 0, y0: 0, y1: 0 };
  let y0 = 0;
  while (integral[(y0 + 1) * w1 + width] === 0) y0++;
  let y1 = height;
  while (integral[(y1 - 1) * w1 + width] === total) y1--;
  let x0 = 0;
  while (integral[height * w1 + x0 + 1] === 0) x0++;
  let x1 = width;
  while (integral[height * w1 + x1 - 1] === total) x1--;
  return { x0, x1, y0, y1 };
}

/** Number of valid source centres of (2r+1)² patches for a hole plane, without building the problem. */
export function countSources(hole: Uint8Array, width: number, height: number, radius: number): number {
  const r = radius;
  const side = 2 * r + 1;
  if (width < side || height < side) return 0;
  const integral = holeIntegral(hole, width, height);
  const w1 = width + 1;
  let n = 0;
  for (let y0 = 0; y0 + side <= height; y0++) {
    for (let x0 = 0; x0 + side <= width; x0++) {
      const count =
        integral[(y0 + side) * w1 + x0 + side] - integral[y0 * w1 + x0 + side] - integral[(y0 + side) * w1 + x0] + integral[y0 * w1 + x0];
      if (count === 0) n++;
    }
  }
  return n;
}

/**
 * Sum of squared differences between the target patch at t and the source
 * patch at s (first three channels, plus λ times the texture channels'),
 * clipped to the image around t. Stops early once the sum reaches `best`.
 */
export function patchDistance(p: PatchProblem, t: number, s: number, best: number): number {
  const { width: w, height: h, channels: C, image: img, radius: r } = p;
  const tx = t % w;
  const ty = (t - tx) / w;
  const x0 = tx - r < 0 ? -tx : -r;
  const x1 = tx + r >= w ? w - 1 - tx : r;
  const y0 = ty - r < 0 ? -ty : -r;
  const y1 = ty + r >= h ? h - 1 - ty : r;
  const span = (x1 - x0 + 1) * C;
  let sum = 0;
  const F = p.textureChannel;
  if (F >= 0) {
    const lambda = p.textureWeight;
    for (let dy = y0; dy <= y1; dy++) {
      let ti = (t + dy * w + x0) * C;
      let si = (s + dy * w + x0) * C;
      const end = ti + span;
      for (; ti < end; ti += C, si += C) {
        const a = img[ti] - img[si];
        const b = img[ti + 1] - img[si + 1];
        const c = img[ti + 2] - img[si + 2];
        const e = img[ti + F] - img[si + F];
        const f = img[ti + F + 1] - img[si + F + 1];
        sum += a * a + b * b + c * c + lambda * (e * e + f * f);
      }
      if (sum >= best) return sum;
    }
    return sum;
  }
  for (let dy = y0; dy <= y1; dy++) {
    let ti = (t + dy * w + x0) * C;
    let si = (s + dy * w + x0) * C;
    const end = ti + span;
    for (; ti < end; ti += C, si += C) {
      const a = img[ti] - img[si];
      const b = img[ti + 1] - img[si + 1];
      const c = img[ti + 2] - img[si + 2];
      sum += a * a + b * b + c * c;
    }
    if (sum >= best) return sum;
  }
  return sum;
}

/** Number of pixels of the target patch at t that lie inside the image. */
export function patchArea(p: PatchProblem, t: number): number {
  const { width: w, height: h, radius: r } = p;
  const tx = t % w;
  const ty = (t - tx) / w;
  const nx = Math.min(w - 1, tx + r) - Math.max(0, tx - r) + 1;
  const ny = Math.min(h - 1, ty + r) - Math.max(0, ty - r) + 1;
  return nx * ny;
}

/** A field of uniformly random valid sources, with distances. */
export function randomNnf(p: PatchProblem, rng: Random): Nnf {
  const n = p.targets.length;
  const source = new Int32Array(n);
  const distance = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    source[k] = p.sources[rng.int(0, p.sources.length - 1)];
    distance[k] = patchDistance(p, p.targets[k], source[k], Number.POSITIVE_INFINITY);
  }
  return { source, distance };
}

/** Recomputes every distance after the image estimate changed. */
export function refreshDistances(p: PatchProblem, nnf: Nnf): void {
  for (let k = 0; k < p.targets.length; k++) {
    nnf.distance[k] = patchDistance(p, p.targets[k], nnf.source[k], Number.POSITIVE_INFINITY);
  }
}

/**
 * Targets per band of a scan. A scan over more targets is split into bands
 * (at most `MAX_BANDS`) that can run on separate threads: within a band
 * propagation reads its neighbours' matches as they are updated, across a
 * band border it reads the matches the scan started from, so the result does
 * not depend on the order or the threads the bands run on. The number of bands
 * depends only on the number of targets, never on the threads available, so
 * the same seed gives the same pixels on any machine.
 */
export const BAND_TARGETS = 1024;
export const MAX_BANDS = 8;

/** Bands for a scan over `n` targets: 1 up to 2·BAND_TARGETS, then one per BAND_TARGETS, at most MAX_BANDS. */
export function bandCount(n: number): number {
  return Math.max(1, Math.min(MAX_BANDS, Math.floor(n / BAND_TARGETS)));
}

/** One band of one PatchMatch scan: visited positions [lo, hi) of the target list (or of `only`). */
export interface BandScan {
  lo: number;
  hi: number;
  forward: boolean;
  maxRadius: number;
  /** Seed of the band's own random stream (unused when the scan has a single band). */
  seed: number;
}

/** The scans of `improveNnf`, band by band: one inner list per scan, run one after the other. */
export function planScans(visited: number, iterations: number, maxRadius: number, rng: Random): BandScan[][] {
  const bands = bandCount(visited);
  const plan: BandScan[][] = [];
  for (let it = 0; it < iterations; it++) {
    const forward = (it & 1) === 0;
    const scan: BandScan[] = [];
    for (let b = 0; b < bands; b++) {
      const lo = Math.floor((b * visited) / bands);
      const hi = Math.floor(((b + 1) * visited) / bands);
      scan.push({ lo, hi, forward, maxRadius, seed: bands > 1 ? rng.int(0, 0x7fffffff) : 0 });
    }
    plan.push(scan);
  }
  return plan;
}

/**
 * Runs `iterations` PatchMatch scans (alternating raster order), with random
 * search starting at `maxRadius` pixels around the current best. With `only`
 * (target slots in raster order), just those targets are visited. Large scans
 * are split into bands (`bandCount`), run here one after the other; a thread
 * pool runs the same plan (`planScans`, `scanBand`) with the same result.
 */
export function improveNnf(p: PatchProblem, nnf: Nnf, iterations: number, maxRadius: number, rng: Random, only?: Int32Array): void {
  const visited = only ? only.length : p.targets.length;
  const plan = planScans(visited, iterations, maxRadius, rng);
  let snapshot: Int32Array | null = null;
  for (const scan of plan) {
    if (scan.length === 1) {
      scanBand(p, nnf, null, only, scan[0], rng);
      continue;
    }
    snapshot ??= new Int32Array(nnf.source.length);
    snapshot.set(nnf.source);
    for (const band of scan) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
  }
}

/**
 * One scan over one band: propagation from the previous neighbour's match
 * shifted by one pixel, then random search around the best match at radii R,
 * R/2, … 1. `snapshot` (the sources when the scan started) is read for
 * neighbours outside the band; null when the band is the whole scan.
 */
export function scanBand(
  p: PatchProblem,
  nnf: Nnf,
  snapshot: Int32Array | null,
  only: Int32Array | undefined,
  band: BandScan,
  rng: Random,
): void {
  const { width: w, height: h, radius: r, targets, validSource, slotOf, side } = p;
  const { source, distance } = nnf;
  const { lo, hi, forward, maxRadius } = band;
  const xMin = r;
  const xMax = w - 1 - r;
  const yMin = r;
  const yMax = h - 1 - r;
  // Slots this band updates: [first, last]; any other slot is read as the scan found it.
  const first = only ? only[lo] : lo;
  const last = only ? only[hi - 1] : hi - 1;
  const step = forward ? 1 : -1;
  for (let q = 0, n = hi - lo; q < n; q++) {
    const visit = forward ? lo + q : hi - 1 - q;
    const k = only ? only[visit] : visit;
    const t = targets[k];
    const tx = t % w;
    const ty = (t - tx) / w;
    let bestS = source[k];
    // A match from the other side of a continued curve (an initial or upsampled one) gives way to any allowed candidate.
    let best = side === undefined || sidesAgree(side, t, bestS) ? distance[k] : Number.POSITIVE_INFINITY;

    const nx = tx - step;
    if (nx >= 0 && nx < w) {
      const slot = slotOf[t - step];
      if (slot >= 0) {
        const cand = (snapshot === null || (slot >= first && slot <= last) ? source[slot] : snapshot[slot]) + step;
        const cx = cand % w;
        if (cand !== bestS && cx >= xMin && cx <= xMax && validSource[cand] !== 0 && (side === undefined || sidesAgree(side, t, cand))) {
          const d = patchDistance(p, t, cand, best);
          if (d < best) {
            best = d;
            bestS = cand;
          }
        }
      }
    }
    const ny = ty - step;
    if (ny >= 0 && ny < h) {
      const slot = slotOf[t - step * w];
      if (slot >= 0) {
        const cand = (snapshot === null || (slot >= first && slot <= last) ? source[slot] : snapshot[slot]) + step * w;
        if (cand !== bestS && cand >= 0 && cand < w * h && validSource[cand] !== 0 && (side === undefined || sidesAgree(side, t, cand))) {
          const d = patchDistance(p, t, cand, best);
          if (d < best) {
            best = d;
            bestS = cand;
          }
        }
      }
    }

    const bx = bestS % w;
    const by = (bestS - bx) / w;
    for (let R = maxRadius; R >= 1; R = R >> 1) {
      let sx = bx + rng.int(-R, R);
      let sy = by + rng.int(-R, R);
      if (sx < xMin) sx = xMin;
      else if (sx > xMax) sx = xMax;
      if (sy < yMin) sy = yMin;
      else if (sy > yMax) sy = yMax;
      const cand = sy * w + sx;
      if (cand === bestS || validSource[cand] === 0 || (side !== undefined && !sidesAgree(side, t, cand))) continue;
      const d = patchDistance(p, t, cand, best);
      if (d < best) {
        best = d;
        bestS = cand;
      }
    }
    // No allowed candidate turned up: the old match stays, with its distance.
    if (best !== Number.POSITIVE_INFINITY) distance[k] = best;
    source[k] = bestS;
  }
}

/**
 * Runs the bands of one PatchMatch scan on other threads. Implemented over a
 * worker pool where the runtime has one (Node: `vanish/node`'s
 * `FieldThreadPool`); the problem's and the field's arrays are then backed by
 * `SharedArrayBuffer`s (`shareProblem`, `shareNnf`), so only their handles travel.
 */
export interface FieldThreads {
  /** Runs `scanBand` for every band (concurrently); resolves when all are done. */
  scan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined, bands: readonly BandScan[]): Promise<void>;
}

/** `improveNnf` with the bands of each large scan run by `threads`: the same plan, so the same field. */
export async function improveNnfOn(
  threads: FieldThreads,
  p: PatchProblem,
  nnf: Nnf,
  iterations: number,
  maxRadius: number,
  rng: Random,
  only?: Int32Array,
): Promise<void> {
  const visited = only ? only.length : p.targets.length;
  const plan = planScans(visited, iterations, maxRadius, rng);
  let snapshot: Int32Array | null = null;
  const sharedOnly = only && plan.some((scan) => scan.length > 1) ? shared(only) : only;
  for (const scan of plan) {
    if (scan.length === 1) {
      scanBand(p, nnf, null, only, scan[0], rng);
      continue;
    }
    snapshot ??= new Int32Array(new SharedArrayBuffer(nnf.source.length * 4));
    snapshot.set(nnf.source);
    await threads.scan(p, nnf, snapshot, sharedOnly, scan);
  }
}

/** A copy of a typed array in shared memory (the array itself when it already is). */
export function shared<T extends Float32Array | Int32Array | Uint8Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** The problem with the arrays that scans read (image, targets, sources, slots) in shared memory. */
export function shareProblem(p: PatchProblem): PatchProblem {
  return {
    ...p,
    image: shared(p.image),
    targets: shared(p.targets),
    validSource: shared(p.validSource),
    slotOf: shared(p.slotOf),
    side: p.side && shared(p.side),
  };
}

/** The field in shared memory. */
export function shareNnf(nnf: Nnf): Nnf {
  return { source: shared(nnf.source), distance: shared(nnf.distance) };
}
