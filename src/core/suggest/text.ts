/**
 * Text, signs, captions and watermarks: PP-OCRv4's detector (PaddleOCR, a
 * Differentiable Binarization network, Liao et al., AAAI 2020) predicts a
 * per-pixel probability of text. As in DB's post-processing, the map is
 * binarised at 0.3, each connected region kept when its mean probability
 * reaches 0.6, and grown outward by area × 1.5 / perimeter (DB's "unclip":
 * the network predicts shrunken text kernels).
 *
 * Input: long side at most `limit` px (960 unless told; `suggest` uses 640), both sides multiples of 32, BGR,
 * ImageNet mean and std.
 */
import { expectedError } from "../image.js";
import type { InferenceModel } from "../model.js";
import type { CropMask } from "../segmentation/thin.js";
import { planesToTensor, type RgbPlanes } from "./planes.js";
import { componentToPhotoMask, connectedComponents, perimeter } from "./regions.js";

export interface TextOptions {
  /** Longest side of the network's input (default 960). */
  limit?: number;
  /** Binarisation threshold of the probability map (default 0.3). */
  threshold?: number;
  /** Lowest mean probability of a region (default 0.6). */
  regionThreshold?: number;
  /** DB's unclip ratio (default 1.5). */
  unclip?: number;
}

export interface TextRegion {
  score: number;
  mask: CropMask;
}

/** The input size for a picture of width × height: long side ≤ limit, sides multiples of 32. */
export function textInputSize(width: number, height: number, limit: number): { width: number; height: number } {
  const ratio = Math.max(width, height) > limit ? limit / Math.max(width, height) : 1;
  return {
    width: Math.max(32, Math.round((width * ratio) / 32) * 32),
    height: Math.max(32, Math.round((height * ratio) / 32) * 32),
  };
}

/**
 * Text regions of a probability map of width × height, as masks in a photo of
 * photoWidth × photoHeight (the map covers the whole photo).
 */
export function textRegionsFromMap(
  prob: Float32Array,
  width: number,
  height: number,
  photoWidth: number,
  photoHeight: number,
  options: TextOptions = {},
): TextRegion[] {
  const threshold = options.threshold ?? 0.3;
  const regionThreshold = options.regionThreshold ?? 0.6;
  const unclip = options.unclip ?? 1.5;
  const map = new Uint8Array(width * height);
  for (let i = 0; i < map.length; i++) map[i] = prob[i] > threshold ? 1 : 0;
  const regions: TextRegion[] = [];
  for (const c of connectedComponents(map, width, height, 4)) {
    if (Math.min(c.x1 - c.x0, c.y1 - c.y0) < 2) continue;
    let sum = 0;
    for (const p of c.pixels) sum += prob[p];
    const score = sum / c.pixels.length;
    if (score < regionThreshold) continue;
    const grow = (c.pixels.length * unclip) / perimeter(c, map, width, height);
    const mask = componentToPhotoMask(c, width, height, grow, photoWidth / width, photoHeight / height, photoWidth, photoHeight);
    regions.push({ score, mask });
  }
  return regions;
}

/** Runs the detector on the planes and returns the text regions in the photo's pixels. */
export async function detectText(
  model: InferenceModel,
  planes: RgbPlanes,
  photoWidth: number,
  photoHeight: number,
  options: TextOptions = {},
): Promise<TextRegion[]> {
  const size = textInputSize(planes.width, planes.height, options.limit ?? 960);
  const data = planesToTensor(planes, {
    width: size.width,
    height: size.height,
    contentWidth: size.width,
    contentHeight: size.height,
    order: "bgr",
    mean: [0.485 * 255, 0.456 * 255, 0.406 * 255],
    std: [0.229 * 255, 0.224 * 255, 0.225 * 255],
  });
  const outputs = await model.run({ [model.inputs[0].name]: { type: "float32", dims: [1, 3, size.height, size.width], data } });
  const out = Object.values(outputs)[0];
  if (!out || !(out.data instanceof Float32Array) || out.data.length !== size.width * size.height) {
    throw expectedError(
      `the text detector to return a ${size.width}×${size.height} probability map`,
      out ? [...out.dims] : null,
      "UNSUPPORTED_FORMAT",
    );
  }
  return textRegionsFromMap(out.data, size.width, size.height, photoWidth, photoHeight, options);
}
