/**
 * Loads a user-supplied ONNX inpainting network (LaMa, MI-GAN and alike) as
 * the coarse stage of `erase`, checking its signature on load so that a wrong
 * file fails before any photo is touched.
 */
import path from "node:path";
import { NetworkCoarse, type NetworkCoarseOptions } from "../core/inpaint/network-coarse.js";
import { loadOnnxModel } from "./onnx.js";

export interface InpaintingModelOptions extends Omit<NetworkCoarseOptions, "name"> {
  /** ONNX Runtime intra-op threads (default: its own choice). */
  threads?: number;
}

/** The network in `file` as a coarse stage; throws a clear error for unreadable or mismatched models. */
export async function loadInpaintingModel(file: string, options: InpaintingModelOptions = {}): Promise<NetworkCoarse> {
  const { threads, ...rest } = options;
  const model = await loadOnnxModel(file, threads ? { threads } : {});
  try {
    return new NetworkCoarse(model, { ...rest, name: path.basename(file) });
  } catch (err) {
    await model.close();
    throw err;
  }
}
