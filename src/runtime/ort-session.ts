/**
 * The part of an ONNX Runtime adapter that does not depend on which runtime
 * it is: onnxruntime-node and onnxruntime-web share one JavaScript API
 * (InferenceSession, Tensor), so a session from either becomes the core's
 * `InferenceModel` here. The runtimes themselves are imported at the edges
 * (`src/node/onnx.ts`, the web app's worker), never by the core.
 */
import { VanishError } from "../core/image.js";
import type { InferenceModel, TensorData, TensorType, ValueInfo } from "../core/model.js";

/** What this module needs of an ONNX Runtime tensor. */
export interface OrtTensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** What this module needs of an ONNX Runtime inference session. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensorLike>, fetches?: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

interface OrtValueMetadata {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

/** The runtime's Tensor constructor. */
export type OrtTensorConstructor = new (type: TensorType, data: TensorData["data"], dims: readonly number[]) => OrtTensorLike;

function infos(names: readonly string[], metadata: readonly OrtValueMetadata[] | undefined): ValueInfo[] {
  return names.map((name) => {
    const m = metadata?.find((x) => x.name === name);
    return m && m.isTensor !== false ? { name, type: m.type, shape: m.shape } : { name };
  });
}

/** Presents `session` as an `InferenceModel`; `label` names the model in errors. */
export function sessionModel(session: OrtSessionLike, Tensor: OrtTensorConstructor, label: string): InferenceModel {
  return {
    inputs: infos(session.inputNames, session.inputMetadata),
    outputs: infos(session.outputNames, session.outputMetadata),
    async run(feeds: Record<string, TensorData>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
      const ortFeeds: Record<string, OrtTensorLike> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new Tensor(t.type, t.data, t.dims);
      const result = fetch ? await session.run(ortFeeds, [...fetch]) : await session.run(ortFeeds);
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(result)) {
        if (t.type !== "float32" && t.type !== "int64" && t.type !== "uint8") {
          throw new VanishError("UNSUPPORTED_FORMAT", `${label} returned ${name} as ${t.type}; expected float32, int64 or uint8.`);
        }
        out[name] = { type: t.type, dims: t.dims, data: t.data as TensorData["data"] };
      }
      return out;
    },
    async close(): Promise<void> {
      await session.release();
    },
  };
}

/** The error for bytes that the runtime cannot load as a model. */
export function notAModel(label: string, err: unknown): VanishError {
  return new VanishError("UNSUPPORTED_FORMAT", `${label} is not a model ONNX Runtime can load: ${(err as Error).message.split("\n")[0]}`);
}
