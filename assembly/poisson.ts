// AssemblyScript source of the gradient-domain finish's multigrid loops
// (compiled by scripts/build-wasm.mjs into
// src/core/inpaint/wasm/poisson-bytes.ts; laid out by
// src/core/inpaint/wasm/poisson.ts): `CorrectionGrid`'s smoothing, residual
// restriction and bilinear prolongation in src/core/inpaint/poisson-finish.ts,
// with the same f32 arithmetic in the same order, a cell's four channel values
// in one f32x4, so the corrections are the same. Why: the TypeScript takes
// about 10 ns a cell and channel, and a 40 000-pixel low-resolution hole takes
// three V-cycles of seven passes over its box.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in. A cell's values are 4 f32 (16 bytes); `row` is
// the padded grid's width in cells.

/**
 * `times` over-relaxed Gauss–Seidel sweeps over the `n` unknown cells
 * (`cells`: i32 padded indices; `inverse`: f32 1 / neighbour count) of the
 * value plane, for the right-hand side plane. Returns the largest change of
 * the last sweep.
 */
export function smooth(cells: usize, inverse: usize, n: i32, rhs: usize, value: usize, row: i32, times: i32, omega: f32): f32 {
  const w = f32x4.splat(omega);
  const down = <usize>row << 4;
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

/**
 * Adds each unknown cell's residual (rhs + Σ neighbours − count · value) to
 * its coarser cell's right-hand side (`parent`: i32 padded indices into
 * `coarse`); `count` (f32) is the cell's neighbour count.
 */
export function restrict(cells: usize, count: usize, parent: usize, n: i32, rhs: usize, value: usize, row: i32, coarse: usize): void {
  const down = <usize>row << 4;
  for (let k = 0; k < n; k++) {
    const offset = <usize>load<i32>(cells + (<usize>k << 2)) << 4;
    const at = value + offset;
    const q = coarse + (<usize>load<i32>(parent + (<usize>k << 2)) << 4);
    const sum = f32x4.add(f32x4.add(f32x4.add(f32x4.add(v128.load(rhs + offset), v128.load(at - 16)), v128.load(at + 16)), v128.load(at - down)), v128.load(at + down));
    v128.store(q, f32x4.add(v128.load(q), f32x4.sub(sum, f32x4.mul(f32x4.splat(load<f32>(count + (<usize>k << 2))), v128.load(at)))));
  }
}

/**
 * Adds the coarser grid's solution (`coarse`, `coarseRow` cells a padded
 * row), read bilinearly at each unknown cell's centre (`corner`: i32 padded
 * index of the top-left cell; `weightX`, `weightY`: f32), to its value.
 */
export function prolong(cells: usize, corner: usize, weightX: usize, weightY: usize, n: i32, value: usize, coarse: usize, coarseRow: i32): void {
  const down = <usize>coarseRow << 4;
  for (let k = 0; k < n; k++) {
    const at = value + (<usize>load<i32>(cells + (<usize>k << 2)) << 4);
    const p = coarse + (<usize>load<i32>(corner + (<usize>k << 2)) << 4);
    const fx = f32x4.splat(load<f32>(weightX + (<usize>k << 2)));
    const a = v128.load(p);
    const b = v128.load(p + down);
    const top = f32x4.add(a, f32x4.mul(fx, f32x4.sub(v128.load(p, 16), a)));
    const bottom = f32x4.add(b, f32x4.mul(fx, f32x4.sub(v128.load(p + down, 16), b)));
    const blend = f32x4.add(top, f32x4.mul(f32x4.splat(load<f32>(weightY + (<usize>k << 2))), f32x4.sub(bottom, top)));
    v128.store(at, f32x4.add(v128.load(at), blend));
  }
}
