/**
 * `vanish erase DIR --masks DIR -o DIR`: every image of a folder with the mask
 * of the same base name (any supported extension), on a pool of worker
 * threads: one per core, fewer when the largest image's estimated peak memory
 * times the thread count would not fit in the memory available. A file that
 * fails is reported and the rest go on.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Piscina } from "piscina";
import { VanishError } from "../core/image.js";
import type { EraseOptions } from "../core/inpaint/erase.js";
import type { EraseFileResult } from "../node/erase-file.js";
import { sharp } from "../node/sharp.js";
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
  /** Worker threads used. */
  jobs: number;
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

async function makeOutputFolder(dir: string): Promise<void> {
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) {
      throw new VanishError("INVALID_ARGUMENT", `The output "${dir}" is a file; with a folder of images, -o names a folder to write into.`);
    }
    return;
  } catch (err) {
    if (err instanceof VanishError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw folderError(dir, err);
  }
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw folderError(dir, err);
  }
}

function folderError(dir: string, err: unknown): VanishError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new VanishError("WRITE_FAILED", `Cannot create the output folder "${dir}": permission denied.`);
  }
  if (code === "ENOTDIR" || code === "EEXIST") {
    return new VanishError("WRITE_FAILED", `Cannot create the output folder "${dir}": part of its path is a file.`);
  }
  return new VanishError("WRITE_FAILED", `Cannot create the output folder "${dir}" (${(err as Error).message}).`);
}

/**
 * Peak memory of one erase, in bytes per pixel of the image, measured with
 * `vanish erase --json` (peakRssMb) on 24 and 48 MP photos: the decoded and
 * erased RGBA copies, the encoder's buffers and the engine's work on the
 * hole's surroundings. Rounded up, so the estimate errs on the safe side.
 */
export const BYTES_PER_PIXEL = 24;
/** Memory of a worker thread before it decodes anything (Node, sharp, the engine's code). */
const THREAD_BASE_BYTES = 64 * 2 ** 20;

export function estimatedJobBytes(pixels: number): number {
  return THREAD_BASE_BYTES + pixels * BYTES_PER_PIXEL;
}

/** Memory this process may still use: what the OS reports available, within a container's limit. */
export function availableMemory(): number {
  const free = os.freemem();
  const limit = process.constrainedMemory?.() ?? 0;
  const inLimit = limit > 0 ? Math.max(0, limit - process.memoryUsage.rss()) : Number.POSITIVE_INFINITY;
  return Math.min(free, inLimit);
}

/**
 * Worker threads for a batch: the requested number (default: the cores), no
 * more than the tasks, and no more than fit in 80 % of the available memory
 * with every thread on the largest image; at least one.
 */
export function batchThreads(o: { tasks: number; requested?: number; cores: number; availableBytes: number; perJobBytes: number }): number {
  const byMemory = Math.floor((0.8 * o.availableBytes) / o.perJobBytes);
  return Math.max(1, Math.min(o.requested ?? o.cores, o.tasks, byMemory));
}

/** The largest image of a batch, in pixels, from the files' headers (unreadable files count as 0: they fail on their own). */
async function largestImagePixels(files: string[]): Promise<number> {
  let largest = 0;
  for (const file of files) {
    try {
      const m = await sharp(file).metadata();
      largest = Math.max(largest, (m.width ?? 0) * (m.height ?? 0) * (m.depth === "ushort" ? 2 : 1));
    } catch {
      // Reported by the erase itself.
    }
  }
  return largest;
}

/** Pairs images with masks by base name and erases them all. */
export async function eraseFolder(o: BatchOptions): Promise<BatchSummary> {
  const images = await listImages(o.inputDir, "input");
  const masks = o.maskDir ? await listImages(o.maskDir, "mask") : [];
  if (path.resolve(o.inputDir) === path.resolve(o.outputDir)) {
    throw new VanishError("OUTPUT_IS_INPUT", "The output folder is the input folder; choose another so the originals are kept.");
  }
  await makeOutputFolder(o.outputDir);
  const maskByBase = new Map(masks.map((m) => [path.parse(m).name, m]));
  const summary: BatchSummary = { jobs: 0, done: [], failed: [], skipped: [] };
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
  const largest = await largestImagePixels(tasks.map((t) => t.input));
  const threads = batchThreads({
    tasks: tasks.length,
    requested: o.jobs,
    cores: os.availableParallelism(),
    availableBytes: availableMemory(),
    perJobBytes: estimatedJobBytes(largest),
  });
  summary.jobs = threads;
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
