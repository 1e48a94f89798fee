/**
 * Vanish: on-device object removal. The public, platform-neutral API; Node
 * file I/O lives in `vanish/node`.
 */
export type { Attention, AttentionOptions } from "./core/attention.js";
export type { CoarseInput, CoarseOutput, CoarseStage, PatchMatchCoarseOptions } from "./core/completion.js";
export { PatchMatchCoarse } from "./core/completion.js";
export type { EraseOptions, EraseReport, EraseTimings } from "./core/erase.js";
export { erase, eraseWithReport } from "./core/erase.js";
export type { Mask, Rect, RgbaImage, VanishErrorCode } from "./core/image.js";
export { maskFromChannel, VanishError } from "./core/image.js";
export type { InferenceModel, TensorData, TensorType, ValueInfo } from "./core/model.js";
export type { InpaintingSignature, NetworkCoarseOptions, TensorSlot } from "./core/network-coarse.js";
export { inpaintingSignature, NetworkCoarse } from "./core/network-coarse.js";
export type { ReferenceReport } from "./core/reference/guided-fill.js";
export type { FloatImage } from "./core/resample.js";
export type { BuiltinSegmenterOptions, SegmentEngine, SegmentPreview, SegmentResult } from "./core/segmentation/builtin.js";
export { BuiltinSegmenter } from "./core/segmentation/builtin.js";
export type { SegmentBox, SegmentPoint, SegmentPrompt } from "./core/segmentation/prompt.js";
export type { RemovalMask, RemovalMaskOptions } from "./core/segmentation/removal-mask.js";
export { defaultGrow, removalMask } from "./core/segmentation/removal-mask.js";
export type { SamModelLoader } from "./core/segmentation/sam.js";
export { SamSegmenter } from "./core/segmentation/sam.js";
export type { SegmenterOptions } from "./core/segmentation/segmenter.js";
export { Segmenter } from "./core/segmentation/segmenter.js";
