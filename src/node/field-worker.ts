/**
 * Worker-thread task of `FieldThreadPool`: one band of one PatchMatch scan
 * (`scanBand`) over arrays in shared memory. Writes only the band's slots of
 * the field; everything else is read.
 *
 * The calling thread's WebAssembly kernel does not travel with the task, so
 * the worker runs its own: it copies the packed image (unchanged during a
 * scan) into a kernel of its own, kept while the problem's size stays the
 * same. The distances, and so the field, are the same as on the calling thread.
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
  band: BandScan;
}

export interface StructureTask {
  image: RgbaImage;
  hole: Uint8Array;
  crop: Rect;
  holeBox: Rect | undefined;
}

const withOwnKernel = ownKernelCache();

export default function runBand({ problem, nnf, snapshot, only, band }: FieldTask): void {
  scanBand(withOwnKernel(problem), nnf, snapshot, only, band, new Random(band.seed));
}

export function structure({ image, hole, crop, holeBox }: StructureTask): StructureResult | null {
  return continueStructure(image, hole, crop, holeBox);
}
