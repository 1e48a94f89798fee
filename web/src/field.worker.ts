/**
 * A field worker: runs bands of the fill's PatchMatch scans (`scanBand`),
 * bands of rows of its attention upscaling (in WebAssembly over the engine
 * worker's kernel memory, or `upscaleRows`) and its structure
 * step (`continueStructure`) for the engine worker, over arrays in shared
 * memory (see field-threads.ts), and touches fresh shared memory for it. Writes only its bands' slots of the field,
 * or its rows' hole pixels; the structure comes back as a message.
 *
 * The engine worker's WebAssembly kernel does not travel (a function), so
 * this worker makes a scan kernel of its own per problem (its planes, targets
 * and sides copied in once) and copies the packed image into it before each
 * batch of bands (the image does not change during a scan, only between
 * them): its bands run in WebAssembly like the engine worker's own
 * (`scanBandsHere`), not in the TypeScript scan loop. The field is the one
 * the engine worker would compute.
 */

import type { Rect, RgbaImage } from "../../src/core/image.js";
import { type BandScan, type Nnf, type PatchProblem, scanBandsHere } from "../../src/core/inpaint/patchmatch.js";
import { continueStructure, type StructureResult } from "../../src/core/inpaint/structure/structure.js";
import { type UpscaleInput, upscaleRows } from "../../src/core/inpaint/upscale.js";
import { upscaleRowsOverMemory } from "../../src/core/inpaint/wasm/detail-transfer.js";
import { createDistanceKernel, type DistanceKernel } from "../../src/core/inpaint/wasm/patch-distance.js";
import { detectFeatures, type Features } from "../../src/core/reference/features.js";
import type { GreyImage } from "../../src/core/reference/grey.js";

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

/** Chunks of an upscaling's rows in WebAssembly, over the shared memory of the engine worker's `UpscaleKernel`, on scratch lane `lane`. */
export interface KernelRowsBatch {
  kind: "kernel-rows";
  id: number;
  memory: object;
  lane: number;
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

/** A reference photo's alignment features (`detectFeatures`), found here while the engine worker finds the photo's. */
export interface FeaturesBatch {
  kind: "features";
  id: number;
  grey: GreyImage;
  maxPoints: number;
}

/**
 * Shared memory to touch, one write of 0 a page, while the engine worker is busy elsewhere: its pages are
 * then mapped when the engine worker fills it (a fresh page's first write costs 15–50 µs here).
 */
export interface TouchBatch {
  kind: "touch";
  id: number;
  buffer: SharedArrayBuffer;
}

/** The answer to a batch: done, or the error's message. */
export interface FieldBatchDone {
  id: number;
  /** A structure batch's result. */
  structure?: StructureResult | null;
  /** A features batch's result. */
  features?: Features;
  /** When a structure batch started and ended here (ms since the epoch: `performance.timeOrigin` differs per worker). */
  ran?: [number, number];
  error?: string;
}

/** The pages a `TouchBatch` writes one byte of (4 KiB, the smallest page size of the platforms this runs on). */
const PAGE = 4096;

/** The problem of the last batch, with this worker's own scan kernel (null where WebAssembly is unavailable). */
let problem: { id: number; p: PatchProblem; kernel: DistanceKernel | null } | null = null;
/** That problem as received: its packed image is the engine worker's, updated between scans. */
let received: PatchProblem | null = null;

/** The problem over a scan kernel in this worker's memory, with its planes, targets and sides copied in. */
function withOwnScan(id: number, given: PatchProblem): { id: number; p: PatchProblem; kernel: DistanceKernel | null } {
  const { width, height, radius, lanes, targets } = given;
  const kernel = createDistanceKernel(width, height, radius, lanes, targets.length);
  const scan = kernel?.scan;
  if (!kernel || !scan) return { id, p: given, kernel: null };
  scan.validSource.set(given.validSource);
  scan.slotOf.set(given.slotOf);
  scan.targets.set(targets);
  if (given.side) scan.side.set(given.side);
  scan.setUnit(given.unit);
  const p: PatchProblem = {
    ...given,
    packed: kernel.packed,
    kernel: kernel.distance,
    kernelMemory: kernel.memory,
    scanKernel: scan,
    ...(given.side ? { side: scan.side } : {}),
  };
  return { id, p, kernel };
}

self.onmessage = (e: MessageEvent<FieldBatch | RowsBatch | KernelRowsBatch | StructureBatch | FeaturesBatch | TouchBatch>) => {
  if (e.data.kind === "features") {
    const { id, grey, maxPoints } = e.data;
    try {
      const features = detectFeatures(grey, { maxPoints });
      self.postMessage({ id, features } satisfies FieldBatchDone, [
        features.x.buffer,
        features.y.buffer,
        features.scale.buffer,
        features.descriptors.buffer,
      ]);
    } catch (err) {
      self.postMessage({ id, error: (err as Error).message } satisfies FieldBatchDone);
    }
    return;
  }
  if (e.data.kind === "touch") {
    const bytes = new Uint8Array(e.data.buffer);
    for (let i = 0; i < bytes.length; i += PAGE) bytes[i] = 0;
    self.postMessage({ id: e.data.id } satisfies FieldBatchDone);
    return;
  }
  if (e.data.kind === "structure") {
    const { id, image, hole, crop, holeBox } = e.data;
    const started = performance.timeOrigin + performance.now();
    try {
      const structure = continueStructure(image, hole, crop, holeBox);
      const done: FieldBatchDone = { id, structure, ran: [started, performance.timeOrigin + performance.now()] };
      self.postMessage(done, structure ? [structure.remaining.buffer, structure.band.buffer] : []);
    } catch (err) {
      self.postMessage({ id, error: (err as Error).message } satisfies FieldBatchDone);
    }
    return;
  }
  if (e.data.kind === "kernel-rows") {
    const { id, memory, lane } = e.data;
    try {
      if (!upscaleRowsOverMemory(memory, lane)) throw new Error("field worker: WebAssembly is unavailable here");
      self.postMessage({ id } satisfies FieldBatchDone);
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
    if (e.data.problem) {
      received = e.data.problem;
      problem = withOwnScan(problemId, received);
    }
    if (problem?.id !== problemId || !received) throw new Error(`field worker: problem ${problemId} was not sent`);
    // The votes between scans re-pack the hole's pixels: this batch reads the packed image as it is now.
    if (problem.kernel) problem.kernel.packed.set(received.packed);
    scanBandsHere(problem.p, nnf, snapshot, only, bands);
    self.postMessage({ id } satisfies FieldBatchDone);
  } catch (err) {
    self.postMessage({ id, error: (err as Error).message } satisfies FieldBatchDone);
  }
};
