/**
 * The text network's own worker, started by the suggestions worker
 * (suggest-engine.ts): onnxruntime-web runs a session on the thread that
 * calls it (its WebAssembly threads only help), so in the suggestions
 * worker PP-OCRv4's session creation and run would wait for, or hold up,
 * NanoDet, the wire finder and the box prompts. Here they run beside them.
 * Exposed through Comlink; the outputs cross as transferables.
 */
import * as Comlink from "comlink";
import type { InferenceModel, TensorData, ValueInfo } from "../../src/index.js";
import "./errors.js";
import { loadWebModel } from "./onnx-web.js";

class TextWorker {
  private model: InferenceModel | null = null;

  /** Starts the network from its (already checked) bytes; resolves to its signature. */
  async load(bytes: Uint8Array, name: string): Promise<{ inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] }> {
    this.model ??= await loadWebModel(bytes, name);
    return { inputs: this.model.inputs, outputs: this.model.outputs };
  }

  async run(feeds: Record<string, TensorData>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
    if (!this.model) throw new Error("The text network was not loaded.");
    const outputs = await this.model.run(feeds, fetch);
    const buffers = new Set<ArrayBuffer>();
    for (const t of Object.values(outputs))
      if (t.data.buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength)
        buffers.add(t.data.buffer);
    return Comlink.transfer(outputs, [...buffers]);
  }

  async close(): Promise<void> {
    await this.model?.close();
    this.model = null;
  }
}

export type TextWorkerApi = TextWorker;

Comlink.expose(new TextWorker());
