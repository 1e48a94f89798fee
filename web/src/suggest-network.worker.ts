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
 * A run may be asked for as soon as the files are checked: it waits here
 * for the network to start, so that it begins the moment the network is
 * ready, not when the suggestions worker's thread is next free to hear so.
 * Exposed through Comlink; the outputs cross as transferables.
 */
import * as Comlink from "comlink";
import type { InferenceModel, TensorData, ValueInfo } from "../../src/index.js";
import { VanishError } from "../../src/index.js";
import "./errors.js";
import { downloadFiles, keepInRuntimeCache } from "./model-download.js";
import { NANODET_MODEL, NETWORK_INPUTS, type SuggestModelFile, TEXT_MODEL } from "./suggest-models.js";

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

/** The network's files, checked, and the network started from them. */
function loadNetwork(
  network: SuggestNetwork,
  modelsUrl: string,
  onProgress?: (loaded: number, total: number) => void,
): { fetched: Promise<unknown>; model: Promise<InferenceModel> } {
  if (network === "text") {
    const fetched = fetchModels(modelsUrl, [TEXT_MODEL], onProgress);
    const runtime = import("./onnx-web.js").then(async (web) => {
      // Compiled from the service worker's cache, the runtime's compiled code is kept for the next visit.
      await keepInRuntimeCache(await web.runtimeWasmUrl());
      return web;
    });
    const model = Promise.all([fetched, runtime]).then(([[bytes], { loadWebModel }]) => loadWebModel(bytes, TEXT_MODEL.name));
    return { fetched, model };
  }
  const fetched = fetchModels(modelsUrl, [NANODET_MODEL.json, NANODET_MODEL.weights], onProgress);
  const model = Promise.all([fetched, import("./tfjs-web.js")]).then(([[json, weights], { loadTfjsWebModel }]) =>
    loadTfjsWebModel(json, weights, NANODET_MODEL.json.name),
  );
  return { fetched, model };
}

class NetworkWorker {
  private loading: { fetched: Promise<unknown>; model: Promise<InferenceModel> } | null = null;

  /**
   * Starts fetching, checking and starting the network, and resolves once
   * its files are fetched and checked (a missing or damaged file fails
   * here). `onProgress` hears the download's bytes.
   */
  async start(network: SuggestNetwork, modelsUrl: string, onProgress?: (loaded: number, total: number) => void): Promise<void> {
    if (!this.loading) {
      const loading = loadNetwork(network, modelsUrl, onProgress && ((loaded, total) => void onProgress(loaded, total)));
      // The network's input name is pinned with its files (NETWORK_INPUTS): runs are handed their input before it loads.
      loading.model = loading.model.then((model) => {
        if (model.inputs[0]?.name !== NETWORK_INPUTS[network]) {
          throw new VanishError("UNSUPPORTED_FORMAT", `The ${network} network's input is not named ${NETWORK_INPUTS[network]}.`);
        }
        return model;
      });
      loading.fetched.catch(() => {});
      loading.model.catch(() => {});
      this.loading = loading;
    }
    await this.loading.fetched;
  }

  /** Resolves to the network's signature once it has started. */
  async loaded(): Promise<{ inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] }> {
    if (!this.loading) throw new Error("The network was not started.");
    const model = await this.loading.model;
    return { inputs: model.inputs, outputs: model.outputs };
  }

  /** Runs the network, once it has started. */
  async run(feeds: Record<string, TensorData>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
    if (!this.loading) throw new Error("The network was not started.");
    const outputs = await (await this.loading.model).run(feeds, fetch);
    const buffers = new Set<ArrayBuffer>();
    for (const t of Object.values(outputs))
      if (t.data.buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength)
        buffers.add(t.data.buffer);
    return Comlink.transfer(outputs, [...buffers]);
  }

  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = null;
    await (await loading?.model.catch(() => null))?.close();
  }
}

export type NetworkWorkerApi = NetworkWorker;

Comlink.expose(new NetworkWorker());
