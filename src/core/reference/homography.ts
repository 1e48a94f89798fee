/**
 * Plane-projective transforms between two photos: the normalised direct
 * linear transform (Hartley & Zisserman, Multiple View Geometry, Alg. 4.2) and
 * RANSAC (Fischler & Bolles 1981) with the adaptive number of trials of
 * Alg. 4.5. A homography is 9 numbers, row-major, mapping (x, y, 1) of one
 * photo to homogeneous coordinates of the other. With few matches an affine
 * model (3-point samples, 6 parameters) is the safer hypothesis: a random
 * consensus is much less likely with fewer degrees of freedom. Both models
 * go through one RANSAC driver; a model only says how to sample, fit and
 * judge plausibility.
 */
import type { Random } from "../random.js";

export type Homography = Float64Array;

/** Point correspondences, coordinates interleaved x, y. */
export interface Correspondences {
  count: number;
  from: Float64Array;
  to: Float64Array;
}

export interface RansacResult {
  homography: Homography;
  inliers: Uint8Array;
  inlierCount: number;
}

/** Maps a point; returns false when it lands at or behind infinity. */
export function project(h: Homography, x: number, y: number, out: Float64Array): boolean {
  const w = h[6] * x + h[7] * y + h[8];
  if (!(w > 1e-9)) return false;
  out[0] = (h[0] * x + h[1] * y + h[2]) / w;
  out[1] = (h[3] * x + h[4] * y + h[5]) / w;
  return true;
}

/** a·b: first b, then a. */
export function compose(a: Homography, b: Homography): Homography {
  const out = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
  }
  return out;
}

/** The homography of x' = s·x + t on both axes. */
export function scaling(s: number, t: number): Homography {
  return Float64Array.of(s, 0, t, 0, s, t, 0, 0, 1);
}

/**
 * Least-squares homography through the listed correspondences (all when
 * `subset` is omitted), or null when they are degenerate. The smallest
 * eigenvector of AᵀA is found by cyclic Jacobi rotations (9×9, exact enough).
 */
export function fitHomography(c: Correspondences, subset?: ArrayLike<number>, size = subset ? subset.length : c.count): Homography | null {
  if (size < 4) return null;
  const nf = normaliser(c.from, subset, size);
  const nt = normaliser(c.to, subset, size);
  if (nf === null || nt === null) return null;
  const ata = new Float64Array(81);
  const row = new Float64Array(9);
  for (let k = 0; k < size; k++) {
    const i = subset ? subset[k] : k;
    const x = (c.from[2 * i] - nf[0]) * nf[2];
    const y = (c.from[2 * i + 1] - nf[1]) * nf[2];
    const u = (c.to[2 * i] - nt[0]) * nt[2];
    const v = (c.to[2 * i + 1] - nt[1]) * nt[2];
    row.set([0, 0, 0, -x, -y, -1, v * x, v * y, v]);
    accumulate(ata, row);
    row.set([x, y, 1, 0, 0, 0, -u * x, -u * y, -u]);
    accumulate(ata, row);
  }
  const hn = smallestEigenvector(ata);
  // H = Tto⁻¹ · Hn · Tfrom, with T(p) = s·(p − m).
  const tf = Float64Array.of(nf[2], 0, -nf[2] * nf[0], 0, nf[2], -nf[2] * nf[1], 0, 0, 1);
  const ti = Float64Array.of(1 / nt[2], 0, nt[0], 0, 1 / nt[2], nt[1], 0, 0, 1);
  const h = compose(ti, compose(hn, tf));
  if (Math.abs(h[8]) < 1e-12) return null;
  for (let k = 0; k < 9; k++) h[k] /= h[8];
  return h;
}

/** Least-squares affine map through the listed correspondences, as a homography; null when degenerate. */
export function fitAffine(c: Correspondences, subset: ArrayLike<number>, size = subset.length): Homography | null {
  if (size < 3) return null;
  // Normal equations of x' = a·x + b·y + c (and y' alike) about the centroid.
  let mx = 0;
  let my = 0;
  let mu = 0;
  let mv = 0;
  for (let k = 0; k < size; k++) {
    const i = subset[k];
    mx += c.from[2 * i];
    my += c.from[2 * i + 1];
    mu += c.to[2 * i];
    mv += c.to[2 * i + 1];
  }
  mx /= size;
  my /= size;
  mu /= size;
  mv /= size;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sxu = 0;
  let syu = 0;
  let sxv = 0;
  let syv = 0;
  for (let k = 0; k < size; k++) {
    const i = subset[k];
    const x = c.from[2 * i] - mx;
    const y = c.from[2 * i + 1] - my;
    const u = c.to[2 * i] - mu;
    const v = c.to[2 * i + 1] - mv;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sxu += x * u;
    syu += y * u;
    sxv += x * v;
    syv += y * v;
  }
  const det = sxx * syy - sxy * sxy;
  if (!(Math.abs(det) > 1e-6 * Math.max(1, sxx * syy))) return null;
  const a = (sxu * syy - syu * sxy) / det;
  const b = (syu * sxx - sxu * sxy) / det;
  const d = (sxv * syy - syv * sxy) / det;
  const e = (syv * sxx - sxv * sxy) / det;
  return Float64Array.of(a, b, mu - a * mx - b * my, d, e, mv - d * mx - e * my, 0, 0, 1);
}

/**
 * A model RANSAC can fit: how many correspondences a minimal sample holds,
 * how to draw one, the least-squares fit through a set, and which fits are
 * a plausible camera motion (checked on the minimal fit and on every refit).
 */
interface RansacModel {
  sampleSize: number;
  /** Fills `sample` with distinct indices; false when the draw is degenerate and the trial is lost. */
  draw(c: Correspondences, rng: Random, sample: Int32Array): boolean;
  fit(c: Correspondences, subset: ArrayLike<number>): Homography | null;
  plausible(h: Homography, c: Correspondences, subset: ArrayLike<number>): boolean;
}

export interface RansacOptions {
  maxTrials?: number;
  minInliers?: number;
  confidence?: number;
}

const HOMOGRAPHY_MODEL: RansacModel = {
  sampleSize: 4,
  draw: drawSample,
  fit: (c, subset) => fitHomography(c, subset),
  plausible: preservesOrientation,
};

const AFFINE_MODEL: RansacModel = {
  sampleSize: 3,
  draw: (c, rng, s) => {
    s[0] = rng.int(0, c.count - 1);
    s[1] = rng.int(0, c.count - 1);
    s[2] = rng.int(0, c.count - 1);
    return s[0] !== s[1] && s[1] !== s[2] && s[0] !== s[2];
  },
  fit: (c, subset) => fitAffine(c, subset),
  plausible: (h) => plausibleAffine(h),
};

/**
 * Robust homography: minimal 4-point samples, inliers within `threshold`
 * pixels (reprojection error in the `to` photo), a least-squares refit on the
 * inliers repeated until the set stops growing. Null when no sample yields
 * `minInliers` inliers (default 8).
 */
export function ransacHomography(c: Correspondences, threshold: number, rng: Random, options: RansacOptions = {}): RansacResult | null {
  return ransac(HOMOGRAPHY_MODEL, c, threshold, rng, options.maxTrials ?? 2000, options.minInliers ?? 8, options.confidence ?? 0.999);
}

/**
 * Robust affine map: minimal 3-point samples, then a least-squares refit on
 * the inliers, as `ransacHomography`. Null when no sample yields
 * `minInliers` inliers (default 6), or the map flips or collapses the image.
 */
export function ransacAffine(c: Correspondences, threshold: number, rng: Random, options: RansacOptions = {}): RansacResult | null {
  return ransac(AFFINE_MODEL, c, threshold, rng, options.maxTrials ?? 1000, options.minInliers ?? 6, options.confidence ?? 0.999);
}

/**
 * The RANSAC loop shared by both models: random minimal samples, the number
 * of trials adapted to the best inlier ratio so far (Hartley & Zisserman
 * Alg. 4.5), then least-squares refits on the inliers while the set grows.
 */
function ransac(
  model: RansacModel,
  c: Correspondences,
  threshold: number,
  rng: Random,
  maxTrials: number,
  minInliers: number,
  confidence: number,
): RansacResult | null {
  const n = c.count;
  if (n < Math.max(model.sampleSize, minInliers)) return null;
  const t2 = threshold * threshold;
  const sample = new Int32Array(model.sampleSize);
  const mark = new Uint8Array(n);
  let best: Homography | null = null;
  let bestCount = 0;
  let needed = maxTrials;
  for (let trial = 0; trial < needed && trial < maxTrials; trial++) {
    if (!model.draw(c, rng, sample)) continue;
    const h = model.fit(c, sample);
    if (h === null || !model.plausible(h, c, sample)) continue;
    const count = classify(h, c, t2, mark);
    if (count > bestCount) {
      bestCount = count;
      best = h;
      const p = 1 - (count / n) ** model.sampleSize;
      needed = p <= 1e-12 ? 1 : Math.ceil(Math.log(1 - confidence) / Math.log(p));
    }
  }
  if (best === null || bestCount < minInliers) return null;
  let fitted = best;
  let count = classify(fitted, c, t2, mark);
  for (let round = 0; round < 5; round++) {
    const inliers = indicesOf(mark);
    const refit = model.fit(c, inliers);
    if (refit === null || !model.plausible(refit, c, inliers)) break;
    const m2 = new Uint8Array(n);
    const c2 = classify(refit, c, t2, m2);
    if (c2 < count) break;
    fitted = refit;
    mark.set(m2);
    if (c2 === count) break;
    count = c2;
  }
  count = classify(fitted, c, t2, mark);
  if (count < minInliers) return null;
  return { homography: fitted, inliers: mark, inlierCount: count };
}

/** A camera can turn and zoom (here up to 4× either way) but not mirror the scene or squash it flat. */
function plausibleAffine(h: Homography): boolean {
  const det = h[0] * h[4] - h[1] * h[3];
  if (!(det > 1 / 16 && det < 16)) return false;
  const sx = Math.hypot(h[0], h[3]);
  const sy = Math.hypot(h[1], h[4]);
  return sx / sy < 3 && sy / sx < 3;
}

function classify(h: Homography, c: Correspondences, t2: number, mark: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < c.count; i++) {
    const x = c.from[2 * i];
    const y = c.from[2 * i + 1];
    const w = h[6] * x + h[7] * y + h[8];
    let ok = 0;
    if (w > 1e-9) {
      const dx = (h[0] * x + h[1] * y + h[2]) / w - c.to[2 * i];
      const dy = (h[3] * x + h[4] * y + h[5]) / w - c.to[2 * i + 1];
      ok = dx * dx + dy * dy <= t2 ? 1 : 0;
    }
    mark[i] = ok;
    count += ok;
  }
  return count;
}

function indicesOf(mark: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mark.length; i++) if (mark[i]) out.push(i);
  return Int32Array.from(out);
}

/** Four distinct correspondences, no three of them (nearly) collinear in either photo. */
function drawSample(c: Correspondences, rng: Random, s: Int32Array): boolean {
  const n = c.count;
  for (let k = 0; k < 4; k++) {
    let i: number;
    let tries = 0;
    do {
      i = rng.int(0, n - 1);
      tries++;
    } while (tries < 20 && s.subarray(0, k).includes(i));
    s[k] = i;
  }
  for (const pts of [c.from, c.to]) {
    for (let a = 0; a < 4; a++) {
      for (let b = a + 1; b < 4; b++) {
        for (let d = b + 1; d < 4; d++) {
          const ax = pts[2 * s[a]];
          const ay = pts[2 * s[a] + 1];
          const area = (pts[2 * s[b]] - ax) * (pts[2 * s[d] + 1] - ay) - (pts[2 * s[b] + 1] - ay) * (pts[2 * s[d]] - ax);
          if (Math.abs(area) < 4) return false;
        }
      }
    }
  }
  return true;
}

/** A real camera motion keeps every sampled point in front of both views, and does not mirror. */
function preservesOrientation(h: Homography, c: Correspondences, subset: ArrayLike<number>): boolean {
  for (let k = 0; k < subset.length; k++) {
    const i = subset[k];
    if (!(h[6] * c.from[2 * i] + h[7] * c.from[2 * i + 1] + h[8] > 0)) return false;
  }
  return h[0] * h[4] - h[1] * h[3] > 0;
}

/** Centroid and the scale that brings the mean distance to it to √2 (Hartley's conditioning). */
function normaliser(p: Float64Array, subset: ArrayLike<number> | undefined, size: number): Float64Array | null {
  let mx = 0;
  let my = 0;
  for (let k = 0; k < size; k++) {
    const i = subset ? subset[k] : k;
    mx += p[2 * i];
    my += p[2 * i + 1];
  }
  mx /= size;
  my /= size;
  let d = 0;
  for (let k = 0; k < size; k++) {
    const i = subset ? subset[k] : k;
    d += Math.hypot(p[2 * i] - mx, p[2 * i + 1] - my);
  }
  d /= size;
  if (d < 1e-9) return null;
  return Float64Array.of(mx, my, Math.SQRT2 / d);
}

function accumulate(ata: Float64Array, row: Float64Array): void {
  for (let r = 0; r < 9; r++) {
    const v = row[r];
    if (v === 0) continue;
    for (let c = 0; c < 9; c++) ata[r * 9 + c] += v * row[c];
  }
}

/** Eigenvector of the smallest eigenvalue of a symmetric 9×9 matrix (cyclic Jacobi). */
function smallestEigenvector(m: Float64Array): Float64Array {
  const n = 9;
  const a = new Float64Array(m);
  const v = new Float64Array(81);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = cs * akp - sn * akq;
          a[k * n + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = cs * apk - sn * aqk;
          a[q * n + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = cs * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i * n + i] < a[best * n + best]) best = i;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = v[k * n + best];
  return out;
}
