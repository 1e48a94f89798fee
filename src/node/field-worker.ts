/**
 * Worker-thread task of `FieldThreadPool`: consecutive bands of one PatchMatch
 * scan (`scanBand`, each with its own random stream) over arrays in shared
 * memory. Writes only the bands' slots of the field; everything else is read.
 *
 * Where the problem's WebAssembly scan kernel lives in shared memory (always,
 * where WebAssembly runs), `sharedBands` runs the bands in WebAssembly in that
 * memory, where the calling thread put the field (`startSharedScan`): a kernel
 * of this thread's own over the same bytes, nothing copied. Otherwise
 * `runBands` runs the TypeScript scan loop, with this thread's WebAssembly
 * distance where it has one (`ownKernelCache`). The field is the same as on
 * the calling thread.
 *
 * The other tasks: `structure`, the erase's structure step
 * (`continueStructure`) for `FieldThreadPool.continueStructureOn`,
 * `features`, a reference photo's alignment features (`detectFeatures`) for
 * `FieldThreadPool.detectFeaturesOn`, and `upscaleRows`, chunks of an
 * upscaling's rows for `FieldThreadPool.upscale`.
 */

import type { Rect, RgbaImage } from "../core/image.js";
import {
  type BandScan,
  type Nnf,
  ownKernelCache,
  type PatchProblem,
  type SharedScan,
  scanBand,
  scanSharedBandsOver,
} from "../core/inpaint/patchmatch.js";
import { writeCurves } from "../core/inpaint/structure/curve-channel.js";
import type { LineEnds } from "../core/inpaint/structure/mlsd.js";
import type { StructureCurve } from "../core/inpaint/structure/pairing.js";
import { continueStructure, curvesLabelSides, labelsSides, type StructureResult } from "../core/inpaint/structure/structure.js";
import { upscaleRowsOverMemory } from "../core/inpaint/wasm/detail-transfer.js";
import { Random } from "../core/random.js";
import { detectFeatures, type Features } from "../core/reference/features.js";
import type { GreyImage } from "../core/reference/grey.js";
import { prepareThreadMemory } from "../core/wasm.js";

export interface FieldTask {
  problem: PatchProblem;
  nnf: Nnf;
  snapshot: Int32Array;
  only: Int32Array | undefined;
  /** Consecutive bands of the scan, run in order. */
  bands: BandScan[];
}

/** Consecutive bands of a scan in the problem's shared WebAssembly memory (`startSharedScan`). */
export interface SharedBandsTask {
  scan: SharedScan;
  bands: BandScan[];
}

export interface StructureTask {
  image: RgbaImage;
  hole: Uint8Array;
  crop: Rect;
  holeBox: Rect | undefined;
  /**
   * 3 once the step has started (a photo posted here has been copied by then), 4 once its curves are in
   * `curves` (their bands still being drawn), then, when it ends, before its result is posted: 1 nothing the
   * fill must be told (nothing continued, or bars only: `labelsSides`), 2 curves whose sides label the fill
   * (`StructureStep.continues`, `StructureStep.readsPhoto`, `StructureStep.curves`).
   */
  ended?: Int32Array;
  /** Where the curves are written ahead of the result (curve-channel.ts). */
  curves?: Float64Array;
  /** Where `image` lies in the photo when it holds only the crop (field-threads.ts `stageCrop`): the result's rectangle is moved by it. */
  offset?: { x: number; y: number };
  /** Line segments for the step instead of LSD's (`EraseOptions.findLines`), in the photo's coordinates. */
  lines?: readonly LineEnds[];
}

const withOwnKernel = ownKernelCache();

/**
 * The kernels' memory this thread's first structure step lays out in (a 1K
 * photo's step needs up to about 3.9 MB, LSD's planes), mapped while the
 * thread boots: the CLI hands it the step about 50 ms after it is ready,
 * and a page costs about 11 µs the first time it is written. `vanish erase`
 * of 1K photos, 7 alternated fresh processes, median: the dock 210 → 198 ms,
 * the road 167 → 161 ms, the saucer 179 → 169 ms (holes with curves), the
 * trunks 111 → 100 ms (without); at 4K within the runs' spread.
 */
const STRUCTURE_STEP_BYTES = 4 << 20;
prepareThreadMemory(STRUCTURE_STEP_BYTES);

export default function runBands({ problem, nnf, snapshot, only, bands }: FieldTask): void {
  const p = withOwnKernel(problem);
  for (const band of bands) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
}

/**
 * Answers once this thread has loaded its modules (a task runs only after that): field-threads.ts waits for it
 * before ending the threads.
 */
export function loaded(): true {
  return true;
}

export interface FeaturesTask {
  grey: GreyImage;
  maxPoints: number;
}

export function features({ grey, maxPoints }: FeaturesTask): Features {
  return detectFeatures(grey, { maxPoints });
}

/** Rows of an upscaling in the kernel memory `memory` another thread made (`FieldThreadPool.upscale`), in scratch lane `lane`. */
export interface UpscaleRowsTask {
  memory: object;
  lane: number;
}

export function upscaleRows({ memory, lane }: UpscaleRowsTask): void {
  if (!upscaleRowsOverMemory(memory, lane)) throw new Error("field worker: WebAssembly is unavailable here");
}

export function sharedBands({ scan, bands }: SharedBandsTask): void {
  scanSharedBandsOver(scan, bands);
}

export function structure({ image, hole, crop, holeBox, ended, curves, offset, lines }: StructureTask): StructureResult | null {
  if (ended) Atomics.store(ended, 0, 3);
  // Bars alone label no sides: they are not written ahead, so the speculative fill is kept.
  const ahead =
    ended && curves
      ? (found: readonly StructureCurve[], scale: number) => {
          if (curvesLabelSides(found) && writeCurves(curves, found, scale)) Atomics.store(ended, 0, 4);
        }
      : undefined;
  // A staged crop is its own photo: the lines move with it.
  const ownLines =
    lines && offset ? lines.map((l) => ({ x1: l.x1 - offset.x, y1: l.y1 - offset.y, x2: l.x2 - offset.x, y2: l.y2 - offset.y })) : lines;
  const result = continueStructure(image, hole, crop, holeBox, ahead, ownLines);
  if (result && offset) result.rect = { ...result.rect, x: result.rect.x + offset.x, y: result.rect.y + offset.y };
  if (ended) Atomics.store(ended, 0, labelsSides(result) ? 2 : 1);
  return result;
}
