// AssemblyScript source of the attention upscaling's per-pixel detail
// transfer (compiled by scripts/build-wasm.mjs into
// src/core/inpaint/wasm/detail-transfer-bytes.ts): `DetailTransfer.at` and
// the row loop of `upscaleRows` in src/core/inpaint/upscale.ts (RETHINED
// §3.3, after Contextual Residual Aggregation), written operation for
// operation as there — the same f64 arithmetic in the same order, rounded to
// f32 where the TypeScript stores into a Float32Array and to a byte as a
// Uint8ClampedArray store does — so the pixels are the same bytes. In
// WebAssembly the loop runs compiled from its first pixel: in a page's first
// erase the TypeScript one ran in V8's unoptimised tiers, boxing every
// intermediate double (hundreds of ms and as many minor GCs on two cores).
//
// Everything lives in one shared memory (set out by
// src/core/inpaint/wasm/detail-transfer.ts): a header of i32 fields at byte 0
// (the sizes and where each array starts), the RGBA pixels (a copy of the
// crop, or the photo itself where it lives in this memory; filled hole pixels
// are written there), the crop's hole plane, the low-resolution fill, the
// bilinear axis tables, the attention and one scratch area per thread
// ("lane") for the merged offset list.

// Header fields (i32 index at byte 0), as written by the TypeScript side.
const H_CROP_WIDTH = 0;
const H_CROP_HEIGHT = 1;
const H_LOW_WIDTH = 2;
const H_LOW_HEIGHT = 3;
const H_CHANNELS = 4;
const H_SCALE = 5;
const H_PATCH = 6;
const H_COLS = 7;
const H_ROWS = 8;
const H_TOP_K = 9;
const H_SRC = 10;
const H_MASK = 11;
const H_LOW = 12;
const H_AX_LO = 13;
const H_AX_HI = 14;
const H_AX_FRAC = 15;
const H_AY_LO = 16;
const H_AY_HI = 17;
const H_AY_FRAC = 18;
const H_COUNT = 19;
const H_DX = 20;
const H_DY = 21;
const H_WEIGHT = 22;
const H_SCRATCH = 23;
const H_SRC_STRIDE = 24;
const H_HOLE_X = 25;
const H_HOLE_WIDTH = 26;
const H_HOLE_Y = 27;
const H_HOLE_HEIGHT = 28;
const H_CHUNK_ROWS = 29;
/** The next chunk of rows to take (`shareRows`), counted up atomically by every thread. */
const H_NEXT_CHUNK = 30;

/** Bytes of a lane's scratch: offX, offY (64 i32 each), offW (64 f32), res (4 f32). */
const LANE_BYTES = 1024;
const BLEND_HALF_WIDTH: f64 = 0.2;
const MAX_BLEND_GAIN: f64 = 2;

let cw: i32 = 0;
let ch: i32 = 0;
let lw: i32 = 0;
let lh: i32 = 0;
let C: i32 = 3;
let s: i32 = 1;
let P: i32 = 8;
let cols: i32 = 0;
let rows: i32 = 0;
let K: i32 = 4;
let src: usize = 0;
/** Pixels per row of `src`: the crop's width for a copy of the crop, the photo's for the photo itself. */
let srcStride: i32 = 0;
let mask: usize = 0;
let low: usize = 0;
let axLo: usize = 0;
let axHi: usize = 0;
let axFrac: usize = 0;
let ayLo: usize = 0;
let ayHi: usize = 0;
let ayFrac: usize = 0;
let count: usize = 0;
let dx: usize = 0;
let dy: usize = 0;
let weight: usize = 0;
let offX: usize = 0;
let offY: usize = 0;
let offW: usize = 0;
let res: usize = 0;
let tokenCentre: f64 = 0;
/** The token and blend fractions whose merged offsets the lane's scratch holds (none after `setup`). */
let merged: bool = false;
let mergedTi: i32 = 0;
let mergedTj: i32 = 0;
let mergedFi: f64 = 0;
let mergedFj: f64 = 0;
let mergedN: i32 = 0;

@inline function field(i: i32): i32 {
  return load<i32>(<usize>i << 2);
}

/** Reads the header and takes scratch lane `lane` (one per thread using the memory). */
export function setup(lane: i32): void {
  cw = field(H_CROP_WIDTH);
  ch = field(H_CROP_HEIGHT);
  lw = field(H_LOW_WIDTH);
  lh = field(H_LOW_HEIGHT);
  C = field(H_CHANNELS);
  s = field(H_SCALE);
  P = field(H_PATCH);
  cols = field(H_COLS);
  rows = field(H_ROWS);
  K = field(H_TOP_K);
  src = field(H_SRC);
  srcStride = field(H_SRC_STRIDE);
  mask = field(H_MASK);
  low = field(H_LOW);
  axLo = field(H_AX_LO);
  axHi = field(H_AX_HI);
  axFrac = field(H_AX_FRAC);
  ayLo = field(H_AY_LO);
  ayHi = field(H_AY_HI);
  ayFrac = field(H_AY_FRAC);
  count = field(H_COUNT);
  dx = field(H_DX);
  dy = field(H_DY);
  weight = field(H_WEIGHT);
  const scratch = <usize>field(H_SCRATCH) + <usize>lane * LANE_BYTES;
  offX = scratch;
  offY = scratch + 256;
  offW = scratch + 512;
  res = scratch + 768;
  tokenCentre = <f64>(P - 1) / 2;
  merged = false;
}

@inline function clampIndex(i: i32, n: i32): i32 {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

@inline function sharpen(f: f64): f64 {
  const g = (f - 0.5) / (2 * BLEND_HALF_WIDTH) + 0.5;
  return min<f64>(1, max<f64>(0, g));
}

@inline function lowAt(i: i32): f64 {
  return <f64>load<f32>(low + (<usize>i << 2));
}

/** Merges the entries of the (up to four) tokens around a pixel into the lane's offset list; returns its length. */
function merge(ti: i32, tj: i32, fi: f64, fj: f64): i32 {
  let n = 0;
  for (let corner = 0; corner < 4; corner++) {
    const di = corner & 1;
    const dj = corner >> 1;
    const beta = (di ? fi : 1 - fi) * (dj ? fj : 1 - fj);
    if (beta <= 0) continue;
    const t = (tj + dj) * cols + ti + di;
    const cnt = <i32>load<u8>(count + <usize>t);
    const base = t * K;
    for (let e = 0; e < cnt; e++) {
      const ox = <i32>load<i16>(dx + (<usize>(base + e) << 1));
      const oy = <i32>load<i16>(dy + (<usize>(base + e) << 1));
      const wgt = beta * <f64>load<f32>(weight + (<usize>(base + e) << 2));
      let u = 0;
      while (u < n && (load<i32>(offX + (<usize>u << 2)) !== ox || load<i32>(offY + (<usize>u << 2)) !== oy)) u++;
      if (u === n) {
        store<i32>(offX + (<usize>n << 2), ox);
        store<i32>(offY + (<usize>n << 2), oy);
        store<f32>(offW + (<usize>n << 2), <f32>wgt);
        n++;
      } else {
        const w = offW + (<usize>u << 2);
        store<f32>(w, <f32>(<f64>load<f32>(w) + wgt));
      }
    }
  }
  return n;
}

/**
 * The fill at crop pixel (x, y), C values as f32 into the lane's `res`; returns
 * the total attention weight used (0 when no hole token is near).
 */
export function at(x: i32, y: i32): f64 {
  const x0 = load<i32>(axLo + (<usize>x << 2));
  const x1 = load<i32>(axHi + (<usize>x << 2));
  const fx = <f64>load<f32>(axFrac + (<usize>x << 2));
  const y0 = load<i32>(ayLo + (<usize>y << 2));
  const y1 = load<i32>(ayHi + (<usize>y << 2));
  const fy = <f64>load<f32>(ayFrac + (<usize>y << 2));
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let c = 0; c < C; c++) {
    const v =
      w00 * lowAt((y0 * lw + x0) * C + c) +
      w10 * lowAt((y0 * lw + x1) * C + c) +
      w01 * lowAt((y1 * lw + x0) * C + c) +
      w11 * lowAt((y1 * lw + x1) * C + c);
    store<f32>(res + (<usize>c << 2), <f32>v);
  }

  let tu = ((<f64>x + 0.5) / <f64>s - 0.5 - tokenCentre) / <f64>P;
  let tv = ((<f64>y + 0.5) / <f64>s - 0.5 - tokenCentre) / <f64>P;
  if (tu < 0) tu = 0;
  if (tv < 0) tv = 0;
  let ti = Math.floor(tu);
  let tj = Math.floor(tv);
  let fi = sharpen(tu - ti);
  let fj = sharpen(tv - tj);
  if (ti >= <f64>(cols - 1)) {
    ti = <f64>(cols - 1);
    fi = 0;
  }
  if (tj >= <f64>(rows - 1)) {
    tj = <f64>(rows - 1);
    fj = 0;
  }
  const tii = <i32>ti;
  const tji = <i32>tj;
  // The merged offsets depend on the token and the two blend fractions only (kept for the run of pixels that share them).
  let n = mergedN;
  if (!merged || tii !== mergedTi || tji !== mergedTj || fi !== mergedFi || fj !== mergedFj) {
    n = merge(tii, tji, fi, fj);
    merged = true;
    mergedTi = tii;
    mergedTj = tji;
    mergedFi = fi;
    mergedFj = fj;
    mergedN = n;
  }

  let wsum: f64 = 0;
  let energy: f64 = 0;
  let h0: f64 = 0;
  let h1: f64 = 0;
  let h2: f64 = 0;
  let h3: f64 = 0;
  for (let u = 0; u < n; u++) {
    const ox = load<i32>(offX + (<usize>u << 2));
    const oy = load<i32>(offY + (<usize>u << 2));
    const xs = x + ox * s;
    const ys = y + oy * s;
    if (xs < 0 || ys < 0 || xs >= cw || ys >= ch) continue;
    const m = ys * cw + xs;
    if (load<u8>(mask + <usize>m) !== 0) continue;
    const sx0 = clampIndex(x0 + ox, lw);
    const sx1 = clampIndex(x1 + ox, lw);
    const sy0 = clampIndex(y0 + oy, lh);
    const sy1 = clampIndex(y1 + oy, lh);
    const a = (sy0 * lw + sx0) * C;
    const b = (sy0 * lw + sx1) * C;
    const c0 = (sy1 * lw + sx0) * C;
    const d = (sy1 * lw + sx1) * C;
    const p = src + (<usize>(ys * srcStride + xs) << 2);
    const wgt = <f64>load<f32>(offW + (<usize>u << 2));
    const d0 = <f64>load<u8>(p) - (w00 * lowAt(a) + w10 * lowAt(b) + w01 * lowAt(c0) + w11 * lowAt(d));
    const d1 = <f64>load<u8>(p + 1) - (w00 * lowAt(a + 1) + w10 * lowAt(b + 1) + w01 * lowAt(c0 + 1) + w11 * lowAt(d + 1));
    const d2 = <f64>load<u8>(p + 2) - (w00 * lowAt(a + 2) + w10 * lowAt(b + 2) + w01 * lowAt(c0 + 2) + w11 * lowAt(d + 2));
    h0 += wgt * d0;
    h1 += wgt * d1;
    h2 += wgt * d2;
    if (C === 4) h3 += wgt * (<f64>load<u8>(p + 3) - (w00 * lowAt(a + 3) + w10 * lowAt(b + 3) + w01 * lowAt(c0 + 3) + w11 * lowAt(d + 3)));
    energy += wgt * (d0 * d0 + d1 * d1 + d2 * d2);
    wsum += wgt;
  }
  if (wsum > 0) {
    const inv = 1 / wsum;
    const blended = (h0 * h0 + h1 * h1 + h2 * h2) * inv * inv;
    const target = energy * inv;
    const gain =
      blended * MAX_BLEND_GAIN * MAX_BLEND_GAIN <= target ? MAX_BLEND_GAIN : blended > target ? 1 : Math.sqrt(target / blended);
    store<f32>(res, <f32>(<f64>load<f32>(res) + h0 * inv * gain));
    store<f32>(res + 4, <f32>(<f64>load<f32>(res + 4) + h1 * inv * gain));
    store<f32>(res + 8, <f32>(<f64>load<f32>(res + 8) + h2 * inv * gain));
    if (C === 4) store<f32>(res + 12, <f32>(<f64>load<f32>(res + 12) + h3 * inv * gain));
  }
  return wsum;
}

/** A Uint8ClampedArray store: NaN and below 0 → 0, above 255 → 255, else rounded half to even. */
@inline function clampedByte(v: f64): u8 {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  return <u8>(<i32>nearest<f64>(v));
}

/**
 * Fills the hole pixels of crop rows [y0, y1), columns [x0, x1), into the
 * crop's pixels (`upscaleRows`); reads only pixels outside the hole, so other
 * threads may fill other rows at the same time.
 */
export function rowsInto(y0: i32, y1: i32, x0: i32, x1: i32): void {
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const m = y * cw + x;
      if (load<u8>(mask + <usize>m) === 0) continue;
      at(x, y);
      const p = src + (<usize>(y * srcStride + x) << 2);
      store<u8>(p, clampedByte(<f64>load<f32>(res)));
      store<u8>(p + 1, clampedByte(<f64>load<f32>(res + 4)));
      store<u8>(p + 2, clampedByte(<f64>load<f32>(res + 8)));
      if (C === 4) store<u8>(p + 3, clampedByte(<f64>load<f32>(res + 12)));
    }
  }
}

/**
 * Fills the hole's rows (`rowsInto` over the hole's rectangle) a chunk at a
 * time, taking the next chunk from a counter that every thread sharing the
 * memory counts up: each thread fills chunks until none are left, so they
 * finish together however long their other work took (the engine worker's
 * seam plan) and whichever rows cost more. Each hole pixel is computed on
 * its own, so the bytes are those of one thread.
 */
export function shareRows(): void {
  const x0 = field(H_HOLE_X);
  const x1 = x0 + field(H_HOLE_WIDTH);
  const y0 = field(H_HOLE_Y);
  const y1 = y0 + field(H_HOLE_HEIGHT);
  const chunk = field(H_CHUNK_ROWS);
  for (;;) {
    const from = y0 + atomic.add<i32>(<usize>H_NEXT_CHUNK << 2, 1) * chunk;
    if (from >= y1) break;
    rowsInto(from, min(from + chunk, y1), x0, x1);
  }
}
