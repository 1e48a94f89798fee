// AssemblyScript source of the erase's preparation over a photo that lives in
// a WebAssembly memory (compiled by scripts/build-wasm.mjs into
// src/core/inpaint/wasm/downsample-bytes.ts; laid out by
// src/core/inpaint/wasm/downsample.ts): the hole's count and bounds
// (`holeStats` in src/core/mask.ts), the crop's translucency test
// (`hasTranslucency` in erase.ts) and the box-and-Gaussian downsampling of
// the crop to the working size (`downsampleCrop` and `blurKnown` in
// resample.ts), written operation for operation as there: integer sums, the
// same f64 arithmetic in the same order, rounded to f32 where the TypeScript
// stores into a Float32Array, so the bytes out are the same. A page's first
// erase ran those loops in V8's unoptimised tiers (~150 ms over a 12 MP
// photo's mask and a 5 MP crop); here they run compiled from the first pixel.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in, in the memory it shares with the detail
// transfer's kernel (assembly/detail-transfer.ts).

/** `blurKnown`'s 3-tap Gaussian (σ = ½): centre and side weights. */
const MID: f64 = 0.787;
const SIDE: f64 = 0.1065;

let holeCount: i64 = 0;
let holeX0: i32 = 0;
let holeY0: i32 = 0;
let holeX1: i32 = -1;
let holeY1: i32 = -1;

/** Starts a hole count over a plane `width` pixels wide (empty bounds: x0 = width, y0 = height, x1 = y1 = −1). */
export function holeStart(width: i32, height: i32): void {
  holeCount = 0;
  holeX0 = width;
  holeY0 = height;
  holeX1 = -1;
  holeY1 = -1;
}

/** Non-zero bytes among the 8 of `v`. */
@inline function nonZeroBytes(v: u64): i32 {
  let t = v | (v >> 4);
  t |= t >> 2;
  t |= t >> 1;
  return <i32>popcnt(t & 0x0101010101010101);
}

/**
 * Adds `rows` rows of a hole plane (`width` bytes each, non-zero = hole) at
 * `at` to the count and bounds; the first of them is row `y` of the plane.
 */
export function holeRows(at: usize, width: i32, rows: i32, y: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = at + <usize>r * <usize>width;
    // The row's first and last hole byte, then the count between them (8 bytes at a time).
    // Whole zero words skipped first: most rows of an object's mask hold no hole at all.
    let first = 0;
    while (first + 8 <= width && load<u64>(row + <usize>first) === 0) first += 8;
    while (first < width && load<u8>(row + <usize>first) === 0) first++;
    if (first === width) continue;
    let last = width - 1;
    while (last >= 8 && load<u64>(row + <usize>(last - 7)) === 0) last -= 8;
    while (load<u8>(row + <usize>last) === 0) last--;
    let n: i32 = 0;
    let i = first;
    for (; i + 8 <= last + 1; i += 8) n += nonZeroBytes(load<u64>(row + <usize>i));
    for (; i <= last; i++) if (load<u8>(row + <usize>i) !== 0) n++;
    holeCount += n;
    if (first < holeX0) holeX0 = first;
    if (last > holeX1) holeX1 = last;
    const ry = y + r;
    if (ry < holeY0) holeY0 = ry;
    if (ry > holeY1) holeY1 = ry;
  }
}

export function holeCountSoFar(): f64 {
  return <f64>holeCount;
}
export function holeBoundsX0(): i32 {
  return holeX0;
}
export function holeBoundsY0(): i32 {
  return holeY0;
}
export function holeBoundsX1(): i32 {
  return holeX1;
}
export function holeBoundsY1(): i32 {
  return holeY1;
}

/** Whether any pixel of the `cw`×`ch` rectangle at `src` (RGBA, `stride` pixels a row) has alpha below 255. */
export function translucent(src: usize, stride: i32, cw: i32, ch: i32): i32 {
  for (let y = 0; y < ch; y++) {
    const row = src + <usize>y * <usize>stride * 4;
    // Four pixels a step (their alphas ANDed lane by lane), then the rest one by one.
    let all4 = i32x4.splat(-1);
    let x = 0;
    for (; x + 4 <= cw; x += 4) all4 = v128.and(all4, v128.load(row + (<usize>x << 2)));
    let all = <u32>(i32x4.extract_lane(all4, 0) & i32x4.extract_lane(all4, 1) & i32x4.extract_lane(all4, 2) & i32x4.extract_lane(all4, 3));
    for (; x < cw; x++) all &= load<u32>(row + (<usize>x << 2));
    if (all >>> 24 !== 255) return 1;
  }
  return 0;
}

/**
 * `downsampleCrop`: each s×s cell of the `cw`×`ch` crop at `src` (RGBA,
 * `stride` pixels a row) averaged over its known pixels (`plane`: the crop's
 * hole plane, `cw` bytes a row) into `out` (`channels` f32 a cell, 0 where a
 * cell has no known pixel), `hole` 1 where a cell holds any hole pixel; then,
 * for s > 1, `blurKnown` through `tmp` (as many floats as `out`).
 */
export function downsample(
  src: usize,
  stride: i32,
  plane: usize,
  cw: i32,
  ch: i32,
  s: i32,
  channels: i32,
  out: usize,
  hole: usize,
  tmp: usize,
): void {
  const lw = (cw + s - 1) / s;
  const lh = (ch + s - 1) / s;
  cells(src, stride, plane, cw, ch, s, channels, out, hole, 0, lh, -1);
  if (s > 1) blur(out, tmp, hole, lw, lh, channels);
}

/**
 * The cells of low-resolution rows [ly0, ly1) of `downsample`, from a strip
 * of the crop: `src` and `plane` start at crop row ly0·s and hold `rows` rows
 * (the rest of the crop, or at least (ly1 − ly0)·s). `out` and `hole` are the
 * whole low-resolution planes. With `parity` ≥ 0 only the pixels whose
 * x + y + parity is even are averaged (structure.ts's sparse analysis read,
 * its photo coordinates' parity); a hole pixel of either parity makes its cell hole.
 */
export function cells(
  src: usize,
  stride: i32,
  plane: usize,
  cw: i32,
  rows: i32,
  s: i32,
  channels: i32,
  out: usize,
  hole: usize,
  ly0: i32,
  ly1: i32,
  parity: i32,
): void {
  const lw = (cw + s - 1) / s;
  for (let ly = ly0; ly < ly1; ly++) {
    const yStart = (ly - ly0) * s;
    const yEnd = min(yStart + s, rows);
    for (let lx = 0; lx < lw; lx++) {
      const xStart = lx * s;
      const xEnd = min(xStart + s, cw);
      let r: i64 = 0;
      let g: i64 = 0;
      let b: i64 = 0;
      let a: i64 = 0;
      let n: i32 = 0;
      let missing = false;
      for (let y = yStart; y < yEnd; y++) {
        const p = src + <usize>y * <usize>stride * 4;
        const m = plane + <usize>y * <usize>cw;
        // The row's absolute parity: crop rows start at ly0·s.
        const odd = parity < 0 ? -1 : (y + ly0 * s + parity) & 1;
        for (let x = xStart; x < xEnd; x++) {
          if (load<u8>(m + <usize>x) !== 0) {
            missing = true;
            continue;
          }
          if (odd >= 0 && ((x + odd) & 1) !== 0) continue;
          const v = load<u32>(p + (<usize>x << 2));
          r += v & 0xff;
          g += (v >> 8) & 0xff;
          b += (v >> 16) & 0xff;
          a += v >> 24;
          n++;
        }
      }
      const cell = ly * lw + lx;
      store<u8>(hole + <usize>cell, missing ? 1 : 0);
      const o = out + (<usize>(cell * channels) << 2);
      if (n === 0) {
        for (let c = 0; c < channels; c++) store<f32>(o + (<usize>c << 2), 0);
        continue;
      }
      const dn = <f64>n;
      store<f32>(o, <f32>(<f64>r / dn));
      store<f32>(o + 4, <f32>(<f64>g / dn));
      store<f32>(o + 8, <f32>(<f64>b / dn));
      if (channels === 4) store<f32>(o + 12, <f32>(<f64>a / dn));
    }
  }
}

/** `blurKnown` over the low-resolution planes (`lw`×`lh`, `channels` f32 a cell), through `tmp`. */
export function blur(out: usize, tmp: usize, hole: usize, lw: i32, lh: i32, channels: i32): void {
  blurPass(out, tmp, hole, lw, lh, channels, 1, lw);
  blurPass(tmp, out, hole, lh, lw, channels, lw, 1);
}

/**
 * One axis of `blurKnown` from `from` into `to`: `n` cells along the axis,
 * `lines` lines across it, `step` and `lineStep` cell strides; hole cells are
 * skipped (left as they are in `to`), known ones averaged over known neighbours.
 */
function blurPass(from: usize, to: usize, hole: usize, n: i32, lines: i32, channels: i32, step: i32, lineStep: i32): void {
  const cs = <isize>(channels * step) << 2;
  for (let l = 0; l < lines; l++) {
    let i = l * lineStep;
    for (let k = 0; k < n; k++, i += step) {
      if (load<u8>(hole + <usize>i) !== 0) continue;
      const left = k > 0 && load<u8>(hole + <usize>(i - step)) === 0;
      const right = k < n - 1 && load<u8>(hole + <usize>(i + step)) === 0;
      let wsum = MID;
      if (left) wsum += SIDE;
      if (right) wsum += SIDE;
      const o = <isize>(channels * i) << 2;
      for (let c = 0; c < channels; c++) {
        const at = o + (<isize>c << 2);
        let v = <f32>(MID * <f64>load<f32>(<usize>(<isize>from + at)));
        if (left) v = <f32>(<f64>v + SIDE * <f64>load<f32>(<usize>(<isize>from + at - cs)));
        if (right) v = <f32>(<f64>v + SIDE * <f64>load<f32>(<usize>(<isize>from + at + cs)));
        store<f32>(<usize>(<isize>to + at), <f32>(<f64>v / wsum));
      }
    }
  }
}
