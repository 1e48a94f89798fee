/**
 * The fill's PatchMatch scans on every core of the browser: the core's
 * `FieldThreads` over field workers (field.worker.ts) that the engine worker
 * starts with itself, the page's counterpart of Node's `FieldThreadPool`.
 * Each large scan is split into bands (`planScans`); the engine worker runs
 * its share (the first bands/(workers + 1)) while each field worker runs a
 * batch of the others over the same shared memory. The bands and their
 * random streams depend only on the problem, so the pixels are the same with
 * any number of workers, or none.
 *
 * Shared memory needs a cross-origin isolated page (COOP/COEP); without it
 * `startFieldThreads` gives null and the fill runs on the engine worker alone.
 */
import {
  type BandScan,
  type FieldThreads,
  type Nnf,
  type PatchProblem,
  scanBand,
  withoutKernel,
} from "../../src/core/inpaint/patchmatch.js";
import { Random } from "../../src/core/random.js";
import type { FieldBatch, FieldBatchDone } from "./field.worker.js";

/** Targets a scan needs before its bands go to the field workers (below, the messages cost more than they save). */
const PARALLEL_TARGETS = 8192;

/** Field workers for this browser: one per core besides the engine worker's, at most 3; none without shared memory. */
export function defaultFieldWorkers(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated || typeof SharedArrayBuffer === "undefined") return 0;
  return Math.max(0, Math.min(3, (navigator.hardwareConcurrency || 1) - 1));
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class WebFieldThreads implements FieldThreads {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  /** The problem each worker last received (sent once per problem, not with every scan). */
  private readonly sentProblem: number[];
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
  }

  get threads(): number {
    return this.workers.length;
  }

  async scan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined, bands: readonly BandScan[]): Promise<void> {
    const visited = bands[bands.length - 1].hi - bands[0].lo;
    if (visited < PARALLEL_TARGETS) {
      for (const band of bands) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
      return;
    }
    // This thread takes its share of the bands first in order; the workers split the rest, one batch each.
    const own = Math.ceil(bands.length / (this.workers.length + 1));
    const rest = bands.slice(own);
    const per = Math.ceil(rest.length / this.workers.length);
    let problemId = this.problemIds.get(p);
    if (problemId === undefined) {
      problemId = this.nextProblem++;
      this.problemIds.set(p, problemId);
    }
    const running: Promise<void>[] = [];
    for (let w = 0; w < this.workers.length && w * per < rest.length; w++) {
      const id = this.nextBatch++;
      const batch: FieldBatch = { id, problemId, nnf, snapshot, only, bands: rest.slice(w * per, (w + 1) * per) };
      if (this.sentProblem[w] !== problemId) {
        batch.problem = withoutKernel(p);
        this.sentProblem[w] = problemId;
      }
      running.push(new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject })));
      this.workers[w].postMessage(batch);
    }
    for (let b = 0; b < own; b++) scanBand(p, nnf, snapshot, only, bands[b], new Random(bands[b].seed));
    await Promise.all(running);
  }

  /** Stops the workers; scans under way fail. */
  close(): void {
    for (const worker of this.workers) worker.terminate();
    this.failAll(new Error("The field workers were stopped."));
  }

  private done({ id, error }: FieldBatchDone): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (error === undefined) pending.resolve();
    else pending.reject(new Error(error));
  }

  private failAll(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    this.sentProblem.fill(0);
  }
}
