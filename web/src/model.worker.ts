/**
 * The model worker: ONNX Runtime sessions (the tap-to-select model's
 * encoder and decoder) run here, off the engine worker. onnxruntime-web's
 * WebAssembly run is synchronous on the thread that calls it, so a 5-second
 * encoding in the engine worker would leave every tap unanswered until it
 * ends; here it runs while the engine worker answers taps with the built-in
 * engine (tap-selector.ts). The engine worker starts this one and talks to
 * it through remote-model.ts.
 */
import * as Comlink from "comlink";
import type { InferenceModel, TensorData, ValueInfo } from "../../src/index.js";
import "./errors.js";
import { loadWebModel } from "./onnx-web.js";

/** A loaded model as the engine worker sees it: an id to run it by, and its signature. */
export interface LoadedModel {
  id: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

/** A feed the engine worker sent with an earlier run of the same model and input, not sent again (see remote-model.ts). */
export interface SameAsBefore {
  same: true;
}

class Models {
  private readonly models = new Map<number, InferenceModel>();
  /** Each model's large feeds from its last run, by input name. */
  private readonly kept = new Map<number, Map<string, TensorData>>();
  private next = 1;

  async load(file: Blob | Uint8Array, name: string, wasmBinary?: Uint8Array): Promise<LoadedModel> {
    const model = await loadWebModel(file, name, wasmBinary ? { wasmBinary } : {});
    const id = this.next++;
    this.models.set(id, model);
    this.kept.set(id, new Map());
    return { id, inputs: [...model.inputs], outputs: [...model.outputs] };
  }

  async run(id: number, feeds: Record<string, TensorData | SameAsBefore>, fetch?: readonly string[]): Promise<Record<string, TensorData>> {
    const model = this.models.get(id);
    const kept = this.kept.get(id);
    if (!model || !kept) throw new Error("This model was closed.");
    const full: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if ("same" in t) {
        const known = kept.get(name);
        if (!known) throw new Error(`No earlier ${name} to run with.`);
        full[name] = known;
      } else {
        full[name] = t;
        kept.set(name, t);
      }
    }
    const out = await model.run(full, fetch);
    // Results cross without a copy (a view on ONNX Runtime's shared memory is copied instead).
    const buffers = new Set<ArrayBuffer>();
    for (const t of Object.values(out)) if (t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
    return Comlink.transfer(out, [...buffers]);
  }

  async close(id: number): Promise<void> {
    const model = this.models.get(id);
    this.models.delete(id);
    this.kept.delete(id);
    await model?.close();
  }
}

export type ModelsApi = Models;

Comlink.expose(new Models());
