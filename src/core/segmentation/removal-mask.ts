/**
 * Turns a selected object's mask into a mask for removal: grown by a few
 * pixels so that the object's soft edge, halo and the fringe of its shadow are
 * covered (a distance-transform threshold: exact, and far cheaper than a large
 * elliptical dilation), and feathered into an 8-bit alpha for display or for
 * export. The feather is symmetric around the grown edge, so thresholding the
 * alpha at 128 gives back exactly the grown hard mask the eraser uses.
 */
import { expectedError, type Mask, type Rect } from "../image.js";
import { dilateDisc, dilateDiscInto, holeBounds, squaredDistanceTo } from "../mask.js";
import { type CropMask, wholeCrop } from "./thin.js";

export interface RemovalMaskOptions {
  /** Pixels to grow the selection by; default 0.6 % of the long side, at least 2. */
  grow?: number;
  /** Half-width in pixels of the soft edge of `alpha`; default 0.4 % of the long side, at least 1. 0 = hard. */
  feather?: number;
}

export interface RemovalMask {
  /** The grown hard mask (1 = remove): what the eraser should fill. */
  mask: Mask;
  /** The grown mask feathered into 0–255 alpha; alpha ≥ 128 exactly where `mask` is set. */
  alpha: Uint8Array;
  /** The growth actually applied, in pixels. */
  grow: number;
  /** The feather half-width actually applied, in pixels. */
  feather: number;
}

/** Default growth for an image of this size: 0.6 % of the long side (6 px at 1K, 24 px at 4K). */
export function defaultGrow(width: number, height: number): number {
  if (!(width > 0) || !(height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw expectedError("a positive image size", [width, height]);
  }
  return Math.max(2, Math.round(0.006 * Math.max(width, height)));
}

/**
 * The hard removal mask alone: `selection` grown by `grow` pixels (default
 * as in `removalMask`), the same as `removalMask(selection, { grow, feather:
 * 0 }).mask.data`, without making the alpha. Written into `out` when given
 * (zeroed, width × height: e.g. shared memory the caller hands on).
 */
export function growSelection(selection: Mask, grow?: number, out?: Uint8Array): Uint8Array {
  const { width, height, data } = selection;
  if (!(data instanceof Uint8Array) || data.length !== width * height || !(width > 0))
    throw expectedError(`${width}×${height} mask values`, data);
  return growCropSelection(wholeCrop(selection), width, height, grow, out);
}

/**
 * `growSelection` of a selection given as a crop of a `width` × `height`
 * photo (0 outside the crop): only the crop is searched for the selection,
 * so an object's selection at 12 MP is grown without reading the photo-sized
 * plane. The same mask `growSelection` gives for the crop placed in zeros.
 */
export function growCropSelection(selection: CropMask, width: number, height: number, grow?: number, out?: Uint8Array): Uint8Array {
  const { x0, y0, width: cw, height: ch, data } = selection;
  const n = width * height;
  if (!(data instanceof Uint8Array) || data.length !== cw * ch || !(cw >= 0 && ch >= 0)) {
    throw expectedError(`${cw}×${ch} mask values`, data);
  }
  if (!(x0 >= 0 && y0 >= 0 && x0 + cw <= width && y0 + ch <= height)) throw expectedError(`a crop inside ${width}×${height}`, selection);
  const g = grow ?? defaultGrow(width, height);
  if (!(g >= 0) || !Number.isFinite(g)) throw expectedError("grow ≥ 0 pixels", g);
  if (out !== undefined && out.length !== n) throw expectedError(`an output of ${n} values`, out.length);
  const mask = out ?? new Uint8Array(n);
  // Straight into the mask (zeroed): only the grown selection's pixels are written.
  if (cw > 0 && ch > 0) dilateDiscInto(data, cw, ch, g + 0.5, { data: mask, width, height, x: x0, y: y0 });
  return mask;
}

/** The selection's box plus `margin` (within the image), copied out. */
function cropAround(data: Uint8Array, width: number, height: number, bounds: Rect, margin: number) {
  const x0 = Math.max(0, bounds.x - margin);
  const y0 = Math.max(0, bounds.y - margin);
  const cw = Math.min(width, bounds.x + bounds.width + margin) - x0;
  const ch = Math.min(height, bounds.y + bounds.height + margin) - y0;
  const crop = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) crop.set(data.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + cw), y * cw);
  return { crop, x0, y0, cw, ch };
}

/** Grows `selection` by `grow` pixels and feathers the result. */
export function removalMask(selection: Mask, options: RemovalMaskOptions = {}): RemovalMask {
  if (selection === null || typeof selection !== "object" || !(selection.data instanceof Uint8Array)) {
    throw expectedError("the selection as a Mask { width, height, data: Uint8Array }", selection);
  }
  if (selection.data.length !== selection.width * selection.height || !(selection.width > 0)) {
    throw expectedError(`${selection.width}×${selection.height} mask values`, selection.data);
  }
  if (options === null || typeof options !== "object") throw expectedError("options to be an object", options);
  const { width, height, data } = selection;
  const long = Math.max(width, height);
  const grow = options.grow ?? defaultGrow(width, height);
  const feather = options.feather ?? Math.max(1, Math.round(0.004 * long));
  if (!(grow >= 0) || !(feather >= 0) || !Number.isFinite(grow) || !Number.isFinite(feather)) {
    throw expectedError("grow and feather ≥ 0 pixels", [grow, feather]);
  }
  const n = width * height;
  const mask = new Uint8Array(n);
  const alpha = new Uint8Array(n);
  const bounds = holeBounds(data, width, height);
  if (bounds === null) return { mask: { width, height, data: mask }, alpha, grow, feather };
  // Nothing farther than grow + feather from the selection is touched, so the
  // distance transforms run on the selection's box plus that margin only.
  const { crop, x0, y0, cw, ch } = cropAround(data, width, height, bounds, Math.ceil(grow + feather) + 2);
  if (feather === 0) {
    // A hard edge needs no distances, only the disc dilation (run-based, far cheaper at 12 MP).
    const grown = dilateDisc(crop, cw, ch, grow + 0.5);
    for (let y = 0; y < ch; y++) {
      const c0 = y * cw;
      const i0 = (y0 + y) * width + x0;
      mask.set(grown.subarray(c0, c0 + cw), i0);
      for (let x = 0; x < cw; x++) if (grown[c0 + x] !== 0) alpha[i0 + x] = 255;
    }
    return { mask: { width, height, data: mask }, alpha, grow, feather };
  }
  // Only distances up to grow + feather matter; farther pixels stay unselected with alpha 0.
  const outsideSq = squaredDistanceTo(crop, cw, ch, grow + feather + 1);
  // Inside the selection the signed distance is at least grow + ½; the inner
  // transform only matters when that can fall short of the feather.
  let insideSq: Float32Array | null = null;
  if (grow + 0.5 < feather) {
    const inverse = new Uint8Array(cw * ch);
    for (let i = 0; i < cw * ch; i++) inverse[i] = crop[i] === 0 ? 1 : 0;
    insideSq = squaredDistanceTo(inverse, cw, ch, feather + 1);
  }
  // Signed distance to the grown edge, positive inside: for a pixel outside the
  // selection it is grow − (distance to the selection) + ½, inside
  // grow + (distance to outside) − ½. The edge itself is a threshold on the
  // squared distance; square roots are only taken within the feather.
  const edgeSq = (grow + 0.5) * (grow + 0.5);
  const outerSq = (grow + 0.5 + feather) * (grow + 0.5 + feather);
  const slope = feather > 0 ? 1 / (2 * feather) : 0;
  for (let y = 0; y < ch; y++) {
    const c0 = y * cw;
    const i0 = (y0 + y) * width + x0;
    for (let x = 0; x < cw; x++) {
      const c = c0 + x;
      const i = i0 + x;
      if (crop[c] !== 0) {
        mask[i] = 1;
        if (feather === 0 || !insideSq) {
          alpha[i] = 255;
        } else {
          const t = 0.5 + (grow + Math.sqrt(insideSq[c]) - 0.5) * slope;
          alpha[i] = t >= 1 ? 255 : Math.max(128, Math.round(255 * t));
        }
        continue;
      }
      const dSq = outsideSq[c];
      if (dSq < edgeSq) {
        mask[i] = 1;
        alpha[i] = feather === 0 ? 255 : Math.max(128, Math.round(255 * Math.min(1, 0.5 + (grow + 0.5 - Math.sqrt(dSq)) * slope)));
      } else if (feather > 0 && dSq < outerSq) {
        alpha[i] = Math.min(127, Math.round(255 * (0.5 + (grow + 0.5 - Math.sqrt(dSq)) * slope)));
      }
    }
  }
  return { mask: { width, height, data: mask }, alpha, grow, feather };
}
