/**
 * A suggestion network in a worker of its own; the suggestions worker
 * (suggest-engine.ts) starts two: PP-OCRv4's text detector (ONNX, through
 * onnxruntime-web) and NanoDet (TensorFlow.js, WebAssembly backend). Each
 * fetches its model's files itself (from the service worker's cache after
 * the first visit), checks their SHA-256, starts its runtime and runs the
 * network here: both runtimes run a network synchronously on the thread
 * that calls them (onnxruntime-web's WebAssembly threads only help,
 * tfjs-wasm has one thread), so in the suggestions worker they would wait
 * for, or hold up, its decoding, the wire finder, the segmenter's
 * preparation and the box prompts, and each other. The runtime is imported
 * for the kind asked for only.
 * Exposed through Comlink; the outputs cross as transferables.
 */
import * as Comlink from "comlink";
import type { InferenceModel, TensorData, ValueInfo } from "../../src/index.js";
import "./errors.js";
import { downloadFiles } from "./model-download.js";
import { NANODET_MODEL, type SuggestModelFile, TEXT_MODEL } from "./suggest-models.js";

/** Which network: "text" (PP-OCRv4 detection) or "objects" (NanoDet). */
export type SuggestNetwork = "text" | "objects";

/** Fetches `files` from `base` (the app's models/ folder) and checks their SHA-256 (see model-download.ts). */
function fetchModels(
  base: string,
  files: readonly SuggestModelFile[],
  onProgress?: (loaded: number, total: number) => void,
): Promise<Uint8Array[]> {
  return downloadFiles(
    files.map((f) => ({ url: new URL(f.name, base).href, name: `models/${f.name}`, bytes: f.bytes, sha256: f.sha256 })),
    onProgress,
  );
}

async function loadNetwork(
  network: SuggestNetwork,
  modelsUrl: string,
  onProgress?: (loaded: number, total: number) => void,
): Promise<InferenceModel> {
  if (network === "text") {
    const [[bytes], { loadWebModel }] = await Promise.all([fetchModels(modelsUrl, [TEXT_MODEL], onProgress), import("./onnx-web.js")]);
    return loadWebModel(bytes, TEXT_MODEL.name);
  }
  const [[json, weights], { loadTfjsWebModel }] = await Promise.all([
    fetchModels(modelsUrl, [NANODET_MODEL.json, NANODET_MODEL.weights], onProgress),
    import("./tfjs-web.js"),
  ]);
  return loadTfjsWebModel(json, weights, NANODET_MODEL.json.name);
}

class NetworkWorker {
  private model: InferenceModel | null = null;

  /** Fetches, checks and starts the network; resolves to its signature. `onProgress` hears the download's bytes. */
  async load(
    network: SuggestNetwork,
    modelsUrl: string,
    onProgress?: (loaded: number, total: number) => void,
  ): Promise<{ inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] }> {
    this.model ??= await loadNetwork(network, modelsUrl, onProgress && ((loaded, total) => void onProgress(loaded, total)));
    return { inputs: this.model.inputs, outputs: this.model.outputs };
  }

  async run(feeds: Record<string, TensorData>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
    if (!this.model) throw new Error("The network was not loaded.");
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

export type NetworkWorkerApi = NetworkWorker;

Comlink.expose(new NetworkWorker());
