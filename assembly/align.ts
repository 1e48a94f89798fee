// AssemblyScript source of the reference alignment's per-pixel loops
// (compiled by scripts/build-wasm.mjs into
// src/core/reference/wasm/align-bytes.ts; laid out by
// src/core/reference/wasm/align.ts): the box-averaged luma copy
// (`workingGrey` in src/core/reference/grey.ts), the separable Gaussian blur
// (`convolveRows` / `convolveColumns` there), the feature pyramid's bilinear
// shrink and the Harris response (`shrinkBilinear`, `harrisResponse` in
// features.ts) and the direct search's FFT (`Fft2d` in fft.ts), written
// operation for operation as there: the same f64
// arithmetic in the same order, rounded to f32 where the TypeScript stores
// into a Float32Array, so the features, and so the homographies, are the
// same. The blur's weights come from the TypeScript (they need Math.exp).
// Why: an erase with a reference aligns once; in a fresh process V8 runs
// these loops unoptimised (a 12 MP pair: ~1.4 s of alignment, two thirds
// of it here), WebAssembly runs them compiled from the first pixel.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in.

import { f32At, f64At, setF32, setF64, u8At } from "./planes";

@inline function clampIndex(i: i32, n: i32): i32 {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/**
 * `workingGrey` over a strip: `rows` output rows of `w` pixels from the
 * `rows`·`factor` RGBA rows at `src` (`stride` pixels a row), added into
 * `out` (which the caller zeroed), each source row's sum in turn.
 */
export function lumaRows(src: usize, stride: i32, factor: i32, w: i32, rows: i32, out: usize): void {
  const inv = 1 / <f64>(factor * factor);
  for (let y = 0; y < rows; y++) {
    for (let yy = 0; yy < factor; yy++) {
      let p = (y * factor + yy) * stride * 4;
      for (let x = 0; x < w; x++) {
        let sum: f64 = 0;
        for (let xx = 0; xx < factor; xx++, p += 4) sum += 0.299 * <f64>u8At(src, p) + 0.587 * <f64>u8At(src, p + 1) + 0.114 * <f64>u8At(src, p + 2);
        const o = y * w + x;
        setF32(out, o, f32At(out, o) + sum * inv);
      }
    }
  }
}

/**
 * `gaussianBlur`'s two passes over rows [ya, yb) and columns [xa, xb) of a
 * w × h plane: the horizontal pass (taps summed in f64, left to right) over
 * the rows the vertical one reads into `tmp`, then the vertical pass into
 * `out`, each tap's sum rounded to f32 as the TypeScript's plane does.
 * `k` holds the 2r + 1 taps (f32).
 */
export function blur(src: usize, tmp: usize, out: usize, w: i32, h: i32, k: usize, r: i32, ya: i32, yb: i32, xa: i32, xb: i32): void {
  const ra = ya - r < 0 ? 0 : ya - r;
  const rb = yb + r > h ? h : yb + r;
  const left = min(xb, max(xa, r));
  const right = max(left, min(xb, w - r));
  for (let y = ra; y < rb; y++) {
    const row = y * w;
    for (let x = xa; x < xb; x++) {
      let acc: f64 = 0;
      if (x >= left && x < right) {
        for (let i = -r; i <= r; i++) acc += f32At(k, i + r) * f32At(src, row + x + i);
      } else {
        for (let i = -r; i <= r; i++) acc += f32At(k, i + r) * f32At(src, row + clampIndex(x + i, w));
      }
      setF32(tmp, row + x, acc);
    }
  }
  for (let y = ya; y < yb; y++) {
    const row = y * w;
    for (let i = -r; i <= r; i++) {
      const srow = clampIndex(y + i, h) * w;
      const weight = f32At(k, i + r);
      if (i == -r) for (let x = xa; x < xb; x++) setF32(out, row + x, weight * f32At(tmp, srow + x));
      else for (let x = xa; x < xb; x++) setF32(out, row + x, f32At(out, row + x) + weight * f32At(tmp, srow + x));
    }
  }
}

/**
 * `shrinkBilinear` for planes at least 2 × 2: the blurred `sw` × `sh` plane
 * at `src` resized to `w` × `h` at `out` with pixel centres aligned.
 * Scratch: `col` (w i32), `colWeight` (w f64).
 */
export function shrink(src: usize, sw: i32, sh: i32, w: i32, h: i32, out: usize, col: usize, colWeight: usize): void {
  const sx = <f64>sw / <f64>w;
  const sy = <f64>sh / <f64>h;
  for (let x = 0; x < w; x++) {
    const u = (<f64>x + 0.5) * sx - 0.5;
    const cx = u < 0 ? 0 : u > <f64>(sw - 1) ? <f64>(sw - 1) : u;
    const c = min(sw - 2, <i32>Math.floor(cx));
    store<i32>(col + (<usize>x << 2), c);
    setF64(colWeight, x, cx - <f64>c);
  }
  for (let y = 0; y < h; y++) {
    const v = (<f64>y + 0.5) * sy - 0.5;
    const cy = v < 0 ? 0 : v > <f64>(sh - 1) ? <f64>(sh - 1) : v;
    const y0 = min(sh - 2, <i32>Math.floor(cy));
    const fy = cy - <f64>y0;
    const row = y0 * sw;
    for (let x = 0, o = y * w; x < w; x++, o++) {
      const p = row + load<i32>(col + (<usize>x << 2));
      const fx = f64At(colWeight, x);
      const a = f32At(src, p);
      const top = a + fx * (f32At(src, p + 1) - a);
      const b = f32At(src, p + sw);
      const bottom = b + fx * (f32At(src, p + sw + 1) - b);
      setF32(out, o, top + fy * (bottom - top));
    }
  }
}

/** `boxRow`: one row of a box filter by running sum, clamped edges, `src` (w) into `dst` at offset `o`. */
function boxRow(src: usize, dst: usize, o: i32, w: i32, r: i32, inv: f64): void {
  let acc: f64 = 0;
  for (let i = -r; i <= r; i++) acc += f32At(src, clampIndex(i, w));
  const inner = w - r - 1;
  const head = min(r, w);
  let x = 0;
  for (; x < head; x++) {
    setF32(dst, o + x, acc * inv);
    const add = x + r + 1;
    acc += f32At(src, add >= w ? w - 1 : add) - f32At(src, 0);
  }
  for (; x < inner; x++) {
    setF32(dst, o + x, acc * inv);
    acc += f32At(src, x + r + 1) - f32At(src, x - r);
  }
  for (; x < w; x++) {
    setF32(dst, o + x, acc * inv);
    const sub = x - r;
    acc += f32At(src, w - 1) - f32At(src, sub < 0 ? 0 : sub);
  }
}

/**
 * `harrisResponse`: det/tr of the structure tensor smoothed by a (2r+1)²
 * box twice, for the w × h plane at `data`, into `response`. The
 * TypeScript keeps each pass's output as a whole plane; here each pass
 * keeps only the 2r + 2 rows its running column sums still add or take
 * away (a ring of rows), and the second pass trails the first by r + 1
 * rows. Every column's sums see the same values in the same order, so the
 * response is the same, without 6 planes of scratch to fault in and stream.
 * Scratch, laid out by the caller (f32 rows are w long, f64 rows w long):
 * `rows` 9 f32 rows (gradient products, first pass out, second pass out,
 * three channels each), `acc` 6 f64 rows (each pass's sums), `rings`
 * 6 (2r + 2) f32 rows.
 */
export function harris(data: usize, w: i32, h: i32, r: i32, rows: usize, acc: usize, rings: usize, response: usize): void {
  const inv = 1 / <f64>(2 * r + 1);
  const R = 2 * r + 2;
  const row4 = <usize>w << 2;
  const row8 = <usize>w << 3;
  const grad = rows;
  const mid = rows + 3 * row4;
  const out = rows + 6 * row4;
  const acc1 = acc;
  const acc2 = acc + 3 * row8;
  const ring1 = rings;
  const ring2 = rings + 3 * <usize>R * row4;
  const ringChannel = <usize>R * row4;
  // The first pass's row q (gradient products, box along the row) into its ring.
  let firstDone: i32;
  for (let q = 0; q <= min(h - 1, r); q++) firstRow(data, w, h, q, r, inv, grad, ring1, R);
  firstDone = min(h - 1, r);
  startRingColumns(ring1, ringChannel, acc1, w, h, r, R);
  let secondStarted = false;
  let emitted = 0;
  for (let y1 = 0; y1 < h; y1++) {
    const add = y1 + r + 1 >= h ? h - 1 : y1 + r + 1;
    const sub = y1 - r < 0 ? 0 : y1 - r;
    while (firstDone < add) firstRow(data, w, h, ++firstDone, r, inv, grad, ring1, R);
    for (let c: usize = 0; c < 3; c++) {
      const channel = ring1 + c * ringChannel;
      ringColumnRow(channel + <usize>(add % R) * row4, channel + <usize>(sub % R) * row4, acc1 + c * row8, mid + c * row4, w, inv);
      boxRow(mid + c * row4, ring2 + c * ringChannel, (y1 % R) * w, w, r, inv);
    }
    if (!secondStarted && y1 == min(h - 1, r)) {
      startRingColumns(ring2, ringChannel, acc2, w, h, r, R);
      secondStarted = true;
    }
    if (secondStarted) {
      // Second-pass rows whose sums now have every row they add.
      while (emitted < h && (emitted + r + 1 <= y1 || y1 == h - 1)) {
        secondRow(ring2, ringChannel, acc2, out, emitted, w, h, r, R, inv, response);
        emitted++;
      }
    }
  }
}

/** The first pass's row `q`: the gradient products (no gradient on the border rows and columns), each boxed along the row into its ring slot. */
function firstRow(data: usize, w: i32, h: i32, q: i32, r: i32, inv: f64, grad: usize, ring: usize, R: i32): void {
  const row4 = <usize>w << 2;
  const gXX = grad;
  const gYY = grad + row4;
  const gXY = grad + 2 * row4;
  if (q == 0 || q == h - 1) {
    for (let x = 0; x < w; x++) {
      setF32(gXX, x, 0);
      setF32(gYY, x, 0);
      setF32(gXY, x, 0);
    }
  } else {
    setF32(gXX, 0, 0);
    setF32(gYY, 0, 0);
    setF32(gXY, 0, 0);
    setF32(gXX, w - 1, 0);
    setF32(gYY, w - 1, 0);
    setF32(gXY, w - 1, 0);
    for (let x = 1, p = q * w + 1; x < w - 1; x++, p++) {
      const gx = 0.5 * (f32At(data, p + 1) - f32At(data, p - 1));
      const gy = 0.5 * (f32At(data, p + w) - f32At(data, p - w));
      setF32(gXX, x, gx * gx);
      setF32(gYY, x, gy * gy);
      setF32(gXY, x, gx * gy);
    }
  }
  const slot = (q % R) * w;
  const ringChannel = <usize>R * row4;
  for (let c: usize = 0; c < 3; c++) boxRow(grad + c * row4, ring + c * ringChannel, slot, w, r, inv);
}

/** `startColumns` over a ring: each channel's running column sums (f64) at row 0, rows clamped to [0, h). */
function startRingColumns(ring: usize, ringChannel: usize, acc: usize, w: i32, h: i32, r: i32, R: i32): void {
  const row4 = <usize>w << 2;
  const row8 = <usize>w << 3;
  for (let c: usize = 0; c < 3; c++) {
    const sums = acc + c * row8;
    for (let x = 0; x < w; x++) setF64(sums, x, 0);
    for (let i = -r; i <= r; i++) {
      const src = ring + c * ringChannel + <usize>(clampIndex(i, h) % R) * row4;
      for (let x = 0; x < w; x++) setF64(sums, x, f64At(sums, x) + f32At(src, x));
    }
  }
}

/** `columnRow` with the rows it adds and takes away given as addresses. */
function ringColumnRow(add: usize, sub: usize, acc: usize, out: usize, w: i32, inv: f64): void {
  for (let x = 0; x < w; x++) {
    const a = f64At(acc, x);
    setF32(out, x, a * inv);
    setF64(acc, x, a + (f32At(add, x) - f32At(sub, x)));
  }
}

/** The second pass's output row `y` and its response. */
function secondRow(ring: usize, ringChannel: usize, acc: usize, out: usize, y: i32, w: i32, h: i32, r: i32, R: i32, inv: f64, response: usize): void {
  const row4 = <usize>w << 2;
  const row8 = <usize>w << 3;
  const add = <usize>((y + r + 1 >= h ? h - 1 : y + r + 1) % R) * row4;
  const sub = <usize>((y - r < 0 ? 0 : y - r) % R) * row4;
  for (let c: usize = 0; c < 3; c++) {
    const channel = ring + c * ringChannel;
    ringColumnRow(channel + add, channel + sub, acc + c * row8, out + c * row4, w, inv);
  }
  const sXX = out;
  const sYY = out + row4;
  const sXY = out + 2 * row4;
  for (let x = 0, p = y * w; x < w; x++, p++) {
    const sxx = f32At(sXX, x);
    const syy = f32At(sYY, x);
    const sxy = f32At(sXY, x);
    const tr = sxx + syy;
    setF32(response, p, tr > 1e-6 ? (sxx * syy - sxy * sxy) / tr : 0);
  }
}

/**
 * `matchFeatures`' exhaustive search for target descriptors [i0, i1): for
 * each of them (`a`, 64 f32 each) the nearest and second nearest of the
 * `nr` reference ones (`b`), and each reference descriptor's nearest target
 * (`backBest` i32, `backDist` f32, set up by the caller: −1 and +∞).
 * Writes `pick` (i32: the nearest, −1 where the ratio test fails) and
 * `pickDist` (f32).
 *
 * Two reference descriptors at a time, one per f64x2 lane, each lane
 * summing its squares in the TypeScript's order. The TypeScript stops a
 * pair's sum once it reaches the pair's bound (past the row's second best
 * and the column's best, where the exact value no longer matters); here
 * the pair of lanes stops when both have, and the second lane's bound is
 * taken before the first lane updates the second best. A bound taken
 * earlier is never smaller, and a sum stopped at or past a bound is at or
 * past every later one, so every comparison comes out the same.
 */
export function nearestPairs(
  a: usize,
  i0: i32,
  i1: i32,
  b: usize,
  nr: i32,
  r2: f64,
  backBest: usize,
  backDist: usize,
  pick: usize,
  pickDist: usize,
): void {
  for (let i = i0; i < i1; i++) {
    const ai = a + (<usize>(i * 64) << 2);
    nearD1 = Infinity;
    nearD2 = Infinity;
    nearJ1 = -1;
    let j = 0;
    for (; j + 1 < nr; j += 2) {
      const b0 = b + (<usize>(j * 64) << 2);
      const b1 = b0 + 256;
      const back0 = f32At(backDist, j);
      const back1 = f32At(backDist, j + 1);
      const bound0 = nearD2 > back0 ? nearD2 : back0;
      const bound1 = nearD2 > back1 ? nearD2 : back1;
      let d = f64x2.splat(0);
      for (let k = 0; k < 64; k += 4) {
        if (f64x2.extract_lane(d, 0) >= bound0 && f64x2.extract_lane(d, 1) >= bound1) break;
        const p = ai + (<usize>k << 2);
        const q0 = b0 + (<usize>k << 2);
        const q1 = b1 + (<usize>k << 2);
        const e0 = f64x2.sub(f64x2(<f64>load<f32>(p), <f64>load<f32>(p)), f64x2(<f64>load<f32>(q0), <f64>load<f32>(q1)));
        const e1 = f64x2.sub(f64x2(<f64>load<f32>(p, 4), <f64>load<f32>(p, 4)), f64x2(<f64>load<f32>(q0, 4), <f64>load<f32>(q1, 4)));
        const e2 = f64x2.sub(f64x2(<f64>load<f32>(p, 8), <f64>load<f32>(p, 8)), f64x2(<f64>load<f32>(q0, 8), <f64>load<f32>(q1, 8)));
        const e3 = f64x2.sub(f64x2(<f64>load<f32>(p, 12), <f64>load<f32>(p, 12)), f64x2(<f64>load<f32>(q0, 12), <f64>load<f32>(q1, 12)));
        const group = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(e0, e0), f64x2.mul(e1, e1)), f64x2.mul(e2, e2)), f64x2.mul(e3, e3));
        d = f64x2.add(d, group);
      }
      offer(i, j, f64x2.extract_lane(d, 0), back0, backBest, backDist);
      offer(i, j + 1, f64x2.extract_lane(d, 1), back1, backBest, backDist);
    }
    for (; j < nr; j++) {
      const bj = b + (<usize>(j * 64) << 2);
      const back = f32At(backDist, j);
      const bound = nearD2 > back ? nearD2 : back;
      let d: f64 = 0;
      for (let k = 0; k < 64 && d < bound; k += 4) {
        const e0 = f32At(ai, k) - f32At(bj, k);
        const e1 = f32At(ai, k + 1) - f32At(bj, k + 1);
        const e2 = f32At(ai, k + 2) - f32At(bj, k + 2);
        const e3 = f32At(ai, k + 3) - f32At(bj, k + 3);
        d += e0 * e0 + e1 * e1 + e2 * e2 + e3 * e3;
      }
      offer(i, j, d, back, backBest, backDist);
    }
    if (nearJ1 < 0 || nearD1 >= r2 * nearD2) {
      store<i32>(pick + (<usize>i << 2), -1);
      continue;
    }
    store<i32>(pick + (<usize>i << 2), nearJ1);
    setF32(pickDist, i, nearD1);
  }
}

/** The target descriptor being matched: its nearest reference descriptor so far (distance, index) and second nearest distance. */
let nearD1: f64 = Infinity;
let nearD2: f64 = Infinity;
let nearJ1: i32 = -1;

/** Target `i` at distance `d` from reference `j`, whose nearest target was at `back`: the TypeScript's two updates, in its order. */
@inline function offer(i: i32, j: i32, d: f64, back: f64, backBest: usize, backDist: usize): void {
  if (d < back) {
    setF32(backDist, j, d);
    store<i32>(backBest + (<usize>j << 2), i);
  }
  if (d < nearD1) {
    nearD2 = nearD1;
    nearD1 = d;
    nearJ1 = j;
  } else if (d < nearD2) {
    nearD2 = d;
  }
}

/** `sampleBilinear` of grey.ts on the w × h f32 plane at `data`. */
@inline function bilinear(data: usize, w: i32, h: i32, x: f64, y: f64): f64 {
  const cx = x < 0 ? 0 : x > <f64>(w - 1) ? <f64>(w - 1) : x;
  const cy = y < 0 ? 0 : y > <f64>(h - 1) ? <f64>(h - 1) : y;
  const x0 = min(w - 2, <i32>Math.floor(cx));
  const y0 = min(h - 2, <i32>Math.floor(cy));
  if (x0 < 0 || y0 < 0) return f32At(data, <i32>Math.round(cy) * w + <i32>Math.round(cx));
  const fx = cx - <f64>x0;
  const fy = cy - <f64>y0;
  const p = y0 * w + x0;
  const a = f32At(data, p);
  const top = a + fx * (f32At(data, p + 1) - a);
  const c = f32At(data, p + w);
  const bottom = c + fx * (f32At(data, p + w + 1) - c);
  return top + fy * (bottom - top);
}

/** The homography `hm` (9 f64, h[8] = 1) at (x, y), as refine.ts computes it: the denominator and the image point. */
let projectedW: f64 = 0;
let projectedU: f64 = 0;
let projectedV: f64 = 0;
@inline function project(hm: usize, x: f64, y: f64): void {
  const ww = f64At(hm, 6) * x + f64At(hm, 7) * y + 1;
  projectedW = ww;
  projectedU = (f64At(hm, 0) * x + f64At(hm, 1) * y + f64At(hm, 2)) / ww;
  projectedV = (f64At(hm, 3) * x + f64At(hm, 4) * y + f64At(hm, 5)) / ww;
}

/** `sampleBilinear` at `n` points (x, y f64 interleaved at `points`) into `out` (f64). */
export function sampleAt(data: usize, w: i32, h: i32, points: usize, n: i32, out: usize): void {
  for (let k = 0; k < n; k++) setF64(out, k, bilinear(data, w, h, f64At(points, 2 * k), f64At(points, 2 * k + 1)));
}

/**
 * The least-squares gain and bias that start `gaussNewton` (refine.ts):
 * sums over the `n` normalised points (`nx`, `ny`) that the homography `hm`
 * (9 f64, h[8] = 1) maps inside the reference plane (w × h at `data`), of
 * the target's values `tv` and the reference's. Writes st, sr, stt, str and
 * the count into `sums` (5 f64).
 */
export function photometricSums(data: usize, w: i32, h: i32, tv: usize, nx: usize, ny: usize, n: i32, hm: usize, sums: usize): void {
  let st: f64 = 0;
  let sr: f64 = 0;
  let stt: f64 = 0;
  let str: f64 = 0;
  let m = 0;
  for (let k = 0; k < n; k++) {
    const x = f64At(nx, k);
    const y = f64At(ny, k);
    project(hm, x, y);
    const ww = projectedW;
    const u = projectedU;
    const v = projectedV;
    if (!(ww > 0) || u < 1 || v < 1 || u > <f64>(w - 2) || v > <f64>(h - 2)) continue;
    const rv = bilinear(data, w, h, u, v);
    const t = f64At(tv, k);
    st += t;
    sr += rv;
    stt += t * t;
    str += t * rv;
    m++;
  }
  setF64(sums, 0, st);
  setF64(sums, 1, sr);
  setF64(sums, 2, stt);
  setF64(sums, 3, str);
  setF64(sums, 4, <f64>m);
}

/**
 * One Gauss–Newton iteration's normal equations of `gaussNewton`
 * (refine.ts): over the `n` points, the Huber-weighted upper triangle of A
 * (10 × 10 f64, zeroed here) and b (10 f64), for the homography `hm` (9 f64)
 * and the gain/bias `alpha`, `beta`. `J` is 10 f64 of scratch. Writes the
 * cost and the number of points used into `out` (2 f64).
 */
export function normalEquations(
  data: usize,
  w: i32,
  h: i32,
  tv: usize,
  nx: usize,
  ny: usize,
  n: i32,
  hm: usize,
  alpha: f64,
  beta: f64,
  huber: f64,
  A: usize,
  b: usize,
  J: usize,
  out: usize,
): void {
  for (let i = 0; i < 100; i++) setF64(A, i, 0);
  for (let i = 0; i < 10; i++) setF64(b, i, 0);
  let cost: f64 = 0;
  let used = 0;
  for (let k = 0; k < n; k++) {
    const x = f64At(nx, k);
    const y = f64At(ny, k);
    project(hm, x, y);
    const ww = projectedW;
    if (!(ww > 1e-6)) continue;
    const u = projectedU;
    const v = projectedV;
    if (u < 1 || v < 1 || u > <f64>(w - 2) || v > <f64>(h - 2)) continue;
    const rv = bilinear(data, w, h, u, v);
    const gx = 0.5 * (bilinear(data, w, h, u + 1, v) - bilinear(data, w, h, u - 1, v));
    const gy = 0.5 * (bilinear(data, w, h, u, v + 1) - bilinear(data, w, h, u, v - 1));
    const t = f64At(tv, k);
    const e = rv - alpha * t - beta;
    const ae = Math.abs(e);
    const weight = ae <= huber ? 1 : huber / ae;
    cost += ae <= huber ? 0.5 * e * e : huber * (ae - 0.5 * huber);
    used++;
    const iw = 1 / ww;
    setF64(J, 0, gx * x * iw);
    setF64(J, 1, gx * y * iw);
    setF64(J, 2, gx * iw);
    setF64(J, 3, gy * x * iw);
    setF64(J, 4, gy * y * iw);
    setF64(J, 5, gy * iw);
    setF64(J, 6, -(gx * u + gy * v) * x * iw);
    setF64(J, 7, -(gx * u + gy * v) * y * iw);
    setF64(J, 8, -t);
    setF64(J, 9, -1);
    for (let i = 0; i < 10; i++) {
      const wi = weight * f64At(J, i);
      setF64(b, i, f64At(b, i) - wi * e);
      for (let j = i; j < 10; j++) setF64(A, i * 10 + j, f64At(A, i * 10 + j) + wi * f64At(J, j));
    }
  }
  setF64(out, 0, cost);
  setF64(out, 1, <f64>used);
}

/**
 * Two radix-2 butterflies side by side (byte offsets `p` and `q` into the
 * planes, twiddles per lane): each lane the scalar's operations in its order.
 */
@inline function butterflies2(re: usize, im: usize, p: usize, q: usize, vwr: v128, vwi: v128): void {
  const qr = v128.load(re + q);
  const qi = v128.load(im + q);
  const tr = f64x2.sub(f64x2.mul(qr, vwr), f64x2.mul(qi, vwi));
  const ti = f64x2.add(f64x2.mul(qr, vwi), f64x2.mul(qi, vwr));
  const pr = v128.load(re + p);
  const pi = v128.load(im + p);
  v128.store(re + q, f64x2.sub(pr, tr));
  v128.store(im + q, f64x2.sub(pi, ti));
  v128.store(re + p, f64x2.add(pr, tr));
  v128.store(im + p, f64x2.add(pi, ti));
}

/**
 * `Fft2d`'s transform (src/core/reference/fft.ts) of the n × n planes `re`
 * and `im` (f64, rows packed), in place, operation for operation: each row
 * in bit-reversed order (`rev`, u32) then its butterflies, skipping rows of
 * +0, then the columns whole rows at a time; the twiddles `cos` and `sin`
 * (n / 2 each) come from the TypeScript, `sign` −1 forward and 1 inverse
 * (n ≥ 2, a power of two),
 * and every value is multiplied by `scale` at the end unless it is 1.
 */
export function fft2d(re: usize, im: usize, n: i32, cos: usize, sin: usize, rev: usize, sign: f64, scale: f64): void {
  for (let r = 0; r < n; r++) {
    const o = r * n;
    let blank = true;
    for (let i = o; i < o + n; i++) {
      if (reinterpret<u64>(f64At(re, i)) != 0 || reinterpret<u64>(f64At(im, i)) != 0) {
        blank = false;
        break;
      }
    }
    if (blank) continue;
    for (let i = 0; i < n; i++) {
      const j = <i32>load<u32>(rev + (<usize>i << 2));
      if (j <= i) continue;
      const a = f64At(re, o + i);
      setF64(re, o + i, f64At(re, o + j));
      setF64(re, o + j, a);
      const b = f64At(im, o + i);
      setF64(im, o + i, f64At(im, o + j));
      setF64(im, o + j, b);
    }
    // The first stage one butterfly at a time; the others two neighbouring butterflies a step (f64x2).
    for (let s = o; s < o + n; s += 2) {
      const wr = f64At(cos, 0);
      const wi = sign * f64At(sin, 0);
      const qr = f64At(re, s + 1);
      const qi = f64At(im, s + 1);
      const tr = qr * wr - qi * wi;
      const ti = qr * wi + qi * wr;
      const pr = f64At(re, s);
      const pi = f64At(im, s);
      setF64(re, s + 1, pr - tr);
      setF64(im, s + 1, pi - ti);
      setF64(re, s, pr + tr);
      setF64(im, s, pi + ti);
    }
    for (let half = 2, step = n >> 2; half < n; half <<= 1, step >>= 1) {
      for (let s = o; s < o + n; s += 2 * half) {
        for (let k = 0; k < half; k += 2) {
          const vwr = f64x2.replace_lane(f64x2.splat(f64At(cos, k * step)), 1, f64At(cos, (k + 1) * step));
          const vwi = f64x2.replace_lane(f64x2.splat(sign * f64At(sin, k * step)), 1, sign * f64At(sin, (k + 1) * step));
          butterflies2(re, im, <usize>(s + k) << 3, <usize>(s + k + half) << 3, vwr, vwi);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const j = <i32>load<u32>(rev + (<usize>i << 2));
    if (j <= i) continue;
    for (let c = 0; c < n; c++) {
      const a = f64At(re, i * n + c);
      setF64(re, i * n + c, f64At(re, j * n + c));
      setF64(re, j * n + c, a);
      const b = f64At(im, i * n + c);
      setF64(im, i * n + c, f64At(im, j * n + c));
      setF64(im, j * n + c, b);
    }
  }
  for (let half = 1, step = n >> 1; half < n; half <<= 1, step >>= 1) {
    for (let s = 0; s < n; s += 2 * half) {
      for (let k = 0; k < half; k++) {
        const wr = f64At(cos, k * step);
        const wi = sign * f64At(sin, k * step);
        const p0 = (s + k) * n;
        const q0 = p0 + half * n;
        // Two columns a step (f64x2: each lane the scalar's operations, so the same bits); n is a power of two.
        const vwr = f64x2.splat(wr);
        const vwi = f64x2.splat(wi);
        for (let c = 0; c < n; c += 2) {
          butterflies2(re, im, <usize>(p0 + c) << 3, <usize>(q0 + c) << 3, vwr, vwi);
        }
      }
    }
  }
  if (scale != 1) {
    for (let i = 0; i < n * n; i++) {
      setF64(re, i, f64At(re, i) * scale);
      setF64(im, i, f64At(im, i) * scale);
    }
  }
}
