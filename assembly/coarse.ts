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
