// AssemblyScript source of the WebAssembly SIMD patch distance (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/patch-distance-bytes.ts).
//
// The image is the compact layout of `PatchProblem.packed`: per pixel `lanes`
// signed 16-bit values, packed densely (3: three colours; 5: three colours
// and two texture channels pre-scaled by √λ), so that a patch row of 7 pixels
// is 21 or 35 values in 2⅝ or 4⅜ vectors), rows of `width` pixels,
// starting at byte `base` of the memory, with 16 bytes of room after the
// last pixel for a row's last, partly masked vector. The sum of squared
// differences of one (2r+1)² patch pair, clipped to the image around the
// target, is accumulated per row in 32-bit lanes (`i32x4.dot_i16x8_s`) and
// across rows in f64, and stops once it reaches `best` — the same integers,
// the same order of the early-exit tests and so the same result as the
// TypeScript kernel `packedDistance`.

import { randomInt, randomState, setRandomState } from "./random";

let width: i32 = 0;
let height: i32 = 0;
let radius: i32 = 0;
let lanes: i32 = 4;
let base: i32 = 0;

export function setup(w: i32, h: i32, r: i32, laneCount: i32, byteBase: i32): void {
  width = w;
  height = h;
  radius = r;
  lanes = laneCount;
  base = byteBase;
}

// The sum of a row's four 32-bit lanes. Every lane is a sum of squares, and
// a whole row (at most 33 pixels of PACKED_MAX-bounded differences) stays
// below 2³², so the lanes add exactly as unsigned 32-bit integers: two
// vector adds and one conversion instead of four conversions and three
// double adds.
@inline
function rowSum(acc: v128): f64 {
  const pairs = i32x4.add(acc, i8x16.shuffle(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  const total = i32x4.add(pairs, i8x16.shuffle(pairs, pairs, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
  return <f64>(<u32>i32x4.extract_lane(total, 0));
}

// A target's patch as the sums read it: where its clipped window starts in
// the packed image (relative to the target's, `shift` bytes), how many rows,
// how many whole vectors a row has and the mask of its last, partial one. The
// scan computes it once per target (two integer divisions) instead of once
// per candidate.
let patchShift: i32 = 0;
let patchRows: i32 = 0;
let patchFull: i32 = 0;
let patchRest: v128 = i16x8.splat(0);

@inline
function measurePatch(tx: i32, ty: i32): void {
  const w = width;
  const r = radius;
  const x0 = tx - r < 0 ? -tx : -r;
  const x1 = tx + r >= w ? w - 1 - tx : r;
  const y0 = ty - r < 0 ? -ty : -r;
  const y1 = ty + r >= height ? height - 1 - ty : r;
  const values = (x1 - x0 + 1) * lanes;
  patchShift = (y0 * w + x0) * (lanes << 1);
  patchRows = y1 - y0 + 1;
  patchFull = values >> 3;
  patchRest = i16x8.lt_s(i16x8(0, 1, 2, 3, 4, 5, 6, 7), i16x8.splat(<i16>(values & 7)));
}

// The distance between the target patch `measurePatch` described (at pixel t)
// and the source patch at s, in packed units; stops once it reaches `best`.
@inline
function patchSum(t: i32, s: i32, best: f64): f64 {
  const pixelBytes = lanes << 1;
  const rowBytes = width * pixelBytes;
  const full = patchFull;
  const rest = patchRest;
  let ti = base + t * pixelBytes + patchShift;
  let si = base + s * pixelBytes + patchShift;
  let sum: f64 = 0;
  // A row's values in whole vectors, then the rest with the next pixels' values masked off.
  for (let row = patchRows; row > 0; row--) {
    let acc = i32x4.splat(0);
    let o = 0;
    for (let c = 0; c < full; c++, o += 16) {
      const d = i16x8.sub(v128.load(ti + o), v128.load(si + o));
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(d, d));
    }
    const d = v128.and(i16x8.sub(v128.load(ti + o), v128.load(si + o)), rest);
    acc = i32x4.add(acc, i32x4.dot_i16x8_s(d, d));
    sum += rowSum(acc);
    if (sum >= best) return sum;
    ti += rowBytes;
    si += rowBytes;
  }
  return sum;
}

export function distance(t: i32, s: i32, best: f64): f64 {
  measurePatch(t % width, t / width);
  return patchSum(t, s, best);
}

// One PatchMatch scan over one band, the loop of `scanBand` in
// src/core/inpaint/patchmatch.ts with the same arithmetic in the same order:
// propagation from the previous neighbour's match shifted by one pixel, then
// random search at radii R, R/2, … 1 around the best match, drawing from the
// same mulberry32 stream (`Random`), distances in doubles divided by the same
// power of two and stored as float32. The problem's arrays lie in this memory
// at the byte offsets given to `setupScan`; the field (source, distance), the
// snapshot and the visited-slot list are copied in and out by the caller.

let validAt: i32 = 0;
let slotAt: i32 = 0;
let targetAt: i32 = 0;
let sideAt: i32 = 0;
let sourceAt: i32 = 0;
let distanceAt: i32 = 0;
let snapshotAt: i32 = 0;
let onlyAt: i32 = 0;
let unitSquared: f64 = 1;

export function setupScan(
  valid: i32,
  slot: i32,
  target: i32,
  side: i32,
  source: i32,
  dist: i32,
  snapshot: i32,
  only: i32,
  u2: f64,
): void {
  validAt = valid;
  slotAt = slot;
  targetAt = target;
  sideAt = side;
  sourceAt = source;
  distanceAt = dist;
  snapshotAt = snapshot;
  onlyAt = only;
  unitSquared = u2;
}

@inline
function sidesAgree(useSide: bool, t: i32, s: i32): bool {
  if (!useSide) return true;
  const a = <i32>load<u8>(sideAt + t);
  const b = <i32>load<u8>(sideAt + s);
  return ((((a >> 1) & b) | ((b >> 1) & a)) & 0x55) == 0;
}

@inline
function sourceOf(slot: i32, first: i32, last: i32, useSnapshot: bool): i32 {
  return !useSnapshot || (slot >= first && slot <= last) ? load<i32>(sourceAt + (slot << 2)) : load<i32>(snapshotAt + (slot << 2));
}

/**
 * Scans visited positions [lo, hi) (of the targets, or of the slot list when
 * `useOnly`), in raster order when `forward`, from random state `state`;
 * returns the random state afterwards.
 */
export function scan(lo: i32, hi: i32, forward: bool, maxRadius: i32, state: i32, useSnapshot: bool, useOnly: bool, useSide: bool): i32 {
  setRandomState(state);
  const w = width;
  const h = height;
  const r = radius;
  const xMin = r;
  const xMax = w - 1 - r;
  const yMin = r;
  const yMax = h - 1 - r;
  const u2 = unitSquared;
  const first = useOnly ? load<i32>(onlyAt + (lo << 2)) : lo;
  const last = useOnly ? load<i32>(onlyAt + ((hi - 1) << 2)) : hi - 1;
  const step = forward ? 1 : -1;
  const n = hi - lo;
  for (let q = 0; q < n; q++) {
    const visit = forward ? lo + q : hi - 1 - q;
    const k = useOnly ? load<i32>(onlyAt + (visit << 2)) : visit;
    const t = load<i32>(targetAt + (k << 2));
    const tx = t % w;
    const ty = t / w;
    measurePatch(tx, ty);
    let bestS = load<i32>(sourceAt + (k << 2));
    let best: f64 = sidesAgree(useSide, t, bestS) ? <f64>load<f32>(distanceAt + (k << 2)) : Infinity;

    const nx = tx - step;
    if (nx >= 0 && nx < w) {
      const slot = load<i32>(slotAt + ((t - step) << 2));
      if (slot >= 0) {
        const cand = sourceOf(slot, first, last, useSnapshot) + step;
        const cx = cand % w;
        if (cand != bestS && cx >= xMin && cx <= xMax && load<u8>(validAt + cand) != 0 && sidesAgree(useSide, t, cand)) {
          const d = patchSum(t, cand, best * u2) / u2;
          if (d < best) {
            best = d;
            bestS = cand;
          }
        }
      }
    }
    const ny = ty - step;
    if (ny >= 0 && ny < h) {
      const slot = load<i32>(slotAt + ((t - step * w) << 2));
      if (slot >= 0) {
        const cand = sourceOf(slot, first, last, useSnapshot) + step * w;
        if (cand != bestS && cand >= 0 && cand < w * h && load<u8>(validAt + cand) != 0 && sidesAgree(useSide, t, cand)) {
          const d = patchSum(t, cand, best * u2) / u2;
          if (d < best) {
            best = d;
            bestS = cand;
          }
        }
      }
    }

    const bx = bestS % w;
    const by = bestS / w;
    for (let R = maxRadius; R >= 1; R = R >> 1) {
      let sx = bx + randomInt(-R, R);
      let sy = by + randomInt(-R, R);
      if (sx < xMin) sx = xMin;
      else if (sx > xMax) sx = xMax;
      if (sy < yMin) sy = yMin;
      else if (sy > yMax) sy = yMax;
      const cand = sy * w + sx;
      if (cand == bestS || load<u8>(validAt + cand) == 0 || !sidesAgree(useSide, t, cand)) continue;
      const d = patchSum(t, cand, best * u2) / u2;
      if (d < best) {
        best = d;
        bestS = cand;
      }
    }
    if (best != Infinity) store<f32>(distanceAt + (k << 2), <f32>best);
    store<i32>(sourceAt + (k << 2), bestS);
  }
  return randomState();
}

/** Every target's distance to its source (no early exit), stored as float32: `refreshDistances` over the field copied in. */
export function refresh(count: i32): void {
  const u2 = unitSquared;
  for (let k = 0; k < count; k++) {
    const t = load<i32>(targetAt + (k << 2));
    measurePatch(t % width, t / width);
    const d = patchSum(t, load<i32>(sourceAt + (k << 2)), Infinity * u2) / u2;
    store<f32>(distanceAt + (k << 2), <f32>d);
  }
}
