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
  const usable = new Uint8Array(w * h);
  for (let i = 0; i < usable.length; i++) usable[i] = ring[i] & valid[i];
  let all = new Int32Array(1024);
  let count = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1, i = y * w + 1; x < w - 1; x++, i++) {
      if (usable[i] === 0) continue;
      if ((usable[i - w - 1] & usable[i - w] & usable[i - w + 1] & usable[i - 1] & usable[i + 1]) === 0) continue;
      if ((usable[i + w - 1] & usable[i + w] & usable[i + w + 1]) === 0) continue;
      if (count === all.length) {
        const grown = new Int32Array(2 * count);
        grown.set(all);
        all = grown;
      }
      all[count++] = i;
    }
  }
  const step = Math.max(1, Math.floor(count / MAX_SAMPLES));
  const out = new Int32Array(Math.ceil(count / step));
  for (let k = 0, j = 0; k < count; k += step, j++) out[j] = all[k];
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
 * Sliding sums: each row's window sums (`RowSums`), kept for the 2r + 1 rows
 * a window spans, are added up down the columns as the window moves. A row's
 * sums are taken before the row is filtered, so every window sees the
 * reference as it was.
 */
function wienerFilter(rgb: Float32Array, valid: Uint8Array, apply: Uint8Array, w: number, h: number, noise: number[]): void {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0, i = y * w; x < w; x++, i++) {
      if (apply[i] === 0) continue;
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
  const sums = new RowSums(bx1 - bx0 + 1, 2 * RADIUS + 1);
  for (let y = by0; y < Math.min(by1 + 1, y0 + RADIUS); y++) {
    sums.take(rgb, valid, w, bx0, y);
    sums.add(y, 1);
  }
  const nr = noise[0];
  const ng = noise[1];
  const nb = noise[2];
  const { n: cn, r: cr, g: cg, b: cb, rr: crr, gg: cgg, bb: cbb } = sums.column;
  for (let y = y0; y <= y1; y++) {
    if (y + RADIUS <= by1) {
      sums.take(rgb, valid, w, bx0, y + RADIUS);
      sums.add(y + RADIUS, 1);
    }
    for (let x = x0, i = y * w + x0, o = x0 - bx0; x <= x1; x++, i++, o++) {
      if (apply[i] === 0) continue;
      const n = cn[o];
      if (n < 2) continue;
      const p = i * 3;
      if (nr > 0) rgb[p] = wiener(rgb[p], cr[o] / n, crr[o] / n, nr);
      if (ng > 0) rgb[p + 1] = wiener(rgb[p + 1], cg[o] / n, cgg[o] / n, ng);
      if (nb > 0) rgb[p + 2] = wiener(rgb[p + 2], cb[o] / n, cbb[o] / n, nb);
    }
    if (y - RADIUS >= by0) sums.add(y - RADIUS, -1);
  }
}

/** One value through Lee's filter, from its window's mean and mean square. */
function wiener(value: number, mean: number, meanSquare: number, noise: number): number {
  const variance = meanSquare - mean * mean;
  if (variance <= noise) return mean;
  return mean + ((variance - noise) / variance) * (value - mean);
}

/** Count, sums and sums of squares of RGB, per column. */
class Planes {
  readonly n: Float64Array;
  readonly r: Float64Array;
  readonly g: Float64Array;
  readonly b: Float64Array;
  readonly rr: Float64Array;
  readonly gg: Float64Array;
  readonly bb: Float64Array;
  constructor(length: number) {
    this.n = new Float64Array(length);
    this.r = new Float64Array(length);
    this.g = new Float64Array(length);
    this.b = new Float64Array(length);
    this.rr = new Float64Array(length);
    this.gg = new Float64Array(length);
    this.bb = new Float64Array(length);
  }
}

/** The horizontal window sums of the last `slots` rows taken (a ring buffer), and their running sum down the columns. */
class RowSums {
  readonly column: Planes;
  private readonly rows: Planes;
  private readonly prefix: Planes;
  constructor(
    private readonly width: number,
    private readonly slots: number,
  ) {
    this.column = new Planes(width);
    this.rows = new Planes(width * slots);
    this.prefix = new Planes(width + 1);
  }

  /** Row y's window sums (columns x0 … x0 + width − 1 of the plane), into its slot. */
  take(rgb: Float32Array, valid: Uint8Array, w: number, x0: number, y: number): void {
    const { n, r, g, b, rr, gg, bb } = this.prefix;
    for (let x = 0, i = y * w + x0; x < this.width; x++, i++) {
      const on = valid[i] !== 0;
      const vr = on ? rgb[i * 3] : 0;
      const vg = on ? rgb[i * 3 + 1] : 0;
      const vb = on ? rgb[i * 3 + 2] : 0;
      n[x + 1] = n[x] + (on ? 1 : 0);
      r[x + 1] = r[x] + vr;
      g[x + 1] = g[x] + vg;
      b[x + 1] = b[x] + vb;
      rr[x + 1] = rr[x] + vr * vr;
      gg[x + 1] = gg[x] + vg * vg;
      bb[x + 1] = bb[x] + vb * vb;
    }
    const { n: on, r: or, g: og, b: ob, rr: orr, gg: ogg, bb: obb } = this.rows;
    const base = (y % this.slots) * this.width;
    for (let x = 0; x < this.width; x++) {
      const hi = Math.min(this.width, x + RADIUS + 1);
      const lo = Math.max(0, x - RADIUS);
      const o = base + x;
      on[o] = n[hi] - n[lo];
      or[o] = r[hi] - r[lo];
      og[o] = g[hi] - g[lo];
      ob[o] = b[hi] - b[lo];
      orr[o] = rr[hi] - rr[lo];
      ogg[o] = gg[hi] - gg[lo];
      obb[o] = bb[hi] - bb[lo];
    }
  }

  /** Adds (sign 1) or removes (−1) row y's sums, taken earlier, to or from the columns'. */
  add(y: number, sign: number): void {
    const base = (y % this.slots) * this.width;
    const { n, r, g, b, rr, gg, bb } = this.column;
    const { n: sn, r: sr, g: sg, b: sb, rr: srr, gg: sgg, bb: sbb } = this.rows;
    for (let x = 0, o = base; x < this.width; x++, o++) {
      n[x] += sign * sn[o];
      r[x] += sign * sr[o];
      g[x] += sign * sg[o];
      b[x] += sign * sb[o];
      rr[x] += sign * srr[o];
      gg[x] += sign * sgg[o];
      bb[x] += sign * sbb[o];
    }
  }
}
