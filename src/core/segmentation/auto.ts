/**
 * The default tap-to-select engine: Segment Anything when its model files
 * load and check out, the built-in engine when they do not. The fallback is
 * decided once, on first use, and announced once through `warn`; errors of
 * the model while running (not while loading) are not hidden.
 */
import type { Mask, RgbaImage } from "../image.js";
import { VanishError } from "../image.js";
import { BuiltinSegmenter, type BuiltinSegmenterOptions } from "./builtin.js";
import type { SegmentEngine, SegmentPreview, SegmentResult } from "./engine.js";
import type { SegmentPrompt } from "./prompt.js";
import { type SamModelLoader, SamSegmenter, type SamSegmenterOptions } from "./sam.js";
import type { CropMask } from "./thin.js";

export class AutoSegmenter implements SegmentEngine {
  private readonly sam: SamSegmenter | null;
  private builtin: BuiltinSegmenter | null = null;
  private active: SegmentEngine | null = null;

  constructor(
    loader: SamModelLoader | undefined,
    private readonly options: { builtin?: BuiltinSegmenterOptions; sam?: SamSegmenterOptions },
    private readonly warn: (message: string) => void,
  ) {
    this.sam = loader ? new SamSegmenter(loader, options.sam) : null;
  }

  /** "sam" or "builtin" once decided; "auto" before the first `prepare`. */
  get name(): string {
    return this.active?.name ?? "auto";
  }

  /** The engine in use, deciding (and loading the SAM models) on first call. */
  async resolve(): Promise<SegmentEngine> {
    if (this.active) return this.active;
    if (this.sam) {
      try {
        await this.sam.load();
        this.active = this.sam;
        return this.sam;
      } catch (err) {
        if (!(err instanceof VanishError)) throw err;
        this.warn(`${err.message} Using the built-in tap-to-select engine instead.`);
        this.sam.close();
      }
    } else {
      this.warn("No Segment Anything model is available; using the built-in tap-to-select engine.");
    }
    this.builtin = new BuiltinSegmenter(this.options.builtin);
    this.active = this.builtin;
    return this.builtin;
  }

  async prepare(image: RgbaImage): Promise<void> {
    await (await this.resolve()).prepare(image);
  }

  async segment(prompt: SegmentPrompt): Promise<SegmentResult> {
    return (await this.resolve()).segment(prompt);
  }

  /** Only the built-in engine has a cheaper preview; after `prepare` this reflects the engine in use. */
  get segmentPreview(): ((prompt: SegmentPrompt) => Promise<SegmentPreview>) | undefined {
    const b = this.builtin;
    return this.active === b && b ? (prompt) => b.segmentPreview(prompt) : undefined;
  }

  get refine(): ((preview: SegmentPreview) => Mask) | undefined {
    const b = this.builtin;
    return this.active === b && b ? (preview) => b.refine(preview) : undefined;
  }

  get refineBounded(): ((preview: SegmentPreview) => CropMask) | undefined {
    const b = this.builtin;
    return this.active === b && b ? (preview) => b.refineBounded(preview) : undefined;
  }

  /** The Segment Anything engine, once it is the one in use (null otherwise). */
  get samInUse(): SamSegmenter | null {
    return this.active === this.sam ? this.sam : null;
  }

  /** Only Segment Anything makes its full mask as a crop; after `prepare` this reflects the engine in use. */
  get segmentBounded(): ((prompt: SegmentPrompt) => Promise<{ mask: CropMask; score: number }>) | undefined {
    const s = this.sam;
    return this.active === s && s ? (prompt) => s.segmentBounded(prompt) : undefined;
  }

  close(): void {
    this.active?.close();
    this.active = null;
  }
}
