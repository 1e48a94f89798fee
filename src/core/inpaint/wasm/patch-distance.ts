/**
 * The patch distance in WebAssembly SIMD (source: assembly/patch-distance.ts,
 * AssemblyScript). One small instance per `PatchProblem`, over its own shared
 * memory that holds exactly the problem's compact image (`packed`), so the
 * memory never grows and the view never detaches; the problem can still be
 * handed to worker threads, which read the same memory with the TypeScript
 * kernel. Where WebAssembly, SIMD or shared memory is missing (a page without
 * cross-origin isolation), `createDistanceKernel` returns null and the
 * TypeScript kernel does the work, with the same results.
 */
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
}

interface KernelExports {
  setup(width: number, height: number, radius: number, lanes: number, byteBase: number): void;
  distance(t: number, s: number, best: number): number;
}

/** The part of the WebAssembly API used here (the core is compiled without DOM or Node typings of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer };
}

const PAGE = 65536;
let compiled: object | null | undefined;

function kernelModule(): object | null {
  if (compiled !== undefined) return compiled;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    if (!api) throw new Error("no WebAssembly");
    const text = atob(PATCH_DISTANCE_WASM);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    compiled = new api.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/** A kernel for a width×height image of `lanes` (4 or 8) values per pixel, or null where the runtime can't run it. */
export function createDistanceKernel(width: number, height: number, radius: number, lanes: 4 | 8): DistanceKernel | null {
  const module = kernelModule();
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (module === null || !api) return null;
  const values = width * height * lanes;
  const pages = Math.max(1, Math.ceil((values * 2) / PAGE));
  try {
    const memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
    const exports = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    exports.setup(width, height, radius, lanes, 0);
    return { packed: new Int16Array(memory.buffer, 0, values), distance: exports.distance, memory };
  } catch {
    return null;
  }
}

/**
 * The distance over a kernel's memory that another thread made
 * (`DistanceKernel.memory`, received by message), or null where this runtime
 * can't run it. Instantiating is cheap (the module is compiled once per
 * thread); the memory is not copied.
 */
export function distanceOverMemory(
  memory: object,
  width: number,
  height: number,
  radius: number,
  lanes: 4 | 8,
): ((t: number, s: number, best: number) => number) | null {
  const module = kernelModule();
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (module === null || !api) return null;
  try {
    const exports = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    exports.setup(width, height, radius, lanes, 0);
    return exports.distance;
  } catch {
    return null;
  }
}
