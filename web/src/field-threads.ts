/**
 * The fill on every core of the browser: the core's `FieldThreads` (the
 * PatchMatch scans) and the erase's `upscale` (the attention upscaling's
 * rows) over field workers (field.worker.ts) that the engine worker starts
 * with itself; for the scans, the page's counterpart of Node's `FieldThreadPool`.
 * Each large scan is split into bands (`planScans`); the engine worker runs
 * its share (the first bands/(workers + 1), in the problem's WebAssembly scan
 * like Node's calling thread: `scanBandsHere`) while each field worker runs a
 * batch of the others over the same shared memory (a worker busy with the
 * structure step gets none: the engine worker would only wait for it). The bands and their
 * random streams depend only on the problem, so the pixels are the same with
 * any number of workers, or none. The upscaling's hole pixels are each
 * computed on their own, so its rows split into bands of about equal hole
 * pixels, one per thread, with the pixels of a single thread.
 *
 * Shared memory needs a cross-origin isolated page (COOP/COEP); without it
 * `defaultFieldWorkers` is 0 and the fill runs on the engine worker alone.
 */

import type { Rect, RgbaImage } from "../../src/core/image.js";
import {
  type BandScan,
  type FieldThreads,
  type Nnf,
  type PatchProblem,
  scanBandsHere,
  shared,
  withoutKernel,
} from "../../src/core/inpaint/patchmatch.js";
import type { StructureResult } from "../../src/core/inpaint/structure/structure.js";
import {
  applySeam,
  finishSharedUpscale,
  planSeam,
  type UpscaleInput,
  upscaleInto,
  upscaleKernel,
  upscaleRows,
} from "../../src/core/inpaint/upscale.js";
import type { Features } from "../../src/core/reference/features.js";
import type { GreyImage } from "../../src/core/reference/grey.js";
import type { FeaturesBatch, FieldBatch, FieldBatchDone, KernelRowsBatch, RowsBatch, StructureBatch, TouchBatch } from "./field.worker.js";

/** Targets a scan needs before its bands go to the field workers (below, the messages cost more than they save). */
const PARALLEL_TARGETS = 8192;

/** Hole pixels an upscaling needs before its rows go to the field workers (below, copying the crop costs more than it saves). */
const PARALLEL_UPSCALE = 100_000;

/** Field workers for this browser: one per core besides the engine worker's, at most 3; none without shared memory. */
export function defaultFieldWorkers(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated || typeof SharedArrayBuffer === "undefined") return 0;
  return Math.max(0, Math.min(3, (navigator.hardwareConcurrency || 1) - 1));
}

interface Pending {
  resolve: (done: FieldBatchDone) => void;
  reject: (err: Error) => void;
}

export class WebFieldThreads implements FieldThreads {
  readonly parallelTargets = PARALLEL_TARGETS;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  /** The problem each worker last received (sent once per problem, not with every scan). */
  private readonly sentProblem: number[];
  /** Structure steps each worker has under way: a scan's bands wait behind them there, so scans skip that worker. */
  private readonly structures: number[];
  private readonly problemIds = new WeakMap<PatchProblem, number>();
  private nextProblem = 1;
  private nextBatch = 1;

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1 || count > 7) throw new RangeError(`WebFieldThreads needs 1 to 7 workers, not ${count}`);
    this.workers = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL("./field.worker.ts", import.meta.url), { type: "module", name: `field ${i + 1}` });
      worker.onmessage = (e: MessageEvent<FieldBatchDone>) => this.done(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        this.failAll(new Error(`A field worker stopped (${e.message || "worker error"}).`));
      };
      this.workers.push(worker);
    }
    this.sentProblem = this.workers.map(() => 0);
    this.structures = this.workers.map(() => 0);
  }

  get threads(): number {
    return this.workers.length;
  }

  async scan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined, bands: readonly BandScan[]): Promise<void> {
    const visited = bands[bands.length - 1].hi - bands[0].lo;
    // Workers running the structure step would take the bands only after it (hundreds of ms at 12 MP), while this
    // thread waited: the free ones split them; with none free this thread scans them all meanwhile.
    const free = this.workers.map((_, w) => w).filter((w) => this.structures[w] === 0);
    if (visited < PARALLEL_TARGETS || free.length === 0) {
      scanBandsHere(p, nnf, snapshot, only, bands);
      return;
    }
    // This thread takes its share of the bands first in order; the free workers split the rest, one batch each.
    const own = Math.ceil(bands.length / (free.length + 1));
    const rest = bands.slice(own);
    const per = Math.ceil(rest.length / free.length);
    let problemId = this.problemIds.get(p);
    if (problemId === undefined) {
      problemId = this.nextProblem++;
      this.problemIds.set(p, problemId);
    }
    const running: Promise<void>[] = [];
    for (let f = 0; f < free.length && f * per < rest.length; f++) {
      const w = free[f];
      const id = this.nextBatch++;
      const batch: FieldBatch = { kind: "scan", id, problemId, nnf, snapshot, only, bands: rest.slice(f * per, (f + 1) * per) };
      if (this.sentProblem[w] !== problemId) {
        batch.problem = withoutKernel(p);
        this.sentProblem[w] = problemId;
      }
      running.push(new Promise<void>((resolve, reject) => this.pending.set(id, { resolve: () => resolve(), reject })));
      this.workers[w].postMessage(batch);
    }
    scanBandsHere(p, nnf, snapshot, only, bands.slice(0, own));
    await Promise.all(running);
  }

  /**
   * The erase's attention upscaling (`EraseOptions.upscale`) with its rows in
   * bands on this thread and the workers: the pixels of `upscaleInto`. The
   * rows read the photo's crop and hole plane and write the crop, so those must
   * be in shared memory: they are when the engine worker fills its shared copy
   * in place; otherwise a crop-sized copy goes there and its hole rectangle
   * comes back.
   */
  readonly upscale = async (input: UpscaleInput, out: Uint8ClampedArray): Promise<void> => {
    const { crop, holeRect: hr } = input;
    const W = input.source.width;
    // Hole pixels per row of the hole's rectangle, to cut bands of equal work.
    const perRow = new Float64Array(hr.height);
    let total = 0;
    for (let y = 0; y < hr.height; y++) {
      const m = (crop.y + hr.y + y) * W + crop.x + hr.x;
      let n = 0;
      for (let x = 0; x < hr.width; x++) if (input.mask[m + x] !== 0) n++;
      perRow[y] = n;
      total += n;
    }
    if (total < PARALLEL_UPSCALE) {
      upscaleInto(input, out);
      return;
    }
    // The crop's hole plane, the fill and the attention in the photo's WebAssembly memory (the photo itself is
    // there too when this worker keeps it so): every thread's rows then run compiled from their first pixel, where
    // a page's first erase ran the TypeScript loop unoptimised. The workers take chunks of rows while this thread
    // plans the seam band (it reads known pixels only), then this thread takes what is left: all finish together.
    const kernel = upscaleKernel(input);
    if (kernel) {
      const running = this.workers.map((worker, w) => {
        const id = this.nextBatch++;
        worker.postMessage({ kind: "kernel-rows", id, memory: kernel.memory, lane: w + 1 } satisfies KernelRowsBatch);
        return new Promise<void>((resolve, reject) => this.pending.set(id, { resolve: () => resolve(), reject }));
      });
      await finishSharedUpscale(input, out, kernel, running);
      return;
    }
    // Band b ends where the running count of hole pixels reaches (b + 1)/bands of them.
    const bands = this.workers.length + 1;
    const cuts = [hr.y];
    for (let y = 0, sum = 0, b = 1; y < hr.height && b < bands; y++) {
      sum += perRow[y];
      if (sum >= (b * total) / bands) {
        cuts.push(hr.y + y + 1);
        b++;
      }
    }
    while (cuts.length <= bands) cuts.push(hr.y + hr.height);
    const running: Promise<void>[] = [];
    const { attention: a, lowRes } = input;
    // The photo and its hole plane as they are when both are in shared memory and filled in place; else a crop-sized copy.
    const direct = out === input.source.data && out.buffer instanceof SharedArrayBuffer && input.mask.buffer instanceof SharedArrayBuffer;
    let local: UpscaleInput;
    if (direct) {
      // Functions do not cross to a worker.
      local = { ...input, progress: undefined, stop: undefined, seamWidth: 0 };
    } else {
      const cw = crop.width;
      const ch = crop.height;
      const pixels = new Uint8ClampedArray(new SharedArrayBuffer(cw * ch * 4));
      const mask = new Uint8Array(new SharedArrayBuffer(cw * ch));
      for (let y = 0; y < ch; y++) {
        const o = (crop.y + y) * W + crop.x;
        pixels.set(input.source.data.subarray(o * 4, (o + cw) * 4), y * cw * 4);
        mask.set(input.mask.subarray(o, o + cw), y * cw);
      }
      local = {
        source: { width: cw, height: ch, data: pixels },
        mask,
        crop: { x: 0, y: 0, width: cw, height: ch },
        scale: input.scale,
        lowRes,
        attention: a,
        holeRect: hr,
        seamWidth: 0,
      };
    }
    local = {
      ...local,
      lowRes: { ...lowRes, data: shared(lowRes.data) },
      attention: { ...a, count: shared(a.count), dx: shared(a.dx), dy: shared(a.dy), weight: shared(a.weight) },
    };
    const written = local.source.data;
    for (let b = 1; b < bands; b++) {
      if (cuts[b] >= cuts[b + 1]) continue;
      const id = this.nextBatch++;
      running.push(new Promise<void>((resolve, reject) => this.pending.set(id, { resolve: () => resolve(), reject })));
      this.workers[b - 1].postMessage({ kind: "rows", id, input: local, y0: cuts[b], y1: cuts[b + 1] } satisfies RowsBatch);
    }
    upscaleRows(local, written, cuts[0], cuts[1]);
    input.progress?.(1 / bands);
    // The seam band's mismatch reads only known pixels: it is worked out while the workers finish their rows
    // (after this thread's, whose run has compiled the detail transfer that it calls at every ring pixel).
    const seam = input.seamWidth > 0 ? planSeam(input) : null;
    await Promise.all(running);
    if (!direct) {
      const cw = crop.width;
      for (let y = hr.y; y < hr.y + hr.height; y++) {
        const o = (crop.y + y) * W + crop.x + hr.x;
        out.set(written.subarray((y * cw + hr.x) * 4, (y * cw + hr.x + hr.width) * 4), o * 4);
      }
    }
    if (seam) applySeam(seam, out);
  };

  /**
   * The erase's structure step (`EraseOptions.continueStructureOn`) on the
   * first worker, while the engine worker downsamples the crop. Undefined when
   * the photo or its hole plane is not in shared memory (it would be copied):
   * erase then runs the step first on this thread, so a curve never costs a
   * second fill.
   */
  readonly continueStructureOn = (
    image: RgbaImage,
    hole: Uint8Array,
    crop: Rect,
    holeBox?: Rect,
  ): Promise<StructureResult | null> | undefined => {
    if (!(image.data.buffer instanceof SharedArrayBuffer) || !(hole.buffer instanceof SharedArrayBuffer)) return undefined;
    const id = this.nextBatch++;
    const done = new Promise<FieldBatchDone>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const posted = performance.now();
    this.workers[0].postMessage({ kind: "structure", id, image, hole, crop, holeBox } satisfies StructureBatch);
    this.structures[0]++;
    const finished = () => {
      this.structures[0]--;
    };
    done.then(finished, finished);
    return done.then((answer) => {
      // The step's wait for its worker and its run there, on this worker's timeline (bench:web prints them).
      if (answer.ran) {
        const [start, end] = answer.ran.map((t) => t - performance.timeOrigin);
        performance.measure("erase: step queued", { start: posted, end: Math.max(posted, start) });
        performance.measure("erase: step ran", { start, end });
      }
      return answer.structure ?? null;
    });
  };

  /**
   * A reference photo's alignment features (`EraseOptions.detectFeaturesOn`)
   * on the last worker (the first runs the structure step), while the engine
   * worker finds the photo's: the same features. The working copy is posted
   * (about 3 MB), the features come back transferred.
   */
  readonly detectFeaturesOn = async (grey: GreyImage, options: { maxPoints: number }): Promise<Features> => {
    const id = this.nextBatch++;
    const done = new Promise<FieldBatchDone>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.workers[this.workers.length - 1].postMessage({ kind: "features", id, grey, maxPoints: options.maxPoints } satisfies FeaturesBatch);
    const answer = await done;
    if (!answer.features) throw new Error("The field worker sent no features.");
    return answer.features;
  };

  /**
   * Resolves once the last worker has written a 0 into every page of `buffer` (fresh shared memory, zero,
   * that the engine worker will fill later): the pages' first-write faults are taken there, not on the
   * engine worker when it fills it. Only while the fill does not need the workers (it would wait).
   */
  async touch(buffer: SharedArrayBuffer): Promise<void> {
    const id = this.nextBatch++;
    const done = new Promise<FieldBatchDone>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.workers[this.workers.length - 1].postMessage({ kind: "touch", id, buffer } satisfies TouchBatch);
    await done;
  }

  /** Stops the workers; scans under way fail. */
  close(): void {
    for (const worker of this.workers) worker.terminate();
    this.failAll(new Error("The field workers were stopped."));
  }

  private done(done: FieldBatchDone): void {
    const { id, error } = done;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (error === undefined) pending.resolve(done);
    else pending.reject(new Error(error));
  }

  private failAll(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    this.sentProblem.fill(0);
  }
}
