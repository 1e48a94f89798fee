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
 *     9×9 patch against the warped reference at integer shifts within ±3
 *     pixels, by zero-mean SSD (insensitive to exposure), refined to sub-pixel
 *     by a parabola through the neighbouring costs. A node counts only when
 *     its patch has texture, its best shift beats no shift clearly, and the
 *     match is good relative to the patch's own variance: flat sky or a moved
 *     person say nothing.
 *  3. A 3×3 median over the measured nodes removes isolated wrong matches.
 *  4. Depth layers: when the ring's shifts fall into two clearly separate
 *     groups (2-means; a leaf or a gable in front of a wall), each group is a
 *     layer with a flow of its own. One smooth field would blend the two
 *     across the hole and show the background doubled and the front smeared
 *     (TransFill's multiple homographies, Zhou et al. CVPR 2021, make the
 *     same point with planes). Which layer a hole pixel shows is read off the
 *     reference, which sees behind the object: each layer's seeds (where its
 *     ring nodes land in the reference) grow by geodesic distance that costs
 *     more across colour edges, so a layer stops at its own silhouette; a
 *     pixel takes the layer whose flow sends it to a point of that layer
 *     (Criminisi et al.'s geodesic segmentation, GeoS, ECCV 2008, with seeds
 *     from the measured flow instead of strokes).
 *  5. The membrane (harmonic interpolation, `membrane.ts`) spreads each
 *     layer's flow from its measured nodes into the hole: the smoothest field
 *     that agrees with the ring, as in the seam correction.
 */
import type { Rect, RgbaImage } from "../image.js";
import { extendGrid, FIXED, type Grid, SOLVE, sampleGrid, solveMembrane } from "../membrane.js";
import { compose, type Homography } from "./homography.js";
import { warpReference } from "./warp.js";

/** A displacement field over a crop: sample (dx, dy) in full-resolution pixels with `flowAt`. */
export interface ParallaxFlow {
  /** Full-resolution pixels per grid cell. */
  cell: number;
  /** Two channels: dx, dy (full-resolution target pixels, added before the homography). */
  grid: Grid;
  /** Ring nodes where the shift was measured reliably. */
  measured: number;
  /** Largest measured shift, in full-resolution pixels. */
  largest: number;
  /** Two depth layers, when the ring's shifts fall into two clearly separate groups. */
  layers?: FlowLayers;
}

/**
 * A second flow for the second depth layer, and which layer every working
 * pixel of the crop shows (0: `grid`, 1: `second`).
 */
export interface FlowLayers {
  second: Grid;
  /** Working pixels (f × f full-resolution pixels each), crop-sized. */
  label: Uint8Array;
  f: number;
  width: number;
  height: number;
  /** Ring nodes measured on the second layer. */
  secondMeasured: number;
}

const WORK_SIDE = 320;
/** Patch radius and search radius, in working pixels. */
const PATCH = 4;
const SEARCH = 3;
/** Node spacing in working pixels. */
const NODE_STEP = 3;
/** Nodes farther than this from the hole (working pixels) say little about it. */
const RING_REACH = 24;
/** A patch flatter than this (luma standard deviation) cannot be matched. */
const MIN_TEXTURE = 3;
const MIN_NODES = 12;
/** Two groups of ring shifts closer than this (full-resolution pixels) are one layer. */
const MIN_LAYER_GAP = 3;
const MIN_LAYER_NODES = 8;
/** Geodesic cost per unit of RGB difference between neighbouring working pixels. */
const EDGE_COST = 0.1;
const GEODESIC_PASSES = 3;

/**
 * The residual flow of `reference` through `h` around the hole of `crop`, or
 * null when too few ring nodes can be matched reliably. `hole` and `toHole`
 * (squared distance to the hole) are crop-sized.
 */
export function parallaxFlow(
  image: RgbaImage,
  hole: Uint8Array,
  toHole: Float32Array,
  crop: Rect,
  reference: RgbaImage,
  h: Homography,
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
  for (let y = 0; y < crop.height; y++) {
    const cy = Math.floor(y / f);
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      const c = cy * w + Math.floor(x / f);
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
  const warp = warpReference(reference, compose(h, toFull), { x: 0, y: 0, width: w, height: ht });
  const ref = new Float32Array(n);
  for (let c = 0; c < n; c++) ref[c] = 0.299 * warp.rgb[c * 3] + 0.587 * warp.rgb[c * 3 + 1] + 0.114 * warp.rgb[c * 3 + 2];

  // Block matching on the ring's nodes.
  const gw = Math.ceil(w / NODE_STEP);
  const gh = Math.ceil(ht / NODE_STEP);
  const grid: Grid = { width: gw, height: gh, channels: 2, data: new Float32Array(gw * gh * 2) };
  const kind = new Uint8Array(gw * gh);
  const reach = (RING_REACH * f) ** 2;
  const side = 2 * SEARCH + 1;
  const costs = new Float64Array(side * side);
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
      if (holeInside) {
        kind[g] = SOLVE;
        continue;
      }
      if (cellDistance[Y * w + X] > reach) continue;
      const m = measure(target, ref, warp.valid, cellHole, w, ht, X, Y, costs, patchSize);
      if (m === null) {
        // Part of the domain, so the flow passes through on its way into the hole.
        kind[g] = SOLVE;
        continue;
      }
      kind[g] = FIXED;
      grid.data[g * 2] = m[0] * f;
      grid.data[g * 2 + 1] = m[1] * f;
    }
  }
  medianOfMeasured(grid, kind);
  let measured = 0;
  let largest = 0;
  for (let g = 0; g < gw * gh; g++) {
    if (kind[g] !== FIXED) continue;
    measured++;
    largest = Math.max(largest, Math.hypot(grid.data[g * 2], grid.data[g * 2 + 1]));
  }
  if (measured < MIN_NODES) return null;
  const layerOf = splitLayers(grid, kind, f);
  if (layerOf === null) {
    solveMembrane(grid, kind);
    extendGrid(grid, kind);
    return { cell: f * NODE_STEP, grid, measured, largest };
  }
  // Each layer's flow spread from its own nodes only, so that the wall behind
  // a leaf is not dragged along with the leaf, nor the leaf with the wall.
  const second: Grid = { width: gw, height: gh, channels: 2, data: new Float32Array(grid.data) };
  const kindFirst = new Uint8Array(kind);
  const kindSecond = new Uint8Array(kind);
  let secondMeasured = 0;
  for (let g = 0; g < gw * gh; g++) {
    if (kind[g] !== FIXED) continue;
    if (layerOf[g] === 1) {
      kindFirst[g] = SOLVE;
      secondMeasured++;
    } else kindSecond[g] = SOLVE;
  }
  solveMembrane(grid, kindFirst);
  extendGrid(grid, kindFirst);
  solveMembrane(second, kindSecond);
  extendGrid(second, kindSecond);
  const label = labelLayers(warp.rgb, warp.valid, w, ht, f, [grid, second], layerOf, kind);
  return {
    cell: f * NODE_STEP,
    grid,
    measured,
    largest,
    layers: { second, label, f, width: w, height: ht, secondMeasured },
  };
}

/** The flow at crop pixel (x, y), written into out[0], out[1]. */
export function flowAt(flow: ParallaxFlow, x: number, y: number, out: Float64Array): void {
  const u = (x + 0.5) / flow.cell;
  const v = (y + 0.5) / flow.cell;
  let grid = flow.grid;
  const layers = flow.layers;
  if (layers) {
    const X = Math.min(layers.width - 1, Math.floor(x / layers.f));
    const Y = Math.min(layers.height - 1, Math.floor(y / layers.f));
    if (layers.label[Y * layers.width + X] === 1) grid = layers.second;
  }
  out[0] = sampleGrid(grid, u, v, 0);
  out[1] = sampleGrid(grid, u, v, 1);
}

/**
 * Splits the measured nodes into two depth layers by 2-means on their shifts
 * (full-resolution pixels); null when the groups are not clearly apart or one
 * is too small to carry a flow of its own.
 */
function splitLayers(grid: Grid, kind: Uint8Array, f: number): Uint8Array | null {
  const n = kind.length;
  const nodes: number[] = [];
  for (let g = 0; g < n; g++) if (kind[g] === FIXED) nodes.push(g);
  const dx = (g: number) => grid.data[g * 2];
  const dy = (g: number) => grid.data[g * 2 + 1];
  const xs = nodes.map(dx).sort((a, b) => a - b);
  const ys = nodes.map(dy).sort((a, b) => a - b);
  let a = [xs[xs.length >> 1], ys[ys.length >> 1]];
  // The node farthest from the median shift seeds the second group.
  let far = nodes[0];
  for (const g of nodes) if (Math.hypot(dx(g) - a[0], dy(g) - a[1]) > Math.hypot(dx(far) - a[0], dy(far) - a[1])) far = g;
  let b = [dx(far), dy(far)];
  const layer = new Uint8Array(n);
  let countB = 0;
  for (let iteration = 0; iteration < 12; iteration++) {
    const sa = [0, 0, 0];
    const sb = [0, 0, 0];
    for (const g of nodes) {
      const toB = Math.hypot(dx(g) - b[0], dy(g) - b[1]) < Math.hypot(dx(g) - a[0], dy(g) - a[1]);
      layer[g] = toB ? 1 : 0;
      const s = toB ? sb : sa;
      s[0] += dx(g);
      s[1] += dy(g);
      s[2]++;
    }
    if (sa[2] === 0 || sb[2] === 0) return null;
    a = [sa[0] / sa[2], sa[1] / sa[2]];
    b = [sb[0] / sb[2], sb[1] / sb[2]];
    countB = sb[2];
  }
  const countA = nodes.length - countB;
  if (Math.hypot(a[0] - b[0], a[1] - b[1]) < Math.max(MIN_LAYER_GAP, 1.5 * f)) return null;
  if (Math.min(countA, countB) < MIN_LAYER_NODES) return null;
  return layer;
}

/**
 * Which layer each working pixel shows. The reference shows the scene
 * behind the object, so its own edges say where one layer ends: each layer
 * is grown through the (homography-warped) reference from the points where
 * its ring nodes land, by geodesic distance that costs more across colour
 * edges. A pixel shows layer k when the point that layer k's flow sends it
 * to lies geodesically nearest to layer k's own seeds.
 */
function labelLayers(
  rgb: Float32Array,
  valid: Uint8Array,
  w: number,
  h: number,
  f: number,
  flows: Grid[],
  layerOf: Uint8Array,
  kind: Uint8Array,
): Uint8Array {
  const n = w * h;
  const gw = flows[0].width;
  const distances = flows.map((flow, k) => {
    const dist = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
    for (let g = 0; g < kind.length; g++) {
      if (kind[g] !== FIXED || layerOf[g] !== k) continue;
      const gx = g % gw;
      const gy = (g - gx) / gw;
      const X = Math.min(w - 1, gx * NODE_STEP + (NODE_STEP >> 1));
      const Y = Math.min(h - 1, gy * NODE_STEP + (NODE_STEP >> 1));
      const sx = Math.round(X + flow.data[g * 2] / f);
      const sy = Math.round(Y + flow.data[g * 2 + 1] / f);
      if (sx >= 0 && sy >= 0 && sx < w && sy < h) dist[sy * w + sx] = 0;
    }
    geodesic(dist, rgb, valid, w, h);
    return dist;
  });
  const label = new Uint8Array(n);
  const at = (dist: Float32Array, x: number, y: number) => {
    const X = Math.round(x);
    const Y = Math.round(y);
    return X < 0 || Y < 0 || X >= w || Y >= h ? Number.POSITIVE_INFINITY : dist[Y * w + X];
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Each layer's flow, at this pixel's cell, in working pixels.
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      flows.forEach((flow, k) => {
        const u = (x + 0.5) / NODE_STEP;
        const v = (y + 0.5) / NODE_STEP;
        const d = at(distances[k], x + sampleGrid(flow, u, v, 0) / f, y + sampleGrid(flow, u, v, 1) / f);
        if (d < bestDistance) {
          bestDistance = d;
          best = k;
        }
      });
      label[y * w + x] = best;
    }
  }
  return label;
}

/**
 * Geodesic distance in place, from the zeros of `dist`: each step costs 1
 * plus EDGE_COST per unit of colour difference (summed over RGB). Alternating
 * forward and backward raster passes (a chamfer approximation).
 */
function geodesic(dist: Float32Array, rgb: Float32Array, valid: Uint8Array, w: number, h: number): void {
  const step = (i: number, j: number) => {
    if (!valid[j]) return;
    const c = Math.abs(rgb[i * 3] - rgb[j * 3]) + Math.abs(rgb[i * 3 + 1] - rgb[j * 3 + 1]) + Math.abs(rgb[i * 3 + 2] - rgb[j * 3 + 2]);
    const d = dist[j] + 1 + EDGE_COST * c;
    if (d < dist[i]) dist[i] = d;
  };
  for (let pass = 0; pass < GEODESIC_PASSES; pass++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!valid[i]) continue;
        if (x > 0) step(i, i - 1);
        if (y > 0) step(i, i - w);
      }
    }
    for (let y = h - 1; y >= 0; y--) {
      for (let x = w - 1; x >= 0; x--) {
        const i = y * w + x;
        if (!valid[i]) continue;
        if (x < w - 1) step(i, i + 1);
        if (y < h - 1) step(i, i + w);
      }
    }
  }
}

/** Best sub-pixel shift of the patch at (X, Y), or null when the match is not trustworthy. */
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
): [number, number] | null {
  const R = PATCH + SEARCH;
  if (X - R < 0 || Y - R < 0 || X + R >= w || Y + R >= h) return null;
  let mean = 0;
  let sq = 0;
  for (let dy = -PATCH; dy <= PATCH; dy++) {
    for (let dx = -PATCH; dx <= PATCH; dx++) {
      const i = (Y + dy) * w + X + dx;
      if (cellHole[i]) return null;
      mean += target[i];
      sq += target[i] * target[i];
    }
  }
  mean /= patchSize;
  const variance = sq / patchSize - mean * mean;
  if (variance < MIN_TEXTURE * MIN_TEXTURE) return null;
  const side = 2 * SEARCH + 1;
  let best = -1;
  for (let sy = -SEARCH; sy <= SEARCH; sy++) {
    for (let sx = -SEARCH; sx <= SEARCH; sx++) {
      let rMean = 0;
      let ok = true;
      for (let dy = -PATCH; dy <= PATCH && ok; dy++) {
        for (let dx = -PATCH; dx <= PATCH; dx++) {
          const j = (Y + dy + sy) * w + X + dx + sx;
          if (!valid[j]) {
            ok = false;
            break;
          }
          rMean += ref[j];
        }
      }
      const k = (sy + SEARCH) * side + sx + SEARCH;
      if (!ok) {
        costs[k] = Number.POSITIVE_INFINITY;
        continue;
      }
      rMean /= patchSize;
      let cost = 0;
      for (let dy = -PATCH; dy <= PATCH; dy++) {
        for (let dx = -PATCH; dx <= PATCH; dx++) {
          const d = target[(Y + dy) * w + X + dx] - mean - (ref[(Y + dy + sy) * w + X + dx + sx] - rMean);
          cost += d * d;
        }
      }
      costs[k] = cost / patchSize;
      if (best < 0 || costs[k] < costs[best]) best = k;
    }
  }
  if (best < 0) return null;
  const centre = SEARCH * side + SEARCH;
  const bestCost = costs[best];
  // A good match (error well below the patch's own variance) that beats no shift clearly (or is no shift).
  if (bestCost > 0.25 * variance) return null;
  if (best !== centre && !(bestCost < 0.7 * costs[centre])) return null;
  const bx = (best % side) - SEARCH;
  const by = Math.floor(best / side) - SEARCH;
  // On the search window's rim the true shift may lie outside it.
  if (Math.abs(bx) === SEARCH || Math.abs(by) === SEARCH) return null;
  return [
    bx + parabolaOffset(costs[best - 1], bestCost, costs[best + 1]),
    by + parabolaOffset(costs[best - side], bestCost, costs[best + side]),
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
