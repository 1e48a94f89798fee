/**
 * Does structure continue through the hole? Two measures, both computed on
 * copies of the result and the truth scaled so the long side is 1024 px (area
 * averaging), so that they mean the same thing at every benchmark size:
 *
 * - lineR, line recall: the truth's long straight segments (LSD, ≥ 40 px)
 *   that enter the hole from outside are sampled every pixel; lineR is the
 *   share of their in-hole samples where the result has a Canny edge within
 *   2 px.
 * - edgeF: F1 of the result's Canny edges against the truth's inside the hole,
 *   an edge pixel counting as matched when the other image has one within 2 px.
 *
 * Canny (1986): Gaussian σ = 1.4, Sobel gradient in grey levels per pixel,
 * non-maximum suppression across the gradient direction (4 sectors), and
 * hysteresis between fixed thresholds (4 and 8 levels/px) that are the same
 * for both images, so a washed-out fill loses its edges instead of having the
 * thresholds follow it down.
 */
import type { RgbaImage } from "../core/image.js";
import { resizeWeights } from "../core/inpaint/resample.js";
import { gradientSector, suppressAndLink } from "../core/inpaint/structure/edges.js";
import { detectSegments, gaussianBlur } from "../core/inpaint/structure/lsd.js";
import { dilateDisc, holeBounds } from "../core/mask.js";

export const STRUCTURE_SIDE = 1024;
const TOLERANCE = 2;
const MIN_SEGMENT = 40;
const CANNY_LOW = 4;
const CANNY_HIGH = 8;

export interface StructureScores {
  /** Line recall in [0, 1]; NaN when no long segment of the truth crosses the hole. */
  lineR: number;
  /** Canny-edge F1 inside the hole; NaN when neither image has an edge there. */
  edgeF: number;
  /** edgeF's parts: the share of the result's in-hole edges near the truth's, and of the truth's near the result's. */
  edgeP: number;
  edgeR: number;
  /** In-hole samples on the truth's crossing segments (the weight of lineR). */
  linePoints: number;
}

/** Luma of an RGBA image resized to w×h (separable area average). */
function lumaResized(img: RgbaImage, w: number, h: number): Float32Array {
  const { width: W, height: H, data } = img;
  const luma = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) luma[i] = 0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2];
  return resizePlane(luma, W, H, w, h);
}

function resizePlane(src: Float32Array, W: number, H: number, w: number, h: number): Float32Array {
  const xs = resizeWeights(W, w);
  const ys = resizeWeights(H, h);
  const rows = new Float32Array(w * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = xs.start[x]; k < xs.start[x + 1]; k++) v += xs.weight[k] * src[y * W + xs.index[k]];
      rows[y * w + x] = v;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let k = ys.start[y]; k < ys.start[y + 1]; k++) {
      const wgt = ys.weight[k];
      const row = ys.index[k] * w;
      for (let x = 0; x < w; x++) out[y * w + x] += wgt * rows[row + x];
    }
  }
  return out;
}

/** Canny edges of a grey plane (1 = edge). */
export function canny(grey: Float32Array, w: number, h: number, low = CANNY_LOW, high = CANNY_HIGH): Uint8Array {
  const g = gaussianBlur(grey, w, h, 1.4);
  const mag = new Float32Array(w * h);
  const dir = new Uint8Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = (g[i - w + 1] + 2 * g[i + 1] + g[i + w + 1] - g[i - w - 1] - 2 * g[i - 1] - g[i + w - 1]) / 8;
      const gy = (g[i + w - 1] + 2 * g[i + w] + g[i + w + 1] - g[i - w - 1] - 2 * g[i - w] - g[i - w + 1]) / 8;
      mag[i] = Math.sqrt(gx * gx + gy * gy);
      dir[i] = gradientSector(gx, gy);
    }
  }
  return suppressAndLink(mag, dir, w, h, low, high);
}

/** lineR and edgeF of `result` against `truth` for the hole plane `hole` (full resolution). */
export function structureScores(result: RgbaImage, truth: RgbaImage, hole: Uint8Array): StructureScores {
  const { width: W, height: H } = truth;
  const f = STRUCTURE_SIDE / Math.max(W, H);
  const w = Math.max(1, Math.round(W * f));
  const h = Math.max(1, Math.round(H * f));
  const coverage = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) coverage[i] = hole[i] !== 0 ? 1 : 0;
  const small = resizePlane(coverage, W, H, w, h);
  const holeSmall = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) holeSmall[i] = small[i] >= 0.5 ? 1 : 0;
  const box = holeBounds(holeSmall, w, h);
  if (box === null) return { lineR: Number.NaN, edgeF: Number.NaN, edgeP: Number.NaN, edgeR: Number.NaN, linePoints: 0 };

  // Work on the hole's box plus a margin wide enough to see segments entering it.
  const margin = 64;
  const x0 = Math.max(0, box.x - margin);
  const y0 = Math.max(0, box.y - margin);
  const cw = Math.min(w, box.x + box.width + margin) - x0;
  const ch = Math.min(h, box.y + box.height + margin) - y0;
  const crop = (plane: Float32Array | Uint8Array) => {
    const out = new Float32Array(cw * ch);
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) out[y * cw + x] = plane[(y0 + y) * w + x0 + x];
    return out;
  };
  const truthGrey = crop(lumaResized(truth, w, h));
  const resultGrey = crop(lumaResized(result, w, h));
  const holeCrop = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) holeCrop[y * cw + x] = holeSmall[(y0 + y) * w + x0 + x];

  const truthEdges = canny(truthGrey, cw, ch);
  const resultEdges = canny(resultGrey, cw, ch);
  const nearTruth = dilateDisc(truthEdges, cw, ch, TOLERANCE);
  const nearResult = dilateDisc(resultEdges, cw, ch, TOLERANCE);

  let resultIn = 0;
  let resultHit = 0;
  let truthIn = 0;
  let truthHit = 0;
  for (let i = 0; i < cw * ch; i++) {
    if (holeCrop[i] === 0) continue;
    if (resultEdges[i] !== 0) {
      resultIn++;
      if (nearTruth[i] !== 0) resultHit++;
    }
    if (truthEdges[i] !== 0) {
      truthIn++;
      if (nearResult[i] !== 0) truthHit++;
    }
  }
  let edgeF = Number.NaN;
  let precision = Number.NaN;
  let recall = Number.NaN;
  if (resultIn + truthIn > 0) {
    precision = resultIn === 0 ? 0 : resultHit / resultIn;
    recall = truthIn === 0 ? 0 : truthHit / truthIn;
    edgeF = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }

  let points = 0;
  let hits = 0;
  for (const s of detectSegments(truthGrey, cw, ch, { minLength: MIN_SEGMENT })) {
    const length = Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
    const steps = Math.floor(length);
    let inside = 0;
    let outside = 0;
    let found = 0;
    for (let k = 0; k <= steps; k++) {
      const x = Math.round(s.x1 + ((s.x2 - s.x1) * k) / steps - 0.5);
      const y = Math.round(s.y1 + ((s.y2 - s.y1) * k) / steps - 0.5);
      if (x < 0 || y < 0 || x >= cw || y >= ch) continue;
      const i = y * cw + x;
      if (holeCrop[i] === 0) {
        outside++;
        continue;
      }
      inside++;
      if (nearResult[i] !== 0) found++;
    }
    // A segment that enters the hole: visible outside it over ≥ 10 px, ≥ 5 px inside.
    if (outside < 10 || inside < 5) continue;
    points += inside;
    hits += found;
  }
  return { lineR: points === 0 ? Number.NaN : hits / points, edgeF, edgeP: precision, edgeR: recall, linePoints: points };
}
