/**
 * Suggestions on files: decode a photo, find what to erase (`suggest`), and
 * write each suggestion's removal mask (grown and feathered like a tapped
 * selection) as an 8-bit PNG; or merge them into one mask for `erase --auto`.
 * The networks load once per process and are reused for every photo; a kind
 * whose model is missing is skipped, and `onSkip` hears about it once.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Mask, RgbaImage } from "../core/image.js";
import { VanishError } from "../core/image.js";
import { removalMask } from "../core/segmentation/removal-mask.js";
import { SUGGEST_SEGMENTER, suggest, suggestionMask } from "../core/suggest/suggest.js";
import { DEFAULT_SUGGEST_KINDS, type Suggestion, type SuggestKindOption } from "../core/suggest/suggestion.js";
import { readImage, writeFileAtomic } from "./io.js";
import { type SelectOptions, segmenterOptions } from "./segment-file.js";
import { Segmenter } from "./segmenter.js";
import { sharp } from "./sharp.js";
import { suggestModels } from "./suggest-models.js";

export interface SuggestFileOptions extends SelectOptions {
  kinds?: readonly SuggestKindOption[];
  /** Folder searched first for the suggestion models (nanodet.json/.bin, ch_PP-OCRv4_det_infer.onnx). */
  suggestModelDir?: string;
  /** Told once per kind that is skipped, with the reason. */
  onSkip?: (kind: SuggestKindOption, reason: string) => void;
}

type Models = ReturnType<typeof suggestModels>;
const loaded = new Map<string, Models>();
const told = new Set<string>();

function modelsFor(dir: string | undefined): Models {
  const key = dir ?? "";
  let models = loaded.get(key);
  if (!models) {
    models = suggestModels(dir ? { modelDir: dir } : {});
    loaded.set(key, models);
  }
  return models;
}

/**
 * Starts loading the networks that `kinds` need (on their own thread), so
 * that it overlaps decoding the photo; a failure stays in the loader's
 * promise and is reported as a skipped kind when `suggest` asks for it.
 */
function startLoading(models: Models, kinds: readonly SuggestKindOption[]): Promise<unknown> {
  return Promise.all([
    kinds.includes("text") ? models.text().catch(() => undefined) : undefined,
    kinds.some((k) => k !== "text" && k !== "wires") ? models.objects().catch(() => undefined) : undefined,
  ]);
}

/** Frees the suggestion models this process loaded. */
export async function closeSuggestModels(): Promise<void> {
  for (const m of loaded.values()) await m.close();
  loaded.clear();
}

/** The suggestions for an already decoded photo; object boxes become masks through the chosen segmenter's box prompt. */
export async function suggestForImage(image: RgbaImage, options: SuggestFileOptions = {}): Promise<Suggestion[]> {
  // Suggestions were tuned with the built-in engine: it stays theirs unless SAM is asked for by name.
  const engine = options.engine === "sam" ? "sam" : "builtin";
  const segmenter = await Segmenter.create({ ...segmenterOptions(options), engine, builtin: SUGGEST_SEGMENTER });
  try {
    return await suggest(image, {
      kinds: options.kinds,
      models: modelsFor(options.suggestModelDir),
      segmenter,
      onSkip: (kind, reason) => {
        if (told.has(kind)) return;
        told.add(kind);
        options.onSkip?.(kind, reason);
      },
    });
  } finally {
    segmenter.close();
  }
}

/**
 * Suggestions for many photos with one set of models, for a program that
 * looks at photos as they come: `create` loads the networks and the
 * segmenter now (the part of a first call that no later call repeats), and
 * `find` then only looks. A kind whose model cannot be loaded is skipped;
 * `onSkip` hears it once, at the first `find`.
 */
export class Suggester {
  private told = new Set<string>();

  private constructor(
    private readonly models: Models,
    private readonly segmenter: Segmenter,
    private readonly options: SuggestFileOptions,
  ) {}

  static async create(options: SuggestFileOptions = {}): Promise<Suggester> {
    const models = suggestModels(options.suggestModelDir ? { modelDir: options.suggestModelDir } : {});
    // Suggestions were tuned with the built-in engine: it stays theirs unless SAM is asked for by name.
    const engine = options.engine === "sam" ? "sam" : "builtin";
    const kinds = options.kinds ?? DEFAULT_SUGGEST_KINDS;
    const [segmenter] = await Promise.all([
      Segmenter.create({ ...segmenterOptions(options), engine, builtin: SUGGEST_SEGMENTER }),
      startLoading(models, kinds),
    ]);
    return new Suggester(models, segmenter, options);
  }

  /** The suggestions for a decoded photo (see `suggest`). */
  find(image: RgbaImage): Promise<Suggestion[]> {
    return suggest(image, {
      kinds: this.options.kinds,
      models: this.models,
      segmenter: this.segmenter,
      onSkip: (kind, reason) => {
        if (this.told.has(kind)) return;
        this.told.add(kind);
        this.options.onSkip?.(kind, reason);
      },
    });
  }

  /** Frees the models and the segmenter. */
  async close(): Promise<void> {
    this.segmenter.close();
    await this.models.close();
  }
}

/** The removal mask (grown, as for a tap) of every suggestion for `image`; EMPTY_MASK when nothing was found. */
export async function autoMask(image: RgbaImage, options: SuggestFileOptions = {}): Promise<{ mask: Mask; suggestions: Suggestion[] }> {
  const suggestions = await suggestForImage(image, options);
  if (suggestions.length === 0) {
    throw new VanishError(
      "EMPTY_MASK",
      `Nothing to erase was found (looked for ${(options.kinds ?? ["people", "text", "wires"]).join(", ")}).`,
    );
  }
  const union = suggestionMask(suggestions, image.width, image.height);
  return { mask: removalMask(union, { grow: options.grow, feather: options.feather }).mask, suggestions };
}

export interface SuggestFileResult {
  input: string;
  width: number;
  height: number;
  suggestions: { kind: string; label: string; score: number; box: [number, number, number, number]; pixels: number; mask?: string }[];
  timings: { decodeMs: number; suggestMs: number; writeMs: number };
}

/** Suggestions for the photo at `input`; with `outDir`, each one's removal mask is written there as <name>-<n>-<label>.png. */
export async function suggestFile(input: string, options: SuggestFileOptions & { outDir?: string } = {}): Promise<SuggestFileResult> {
  const t0 = performance.now();
  void startLoading(modelsFor(options.suggestModelDir), options.kinds ?? DEFAULT_SUGGEST_KINDS);
  const { image } = await readImage(input);
  const t1 = performance.now();
  const found = await suggestForImage(image, options);
  const t2 = performance.now();
  const { width, height } = image;
  if (options.outDir) await fs.mkdir(options.outDir, { recursive: true });
  const base = path.parse(input).name;
  const suggestions: SuggestFileResult["suggestions"] = [];
  for (let i = 0; i < found.length; i++) {
    const s = found[i];
    let pixels = 0;
    for (const v of s.mask.data) pixels += v;
    const entry: SuggestFileResult["suggestions"][number] = {
      kind: s.kind,
      label: s.label,
      score: Math.round(s.score * 1000) / 1000,
      box: [Math.round(s.box.x0), Math.round(s.box.y0), Math.round(s.box.x1), Math.round(s.box.y1)],
      pixels,
    };
    if (options.outDir) {
      const alpha = removalMask(suggestionMask(s, width, height), { grow: options.grow, feather: options.feather }).alpha;
      const file = path.join(options.outDir, `${base}-${i + 1}-${s.label.replace(/[^a-z0-9]+/gi, "-")}.png`);
      const png = await sharp(Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength), { raw: { width, height, channels: 1 } })
        .toColourspace("b-w")
        .png({ compressionLevel: 6 })
        .toBuffer();
      await writeFileAtomic(file, png);
      entry.mask = file;
    }
    suggestions.push(entry);
  }
  const t3 = performance.now();
  return { input, width, height, suggestions, timings: { decodeMs: t1 - t0, suggestMs: t2 - t1, writeMs: t3 - t2 } };
}
