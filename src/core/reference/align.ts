/**
 * Geometric alignment of a reference photo to the photo being edited, using
 * only what lies outside the hole: MOPS features on luma copies with a long
 * side of about 1024 px, mutual ratio-test matches, and RANSAC homographies
 * (an affine map when too few matches agree on a homography).
 *
 * Two candidates are proposed: a global homography from every match (right
 * for distant scenes and planar ones), and a local one from the matches near
 * the hole (right for the plane behind the object when the scene has depth,
 * the idea of TransFill's multiple homographies, Zhou et al. CVPR 2021). When
 * fewer than 20 matches agree (a soft photo, a strong zoom), a direct search
 * over rotation and scale on the pixels themselves (`direct.ts`) adds its
 * best poses. The caller keeps the candidate that best predicts the known
 * ring around the hole.
 */
import type { Rect, RgbaImage } from "../image.js";
import { squaredDistanceTo } from "../mask.js";
import type { Random } from "../random.js";
import { searchSimilarity } from "./direct.js";
import { detectFeatures, type Features } from "./features.js";
import { correlationFromSums, type GreyImage, gaussianBlur, sampleBilinear, type WorkingGrey, workingGrey, workingHole } from "./grey.js";
import { type Correspondences, compose, type Homography, project, ransacAffine, ransacHomography, scaling } from "./homography.js";
import { matchFeatures } from "./matching.js";
import { type RefineRegion, refineHomography, refinePyramid } from "./refine.js";
import { localScale } from "./warp.js";

export interface AlignmentCandidate {
  /** Maps full-resolution target pixels to full-resolution reference pixels. */
  homography: Homography;
  kind: "global" | "local" | "affine" | "direct" | "global, refined" | "local, refined" | "affine, refined" | "direct, refined";
  inliers: number;
}

export interface Alignment {
  candidates: AlignmentCandidate[];
  targetFeatures: number;
  referenceFeatures: number;
  matches: number;
  /** The working copies, kept to weigh a pose on everything the photo shows (`wideEvidence`). */
  surroundings: Surroundings;
}

/** The photo's and the reference's working copies, and where the photo is known well clear of the hole. */
export interface Surroundings {
  target: WorkingGrey;
  reference: WorkingGrey;
  /** 1 where the hole or its clearance is, in the working photo. */
  exclude: Uint8Array;
}

const WORKING_SIDE = 1024;
const TARGET_POINTS = 1000;
const REFERENCE_POINTS = 1200;
/** Reprojection tolerance in working pixels. */
const INLIER_THRESHOLD = 3;
export const MIN_INLIERS = 12;
const MIN_AFFINE_INLIERS = 7;
/** A global homography with this many inliers is trusted without trying other framings. */
export const CONFIDENT_INLIERS = 40;
/** Below this many inliers the features are weak evidence, and the direct search is tried too. */
const DIRECT_BELOW_INLIERS = 20;
/** The window around the hole: this fraction of the working photo's width and height. */
const WINDOW_FRACTION = 0.5;
/** The refinement's blurred copies cover the ring's box (and its images) grown by this fraction of its size… */
const REFINE_MARGIN = 0.25;
/** …plus this many working pixels: the widest blur's radius and the bilinear sample's neighbour. */
const BLUR_REACH = 10;
/** Features closer than this to the hole (working pixels) would describe the object. */
const HOLE_CLEARANCE = 6;

/**
 * `detectFeatures(grey, options)` run elsewhere (another thread), so that the
 * reference's features are found while this thread finds the photo's: the
 * same features, as the detector is deterministic.
 */
export type FeatureDetector = (grey: GreyImage, options: { maxPoints: number }) => Promise<Features>;

/**
 * Proposes homographies from the target (outside `hole`) to the reference.
 * With `detectElsewhere`, the reference's features are detected there while
 * this thread detects the photo's (on its own if that fails); the proposals
 * are the same.
 */
export async function alignReference(
  target: RgbaImage,
  hole: Uint8Array,
  bounds: Rect,
  reference: RgbaImage,
  rng: Random,
  detectElsewhere?: FeatureDetector,
): Promise<Alignment> {
  const rg = workingGrey(reference, WORKING_SIDE);
  const elsewhere = detectElsewhere?.(rg, { maxPoints: REFERENCE_POINTS });
  const tg = workingGrey(target, WORKING_SIDE);
  const wh = workingHole(hole, target.width, tg.factor, tg.width, tg.height, bounds);
  const d2 = squaredDistanceTo(wh, tg.width, tg.height);
  const exclude = clearance(d2);
  const tf = detectFeatures(tg, { maxPoints: TARGET_POINTS, exclude });
  const here = () => detectFeatures(rg, { maxPoints: REFERENCE_POINTS });
  const rf = elsewhere ? await elsewhere.catch(here) : here();
  // The whole photo against the whole reference first. When that is weak,
  // other framings: a reference taken zoomed in (or from closer) shows only
  // the neighbourhood of the hole, where a whole-photo detector spends a
  // tenth of its points, so the photo's window around the hole gets its own
  // full set; beyond a 1.5× zoom the pyramids barely overlap, so the
  // reference is also matched at half size, and the photo at half size for a
  // reference taken zoomed out. The proposal whose global homography gathers
  // the most inliers wins; affine maps only when no homography was found.
  let halfRef: { grey: WorkingGrey; features: Features } | null = null;
  const halvedReference = () => {
    if (halfRef === null) {
      const grey = halve(rg);
      halfRef = { grey, features: detectFeatures(grey, { maxPoints: REFERENCE_POINTS }) };
    }
    return halfRef;
  };
  let windowFeatures: Features | null | undefined;
  const nearHole = () => {
    if (windowFeatures === undefined) windowFeatures = windowAroundHole(tg, exclude, bounds);
    return windowFeatures;
  };
  const attempts: (() => Proposal | null)[] = [
    () => propose(tf, tg.factor, rf, rg.factor, bounds, rng),
    () => {
      const wf = nearHole();
      return wf && propose(wf, tg.factor, rf, rg.factor, bounds, rng);
    },
    () => {
      const wf = nearHole();
      const rh = halvedReference();
      return wf && propose(wf, tg.factor, rh.features, rh.grey.factor, bounds, rng);
    },
    () => {
      const rh = halvedReference();
      return propose(tf, tg.factor, rh.features, rh.grey.factor, bounds, rng);
    },
    () => {
      const th = halve(tg);
      const hh = workingHole(hole, target.width, th.factor, th.width, th.height, bounds);
      const tfh = detectFeatures(th, { maxPoints: TARGET_POINTS, exclude: clearance(squaredDistanceTo(hh, th.width, th.height)) });
      return propose(tfh, th.factor, rf, rg.factor, bounds, rng, 2);
    },
  ];
  let matches = 0;
  let candidates: AlignmentCandidate[] = [];
  let fallback: AlignmentCandidate | null = null;
  for (const attempt of attempts) {
    const p = attempt();
    if (p === null) continue;
    matches = Math.max(matches, p.matches);
    if (p.affine && (fallback === null || p.affine.inliers > fallback.inliers)) fallback = p.affine;
    if (support(p.candidates) > support(candidates)) candidates = p.candidates;
    if (support(candidates) >= CONFIDENT_INLIERS) break;
  }
  if (candidates.length === 0 && fallback) candidates = [fallback];
  const toWorkingRef = scaling(1 / rg.factor, 0.5 / rg.factor - 0.5);
  const toFullTarget = scaling(tg.factor, 0.5 * tg.factor - 0.5);
  const toFullRef = scaling(rg.factor, 0.5 * rg.factor - 0.5);
  const toWorkingTarget = scaling(1 / tg.factor, 0.5 / tg.factor - 0.5);
  if (support(candidates) < DIRECT_BELOW_INLIERS) {
    // Too few feature matches agree (a soft photo, a strong zoom): search the pose directly on the pixels.
    const wide = ringRegion(d2, tg.width, tg.height, Math.max(32, (1.5 * Math.max(bounds.width, bounds.height)) / tg.factor));
    for (const d of searchSimilarity(tg, exclude, bounds, rg, wide)) {
      candidates.push({ homography: compose(toFullRef, compose(d.homography, toWorkingTarget)), kind: "direct", inliers: 0 });
    }
  }
  // Each candidate again, refined photometrically on the known ring around the hole.
  const region = ringRegion(d2, tg.width, tg.height, Math.max(16, (0.6 * Math.max(bounds.width, bounds.height)) / tg.factor));
  if (candidates.length > 0 && region.count >= 64) {
    const rects = refineRects(region, candidates, toWorkingRef, toFullTarget, rg);
    const pyramid = refinePyramid(tg, rg, rects.target, rects.reference);
    for (const c of [...candidates]) {
      const working = compose(toWorkingRef, compose(c.homography, toFullTarget));
      const refined = refineHomography(pyramid, region, working);
      if (refined) {
        candidates.push({
          homography: compose(toFullRef, compose(refined, toWorkingTarget)),
          kind: `${c.kind}, refined` as AlignmentCandidate["kind"],
          inliers: c.inliers,
        });
      }
    }
  }
  return {
    candidates,
    targetFeatures: tf.count,
    referenceFeatures: rf.count,
    matches,
    surroundings: { target: tg, reference: rg, exclude },
  };
}

/** How well a pose predicts the detail of the whole photo outside the hole, and at best when moved along the least-constrained direction. */
export interface WideEvidence {
  /** Zero-mean normalised correlation of the blurred lumas over the overlap. */
  score: number;
  /** The better score of the pose moved either way. */
  moved: number;
}

/** A difference of Gaussians (σ and WIDE_BAND·σ): the detail, without the sky's gradient that any pose of a smooth photo fits. */
function detail(g: WorkingGrey, sigma: number): GreyImage {
  const fine = gaussianBlur(g, sigma);
  const coarse = gaussianBlur(g, WIDE_BAND * sigma);
  for (let i = 0; i < fine.data.length; i++) fine.data[i] -= coarse.data[i];
  return fine;
}

/**
 * The detail planes of one alignment's two photos, made once: the photo's for
 * every pose, the reference's for each band width asked (a pose's scale sets
 * it). Several poses of one alignment are weighed (`wideEvidence`), and each
 * blur of both working photos cost as much as the rest of the evidence.
 */
const detailCache = new WeakMap<Surroundings, { target: GreyImage; reference: Map<number, GreyImage> }>();

function detailsOf(s: Surroundings, rs: number): { tb: GreyImage; rb: GreyImage } {
  let cached = detailCache.get(s);
  if (cached === undefined) {
    cached = { target: detail(s.target, WIDE_BLUR), reference: new Map() };
    detailCache.set(s, cached);
  }
  let rb = cached.reference.get(rs);
  if (rb === undefined) {
    rb = detail(s.reference, WIDE_BLUR * rs);
    cached.reference.set(rs, rb);
  }
  return { tb: cached.target, rb };
}

/** Known points sampled for the wide evidence: about this many. */
const WIDE_POINTS = 20000;
/** The detail band (working pixels of the photo): noise and resampling drop out below it, a shift of a few pixels still shows. */
const WIDE_BLUR = 1.5;
const WIDE_BAND = 3;

/**
 * The evidence a pose `h` (full-resolution target → reference) has beyond the
 * ring: the correlation of the photo's and the reference's detail (a
 * difference of Gaussians, so the smooth gradient of a sky, which any nearby
 * pose fits, drops out) over everything the
 * photo shows outside the hole that the reference also shows, and the same
 * with the pose moved by `shift` full-resolution pixels either way along the
 * direction in which the photo's structure constrains a shift least (the
 * smaller eigenvector of its structure tensor over those points). A plain sky
 * around the hole pins nothing, but a horizon, trees or clouds elsewhere in
 * the photo do, and a photo of another scene does not correlate over all of
 * it. Null when the reference covers too little of the photo to say.
 */
export function wideEvidence(s: Surroundings, h: Homography, shift: number): WideEvidence | null {
  const { target: tg, reference: rg, exclude } = s;
  const toWorkingRef = scaling(1 / rg.factor, 0.5 / rg.factor - 0.5);
  const toFullTarget = scaling(tg.factor, 0.5 * tg.factor - 0.5);
  const working = compose(toWorkingRef, compose(h, toFullTarget));
  let known = 0;
  for (let i = 0; i < exclude.length; i++) if (!exclude[i]) known++;
  const stride = Math.max(1, Math.round(Math.sqrt(known / WIDE_POINTS)));
  const pts: number[] = [];
  for (let y = 1; y < tg.height - 1; y += stride) {
    for (let x = 1; x < tg.width - 1; x += stride) if (!exclude[y * tg.width + x]) pts.push(x, y);
  }
  const count = pts.length / 2;
  if (count < 64) return null;
  // The reference's band in its own pixels: scaled by the pose's scale amid the photo's known points.
  let cx = 0;
  let cy = 0;
  for (let k = 0; k < count; k++) {
    cx += pts[2 * k] / count;
    cy += pts[2 * k + 1] / count;
  }
  const scale = localScale(working, cx, cy);
  const rs = Math.min(3, Math.max(0.35, scale));
  const { tb, rb } = detailsOf(s, rs);
  let xx = 0;
  let yy = 0;
  let xy = 0;
  const values = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const i = pts[2 * k + 1] * tg.width + pts[2 * k];
    values[k] = tb.data[i];
    const gx = tb.data[i + 1] - tb.data[i - 1];
    const gy = tb.data[i + tg.width] - tb.data[i - tg.width];
    xx += gx * gx;
    yy += gy * gy;
    xy += gx * gy;
  }
  const angle = 0.5 * Math.atan2(2 * xy, xx - yy) + Math.PI / 2;
  const d = shift / tg.factor;
  const correlate = (m: Homography): { score: number; n: number } => {
    let n = 0;
    let st = 0;
    let sr = 0;
    let stt = 0;
    let srr = 0;
    let str = 0;
    const pt = new Float64Array(2);
    for (let k = 0; k < count; k++) {
      if (!project(m, pts[2 * k], pts[2 * k + 1], pt)) continue;
      if (!(pt[0] >= 0 && pt[1] >= 0 && pt[0] <= rg.width - 1 && pt[1] <= rg.height - 1)) continue;
      const a = values[k];
      const b = sampleBilinear(rb, pt[0], pt[1]);
      n++;
      st += a;
      sr += b;
      stt += a * a;
      srr += b * b;
      str += a * b;
    }
    return { score: correlationFromSums(n, st, sr, stt, srr, str), n };
  };
  const here = correlate(working);
  if (here.n < 64) return null;
  let moved = -1;
  for (const sign of [1, -1]) {
    const m = compose(working, Float64Array.of(1, 0, sign * d * Math.cos(angle), 0, 1, sign * d * Math.sin(angle), 0, 0, 1));
    moved = Math.max(moved, correlate(m).score);
  }
  return { score: here.score, moved };
}

interface Proposal {
  /** Homographies: global, and local to the hole when enough matches lie near it. */
  candidates: AlignmentCandidate[];
  /** An affine map, fitted only when no global homography was found. */
  affine: AlignmentCandidate | null;
  matches: number;
}

/** The most inliers any of the homographies gathered (0 for none). */
function support(candidates: AlignmentCandidate[]): number {
  return candidates.reduce((m, c) => Math.max(m, c.inliers), 0);
}

/** Working pixels too close to the hole for a feature: its window would see the object. */
function clearance(d2: Float32Array): Uint8Array {
  const exclude = new Uint8Array(d2.length);
  for (let i = 0; i < exclude.length; i++) exclude[i] = d2[i] < HOLE_CLEARANCE * HOLE_CLEARANCE ? 1 : 0;
  return exclude;
}

/**
 * Features of the working photo inside a window around the hole (half its
 * width and height, moved inside the frame), with a full budget of points,
 * in working coordinates; null when the window would be most of the photo.
 */
function windowAroundHole(tg: WorkingGrey, exclude: Uint8Array, bounds: Rect): Features | null {
  const cx = (bounds.x + bounds.width / 2 + 0.5) / tg.factor - 0.5;
  const cy = (bounds.y + bounds.height / 2 + 0.5) / tg.factor - 0.5;
  const w = Math.min(tg.width, Math.max(Math.round(WINDOW_FRACTION * tg.width), Math.ceil((2 * bounds.width) / tg.factor)));
  const h = Math.min(tg.height, Math.max(Math.round(WINDOW_FRACTION * tg.height), Math.ceil((2 * bounds.height) / tg.factor)));
  if (w * h > 0.6 * tg.width * tg.height) return null;
  const x0 = Math.min(tg.width - w, Math.max(0, Math.round(cx - w / 2)));
  const y0 = Math.min(tg.height - h, Math.max(0, Math.round(cy - h / 2)));
  const data = new Float32Array(w * h);
  const ex = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    data.set(tg.data.subarray((y0 + y) * tg.width + x0, (y0 + y) * tg.width + x0 + w), y * w);
    ex.set(exclude.subarray((y0 + y) * tg.width + x0, (y0 + y) * tg.width + x0 + w), y * w);
  }
  const f = detectFeatures({ width: w, height: h, data }, { maxPoints: TARGET_POINTS, exclude: ex });
  for (let k = 0; k < f.count; k++) {
    f.x[k] += x0;
    f.y[k] += y0;
  }
  return f;
}

/** A working copy of half the size (2×2 box average). */
function halve(g: WorkingGrey): WorkingGrey {
  const w = Math.max(1, g.width >> 1);
  const h = Math.max(1, g.height >> 1);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const a = 2 * y * g.width;
    const b = a + g.width;
    for (let x = 0; x < w; x++)
      out[y * w + x] = 0.25 * (g.data[a + 2 * x] + g.data[a + 2 * x + 1] + g.data[b + 2 * x] + g.data[b + 2 * x + 1]);
  }
  return { width: w, height: h, data: out, factor: 2 * g.factor };
}

/**
 * Matches two feature sets (each in its working copy, `tFactor` / `rFactor`
 * full-resolution pixels per working pixel) and fits the global and local
 * models, returned as full-resolution maps. `halved` is 2 when the target's
 * working copy is the half-size one.
 */
function propose(tf: Features, tFactor: number, rf: Features, rFactor: number, bounds: Rect, rng: Random, halved = 1): Proposal {
  const m = matchFeatures(tf, rf);
  const corr: Correspondences = { count: m.count, from: new Float64Array(2 * m.count), to: new Float64Array(2 * m.count) };
  for (let k = 0; k < m.count; k++) {
    corr.from[2 * k] = tf.x[m.target[k]];
    corr.from[2 * k + 1] = tf.y[m.target[k]];
    corr.to[2 * k] = rf.x[m.reference[k]];
    corr.to[2 * k + 1] = rf.y[m.reference[k]];
  }
  // Working ↔ full resolution: full = (working + ½)·f − ½.
  const toWorking = scaling(1 / tFactor, 0.5 / tFactor - 0.5);
  const toFull = scaling(rFactor, 0.5 * rFactor - 0.5);
  const full = (h: Homography) => compose(toFull, compose(h, toWorking));
  const candidates: AlignmentCandidate[] = [];
  const global = ransacHomography(corr, INLIER_THRESHOLD, rng, { minInliers: MIN_INLIERS });
  let affine: AlignmentCandidate | null = null;
  if (global) candidates.push({ homography: full(global.homography), kind: "global", inliers: global.inlierCount });
  else {
    // Too few matches agree on a homography: an affine map needs fewer to be trusted.
    const fit = ransacAffine(corr, INLIER_THRESHOLD, rng, { minInliers: MIN_AFFINE_INLIERS });
    if (fit) affine = { homography: full(fit.homography), kind: "affine", inliers: fit.inlierCount };
  }

  const cx = (bounds.x + bounds.width / 2 + 0.5) / tFactor - 0.5;
  const cy = (bounds.y + bounds.height / 2 + 0.5) / tFactor - 0.5;
  const radius = Math.max(160 / halved, (1.5 * Math.hypot(bounds.width, bounds.height)) / tFactor);
  const near: number[] = [];
  for (let k = 0; k < corr.count; k++) {
    if (Math.hypot(corr.from[2 * k] - cx, corr.from[2 * k + 1] - cy) <= radius) near.push(k);
  }
  if (near.length >= MIN_INLIERS && near.length < corr.count) {
    const local: Correspondences = { count: near.length, from: new Float64Array(2 * near.length), to: new Float64Array(2 * near.length) };
    near.forEach((k, i) => {
      local.from.set(corr.from.subarray(2 * k, 2 * k + 2), 2 * i);
      local.to.set(corr.to.subarray(2 * k, 2 * k + 2), 2 * i);
    });
    const fit = ransacHomography(local, INLIER_THRESHOLD, rng, { minInliers: MIN_INLIERS });
    if (fit) candidates.push({ homography: full(fit.homography), kind: "local", inliers: fit.inlierCount });
  }
  return { candidates, affine, matches: m.count };
}

/**
 * Where the refinement can sample: the ring's bounding box in the working
 * photo, and the union of where the candidates map it in the working
 * reference, each grown by REFINE_MARGIN of its size (the fit moves the map
 * a little) plus the blur's reach. No reference rectangle when a candidate
 * maps the ring across the horizon.
 */
function refineRects(
  region: RefineRegion,
  candidates: AlignmentCandidate[],
  toWorkingRef: Homography,
  toFullTarget: Homography,
  rg: WorkingGrey,
): { target: Rect; reference?: Rect } {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < region.count; k++) {
    x0 = Math.min(x0, region.points[2 * k]);
    y0 = Math.min(y0, region.points[2 * k + 1]);
    x1 = Math.max(x1, region.points[2 * k]);
    y1 = Math.max(y1, region.points[2 * k + 1]);
  }
  const grown = (ax: number, ay: number, bx: number, by: number): Rect => {
    const m = REFINE_MARGIN * Math.max(bx - ax, by - ay) + BLUR_REACH;
    const left = Math.floor(ax - m);
    const top = Math.floor(ay - m);
    return { x: left, y: top, width: Math.ceil(bx + m) - left + 1, height: Math.ceil(by + m) - top + 1 };
  };
  const target = grown(x0, y0, x1, y1);
  let rx0 = Number.POSITIVE_INFINITY;
  let ry0 = Number.POSITIVE_INFINITY;
  let rx1 = Number.NEGATIVE_INFINITY;
  let ry1 = Number.NEGATIVE_INFINITY;
  const pt = new Float64Array(2);
  for (const c of candidates) {
    const working = compose(toWorkingRef, compose(c.homography, toFullTarget));
    for (const [x, y] of [
      [x0, y0],
      [x1, y0],
      [x0, y1],
      [x1, y1],
    ]) {
      if (!project(working, x, y, pt)) return { target };
      rx0 = Math.min(rx0, pt[0]);
      ry0 = Math.min(ry0, pt[1]);
      rx1 = Math.max(rx1, pt[0]);
      ry1 = Math.max(ry1, pt[1]);
    }
  }
  // A map that throws the ring far outside the reference gains nothing from a rectangle.
  if (!(rx1 - rx0 < 4 * rg.width && ry1 - ry0 < 4 * rg.height)) return { target };
  return { target, reference: grown(rx0, ry0, rx1, ry1) };
}

/** Known working pixels within `width` of the hole, thinned to at most ~20 000. */
function ringRegion(d2: Float32Array, w: number, h: number, width: number): RefineRegion {
  let count = 0;
  const w2 = width * width;
  for (let i = 0; i < d2.length; i++) if (d2[i] > 0 && d2[i] <= w2) count++;
  const stride = Math.max(1, Math.ceil(Math.sqrt(count / 20000)));
  const pts: number[] = [];
  for (let y = 0; y < h; y += stride) {
    for (let x = 0; x < w; x += stride) {
      const v = d2[y * w + x];
      if (v > 0 && v <= w2) pts.push(x, y);
    }
  }
  return { count: pts.length / 2, points: Float64Array.from(pts) };
}
