/**
 * The TensorFlow.js adapter for Node: loads a tfjs graph model (model.json
 * plus its weight files) with tfjs-core, tfjs-converter and the WebAssembly
 * backend, and presents it as the core's `InferenceModel`
 * (src/runtime/tfjs-graph.ts, shared with the browser app). The packages are
 * optional dependencies, imported on first use; without them the caller
 * gets a VanishError naming the install command.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { VanishError } from "../core/image.js";
import type { InferenceModel } from "../core/model.js";
import { type TfjsRuntime, tfjsGraphModel } from "../runtime/tfjs-graph.js";

export const TFJS_PACKAGES = "@tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-converter@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0";

let runtime: Promise<TfjsRuntime> | null = null;

async function importRuntime(): Promise<TfjsRuntime> {
  let tf: TfjsRuntime["tf"];
  let converter: TfjsRuntime["converter"];
  let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(import.meta.url);
  try {
    // Required rather than imported: the packages are CommonJS, and importing them first scans tfjs-core's 1 MB bundle
    // for its exports (about 0.42 against 0.08 s of CPU for the three).
    tf = require("@tensorflow/tfjs-core");
    converter = require("@tensorflow/tfjs-converter");
    wasm = require("@tensorflow/tfjs-backend-wasm");
  } catch (err) {
    throw new VanishError(
      "MISSING_DEPENDENCY",
      `TensorFlow.js is not installed (${(err as Error).message.split("\n")[0]}); run: npm install ${TFJS_PACKAGES}`,
    );
  }
  const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  wasm.setWasmPaths(`${dist}${path.sep}`);
  if (!(await tf.setBackend("wasm"))) throw new VanishError("UNREADABLE", "TensorFlow.js could not start its WebAssembly backend.");
  return { tf, converter };
}

/** tfjs-core with the WebAssembly backend ready (imported once). */
export function tfjsRuntime(): Promise<TfjsRuntime> {
  runtime ??= importRuntime().catch((err) => {
    runtime = null;
    throw err;
  });
  return runtime;
}

/** A tfjs graph model from its parsed model.json and the concatenated bytes of its weight files. */
export async function loadTfjsGraphModel(modelJson: Record<string, unknown>, weights: Uint8Array, label: string): Promise<InferenceModel> {
  return tfjsGraphModel(await tfjsRuntime(), modelJson, weights, label);
}
