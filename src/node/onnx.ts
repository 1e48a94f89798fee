/**
 * The ONNX Runtime adapter for Node: loads a model file with
 * onnxruntime-node (CPU) and presents it as an `InferenceModel` (through
 * `runtime/ort-session.ts`, shared with the web app). The runtime
 * itself is loaded on first use, so commands that never touch a neural
 * model do not pay for loading it, and through `require`: its package is
 * CommonJS, and Node 20's ES import of it took 31–68 ms against 20 ms.
 */
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import { VanishError } from "../core/image.js";
import type { InferenceModel } from "../core/model.js";
import { notAModel, type OrtSessionLike, type OrtTensorConstructor, sessionModel } from "../runtime/ort-session.js";

type Ort = typeof import("onnxruntime-node");
let runtime: Promise<Ort> | null = null;
const require = createRequire(import.meta.url);

function ort(): Promise<Ort> {
  runtime ??= new Promise<Ort>((resolve) => resolve(require("onnxruntime-node") as Ort)).catch((err: NodeJS.ErrnoException) => {
    runtime = null;
    if (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") {
      throw new VanishError(
        "MISSING_DEPENDENCY",
        "ONNX models need onnxruntime-node, which is not installed; run `npm install onnxruntime-node` in your project.",
      );
    }
    throw err;
  });
  return runtime;
}

/** Loads an ONNX model from `file`; errors say which file and what went wrong. */
export async function loadOnnxModel(
  file: string,
  options: { threads?: number; spin?: boolean; rewrite?: (bytes: Uint8Array) => Uint8Array } = {},
): Promise<InferenceModel> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new VanishError(
      "UNREADABLE",
      `Cannot read the model ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path.`,
    );
  }
  if (options.rewrite) bytes = options.rewrite(bytes);
  const { InferenceSession, Tensor } = await ort();
  let session: Awaited<ReturnType<typeof InferenceSession.create>>;
  try {
    session = await InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      ...(options.spin === false ? { extra: { session: { intra_op: { allow_spinning: "0" } } } } : {}),
    });
  } catch (err) {
    throw notAModel(file, err);
  }
  return sessionModel(session as unknown as OrtSessionLike, Tensor as unknown as OrtTensorConstructor, file);
}
