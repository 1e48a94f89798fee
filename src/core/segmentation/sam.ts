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
 *   zero-padded at the bottom and right; output [1, 256, 64, 64].
 * - decoder inputs image_embeddings, point_coords [1, N, 2] in the resized
 *   frame, point_labels [1, N] (1 object, 0 background, 2/3 box corners,
 *   −1 padding: one padding point (0, 0) when there is no box), mask_input
 *   [1, 1, 256, 256] with has_mask_input [1], orig_im_size [2] = (H, W).
 * - outputs masks, iou_predictions [1, C], low_res_masks [1, C, 256, 256];
 *   logits > 0 are selected. With C = 4 and a single tap the best predicted
 *   IoU among masks 1–3 is taken (an ambiguous tap), otherwise mask 0.
 */
import { assertImage, type Mask, type RgbaImage, VanishError } from "../image.js";
import { resizeWeights } from "../inpaint/resample.js";
import { float32, type InferenceModel, type TensorData, type ValueInfo } from "../model.js";
import type { SegmentEngine, SegmentResult } from "./engine.js";
import { type SegmentBox, type SegmentPoint, type SegmentPrompt, validatePrompt } from "./prompt.js";

export const SAM_SIZE = 1024;
export const SAM_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_STD = [58.395, 57.12, 57.375] as const;
const LOW_RES = 256;
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

/** Decoder point inputs for the taps and box, in the resized 1024 frame. */
export function samPointInputs(
  points: readonly SegmentPoint[],
  box: SegmentBox | undefined,
  scale: number,
): { coords: Float32Array; labels: Float32Array } {
  const coords: number[] = [];
  const labels: number[] = [];
  for (const p of points) {
    coords.push(p.x * scale, p.y * scale);
    labels.push(p.label);
  }
  if (box) {
    coords.push(box.x0 * scale, box.y0 * scale, box.x1 * scale, box.y1 * scale);
    labels.push(2, 3);
  } else {
    coords.push(0, 0);
    labels.push(-1);
  }
  return { coords: Float32Array.from(coords), labels: Float32Array.from(labels) };
}

/** Which of C candidate masks to keep (see the module header). */
export function chooseSamMask(iou: ArrayLike<number>, candidates: number, pointCount: number): number {
  if (candidates < 4 || pointCount > 2) return 0;
  let best = 1;
  for (let c = 2; c < candidates; c++) if (iou[c] > iou[best]) best = c;
  return best;
}

/**
 * Bilinear upsampling of 256² logits to the original size, as the graph does
 * (256² → 1024², crop to the resized image, resize to H × W) folded into one
 * mapping; a pixel is selected where the logit is > 0.
 */
export function samLogitsToMask(logits: Float32Array, offset: number, width: number, height: number, scale: number): Mask {
  const out = new Uint8Array(width * height);
  const k = LOW_RES / SAM_SIZE;
  const rw = Math.floor(width * scale + 0.5);
  const rh = Math.floor(height * scale + 0.5);
  // Original pixel → resized frame (exact resize of rw × rh back to width × height) → 256 frame.
  const fx = rw / width;
  const fy = rh / height;
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const wx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const u = Math.min(LOW_RES - 1, Math.max(0, (x + 0.5) * fx * k - 0.5));
    x0[x] = Math.floor(u);
    x1[x] = Math.min(LOW_RES - 1, x0[x] + 1);
    wx[x] = u - x0[x];
  }
  for (let y = 0; y < height; y++) {
    const v = Math.min(LOW_RES - 1, Math.max(0, (y + 0.5) * fy * k - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(LOW_RES - 1, y0 + 1);
    const wy = v - y0;
    const r0 = offset + y0 * LOW_RES;
    const r1 = offset + y1 * LOW_RES;
    for (let x = 0; x < width; x++) {
      const top = logits[r0 + x0[x]] * (1 - wx[x]) + logits[r0 + x1[x]] * wx[x];
      const bottom = logits[r1 + x0[x]] * (1 - wx[x]) + logits[r1 + x1[x]] * wx[x];
      out[y * width + x] = top * (1 - wy) + bottom * wy > 0 ? 1 : 0;
    }
  }
  return { width, height, data: out };
}

function describe(info: ValueInfo): string {
  return `${info.name}${info.shape ? ` [${info.shape.join(", ")}]` : ""}`;
}

function staticShapeIs(info: ValueInfo | undefined, expected: readonly number[]): boolean {
  if (!info?.shape) return true;
  if (info.shape.length !== expected.length) return false;
  return info.shape.every((d, i) => typeof d !== "number" || d < 0 || d === expected[i]);
}

/** Checks an encoder's signature; throws a message naming what is wrong. */
export function checkSamEncoder(model: InferenceModel, file = "the encoder"): void {
  const input = model.inputs[0];
  const output = model.outputs.find((o) => o.name === "image_embeddings") ?? model.outputs[0];
  if (model.inputs.length !== 1 || !staticShapeIs(input, [1, 3, SAM_SIZE, SAM_SIZE])) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${file} takes ${model.inputs.map(describe).join(", ")}; a SAM image encoder takes one input [1, 3, 1024, 1024] (normalised RGB). Exports that take raw [H, W, 3] pixels or several inputs are not supported.`,
    );
  }
  if (!output || !staticShapeIs(output, [1, 256, 64, 64])) {
    throw new VanishError(
      "UNSUPPORTED_FORMAT",
      `${file} returns ${model.outputs.map(describe).join(", ")}; a SAM image encoder returns image_embeddings [1, 256, 64, 64].`,
    );
  }
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

interface SamState {
  image: RgbaImage;
  embedding: TensorData;
  scale: number;
  /** The last prompt's points and low-res logits, fed back when the next prompt adds taps to it. */
  last: { points: SegmentPoint[]; box?: SegmentBox; logits: Float32Array } | null;
}

export class SamSegmenter implements SegmentEngine {
  readonly name = "sam";
  private encoder: InferenceModel | null = null;
  private decoder: InferenceModel | null = null;
  private state: SamState | null = null;

  constructor(private readonly load: SamModelLoader) {}

  private async models(): Promise<{ encoder: InferenceModel; decoder: InferenceModel }> {
    if (!this.encoder) {
      const encoder = await this.load("encoder");
      checkSamEncoder(encoder);
      this.encoder = encoder;
    }
    if (!this.decoder) {
      const decoder = await this.load("decoder");
      checkSamDecoder(decoder);
      this.decoder = decoder;
    }
    return { encoder: this.encoder, decoder: this.decoder };
  }

  async prepare(image: RgbaImage): Promise<void> {
    assertImage(image);
    const { encoder } = await this.models();
    const input = samPreprocess(image);
    const out = await encoder.run({ [encoder.inputs[0].name]: float32([1, 3, SAM_SIZE, SAM_SIZE], input.tensor) });
    const embedding = out.image_embeddings ?? out[encoder.outputs[0].name];
    if (!embedding || embedding.data.length !== 256 * 64 * 64) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        `The encoder returned ${embedding?.dims.join("×") ?? "nothing"}; expected image_embeddings 1×256×64×64.`,
      );
    }
    this.state = { image, embedding, scale: input.scale, last: null };
  }

  async segment(prompt: SegmentPrompt): Promise<SegmentResult> {
    const state = this.state;
    if (!state) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    const { decoder } = await this.models();
    const { width, height } = state.image;
    const { points, box } = validatePrompt(prompt, width, height);
    const { coords, labels } = samPointInputs(points, box, state.scale);
    const n = labels.length;
    const previous = state.last && extendsPrompt(state.last, points, box) ? state.last.logits : null;
    const feeds: Record<string, TensorData> = {
      image_embeddings: state.embedding,
      point_coords: float32([1, n, 2], coords),
      point_labels: float32([1, n], labels),
      mask_input: float32([1, 1, LOW_RES, LOW_RES], previous ?? new Float32Array(LOW_RES * LOW_RES)),
      has_mask_input: float32([1], Float32Array.of(previous ? 1 : 0)),
      orig_im_size: float32([2], Float32Array.of(height, width)),
    };
    const lowResName = decoder.outputs.some((o) => o.name === "low_res_masks") ? "low_res_masks" : "masks";
    const out = await decoder.run(feeds, ["iou_predictions", lowResName]);
    const iou = out.iou_predictions?.data as Float32Array | undefined;
    const logits = out[lowResName];
    if (!iou || !logits || logits.dims.length !== 4) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        "The decoder did not return iou_predictions and 4-D masks; check that it is a SAM ONNX decoder.",
      );
    }
    const candidates = logits.dims[1];
    const choice = chooseSamMask(iou, candidates, n);
    const data = logits.data as Float32Array;
    let mask: Mask;
    if (lowResName === "low_res_masks") {
      const plane = logits.dims[2] * logits.dims[3];
      mask = samLogitsToMask(data, choice * plane, width, height, state.scale);
      state.last = { points, box, logits: data.slice(choice * plane, (choice + 1) * plane) };
    } else {
      // Only full-size masks: the graph already resized them to (H, W).
      const plane = width * height;
      const bytes = new Uint8Array(plane);
      for (let i = 0; i < plane; i++) bytes[i] = data[choice * plane + i] > 0 ? 1 : 0;
      mask = { width, height, data: bytes };
      state.last = null;
    }
    return { mask, score: Math.max(0, Math.min(1, iou[choice])) };
  }

  close(): void {
    this.state = null;
    void this.encoder?.close();
    void this.decoder?.close();
    this.encoder = null;
    this.decoder = null;
  }
}

/** Whether `points`/`box` are the previous prompt plus more taps (a refinement). */
function extendsPrompt(last: { points: SegmentPoint[]; box?: SegmentBox }, points: SegmentPoint[], box: SegmentBox | undefined): boolean {
  if (points.length <= last.points.length) return false;
  if (JSON.stringify(last.box) !== JSON.stringify(box)) return false;
  return last.points.every((p, i) => p.x === points[i].x && p.y === points[i].y && p.label === points[i].label);
}
