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
  cells(src, stride, plane, cw, cw, ch, s, channels, out, hole, 0, lh, -1);
  if (s > 1) blur(out, tmp, hole, lw, lh, channels);
}

/**
 * The cells of low-resolution rows [ly0, ly1) of `downsample`, from a strip
 * of the crop: `src` and `plane` start at crop row ly0·s and hold `rows` rows
 * (the rest of the crop, or at least (ly1 − ly0)·s), `stride` pixels and
 * `planeStride` bytes a row. `out` and `hole` are the
 * whole low-resolution planes. With `parity` ≥ 0 only the pixels whose
 * x + y + parity is even are averaged (structure.ts's sparse analysis read,
 * its photo coordinates' parity); a hole pixel of either parity makes its cell hole.
 */
export function cells(
  src: usize,
  stride: i32,
  plane: usize,
  planeStride: i32,
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
  if (parity < 0) {
    denseCells(src, stride, plane, planeStride, cw, rows, s, channels, out, hole, ly0, ly1, lw);
    return;
  }
  for (let ly = ly0; ly < ly1; ly++) {
    const yStart = (ly - ly0) * s;
    const yEnd = min(yStart + s, rows);
    for (let lx = 0; lx < lw; lx++) {
      const xStart = lx * s;
      const xEnd = min(xStart + s, cw);
      // A cell without hole pixels (nearly all of them) sums only its pixels of the right parity, every other one
      // along each row, with no test per pixel; a cell's sums fit in 32 bits (255·⌈s²/2⌉ for any working factor).
      let missing = false;
      for (let y = yStart; y < yEnd && !missing; y++) missing = anyByte(plane + <usize>y * <usize>planeStride + <usize>xStart, xEnd - xStart);
      if (!missing) {
        let r: u32 = 0;
        let g: u32 = 0;
        let b: u32 = 0;
        let a: u32 = 0;
        let n: i32 = 0;
        for (let y = yStart; y < yEnd; y++) {
          const p = src + <usize>y * <usize>stride * 4;
          const first = xStart + ((xStart + y + ly0 * s + parity) & 1);
          for (let x = first; x < xEnd; x += 2) {
            const v = load<u32>(p + (<usize>x << 2));
            r += v & 0xff;
            g += (v >> 8) & 0xff;
            b += (v >> 16) & 0xff;
            a += v >> 24;
          }
          if (first < xEnd) n += (xEnd - first + 1) >> 1;
        }
        storeCell(out, hole, ly * lw + lx, channels, false, n, r, g, b, a);
        continue;
      }
      let r: i64 = 0;
      let g: i64 = 0;
      let b: i64 = 0;
      let a: i64 = 0;
      let n: i32 = 0;
      for (let y = yStart; y < yEnd; y++) {
        const p = src + <usize>y * <usize>stride * 4;
        const m = plane + <usize>y * <usize>planeStride;
        // The row's absolute parity: crop rows start at ly0·s.
        const odd = (y + ly0 * s + parity) & 1;
        for (let x = xStart; x < xEnd; x++) {
          if (load<u8>(m + <usize>x) !== 0) continue;
          if (((x + odd) & 1) !== 0) continue;
          const v = load<u32>(p + (<usize>x << 2));
          r += v & 0xff;
          g += (v >> 8) & 0xff;
          b += (v >> 16) & 0xff;
          a += v >> 24;
          n++;
        }
      }
      storeCell(out, hole, ly * lw + lx, channels, true, n, <u32>r, <u32>g, <u32>b, <u32>a);
    }
  }
}

/** Whether any of the `count` bytes at `at` is nonzero: eight at a time, then one at a time. */
@inline function anyByte(at: usize, count: i32): bool {
  let i = 0;
  for (; i + 8 <= count; i += 8) if (load<u64>(at + <usize>i) !== 0) return true;
  for (; i < count; i++) if (load<u8>(at + <usize>i) !== 0) return true;
  return false;
}

/**
 * `cells` over every pixel (no parity). A cell's sums fit in 32 bits (255·s²
 * for any working factor), and a whole 2×2 cell, every cell of a 1K photo's
 * analysis image but its last row and column, is read as four words.
 */
function denseCells(
  src: usize,
  stride: i32,
  plane: usize,
  planeStride: i32,
  cw: i32,
  rows: i32,
  s: i32,
  channels: i32,
  out: usize,
  hole: usize,
  ly0: i32,
  ly1: i32,
  lw: i32,
): void {
  const rowBytes = <usize>stride << 2;
  for (let ly = ly0; ly < ly1; ly++) {
    const yStart = (ly - ly0) * s;
    const yEnd = min(yStart + s, rows);
    const p0 = src + <usize>yStart * rowBytes;
    const m0 = plane + <usize>yStart * <usize>planeStride;
    for (let lx = 0; lx < lw; lx++) {
      const xStart = lx * s;
      const xEnd = min(xStart + s, cw);
      const cell = ly * lw + lx;
      if (s === 2 && xEnd - xStart === 2 && yEnd - yStart === 2) {
        const m = m0 + <usize>xStart;
        if ((<u32>load<u16>(m) | <u32>load<u16>(m + <usize>planeStride)) === 0) {
          const p = p0 + (<usize>xStart << 2);
          const v0 = load<u32>(p);
          const v1 = load<u32>(p, 4);
          const v2 = load<u32>(p + rowBytes);
          const v3 = load<u32>(p + rowBytes, 4);
          const rb = (v0 & 0xff00ff) + (v1 & 0xff00ff) + (v2 & 0xff00ff) + (v3 & 0xff00ff);
          const ga = ((v0 >> 8) & 0xff00ff) + ((v1 >> 8) & 0xff00ff) + ((v2 >> 8) & 0xff00ff) + ((v3 >> 8) & 0xff00ff);
          storeCell(out, hole, cell, channels, false, 4, rb & 0xffff, ga & 0xffff, rb >> 16, ga >> 16);
          continue;
        }
      }
      // Red and blue summed in one word's two halves, green and alpha in another's (255·s² < 2^16 up to s = 16);
      // a row of the cell whose hole bytes are all zero is summed without testing each pixel.
      const packed = s <= 16;
      const span = xEnd - xStart;
      const spanMask: u64 = span >= 8 ? <u64>-1 : (<u64>1 << (<u64>span << 3)) - 1;
      let r: u32 = 0;
      let g: u32 = 0;
      let b: u32 = 0;
      let a: u32 = 0;
      let rb: u32 = 0;
      let ga: u32 = 0;
      // Four pixels at a time in 16-bit lanes: pixels k and k + 2 of each four summed in lanes 0–3 and 4–7. A lane
      // gains at most 2·255 a load, two loads a row (at most 8 pixels) and 16 rows (s ≤ 16): below 2^16.
      let quads = i16x8.splat(0);
      let n: i32 = 0;
      let missing = false;
      for (let y = yStart; y < yEnd; y++) {
        const p = src + <usize>y * rowBytes;
        const m = plane + <usize>y * <usize>planeStride;
        if (packed && span <= 8 && (load<u64>(m + <usize>xStart) & spanMask) === 0) {
          let x = xStart;
          for (; x + 4 <= xEnd; x += 4) {
            const v = v128.load(p + (<usize>x << 2));
            quads = i16x8.add(quads, i16x8.add(i16x8.extend_low_i8x16_u(v), i16x8.extend_high_i8x16_u(v)));
          }
          for (; x < xEnd; x++) {
            const v = load<u32>(p + (<usize>x << 2));
            rb += v & 0xff00ff;
            ga += (v >> 8) & 0xff00ff;
          }
          n += span;
          continue;
        }
        for (let x = xStart; x < xEnd; x++) {
          if (load<u8>(m + <usize>x) !== 0) {
            missing = true;
            continue;
          }
          const v = load<u32>(p + (<usize>x << 2));
          r += v & 0xff;
          g += (v >> 8) & 0xff;
          b += (v >> 16) & 0xff;
          a += v >> 24;
          n++;
        }
      }
      const sums = i32x4.add(i32x4.extend_low_i16x8_u(quads), i32x4.extend_high_i16x8_u(quads));
      r += (rb & 0xffff) + <u32>i32x4.extract_lane(sums, 0);
      g += (ga & 0xffff) + <u32>i32x4.extract_lane(sums, 1);
      b += (rb >> 16) + <u32>i32x4.extract_lane(sums, 2);
      a += (ga >> 16) + <u32>i32x4.extract_lane(sums, 3);
      storeCell(out, hole, cell, channels, missing, n, r, g, b, a);
    }
  }
}

/** A cell's hole flag and mean colour (0 where no pixel of it is known), as `downsampleCrop` stores them. */
@inline function storeCell(out: usize, hole: usize, cell: i32, channels: i32, missing: bool, n: i32, r: u32, g: u32, b: u32, a: u32): void {
  store<u8>(hole + <usize>cell, missing ? 1 : 0);
  const o = out + (<usize>(cell * channels) << 2);
  if (n === 0) {
    for (let c = 0; c < channels; c++) store<f32>(o + (<usize>c << 2), 0);
    return;
  }
  // One division instead of one per channel: a sum (an integer below 2^24) times 1/n, rounded to f32, is its
  // quotient rounded to f32. The two doubles differ by at most an ulp (2^-52 relative), and no quotient of
  // such integers lies that close to a point halfway between two floats (relatively, it is at least 1/(n·2^25) from any).
  const inv = 1 / <f64>n;
  store<f32>(o, <f32>(<f64>r * inv));
  store<f32>(o + 4, <f32>(<f64>g * inv));
  store<f32>(o + 8, <f32>(<f64>b * inv));
  if (channels === 4) store<f32>(o + 12, <f32>(<f64>a * inv));
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
 * As in the TypeScript, a cell with both neighbours known skips the division:
 * its weights sum to exactly 1, and the division (the pass's slowest
 * operation) would return its operand.
 */
function blurPass(from: usize, to: usize, hole: usize, n: i32, lines: i32, channels: i32, step: i32, lineStep: i32): void {
  if (channels === 3) {
    blurPass3(from, to, hole, n, lines, step, lineStep);
    return;
  }
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
        store<f32>(<usize>(<isize>to + at), wsum === 1 ? v : <f32>(<f64>v / wsum));
      }
    }
  }
}

/** `blurPass` on three channels (the analysis image and most fills), each cell's channels written out. */
function blurPass3(from: usize, to: usize, hole: usize, n: i32, lines: i32, step: i32, lineStep: i32): void {
  const cs = <isize>(3 * step) << 2;
  for (let l = 0; l < lines; l++) {
    let i = l * lineStep;
    for (let k = 0; k < n; k++, i += step) {
      if (load<u8>(hole + <usize>i) !== 0) continue;
      const left = k > 0 && load<u8>(hole + <usize>(i - step)) === 0;
      const right = k < n - 1 && load<u8>(hole + <usize>(i + step)) === 0;
      const src = <isize>from + (<isize>(3 * i) << 2);
      let a = <f32>(MID * <f64>load<f32>(<usize>src));
      let b = <f32>(MID * <f64>load<f32>(<usize>src, 4));
      let c = <f32>(MID * <f64>load<f32>(<usize>src, 8));
      let wsum = MID;
      if (left) {
        wsum += SIDE;
        const at = <usize>(src - cs);
        a = <f32>(<f64>a + SIDE * <f64>load<f32>(at));
        b = <f32>(<f64>b + SIDE * <f64>load<f32>(at, 4));
        c = <f32>(<f64>c + SIDE * <f64>load<f32>(at, 8));
      }
      if (right) {
        wsum += SIDE;
        const at = <usize>(src + cs);
        a = <f32>(<f64>a + SIDE * <f64>load<f32>(at));
        b = <f32>(<f64>b + SIDE * <f64>load<f32>(at, 4));
        c = <f32>(<f64>c + SIDE * <f64>load<f32>(at, 8));
      }
      const dst = <usize>(<isize>to + (<isize>(3 * i) << 2));
      if (wsum !== 1) {
        a = <f32>(<f64>a / wsum);
        b = <f32>(<f64>b / wsum);
        c = <f32>(<f64>c / wsum);
      }
      store<f32>(dst, a);
      store<f32>(dst, b, 4);
      store<f32>(dst, c, 8);
    }
  }
}
