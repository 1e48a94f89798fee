// AssemblyScript source of the gradient-domain finish (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/poisson-bytes.ts; laid
// out by src/core/inpaint/wasm/poisson.ts): `poissonFinish` and
// `CorrectionGrid` of src/core/inpaint/poisson-finish.ts, step for step: the
// hole's box, the copy's residual (f64, stored f32), the grids in the same
// red–black order, the V-cycles with the same f32 arithmetic (a cell's four
// channel values in one f32x4), the correction added to the image. So the
// pixels are the same. Why: a single erase runs the finish once, cold, where
// V8's first tiers took 8–27 ms for a 1K object's hole; the loops here run
// about 10× faster than the TypeScript's first runs.
//
// No data segments and no allocation of its own: the TypeScript side passes
// every input's address and a scratch block, which the grids take in turn
// (16-byte aligned).

const CYCLES = 3;
const SMOOTHING = 3;
const COARSEST_CELLS = 64;
const OMEGA: f32 = 1.3;
const SETTLE_OMEGA: f32 = 1.5;
/** i32 fields per grid in the grid table. */
const FIELDS = 13;
const MOST_GRIDS = 24;

// A grid's fields: its size, padded row, unknown cells and the addresses of its arrays.
const G_W = 0;
const G_H = 1;
const G_PW = 2;
const G_N = 3;
const G_CELLS = 4;
const G_COUNT = 5;
const G_INVERSE = 6;
const G_PARENT = 7;
const G_CORNER = 8;
const G_WX = 9;
const G_WY = 10;
const G_RHS = 11;
const G_VALUE = 12;

let table: usize = 0;
let grids: i32 = 0;
let next: usize = 0;
let limit: usize = 0;

/** The next `bytes` of scratch (16-byte aligned), or 0 when the scratch is used up. */
function take(bytes: usize): usize {
  const at = next;
  const end = at + ((bytes + 15) & ~15);
  if (end > limit) return 0;
  next = end;
  return at;
}

function field(g: i32, f: i32): i32 {
  return load<i32>(table + (<usize>(g * FIELDS + f) << 2));
}

function setField(g: i32, f: i32, v: i32): void {
  store<i32>(table + (<usize>(g * FIELDS + f) << 2), v);
}

/**
 * Builds grid `g` over the `unknown` bytes (w × h) and, where it has one,
 * its coarser grid: `CorrectionGrid`'s constructor and `place`. False when
 * the scratch is used up.
 */
function build(g: i32, unknown: usize, w: i32, h: i32): bool {
  if (g >= MOST_GRIDS) return false;
  grids = g + 1;
  const pw = w + 2;
  let n = 0;
  for (let i = 0; i < w * h; i++) if (load<u8>(unknown + <usize>i) != 0) n++;
  const cells = take(<usize>n << 2);
  const count = take(<usize>n << 2);
  const inverse = take(<usize>n << 2);
  const plane = <usize>(pw * (h + 2)) << 4;
  const rhs = take(plane);
  const value = take(plane);
  if (rhs == 0 || value == 0 || (n > 0 && (cells == 0 || count == 0 || inverse == 0))) return false;
  memory.fill(rhs, 0, plane);
  memory.fill(value, 0, plane);
  setField(g, G_W, w);
  setField(g, G_H, h);
  setField(g, G_PW, pw);
  setField(g, G_N, n);
  setField(g, G_CELLS, <i32>cells);
  setField(g, G_COUNT, <i32>count);
  setField(g, G_INVERSE, <i32>inverse);
  setField(g, G_RHS, <i32>rhs);
  setField(g, G_VALUE, <i32>value);
  setField(g, G_PARENT, 0);
  let k = 0;
  for (let colour = 0; colour < 2; colour++) {
    for (let y = 0; y < h; y++) {
      for (let x = (y + colour) & 1; x < w; x += 2) {
        if (load<u8>(unknown + <usize>(y * w + x)) == 0) continue;
        store<i32>(cells + (<usize>k << 2), (y + 1) * pw + x + 1);
        const c = <f32>((x > 0 ? 1 : 0) + (x < w - 1 ? 1 : 0) + (y > 0 ? 1 : 0) + (y < h - 1 ? 1 : 0));
        store<f32>(count + (<usize>k << 2), c);
        store<f32>(inverse + (<usize>k << 2), 1 / c);
        k++;
      }
    }
  }
  if (!(w * h > COARSEST_CELLS && w >= 4 && h >= 4) || n == 0) return true;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const cpw = cw + 2;
  const tally = take(<usize>(cw * ch) << 1);
  const inner = take(<usize>(cw * ch));
  if (tally == 0 || inner == 0) return false;
  memory.fill(tally, 0, <usize>(cw * ch) << 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const j = tally + (<usize>((y >> 1) * cw + (x >> 1)) << 1);
      store<u8>(j + 1, load<u8>(j + 1) + 1);
      if (load<u8>(unknown + <usize>(y * w + x)) != 0) store<u8>(j, load<u8>(j) + 1);
    }
  }
  let fixed = 0;
  for (let j = 0; j < cw * ch; j++) {
    const size = <i32>load<u8>(tally + (<usize>j << 1) + 1);
    const inside = <i32>load<u8>(tally + (<usize>j << 1)) >= (size < 3 ? size : 3);
    store<u8>(inner + <usize>j, inside ? 1 : 0);
    if (!inside) fixed++;
  }
  if (fixed == 0) return true;
  const parent = take(<usize>n << 2);
  const corner = take(<usize>n << 2);
  const wx = take(<usize>n << 2);
  const wy = take(<usize>n << 2);
  if (parent == 0 || corner == 0 || wx == 0 || wy == 0) return false;
  setField(g, G_PARENT, <i32>parent);
  setField(g, G_CORNER, <i32>corner);
  setField(g, G_WX, <i32>wx);
  setField(g, G_WY, <i32>wy);
  for (let q = 0; q < n; q++) {
    const cell = load<i32>(cells + (<usize>q << 2));
    const y = cell / pw - 1;
    const x = cell - (y + 1) * pw - 1;
    store<i32>(parent + (<usize>q << 2), ((y >> 1) + 1) * cpw + (x >> 1) + 1);
    store<i32>(corner + (<usize>q << 2), ((y >> 1) + (y & 1)) * cpw + (x >> 1) + (x & 1));
    store<f32>(wx + (<usize>q << 2), x & 1 ? 0.25 : 0.75);
    store<f32>(wy + (<usize>q << 2), y & 1 ? 0.25 : 0.75);
  }
  return build(g + 1, inner, cw, ch);
}

/** `times` over-relaxed Gauss–Seidel sweeps of grid g; the largest change of the last one. */
function smooth(g: i32, times: i32, omega: f32): f32 {
  const cells = <usize>field(g, G_CELLS);
  const inverse = <usize>field(g, G_INVERSE);
  const n = field(g, G_N);
  const rhs = <usize>field(g, G_RHS);
  const value = <usize>field(g, G_VALUE);
  const w = f32x4.splat(omega);
  const down = <usize>field(g, G_PW) << 4;
  let change: f32 = 0;
  for (let s = 0; s < times; s++) {
    let most = f32x4.splat(0);
    for (let k = 0; k < n; k++) {
      const offset = <usize>load<i32>(cells + (<usize>k << 2)) << 4;
      const at = value + offset;
      const old = v128.load(at);
      const sum = f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(rhs + offset), v128.load(at - 16)), v128.load(at + 16)), v128.load(at - down)), v128.load(at + down));
      const step = f32x4.mul(w, f32x4.sub(f32x4.mul(sum, f32x4.splat(load<f32>(inverse + (<usize>k << 2)))), old));
      v128.store(at, f32x4.add(old, step));
      most = f32x4.max(most, f32x4.abs(step));
    }
    change = Mathf.max(Mathf.max(f32x4.extract_lane(most, 0), f32x4.extract_lane(most, 1)), Mathf.max(f32x4.extract_lane(most, 2), f32x4.extract_lane(most, 3)));
  }
  return change;
}

/** One V-cycle of grid g (`CorrectionGrid.cycle`). */
function cycle(g: i32): void {
  if (field(g, G_PARENT) == 0) {
    for (let s = 0; s < 200; s++) if (<f64>smooth(g, 1, SETTLE_OMEGA) < 0.01) break;
    return;
  }
  smooth(g, SMOOTHING, OMEGA);
  const c = g + 1;
  const cplane = <usize>(field(c, G_PW) * (field(c, G_H) + 2)) << 4;
  const coarseRhs = <usize>field(c, G_RHS);
  const coarseValue = <usize>field(c, G_VALUE);
  memory.fill(coarseRhs, 0, cplane);
  memory.fill(coarseValue, 0, cplane);
  const cells = <usize>field(g, G_CELLS);
  const count = <usize>field(g, G_COUNT);
  const parent = <usize>field(g, G_PARENT);
  const n = field(g, G_N);
  const rhs = <usize>field(g, G_RHS);
  const value = <usize>field(g, G_VALUE);
  const down = <usize>field(g, G_PW) << 4;
  for (let k = 0; k < n; k++) {
    const offset = <usize>load<i32>(cells + (<usize>k << 2)) << 4;
    const at = value + offset;
    const q = coarseRhs + (<usize>load<i32>(parent + (<usize>k << 2)) << 4);
    const sum = f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(rhs + offset), v128.load(at - 16)), v128.load(at + 16)), v128.load(at - down)), v128.load(at + down));
    v128.store(q, f32x4.add(v128.load(q), f32x4.sub(sum, f32x4.mul(f32x4.splat(load<f32>(count + (<usize>k << 2))), v128.load(at)))));
  }
  cycle(c);
  const corner = <usize>field(g, G_CORNER);
  const weightX = <usize>field(g, G_WX);
  const weightY = <usize>field(g, G_WY);
  const coarseDown = <usize>field(c, G_PW) << 4;
  for (let k = 0; k < n; k++) {
    const at = value + (<usize>load<i32>(cells + (<usize>k << 2)) << 4);
    const p = coarseValue + (<usize>load<i32>(corner + (<usize>k << 2)) << 4);
    const fx = f32x4.splat(load<f32>(weightX + (<usize>k << 2)));
    const a = v128.load(p);
    const b = v128.load(p + coarseDown);
    const top = f32x4.add(a, f32x4.mul(fx, f32x4.sub(v128.load(p, 16), a)));
    const bottom = f32x4.add(b, f32x4.mul(fx, f32x4.sub(v128.load(p + coarseDown, 16), b)));
    const blend = f32x4.add(top, f32x4.mul(f32x4.splat(load<f32>(weightY + (<usize>k << 2))), f32x4.sub(bottom, top)));
    v128.store(at, f32x4.add(v128.load(at), blend));
  }
  smooth(g, SMOOTHING, OMEGA);
}

/** Adds the residual between hole pixel i (source si) and its neighbour i + d to the f32 lanes at `o`. */
function pair(image: usize, C: i32, hole: usize, slotOf: usize, source: usize, i: i32, si: i32, d: i32, o: usize): void {
  const j = i + d;
  const sj = load<u8>(hole + <usize>j) != 0 ? load<i32>(source + (<usize>load<i32>(slotOf + (<usize>j << 2)) << 2)) : -1;
  if (sj == si + d) return;
  for (let c = 0; c < C; c++) {
    const own = <f64>load<f32>(image + (<usize>(si * C + c) << 2)) - <f64>load<f32>(image + (<usize>((si + d) * C + c) << 2));
    const wanted =
      sj < 0 ? own : 0.5 * (own + <f64>load<f32>(image + (<usize>((sj - d) * C + c) << 2)) - <f64>load<f32>(image + (<usize>(sj * C + c) << 2)));
    const r = o + (<usize>c << 2);
    const term = wanted - <f64>load<f32>(image + (<usize>(i * C + c) << 2)) + <f64>load<f32>(image + (<usize>(j * C + c) << 2));
    store<f32>(r, <f32>(<f64>load<f32>(r) + term));
  }
}

/**
 * The finish of an image (W × H, C ≤ 4 f32 channels, corrected in place)
 * whose hole pixels (`hole`, a byte each) were copied from
 * `source[slotOf[pixel]]` (i32 each). `scratch` … `scratch + capacity` holds
 * the grids and `gridTable` (24 × 13 i32) their fields. Returns 1 when done,
 * 0 for an empty hole, −1 when the scratch is too small (nothing written).
 */
export function finish(image: usize, W: i32, H: i32, C: i32, hole: usize, slotOf: usize, source: usize, gridTable: usize, scratch: usize, capacity: usize): i32 {
  let x0 = W;
  let y0 = H;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < H; y++) {
    const row = hole + <usize>(y * W);
    let a = 0;
    while (a < W && load<u8>(row + <usize>a) == 0) a++;
    if (a == W) continue;
    let b = W - 1;
    while (load<u8>(row + <usize>b) == 0) b--;
    if (a < x0) x0 = a;
    if (b > x1) x1 = b;
    if (y0 == H) y0 = y;
    y1 = y;
  }
  if (x1 < 0) return 0;
  x0 = x0 > 0 ? x0 - 1 : 0;
  y0 = y0 > 0 ? y0 - 1 : 0;
  x1 = x1 < W - 1 ? x1 + 1 : W - 1;
  y1 = y1 < H - 1 ? y1 + 1 : H - 1;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  table = gridTable;
  next = (scratch + 15) & ~15;
  limit = scratch + capacity;
  const unknown = take(<usize>(bw * bh));
  if (unknown == 0) return -1;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) store<u8>(unknown + <usize>(by * bw + bx), load<u8>(hole + <usize>((y0 + by) * W + x0 + bx)) != 0 ? 1 : 0);
  }
  if (!build(0, unknown, bw, bh)) return -1;
  const pw = bw + 2;
  const rhs = <usize>field(0, G_RHS);
  for (let by = 0; by < bh; by++) {
    const y = y0 + by;
    for (let bx = 0; bx < bw; bx++) {
      if (load<u8>(unknown + <usize>(by * bw + bx)) == 0) continue;
      const x = x0 + bx;
      const i = y * W + x;
      const si = load<i32>(source + (<usize>load<i32>(slotOf + (<usize>i << 2)) << 2));
      const o = rhs + (<usize>((by + 1) * pw + bx + 1) << 4);
      if (x > 0) pair(image, C, hole, slotOf, source, i, si, -1, o);
      if (x < W - 1) pair(image, C, hole, slotOf, source, i, si, 1, o);
      if (y > 0) pair(image, C, hole, slotOf, source, i, si, -W, o);
      if (y < H - 1) pair(image, C, hole, slotOf, source, i, si, W, o);
    }
  }
  for (let k = 0; k < CYCLES; k++) cycle(0);
  const value = <usize>field(0, G_VALUE);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      if (load<u8>(unknown + <usize>(by * bw + bx)) == 0) continue;
      const o = value + (<usize>((by + 1) * pw + bx + 1) << 4);
      const p = image + (<usize>(((y0 + by) * W + x0 + bx) * C) << 2);
      for (let c = 0; c < C; c++) store<f32>(p + (<usize>c << 2), load<f32>(p + (<usize>c << 2)) + load<f32>(o + (<usize>c << 2)));
    }
  }
  return 1;
}
