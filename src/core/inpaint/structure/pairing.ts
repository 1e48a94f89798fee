/**
 * Which structure continues through the hole, and along which curve.
 *
 * 1. Entries: line segments (LSD, lsd.ts) found in a band around the hole
 *    whose extension reaches the hole within a small gap. Each entry keeps the
 *    point where it meets the hole, its direction into the hole, its width and
 *    its cross-section colours (left side, centre, right side). The two edges
 *    of a thin bar (a cable, a post) are merged into one entry on its axis;
 *    where only one edge of a band was found, the band behind it (followed
 *    across in the image) is an entry too.
 * 2. Pairing (after Sun, Yuan, Jia and Shum 2005, who had the user draw the
 *    curves, and the completion-by-pairing literature): two entries continue
 *    into each other when the chord between them leaves each at a small angle
 *    (collinear, or a smooth turn), their cross-sections look alike (sides
 *    swapped, since the second one is walked backwards) and their widths
 *    agree; mutual best pairs are taken greedily by cost. The joining curve is
 *    the cubic Bézier with the entries' tangents (a straight line when they are
 *    collinear), and must run inside the hole. Two straight ends do not join
 *    by a wide arc: lines that meet inside the hole make a corner.
 * 3. Endings: an unpaired entry whose straight extension meets a continued
 *    curve inside the hole ends there (a T-junction), if a side colour of the
 *    two matches; two unpaired entries
 *    whose extensions cross inside the hole end at their crossing (a corner);
 *    a bar (a line with alike sides: a pole, a mast) that no entry across the
 *    hole faces runs halfway to where its line leaves the hole. Any other
 *    unpaired entry is not continued: the region it bounds is closed off by
 *    the texture fill.
 * Pure geometry and colour statistics on a low-resolution float image.
 */
import { bilinearKnownRgb, type FloatImage } from "../resample.js";
import { straightFitInWasm } from "../wasm/structure.js";
import type { ChainEnd } from "./edges.js";
import type { LineSegment } from "./lsd.js";

/** Where a segment enters the hole, in analysis-image pixels (centres at integers). */
export interface Entry {
  x: number;
  y: number;
  /** Unit direction into the hole. */
  dx: number;
  dy: number;
  /** Cross-section width of the structure (px). */
  width: number;
  /** Length of the known segment behind the entry point (px): where sources come from. */
  length: number;
  /** Mean RGB on the left of the direction, on the axis, and on the right. */
  profile: Float32Array;
  /** Length × contrast: how sure we are that this is structure. */
  strength: number;
  /**
   * For an edge chain's end (edges.ts): the smoothed chain from the entry
   * outwards, and its signed curvature walking into the hole. Absent for a
   * straight segment, which runs back along (−dx, −dy).
   */
  trail?: Float32Array;
  curvature?: number;
  /**
   * For a band found behind a single edge (`bandsBehindEdges`): the index of
   * that edge's entry. The two are one structure, so pairing either one uses both up.
   */
  edge?: number;
}

/** A curve through the hole that structure propagation fills along. */
export interface StructureCurve {
  /** Polyline vertices (x, y pairs) from the first entry's source end to the far end. */
  points: Float32Array;
  /** Arc length at each vertex; 0 at the first entry point. */
  arc: Float32Array;
  /** Arc length where the curve leaves the hole at the far entry (or stops). */
  end: number;
  /** Known source stretches along the curve: [from, to] arc lengths. */
  sources: [number, number][];
  /** Half-width of the band copied along the curve (px). */
  halfWidth: number;
  /** Through-curve (paired), or an ending (T-junction, corner, or a bar that stops inside the hole). */
  kind: "pair" | "junction" | "corner" | "bar";
}

export interface PairingOptions {
  /** Largest angle between an entry's direction and the chord to its partner. Default 30°. */
  maxChordAngle?: number;
  /** Largest mean absolute colour difference of two cross-sections (0–255 scale). Default 40. */
  maxProfileDifference?: number;
  /** A straight pair's line fitting samples in WebAssembly where it runs (the same lines); false: in TypeScript. Default true. */
  wasm?: boolean;
}

const GAP = 3;
/** Largest chord angle for an S-shaped (inflected) join. */
const S_CURVE_ANGLE = (6 * Math.PI) / 180;
/** Sideways offset (px) up to which two parallel straight entries can still be one line (the entries' own error). */
const PARALLEL_OFFSET = 1.5;
/** Below this chord angle a pair is treated as one straight line along the chord. */
const COLLINEAR_ANGLE = (4 * Math.PI) / 180;
/** Corners are only made between clearly different directions, closer to square than to straight. */
const CORNER_MIN_ANGLE = (50 * Math.PI) / 180;
/**
 * Largest half-width of a band (analysis px). Wider, a band carries the
 * texture beside the structure (a treeline over a horizon, 22 px wide at
 * 2048), which the fill renders better than a copy from along the curve.
 * Tuning half: 8 gave +0.04 dB at 2048 (lake +0.30 dB, lineR 0.75 → 0.95),
 * the same at 1024; 6 the same on the tuning half but −0.23 dB on a held-out
 * road; 10 lost 0.3 dB on the lake.
 */
const MAX_HALF_WIDTH = 8;
/** An unpaired entry is extended at most this many times its visible length. */
const MAX_EXTRAPOLATION = 1.5;
/**
 * A T-junction's stem, at most its visible length: a stem that must run on
 * further to meet a continued curve is more often something else's edge. On
 * photos no bench uses, 1.5 had drawn a chessboard's row edge, seen for 16
 * analysis px, 19 px on into a black square (−3.5 dB against the fill
 * without the step) and cost a sudoku hole 3.1 dB. Chosen on half A of
 * `study-structure-crossing.mjs` (0.75 chose the same); no change on the
 * structure bench's tuning half.
 */
const JUNCTION_EXTRAPOLATION = 1;
/** Mean absolute colour difference (0–255) up to which a cross-section still belongs to the same structure. */
const TRACE_TOLERANCE = 24;
/** A chain within this distance (px, plus half the segment's width) and angle of a segment's entry is the same edge. */
const DUPLICATE_DISTANCE = 4;
const DUPLICATE_ANGLE = (20 * Math.PI) / 180;
/** Cross-section width given to an edge chain (px): a step between two regions. */
const CHAIN_WIDTH = 2;
/** Luma step (grey levels) across an entry above which it is an edge between two regions, not a line. */
const EDGE_CONTRAST = 16;
/**
 * Widths (analysis px) of a band looked for behind a single edge. At most
 * `2 · (MAX_HALF_WIDTH − 1)`, so that the band copied along it still holds both of its edges.
 */
const MIN_BAND_WIDTH = 2;
const MAX_BAND_WIDTH = 2 * (MAX_HALF_WIDTH - 1);
/** Largest chord angle of a curved join (an arc turning by up to twice this). */
const CURVE_CHORD_ANGLE = (60 * Math.PI) / 180;
/**
 * Largest difference between a curved join's curvature and the chain's own at
 * each end, times the chord (radians of turn). Loose: a chain's curvature,
 * fitted over its last few dozen analysis pixels, is noisy (a saucer's rim
 * measured nearly straight at the hole, a test disc's rim four times too
 * curved); on the tuning half, 0.6 and 1.0 rejected the saucer rim's join.
 */
const CURVATURE_TOLERANCE = 1.5;
/**
 * A curved join turning further than this between two ends that are both
 * straight (each end's own curvature times the chord under
 * `STRAIGHT_END_TURN`) is refused: two straight lines that meet inside the
 * hole make a corner, not a wide arc. On photos no bench uses (a sudoku
 * grid's thick lines, 1024 px) such arcs drew a quarter circle where the
 * truth has a corner (−2.1 and −0.8 dB against the fill without the step).
 * Chosen on the tuning half, where no join is refused by it; with 1.0 rad
 * instead of 0.5 the saucer's rim, measured nearly straight at the hole, lost its join at 2048.
 */
const STRAIGHT_END_MAX_TURN = (45 * Math.PI) / 180;
const STRAIGHT_END_TURN = 0.5;
/**
 * A loose bar (a pole, a mast, a post: a line whose two sides are alike) is
 * continued into the hole when its sides agree within this (mean absolute
 * difference, 0–255) and its axis stands out from them by `EDGE_CONTRAST`.
 */
const BAR_SIDES = 16;
/** A loose bar runs this share of the way to where its line leaves the hole. */
const BAR_REACH = 0.5;

function isHole(hole: Uint8Array, w: number, h: number, x: number, y: number): boolean {
  const xi = Math.round(x);
  const yi = Math.round(y);
  return xi >= 0 && yi >= 0 && xi < w && yi < h && hole[yi * w + xi] !== 0;
}

/**
 * Mean colours left of, on, and right of the axis through (x, y) with unit
 * direction (dx, dy), over `reach` pixels behind the point; null if too little is known.
 */
function crossSection(
  img: FloatImage,
  hole: Uint8Array,
  x: number,
  y: number,
  dx: number,
  dy: number,
  width: number,
  reach: number,
): Float32Array | null {
  const profile = new Float32Array(9);
  const counts = [0, 0, 0];
  const tmp = new Float32Array(3);
  const side = width / 2 + 1.5;
  const offsets = [side, 0, -side];
  for (let t = 1; t <= reach; t++) {
    const px = x - dx * t;
    const py = y - dy * t;
    for (let k = 0; k < 3; k++) {
      // Left of the direction (dx, dy) is (dy, −dx) in image coordinates (y down).
      if (!bilinearKnownRgb(img, hole, px + dy * offsets[k], py - dx * offsets[k], tmp, 0)) continue;
      for (let c = 0; c < 3; c++) profile[k * 3 + c] += tmp[c];
      counts[k]++;
    }
  }
  for (let k = 0; k < 3; k++) {
    if (counts[k] < 2) return null;
    for (let c = 0; c < 3; c++) profile[k * 3 + c] /= counts[k];
  }
  return profile;
}

/** Entries of the hole among `segments` (analysis-image coordinates, pixel centres at +0.5). */
export function findEntries(img: FloatImage, hole: Uint8Array, segments: LineSegment[], chains: ChainEnd[] = []): Entry[] {
  const { width: w, height: h } = img;
  const raw: Entry[] = [];
  for (const s of segments) {
    const x1 = s.x1 - 0.5;
    const y1 = s.y1 - 0.5;
    const x2 = s.x2 - 0.5;
    const y2 = s.y2 - 0.5;
    const length = Math.hypot(x2 - x1, y2 - y1);
    if (length < 1) continue;
    const ux = (x2 - x1) / length;
    const uy = (y2 - y1) / length;
    const ends: [number, number, number, number][] = [
      [x2, y2, ux, uy],
      [x1, y1, -ux, -uy],
    ];
    for (const [ex, ey, dx, dy] of ends) {
      const reachGap = GAP + s.width;
      let hit = -1;
      for (let g = 0.5; g <= reachGap; g += 0.5) {
        if (isHole(hole, w, h, ex + dx * g, ey + dy * g)) {
          hit = g;
          break;
        }
      }
      if (hit < 0) continue;
      // The entry point: the last known position on the axis before the hole.
      const px = ex + dx * Math.max(0, hit - 1);
      const py = ey + dy * Math.max(0, hit - 1);
      const known = length + Math.max(0, hit - 1);
      const profile = crossSection(img, hole, px, py, dx, dy, s.width, Math.min(known, 3 * s.width + 10));
      if (profile === null) continue;
      raw.push({ x: px, y: py, dx, dy, width: s.width, length: known, profile, strength: length * s.contrast });
    }
  }
  const merged = mergeBarEdges(img, hole, raw);
  for (const e of merged) e.length = traceBack(img, hole, e);
  const curved: Entry[] = [];
  for (const c of chains) {
    // A straight edge is LSD's (its line is fitted better); a chain adds what LSD saw only as short chords.
    const duplicate = merged.some(
      (e) => Math.hypot(e.x - c.x, e.y - c.y) <= DUPLICATE_DISTANCE + e.width / 2 && e.dx * c.dx + e.dy * c.dy >= Math.cos(DUPLICATE_ANGLE),
    );
    if (duplicate) continue;
    let length = 0;
    for (let i = 2; i < c.trail.length; i += 2) length += Math.hypot(c.trail[i] - c.trail[i - 2], c.trail[i + 1] - c.trail[i - 1]);
    let meets = false;
    for (let g = 0.5; g <= GAP + 2 && !meets; g += 0.5) meets = isHole(hole, w, h, c.x + c.dx * g, c.y + c.dy * g);
    if (!meets) continue;
    const profile = crossSection(img, hole, c.x, c.y, c.dx, c.dy, CHAIN_WIDTH, Math.min(length, 8));
    if (profile === null) continue;
    curved.push({
      x: c.x,
      y: c.y,
      dx: c.dx,
      dy: c.dy,
      width: CHAIN_WIDTH,
      length,
      profile,
      strength: length * c.contrast,
      trail: c.trail,
      curvature: c.curvature,
    });
  }
  const all = [...merged, ...curved];
  const kept = [...dropRepeated(merged, merged), ...dropRepeated(curved, all)];
  return [...kept, ...bandsBehindEdges(img, hole, kept)];
}

/** How far behind an entry (px) its cross-section is averaged to find a band: the hole's edge is often oblique to it. */
const BAND_DEPTH = 10;

/** Luma of the known analysis image across an entry: `out[k]` at offset (k − R)/2 along its left normal, averaged over the known samples up to `BAND_DEPTH` behind it; NaN where none is known. */
function lumaAcross(img: FloatImage, hole: Uint8Array, e: Entry, out: Float32Array): void {
  const R = (out.length - 1) / 2;
  const tmp = new Float32Array(3);
  const depth = Math.max(1, Math.min(BAND_DEPTH, Math.floor(e.length)));
  for (let k = 0; k < out.length; k++) {
    const u = (k - R) / 2;
    let sum = 0;
    let n = 0;
    for (let t = 1; t <= depth; t++) {
      const px = e.x - e.dx * t + e.dy * u;
      const py = e.y - e.dy * t - e.dx * u;
      if (!bilinearKnownRgb(img, hole, px, py, tmp, 0)) continue;
      sum += 0.299 * tmp[0] + 0.587 * tmp[1] + 0.114 * tmp[2];
      n++;
    }
    out[k] = n === 0 ? Number.NaN : sum / n;
  }
}

/**
 * The band behind a single edge. Where only one edge of a wide line was
 * found on each side of the hole (the top edge of a facade's shadow line on
 * one side, its bottom edge on the other; one edge of a dark stripe), the two
 * entries have opposite polarity and never pair, though they bound the same
 * band. Across each edge entry, on each side, the luma is followed from the
 * other side's level through the step to its extreme and back past the
 * midpoint (the band's other edge) within `MAX_BAND_WIDTH`; that band becomes
 * an entry of its own on its axis, as wide as the band between the two
 * midpoint crossings, linked to its edge (`edge`).
 */
function bandsBehindEdges(img: FloatImage, hole: Uint8Array, entries: Entry[]): Entry[] {
  const { width: w, height: h } = img;
  const R = 2 * (MAX_BAND_WIDTH + 4);
  const across = new Float32Array(2 * R + 1);
  const luma = (p: Float32Array, k: number) => 0.299 * p[k * 3] + 0.587 * p[k * 3 + 1] + 0.114 * p[k * 3 + 2];
  const out: Entry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const l = luma(e.profile, 0);
    const c = luma(e.profile, 1);
    const r = luma(e.profile, 2);
    // A step: the sides differ, and the axis lies between them.
    if (Math.abs(l - r) < EDGE_CONTRAST || c < Math.min(l, r) - EDGE_CONTRAST / 2 || c > Math.max(l, r) + EDGE_CONTRAST / 2) continue;
    lumaAcross(img, hole, e, across);
    const side = Math.round(2 * (e.width / 2 + 1.5));
    // The band lies on the darker or the brighter side of the step: `sign` +1 is left of the direction.
    for (const sign of [1, -1]) {
      const near = across[R - sign * side];
      if (!Number.isFinite(near)) continue;
      // The band's extreme (farthest from the near level) within the widest band, from the near side on.
      let extreme = near;
      let at = -1;
      for (let k = -side; k <= 2 * MAX_BAND_WIDTH; k++) {
        const v = across[R + sign * k];
        if (!Number.isFinite(v)) break;
        if (Math.abs(v - near) > Math.abs(extreme - near)) {
          extreme = v;
          at = k;
        }
      }
      if (at < 0 || Math.abs(extreme - near) < EDGE_CONTRAST) continue;
      const mid = (near + extreme) / 2;
      // The two midpoint crossings around the extreme, to a fraction of a sample.
      let from = Number.NaN;
      for (let k = at; k > -side; k--) {
        const v = across[R + sign * (k - 1)];
        if ((v - mid) * (near - mid) > 0) {
          const inner = across[R + sign * k];
          from = k - (inner - mid) / (inner - v);
          break;
        }
      }
      let to = Number.NaN;
      for (let k = at; k < R; k++) {
        const v = across[R + sign * (k + 1)];
        if (!Number.isFinite(v)) break;
        if ((v - mid) * (near - mid) > 0) {
          const inner = across[R + sign * k];
          to = k + (inner - mid) / (inner - v);
          break;
        }
      }
      if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
      const bandWidth = (to - from) / 2;
      if (bandWidth < MIN_BAND_WIDTH || bandWidth > MAX_BAND_WIDTH) continue;
      // The far side must be the near side's region again (a band, not a second step).
      const far = across[R + sign * Math.min(R, Math.round(to) + side)];
      if (!Number.isFinite(far) || Math.abs(far - near) > Math.abs(extreme - near) / 2) continue;
      // The entry must be one of the band's edges, not a line inside or beyond it.
      if (Math.abs(from) > side && Math.abs(to) > side) continue;
      const u = (sign * (from + to)) / 4;
      // On the band's axis, moved along it to the last known position before the hole.
      const ax = e.x + e.dy * u;
      const ay = e.y - e.dx * u;
      const reachGap = GAP + bandWidth;
      let hit = Number.NaN;
      for (let g = -reachGap; g <= reachGap; g += 0.5) {
        if (isHole(hole, w, h, ax + e.dx * g, ay + e.dy * g)) {
          hit = g;
          break;
        }
      }
      if (!(hit > -reachGap)) continue;
      const x = ax + e.dx * (hit - 1);
      const y = ay + e.dy * (hit - 1);
      if (isHole(hole, w, h, x, y)) continue;
      const length = e.length + hit - 1;
      if (length < 2) continue;
      const profile = crossSection(img, hole, x, y, e.dx, e.dy, bandWidth, Math.min(length, 3 * bandWidth + 10));
      if (profile === null) continue;
      const band: Entry = { x, y, dx: e.dx, dy: e.dy, width: bandWidth, length, profile, strength: e.strength, edge: i };
      if (e.trail) {
        const trail = new Float32Array(e.trail);
        const ox = x - e.x;
        const oy = y - e.y;
        for (let k = 0; k < trail.length; k += 2) {
          trail[k] += ox;
          trail[k + 1] += oy;
        }
        band.trail = trail;
        band.curvature = e.curvature;
      } else band.length = traceBack(img, hole, band);
      // A band already found whole (its two edges merged into one entry) is not added again.
      const known = entries.some(
        (o) =>
          o !== e &&
          Math.hypot(o.x - x, o.y - y) <= DUPLICATE_DISTANCE + o.width / 2 &&
          o.dx * e.dx + o.dy * e.dy >= Math.cos(DUPLICATE_ANGLE) &&
          Math.abs(luma(o.profile, 1) - extreme) < EDGE_CONTRAST,
      );
      if (!known) out.push(band);
    }
  }
  return out;
}

/**
 * Entries with three or more parallel neighbours close beside them are a
 * repeated pattern (stripes, grain, a grille): texture, which the patch-based
 * fill continues in phase, where joining single lines would go wrong.
 */
function dropRepeated(entries: Entry[], among: Entry[]): Entry[] {
  return entries.filter((a) => {
    let crowd = 0;
    for (const b of among) {
      if (b === a || a.dx * b.dx + a.dy * b.dy < Math.cos((10 * Math.PI) / 180)) continue;
      const ox = b.x - a.x;
      const oy = b.y - a.y;
      if (Math.abs(ox * a.dx + oy * a.dy) <= 10 && Math.abs(ox * a.dy - oy * a.dx) <= 3 * Math.max(a.width, b.width) + 6) crowd++;
    }
    return crowd < 3;
  });
}

/**
 * How far the structure really runs behind an entry: LSD only looked in a
 * band, but the line usually goes on. Walks back along the axis while the
 * cross-section (left, axis, right) stays close to the entry's own.
 */
function traceBack(img: FloatImage, hole: Uint8Array, e: Entry): number {
  const side = e.width / 2 + 1.5;
  const offsets = [side, 0, -side];
  const tmp = new Float32Array(3);
  const limit = Math.max(img.width, img.height);
  let t = Math.floor(e.length);
  let misses = 0;
  let last = t;
  while (t < limit) {
    t++;
    const px = e.x - e.dx * t;
    const py = e.y - e.dy * t;
    let diff = 0;
    let ok = true;
    for (let k = 0; k < 3 && ok; k++) {
      if (!bilinearKnownRgb(img, hole, px + e.dy * offsets[k], py - e.dx * offsets[k], tmp, 0)) ok = false;
      else for (let c = 0; c < 3; c++) diff += Math.abs(tmp[c] - e.profile[k * 3 + c]);
    }
    if (!ok) break;
    if (diff / 9 > TRACE_TOLERANCE) {
      if (++misses > 2) break;
      continue;
    }
    misses = 0;
    last = t;
  }
  return Math.max(e.length, last);
}

/**
 * The two edges of a thin bar enter side by side, parallel, with opposite
 * polarity: they become one entry on the bar's axis, as wide as the bar.
 */
function mergeBarEdges(img: FloatImage, hole: Uint8Array, entries: Entry[]): Entry[] {
  entries.sort((a, b) => b.strength - a.strength);
  const used = new Uint8Array(entries.length);
  const out: Entry[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (used[i]) continue;
    const a = entries[i];
    let merged = a;
    for (let j = i + 1; j < entries.length; j++) {
      if (used[j]) continue;
      const b = entries[j];
      if (a.dx * b.dx + a.dy * b.dy < Math.cos((12 * Math.PI) / 180)) continue;
      // Separation across the direction, and along it.
      const ox = b.x - a.x;
      const oy = b.y - a.y;
      const across = ox * a.dy - oy * a.dx;
      const along = ox * a.dx + oy * a.dy;
      if (Math.abs(across) > Math.max(8, 2 * (a.width + b.width)) || Math.abs(along) > 6) continue;
      used[j] = 1;
      const width = Math.abs(across) + (a.width + b.width) / 2;
      const x = (a.x + b.x) / 2;
      const y = (a.y + b.y) / 2;
      const profile = crossSection(img, hole, x, y, a.dx, a.dy, width, Math.min(Math.min(a.length, b.length), 3 * width + 10)) ?? a.profile;
      merged = { x, y, dx: a.dx, dy: a.dy, width, length: Math.min(a.length, b.length), profile, strength: a.strength + b.strength };
      break;
    }
    out.push(merged);
  }
  return out;
}

/** Mean absolute difference of a's profile against b's walked backwards (left ↔ right). */
function profileDifference(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < 3; k++) for (let c = 0; c < 3; c++) sum += Math.abs(a[k * 3 + c] - b[(2 - k) * 3 + c]);
  return sum / 9;
}

/**
 * `profileDifference` of two entries' cross-sections sampled at the same
 * offsets from their axes. An entry's own profile samples its sides just
 * outside its width, and two ends of one line measured with different widths
 * (a shadow line 5 px wide on one side, 9 on the other) would otherwise
 * compare different parts of its surroundings. Tuning half: the narrower
 * width +0.03 dB at 2048 (curves +0.27), the same at 1024; the wider one
 * changed nothing there.
 */
function commonProfileDifference(img: FloatImage, hole: Uint8Array, a: Entry, b: Entry): number {
  // A band behind an edge was measured between its two edges, and its sides sampled just outside them.
  if (a.width === b.width || a.edge !== undefined || b.edge !== undefined) return profileDifference(a.profile, b.profile);
  // At the narrower width: a wide LSD rectangle around a soft edge is not the structure's width (see the band's cap).
  const width = Math.min(a.width, b.width);
  const at = (e: Entry) =>
    e.width === width ? e.profile : crossSection(img, hole, e.x, e.y, e.dx, e.dy, width, Math.min(e.length, 3 * width + 10));
  const pa = at(a);
  const pb = at(b);
  return pa === null || pb === null ? profileDifference(a.profile, b.profile) : profileDifference(pa, pb);
}

/** Luma of the known analysis image at (x, y), bilinear; NaN where the hole is under the stencil. */
function knownLuma(img: FloatImage, hole: Uint8Array, x: number, y: number, tmp: Float32Array): number {
  if (!bilinearKnownRgb(img, hole, x, y, tmp, 0)) return Number.NaN;
  return 0.299 * tmp[0] + 0.587 * tmp[1] + 0.114 * tmp[2];
}

/** Whether a reference cross-section is too plain to fit a line to (no luma step of 8 from its first value). */
function lowContrast(ref: Float32Array): boolean {
  let contrast = 0;
  for (let k = 1; k < ref.length; k++) contrast = Math.max(contrast, Math.abs(ref[k] - ref[0]));
  return contrast < 8;
}

/**
 * A straight pair's line, fitted to the structure seen on both sides of the
 * hole. The chord between two entry points is off by the entries' own error
 * (a fraction of a pixel on each blurry edge), and a copy taken a hundred
 * pixels along a line tilted by 1/100 lands a pixel off: the horizon then
 * steps at every change of source. Along the known stretches behind both
 * entries, the cross-section is registered against the first entry's (1-D,
 * to a quarter pixel) and a line u = α + β·t is fitted to the shifts, with
 * one round of outlier rejection; the entries move onto it.
 */
function fitStraight(img: FloatImage, hole: Uint8Array, a: Entry, b: Entry, wasm: boolean): [Entry, Entry] | null {
  const chord = Math.hypot(b.x - a.x, b.y - a.y);
  const dx = (b.x - a.x) / chord;
  const dy = (b.y - a.y) / chord;
  // Left normal of the direction a → b, as everywhere in this module.
  const nx = dy;
  const ny = -dx;
  const R = Math.ceil(Math.max(a.width, b.width) / 2) + 4;
  const S = 3;
  const step = 0.25;
  const n = 2 * R + 1;
  const fine = Math.round((2 * R) / step) + 1;
  const inner = (n - 1 - 2 * S) / step;
  // Where the structure is sampled along the line: behind a, and beyond b.
  const positions: number[] = [];
  const reachA = Math.min(a.length, 80);
  const reachB = Math.min(b.length, 80);
  for (let t = 1; t <= reachA; t += 2) positions.push(-t);
  for (let t = 1; t <= reachB; t += 2) positions.push(chord + t);
  const ts: number[] = [];
  const us: number[] = [];
  const inWasm = wasm ? straightFitInWasm(img, hole, a.x, a.y, dx, dy, nx, ny, step, fine, S / step, inner, positions) : null;
  if (inWasm !== null) {
    if (inWasm.refCount === 0 || lowContrast(inWasm.ref)) return null;
    for (let i = 0; i < positions.length; i++) {
      if (inWasm.oks[i] === 0 || Math.abs(inWasm.args[i]) >= S / step) continue;
      ts.push(positions[i]);
      us.push(inWasm.args[i] * step);
    }
  } else {
    const tmp = new Float32Array(3);
    const profileAt = (px: number, py: number, out: Float32Array): boolean => {
      for (let k = 0; k < out.length; k++) {
        const u = (k - (out.length - 1) / 2) * step;
        const v = knownLuma(img, hole, px + nx * u, py + ny * u, tmp);
        if (Number.isNaN(v)) return false;
        out[k] = v;
      }
      return true;
    };
    // Reference: a's cross-section averaged over a few pixels behind it, sampled every quarter pixel.
    const ref = new Float32Array(fine);
    const one = new Float32Array(fine);
    let refCount = 0;
    for (let t = 1; t <= 4; t++) {
      if (!profileAt(a.x - dx * t, a.y - dy * t, one)) continue;
      for (let k = 0; k < fine; k++) ref[k] += one[k];
      refCount++;
    }
    if (refCount === 0) return null;
    for (let k = 0; k < fine; k++) ref[k] /= refCount;
    if (lowContrast(ref)) return null;
    for (const t of positions) {
      if (!profileAt(a.x + dx * t, a.y + dy * t, one)) continue;
      let best = Number.POSITIVE_INFINITY;
      let arg = 0;
      // Shift s (in quarter pixels): one(k + s) against ref(k) on the inner part.
      for (let sq = -S / step; sq <= S / step; sq++) {
        let ssd = 0;
        for (let k = S / step; k <= S / step + inner; k++) {
          const d = one[k + sq] - ref[k];
          ssd += d * d;
        }
        if (ssd < best) {
          best = ssd;
          arg = sq;
        }
      }
      if (Math.abs(arg) >= S / step) continue;
      ts.push(t);
      us.push(arg * step);
    }
  }
  let keep = ts.map(() => true);
  let alpha = 0;
  let beta = 0;
  for (let round = 0; round < 2; round++) {
    let sw = 0;
    let st = 0;
    let su = 0;
    let stt = 0;
    let stu = 0;
    for (let i = 0; i < ts.length; i++) {
      if (!keep[i]) continue;
      sw++;
      st += ts[i];
      su += us[i];
      stt += ts[i] * ts[i];
      stu += ts[i] * us[i];
    }
    const det = sw * stt - st * st;
    if (sw < 8 || Math.abs(det) < 1e-6) return null;
    beta = (sw * stu - st * su) / det;
    alpha = (su - beta * st) / sw;
    keep = ts.map((t, i) => Math.abs(us[i] - alpha - beta * t) <= 1);
  }
  if (Math.abs(beta) > Math.tan(COLLINEAR_ANGLE)) return null;
  const ax = a.x + nx * alpha;
  const ay = a.y + ny * alpha;
  const bx = b.x + nx * (alpha + beta * chord);
  const by = b.y + ny * (alpha + beta * chord);
  const len = Math.hypot(bx - ax, by - ay);
  const ux = (bx - ax) / len;
  const uy = (by - ay) / len;
  return [
    { ...a, x: ax, y: ay, dx: ux, dy: uy },
    { ...b, x: bx, y: by, dx: -ux, dy: -uy },
  ];
}

/**
 * Cubic Bézier from a's entry to b's entry with their tangents, sampled about
 * every pixel. `turn` is the total turning angle: the handles are those of the
 * cubic closest to a circular arc turning that much (chord/3 when straight).
 */
function bridge(a: Entry, b: Entry, turn = 0): Float32Array {
  const chord = Math.hypot(b.x - a.x, b.y - a.y);
  const handle = chord / (3 * Math.cos(turn / 4) ** 2);
  const p1x = a.x + a.dx * handle;
  const p1y = a.y + a.dy * handle;
  const p2x = b.x + b.dx * handle;
  const p2y = b.y + b.dy * handle;
  const n = Math.max(2, Math.ceil(chord * 1.2));
  const out = new Float32Array((n + 1) * 2);
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    const m = 1 - t;
    out[2 * i] = m * m * m * a.x + 3 * m * m * t * p1x + 3 * m * t * t * p2x + t * t * t * b.x;
    out[2 * i + 1] = m * m * m * a.y + 3 * m * m * t * p1y + 3 * m * t * t * p2y + t * t * t * b.y;
  }
  return out;
}

/** Signed curvature of the join at a (t = 0) and at b (t = 1), walking from a to b, for the handles `bridge` uses. */
function bridgeCurvatures(a: Entry, b: Entry, turn: number): [number, number] {
  const chord = Math.hypot(b.x - a.x, b.y - a.y);
  const handle = chord / (3 * Math.cos(turn / 4) ** 2);
  const p0 = [a.x, a.y];
  const p1 = [a.x + a.dx * handle, a.y + a.dy * handle];
  const p2 = [b.x + b.dx * handle, b.y + b.dy * handle];
  const p3 = [b.x, b.y];
  const k = (d1: number[], d2: number[]) => (d1[0] * d2[1] - d1[1] * d2[0]) / Math.max(1e-9, Math.hypot(d1[0], d1[1]) ** 3);
  // B'(0) = 3(p1 − p0), B''(0) = 6(p0 − 2p1 + p2); B'(1) = 3(p3 − p2), B''(1) = 6(p1 − 2p2 + p3).
  const d10 = [3 * (p1[0] - p0[0]), 3 * (p1[1] - p0[1])];
  const d20 = [6 * (p0[0] - 2 * p1[0] + p2[0]), 6 * (p0[1] - 2 * p1[1] + p2[1])];
  const d11 = [3 * (p3[0] - p2[0]), 3 * (p3[1] - p2[1])];
  const d21 = [6 * (p1[0] - 2 * p2[0] + p3[0]), 6 * (p1[1] - 2 * p2[1] + p3[1])];
  return [k(d10, d20), k(d11, d21)];
}

/** Share of a polyline's vertices (interior ones) inside the hole. */
function insideShare(points: Float32Array, hole: Uint8Array, w: number, h: number): number {
  const n = points.length / 2;
  let inside = 0;
  let total = 0;
  for (let i = 1; i < n - 1; i++) {
    total++;
    if (isHole(hole, w, h, points[2 * i], points[2 * i + 1])) inside++;
  }
  return total === 0 ? 1 : inside / total;
}

/** Joins the known stretch behind `a`, the bridge, and the known stretch behind `b` into one curve. */
function buildCurve(a: Entry, middle: Float32Array, b: Entry | null, kind: StructureCurve["kind"]): StructureCurve {
  const pts: number[] = [];
  let back = 0;
  if (a.trail) {
    back = a.trail.length / 2 - 1;
    for (let i = back; i >= 1; i--) pts.push(a.trail[2 * i], a.trail[2 * i + 1]);
  } else {
    back = Math.floor(a.length);
    for (let t = back; t >= 1; t--) pts.push(a.x - a.dx * t, a.y - a.dy * t);
  }
  for (let i = 0; i < middle.length; i++) pts.push(middle[i]);
  if (b?.trail) for (let i = 2; i < b.trail.length; i++) pts.push(b.trail[i]);
  else if (b) for (let t = 1; t <= Math.floor(b.length); t++) pts.push(b.x - b.dx * t, b.y - b.dy * t);
  const points = Float32Array.from(pts);
  const n = points.length / 2;
  const arc = new Float32Array(n);
  for (let i = 1; i < n; i++) arc[i] = arc[i - 1] + Math.hypot(points[2 * i] - points[2 * i - 2], points[2 * i + 1] - points[2 * i - 1]);
  const zero = arc[back];
  for (let i = 0; i < n; i++) arc[i] -= zero;
  const end = arc[back + middle.length / 2 - 1];
  const sources: [number, number][] = [[arc[0], 0]];
  if (b) sources.push([end, arc[n - 1]]);
  // The wider entry's width, but at most twice the narrower's: LSD's rectangle around a soft edge can be several times
  // the structure's width (a 22 px "bar" for a treeline at 2048, whose band then pasted a block of sky over the water).
  // A band behind an edge was measured between its edges: the narrower one is the structure's width.
  const banded = a.edge !== undefined || b?.edge !== undefined;
  const width = b ? Math.min(banded ? Math.min(a.width, b.width) : Math.max(a.width, b.width), 2 * Math.min(a.width, b.width)) : a.width;
  return { points, arc, end, sources, halfWidth: Math.min(MAX_HALF_WIDTH, Math.max(2, Math.ceil(width / 2) + 1)), kind };
}

/** Straight extension of an entry: where it first meets a polyline inside the hole (distance along it), or −1. */
function rayHitsPolyline(e: Entry, points: Float32Array, from: number, to: number): number {
  let best = -1;
  for (let i = from; i < to; i++) {
    const ax = points[2 * i];
    const ay = points[2 * i + 1];
    const bx = points[2 * i + 2];
    const by = points[2 * i + 3];
    const sx = bx - ax;
    const sy = by - ay;
    const denom = e.dx * sy - e.dy * sx;
    if (Math.abs(denom) < 1e-9) continue;
    const qx = ax - e.x;
    const qy = ay - e.y;
    const t = (qx * sy - qy * sx) / denom;
    const u = (qx * e.dy - qy * e.dx) / denom;
    if (t > 0 && u >= 0 && u <= 1 && (best < 0 || t < best)) best = t;
  }
  return best;
}

/** Whether some side colour of one cross-section matches some side colour of the other (the region a corner closes). */
function sharesASide(a: Float32Array, b: Float32Array, maxColour: number): boolean {
  for (const ka of [0, 2]) {
    for (const kb of [0, 2]) {
      let d = 0;
      for (let c = 0; c < 3; c++) d += Math.abs(a[ka * 3 + c] - b[kb * 3 + c]);
      if (d / 3 <= maxColour) return true;
    }
  }
  return false;
}

/** Whether `b` lies ahead of `a` within `maxAngle` of its line and points back along it (a geometric partner). */
function facesAcross(a: Entry, b: Entry, maxAngle: number): boolean {
  const cx = b.x - a.x;
  const cy = b.y - a.y;
  const chord = Math.hypot(cx, cy);
  if (chord < 2) return false;
  const cos = Math.cos(maxAngle);
  return (a.dx * cx + a.dy * cy) / chord >= cos && -(b.dx * cx + b.dy * cy) / chord >= cos;
}

function straight(e: Entry, distance: number): Float32Array {
  const n = Math.max(1, Math.ceil(distance));
  const out = new Float32Array((n + 1) * 2);
  for (let i = 0; i <= n; i++) {
    out[2 * i] = e.x + (e.dx * distance * i) / n;
    out[2 * i + 1] = e.y + (e.dy * distance * i) / n;
  }
  return out;
}

/** Curves to fill along: continued pairs first in the list's end (they are drawn last, over endings). */
export function pairEntries(img: FloatImage, hole: Uint8Array, entries: Entry[], options: PairingOptions = {}): StructureCurve[] {
  const { width: w, height: h } = img;
  const maxAngle = ((options.maxChordAngle ?? 30) * Math.PI) / 180;
  const maxColour = options.maxProfileDifference ?? 40;
  const candidates: { i: number; j: number; cost: number; middle: Float32Array; a: Entry; b: Entry }[] = [];
  // A band behind an edge and the edge itself are one structure.
  const group = entries.map((e, k) => e.edge ?? k);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      if (group[i] === group[j]) continue;
      const a = entries[i];
      const b = entries[j];
      const cx = b.x - a.x;
      const cy = b.y - a.y;
      const chord = Math.hypot(cx, cy);
      if (chord < 2) continue;
      const angleA = Math.acos(Math.max(-1, Math.min(1, (a.dx * cx + a.dy * cy) / chord)));
      const angleB = Math.acos(Math.max(-1, Math.min(1, -(b.dx * cx + b.dy * cy) / chord)));
      // Edge chains know their curvature: an arc may turn further, if both ends agree with it.
      const curved = a.trail !== undefined || b.trail !== undefined;
      const limit = curved ? Math.max(maxAngle, CURVE_CHORD_ANGLE) : maxAngle;
      if (angleA > limit || angleB > limit) continue;
      // A smooth continuation turns one way (a C); an S between two parallel
      // entries offset sideways is two different lines, unless it is nearly straight.
      const turnA = a.dx * cy - a.dy * cx;
      const turnB = cx * -b.dy - cy * -b.dx;
      if (turnA * turnB < 0 && Math.max(angleA, angleB) > S_CURVE_ANGLE) continue;
      // Two parallel straight lines offset sideways by more than a fraction of their width are two lines, however small the angle.
      if (!curved && turnA * turnB < 0 && -(a.dx * b.dx + a.dy * b.dy) >= Math.cos(S_CURVE_ANGLE)) {
        const offset = Math.abs(cx * a.dy - cy * a.dx);
        if (offset > Math.max(PARALLEL_OFFSET, 0.5 * Math.min(a.width, b.width))) continue;
      }
      const colour = commonProfileDifference(img, hole, a, b);
      if (colour > maxColour) continue;
      const widthRatio = Math.min(a.width, b.width) / Math.max(a.width, b.width);
      if (widthRatio < 0.25) continue;
      // Nearly collinear: the chord across the hole measures the direction far
      // better than either short segment, and a copy from afar must not drift.
      const collinear = Math.max(angleA, angleB) <= COLLINEAR_ANGLE;
      let ea = collinear && !curved ? { ...a, dx: cx / chord, dy: cy / chord } : a;
      let eb = collinear && !curved ? { ...b, dx: -cx / chord, dy: -cy / chord } : b;
      if (collinear && !curved) {
        const fitted = fitStraight(img, hole, ea, eb, options.wasm !== false);
        if (fitted) [ea, eb] = fitted;
      }
      const turn = curved ? angleA + angleB : 0;
      if (
        turn > STRAIGHT_END_MAX_TURN &&
        Math.abs(a.curvature ?? 0) * chord < STRAIGHT_END_TURN &&
        Math.abs(b.curvature ?? 0) * chord < STRAIGHT_END_TURN
      )
        continue;
      if (curved) {
        // The join's curvature at each end against the chain's own (walking a → b, b's is reversed).
        const [ka, kb] = bridgeCurvatures(ea, eb, turn);
        if (Math.abs(ka - (a.curvature ?? 0)) * chord > CURVATURE_TOLERANCE) continue;
        if (Math.abs(kb + (b.curvature ?? 0)) * chord > CURVATURE_TOLERANCE) continue;
      }
      const middle = bridge(ea, eb, turn);
      if (insideShare(middle, hole, w, h) < 0.5) continue;
      const cost = (angleA / limit) ** 2 + (angleB / limit) ** 2 + (colour / maxColour) ** 2 + (1 - widthRatio);
      candidates.push({ i, j, cost, middle, a: ea, b: eb });
    }
  }
  candidates.sort((p, q) => p.cost - q.cost);
  const paired = new Uint8Array(entries.length);
  const through: StructureCurve[] = [];
  /** The two entries each continued curve joins (their cross-sections say which regions it divides). */
  const throughEnds: [Entry, Entry][] = [];
  for (const c of candidates) {
    if (paired[group[c.i]] || paired[group[c.j]]) continue;
    paired[group[c.i]] = 1;
    paired[group[c.j]] = 1;
    through.push(buildCurve(c.a, c.middle, c.b, "pair"));
    throughEnds.push([c.a, c.b]);
  }

  const endings: StructureCurve[] = [];
  // Endings extend straight: only segments', not curved chains'.
  // A band behind an edge is only ever continued as a pair.
  const loose = entries
    .map((_, k) => k)
    .filter((k) => !paired[group[k]] && entries[k].trail === undefined && entries[k].edge === undefined);
  const ended = new Uint8Array(entries.length);
  // T-junctions: the nearest continued curve ahead, inside the hole. The stem of a T divides the region on its side
  // of the bar, so one of the stem's side colours must be one of the bar's; where none is, the stem belongs to
  // something else that the hole hides (a leaf's edge aimed across a branch: its band pasted green into the bark), and
  // the region it bounds is closed off by the fill.
  for (const k of loose) {
    const e = entries[k];
    let best = -1;
    let bar = -1;
    for (const [c, curve] of through.entries()) {
      const n = curve.points.length / 2;
      const t = rayHitsPolyline(e, curve.points, 0, n - 1);
      if (t > 0 && (best < 0 || t < best)) {
        best = t;
        bar = c;
      }
    }
    if (best <= 0 || best > JUNCTION_EXTRAPOLATION * e.length) continue;
    const path = straight(e, best);
    if (insideShare(path, hole, w, h) < 0.9) continue;
    ended[k] = 1;
    if (!throughEnds[bar].some((f) => sharesASide(e.profile, f.profile, maxColour))) continue;
    endings.push(buildCurve(e, path, null, "junction"));
  }
  // Corners: two loose extensions that cross inside the hole, at a clear angle, with alike colours on the shared side.
  for (let ii = 0; ii < loose.length; ii++) {
    const i = loose[ii];
    if (ended[i]) continue;
    for (let jj = ii + 1; jj < loose.length; jj++) {
      const j = loose[jj];
      if (ended[j] || ended[i]) continue;
      const a = entries[i];
      const b = entries[j];
      const denom = a.dx * b.dy - a.dy * b.dx;
      if (Math.abs(denom) < Math.sin(CORNER_MIN_ANGLE)) continue;
      if (!sharesASide(a.profile, b.profile, maxColour)) continue;
      const qx = b.x - a.x;
      const qy = b.y - a.y;
      const ta = (qx * b.dy - qy * b.dx) / denom;
      const tb = (qx * a.dy - qy * a.dx) / denom;
      if (ta <= 0 || tb <= 0 || ta > MAX_EXTRAPOLATION * a.length || tb > MAX_EXTRAPOLATION * b.length) continue;
      if (!isHole(hole, w, h, a.x + a.dx * ta, a.y + a.dy * ta)) continue;
      const pa = straight(a, ta);
      const pb = straight(b, tb);
      if (insideShare(pa, hole, w, h) < 0.9 || insideShare(pb, hole, w, h) < 0.9) continue;
      ended[i] = 1;
      ended[j] = 1;
      endings.push(buildCurve(a, pa, null, "corner"), buildCurve(b, pb, null, "corner"));
    }
  }
  // Bars: a line with alike sides that nothing across the hole continues stops somewhere inside it; drawn halfway
  // to where its line leaves the hole (the least expected error when the stop is unknown), at most as far as endings go.
  for (const k of loose) {
    if (ended[k]) continue;
    const e = entries[k];
    const p = e.profile;
    const sides = (Math.abs(p[0] - p[6]) + Math.abs(p[1] - p[7]) + Math.abs(p[2] - p[8])) / 3;
    if (sides > BAR_SIDES) continue;
    const luma = (o: number) => 0.299 * p[o] + 0.587 * p[o + 1] + 0.114 * p[o + 2];
    if (Math.abs(luma(3) - (luma(0) + luma(6)) / 2) < EDGE_CONTRAST) continue;
    // An entry across the hole that faces this one along its line (a partner that failed the colour or width test)
    // says the structure goes through: half of it drawn would be worse than the fill.
    if (entries.some((f, j) => group[j] !== group[k] && facesAcross(e, f, maxAngle))) continue;
    let exit = 1;
    while (isHole(hole, w, h, e.x + e.dx * exit, e.y + e.dy * exit)) exit++;
    const reach = Math.min(BAR_REACH * exit, MAX_EXTRAPOLATION * e.length);
    if (reach < 2) continue;
    const path = straight(e, reach);
    if (insideShare(path, hole, w, h) < 0.9) continue;
    ended[k] = 1;
    endings.push(buildCurve(e, path, null, "bar"));
  }
  return [...endings, ...through];
}
