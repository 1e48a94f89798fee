// AssemblyScript source of the squared Euclidean distance transform
// (compiled by scripts/build-wasm.mjs into src/core/distance-bytes.ts; laid
// out by src/core/distance-wasm.ts): `squaredDistanceTo` in
// src/core/mask.ts (Felzenszwalb & Huttenlocher's lower envelope of
// parabolas), written operation for operation as there: the same f64
// arithmetic in the same order, rounded to f32 where the TypeScript stores
// into a Float32Array, so the distances are the same.
// Why: the transform runs on planes of millions of pixels (the reference
// fill's crop, the structure step's analysis image, a selection's feather),
// often once per erase, where V8 runs it unoptimised.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in.

import { f32At, f64At, i32At, setF32, setF64, setI32, u8At } from "./planes";

/**
 * `squaredDistanceTo`: squared Euclidean distance of each pixel to the
 * nearest non-zero pixel of `plane`, +∞ beyond `limit`, into `out` (f32).
 * Scratch: `nearest` (w i32), `f`, `d` (w f64 each), `v` (w i32), `z` (w + 1 f64).
 */
export function squaredDistance(plane: usize, width: i32, height: i32, limit: f64, out: usize, nearest: usize, f: usize, d: usize, v: usize, z: usize): void {
  const cap = limit * limit;
  const FAR = -4 * (width + height) - 1;
  for (let x = 0; x < width; x++) setI32(nearest, x, FAR);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (u8At(plane, row + x) != 0) setI32(nearest, x, y);
      setF32(out, row + x, <f64>(y - i32At(nearest, x)));
    }
  }
  for (let x = 0; x < width; x++) setI32(nearest, x, height - FAR);
  const span = <f64>(2 * (width + height));
  const far = Math.min(cap, span * span);
  for (let y = height - 1; y >= 0; y--) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (u8At(plane, i) != 0) setI32(nearest, x, y);
      const dy = Math.min(f32At(out, i), <f64>(i32At(nearest, x) - y));
      const dd = dy * dy;
      setF32(out, i, dd > far ? Infinity : dd);
    }
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) setF64(f, x, f32At(out, row + x));
    envelope(f, width, d, v, z);
    for (let x = 0; x < width; x++) {
      const e = f64At(d, x);
      setF32(out, row + x, e > cap ? Infinity : e);
    }
  }
}

/** `envelope` of mask.ts: the 1-D squared distance transform of f[0..n) into d. */
function envelope(f: usize, n: i32, d: usize, v: usize, z: usize): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f64At(f, q);
    if (fq == Infinity) continue;
    if (fq == 0 && q > 0 && q < n - 1 && f64At(f, q - 1) == 0 && f64At(f, q + 1) == 0) continue;
    if (k < 0) {
      k = 0;
      setI32(v, 0, q);
      setF64(z, 0, -Infinity);
      setF64(z, 1, Infinity);
      continue;
    }
    const dq = <f64>q;
    let vk = i32At(v, k);
    let s = (fq + dq * dq - (f64At(f, vk) + <f64>vk * <f64>vk)) / (2 * dq - 2 * <f64>vk);
    while (s <= f64At(z, k)) {
      k--;
      vk = i32At(v, k);
      s = (fq + dq * dq - (f64At(f, vk) + <f64>vk * <f64>vk)) / (2 * dq - 2 * <f64>vk);
    }
    k++;
    setI32(v, k, q);
    setF64(z, k, s);
    setF64(z, k + 1, Infinity);
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) setF64(d, q, Infinity);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    const fq = f64At(f, q);
    if (fq == 0) {
      setF64(d, q, 0);
      continue;
    }
    while (f64At(z, j + 1) < <f64>q) j++;
    const vj = i32At(v, j);
    const dq = <f64>(q - vj);
    setF64(d, q, dq * dq + f64At(f, vj));
  }
}
