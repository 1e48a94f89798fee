/** Worker-thread task of `vanish erase DIR`: one file per call. */

import { type RgbaImage, VanishError } from "../core/image.js";
import type { EraseOptions } from "../core/inpaint/erase.js";
import type { NetworkCoarse } from "../core/inpaint/network-coarse.js";
import { type EraseFileResult, eraseFile } from "../node/erase-file.js";
import { type InpaintingModelOptions, loadInpaintingModel } from "../node/inpainting-model.js";
import { autoMask, type SuggestFileOptions } from "../node/suggest-file.js";

export interface BatchTask {
  input: string;
  /** The mask file, or null to find what to erase with `auto`. */
  mask: string | null;
  auto?: SuggestFileOptions;
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

/** What a task returns: the erased file, or why there was nothing to erase (`auto` found nothing). */
export type BatchOutcome = EraseFileResult | { skipped: string };

export default async function run(task: BatchTask): Promise<BatchOutcome> {
  const erase = task.model ? { ...task.erase, coarse: await coarseFor(task.model) } : task.erase;
  if (task.mask === null && task.auto) {
    const auto = task.auto;
    const warnings: string[] = [];
    const selectMask = async (image: RgbaImage) =>
      (await autoMask(image, { ...auto, onSkip: (kind, reason) => warnings.push(`${kind} skipped: ${reason}`) })).mask;
    try {
      const result = await eraseFile(task.input, null, task.output, { quality: task.quality, erase, selectMask });
      return { ...result, warnings: [...warnings, ...result.warnings] };
    } catch (err) {
      if (err instanceof VanishError && err.code === "EMPTY_MASK") return { skipped: [err.message, ...warnings].join("; ") };
      throw err;
    }
  }
  return eraseFile(task.input, task.mask, task.output, { quality: task.quality, erase });
}
