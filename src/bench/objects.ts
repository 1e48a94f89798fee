/**
 * Ground truth for the segmentation benchmark: objects with known masks
 * composited onto real photos. The object is a silhouette (a standing person,
 * a smooth random blob, or a pole with a sign) filled with the content of a
 * different photo, pasted with a one-pixel anti-aliased edge; the mask is the
 * silhouette itself. Pure: images in, images out.
 */
import type { RgbaImage } from "../core/image.js";
import { Random } from "../core/random.js";
import { benchmarkMask } from "./masks.js";

export type ObjectShape = "person" | "blob" | "pole";
export const OBJECT_SHAPES: readonly ObjectShape[] = ["person", "blob", "pole"];

function blob(w: number, h: number, rng: Random): Uint8Array {
  const m = new Uint8Array(w * h);
  const r0 = Math.min(w, h) * (0.16 + 0.12 * rng.next());
  const cx = w * (0.3 + 0.4 * rng.next());
  const cy = h * (0.3 + 0.4 * rng.next());
  const harmonics = [2, 3, 4, 5].map((k) => ({ k, a: (0.1 + 0.25 * rng.next()) / k, phase: rng.next() * 2 * Math.PI }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const theta = Math.atan2(dy, dx);
      let r = r0;
      for (const { k, a, phase } of harmonics) r += r0 * a * Math.sin(k * theta + phase);
      if (dx * dx + dy * dy <= r * r) m[y * w + x] = 1;
    }
  }
  return m;
}

function pole(w: number, h: number, rng: Random): Uint8Array {
  const m = new Uint8Array(w * h);
  const thick = Math.max(3, Math.round(Math.min(w, h) * (0.025 + 0.02 * rng.next())));
  const x0 = Math.round(w * (0.2 + 0.6 * rng.next()));
  const top = Math.round(h * (0.1 + 0.2 * rng.next()));
  for (let y = top; y < h; y++) m.fill(1, y * w + x0, y * w + Math.min(w, x0 + thick));
  const sw = Math.round(Math.min(w, h) * (0.15 + 0.1 * rng.next()));
  const sh = Math.round(sw * (0.5 + 0.4 * rng.next()));
  const sx = Math.max(0, Math.min(w - sw, x0 + thick / 2 - sw / 2));
  for (let y = top; y < Math.min(h, top + sh); y++) m.fill(1, y * w + sx, y * w + sx + sw);
  return m;
}

/** The silhouette of `shape` for a w×h image (1 = object); the same arguments always give the same mask. */
export function objectSilhouette(shape: ObjectShape, w: number, h: number, seed: number): Uint8Array {
  if (shape === "person") return benchmarkMask("person", w, h, seed);
  const rng = new Random(seed);
  return shape === "blob" ? blob(w, h, rng) : pole(w, h, rng);
}

/**
 * Pastes `texture` (same size as `background`) through `silhouette` with a
 * 3×3 box-filtered alpha, so the object's edge is anti-aliased like a real one.
 */
export function compositeObject(background: RgbaImage, texture: RgbaImage, silhouette: Uint8Array): RgbaImage {
  const { width: w, height: h } = background;
  const out = new Uint8ClampedArray(background.data);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let c = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          s += silhouette[yy * w + xx];
          c++;
        }
      }
      const a = s / c;
      if (a === 0) continue;
      const p = (y * w + x) * 4;
      for (let k = 0; k < 3; k++) out[p + k] = Math.round(a * texture.data[p + k] + (1 - a) * background.data[p + k]);
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Pastes a cut-out object (RGBA, alpha = its matte) onto `background` with
 * its top-left corner at (left, top), blending by the matte, so the edge is
 * the object's real one (soft hair, leaf tips, colour spill included). The
 * truth mask is matte ≥ 128, clipped to the background.
 */
export function pasteMatte(background: RgbaImage, object: RgbaImage, left: number, top: number): { image: RgbaImage; truth: Uint8Array } {
  const { width: w, height: h } = background;
  const out = new Uint8ClampedArray(background.data);
  const truth = new Uint8Array(w * h);
  for (let y = 0; y < object.height; y++) {
    const by = top + y;
    if (by < 0 || by >= h) continue;
    for (let x = 0; x < object.width; x++) {
      const bx = left + x;
      if (bx < 0 || bx >= w) continue;
      const o = (y * object.width + x) * 4;
      const alpha = object.data[o + 3];
      if (alpha === 0) continue;
      const a = alpha / 255;
      const p = (by * w + bx) * 4;
      for (let k = 0; k < 3; k++) out[p + k] = Math.round(a * object.data[o + k] + (1 - a) * background.data[p + k]);
      if (alpha >= 128) truth[by * w + bx] = 1;
    }
  }
  return { image: { width: w, height: h, data: out }, truth };
}
