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
  const usable = new Uint8Array(w * h);
  for (let i = 0; i < usable.length; i++) usable[i] = ring[i] & valid[i];
  const centres: number[] = [];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1, i = y * w + 1; x < w - 1; x++, i++) {
      if (!usable[i]) continue;
      if (!usable[i - w - 1] || !usable[i - w] || !usable[i - w + 1] || !usable[i - 1] || !usable[i + 1]) continue;
      if (!usable[i + w - 1] || !usable[i + w] || !usable[i + w + 1]) continue;
      centres.push(i);
    }
  }
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
  for (let c = 0; c < 3; c++) if (match.excess[c] > 0) wienerChannel(ref, c, valid, apply, w, h, match.excess[c] ** 2);
  return match;
}

/**
 * The noise of one channel over the given centres: the median of the 3×3
 * windows' variance (unbiased), over the median of χ²₈/8, so that white
 * noise of σ gives σ. The variance sees noise that the warp's magnification
 * made blotchy, which a second-difference mask would not.
 */
function noiseSigma(rgb: Float32Array, c: number, centres: number[], w: number, histogram: Int32Array): number {
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
 * Lee's filter on channel `c` at the pixels set in `apply`: mean and variance
 * over the valid pixels of the 5×5 window (running sums along rows, then
 * along columns), and x ← m + max(0, v − noise)/v · (x − m).
 */
function wienerChannel(rgb: Float32Array, c: number, valid: Uint8Array, apply: Uint8Array, w: number, h: number, noise: number): void {
  // Only the rows and columns around the pixels to change are summed.
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
  const bh = by1 - by0 + 1;
  // Row sums (count, Σx, Σx²) over each pixel's horizontal window, then the same down the columns.
  const rowN = new Float32Array(bw * bh);
  const rowS = new Float64Array(bw * bh);
  const rowQ = new Float64Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    const src = (by0 + y) * w + bx0;
    for (let x = 0; x < bw; x++) {
      let n = 0;
      let s = 0;
      let q = 0;
      const from = Math.max(0, x - RADIUS);
      const to = Math.min(bw - 1, x + RADIUS);
      for (let k = from; k <= to; k++) {
        if (!valid[src + k]) continue;
        const v = rgb[(src + k) * 3 + c];
        n++;
        s += v;
        q += v * v;
      }
      const o = y * bw + x;
      rowN[o] = n;
      rowS[o] = s;
      rowQ[o] = q;
    }
  }
  const before = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) before[y * bw + x] = rgb[((by0 + y) * w + bx0 + x) * 3 + c];
  for (let y = y0; y <= y1; y++) {
    const from = Math.max(0, y - by0 - RADIUS);
    const to = Math.min(bh - 1, y - by0 + RADIUS);
    for (let x = x0; x <= x1; x++) {
      const i = y * w + x;
      if (!apply[i]) continue;
      let n = 0;
      let s = 0;
      let q = 0;
      for (let k = from, o = from * bw + x - bx0; k <= to; k++, o += bw) {
        n += rowN[o];
        s += rowS[o];
        q += rowQ[o];
      }
      if (n < 2) continue;
      const mean = s / n;
      const variance = Math.max(0, q / n - mean * mean);
      if (variance <= 0) continue;
      const keep = Math.max(0, variance - noise) / variance;
      const v = before[(y - by0) * bw + x - bx0];
      rgb[i * 3 + c] = mean + keep * (v - mean);
    }
  }
}
