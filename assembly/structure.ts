// AssemblyScript source of the structure step's per-pixel loops (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/structure-bytes.ts; laid
// out by src/core/inpaint/wasm/structure.ts): LSD's Gaussian blur over the rows its pixels read
// (`gaussianBlur` and `rowsReadBy` in structure/lsd.ts) and the Canny edges
// from known pixels (`knownCanny`, `knownBlur` and `suppressAndLink` in
// structure/edges.ts), written operation for operation as there: the same
// f64 arithmetic in the same order, rounded to f32 where the TypeScript
// stores into a Float32Array, so the bytes out are the same. The blurs'
// weights come from the TypeScript (they need Math.exp, whose last bits
// differ between runtimes).
// Why: the step runs once per erase on a small analysis image; in a fresh
// process V8 runs these loops unoptimised (a 1K object hole's step: ~250 ms
// against ~20 ms warm), WebAssembly runs them compiled from the first pixel.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in.

import { f32At, f64At, i32At, setF32, setF64, setI32, setU8, u8At } from "./planes";

/** `rowsReadBy`: 1 in `out` (zeroed here) on every pixel within `radius` rows of a `need` pixel in its column. `run`: w i32. */
export function rowsReadBy(need: usize, w: i32, h: i32, radius: i32, out: usize, run: usize): void {
  memory.fill(out, 0, <usize>(w * h));
  for (let pass = 0; pass < 2; pass++) {
    memory.fill(run, 0, <usize>w << 2);
    for (let k = 0; k < h; k++) {
      const row = (pass == 0 ? k : h - 1 - k) * w;
      for (let x = 0; x < w; x++) {
        let r = u8At(need, row + x) != 0 ? radius + 1 : i32At(run, x);
        if (r > 0) {
          setU8(out, row + x, 1);
          r--;
        }
        setI32(run, x, r);
      }
    }
  }
}

/**
 * lsd.ts's `gaussianBlur` with clamped borders and the normalised `kernel`
 * (2·radius + 1 f32): with `need` (0 for none), only its pixels are computed
 * (the rest are 0) and the row pass only on the rows they read (`rowNeed`,
 * `run`: scratch). `tmp` and `out`: w·h f32.
 */
export function gaussianBlur(
  src: usize,
  w: i32,
  h: i32,
  kernel: usize,
  radius: i32,
  need: usize,
  rowNeed: usize,
  run: usize,
  tmp: usize,
  out: usize,
): void {
  const n = w * h;
  if (need != 0) rowsReadBy(need, w, h, radius, rowNeed, run);
  memory.fill(tmp, 0, <usize>n << 2);
  memory.fill(out, 0, <usize>n << 2);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (need != 0 && u8At(rowNeed, row + x) == 0) continue;
      let v: f64 = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
        v += f32At(kernel, k + radius) * f32At(src, row + xx);
      }
      setF32(tmp, row + x, v);
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (need != 0 && u8At(need, y * w + x) == 0) continue;
      let v: f64 = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
        v += f32At(kernel, k + radius) * f32At(tmp, yy * w + x);
      }
      setF32(out, y * w + x, v);
    }
  }
}

/** edges.ts's blur radius (3σ, σ = 1) and hysteresis thresholds. */
const RADIUS = 3;
const LOW: f64 = 6;
const HIGH: f64 = 14;

/**
 * `knownCanny` over `img` (`C` channels, the first three read) with its
 * `hole` and `allowed` planes: the gradient magnitude into `mag` (w·h f32)
 * and the edges (1) into `edges` (w·h bytes). `kernel`: the blur's seven f32
 * weights. `scratch`: 54·w·h + 4·w bytes, 16-byte aligned.
 */
export function knownCanny(img: usize, C: i32, hole: usize, allowed: usize, w: i32, h: i32, kernel: usize, mag: usize, edges: usize, scratch: usize): void {
  const n = w * h;
  const un = <usize>n;
  // Scratch planes: f32 ones first (kept 4-byte aligned), then bytes.
  const kv = scratch; // 4 f32 a pixel
  const tv = kv + (un << 4); // 4 f32 a pixel
  const outR = tv + (un << 4);
  const outG = outR + (un << 2);
  const outB = outG + (un << 2);
  const stack = outB + (un << 2); // i32 a pixel
  const run = stack + (un << 2); // w i32
  const known = run + (<usize>w << 2);
  const need = known + un;
  const stencil = need + un;
  const rowNeed = stencil + un;
  const dir = rowNeed + un;
  const label = dir + un;
  memory.fill(need, 0, un);
  memory.fill(stencil, 0, un);
  for (let i = 0; i < n; i++) setU8(known, i, u8At(hole, i) == 0 ? 1 : 0);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (u8At(allowed, i) == 0) continue;
      if (
        (u8At(known, i - w - 1) &
          u8At(known, i - w) &
          u8At(known, i - w + 1) &
          u8At(known, i - 1) &
          u8At(known, i) &
          u8At(known, i + 1) &
          u8At(known, i + w - 1) &
          u8At(known, i + w) &
          u8At(known, i + w + 1)) ==
        0
      )
        continue;
      setU8(stencil, i, 1);
      for (let j = i - w - 1; j <= i + w - 1; j += w) {
        setU8(need, j, 1);
        setU8(need, j + 1, 1);
        setU8(need, j + 2, 1);
      }
    }
  }
  // `knownBlur`: the known pixels' colours and weights, summed along rows, then columns, normalised.
  rowsReadBy(need, w, h, RADIUS, rowNeed, run);
  memory.fill(kv, 0, un << 4);
  for (let i = 0; i < n; i++) {
    if (u8At(known, i) == 0) continue;
    store<f32>(kv + (<usize>i << 4), load<f32>(img + (<usize>(i * C) << 2)));
    store<f32>(kv + (<usize>i << 4) + 4, load<f32>(img + (<usize>(i * C + 1) << 2)));
    store<f32>(kv + (<usize>i << 4) + 8, load<f32>(img + (<usize>(i * C + 2) << 2)));
    store<f32>(kv + (<usize>i << 4) + 12, 1);
  }
  memory.fill(tv, 0, un << 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (u8At(rowNeed, i) == 0) continue;
      // (r, g) and (b, weight) in two f64 pairs: each product of two f32 is exact in f64 and the sums run in the
      // same order as four scalar ones, so the values are theirs.
      let rg = f64x2.splat(0);
      let bs = f64x2.splat(0);
      const k0 = max(-RADIUS, -x);
      const k1 = min(RADIUS, w - 1 - x);
      for (let k = k0; k <= k1; k++) {
        const f = f64x2.splat(f32At(kernel, k + RADIUS));
        const at = kv + (<usize>(i + k) << 4);
        rg = f64x2.add(rg, f64x2.mul(f, f64x2.promote_low_f32x4(v128.load64_zero(at))));
        bs = f64x2.add(bs, f64x2.mul(f, f64x2.promote_low_f32x4(v128.load64_zero(at + 8))));
      }
      const to = tv + (<usize>i << 4);
      v128.store64_lane(to, f32x4.demote_f64x2_zero(rg), 0);
      v128.store64_lane(to + 8, f32x4.demote_f64x2_zero(bs), 0);
    }
  }
  memory.fill(outR, 0, un << 2);
  memory.fill(outG, 0, un << 2);
  memory.fill(outB, 0, un << 2);
  for (let y = 0; y < h; y++) {
    const k0 = max(-RADIUS, -y);
    const k1 = min(RADIUS, h - 1 - y);
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (u8At(need, i) == 0) continue;
      let rg = f64x2.splat(0);
      let bs = f64x2.splat(0);
      for (let k = k0; k <= k1; k++) {
        const f = f64x2.splat(f32At(kernel, k + RADIUS));
        const at = tv + (<usize>(i + k * w) << 4);
        rg = f64x2.add(rg, f64x2.mul(f, f64x2.promote_low_f32x4(v128.load64_zero(at))));
        bs = f64x2.add(bs, f64x2.mul(f, f64x2.promote_low_f32x4(v128.load64_zero(at + 8))));
      }
      const s = f64x2.extract_lane(bs, 1);
      if (s <= 0) continue;
      setF32(outR, i, f64x2.extract_lane(rg, 0) / s);
      setF32(outG, i, f64x2.extract_lane(rg, 1) / s);
      setF32(outB, i, f64x2.extract_lane(bs, 0) / s);
    }
  }
  // Sobel gradients of the three blurred channels; the strongest channel's magnitude and sector.
  memory.fill(mag, 0, un << 2);
  memory.fill(dir, 0, un);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (u8At(stencil, i) == 0) continue;
      let best: f64 = -1;
      let bx: f64 = 0;
      let by: f64 = 0;
      for (let c = 0; c < 3; c++) {
        const g = c == 0 ? outR : c == 1 ? outG : outB;
        const gx = (f32At(g, i - w + 1) + 2 * f32At(g, i + 1) + f32At(g, i + w + 1) - f32At(g, i - w - 1) - 2 * f32At(g, i - 1) - f32At(g, i + w - 1)) / 8;
        const gy = (f32At(g, i + w - 1) + 2 * f32At(g, i + w) + f32At(g, i + w + 1) - f32At(g, i - w - 1) - 2 * f32At(g, i - w) - f32At(g, i - w + 1)) / 8;
        const m = gx * gx + gy * gy;
        if (m > best) {
          best = m;
          bx = gx;
          by = gy;
        }
      }
      setF32(mag, i, Math.sqrt(best));
      const ax = Math.abs(bx);
      const ay = Math.abs(by);
      setU8(dir, i, ay <= ax * 0.4142 ? 0 : ax <= ay * 0.4142 ? 2 : bx * by > 0 ? 3 : 1);
    }
  }
  // `suppressAndLink`: non-maximum suppression across the sector, then hysteresis from the strong maxima.
  memory.fill(label, 0, un);
  memory.fill(edges, 0, un);
  let top = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const m = f32At(mag, i);
      if (m < LOW) continue;
      const d = u8At(dir, i);
      const step = d == 0 ? 1 : d == 2 ? w : d == 3 ? w + 1 : w - 1;
      if (m < f32At(mag, i - step) || m < f32At(mag, i + step)) continue;
      const strong = m >= HIGH;
      setU8(label, i, strong ? 2 : 1);
      if (strong) {
        setU8(edges, i, 1);
        setI32(stack, top++, i);
      }
    }
  }
  // Each pixel is marked as it is pushed, so it is pushed once and the stack holds at most w·h; the edges are
  // the labelled pixels 8-connected to a strong one, whatever the order they are reached in.
  while (top > 0) {
    const i = i32At(stack, --top);
    for (let dy = -w; dy <= w; dy += w) {
      for (let dx = -1; dx <= 1; dx++) {
        const j = i + dy + dx;
        if (u8At(label, j) != 0 && u8At(edges, j) == 0) {
          setU8(edges, j, 1);
          setI32(stack, top++, j);
        }
      }
    }
  }
}

/** `sideLabels`' measure: the nearest chord's signed distance and overshoot, as it leaves them. */
let across: f64 = 0;
let over: f64 = 0;

/** Squared distance of (px, py) to the polyline of `m` points (`xs`, `ys`: f64); sets `across` and `over`. */
function measure(xs: usize, ys: usize, m: i32, px: f64, py: f64): f64 {
  let bestD: f64 = Infinity;
  for (let j = 0; j + 1 < m; j++) {
    const ax = f64At(xs, j);
    const ay = f64At(ys, j);
    const sx = f64At(xs, j + 1) - ax;
    const sy = f64At(ys, j + 1) - ay;
    const len = Math.sqrt(sx * sx + sy * sy);
    if (len < 1e-6) continue;
    const along = ((px - ax) * sx + (py - ay) * sy) / len;
    const u = ((px - ax) * sy - (py - ay) * sx) / len;
    const outside = along < 0 ? -along : along > len ? along - len : 0;
    const d = outside * outside + u * u;
    if (d < bestD) {
      bestD = d;
      across = u;
      over = (along < 0 && j == 0) || (along > len && j + 2 == m) ? outside : 0;
    }
  }
  return bestD;
}

@inline function sideLabel(d: f64, inner: f64, outer: f64, left: i32, right: i32): i32 {
  return over > 0.5 || Math.abs(across) <= inner || d > outer * outer ? 0 : across > 0 ? left : right;
}

/**
 * One curve's labels of `sideLabels` (structure/sides.ts), ORed into `out`
 * (`width` bytes a row) over the blocks from (x0, y0) to (x1, y1): `left` or
 * `right` on pixels the polyline (`m` points in analysis coordinates, `f`
 * analysis px per working px) plainly separates. Returns 1 if any pixel got a label.
 */
export function labelSides(
  xs: usize,
  ys: usize,
  m: i32,
  inner: f64,
  outer: f64,
  left: i32,
  right: i32,
  f: f64,
  x0: i32,
  y0: i32,
  x1: i32,
  y1: i32,
  width: i32,
  height: i32,
  out: usize,
): i32 {
  across = 0;
  over = 0;
  let any = 0;
  const slack = f + 0.5;
  for (let by = y0; by < y1; by += 2) {
    for (let bx = x0; bx < x1; bx += 2) {
      const cx = <f64>(bx + 1) * f - 0.5;
      const cy = <f64>(by + 1) * f - 0.5;
      const d = measure(xs, ys, m, cx, cy);
      const dist = Math.sqrt(d);
      const beyond = over > 0.5 + slack;
      const uniform = beyond || (over == 0 && Math.abs(Math.abs(across) - inner) > slack && Math.abs(dist - outer) > slack);
      const blockLabel = beyond ? 0 : uniform ? sideLabel(d, inner, outer, left, right) : -1;
      for (let y = by; y < min(by + 2, height); y++) {
        for (let x = bx; x < min(bx + 2, width); x++) {
          let v = blockLabel;
          if (v < 0) {
            const dd = measure(xs, ys, m, (<f64>x + 0.5) * f - 0.5, (<f64>y + 0.5) * f - 0.5);
            v = sideLabel(dd, inner, outer, left, right);
          }
          if (v == 0) continue;
          store<u8>(out + <usize>(y * width + x), load<u8>(out + <usize>(y * width + x)) | <u8>v);
          any = 1;
        }
      }
    }
  }
  return any;
}

/**
 * The planes `continueStructure` reads near the hole (structure/structure.ts),
 * from the analysis image's crop `img` (RGB f32), its `hole` and the squared
 * `distance` to the hole (f32): returns 1 where the ring within √`ring2` of
 * the hole is flat (`flatAroundHole`: no known pixel there has a central
 * difference with a squared length of `limit` or more in any channel), and
 * leaves the other planes unwritten; otherwise returns 0 with each pixel's
 * `grey` level (f32) and `band` (1 on known pixels within √`reach2`, 0 elsewhere).
 */
export function nearPlanes(img: usize, hole: usize, distance: usize, w: i32, h: i32, ring2: f64, limit: f64, reach2: f64, grey: usize, band: usize): i32 {
  let flat = true;
  for (let y = 1; y < h - 1 && flat; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (u8At(hole, i) !== 0 || f32At(distance, i) > ring2) continue;
      if (u8At(hole, i - 1) !== 0 || u8At(hole, i + 1) !== 0 || u8At(hole, i - w) !== 0 || u8At(hole, i + w) !== 0) continue;
      let steep = false;
      for (let c = 0; c < 3; c++) {
        const gx = f32At(img, (i + 1) * 3 + c) - f32At(img, (i - 1) * 3 + c);
        const gy = f32At(img, (i + w) * 3 + c) - f32At(img, (i - w) * 3 + c);
        if (gx * gx + gy * gy >= limit) steep = true;
      }
      if (steep) {
        flat = false;
        break;
      }
    }
  }
  if (flat) return 1;
  const n = w * h;
  for (let i = 0; i < n; i++) {
    const o = i * 3;
    setF32(grey, i, 0.299 * f32At(img, o) + 0.587 * f32At(img, o + 1) + 0.114 * f32At(img, o + 2));
    setU8(band, i, u8At(hole, i) === 0 && f32At(distance, i) <= reach2 ? 1 : 0);
  }
  return 0;
}

/**
 * `planAnchors`' sums of squared differences (structure/propagate.ts), in its
 * order of operations. Windows are S = D·U samples of 3 f32 (RGB). `unary`
 * (K×M f64): for anchor k and candidate m, the sum over the samples q whose
 * `mask[k·S + q]` is set of (known − strip)² over the three channels, the
 * known window k at `known + k·S·12`, strip m at `strips + m·S·12`. `pair`
 * (M×M f64, when D > spacing): for strips m and n, the sum over rows
 * d ∈ [spacing, D) of row d of m against row d − spacing of n.
 */
export function anchorSums(strips: usize, known: usize, mask: usize, M: i32, K: i32, D: i32, U: i32, spacing: i32, unary: usize, pair: usize): void {
  const S = D * U;
  for (let k = 0; k < K; k++) {
    const kw = known + (<usize>(k * S * 3) << 2);
    const km = mask + <usize>(k * S);
    for (let m = 0; m < M; m++) {
      const sw = strips + (<usize>(m * S * 3) << 2);
      let ssd: f64 = 0;
      for (let q = 0; q < S; q++) {
        if (load<u8>(km + <usize>q) === 0) continue;
        const o = q * 3;
        const a = f32At(kw, o) - f32At(sw, o);
        const b = f32At(kw, o + 1) - f32At(sw, o + 1);
        const e = f32At(kw, o + 2) - f32At(sw, o + 2);
        ssd += a * a + b * b + e * e;
      }
      setF64(unary, k * M + m, ssd);
    }
  }
  if (D <= spacing) return;
  const row = U * 3;
  for (let m = 0; m < M; m++) {
    const a = strips + (<usize>(m * S * 3) << 2);
    for (let n = 0; n < M; n++) {
      const b = strips + (<usize>(n * S * 3) << 2);
      let ssd: f64 = 0;
      for (let d = spacing; d < D; d++) {
        const oa = d * row;
        const ob = (d - spacing) * row;
        for (let q = 0; q < row; q++) {
          const diff = f32At(a, oa + q) - f32At(b, ob + q);
          ssd += diff * diff;
        }
      }
      setF64(pair, m * M + n, ssd);
    }
  }
}

/**
 * `copyAlong`'s nearest segment per analysis cell (structure/propagate.ts),
 * in its order of operations: over the mw×mh box at (lx0, ly0), `dist` (f32)
 * gets each cell's least squared distance to the in-hole segments i0 … i1 − 1
 * of the polyline `points` (f32 pairs) within `margin` of each segment's own
 * box, and `seg` (i32) that segment (−1, and +∞, where none reaches); the
 * first segment wins a tie.
 */
export function stampNearest(points: usize, i0: i32, i1: i32, lx0: i32, ly0: i32, lx1: i32, ly1: i32, margin: f64, dist: usize, seg: usize): void {
  const mw = lx1 - lx0 + 1;
  const n = mw * (ly1 - ly0 + 1);
  for (let m = 0; m < n; m++) {
    store<f32>(dist + (<usize>m << 2), Infinity);
    setI32(seg, m, -1);
  }
  for (let i = i0; i < i1; i++) {
    const ax = f32At(points, 2 * i);
    const ay = f32At(points, 2 * i + 1);
    const sx = f32At(points, 2 * i + 2) - ax;
    const sy = f32At(points, 2 * i + 3) - ay;
    const len2 = sx * sx + sy * sy;
    const xa = max(lx0, <i32>Math.floor(min(ax, ax + sx) - margin));
    const xb = min(lx1, <i32>Math.ceil(max(ax, ax + sx) + margin));
    const ya = max(ly0, <i32>Math.floor(min(ay, ay + sy) - margin));
    const yb = min(ly1, <i32>Math.ceil(max(ay, ay + sy) + margin));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const f = len2 > 0 ? max(<f64>0, min(<f64>1, ((<f64>x - ax) * sx + (<f64>y - ay) * sy) / len2)) : 0;
        const ex = <f64>x - ax - f * sx;
        const ey = <f64>y - ay - f * sy;
        const d = ex * ex + ey * ey;
        const m = (y - ly0) * mw + (x - lx0);
        const at = dist + (<usize>m << 2);
        if (d < <f64>load<f32>(at)) {
          store<f32>(at, <f32>d);
          setI32(seg, m, i);
        }
      }
    }
  }
}

/**
 * `knownLuma` (pairing.ts) at (x, y) of the analysis image: the bilinear RGB
 * of four known pixels, each channel rounded to f32 as the TypeScript's
 * scratch stores it, then its luma; NaN where a corner is hole or (x, y)
 * leaves the image.
 */
@inline function knownLumaAt(img: usize, C: i32, hole: usize, w: i32, h: i32, x: f64, y: f64): f64 {
  if (!(x >= 0 && y >= 0 && x <= <f64>(w - 1) && y <= <f64>(h - 1))) return NaN;
  const x0 = <i32>Math.floor(x);
  const y0 = <i32>Math.floor(y);
  const x1 = min(x0 + 1, w - 1);
  const y1 = min(y0 + 1, h - 1);
  if ((u8At(hole, y0 * w + x0) | u8At(hole, y0 * w + x1) | u8At(hole, y1 * w + x0) | u8At(hole, y1 * w + x1)) != 0) return NaN;
  const fx = x - <f64>x0;
  const fy = y - <f64>y0;
  const a = (y0 * w + x0) * C;
  const b = (y0 * w + x1) * C;
  const c = (y1 * w + x0) * C;
  const d = (y1 * w + x1) * C;
  let luma: f64 = 0;
  for (let k = 0; k < 3; k++) {
    const top = <f64>f32At(img, a + k) * (1 - fx) + <f64>f32At(img, b + k) * fx;
    const bottom = <f64>f32At(img, c + k) * (1 - fx) + <f64>f32At(img, d + k) * fx;
    const v = <f64>(<f32>(top * (1 - fy) + bottom * fy));
    luma += (k == 0 ? 0.299 : k == 1 ? 0.587 : 0.114) * v;
  }
  return luma;
}

/** `fitStraight`'s `profileAt`: `fine` lumas across (nx, ny) through (px, py), every `step` px, into `out` (f32); false at the first unknown one. */
function straightProfile(img: usize, C: i32, hole: usize, w: i32, h: i32, px: f64, py: f64, nx: f64, ny: f64, step: f64, fine: i32, out: usize): bool {
  const centre = <f64>(fine - 1) / 2;
  for (let k = 0; k < fine; k++) {
    const u = (<f64>k - centre) * step;
    const v = knownLumaAt(img, C, hole, w, h, px + nx * u, py + ny * u);
    if (isNaN(v)) return false;
    setF32(out, k, v);
  }
  return true;
}

/**
 * `fitStraight`'s sampling (pairing.ts), operation for operation: the
 * reference cross-section `ref` (fine f32 values), averaged over the profiles
 * 1–4 px behind (ax, ay) against (dx, dy), and then, at each of the `count`
 * positions t in `ts` (f64) along (dx, dy) from (ax, ay), the shift in
 * quarter steps (−S4 … S4) that best matches that position's profile to
 * `ref` over the inner part (k from S4 to S4 + inner): into `args` (i32),
 * with `oks` (u8) 0 where the profile is not all known. `one` is scratch
 * (fine f32). Returns how many profiles the reference averages.
 */
export function straightFit(
  img: usize,
  C: i32,
  hole: usize,
  w: i32,
  h: i32,
  ax: f64,
  ay: f64,
  dx: f64,
  dy: f64,
  nx: f64,
  ny: f64,
  step: f64,
  fine: i32,
  S4: i32,
  inner: i32,
  ts: usize,
  count: i32,
  ref: usize,
  one: usize,
  args: usize,
  oks: usize,
): i32 {
  for (let k = 0; k < fine; k++) setF32(ref, k, 0);
  let refCount = 0;
  for (let t = 1; t <= 4; t++) {
    if (!straightProfile(img, C, hole, w, h, ax - dx * <f64>t, ay - dy * <f64>t, nx, ny, step, fine, one)) continue;
    for (let k = 0; k < fine; k++) setF32(ref, k, <f64>(<f32>(<f64>f32At(ref, k) + <f64>f32At(one, k))));
    refCount++;
  }
  if (refCount == 0) return 0;
  for (let k = 0; k < fine; k++) setF32(ref, k, <f64>(<f32>(<f64>f32At(ref, k) / <f64>refCount)));
  for (let i = 0; i < count; i++) {
    const t = f64At(ts, i);
    if (!straightProfile(img, C, hole, w, h, ax + dx * t, ay + dy * t, nx, ny, step, fine, one)) {
      setU8(oks, i, 0);
      continue;
    }
    let best = Infinity;
    let arg = 0;
    for (let sq = -S4; sq <= S4; sq++) {
      let ssd: f64 = 0;
      for (let k = S4; k <= S4 + inner; k++) {
        const d = <f64>f32At(one, k + sq) - <f64>f32At(ref, k);
        ssd += d * d;
      }
      if (ssd < best) {
        best = ssd;
        arg = sq;
      }
    }
    setU8(oks, i, 1);
    setI32(args, i, arg);
  }
  return refCount;
}

/** JavaScript's Math.round (halves up), exactly: the fraction x − ⌊x⌋ of a double is exact. */
@inline function jsRound(x: f64): f64 {
  const r = Math.floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

/** A value stored into a Uint8ClampedArray: NaN → 0, clamped to 0–255, rounded half to even. */
@inline function clampedByte(v: f64): i32 {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  return <i32>nearest<f64>(v);
}

/**
 * `copyAlong`'s per-pixel loop (propagate.ts), operation for operation: for
 * each hole pixel (X, Y) of the box [X0, X1) × [Y0, Y1), projected onto the
 * nearest of the three in-hole segments around its cell's stamped one, the
 * two nearest anchors' copies (shifted by shiftX/Y, plus their colour
 * offsets) mixed into `band` and `remaining` (over `rect`, rw wide, origin
 * rx, ry; `sideMark` beside the band). The photo's RGBA and hole bytes are
 * a region (gx, gy, gw wide) that holds the box and all its shifts within
 * the photo (W × H). Returns the band pixels newly drawn.
 */
export function copyBand(
  rgba: usize,
  hole: usize,
  gx: i32,
  gy: i32,
  gw: i32,
  W: i32,
  H: i32,
  cropX: i32,
  cropY: i32,
  q: f64,
  X0: i32,
  Y0: i32,
  X1: i32,
  Y1: i32,
  lx0: i32,
  ly0: i32,
  mw: i32,
  mh: i32,
  nearestSeg: usize,
  nearestDist: usize,
  points: usize,
  arc: usize,
  i0: i32,
  i1: i32,
  end: f64,
  hw: f64,
  side: f64,
  first: f64,
  spacing: f64,
  K: i32,
  shiftX: usize,
  shiftY: usize,
  offset: usize,
  across: i32,
  band: usize,
  remaining: usize,
  rx: i32,
  ry: i32,
  rw: i32,
  sideMark: i32,
): i32 {
  let count = 0;
  const limit = (side + 1) * (side + 1);
  // Each row visits only the columns whose cell can pass the check below: the first and last cell of its
  // analysis row that lie within reach of the curve, widened by a pixel (a diagonal band's box is mostly
  // far from it). The other columns' cells fail that check, so the bytes are the same.
  let spanRow = -1;
  let mxLo = 0;
  let mxHi = -1;
  for (let Y = Y0; Y < Y1; Y++) {
    const ly = (<f64>(Y - cropY) + 0.5) / q - 0.5;
    const my = <i32>Math.min(<f64>(mh - 1), Math.max(0, jsRound(ly) - <f64>ly0));
    if (my != spanRow) {
      spanRow = my;
      mxLo = mw;
      mxHi = -1;
      for (let mx = 0; mx < mw; mx++) {
        if (i32At(nearestSeg, my * mw + mx) < 0 || <f64>f32At(nearestDist, my * mw + mx) > limit) continue;
        if (mx < mxLo) mxLo = mx;
        mxHi = mx;
      }
    }
    if (mxHi < 0) continue;
    const fromX = mxLo == 0 ? X0 : max(X0, <i32>Math.floor(<f64>(mxLo + lx0) * q + <f64>cropX - 0.5) - 1);
    const toX = mxHi == mw - 1 ? X1 : min(X1, <i32>Math.ceil(<f64>(mxHi + lx0 + 1) * q + <f64>cropX - 0.5) + 1);
    const rowOut = (Y - ry) * rw - rx;
    for (let X = fromX; X < toX; X++) {
      if (u8At(hole, (Y - gy) * gw + X - gx) == 0) continue;
      const p = rowOut + X;
      const lx = (<f64>(X - cropX) + 0.5) / q - 0.5;
      const mx = <i32>Math.min(<f64>(mw - 1), Math.max(0, jsRound(lx) - <f64>lx0));
      const seg = i32At(nearestSeg, my * mw + mx);
      if (seg < 0 || <f64>f32At(nearestDist, my * mw + mx) > limit) continue;
      let bestD = Infinity;
      let bestT: f64 = 0;
      let bestU: f64 = 0;
      const sLo = max(i0, seg - 1);
      const sHi = min(i1 - 1, seg + 1);
      for (let s = sLo; s <= sHi; s++) {
        const ax = <f64>f32At(points, 2 * s);
        const ay = <f64>f32At(points, 2 * s + 1);
        const sx0 = <f64>f32At(points, 2 * s + 2) - ax;
        const sy0 = <f64>f32At(points, 2 * s + 3) - ay;
        const len = Math.sqrt(sx0 * sx0 + sy0 * sy0);
        if (len < 1e-6) continue;
        const along = ((lx - ax) * sx0 + (ly - ay) * sy0) / len;
        const across = ((lx - ax) * sy0 - (ly - ay) * sx0) / len;
        const over = along < 0 ? -along : along > len ? along - len : 0;
        const d = over * over + across * across;
        if (d < bestD) {
          bestD = d;
          const a0 = <f64>f32At(arc, s);
          bestT = a0 + (along * (<f64>f32At(arc, s + 1) - a0)) / len;
          bestU = across;
        }
      }
      if (bestT < 0 || bestT > end || Math.abs(bestU) > side) continue;
      const beside = Math.abs(bestU) > hw;
      if (beside && u8At(remaining, p) != 1) continue;
      const position = Math.min(<f64>(K - 1), Math.max(0, (bestT - first) / spacing));
      const k0 = min(K - 1, <i32>Math.floor(position));
      const k1 = min(K - 1, k0 + 1);
      const a0 = copySource(X, Y, i32At(shiftX, k0), i32At(shiftY, k0), W, H, hole, gx, gy, gw);
      const a1 = k1 == k0 ? -1 : copySource(X, Y, i32At(shiftX, k1), i32At(shiftY, k1), W, H, hole, gx, gy, gw);
      if (a0 < 0 && a1 < 0) continue;
      const f: f64 = a1 < 0 ? 0 : a0 < 0 ? 1 : position - <f64>k0;
      const a = f < 0.5 ? a0 : a1;
      const o = p * 4;
      // The offsets at the pixel's position across the band, linear between whole positions.
      const at: f64 = Math.max(0, Math.min(<f64>(across - 1), bestU + hw));
      const ua = <i32>Math.floor(at);
      const ub = min(across - 1, ua + 1);
      const tu: f64 = at - <f64>ua;
      for (let ch = 0; ch < 3; ch++) {
        const o0: f64 = (1 - tu) * <f64>f32At(offset, (k0 * across + ua) * 3 + ch) + tu * <f64>f32At(offset, (k0 * across + ub) * 3 + ch);
        const o1: f64 = (1 - tu) * <f64>f32At(offset, (k1 * across + ua) * 3 + ch) + tu * <f64>f32At(offset, (k1 * across + ub) * 3 + ch);
        const v0: f64 = a0 < 0 ? 0 : <f64>u8At(rgba, a0 * 4 + ch) + o0;
        const v1: f64 = a1 < 0 ? 0 : <f64>u8At(rgba, a1 * 4 + ch) + o1;
        setU8(band, o + ch, clampedByte((1 - f) * v0 + f * v1));
      }
      setU8(band, o + 3, u8At(rgba, a * 4 + 3));
      if (beside) {
        setU8(remaining, p, sideMark);
        continue;
      }
      if (u8At(remaining, p) != 0) count++;
      setU8(remaining, p, 0);
    }
  }
  return count;
}

/** `sourceIndex`: the region index of (X + dx, Y + dy) where it lies on the photo outside the hole, else −1. */
@inline function copySource(X: i32, Y: i32, dx: i32, dy: i32, W: i32, H: i32, hole: usize, gx: i32, gy: i32, gw: i32): i32 {
  const x = X + dx;
  const y = Y + dy;
  if (x < 0 || y < 0 || x >= W || y >= H) return -1;
  const a = (y - gy) * gw + x - gx;
  return u8At(hole, a) == 0 ? a : -1;
}
