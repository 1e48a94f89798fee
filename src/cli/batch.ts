/**
 * `vanish erase DIR --masks DIR -o DIR`: every image of a folder with the mask
 * of the same base name (any supported extension), on a pool of worker
 * threads, one per core. A file that fails is reported and the rest go on.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Piscina } from "piscina";
import { VanishError } from "../core/image.js";
import type { EraseOptions } from "../core/inpaint/erase.js";
import type { EraseFileResult } from "../node/erase-file.js";
import { Progress } from "../terminal/progress.js";
import type { BatchOutcome, BatchTask } from "./batch-worker.js";

const IMAGE_EXT = new Set([".jpg", ".jpeg", ".png", ".webp"]);

export interface BatchOptions {
  inputDir: string;
  /** Masks with the images' base names; without it, `auto` finds each image's mask. */
  maskDir?: string;
  auto?: BatchTask["auto"];
  outputDir: string;
  jobs?: number;
  quality?: number;
  erase: EraseOptions;
  model?: BatchTask["model"];
}

export interface BatchSummary {
  done: EraseFileResult[];
  failed: { input: string; error: string }[];
  skipped: { input: string; reason: string }[];
}

async function listImages(dir: string, what: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    throw new VanishError("UNREADABLE", `Cannot read the ${what} folder "${dir}"; check that it exists.`);
  }
  return names.filter((n) => IMAGE_EXT.has(path.extname(n).toLowerCase()) && !n.startsWith(".")).sort();
}

/** Pairs images with masks by base name and erases them all. */
export async function eraseFolder(o: BatchOptions): Promise<BatchSummary> {
  const images = await listImages(o.inputDir, "input");
  const masks = o.maskDir ? await listImages(o.maskDir, "mask") : [];
  if (path.resolve(o.inputDir) === path.resolve(o.outputDir)) {
    throw new VanishError("OUTPUT_IS_INPUT", "The output folder is the input folder; choose another so the originals are kept.");
  }
  await fs.mkdir(o.outputDir, { recursive: true });
  const maskByBase = new Map(masks.map((m) => [path.parse(m).name, m]));
  const summary: BatchSummary = { done: [], failed: [], skipped: [] };
  const tasks: BatchTask[] = [];
  for (const name of images) {
    const mask = maskByBase.get(path.parse(name).name);
    if (!mask && !o.auto) {
      summary.skipped.push({ input: name, reason: "no mask with the same name" });
      continue;
    }
    tasks.push({
      input: path.join(o.inputDir, name),
      mask: mask && o.maskDir ? path.join(o.maskDir, mask) : null,
      ...(o.auto ? { auto: o.auto } : {}),
      output: path.join(o.outputDir, name),
      quality: o.quality,
      erase: o.erase,
      ...(o.model ? { model: o.model } : {}),
    });
  }
  if (tasks.length === 0) return summary;
  const threads = Math.max(1, Math.min(o.jobs ?? os.availableParallelism(), tasks.length));
  const pool = new Piscina({ filename: new URL("./batch-worker.js", import.meta.url).href, minThreads: threads, maxThreads: threads });
  const progress = new Progress(tasks.length, "erase");
  try {
    await Promise.all(
      tasks.map(async (task) => {
        try {
          const result = (await pool.run(task)) as BatchOutcome;
          if ("skipped" in result) summary.skipped.push({ input: path.basename(task.input), reason: result.skipped });
          else summary.done.push(result);
        } catch (err) {
          summary.failed.push({ input: task.input, error: err instanceof Error ? err.message : String(err) });
        }
        progress.tick(path.basename(task.input));
      }),
    );
  } finally {
    progress.stop();
    await pool.destroy();
  }
  return summary;
}
