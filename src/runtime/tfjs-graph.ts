/**
 * A TensorFlow.js graph model (model.json plus its weight files, as
 * tfjs-converter writes them) presented as the core's `InferenceModel`.
 * Shared by Node (src/node/tfjs-model.ts) and the browser app
 * (web/src/tfjs-web.ts); each side imports the tfjs packages and picks the
 * WebAssembly backend itself and hands them in, so this module imports no
 * runtime of its own.
 */
import { VanishError } from "../core/image.js";
import type { InferenceModel, TensorData } from "../core/model.js";

type Tf = typeof import("@tensorflow/tfjs-core");
type Converter = typeof import("@tensorflow/tfjs-converter");
type WeightSpecs = import("@tensorflow/tfjs-core").io.WeightsManifestEntry[];

/** tfjs-core (its backend already set) and tfjs-converter. */
export interface TfjsRuntime {
  tf: Tf;
  converter: Converter;
}

/** A graph model from its parsed model.json and the concatenated bytes of its weight files; `label` names it in errors. */
export async function tfjsGraphModel(
  { tf, converter }: TfjsRuntime,
  modelJson: Record<string, unknown>,
  weights: Uint8Array,
  label: string,
): Promise<InferenceModel> {
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
      const inputs: Record<string, ReturnType<Tf["tensor"]>> = {};
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
