/**
 * Finds a SAM-family encoder and decoder in a folder (the file names must
 * contain "encoder" and "decoder" and end in .onnx) and loads them lazily
 * through ONNX Runtime.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { VanishError } from "../core/image.js";
import type { SamModelLoader } from "../core/segmentation/sam.js";
import { loadOnnxModel } from "./onnx.js";

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

/** A loader for `Segmenter.create({ engine: "sam", loadSamModel })` reading from `dir`. */
export function samModelsFromDir(dir: string, options: { threads?: number } = {}): SamModelLoader {
  let files: Promise<{ encoder: string; decoder: string }> | null = null;
  return async (part) => {
    files ??= findSamModels(dir);
    return loadOnnxModel((await files)[part], options);
  };
}
