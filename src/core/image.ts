/**
 * Image and mask containers shared by every stage, and the one error type the
 * library throws.
 *
 * Images are interleaved RGBA bytes (the layout of the DOM's ImageData), so a
 * canvas, a decoded file or a worker message can be handed over without a copy.
 * Masks are one byte per pixel; any non-zero value marks a pixel to remove.
 * This module is pure: no Node, DOM or file APIs, so it runs unchanged in a
 * browser tab, a worker or Node.
 */

/** An RGBA image, 4 bytes per pixel, rows packed (stride = width * 4). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** A removal mask: one byte per pixel, non-zero = remove (hole), 0 = keep. */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** An axis-aligned rectangle in pixel units; `x + width` is exclusive. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Machine-readable reasons for a failure; messages say what to do. */
export type VanishErrorCode =
  | "INVALID_ARGUMENT"
  | "SIZE_MISMATCH"
  | "EMPTY_MASK"
  | "MASK_TOO_LARGE"
  | "IMAGE_TOO_LARGE"
  | "IMAGE_TOO_SMALL"
  | "UNREADABLE"
  | "UNSUPPORTED_FORMAT"
  | "OUTPUT_IS_INPUT"
  | "ENCODE_FAILED"
  | "BATCH_FAILED"
  | "WRITE_FAILED"
  | "MISSING_DEPENDENCY";

/** The only error type Vanish throws on bad input. */
export class VanishError extends Error {
  readonly code: VanishErrorCode;
  constructor(code: VanishErrorCode, message: string) {
    super(message);
    this.name = "VanishError";
    this.code = code;
  }
}

/** How a received value reads in an "Expected … but received …" message. */
function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of ${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength} elements`;
  if (Array.isArray(value)) return value.every((v) => typeof v === "number") ? `[${value.join(", ")}]` : `an array of ${value.length}`;
  if (typeof value === "function") return "a function";
  return "an object";
}

/**
 * The one shape of argument errors: "Expected <what> but received <value>".
 * `received` is described (quoted strings, array contents, typed-array sizes),
 * so a caller never formats it by hand.
 */
export function expectedError(expected: string, received: unknown, code: VanishErrorCode = "INVALID_ARGUMENT"): VanishError {
  return new VanishError(code, `Expected ${expected} but received ${describeReceived(received)}`);
}

/** Largest image the engine accepts, in pixels (about 16384 × 16384 / 2). */
export const MAX_PIXELS = 134_217_728;

/** Checks that an image is well formed and of a size we can process. */
export function assertImage(image: RgbaImage, what = "image"): void {
  if (image === null || typeof image !== "object") throw expectedError(`the ${what} as { width, height, data }`, image);
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw expectedError(`positive integer width and height for ${what}`, [width, height]);
  }
  if (width * height > MAX_PIXELS) {
    throw new VanishError(
      "IMAGE_TOO_LARGE",
      `The ${what} is ${width}×${height} (${((width * height) / 1e6).toFixed(0)} megapixels); the limit is ${MAX_PIXELS / 1e6} megapixels. Downscale it first.`,
    );
  }
  if (!(data instanceof Uint8ClampedArray) || data.length !== width * height * 4) {
    throw expectedError(`${what}.data to be a Uint8ClampedArray of ${width * height * 4} bytes (RGBA)`, data);
  }
}

/** Checks a mask against its image. */
export function assertMaskFits(mask: Mask, image: RgbaImage): void {
  if (mask === null || typeof mask !== "object") throw expectedError("the mask as { width, height, data }", mask);
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new VanishError(
      "SIZE_MISMATCH",
      `The mask is ${mask.width}×${mask.height} but the image is ${image.width}×${image.height}; make the mask the same size as the image.`,
    );
  }
  if (!(mask.data instanceof Uint8Array) || mask.data.length !== mask.width * mask.height) {
    throw expectedError(`mask.data to be a Uint8Array of ${mask.width * mask.height} bytes (one per pixel)`, mask.data);
  }
}

/**
 * Builds a mask from one channel of bytes: values ≥ `threshold` mark the hole.
 * `channels` > 1 reads the first channel of interleaved data.
 */
export function maskFromChannel(width: number, height: number, values: ArrayLike<number>, channels = 1, threshold = 128): Mask {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || !Number.isInteger(channels) || channels < 1) {
    throw expectedError("positive integer width, height and channels", [width, height, channels]);
  }
  const n = width * height;
  if (values === null || typeof values !== "object" || typeof values.length !== "number" || values.length < n * channels) {
    throw expectedError(`${n * channels} mask values`, values);
  }
  const data = new Uint8Array(n);
  let from = 0;
  if (channels === 1 && threshold === 128 && values instanceof Uint8Array) {
    // A byte is ≥ 128 when its top bit is set: four bytes a step, each top bit shifted to its byte's bottom.
    // (A file's mask is read once, in a process whose loops are not compiled yet: a 12 MP mask in a quarter
    // of the steps.)
    const words = n >> 2;
    const aligned = values.byteOffset % 4 === 0;
    const source = aligned ? new Uint32Array(values.buffer, values.byteOffset, words) : null;
    if (source) {
      const target = new Uint32Array(data.buffer, 0, words);
      for (let k = 0; k < words; k++) target[k] = (source[k] >>> 7) & 0x01010101;
      from = words * 4;
    }
  }
  for (let i = from, j = from * channels; i < n; i++, j += channels) data[i] = values[j] >= threshold ? 1 : 0;
  return { width, height, data };
}
