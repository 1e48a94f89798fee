/**
 * The suggestion networks' own thread (see `suggestModels` in
 * suggest-models.ts). onnxruntime-node runs a session synchronously on the
 * thread that calls it and TensorFlow.js's WebAssembly backend executes a
 * graph synchronously too, so on the calling thread the two networks (and
 * importing their runtimes, about 0.6 s of parsing, and creating their
 * sessions) would hold `suggest`'s thread, which meanwhile could find wires
 * and prepare the segmenter. Here they load and run beside it.
 *
 * Messages in: { id, op: "load", kind, options }, { id, op: "run", kind,
 * feeds, fetch? }, { id, op: "close", kind }. Every message is answered
 * with { id, ok: true, value } or { id, ok: false, error } (a VanishError
 * keeps its code); the answers' tensors cross as transferables.
 */
import { parentPort } from "node:worker_threads";
import { VanishError } from "../core/image.js";
import type { InferenceModel, TensorData } from "../core/model.js";
import { loadNanodet, loadTextDetector, type SuggestModelOptions } from "./suggest-models.js";

export type NetworkKind = "objects" | "text";

export type WorkerRequest =
  | { id: number; op: "load"; kind: NetworkKind; options: SuggestModelOptions }
  | { id: number; op: "run"; kind: NetworkKind; feeds: Record<string, TensorData>; fetch?: readonly string[] }
  | { id: number; op: "close"; kind: NetworkKind };

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: VanishError["code"] } };

const models = new Map<NetworkKind, Promise<InferenceModel>>();

async function handle(request: WorkerRequest): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  if (request.op === "load") {
    let model = models.get(request.kind);
    if (!model) {
      model = request.kind === "objects" ? loadNanodet(request.options) : loadTextDetector(request.options);
      models.set(request.kind, model);
    }
    const { inputs, outputs } = await model;
    return { value: { inputs, outputs }, transfer: [] };
  }
  const model = models.get(request.kind);
  if (!model) throw new VanishError("INVALID_ARGUMENT", `The ${request.kind} network was not loaded in the suggestion worker.`);
  if (request.op === "close") {
    models.delete(request.kind);
    await (await model).close();
    return { value: null, transfer: [] };
  }
  const outputs = await (await model).run(request.feeds, request.fetch);
  // Only buffers that an output owns whole move; a view into a runtime's memory is copied by the message.
  const transfer = new Set<ArrayBuffer>();
  for (const t of Object.values(outputs)) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength) transfer.add(b);
  }
  return { value: outputs, transfer: [...transfer] };
}

const port = parentPort;
if (port) {
  port.on("message", (request: WorkerRequest) => {
    handle(request).then(
      ({ value, transfer }) => port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply, transfer),
      (err: unknown) =>
        port.postMessage({
          id: request.id,
          ok: false,
          error: { message: err instanceof Error ? err.message : String(err), code: err instanceof VanishError ? err.code : undefined },
        } satisfies WorkerReply),
    );
  });
}
