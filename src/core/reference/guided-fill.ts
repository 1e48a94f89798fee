/**
 * Reference-guided filling: restore the true background behind the object
 * from a second photo of the same scene, and say which hole pixels are still
 * left for the self-similar fill.
 *
 *   1. Align (`align.ts`): global and local homography candidates. Each is
 *      scored on the known ring around the hole. The score is the zero-mean
 *      normalised correlation of luma after colour correction. The best
 *      candidate wins; with none good enough the reference is declared
 *      unrelated and nothing is used. An alignment that few or no feature
 *      matches vouch for must also be pinned down by the ring: moved a
 *      little along the ring's least-constrained direction it must fit
 *      clearly worse (a sky or stripes fit anywhere along their lines), and
 *      a flat ring cannot confirm it at all; without a homography's own
 *      matches the rest of the photo must back it too (`weakPoseVerdict`).
 *      The more matches agree on a homography, the less its ring has to
 *      show: in a scene with depth the ring and the rest of the photo lie
 *      partly off its plane (`requiredRingCorrelation`).
 *      The parallax flow (`flow.ts`) measured on the ring carries the
 *      alignment into the hole: as measured at the hole's edge, and deeper
 *      inside as the ring's dominant layer moves, so a nearer layer crossing
 *      the ring does not drag the background behind the object. The fill
 *      may take a flow measured with a wider search (a nearer layer that
 *      moves further) when it predicts the ring better; the decision to use
 *      the reference is taken on the narrow one.
 *   2. Colour: per-channel tone curves (`tone.ts`) fitted on a wide ring,
 *      robust to moved people and non-linear tone changes, around a
 *      per-channel gain and bias fitted by trimmed
 *      least squares (exposure and white balance). Then a membrane correction
 *      (`membrane.ts`) spreads the remaining difference along the hole's edge
 *      inward, so the seam vanishes while the reference's full-resolution
 *      detail is kept.
 *   3. Trust, per pixel. A pixel is not taken from the reference when:
 *      - the reference does not cover it;
 *      - it lies under edge cells where the aligned reference disagrees with
 *        the photo, i.e. something moved there (spread inward by the same
 *        membrane);
 *      - it lies well inside the hole, where the reference still agrees with
 *        the removed pixels, i.e. the object is in the reference too (followed
 *        from there over windows whose texture still correlates with it, and
 *        over all of that hole once a quarter of it is found).
 *   Those pixels form the residual mask that the regular erase fills, with
 *   the reference-filled pixels as known context.
 */
import type { Mask, Rect, RgbaImage } from "../image.js";
import { dilate, holeBounds, squaredDistanceTo } from "../mask.js";
import { extendGrid, FIXED, type Grid, SOLVE, sampleGrid, solveMembrane } from "../membrane.js";
import type { Random } from "../random.js";
import {
  type AlignmentCandidate,
  alignReference,
  CONFIDENT_INLIERS,
  type FeatureDetector,
  MIN_INLIERS,
  type Surroundings,
  type WideEvidence,
  wideEvidence,
} from "./align.js";
import { dominantFlowAt, flowAt, parallaxFlow } from "./flow.js";
import { matchGrain } from "./grain.js";
import { compose, type Homography } from "./homography.js";
import { applyTone, fitToneCurves, type ToneCurves } from "./tone.js";
import { type ShrunkReferences, warpReference, warpReferenceAt } from "./warp.js";

export interface ReferenceReport {
  /** True when at least part of the hole was filled from the reference. */
  used: boolean;
  /** Why the reference was not used, or which parts of the hole it could not fill. */
  notes: string[];
  alignment: AlignmentCandidate["kind"] | "none";
  matches: number;
  inliers: number;
  /** Correlation of luma between the photo and the aligned reference on the ring around the hole. */
  ringCorrelation: number;
  /** Fraction of the hole's pixels taken from the reference. */
  filledFraction: number;
  /** Target → reference pixel mapping, row-major 3×3, or null. */
  homography: number[] | null;
  alignMs: number;
  fillMs: number;
}

export interface ReferenceFill {
  /** The photo with the trusted hole pixels filled from the reference. */
  image: RgbaImage;
  /** Hole pixels still to fill (a subset of the mask). */
  residual: Uint8Array;
  report: ReferenceReport;
}

/** Below this ring correlation the reference does not show the scene around the hole. */
const MIN_RING_CORRELATION = 0.5;
/**
 * How far below MIN_RING_CORRELATION a homography alone may score and still
 * be judged after the parallax correction (which moves ring points by a few
 * pixels at most, so it cannot make another scene's ring correlate).
 */
const PARALLAX_ALLOWANCE = 0.15;
/**
 * An alignment that fewer feature matches agree on is weak evidence: on a
 * self-similar texture (stripes, a façade) a wrong one can still correlate
 * moderately on the ring, so it must correlate clearly.
 */
const WEAK_INLIERS = 20;
const MIN_WEAK_CORRELATION = 0.75;
/**
 * An alignment found by the direct search (no feature matches at all) must
 * predict the ring almost exactly: the search itself maximised correlation
 * over many poses, so a moderate score is what chance gives a soft texture.
 */
const MIN_DIRECT_CORRELATION = 0.9;
/**
 * A weakly supported alignment is pinned down when moving it by this
 * fraction of the hole's long side lowers the ring correlation by at least
 * MIN_PINNED_DROP.
 */
const PINNED_SHIFT = 0.04;
const MIN_PINNED_DROP = 0.01;
/**
 * Near a correlation of 1 (a smooth sky or water with a few ripples) the
 * drop saturates: an exact pose at 0.9996 that moves to 0.990 has lost only
 * 0.0096, yet what the ring leaves unexplained grew 27-fold. So a pose is
 * also pinned down when the moved one leaves at least this many times as
 * much unexplained (1 − correlation)…
 */
const PINNED_RESIDUAL_RATIO = 4;
/** …and the drop is still clearly above the noise of the score. */
const MIN_RATIO_DROP = 0.003;
/**
 * Where the ring does not pin a weak pose down, the detail of the rest of the
 * photo may (`pinnedByPhoto`): its correlation with the reference's must
 * reach this…
 */
const MIN_WIDE_CORRELATION = 0.25;
/** …and fall to at most this share of it when the pose is moved… */
const WIDE_MOVED_SHARE = 0.5;
/**
 * …or, where the detail is soft (a blurred, low-contrast photo: a sunset sky
 * over calm water), a correlation of at least WIDE_SOFT_CORRELATION that
 * leaves at least WIDE_RESIDUAL_RATIO times as much unexplained when moved
 * either way, so the pose lies within half the shift of the peak. On softened
 * tuning views (photos 1–6 blurred by σ 4–8 px, contrast ×0.4–0.5) nine right
 * poses (within 2.2 px) scored 0.90–0.99 and 0.84–0.96 moved (1.4–2× the
 * residual), far from half; another scene's detail stays within ±0.05, and a
 * wrong pose of the same scene scored at most 0.05 there.
 */
const WIDE_RESIDUAL_RATIO = 1.25;
const WIDE_SOFT_CORRELATION = 0.5;
/**
 * Where the ring does pin a weak pose down, the photo's detail must still not
 * speak against it: below WIDE_SOFT_CORRELATION, the pose must lie at a clear
 * peak of that detail's correlation, moved it keeping at most this share of
 * it. A repeating pattern (curved bands, tiles) fits the ring at a copy of
 * the right place: on a tuning view zoomed 1.78× the direct search's pose,
 * 708 px off, was pinned by the ring, while the detail elsewhere correlated
 * 0.37 and still 0.30 moved (0.81 of it). Right poses below 0.5 on the
 * softened tuning views kept 0.30–0.62 of theirs (seeds 1–3, photos 1–6);
 * every right weak pose on the plain tuning views (seeds 1–9) scored 0.98+.
 */
const PINNED_WIDE_MOVED_SHARE = 0.7;
/** A flat ring (luma std below this) is judged by its mean error instead. */
const FLAT_RING_STD = 4;
const FLAT_RING_MAX_ERROR = 8;
/**
 * The flow of the wide search must raise the ring's correlation by at least
 * this much: on a view with no parallax at all (a tuning synthetic view of a
 * façade, ring 0.9986) it found 44 repeats of the texture up to 12 px off
 * that raised it by less than 0.001 and cost 5 dB.
 */
const MIN_WIDE_GAIN = 0.01;
/** Pixels over which the fill's flow passes from the whole ring's (at the hole's edge) to the dominant layer's (inside). */
const LAYER_BLEND = 24;
/**
 * Mean luma difference over an edge cell above which something moved there.
 * (22 gave 0.11 dB less on the real tuning pairs: on the stereo aloe pair
 * it left 15–25 % of the hole to the self-similar fill, which did worse
 * there than the reference; graffiti gained most.)
 */
const EDGE_MISMATCH = 32;
/**
 * Mean difference below which the reference still shows the removed pixels:
 * per pixel the larger of the luma difference and the mean difference over
 * the three channels scaled by STALE_COLOUR_SCALE. On luma alone, an object
 * whose texture had the background's brightness counted as still there (17 %
 * of a rubber-whale hole, 2–5 % of graffiti and pedestrian holes went to the
 * self-similar fill). Colour alone at the same level let more of an object
 * that is still there be copied back from a view in other light, whose
 * per-channel tone curves leave colour errors that luma averages out
 * (12 instead of 10 of 24 such tuning views copied some of it back).
 */
const STALE_DIFFERENCE = 9;
/** A colour difference of 20 levels counts as a luma difference of 9. */
const STALE_COLOUR_SCALE = 9 / 20;
/**
 * From where it is found still there, the object is followed over windows
 * where the reference's texture follows the removed pixels' texture: luma
 * correlation at least STALE_CORRELATION, both textured (standard deviation
 * at least STALE_TEXTURE_STD), the difference within
 * STALE_CORRELATED_DIFFERENCE. The tone curves are fitted on the background
 * around the hole, so in a view in other light (gamma 0.6–1.6) the object's
 * own colours can stay 10–30 levels off, while its texture still correlates
 * 0.9 or more. Such windows alone do not count: a tinted or shadowed film over
 * the background, gone in the reference, correlates just as well.
 */
const STALE_CORRELATION = 0.9;
const STALE_TEXTURE_STD = 4;
const STALE_CORRELATED_DIFFERENCE = 3 * STALE_DIFFERENCE;
/**
 * An object is either still in the reference or not: where this share of a
 * hole's interior is judged still there, all of that hole is (its flat parts
 * can differ by more than STALE_DIFFERENCE where the tone curves
 * extrapolate, and were copied back).
 */
const STALE_WHOLE_SHARE = 0.25;
/** Reference-filled pixels given back to the self-similar fill at every residual edge, for a soft seam. */
const RESIDUAL_GROWTH = 2;
/** Below this fraction of the hole, using the reference is not worth a seam. */
const MIN_FILLED_FRACTION = 0.02;

/**
 * Fills what it can of the hole from `reference`; see the module comment.
 * `detectElsewhere` finds the reference's alignment features on another
 * thread meanwhile (`alignReference`); the fill is the same with or without it.
 * With `inPlace` the restored pixels are written into `image.data` (returned
 * as the image) instead of a copy of the photo; only when the reference is used.
 */
export async function fillFromReference(
  image: RgbaImage,
  mask: Mask,
  reference: RgbaImage,
  rng: Random,
  detectElsewhere?: FeatureDetector,
  inPlace = false,
): Promise<ReferenceFill> {
  const t0 = performance.now();
  const { width: W, height: H } = image;
  const hole = mask.data;
  const bounds = holeBounds(hole, W, H);
  const report: ReferenceReport = {
    used: false,
    notes: [],
    alignment: "none",
    matches: 0,
    inliers: 0,
    ringCorrelation: 0,
    filledFraction: 0,
    homography: null,
    alignMs: 0,
    fillMs: 0,
  };
  const unused = (note: string): ReferenceFill => {
    // Why first, before what was tried on the way (a parallax correction).
    report.notes.unshift(note);
    report.fillMs = performance.now() - t0 - report.alignMs;
    return { image, residual: new Uint8Array(hole), report };
  };
  if (bounds === null) return unused("The mask is empty.");
  const alignment = await alignReference(image, hole, bounds, reference, rng, detectElsewhere);
  report.alignMs = performance.now() - t0;
  report.matches = alignment.matches;
  if (alignment.candidates.length === 0) {
    return unused(
      `The reference could not be aligned to the photo (${alignment.matches} distinctive feature matches, none consistent); it is probably of another scene.`,
    );
  }

  const long = Math.max(bounds.width, bounds.height);
  const wide = Math.max(16, Math.ceil(0.35 * long));
  const narrow = Math.max(4, Math.round(0.08 * long));
  const crop = grow(bounds, wide, W, H);
  const geo = cropGeometry(image, hole, crop);

  let ringCount = 0;
  for (let i = 0; i < geo.n; i++) if (!geo.hole[i] && geo.toHole[i] <= wide * wide) ringCount++;
  // Candidates are scored on a lattice of at most ~60 000 ring pixels; the colour fit needs no more.
  const step = Math.max(1, Math.ceil(Math.sqrt(ringCount / 60000)));
  const ringNarrow = new Uint8Array(geo.n);
  const scoreNarrow = new Uint8Array(geo.n);
  // The lattice's pixels in order (crop indices), and of those the wide ring's and the narrow one's: poses
  // are warped, fitted and scored at these points alone (see `latticeOf`).
  const latticeIndices: number[] = [];
  const onWide: number[] = [];
  const onNarrow: number[] = [];
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0, i = y * crop.width; x < crop.width; x++, i++) {
      if (geo.hole[i]) continue;
      const onLattice = x % step === 0 && y % step === 0;
      const isNarrow = geo.toHole[i] <= narrow * narrow;
      if (isNarrow) ringNarrow[i] = 1;
      const scores = isNarrow && onLattice;
      if (scores) scoreNarrow[i] = 1;
      const isWide = geo.toHole[i] <= wide * wide && onLattice;
      if (!isWide && !scores) continue;
      latticeIndices.push(i);
      onWide.push(isWide ? 1 : 0);
      onNarrow.push(scores ? 1 : 0);
    }
  }
  const lattice = latticeOf(geo.rgb, Int32Array.from(latticeIndices));
  const latticeWide = Uint8Array.from(onWide);
  const latticeNarrow = Uint8Array.from(onNarrow);
  // The narrow ring's lattice alone, for the checks that score a pose there.
  const scoring = latticeOf(
    geo.rgb,
    lattice.points.filter((_, k) => latticeNarrow[k] !== 0),
  );
  const everyPoint = new Uint8Array(scoring.points.length).fill(1);
  // The reference's box-averaged copies, made once for all of this alignment's warps.
  const shrinks: ShrunkReferences = new Map();
  const scoreAt = (h: Homography, tone: ToneCurves, d?: (x: number, y: number, out: Float64Array) => void) => {
    const warp = warpReferenceAt(reference, h, crop, scoring.points, d, shrinks);
    return ringScore(scoring.rgb, warp.rgb, everyPoint, warp.valid, tone);
  };

  let best: ScoredCandidate | null = null;
  const scored: ScoredCandidate[] = [];
  for (const c of alignment.candidates) {
    // On the lattice, in the crop's order: the same sums as over planes the size of the crop.
    const warp = warpReferenceAt(reference, c.homography, crop, lattice.points, undefined, shrinks);
    const tone = fitToneCurves(lattice.rgb, warp.rgb, latticeWide, warp.valid, fitColour(lattice.rgb, warp.rgb, latticeWide, warp.valid));
    const score = ringScore(lattice.rgb, warp.rgb, latticeNarrow, warp.valid, tone);
    if (Number.isNaN(score)) continue;
    const entry = { h: c.homography, kind: c.kind, inliers: c.inliers, tone, score };
    scored.push(entry);
    if (best === null || score > best.score) best = entry;
  }
  if (best !== null && best.inliers < WEAK_INLIERS) best = backedByPhoto(best, scored, alignment.surroundings, pinnedShift(bounds));
  if (best === null) {
    return unused(
      "Aligned, the reference does not show the surroundings of the hole (it was taken further to one side); the hole is filled from the photo alone.",
    );
  }
  report.alignment = best.kind;
  report.inliers = best.inliers;
  report.ringCorrelation = best.score;
  report.homography = Array.from(best.h);
  const rejected = (score: number, needed = MIN_RING_CORRELATION) =>
    unused(
      `The aligned reference does not match the photo around the hole (correlation ${score.toFixed(2)} < ${needed}); it is probably of another scene or view.`,
    );
  if (best.score < MIN_RING_CORRELATION - PARALLAX_ALLOWANCE) return rejected(best.score);

  const needed = new Uint8Array(geo.n);
  for (let i = 0; i < geo.n; i++) needed[i] = geo.hole[i] | ringNarrow[i];
  // Parallax the homography leaves: measured on the ring, carried into the hole.
  // Kept only when it predicts the ring better than the homography alone; the
  // decision to use the reference is then taken on the corrected ring, so a
  // scene with depth (a stereo pair, a step aside) is judged on its geometry
  // once the parallax is explained, not on the plane of one homography.
  const flow = parallaxFlow(image, geo.hole, geo.toHole, crop, reference, best.h, false, shrinks);
  let displace: ((x: number, y: number, out: Float64Array) => void) | undefined;
  if (flow && flow.largest >= 0.5) {
    const withFlow = (x: number, y: number, out: Float64Array) => flowAt(flow, x, y, out);
    const score = scoreAt(best.h, best.tone, withFlow);
    if (score > best.score) {
      displace = withFlow;
      report.ringCorrelation = score;
      report.notes.push(`Parallax corrected: up to ${flow.largest.toFixed(1)} px from ${flow.measured} points around the hole.`);
    }
  }
  const ringNeeded = requiredRingCorrelation(best.inliers);
  if (report.ringCorrelation < ringNeeded) return rejected(report.ringCorrelation, ringNeeded);
  const direct = best.kind.startsWith("direct");
  if (direct && report.ringCorrelation < MIN_DIRECT_CORRELATION) {
    return unused(
      `No feature matches agree on an alignment, and the best one found on the pixels matches the photo around the hole too loosely (correlation ${report.ringCorrelation.toFixed(2)} < ${MIN_DIRECT_CORRELATION}).`,
    );
  }
  if (best.inliers < WEAK_INLIERS && ringStd(geo.rgb, scoreNarrow) < FLAT_RING_STD) {
    // A flat ring agrees with any alignment: only the features could vouch for it, and too few do.
    return unused(
      `${few(best.inliers)} feature matches agree on the alignment, and the ring around the hole is too flat to confirm it; the hole is filled from the photo alone.`,
    );
  }
  if (best.inliers < WEAK_INLIERS && report.ringCorrelation < MIN_WEAK_CORRELATION) {
    return unused(
      `${few(best.inliers)} feature matches agree on the alignment, and the aligned reference matches the photo around the hole too loosely for so few (correlation ${report.ringCorrelation.toFixed(2)} < ${MIN_WEAK_CORRELATION}).`,
    );
  }
  if (best.inliers < WEAK_INLIERS) {
    // Few or no feature matches vouch for the pose, so the ring must pin it
    // down: moved by a few pixels either way, the reference must predict the
    // ring clearly worse. A smooth sky or parallel stripes correlate just as
    // well shifted along their lines, and say nothing about where they are.
    // Moved along the direction the ring's gradients constrain least (the smaller eigenvector of its structure tensor).
    const d = pinnedShift(bounds);
    const [ex, ey] = weakestDirection(geo.rgb, scoreNarrow, geo.hole, crop.width, crop.height);
    let moved = Number.NEGATIVE_INFINITY;
    for (const sign of [1, -1]) {
      const shifted = compose(best.h, Float64Array.of(1, 0, sign * d * ex, 0, 1, sign * d * ey, 0, 0, 1));
      const score = scoreAt(shifted, best.tone);
      if (!Number.isNaN(score)) moved = Math.max(moved, score);
    }
    const wide = wideEvidence(alignment.surroundings, best.h, d);
    const verdict = weakPoseVerdict(best.inliers, best.score, moved, wide);
    const wideScore = (wide?.score ?? 0).toFixed(2);
    const wideMoved = (wide?.moved ?? 0).toFixed(2);
    if (verdict === "unrelated") {
      return unused(
        `${few(best.inliers)} feature matches agree on the alignment, and the reference's detail does not match the rest of the photo (correlation ${wideScore} < ${MIN_WIDE_CORRELATION}); it is probably of another scene.`,
      );
    }
    if (verdict === "repeating") {
      return unused(
        `${few(best.inliers)} feature matches agree on the alignment; the ring around the hole fits it, but the photo's detail elsewhere hardly does (correlation ${wideScore}, still ${wideMoved} when moved by ${d} px): a repeating pattern fits more than one place, so the hole is filled from the photo alone.`,
      );
    }
    if (verdict === "unpinned") {
      return unused(
        `${few(best.inliers)} feature matches agree on the alignment, and the ring around the hole does not pin it down (correlation ${best.score.toFixed(3)}, still ${moved.toFixed(3)} when moved by ${d} px), and the photo's detail elsewhere neither (correlation ${wideScore}, ${wideMoved} when moved); the hole is filled from the photo alone.`,
      );
    }
    if (verdict === "pinned by the photo") {
      report.notes.push(
        `The ring around the hole is plain; the photo's detail elsewhere pins the alignment down (correlation ${wideScore}, ${wideMoved} when moved by ${d} px).`,
      );
    }
  }
  // The fill may also take the shifts of ring points that move further than
  // the search above looks (a nearer layer: leaves, a gable), measured by a
  // wider search where that one found no clear match, when they predict the
  // ring better still. The decision to use the reference stays with the
  // narrow search: the wide one has more freedom to fit any ring.
  let fillFlow = displace ? flow : null;
  // (A ring already explained to within MIN_WIDE_GAIN cannot gain that much.)
  const wideFlow =
    report.ringCorrelation <= 1 - MIN_WIDE_GAIN ? parallaxFlow(image, geo.hole, geo.toHole, crop, reference, best.h, true, shrinks) : null;
  if (wideFlow && wideFlow.widened > 0 && wideFlow.largest >= 0.5) {
    const withWide = (x: number, y: number, out: Float64Array) => flowAt(wideFlow, x, y, out);
    const score = scoreAt(best.h, best.tone, withWide);
    if (score >= report.ringCorrelation + MIN_WIDE_GAIN) {
      fillFlow = wideFlow;
      displace = withWide;
      report.notes.push(
        `A wider search measured ${wideFlow.widened} more points that move up to ${wideFlow.largest.toFixed(1)} px (correlation ${score.toFixed(2)}).`,
      );
    }
  }
  // Deep inside the hole the flow follows the ring's dominant layer; a nearer
  // layer's parallax measured at the edge (a leaf crossing the ring) would
  // otherwise drag the background behind the object.
  let fillDisplace = displace;
  if (displace && fillFlow?.dominant) {
    report.notes.push(`Deeper inside the hole it follows the ${fillFlow.dominantNodes} of them that move with most of the ring.`);
    const toKnown = squaredDistanceTo(geo.known, crop.width, crop.height);
    const edgeFlow = new Float64Array(2);
    const layered = fillFlow;
    fillDisplace = (x: number, y: number, out: Float64Array) => {
      const w = Math.min(1, Math.sqrt(toKnown[y * crop.width + x]) / LAYER_BLEND);
      flowAt(layered, x, y, edgeFlow);
      dominantFlowAt(layered, x, y, out);
      out[0] = (1 - w) * edgeFlow[0] + w * out[0];
      out[1] = (1 - w) * edgeFlow[1] + w * out[1];
    };
  }
  const tone = best.tone;
  const colourCorrected = (d: typeof displace) => {
    const wp = warpReference(reference, best.h, crop, needed, d, shrinks);
    for (let i = 0; i < geo.n; i++) {
      if (!wp.valid[i]) continue;
      for (let c = 0; c < 3; c++) wp.rgb[i * 3 + c] = applyTone(tone, c, wp.rgb[i * 3 + c]);
    }
    return wp;
  };
  const warp = colourCorrected(fillDisplace);
  const ref = warp.rgb;

  const edge = edgeCorrection(geo, ref, warp.valid, ringNarrow, crop);
  const staleMargin = Math.ceil(0.006 * Math.max(W, H)) + 3;
  const staleRadius = Math.max(2, Math.round(long / 48));
  const holeBox = { x: bounds.x - crop.x, y: bounds.y - crop.y, width: bounds.width, height: bounds.height };
  const stale = staleInterior(geo, ref, warp.valid, crop, holeBox, staleMargin, staleRadius);
  if (fillDisplace) {
    // The flow is interpolated, not measured, inside the hole: whether the
    // reference still shows the object is also asked of the homography alone.
    const plain = colourCorrected(undefined);
    const stalePlain = staleInterior(geo, plain.rgb, plain.valid, crop, holeBox, staleMargin, staleRadius);
    for (let i = 0; i < geo.n; i++) stale[i] |= stalePlain[i];
  }

  const trusted = new Uint8Array(geo.n);
  let holeCount = 0;
  let uncovered = 0;
  let moved = 0;
  let staleCount = 0;
  const cell = edge.cell;
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      if (!geo.hole[i]) continue;
      holeCount++;
      if (!warp.valid[i]) {
        uncovered++;
        continue;
      }
      if (sampleGrid(edge.mismatch, (x + 0.5) / cell, (y + 0.5) / cell, 0) > 0.5) {
        moved++;
        continue;
      }
      if (stale[i]) {
        staleCount++;
        continue;
      }
      trusted[i] = 1;
    }
  }
  const residual = residualMask(hole, trusted, geo, crop, W);
  let filled = 0;
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) if (geo.hole[y * crop.width + x] && !residual[(crop.y + y) * W + crop.x + x]) filled++;
  }
  const pct = (k: number) => `${((100 * k) / holeCount).toFixed(0)}%`;
  if (uncovered > 0) report.notes.push(`${pct(uncovered)} of the hole lies outside the reference.`);
  if (moved > 0) report.notes.push(`${pct(moved)} of the hole borders a part of the reference where something moved.`);
  if (staleCount > 0) report.notes.push(`${pct(staleCount)} of the hole still shows the object in the reference.`);
  report.filledFraction = filled / holeCount;
  if (report.filledFraction < MIN_FILLED_FRACTION) {
    report.filledFraction = 0;
    return unused("The reference shows nothing usable behind the object; the hole is filled from the photo alone.");
  }
  // The reference's grain, where it is noisier than the photo, is brought down to the photo's (grain.ts).
  const grain = matchGrain(geo.rgb, ref, ringNarrow, warp.valid, trusted, crop.width, crop.height);
  if (grain?.excess.some((e) => e > 0)) {
    const mean = (v: number[]) => (v[0] + v[1] + v[2]) / 3;
    report.notes.push(
      `The reference is grainier than the photo (fine variation around the hole ${mean(grain.reference).toFixed(1)} against ${mean(grain.photo).toFixed(1)} grey levels); its excess grain is filtered out of what it fills.`,
    );
  }
  // Written only once the reference is used, so that an unused one leaves even an in-place photo as it was.
  const out = inPlace ? image.data : new Uint8ClampedArray(image.data);
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      if (!trusted[i]) continue;
      const u = (x + 0.5) / cell;
      const v = (y + 0.5) / cell;
      const p = ((crop.y + y) * W + crop.x + x) * 4;
      for (let c = 0; c < 3; c++) out[p + c] = Math.round(ref[i * 3 + c] + sampleGrid(edge.residual, u, v, c));
    }
  }
  report.used = true;
  report.fillMs = performance.now() - t0 - report.alignMs;
  return { image: inPlace ? image : { width: W, height: H, data: out }, residual, report };
}

/**
 * The photo at some of the crop's pixels (`points`, crop indices in
 * increasing order): their RGB as interleaved floats, one triple per point.
 * Fits and scores over such a list visit the points in the crop's order, so
 * their sums are those over the crop's planes.
 */
function latticeOf(rgb: Float32Array, points: Int32Array): { points: Int32Array; rgb: Float32Array } {
  const out = new Float32Array(points.length * 3);
  for (let k = 0; k < points.length; k++) {
    const i = points[k];
    out[k * 3] = rgb[i * 3];
    out[k * 3 + 1] = rgb[i * 3 + 1];
    out[k * 3 + 2] = rgb[i * 3 + 2];
  }
  return { points, rgb: out };
}

interface CropGeometry {
  n: number;
  /** Target RGB of the crop, interleaved floats. */
  rgb: Float32Array;
  hole: Uint8Array;
  /** Squared distance of each pixel to the nearest hole pixel. */
  toHole: Float32Array;
  /** Known pixels, as a plane. */
  known: Uint8Array;
}

function cropGeometry(image: RgbaImage, mask: Uint8Array, crop: Rect): CropGeometry {
  const n = crop.width * crop.height;
  const rgb = new Float32Array(n * 3);
  const hole = new Uint8Array(n);
  const known = new Uint8Array(n);
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      const m = (crop.y + y) * image.width + crop.x + x;
      hole[i] = mask[m] !== 0 ? 1 : 0;
      known[i] = 1 - hole[i];
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = image.data[m * 4 + c];
    }
  }
  return {
    n,
    rgb,
    hole,
    toHole: squaredDistanceTo(hole, crop.width, crop.height),
    known,
  };
}

/**
 * Per-channel gain and bias mapping the reference onto the photo, by least
 * squares trimmed twice at 3 robust standard deviations (moving people in
 * either photo are outliers). Returns [g_r, g_g, g_b, b_r, b_g, b_b].
 */
function fitColour(target: Float32Array, ref: Float32Array, use: Uint8Array, valid: Uint8Array): Float64Array {
  const out = Float64Array.of(1, 1, 1, 0, 0, 0);
  const idx: number[] = [];
  for (let i = 0; i < use.length; i++) if (use[i] && valid[i]) idx.push(i);
  if (idx.length < 16) return out;
  const res = new Float64Array(idx.length);
  const histogram = new Int32Array(1024);
  for (let c = 0; c < 3; c++) {
    let limit = Number.POSITIVE_INFINITY;
    let gain = 1;
    let bias = 0;
    for (let round = 0; round < 3; round++) {
      let n = 0;
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let sxy = 0;
      for (let k = 0; k < idx.length; k++) {
        if (Math.abs(res[k]) > limit) continue;
        const x = ref[idx[k] * 3 + c];
        const y = target[idx[k] * 3 + c];
        n++;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
      }
      if (n < 16) break;
      const varX = sxx / n - (sx / n) ** 2;
      gain = varX > 1 ? Math.min(3, Math.max(0.33, (sxy / n - (sx / n) * (sy / n)) / varX)) : 1;
      bias = sy / n - gain * (sx / n);
      for (let k = 0; k < idx.length; k++) res[k] = target[idx[k] * 3 + c] - (gain * ref[idx[k] * 3 + c] + bias);
      limit = Math.max(6, 3 * 1.4826 * medianAbs(res, histogram));
    }
    out[c] = gain;
    out[3 + c] = bias;
    res.fill(0);
  }
  return out;
}

/** Median of |v| to the nearest ¼, by a histogram (values are 8-bit differences). */
function medianAbs(v: Float64Array, histogram: Int32Array): number {
  histogram.fill(0);
  const top = histogram.length - 1;
  for (let k = 0; k < v.length; k++) histogram[Math.min(top, Math.floor(Math.abs(v[k]) * 4))]++;
  let seen = 0;
  for (let b = 0; b <= top; b++) {
    seen += histogram[b];
    if (2 * seen >= v.length) return (b + 0.5) / 4;
  }
  return top / 4;
}

/**
 * Zero-mean normalised correlation of luma on the ring, after the tone
 * curves; flat rings score by mean error; NaN when the reference covers
 * almost none of the ring.
 */
function ringScore(target: Float32Array, ref: Float32Array, use: Uint8Array, valid: Uint8Array, tone: ToneCurves): number {
  let n = 0;
  let st = 0;
  let sr = 0;
  let stt = 0;
  let srr = 0;
  let str = 0;
  let err = 0;
  for (let i = 0; i < use.length; i++) {
    if (!use[i] || !valid[i]) continue;
    const t = 0.299 * target[i * 3] + 0.587 * target[i * 3 + 1] + 0.114 * target[i * 3 + 2];
    const r =
      0.299 * applyTone(tone, 0, ref[i * 3]) + 0.587 * applyTone(tone, 1, ref[i * 3 + 1]) + 0.114 * applyTone(tone, 2, ref[i * 3 + 2]);
    n++;
    st += t;
    sr += r;
    stt += t * t;
    srr += r * r;
    str += t * r;
    err += Math.abs(t - r);
  }
  if (n < 16) return Number.NaN;
  const vt = stt / n - (st / n) ** 2;
  const vr = srr / n - (sr / n) ** 2;
  if (Math.sqrt(vt) < FLAT_RING_STD) return err / n <= FLAT_RING_MAX_ERROR ? 1 : 0;
  return (str / n - (st / n) * (sr / n)) / Math.sqrt(Math.max(1e-9, vt * vr));
}

/** Unit vector along which the photo's luma on `use` varies least: the structure tensor's smaller eigenvector. */
function weakestDirection(rgb: Float32Array, use: Uint8Array, hole: Uint8Array, w: number, h: number): [number, number] {
  const luma = (i: number) => 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      // Differences across the hole's edge would measure the object.
      if (!use[i] || hole[i - 1] || hole[i + 1] || hole[i - w] || hole[i + w]) continue;
      const gx = luma(i + 1) - luma(i - 1);
      const gy = luma(i + w) - luma(i - w);
      xx += gx * gx;
      yy += gy * gy;
      xy += gx * gy;
    }
  }
  // Eigenvector of [[xx, xy], [xy, yy]] for the smaller eigenvalue.
  const angle = 0.5 * Math.atan2(2 * xy, xx - yy) + Math.PI / 2;
  return [Math.cos(angle), Math.sin(angle)];
}

/** A candidate pose with its tone curves and ring correlation. */
interface ScoredCandidate {
  h: Homography;
  kind: AlignmentCandidate["kind"];
  inliers: number;
  tone: ToneCurves;
  score: number;
}

/** The shift (full-resolution pixels) by which a weak pose is moved to see whether it is pinned down. */
function pinnedShift(bounds: Rect): number {
  return Math.max(3, Math.round(PINNED_SHIFT * Math.max(bounds.width, bounds.height)));
}

/**
 * A smooth ring fits many poses almost alike (on softened tuning views the
 * direct search's best pose on the ring was 420–610 px off while its
 * runner-up was right), so a weak pose whose detail the rest of the photo
 * does not back (`wideEvidence` below MIN_WIDE_CORRELATION: it would be
 * refused) gives way to the best-fitting weak candidate that the photo's
 * detail pins down (`pinnedByPhoto`). That one then passes every check the
 * first would have had to; another scene's detail backs none of them.
 */
function backedByPhoto(best: ScoredCandidate, scored: ScoredCandidate[], surroundings: Surroundings, shift: number): ScoredCandidate {
  // A homography its own feature matches agree on is not traded for a pose the search found on the pixels.
  if (best.inliers >= MIN_INLIERS) return best;
  const first = wideEvidence(surroundings, best.h, shift);
  if (first !== null && first.score >= MIN_WIDE_CORRELATION) return best;
  const others = scored.filter((c) => c !== best && c.inliers < WEAK_INLIERS).sort((a, b) => b.score - a.score);
  for (const c of others) if (pinnedByPhoto(wideEvidence(surroundings, c.h, shift))) return c;
  return best;
}

/**
 * What a weakly supported pose (fewer than WEAK_INLIERS agreeing feature
 * matches) is worth, from its ring correlation `score`, the best ring
 * correlation once moved (`moved`) and the rest of the photo's evidence:
 *   - "unrelated": the rest of the photo does not correlate with the
 *     reference's detail (a ring of sky or mist fits another scene's sky: a
 *     pale sky turned and zoomed onto another pale sky scored 0.90 on the
 *     ring), unless the pose is `matched` (below);
 *   - "repeating": the ring pins the pose, but the rest of the photo hardly
 *     backs it: a repeating pattern fits more than one place;
 *   - "unpinned": neither the ring nor the rest of the photo pins it down;
 *   - "pinned by the photo": the ring is plain and the rest of the photo pins
 *     it down (used, with a note);
 *   - "used".
 * A homography that at least MIN_INLIERS of its own feature matches agree on
 * and that the ring pins down is `matched`: the matches are evidence of the
 * scene by themselves, and where the scene has depth (houses at three
 * distances around the hole, a step aside) the rest of the photo lies off
 * the plane the homography maps and does not fit it, so the rest of the
 * photo is not asked. (A Leuven hole over 17 % of the photo, 18 matches:
 * refused at 0.15 before, +3.1 dB used.)
 */
export function weakPoseVerdict(
  inliers: number,
  score: number,
  moved: number,
  wide: WideEvidence | null,
): "unrelated" | "repeating" | "unpinned" | "pinned by the photo" | "used" {
  const pinned = pinnedDown(score, moved);
  if (inliers >= MIN_INLIERS && pinned) return "used";
  if (wide === null || wide.score < MIN_WIDE_CORRELATION) return "unrelated";
  if (pinned) return backedByDetail(wide) ? "used" : "repeating";
  return pinnedByPhoto(wide) ? "pinned by the photo" : "unpinned";
}

/**
 * The ring correlation, after the parallax correction, below which a pose
 * that `inliers` feature matches agree on is declared another scene or view:
 * MIN_RING_CORRELATION, or the parallax allowance below it for a pose that
 * CONFIDENT_INLIERS matches agree on (align.ts trusts such a homography
 * without trying other framings). That many matches show the same scene,
 * whatever its ring says: a ring still low after the parallax correction
 * then means depth the flow could not follow (leaves at three distances
 * crossing the ring), and the reference's pixels are still trusted one by
 * one. (An aloe blob, 300 matches, 0.47 on the ring: refused before,
 * +1.15 dB used.)
 */
export function requiredRingCorrelation(inliers: number): number {
  return inliers >= CONFIDENT_INLIERS ? MIN_RING_CORRELATION - PARALLAX_ALLOWANCE : MIN_RING_CORRELATION;
}

/** The ring scores `score` at the pose and at most `moved` when it is shifted: is the pose at a clear optimum? */
export function pinnedDown(score: number, moved: number): boolean {
  const drop = score - moved;
  if (drop >= MIN_PINNED_DROP) return true;
  return drop >= MIN_RATIO_DROP && 1 - moved >= PINNED_RESIDUAL_RATIO * (1 - score);
}

/**
 * The photo's detail outside the ring confirms a pose (`wideEvidence`): the
 * reference's detail correlates with it over the overlap, which another
 * scene's does not (another sky, turned and zoomed to fit the ring, scores
 * within ±0.05), and the pose is at a clear peak, moved it keeps at most
 * half of that correlation.
 */
export function pinnedByPhoto(wide: WideEvidence | null): boolean {
  if (wide === null || wide.score < MIN_WIDE_CORRELATION) return false;
  if (wide.moved <= WIDE_MOVED_SHARE * wide.score) return true;
  return wide.score >= WIDE_SOFT_CORRELATION && 1 - wide.moved >= WIDE_RESIDUAL_RATIO * (1 - wide.score);
}

/**
 * The photo's detail does not speak against a pose the ring pins down: it
 * correlates clearly (WIDE_SOFT_CORRELATION), or at least peaks at the pose.
 */
export function backedByDetail(wide: WideEvidence): boolean {
  return wide.score >= WIDE_SOFT_CORRELATION || wide.moved <= PINNED_WIDE_MOVED_SHARE * wide.score;
}

function few(inliers: number): string {
  return inliers === 0 ? "No" : `Only ${inliers}`;
}

/** Standard deviation of the photo's luma on the ring. */
function ringStd(target: Float32Array, use: Uint8Array): number {
  let n = 0;
  let s = 0;
  let ss = 0;
  for (let i = 0; i < use.length; i++) {
    if (!use[i]) continue;
    const t = 0.299 * target[i * 3] + 0.587 * target[i * 3 + 1] + 0.114 * target[i * 3 + 2];
    n++;
    s += t;
    ss += t * t;
  }
  return n === 0 ? 0 : Math.sqrt(Math.max(0, ss / n - (s / n) ** 2));
}

interface EdgeCorrection {
  /** Cell size in pixels. */
  cell: number;
  /** Photo − reference, spread from the agreeing edge cells into the hole. */
  residual: Grid;
  /** 1 at edge cells where something moved, 0 where the photos agree, spread into the hole. */
  mismatch: Grid;
}

function edgeCorrection(geo: CropGeometry, ref: Float32Array, valid: Uint8Array, ring: Uint8Array, crop: Rect): EdgeCorrection {
  const cell = Math.max(2, Math.ceil(Math.max(crop.width, crop.height) / 160));
  const gw = Math.ceil(crop.width / cell);
  const gh = Math.ceil(crop.height / cell);
  const sum = new Float32Array(gw * gh * 3);
  const diff = new Float32Array(gw * gh);
  const count = new Float32Array(gw * gh);
  const hasHole = new Uint8Array(gw * gh);
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      const j = Math.floor(y / cell) * gw + Math.floor(x / cell);
      if (geo.hole[i]) {
        hasHole[j] = 1;
        continue;
      }
      if (!ring[i] || !valid[i]) continue;
      let d = 0;
      for (let c = 0; c < 3; c++) {
        const r = geo.rgb[i * 3 + c] - ref[i * 3 + c];
        sum[j * 3 + c] += r;
        d += (c === 0 ? 0.299 : c === 1 ? 0.587 : 0.114) * r;
      }
      diff[j] += Math.abs(d);
      count[j]++;
    }
  }
  const residual: Grid = { width: gw, height: gh, channels: 3, data: new Float32Array(gw * gh * 3) };
  const mismatch: Grid = { width: gw, height: gh, channels: 1, data: new Float32Array(gw * gh) };
  const kindR = new Uint8Array(gw * gh);
  const kindM = new Uint8Array(gw * gh);
  const minCount = Math.max(1, (cell * cell) / 8);
  for (let j = 0; j < gw * gh; j++) {
    if (count[j] >= minCount) {
      kindM[j] = FIXED;
      if (diff[j] / count[j] > EDGE_MISMATCH) {
        mismatch.data[j] = 1;
      } else {
        kindR[j] = FIXED;
        for (let c = 0; c < 3; c++) residual.data[j * 3 + c] = sum[j * 3 + c] / count[j];
      }
    } else if (hasHole[j]) {
      kindR[j] = SOLVE;
      kindM[j] = SOLVE;
    }
  }
  solveMembrane(residual, kindR);
  solveMembrane(mismatch, kindM);
  extendGrid(residual, kindR);
  extendGrid(mismatch, kindM);
  return { cell, residual, mismatch };
}

/**
 * Hole pixels deeper than `margin` inside the hole where the reference still
 * shows the removed pixels, grown by `margin`: the object is still there in
 * the reference. Judged over a (2r+1)² window: the mean difference is below
 * STALE_DIFFERENCE; from there it spreads over connected windows whose
 * textures correlate (STALE_CORRELATION). Where STALE_WHOLE_SHARE of a
 * connected hole's interior is still there, all of it is. The margin keeps
 * the band of background that every grown mask includes from counting as
 * object.
 */
function staleInterior(
  geo: CropGeometry,
  ref: Float32Array,
  valid: Uint8Array,
  crop: Rect,
  holeBox: Rect,
  margin: number,
  r: number,
): Uint8Array {
  const { width: w, height: h } = crop;
  const w1 = w + 1;
  // Only hole pixels are judged, over windows reaching r beyond them: the sums end there. They still start at
  // the crop's corner, so each one is what it was over the whole crop.
  const hx0 = holeBox.x;
  const hy0 = holeBox.y;
  const hx1 = holeBox.x + holeBox.width;
  const hy1 = holeBox.y + holeBox.height;
  const xEnd = Math.min(w, hx1 + r);
  const yEnd = Math.min(h, hy1 + r);
  const sum = new Float64Array(w1 * (h + 1));
  const cnt = new Int32Array(w1 * (h + 1));
  for (let y = 0; y < yEnd; y++) {
    let rowSum = 0;
    let rowCnt = 0;
    for (let x = 0; x < xEnd; x++) {
      const i = y * w + x;
      if (valid[i]) {
        const j = i * 3;
        const col = (Math.abs(geo.rgb[j] - ref[j]) + Math.abs(geo.rgb[j + 1] - ref[j + 1]) + Math.abs(geo.rgb[j + 2] - ref[j + 2])) / 3;
        const lum = Math.abs(0.299 * (geo.rgb[j] - ref[j]) + 0.587 * (geo.rgb[j + 1] - ref[j + 1]) + 0.114 * (geo.rgb[j + 2] - ref[j + 2]));
        rowSum += Math.max(lum, col * STALE_COLOUR_SCALE);
        rowCnt++;
      }
      sum[(y + 1) * w1 + x + 1] = sum[y * w1 + x + 1] + rowSum;
      cnt[(y + 1) * w1 + x + 1] = cnt[y * w1 + x + 1] + rowCnt;
    }
  }
  // Square neighbourhoods (separable dilations) are plenty for a margin of a few pixels.
  const nearKnown = dilate(geo.known, w, h, margin);
  const deep = new Uint8Array(geo.n);
  for (let y = hy0; y < hy1; y++) {
    for (let i = y * w + hx0; i < y * w + hx1; i++) deep[i] = geo.hole[i] && valid[i] && !nearKnown[i] ? 1 : 0;
  }
  const differenceAt = (x: number, y: number) => {
    const x0 = Math.max(0, x - r);
    const x1 = Math.min(w, x + r + 1);
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    const n = cnt[y1 * w1 + x1] - cnt[y0 * w1 + x1] - cnt[y1 * w1 + x0] + cnt[y0 * w1 + x0];
    return n === 0 ? Number.POSITIVE_INFINITY : (sum[y1 * w1 + x1] - sum[y0 * w1 + x1] - sum[y1 * w1 + x0] + sum[y0 * w1 + x0]) / n;
  };
  const seed = new Uint8Array(geo.n);
  let any = false;
  for (let y = hy0; y < hy1; y++) {
    for (let x = hx0; x < hx1; x++) {
      const i = y * w + x;
      if (!deep[i] || differenceAt(x, y) >= STALE_DIFFERENCE) continue;
      seed[i] = 1;
      any = true;
    }
  }
  if (!any) return seed;
  // Only where something was found still there is the texture asked.
  const window = new WindowCorrelation(geo.rgb, ref, valid, w, h, r);
  const correlated = new Uint8Array(geo.n);
  for (let y = hy0; y < hy1; y++) {
    let rowReady = false;
    for (let x = hx0; x < hx1; x++) {
      const i = y * w + x;
      if (!deep[i] || seed[i] || differenceAt(x, y) >= STALE_CORRELATED_DIFFERENCE) continue;
      if (!rowReady) {
        window.toRow(y);
        rowReady = true;
      }
      correlated[i] = window.correlated(x) ? 1 : 0;
    }
  }
  spread(seed, correlated, w, h, 2 * r + 1);
  wholeHoles(seed, deep, geo.hole, w, h);
  const grown = dilate(seed, w, h, margin);
  for (let i = 0; i < geo.n; i++) grown[i] &= geo.hole[i];
  return grown;
}

/**
 * Zero-mean normalised correlation of the photo's and the reference's luma
 * over (2r+1)² windows, one row of windows at a time (running column sums:
 * memory of a few rows, not of five integral images of the crop).
 */
class WindowCorrelation {
  /** Per column: count, Σt, Σq, Σt², Σq², Σtq over the window's rows. */
  private readonly columns: Float64Array;
  /** Prefix sums of `columns` along the row. */
  private readonly prefix: Float64Array;
  private top = 0;
  private bottom = 0;

  constructor(
    private readonly target: Float32Array,
    private readonly ref: Float32Array,
    private readonly valid: Uint8Array,
    private readonly w: number,
    private readonly h: number,
    private readonly r: number,
  ) {
    this.columns = new Float64Array(6 * w);
    this.prefix = new Float64Array(6 * (w + 1));
  }

  /** Makes the window sums those of the rows y − r … y + r (call with y increasing). */
  toRow(y: number): void {
    const top = Math.max(0, y - this.r);
    const bottom = Math.min(this.h, y + this.r + 1);
    while (this.bottom < bottom) this.addRow(this.bottom++, 1);
    while (this.top < top) this.addRow(this.top++, -1);
    const p = this.prefix;
    for (let x = 0; x < this.w; x++) for (let k = 0; k < 6; k++) p[(x + 1) * 6 + k] = p[x * 6 + k] + this.columns[x * 6 + k];
  }

  /** Whether the window centred on column x of the current row is textured in both and correlates at least STALE_CORRELATION. */
  correlated(x: number): boolean {
    const p = this.prefix;
    const a = Math.max(0, x - this.r) * 6;
    const b = Math.min(this.w, x + this.r + 1) * 6;
    const n = p[b] - p[a];
    if (n < 2) return false;
    const mt = (p[b + 1] - p[a + 1]) / n;
    const mq = (p[b + 2] - p[a + 2]) / n;
    const vt = (p[b + 3] - p[a + 3]) / n - mt * mt;
    const vq = (p[b + 4] - p[a + 4]) / n - mq * mq;
    const floor = STALE_TEXTURE_STD * STALE_TEXTURE_STD;
    if (vt < floor || vq < floor) return false;
    return (p[b + 5] - p[a + 5]) / n - mt * mq >= STALE_CORRELATION * Math.sqrt(vt * vq);
  }

  private addRow(y: number, sign: number): void {
    const { target, ref, valid, columns } = this;
    for (let x = 0; x < this.w; x++) {
      const i = y * this.w + x;
      if (!valid[i]) continue;
      const t = 0.299 * target[i * 3] + 0.587 * target[i * 3 + 1] + 0.114 * target[i * 3 + 2];
      const q = 0.299 * ref[i * 3] + 0.587 * ref[i * 3 + 1] + 0.114 * ref[i * 3 + 2];
      const c = x * 6;
      columns[c] += sign;
      columns[c + 1] += sign * t;
      columns[c + 2] += sign * q;
      columns[c + 3] += sign * t * t;
      columns[c + 4] += sign * q * q;
      columns[c + 5] += sign * t * q;
    }
  }
}

/**
 * Sets `seed` on every `allowed` pixel connected (4-neighbours) through
 * allowed pixels to one within `reach` of a seed (windows that straddle the
 * edge between the two kinds fit neither, so a gap up to a window wide is
 * bridged).
 */
function spread(seed: Uint8Array, allowed: Uint8Array, w: number, h: number, reach: number): void {
  const near = dilate(seed, w, h, reach);
  const stack = new Int32Array(w * h);
  let top = 0;
  for (let i = 0; i < w * h; i++) {
    if (seed[i]) stack[top++] = i;
    else if (near[i] && allowed[i]) {
      seed[i] = 1;
      stack[top++] = i;
    }
  }
  const visit = (i: number) => {
    if (!allowed[i] || seed[i]) return;
    seed[i] = 1;
    stack[top++] = i;
  };
  while (top > 0) {
    const i = stack[--top];
    const x = i % w;
    if (x > 0) visit(i - 1);
    if (x < w - 1) visit(i + 1);
    if (i >= w) visit(i - w);
    if (i < w * (h - 1)) visit(i + w);
  }
}

/**
 * Marks every deep pixel of a connected hole (4-neighbours) in `seed` when
 * at least STALE_WHOLE_SHARE of that hole's deep pixels are seeds.
 */
function wholeHoles(seed: Uint8Array, deep: Uint8Array, hole: Uint8Array, w: number, h: number): void {
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const members: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (!hole[start] || seen[start]) continue;
    let top = 0;
    const visit = (i: number) => {
      if (!hole[i] || seen[i]) return;
      seen[i] = 1;
      stack[top++] = i;
    };
    visit(start);
    let seedCount = 0;
    members.length = 0;
    while (top > 0) {
      const i = stack[--top];
      if (deep[i]) {
        members.push(i);
        seedCount += seed[i];
      }
      const x = i % w;
      if (x > 0) visit(i - 1);
      if (x < w - 1) visit(i + 1);
      if (i >= w) visit(i - w);
      if (i < w * (h - 1)) visit(i + w);
    }
    if (members.length > 0 && seedCount >= STALE_WHOLE_SHARE * members.length) for (const i of members) seed[i] = 1;
  }
}

/** hole ∧ ¬trusted, grown by RESIDUAL_GROWTH inside the hole, as a full-image plane. */
function residualMask(hole: Uint8Array, trusted: Uint8Array, geo: CropGeometry, crop: Rect, W: number): Uint8Array {
  const local = new Uint8Array(geo.n);
  for (let i = 0; i < geo.n; i++) local[i] = geo.hole[i] && !trusted[i] ? 1 : 0;
  const grown = dilate(local, crop.width, crop.height, RESIDUAL_GROWTH);
  const out = new Uint8Array(hole);
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const i = y * crop.width + x;
      if (geo.hole[i]) out[(crop.y + y) * W + crop.x + x] = grown[i];
    }
  }
  return out;
}

function grow(r: Rect, m: number, W: number, H: number): Rect {
  const x0 = Math.max(0, r.x - m);
  const y0 = Math.max(0, r.y - m);
  const x1 = Math.min(W, r.x + r.width + m);
  const y1 = Math.min(H, r.y + r.height + m);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
