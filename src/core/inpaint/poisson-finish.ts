/**
 * Gradient-domain finish of a patch-based fill: the hole is rebuilt from the
 * gradients of its sources, so that the seams between regions copied from
 * different places, and the step at the hole's edge, vanish (Pérez, Gangnet &
 * Blake, "Poisson Image Editing", SIGGRAPH 2003; voting gradients and
 * integrating them with the known pixels as boundary is Darabi et al.'s
 * "Image Melding", SIGGRAPH 2012, §3.3).
 *
 * Each hole pixel i took the colour of its match's centre s(i). Between i and
 * a neighbour j = i + d the wanted difference f(i) − f(j) is:
 *   - the sources' own difference when j's source continues i's (s(j) = s(i) + d): what the copy already has;
 *   - across a seam, the mean of the two sources' differences in that direction;
 *   - to a known pixel, i's source's difference in that direction.
 * The finish solves Σ_j (f(i) − f(j) − g_ij) = 0 over the hole with the known
 * pixels fixed, for the correction c = f − fill (zero wherever the copy is
 * already coherent): a smooth sky copied from places of slightly different
 * brightness no longer shows where each piece came from, nor the hole's shape.
 *
 * The correction is solved on the hole's box only, by three multigrid V-cycles
 * (Gauss–Seidel smoothing, the residual handed down to grids of half the
 * size, their correction brought back bilinearly; Briggs, Henson & McCormick,
 * "A Multigrid Tutorial", 2000, ch. 3): a few milliseconds for an
 * object-sized hole's low-resolution fill.
 */

import { holeBounds } from "../mask.js";
import { poissonFinishInWasm } from "./wasm/poisson.js";

/** What the finish reads: the filled low-resolution image and where each hole pixel was copied from. */
export interface CopiedFill {
  width: number;
  height: number;
  channels: number;
  /** The image, hole pixels filled; corrected in place. */
  data: Float32Array;
  /** Non-zero = hole pixel. */
  hole: Uint8Array;
  /**
   * Where each hole pixel was copied from: `source[slotOf[pixel]]` is a known
   * pixel whose four neighbours are known too (a patch's centre).
   */
  slotOf: Int32Array;
  source: Int32Array;
}

/**
 * V-cycles per solve. Each divides the largest error by 4 to 30: on a photo's
 * sky the third leaves 0.005 of a level; a hole cut 80 levels too dark at a
 * corner of the image (no fixed ring on two sides) is within a level.
 */
const CYCLES = 3;
/** Gauss–Seidel sweeps before and after each coarse correction. */
const SMOOTHING = 3;
/** Grids of up to this many cells are the coarsest: swept until they settle. */
const COARSEST_CELLS = 64;
const OMEGA = 1.3;
/** Values per cell: every channel is solved at once, each in its lane (the channels' equations are independent). */
const LANES = 4;

/**
 * Rebuilds the hole of `fill.data` from its sources' gradients (see the
 * module's header); `wasm` false keeps the loops in TypeScript (the same values).
 */
export function poissonFinish(fill: CopiedFill, wasm = true): void {
  const { width: W, height: H, channels: C, data, hole, slotOf, source: sourceOfSlot } = fill;
  if (C > LANES) throw new RangeError(`poissonFinish: at most ${LANES} channels`);
  if (wasm && poissonFinishInWasm(data, W, H, C, hole, slotOf, sourceOfSlot)) return;
  // The hole's box grown by one pixel: the known ring is where the correction is held at zero.
  const box = holeBounds(hole, W, H);
  if (box === null) return;
  const x0 = Math.max(0, box.x - 1);
  const y0 = Math.max(0, box.y - 1);
  const x1 = Math.min(W - 1, box.x + box.width);
  const y1 = Math.min(H - 1, box.y + box.height);
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const unknown = new Uint8Array(bw * bh);
  for (let by = 0; by < bh; by++) for (let bx = 0; bx < bw; bx++) unknown[by * bw + bx] = hole[(y0 + by) * W + x0 + bx] !== 0 ? 1 : 0;
  const grid = new CorrectionGrid(unknown, bw, bh);
  const pw = bw + 2;
  // The copy's residual, each channel in its lane of the padded plane: Σ over neighbours of (wanted
  // difference − current difference), zero where a neighbour's source continues the cell's.
  const rhs = grid.rhs;
  const pair = (i: number, si: number, d: number, o: number) => {
    const j = i + d;
    const sj = hole[j] !== 0 ? sourceOfSlot[slotOf[j]] : -1;
    if (sj === si + d) return;
    for (let c = 0; c < C; c++) {
      const own = data[si * C + c] - data[(si + d) * C + c];
      const wanted = sj < 0 ? own : 0.5 * (own + data[(sj - d) * C + c] - data[sj * C + c]);
      rhs[o + c] += wanted - data[i * C + c] + data[j * C + c];
    }
  };
  for (let by = 0; by < bh; by++) {
    const y = y0 + by;
    for (let bx = 0; bx < bw; bx++) {
      if (unknown[by * bw + bx] === 0) continue;
      const x = x0 + bx;
      const i = y * W + x;
      const si = sourceOfSlot[slotOf[i]];
      const o = ((by + 1) * pw + bx + 1) * LANES;
      if (x > 0) pair(i, si, -1, o);
      if (x < W - 1) pair(i, si, 1, o);
      if (y > 0) pair(i, si, -W, o);
      if (y < H - 1) pair(i, si, W, o);
    }
  }
  const correction = grid.solve();
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      if (unknown[by * bw + bx] === 0) continue;
      const o = ((by + 1) * pw + bx + 1) * LANES;
      const p = ((y0 + by) * W + x0 + bx) * C;
      for (let c = 0; c < C; c++) data[p + c] += correction[o + c];
    }
  }
}

/**
 * Σ_j (c_i − c_j) = rhs_i on the unknown cells of a w×h grid, c = 0 on its
 * other cells, no flux past its edge; with the coarser grids of its
 * V-cycles. Values live in planes of `LANES` values a cell, padded by one
 * zero cell on every side, so a sweep reads four neighbours without a test; a
 * cell's neighbour count leaves out the padding (no flux), not the known
 * cells (held at zero). The WebAssembly kernel (assembly/poisson.ts) is
 * this class step for step.
 */
class CorrectionGrid {
  /** The right-hand side, padded (w + 2)×(h + 2), `LANES` values a cell: set it, then `solve`. */
  readonly rhs: Float32Array;
  /** Padded index of each unknown cell. */
  private readonly cells: Int32Array;
  private readonly pw: number;
  /** The number of the cell's neighbours inside the grid, and its inverse. */
  private readonly count: Float32Array;
  private readonly inverseCount: Float32Array;
  private readonly value: Float32Array;
  private readonly coarser: CorrectionGrid | null;
  /** Per unknown cell: its coarser cell (padded index), and the top-left corner and weights of its bilinear read. */
  private readonly parent: Int32Array;
  private readonly corner: Int32Array;
  private readonly weightX: Float32Array;
  private readonly weightY: Float32Array;

  constructor(unknown: Uint8Array, w: number, h: number) {
    const pw = w + 2;
    this.pw = pw;
    let n = 0;
    for (let i = 0; i < w * h; i++) if (unknown[i] !== 0) n++;
    this.cells = new Int32Array(n);
    this.count = new Float32Array(n);
    this.inverseCount = new Float32Array(n);
    // Red–black order: the cells with x + y even, then the odd ones. A sweep in this order updates no cell
    // from one updated just before it, so its steps pipeline instead of waiting on each other (3× faster).
    let k = 0;
    for (let colour = 0; colour < 2; colour++) {
      for (let y = 0; y < h; y++) {
        for (let x = (y + colour) & 1; x < w; x += 2) {
          if (unknown[y * w + x] === 0) continue;
          this.cells[k] = (y + 1) * pw + x + 1;
          this.count[k] = (x > 0 ? 1 : 0) + (x < w - 1 ? 1 : 0) + (y > 0 ? 1 : 0) + (y < h - 1 ? 1 : 0);
          this.inverseCount[k] = 1 / this.count[k];
          k++;
        }
      }
    }
    this.rhs = new Float32Array(pw * (h + 2) * LANES);
    this.value = new Float32Array(pw * (h + 2) * LANES);
    const coarse = w * h > COARSEST_CELLS && w >= 4 && h >= 4;
    this.parent = new Int32Array(coarse ? n : 0);
    this.corner = new Int32Array(coarse ? n : 0);
    this.weightX = new Float32Array(coarse ? n : 0);
    this.weightY = new Float32Array(coarse ? n : 0);
    if (!coarse || n === 0) {
      this.coarser = null;
      return;
    }
    // A cell of the next coarser grid is unknown where at least three of its four cells are (all of them
    // past the grid's edge). The fixed ring around the hole then survives at every scale: were its cells
    // merged into unknown ones, a coarse grid could lose every fixed cell and its equations their solution.
    const cw = (w + 1) >> 1;
    const ch = (h + 1) >> 1;
    const cpw = cw + 2;
    const unknownCells = new Uint8Array(cw * ch);
    const size = new Uint8Array(cw * ch);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const j = (y >> 1) * cw + (x >> 1);
        size[j]++;
        if (unknown[y * w + x] !== 0) unknownCells[j]++;
      }
    }
    const inner = new Uint8Array(cw * ch);
    let fixed = 0;
    for (let j = 0; j < cw * ch; j++) {
      inner[j] = unknownCells[j] >= Math.min(3, size[j]) ? 1 : 0;
      if (inner[j] === 0) fixed++;
    }
    if (fixed === 0) {
      this.coarser = null;
      return;
    }
    this.coarser = new CorrectionGrid(inner, cw, ch);
    for (let k = 0; k < n; k++) {
      const y = ((this.cells[k] / pw) | 0) - 1;
      const x = this.cells[k] - (y + 1) * pw - 1;
      this.parent[k] = ((y >> 1) + 1) * cpw + (x >> 1) + 1;
      // The cell's centre in the padded coarser grid's index units (cell k's centre at k) is x / 2 + 0.75
      // across: an even x = 2m reads coarse cells m and m + 1 at ¾, an odd x = 2m + 1 cells m + 1 and m + 2 at ¼.
      this.corner[k] = ((y >> 1) + (y & 1)) * cpw + (x >> 1) + (x & 1);
      this.weightX[k] = x & 1 ? 0.25 : 0.75;
      this.weightY[k] = y & 1 ? 0.25 : 0.75;
    }
  }

  /** Solves for the current right-hand side; returns the padded solution (valid until the next call). */
  solve(): Float32Array {
    this.value.fill(0);
    for (let k = 0; k < CYCLES; k++) this.cycle();
    return this.value;
  }

  /**
   * One V-cycle on the current value: smooth, hand the residual to the
   * coarser grid (the sum of each cell's four: the grid step doubles, so the
   * discrete Laplacian of the same smooth field is four times larger), add
   * its solution back bilinearly, smooth again. The coarsest grid is swept
   * until it settles.
   */
  private cycle(): void {
    const coarser = this.coarser;
    if (coarser === null) {
      this.settle();
      return;
    }
    this.sweep(SMOOTHING, OMEGA);
    coarser.rhs.fill(0);
    coarser.value.fill(0);
    const n = this.cells.length;
    // The kernel's f32 arithmetic, operation for operation (Math.fround after each; a store into the
    // Float32Array planes rounds too).
    const f = Math.fround;
    const { cells, rhs, value: c, count, parent } = this;
    const row = this.pw * LANES;
    const down = coarser.rhs;
    for (let k = 0; k < n; k++) {
      const o = cells[k] * LANES;
      const q = parent[k] * LANES;
      for (let l = 0; l < LANES; l++) {
        const i = o + l;
        const sum = f(f(f(f(rhs[i] + c[i - LANES]) + c[i + LANES]) + c[i - row]) + c[i + row]);
        down[q + l] += f(sum - f(count[k] * c[i]));
      }
    }
    coarser.cycle();
    const up = coarser.value;
    const crow = coarser.pw * LANES;
    const { corner, weightX, weightY } = this;
    for (let k = 0; k < n; k++) {
      const o = cells[k] * LANES;
      const p = corner[k] * LANES;
      const fx = weightX[k];
      const fy = weightY[k];
      for (let l = 0; l < LANES; l++) {
        const a = up[p + l];
        const b = up[p + l + crow];
        const top = f(a + f(fx * f(up[p + l + LANES] - a)));
        const bottom = f(b + f(fx * f(up[p + l + crow + LANES] - b)));
        c[o + l] += f(top + f(fy * f(bottom - top)));
      }
    }
    this.sweep(SMOOTHING, OMEGA);
  }

  /** Over-relaxed Gauss–Seidel sweeps; returns the largest change of the last one. */
  private sweep(times: number, omega: number): number {
    const { cells, inverseCount, rhs, value: c } = this;
    const n = cells.length;
    const f = Math.fround;
    const w = f(omega);
    const row = this.pw * LANES;
    let change = 0;
    for (let s = 0; s < times; s++) {
      change = 0;
      for (let k = 0; k < n; k++) {
        const o = cells[k] * LANES;
        const inv = inverseCount[k];
        for (let l = 0; l < LANES; l++) {
          const i = o + l;
          const old = c[i];
          const sum = f(f(f(f(rhs[i] + c[i - LANES]) + c[i + LANES]) + c[i - row]) + c[i + row]);
          const step = f(w * f(f(sum * inv) - old));
          c[i] = old + step;
          const moved = step < 0 ? -step : step;
          if (moved > change) change = moved;
        }
      }
    }
    return change;
  }

  /** Sweeps until no value moves by more than 0.01 (at most 200: a coarsest grid has at most 64 cells). */
  private settle(): void {
    for (let s = 0; s < 200; s++) if (this.sweep(1, 1.5) < 0.01) break;
  }
}
