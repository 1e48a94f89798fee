/**
 * A field worker: runs bands of the fill's PatchMatch scans (`scanBand`) for
 * the engine worker, over the problem's and the field's arrays in shared
 * memory (see field-threads.ts). Writes only its bands' slots of the field.
 *
 * The engine worker's WebAssembly kernel does not travel (a function), so
 * this worker keeps one of its own per problem size and copies the packed
 * image into it before each batch of bands (the image does not change during
 * a scan). The distances, and so the field, are the ones the engine worker
 * would compute.
 */
import { type BandScan, type Nnf, type PatchProblem, scanBand } from "../../src/core/inpaint/patchmatch.js";
import { createDistanceKernel, type DistanceKernel } from "../../src/core/inpaint/wasm/patch-distance.js";
import { Random } from "../../src/core/random.js";

/** One batch of bands of one scan. `problem` comes with the first batch of a problem only. */
export interface FieldBatch {
  id: number;
  problemId: number;
  problem?: PatchProblem;
  nnf: Nnf;
  snapshot: Int32Array;
  only: Int32Array | undefined;
  bands: BandScan[];
}

/** The answer to a batch: done, or the error's message. */
export interface FieldBatchDone {
  id: number;
  error?: string;
}

let problem: { id: number; p: PatchProblem } | null = null;
let kernel: { key: string; kernel: DistanceKernel | null } | null = null;

function withOwnKernel(p: PatchProblem): PatchProblem {
  const key = `${p.width}x${p.height}r${p.radius}l${p.lanes}`;
  if (kernel?.key !== key) kernel = { key, kernel: createDistanceKernel(p.width, p.height, p.radius, p.lanes) };
  const own = kernel.kernel;
  if (own === null) return p;
  own.packed.set(p.packed);
  return { ...p, packed: own.packed, kernel: own.distance };
}

self.onmessage = (e: MessageEvent<FieldBatch>) => {
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
