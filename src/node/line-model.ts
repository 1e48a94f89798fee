/**
 * The structure step's opt-in learned line source in Node: M-LSD tiny
 * (structure/mlsd.ts) from the file `npm run fetch:mlsd` keeps in
 * `.cache/models/` (or one the caller names), its sha256 checked before it
 * is loaded through ONNX Runtime. The result is an `EraseOptions.findLines`.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Rect, RgbaImage } from "../core/image.js";
import { VanishError } from "../core/image.js";
import { type LineEnds, mlsdSegments } from "../core/inpaint/structure/mlsd.js";
import { BUNDLED_MLSD } from "../runtime/bundled-models.js";
import { loadOnnxModel } from "./onnx.js";
import { sha256File } from "./sam-models.js";

export { BUNDLED_MLSD };

export interface LineFinderOptions {
  /** The M-LSD ONNX file. Default: `BUNDLED_MLSD.cache` under the working folder, sha256-checked. */
  file?: string;
  /** Threads for ONNX Runtime (default: every core; the step has not started while it runs). */
  threads?: number;
}

/** Loads M-LSD and returns a `findLines` for `erase`: the segments in a crop, in photo coordinates. */
export async function lineFinder(
  options: LineFinderOptions = {},
): Promise<(image: RgbaImage, hole: Uint8Array, crop: Rect) => Promise<LineEnds[]>> {
  const file = options.file ?? path.resolve(BUNDLED_MLSD.cache);
  if (options.file === undefined) {
    if (!existsSync(file)) {
      throw new VanishError(
        "UNREADABLE",
        `The M-LSD line model is not here (${file}); run \`npm run fetch:mlsd\` in the vanish folder, or name the file.`,
      );
    }
    const digest = await sha256File(file);
    if (digest !== BUNDLED_MLSD.sha256) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        `The M-LSD line model ${file} is damaged or not ${BUNDLED_MLSD.package}@${BUNDLED_MLSD.version}'s (sha256 ${digest.slice(0, 12)}…); run \`npm run fetch:mlsd\` again.`,
      );
    }
  }
  const model = await loadOnnxModel(file, { threads: options.threads ?? os.availableParallelism() });
  return (image, hole, crop) => mlsdSegments(model, image, hole, crop);
}
