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
export type { FloatImage } from "./core/resample.js";
