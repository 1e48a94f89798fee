/**
 * The ONNX Runtime adapter for Node: loads a model file with
 * onnxruntime-node (CPU) and presents it as an `InferenceModel`. The runtime
 * itself is imported on first use, so commands that never touch a neural
 * model do not pay for loading it.
 */
import { promises as fs } from "node:fs";
import { VanishError } from "../core/image.js";
import type { InferenceModel, TensorData, ValueInfo } from "../core/model.js";

type Ort = typeof import("onnxruntime-node");
let runtime: Promise<Ort> | null = null;

function ort(): Promise<Ort> {
  runtime ??= import("onnxruntime-node");
  return runtime;
}

interface OrtValueMetadata {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

function infos(names: readonly string[], metadata: readonly OrtValueMetadata[] | undefined): ValueInfo[] {
  return names.map((name) => {
    const m = metadata?.find((x) => x.name === name);
    return m && m.isTensor !== false ? { name, type: m.type, shape: m.shape } : { name };
  });
}

/** Loads an ONNX model from `file`; errors say which file and what went wrong. */
export async function loadOnnxModel(file: string, options: { threads?: number } = {}): Promise<InferenceModel> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new VanishError(
      "UNREADABLE",
      `Cannot read the model ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path.`,
    );
  }
  const { InferenceSession, Tensor } = await ort();
  let session: Awaited<ReturnType<typeof InferenceSession.create>>;
  try {
    session = await InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    });
  } catch (err) {
    throw new VanishError("UNSUPPORTED_FORMAT", `${file} is not a model ONNX Runtime can load: ${(err as Error).message.split("\n")[0]}`);
  }
  const s = session as typeof session & { inputMetadata?: readonly OrtValueMetadata[]; outputMetadata?: readonly OrtValueMetadata[] };
  return {
    inputs: infos(session.inputNames, s.inputMetadata),
    outputs: infos(session.outputNames, s.outputMetadata),
    async run(feeds: Record<string, TensorData>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
      const ortFeeds: Record<string, InstanceType<typeof Tensor>> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new Tensor(t.type, t.data, t.dims);
      const result = fetch ? await session.run(ortFeeds, [...fetch]) : await session.run(ortFeeds);
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(result)) {
        if (t.type !== "float32" && t.type !== "int64" && t.type !== "uint8") {
          throw new VanishError("UNSUPPORTED_FORMAT", `${file} returned ${name} as ${t.type}; expected float32, int64 or uint8.`);
        }
        out[name] = { type: t.type, dims: t.dims, data: t.data as Float32Array | BigInt64Array | Uint8Array };
      }
      return out;
    },
    async release(): Promise<void> {
      await session.release();
    },
  };
}
