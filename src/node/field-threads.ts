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
import type { LineEnds } from "../core/inpaint/structure/mlsd.js";
import { finishSharedUpscale, type UpscaleInput, upscaleInto, upscaleKernel } from "../core/inpaint/upscale.js";
import type { Features } from "../core/reference/features.js";
import type { GreyImage } from "../core/reference/grey.js";
import type { FeaturesTask, FieldTask, SharedBandsTask, StructureTask, UpscaleRowsTask } from "./field-worker.js";

/** Targets a scan needs before its bands go to the pool's threads. */
const PARALLEL_TARGETS = 8192;
/**
 * The structure step stays on the calling thread for a photo not in shared memory that is over 4 MP and
 * over 4 times its crop: at 48 MP with a 0.9 MP hole, the step on the pool made the erase slower
 * (`inpaintMs` 1196–1222 against 999–1176 ms) and raised the peak memory by 90 MB (576–581 against
 * 487–490 MiB), its crop's copy and planes being held while the fill runs.
 */
const CHEAP_COPY_PIXELS = 4096 * 1024;
const MAX_PHOTO_PER_CROP = 4;
/**
 * An upscaling's hole box (pixels) from which its rows are shared with the pool's free threads: below it the
 * message and the thread's wake-up cost about what the rows would save.
 */
const PARALLEL_UPSCALE_BOX = 65_536;
/** Threads besides the caller's that can share an upscaling's rows (the kernel has a scratch lane for each). */
const UPSCALE_LANES = 7;

/**
 * Crops up to this size are copied into the pool's staging buffers, kept between erases; a larger one goes
 * into buffers of its own, let go with its step (a 48 MP photo's large hole does not leave 100+ MB held).
 */
const KEPT_STAGING_PIXELS = 4096 * 1024;

/** Shared memory a structure step's crop and hole plane are copied into (`stageCrop`). */
export interface StagingBuffers {
  pixels: SharedArrayBuffer;
  hole: SharedArrayBuffer;
}

/**
 * The step's task with the crop's pixels and hole plane copied into `buffers` (grown as needed): the step
 * reads nothing outside the crop, so a photo many times the crop is not copied whole. The copy starts at even
 * coordinates, as the step's sparse read alternates with the photo's pixel parity (structure.ts), and the
 * thread moves the result's rectangle back by `offset`: the result is the same as on the whole photo. A plain
 * photo posted to a thread was copied twice (serialised here, rebuilt in fresh memory there: at 1K about
 * 0.7–1.1 ms of CPU, at 12 MP tens of ms) and read until the thread had it (`StructureStep.readsPhoto`).
 * Exported for scripts/bench-structure-step.mjs, which times the step on crops staged this way.
 */
export function stageCrop(
  buffers: StagingBuffers,
  image: RgbaImage,
  hole: Uint8Array,
  crop: Rect,
  holeBox: Rect | undefined,
): Pick<StructureTask, "image" | "hole" | "crop" | "holeBox" | "offset"> {
  const x0 = crop.x & ~1;
  const y0 = crop.y & ~1;
  const width = crop.x + crop.width - x0;
  const height = crop.y + crop.height - y0;
  if (buffers.pixels.byteLength < width * height * 4) buffers.pixels = new SharedArrayBuffer(width * height * 4);
  if (buffers.hole.byteLength < width * height) buffers.hole = new SharedArrayBuffer(width * height);
  const data = new Uint8ClampedArray(buffers.pixels, 0, width * height * 4);
  const plane = new Uint8Array(buffers.hole, 0, width * height);
  const W = image.width;
  for (let y = 0; y < height; y++) {
    const from = (y0 + y) * W + x0;
    data.set(image.data.subarray(from * 4, (from + width) * 4), y * width * 4);
    plane.set(hole.subarray(from, from + width), y * width);
  }
  return {
    image: { width, height, data },
    hole: plane,
    crop: { ...crop, x: crop.x - x0, y: crop.y - y0 },
    holeBox: holeBox && { ...holeBox, x: holeBox.x - x0, y: holeBox.y - y0 },
    offset: { x: x0, y: y0 },
  };
}

/** Threads a pool gets by default: one per core besides the calling thread's. */
export function defaultFieldThreads(): number {
  return Math.max(0, os.availableParallelism() - 1);
}

/**
 * The threads' young generation (V8's nursery for short-lived objects), in
 * MB. Why: a fresh thread's nursery starts small and grows while the first
 * structure step allocates, and every page it grows into costs a page fault
 * (about 11 µs on the machine this was measured on); held small, it reuses
 * the pages it has. `vanish erase` of a 1K photo whose hole has curves,
 * median of 6 alternated fresh processes: the dock 226 → 211 ms, the road
 * 181 → 165 ms (1 and 4 MB gave the same within 5 ms). Warm, the structure
 * bench's erases on the pool and the 12 MP alignment with its features here
 * did not change beyond their spread.
 */
const YOUNG_GENERATION_MB = 2;

/** The worker threads of a pool, booting as soon as they are made. */
function startPool(threads: number): Piscina {
  return new Piscina({
    filename: new URL("./field-worker.js", import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
}

/**
 * Ends a pool's threads once each has loaded its modules. A worker thread loads this package's ES modules
 * through `require` (Piscina's loader; Node 20.19+ allows it), and Node aborts the whole process
 * ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an instantiated module") when a thread is
 * terminated in the middle of that: seen when bad input ended the CLI while its prestarted thread booted.
 * A task runs on a thread only after its modules are in, so one trivial task per thread marks the point
 * from which ending it is safe; the wait is at most the boot (about 0.2 s on two cores).
 */
async function destroyLoaded(pool: Piscina, threads: number): Promise<void> {
  const loaded = Array.from({ length: threads }, () => pool.run(null, { name: "loaded" }).catch(() => undefined));
  await Promise.all(loaded);
  await pool.destroy();
}

/** Threads started by `prestartFieldThreads`, until a `FieldThreadPool` of as many threads takes them. */
let prestarted: { pool: Piscina; threads: number } | null = null;

/**
 * Starts a pool's worker threads ahead of the `FieldThreadPool` that will use
 * them: the next one made with as many threads takes them over. A thread
 * takes about 0.2 s to boot and load its modules on two cores, which a single
 * erase's fill otherwise waits for (its structure step runs there); the CLI
 * calls this before loading its own modules. `closePrestarted` ends them if
 * no pool took them.
 */
export function prestartFieldThreads(threads = defaultFieldThreads()): void {
  if (prestarted === null && threads > 0) prestarted = { pool: startPool(threads), threads };
}

/** Ends threads that `prestartFieldThreads` started and no pool took. */
export async function closePrestarted(): Promise<void> {
  const left = prestarted;
  prestarted = null;
  if (left) await destroyLoaded(left.pool, left.threads);
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
    if (prestarted !== null && prestarted.threads === threads) {
      this.pool = prestarted.pool;
      prestarted = null;
    } else {
      this.pool = startPool(threads);
    }
  }

  async scan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined, bands: readonly BandScan[]): Promise<void> {
    // A small scan stays on the calling thread: handing it off cost more than
    // it saved (object holes, 2 cores: wall ×0.98–1.08, CPU +2–10 %). The
    // bands, and so the pixels, are the same either way.
    const visited = bands[bands.length - 1].hi - bands[0].lo;
    // Threads busy with a structure step would only queue the bands behind it
    // (the erase's early fill reaches its finest level while the step runs).
    const free = this.threads - this.stepsHolding(2);
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
   * running keeps its scans where they were (object holes' pixels and timing unchanged). The upscaling counts
   * neither end (`freeing` 1 and 2): by then a step's thread is free whatever it found.
   */
  private stepsHolding(...freeing: number[]): number {
    let holding = 0;
    for (const ended of this.structureSteps) if (!freeing.includes(Atomics.load(ended, 0))) holding++;
    return holding;
  }

  /**
   * The erase's structure step (`EraseOptions.continueStructureOn`) on a pool
   * thread, so that the calling thread downsamples and starts the fill
   * meanwhile; the result is `continueStructure`'s. A photo in shared memory
   * is read there as it is; otherwise the crop is copied into shared buffers
   * (`stageCrop`), so the early fill may write into the photo at once. A
   * large unshared photo with a small crop keeps the step on the calling
   * thread (undefined; see `CHEAP_COPY_PIXELS`).
   *
   * @example
   * ```ts
   * const out = await erase(image, mask, { coarse: new PatchMatchCoarse({ threads }), continueStructureOn: threads.continueStructureOn });
   * ```
   */
  readonly continueStructureOn = (
    image: RgbaImage,
    hole: Uint8Array,
    crop: Rect,
    holeBox?: Rect,
    lines?: readonly LineEnds[],
  ): StructureStep | undefined => {
    const shared = image.data.buffer instanceof SharedArrayBuffer && hole.buffer instanceof SharedArrayBuffer;
    const pixels = image.width * image.height;
    if (!shared && pixels > CHEAP_COPY_PIXELS && pixels > MAX_PHOTO_PER_CROP * crop.width * crop.height) return undefined;
    // A second erase's step while the kept buffers are held, or a large crop, gets buffers of its own.
    const kept = !shared && crop.width * crop.height <= KEPT_STAGING_PIXELS ? this.staging : null;
    const buffers = shared ? null : (kept ?? { pixels: new SharedArrayBuffer(0), hole: new SharedArrayBuffer(0) });
    // The thread marks the step's end here, so that the erase's speculative fill can stop without waiting
    // for the result's message (it runs on this thread, which would read that message only after it).
    const ended = new Int32Array(new SharedArrayBuffer(4));
    // The curves come here as soon as the step has them, ahead of its bands and its result (curve-channel.ts).
    const curves = this.channel ?? curveChannel();
    this.channel = null;
    // The channel's count says whether curves were written; a step that ends leaves it for the next one.
    curves[0] = 0;
    if (kept) this.staging = null;
    const task: StructureTask = buffers
      ? { ...stageCrop(buffers, image, hole, crop, holeBox), ended, curves, ...(lines ? { lines } : {}) }
      : { image, hole, crop, holeBox, ended, curves, ...(lines ? { lines } : {}) };
    this.structureSteps.add(ended);
    const step: StructureStep = this.pool.run(task, { name: "structure" });
    step.continues = () => Atomics.load(ended, 0) === 2 || Atomics.load(ended, 0) === 4;
    // Read only once the mark says they are complete; once the step has settled, from the copy taken then, as the
    // channel goes to the next step.
    let settled: { read: ReturnType<typeof readCurves> } | null = null;
    step.curves = () => (settled ? settled.read : step.continues?.() ? readCurves(curves) : undefined);
    // A staged copy is the step's own; a photo in shared memory is read until the step ends (its bands are drawn
    // from it after its curves are out).
    step.readsPhoto = buffers
      ? () => false
      : () => {
          const state = Atomics.load(ended, 0);
          return state === 0 || state === 3 || state === 4;
        };
    const done = () => {
      this.structureSteps.delete(ended);
      // Only the step read the buffers: the next erase may overwrite them.
      if (kept) this.staging = kept;
      settled = { read: step.continues?.() ? readCurves(curves) : undefined };
      this.channel = curves;
    };
    step.then(done, done);
    return step;
  };

  /**
   * The erase's attention upscaling (`EraseOptions.upscale`) with the hole's rows shared by this thread and the
   * pool's free threads, as the app's field workers share them: every thread takes chunks of rows in the
   * kernel's memory until none are left (`UpscaleKernel.shareRows`) while this thread also plans the seam (it
   * reads known pixels only). Each hole pixel is computed on its own, so the pixels are `upscaleInto`'s. A
   * composite that may be thrown away (`stop`) is asked once before the rows; threads still running a
   * structure step are not free (its answer is what `stop` waits for), so such a composite then stays here,
   * where `upscaleInto` asks it between runs of rows.
   *
   * @example
   * ```ts
   * const out = await erase(image, mask, { coarse: new PatchMatchCoarse({ threads }), upscale: threads.upscale });
   * ```
   */
  readonly upscale = async (input: UpscaleInput, out: Uint8ClampedArray): Promise<void> => {
    const hr = input.holeRect;
    const free = Math.min(UPSCALE_LANES, this.threads - this.stepsHolding(1, 2));
    if (free < 1 || hr.width * hr.height < PARALLEL_UPSCALE_BOX) {
      upscaleInto(input, out);
      return;
    }
    if (input.stop?.()) return;
    const kernel = upscaleKernel(input);
    if (!kernel) {
      upscaleInto(input, out);
      return;
    }
    const running: Promise<void>[] = [];
    for (let lane = 1; lane <= free; lane++) {
      running.push(this.pool.run({ memory: kernel.memory, lane } satisfies UpscaleRowsTask, { name: "upscaleRows" }));
    }
    // The pool hands a thread a task only once it has read that thread's last answer (the structure step's, which
    // this thread, busy filling, has not): one turn of the event loop lets it, before the seam is planned here.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await finishSharedUpscale(input, out, kernel, running);
  };

  /**
   * A reference photo's alignment features (`EraseOptions.detectFeaturesOn`)
   * on a pool thread, while the calling thread finds the photo's: the same
   * features (`detectFeatures` is deterministic), the working copy posted
   * (about 3 MB).
   *
   * @example
   * ```ts
   * const out = await erase(image, mask, { reference, detectFeaturesOn: threads.detectFeaturesOn });
   * ```
   */
  readonly detectFeaturesOn = (grey: GreyImage, options: { maxPoints: number }): Promise<Features> => {
    const task: FeaturesTask = { grey, maxPoints: options.maxPoints };
    return this.pool.run(task, { name: "features" });
  };

  /** Stops the threads and lets the staging buffers go. */
  async close(): Promise<void> {
    this.staging = null;
    await destroyLoaded(this.pool, this.threads);
  }
}
