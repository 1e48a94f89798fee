/**
 * Feature points for aligning two photos of one scene: Multi-Scale Oriented
 * Patches (Brown, Szeliski & Winder, CVPR 2005).
 *   - A pyramid with a step of ∛2 between levels (MOPS uses 1.5): a zoomed
 *     reference's corners then find a level within 12 % of their scale in
 *     the photo's pyramid, close enough for the descriptor to match.
 *   - Harris corners per level, scored by the harmonic mean det(H)/tr(H) of
 *     the smoothed structure tensor (§2), refined to sub-pixel by a
 *     quadratic fit.
 *   - Adaptive non-maximal suppression (§3), so the points spread over the
 *     image instead of piling up on its most textured part; per level, with
 *     a share of the points in proportion to the level's area. Over all
 *     levels at once, a corner kept only at its strongest level in each
 *     photo, and Harris strength does not select a scale, so under a zoom
 *     the two photos kept one corner at unrelated levels and it could not
 *     match.
 *   - Orientation from the gradient around the point, weighted by a Gaussian
 *     of σ = 4.5 (MOPS's σ_o), summed at the point only instead of blurring
 *     whole levels.
 *   - An 8×8 descriptor sampled every 5 pixels from a blurred copy (the
 *     level about 1.5× coarser, as in MOPS) along that
 *     orientation, bias/gain normalised (§2.2), so exposure and white-balance
 *     changes between the photos do not matter.
 */
import { boxBlur, type GreyImage, gaussianBlur, resizeBilinear, sampleBilinear } from "./grey.js";

/** Detected points in working-image coordinates, with 64-float descriptors. */
export interface Features {
  count: number;
  x: Float32Array;
  y: Float32Array;
  /** Pyramid scale of each point (1 at the working resolution). */
  scale: Float32Array;
  descriptors: Float32Array;
}

export interface FeatureOptions {
  /** Points kept after suppression. Default 800. */
  maxPoints?: number;
  /** Working pixels where no point may sit (its window would see them); 1 = excluded. */
  exclude?: Uint8Array;
}

export const DESCRIPTOR_SIZE = 64;
const LEVEL_STEP = 2 ** (1 / 3);
/** Descriptors are sampled this many levels up (LEVEL_STEP² ≈ 1.59 coarser). */
const SAMPLING_LEVELS_UP = 2;
const MAX_LEVELS = 16;
const MIN_LEVEL_SIDE = 48;
const HARRIS_THRESHOLD = 10;
const MIN_HARRIS_THRESHOLD = 1;
const RELATIVE_THRESHOLD = 0.05;
/** Half the diagonal of the 40×40 sampling window, in level pixels. */
const WINDOW_RADIUS = 29;
const SUPPRESSION_ROBUSTNESS = 0.9;
const MAX_CANDIDATES = 3000;

interface Candidate {
  x: number;
  y: number;
  level: number;
  strength: number;
}

/** Detects MOPS features in a greyscale working image. */
export function detectFeatures(img: GreyImage, options: FeatureOptions = {}): Features {
  const maxPoints = options.maxPoints ?? 800;
  const levels: GreyImage[] = [gaussianBlur(img, 1)];
  const scales = [1];
  for (;;) {
    const prev = levels[levels.length - 1];
    const w = Math.floor(prev.width / LEVEL_STEP);
    const h = Math.floor(prev.height / LEVEL_STEP);
    if (Math.min(w, h) < MIN_LEVEL_SIDE || levels.length >= MAX_LEVELS) break;
    levels.push(resizeBilinear(gaussianBlur(prev, 0.6 * LEVEL_STEP), w, h));
    scales.push(img.width / w);
  }
  let candidates: Candidate[] = [];
  // The top levels only serve as the blurred sampling levels of those below.
  for (let l = 0; l < levels.length - SAMPLING_LEVELS_UP; l++)
    harrisCorners(levels[l], l, scales[l], img.width, options.exclude, candidates);
  candidates.sort((a, b) => b.strength - a.strength);
  // MOPS's absolute threshold, lowered for soft or low-contrast photos (a
  // blurred background, a dark scene, a flattening tone curve) down to a
  // fraction of the image's own strongest corners, so they still get points.
  const top = candidates.length > 0 ? candidates[Math.min(candidates.length - 1, 50)].strength : 0;
  const threshold = Math.min(HARRIS_THRESHOLD, Math.max(MIN_HARRIS_THRESHOLD, RELATIVE_THRESHOLD * top));
  candidates = candidates.filter((c) => c.strength >= threshold);
  const chosen: Candidate[] = [];
  const detecting = levels.length - SAMPLING_LEVELS_UP;
  let area = 0;
  for (let l = 0; l < detecting; l++) area += levels[l].width * levels[l].height;
  for (let l = 0; l < detecting; l++) {
    const share = (levels[l].width * levels[l].height) / area;
    const own = candidates.filter((c) => c.level === l);
    const limit = Math.ceil(2 * MAX_CANDIDATES * share);
    if (own.length > limit) own.length = limit;
    for (const c of suppress(own, scales, Math.ceil(maxPoints * share))) chosen.push(c);
  }

  const xs = new Float32Array(chosen.length);
  const ys = new Float32Array(chosen.length);
  const ss = new Float32Array(chosen.length);
  const desc = new Float32Array(chosen.length * DESCRIPTOR_SIZE);
  let n = 0;
  for (const c of chosen) {
    // MOPS samples a coarser level: blurred, and about 1.5× fewer pixels per window.
    const up = levels[c.level + SAMPLING_LEVELS_UP];
    const ratio = scales[c.level + SAMPLING_LEVELS_UP] / scales[c.level];
    const ux = (c.x + 0.5) / ratio - 0.5;
    const uy = (c.y + 0.5) / ratio - 0.5;
    const [gx, gy] = dominantGradient(up, ux, uy);
    const norm = Math.hypot(gx, gy);
    const cos = norm > 1e-6 ? gx / norm : 1;
    const sin = norm > 1e-6 ? gy / norm : 0;
    if (!describe(up, ux, uy, cos, sin, desc, n * DESCRIPTOR_SIZE, 5 / ratio)) continue;
    const s = scales[c.level];
    xs[n] = (c.x + 0.5) * s - 0.5;
    ys[n] = (c.y + 0.5) * s - 0.5;
    ss[n] = s;
    n++;
  }
  return {
    count: n,
    x: xs.subarray(0, n),
    y: ys.subarray(0, n),
    scale: ss.subarray(0, n),
    descriptors: desc.subarray(0, n * DESCRIPTOR_SIZE),
  };
}

/** Harris local maxima of one level, pushed in level coordinates. */
function harrisCorners(
  img: GreyImage,
  level: number,
  scale: number,
  baseWidth: number,
  exclude: Uint8Array | undefined,
  out: Candidate[],
): void {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const xx = new Float32Array(n);
  const yy = new Float32Array(n);
  const xy = new Float32Array(n);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1, p = y * w + 1; x < w - 1; x++, p++) {
      const gx = 0.5 * (data[p + 1] - data[p - 1]);
      const gy = 0.5 * (data[p + w] - data[p - w]);
      xx[p] = gx * gx;
      yy[p] = gy * gy;
      xy[p] = gx * gy;
    }
  }
  // Two 5×5 box passes ≈ the integration Gaussian of σ ≈ 2 (MOPS: σ_i = 1.5).
  const smooth = (p: Float32Array) => boxBlur(boxBlur({ width: w, height: h, data: p }, 2), 2).data;
  const sxx = smooth(xx);
  const syy = smooth(yy);
  const sxy = smooth(xy);
  const f = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const tr = sxx[p] + syy[p];
    f[p] = tr > 1e-6 ? (sxx[p] * syy[p] - sxy[p] * sxy[p]) / tr : 0;
  }
  const margin = WINDOW_RADIUS + 1;
  const baseHeight = exclude ? exclude.length / baseWidth : 0;
  for (let y = margin; y < h - margin; y++) {
    for (let x = margin, p = y * w + margin; x < w - margin; x++, p++) {
      const v = f[p];
      if (v < MIN_HARRIS_THRESHOLD) continue;
      if (
        v <= f[p - 1] ||
        v <= f[p + 1] ||
        v <= f[p - w] ||
        v <= f[p + w] ||
        v <= f[p - w - 1] ||
        v <= f[p - w + 1] ||
        v <= f[p + w - 1] ||
        v <= f[p + w + 1]
      ) {
        continue;
      }
      const dx = quadraticPeak(f[p - 1], v, f[p + 1]);
      const dy = quadraticPeak(f[p - w], v, f[p + w]);
      const cx = x + dx;
      const cy = y + dy;
      if (exclude && isExcluded(exclude, baseWidth, baseHeight, (cx + 0.5) * scale - 0.5, (cy + 0.5) * scale - 0.5)) continue;
      out.push({ x: cx, y: cy, level, strength: v });
    }
  }
}

function quadraticPeak(a: number, b: number, c: number): number {
  const d = a - 2 * b + c;
  if (d >= 0) return 0;
  const o = (0.5 * (a - c)) / d;
  return o < -0.5 ? -0.5 : o > 0.5 ? 0.5 : o;
}

function isExcluded(exclude: Uint8Array, w: number, h: number, x: number, y: number): boolean {
  const ix = Math.round(x);
  const iy = Math.round(y);
  return ix < 0 || iy < 0 || ix >= w || iy >= h || exclude[iy * w + ix] !== 0;
}

/**
 * Adaptive non-maximal suppression: each point's radius is the distance to
 * the nearest point that is clearly stronger; the `count` largest radii win.
 * Candidates arrive sorted by strength, so only earlier ones can suppress.
 */
function suppress(c: Candidate[], scales: number[], count: number): Candidate[] {
  if (c.length <= count) return c;
  const n = c.length;
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = scales[c[i].level];
    px[i] = (c[i].x + 0.5) * s;
    py[i] = (c[i].y + 0.5) * s;
  }
  const radius = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Number.POSITIVE_INFINITY;
    const limit = c[i].strength / SUPPRESSION_ROBUSTNESS;
    for (let j = 0; j < i; j++) {
      if (c[j].strength < limit) break;
      const dx = px[i] - px[j];
      const dy = py[i] - py[j];
      const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    radius[i] = best;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => radius[b] - radius[a]);
  return order.slice(0, count).map((i) => c[i]);
}

/** Gaussian-weighted sum of central-difference gradients on a 9×9 grid (σ = 3 pixels of the sampling level, about 4.8 detection-level pixels). */
function dominantGradient(img: GreyImage, x: number, y: number): [number, number] {
  let gx = 0;
  let gy = 0;
  for (let j = -4; j <= 4; j++) {
    for (let i = -4; i <= 4; i++) {
      const u = x + i;
      const v = y + j;
      const w = Math.exp(-(i * i + j * j) / (2 * 3 * 3));
      gx += w * (sampleBilinear(img, u + 1, v) - sampleBilinear(img, u - 1, v));
      gy += w * (sampleBilinear(img, u, v + 1) - sampleBilinear(img, u, v - 1));
    }
  }
  return [gx, gy];
}

/** Writes the normalised 8×8 descriptor; false for a flat patch. */
function describe(img: GreyImage, x: number, y: number, cos: number, sin: number, out: Float32Array, o: number, spacing: number): boolean {
  let sum = 0;
  for (let j = 0, k = o; j < 8; j++) {
    const v = (j - 3.5) * spacing;
    for (let i = 0; i < 8; i++, k++) {
      const u = (i - 3.5) * spacing;
      const s = sampleBilinear(img, x + u * cos - v * sin, y + u * sin + v * cos);
      out[k] = s;
      sum += s;
    }
  }
  const mean = sum / DESCRIPTOR_SIZE;
  let sq = 0;
  for (let k = o; k < o + DESCRIPTOR_SIZE; k++) {
    out[k] -= mean;
    sq += out[k] * out[k];
  }
  const std = Math.sqrt(sq / DESCRIPTOR_SIZE);
  if (std < 1) return false;
  for (let k = o; k < o + DESCRIPTOR_SIZE; k++) out[k] /= std;
  return true;
}
