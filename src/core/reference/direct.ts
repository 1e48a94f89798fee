/**
 * Direct (intensity) search for the similarity that maps the photo onto the
 * reference, for when feature matching finds too few consistent matches:
 * soft photos (blurred backgrounds, smooth shapes) have few corners, and
 * their descriptors stop matching across a zoom of 1.5–2×.
 *
 * Exhaustive over rotation (±45°, 5° steps) and scale (0.5–2×, steps of
 * 2^⅙); for each pose the translation comes from one masked normalised
 * cross-correlation over all shifts in the Fourier domain (Padfield, "Masked
 * object registration in the Fourier domain", IEEE TIP 2012), so the hole and
 * the parts of either photo the other does not show drop out exactly. Both
 * photos are compared at a resolution where the overlap has about 45·√s
 * pixels across, coarse enough that a pose within half a step still
 * correlates. The best poses are refined by Lucas–Kanade on wide blurred
 * copies (refine.ts) before the caller's usual refinement on the ring.
 */
import type { Rect } from "../image.js";
import { Fft2d } from "./fft.js";
import { correlationFromSums, type GreyImage, gaussianBlur, sampleBilinear, type WorkingGrey } from "./grey.js";
import { compose, type Homography, scaling } from "./homography.js";
import { type RefineRegion, refineHomography } from "./refine.js";

export interface DirectCandidate {
  /** Target working pixels → reference working pixels. */
  homography: Homography;
  /** Masked normalised cross-correlation of the coarse search. */
  score: number;
}

const GRID = 128;
/** Overlap side (target samples across) at scale 1; √s times that at scale s. */
const SEARCH_SIDE = 45;
const BASE_SIDE = 160;
const ROTATION_STEP = 5;
const MAX_ROTATION = 45;
const SCALE_STEPS = 6;
/**
 * Shifts whose overlap is smaller than this share of what the two photos
 * could share at that scale say too little: the photo's known samples, or,
 * where the reference is zoomed in further, the reference's whole area in
 * samples. A 1.8× view shows a third of the photo, and where the hole takes
 * much of that, every shift overlaps less than a quarter of the photo's
 * samples: such views went unused (the bench's photo 6 at 1.79×, a tuning
 * photo at 1.78× that now comes within 0.2 px; the rest of the tuning views,
 * seeds 1–3, did not move). On the 14 unseen wallpapers (seeds 1, 2, 3, 7):
 * 212 → 214 of 224 views used, +0.05 dB, and none of 56 unrelated views.
 */
const MIN_OVERLAP = 0.25;
const MIN_SAMPLES = 48;
/** Distinct coarse poses refined, and refined poses returned. */
const SHORTLIST = 6;
/** The coarse poses are refined on copies this many times smaller than the working ones. */
const QUARTER = 4;
const KEPT = 2;

/**
 * The best similarity poses from `target` (working copy, `exclude` = 1 where
 * the hole and its clearance are) to `reference`, refined; empty when no pose
 * correlates at all.
 */
export function searchSimilarity(
  target: WorkingGrey,
  exclude: Uint8Array,
  bounds: Rect,
  reference: WorkingGrey,
  wide: RefineRegion,
): DirectCandidate[] {
  const tb = baseLevel(target, exclude);
  const rb = baseLevel(reference, null);
  const cx = (bounds.x + bounds.width / 2 + 0.5) / target.factor - 0.5;
  const cy = (bounds.y + bounds.height / 2 + 0.5) / target.factor - 0.5;
  const fft = new Fft2d(GRID);
  const n2 = GRID * GRID;
  const found: { score: number; h: Homography }[] = [];
  const planes = Array.from({ length: 8 }, () => new Float64Array(n2));
  const [aRe, aIm, bRe, bIm, cRe, cIm, dRe, dIm] = planes;
  for (let k = -SCALE_STEPS; k <= SCALE_STEPS; k++) {
    const s = 2 ** (k / SCALE_STEPS);
    // The photo at this scale: `ft` working pixels per sample.
    const long = Math.max(target.width, target.height);
    const ft = long / Math.round(SEARCH_SIDE * Math.sqrt(s));
    const tw = Math.min(GRID, Math.floor(target.width / ft));
    const th = Math.min(GRID, Math.floor(target.height / ft));
    const fixed = fixedSpectra(fft, tb, ft, tw, th);
    if (fixed === null) continue;
    const refBlur = gaussianBlur(rb.grey, Math.max(0, 0.5 * ((s * ft) / rb.factor) - 0.5));
    // The reference's whole area in this scale's samples: the most any shift can overlap where it is zoomed in.
    const referenceSamples = (reference.width * reference.height) / (s * ft) ** 2;
    for (let angle = -MAX_ROTATION; angle <= MAX_ROTATION + 1e-9; angle += ROTATION_STEP) {
      const a = (angle * Math.PI) / 180;
      const m00 = s * Math.cos(a) * ft;
      const m01 = -s * Math.sin(a) * ft;
      const m10 = s * Math.sin(a) * ft;
      const m11 = s * Math.cos(a) * ft;
      // Moving image: grid cell g ↦ reference working centre + s·R·ft·(g − centre).
      const rcx = (reference.width - 1) / 2;
      const rcy = (reference.height - 1) / 2;
      const g0 = GRID / 2;
      for (let gy = 0; gy < GRID; gy++) {
        for (let gx = 0; gx < GRID; gx++) {
          const i = gy * GRID + gx;
          const u = rcx + m00 * (gx - g0) + m01 * (gy - g0);
          const v = rcy + m10 * (gx - g0) + m11 * (gy - g0);
          aIm[i] = 0;
          cIm[i] = 0;
          if (u < 0 || v < 0 || u > reference.width - 1 || v > reference.height - 1) {
            aRe[i] = 0;
            bRe[i] = 0;
            cRe[i] = 0;
            continue;
          }
          const val = sampleBilinear(refBlur, (u + 0.5) / rb.factor - 0.5, (v + 0.5) / rb.factor - 0.5);
          aRe[i] = 1;
          aIm[i] = val;
          cRe[i] = val * val;
        }
      }
      // Validity and values in one transform (both real), squares in another.
      fft.forward(aRe, aIm);
      fft.forward(cRe, cIm);
      // Split Z = F(valid) + i·F(values): F(valid)_k = (Z_k + conj Z_−k)/2, F(values)_k = (Z_k − conj Z_−k)/2i.
      for (let y = 0; y < GRID; y++) {
        const ny = (GRID - y) & (GRID - 1);
        for (let x = 0; x < GRID; x++) {
          const i = y * GRID + x;
          const j = ny * GRID + ((GRID - x) & (GRID - 1));
          if (j < i) continue;
          const zr = aRe[i];
          const zi = aIm[i];
          const wr = aRe[j];
          const wi = aIm[j];
          // F(valid) at i and j, F(values) at i and j.
          const vr = 0.5 * (zr + wr);
          const vi = 0.5 * (zi - wi);
          const br = 0.5 * (zi + wi);
          const bi = -0.5 * (zr - wr);
          aRe[i] = vr;
          aIm[i] = vi;
          aRe[j] = vr;
          aIm[j] = -vi;
          bRe[i] = br;
          bIm[i] = bi;
          bRe[j] = br;
          bIm[j] = -bi;
        }
      }
      // Correlations, two real results per inverse transform:
      //   a: n = corr(M, V) + i·ΣT = corr(A, V);   b: ΣR = corr(M, B) + i·ΣTR = corr(A, B);
      //   c: ΣT² = corr(A², V) + i·ΣR² = corr(M, B²).
      for (let i = 0; i < n2; i++) {
        const vr = aRe[i];
        const vi = aIm[i];
        const br = bRe[i];
        const bi = bIm[i];
        const qr = cRe[i];
        const qi = cIm[i];
        // conj(F(x))·Y for the fixed x.
        const mR = fixed.mRe[i];
        const mI = -fixed.mIm[i];
        const tR = fixed.tRe[i];
        const tI = -fixed.tIm[i];
        const sR = fixed.sRe[i];
        const sI = -fixed.sIm[i];
        const p1r = mR * vr - mI * vi;
        const p1i = mR * vi + mI * vr;
        const p2r = tR * vr - tI * vi;
        const p2i = tR * vi + tI * vr;
        aRe[i] = p1r - p2i;
        aIm[i] = p1i + p2r;
        const p3r = mR * br - mI * bi;
        const p3i = mR * bi + mI * br;
        const p4r = tR * br - tI * bi;
        const p4i = tR * bi + tI * br;
        bRe[i] = p3r - p4i;
        bIm[i] = p3i + p4r;
        const p5r = sR * vr - sI * vi;
        const p5i = sR * vi + sI * vr;
        const p6r = mR * qr - mI * qi;
        const p6i = mR * qi + mI * qr;
        dRe[i] = p5r - p6i;
        dIm[i] = p5i + p6r;
      }
      fft.inverse(aRe, aIm);
      fft.inverse(bRe, bIm);
      fft.inverse(dRe, dIm);
      // The hole's centre in samples; its cell must land where the reference has pixels.
      const hx = (cx + 0.5) / ft - 0.5;
      const hy = (cy + 0.5) / ft - 0.5;
      const minCount = Math.max(MIN_SAMPLES, MIN_OVERLAP * Math.min(fixed.known, referenceSamples));
      let best = -2;
      let bestU = 0;
      let bestV = 0;
      for (let v = 0; v < GRID; v++) {
        for (let u = 0; u < GRID; u++) {
          const i = v * GRID + u;
          const n = aRe[i];
          if (n < minCount) continue;
          // The hole centre at grid cell (hx + u, hy + v) must be inside the reference.
          const ru = wrapSigned(u);
          const rv = wrapSigned(v);
          const gx = hx + ru - g0;
          const gy = hy + rv - g0;
          const pu = rcx + m00 * gx + m01 * gy;
          const pv = rcy + m10 * gx + m11 * gy;
          if (pu < 0 || pv < 0 || pu > reference.width - 1 || pv > reference.height - 1) continue;
          const st = aIm[i];
          const sr = bRe[i];
          const str = bIm[i];
          const stt = dRe[i];
          const srr = dIm[i];
          const vt = stt - (st * st) / n;
          const vr = srr - (sr * sr) / n;
          if (vt <= 1e-6 * n || vr <= 1e-6 * n) continue;
          const ncc = (str - (st * sr) / n) / Math.sqrt(vt * vr);
          if (ncc > best) {
            best = ncc;
            bestU = ru;
            bestV = rv;
          }
        }
      }
      if (best <= -2) continue;
      // Target working x ↦ reference working: centre + s·R·ft·((x + ½)/ft − ½ + shift − g0).
      const ox = 0.5 / ft - 0.5 + bestU - g0;
      const oy = 0.5 / ft - 0.5 + bestV - g0;
      const h = Float64Array.of(m00 / ft, m01 / ft, rcx + m00 * ox + m01 * oy, m10 / ft, m11 / ft, rcy + m10 * ox + m11 * oy, 0, 0, 1);
      found.push({ score: best, h });
    }
  }
  found.sort((p, q) => q.score - p.score);
  // The coarse grid can rank a wrong scale of a self-similar texture first:
  // the best few distinct poses are refined by Lucas–Kanade on wide blurred
  // copies, then ranked by how well they then correlate on the wide region.
  const shortlist: Homography[] = [];
  const pt = (h: Homography) => [h[0] * cx + h[1] * cy + h[2], h[3] * cx + h[4] * cy + h[5]];
  for (const f of found) {
    if (shortlist.length >= SHORTLIST) break;
    const [px, py] = pt(f.h);
    const near = shortlist.some((k) => {
      const [qx, qy] = pt(k);
      return Math.hypot(px - qx, py - qy) < 0.05 * Math.max(reference.width, reference.height);
    });
    if (!near) shortlist.push(f.h);
  }
  // Refined on copies a quarter the size: the wide blur there is cheap, and the ring refinement that follows restores the detail.
  const q = QUARTER;
  const tq = boxShrink(target, q);
  const rq = boxShrink(reference, q);
  const blurred = {
    target: [3, 1.5, 0.75].map((sigma) => gaussianBlur(tq, sigma)),
    reference: [3, 1.5, 0.75].map((sigma) => gaussianBlur(rq, sigma)),
  };
  const pts: number[] = [];
  const stride = Math.max(1, Math.ceil(wide.count / 6000));
  for (let k = 0; k < wide.count; k += stride) pts.push((wide.points[2 * k] + 0.5) / q - 0.5, (wide.points[2 * k + 1] + 0.5) / q - 0.5);
  const region: RefineRegion = { count: pts.length / 2, points: Float64Array.from(pts) };
  const toQuarter = scaling(1 / q, 0.5 / q - 0.5);
  const fromQuarter = scaling(q, 0.5 * q - 0.5);
  const scoreOn = blurred.target[blurred.target.length - 1];
  const scoreRef = blurred.reference[blurred.reference.length - 1];
  const kept: DirectCandidate[] = [];
  for (const h of shortlist) {
    const start = compose(toQuarter, compose(h, fromQuarter));
    const rq = refineHomography(blurred, region, start);
    const refined = rq && compose(fromQuarter, compose(rq, toQuarter));
    if (rq && refined && plausible(refined, target.width, target.height)) {
      kept.push({ homography: refined, score: regionCorrelation(scoreOn, scoreRef, region, rq) });
    } else {
      // On a smooth sky or mist the fit is barely constrained and drifts off
      // (hundreds of pixels, into a shape no second photo has), while the
      // coarse pose itself was within a step of the truth: keep that.
      kept.push({ homography: h, score: regionCorrelation(scoreOn, scoreRef, region, start) });
    }
  }
  kept.sort((p, q) => q.score - p.score);
  return kept.slice(0, KEPT);
}

/**
 * A second photo of the same scene: the map stays near a similarity within
 * the search's range (no mirror, no collapse, scales of 0.35–3 that differ
 * by at most 2× between axes, foreshortening of at most 2× across the photo).
 * A refinement that wandered off to fit a self-similar texture fails this.
 */
function plausible(h: Homography, w: number, ht: number): boolean {
  const corners = [
    [0, 0],
    [w, 0],
    [0, ht],
    [w, ht],
  ];
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const [x, y] of corners) {
    const d = h[6] * x + h[7] * y + h[8];
    if (!(d > 0)) return false;
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  if (hi > 2 * lo) return false;
  const a = h[0] - h[6] * h[2];
  const b = h[1] - h[7] * h[2];
  const c = h[3] - h[6] * h[5];
  const e = h[4] - h[7] * h[5];
  const det = a * e - b * c;
  if (!(det > 0)) return false;
  // Singular values of the 2×2 part at the origin.
  const p = (a * a + b * b + c * c + e * e) / 2;
  const q = Math.sqrt(Math.max(0, p * p - det * det));
  const big = Math.sqrt(p + q);
  const small = Math.sqrt(Math.max(0, p - q));
  return small >= 0.35 && big <= 3 && big <= 2 * small;
}

/** Zero-mean normalised correlation of target and reference (through h) on the region's points. */
function regionCorrelation(t: GreyImage, r: GreyImage, region: RefineRegion, h: Homography): number {
  let n = 0;
  let st = 0;
  let sr = 0;
  let stt = 0;
  let srr = 0;
  let str = 0;
  for (let k = 0; k < region.count; k++) {
    const x = region.points[2 * k];
    const y = region.points[2 * k + 1];
    const w = h[6] * x + h[7] * y + h[8];
    if (!(w > 1e-9)) continue;
    const u = (h[0] * x + h[1] * y + h[2]) / w;
    const v = (h[3] * x + h[4] * y + h[5]) / w;
    if (u < 0 || v < 0 || u > r.width - 1 || v > r.height - 1) continue;
    const a = sampleBilinear(t, x, y);
    const b = sampleBilinear(r, u, v);
    n++;
    st += a;
    sr += b;
    stt += a * a;
    srr += b * b;
    str += a * b;
  }
  return correlationFromSums(n, st, sr, stt, srr, str);
}

function wrapSigned(u: number): number {
  return u >= GRID / 2 + GRID / 4 ? u - GRID : u;
}

interface Base {
  grey: GreyImage;
  /** Working pixels per base pixel. */
  factor: number;
  /** Share of each base pixel that is excluded (0–1), or null. */
  excluded: Float32Array | null;
}

/** A box-averaged copy with a long side of about BASE_SIDE, and the share of excluded pixels per cell. */
function baseLevel(g: WorkingGrey, exclude: Uint8Array | null): Base {
  const f = Math.max(1, Math.floor(Math.max(g.width, g.height) / BASE_SIDE));
  const w = Math.floor(g.width / f);
  const h = Math.floor(g.height / f);
  const data = new Float32Array(w * h);
  const excluded = exclude ? new Float32Array(w * h) : null;
  const inv = 1 / (f * f);
  for (let y = 0; y < h * f; y++) {
    const row = y * g.width;
    const o = Math.floor(y / f) * w;
    for (let x = 0; x < w * f; x++) {
      const c = o + Math.floor(x / f);
      data[c] += g.data[row + x] * inv;
      if (excluded && exclude?.[row + x]) excluded[c] += inv;
    }
  }
  return { grey: { width: w, height: h, data }, factor: f, excluded };
}

interface FixedSpectra {
  /** Spectra of the known-pixel mask M, of A = T·M and of A². */
  mRe: Float64Array;
  mIm: Float64Array;
  tRe: Float64Array;
  tIm: Float64Array;
  sRe: Float64Array;
  sIm: Float64Array;
  /** Known samples. */
  known: number;
}

/** The photo sampled every `ft` working pixels into the grid's corner, its hole masked out, transformed. */
function fixedSpectra(fft: Fft2d, base: Base, ft: number, tw: number, th: number): FixedSpectra | null {
  const n2 = GRID * GRID;
  const mRe = new Float64Array(n2);
  const mIm = new Float64Array(n2);
  const tRe = new Float64Array(n2);
  const sRe = new Float64Array(n2);
  const sIm = new Float64Array(n2);
  const spacing = ft / base.factor;
  const blurred = gaussianBlur(base.grey, Math.max(0, 0.5 * spacing - 0.5));
  const excluded = base.excluded
    ? gaussianBlur({ width: base.grey.width, height: base.grey.height, data: base.excluded }, 0.5 * spacing)
    : null;
  let known = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const bx = ((x + 0.5) * ft + 0.5) / base.factor - 1;
      const by = ((y + 0.5) * ft + 0.5) / base.factor - 1;
      if (excluded && sampleBilinear(excluded, bx, by) > 0.02) continue;
      const v = sampleBilinear(blurred, bx, by);
      const i = y * GRID + x;
      mRe[i] = 1;
      // A and M share one transform: real part M, imaginary part A.
      mIm[i] = v;
      sRe[i] = v * v;
      known++;
    }
  }
  if (known < MIN_SAMPLES) return null;
  fft.forward(mRe, mIm);
  fft.forward(sRe, sIm);
  const outMRe = new Float64Array(n2);
  const outMIm = new Float64Array(n2);
  const tIm = new Float64Array(n2);
  for (let y = 0; y < GRID; y++) {
    const ny = (GRID - y) & (GRID - 1);
    for (let x = 0; x < GRID; x++) {
      const i = y * GRID + x;
      const j = ny * GRID + ((GRID - x) & (GRID - 1));
      const zr = mRe[i];
      const zi = mIm[i];
      const wr = mRe[j];
      const wi = mIm[j];
      outMRe[i] = 0.5 * (zr + wr);
      outMIm[i] = 0.5 * (zi - wi);
      tRe[i] = 0.5 * (zi + wi);
      tIm[i] = -0.5 * (zr - wr);
    }
  }
  return { mRe: outMRe, mIm: outMIm, tRe, tIm, sRe, sIm, known };
}

/** A copy `f` times smaller, by box averages. */
function boxShrink(g: GreyImage, f: number): GreyImage {
  const w = Math.max(1, Math.floor(g.width / f));
  const h = Math.max(1, Math.floor(g.height / f));
  const data = new Float32Array(w * h);
  const inv = 1 / (f * f);
  for (let y = 0; y < h * f; y++) {
    const row = y * g.width;
    const o = Math.floor(y / f) * w;
    for (let x = 0; x < w * f; x++) data[o + Math.floor(x / f)] += g.data[row + x] * inv;
  }
  return { width: w, height: h, data };
}
