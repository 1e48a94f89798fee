/**
 * Compiling an embedded WebAssembly kernel (base64 bytes written by
 * scripts/build-wasm.mjs) once per thread, and the part of the WebAssembly
 * API the kernels use (the core is compiled without DOM or Node typings of it).
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
      const text = atob(base64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      compiled = new api.Module(bytes);
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
