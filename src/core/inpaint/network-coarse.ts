/**
 * A user-supplied inpainting network as the coarse stage. RETHINED (§3.1)
 * fills the low-resolution crop with a CNN before patch attention; LaMa- and
 * MI-GAN-style exports plug in at the same place, and attention upscaling then
 * restores the full-resolution detail they cannot produce.
 *
 * The network runs at its native resolution. A model with a fixed input size
 * gets the low-res crop resized to that size (area average when shrinking,
 * bilinear when enlarging, hole values kept out of every average; a resized
 * pixel is hole if any hole pixel reaches it). A model that takes any size gets
 * the crop itself, edge-padded to a multiple of `sizeMultiple` (32 suits networks that downsample up to five times). The output is
 * brought back to the crop, and only hole pixels are taken from it.
 *
 * Conventions differ between exports; they are read from the signature:
 *  - two inputs, image [1,3,H,W] and mask [1,1,H,W] (NHWC also accepted):
 *    float32: image in [0,1] and mask 1 = hole (LaMa; `maskOne: "known"` flips it);
 *    uint8: image 0–255 and mask 255 = known (MI-GAN's pipeline export);
 *  - one input [1,4,H,W]: MI-GAN's raw generator, [m − ½, x·m] with x in [−1,1]
 *    and m = 1 on known pixels.
 * A float output's range ([0,1], [0,255] or [−1,1]) is inferred from which
 * mapping best reproduces the known pixels the network was given.
 * Pure TypeScript: the runtime is reached through `InferenceModel`.
 */

import { VanishError } from "../image.js";
import { FIXED, SOLVE, solveMembrane } from "../membrane.js";
import type { InferenceModel, TensorData, ValueInfo } from "../model.js";
import type { CoarseInput, CoarseOutput, CoarseStage } from "./completion.js";
import { resizeWeights } from "./resample.js";

type Layout = "nchw" | "nhwc";

/** Where one tensor of the model lives and how it is laid out. */
export interface TensorSlot {
  name: string;
  type: "float32" | "uint8";
  layout: Layout;
}

/** What `inpaintingSignature` read from a model. */
export interface InpaintingSignature {
  /** Separate image and mask inputs, or one stacked [mask − ½, image·mask] input. */
  kind: "image+mask" | "stacked";
  image: TensorSlot;
  mask?: TensorSlot;
  output: TensorSlot;
  /** The fixed input size; absent when the model takes any size. */
  size?: { width: number; height: number };
}

export interface NetworkCoarseOptions {
  /** Shown in reports, e.g. the model's file name. Default "network". */
  name?: string;
  /**
   * What a mask value of 1 (255 for uint8 masks) means for image+mask models.
   * Default: "hole" for float masks (LaMa), "known" for uint8 masks (MI-GAN).
   */
  maskOne?: "hole" | "known";
  /** Range of a float image input. Default "unit" ([0,1]); "byte" is [0,255], "signed" is [−1,1]. */
  inputRange?: "unit" | "byte" | "signed";
  /** Dynamic-size models get the crop padded to a multiple of this (their total stride). Default 32. */
  sizeMultiple?: number;
}

interface Shape4 {
  layout: Layout;
  channels?: number;
  batch?: number;
  width?: number;
  height?: number;
}

function describe(info: ValueInfo): string {
  return `${info.name}${info.type ? ` ${info.type}` : ""}${info.shape ? ` [${info.shape.join(", ")}]` : ""}`;
}

function fixedDim(d: number | string | undefined): number | undefined {
  return typeof d === "number" && d > 0 ? d : undefined;
}

/** Reads a rank-4 image tensor's layout; undefined when the rank is known and is not 4. */
function shape4(info: ValueInfo): Shape4 | undefined {
  const s = info.shape;
  if (!s) return { layout: "nchw" };
  if (s.length !== 4) return undefined;
  const small = (d: number | string | undefined) => typeof d === "number" && d >= 1 && d <= 4;
  const layout: Layout = !small(s[1]) && small(s[3]) ? "nhwc" : "nchw";
  const [c, h, w] = layout === "nchw" ? [s[1], s[2], s[3]] : [s[3], s[1], s[2]];
  return { layout, channels: fixedDim(c), batch: fixedDim(s[0]), height: fixedDim(h), width: fixedDim(w) };
}

function elementType(info: ValueInfo): "float32" | "uint8" | undefined {
  if (info.type === undefined || info.type === "float32" || info.type === "float") return "float32";
  if (info.type === "uint8") return "uint8";
  return undefined;
}

/**
 * Reads and checks an inpainting model's signature; throws a message that
 * names what the model takes and what an inpainting model must take.
 */
export function inpaintingSignature(model: InferenceModel, file = "the model"): InpaintingSignature {
  const takes = `${file} takes ${model.inputs.map(describe).join(", ") || "no input"} and returns ${model.outputs.map(describe).join(", ") || "nothing"}`;
  const expected =
    "an inpainting model takes an image [1, 3, H, W] and a mask [1, 1, H, W] (float32 or uint8), or one stacked input [1, 4, H, W], and returns an image [1, 3, H, W]";
  const fail = (why: string): never => {
    throw new VanishError("UNSUPPORTED_FORMAT", `${takes}: ${why}; ${expected}.`);
  };
  const slot = (info: ValueInfo, channels: number[], what: string): TensorSlot & Shape4 => {
    const shape = shape4(info);
    if (!shape) return fail(`${what} ${info.name} is not a 4-dimensional tensor`);
    if (shape.channels !== undefined && !channels.includes(shape.channels)) {
      return fail(`${what} ${info.name} has ${shape.channels} channels`);
    }
    if (shape.batch !== undefined && shape.batch !== 1) return fail(`${what} ${info.name} has a batch of ${shape.batch}`);
    const type = elementType(info);
    if (!type) return fail(`${what} ${info.name} is ${info.type}, not float32 or uint8`);
    return { ...shape, name: info.name, type };
  };

  let kind: InpaintingSignature["kind"];
  let image: TensorSlot & Shape4;
  let mask: (TensorSlot & Shape4) | undefined;
  if (model.inputs.length === 2) {
    kind = "image+mask";
    const [a, b] = model.inputs;
    const isMask = (i: ValueInfo) => /mask/i.test(i.name) || shape4(i)?.channels === 1;
    const maskInfo = isMask(b) && !/mask/i.test(a.name) ? b : isMask(a) ? a : undefined;
    if (!maskInfo) return fail("neither input is a mask (named like 'mask', or with 1 channel)");
    mask = slot(maskInfo, [1], "the mask");
    image = slot(maskInfo === a ? b : a, [3], "the image");
  } else if (model.inputs.length === 1) {
    kind = "stacked";
    image = slot(model.inputs[0], [4], "the stacked input");
    if (image.channels === undefined) fail(`its one input ${image.name} does not declare 4 channels`);
    if (image.type !== "float32") fail("a stacked input must be float32");
  } else {
    return fail(`it has ${model.inputs.length} inputs`);
  }

  const candidates = model.outputs.filter((o) => {
    const s = shape4(o);
    return s !== undefined && (s.channels === undefined || s.channels === 3);
  });
  const outputInfo = candidates.find((o) => /out|result|inpaint|image|pred/i.test(o.name)) ?? candidates[0];
  if (!outputInfo) return fail("no output is an RGB image");
  const output = slot(outputInfo, [3], "the output");

  const size = image.width !== undefined && image.height !== undefined ? { width: image.width, height: image.height } : undefined;
  if ((image.width === undefined) !== (image.height === undefined)) fail(`the image ${image.name} fixes one side only`);
  for (const other of [mask, output]) {
    if (!other || other.width === undefined || other.height === undefined || !size) continue;
    if (other.width !== size.width || other.height !== size.height) {
      fail(`${other.name} is ${other.width}×${other.height} but the image is ${size.width}×${size.height}`);
    }
  }
  const bare = (s: TensorSlot): TensorSlot => ({ name: s.name, type: s.type, layout: s.layout });
  return { kind, image: bare(image), ...(mask ? { mask: bare(mask) } : {}), output: bare(output), ...(size ? { size } : {}) };
}

/** An inpainting network (LaMa, MI-GAN and alike) as the coarse stage of `erase`. */
export class NetworkCoarse implements CoarseStage {
  readonly name: string;
  readonly signature: InpaintingSignature;
  private readonly model: InferenceModel;
  private readonly maskOne: "hole" | "known";
  private readonly inputRange: "unit" | "byte" | "signed";
  private readonly multiple: number;

  constructor(model: InferenceModel, options: NetworkCoarseOptions = {}) {
    this.model = model;
    this.name = options.name ?? "network";
    this.signature = inpaintingSignature(model, this.name);
    this.maskOne = options.maskOne ?? (this.signature.mask?.type === "uint8" ? "known" : "hole");
    this.inputRange = options.inputRange ?? "unit";
    this.multiple = Math.max(1, Math.floor(options.sizeMultiple ?? 32));
  }

  async fill({ image, hole }: CoarseInput): Promise<CoarseOutput> {
    const { width: w, height: h, channels: C, data } = image;
    const sig = this.signature;
    const mw = sig.size?.width ?? Math.ceil(w / this.multiple) * this.multiple;
    const mh = sig.size?.height ?? Math.ceil(h / this.multiple) * this.multiple;
    const input = sig.size ? resizeKnown(image, hole, mw, mh) : padKnown(image, hole, mw, mh);

    const feeds = this.feeds(input.rgb, input.hole, mw, mh);
    const result = await this.model.run(feeds, [sig.output.name]);
    const tensor = result[sig.output.name];
    const outW = tensor ? dimsOf(tensor, sig.output.layout) : undefined;
    if (!tensor || !outW || outW.channels !== 3 || (!sig.size && (outW.width !== mw || outW.height !== mh))) {
      throw new VanishError(
        "UNSUPPORTED_FORMAT",
        `${this.name} returned ${sig.output.name} with shape [${tensor?.dims.join(", ") ?? "nothing"}]; expected [1, 3, ${mh}, ${mw}] for its ${mw}×${mh} input.`,
      );
    }
    const rgbOut = decodeImage(tensor, sig.output.layout, outW.width, outW.height);
    if (tensor.type === "float32") {
      const known = outW.width === mw && outW.height === mh ? { rgb: input.rgb, hole: input.hole } : undefined;
      rescaleFloatOutput(rgbOut, known);
    }
    const back =
      outW.width === w && outW.height === h
        ? rgbOut
        : sig.size
          ? resizePlanes(rgbOut, outW.width, outW.height, 3, w, h)
          : cropPlanes(rgbOut, mw, 3, w, h);

    const out = new Float32Array(data);
    for (let i = 0; i < w * h; i++) {
      if (hole[i] === 0) continue;
      for (let c = 0; c < 3; c++) out[i * C + c] = Math.min(255, Math.max(0, back[i * 3 + c]));
    }
    if (C === 4) fillHarmonic(out, w, h, C, 3, hole);
    return { image: { width: w, height: h, channels: C, data: out } };
  }

  close(): Promise<void> {
    return this.model.close();
  }

  private feeds(rgb: Float32Array, hole: Uint8Array, mw: number, mh: number): Record<string, TensorData> {
    const sig = this.signature;
    const n = mw * mh;
    if (sig.kind === "stacked") {
      const planes = new Float32Array(4 * n);
      for (let i = 0; i < n; i++) {
        const m = hole[i] === 0 ? 1 : 0;
        planes[i] = m - 0.5;
        for (let c = 0; c < 3; c++) planes[(c + 1) * n + i] = m * (rgb[i * 3 + c] / 127.5 - 1);
      }
      return { [sig.image.name]: tensorOf(planes, 4, mw, mh, sig.image) };
    }
    const mask = sig.mask as TensorSlot;
    const imagePlanes = new Float32Array(3 * n);
    const maskPlane = new Float32Array(n);
    const byteImage = sig.image.type === "uint8";
    const range = byteImage ? "byte" : this.inputRange;
    const top = mask.type === "uint8" ? 255 : 1;
    for (let i = 0; i < n; i++) {
      const known = hole[i] === 0;
      maskPlane[i] = known === (this.maskOne === "known") ? top : 0;
      for (let c = 0; c < 3; c++) {
        const v = rgb[i * 3 + c];
        imagePlanes[c * n + i] = !known ? 0 : range === "byte" ? v : range === "unit" ? v / 255 : v / 127.5 - 1;
      }
    }
    return {
      [sig.image.name]: tensorOf(imagePlanes, 3, mw, mh, sig.image),
      [mask.name]: tensorOf(maskPlane, 1, mw, mh, mask),
    };
  }
}

/** Planar channel-first values → a tensor in the slot's type and layout. */
function tensorOf(planes: Float32Array, channels: number, w: number, h: number, slot: TensorSlot): TensorData {
  const n = w * h;
  const dims = slot.layout === "nchw" ? [1, channels, h, w] : [1, h, w, channels];
  const data = slot.type === "uint8" ? new Uint8Array(n * channels) : new Float32Array(n * channels);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) {
      const v = planes[c * n + i];
      const at = slot.layout === "nchw" ? c * n + i : i * channels + c;
      data[at] = slot.type === "uint8" ? Math.round(Math.min(255, Math.max(0, v))) : v;
    }
  }
  return { type: slot.type, dims, data };
}

function dimsOf(t: TensorData, layout: Layout): { channels: number; width: number; height: number } | undefined {
  if (t.dims.length !== 4 || t.dims[0] !== 1) return undefined;
  return layout === "nchw"
    ? { channels: t.dims[1], height: t.dims[2], width: t.dims[3] }
    : { channels: t.dims[3], height: t.dims[1], width: t.dims[2] };
}

/** Output tensor → interleaved RGB floats (raw values; see `rescaleFloatOutput`). */
function decodeImage(t: TensorData, layout: Layout, w: number, h: number): Float32Array {
  const n = w * h;
  const out = new Float32Array(3 * n);
  const src = t.data as Float32Array | Uint8Array;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = layout === "nchw" ? src[c * n + i] : src[i * 3 + c];
  }
  return out;
}

const RANGES = [
  { scale: 255, offset: 0 },
  { scale: 1, offset: 0 },
  { scale: 127.5, offset: 127.5 },
];

/**
 * Maps a float output to 0–255 in place, choosing among [0,1], [0,255] and
 * [−1,1] the mapping that best reproduces the known input pixels (a network
 * echoes what it was shown). Without them (an output of another size), [0,1]
 * is assumed unless values exceed it.
 */
function rescaleFloatOutput(rgb: Float32Array, known: { rgb: Float32Array; hole: Uint8Array } | undefined): void {
  let best = RANGES[0];
  if (known) {
    let bestError = Number.POSITIVE_INFINITY;
    const n = known.hole.length;
    const step = Math.max(1, Math.floor(n / 20000));
    for (const r of RANGES) {
      let error = 0;
      for (let i = 0; i < n; i += step) {
        if (known.hole[i] !== 0) continue;
        for (let c = 0; c < 3; c++) error += Math.abs(rgb[i * 3 + c] * r.scale + r.offset - known.rgb[i * 3 + c]);
      }
      if (error < bestError) {
        bestError = error;
        best = r;
      }
    }
  } else {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of rgb) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    best = max > 1.5 ? RANGES[1] : min < -0.1 ? RANGES[2] : RANGES[0];
  }
  for (let i = 0; i < rgb.length; i++) rgb[i] = rgb[i] * best.scale + best.offset;
}

/** The RGB of a low-res image resized to w×h over known pixels only, and the resized hole. */
function resizeKnown(img: CoarseInput["image"], hole: Uint8Array, w: number, h: number): { rgb: Float32Array; hole: Uint8Array } {
  const { width: sw, height: sh, channels: C, data } = img;
  const weighted = new Float32Array(sw * sh * 4);
  for (let i = 0; i < sw * sh; i++) {
    const k = hole[i] === 0 ? 1 : 0;
    for (let c = 0; c < 3; c++) weighted[i * 4 + c] = k * data[i * C + c];
    weighted[i * 4 + 3] = k;
  }
  const resized = resizePlanes(weighted, sw, sh, 4, w, h);
  const rgb = new Float32Array(w * h * 3);
  const outHole = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const k = resized[i * 4 + 3];
    outHole[i] = k < 0.999 ? 1 : 0;
    if (k > 1e-6) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = resized[i * 4 + c] / k;
  }
  return { rgb, hole: outHole };
}

/** The RGB of a low-res image and its hole, edge-replicated to w×h (w, h ≥ the image's). */
function padKnown(img: CoarseInput["image"], hole: Uint8Array, w: number, h: number): { rgb: Float32Array; hole: Uint8Array } {
  const { width: sw, height: sh, channels: C, data } = img;
  const rgb = new Float32Array(w * h * 3);
  const outHole = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(y, sh - 1);
    for (let x = 0; x < w; x++) {
      const s = sy * sw + Math.min(x, sw - 1);
      const o = y * w + x;
      outHole[o] = hole[s] === 0 ? 0 : 1;
      if (hole[s] === 0) for (let c = 0; c < 3; c++) rgb[o * 3 + c] = data[s * C + c];
    }
  }
  return { rgb, hole: outHole };
}

/** Separable resize of interleaved planes (area average down, bilinear up). */
function resizePlanes(src: Float32Array, sw: number, sh: number, C: number, w: number, h: number): Float32Array {
  const xs = resizeWeights(sw, w);
  const ys = resizeWeights(sh, h);
  const rows = new Float32Array(sh * w * C);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * C;
      for (let k = xs.start[x]; k < xs.start[x + 1]; k++) {
        const s = (y * sw + xs.index[k]) * C;
        const wx = xs.weight[k];
        for (let c = 0; c < C; c++) rows[o + c] += wx * src[s + c];
      }
    }
  }
  const out = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) {
    for (let k = ys.start[y]; k < ys.start[y + 1]; k++) {
      const wy = ys.weight[k];
      const s = ys.index[k] * w * C;
      const o = y * w * C;
      for (let j = 0; j < w * C; j++) out[o + j] += wy * rows[s + j];
    }
  }
  return out;
}

function cropPlanes(src: Float32Array, sw: number, C: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) out.set(src.subarray(y * sw * C, (y * sw + w) * C), y * w * C);
  return out;
}

/**
 * Fills channel `c` of the hole harmonically (Laplace's equation with the
 * known pixels fixed): alpha, which the networks do not predict.
 */
function fillHarmonic(data: Float32Array, w: number, h: number, C: number, c: number, hole: Uint8Array): void {
  const plane = new Float32Array(w * h);
  const kind = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    plane[i] = data[i * C + c];
    kind[i] = hole[i] === 0 ? FIXED : SOLVE;
  }
  solveMembrane({ width: w, height: h, channels: 1, data: plane }, kind);
  for (let i = 0; i < w * h; i++) if (hole[i] !== 0) data[i * C + c] = plane[i];
}
