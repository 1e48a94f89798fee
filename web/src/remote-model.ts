/**
 * The engine worker's side of the model worker (model.worker.ts): models
 * loaded there and presented here as the core's `InferenceModel`, so that the
 * SAM engine runs its encoder and decoder there without knowing it. The
 * worker starts on the first load. A large feed that is the very same array
 * as in the model's previous run (the photo's embedding, 4 MB, at every tap)
 * is not sent again.
 */
import * as Comlink from "comlink";
import type { InferenceModel, TensorData } from "../../src/index.js";
import "./errors.js";
import type { ModelsApi, SameAsBefore } from "./model.worker.js";

/** Feeds at least this large are remembered on both sides (see `SameAsBefore`). */
const KEPT_FEED_BYTES = 1 << 20;

let models: Comlink.Remote<ModelsApi> | null = null;

function worker(): Comlink.Remote<ModelsApi> {
  models ??= Comlink.wrap<ModelsApi>(new Worker(new URL("./model.worker.ts", import.meta.url), { type: "module" }));
  return models;
}

/** Loads a model in the model worker (errors as `loadWebModel`'s); `wasmBinary` is the runtime's WebAssembly, if at hand. */
export async function loadRemoteModel(file: Blob | Uint8Array, name: string, wasmBinary?: Uint8Array): Promise<InferenceModel> {
  const remote = worker();
  // Copied, not transferred: the caller may load the same bytes again after a failure.
  const loaded = await remote.load(file, name, wasmBinary);
  /** The large feeds' arrays of the last run, by input name. */
  const sent = new Map<string, TensorData["data"]>();
  return {
    inputs: loaded.inputs,
    outputs: loaded.outputs,
    run: (feeds, fetch) => {
      const out: Record<string, TensorData | SameAsBefore> = {};
      for (const [input, t] of Object.entries(feeds)) {
        if (t.data.byteLength < KEPT_FEED_BYTES) {
          out[input] = t;
          continue;
        }
        out[input] = sent.get(input) === t.data ? { same: true } : t;
        sent.set(input, t.data);
      }
      return remote.run(loaded.id, out, fetch ? [...fetch] : undefined);
    },
    close: () => {
      sent.clear();
      return remote.close(loaded.id);
    },
  };
}
