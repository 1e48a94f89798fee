/**
 * The patch distance in WebAssembly SIMD (source: assembly/patch-distance.ts,
 * AssemblyScript). One small instance per `PatchProblem`, over its own shared
 * memory that holds exactly the problem's compact image (`packed`), so the
 * memory never grows and the view never detaches; the problem can still be
 * handed to worker threads, which run kernels of their own over the same
 * memory (`distanceOverMemory`, `scanOverMemory`). Where WebAssembly, SIMD or shared memory is missing (a page without
 * cross-origin isolation), `createDistanceKernel` returns null and the
 * TypeScript kernel does the work, with the same results.
 */
import { compiledOnce, ReleasedMemories, wasmApi } from "../../wasm.js";
import { PATCH_DISTANCE_WASM } from "./patch-distance-bytes.js";

/** A problem's compact image in WebAssembly memory, and the distance over it. */
export interface DistanceKernel {
  /** `lanes` 16-bit values per pixel, rows of `width` pixels. */
  readonly packed: Int16Array;
  /** Sum of squared differences of the patches at t and s, in packed units; stops once it reaches `best`. */
  readonly distance: (t: number, s: number, best: number) => number;
  /**
   * The shared `WebAssembly.Memory` that holds `packed`. It can be posted to
   * another thread, which then runs its own kernel over the same bytes
   * (`distanceOverMemory`) instead of copying them.
   */
  readonly memory: object;
  /** The PatchMatch scan over the same memory, when the kernel was made with room for one. */
  readonly scan?: ScanKernel;
}

/**
 * A PatchMatch problem's arrays and field in the kernel's memory, and the
 * scan of one band over them (`scanBand`'s loop in WebAssembly: one call per
 * band instead of one JS→WebAssembly call per candidate).
 */
export interface ScanKernel {
  /** The problem's planes and target list, filled in by its maker. */
  readonly validSource: Uint8Array;
  readonly slotOf: Int32Array;
  readonly targets: Int32Array;
  /** Side labels, copied in when the problem has them. */
  readonly side: Uint8Array;
  /** The field, the scan's snapshot of its sources and the visited slots: copied in and out around scans. */
  readonly source: Int32Array;
  readonly distance: Float32Array;
  readonly snapshot: Int32Array;
  readonly only: Int32Array;
  /** Sets the power of two the packed values were scaled by (distances are packed sums / unit²). */
  setUnit(unit: number): void;
  /**
   * Scans visited positions [lo, hi) (of the targets, or of `only`'s first
   * hi slots when `useOnly`), reading sources outside [first, last] visited
   * slot from the snapshot when `useSnapshot`; `state` is the random
   * stream's (`Random.position`). Returns the stream's state afterwards.
   */
  scan(
    lo: number,
    hi: number,
    forward: boolean,
    maxRadius: number,
    state: number,
    useSnapshot: boolean,
    useOnly: boolean,
    useSide: boolean,
  ): number;
  /** Sets the first `count` distances to those of their sources (`source`), without early exit. */
  refresh(count: number): void;
}

interface KernelExports {
  setup(width: number, height: number, radius: number, lanes: number, byteBase: number): void;
  distance(t: number, s: number, best: number): number;
  setupScan(
    valid: number,
    slot: number,
    target: number,
    side: number,
    source: number,
    dist: number,
    snapshot: number,
    only: number,
    u2: number,
  ): void;
  scan(
    lo: number,
    hi: number,
    forward: number,
    maxRadius: number,
    state: number,
    useSnapshot: number,
    useOnly: number,
    useSide: number,
  ): number;
  refresh(count: number): void;
}

const PAGE = 65536;
const kernelModule = compiledOnce(PATCH_DISTANCE_WASM);

/**
 * A kernel for a width×height image of `lanes` (3 or 5) values per pixel, or
 * null where the runtime can't run it. With `scanTargets`, its memory also
 * holds a scan's arrays for a problem with that many targets (`scan`).
 */
export function createDistanceKernel(
  width: number,
  height: number,
  radius: number,
  lanes: 3 | 5,
  scanTargets?: number,
): DistanceKernel | null {
  const module = kernelModule();
  const api = wasmApi();
  if (module === null || !api) return null;
  const values = width * height * lanes;
  const pixels = width * height;
  const n = scanTargets ?? 0;
  const { validAt, slotAt, targetAt, sideAt, sourceAt, distanceAt, snapshotAt, onlyAt, end } = scanLayout(width, height, lanes, n);
  const bytes = scanTargets === undefined ? validAt : end;
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  try {
    const kept = released.take(pages);
    const memory = kept?.memory ?? new api.Memory({ initial: pages, maximum: pages, shared: true });
    const exports = kept?.exports ?? (new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports);
    if (!kept) instances.set(memory, { memory, exports, pages });
    exports.setup(width, height, radius, lanes, 0);
    const packed = new Int16Array(memory.buffer, 0, values);
    if (scanTargets === undefined) return { packed, distance: exports.distance, memory };
    const buffer = memory.buffer;
    const scan: ScanKernel = {
      validSource: new Uint8Array(buffer, validAt, pixels),
      slotOf: new Int32Array(buffer, slotAt, pixels),
      targets: new Int32Array(buffer, targetAt, n),
      side: new Uint8Array(buffer, sideAt, pixels),
      source: new Int32Array(buffer, sourceAt, n),
      distance: new Float32Array(buffer, distanceAt, n),
      snapshot: new Int32Array(buffer, snapshotAt, n),
      only: new Int32Array(buffer, onlyAt, n),
      setUnit: (unit) => exports.setupScan(validAt, slotAt, targetAt, sideAt, sourceAt, distanceAt, snapshotAt, onlyAt, unit * unit),
      scan: (lo, hi, forward, maxRadius, state, useSnapshot, useOnly, useSide) =>
        exports.scan(lo, hi, forward ? 1 : 0, maxRadius, state, useSnapshot ? 1 : 0, useOnly ? 1 : 0, useSide ? 1 : 0),
      refresh: exports.refresh,
    };
    return { packed, distance: exports.distance, memory, scan };
  } catch {
    return null;
  }
}

/**
 * Byte offsets in a kernel's memory: the packed image, valid-source plane,
 * slots, targets, sides, then the field, snapshot and visited slots; `end`
 * is the first byte after them. The same for every thread that computes it,
 * so another thread finds the arrays by the problem's sizes alone.
 */
function scanLayout(width: number, height: number, lanes: number, targets: number) {
  const pixels = width * height;
  const n = targets;
  const align4 = (b: number) => (b + 3) & ~3;
  // The distance reads up to 16 bytes past a row's last pixel (masked off): room after the image for the last row.
  const validAt = pixels * lanes * 2 + 16;
  const slotAt = align4(validAt + pixels);
  const targetAt = slotAt + 4 * pixels;
  const sideAt = targetAt + 4 * n;
  const sourceAt = align4(sideAt + pixels);
  const distanceAt = sourceAt + 4 * n;
  const snapshotAt = distanceAt + 4 * n;
  const onlyAt = snapshotAt + 4 * n;
  return { validAt, slotAt, targetAt, sideAt, sourceAt, distanceAt, snapshotAt, onlyAt, end: onlyAt + 4 * n };
}

/** A kernel's memory and the instance over it, kept for another kernel once released. */
interface Instantiated {
  memory: { buffer: ArrayBuffer | SharedArrayBuffer };
  exports: KernelExports;
  pages: number;
}
const instances = new WeakMap<object, Instantiated>();
/** Released kernels: four, up to 64 pages each (4 MiB). */
const released = new ReleasedMemories<Instantiated>(4, 64);

/**
 * Hands a kernel's memory and instance back for the next `createDistanceKernel`
 * on this thread: making them cost 0.1–0.2 ms a kernel, three kernels a fill.
 * The caller must not use the kernel, nor any view or problem over its memory,
 * afterwards (the next kernel overwrites every byte it reads).
 */
export function releaseDistanceKernel(memory: object | undefined): void {
  const kept = memory === undefined ? undefined : instances.get(memory);
  if (kept) released.give(kept);
}

const overMemory = new WeakMap<object, KernelExports>();

/** This thread's instance over a memory another thread made, or null where this runtime can't run the kernel. */
function instanceOver(memory: object): KernelExports | null {
  const module = kernelModule();
  const api = wasmApi();
  if (module === null || !api) return null;
  let exports = overMemory.get(memory);
  if (!exports) {
    exports = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    overMemory.set(memory, exports);
  }
  return exports;
}

/**
 * The distance over a kernel's memory that another thread made
 * (`DistanceKernel.memory`, received by message), or null where this runtime
 * can't run it. The module is compiled once per thread and instantiated once
 * per memory (0.05–0.15 ms each); the memory is not copied. The function is
 * valid until the next call with the same memory on this thread.
 */
export function distanceOverMemory(
  memory: object,
  width: number,
  height: number,
  radius: number,
  lanes: 3 | 5,
): ((t: number, s: number, best: number) => number) | null {
  try {
    // One instance per memory and thread, set up anew for each problem (the memory may hold another by now).
    const exports = instanceOver(memory);
    if (!exports) return null;
    exports.setup(width, height, radius, lanes, 0);
    return exports.distance;
  } catch {
    return null;
  }
}

/**
 * The scan (`ScanKernel.scan`) over the memory of a kernel that another thread
 * made with room for `scanTargets` targets, reading the problem's arrays and
 * the field that thread put there, or null where this runtime can't run it.
 * Bands of one scan may run at once on several threads over one memory: each
 * writes only its bands' slots of the field. Valid until the next call with
 * the same memory on this thread.
 */
export function scanOverMemory(
  memory: object,
  width: number,
  height: number,
  radius: number,
  lanes: 3 | 5,
  scanTargets: number,
  unit: number,
): ScanKernel["scan"] | null {
  try {
    const exports = instanceOver(memory);
    if (!exports) return null;
    exports.setup(width, height, radius, lanes, 0);
    const { validAt, slotAt, targetAt, sideAt, sourceAt, distanceAt, snapshotAt, onlyAt } = scanLayout(width, height, lanes, scanTargets);
    exports.setupScan(validAt, slotAt, targetAt, sideAt, sourceAt, distanceAt, snapshotAt, onlyAt, unit * unit);
    return (lo, hi, forward, maxRadius, state, useSnapshot, useOnly, useSide) =>
      exports.scan(lo, hi, forward ? 1 : 0, maxRadius, state, useSnapshot ? 1 : 0, useOnly ? 1 : 0, useSide ? 1 : 0);
  } catch {
    return null;
  }
}
