/**
 * Synthetic second photos of a scene for the reference benchmark: what a
 * person gets by turning the phone, zooming, stepping to the side (a
 * perspective tilt of the plane), or waiting for other light. A view is a
 * homography of the source photo (rotation about the object, scale, tilt),
 * then a tone curve (gamma), a white-balance shift (per-channel gain) and
 * sensor noise. Pure: images in, images out.
 */
import type { RgbaImage } from "../core/image.js";
import { Random } from "../core/random.js";
import { compose, type Homography } from "../core/reference/homography.js";
import { warpReference } from "../core/reference/warp.js";

export interface ViewChange {
  /** Degrees, counter-clockwise, about the object's centre. */
  rotation: number;
  /** Reference pixels per target pixel (2 = zoomed in twice). */
  scale: number;
  /** Foreshortening across the frame: the far side appears this much smaller (0.2 = 20 %). */
  tilt: number;
  /** Direction of the tilt, degrees. */
  tiltDirection: number;
  /** Output = 255·(input/255)^gamma. */
  gamma: number;
  /** Per-channel gains (white balance), R, G, B. */
  whiteBalance: [number, number, number];
  /** Standard deviation of additive Gaussian noise, 8-bit levels. */
  noise: number;
  /** Where the object's centre lands in the view, as a fraction of the view's size from its centre. */
  offset: [number, number];
}

/** A random change within the benchmark's range: rotation 0–45°, scale 0.5–2×, tilt ≤ 25 %, gamma 0.6–1.6, white balance ±25 %, noise σ 1–4. */
export function randomChange(rng: Random): ViewChange {
  const sign = rng.next() < 0.5 ? -1 : 1;
  return {
    rotation: sign * 45 * rng.next(),
    scale: 2 ** (2 * rng.next() - 1),
    tilt: 0.25 * rng.next(),
    tiltDirection: 360 * rng.next(),
    gamma: Math.exp(Math.log(0.6) + (Math.log(1.6) - Math.log(0.6)) * rng.next()),
    whiteBalance: [0.8 + 0.45 * rng.next(), 0.95 + 0.1 * rng.next(), 0.8 + 0.45 * rng.next()],
    noise: 1 + 3 * rng.next(),
    offset: [0.3 * (rng.next() - 0.5), 0.3 * (rng.next() - 0.5)],
  };
}

/**
 * The view of `source` that a camera with `change` sees, `width`×`height`.
 * `origin` is the target photo's top-left corner in `source`, `centre` the
 * object's centre in target pixels. Pixels the source does not show are a
 * dark grey, as a frame would be past the edge of the world we have.
 * Returns the view and the target → view homography.
 */
export function secondView(
  source: RgbaImage,
  origin: [number, number],
  centre: [number, number],
  change: ViewChange,
  width: number,
  height: number,
  seed: number,
): { view: RgbaImage; targetToView: Homography } {
  const a = (change.rotation * Math.PI) / 180;
  const s = change.scale;
  const cos = Math.cos(a) * s;
  const sin = Math.sin(a) * s;
  const vx = width / 2 + change.offset[0] * width;
  const vy = height / 2 + change.offset[1] * height;
  // Similarity: target → view, the object's centre to (vx, vy).
  const similarity = Float64Array.of(
    cos,
    -sin,
    vx - cos * centre[0] + sin * centre[1],
    sin,
    cos,
    vy - sin * centre[0] - cos * centre[1],
    0,
    0,
    1,
  );
  // Tilt about the view's centre: w = 1 + t·(d·(p − c)), so one side shrinks and the other grows.
  const d = (change.tiltDirection * Math.PI) / 180;
  const t = change.tilt / Math.max(width, height);
  const cx = width / 2;
  const cy = height / 2;
  const tx = t * Math.cos(d);
  const ty = t * Math.sin(d);
  const centreIn = Float64Array.of(1, 0, -cx, 0, 1, -cy, 0, 0, 1);
  const centreOut = Float64Array.of(1, 0, cx, 0, 1, cy, 0, 0, 1);
  const tiltAbout = compose(centreOut, compose(Float64Array.of(1, 0, 0, 0, 1, 0, tx, ty, 1), centreIn));
  const targetToView = compose(tiltAbout, similarity);
  const viewToSource = compose(Float64Array.of(1, 0, origin[0], 0, 1, origin[1], 0, 0, 1), invert(targetToView));
  const warped = warpReference(source, viewToSource, { x: 0, y: 0, width, height });
  const rng = new Random(seed);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = 255 * (v / 255) ** change.gamma;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = warped.valid[i] ? warped.rgb[i * 3 + c] : 40;
      const lo = Math.floor(v);
      const toned = lo >= 255 ? lut[255] : lut[lo] + (v - lo) * (lut[lo + 1] - lut[lo]);
      data[i * 4 + c] = Math.round(toned * change.whiteBalance[c] + change.noise * gaussian(rng));
    }
    data[i * 4 + 3] = 255;
  }
  return { view: { width, height, data }, targetToView };
}

function gaussian(rng: Random): number {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Inverse of a 3×3 matrix (row-major), scaled so its last entry is 1. */
export function invert(m: Homography): Homography {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  const out = Float64Array.of(A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d);
  const k = Math.abs(out[8]) > 1e-12 ? out[8] : det;
  for (let j = 0; j < 9; j++) out[j] /= k;
  return out;
}
