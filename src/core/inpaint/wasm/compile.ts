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
