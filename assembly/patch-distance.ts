// AssemblyScript source of the WebAssembly SIMD patch distance (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/patch-distance-bytes.ts).
//
// The image is the compact layout of `PatchProblem.packed`: per pixel `lanes`
// signed 16-bit values (4 lanes: three colours and a zero; 8 lanes: three
// colours, two texture channels pre-scaled by √λ, three zeros), rows of
// `width` pixels, starting at byte `base` of the memory. The sum of squared
// differences of one (2r+1)² patch pair, clipped to the image around the
// target, is accumulated per row in 32-bit lanes (`i32x4.dot_i16x8_s`) and
// across rows in f64, and stops once it reaches `best` — the same integers,
// the same order of the early-exit tests and so the same result as the
// TypeScript kernel `packedDistance`.

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

function rowSum(acc: v128): f64 {
  return (
    <f64>i32x4.extract_lane(acc, 0) +
    <f64>i32x4.extract_lane(acc, 1) +
    <f64>i32x4.extract_lane(acc, 2) +
    <f64>i32x4.extract_lane(acc, 3)
  );
}

export function distance(t: i32, s: i32, best: f64): f64 {
  const w = width;
  const r = radius;
  const tx = t % w;
  const ty = t / w;
  const x0 = tx - r < 0 ? -tx : -r;
  const x1 = tx + r >= w ? w - 1 - tx : r;
  const y0 = ty - r < 0 ? -ty : -r;
  const y1 = ty + r >= height ? height - 1 - ty : r;
  const cols = x1 - x0 + 1;
  const pixelBytes = lanes << 1;
  const rowBytes = w * pixelBytes;
  let ti = base + (t + y0 * w + x0) * pixelBytes;
  let si = base + (s + y0 * w + x0) * pixelBytes;
  let sum: f64 = 0;
  if (lanes == 8) {
    for (let dy = y0; dy <= y1; dy++) {
      let acc = i32x4.splat(0);
      for (let c = 0, o = 0; c < cols; c++, o += 16) {
        const d = i16x8.sub(v128.load(ti + o), v128.load(si + o));
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(d, d));
      }
      sum += rowSum(acc);
      if (sum >= best) return sum;
      ti += rowBytes;
      si += rowBytes;
    }
    return sum;
  }
  const pairs = cols >> 1;
  const odd = cols & 1;
  for (let dy = y0; dy <= y1; dy++) {
    let acc = i32x4.splat(0);
    let o = 0;
    for (let c = 0; c < pairs; c++, o += 16) {
      const d = i16x8.sub(v128.load(ti + o), v128.load(si + o));
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(d, d));
    }
    if (odd != 0) {
      const d = i16x8.sub(v128.load64_zero(ti + o), v128.load64_zero(si + o));
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(d, d));
    }
    sum += rowSum(acc);
    if (sum >= best) return sum;
    ti += rowBytes;
    si += rowBytes;
  }
  return sum;
}
