/**
 * The ONNX Runtime adapter for the browser: onnxruntime-web on WebGPU where
 * the browser offers an adapter, else on its WebAssembly backend
 * (multithreaded when the page is cross-origin isolated, as the app's
 * servers make it, else one thread). Sessions are presented as the core's
 * `InferenceModel` through the adapter shared with Node.
 * The runtime's WebAssembly (about 14 MB, 27 MB for the WebGPU build) is not
 * precached: it is fetched on first use (and then kept by the service
 * worker's runtime cache), either by the caller with progress
 * (`runtimeWasm`, handed to `loadWebModel`) or by ONNX Runtime itself.
 */
import webgpuWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.wasm?url";
import { type InferenceModel, notAModel, type OrtSessionLike, type OrtTensorConstructor, sessionModel } from "../../src/index.js";
import { exposeSamCandidates } from "../../src/runtime/sam-decoder-graph.js";

/** A SAM decoder with every candidate mask among its outputs (unchanged when it is not a single-mask export). */
export function exposeAllCandidates(bytes: Uint8Array): Uint8Array {
  return exposeSamCandidates(bytes) ?? bytes;
}

type Ort = typeof import("onnxruntime-web/wasm");
export type OrtBackend = "webgpu" | "wasm";

interface Runtime {
  ort: Ort;
  backend: OrtBackend;
}

let backend: Promise<OrtBackend> | null = null;
let runtime: Promise<Runtime> | null = null;

/** "webgpu" when the browser has a WebGPU adapter, else "wasm" (decided once). */
export function ortBackend(): Promise<OrtBackend> {
  backend ??= (async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return "wasm";
    try {
      return (await gpu.requestAdapter()) ? "webgpu" : "wasm";
    } catch {
      return "wasm";
    }
  })();
  return backend;
}

/** Where the WebAssembly of the runtime `ortBackend` picks is served from. */
export async function runtimeWasmUrl(): Promise<string> {
  return (await ortBackend()) === "webgpu" ? webgpuWasmUrl : wasmUrl;
}

/** Threads the WebAssembly backend may use: threads need SharedArrayBuffer, which only a cross-origin isolated page has. */
export function ortThreads(): number {
  return self.crossOriginIsolated ? Math.min(8, navigator.hardwareConcurrency || 1) : 1;
}

/** The runtime, started once; `wasmBinary` (the bytes at `runtimeWasmUrl`) saves it fetching them itself. */
function ort(wasmBinary?: Uint8Array): Promise<Runtime> {
  runtime ??= (async () => {
    const chosen = await ortBackend();
    const m: Ort = chosen === "webgpu" ? await import("onnxruntime-web/webgpu") : await import("onnxruntime-web/wasm");
    if (wasmBinary) m.env.wasm.wasmBinary = wasmBinary;
    else m.env.wasm.wasmPaths = { wasm: await runtimeWasmUrl() };
    m.env.wasm.numThreads = ortThreads();
    return { ort: m, backend: chosen };
  })();
  runtime.catch(() => {
    runtime = null;
  });
  return runtime;
}

export interface WebModelOptions {
  /** The runtime's WebAssembly (the bytes at `runtimeWasmUrl`), used if the runtime is not started yet. */
  wasmBinary?: Uint8Array;
  /** Edits the model's bytes before the runtime loads them (as the Node loader's `rewrite`). */
  rewrite?: (bytes: Uint8Array) => Uint8Array;
}

/** Loads a model from its bytes (or a file the user picked); errors name it and say what went wrong. */
export async function loadWebModel(file: Blob | Uint8Array, name: string, options: WebModelOptions = {}): Promise<InferenceModel> {
  let bytes = file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
  if (options.rewrite) bytes = options.rewrite(bytes);
  let started: Runtime;
  try {
    started = await ort(options.wasmBinary);
  } catch (err) {
    throw notAModel(name, err);
  }
  const { InferenceSession, Tensor, env } = started.ort;
  let session: Awaited<ReturnType<typeof InferenceSession.create>>;
  try {
    const executionProviders = started.backend === "webgpu" ? ["webgpu", "wasm"] : ["wasm"];
    session = await InferenceSession.create(bytes, {
      executionProviders,
      graphOptimizationLevel: "all",
      // Threads that spin after a run burn a core or two while the user looks at the photo.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
  } catch (err) {
    throw notAModel(name, err);
  } finally {
    // The runtime has compiled it by now; no need to hold 14–27 MB more.
    env.wasm.wasmBinary = undefined;
  }
  return sessionModel(session as unknown as OrtSessionLike, Tensor as unknown as OrtTensorConstructor, name);
}
