/**
 * Structure propagation along curves (Sun, Yuan, Jia and Shum, "Image
 * Completion with Structure Propagation", SIGGRAPH 2005, §3).
 *
 * Anchors are spaced along the part of a curve that lies in the hole; each
 * one takes its content from a position on the same curve outside the hole
 * (the curve's known stretches, see pairing.ts). The positions are chosen
 * jointly by dynamic programming over the chain of anchors, minimising
 *   Σ_k E_I(k) + Σ_k E_2(k, k+1) + λ·Σ_k |t_source − t_anchor|
 * where E_I is the disagreement with known pixels under the anchor's window
 * (at the hole's edge), E_2 the disagreement of neighbouring anchors where
 * their windows overlap, and the last term prefers nearby sources. E_S, the
 * structure term of the paper, is zero by construction: every candidate lies
 * on the curve itself. Where the hole's edge is under an anchor, E_I is also
 * a constraint: only sources whose copy meets the known pixels there are
 * allowed (`MAX_EDGE_MISMATCH`), and a curve with no such source is dropped.
 *
 * Content is described in curve coordinates: arc length t along the curve and
 * signed distance u across it. The band |u| ≤ half-width is copied at full
 * resolution, anchor by anchor, each anchor's stretch translated by the whole
 * number of pixels that takes its position on the curve to its source's (the
 * patches of Sun et al.), so a cable's cross-section is carried along the
 * cable, never resampled. Between two anchors' centres the two copies are
 * mixed linearly (as overlapping patches are blended), so a change of source
 * or of colour offset does not leave a step across the band.
 */
import type { Rect, RgbaImage } from "../../image.js";
import { bilinearKnownRgb, type FloatImage } from "../resample.js";
import { anchorSumsInWasm, copyBandInWasm, stampNearestInWasm } from "../wasm/structure.js";
import type { StructureCurve } from "./pairing.js";

/** Analysis image and its mapping to the full-resolution photo. */
export interface PropagationFrame {
  /** Low-resolution analysis image of the crop (RGB, 0–255) and its hole (any pixel of the cell). */
  low: FloatImage;
  lowHole: Uint8Array;
  /** Full-resolution photo, its hole plane, the crop the analysis image covers and the integer factor between them. */
  image: RgbaImage;
  hole: Uint8Array;
  crop: Rect;
  scale: number;
}

const MAX_CANDIDATES = 40;
/** Arc length by which neighbouring anchors' windows overlap on each side (px). */
const OVERLAP = 2;
/** λ: preference for nearby sources, in mean-squared-difference units per pixel of arc. */
const DISTANCE_COST = 2;
/** Cost of a source whose tangent is turned against the anchor's, per unit of (1 − cos): 1000·θ²/2, e.g. 15 at 10°. */
const ANGLE_COST = 1000;
/**
 * Largest mean squared difference (grey levels², ≈ 30²) between a copy and
 * the known pixels under its anchor's window. Sources beyond it are not
 * allowed at that anchor, so the chain of anchors must meet the known pixels
 * at both ends of the hole. Before, the check came after the dynamic
 * programming, and dropped a curve whose cheapest chain (one stretch copied
 * on from the near side, every join free) missed the known pixels somewhere
 * although another source fitted there: a plank gap of the dock at 1024
 * (its planks widen towards the camera) met the far edge at 1551 where the
 * far side's own stretch fitted at 384; a facade floor line at 2048 missed
 * at 7147 where a source 17 px behind the near edge fitted at 24. Where no
 * source fits, the curve is dropped, unless the window holds no more known
 * samples than one cross-section of the band (2·half-width + 1): where the
 * hole's outline only grazes a window (between the legs, at the neck), one
 * to four samples on the band's edge decide the mean and say little about
 * the structure (the dock's gap fits its 4 samples there at 1512 at best;
 * half a cross-section or two gave the same on the tuning half).
 * Tuning half, mean of five seeds: 1024 +0.02 dB (dock +0.16), 2048
 * +0.14 dB (facade +1.27), every other case unchanged; without the grazing
 * exception the dock's gap is still dropped, and with the exception alone
 * (the check kept after the dynamic programming) the facade gained only
 * +0.92 dB and the dock nothing.
 */
const MAX_EDGE_MISMATCH = 900;
/** Width (analysis px) beside each band copied along the curve and offered to the paste (see pasteStructure). */
const SIDE_EXTRA = 3;
/** Value of `remaining` on a hole pixel beside a band (still filled by the texture fill). */
export const SIDE = 2;

/** Position and unit left normal of a curve at arc length t (clamped to the polyline). */
function locate(c: StructureCurve, t: number, out: Float32Array): void {
  const { arc, points } = c;
  const n = arc.length;
  let lo = 0;
  let hi = n - 1;
  if (t <= arc[0]) hi = 1;
  else if (t >= arc[n - 1]) lo = n - 2;
  else {
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (arc[mid] <= t) lo = mid;
      else hi = mid;
    }
  }
  lo = Math.max(0, Math.min(lo, n - 2));
  hi = lo + 1;
  const span = arc[hi] - arc[lo];
  const f = span > 1e-6 ? (t - arc[lo]) / span : 0;
  const ax = points[2 * lo];
  const ay = points[2 * lo + 1];
  const bx = points[2 * hi];
  const by = points[2 * hi + 1];
  let tx = bx - ax;
  let ty = by - ay;
  const len = Math.hypot(tx, ty) || 1;
  tx /= len;
  ty /= len;
  out[0] = ax + (bx - ax) * f;
  out[1] = ay + (by - ay) * f;
  out[2] = ty;
  out[3] = -tx;
}

/** The anchors of a curve and the source arc position chosen for each. */
export interface AnchorPlan {
  /** Arc length of the first anchor's centre and the spacing between anchors. */
  first: number;
  spacing: number;
  /** Chosen source arc length per anchor. */
  source: Float32Array;
  /**
   * Colour offsets (RGB) added to each anchor's copy, one per position across
   * the band (`across` of them, from −halfWidth to +halfWidth; anchor k,
   * position u at (k·across + u)·3): the difference between the band's mean
   * colour expected there (interpolated along the curve between its known
   * ends, at that position across) and the chosen source's at that position,
   * so that slow shading along the structure (a horizon brightening towards
   * the sun) does not step at every change of source. Per position, because
   * the two sides of an edge shade on their own: a wall that brightens below
   * a ridge while the sky above stays (one offset for the whole band lit the
   * sky with the wall's change: a lighter block over the ridge on flat
   * wallpapers). Detail is still copied, not blended.
   */
  offset: Float32Array;
  /** Positions across the band that `offset` holds per anchor (2·halfWidth + 1). */
  across: number;
}

/**
 * Mean colour of the known samples of the band window centred at arc length
 * t, into `mean`, and at each position across it (U = 2·hw + 1 of them), into
 * `profile`, where a position has none, the window's mean; false (and both
 * left unset) when no sample is known.
 */
function windowMeans(
  c: StructureCurve,
  frame: PropagationFrame,
  t: number,
  reach: number,
  hw: number,
  mean: Float32Array,
  profile: Float32Array,
): boolean {
  const at = new Float32Array(4);
  const tmp = new Float32Array(3);
  const U = 2 * hw + 1;
  const counts = new Int32Array(U);
  let n = 0;
  mean.fill(0);
  profile.fill(0);
  for (let d = -reach; d <= reach; d++) {
    locate(c, t + d, at);
    for (let u = 0; u < U; u++) {
      if (!bilinearKnownRgb(frame.low, frame.lowHole, at[0] + at[2] * (u - hw), at[1] + at[3] * (u - hw), tmp, 0)) continue;
      for (let ch = 0; ch < 3; ch++) {
        mean[ch] += tmp[ch];
        profile[u * 3 + ch] += tmp[ch];
      }
      counts[u]++;
      n++;
    }
  }
  if (n === 0) return false;
  for (let ch = 0; ch < 3; ch++) mean[ch] /= n;
  for (let u = 0; u < U; u++) {
    for (let ch = 0; ch < 3; ch++) profile[u * 3 + ch] = counts[u] > 0 ? profile[u * 3 + ch] / counts[u] : mean[ch];
  }
  return true;
}

/**
 * Chooses each anchor's source on the curve by dynamic programming; null when
 * the curve has no usable source. The windows' and strips' squared
 * differences are summed in WebAssembly unless `wasm` is false (tests): the
 * same sums.
 */
export function planAnchors(c: StructureCurve, frame: PropagationFrame, wasm = true): AnchorPlan | null {
  const { low, lowHole } = frame;
  const hw = c.halfWidth;
  const spacing = Math.max(3, hw);
  const K = Math.max(1, Math.ceil(c.end / spacing));
  const first = spacing / 2 - (K * spacing - c.end) / 2;
  const reach = Math.ceil(spacing / 2) + OVERLAP;
  const D = 2 * reach + 1;
  const U = 2 * hw + 1;
  const stride = D * U * 3;

  // Candidate source positions: windows entirely on a known stretch of the curve.
  // On the anchors' grid shifted by whole pixels, so that a straight stretch is
  // compared (and later copied) at the same sub-pixel phase as the target.
  const positions: number[] = [];
  for (const [from, to] of c.sources) {
    for (let t = first + Math.floor(to - reach - first); t >= from + reach; t--) positions.push(t);
  }
  if (positions.length === 0) return null;
  const pick: number[] = [];
  const every = Math.max(1, positions.length / MAX_CANDIDATES);
  for (let k = 0; k < positions.length && pick.length < MAX_CANDIDATES; k++) {
    const p = positions[Math.floor(k * every)];
    if (p === undefined) break;
    pick.push(p);
  }
  const at = new Float32Array(4);
  const S = D * U;
  // Every usable candidate's strip, side by side in one plane (the sums below read them all at once).
  const strips = new Float32Array(pick.length * stride);
  const candidates: number[] = [];
  for (const p of pick) {
    const strip = strips.subarray(candidates.length * stride, (candidates.length + 1) * stride);
    let ok = true;
    for (let d = 0; d < D && ok; d++) {
      locate(c, p + d - reach, at);
      for (let u = 0; u < U; u++) {
        const off = u - hw;
        if (!bilinearKnownRgb(low, lowHole, at[0] + at[2] * off, at[1] + at[3] * off, strip, (d * U + u) * 3)) {
          ok = false;
          break;
        }
      }
    }
    if (ok) candidates.push(p);
  }
  const M = candidates.length;
  if (M === 0) return null;
  const stripOf = (m: number) => strips.subarray(m * stride, (m + 1) * stride);

  // Copies are translations: on a curve, a source whose tangent is turned would paste the structure askew.
  const normalX = new Float32Array(M);
  const normalY = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    locate(c, candidates[m], at);
    normalX[m] = at[2];
    normalY[m] = at[3];
  }
  // What is known under each anchor's window, its mask and count, and the curve's normal at the anchor.
  const known = new Float32Array(K * stride);
  const mask = new Uint8Array(K * S);
  const counts = new Int32Array(K);
  const anchorX = new Float32Array(K);
  const anchorY = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    const tk = first + k * spacing;
    locate(c, tk, at);
    anchorX[k] = at[2];
    anchorY[k] = at[3];
    for (let d = 0; d < D; d++) {
      locate(c, tk + d - reach, at);
      for (let u = 0; u < U; u++) {
        const off = u - hw;
        if (bilinearKnownRgb(low, lowHole, at[0] + at[2] * off, at[1] + at[3] * off, known, k * stride + (d * U + u) * 3)) {
          mask[k * S + d * U + u] = 1;
          counts[k]++;
        }
      }
    }
  }
  // The squared differences of every window against every strip, and of every strip's overlap with every other's.
  const sums = new Float64Array(K * M);
  const pairSums = new Float64Array(M * M);
  if (!wasm || !anchorSumsInWasm(strips, known, mask, M, K, D, U, spacing, sums, pairSums)) {
    anchorSums(strips, known, mask, M, K, D, U, spacing, sums, pairSums);
  }
  // E_I: agreement with what is known under each anchor's window (+∞ for a source not allowed there).
  const unary = new Float32Array(K * M);
  // Mean squared difference per known sample, per candidate, at the current anchor.
  const fit = new Float32Array(M);
  for (let k = 0; k < K; k++) {
    const tk = first + k * spacing;
    const count = counts[k];
    let fits = false;
    for (let m = 0; m < M; m++) {
      const ssd = sums[k * M + m];
      unary[k * M + m] =
        ssd / (D * U * 3) +
        DISTANCE_COST * Math.abs(candidates[m] - tk) +
        ANGLE_COST * (1 - (normalX[m] * anchorX[k] + normalY[m] * anchorY[k]));
      fit[m] = count > 0 ? ssd / (count * 3) : 0;
      if (fit[m] <= MAX_EDGE_MISMATCH) fits = true;
    }
    // Where the hole's edge is under the window, the copy must look like what
    // is really there; where no source does, the pairing or the curve was
    // wrong, and no structure beats wrong structure.
    if (count > 0 && fits) {
      for (let m = 0; m < M; m++) if (fit[m] > MAX_EDGE_MISMATCH) unary[k * M + m] = Number.POSITIVE_INFINITY;
    } else if (count > U) return null;
  }

  // E_2 and the Viterbi pass: the overlap of anchor k (positions d ≥ spacing) with k+1 (d − spacing).
  const overlap = D - spacing;
  const pair = new Float32Array(M * M);
  if (overlap > 0) for (let i = 0; i < M * M; i++) pair[i] = pairSums[i] / (overlap * U * 3);
  const cost = new Float32Array(K * M);
  const from = new Int32Array(K * M);
  for (let m = 0; m < M; m++) cost[m] = unary[m];
  for (let k = 1; k < K; k++) {
    for (let n = 0; n < M; n++) {
      let best = Number.POSITIVE_INFINITY;
      let arg = 0;
      for (let m = 0; m < M; m++) {
        // A source that simply continues its predecessor's stretch costs nothing to join.
        const join = Math.abs(candidates[n] - candidates[m] - spacing) < 0.5 ? 0 : pair[m * M + n];
        const v = cost[(k - 1) * M + m] + join;
        if (v < best) {
          best = v;
          arg = m;
        }
      }
      cost[k * M + n] = best + unary[k * M + n];
      from[k * M + n] = arg;
    }
  }
  let arg = 0;
  for (let m = 1; m < M; m++) if (cost[(K - 1) * M + m] < cost[(K - 1) * M + arg]) arg = m;
  const source = new Float32Array(K);
  const chosen = new Int32Array(K);
  for (let k = K - 1; k >= 0; k--) {
    source[k] = candidates[arg];
    chosen[k] = arg;
    arg = from[k * M + arg];
  }
  // Expected band colour at both ends (the windows just outside the hole), interpolated along the curve.
  const startMean = new Float32Array(3);
  const endMean = new Float32Array(3);
  const startProfile = new Float32Array(U * 3);
  const endProfile = new Float32Array(U * 3);
  const hasStart = windowMeans(c, frame, -reach - 1, reach, hw, startMean, startProfile);
  const hasEnd = c.kind === "pair" && windowMeans(c, frame, c.end + reach + 1, reach, hw, endMean, endProfile);
  const offset = new Float32Array(K * U * 3);
  if (hasStart || hasEnd) {
    if (!hasEnd) endProfile.set(startProfile);
    if (!hasStart) startProfile.set(endProfile);
    for (let k = 0; k < K; k++) {
      const f = c.end > 0 ? Math.max(0, Math.min(1, (first + k * spacing) / c.end)) : 0;
      const strip = stripOf(chosen[k]);
      for (let u = 0; u < U; u++) {
        for (let ch = 0; ch < 3; ch++) {
          let mean = 0;
          for (let d = 0; d < D; d++) mean += strip[(d * U + u) * 3 + ch];
          const expected = startProfile[u * 3 + ch] + (endProfile[u * 3 + ch] - startProfile[u * 3 + ch]) * f;
          offset[(k * U + u) * 3 + ch] = expected - mean / D;
        }
      }
    }
  }
  return { first, spacing, source, offset, across: U };
}

/**
 * The in-hole vertices of a curve (from t = 0 to t = end) and the box of
 * analysis pixels around them that its band and side strip can reach
 * (clipped to the w×h analysis image); null when the curve has no in-hole part.
 */
export function inHoleBox(
  c: StructureCurve,
  w: number,
  h: number,
): { i0: number; i1: number; lx0: number; ly0: number; lx1: number; ly1: number } | null {
  const { arc, points } = c;
  let i0 = 0;
  while (i0 < arc.length - 1 && arc[i0 + 1] <= 0) i0++;
  let i1 = arc.length - 1;
  while (i1 > 0 && arc[i1 - 1] >= c.end) i1--;
  if (i1 <= i0) return null;
  const margin = c.halfWidth + SIDE_EXTRA + 2;
  let bx0 = Number.POSITIVE_INFINITY;
  let by0 = Number.POSITIVE_INFINITY;
  let bx1 = Number.NEGATIVE_INFINITY;
  let by1 = Number.NEGATIVE_INFINITY;
  for (let i = i0; i <= i1; i++) {
    bx0 = Math.min(bx0, points[2 * i]);
    bx1 = Math.max(bx1, points[2 * i]);
    by0 = Math.min(by0, points[2 * i + 1]);
    by1 = Math.max(by1, points[2 * i + 1]);
  }
  const lx0 = Math.max(0, Math.floor(bx0 - margin));
  const ly0 = Math.max(0, Math.floor(by0 - margin));
  const lx1 = Math.min(w - 1, Math.ceil(bx1 + margin));
  const ly1 = Math.min(h - 1, Math.ceil(by1 + margin));
  if (lx1 < lx0 || ly1 < ly0) return null;
  return { i0, i1, lx0, ly0, lx1, ly1 };
}

/** Index of the known pixel that (X, Y) copies under a translation by (dx, dy); −1 if it is off the photo or in the hole. */
function sourceIndex(X: number, Y: number, dx: number, dy: number, W: number, H: number, hole: Uint8Array): number {
  const x = X + dx;
  const y = Y + dy;
  if (x < 0 || y < 0 || x >= W || y >= H) return -1;
  const a = y * W + x;
  return hole[a] === 0 ? a : -1;
}

/**
 * The full-resolution rectangle (image coordinates) that `copyAlong` may
 * write for a curve: its `inHoleBox` mapped through the frame.
 */
export function bandRect(c: StructureCurve, frame: PropagationFrame): Rect | null {
  const { crop, scale: q, low } = frame;
  const box = inHoleBox(c, low.width, low.height);
  if (box === null) return null;
  const x = crop.x + box.lx0 * q;
  const y = crop.y + box.ly0 * q;
  const width = Math.min(crop.x + crop.width, crop.x + (box.lx1 + 1) * q) - x;
  const height = Math.min(crop.y + crop.height, crop.y + (box.ly1 + 1) * q) - y;
  return width > 0 && height > 0 ? { x, y, width, height } : null;
}

/**
 * Writes the band along the curve's in-hole part into `band` (full-resolution
 * RGBA over `rect`, which holds the curve's `bandRect`), pixel by pixel from
 * the planned sources, and clears the written pixels in `remaining` (a plane
 * over `rect`: 1 on the hole not covered by a band). The strip `SIDE_EXTRA` wide beside the band is written too and
 * marked `SIDE` there, unless a band already holds it. Only hole pixels are
 * written, only from known ones. Returns how many band pixels left the hole.
 */
export function copyAlong(
  c: StructureCurve,
  plan: AnchorPlan,
  frame: PropagationFrame,
  band: Uint8ClampedArray,
  remaining: Uint8Array,
  rect: Rect,
  wasm = true,
): number {
  const { image, hole, crop, scale: q, low } = frame;
  const W = image.width;
  const src = image.data;
  const hw = c.halfWidth;
  // A bar's two sides are one region: no strip beside it has the other side's content to correct.
  const side = hw + (c.kind === "bar" ? 0 : SIDE_EXTRA);
  const { arc, points } = c;
  const box = inHoleBox(c, low.width, low.height);
  if (box === null) return 0;
  const { i0, i1, lx0, ly0, lx1, ly1 } = box;
  const margin = side + 2;
  const mw = lx1 - lx0 + 1;
  const mh = ly1 - ly0 + 1;
  const nearestSeg = new Int32Array(mw * mh);
  const nearestDist = new Float32Array(mw * mh);
  if (!wasm || !stampNearestInWasm(points, i0, i1, box, margin, nearestDist, nearestSeg)) {
    stampNearest(points, i0, i1, box, margin, nearestDist, nearestSeg);
  }

  const at = new Float32Array(4);
  const K = plan.source.length;
  const U = plan.across;
  const shiftX = new Int32Array(K);
  const shiftY = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    locate(c, plan.first + k * plan.spacing, at);
    const tx = at[0];
    const ty = at[1];
    locate(c, plan.source[k], at);
    shiftX[k] = Math.round((at[0] - tx) * q);
    shiftY[k] = Math.round((at[1] - ty) * q);
  }
  let count = 0;
  const X0 = crop.x + lx0 * q;
  const Y0 = crop.y + ly0 * q;
  const X1 = Math.min(crop.x + crop.width, crop.x + (lx1 + 1) * q);
  const Y1 = Math.min(crop.y + crop.height, crop.y + (ly1 + 1) * q);
  const H = image.height;
  if (wasm) {
    const drawn = copyBandInWasm({
      image,
      hole,
      crop,
      q,
      box: { X0, Y0, X1, Y1 },
      cells: { lx0, ly0, mw, mh, nearestSeg, nearestDist },
      points,
      arc,
      i0,
      i1,
      end: c.end,
      halfWidth: hw,
      side,
      first: plan.first,
      spacing: plan.spacing,
      shiftX,
      shiftY,
      offset: plan.offset,
      across: U,
      band,
      remaining,
      rect,
      sideMark: SIDE,
    });
    if (drawn !== null) return drawn;
  }
  // Each in-hole segment's length, once: the loop below projects every band pixel onto three of them.
  const segmentLength = new Float64Array(Math.max(0, i1 - i0));
  for (let i = i0; i < i1; i++) {
    const sx = points[2 * i + 2] - points[2 * i];
    const sy = points[2 * i + 3] - points[2 * i + 1];
    segmentLength[i - i0] = Math.sqrt(sx * sx + sy * sy);
  }
  for (let Y = Y0; Y < Y1; Y++) {
    const ly = (Y - crop.y + 0.5) / q - 0.5;
    const my = Math.min(mh - 1, Math.max(0, Math.round(ly) - ly0));
    const rowOut = (Y - rect.y) * rect.width - rect.x;
    for (let X = X0; X < X1; X++) {
      if (hole[Y * W + X] === 0) continue;
      const p = rowOut + X;
      const lx = (X - crop.x + 0.5) / q - 0.5;
      const mx = Math.min(mw - 1, Math.max(0, Math.round(lx) - lx0));
      const seg = nearestSeg[my * mw + mx];
      // The cell centre is within 0.71 px of the pixel: farther than that from the band's edge, no projection can land in it.
      if (seg < 0 || nearestDist[my * mw + mx] > (side + 1) * (side + 1)) continue;
      // Exact projection onto the nearest of the three segments around the stamped one.
      let bestD = Number.POSITIVE_INFINITY;
      let bestT = 0;
      let bestU = 0;
      for (let s = Math.max(i0, seg - 1); s <= Math.min(i1 - 1, seg + 1); s++) {
        const len = segmentLength[s - i0];
        if (len < 1e-6) continue;
        const ax = points[2 * s];
        const ay = points[2 * s + 1];
        const sx = points[2 * s + 2] - ax;
        const sy = points[2 * s + 3] - ay;
        const along = ((lx - ax) * sx + (ly - ay) * sy) / len;
        const across = ((lx - ax) * sy - (ly - ay) * sx) / len;
        const over = along < 0 ? -along : along > len ? along - len : 0;
        const d = over * over + across * across;
        if (d < bestD) {
          bestD = d;
          bestT = arc[s] + (along * (arc[s + 1] - arc[s])) / len;
          // `across` is the coordinate along the left normal (ty, −tx) that `locate` uses.
          bestU = across;
        }
      }
      if (bestT < 0 || bestT > c.end || Math.abs(bestU) > side) continue;
      const beside = Math.abs(bestU) > hw;
      // Beside the band: offered to the paste, which takes it only where the fill put the other side's content; never over a band.
      if (beside && remaining[p] !== 1) continue;
      // Between two anchors' centres, their two copies are mixed linearly, so a change of source does not step.
      const position = Math.min(K - 1, Math.max(0, (bestT - plan.first) / plan.spacing));
      const k0 = Math.min(K - 1, Math.floor(position));
      const k1 = Math.min(K - 1, k0 + 1);
      const a0 = sourceIndex(X, Y, shiftX[k0], shiftY[k0], W, H, hole);
      const a1 = k1 === k0 ? -1 : sourceIndex(X, Y, shiftX[k1], shiftY[k1], W, H, hole);
      if (a0 < 0 && a1 < 0) continue;
      // Weight of the second anchor's copy (all of it, or none, where the other source is in the hole or off the photo).
      const f = a1 < 0 ? 0 : a0 < 0 ? 1 : position - k0;
      const a = f < 0.5 ? a0 : a1;
      const o = p * 4;
      // The offsets at the pixel's position across the band, linear between whole positions (the strip beside it
      // takes the band's edge's).
      const across = Math.max(0, Math.min(U - 1, bestU + hw));
      const ua = Math.floor(across);
      const ub = Math.min(U - 1, ua + 1);
      const tu = across - ua;
      for (let ch = 0; ch < 3; ch++) {
        const o0 = (1 - tu) * plan.offset[(k0 * U + ua) * 3 + ch] + tu * plan.offset[(k0 * U + ub) * 3 + ch];
        const o1 = (1 - tu) * plan.offset[(k1 * U + ua) * 3 + ch] + tu * plan.offset[(k1 * U + ub) * 3 + ch];
        const v0 = a0 < 0 ? 0 : src[a0 * 4 + ch] + o0;
        const v1 = a1 < 0 ? 0 : src[a1 * 4 + ch] + o1;
        band[o + ch] = (1 - f) * v0 + f * v1;
      }
      band[o + 3] = src[a * 4 + 3];
      if (beside) {
        remaining[p] = SIDE;
        continue;
      }
      if (remaining[p] !== 0) count++;
      remaining[p] = 0;
    }
  }
  return count;
}

/**
 * `anchorSumsInWasm`'s sums in TypeScript, operation for operation: for
 * anchor k and strip m, Σ (known − strip)² over the window's known samples
 * (`mask`), into `sums[k·M + m]`; where D > `spacing`, for strips m and n,
 * Σ over rows d ∈ [spacing, D) of (m's row d − n's row d − spacing)², into
 * `pairSums[m·M + n]`.
 */
function anchorSums(
  strips: Float32Array,
  known: Float32Array,
  mask: Uint8Array,
  M: number,
  K: number,
  D: number,
  U: number,
  spacing: number,
  sums: Float64Array,
  pairSums: Float64Array,
): void {
  const S = D * U;
  const stride = S * 3;
  for (let k = 0; k < K; k++) {
    for (let m = 0; m < M; m++) {
      let ssd = 0;
      for (let q = 0; q < S; q++) {
        if (mask[k * S + q] === 0) continue;
        const o = q * 3;
        const a = known[k * stride + o] - strips[m * stride + o];
        const b = known[k * stride + o + 1] - strips[m * stride + o + 1];
        const e = known[k * stride + o + 2] - strips[m * stride + o + 2];
        ssd += a * a + b * b + e * e;
      }
      sums[k * M + m] = ssd;
    }
  }
  if (D <= spacing) return;
  const row = U * 3;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < M; n++) {
      let ssd = 0;
      for (let d = spacing; d < D; d++) {
        const oa = m * stride + d * row;
        const ob = n * stride + (d - spacing) * row;
        for (let q = 0; q < row; q++) {
          const diff = strips[oa + q] - strips[ob + q];
          ssd += diff * diff;
        }
      }
      pairSums[m * M + n] = ssd;
    }
  }
}

/**
 * `stampNearestInWasm`'s stamping in TypeScript, operation for operation:
 * each cell of the box gets its least squared distance to the in-hole
 * segments i0 … i1 − 1 within `margin` of each segment's box, and that
 * segment (−1 and +∞ where none reaches; the first segment wins a tie).
 */
function stampNearest(
  points: Float32Array,
  i0: number,
  i1: number,
  box: { lx0: number; ly0: number; lx1: number; ly1: number },
  margin: number,
  nearestDist: Float32Array,
  nearestSeg: Int32Array,
): void {
  const { lx0, ly0, lx1, ly1 } = box;
  const mw = lx1 - lx0 + 1;
  // Squared distances: Math.hypot costs several times a square root here, in the drawing's hottest loop.
  nearestSeg.fill(-1);
  nearestDist.fill(Number.POSITIVE_INFINITY);
  for (let i = i0; i < i1; i++) {
    const ax = points[2 * i];
    const ay = points[2 * i + 1];
    const sx = points[2 * i + 2] - ax;
    const sy = points[2 * i + 3] - ay;
    const len2 = sx * sx + sy * sy;
    const xa = Math.max(lx0, Math.floor(Math.min(ax, ax + sx) - margin));
    const xb = Math.min(lx1, Math.ceil(Math.max(ax, ax + sx) + margin));
    const ya = Math.max(ly0, Math.floor(Math.min(ay, ay + sy) - margin));
    const yb = Math.min(ly1, Math.ceil(Math.max(ay, ay + sy) + margin));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const f = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * sx + (y - ay) * sy) / len2)) : 0;
        const ex = x - ax - f * sx;
        const ey = y - ay - f * sy;
        const d = ex * ex + ey * ey;
        const m = (y - ly0) * mw + (x - lx0);
        if (d < nearestDist[m]) {
          nearestDist[m] = d;
          nearestSeg[m] = i;
        }
      }
    }
  }
}
