/** Node entry point (`vanish/node`): file I/O around the platform-neutral core. */
export * from "../index.js";
export { type EraseFileOptions, type EraseFileResult, eraseFile } from "./erase-file.js";
export { defaultFieldThreads, FieldThreadPool } from "./field-threads.js";
export { type InpaintingModelOptions, loadInpaintingModel } from "./inpainting-model.js";
export {
  type DecodedImage,
  decodeImage,
  encodeEdited,
  encodingLosses,
  formatForPath,
  readImage,
  readMask,
  type StoredSamples,
  writeFileAtomic,
} from "./io.js";
export { BUNDLED_MLSD, type LineFinderOptions, lineFinder } from "./line-model.js";
export { loadOnnxModel } from "./onnx.js";
export {
  BUNDLED_SAM,
  bundledSamFiles,
  bundledSamModel,
  findSamModels,
  type SamLoaderOptions,
  samModelsFromDir,
  sha256File,
  verifySamFile,
} from "./sam-models.js";
export {
  type SegmentFileResult,
  type Selection,
  type SelectOptions,
  segmenterOptions,
  segmentFile,
  selectForRemoval,
} from "./segment-file.js";
export { type NodeSegmenterOptions, Segmenter, warnOnce } from "./segmenter.js";
export {
  autoMask,
  closeSuggestModels,
  Suggester,
  type SuggestFileOptions,
  type SuggestFileResult,
  suggestFile,
  suggestForImage,
} from "./suggest-file.js";
export { loadNanodet, loadTextDetector, SUGGEST_MODEL_FILES, type SuggestModelOptions, suggestModels } from "./suggest-models.js";
