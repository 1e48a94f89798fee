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
import { type GreyImage, gaussianBlur, gaussianBlurInto, gaussianKernel, sampleBilinear } from "./grey.js";
import { blurShrinkInWasm, harrisInWasm } from "./wasm/align.js";

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
  /** The pyramid and the Harris response in WebAssembly where it runs (the same bytes). Default true. */
  kernel?: boolean;
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
  const kernel = options.kernel ?? true;
  const { levels, scales } = featurePyramid(img, kernel);
  let candidates: Candidate[] = [];
  // The top levels only serve as the blurred sampling levels of those below.
  const scratch = new HarrisScratch(img.width * img.height, img.width, kernel);
  for (let l = 0; l < levels.length - SAMPLING_LEVELS_UP; l++)
    harrisCorners(levels[l], harrisResponse(levels[l], scratch), l, scales[l], img.width, options.exclude, candidates);
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

/**
 * The Gaussian pyramid: the image blurred by σ = 1, then each level blurred
 * by 0.6·step and shrunk bilinearly by the step; each step in WebAssembly
 * where it runs (the same bytes) unless `kernel` is false. The TypeScript
 * blur's two scratch planes are shared by all levels and the shrink reads
 * them directly.
 */
export function featurePyramid(img: GreyImage, kernel = true): { levels: GreyImage[]; scales: number[] } {
  const levels: GreyImage[] = [gaussianBlur(img, 1, 3, undefined, kernel)];
  const scales = [1];
  const { k, r } = gaussianKernel(0.6 * LEVEL_STEP);
  let tmp: Float32Array | null = null;
  let blurred: Float32Array | null = null;
  for (;;) {
    const prev = levels[levels.length - 1];
    const w = Math.floor(prev.width / LEVEL_STEP);
    const h = Math.floor(prev.height / LEVEL_STEP);
    if (Math.min(w, h) < MIN_LEVEL_SIDE || levels.length >= MAX_LEVELS) break;
    const shrunk = kernel ? blurShrinkInWasm(prev.data, prev.width, prev.height, k, r, w, h) : null;
    if (shrunk) {
      levels.push({ width: w, height: h, data: shrunk });
    } else {
      tmp ??= new Float32Array(img.width * img.height);
      blurred ??= new Float32Array(img.width * img.height);
      gaussianBlurInto(prev.data, prev.width, prev.height, k, r, tmp, blurred);
      levels.push(shrinkBilinear(blurred, prev.width, prev.height, w, h));
    }
    scales.push(img.width / w);
  }
  return { levels, scales };
}

/**
 * Bilinear resize of a `sw`×`sh` plane to `w`×`h` with pixel centres
 * aligned (the caller has blurred it), each column's and row's source index
 * and weight worked out once; per pixel, `sampleBilinear`'s arithmetic.
 */
function shrinkBilinear(src: Float32Array, sw: number, sh: number, w: number, h: number): GreyImage {
  const out = new Float32Array(w * h);
  const image = { width: sw, height: sh, data: src };
  const sx = sw / w;
  const sy = sh / h;
  if (sw < 2 || sh < 2) {
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[y * w + x] = sampleBilinear(image, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5);
    return { width: w, height: h, data: out };
  }
  const col = new Int32Array(w);
  const colWeight = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const u = (x + 0.5) * sx - 0.5;
    const cx = u < 0 ? 0 : u > sw - 1 ? sw - 1 : u;
    col[x] = Math.min(sw - 2, Math.floor(cx));
    colWeight[x] = cx - col[x];
  }
  for (let y = 0; y < h; y++) {
    const v = (y + 0.5) * sy - 0.5;
    const cy = v < 0 ? 0 : v > sh - 1 ? sh - 1 : v;
    const y0 = Math.min(sh - 2, Math.floor(cy));
    const fy = cy - y0;
    const row = y0 * sw;
    for (let x = 0, o = y * w; x < w; x++, o++) {
      const p = row + col[x];
      const fx = colWeight[x];
      const top = src[p] + fx * (src[p + 1] - src[p]);
      const bottom = src[p + sw] + fx * (src[p + sw + 1] - src[p + sw]);
      out[o] = top + fy * (bottom - top);
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Planes for `harrisResponse`, sized for the pyramid's base level and reused
 * by every level; with `kernel`, the response is computed in WebAssembly
 * where it runs (the same bytes), and the TypeScript's planes are made only
 * if it does not.
 */
export class HarrisScratch {
  readonly response: Float32Array;
  private made: HarrisPlanes | null = null;

  constructor(
    private readonly pixels: number,
    private readonly width: number,
    readonly kernel = false,
  ) {
    this.response = new Float32Array(pixels);
  }

  /** The TypeScript's row, column-sum and pass planes, made on first use. */
  planes(): HarrisPlanes {
    if (this.made === null) {
      const [w, n] = [this.width, this.pixels];
      this.made = {
        rowXX: new Float32Array(w),
        rowYY: new Float32Array(w),
        rowXY: new Float32Array(w),
        accXX: new Float64Array(w),
        accYY: new Float64Array(w),
        accXY: new Float64Array(w),
        firstXX: new Float32Array(n),
        firstYY: new Float32Array(n),
        firstXY: new Float32Array(n),
        secondXX: new Float32Array(n),
        secondYY: new Float32Array(n),
        secondXY: new Float32Array(n),
      };
    }
    return this.made;
  }
}

interface HarrisPlanes {
  rowXX: Float32Array;
  rowYY: Float32Array;
  rowXY: Float32Array;
  accXX: Float64Array;
  accYY: Float64Array;
  accXY: Float64Array;
  firstXX: Float32Array;
  firstYY: Float32Array;
  firstXY: Float32Array;
  secondXX: Float32Array;
  secondYY: Float32Array;
  secondXY: Float32Array;
}

/** Box radius of the structure tensor's smoothing: two 5×5 box passes ≈ the integration Gaussian of σ ≈ 2 (MOPS: σ_i = 1.5). */
const TENSOR_BOX = 2;

/**
 * Harris response det/tr of the smoothed structure tensor (central
 * differences; the border rows and columns have no gradient), the smoothing
 * being a running-sum 5×5 box filter, twice, on each of xx, yy and xy. The three
 * planes go through each pass together; the first blur's vertical pass
 * feeds the second's horizontal pass row by row, and the second's vertical
 * pass feeds the response, so neither the gradients nor the smoothed tensor
 * is ever stored as a plane. Returns `scratch.response` (valid for w·h).
 */
export function harrisResponse(img: GreyImage, scratch: HarrisScratch): Float32Array {
  const { width: w, height: h, data } = img;
  if (scratch.kernel && harrisInWasm(data, w, h, TENSOR_BOX, scratch.response)) return scratch.response;
  const { rowXX, rowYY, rowXY, accXX, accYY, accXY, firstXX, firstYY, firstXY, secondXX, secondYY, secondXY } = scratch.planes();
  const f = scratch.response;
  const r = TENSOR_BOX;
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    if (y === 0 || y === h - 1) {
      rowXX.fill(0, 0, w);
      rowYY.fill(0, 0, w);
      rowXY.fill(0, 0, w);
    } else {
      rowXX[0] = rowYY[0] = rowXY[0] = 0;
      rowXX[w - 1] = rowYY[w - 1] = rowXY[w - 1] = 0;
      for (let x = 1, p = y * w + 1; x < w - 1; x++, p++) {
        const gx = 0.5 * (data[p + 1] - data[p - 1]);
        const gy = 0.5 * (data[p + w] - data[p - w]);
        rowXX[x] = gx * gx;
        rowYY[x] = gy * gy;
        rowXY[x] = gx * gy;
      }
    }
    const o = y * w;
    boxRow(rowXX, firstXX, o, w, r, inv);
    boxRow(rowYY, firstYY, o, w, r, inv);
    boxRow(rowXY, firstXY, o, w, r, inv);
  }
  startColumns(firstXX, accXX, w, h, r);
  startColumns(firstYY, accYY, w, h, r);
  startColumns(firstXY, accXY, w, h, r);
  for (let y = 0; y < h; y++) {
    const add = (y + r + 1 >= h ? h - 1 : y + r + 1) * w;
    const sub = (y - r < 0 ? 0 : y - r) * w;
    columnRow(firstXX, accXX, rowXX, add, sub, w, inv);
    columnRow(firstYY, accYY, rowYY, add, sub, w, inv);
    columnRow(firstXY, accXY, rowXY, add, sub, w, inv);
    const o = y * w;
    boxRow(rowXX, secondXX, o, w, r, inv);
    boxRow(rowYY, secondYY, o, w, r, inv);
    boxRow(rowXY, secondXY, o, w, r, inv);
  }
  startColumns(secondXX, accXX, w, h, r);
  startColumns(secondYY, accYY, w, h, r);
  startColumns(secondXY, accXY, w, h, r);
  for (let y = 0; y < h; y++) {
    const add = (y + r + 1 >= h ? h - 1 : y + r + 1) * w;
    const sub = (y - r < 0 ? 0 : y - r) * w;
    columnRow(secondXX, accXX, rowXX, add, sub, w, inv);
    columnRow(secondYY, accYY, rowYY, add, sub, w, inv);
    columnRow(secondXY, accXY, rowXY, add, sub, w, inv);
    for (let x = 0, p = y * w; x < w; x++, p++) {
      const sxx = rowXX[x];
      const syy = rowYY[x];
      const sxy = rowXY[x];
      const tr = sxx + syy;
      f[p] = tr > 1e-6 ? (sxx * syy - sxy * sxy) / tr : 0;
    }
  }
  return f;
}

/** One row of a box filter by running sum, with clamped edges: `src` (w long) into `dst` at offset `o`. */
function boxRow(src: Float32Array, dst: Float32Array, o: number, w: number, r: number, inv: number): void {
  let acc = 0;
  for (let i = -r; i <= r; i++) acc += src[i < 0 ? 0 : i >= w ? w - 1 : i];
  const inner = w - r - 1;
  const head = Math.min(r, w);
  let x = 0;
  for (; x < head; x++) {
    dst[o + x] = acc * inv;
    const add = x + r + 1;
    acc += src[add >= w ? w - 1 : add] - src[0];
  }
  for (; x < inner; x++) {
    dst[o + x] = acc * inv;
    acc += src[x + r + 1] - src[x - r];
  }
  for (; x < w; x++) {
    dst[o + x] = acc * inv;
    const sub = x - r;
    acc += src[w - 1] - src[sub < 0 ? 0 : sub];
  }
}

/** The running column sums of a box filter at row 0, with clamped edges. */
function startColumns(plane: Float32Array, acc: Float64Array, w: number, h: number, r: number): void {
  acc.fill(0, 0, w);
  for (let i = -r; i <= r; i++) {
    const row = (i < 0 ? 0 : i >= h ? h - 1 : i) * w;
    for (let x = 0; x < w; x++) acc[x] += plane[row + x];
  }
}

/** One output row of a box filter's vertical pass into `out`, then the running sums step down a row. */
function columnRow(plane: Float32Array, acc: Float64Array, out: Float32Array, add: number, sub: number, w: number, inv: number): void {
  for (let x = 0; x < w; x++) {
    out[x] = acc[x] * inv;
    acc[x] += plane[add + x] - plane[sub + x];
  }
}

/** Harris local maxima of one level's response `f`, pushed in level coordinates. */
function harrisCorners(
  img: GreyImage,
  f: Float32Array,
  level: number,
  scale: number,
  baseWidth: number,
  exclude: Uint8Array | undefined,
  out: Candidate[],
): void {
  const { width: w, height: h } = img;
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
