/**
 * The erase pipeline, RETHINED-style (Sanchez, Triginer, Sarasua, Raad &
 * Ballester 2024):
 *   1. crop to the hole's box plus context, downsample by an integer factor s
 *      with an anti-aliasing prefilter so the long side is ≈ `lowResLongSide`;
 *   1½. structure first (`structure/`): lines and edges that run into the
 *      hole are paired into curves and a band along each is copied from the
 *      same curve outside the hole, at full resolution; the bands are pasted
 *      over the fill after step 5;
 *   2. coarse fill at low resolution (`CoarseStage`: PatchMatch completion by
 *      default, or an ONNX inpainting network through `NetworkCoarse`);
 *   3. masked sparse patch attention between hole tokens and known blocks;
 *   4. attention upscaling: upsampled fill + attention-weighted copy of the
 *      known full-resolution high frequencies;
 *   5. composite: only hole pixels are written, with a seam band inside the edge.
 * With a reference photo of the same scene, the hole is first filled from it
 * where it can be trusted (`reference/guided-fill.ts`); steps 1–5 then fill
 * only what is left, with the restored pixels as context.
 * TypeScript over typed arrays; runs in Node, browsers and workers (some loops in WebAssembly where it runs).
 */

import { assertImage, assertMaskFits, expectedError, type Mask, type Rect, type RgbaImage, VanishError } from "../image.js";
import { type HoleStats, holeStats } from "../mask.js";
import { Random } from "../random.js";
import type { FeatureDetector } from "../reference/align.js";
import type { ReferenceReport } from "../reference/guided-fill.js";
import { floatPlanes } from "../scratch.js";
import { buildAttention, withoutAttention } from "./attention.js";
import { type CoarseOutput, type CoarseStage, PatchMatchCoarse } from "./completion.js";
import { countSources } from "./patchmatch.js";
import { downsampleCrop } from "./resample.js";
import type { SideCurve } from "./structure/curve-channel.js";
import type { LineEnds } from "./structure/mlsd.js";
import { sideLabels } from "./structure/sides.js";
import { continueStructure, labelsSides, pasteStructure, type StructureResult } from "./structure/structure.js";
import { type UpscaleInput, upscaleInto } from "./upscale.js";
import { downsampleCopied, downsampleInMemory, holeStatsCopied, holeStatsInMemory, translucencyInMemory } from "./wasm/downsample.js";
import { releaseDistanceKernel } from "./wasm/patch-distance.js";

export interface EraseOptions {
  /** Seed of every random choice; the same seed gives the same pixels. Default 1. */
  seed?: number;
  /** Long side of the low-resolution working image, in pixels: the most it may have. Default 512. */
  lowResLongSide?: number;
  /**
   * Most hole pixels the low-resolution fill works on for an object-sized
   * hole (up to 5 % of the image): a larger object is downsampled further, so
   * the fill's cost follows the hole's size and not the photo's (the
   * attention upscaling restores the detail). The budget grows with the 4th
   * power of the hole's share beyond 5 %, so holes of 10 % and more keep the
   * `lowResLongSide` working image, which their structure needs. Default 2000.
   */
  lowResHoleBudget?: number;
  /**
   * Context kept around the hole, as a fraction of the hole's size: its box's
   * long side, or twice the side of a square of its area where that is
   * smaller (strokes). Default 0.5.
   */
  context?: number;
  /** Attention token size P in low-res pixels. Default 8. */
  patchSize?: number;
  /** Attention entries kept per hole token. Default 4. */
  topK?: number;
  /** Relative softmax temperature of the attention. Default 0.02. */
  temperature?: number;
  /** Seam band inside the hole's edge, in full-res pixels. Default: the scale factor, 2 to 12. */
  seamWidth?: number;
  /**
   * Continue lines, edges and outlines through the hole before the texture
   * fill (structure propagation). Default true.
   */
  structure?: boolean;
  /** The low-resolution fill. Default: multi-scale PatchMatch completion. */
  coarse?: CoarseStage;
  /**
   * Runs the attention upscaling into the output; it must give `upscaleInto`'s
   * pixels (e.g. `upscaleRows` in bands on other threads, then `upscaleSeam`).
   * Default: `upscaleInto` on the calling thread.
   */
  upscale?: (input: UpscaleInput, out: Uint8ClampedArray) => Promise<void>;
  /**
   * Runs `continueStructure(image, hole, crop)` (e.g. on another thread while
   * this one downsamples the crop); it must give `continueStructure`'s result.
   * The structure time is then the wait for it. Meanwhile this thread starts
   * the fill without side labels (and, if the step has not answered when it
   * ends, its attention and upscaling), kept when the step gives no side
   * labels (nothing continued, or bars only: the same pixels), redone with them otherwise. Returning undefined (or leaving
   * this out) runs the step on the calling thread first.
   */
  continueStructureOn?: (
    image: RgbaImage,
    hole: Uint8Array,
    crop: Rect,
    holeBox?: Rect,
    lines?: readonly LineEnds[],
  ) => StructureStep | undefined;
  /**
   * Finds the line segments (photo coordinates) in `crop` for the structure
   * step, instead of its own LSD: e.g. M-LSD (`structure/mlsd.ts`, opt-in in
   * Node through `bundledLineFinder`). Awaited before the step starts, so its
   * time adds to the erase's.
   */
  findLines?: (image: RgbaImage, hole: Uint8Array, crop: Rect) => Promise<readonly LineEnds[]>;
  /**
   * Another photo of the same scene (any size, exposure or nearby viewpoint)
   * that shows what is behind the object. Used where it can be aligned and
   * trusted; an unrelated photo is detected and ignored (see `report.reference`).
   */
  reference?: RgbaImage;
  /**
   * Detects the reference's alignment features elsewhere (e.g. on another
   * thread: `FieldThreadPool.detectFeaturesOn`) while this thread detects the
   * photo's; it must give `detectFeatures`' result. Only used with `reference`.
   */
  detectFeaturesOn?: FeatureDetector;
  /**
   * Write the result into `image.data` instead of a new buffer: the returned
   * image is then `image` itself. Saves a copy of the whole photo (time, and
   * 4 bytes a pixel of memory: 192 MB at 48 MP) when the caller no longer
   * needs the original pixels. Default false.
   */
  inPlace?: boolean;
  /**
   * Every pixel of `image` is opaque (alpha 255), as in a photo decoded from a
   * file without an alpha channel (JPEG): the fill then skips looking for
   * translucent pixels around the hole, a scan of the whole crop (3 ms in a
   * fresh process at 1K, 7–10 ms for a 10 MP crop). Set it only when it is
   * true: a translucent pixel would then be filled as if opaque. Default false.
   */
  opaque?: boolean;
  /**
   * Called with the fraction of the erase done (0 to 1, never decreasing), a
   * few dozen times per erase: for a progress bar.
   */
  onProgress?: (fraction: number) => void;
}

/**
 * A structure step under way elsewhere (`EraseOptions.continueStructureOn`):
 * its result, and optionally `continues`, a look without waiting at whether
 * the step has already ended with curves that label the fill's sides (`labelsSides`). The fill without
 * side labels, thrown away then, stops as soon as it says so (the pixels are
 * the same: only that fill's unused rest is skipped).
 */
export type StructureStep = Promise<StructureResult | null> & {
  continues?: () => boolean;
  /**
   * False once the step reads the caller's photo no more (it works on a copy, or has ended): only then may
   * an in-place erase write the early fill's composite into the photo while the step runs.
   */
  readsPhoto?: () => boolean;
  /**
   * The curves the step's result will hold and its analysis factor, once the step has found them (undefined
   * before, and where it cannot tell ahead): the fill with their sides then starts while the bands along them are
   * still being drawn. The result may still be null (no band pixel drawn): the fill is then redone without sides.
   */
  curves?: () => { curves: readonly SideCurve[]; scale: number } | undefined;
};

/** Milliseconds spent per stage. */
export interface EraseTimings {
  /** Crop, alpha check and anti-aliased downsampling. */
  prepareMs: number;
  /**
   * Finding, pairing and propagating structure (0 when turned off). With
   * `continueStructureOn`, the wait for it, during which the fill without
   * side labels proceeds (its time then counts here, not in `coarseMs`),
   * and its attention and upscaling when it ends first (their time counts
   * in their own stages when kept, here when the fill is redone).
   */
  structureMs: number;
  coarseMs: number;
  attentionMs: number;
  /** Attention upscaling and compositing at full resolution. */
  upscaleMs: number;
  /** Aligning the reference photo (0 without one). */
  alignMs: number;
  /** Filling from the aligned reference (0 without one). */
  referenceMs: number;
  totalMs: number;
}

export interface EraseReport {
  image: RgbaImage;
  /** Pixels removed (non-zero in the mask). */
  holePixels: number;
  /** Region that was worked on, in image pixels (empty for an empty mask). */
  crop: Rect;
  /** Integer downsampling factor between the crop and the low-res image. */
  scale: number;
  lowRes: { width: number; height: number };
  coarse: string;
  /** Curves continued through the hole and the pixels written along them. */
  structure: { curves: number; pixels: number };
  timings: EraseTimings;
  /** What the reference photo contributed, when one was given. */
  reference?: ReferenceReport;
}

const MIN_SIDE = 16;
/** The crop grows until at least this share of it is known pixels (sources). */
const MIN_KNOWN_FRACTION_IN_CROP = 0.6;

/**
 * Removes the masked pixels and fills the hole; resolves to a new image.
 * Pixels outside the mask come back bit-identical; the same seed gives the same fill.
 *
 * @example
 * ```ts
 * import { erase } from "vanish";
 * // image: { width, height, data: Uint8ClampedArray } (RGBA, e.g. a canvas's ImageData)
 * // mask: { width, height, data: Uint8Array } (1 = remove)
 * const result = await erase(image, mask, { seed: 1 });
 * ctx.putImageData(new ImageData(result.data, result.width, result.height), 0, 0);
 * ```
 */
export async function erase(image: RgbaImage, mask: Mask, options: EraseOptions = {}): Promise<RgbaImage> {
  return (await eraseWithReport(image, mask, options)).image;
}

/**
 * `erase`, also reporting per-stage timings, the geometry it used and, with a
 * reference photo, what the reference contributed.
 *
 * @example
 * ```ts
 * import { eraseWithReport } from "vanish";
 * const report = await eraseWithReport(image, mask, { reference: laterPhoto, onProgress: (f) => bar.update(f) });
 * console.log(report.timings.totalMs, report.coarse, report.reference?.used);
 * show(report.image);
 * ```
 */
export async function eraseWithReport(image: RgbaImage, mask: Mask, options: EraseOptions = {}): Promise<EraseReport> {
  const t0 = performance.now();
  assertImage(image);
  assertMaskFits(mask, image);
  validateOptions(options);
  const { width: W, height: H } = image;
  if (W < MIN_SIDE || H < MIN_SIDE) {
    throw new VanishError(
      "IMAGE_TOO_SMALL",
      `The image is ${W}×${H}; Vanish needs at least ${MIN_SIDE}×${MIN_SIDE} pixels to find content to copy from.`,
    );
  }
  if (options.reference !== undefined) assertImage(options.reference, "reference");
  // Where the photo lives in a WebAssembly kernel's memory (the page's engine worker), its kernels prepare the fill;
  // elsewhere the mask's rows cross into a memory of this thread's.
  const stats = holeStatsInMemory(image, mask.data) ?? holeStatsCopied(mask.data, W, H) ?? holeStats(mask.data, W, H);
  const holePixels = stats.count;
  const rng = new Random(options.seed ?? 1);
  let source = image;
  let hole = mask.data;
  let reference: ReferenceReport | undefined;
  if (options.reference !== undefined && holePixels > 0) {
    // The alignment's modules load only when a reference is given: a plain erase starts without them (14 ms of
    // imports in Node). Its own random stream, so that an unused reference leaves the fill bit-identical.
    const { fillFromReference } = await import("../reference/guided-fill.js");
    const filled = await fillFromReference(
      image,
      mask,
      options.reference,
      new Random((options.seed ?? 1) ^ 0x5eed),
      options.detectFeaturesOn,
      options.inPlace === true,
    );
    reference = filled.report;
    source = filled.image;
    hole = filled.residual;
  }
  const holeStatsOfFill = hole === mask.data ? stats : (holeStatsCopied(hole, W, H) ?? holeStats(hole, W, H));
  const t1 = performance.now();
  const progress = new ProgressSpan(options.onProgress);
  const fill = await selfSimilarFill(source, hole, holeStatsOfFill, options, rng, progress.part(reference ? 0.25 : 0, 1));
  progress.report(1);
  // In place, the reference and the fill wrote into the input; a fill that made its own image goes back into it.
  if (options.inPlace === true && fill.image.data !== image.data) image.data.set(fill.image.data);
  const result = options.inPlace === true ? image : fill.image;
  const report: EraseReport = { ...fill, image: result, holePixels, timings: { ...fill.timings, totalMs: performance.now() - t0 } };
  if (reference) {
    report.reference = reference;
    report.timings.alignMs = reference.alignMs;
    report.timings.referenceMs = reference.fillMs;
    report.timings.prepareMs += t1 - t0 - reference.alignMs - reference.fillMs;
  } else {
    report.timings.prepareMs += t1 - t0;
  }
  return report;
}

type SelfFill = Omit<EraseReport, "holePixels" | "reference">;

/** Steps 1–5 of the module comment on the hole plane `hole` of `image` (`stats`: its count and bounds). */
async function selfSimilarFill(
  image: RgbaImage,
  hole: Uint8Array,
  stats: HoleStats,
  options: EraseOptions,
  rng: Random,
  progress: (fraction: number) => void,
): Promise<SelfFill> {
  const t0 = performance.now();
  const { width: W, height: H } = image;
  const { count: holePixels, bounds } = stats;
  const none = { prepareMs: 0, structureMs: 0, coarseMs: 0, attentionMs: 0, upscaleMs: 0, alignMs: 0, referenceMs: 0, totalMs: 0 };
  if (holePixels === 0 || bounds === null) {
    return {
      image: { width: W, height: H, data: options.inPlace === true ? image.data : new Uint8ClampedArray(image.data) },
      crop: { x: 0, y: 0, width: 0, height: 0 },
      scale: 1,
      lowRes: { width: 0, height: 0 },
      coarse: "none",
      structure: { curves: 0, pixels: 0 },
      timings: none,
    };
  }
  const crop = chooseCrop(bounds, holePixels, W, H, options.context ?? 0.5);
  const ts0 = performance.now();
  // The structure's bands are drawn now and pasted over the finished fill (see structure/structure.ts);
  // with `continueStructureOn` elsewhere while this thread downsamples.
  const lines = options.structure !== false && options.findLines ? await options.findLines(image, hole, crop) : undefined;
  const elsewhere = options.structure === false ? undefined : options.continueStructureOn?.(image, hole, crop, bounds, lines);
  const drawn = options.structure === false || elsewhere ? null : continueStructure(image, hole, crop, bounds, undefined, lines);
  const continueMs = performance.now() - ts0;
  // Every pixel outside the hole is already right in a copy of the photo (or in the photo itself, in place). The
  // copy is made once a step elsewhere is under way, which then starts that much sooner (a 1K photo's 3 MB, about
  // 1 ms; a 2K one's 3 ms).
  const out = options.inPlace === true ? image.data : new Uint8ClampedArray(image.data);
  const longSide = options.lowResLongSide ?? 512;
  const s = workingScale(crop, holePixels, W * H, longSide, options.lowResHoleBudget ?? DEFAULT_HOLE_BUDGET);
  const channels = options.opaque !== true && (translucencyInMemory(image, crop) ?? hasTranslucency(image, crop)) ? 4 : 3;
  const low =
    downsampleInMemory(image, hole, crop, s, channels) ??
    downsampleCopied(image, hole, crop, s, channels) ??
    downsampleCrop(image, hole, crop, s, channels);
  if (countSources(low.hole, low.image.width, low.image.height, 3, 1) === 0) {
    if (elsewhere) await elsewhere;
    const pct = ((100 * holePixels) / (W * H)).toFixed(1);
    throw new VanishError(
      "MASK_TOO_LARGE",
      `The mask covers ${pct}% of the image and leaves no intact area to copy from; mark only the object to remove.`,
    );
  }
  const coarse = options.coarse ?? new PatchMatchCoarse();
  const stage = (from: number, to: number) => (f: number) => progress(from + (to - from) * f);
  const fillWith = (sides: Uint8Array | null, random: Random, abandon?: () => boolean, keepPyramid = false) =>
    coarse.fill({
      image: low.image,
      hole: low.hole,
      rng: random,
      progress: stage(STAGE_END.prepare, STAGE_END.coarse),
      holeShare: holePixels / (W * H),
      ...(sides ? { sides } : {}),
      ...(abandon ? { abandon } : {}),
      ...(keepPyramid ? { keepPyramid } : {}),
    });
  // While the structure step runs elsewhere, this thread fills without side
  // labels on a copy of the random stream: when the step continues nothing
  // (most object holes) that is exactly the fill below, and its wait is hidden.
  let random = rng;
  const spare = elsewhere ? rng.clone() : null;
  progress(STAGE_END.prepare);
  const tc0 = performance.now();
  // When each of the two settled, for the timings only: awaiting the step lets the early fill run on,
  // so the time spent in that await is not the step's.
  let structureDone = 0;
  let earlyDone = 0;
  // The step's result once it has settled (undefined before).
  let answered: StructureResult | null | undefined;
  if (elsewhere)
    elsewhere.then(
      (result) => {
        structureDone = performance.now();
        answered = result;
      },
      () => undefined,
    );
  // Whether the early fill was told to stop: it is then unfinished and never kept, whatever the step returns.
  let stopped = false;
  const abandon = elsewhere?.continues ? () => (stopped ||= elsewhere?.continues?.() === true) : undefined;
  // Its pyramid is kept for the fill with sides, should that follow (the same pixels, built once).
  const early = spare ? fillWith(null, spare, abandon, true) : null;
  // Handled below, after the structure's wait; this keeps a failure meanwhile from counting as unhandled.
  if (early instanceof Promise)
    early.then(
      () => (earlyDone = performance.now()),
      () => undefined,
    );
  else if (early) earlyDone = performance.now();

  const attentionOptions = { patch: options.patchSize, topK: options.topK, temperature: options.temperature };
  const holeRect = { x: bounds.x - crop.x, y: bounds.y - crop.y, width: bounds.width, height: bounds.height };
  // Steps 3–5 for a finished fill, into `out`. `stop` is asked between attention and upscaling and by the
  // upscaling between runs of rows: true leaves the upscaling undone or unfinished (null). The upscaling reads
  // only the photo's known pixels and writes every hole pixel, so a composite of a fill thrown away leaves
  // nothing in `out` that a later one reads or keeps.
  const compose = async (filled: CoarseOutput, random: Random, stop?: () => boolean) => {
    const ta = performance.now();
    // At scale 1 the fill is already at full resolution: no detail to transfer (withoutAttention).
    const attention =
      s === 1
        ? withoutAttention(filled.image, attentionOptions)
        : buildAttention(filled.image, low.hole, filled.field, attentionOptions, random);
    // The field is read no more: its kernel's memory goes to the next fill's finest level (fresh memory costs page
    // faults, 1–4 ms for a 1K stroke's 640 KB).
    if (filled.field) releaseDistanceKernel(filled.field.problem.kernelMemory);
    const tb = performance.now();
    progress(STAGE_END.attention);
    if (stop?.()) return null;
    await (options.upscale ?? upscaleInto)(
      {
        source: image,
        mask: hole,
        crop,
        scale: s,
        lowRes: filled.image,
        attention,
        holeRect,
        seamWidth: options.seamWidth ?? Math.max(2, Math.min(12, s)),
        progress: stage(STAGE_END.attention, 1),
        // A composite to be thrown away stops within the upscaling too: at 2K it is the longest stage.
        ...(stop ? { stop } : {}),
      },
      out,
    );
    if (stop?.()) return null;
    return { attentionMs: tb - ta, upscaleMs: performance.now() - tb };
  };

  // Where the early fill ends before the step has answered, this thread goes on with its attention and
  // upscaling, kept when the step continues nothing: the erase then waits for the longer of the two, not for
  // the step and then these stages (on 1K object holes the step, 8–14 ms, is often as long as the early fill).
  // In place, only once the step reads the photo no more (`StructureStep.readsPhoto`).
  const mayCompose = () => out !== image.data || elsewhere?.readsPhoto?.() === false;
  let composed: { attentionMs: number; upscaleMs: number } | null = null;
  let composedEnd = 0;
  let earlyFill: CoarseOutput | null = null;
  // Whether that went on with attention and then left the upscaling undone: the early stages' random stream is
  // then spent, so they are redone from the start, as when the step continues something.
  let cut = false;
  if (early) {
    earlyFill = await early;
    const continues = () => (answered !== undefined && labelsSides(answered)) || elsewhere?.continues?.() === true;
    if (!stopped && !continues() && mayCompose()) {
      composed = await compose(earlyFill, spare as Random, continues);
      composedEnd = performance.now();
      cut = composed === null;
    }
  }
  // Curves found elsewhere are read as soon as they are known (`StructureStep.curves`), without waiting for the
  // bands along them or for the result's message.
  const ahead = elsewhere?.curves?.();
  const tAhead = performance.now();
  const structure = elsewhere ? (ahead ? undefined : await elsewhere) : drawn;
  // Only curves that label sides (not bars alone: `labelsSides`) make the fill run again.
  const curves = ahead ?? (labelsSides(structure ?? null) && structure ? { curves: structure.curves, scale: structure.scale } : null);
  // Each side of a continued curve is filled from its own side (structure/sides.ts).
  const tSides = performance.now();
  const sides = curves ? sideLabels(curves.curves, curves.scale, s, low.image.width, low.image.height) : null;
  const t1 = performance.now();

  let filled: CoarseOutput;
  if (earlyFill && spare && !curves && !stopped && !cut) {
    filled = earlyFill;
    random = spare;
  } else {
    // The speculative fill stopped once the step's curves showed (`StructureStep.continues`), or else ran to
    // its end: either way it is thrown away (with its attention and upscaling, if any), and the fill runs again
    // with the sides.
    if (earlyFill) floatPlanes.give(earlyFill.image.data);
    composed = null;
    // Where the result may yet turn out null, the plain fill's random stream is kept for it.
    const plain = ahead ? rng.clone() : null;
    filled = await fillWith(sides, rng);
    if (plain && (await elsewhere) === null) {
      floatPlanes.give(filled.image.data);
      filled = await fillWith(null, plain);
      random = plain;
    }
  }
  // The bands, once drawn (after the fill with their curves' sides when those came ahead).
  const result = structure === undefined ? await elsewhere : structure;
  // The fill has read the low-resolution crop for the last time: its plane serves the next erase (see scratch.ts).
  floatPlanes.give(low.image.data);
  const t2 = performance.now();
  progress(STAGE_END.coarse);
  // The step's share of the wall time: its own time here, the wait for it beyond the early fill and what
  // followed it meanwhile (all of the early work's time when the step continued something, as it is then thrown
  // away), and the sides.
  let structureWaitMs = 0;
  if (elsewhere && early) {
    const earlyEnd = Math.max(earlyDone, composedEnd);
    const answer = ahead ? tAhead : structureDone;
    structureWaitMs = curves ? Math.max(answer, earlyEnd) - tc0 : Math.max(0, answer - earlyEnd);
  }
  const sidesMs = t1 - tSides;
  const structureMs = options.structure === false ? 0 : continueMs + structureWaitMs + sidesMs;

  // (compose without `stop` always runs both stages.)
  const stages = composed ?? (await compose(filled, random)) ?? { attentionMs: 0, upscaleMs: 0 };
  if (result) pasteStructure(result, hole, crop, W, out);
  // The fill's image is read no more (ignored by the pool unless the fill took it from there).
  floatPlanes.give(filled.image.data);
  const t4 = performance.now();
  // Kept early stages ran before t2: the coarse stage is the early fill's time.
  const keptMs = composed ? stages.attentionMs + stages.upscaleMs : 0;
  return {
    image: { width: W, height: H, data: out },
    crop,
    scale: s,
    lowRes: { width: low.image.width, height: low.image.height },
    coarse: coarse.name,
    structure: { curves: result?.curves.length ?? 0, pixels: result?.pixels ?? 0 },
    timings: {
      ...none,
      prepareMs: tc0 - t0 - continueMs,
      structureMs,
      coarseMs: t2 - tc0 - structureWaitMs - sidesMs - keptMs,
      attentionMs: stages.attentionMs,
      upscaleMs: composed ? stages.upscaleMs : t4 - t2 - stages.attentionMs,
    },
  };
}

const DEFAULT_HOLE_BUDGET = 2000;
/** Share of the image up to which a hole counts as object-sized for the hole budget. */
const OBJECT_SHARE = 0.05;

/**
 * The integer downsampling factor: at least what brings the crop's long side
 * to `longSide`, and at least what brings an object-sized hole to about
 * `holeBudget` low-resolution pixels (area shrinks with s²). Measured on the
 * benchmark's tuning half: object holes lose nothing down to a budget of 2000
 * (the detail comes back by attention), 10–30 % holes lose 0.15–0.6 dB below
 * the 512-px working image, hence the steep growth of the budget past 5 %.
 */
export function workingScale(crop: Rect, holePixels: number, imagePixels: number, longSide: number, holeBudget: number): number {
  const bySide = Math.ceil(Math.max(crop.width, crop.height) / longSide);
  const share = holePixels / imagePixels;
  const budget = holeBudget * Math.max(1, share / OBJECT_SHARE) ** 4;
  const byHole = Math.floor(Math.sqrt(holePixels / budget));
  return Math.max(1, bySide, byHole);
}

/** Where each stage of the self-similar fill ends, as a fraction of it (typical shares of its time). */
const STAGE_END = { prepare: 0.08, coarse: 0.6, attention: 0.64 };

/**
 * Forwards progress to the caller's callback: never decreasing, and only in
 * steps of at least 1 % (the callback may cross a thread).
 */
class ProgressSpan {
  private last = -1;

  constructor(private readonly callback: ((fraction: number) => void) | undefined) {}

  report(fraction: number): void {
    if (!this.callback) return;
    const f = Math.min(1, Math.max(0, fraction));
    if (f < this.last + 0.01 && !(f === 1 && this.last < 1)) return;
    this.last = f;
    this.callback(f);
  }

  /** A reporter for a part of the work that spans [from, to] of the whole. */
  part(from: number, to: number): (fraction: number) => void {
    return (f) => this.report(from + (to - from) * f);
  }
}

/**
 * The hole's box grown by `context`·(the hole's size) on every side, grown
 * further until at least 60 % of the crop is known (or it is the whole
 * image). The size is the box's long side, or twice the side of a square of
 * the hole's area where that is smaller: thin strokes span a box many times
 * their area, and the context of a box that size only added sources far from
 * the hole. On the 68 of 108 extra object holes drawn on the tuning half's
 * photos at 1K and 2K that it changed (strokes, elongated people): +0.12 dB
 * PSNR, +0.003 SSIM, ±0 gradient ratio, 0.82× the CPU; 1.5 or 3 times the
 * side gained less (+0.07, +0.08 dB). Held-out photos, 70 holes: −0.11 dB
 * (+0.09 dB without the fine Grey texture, which loses 0.5 dB), +0.001 SSIM,
 * +0.015 gradient ratio.
 */
export function chooseCrop(bounds: Rect, holePixels: number, W: number, H: number, context: number): Rect {
  const size = Math.min(Math.max(bounds.width, bounds.height), 2 * Math.sqrt(holePixels));
  let margin = Math.max(16, Math.ceil(context * size));
  for (;;) {
    const x0 = Math.max(0, bounds.x - margin);
    const y0 = Math.max(0, bounds.y - margin);
    const x1 = Math.min(W, bounds.x + bounds.width + margin);
    const y1 = Math.min(H, bounds.y + bounds.height + margin);
    const rect = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    const whole = rect.width === W && rect.height === H;
    if (whole || 1 - holePixels / (rect.width * rect.height) >= MIN_KNOWN_FRACTION_IN_CROP) return rect;
    margin = Math.ceil(margin * 1.5);
  }
}

/**
 * Whether any pixel of `rect` (hole or not) has alpha below 255. Reads the
 * RGBA bytes as 32-bit words where it can (little-endian, aligned): the
 * bitwise AND of four pixels keeps alpha 255 only if all four have it, so
 * one comparison checks four pixels.
 */
export function hasTranslucency(image: RgbaImage, rect: Rect): boolean {
  const d = image.data;
  // Signed words: an opaque pixel's is then a small integer, not a number that unoptimised code (a page's first
  // erase) boxes on every read (a cold 21 MB scan: 22 → 9 ms in Node).
  const words = LITTLE_ENDIAN && d.byteOffset % 4 === 0 ? new Int32Array(d.buffer, d.byteOffset, d.length >> 2) : null;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    let m = y * image.width + rect.x;
    const end = m + rect.width;
    if (words !== null) {
      let all = -1;
      for (; m + 4 <= end; m += 4) all &= words[m] & words[m + 1] & words[m + 2] & words[m + 3];
      if (all >>> 24 !== 255) return true;
    }
    for (let p = m * 4 + 3, e = end * 4; p < e; p += 4) if (d[p] !== 255) return true;
  }
  return false;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([0x04030201]).buffer)[0] === 1;

function validateOptions(o: EraseOptions): void {
  if (o === null || typeof o !== "object") throw expectedError("options as an object", o);
  const check = (name: string, v: number | undefined, lo: number, hi: number, integer: boolean) => {
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      throw expectedError(`${integer ? "integer" : "number"} between ${lo} and ${hi} for ${name}`, v);
    }
  };
  if (o.inPlace !== undefined && typeof o.inPlace !== "boolean") throw expectedError("true or false for inPlace", o.inPlace);
  if (o.opaque !== undefined && typeof o.opaque !== "boolean") throw expectedError("true or false for opaque", o.opaque);
  if (o.upscale !== undefined && typeof o.upscale !== "function") throw expectedError("a function for upscale", o.upscale);
  if (o.continueStructureOn !== undefined && typeof o.continueStructureOn !== "function") {
    throw expectedError("a function for continueStructureOn", o.continueStructureOn);
  }
  if (o.findLines !== undefined && typeof o.findLines !== "function") throw expectedError("a function for findLines", o.findLines);
  if (o.detectFeaturesOn !== undefined && typeof o.detectFeaturesOn !== "function") {
    throw expectedError("a function for detectFeaturesOn", o.detectFeaturesOn);
  }
  check("seed", o.seed, -(2 ** 31), 2 ** 32, true);
  check("lowResLongSide", o.lowResLongSide, 32, 4096, true);
  check("lowResHoleBudget", o.lowResHoleBudget, 256, 1 << 22, true);
  check("context", o.context, 0, 10, false);
  check("patchSize", o.patchSize, 2, 32, true);
  check("topK", o.topK, 1, 16, true);
  check("temperature", o.temperature, 1e-4, 100, false);
  check("seamWidth", o.seamWidth, 0, 64, true);
}
