/** Worker-thread task of `vanish erase DIR`: one file per call. */
import type { EraseOptions } from "../core/inpaint/erase.js";
import type { NetworkCoarse } from "../core/inpaint/network-coarse.js";
import { type EraseFileResult, eraseFile } from "../node/erase-file.js";
import { type InpaintingModelOptions, loadInpaintingModel } from "../node/inpainting-model.js";

export interface BatchTask {
  input: string;
  mask: string;
  output: string;
  quality?: number;
  erase: EraseOptions;
  /** An ONNX inpainting network for the coarse stage, loaded once per worker. */
  model?: { path: string; options: InpaintingModelOptions };
}

let network: { key: string; coarse: Promise<NetworkCoarse> } | null = null;

function coarseFor(model: NonNullable<BatchTask["model"]>): Promise<NetworkCoarse> {
  const key = JSON.stringify(model);
  if (network?.key !== key) network = { key, coarse: loadInpaintingModel(model.path, model.options) };
  return network.coarse;
}

export default async function run(task: BatchTask): Promise<EraseFileResult> {
  const erase = task.model ? { ...task.erase, coarse: await coarseFor(task.model) } : task.erase;
  return eraseFile(task.input, task.mask, task.output, { quality: task.quality, erase });
}
