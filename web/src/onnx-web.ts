/**
 * The ONNX Runtime adapter for the browser: loads a model file the user
 * picked with onnxruntime-web (its WebAssembly backend; multithreaded when the
 * page is cross-origin isolated, as the app's servers make it, else one
 * thread) and presents it as the core's
 * `InferenceModel` through the adapter shared with Node. The runtime (about
 * 14 MB of WebAssembly, precached for offline use) is fetched on first use.
 */
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.wasm?url";
import { type InferenceModel, notAModel, type OrtSessionLike, type OrtTensorConstructor, sessionModel } from "../../src/index.js";

type Ort = typeof import("onnxruntime-web/wasm");
let runtime: Promise<Ort> | null = null;

function ort(): Promise<Ort> {
  runtime ??= import("onnxruntime-web/wasm").then((m) => {
    m.env.wasm.wasmPaths = { wasm: wasmUrl };
    // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
    m.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(8, navigator.hardwareConcurrency || 1) : 1;
    return m;
  });
  return runtime;
}

/** Loads the model in `file`; errors name the file and say what went wrong. */
export async function loadWebModel(file: Blob, name: string): Promise<InferenceModel> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { InferenceSession, Tensor } = await ort();
  let session: Awaited<ReturnType<typeof InferenceSession.create>>;
  try {
    session = await InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  } catch (err) {
    throw notAModel(name, err);
  }
  return sessionModel(session as unknown as OrtSessionLike, Tensor as unknown as OrtTensorConstructor, name);
}
