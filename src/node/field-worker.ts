/**
 * Worker-thread task of `FieldThreadPool`: consecutive bands of one PatchMatch
 * scan (`scanBand`, each with its own random stream) over arrays in shared
 * memory. Writes only the bands' slots of the field; everything else is read.
 *
 * The calling thread's WebAssembly kernel does not travel with the task, so
 * the worker runs its own over the same shared memory (`ownKernelCache`;
 * where the memory did not travel, over a copy of the packed image, which is
 * unchanged during a scan). The distances, and so the field, are the same as
 * on the calling thread.
 *
 * The other task, `structure`, is the erase's structure step
 * (`continueStructure`) for `FieldThreadPool.continueStructureOn`.
 */

import type { Rect, RgbaImage } from "../core/image.js";
import { type BandScan, type Nnf, ownKernelCache, type PatchProblem, scanBand } from "../core/inpaint/patchmatch.js";
import { continueStructure, type StructureResult } from "../core/inpaint/structure/structure.js";
import { Random } from "../core/random.js";

export interface FieldTask {
  problem: PatchProblem;
  nnf: Nnf;
  snapshot: Int32Array;
  only: Int32Array | undefined;
  /** Consecutive bands of the scan, run in order. */
  bands: BandScan[];
}

export interface StructureTask {
  image: RgbaImage;
  hole: Uint8Array;
  crop: Rect;
  holeBox: Rect | undefined;
}

const withOwnKernel = ownKernelCache();

export default function runBands({ problem, nnf, snapshot, only, bands }: FieldTask): void {
  const p = withOwnKernel(problem);
  for (const band of bands) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
}

export function structure({ image, hole, crop, holeBox }: StructureTask): StructureResult | null {
  return continueStructure(image, hole, crop, holeBox);
}
