/**
 * Residual parallax flow: what a homography cannot explain. A homography maps
 * one plane of the scene exactly; with depth (a stereo pair, a step aside),
 * points off that plane still move between the photos. This measures that
 * remaining motion densely around the hole and carries it into the hole, so
 * the reference is sampled where the background behind the object really is.
 *
 *  1. Work on luma at a reduced scale (crop long side about 320 px): the photo
 *     box-averaged over its known pixels, the reference warped through the
 *     homography (warpReference anti-aliases the shrink).
 *  2. Block matching on a lattice of nodes in the known ring: each node's
 *     9×9 patch (its known pixels, beside the hole) against the warped
 *     reference at integer shifts within ±3
 *     pixels, by zero-mean SSD (insensitive to exposure), refined to sub-pixel
 *     by a parabola through the neighbouring costs. A node counts only when
 *     its patch has texture, its best shift beats no shift clearly, and the
 *     match is good relative to the patch's own variance: flat sky or a moved
 *     person say nothing. On request, a node without such a match is
 *     searched again within ±6 (a nearer layer, leaves or a gable, moves
 *     further) and kept when that minimum is unique, not one of a
 *     texture's repeats.
 *  3. A 3×3 median over the measured nodes removes isolated wrong matches.
 *  4. The membrane (harmonic interpolation, `membrane.ts`) spreads the flow
 *     from the measured nodes into the hole: the smoothest field that agrees
 *     with the ring, as in the seam correction, but weighted by the aligned
 *     reference's colour edges, which the hole's content shows there: a
 *     moving part or a nearer surface usually ends at an edge, so its shift
 *     stays on its side of it instead of blurring across the hole.
 *  5. A second field is spread from only the nodes that move with the ring's
 *     dominant layer: the affine motion most nodes agree with (hypotheses
 *     fitted on each node's neighbourhood, the consensus idea of RANSAC,
 *     Fischler & Bolles 1981). A nearer layer that crosses the ring (a leaf,
 *     a post) has its own large shift; averaged into the hole by the
 *     membrane it drags the background behind the object by pixels. The
 *     caller uses the whole field at the hole's edge, where it was measured,
 *     and the dominant one deeper inside.
 */
import type { Rect, RgbaImage } from "../image.js";
import { type Conductance, extendGrid, FIXED, type Grid, SOLVE, sampleGrid, solveGuidedMembrane } from "../membrane.js";
import { compose, type Homography } from "./homography.js";
import { type ShrunkReferences, warpReference } from "./warp.js";

/** A displacement field over a crop: sample (dx, dy) in full-resolution pixels with `flowAt`. */
export interface ParallaxFlow {
  /** Full-resolution pixels per grid cell. */
  cell: number;
  /** Two channels: dx, dy (full-resolution target pixels, added before the homography). */
  grid: Grid;
  /** The same, spread from only the nodes that follow the ring's dominant motion; null when none dominates. */
  dominant: Grid | null;
  /** Measured nodes in the dominant layer (0 when none dominates). */
  dominantNodes: number;
  /** Ring nodes where the shift was measured reliably. */
  measured: number;
  /** Of those, the nodes measured by the wide search. */
  widened: number;
  /** Largest measured shift, in full-resolution pixels. */
  largest: number;
}

const WORK_SIDE = 320;
/** Patch radius and search radius, in working pixels. */
const PATCH = 4;
const SEARCH = 3;
/**
 * Search radius (working pixels) of the wide search, tried only at nodes
 * where the ±SEARCH one finds no trustworthy minimum. Chosen on the real
 * tuning pairs with 42 extra holes on them (70 cases; the reference fill
 * alone, the rest from the erase without it): ±6, ±8, ±12 gave +0.05,
 * +0.03, −0.01 dB (aloe +0.3 at each); wider ones find more repeats.
 */
const WIDE_SEARCH = 6;
/**
 * The wide search's best cost must be below this share of the best cost at
 * least two shifts away from it: a repeated texture (a façade's windows,
 * graffiti strokes) has several minima, a nearer layer one. 0.35 gave the
 * same gain as 0.5 (within 0.01 dB).
 */
const WIDE_UNIQUE = 0.5;
/** Node spacing in working pixels. */
const NODE_STEP = 3;
/** Nodes farther than this from the hole (working pixels) say little about it. */
const RING_REACH = 24;
/** A patch flatter than this (luma standard deviation) cannot be matched. */
const MIN_TEXTURE = 3;
const MIN_NODES = 12;
/** Nodes within this many working pixels of the dominant affine motion belong to its layer… */
const DOMINANT_TOLERANCE = 1;
/** …which must gather at least this share of the measured nodes. */
const DOMINANT_SHARE = 0.5;
/** Each measured node proposes the affine motion of the measured nodes within this many nodes of it. */
const HYPOTHESIS_REACH = 3;
/**
 * Colour difference (8-bit levels, RMS over the channels) at which the flow
 * passes between neighbouring nodes at e^−½ of full strength. Chosen on the
 * real tuning pairs: σ 4, 6, 8, 12, 24 gave +0.13, +0.12, +0.13, +0.12,
 * +0.04 dB; graffiti (one plane) prefers it wide, the rubber whale's moving
 * parts narrow.
 */
const GUIDE_SIGMA = 8;
/** Weakest link between neighbouring nodes (0.001 gave 0.02 dB less on the tuning pairs). */
const MIN_CONDUCTANCE = 0.01;
/**
 * A node next to the hole is matched on its patch's known pixels when they
 * are at least this share of it (0.75 gave +0.03 dB on the tuning pairs, 0.5
 * +0.07; before, any hole pixel in the patch left the node unmeasured, so
 * the nearest measurements lay 2–3 nodes from the hole's edge).
 */
const MIN_KNOWN_SHARE = 0.5;

/**
 * The residual flow of `reference` through `h` around the hole of `crop`, or
 * null when too few ring nodes can be matched reliably. `hole` and `toHole`
 * (squared distance to the hole) are crop-sized; `shrinks` keeps the
 * reference's box-averaged copies for the next call (see `warpReference`).
 */
export function parallaxFlow(
  image: RgbaImage,
  hole: Uint8Array,
  toHole: Float32Array,
  crop: Rect,
  reference: RgbaImage,
  h: Homography,
  wide = false,
  shrinks?: ShrunkReferences,
): ParallaxFlow | null {
  const f = Math.max(1, Math.ceil(Math.max(crop.width, crop.height) / WORK_SIDE));
  const w = Math.ceil(crop.width / f);
  const ht = Math.ceil(crop.height / f);
  const n = w * ht;
  // The photo's luma, box-averaged over known pixels; a cell with any hole pixel is hole.
  const target = new Float32Array(n);
  const count = new Float32Array(n);
  const cellHole = new Uint8Array(n);
  const cellDistance = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  // Each crop column's cell column, worked out once rather than per pixel.
  const cellColumn = new Int32Array(crop.width);
  for (let x = 0; x < crop.width; x++) cellColumn[x] = Math.floor(x / f);
  for (let y = 0; y < crop.height; y++) {
    const cy = Math.floor(y / f);
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      const c = cy * w + cellColumn[x];
      if (toHole[i] < cellDistance[c]) cellDistance[c] = toHole[i];
      if (hole[i]) {
        cellHole[c] = 1;
        continue;
      }
      const p = ((crop.y + y) * image.width + crop.x + x) * 4;
      target[c] += 0.299 * image.data[p] + 0.587 * image.data[p + 1] + 0.114 * image.data[p + 2];
      count[c]++;
    }
  }
  for (let c = 0; c < n; c++) target[c] = count[c] > 0 ? target[c] / count[c] : 0;
  // Working pixel (X, Y) sits at full-resolution (crop.x + f·X + (f − 1)/2, …).
  const toFull = Float64Array.of(f, 0, crop.x + (f - 1) / 2, 0, f, crop.y + (f - 1) / 2, 0, 0, 1);
  const warp = warpReference(reference, compose(h, toFull), { x: 0, y: 0, width: w, height: ht }, undefined, undefined, shrinks);
  const ref = new Float32Array(n);
  for (let c = 0; c < n; c++) ref[c] = 0.299 * warp.rgb[c * 3] + 0.587 * warp.rgb[c * 3 + 1] + 0.114 * warp.rgb[c * 3 + 2];

  // Block matching on the ring's nodes.
  const gw = Math.ceil(w / NODE_STEP);
  const gh = Math.ceil(ht / NODE_STEP);
  const grid: Grid = { width: gw, height: gh, channels: 2, data: new Float32Array(gw * gh * 2) };
  const kind = new Uint8Array(gw * gh);
  const widenedAt = new Uint8Array(gw * gh);
  const reach = (RING_REACH * f) ** 2;
  const side = 2 * SEARCH + 1;
  const costs = new Float64Array(side * side);
  const wideCosts = wide ? new Float64Array((2 * WIDE_SEARCH + 1) ** 2) : null;
  const patchSize = (2 * PATCH + 1) ** 2;
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const g = gy * gw + gx;
      const X = Math.min(w - 1, gx * NODE_STEP + (NODE_STEP >> 1));
      const Y = Math.min(ht - 1, gy * NODE_STEP + (NODE_STEP >> 1));
      let holeInside = false;
      for (let yy = Y - NODE_STEP; yy <= Y + NODE_STEP && !holeInside; yy++) {
        for (let xx = X - NODE_STEP; xx <= X + NODE_STEP; xx++) {
          if (xx >= 0 && yy >= 0 && xx < w && yy < ht && cellHole[yy * w + xx]) {
            holeInside = true;
            break;
          }
        }
      }
      if (holeInside && cellHole[Y * w + X]) {
        kind[g] = SOLVE;
        continue;
      }
      if (!holeInside && cellDistance[Y * w + X] > reach) continue;
      const m = measure(target, ref, warp.valid, cellHole, w, ht, X, Y, costs, patchSize, wideCosts);
      if (m === null) {
        // Part of the domain, so the flow passes through on its way into the hole.
        kind[g] = SOLVE;
        continue;
      }
      kind[g] = FIXED;
      if (m[2] > SEARCH) widenedAt[g] = 1;
      grid.data[g * 2] = m[0] * f;
      grid.data[g * 2 + 1] = m[1] * f;
    }
  }
  medianOfMeasured(grid, kind);
  let measured = 0;
  let widened = 0;
  let largest = 0;
  for (let g = 0; g < gw * gh; g++) {
    if (kind[g] !== FIXED) continue;
    measured++;
    widened += widenedAt[g];
    largest = Math.max(largest, Math.hypot(grid.data[g * 2], grid.data[g * 2 + 1]));
  }
  if (measured < MIN_NODES) return null;
  const dominantKind = new Uint8Array(kind);
  const dominantNodes = keepDominantLayer(grid, dominantKind, DOMINANT_TOLERANCE * f, DOMINANT_SHARE);
  const dominant: Grid | null = dominantNodes > 0 ? { ...grid, data: new Float32Array(grid.data) } : null;
  // Both fields spread less across the reference's colour edges: a moving
  // part or a nearer surface usually ends at one, and its shift should stay on its side.
  const guide = nodeConductance(warp.rgb, warp.valid, w, ht, gw, gh);
  solveGuidedMembrane(grid, kind, guide);
  extendGrid(grid, kind);
  if (dominant) {
    solveGuidedMembrane(dominant, dominantKind, guide);
    extendGrid(dominant, dominantKind);
  }
  return { cell: f * NODE_STEP, grid, dominant, dominantNodes, measured, widened, largest };
}

/** The flow at crop pixel (x, y), written into out[0], out[1]. */
export function flowAt(flow: ParallaxFlow, x: number, y: number, out: Float64Array): void {
  const u = (x + 0.5) / flow.cell;
  const v = (y + 0.5) / flow.cell;
  out[0] = sampleGrid(flow.grid, u, v, 0);
  out[1] = sampleGrid(flow.grid, u, v, 1);
}

/** The dominant layer's flow at crop pixel (x, y) (the whole flow when none dominates). */
export function dominantFlowAt(flow: ParallaxFlow, x: number, y: number, out: Float64Array): void {
  const grid = flow.dominant ?? flow.grid;
  const u = (x + 0.5) / flow.cell;
  const v = (y + 0.5) / flow.cell;
  out[0] = sampleGrid(grid, u, v, 0);
  out[1] = sampleGrid(grid, u, v, 1);
}

/**
 * Best sub-pixel shift of the patch at (X, Y) and the radius of the search
 * that found it, or null when the match is not trustworthy.
 */
function measure(
  target: Float32Array,
  ref: Float32Array,
  valid: Uint8Array,
  cellHole: Uint8Array,
  w: number,
  h: number,
  X: number,
  Y: number,
  costs: Float64Array,
  patchSize: number,
  wideCosts: Float64Array | null,
): [number, number, number] | null {
  const R = PATCH + SEARCH;
  if (X - R < 0 || Y - R < 0 || X + R >= w || Y + R >= h) return null;
  let mean = 0;
  let sq = 0;
  let known = 0;
  for (let dy = -PATCH; dy <= PATCH; dy++) {
    for (let dx = -PATCH; dx <= PATCH; dx++) {
      const i = (Y + dy) * w + X + dx;
      if (cellHole[i]) continue;
      known++;
      mean += target[i];
      sq += target[i] * target[i];
    }
  }
  if (known < MIN_KNOWN_SHARE * patchSize) return null;
  mean /= known;
  const variance = sq / known - mean * mean;
  if (variance < MIN_TEXTURE * MIN_TEXTURE) return null;
  const patch = { target, ref, valid, cellHole, w, X, Y, mean, known };
  const near = bestShift(patch, SEARCH, costs, variance, 0);
  if (near !== null || wideCosts === null) return near;
  // No trustworthy minimum within ±SEARCH: a nearer layer (a leaf, a post)
  // may move further. Searched wider only here, and kept only when its
  // minimum is unique, because a wide search finds repeats of a texture.
  const W = PATCH + WIDE_SEARCH;
  if (X - W < 0 || Y - W < 0 || X + W >= w || Y + W >= h) return null;
  return bestShift(patch, WIDE_SEARCH, wideCosts, variance, WIDE_UNIQUE);
}

interface Patch {
  target: Float32Array;
  ref: Float32Array;
  valid: Uint8Array;
  cellHole: Uint8Array;
  w: number;
  X: number;
  Y: number;
  mean: number;
  known: number;
}

/**
 * The patch's best shift within ±radius by zero-mean SSD over its known
 * pixels, refined to sub-pixel, or null when it is not trustworthy. With
 * `unique` > 0 the best cost must also be below that share of the best cost
 * at least two shifts away from it.
 */
function bestShift(p: Patch, radius: number, costs: Float64Array, variance: number, unique: number): [number, number, number] | null {
  const { target, ref, valid, cellHole, w, X, Y, mean, known } = p;
  const side = 2 * radius + 1;
  let best = -1;
  for (let sy = -radius; sy <= radius; sy++) {
    for (let sx = -radius; sx <= radius; sx++) {
      let rMean = 0;
      let ok = true;
      for (let dy = -PATCH; dy <= PATCH && ok; dy++) {
        for (let dx = -PATCH; dx <= PATCH; dx++) {
          if (cellHole[(Y + dy) * w + X + dx]) continue;
          const j = (Y + dy + sy) * w + X + dx + sx;
          if (!valid[j]) {
            ok = false;
            break;
          }
          rMean += ref[j];
        }
      }
      const k = (sy + radius) * side + sx + radius;
      if (!ok) {
        costs[k] = Number.POSITIVE_INFINITY;
        continue;
      }
      rMean /= known;
      let cost = 0;
      for (let dy = -PATCH; dy <= PATCH; dy++) {
        for (let dx = -PATCH; dx <= PATCH; dx++) {
          if (cellHole[(Y + dy) * w + X + dx]) continue;
          const d = target[(Y + dy) * w + X + dx] - mean - (ref[(Y + dy + sy) * w + X + dx + sx] - rMean);
          cost += d * d;
        }
      }
      costs[k] = cost / known;
      if (best < 0 || costs[k] < costs[best]) best = k;
    }
  }
  if (best < 0) return null;
  const centre = radius * side + radius;
  const bestCost = costs[best];
  // A good match (error well below the patch's own variance) that beats no shift clearly (or is no shift).
  if (bestCost > 0.25 * variance) return null;
  if (best !== centre && !(bestCost < 0.7 * costs[centre])) return null;
  const bx = (best % side) - radius;
  const by = Math.floor(best / side) - radius;
  // On the search window's rim the true shift may lie outside it.
  if (Math.abs(bx) === radius || Math.abs(by) === radius) return null;
  if (unique > 0) {
    let rival = Number.POSITIVE_INFINITY;
    for (let k = 0; k < side * side; k++) {
      const kx = (k % side) - radius;
      const ky = Math.floor(k / side) - radius;
      if (Math.max(Math.abs(kx - bx), Math.abs(ky - by)) >= 2) rival = Math.min(rival, costs[k]);
    }
    if (!(bestCost < unique * rival)) return null;
  }
  return [
    bx + parabolaOffset(costs[best - 1], bestCost, costs[best + 1]),
    by + parabolaOffset(costs[best - side], bestCost, costs[best + side]),
    radius,
  ];
}

/** Vertex of the parabola through (−1, a), (0, b), (1, c), clamped to ±½. */
function parabolaOffset(a: number, b: number, c: number): number {
  const den = a - 2 * b + c;
  if (!Number.isFinite(den) || den <= 1e-9) return 0;
  return Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den));
}

/** Replaces every measured node by the median of the measured nodes in its 3×3 neighbourhood (per component). */
function medianOfMeasured(grid: Grid, kind: Uint8Array): void {
  const { width: w, height: h, data } = grid;
  const out = new Float32Array(data);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (kind[y * w + x] !== FIXED) continue;
      xs.length = 0;
      ys.length = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || kind[yy * w + xx] !== FIXED) continue;
          xs.push(data[(yy * w + xx) * 2]);
          ys.push(data[(yy * w + xx) * 2 + 1]);
        }
      }
      xs.sort((a, b) => a - b);
      ys.sort((a, b) => a - b);
      out[(y * w + x) * 2] = xs[xs.length >> 1];
      out[(y * w + x) * 2 + 1] = ys[ys.length >> 1];
    }
  }
  data.set(out);
}

/**
 * Keeps as measured only the nodes that follow the ring's dominant motion:
 * an affine flow (in grid coordinates) hypothesised from each measured
 * node's neighbourhood, the one most nodes agree with (within `tolerance`
 * pixels), refitted on those. The others (a nearer layer: leaves, a pole)
 * become free, so their parallax does not bleed into the hole. Nothing
 * changes when no motion gathers `share` of the nodes, or all of them
 * follow it. Returns the number of nodes kept, 0 when nothing changed.
 */
function keepDominantLayer(grid: Grid, kind: Uint8Array, tolerance: number, share: number): number {
  const { width: w, data } = grid;
  const nodes: number[] = [];
  for (let g = 0; g < kind.length; g++) if (kind[g] === FIXED) nodes.push(g);
  const n = nodes.length;
  if (n < MIN_NODES) return 0;
  const t2 = tolerance * tolerance;
  const inliersOf = (model: Float64Array, out: number[] | null): number => {
    let count = 0;
    for (const g of nodes) {
      const x = g % w;
      const y = (g - x) / w;
      const ex = data[g * 2] - (model[0] * x + model[1] * y + model[2]);
      const ey = data[g * 2 + 1] - (model[3] * x + model[4] * y + model[5]);
      if (ex * ex + ey * ey <= t2) {
        count++;
        out?.push(g);
      }
    }
    return count;
  };
  let best: Float64Array | null = null;
  let bestCount = 0;
  const local: number[] = [];
  const hgt = grid.height;
  for (const g of nodes) {
    const x0 = g % w;
    const y0 = (g - x0) / w;
    local.length = 0;
    for (let y = Math.max(0, y0 - HYPOTHESIS_REACH); y <= Math.min(hgt - 1, y0 + HYPOTHESIS_REACH); y++) {
      for (let x = Math.max(0, x0 - HYPOTHESIS_REACH); x <= Math.min(w - 1, x0 + HYPOTHESIS_REACH); x++)
        if (kind[y * w + x] === FIXED) local.push(y * w + x);
    }
    const model = fitAffineFlow(grid, local);
    if (model === null) continue;
    const count = inliersOf(model, null);
    if (count > bestCount) {
      bestCount = count;
      best = model;
    }
  }
  if (best === null || bestCount < share * n) return 0;
  const inliers: number[] = [];
  inliersOf(best, inliers);
  const refit = fitAffineFlow(grid, inliers) ?? best;
  const keep = new Uint8Array(kind.length);
  inliers.length = 0;
  inliersOf(refit, inliers);
  if (inliers.length < MIN_NODES || inliers.length === n) return 0;
  for (const g of inliers) keep[g] = 1;
  for (const g of nodes) if (!keep[g]) kind[g] = SOLVE;
  return inliers.length;
}

/** Least-squares affine flow (dx = a·x + b·y + c, dy = d·x + e·y + f) through the given nodes, or null when degenerate. */
function fitAffineFlow(grid: Grid, nodes: number[]): Float64Array | null {
  if (nodes.length < 3) return null;
  const w = grid.width;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sx = 0;
  let sy = 0;
  const bu = [0, 0, 0];
  const bv = [0, 0, 0];
  for (const g of nodes) {
    const x = g % w;
    const y = (g - x) / w;
    const u = grid.data[g * 2];
    const v = grid.data[g * 2 + 1];
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sx += x;
    sy += y;
    bu[0] += x * u;
    bu[1] += y * u;
    bu[2] += u;
    bv[0] += x * v;
    bv[1] += y * v;
    bv[2] += v;
  }
  const m = [sxx, sxy, sx, sxy, syy, sy, sx, sy, nodes.length];
  const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (Math.abs(det) < 1e-6) {
    // Collinear nodes: a translation.
    return Float64Array.of(0, 0, bu[2] / nodes.length, 0, 0, bv[2] / nodes.length);
  }
  const solve = (b: number[]) => {
    const d = (r: number[]) => r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
    const out = [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      const r = m.slice();
      for (let k = 0; k < 3; k++) r[k * 3 + c] = b[k];
      out[c] = d(r) / det;
    }
    return out;
  };
  const a = solve(bu);
  const b = solve(bv);
  return Float64Array.of(a[0], a[1], a[2], b[0], b[1], b[2]);
}

/**
 * Conductance between neighbouring nodes from the warped reference's mean
 * colour over each node's cell: exp(−Δ²/2σ²) of the mean squared channel
 * difference, never below MIN_CONDUCTANCE so that every region still hears
 * the ring. Cells the reference does not cover conduct fully.
 */
export function nodeConductance(rgb: Float32Array, valid: Uint8Array, w: number, h: number, gw: number, gh: number): Conductance {
  const mean = new Float32Array(gw * gh * 3);
  const count = new Float32Array(gw * gh);
  for (let y = 0; y < h; y++) {
    const row = Math.min(gh - 1, Math.floor(y / NODE_STEP)) * gw;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!valid[i]) continue;
      const g = row + Math.min(gw - 1, Math.floor(x / NODE_STEP));
      mean[g * 3] += rgb[i * 3];
      mean[g * 3 + 1] += rgb[i * 3 + 1];
      mean[g * 3 + 2] += rgb[i * 3 + 2];
      count[g]++;
    }
  }
  for (let g = 0; g < gw * gh; g++) {
    if (count[g] === 0) continue;
    for (let c = 0; c < 3; c++) mean[g * 3 + c] /= count[g];
  }
  const k = 1 / (2 * GUIDE_SIGMA * GUIDE_SIGMA);
  const weight = (a: number, b: number) => {
    if (count[a] === 0 || count[b] === 0) return 1;
    let d = 0;
    for (let c = 0; c < 3; c++) d += (mean[a * 3 + c] - mean[b * 3 + c]) ** 2;
    return Math.max(MIN_CONDUCTANCE, Math.exp(-(d / 3) * k));
  };
  const right = new Float32Array(gw * gh).fill(1);
  const down = new Float32Array(gw * gh).fill(1);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const g = y * gw + x;
      if (x < gw - 1) right[g] = weight(g, g + 1);
      if (y < gh - 1) down[g] = weight(g, g + gw);
    }
  }
  return { right, down };
}
