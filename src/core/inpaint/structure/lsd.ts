/**
 * LSD, the line segment detector of Grompone von Gioi, Jakubowicz, Morel and
 * Randall ("LSD: a Line Segment Detector", IPOL 2012), on a grey plane.
 *
 * 1. A Gaussian prefilter (σ = 0.6/0.8 px, the paper's anti-staircase blur;
 *    the 0.8 subsampling itself is left out so coordinates stay in pixels).
 * 2. Gradient on 2×2 stencils; the level-line angle of each pixel, pixels
 *    whose gradient is below ρ = q / sin τ (q = 2, τ = 22.5°) are unusable.
 * 3. Seeds in decreasing gradient order (pseudo-sorted in 1024 bins); each
 *    grows an 8-connected region of pixels whose level-line angle is within τ
 *    of the region's mean angle.
 * 4. Each region is approximated by the rectangle of its gradient-weighted
 *    inertia; a rectangle with too few aligned points (density < 0.7) is
 *    retried once from a tighter region around the seed (the paper's refinement).
 * 5. The a-contrario test: NFA = (XY)^(5/2) · B(n, k, p) with p = τ/π; the
 *    segment is kept when NFA ≤ 1 (ε = 1).
 * An optional `allowed` plane restricts the work to a band of pixels (used
 * around a hole: nothing inside the hole is looked at). Pure; typed arrays.
 * Steps 1–4 run in WebAssembly where it runs (`wasm/lsd.ts`, the same
 * segments); step 5, which needs logarithms, reads the kernel's counts here.
 */
import { float32Scratch, float64Scratch, int32Scratch, type Scratch, uint8Scratch } from "../../scratch.js";
import { CANDIDATE_RECORD, type LsdCandidates, lsdCandidatesInWasm } from "../wasm/lsd.js";
import { gaussianBlurInWasm } from "../wasm/structure.js";

/** A detected segment, in pixel coordinates of the input plane. */
export interface LineSegment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Width of the segment's rectangle, in pixels. */
  width: number;
  /** −log10 of the number of false alarms: larger is more meaningful. */
  logNfa: number;
  /** Mean gradient magnitude of the region's pixels (grey levels per pixel). */
  contrast: number;
}

export interface LsdOptions {
  /** Only pixels with a non-zero value here are used (default: all). */
  allowed?: Uint8Array;
  /** Segments shorter than this are dropped (pixels). Default 0. */
  minLength?: number;
  /** Gradient magnitude (grey levels per px) at or below which a pixel is unusable. Default ρ = 2 / sin τ ≈ 5.2. */
  threshold?: number;
  /**
   * Filled when given: how many allowed pixels have a gradient, and how many
   * of those exceed `faint` (grey levels per px), so a caller can judge how
   * busy the band is without a pass of its own.
   */
  census?: { faint: number; pixels: number; above: number };
  /** Steps 1–4 in WebAssembly where it runs (the same segments). Default true. */
  kernel?: boolean;
}

/**
 * `detectSegments`' per-pixel planes and `gaussianBlur`'s row pass, kept
 * between calls (see scratch.ts): 1.6 MB for a 1K stroke's analysis image.
 */
const lsdScratch = {
  angle: float32Scratch(),
  magnitude: float32Scratch(),
  cos: float64Scratch(),
  sin: float64Scratch(),
  state: uint8Scratch(),
  usable: int32Scratch(),
  region: int32Scratch(),
  blurRows: float32Scratch(),
  blurred: float32Scratch(),
  rowNeed: uint8Scratch(),
  bins: int32Scratch(),
  order: int32Scratch(),
};

const TAU = Math.PI / 8;
const PRECISION = 1 / 8;
const RHO = 2 / Math.sin(TAU);
const BINS = 1024;
const UNUSABLE = 2;
const USED = 1;

/** Detects line segments in a grey plane (values 0–255, row stride = width). */
export function detectSegments(grey: Float32Array, width: number, height: number, options: LsdOptions = {}): LineSegment[] {
  const w = width;
  const h = height;
  if (w < 3 || h < 3) return [];
  const logTests = 2.5 * (Math.log10(w) + Math.log10(h));
  if (options.kernel !== false) {
    const { kernel, radius } = blurWeights(0.6 / 0.8);
    const faint = options.census?.faint ?? Number.POSITIVE_INFINITY;
    const found = lsdCandidatesInWasm(
      grey,
      w,
      h,
      kernel,
      radius,
      options.allowed,
      options.threshold ?? RHO,
      faint,
      options.minLength ?? 0,
      TAU,
    );
    if (found !== null) {
      if (options.census !== undefined) {
        options.census.above = found.above;
        options.census.pixels = found.pixels;
      }
      return meaningful(found, logTests);
    }
  }
  const blurred = gaussianBlur(grey, w, h, 0.6 / 0.8, options.allowed, lsdScratch.blurred.take(w * h, true), lsdScratch.rowNeed);
  const angle = lsdScratch.angle.take(w * h, true);
  const magnitude = lsdScratch.magnitude.take(w * h, true);
  // The cosine and sine of each usable pixel's (float32) angle, computed once: region growing and the rectangle's mean
  // angle read them for every pixel they take, often twice (the refinement regrows).
  const cosA = lsdScratch.cos.take(w * h, true);
  const sinA = lsdScratch.sin.take(w * h, true);
  const state = lsdScratch.state.take(w * h, true);
  // Usable pixels in scan order, so that the ordering below visits only them.
  const usableList = lsdScratch.usable.take(w * h, true);
  let usable = 0;
  const allowed = options.allowed;
  const rho = options.threshold ?? RHO;
  const census = options.census;
  const faint = census?.faint ?? Number.POSITIVE_INFINITY;
  let above = 0;
  let pixels = 0;
  let maxMagnitude = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      // The 2×2 stencil must lie in the allowed band: a gradient across its border (into a hole) is no edge.
      if (
        x === w - 1 ||
        y === h - 1 ||
        (allowed !== undefined && (allowed[i] & allowed[i + 1] & allowed[i + w] & allowed[i + w + 1]) === 0)
      ) {
        state[i] = UNUSABLE;
        continue;
      }
      const a = blurred[i];
      const b = blurred[i + 1];
      const c = blurred[i + w];
      const d = blurred[i + w + 1];
      const gx = (b + d - a - c) / 2;
      const gy = (c + d - a - b) / 2;
      const m = Math.sqrt(gx * gx + gy * gy);
      magnitude[i] = m;
      pixels++;
      if (m > faint) above++;
      if (m <= rho) state[i] = UNUSABLE;
      else {
        angle[i] = Math.atan2(gx, -gy);
        // The direction's cosine and sine from the gradient itself (exact IEEE operations): the same bits in the
        // WebAssembly kernel, where Math.cos and Math.sin differ from V8's in the last bit.
        cosA[i] = -gy / m;
        sinA[i] = gx / m;
        usableList[usable++] = i;
        if (m > maxMagnitude) maxMagnitude = m;
      }
    }
  }
  if (census !== undefined) {
    census.above = above;
    census.pixels = pixels;
  }
  if (maxMagnitude === 0) return [];
  // Pseudo-ordering: counting sort of usable pixels into magnitude bins, strongest first.
  const top = maxMagnitude * 1.0001;
  const bins = lsdScratch.bins.take(usable, false);
  const counts = new Int32Array(BINS + 1);
  for (let u = 0; u < usable; u++) {
    const b = BINS - 1 - Math.min(BINS - 1, Math.floor((magnitude[usableList[u]] * BINS) / top));
    bins[u] = b;
    counts[b]++;
  }
  for (let b = 1; b <= BINS; b++) counts[b] += counts[b - 1];
  const order = lsdScratch.order.take(usable, false);
  const start = new Int32Array(BINS);
  for (let b = 1; b < BINS; b++) start[b] = counts[b - 1];
  for (let u = 0; u < usable; u++) order[start[bins[u]]++] = usableList[u];

  const region = lsdScratch.region.take(w * h, true);
  const minLength = options.minLength ?? 0;
  const out: LineSegment[] = [];
  for (let o = 0; o < order.length; o++) {
    const seed = order[o];
    if (state[seed] !== 0) continue;
    let n = growRegion(seed, TAU, angle, cosA, sinA, state, w, h, region);
    if (n < 2) {
      state[region[0]] = 0;
      continue;
    }
    // A segment is no longer than the diagonal of its region's bounding box, so a region whose box is too small would
    // fail the length test below: skip its rectangle, density and refinement. This leaves its pixels used where the
    // refinement would have freed those its tighter regrowth left out; the bands came out identical on all 58 bench
    // cases (structure, object and large holes at 1024 and 2048).
    if (minLength > 0 && regionSpan(region, n, w) + 1 < minLength) continue;
    let rect = regionRectangle(region, n, magnitude, cosA, sinA, w);
    let density = alignedDensity(rect, angle, state, w, h, TAU);
    if (density < 0.7) {
      // Refinement: regrow from the seed with the tolerance the region really shows.
      for (let k = 0; k < n; k++) state[region[k]] = 0;
      const spread = angleSpread(region, n, seed, angle, w, rect.width);
      n = growRegion(seed, Math.max(spread, TAU / 4), angle, cosA, sinA, state, w, h, region);
      if (n < 2) {
        for (let k = 0; k < n; k++) state[region[k]] = 0;
        state[seed] = USED;
        continue;
      }
      // The regrown region is final: too small for minLength, it is dropped below whatever its density.
      if (minLength > 0 && regionSpan(region, n, w) + 1 < minLength) continue;
      rect = regionRectangle(region, n, magnitude, cosA, sinA, w);
      density = alignedDensity(rect, angle, state, w, h, TAU);
      if (density < 0.7) continue;
    }
    // The length first: the NFA only reads, so testing it second changes nothing but the work.
    const length = distance(rect.x2 - rect.x1, rect.y2 - rect.y1);
    if (length < minLength) continue;
    const logNfa = rectangleLogNfa(rect, angle, state, w, h, logTests, allowed);
    if (logNfa < 0) continue;
    let contrast = 0;
    for (let k = 0; k < n; k++) contrast += magnitude[region[k]];
    out.push({
      x1: rect.x1 + 0.5,
      y1: rect.y1 + 0.5,
      x2: rect.x2 + 0.5,
      y2: rect.y2 + 0.5,
      width: rect.width,
      logNfa,
      contrast: contrast / n,
    });
  }
  return out;
}

/** The kernel's candidates that pass the a-contrario test (step 5), as segments. */
function meaningful(found: LsdCandidates, logTests: number): LineSegment[] {
  const out: LineSegment[] = [];
  const r = found.records;
  for (let c = 0; c < found.count; c++) {
    const at = c * CANDIDATE_RECORD;
    const logNfa = logNfaOf(r[at + 5], r[at + 6], logTests);
    if (logNfa < 0) continue;
    out.push({
      x1: r[at] + 0.5,
      y1: r[at + 1] + 0.5,
      x2: r[at + 2] + 0.5,
      y2: r[at + 3] + 0.5,
      width: r[at + 4],
      logNfa,
      contrast: r[at + 7] / r[at + 8],
    });
  }
  return out;
}

/** Diagonal of the bounding box of a region's pixel centres: no segment fitted to it is longer. */
function regionSpan(region: Int32Array, n: number, w: number): number {
  let x0 = w;
  let x1 = -1;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = -1;
  for (let k = 0; k < n; k++) {
    const p = region[k];
    const x = p % w;
    const y = (p - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return distance(x1 - x0, y1 - y0);
}

/** √(dx² + dy²) by IEEE operations only (Math.hypot's last bit differs between runtimes). */
function distance(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

/** Angle difference wrapped to [0, π]. */
function angleDiff(a: number, b: number): number {
  let d = Math.abs(a - b);
  if (d > Math.PI) d = 2 * Math.PI - d;
  return d;
}

/** 8-connected region growing of pixels aligned with the region's running mean angle; returns its size. */
function growRegion(
  seed: number,
  tolerance: number,
  angle: Float32Array,
  cosA: Float64Array,
  sinA: Float64Array,
  state: Uint8Array,
  w: number,
  h: number,
  region: Int32Array,
): number {
  let n = 1;
  region[0] = seed;
  state[seed] = USED;
  let sumCos = cosA[seed];
  let sumSin = sinA[seed];
  let regionAngle = angle[seed];
  for (let k = 0; k < n; k++) {
    const p = region[k];
    const px = p % w;
    const py = (p - px) / w;
    for (let dy = -1; dy <= 1; dy++) {
      const y = py + dy;
      if (y < 0 || y >= h) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const x = px + dx;
        if (x < 0 || x >= w) continue;
        const q = y * w + x;
        if (state[q] !== 0 || angleDiff(angle[q], regionAngle) > tolerance) continue;
        state[q] = USED;
        region[n++] = q;
        sumCos += cosA[q];
        sumSin += sinA[q];
        regionAngle = Math.atan2(sumSin, sumCos);
      }
    }
  }
  return n;
}

interface Rectangle {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  width: number;
  /** Centre and unit direction along the segment. */
  cx: number;
  cy: number;
  dx: number;
  dy: number;
  /** Level-line angle of the segment (the region's). */
  theta: number;
}

/** The rectangle of a region: gradient-weighted centroid, principal inertia axis, extents. */
function regionRectangle(
  region: Int32Array,
  n: number,
  magnitude: Float32Array,
  cosA: Float64Array,
  sinA: Float64Array,
  w: number,
): Rectangle {
  let sum = 0;
  let cx = 0;
  let cy = 0;
  for (let k = 0; k < n; k++) {
    const p = region[k];
    const x = p % w;
    const m = magnitude[p];
    cx += m * x;
    cy += m * ((p - x) / w);
    sum += m;
  }
  cx /= sum;
  cy /= sum;
  let ixx = 0;
  let iyy = 0;
  let ixy = 0;
  let sumCos = 0;
  let sumSin = 0;
  for (let k = 0; k < n; k++) {
    const p = region[k];
    const x = (p % w) - cx;
    const y = (p - (p % w)) / w - cy;
    const m = magnitude[p];
    ixx += m * y * y;
    iyy += m * x * x;
    ixy -= m * x * y;
    sumCos += cosA[p];
    sumSin += sinA[p];
  }
  const regionAngle = Math.atan2(sumSin, sumCos);
  // Smallest eigenvalue's eigenvector of [[ixx, ixy], [ixy, iyy]] is the segment direction.
  const lambda = 0.5 * (ixx + iyy - Math.sqrt((ixx - iyy) * (ixx - iyy) + 4 * ixy * ixy));
  let theta = Math.abs(ixx) > Math.abs(iyy) ? Math.atan2(lambda - ixx, ixy) : Math.atan2(ixy, lambda - iyy);
  if (angleDiff(theta, regionAngle) > PRECISION * Math.PI * 4) theta += Math.PI;
  // The host's cos and sin, not a division: an axis-aligned rectangle's pixels depend on their last bit (a 1 px wide
  // one takes three rows with an exact 0), and the kernel imports these two for the same bits.
  const dx = Math.cos(theta);
  const dy = Math.sin(theta);
  let lMin = 0;
  let lMax = 0;
  let wMin = 0;
  let wMax = 0;
  for (let k = 0; k < n; k++) {
    const p = region[k];
    const x = (p % w) - cx;
    const y = (p - (p % w)) / w - cy;
    const l = x * dx + y * dy;
    const t = -x * dy + y * dx;
    if (l < lMin) lMin = l;
    if (l > lMax) lMax = l;
    if (t < wMin) wMin = t;
    if (t > wMax) wMax = t;
  }
  return {
    x1: cx + lMin * dx,
    y1: cy + lMin * dy,
    x2: cx + lMax * dx,
    y2: cy + lMax * dy,
    width: Math.max(1, wMax - wMin),
    cx,
    cy,
    dx,
    dy,
    theta,
  };
}

/**
 * Counts a rectangle's pixels (centres within half a pixel of it) and those
 * among them aligned with it: `total` and `aligned`. With `allowed`, only
 * allowed pixels count. One loop with no callback: the density and NFA tests
 * run it for every region.
 */
function countInRectangle(
  r: Rectangle,
  angle: Float32Array,
  state: Uint8Array,
  w: number,
  h: number,
  tolerance: number,
  allowed: Uint8Array | undefined,
  counts: Int32Array,
): void {
  const half = r.width / 2;
  const nx = -r.dy;
  const ny = r.dx;
  const ex = Math.abs(nx * half);
  const ey = Math.abs(ny * half);
  const x0 = Math.max(0, Math.floor(Math.min(r.x1, r.x2) - ex));
  const x1 = Math.min(w - 1, Math.ceil(Math.max(r.x1, r.x2) + ex));
  const y0 = Math.max(0, Math.floor(Math.min(r.y1, r.y2) - ey));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(r.y1, r.y2) + ey));
  const length = distance(r.x2 - r.x1, r.y2 - r.y1);
  const theta = r.theta;
  let total = 0;
  let aligned = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const ex = x - r.x1;
      const ey = y - r.y1;
      const l = ex * r.dx + ey * r.dy;
      const t = -ex * r.dy + ey * r.dx;
      if (l < -0.5 || l > length + 0.5 || t < -half - 0.5 || t > half + 0.5) continue;
      const i = y * w + x;
      if (allowed !== undefined && allowed[i] === 0) continue;
      total++;
      if (state[i] !== UNUSABLE && angleDiff(angle[i], theta) <= tolerance) aligned++;
    }
  }
  counts[0] = total;
  counts[1] = aligned;
}

const rectangleCounts = new Int32Array(2);

/** Share of a rectangle's pixels that are aligned with it (the region's density test). */
function alignedDensity(r: Rectangle, angle: Float32Array, state: Uint8Array, w: number, h: number, tolerance: number): number {
  countInRectangle(r, angle, state, w, h, tolerance, undefined, rectangleCounts);
  const total = rectangleCounts[0];
  return total === 0 ? 0 : rectangleCounts[1] / total;
}

/** Mean angular deviation of the region's pixels near the seed, for the refinement's tighter tolerance. */
function angleSpread(region: Int32Array, n: number, seed: number, angle: Float32Array, w: number, width: number): number {
  const sx = seed % w;
  const sy = (seed - sx) / w;
  const radius = Math.max(2, width);
  const farther = radius * radius * (1 + 1e-9);
  const nearer = radius * radius * (1 - 1e-9);
  let sum = 0;
  let sum2 = 0;
  let count = 0;
  for (let k = 0; k < n; k++) {
    const p = region[k];
    const x = p % w;
    // Integer offsets: their squared length decides, except within rounding of the radius, where the distance does.
    const ox = x - sx;
    const oy = (p - x) / w - sy;
    const d2 = ox * ox + oy * oy;
    if (d2 > farther || (d2 >= nearer && Math.sqrt(d2) > radius)) continue;
    const d = angle[p] - angle[seed];
    const wrapped = d > Math.PI ? d - 2 * Math.PI : d < -Math.PI ? d + 2 * Math.PI : d;
    sum += wrapped;
    sum2 += wrapped * wrapped;
    count++;
  }
  if (count < 2) return TAU;
  const mean = sum / count;
  return 2 * Math.sqrt(Math.max(0, sum2 / count - mean * mean));
}

/** −log10 NFA of a rectangle: log10 of the tests minus log10 of the binomial tail of its aligned points. */
function rectangleLogNfa(
  r: Rectangle,
  angle: Float32Array,
  state: Uint8Array,
  w: number,
  h: number,
  logTests: number,
  allowed?: Uint8Array,
): number {
  countInRectangle(r, angle, state, w, h, TAU, allowed, rectangleCounts);
  return logNfaOf(rectangleCounts[0], rectangleCounts[1], logTests);
}

/** −log10 NFA of a rectangle of `n` pixels, `k` of them aligned (step 5): both paths' test. */
function logNfaOf(n: number, k: number, logTests: number): number {
  return -logBinomialTail(n, k, PRECISION) - logTests;
}

/** log10 of P[X ≥ k] for X ~ Binomial(n, p), summed term by term from k (terms fall fast). */
function logBinomialTail(n: number, k: number, p: number): number {
  if (n === 0 || k === 0) return 0;
  if (k > n) return Number.NEGATIVE_INFINITY;
  const logTerm = (i: number) => logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log(1 - p);
  const first = logTerm(k);
  let sum = 1;
  let term = 1;
  for (let i = k + 1; i <= n; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return (first + Math.log(sum)) / Math.LN10;
}

/** ln Γ(x) by Lanczos' approximation (g = 7, 9 terms). */
function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = g[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Where a vertical pass of radius `radius` reads: 1 on every pixel within
 * `radius` rows (same column) of a pixel set in `need`. Two running counts
 * per column (down, then up) instead of `2·radius + 1` stores per needed pixel.
 * `into`, a zeroed plane of w·h values, receives the result instead of a fresh array.
 */
export function rowsReadBy(need: Uint8Array, w: number, h: number, radius: number, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(w * h);
  // Rows still to mark in each column past the last needed pixel met.
  const run = new Int32Array(w);
  // Down the columns, then up them.
  for (let pass = 0; pass < 2; pass++) {
    run.fill(0);
    for (let k = 0; k < h; k++) {
      const row = (pass === 0 ? k : h - 1 - k) * w;
      for (let x = 0; x < w; x++) {
        let r = need[row + x] !== 0 ? radius + 1 : run[x];
        if (r > 0) {
          out[row + x] = 1;
          r--;
        }
        run[x] = r;
      }
    }
  }
  return out;
}

/** The normalised weights of a Gaussian of `sigma` over 2·radius + 1 taps (radius ⌈3σ⌉, at least 1). */
function blurWeights(sigma: number): { kernel: Float32Array; radius: number } {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
    sum += kernel[i + radius];
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return { kernel, radius };
}

/**
 * Separable Gaussian blur with clamped borders. With `need`, only the pixels
 * where it is set are computed (the rest are 0), and the horizontal pass only
 * on the rows those pixels read: the gradients use nothing else. Radius 3
 * (σ = 0.75, the detector's own) has its seven taps written out away from the
 * borders: the same products summed in the same order, without the kernel's loads.
 * `into` (a zeroed plane of w·h values) receives the result instead of a fresh
 * array, and `rows` holds the rows' plane instead of a fresh one.
 * In WebAssembly (`gaussianBlurInWasm`, the same bytes) unless `wasm` is false.
 */
export function gaussianBlur(
  src: Float32Array,
  w: number,
  h: number,
  sigma: number,
  need?: Uint8Array,
  into?: Float32Array,
  rows?: Scratch<Uint8Array>,
  wasm = true,
): Float32Array {
  const { kernel, radius } = blurWeights(sigma);
  if (wasm) {
    const out = into ?? new Float32Array(w * h);
    if (gaussianBlurInWasm(src, w, h, kernel, radius, need, out)) return out;
  }
  const rowNeed = need === undefined ? null : rowsReadBy(need, w, h, radius, rows?.take(w * h, true));
  const seven = radius === 3;
  const [k0, k1, k2, k3, k4, k5, k6] = seven ? kernel : [0, 0, 0, 0, 0, 0, 0];
  const tmp = lsdScratch.blurRows.take(w * h, true);
  const out = into ?? new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (rowNeed !== null && rowNeed[row + x] === 0) continue;
      let v = 0;
      if (x >= radius && x < w - radius) {
        // Away from the borders no tap needs clamping (the same sum, in the same order).
        const j = row + x - radius;
        if (seven) {
          v = 0 + k0 * src[j] + k1 * src[j + 1] + k2 * src[j + 2] + k3 * src[j + 3] + k4 * src[j + 4] + k5 * src[j + 5] + k6 * src[j + 6];
        } else {
          for (let k = -radius, t = j; k <= radius; k++, t++) v += kernel[k + radius] * src[t];
        }
      } else {
        for (let k = -radius; k <= radius; k++) {
          const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
          v += kernel[k + radius] * src[row + xx];
        }
      }
      tmp[row + x] = v;
    }
  }
  for (let y = 0; y < h; y++) {
    const inside = y >= radius && y < h - radius;
    for (let x = 0; x < w; x++) {
      if (need !== undefined && need[y * w + x] === 0) continue;
      let v = 0;
      if (inside) {
        const j = (y - radius) * w + x;
        if (seven) {
          v =
            0 +
            k0 * tmp[j] +
            k1 * tmp[j + w] +
            k2 * tmp[j + 2 * w] +
            k3 * tmp[j + 3 * w] +
            k4 * tmp[j + 4 * w] +
            k5 * tmp[j + 5 * w] +
            k6 * tmp[j + 6 * w];
        } else {
          for (let k = -radius, t = j; k <= radius; k++, t += w) v += kernel[k + radius] * tmp[t];
        }
      } else {
        for (let k = -radius; k <= radius; k++) {
          const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
          v += kernel[k + radius] * tmp[yy * w + x];
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}
