/**
 * Vanish: on-device object removal. The public, platform-neutral API; Node
 * file I/O lives in `vanish/node`.
 */

export { exifOrientation, exifSoftware } from "./container/exif.js";
export { canvasColorSpace, iccDescription } from "./container/icc.js";
export { jpegSize } from "./container/jpeg.js";
export type { ContainerFormat, EditedMetadataOptions, PhotoMetadata } from "./container/metadata.js";
export { containerFormat, editedMetadata, jpegQuality, readMetadata, writeMetadata } from "./container/metadata.js";
export type { Mask, Rect, RgbaImage, VanishErrorCode } from "./core/image.js";
export { maskFromChannel, VanishError } from "./core/image.js";
export type { CoarseInput, CoarseOutput, CoarseStage, PatchMatchCoarseOptions } from "./core/inpaint/completion.js";
export { PatchMatchCoarse } from "./core/inpaint/completion.js";
export type { EraseOptions, EraseReport, EraseTimings } from "./core/inpaint/erase.js";
export { erase, eraseWithReport } from "./core/inpaint/erase.js";
export type { InpaintingSignature, NetworkCoarseOptions, TensorSlot } from "./core/inpaint/network-coarse.js";
export { inpaintingSignature, NetworkCoarse } from "./core/inpaint/network-coarse.js";
export type { FieldThreads } from "./core/inpaint/patchmatch.js";
export type { FloatImage } from "./core/inpaint/resample.js";
export type { LineEnds } from "./core/inpaint/structure/mlsd.js";
export { dilate } from "./core/mask.js";
export type { InferenceModel, TensorData, TensorType, ValueInfo } from "./core/model.js";
export type { ReferenceReport } from "./core/reference/guided-fill.js";
export { AutoSegmenter } from "./core/segmentation/auto.js";
export type { BuiltinSegmenterOptions } from "./core/segmentation/builtin.js";
export { BuiltinSegmenter } from "./core/segmentation/builtin.js";
export type { SegmentEngine, SegmentPreview, SegmentResult } from "./core/segmentation/engine.js";
export type { SegmentBox, SegmentPoint, SegmentPrompt } from "./core/segmentation/prompt.js";
export type { RemovalMask, RemovalMaskOptions } from "./core/segmentation/removal-mask.js";
export { defaultGrow, removalMask } from "./core/segmentation/removal-mask.js";
export type { SamEncoderConvention, SamModelLoader } from "./core/segmentation/sam.js";
export { checkSamDecoder, checkSamEncoder, recogniseSamEncoder, SamSegmenter, warmUpSamDecoder } from "./core/segmentation/sam.js";
export type { SegmentEngineName, SegmenterOptions } from "./core/segmentation/segmenter.js";
export { SEGMENT_ENGINES, Segmenter } from "./core/segmentation/segmenter.js";
export { type CropMask, wholeCrop } from "./core/segmentation/thin.js";
export type { SubjectOptions } from "./core/suggest/subject.js";
export { mainSubjects } from "./core/suggest/subject.js";
export type { SuggestModels, SuggestOptions } from "./core/suggest/suggest.js";
export { parseKinds, SUGGEST_SEGMENTER, suggest, suggestCopySize, suggestionMask } from "./core/suggest/suggest.js";
export type { Detection, Suggestion, SuggestionKind, SuggestKindOption } from "./core/suggest/suggestion.js";
export { DEFAULT_SUGGEST_KINDS, SUGGEST_KINDS } from "./core/suggest/suggestion.js";
export type { OrtSessionLike, OrtTensorConstructor, OrtTensorLike } from "./runtime/ort-session.js";
export { notAModel, sessionModel } from "./runtime/ort-session.js";
