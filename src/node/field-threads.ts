/**
 * A warm pool of worker threads for the PatchMatch scans of the fill
 * (`PatchMatchCoarseOptions.threads`). Each large scan is split into bands
 * (`planScans`); the calling thread runs its share of them (the first
 * bands/(free threads + 1)) while the pool runs the others over the same
 * shared memory. Threads running a structure step are not free: bands
 * posted to them would wait for the step. The bands and their random streams
 * depend only on the problem, so the pixels are the same with any number of
 * threads, or none.
 */
import os from "node:os";
import { Piscina } from "piscina";
import type { Rect, RgbaImage } from "../core/image.js";
import type { StructureStep } from "../core/inpaint/erase.js";
import {
  type BandScan,
  type FieldThreads,
  finishSharedScan,
  type Nnf,
  type PatchProblem,
  scanBandsHere,
  scanSharedBandsHere,
  startSharedScan,
  withoutKernel,
} from "../core/inpaint/patchmatch.js";
import { curveChannel, readCurves } from "../core/inpaint/structure/curve-channel.js";
import type { FieldTask, SharedBandsTask, StructureTask } from "./field-worker.js";

/** Targets a scan needs before its bands go to the pool's threads. */
const PARALLEL_TARGETS = 8192;
/**
 * The structure step goes to a thread when copying the photo there is cheap
 * (up to 4 MP: a few ms against a step of 7–30 ms) or the crop it reads is a
 * large share of the photo (at most 4 photo pixels per crop pixel).
 */
const CHEAP_COPY_PIXELS = 4096 * 1024;
const MAX_COPIED_PHOTO_PER_CROP = 4;

/** Shared memory a structure step's photo and hole plane are copied into (`stageInto`). */
interface StagingBuffers {
  pixels: SharedArrayBuffer;
  hole: SharedArrayBuffer;
}

/**
 * The photo and hole plane copied into the staging buffers, grown as
 * needed. A plain photo posted to a thread was copied twice (serialised
 * here, rebuilt in fresh memory there: at 1K about 0.7–1.1 ms of CPU, at 2K
 * 2–3 ms); one copy into warm shared memory costs 0.2–0.3 and 0.7 ms.
 */
function stageInto(buffers: StagingBuffers, image: RgbaImage, hole: Uint8Array): { image: RgbaImage; hole: Uint8Array } {
  const bytes = image.data.length;
  if (buffers.pixels.byteLength < bytes) buffers.pixels = new SharedArrayBuffer(bytes);
  if (buffers.hole.byteLength < hole.length) buffers.hole = new SharedArrayBuffer(hole.length);
  const data = new Uint8ClampedArray(buffers.pixels, 0, bytes);
  data.set(image.data);
  const plane = new Uint8Array(buffers.hole, 0, hole.length);
  plane.set(hole);
  return { image: { width: image.width, height: image.height, data }, hole: plane };
}

/** Threads a pool gets by default: one per core besides the calling thread's. */
export function defaultFieldThreads(): number {
  return Math.max(0, os.availableParallelism() - 1);
}

/**
 * Worker threads for the fill. Create once, pass to every erase, `close()` at the end.
 *
 * @example
 * ```ts
 * import { erase, PatchMatchCoarse } from "vanish";
 * import { FieldThreadPool } from "vanish/node";
 * const threads = new FieldThreadPool();
 * const out = await erase(image, mask, { coarse: new PatchMatchCoarse({ threads }) });
 * await threads.close();
 * ```
 */
export class FieldThreadPool implements FieldThreads {
  readonly parallelTargets = PARALLEL_TARGETS;
  private readonly pool: Piscina;
  readonly threads: number;
  /**
   * The end marks (`StructureTask.ended`) of the structure steps running or queued on the pool
   * (`continueStructureOn`), until their result's message is read.
   */
  private readonly structureSteps = new Set<Int32Array>();
  /** Shared buffers for a structure step's photo and hole plane, kept between erases; null while a step reads them. */
  private staging: StagingBuffers | null = { pixels: new SharedArrayBuffer(0), hole: new SharedArrayBuffer(0) };
  /** A curve channel (curve-channel.ts) kept between erases; null while a step holds it. */
  private channel: Float64Array | null = null;

  constructor(threads = defaultFieldThreads()) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new RangeError(`FieldThreadPool needs 1 to 256 threads, not ${threads}`);
    }
    this.threads = threads;
    this.pool = new Piscina({
      filename: new URL("./field-worker.js", import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  async scan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined, bands: readonly BandScan[]): Promise<void> {
    // A small scan stays on the calling thread: handing it off cost more than
    // it saved (object holes, 2 cores: wall ×0.98–1.08, CPU +2–10 %). The
    // bands, and so the pixels, are the same either way.
    const visited = bands[bands.length - 1].hi - bands[0].lo;
    // Threads busy with a structure step would only queue the bands behind it
    // (the erase's early fill reaches its finest level while the step runs).
    const free = this.threads - this.stepsRunning();
    if (visited < PARALLEL_TARGETS || free < 1) {
      scanBandsHere(p, nnf, snapshot, only, bands);
      return;
    }
    // The calling thread takes its share of the bands, the free threads the
    // rest, one task of consecutive bands per thread: a task per band cost a
    // message and a wake-up each (4 per scan of a 1K large hole's finest level).
    const own = Math.ceil(bands.length / (free + 1));
    const rest = bands.slice(own);
    const per = Math.ceil(rest.length / free);
    const running: Promise<void>[] = [];
    // With the problem's WebAssembly scan in shared memory every thread scans there, in WebAssembly, over one copy of the field.
    const inMemory = startSharedScan(p, nnf, snapshot, only);
    if (inMemory) {
      for (let at = 0; at < rest.length; at += per) {
        running.push(this.pool.run({ scan: inMemory, bands: rest.slice(at, at + per) } satisfies SharedBandsTask, { name: "sharedBands" }));
      }
      scanSharedBandsHere(p, inMemory, bands.slice(0, own));
      await Promise.all(running);
      finishSharedScan(p, nnf);
      return;
    }
    const problem = withoutKernel(p);
    for (let at = 0; at < rest.length; at += per) {
      running.push(this.pool.run({ problem, nnf, snapshot, only, bands: rest.slice(at, at + per) } satisfies FieldTask));
    }
    scanBandsHere(p, nnf, snapshot, only, bands.slice(0, own));
    await Promise.all(running);
  }

  /**
   * Structure steps counted as holding a thread. One that has ended with curves counts no more, though its
   * result's message is unread: the erase's fill with their sides starts without reading it (the event loop
   * may not run before that fill ends), and its scans would otherwise all stay on the calling thread. One that
   * ended with nothing counts until its message is read, as it always did: the speculative fill it leaves
   * running keeps its scans where they were (object holes' pixels and timing unchanged).
   */
  private stepsRunning(): number {
    let running = 0;
    for (const ended of this.structureSteps) if (Atomics.load(ended, 0) !== 2) running++;
    return running;
  }

  /**
   * The erase's structure step (`EraseOptions.continueStructureOn`) on a pool
   * thread, so that the calling thread downsamples and starts the fill
   * meanwhile; the result is `continueStructure`'s. Unless in shared memory,
   * the photo and hole plane are copied to the thread: up to 4 MP into the
   * pool's staging buffers (`stageInto`; a second erase's step while they are
   * held is posted as it is, copied on the way), above that by posting, so
   * a large photo many times the crop keeps the step on the calling thread
   * (undefined): at 48 MP the copy cost 0.3 s and 430 MiB of peak memory
   * for a step that reads about the crop.
   *
   * @example
   * ```ts
   * const out = await erase(image, mask, { coarse: new PatchMatchCoarse({ threads }), continueStructureOn: threads.continueStructureOn });
   * ```
   */
  readonly continueStructureOn = (image: RgbaImage, hole: Uint8Array, crop: Rect, holeBox?: Rect): StructureStep | undefined => {
    const shared = image.data.buffer instanceof SharedArrayBuffer && hole.buffer instanceof SharedArrayBuffer;
    const pixels = image.width * image.height;
    if (!shared && pixels > CHEAP_COPY_PIXELS && pixels > MAX_COPIED_PHOTO_PER_CROP * crop.width * crop.height) return undefined;
    // Up to 4 MP an unshared photo is copied into the pool's staging buffers, which travel uncopied.
    const buffers = shared || pixels > CHEAP_COPY_PIXELS ? null : this.staging;
    // The thread marks the step's end here, so that the erase's speculative fill can stop without waiting
    // for the result's message (it runs on this thread, which would read that message only after it).
    const ended = new Int32Array(new SharedArrayBuffer(4));
    // The curves come here as soon as the step has them, ahead of its bands and its result (curve-channel.ts).
    const curves = this.channel ?? curveChannel();
    this.channel = null;
    // The channel's count says whether curves were written; a step that ends leaves it for the next one.
    curves[0] = 0;
    let task: StructureTask = { image, hole, crop, holeBox, ended, curves };
    if (buffers) {
      this.staging = null;
      task = { ...stageInto(buffers, image, hole), crop, holeBox, ended, curves };
    }
    this.structureSteps.add(ended);
    const step: StructureStep = this.pool.run(task, { name: "structure" });
    step.continues = () => Atomics.load(ended, 0) === 2 || Atomics.load(ended, 0) === 4;
    // Read only once the mark says they are complete; once the step has settled, from the copy taken then, as the
    // channel goes to the next step.
    let settled: { read: ReturnType<typeof readCurves> } | null = null;
    step.curves = () => (settled ? settled.read : step.continues?.() ? readCurves(curves) : undefined);
    // A staged copy is the step's own; a photo in shared memory is read until the step ends (its bands are drawn
    // from it after its curves are out); a photo posted to the thread is copied when the task leaves the queue,
    // which its start marks.
    step.readsPhoto = buffers
      ? () => false
      : shared
        ? () => {
            const state = Atomics.load(ended, 0);
            return state === 0 || state === 3 || state === 4;
          }
        : () => Atomics.load(ended, 0) === 0;
    const done = () => {
      this.structureSteps.delete(ended);
      // Only the step read the buffers: the next erase may overwrite them.
      if (buffers) this.staging = buffers;
      settled = { read: step.continues?.() ? readCurves(curves) : undefined };
      this.channel = curves;
    };
    step.then(done, done);
    return step;
  };

  /** Stops the threads and lets the staging buffers go. */
  async close(): Promise<void> {
    this.staging = null;
    await this.pool.destroy();
  }
}
