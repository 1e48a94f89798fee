/**
 * Harmonic (membrane) interpolation on a coarse grid: values fixed on some
 * cells, Laplace's equation ∇²f = 0 on the cells to solve, and no flux across
 * every other cell. Seamless cloning's correction field is exactly this: the
 * difference between the two photos along the hole's edge, spread smoothly
 * inward (Pérez et al., Poisson Image Editing, SIGGRAPH 2003, §3; solving for
 * the difference rather than the image is Farbman et al.'s membrane
 * formulation, Coordinates for Instant Image Cloning, 2009). The difference is
 * smooth, so a coarse grid and a bilinear upsample lose nothing visible.
 * `solveGuidedMembrane` is the same solve with a weight per neighbour pair
 * (the caller's conductance), so values spread less across strong edges.
 */

/** A coarse grid of `channels` values per cell, interleaved. */
export interface Grid {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export const FIXED = 1;
export const SOLVE = 2;

/**
 * Solves in place for the cells marked SOLVE, given the cells marked FIXED;
 * cells marked 0 are outside the domain. Successive over-relaxation, started
 * from a coarse-to-fine guess so that it converges in a few hundred sweeps.
 */
export function solveMembrane(grid: Grid, kind: Uint8Array, sweeps = 400): void {
  const { width: w, height: h, channels: C, data } = grid;
  initialiseFromCoarser(grid, kind);
  const omega = 1.9;
  for (let s = 0; s < sweeps; s++) {
    let change = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (kind[i] !== SOLVE) continue;
        let n = 0;
        const up = y > 0 && kind[i - w] !== 0;
        const down = y < h - 1 && kind[i + w] !== 0;
        const left = x > 0 && kind[i - 1] !== 0;
        const right = x < w - 1 && kind[i + 1] !== 0;
        n = (up ? 1 : 0) + (down ? 1 : 0) + (left ? 1 : 0) + (right ? 1 : 0);
        if (n === 0) continue;
        for (let c = 0; c < C; c++) {
          let sum = 0;
          if (up) sum += data[(i - w) * C + c];
          if (down) sum += data[(i + w) * C + c];
          if (left) sum += data[(i - 1) * C + c];
          if (right) sum += data[(i + 1) * C + c];
          const old = data[i * C + c];
          const next = old + omega * (sum / n - old);
          data[i * C + c] = next;
          change = Math.max(change, Math.abs(next - old));
        }
      }
    }
    if (change < 1e-3) break;
  }
}

/** Starts SOLVE cells at the average of a half-resolution solution (recursively). */
function initialiseFromCoarser(grid: Grid, kind: Uint8Array): void {
  const { width: w, height: h, channels: C, data } = grid;
  if (w <= 8 || h <= 8) {
    const mean = new Float64Array(C);
    let n = 0;
    for (let i = 0; i < w * h; i++) {
      if (kind[i] !== FIXED) continue;
      for (let c = 0; c < C; c++) mean[c] += data[i * C + c];
      n++;
    }
    for (let i = 0; i < w * h; i++) {
      if (kind[i] === SOLVE) for (let c = 0; c < C; c++) data[i * C + c] = n > 0 ? mean[c] / n : 0;
    }
    return;
  }
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const coarse: Grid = { width: cw, height: ch, channels: C, data: new Float32Array(cw * ch * C) };
  const ckind = new Uint8Array(cw * ch);
  const count = new Float32Array(cw * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const j = (y >> 1) * cw + (x >> 1);
      if (kind[i] === FIXED) {
        if (ckind[j] !== FIXED) {
          ckind[j] = FIXED;
          count[j] = 0;
          for (let c = 0; c < C; c++) coarse.data[j * C + c] = 0;
        }
        for (let c = 0; c < C; c++) coarse.data[j * C + c] += data[i * C + c];
        count[j]++;
      } else if (kind[i] === SOLVE && ckind[j] === 0) {
        ckind[j] = SOLVE;
      }
    }
  }
  for (let j = 0; j < cw * ch; j++) {
    if (ckind[j] === FIXED) for (let c = 0; c < C; c++) coarse.data[j * C + c] /= count[j];
  }
  solveMembrane(coarse, ckind, 200);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (kind[i] !== SOLVE) continue;
      const j = (y >> 1) * cw + (x >> 1);
      for (let c = 0; c < C; c++) data[i * C + c] = coarse.data[j * C + c];
    }
  }
}

/** Bilinear value of the grid at a point given in cell units (cell centres at k + ½). */
export function sampleGrid(grid: Grid, u: number, v: number, c: number): number {
  const { width: w, height: h, channels: C, data } = grid;
  const x = Math.min(w - 1, Math.max(0, u - 0.5));
  const y = Math.min(h - 1, Math.max(0, v - 0.5));
  const x0 = Math.min(w - 2, Math.floor(x));
  const y0 = Math.min(h - 2, Math.floor(y));
  if (x0 < 0 || y0 < 0) return data[(Math.round(y) * w + Math.round(x)) * C + c];
  const fx = x - x0;
  const fy = y - y0;
  const p = y0 * w + x0;
  const top = data[p * C + c] + fx * (data[(p + 1) * C + c] - data[p * C + c]);
  const bottom = data[(p + w) * C + c] + fx * (data[(p + w + 1) * C + c] - data[(p + w) * C + c]);
  return top + fy * (bottom - top);
}

/**
 * Gives every out-of-domain cell the mean of its filled neighbours, ring by
 * ring, so that bilinear sampling near the domain's edge never mixes in cells
 * that were never solved.
 */
export function extendGrid(grid: Grid, kind: Uint8Array): void {
  const { width: w, height: h, channels: C, data } = grid;
  const filled = new Uint8Array(w * h);
  let pending = 0;
  for (let i = 0; i < w * h; i++) {
    filled[i] = kind[i] !== 0 ? 1 : 0;
    if (!filled[i]) pending++;
  }
  const next: number[] = [];
  while (pending > 0) {
    next.length = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (filled[i]) continue;
        let n = 0;
        for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
          if (j < 0 || filled[j] !== 1) continue;
          if (n === 0) for (let c = 0; c < C; c++) data[i * C + c] = 0;
          for (let c = 0; c < C; c++) data[i * C + c] += data[j * C + c];
          n++;
        }
        if (n === 0) continue;
        for (let c = 0; c < C; c++) data[i * C + c] /= n;
        next.push(i);
      }
    }
    if (next.length === 0) break;
    for (const i of next) filled[i] = 1;
    pending -= next.length;
  }
}

/** How strongly neighbouring nodes pull on each other's flow in the membrane. */
export interface Conductance {
  /** Between node g and g + 1. */
  right: Float32Array;
  /** Between node g and g + width. */
  down: Float32Array;
}

/**
 * The membrane with edge weights (an anisotropic diffusion's steady state,
 * Perona & Malik 1990; as edge-aware flow interpolation, Revaud et al.,
 * EpicFlow, CVPR 2015): the plain membrane first, then successive
 * over-relaxation of the weighted equations from there. Solves the cells
 * marked SOLVE in place, as `solveMembrane`.
 */
export function solveGuidedMembrane(grid: Grid, kind: Uint8Array, conduct: Conductance, sweeps = 400): void {
  solveMembrane(grid, kind);
  const { width: w, height: h, channels: C, data } = grid;
  const { right, down } = conduct;
  const omega = 1.8;
  for (let s = 0; s < sweeps; s++) {
    let change = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (kind[i] !== SOLVE) continue;
        const wu = y > 0 && kind[i - w] !== 0 ? down[i - w] : 0;
        const wd = y < h - 1 && kind[i + w] !== 0 ? down[i] : 0;
        const wl = x > 0 && kind[i - 1] !== 0 ? right[i - 1] : 0;
        const wr = x < w - 1 && kind[i + 1] !== 0 ? right[i] : 0;
        const total = wu + wd + wl + wr;
        if (total === 0) continue;
        for (let c = 0; c < C; c++) {
          let sum = 0;
          if (wu > 0) sum += wu * data[(i - w) * C + c];
          if (wd > 0) sum += wd * data[(i + w) * C + c];
          if (wl > 0) sum += wl * data[(i - 1) * C + c];
          if (wr > 0) sum += wr * data[(i + 1) * C + c];
          const old = data[i * C + c];
          const next = old + omega * (sum / total - old);
          data[i * C + c] = next;
          change = Math.max(change, Math.abs(next - old));
        }
      }
    }
    if (change < 1e-3) break;
  }
}
