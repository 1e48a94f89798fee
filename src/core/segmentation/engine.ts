/**
 * What every tap-to-select engine (built-in or neural) provides, and the
 * selections it returns. Engines implement it; the Segmenter facade, the
 * CLI and the app depend only on this.
 */
import type { Mask, RgbaImage } from "../image.js";
import type { SegmentPoint, SegmentPrompt } from "./prompt.js";
import type { CropMask } from "./thin.js";
import type { PixelRect } from "./upsample.js";

/**
 * The engines by name (`Segmenter.create({ engine })`): "auto" is SAM when
 * its models load, else the built-in engine. Here, in a light module, so
 * that a command line can list them without loading the engines.
 */
export type SegmentEngineName = "auto" | "sam" | "builtin";
export const SEGMENT_ENGINES: readonly SegmentEngineName[] = ["auto", "sam", "builtin"];

/** One selection: the mask at full resolution (1 = selected) and a confidence in [0, 1]. */
export interface SegmentResult {
  mask: Mask;
  /**
   * How well the selection's outline follows edges in the photo: the mean
   * colour contrast across the cut, 0 (no edge) to 1 (a strong edge all round).
   */
  score: number;
}

/**
 * A selection at the engine's working resolution, before it is brought to
 * full resolution: cheap enough to show while the full mask is computed.
 */
export interface SegmentPreview {
  /** The selection at working resolution (1 = selected). */
  mask: Mask;
  score: number;
  /** Full-resolution pixels per preview pixel along each axis. */
  scale: number;
  /** The taps it was made from (a refined mask always honours them). */
  points: readonly SegmentPoint[];
  /**
   * Structures thinner than the working grid (posts, wires) that the taps
   * picked, selected at full resolution. refine adds them to the upsampled
   * mask, or uses them alone when nothing else was tapped (`alone`).
   */
  detail?: { crop: CropMask; alone: boolean };
}

/** Anything that can select objects from taps (built-in or neural). */
export interface SegmentEngine {
  readonly name: string;
  prepare(image: RgbaImage): Promise<void>;
  segment(prompt: SegmentPrompt): Promise<SegmentResult>;
  /** Optional two-step selection: a fast working-resolution preview, then its refinement to full resolution. */
  segmentPreview?(prompt: SegmentPrompt): Promise<SegmentPreview>;
  refine?(preview: SegmentPreview): Mask;
  /** Optional: `refine`'s pixels inside a rectangle only, as a crop (cheaper when the selection is known to lie there). */
  refineCrop?(preview: SegmentPreview, rect: PixelRect): CropMask;
  /** Optional: `refine`'s mask as a crop that holds every pixel it selects (0 everywhere outside), made without a photo-sized plane. */
  refineBounded?(preview: SegmentPreview): CropMask;
  /** Optional: `segment`'s mask as a crop that holds every pixel it selects (0 everywhere outside), made without a photo-sized plane. */
  segmentBounded?(prompt: SegmentPrompt): Promise<{ mask: CropMask; score: number }>;
  close(): void;
}
