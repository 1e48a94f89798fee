/**
 * What the core needs from a neural-network runtime (segmentation engines,
 * inpainting networks), so it stays free of any particular one: ONNX Runtime
 * for Node and for the web each provide an adapter at the edge
 * (`src/node/onnx.ts` for Node).
 */

export type TensorType = "float32" | "int64" | "uint8";

/** A dense tensor: row-major data with its dimensions. */
export interface TensorData {
  type: TensorType;
  dims: readonly number[];
  data: Float32Array | BigInt64Array | Uint8Array;
}

/** A model's declared input or output; shape entries are sizes, or names/−1 for dynamic axes. */
export interface ValueInfo {
  name: string;
  type?: string;
  shape?: readonly (number | string)[];
}

/** A loaded model: its signature and a way to run it. */
export interface InferenceModel {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Runs the model; `fetch` names the outputs wanted (all when omitted). */
  run(feeds: Record<string, TensorData>, fetch?: readonly string[]): Promise<Record<string, TensorData>>;
  /** Frees the runtime session; the model cannot run afterwards. */
  close(): Promise<void>;
}

export function float32(dims: readonly number[], data: Float32Array): TensorData {
  return { type: "float32", dims, data };
}
