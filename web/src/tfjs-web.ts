/**
 * TensorFlow.js in NanoDet's network worker (people): tfjs-core,
 * tfjs-converter and the WebAssembly backend, as in Node
 * (src/node/tfjs-model.ts), imported on first use so that a visitor who
 * never asks for suggestions downloads none of it. The backend's
 * WebAssembly is served from the app's own origin (Vite copies it from the
 * package; the service worker's runtime cache keeps it for offline use).
 * One thread, as in Node: the text network runs on ONNX Runtime's threads
 * at the same time, and this machine's two cores are spoken for.
 */
import plainWasmUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import simdWasmUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import threadedWasmUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import { type InferenceModel, VanishError } from "../../src/index.js";
import { type TfjsRuntime, tfjsGraphModel } from "../../src/runtime/tfjs-graph.js";

let runtime: Promise<TfjsRuntime> | null = null;

async function start(): Promise<TfjsRuntime> {
  const [tf, converter, wasm] = await Promise.all([
    import("@tensorflow/tfjs-core"),
    import("@tensorflow/tfjs-converter"),
    import("@tensorflow/tfjs-backend-wasm"),
  ]);
  // The threaded build would start its own workers next to ONNX Runtime's; one thread it is.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  // The map must name all three builds (tfjs checks it); the threaded one is never fetched.
  wasm.setWasmPaths({
    "tfjs-backend-wasm.wasm": plainWasmUrl,
    "tfjs-backend-wasm-simd.wasm": simdWasmUrl,
    "tfjs-backend-wasm-threaded-simd.wasm": threadedWasmUrl,
  });
  if (!(await tf.setBackend("wasm"))) throw new VanishError("UNREADABLE", "TensorFlow.js could not start its WebAssembly backend.");
  return { tf, converter };
}

/** tfjs with the WebAssembly backend ready (started once; a failure is retried on the next call). */
function tfjsRuntime(): Promise<TfjsRuntime> {
  runtime ??= start().catch((err) => {
    runtime = null;
    throw err;
  });
  return runtime;
}

/** A tfjs graph model from the bytes of its model.json and of its (single) weights file. */
export async function loadTfjsWebModel(json: Uint8Array, weights: Uint8Array, label: string): Promise<InferenceModel> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json));
  } catch {
    throw new VanishError("UNSUPPORTED_FORMAT", `${label} is not a TensorFlow.js model.json.`);
  }
  return tfjsGraphModel(await tfjsRuntime(), parsed, weights, label);
}
