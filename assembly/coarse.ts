// AssemblyScript source of the coarse stage's per-pixel loops (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/coarse-bytes.ts; laid
// out by src/core/inpaint/wasm/coarse.ts): the texture features
// (`withTextureFeatures` and `boxSumRows3` in completion.ts), the pyramid's
// halving (`halve` in resample.ts), the bilinear start of a finer level
// (`upsampleInto`) and the M-step's vote (`Voter.vote`), written operation
// for operation as there: the same f64 arithmetic in the same order, rounded
// to f32 where the TypeScript stores into a Float32Array or calls
// Math.fround, so the bytes out are the same.
// Why: a single `vanish erase` runs these loops once, in V8's unoptimised
// tiers until they are compiled (a 1K object hole's coarse stage: ~250 ms
// in a fresh process against ~50 ms warm); WebAssembly runs them compiled
// from the first pixel.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in.

import { randomInt, randomNext, randomState, setRandomState } from "./random";

@inline function f32At(base: usize, i: i32): f32 {
  return load<f32>(base + (<usize>i << 2));
}
@inline function setF32(base: usize, i: i32, v: f64): void {
  store<f32>(base + (<usize>i << 2), <f32>v);
}
@inline function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function u8At(base: usize, i: i32): i32 {
  return <i32>load<u8>(base + <usize>i);
}
@inline function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline function setF64(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}
/** Math.fround. */
@inline function fr(v: f64): f64 {
  return <f64>(<f32>v);
}

/**
 * `withTextureFeatures` for C colour channels: `out` gets C + 2 channels per
 * pixel. `grad` (3 f32 per pixel) and `rows` (3 f32 per pixel) are scratch,
 * `columns` 3·w f64.
 */
export function textureFeatures(
  data: usize,
  hole: usize,
  w: i32,
  h: i32,
  C: i32,
  window: i32,
  grad: usize,
  rows: usize,
  columns: usize,
  out: usize,
): void {
  const n = w * h;
  memory.fill(grad, 0, <usize>n * 12);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (u8At(hole, i) != 0 || u8At(hole, i - 1) != 0 || u8At(hole, i + 1) != 0 || u8At(hole, i - w) != 0 || u8At(hole, i + w) != 0)
        continue;
      const l = (i - 1) * C;
      const rr = (i + 1) * C;
      const u = (i - w) * C;
      const d = (i + w) * C;
      const gx =
        <f64>f32At(data, rr) + <f64>f32At(data, rr + 1) + <f64>f32At(data, rr + 2) - <f64>f32At(data, l) - <f64>f32At(data, l + 1) - <f64>f32At(data, l + 2);
      const gy =
        <f64>f32At(data, d) + <f64>f32At(data, d + 1) + <f64>f32At(data, d + 2) - <f64>f32At(data, u) - <f64>f32At(data, u + 1) - <f64>f32At(data, u + 2);
      setF32(grad, 3 * i, Math.abs(gx) / 6);
      setF32(grad, 3 * i + 1, Math.abs(gy) / 6);
      setF32(grad, 3 * i + 2, 1);
    }
  }
  const half = window >> 1;
  // Row sums over [x − half, x + half], clipped (`boxSumRows3`).
  const lead = min(half, w);
  for (let y = 0; y < h; y++) {
    const o = 3 * y * w;
    let a: f64 = 0;
    let b: f64 = 0;
    let c: f64 = 0;
    for (let x = 0; x < lead; x++) {
      a += <f64>f32At(grad, o + 3 * x);
      b += <f64>f32At(grad, o + 3 * x + 1);
      c += <f64>f32At(grad, o + 3 * x + 2);
    }
    for (let x = 0; x < w; x++) {
      if (x + half < w) {
        const p = o + 3 * (x + half);
        a += <f64>f32At(grad, p);
        b += <f64>f32At(grad, p + 1);
        c += <f64>f32At(grad, p + 2);
      }
      if (x - half - 1 >= 0) {
        const p = o + 3 * (x - half - 1);
        a -= <f64>f32At(grad, p);
        b -= <f64>f32At(grad, p + 1);
        c -= <f64>f32At(grad, p + 2);
      }
      setF32(rows, o + 3 * x, a);
      setF32(rows, o + 3 * x + 1, b);
      setF32(rows, o + 3 * x + 2, c);
    }
  }
  const C2 = C + 2;
  for (let i = 0; i < n; i++) {
    const o = i * C;
    const q = i * C2;
    for (let k = 0; k < C; k++) store<f32>(out + (<usize>(q + k) << 2), f32At(data, o + k));
    store<f32>(out + (<usize>(q + C) << 2), 0);
    store<f32>(out + (<usize>(q + C + 1) << 2), 0);
  }
  // Column sums of the row sums over [y − half, y + half], clipped: ax, ay, av side by side.
  const ax = columns;
  const ay = columns + (<usize>w << 3);
  const av = columns + (<usize>w << 4);
  memory.fill(columns, 0, <usize>w * 24);
  const top = min(half, h);
  for (let y = 0; y < top; y++) {
    for (let x = 0, r = 3 * y * w; x < w; x++, r += 3) {
      setF64(ax, x, f64At(ax, x) + <f64>f32At(rows, r));
      setF64(ay, x, f64At(ay, x) + <f64>f32At(rows, r + 1));
      setF64(av, x, f64At(av, x) + <f64>f32At(rows, r + 2));
    }
  }
  for (let y = 0; y < h; y++) {
    if (y + half < h) {
      for (let x = 0, r = 3 * (y + half) * w; x < w; x++, r += 3) {
        setF64(ax, x, f64At(ax, x) + <f64>f32At(rows, r));
        setF64(ay, x, f64At(ay, x) + <f64>f32At(rows, r + 1));
        setF64(av, x, f64At(av, x) + <f64>f32At(rows, r + 2));
      }
    }
    if (y - half - 1 >= 0) {
      for (let x = 0, r = 3 * (y - half - 1) * w; x < w; x++, r += 3) {
        setF64(ax, x, f64At(ax, x) - <f64>f32At(rows, r));
        setF64(ay, x, f64At(ay, x) - <f64>f32At(rows, r + 1));
        setF64(av, x, f64At(av, x) - <f64>f32At(rows, r + 2));
      }
    }
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const v = fr(f64At(av, x));
      if (u8At(hole, i) != 0 || v == 0) continue;
      setF32(out, i * C2 + C, fr(f64At(ax, x)) / v);
      setF32(out, i * C2 + C + 1, fr(f64At(ay, x)) / v);
    }
  }
}

/**
 * `halve`: each coarse pixel of `out` (C channels, ⌈w/2⌉ × ⌈h/2⌉) averages
 * its known children; `outHole` is 1 where more than half of them are hole.
 */
export function halve(data: usize, hole: usize, w: i32, h: i32, C: i32, out: usize, outHole: usize): void {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  for (let y = 0; y < ch; y++) {
    const top = 2 * y * w;
    const hasBottom = 2 * y + 1 < h;
    for (let x = 0; x < cw; x++) {
      const hasRight = 2 * x + 1 < w;
      const i0 = top + 2 * x;
      const a = u8At(hole, i0) == 0 ? i0 : -1;
      const b = hasRight && u8At(hole, i0 + 1) == 0 ? i0 + 1 : -1;
      const c = hasBottom && u8At(hole, i0 + w) == 0 ? i0 + w : -1;
      const d = hasBottom && hasRight && u8At(hole, i0 + w + 1) == 0 ? i0 + w + 1 : -1;
      const known = (a >= 0 ? 1 : 0) + (b >= 0 ? 1 : 0) + (c >= 0 ? 1 : 0) + (d >= 0 ? 1 : 0);
      const total = (hasRight ? 2 : 1) * (hasBottom ? 2 : 1);
      const o = (y * cw + x) * C;
      for (let k = 0; k < C; k++) {
        let v: f64 = 0;
        if (known > 0) {
          if (a >= 0) v = fr(v + <f64>f32At(data, a * C + k));
          if (b >= 0) v = fr(v + <f64>f32At(data, b * C + k));
          if (c >= 0) v = fr(v + <f64>f32At(data, c * C + k));
          if (d >= 0) v = fr(v + <f64>f32At(data, d * C + k));
          v = v / <f64>known;
        }
        setF32(out, o + k, v);
      }
      store<u8>(outHole + <usize>(y * cw + x), known == 0 || 2 * known < total ? 1 : 0);
    }
  }
}

/**
 * `upsampleInto`: bilinear 2× upsampling of the coarse image (CC channels,
 * cw × ch) into the hole pixels of the fine one (C channels, w × h).
 */
export function upsampleInto(cd: usize, cw: i32, ch: i32, CC: i32, data: usize, w: i32, h: i32, C: i32, hole: usize): void {
  for (let y = 0; y < h; y++) {
    const v = Math.min(Math.max((<f64>y + 0.5) / 2 - 0.5, 0), <f64>(ch - 1));
    const y0 = <i32>Math.floor(v);
    const y1 = min(y0 + 1, ch - 1);
    const fy = v - <f64>y0;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (u8At(hole, i) == 0) continue;
      const u = Math.min(Math.max((<f64>x + 0.5) / 2 - 0.5, 0), <f64>(cw - 1));
      const x0 = <i32>Math.floor(u);
      const x1 = min(x0 + 1, cw - 1);
      const fx = u - <f64>x0;
      for (let c = 0; c < C; c++) {
        const t = <f64>f32At(cd, (y0 * cw + x0) * CC + c) * (1 - fx) + <f64>f32At(cd, (y0 * cw + x1) * CC + c) * fx;
        const bt = <f64>f32At(cd, (y1 * cw + x0) * CC + c) * (1 - fx) + <f64>f32At(cd, (y1 * cw + x1) * CC + c) * fx;
        setF32(data, i * C + c, t * (1 - fy) + bt * fy);
      }
    }
  }
}

/**
 * `Voter.vote` for 3 or 5 channels: every hole pixel (`holeIndex`, `count`
 * of them) becomes the weighted mean of its covering targets' matches.
 * Returns the summed absolute change of the first three channels.
 */
export function vote(
  img: usize,
  w: i32,
  h: i32,
  C: i32,
  r: i32,
  slotOf: usize,
  holeIndex: usize,
  count: i32,
  source: usize,
  weights: usize,
): f64 {
  let change: f64 = 0;
  const five = C == 5;
  for (let n = 0; n < count; n++) {
    const q = i32At(holeIndex, n);
    const qx = q % w;
    const qy = (q - qx) / w;
    const eyHi = min(qy, r);
    const eyLo = max(qy - h + 1, -r);
    const exHi = min(qx, r);
    const exLo = max(qx - w + 1, -r);
    let total: f64 = 0;
    let a: f64 = 0;
    let b: f64 = 0;
    let c: f64 = 0;
    let d: f64 = 0;
    let e: f64 = 0;
    for (let ey = eyHi; ey >= eyLo; ey--) {
      const row = q - ey * w;
      const shift = ey * w;
      for (let ex = exHi; ex >= exLo; ex--) {
        const slot = i32At(slotOf, row - ex);
        if (slot < 0) continue;
        const weight = <f64>f32At(weights, slot);
        if (!(weight > 0)) continue;
        const sq = (i32At(source, slot) + shift + ex) * C;
        a = fr(a + weight * <f64>f32At(img, sq));
        b = fr(b + weight * <f64>f32At(img, sq + 1));
        c = fr(c + weight * <f64>f32At(img, sq + 2));
        if (five) {
          d = fr(d + weight * <f64>f32At(img, sq + 3));
          e = fr(e + weight * <f64>f32At(img, sq + 4));
        }
        total = fr(total + weight);
      }
    }
    if (total == 0) continue;
    const inv = 1 / total;
    const o = q * C;
    const va = a * inv;
    const vb = b * inv;
    const vc = c * inv;
    change += Math.abs(va - <f64>f32At(img, o));
    setF32(img, o, va);
    change += Math.abs(vb - <f64>f32At(img, o + 1));
    setF32(img, o + 1, vb);
    change += Math.abs(vc - <f64>f32At(img, o + 2));
    setF32(img, o + 2, vc);
    if (five) {
      setF32(img, o + 3, d * inv);
      setF32(img, o + 4, e * inv);
    }
  }
  return change;
}

/** The hole plane's summed-area table ((w + 1)·(h + 1) i32, `holeIntegral` of src/core/mask.ts) into `integral`. */
function holeIntegral(hole: usize, w: i32, h: i32, integral: usize): void {
  const w1 = w + 1;
  memory.fill(integral, 0, <usize>(w1 * (h + 1)) << 2);
  for (let y = 0; y < h; y++) {
    let rowSum = 0;
    for (let x = 0; x < w; x++) {
      rowSum += u8At(hole, y * w + x) != 0 ? 1 : 0;
      store<i32>(integral + (<usize>((y + 1) * w1 + x + 1) << 2), i32At(integral, y * w1 + x + 1) + rowSum);
    }
  }
}

/** `makePatchProblem`'s count of valid sources, left by `problemSetup`. */
let sourceCount: i32 = 0;

export function sourcesFound(): i32 {
  return sourceCount;
}

/**
 * `makePatchProblem`'s set-up for a hole plane (w × h) and patch radius r:
 * the hole's summed-area table (`integral`, (w + 1)·(h + 1) i32), the targets
 * (centres within r of a hole pixel, in raster order, into `targets`), the
 * valid sources (`valid`: 1 on centres of hole-free patches inside the
 * image; `sources`: their list), and `slotOf` (each pixel's target slot or
 * −1). `run`: w i32 of scratch. Returns the number of targets;
 * `sourcesFound()` the number of sources.
 */
export function problemSetup(
  hole: usize,
  w: i32,
  h: i32,
  r: i32,
  integral: usize,
  targets: usize,
  valid: usize,
  sources: usize,
  slotOf: usize,
  run: usize,
): i32 {
  const w1 = w + 1;
  holeIntegral(hole, w, h, integral);
  // The hole's box [x0, x1) × [y0, y1) off the table (`holeBoxOf`).
  const total = i32At(integral, h * w1 + w);
  let x0 = 0;
  let x1 = 0;
  let y0 = 0;
  let y1 = 0;
  if (total != 0) {
    while (i32At(integral, (y0 + 1) * w1 + w) == 0) y0++;
    y1 = h;
    while (i32At(integral, (y1 - 1) * w1 + w) == total) y1--;
    while (i32At(integral, h * w1 + x0 + 1) == 0) x0++;
    x1 = w;
    while (i32At(integral, h * w1 + x1 - 1) == total) x1--;
  }
  const gx0 = max(0, x0 - r);
  const gx1 = min(w, x1 + r);
  const gy0 = max(0, y0 - r);
  const gy1 = min(h, y1 + r);
  let nTargets = 0;
  for (let y = gy0; y < gy1; y++) {
    const ya = max(0, y - r);
    const yb = min(h, y + r + 1);
    for (let x = gx0; x < gx1; x++) {
      const xa = max(0, x - r);
      const xb = min(w, x + r + 1);
      const count = i32At(integral, yb * w1 + xb) - i32At(integral, ya * w1 + xb) - i32At(integral, yb * w1 + xa) + i32At(integral, ya * w1 + xa);
      if (count > 0) store<i32>(targets + (<usize>(nTargets++) << 2), y * w + x);
    }
  }
  // `scanSources`: a window ends at (x, y) when the last 2r + 1 columns all have runs of 2r + 1 known pixels there.
  memory.fill(valid, 0, <usize>(w * h));
  const side = 2 * r + 1;
  let n = 0;
  if (w >= side && h >= side) {
    memory.fill(run, 0, <usize>w << 2);
    const back = r * w + r;
    for (let y = 0; y < h; y++) {
      const o = y * w;
      let across = 0;
      for (let x = 0; x < w; x++) {
        const v = u8At(hole, o + x) != 0 ? 0 : i32At(run, x) + 1;
        store<i32>(run + (<usize>x << 2), v);
        across = v >= side ? across + 1 : 0;
        if (across >= side) {
          store<u8>(valid + <usize>(o + x - back), 1);
          n++;
        }
      }
    }
  }
  sourceCount = n;
  for (let i = 0, k = 0; k < n; i++) if (u8At(valid, i) != 0) store<i32>(sources + (<usize>(k++) << 2), i);
  for (let i = 0; i < w * h; i++) store<i32>(slotOf + (<usize>i << 2), -1);
  for (let k = 0; k < nTargets; k++) store<i32>(slotOf + (<usize>i32At(targets, k) << 2), k);
  return nTargets;
}

/**
 * `packingUnit`'s largest magnitude: of the known pixels' three colours, or
 * `root` × their texture channels (at F, F + 1; F < 0 for none) where larger.
 */
export function knownMagnitude(image: usize, hole: usize, n: i32, C: i32, F: i32, root: f64): f64 {
  let m: f64 = 0;
  let t: f64 = 0;
  for (let i = 0, o = 0; i < n; i++, o += C) {
    if (u8At(hole, i) != 0) continue;
    const a = <f64>f32At(image, o);
    const b = <f64>f32At(image, o + 1);
    const c = <f64>f32At(image, o + 2);
    if (a > m) m = a;
    else if (-a > m) m = -a;
    if (b > m) m = b;
    else if (-b > m) m = -b;
    if (c > m) m = c;
    else if (-c > m) m = -c;
    if (F < 0) continue;
    const d = <f64>f32At(image, o + F);
    const e = <f64>f32At(image, o + F + 1);
    if (d > t) t = d;
    else if (-d > t) t = -d;
    if (e > t) t = e;
    else if (-e > t) t = -e;
  }
  if (root * t > m) m = root * t;
  return m;
}

/** patchmatch.ts's largest packed magnitude. */
const PACKED_MAX: f64 = 2047;

/** `packValue`: Math.round(v) clamped to ±PACKED_MAX; NaN gives 0. */
@inline function packValue(v: f64): i32 {
  if (v >= PACKED_MAX) return 2047;
  if (v > -PACKED_MAX) {
    const r = <i32>(v + 4096.5) - 4096;
    return v < <f64>r - 0.5 ? r - 1 : r;
  }
  return v <= -PACKED_MAX ? -2047 : 0;
}

@inline function packPixel(image: usize, i: i32, C: i32, lanes: i32, unit: f64, scale: f64, F: i32, packed: usize): void {
  const o = i * C;
  const q = packed + (<usize>(i * lanes) << 1);
  store<i16>(q, <i16>packValue(<f64>f32At(image, o) * unit));
  store<i16>(q + 2, <i16>packValue(<f64>f32At(image, o + 1) * unit));
  store<i16>(q + 4, <i16>packValue(<f64>f32At(image, o + 2) * unit));
  if (lanes == 5) {
    store<i16>(q + 6, <i16>packValue(<f64>f32At(image, o + F) * scale));
    store<i16>(q + 8, <i16>packValue(<f64>f32At(image, o + F + 1) * scale));
  }
}

/** `packAll`: every pixel of `image` (n pixels, C channels) into `packed` (`lanes` i16 a pixel). */
export function packAll(image: usize, n: i32, C: i32, lanes: i32, unit: f64, scale: f64, F: i32, packed: usize): void {
  for (let i = 0; i < n; i++) packPixel(image, i, C, lanes, unit, scale, F, packed);
}

/** `packHole`: the targets that are hole pixels, re-packed. */
export function packHole(image: usize, targets: usize, count: i32, hole: usize, C: i32, lanes: i32, unit: f64, scale: f64, F: i32, packed: usize): void {
  for (let k = 0; k < count; k++) {
    const t = i32At(targets, k);
    if (u8At(hole, t) != 0) packPixel(image, t, C, lanes, unit, scale, F, packed);
  }
}

/**
 * The `Voter`'s set-up: the hole targets in order (`holeIndex`; returns
 * their number), γ^(−city-block distance to the known region) per target
 * (`boundary`, from `powers`: 201 f64) and each target's patch area inside
 * the image (`area`). `dist`: w·h u16 of scratch.
 */
export function voterSetup(
  hole: usize,
  w: i32,
  h: i32,
  r: i32,
  targets: usize,
  count: i32,
  powers: usize,
  holeIndex: usize,
  boundary: usize,
  area: usize,
  dist: usize,
): i32 {
  let n = 0;
  for (let k = 0; k < count; k++) {
    const t = i32At(targets, k);
    if (u8At(hole, t) != 0) store<i32>(holeIndex + (<usize>(n++) << 2), t);
  }
  // `distanceToKnown`: two raster passes, capped at 65535.
  memory.fill(dist, 0, <usize>(w * h) << 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (u8At(hole, i) == 0) continue;
      let v = 65535;
      if (x > 0 && <i32>load<u16>(dist + (<usize>(i - 1) << 1)) + 1 < v) v = <i32>load<u16>(dist + (<usize>(i - 1) << 1)) + 1;
      if (y > 0 && <i32>load<u16>(dist + (<usize>(i - w) << 1)) + 1 < v) v = <i32>load<u16>(dist + (<usize>(i - w) << 1)) + 1;
      store<u16>(dist + (<usize>i << 1), <u16>v);
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      if (u8At(hole, i) == 0) continue;
      let v = <i32>load<u16>(dist + (<usize>i << 1));
      if (x < w - 1 && <i32>load<u16>(dist + (<usize>(i + 1) << 1)) + 1 < v) v = <i32>load<u16>(dist + (<usize>(i + 1) << 1)) + 1;
      if (y < h - 1 && <i32>load<u16>(dist + (<usize>(i + w) << 1)) + 1 < v) v = <i32>load<u16>(dist + (<usize>(i + w) << 1)) + 1;
      store<u16>(dist + (<usize>i << 1), <u16>v);
    }
  }
  for (let k = 0; k < count; k++) {
    const t = i32At(targets, k);
    const d = min(<i32>load<u16>(dist + (<usize>t << 1)), 200);
    setF32(boundary, k, f64At(powers, d));
    const tx = t % w;
    const ty = (t - tx) / w;
    const nx = min(w - 1, tx + r) - max(0, tx - r) + 1;
    const ny = min(h - 1, ty + r) - max(0, ty - r) + 1;
    setF32(area, k, <f64>(nx * ny));
  }
  return n;
}

/**
 * `upsampleNnf` but for the random picks: each fine target's source from its
 * coarse pixel's match (2·s + parity), or −1 where the coarse pixel had none
 * or the source is not valid; `trusted` gets the target's boundary weight
 * where it has a source, else 0.
 */
export function upsampleField(
  coarseSlotOf: usize,
  coarseSource: usize,
  cw: i32,
  ch: i32,
  targets: usize,
  count: i32,
  w: i32,
  h: i32,
  r: i32,
  valid: usize,
  boundary: usize,
  source: usize,
  trusted: usize,
): void {
  for (let k = 0; k < count; k++) {
    const t = i32At(targets, k);
    const x = t % w;
    const y = (t - x) / w;
    const cx = min(x >> 1, cw - 1);
    const cy = min(y >> 1, ch - 1);
    const slot = i32At(coarseSlotOf, cy * cw + cx);
    let s = -1;
    if (slot >= 0) {
      const cs = i32At(coarseSource, slot);
      const csx = cs % cw;
      const csy = (cs - csx) / cw;
      const sx = min(max(2 * csx + (x & 1), r), w - 1 - r);
      const sy = min(max(2 * csy + (y & 1), r), h - 1 - r);
      if (u8At(valid, sy * w + sx) != 0) s = sy * w + sx;
    }
    store<i32>(source + (<usize>k << 2), s);
    store<f32>(trusted + (<usize>k << 2), s >= 0 ? load<f32>(boundary + (<usize>k << 2)) : 0);
  }
}

/** `copyNearest`: each hole pixel of `img` (n pixels, C channels) takes its match's centre. */
export function copyNearest(img: usize, C: i32, hole: usize, n: i32, slotOf: usize, source: usize): void {
  for (let i = 0; i < n; i++) {
    if (u8At(hole, i) == 0) continue;
    const s = i32At(source, i32At(slotOf, i)) * C;
    for (let c = 0; c < C; c++) store<f32>(img + (<usize>(i * C + c) << 2), load<f32>(img + (<usize>(s + c) << 2)));
  }
}

/** The attention's planes, set by `attentionSearch` for `offer` and `blockDistance`. */
let attData: usize = 0;
let attIntegral: usize = 0;
let attCount: usize = 0;
let attDist: usize = 0;
let attDx: usize = 0;
let attDy: usize = 0;
let attW: i32 = 0;
let attH: i32 = 0;
let attC: i32 = 0;
let attP: i32 = 0;
let attK: i32 = 0;
let attCols: i32 = 0;

@inline function blockHoleCount(x: i32, y: i32, bw: i32, bh: i32): i32 {
  const w1 = attW + 1;
  return i32At(attIntegral, (y + bh) * w1 + x + bw) - i32At(attIntegral, y * w1 + x + bw) - i32At(attIntegral, (y + bh) * w1 + x) + i32At(attIntegral, y * w1 + x);
}

/** Squared distance between the blocks at (x0, y0) and (sx, sy), stopping at a row once it reaches `limit`. */
function blockDistance(x0: i32, y0: i32, sx: i32, sy: i32, pw: i32, ph: i32, limit: f64): f64 {
  let sum: f64 = 0;
  const C = attC;
  for (let yy = 0; yy < ph; yy++) {
    let a = ((y0 + yy) * attW + x0) * C;
    let b = ((sy + yy) * attW + sx) * C;
    const end = a + pw * C;
    for (; a < end; a += C, b += C) {
      const d0 = <f64>f32At(attData, a) - <f64>f32At(attData, b);
      const d1 = <f64>f32At(attData, a + 1) - <f64>f32At(attData, b + 1);
      const d2 = <f64>f32At(attData, a + 2) - <f64>f32At(attData, b + 2);
      sum += d0 * d0 + d1 * d1 + d2 * d2;
    }
    if (sum >= limit) return sum;
  }
  return sum;
}

/** `buildAttention`'s offer: offset (ox, oy) to token t, its list kept sorted and free of duplicates. */
function offer(t: i32, ox: i32, oy: i32): void {
  const P = attP;
  const K = attK;
  const i = t % attCols;
  const x0 = i * P;
  const y0 = ((t - i) / attCols) * P;
  const pw = min(P, attW - x0);
  const ph = min(P, attH - y0);
  const sx = x0 + ox;
  const sy = y0 + oy;
  if (sx < 0 || sy < 0 || sx + pw > attW || sy + ph > attH) return;
  const base = t * K;
  const n = u8At(attCount, t);
  for (let e = 0; e < n; e++) if (<i32>load<i16>(attDx + (<usize>(base + e) << 1)) == ox && <i32>load<i16>(attDy + (<usize>(base + e) << 1)) == oy) return;
  if (blockHoleCount(sx, sy, pw, ph) != 0) return;
  const worst: f64 = n < K ? Infinity : <f64>f32At(attDist, base + K - 1);
  const d = blockDistance(x0, y0, sx, sy, pw, ph, worst);
  if (d >= worst) return;
  let e = n < K ? n : K - 1;
  while (e > 0 && <f64>f32At(attDist, base + e - 1) > d) {
    store<f32>(attDist + (<usize>(base + e) << 2), load<f32>(attDist + (<usize>(base + e - 1) << 2)));
    store<i16>(attDx + (<usize>(base + e) << 1), load<i16>(attDx + (<usize>(base + e - 1) << 1)));
    store<i16>(attDy + (<usize>(base + e) << 1), load<i16>(attDy + (<usize>(base + e - 1) << 1)));
    e--;
  }
  setF32(attDist, base + e, d);
  store<i16>(attDx + (<usize>(base + e) << 1), <i16>ox);
  store<i16>(attDy + (<usize>(base + e) << 1), <i16>oy);
  if (n < K) store<u8>(attCount + <usize>t, <u8>(n + 1));
}

/**
 * `buildAttention`'s token-level PatchMatch over the filled image `data`
 * (w × h, C channels) with its `hole`: token size P, K entries a token; the
 * coarse field (`slotOf`, `source`) seeds it when `hasField`. Writes the hole
 * tokens (`tokens`; returns their number), each token's entry count, squared
 * distances and offsets (`count`, `dist`, `dx`, `dy`: T, T·K). `integral`:
 * (w + 1)·(h + 1) i32 of scratch. The random stream starts at `state`;
 * `randomAfter()` gives it back.
 */
export function attentionSearch(
  data: usize,
  w: i32,
  h: i32,
  C: i32,
  hole: usize,
  P: i32,
  K: i32,
  iterations: i32,
  hasField: bool,
  slotOf: usize,
  source: usize,
  state: i32,
  integral: usize,
  tokens: usize,
  count: usize,
  dist: usize,
  dx: usize,
  dy: usize,
): i32 {
  setRandomState(state);
  const cols = (w + P - 1) / P;
  const rows = (h + P - 1) / P;
  const T = cols * rows;
  attData = data;
  attIntegral = integral;
  attCount = count;
  attDist = dist;
  attDx = dx;
  attDy = dy;
  attW = w;
  attH = h;
  attC = C;
  attP = P;
  attK = K;
  attCols = cols;
  holeIntegral(hole, w, h, integral);
  memory.fill(count, 0, <usize>T);
  for (let k = 0; k < T * K; k++) store<f32>(dist + (<usize>k << 2), Infinity);
  memory.fill(dx, 0, <usize>(T * K) << 1);
  memory.fill(dy, 0, <usize>(T * K) << 1);
  let nTokens = 0;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const x0 = i * P;
      const y0 = j * P;
      if (blockHoleCount(x0, y0, min(P, w - x0), min(P, h - y0)) > 0) store<i32>(tokens + (<usize>(nTokens++) << 2), j * cols + i);
    }
  }
  const sampleStep = max(1, P >> 2);
  for (let q = 0; q < nTokens; q++) {
    const t = i32At(tokens, q);
    const i = t % cols;
    const x0 = i * P;
    const y0 = ((t - i) / cols) * P;
    if (hasField) {
      for (let yy = y0; yy < min(y0 + P, h); yy += sampleStep) {
        for (let xx = x0; xx < min(x0 + P, w); xx += sampleStep) {
          const slot = i32At(slotOf, yy * w + xx);
          if (slot < 0) continue;
          const s = i32At(source, slot);
          const sxx = s % w;
          offer(t, sxx - xx, (s - sxx) / w - yy);
        }
      }
    }
    for (let tries = 0; tries < 32 && u8At(count, t) == 0; tries++) {
      const rx = randomInt(0, w - 1);
      const ry = randomInt(0, h - 1);
      offer(t, rx - x0, ry - y0);
    }
  }
  const maxRadius = hasField ? max(4, max(w, h) >> 3) : max(w, h);
  for (let it = 0; it < iterations; it++) {
    const forward = (it & 1) == 0;
    const step = forward ? 1 : -1;
    for (let q = 0; q < nTokens; q++) {
      const t = i32At(tokens, forward ? q : nTokens - 1 - q);
      const i = t % cols;
      const j = (t - i) / cols;
      const ni = i - step;
      if (ni >= 0 && ni < cols && u8At(count, t - step) > 0)
        offer(t, <i32>load<i16>(dx + (<usize>((t - step) * K) << 1)), <i32>load<i16>(dy + (<usize>((t - step) * K) << 1)));
      const nj = j - step;
      if (nj >= 0 && nj < rows && u8At(count, t - step * cols) > 0)
        offer(t, <i32>load<i16>(dx + (<usize>((t - step * cols) * K) << 1)), <i32>load<i16>(dy + (<usize>((t - step * cols) * K) << 1)));
      if (u8At(count, t) == 0) continue;
      const bx = <i32>load<i16>(dx + (<usize>(t * K) << 1));
      const by = <i32>load<i16>(dy + (<usize>(t * K) << 1));
      for (let R = maxRadius; R >= 1; R >>= 1) {
        const ox = bx + randomInt(-R, R);
        const oy = by + randomInt(-R, R);
        offer(t, ox, oy);
      }
    }
  }
  return nTokens;
}

/** The peel's planes, set by `onionPeel` for `peelDistance` and `peelConsider`. */
let peelImage: usize = 0;
let peelKnown: usize = 0;
let peelValid: usize = 0;
let peelSide: usize = 0;
let peelW: i32 = 0;
let peelH: i32 = 0;
let peelC: i32 = 0;
let peelR: i32 = 0;
let peelBest: f64 = 0;
let peelBestSource: i32 = -1;
let peelOffsets: usize = 0;
let peelCount: i32 = 0;

/** Target t's known patch pixels as offsets from its centre, into `peelOffsets`; their count. */
function peelGather(t: i32): i32 {
  const W = peelW;
  const tx = t % W;
  const ty = (t - tx) / W;
  const x0 = max(-peelR, -tx);
  const x1 = min(peelR, W - 1 - tx);
  const y0 = max(-peelR, -ty);
  const y1 = min(peelR, peelH - 1 - ty);
  let count = 0;
  for (let dy = y0; dy <= y1; dy++) {
    for (let dx = x0; dx <= x1; dx++) {
      if (u8At(peelKnown, t + dy * W + dx) == 0) continue;
      store<i32>(peelOffsets + (<usize>count << 2), dy * W + dx);
      count++;
    }
  }
  return count;
}

/** Squared colour difference of t's and s's patches over the gathered pixels; Infinity once above `limit`. */
function peelDistance(t: i32, s: i32, limit: f64): f64 {
  let sum: f64 = 0;
  for (let k = 0; k < peelCount; k++) {
    const o = i32At(peelOffsets, k);
    const a = (t + o) * peelC;
    const b = (s + o) * peelC;
    for (let c = 0; c < 3; c++) {
      const d = <f64>f32At(peelImage, a + c) - <f64>f32At(peelImage, b + c);
      sum += d * d;
    }
    if (sum > limit) return Infinity;
  }
  return sum;
}

function peelConsider(t: i32, s: i32): void {
  if (s < 0 || s >= peelW * peelH || u8At(peelValid, s) != 1) return;
  if (peelSide != 0) {
    const a = u8At(peelSide, t);
    const b = u8At(peelSide, s);
    if (((((a >> 1) & b) | ((b >> 1) & a)) & 0x55) != 0) return;
  }
  const d = peelDistance(t, s, peelBest * (1 + 1e-9));
  if (d < peelBest) {
    peelBest = d;
    peelBestSource = s;
  }
}

/**
 * `onionPeel` (onion-peel.ts), operation for operation and drawing the same
 * random stream from `state`: fills `from` (n values) and the image's hole
 * pixels layer by layer. `known`, `queued` (n bytes), the two fronts (n
 * values each) and `offsets` ((2r + 1)² values) are scratch. `side` is 0 for
 * none.
 */
export function onionPeel(
  image: usize,
  W: i32,
  H: i32,
  C: i32,
  hole: usize,
  r: i32,
  validSource: usize,
  sources: usize,
  sourceCount: i32,
  side: usize,
  randomCandidates: i32,
  state: i32,
  known: usize,
  queued: usize,
  from: usize,
  frontA: usize,
  frontB: usize,
  offsets: usize,
): void {
  setRandomState(state);
  peelOffsets = offsets;
  peelImage = image;
  peelKnown = known;
  peelValid = validSource;
  peelSide = side;
  peelW = W;
  peelH = H;
  peelC = C;
  peelR = r;
  const n = W * H;
  for (let i = 0; i < n; i++) {
    store<u8>(known + <usize>i, u8At(hole, i) == 0 ? 1 : 0);
    store<u8>(queued + <usize>i, 0);
    store<i32>(from + (<usize>i << 2), -1);
  }
  let front = frontA;
  let spare = frontB;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (u8At(known, i) != 0) continue;
    const x = i % W;
    const y = (i - x) / W;
    if ((x > 0 && u8At(known, i - 1) != 0) || (x < W - 1 && u8At(known, i + 1) != 0) || (y > 0 && u8At(known, i - W) != 0) || (y < H - 1 && u8At(known, i + W) != 0)) {
      store<u8>(queued + <usize>i, 1);
      store<i32>(front + (<usize>count << 2), i);
      count++;
    }
  }
  if (sourceCount == 0) return;
  const longSide = max(W, H);
  while (count > 0) {
    for (let k = 0; k < count; k++) {
      const t = i32At(front, k);
      const tx = t % W;
      const ty = (t - tx) / W;
      peelBest = Infinity;
      peelBestSource = -1;
      peelCount = peelGather(t);
      if (peelCount == 0) continue;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const qx = tx + dx;
          const qy = ty + dy;
          if ((dx == 0 && dy == 0) || qx < 0 || qy < 0 || qx >= W || qy >= H) continue;
          const s = i32At(from, qy * W + qx);
          if (s < 0) continue;
          const sx = (s % W) - dx;
          const sy = s / W - dy;
          if (sx >= 0 && sy >= 0 && sx < W && sy < H) peelConsider(t, sy * W + sx);
        }
      }
      for (let j = 0; j < randomCandidates; j++) peelConsider(t, i32At(sources, randomInt(0, sourceCount - 1)));
      for (let radius = longSide; radius >= 1 && peelBestSource >= 0; radius >>= 1) {
        const bx = peelBestSource % W;
        const by = (peelBestSource - bx) / W;
        const x = min(W - 1, max(0, bx + <i32>Math.floor((2 * randomNext() - 1) * <f64>radius + 0.5)));
        const y = min(H - 1, max(0, by + <i32>Math.floor((2 * randomNext() - 1) * <f64>radius + 0.5)));
        peelConsider(t, y * W + x);
      }
      store<i32>(from + (<usize>t << 2), peelBestSource);
    }
    for (let k = 0; k < count; k++) {
      const t = i32At(front, k);
      const s = i32At(from, t);
      if (s >= 0) for (let c = 0; c < C; c++) store<f32>(image + (<usize>(t * C + c) << 2), f32At(image, s * C + c));
      store<u8>(known + <usize>t, 1);
    }
    let next = 0;
    for (let k = 0; k < count; k++) {
      const t = i32At(front, k);
      const tx = t % W;
      const ty = (t - tx) / W;
      for (let e = 0; e < 4; e++) {
        let q = -1;
        if (e == 0 && tx > 0) q = t - 1;
        else if (e == 1 && tx < W - 1) q = t + 1;
        else if (e == 2 && ty > 0) q = t - W;
        else if (e == 3 && ty < H - 1) q = t + W;
        if (q < 0 || u8At(known, q) != 0 || u8At(queued, q) != 0) continue;
        store<u8>(queued + <usize>q, 1);
        store<i32>(spare + (<usize>next << 2), q);
        next++;
      }
    }
    const swap = front;
    front = spare;
    spare = swap;
    count = next;
  }
}

export function randomAfter(): i32 {
  return randomState();
}
