/**
 * Grain matching: a reference noisier than the photo (a second shot in lower
 * light brightened by the tone fit, or a zoomed-out view magnified by the
 * warp) would paste its noise into a clean photo, which shows as a grainy
 * patch on a smooth sky or wall.
 *
 *   - The noise of each is estimated on the ring around the hole, at the same
 *     pixels of both, after the reference's tone correction: the median,
 *     over the ring, of the variance in 3×3 windows. The median ignores the
 *     edges that cross the ring, and the variance sees the blotchy noise of
 *     a magnified reference, to which a second-difference mask such as
 *     Immerkær's (1996) is nearly blind (measured: 0.2–0.5 grey levels for
 *     a view whose noise showed as 1–2).
 *   - Where the reference's noise exceeds the photo's, the excess is removed
 *     by a local adaptive Wiener filter (Lee 1980, "Digital image
 *     enhancement and noise filtering by use of local statistics"): each
 *     pixel moves towards its 5×5 mean by the share of the local variance
 *     that the excess noise explains. Edges and texture, whose variance is
 *     far above the noise's, stay; flat noise goes.
 *   - A reference no noisier than the photo is left as it is.
 */

/** Noise standard deviations of the two photos on the ring, per channel, and the excess removed. */
export interface GrainMatch {
  photo: number[];
  reference: number[];
  /** Per channel, the standard deviation of the noise removed from the reference (0: none). */
  excess: number[];
  /** Ring pixels the estimate used. */
  samples: number;
}

/** Fewer ring pixels than this with a whole 3×3 neighbourhood in both photos: no estimate, nothing changed. */
const MIN_SAMPLES = 400;
/** Ring pixels beyond this many are sampled at a stride. */
const MAX_SAMPLES = 65536;
/** The reference counts as noisier only beyond this factor on the photo's noise (the estimate's own spread). */
const NOISIER = 1.2;
/** Nor below this absolute excess (grey levels): sub-level grain is invisible and a smooth ramp's rounding shows as such. */
const MIN_EXCESS = 0.75;
/** Radius of the Wiener filter's window (5×5). */
const RADIUS = 2;
/** The median of χ² with 8 degrees of freedom, over 8: a 3×3 window's variance of white noise σ² has median 0.918 σ². */
const CHI2_8_MEDIAN = 0.918;
/** Histogram bins per unit of variance (grey levels²), and their count (larger variances go to the last). */
const BINS_PER_LEVEL = 16;
const BINS = 4096;

/**
 * Estimates the noise of `photo` and `ref` (interleaved RGB floats over a
 * w × h crop) on the `ring`'s pixels whose 3×3 neighbourhood is all in `ring`
 * and valid in the reference, and, where the reference is noisier, filters
 * its pixels set in `apply` (in place). Returns the estimates, or null when
 * the ring holds too few such pixels.
 */
export function matchGrain(
  photo: Float32Array,
  ref: Float32Array,
  ring: Uint8Array,
  valid: Uint8Array,
  apply: Uint8Array,
  w: number,
  h: number,
): GrainMatch | null {
  const centres = ringCentres(ring, valid, w, h);
  if (centres.length < MIN_SAMPLES) return null;
  const histogram = new Int32Array(BINS);
  const match: GrainMatch = { photo: [], reference: [], excess: [], samples: centres.length };
  for (let c = 0; c < 3; c++) {
    const sp = noiseSigma(photo, c, centres, w, histogram);
    const sr = noiseSigma(ref, c, centres, w, histogram);
    match.photo.push(sp);
    match.reference.push(sr);
    const excess = sr > NOISIER * sp ? Math.sqrt(sr * sr - sp * sp) : 0;
    match.excess.push(excess >= MIN_EXCESS ? excess : 0);
  }
  if (match.excess.some((e) => e > 0)) {
    wienerFilter(
      ref,
      valid,
      apply,
      w,
      h,
      match.excess.map((e) => e * e),
    );
  }
  return match;
}

/**
 * The ring's pixels whose 3×3 neighbourhood lies in the ring and is valid in
 * the reference; on a large ring every k-th of them, at most about
 * `MAX_SAMPLES` (a median needs no more).
 */
function ringCentres(ring: Uint8Array, valid: Uint8Array, w: number, h: number): Int32Array {
  const usable = (i: number) => ring[i] !== 0 && valid[i] !== 0;
  const all: number[] = [];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1, i = y * w + 1; x < w - 1; x++, i++) {
      if (!usable(i) || !usable(i - w - 1) || !usable(i - w) || !usable(i - w + 1) || !usable(i - 1) || !usable(i + 1)) continue;
      if (!usable(i + w - 1) || !usable(i + w) || !usable(i + w + 1)) continue;
      all.push(i);
    }
  }
  const step = Math.max(1, Math.floor(all.length / MAX_SAMPLES));
  const out = new Int32Array(Math.ceil(all.length / step));
  for (let k = 0, j = 0; k < all.length; k += step, j++) out[j] = all[k];
  return out;
}

/**
 * The noise of one channel over the given centres: the median of the 3×3
 * windows' variance (unbiased), over the median of χ²₈/8, so that white
 * noise of σ gives σ.
 */
function noiseSigma(rgb: Float32Array, c: number, centres: Int32Array, w: number, histogram: Int32Array): number {
  histogram.fill(0);
  const up = 3 * w;
  for (const i of centres) {
    const p = i * 3 + c;
    let s = 0;
    let q = 0;
    for (let o = p - up - 3; o <= p + up - 3; o += up) {
      const a = rgb[o];
      const b = rgb[o + 3];
      const d = rgb[o + 6];
      s += a + b + d;
      q += a * a + b * b + d * d;
    }
    const variance = Math.max(0, (q - (s * s) / 9) / 8);
    histogram[Math.min(BINS - 1, Math.floor(variance * BINS_PER_LEVEL))]++;
  }
  // The median bin, interpolated within it.
  const half = centres.length / 2;
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    const k = histogram[b];
    if (seen + k >= half) return Math.sqrt((b + (half - seen) / k) / BINS_PER_LEVEL / CHI2_8_MEDIAN);
    seen += k;
  }
  return Math.sqrt(BINS / BINS_PER_LEVEL / CHI2_8_MEDIAN);
}

/**
 * Lee's filter at the pixels set in `apply`, on each channel whose `noise`
 * (a variance) is above 0: mean m and variance v over the valid pixels of
 * the pixel's 5×5 window, and x ← m + max(0, v − noise)/v · (x − m).
 * Sliding sums: each row's window sums from prefix sums along the row, kept
 * for the 2r + 1 rows a window spans, and added up down the columns as the
 * window moves. A row's sums are taken before the row is filtered, so every
 * window sees the reference as it was.
 */
function wienerFilter(rgb: Float32Array, valid: Uint8Array, apply: Uint8Array, w: number, h: number, noise: number[]): void {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0, i = y * w; x < w; x++, i++) {
      if (!apply[i]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return;
  const bx0 = Math.max(0, x0 - RADIUS);
  const bx1 = Math.min(w - 1, x1 + RADIUS);
  const by0 = Math.max(0, y0 - RADIUS);
  const by1 = Math.min(h - 1, y1 + RADIUS);
  const bw = bx1 - bx0 + 1;
  const slots = 2 * RADIUS + 1;
  // Per slot and column: count, then Σx and Σx² of each channel (7 values).
  const rows = new Float64Array(slots * bw * 7);
  const columns = new Float64Array(bw * 7);
  const prefix = new Float64Array((bw + 1) * 7);
  const rowSums = (y: number) => {
    prefix.fill(0, 0, 7);
    for (let x = 0, i = y * w + bx0, o = 0; x < bw; x++, i++, o += 7) {
      if (valid[i] === 0) {
        prefix.copyWithin(o + 7, o, o + 7);
        continue;
      }
      const r = rgb[i * 3];
      const g = rgb[i * 3 + 1];
      const b = rgb[i * 3 + 2];
      prefix[o + 7] = prefix[o] + 1;
      prefix[o + 8] = prefix[o + 1] + r;
      prefix[o + 9] = prefix[o + 2] + g;
      prefix[o + 10] = prefix[o + 3] + b;
      prefix[o + 11] = prefix[o + 4] + r * r;
      prefix[o + 12] = prefix[o + 5] + g * g;
      prefix[o + 13] = prefix[o + 6] + b * b;
    }
    const base = (y % slots) * bw * 7;
    for (let x = 0; x < bw; x++) {
      const hi = Math.min(bw, x + RADIUS + 1) * 7;
      const lo = Math.max(0, x - RADIUS) * 7;
      const o = base + x * 7;
      rows[o] = prefix[hi] - prefix[lo];
      rows[o + 1] = prefix[hi + 1] - prefix[lo + 1];
      rows[o + 2] = prefix[hi + 2] - prefix[lo + 2];
      rows[o + 3] = prefix[hi + 3] - prefix[lo + 3];
      rows[o + 4] = prefix[hi + 4] - prefix[lo + 4];
      rows[o + 5] = prefix[hi + 5] - prefix[lo + 5];
      rows[o + 6] = prefix[hi + 6] - prefix[lo + 6];
    }
  };
  const addRow = (y: number) => {
    const base = (y % slots) * bw * 7;
    for (let k = 0; k < bw * 7; k++) columns[k] += rows[base + k];
  };
  const subtractRow = (y: number) => {
    const base = (y % slots) * bw * 7;
    for (let k = 0; k < bw * 7; k++) columns[k] -= rows[base + k];
  };
  for (let y = Math.max(by0, y0 - RADIUS); y < Math.min(by1 + 1, y0 + RADIUS); y++) {
    rowSums(y);
    addRow(y);
  }
  for (let y = y0; y <= y1; y++) {
    if (y + RADIUS <= by1) {
      rowSums(y + RADIUS);
      addRow(y + RADIUS);
    }
    for (let x = x0; x <= x1; x++) {
      const i = y * w + x;
      if (!apply[i]) continue;
      const o = (x - bx0) * 7;
      const n = columns[o];
      if (n < 2) continue;
      for (let c = 0; c < 3; c++) {
        if (noise[c] <= 0) continue;
        const mean = columns[o + 1 + c] / n;
        const variance = columns[o + 4 + c] / n - mean * mean;
        if (variance <= 0) continue;
        const keep = Math.max(0, variance - noise[c]) / variance;
        const p = i * 3 + c;
        rgb[p] = mean + keep * (rgb[p] - mean);
      }
    }
    if (y - RADIUS >= by0) subtractRow(y - RADIUS);
  }
}
