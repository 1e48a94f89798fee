/**
 * A field worker: runs bands of the fill's PatchMatch scans (`scanBand`),
 * bands of rows of its attention upscaling (`upscaleRows`) and its structure
 * step (`continueStructure`) for the engine worker, over arrays in shared
 * memory (see field-threads.ts). Writes only its bands' slots of the field,
 * or its rows' hole pixels; the structure comes back as a message.
 *
 * The engine worker's WebAssembly kernel does not travel (a function), so
 * this worker keeps one of its own per problem size and copies the packed
 * image into it before each batch of bands (the image does not change during
 * a scan). The distances, and so the field, are the ones the engine worker
 * would compute.
 */

import type { Rect, RgbaImage } from "../../src/core/image.js";
import { type BandScan, type Nnf, ownKernelCache, type PatchProblem, scanBand } from "../../src/core/inpaint/patchmatch.js";
import { continueStructure, type StructureResult } from "../../src/core/inpaint/structure/structure.js";
import { type UpscaleInput, upscaleRows } from "../../src/core/inpaint/upscale.js";
import { Random } from "../../src/core/random.js";

/** One batch of bands of one scan. `problem` comes with the first batch of a problem only. */
export interface FieldBatch {
  kind: "scan";
  id: number;
  problemId: number;
  problem?: PatchProblem;
  nnf: Nnf;
  snapshot: Int32Array;
  only: Int32Array | undefined;
  bands: BandScan[];
}

/** Rows [y0, y1) of an upscaling whose photo crop (read and written) and hole plane are in shared memory. */
export interface RowsBatch {
  kind: "rows";
  id: number;
  input: UpscaleInput;
  y0: number;
  y1: number;
}

/** The structure step of an erase whose photo and hole plane are in shared memory. */
export interface StructureBatch {
  kind: "structure";
  id: number;
  image: RgbaImage;
  hole: Uint8Array;
  crop: Rect;
  /** The hole's bounding box inside the photo, when known (saves the structure step a scan). */
  holeBox?: Rect;
}

/** The answer to a batch: done, or the error's message. */
export interface FieldBatchDone {
  id: number;
  /** A structure batch's result. */
  structure?: StructureResult | null;
  error?: string;
}

let problem: { id: number; p: PatchProblem } | null = null;

const withOwnKernel = ownKernelCache();

self.onmessage = (e: MessageEvent<FieldBatch | RowsBatch | StructureBatch>) => {
  if (e.data.kind === "structure") {
    const { id, image, hole, crop, holeBox } = e.data;
    try {
      const structure = continueStructure(image, hole, crop, holeBox);
      const done: FieldBatchDone = { id, structure };
      self.postMessage(done, structure ? [structure.remaining.buffer, structure.band.buffer] : []);
    } catch (err) {
      self.postMessage({ id, error: (err as Error).message } satisfies FieldBatchDone);
    }
    return;
  }
  if (e.data.kind === "rows") {
    const { id, input, y0, y1 } = e.data;
    try {
      upscaleRows(input, input.source.data, y0, y1);
      self.postMessage({ id } satisfies FieldBatchDone);
    } catch (err) {
      self.postMessage({ id, error: (err as Error).message } satisfies FieldBatchDone);
    }
    return;
  }
  const { id, problemId, nnf, snapshot, only, bands } = e.data;
  try {
    if (e.data.problem) problem = { id: problemId, p: e.data.problem };
    if (problem?.id !== problemId) throw new Error(`field worker: problem ${problemId} was not sent`);
    const p = withOwnKernel(problem.p);
    for (const band of bands) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
    self.postMessage({ id } satisfies FieldBatchDone);
  } catch (err) {
    self.postMessage({ id, error: (err as Error).message } satisfies FieldBatchDone);
  }
};
