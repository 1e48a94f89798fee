/**
 * The public tap-to-select API, in the shape of MediaPipe's
 * InteractiveSegmenter: create once with options, `prepare` once per image
 * (the heavy part, cached), then `segment` cheaply on every tap. A list of
 * prompts selects several objects and returns their union.
 */
import type { Mask, RgbaImage } from "../image.js";
import { expectedError, VanishError } from "../image.js";
import { BuiltinSegmenter, type BuiltinSegmenterOptions } from "./builtin.js";
import type { SegmentEngine, SegmentPreview, SegmentResult } from "./engine.js";
import type { SegmentPrompt } from "./prompt.js";
import { type SamModelLoader, SamSegmenter } from "./sam.js";

export interface SegmenterOptions {
  /** "builtin" (default, no weights) or "sam" (needs `loadSamModel`), or an engine of your own. */
  engine?: "builtin" | "sam" | SegmentEngine;
  /** Options of the built-in engine. */
  builtin?: BuiltinSegmenterOptions;
  /** Loads the SAM encoder and decoder (lazily, once each); the Node entry point fills this from a model folder. */
  loadSamModel?: SamModelLoader;
}

export class Segmenter {
  private prepared: RgbaImage | null = null;

  private constructor(readonly engine: SegmentEngine) {}

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
    const engine = options.engine ?? "builtin";
    if (engine === "builtin") return new Segmenter(new BuiltinSegmenter(options.builtin));
    if (engine === "sam") {
      if (!options.loadSamModel) {
        throw new VanishError(
          "INVALID_ARGUMENT",
          "The sam engine needs model files: pass loadSamModel, or use the Node entry point with modelDir.",
        );
      }
      return new Segmenter(new SamSegmenter(options.loadSamModel));
    }
    if (typeof engine === "object" && typeof engine.prepare === "function" && typeof engine.segment === "function")
      return new Segmenter(engine);
    throw expectedError('engine "builtin" or "sam"', engine);
  }

  /** Analyses the image once; calling it again with the same image object does nothing. */
  async prepare(image: RgbaImage): Promise<void> {
    if (this.prepared === image) return;
    this.prepared = null;
    await this.engine.prepare(image);
    this.prepared = image;
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

  close(): void {
    this.engine.close();
    this.prepared = null;
  }
}
