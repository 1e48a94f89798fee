/**
 * Learned line segments for the structure step: M-LSD (Gu, Lee, Kim, Kim,
 * Park and Shin 2022, "Towards Light-weight and Real-time Line Segment
 * Detection"), in the ONNX form of the npm package jp.keijiro.mlsd@1.0.0
 * (Apache-2.0). Its input is an S×S RGB image (0–255) with a fourth channel
 * of ones; its outputs, at S/2, are a centre score per cell and the offsets
 * of the segment's two ends from that cell.
 *
 * The network sees the crop around the hole squeezed to S×S. The hole is
 * filled first by push-pull (each pyramid level averages the known pixels
 * under it, and the empty cells of a level are read bilinearly from the
 * level above), so that the hole's outline shows no line and no block edge.
 * A cell whose score is a 3×3 local maximum above `MLSD_THRESHOLD` gives one
 * segment, as in the paper's decoding.
 *
 * Pure math over an `InferenceModel` (model.ts): the files and the runtime
 * are the edge's (src/node/line-model.ts).
 */
import type { Rect, RgbaImage } from "../../image.js";
import { float32, type InferenceModel } from "../../model.js";

/** A line's two ends. */
export interface LineEnds {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Lowest centre score kept (the paper's decoding uses 0.1). */
export const MLSD_THRESHOLD = 0.1;
/** Shortest segment kept, in the network's input pixels. */
const MIN_INPUT_LENGTH = 6;

/**
 * The network's input for `crop` of `image`: S×S pixels of R, G, B and 1,
 * each the mean of the known photo pixels under it, the hole filled by
 * push-pull. Null when the crop holds no known pixel.
 */
export function mlsdInput(image: RgbaImage, hole: Uint8Array, crop: Rect, size: number): Float32Array | null {
  const W = image.width;
  const src = image.data;
  const n = size * size;
  const colour = new Float32Array(n * 3);
  const weight = new Float32Array(n);
  const fx = crop.width / size;
  const fy = crop.height / size;
  let any = false;
  for (let v = 0; v < size; v++) {
    const y0 = crop.y + Math.floor(v * fy);
    const y1 = Math.max(y0 + 1, crop.y + Math.floor((v + 1) * fy));
    for (let u = 0; u < size; u++) {
      const x0 = crop.x + Math.floor(u * fx);
      const x1 = Math.max(x0 + 1, crop.x + Math.floor((u + 1) * fx));
      let r = 0;
      let g = 0;
      let b = 0;
      let count = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = y * W + x;
          if (hole[p] !== 0) continue;
          r += src[4 * p];
          g += src[4 * p + 1];
          b += src[4 * p + 2];
          count++;
        }
      }
      const c = v * size + u;
      if (count === 0) continue;
      colour[3 * c] = r / count;
      colour[3 * c + 1] = g / count;
      colour[3 * c + 2] = b / count;
      weight[c] = 1;
      any = true;
    }
  }
  if (!any) return null;
  pushPull(colour, weight, size, size);
  const input = new Float32Array(n * 4);
  for (let c = 0; c < n; c++) {
    input[4 * c] = colour[3 * c];
    input[4 * c + 1] = colour[3 * c + 1];
    input[4 * c + 2] = colour[3 * c + 2];
    input[4 * c + 3] = 1;
  }
  return input;
}

/**
 * Fills the cells of `colour` (RGB, `w`×`h`) whose `weight` is 0 from the
 * known ones: each coarser level holds the weighted means of 2×2 cells, and
 * an empty cell takes the bilinear value of the level above at its centre.
 */
export function pushPull(colour: Float32Array, weight: Float32Array, w: number, h: number): void {
  if (w <= 1 && h <= 1) return;
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const coarse = new Float32Array(cw * ch * 3);
  const coarseWeight = new Float32Array(cw * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const f = weight[y * w + x];
      if (f === 0) continue;
      const c = (y >> 1) * cw + (x >> 1);
      coarse[3 * c] += f * colour[3 * (y * w + x)];
      coarse[3 * c + 1] += f * colour[3 * (y * w + x) + 1];
      coarse[3 * c + 2] += f * colour[3 * (y * w + x) + 2];
      coarseWeight[c] += f;
    }
  }
  for (let c = 0; c < cw * ch; c++) {
    if (coarseWeight[c] === 0) continue;
    for (let k = 0; k < 3; k++) coarse[3 * c + k] /= coarseWeight[c];
  }
  if (coarseWeight.some((f) => f === 0)) pushPull(coarse, coarseWeight, cw, ch);
  for (let y = 0; y < h; y++) {
    // The centre of fine cell y in the coarse level's cell coordinates.
    const cy = Math.min(ch - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const ya = Math.floor(cy);
    const yb = Math.min(ch - 1, ya + 1);
    const ty = cy - ya;
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (weight[p] !== 0) continue;
      const cx = Math.min(cw - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
      const xa = Math.floor(cx);
      const xb = Math.min(cw - 1, xa + 1);
      const tx = cx - xa;
      for (let k = 0; k < 3; k++) {
        const top = (1 - tx) * coarse[3 * (ya * cw + xa) + k] + tx * coarse[3 * (ya * cw + xb) + k];
        const bottom = (1 - tx) * coarse[3 * (yb * cw + xa) + k] + tx * coarse[3 * (yb * cw + xb) + k];
        colour[3 * p + k] = (1 - ty) * top + ty * bottom;
      }
    }
  }
}

/**
 * The segments in the network's outputs (`scores`, `half`×`half`; `offsets`,
 * four per cell), in its input's pixels: one per cell whose score is at least
 * `threshold` and no neighbour's is higher, at least `MIN_INPUT_LENGTH` long.
 */
export function decodeMlsd(scores: Float32Array, offsets: Float32Array, half: number, threshold = MLSD_THRESHOLD): LineEnds[] {
  const out: LineEnds[] = [];
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      const s = scores[y * half + x];
      if (!(s >= threshold)) continue;
      let peak = true;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(half - 1, y + 1) && peak; yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(half - 1, x + 1); xx++) {
          if (scores[yy * half + xx] > s) {
            peak = false;
            break;
          }
        }
      }
      if (!peak) continue;
      const o = 4 * (y * half + x);
      const segment = {
        x1: 2 * (x + offsets[o]),
        y1: 2 * (y + offsets[o + 1]),
        x2: 2 * (x + offsets[o + 2]),
        y2: 2 * (y + offsets[o + 3]),
      };
      if (Math.hypot(segment.x2 - segment.x1, segment.y2 - segment.y1) >= MIN_INPUT_LENGTH) out.push(segment);
    }
  }
  return out;
}

/**
 * M-LSD's segments in `crop` of `image` (photo coordinates), the hole filled
 * by push-pull first. `model` takes [1, S, S, 4] and gives `scores` and
 * `offsets` (the package's files; S is read from the model's input).
 */
export async function mlsdSegments(model: InferenceModel, image: RgbaImage, hole: Uint8Array, crop: Rect): Promise<LineEnds[]> {
  const shape = model.inputs[0]?.shape;
  const size = typeof shape?.[1] === "number" ? shape[1] : 320;
  const input = mlsdInput(image, hole, crop, size);
  if (input === null) return [];
  const result = await model.run({ [model.inputs[0].name]: float32([1, size, size, 4], input) });
  const scores = result.scores?.data;
  const offsets = result.offsets?.data;
  if (!(scores instanceof Float32Array) || !(offsets instanceof Float32Array)) {
    throw new Error("the line model gave no float32 `scores` and `offsets`");
  }
  const sx = crop.width / size;
  const sy = crop.height / size;
  return decodeMlsd(scores, offsets, size / 2).map((s) => ({
    x1: crop.x + s.x1 * sx,
    y1: crop.y + s.y1 * sy,
    x2: crop.x + s.x2 * sx,
    y2: crop.y + s.y2 * sy,
  }));
}
