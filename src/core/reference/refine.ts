/**
 * Direct (photometric) refinement of a homography on the pixels around the
 * hole: Gauss–Newton on Σ ρ(R(H·x) − α·T(x) − β) over the known ring, with
 * the 8 homography parameters and a gain/bias pair α, β solved together
 * (Lucas–Kanade forward-additive; Baker & Matthews, IJCV 2004, §3.1, with
 * a photometric term as in Bartoli's dual inverse compositional method).
 * ρ is Huber's loss by iteratively reweighted least squares, so people who
 * moved between the photos barely pull. Feature matches give a homography
 * good to a pixel or two over the whole image; this makes it exact where it
 * matters: around the hole, for the plane that lies behind the object.
 */
import type { Rect } from "../image.js";
import { type GreyImage, gaussianBlur, sampleBilinear } from "./grey.js";
import { compose, type Homography } from "./homography.js";
import { RefineSums, sampleAtInWasm } from "./wasm/align.js";

/** Known pixels to fit on, as working-image coordinates (x, y interleaved). */
export interface RefineRegion {
  count: number;
  points: Float64Array;
}

const HUBER = 12;

/** Target and reference blurred for each refinement pass, coarse (σ = 2.5) to fine (σ = 1). */
export interface RefinePyramid {
  target: GreyImage[];
  reference: GreyImage[];
}

/**
 * The blurred copies, computed only inside `targetRect` and `referenceRect`
 * when given (the ring and where the candidates map it, with a margin for
 * the refinement's own movement): at 12 MP blurring whole working images
 * cost more than the refinement itself.
 */
export function refinePyramid(target: GreyImage, reference: GreyImage, targetRect?: Rect, referenceRect?: Rect): RefinePyramid {
  return {
    target: [gaussianBlur(target, 2.5, 3, targetRect), gaussianBlur(target, 1, 3, targetRect)],
    reference: [gaussianBlur(reference, 2.5, 3, referenceRect), gaussianBlur(reference, 1, 3, referenceRect)],
  };
}

/**
 * Refines `h` (target working px → reference working px) so that the
 * reference matches the target on `region`. Returns null when the fit
 * diverges or leaves the reference. The loops over the region run in
 * WebAssembly where it runs (the same sums) unless `kernel` is false.
 */
export function refineHomography(pyramid: RefinePyramid, region: RefineRegion, h: Homography, kernel = true): Homography | null {
  if (region.count < 64) return null;
  // Normalise coordinates so that the 10×10 normal equations are well conditioned.
  let mx = 0;
  let my = 0;
  for (let k = 0; k < region.count; k++) {
    mx += region.points[2 * k];
    my += region.points[2 * k + 1];
  }
  mx /= region.count;
  my /= region.count;
  let spread = 0;
  for (let k = 0; k < region.count; k++) spread += Math.hypot(region.points[2 * k] - mx, region.points[2 * k + 1] - my);
  const s = spread / region.count || 1;
  const toNorm = Float64Array.of(1 / s, 0, -mx / s, 0, 1 / s, -my / s, 0, 0, 1);
  const fromNorm = Float64Array.of(s, 0, mx, 0, s, my, 0, 0, 1);
  let current = compose(h, fromNorm);
  const nx = new Float64Array(region.count);
  const ny = new Float64Array(region.count);
  for (let k = 0; k < region.count; k++) {
    nx[k] = (region.points[2 * k] - mx) / s;
    ny[k] = (region.points[2 * k + 1] - my) / s;
  }
  for (let level = 0; level < pyramid.target.length; level++) {
    const t = pyramid.target[level];
    const r = pyramid.reference[level];
    let tv = kernel ? sampleAtInWasm(t.data, t.width, t.height, region.points, region.count) : null;
    if (tv === null) {
      tv = new Float64Array(region.count);
      for (let k = 0; k < region.count; k++) tv[k] = sampleBilinear(t, region.points[2 * k], region.points[2 * k + 1]);
    }
    const next = gaussNewton(r, tv, nx, ny, current, kernel ? RefineSums.create(r.data, r.width, r.height, tv, nx, ny) : null);
    if (next === null) return null;
    current = next;
  }
  const out = compose(current, toNorm);
  for (let k = 0; k < 9; k++) out[k] /= out[8];
  return out;
}

/** Gauss–Newton iterations from `start`; the loops over the points in `sums` (WebAssembly) when given. */
function gaussNewton(
  r: GreyImage,
  tv: Float64Array,
  nx: Float64Array,
  ny: Float64Array,
  start: Homography,
  sums: RefineSums | null,
): Homography | null {
  const n = tv.length;
  const h = new Float64Array(start);
  for (let k = 0; k < 9; k++) h[k] /= h[8];
  let alpha = 1;
  let beta = 0;
  {
    // Start the photometric pair at the least-squares fit.
    const [st, sr, stt, str, m] = sums ? sums.photometric(h) : photometricSums(r, tv, nx, ny, h);
    if (m < 64) return null;
    const vt = stt / m - (st / m) ** 2;
    alpha = vt > 1 ? (str / m - (st / m) * (sr / m)) / vt : 1;
    beta = sr / m - alpha * (st / m);
  }
  const A = new Float64Array(100);
  const b = new Float64Array(10);
  const J = new Float64Array(10);
  let lastCost = Number.POSITIVE_INFINITY;
  for (let iter = 0; iter < 15; iter++) {
    A.fill(0);
    b.fill(0);
    let cost = 0;
    let used = 0;
    if (sums) [cost, used] = sums.normalEquations(h, alpha, beta, HUBER, A, b);
    else
      for (let k = 0; k < n; k++) {
        const x = nx[k];
        const y = ny[k];
        const w = h[6] * x + h[7] * y + 1;
        if (!(w > 1e-6)) continue;
        const u = (h[0] * x + h[1] * y + h[2]) / w;
        const v = (h[3] * x + h[4] * y + h[5]) / w;
        if (u < 1 || v < 1 || u > r.width - 2 || v > r.height - 2) continue;
        const rv = sampleBilinear(r, u, v);
        const gx = 0.5 * (sampleBilinear(r, u + 1, v) - sampleBilinear(r, u - 1, v));
        const gy = 0.5 * (sampleBilinear(r, u, v + 1) - sampleBilinear(r, u, v - 1));
        const e = rv - alpha * tv[k] - beta;
        const ae = Math.abs(e);
        const weight = ae <= HUBER ? 1 : HUBER / ae;
        cost += ae <= HUBER ? 0.5 * e * e : HUBER * (ae - 0.5 * HUBER);
        used++;
        const iw = 1 / w;
        J[0] = gx * x * iw;
        J[1] = gx * y * iw;
        J[2] = gx * iw;
        J[3] = gy * x * iw;
        J[4] = gy * y * iw;
        J[5] = gy * iw;
        J[6] = -(gx * u + gy * v) * x * iw;
        J[7] = -(gx * u + gy * v) * y * iw;
        J[8] = -tv[k];
        J[9] = -1;
        for (let i = 0; i < 10; i++) {
          const wi = weight * J[i];
          b[i] -= wi * e;
          for (let j = i; j < 10; j++) A[i * 10 + j] += wi * J[j];
        }
      }
    if (used < 64) return null;
    for (let i = 0; i < 10; i++) for (let j = 0; j < i; j++) A[i * 10 + j] = A[j * 10 + i];
    for (let i = 0; i < 10; i++) A[i * 10 + i] *= 1.001;
    const step = solve(A, b, 10);
    if (step === null) return null;
    for (let i = 0; i < 8; i++) h[i] += step[i];
    alpha += step[8];
    beta += step[9];
    let size = 0;
    for (let i = 0; i < 8; i++) size = Math.max(size, Math.abs(step[i]));
    if (size < 1e-6 || Math.abs(lastCost - cost) < 1e-4 * cost) break;
    lastCost = cost;
  }
  for (const v of h) if (!Number.isFinite(v)) return null;
  return h;
}

/** Σt, Σr, Σt², Σtr and the count over the points that `h` maps inside the reference `r` (t: the target's values `tv`). */
function photometricSums(r: GreyImage, tv: Float64Array, nx: Float64Array, ny: Float64Array, h: Float64Array): Float64Array {
  let st = 0;
  let sr = 0;
  let stt = 0;
  let str = 0;
  let m = 0;
  for (let k = 0; k < tv.length; k++) {
    const w = h[6] * nx[k] + h[7] * ny[k] + 1;
    const u = (h[0] * nx[k] + h[1] * ny[k] + h[2]) / w;
    const v = (h[3] * nx[k] + h[4] * ny[k] + h[5]) / w;
    if (!(w > 0) || u < 1 || v < 1 || u > r.width - 2 || v > r.height - 2) continue;
    const rv = sampleBilinear(r, u, v);
    st += tv[k];
    sr += rv;
    stt += tv[k] * tv[k];
    str += tv[k] * rv;
    m++;
  }
  return Float64Array.of(st, sr, stt, str, m);
}

/** Gaussian elimination with partial pivoting; null for a singular system. */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const m = new Float64Array(A);
  const x = new Float64Array(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (Math.abs(m[p * n + c]) < 1e-12) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
      [x[c], x[p]] = [x[p], x[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let sum = x[c];
    for (let k = c + 1; k < n; k++) sum -= m[c * n + k] * x[k];
    x[c] = sum / m[c * n + c];
  }
  return x;
}
