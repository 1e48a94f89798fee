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
  Memory: new (descriptor: {
    initial: number;
    maximum: number;
    shared: boolean;
  }) => { buffer: ArrayBuffer | SharedArrayBuffer; grow(delta: number): number };
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

/** A memory of this thread's that kernels are instantiated over. */
type ThreadMemory = InstanceType<WasmApi["Memory"]>;

/**
 * The one memory all of this thread's arenas lay their calls out in (kernels
 * run one at a time on a thread, and each call writes every byte it reads).
 * Why: a page costs a fault the first time it is written (about 11 µs here),
 * and a fresh process's first erase touched a memory per kernel. Shared, a
 * page that the downsampling wrote serves LSD, Canny and the fill's loops
 * after it: the first structure step of a 1K photo with three curves went
 * from about 6200 to 5200 faults and 133 to 120 ms (median of 8 fresh
 * processes), a first 1K fill from about 4150 to 3650 faults.
 */
let threadMemory: { memory: ThreadMemory; pages: number } | null = null;
/** The most pages a kernel's memory declares (scripts/build-wasm.mjs: 4 GiB). */
const MAX_PAGES = 65536;

/**
 * This thread's memory with room for `bytes`: grown in place (the pages
 * already written stay mapped, and every instance over it stays valid), to
 * twice its size at least; a new one where it can't grow. Null where this
 * runtime can't make one.
 */
function threadMemoryFor(api: WasmApi, bytes: number): ThreadMemory | null {
  const pages = Math.max(MIN_PAGES, Math.ceil(bytes / PAGE));
  if (threadMemory !== null && threadMemory.pages >= pages) return threadMemory.memory;
  const to = threadMemory === null ? pages : Math.min(MAX_PAGES, Math.max(pages, 2 * threadMemory.pages));
  try {
    if (threadMemory !== null) {
      threadMemory.memory.grow(to - threadMemory.pages);
      threadMemory.pages = to;
      return threadMemory.memory;
    }
  } catch {
    // Past what this runtime lets the memory grow to: a new one below.
  }
  try {
    threadMemory = { memory: new api.Memory({ initial: to, maximum: MAX_PAGES, shared: false }), pages: to };
    return threadMemory.memory;
  } catch {
    return null;
  }
}

/**
 * Makes this thread's memory hold `bytes` and writes one byte in each of
 * its pages up to there, so that the kernels that lay out in it later find
 * them mapped. For a thread with time to spare before its first kernel
 * (field-worker.ts); a page costs a fault either way, this moves when.
 */
export function prepareThreadMemory(bytes: number): void {
  const api = wasmApi();
  const memory = api ? threadMemoryFor(api, bytes) : null;
  if (memory === null) return;
  const pages = new Uint8Array(memory.buffer, 0, Math.min(bytes, memory.buffer.byteLength));
  for (let i = 0; i < pages.length; i += 4096) pages[i] = 0;
}

/**
 * A kernel's instance over this thread's memory (`threadMemoryFor`): a call
 * lays out its blocks (`layout`), copies its planes in, runs and copies its
 * results out, before any other kernel runs. The memory is not shared (the
 * kernel is built to import an unshared memory, see scripts/build-wasm.mjs):
 * no other thread reads it, and copies into an unshared memory run at memcpy
 * speed, twice those into a shared one.
 */
export class WasmArena<E> {
  private current: { exports: E; memory: ThreadMemory } | null = null;
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
   * where this runtime can't make the kernel (no WebAssembly or SIMD). The
   * buffer serves until the next `layout` of any arena on this thread.
   */
  layout(sizes: number[]): { at: number[]; exports: E; buffer: ArrayBuffer | SharedArrayBuffer } | null {
    if (!this.available) return null;
    const at: number[] = [];
    let end = 0;
    for (const size of sizes) {
      at.push(end);
      end += (size + 15) & ~15;
    }
    const api = wasmApi();
    const module = this.module();
    const memory = module !== null && api ? threadMemoryFor(api, end) : null;
    if (memory === null || !api || module === null) {
      this.available = false;
      return null;
    }
    if (this.current === null || this.current.memory !== memory) {
      try {
        this.current = { exports: new api.Instance(module, { env: { ...this.imports, memory } }).exports as E, memory };
      } catch {
        this.available = false;
        return null;
      }
    }
    return { at, exports: this.current.exports, buffer: memory.buffer };
  }
}

/** A new thread memory's least size in pages (1 MiB), as each arena's own memory had. */
const MIN_PAGES = 16;
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
