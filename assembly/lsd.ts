// AssemblyScript source of LSD's per-pixel work (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/lsd-bytes.ts; laid out by
// src/core/inpaint/wasm/lsd.ts): `detectSegments` of structure/lsd.ts up to
// its a-contrario test — the prefilter, the level-line field, the
// pseudo-ordering, region growing, the rectangles, their density and
// refinement — written operation for operation as there: the same f64
// arithmetic in the same order, rounded to f32 where the TypeScript stores
// into a Float32Array, so the same candidates come out. The rectangle's
// direction takes the host's Math.cos and Math.sin (imported: their last bit
// differs between runtimes, and axis-aligned rectangles depend on it); the
// NFA (logarithms) stays in the TypeScript, which only reads these counts.
// Why: the structure step runs LSD once per erase; in a fresh process V8 runs
// these loops unoptimised for most of their pixels.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in.

import { f32At, f64At, i32At, setF32, setF64, setI32, setU8, u8At } from "./planes";
import { gaussianBlur } from "./structure";

// @ts-ignore: decorator
@external("env", "cos")
declare function hostCos(x: f64): f64;
// @ts-ignore: decorator
@external("env", "sin")
declare function hostSin(x: f64): f64;

const PRECISION: f64 = 1.0 / 8.0;
const BINS = 1024;
const UNUSABLE = 2;
const USED = 1;
/** f64 values per candidate in `out`: x1, y1, x2, y2, width, total, aligned, contrast sum, region size. */
const RECORD = 9;

// The current rectangle (`regionRectangle`), as module state: no allocation.
let rx1: f64 = 0;
let ry1: f64 = 0;
let rx2: f64 = 0;
let ry2: f64 = 0;
let rWidth: f64 = 0;
let rdx: f64 = 0;
let rdy: f64 = 0;
let rTheta: f64 = 0;
// `countInRectangle`'s answer.
let countTotal = 0;
let countAligned = 0;

@inline function angleDiff(a: f64, b: f64): f64 {
  let d = Math.abs(a - b);
  if (d > Math.PI) d = 2 * Math.PI - d;
  return d;
}

@inline function distance(dx: f64, dy: f64): f64 {
  return Math.sqrt(dx * dx + dy * dy);
}

function growRegion(seed: i32, tolerance: f64, angle: usize, cosA: usize, sinA: usize, state: usize, w: i32, h: i32, region: usize): i32 {
  let n = 1;
  setI32(region, 0, seed);
  setU8(state, seed, USED);
  let sumCos = f64At(cosA, seed);
  let sumSin = f64At(sinA, seed);
  let regionAngle = f32At(angle, seed);
  for (let k = 0; k < n; k++) {
    const p = i32At(region, k);
    const px = p % w;
    const py = (p - px) / w;
    for (let dy = -1; dy <= 1; dy++) {
      const y = py + dy;
      if (y < 0 || y >= h) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const x = px + dx;
        if (x < 0 || x >= w) continue;
        const q = y * w + x;
        if (u8At(state, q) != 0 || angleDiff(f32At(angle, q), regionAngle) > tolerance) continue;
        setU8(state, q, USED);
        setI32(region, n++, q);
        sumCos += f64At(cosA, q);
        sumSin += f64At(sinA, q);
        regionAngle = Math.atan2(sumSin, sumCos);
      }
    }
  }
  return n;
}

function regionSpan(region: usize, n: i32, w: i32): f64 {
  let x0 = w;
  let x1 = -1;
  let y0 = i32.MAX_VALUE;
  let y1 = -1;
  for (let k = 0; k < n; k++) {
    const p = i32At(region, k);
    const x = p % w;
    const y = (p - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return distance(<f64>(x1 - x0), <f64>(y1 - y0));
}

function regionRectangle(region: usize, n: i32, magnitude: usize, cosA: usize, sinA: usize, w: i32): void {
  const fw = <f64>w;
  let sum: f64 = 0;
  let cx: f64 = 0;
  let cy: f64 = 0;
  for (let k = 0; k < n; k++) {
    const p = i32At(region, k);
    const x = p % w;
    const m = f32At(magnitude, p);
    cx += m * <f64>x;
    cy += m * (<f64>(p - x) / fw);
    sum += m;
  }
  cx /= sum;
  cy /= sum;
  let ixx: f64 = 0;
  let iyy: f64 = 0;
  let ixy: f64 = 0;
  let sumCos: f64 = 0;
  let sumSin: f64 = 0;
  for (let k = 0; k < n; k++) {
    const p = i32At(region, k);
    const x = <f64>(p % w) - cx;
    const y = <f64>(p - (p % w)) / fw - cy;
    const m = f32At(magnitude, p);
    ixx += m * y * y;
    iyy += m * x * x;
    ixy -= m * x * y;
    sumCos += f64At(cosA, p);
    sumSin += f64At(sinA, p);
  }
  const regionAngle = Math.atan2(sumSin, sumCos);
  const lambda = 0.5 * (ixx + iyy - Math.sqrt((ixx - iyy) * (ixx - iyy) + 4 * ixy * ixy));
  let theta = Math.abs(ixx) > Math.abs(iyy) ? Math.atan2(lambda - ixx, ixy) : Math.atan2(ixy, lambda - iyy);
  if (angleDiff(theta, regionAngle) > PRECISION * Math.PI * 4) theta += Math.PI;
  const dx = hostCos(theta);
  const dy = hostSin(theta);
  let lMin: f64 = 0;
  let lMax: f64 = 0;
  let wMin: f64 = 0;
  let wMax: f64 = 0;
  for (let k = 0; k < n; k++) {
    const p = i32At(region, k);
    const x = <f64>(p % w) - cx;
    const y = <f64>(p - (p % w)) / fw - cy;
    const l = x * dx + y * dy;
    const t = -x * dy + y * dx;
    if (l < lMin) lMin = l;
    if (l > lMax) lMax = l;
    if (t < wMin) wMin = t;
    if (t > wMax) wMax = t;
  }
  rx1 = cx + lMin * dx;
  ry1 = cy + lMin * dy;
  rx2 = cx + lMax * dx;
  ry2 = cy + lMax * dy;
  rWidth = Math.max(1, wMax - wMin);
  rdx = dx;
  rdy = dy;
  rTheta = theta;
}

/** lsd.ts's `countInRectangle` on the current rectangle; `allowed` 0 for none. */
function countInRectangle(angle: usize, state: usize, w: i32, h: i32, tolerance: f64, allowed: usize): void {
  const half = rWidth / 2;
  const nx = -rdy;
  const ny = rdx;
  const ex = Math.abs(nx * half);
  const ey = Math.abs(ny * half);
  const x0 = <i32>Math.max(0, Math.floor(Math.min(rx1, rx2) - ex));
  const x1 = <i32>Math.min(<f64>(w - 1), Math.ceil(Math.max(rx1, rx2) + ex));
  const y0 = <i32>Math.max(0, Math.floor(Math.min(ry1, ry2) - ey));
  const y1 = <i32>Math.min(<f64>(h - 1), Math.ceil(Math.max(ry1, ry2) + ey));
  const length = distance(rx2 - rx1, ry2 - ry1);
  let total = 0;
  let aligned = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = <f64>x - rx1;
      const py = <f64>y - ry1;
      const l = px * rdx + py * rdy;
      const t = -px * rdy + py * rdx;
      if (l < -0.5 || l > length + 0.5 || t < -half - 0.5 || t > half + 0.5) continue;
      const i = y * w + x;
      if (allowed != 0 && u8At(allowed, i) == 0) continue;
      total++;
      if (u8At(state, i) != UNUSABLE && angleDiff(f32At(angle, i), rTheta) <= tolerance) aligned++;
    }
  }
  countTotal = total;
  countAligned = aligned;
}

function alignedDensity(angle: usize, state: usize, w: i32, h: i32, tolerance: f64): f64 {
  countInRectangle(angle, state, w, h, tolerance, 0);
  return countTotal == 0 ? 0 : <f64>countAligned / <f64>countTotal;
}

function angleSpread(region: usize, n: i32, seed: i32, angle: usize, w: i32, width: f64, tau: f64): f64 {
  const sx = seed % w;
  const sy = (seed - sx) / w;
  const radius = Math.max(2, width);
  const farther = radius * radius * (1 + 1e-9);
  const nearer = radius * radius * (1 - 1e-9);
  let sum: f64 = 0;
  let sum2: f64 = 0;
  let count = 0;
  const seedAngle = f32At(angle, seed);
  for (let k = 0; k < n; k++) {
    const p = i32At(region, k);
    const x = p % w;
    const ox = x - sx;
    const oy = (p - x) / w - sy;
    const d2 = <f64>(ox * ox + oy * oy);
    if (d2 > farther || (d2 >= nearer && Math.sqrt(d2) > radius)) continue;
    const d = f32At(angle, p) - seedAngle;
    const wrapped = d > Math.PI ? d - 2 * Math.PI : d < -Math.PI ? d + 2 * Math.PI : d;
    sum += wrapped;
    sum2 += wrapped * wrapped;
    count++;
  }
  if (count < 2) return tau;
  const mean = sum / <f64>count;
  return 2 * Math.sqrt(Math.max(0, sum2 / <f64>count - mean * mean));
}

/**
 * `detectSegments` on the grey plane `grey` (w × h f32) up to the NFA: the
 * prefilter with the normalised `kernel` (2·radius + 1 f32) over `allowed`
 * (0 for none), then every region that passes the density and length tests,
 * in seed order, as a record of `RECORD` f64 in `out` (its counts for the
 * NFA taken over `allowed`, when the TypeScript would take them). `result`:
 * census pixels, census above, usable pixels, records (4 f64). Scratch:
 * `rowNeed` and `state` w·h bytes, `run` w i32, `tmp`, `blurred`, `angle` and
 * `magnitude` w·h f32, `cosA` and `sinA` w·h f64, `usable`, `region`, `bins`
 * and `order` w·h i32, `counts` BINS + 1 i32, `start` BINS i32.
 */
export function lsdCandidates(
  grey: usize,
  w: i32,
  h: i32,
  kernel: usize,
  radius: i32,
  allowed: usize,
  rho: f64,
  faint: f64,
  minLength: f64,
  tau: f64,
  rowNeed: usize,
  run: usize,
  tmp: usize,
  blurred: usize,
  angle: usize,
  magnitude: usize,
  cosA: usize,
  sinA: usize,
  state: usize,
  usableList: usize,
  region: usize,
  bins: usize,
  order: usize,
  counts: usize,
  start: usize,
  out: usize,
  result: usize,
): void {
  const n = w * h;
  gaussianBlur(grey, w, h, kernel, radius, allowed, rowNeed, run, tmp, blurred);
  memory.fill(angle, 0, <usize>n << 2);
  memory.fill(magnitude, 0, <usize>n << 2);
  memory.fill(cosA, 0, <usize>n << 3);
  memory.fill(sinA, 0, <usize>n << 3);
  memory.fill(state, 0, <usize>n);
  let usable = 0;
  let above = 0;
  let pixels = 0;
  let maxMagnitude: f64 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (
        x == w - 1 ||
        y == h - 1 ||
        (allowed != 0 && (u8At(allowed, i) & u8At(allowed, i + 1) & u8At(allowed, i + w) & u8At(allowed, i + w + 1)) == 0)
      ) {
        setU8(state, i, UNUSABLE);
        continue;
      }
      const a = f32At(blurred, i);
      const b = f32At(blurred, i + 1);
      const c = f32At(blurred, i + w);
      const d = f32At(blurred, i + w + 1);
      const gx = (b + d - a - c) / 2;
      const gy = (c + d - a - b) / 2;
      const m = Math.sqrt(gx * gx + gy * gy);
      setF32(magnitude, i, m);
      pixels++;
      if (m > faint) above++;
      if (m <= rho) setU8(state, i, UNUSABLE);
      else {
        setF32(angle, i, Math.atan2(gx, -gy));
        setF64(cosA, i, -gy / m);
        setF64(sinA, i, gx / m);
        setI32(usableList, usable++, i);
        if (m > maxMagnitude) maxMagnitude = m;
      }
    }
  }
  setF64(result, 0, <f64>pixels);
  setF64(result, 1, <f64>above);
  setF64(result, 2, <f64>usable);
  setF64(result, 3, 0);
  if (maxMagnitude == 0) return;
  const top = maxMagnitude * 1.0001;
  memory.fill(counts, 0, <usize>(BINS + 1) << 2);
  for (let u = 0; u < usable; u++) {
    const b = BINS - 1 - <i32>Math.min(<f64>(BINS - 1), Math.floor((f32At(magnitude, i32At(usableList, u)) * <f64>BINS) / top));
    setI32(bins, u, b);
    setI32(counts, b, i32At(counts, b) + 1);
  }
  for (let b = 1; b <= BINS; b++) setI32(counts, b, i32At(counts, b) + i32At(counts, b - 1));
  setI32(start, 0, 0);
  for (let b = 1; b < BINS; b++) setI32(start, b, i32At(counts, b - 1));
  for (let u = 0; u < usable; u++) {
    const b = i32At(bins, u);
    const at = i32At(start, b);
    setI32(order, at, i32At(usableList, u));
    setI32(start, b, at + 1);
  }

  let records = 0;
  for (let o = 0; o < usable; o++) {
    const seed = i32At(order, o);
    if (u8At(state, seed) != 0) continue;
    let size = growRegion(seed, tau, angle, cosA, sinA, state, w, h, region);
    if (size < 2) {
      setU8(state, i32At(region, 0), 0);
      continue;
    }
    if (minLength > 0 && regionSpan(region, size, w) + 1 < minLength) continue;
    regionRectangle(region, size, magnitude, cosA, sinA, w);
    let density = alignedDensity(angle, state, w, h, tau);
    if (density < 0.7) {
      for (let k = 0; k < size; k++) setU8(state, i32At(region, k), 0);
      const spread = angleSpread(region, size, seed, angle, w, rWidth, tau);
      size = growRegion(seed, Math.max(spread, tau / 4), angle, cosA, sinA, state, w, h, region);
      if (size < 2) {
        for (let k = 0; k < size; k++) setU8(state, i32At(region, k), 0);
        setU8(state, seed, USED);
        continue;
      }
      if (minLength > 0 && regionSpan(region, size, w) + 1 < minLength) continue;
      regionRectangle(region, size, magnitude, cosA, sinA, w);
      density = alignedDensity(angle, state, w, h, tau);
      if (density < 0.7) continue;
    }
    const length = distance(rx2 - rx1, ry2 - ry1);
    if (length < minLength) continue;
    countInRectangle(angle, state, w, h, tau, allowed);
    let contrast: f64 = 0;
    for (let k = 0; k < size; k++) contrast += f32At(magnitude, i32At(region, k));
    const at = records * RECORD;
    setF64(out, at, rx1);
    setF64(out, at + 1, ry1);
    setF64(out, at + 2, rx2);
    setF64(out, at + 3, ry2);
    setF64(out, at + 4, rWidth);
    setF64(out, at + 5, <f64>countTotal);
    setF64(out, at + 6, <f64>countAligned);
    setF64(out, at + 7, contrast);
    setF64(out, at + 8, <f64>size);
    records++;
  }
  setF64(result, 3, <f64>records);
}
