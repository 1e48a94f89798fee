/**
 * The TensorFlow.js adapter for Node: loads a tfjs graph model (model.json
 * plus its weight files) with tfjs-core, tfjs-converter and the WebAssembly
 * backend, and presents it as the core's `InferenceModel`. The packages are
 * optional dependencies, imported on first use; without them the caller
 * gets a VanishError naming the install command.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { VanishError } from "../core/image.js";
import type { InferenceModel, TensorData } from "../core/model.js";

type Tf = typeof import("@tensorflow/tfjs-core");
type Converter = typeof import("@tensorflow/tfjs-converter");
type WeightSpecs = import("@tensorflow/tfjs-core").io.WeightsManifestEntry[];

export const TFJS_PACKAGES = "@tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-converter@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0";

let runtime: Promise<{ tf: Tf; converter: Converter }> | null = null;

async function importRuntime(): Promise<{ tf: Tf; converter: Converter }> {
  let tf: Tf;
  let converter: Converter;
  let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
  try {
    tf = await import("@tensorflow/tfjs-core");
    converter = await import("@tensorflow/tfjs-converter");
    wasm = await import("@tensorflow/tfjs-backend-wasm");
  } catch (err) {
    throw new VanishError(
      "MISSING_DEPENDENCY",
      `TensorFlow.js is not installed (${(err as Error).message.split("\n")[0]}); run: npm install ${TFJS_PACKAGES}`,
    );
  }
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  wasm.setWasmPaths(`${dist}${path.sep}`);
  if (!(await tf.setBackend("wasm"))) throw new VanishError("UNREADABLE", "TensorFlow.js could not start its WebAssembly backend.");
  return { tf, converter };
}

/** tfjs-core with the WebAssembly backend ready (imported once). */
export function tfjsRuntime(): Promise<{ tf: Tf; converter: Converter }> {
  runtime ??= importRuntime().catch((err) => {
    runtime = null;
    throw err;
  });
  return runtime;
}

/** A tfjs graph model from its parsed model.json and the concatenated bytes of its weight files. */
export async function loadTfjsGraphModel(modelJson: Record<string, unknown>, weights: Uint8Array, label: string): Promise<InferenceModel> {
  const { tf, converter } = await tfjsRuntime();
  const manifest = modelJson.weightsManifest as { weights: unknown[] }[] | undefined;
  if (!modelJson.modelTopology || !Array.isArray(manifest)) {
    throw new VanishError("UNSUPPORTED_FORMAT", `${label} is not a TensorFlow.js graph model (no modelTopology or weightsManifest).`);
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const graph = await converter.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as object,
      weightSpecs: manifest.flatMap((g) => g.weights) as WeightSpecs,
      weightData,
    }),
  );
  const outputNames = graph.outputNodes;
  return {
    inputs: graph.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    outputs: outputNames.map((name) => ({ name })),
    async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
      const inputs: Record<string, ReturnType<typeof tf.tensor>> = {};
      for (const [name, t] of Object.entries(feeds)) {
        if (!(t.data instanceof Float32Array)) throw new VanishError("INVALID_ARGUMENT", `${label} takes float32 inputs.`);
        inputs[name] = tf.tensor(t.data, [...t.dims], "float32");
      }
      try {
        const result = graph.execute(inputs, outputNames);
        const list = Array.isArray(result) ? result : [result];
        const out: Record<string, TensorData> = {};
        for (let i = 0; i < list.length; i++) {
          out[outputNames[i]] = { type: "float32", dims: list[i].shape, data: (await list[i].data()) as Float32Array };
          list[i].dispose();
        }
        return out;
      } finally {
        for (const t of Object.values(inputs)) t.dispose();
      }
    },
    async close(): Promise<void> {
      graph.dispose();
    },
  };
}
