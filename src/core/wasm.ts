/**
 * Compiling an embedded WebAssembly kernel (base64 bytes written by
 * scripts/build-wasm.mjs) once per thread, and the part of the WebAssembly
 * API the kernels use (the core is compiled without DOM or Node typings of it).
 * Shared by the fill's kernels (inpaint/wasm) and the alignment's
 * (reference/wasm), so neither folder imports the other.
 */

export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer };
}

/** This runtime's WebAssembly, if any. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** A lazily compiled kernel: its module, or null where this runtime can't compile it (no WebAssembly, SIMD or threads). */
export function compiledOnce(base64: string): () => object | null {
  let compiled: object | null | undefined;
  return () => {
    if (compiled !== undefined) return compiled;
    const api = wasmApi();
    try {
      if (!api) throw new Error("no WebAssembly");
      compiled = new api.Module(decodeBase64(base64));
    } catch {
      compiled = null;
    }
    return compiled;
  };
}

/**
 * Kernels' memories (each with the instance over it) handed back for reuse on
 * this thread: a fresh memory costs page faults as it is first written, a
 * reused one does not. Keeps at most `most` entries of at most `maxPages`
 * pages each; when full, the oldest goes, as a memory of another photo's size
 * would otherwise hold the list.
 */
export class ReleasedMemories<T extends { pages: number }> {
  private readonly kept: T[] = [];

  constructor(
    private readonly most: number,
    private readonly maxPages: number,
  ) {}

  /** The smallest kept entry with at least `pages` pages and at most twice that, taken off the list. */
  take(pages: number): T | null {
    let best = -1;
    for (let i = 0; i < this.kept.length; i++) {
      const p = this.kept[i].pages;
      if (p >= pages && p <= 2 * pages && (best < 0 || p < this.kept[best].pages)) best = i;
    }
    return best < 0 ? null : this.kept.splice(best, 1)[0];
  }

  /** Keeps `entry` for a later `take`; too large ones and repeats are ignored. */
  give(entry: T): void {
    if (entry.pages > this.maxPages || this.kept.includes(entry)) return;
    if (this.kept.length >= this.most) this.kept.shift();
    this.kept.push(entry);
  }
}

/**
 * One memory for a kernel's scratch on this thread, and the kernel's instance
 * over it: a call lays out its blocks (`layout`), copies its planes in, runs
 * and copies its results out. The memory grows (a new, larger one with a new
 * instance) when a call needs more room, and is kept for the next call. It is
 * not shared (the kernel is built to import an unshared memory, see
 * scripts/build-wasm.mjs): no other thread reads it, and copies into an
 * unshared memory run at memcpy speed, twice those into a shared one.
 */
export class WasmArena<E> {
  private current: { exports: E; buffer: ArrayBuffer | SharedArrayBuffer; bytes: number } | null = null;
  /** False once this runtime failed to make the kernel. */
  private available = true;

  /** `imports`: the kernel's host functions besides its memory (`env`). */
  constructor(
    private readonly module: () => object | null,
    private readonly imports: Record<string, unknown> = {},
  ) {}

  /**
   * Byte offsets of consecutive blocks of the given byte sizes (16-byte
   * aligned), with the kernel over a memory that has room for them; null
   * where this runtime can't make the kernel (no WebAssembly or SIMD).
   */
  layout(sizes: number[]): { at: number[]; exports: E; buffer: ArrayBuffer | SharedArrayBuffer } | null {
    if (!this.available) return null;
    const at: number[] = [];
    let end = 0;
    for (const size of sizes) {
      at.push(end);
      end += (size + 15) & ~15;
    }
    if (this.current === null || this.current.bytes < end) {
      const module = this.module();
      const api = wasmApi();
      if (module === null || !api) {
        this.available = false;
        return null;
      }
      const pages = Math.max(Math.ceil(end / PAGE), this.current ? Math.ceil((2 * this.current.bytes) / PAGE) : 16);
      try {
        const memory = new api.Memory({ initial: pages, maximum: pages, shared: false });
        const exports = new api.Instance(module, { env: { ...this.imports, memory } }).exports as E;
        this.current = { exports, buffer: memory.buffer, bytes: pages * PAGE };
      } catch {
        this.available = false;
        return null;
      }
    }
    return { at, exports: this.current.exports, buffer: this.current.buffer };
  }
}

const PAGE = 65536;

/**
 * The bytes of a base64 string: by the runtime's own decoder where it has
 * one (`Uint8Array.fromBase64`, Node's `Buffer`), else through `atob`. The
 * `atob` loop runs in V8's interpreter on a fresh thread: 0.7–1 ms for the
 * 11 KB coarse kernel, against 0.2 ms for `Buffer`, and every thread
 * decodes each kernel it uses once.
 */
export function decodeBase64(base64: string): Uint8Array {
  const typed = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array };
  if (typeof typed.fromBase64 === "function") return typed.fromBase64(base64);
  const buffer = (globalThis as { Buffer?: { from(s: string, encoding: "base64"): Uint8Array } }).Buffer;
  if (buffer !== undefined) return buffer.from(base64, "base64");
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
