/** Worker-thread task of `vanish erase DIR`: one file per call. */
import type { EraseOptions } from "../core/erase.js";
import { type EraseFileResult, eraseFile } from "../node/erase-file.js";

export interface BatchTask {
  input: string;
  mask: string;
  output: string;
  quality?: number;
  erase: EraseOptions;
}

export default async function run(task: BatchTask): Promise<EraseFileResult> {
  return eraseFile(task.input, task.mask, task.output, { quality: task.quality, erase: task.erase });
}
