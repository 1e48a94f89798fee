/**
 * Erase one file with one mask file: read and decode once, erase, encode in
 * the file's own colour space and depth, write atomically. Timings are split
 * so that `inpaintMs` is the fill alone, with the image already decoded.
 */
import path from "node:path";
import { expectedError, type Mask, type RgbaImage, VanishError } from "../core/image.js";
import { type EraseOptions, type EraseTimings, eraseWithReport } from "../core/inpaint/erase.js";
import type { ReferenceReport } from "../core/reference/guided-fill.js";
import { assertNotSameFile, encodeEdited, encodingLosses, formatForPath, readImage, readMask, writeFileAtomic } from "./io.js";
import { VERSION } from "./version.js";

export interface EraseFileOptions {
  erase?: EraseOptions;
  /** Lossy quality 1–100 for JPEG and WebP outputs. */
  quality?: number;
  /** A mask already in memory, instead of reading `maskPath`. */
  mask?: Mask;
  /** Computes the mask from the decoded image (tap-to-select), instead of reading `maskPath`. */
  selectMask?: (image: RgbaImage) => Promise<Mask>;
  /** Another photo of the same scene that shows what is behind the object. */
  referencePath?: string;
}

export interface EraseFileResult {
  input: string;
  output: string;
  width: number;
  height: number;
  holePixels: number;
  /** `selectMs` is tap-to-select (0 with a mask file); `inpaintMs` the fill alone. */
  timings: { decodeMs: number; selectMs: number; inpaintMs: number; encodeMs: number; totalMs: number };
  /** Stage timings of the fill (`EraseTimings`); `alignMs` and `referenceMs` are 0 without a reference. */
  stages: Omit<EraseTimings, "totalMs">;
  /** The coarse stage that filled the low-resolution crop ("patchmatch", or the network's file name). */
  coarse: string;
  /** What the reference photo contributed, when one was given. */
  reference?: ReferenceReport;
  warnings: string[];
}

/**
 * Erases the masked object of `input` and writes the result to `output`
 * (written atomically; the format follows the output's extension; the input
 * is never overwritten).
 *
 * @example
 * ```ts
 * import { eraseFile } from "vanish/node";
 * const result = await eraseFile("photo.jpg", "mask.png", "out.jpg", { erase: { seed: 1 }, quality: 90 });
 * console.log(result.holePixels, result.timings.totalMs, result.warnings);
 * ```
 */
export async function eraseFile(
  input: string,
  maskPath: string | null,
  output: string,
  options: EraseFileOptions = {},
): Promise<EraseFileResult> {
  const t0 = performance.now();
  checkArguments(input, maskPath, output, options);
  const format = formatForPath(output);
  await assertNotSameFile(input, output);
  if (maskPath) await assertNotSameFile(maskPath, output);
  if (options.referencePath) await assertNotSameFile(options.referencePath, output);
  const [decoded, given, reference] = await Promise.all([
    readImage(input),
    options.mask ?? (options.selectMask ? Promise.resolve(null) : readMask(maskPath ?? "")),
    options.referencePath ? readImage(options.referencePath) : Promise.resolve(null),
  ]);
  const t1 = performance.now();
  const mask = given ?? (await (options.selectMask as (image: RgbaImage) => Promise<Mask>)(decoded.image));
  const tSelect = performance.now();
  // The decoded pixels are needed after the erase only to merge 16-bit or grey samples back; otherwise
  // the fill is written into them, which saves a copy of the photo (192 MB at 48 MP).
  const inPlace = decoded.samples === null && !decoded.grey;
  // A file without an alpha channel decodes to opaque pixels: the fill need not look for translucent ones.
  const eraseOptions = {
    ...options.erase,
    inPlace,
    ...(decoded.hasAlpha ? {} : { opaque: true }),
    ...(reference ? { reference: reference.image } : {}),
  };
  const report = await eraseWithReport(decoded.image, mask, eraseOptions);
  const t2 = performance.now();
  const warnings: string[] = [...decoded.notes];
  if (report.reference && !report.reference.used) {
    warnings.push(`The reference "${options.referencePath}" was not used: ${report.reference.notes.join(" ")}`);
  }
  let bytes: Uint8Array;
  if (report.holePixels === 0) {
    warnings.push(`The mask for "${input}" marks no pixel (nothing is ≥ 128); the image is written unchanged.`);
    const sameFormat = decoded.format === format && path.extname(input).toLowerCase() === path.extname(output).toLowerCase();
    if (sameFormat) bytes = decoded.bytes;
    else {
      warnings.push(...encodingLosses(decoded, format));
      bytes = await encodeEdited(decoded, decoded.image, format, { quality: options.quality, software: softwareTag() });
    }
  } else {
    warnings.push(...encodingLosses(decoded, format));
    bytes = await encodeEdited(decoded, report.image, format, { quality: options.quality, software: softwareTag() });
  }
  await writeFileAtomic(output, bytes);
  const t3 = performance.now();
  const { prepareMs, structureMs, coarseMs, attentionMs, upscaleMs, alignMs, referenceMs } = report.timings;
  return {
    input,
    output,
    width: decoded.image.width,
    height: decoded.image.height,
    holePixels: report.holePixels,
    timings: { decodeMs: t1 - t0, selectMs: tSelect - t1, inpaintMs: t2 - tSelect, encodeMs: t3 - t2, totalMs: t3 - t0 },
    stages: { prepareMs, structureMs, coarseMs, attentionMs, upscaleMs, alignMs, referenceMs },
    coarse: report.coarse,
    ...(report.reference ? { reference: report.reference } : {}),
    warnings,
  };
}

function checkArguments(input: unknown, maskPath: unknown, output: unknown, options: unknown): void {
  if (typeof input !== "string" || input === "") {
    throw expectedError("the input image's path", input);
  }
  if (typeof output !== "string" || output === "") {
    throw expectedError("the output file's path", output);
  }
  if (maskPath !== null && maskPath !== undefined && (typeof maskPath !== "string" || maskPath === "")) {
    throw expectedError("the mask's path (or null)", maskPath);
  }
  if (options === null || typeof options !== "object") {
    throw new VanishError(
      "INVALID_ARGUMENT",
      `Expected options to be an object but received ${options === null ? "null" : typeof options}`,
    );
  }
  const o = options as EraseFileOptions;
  if (!maskPath && !o.mask && !o.selectMask) {
    throw new VanishError("INVALID_ARGUMENT", "Expected a mask: a mask file's path, options.mask or options.selectMask");
  }
  if (o.selectMask !== undefined && typeof o.selectMask !== "function") {
    throw expectedError("options.selectMask to be a function", o.selectMask);
  }
  if (o.quality !== undefined && (!Number.isInteger(o.quality) || o.quality < 1 || o.quality > 100)) {
    throw expectedError("options.quality to be an integer from 1 to 100", o.quality);
  }
  if (o.referencePath !== undefined && (typeof o.referencePath !== "string" || o.referencePath === "")) {
    throw new VanishError(
      "INVALID_ARGUMENT",
      `Expected options.referencePath to be a file path but received ${JSON.stringify(o.referencePath)}`,
    );
  }
}

/** What the EXIF Software tag says about an edited file. */
export function softwareTag(): string {
  return `Vanish ${VERSION} (object removal)`;
}
