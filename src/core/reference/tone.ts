/**
 * Per-channel tone curves mapping the aligned reference's colours onto the
 * photo's, for two photos taken in other light or with another tone curve
 * (exposure, gamma, white balance, a phone's local contrast). A straight
 * gain and bias cannot follow a gamma of 0.6 or 1.6; a free histogram match
 * is pulled around by people who moved. This fits, per channel, the median
 * photo value for each band of reference values on the known ring (robust to
 * what moved), makes the curve non-decreasing by pool-adjacent-violators
 * isotonic regression (Ayer et al. 1955), and continues it past the ends of
 * the observed range with the robust straight fit's slope.
 */

/** 3 channels × 256 entries: the photo's value for each integer reference value. */
export type ToneCurves = Float32Array;

const BANDS = 64;
const BAND_WIDTH = 256 / BANDS;
/** Samples a band needs before its median counts: at least this many… */
const MIN_BAND_SAMPLES = 12;
/** …and this fraction of an average band, so a few highlights or moved pixels alone cannot bend the curve's ends. */
const MIN_BAND_SHARE = 0.2;

/**
 * Fits the curves on the pixels where `use` and `valid` are set (`target` and
 * `ref` interleaved RGB floats). `linear` is the straight fit
 * [g_r, g_g, g_b, b_r, b_g, b_b] used past the observed range, and alone when
 * fewer than three bands are populated.
 */
export function fitToneCurves(
  target: Float32Array,
  ref: Float32Array,
  use: Uint8Array,
  valid: Uint8Array,
  linear: Float64Array,
): ToneCurves {
  const out = new Float32Array(3 * 256);
  const histogram = new Int32Array(BANDS * 256);
  const centre = new Float64Array(BANDS);
  const value = new Float64Array(BANDS);
  const weight = new Float64Array(BANDS);
  const sum = new Float64Array(BANDS);
  for (let c = 0; c < 3; c++) {
    histogram.fill(0);
    sum.fill(0);
    const count = new Int32Array(BANDS);
    for (let i = 0; i < use.length; i++) {
      if (!use[i] || !valid[i]) continue;
      const r = ref[i * 3 + c];
      const band = Math.min(BANDS - 1, Math.floor(r / BAND_WIDTH));
      const t = Math.round(target[i * 3 + c]);
      histogram[band * 256 + (t < 0 ? 0 : t > 255 ? 255 : t)]++;
      count[band]++;
      sum[band] += r;
    }
    // Populated bands: mean reference value, median photo value.
    let total = 0;
    for (let b = 0; b < BANDS; b++) total += count[b];
    const minCount = Math.max(MIN_BAND_SAMPLES, (MIN_BAND_SHARE * total) / BANDS);
    let m = 0;
    for (let b = 0; b < BANDS; b++) {
      if (count[b] < minCount) continue;
      let seen = 0;
      let v = 0;
      while (v < 255 && 2 * (seen + histogram[b * 256 + v]) < count[b]) seen += histogram[b * 256 + v++];
      centre[m] = sum[b] / count[b];
      value[m] = v;
      weight[m] = count[b];
      m++;
    }
    const g = linear[c];
    const bias = linear[3 + c];
    if (m < 3) {
      for (let v = 0; v < 256; v++) out[c * 256 + v] = g * v + bias;
      continue;
    }
    m = isotonic(value, weight, centre, m);
    for (let v = 0, k = 0; v < 256; v++) {
      while (k < m - 1 && centre[k + 1] <= v) k++;
      let y: number;
      if (v <= centre[0]) y = value[0] + g * (v - centre[0]);
      else if (v >= centre[m - 1]) y = value[m - 1] + g * (v - centre[m - 1]);
      else {
        const t = (v - centre[k]) / Math.max(1e-6, centre[k + 1] - centre[k]);
        y = value[k] + t * (value[k + 1] - value[k]);
      }
      out[c * 256 + v] = y;
    }
  }
  return out;
}

/** The photo's value for reference value `v` (0–255, fractional) in channel `c`. */
export function applyTone(curves: ToneCurves, c: number, v: number): number {
  const x = v < 0 ? 0 : v > 255 ? 255 : v;
  const i = Math.min(254, Math.floor(x));
  const t = x - i;
  const o = c * 256 + i;
  return curves[o] + t * (curves[o + 1] - curves[o]);
}

/**
 * Pool adjacent violators: replaces value[0..m) by its weighted
 * non-decreasing fit in place, merging pooled blocks into single points
 * (weighted centres). Returns the number of points left.
 */
function isotonic(value: Float64Array, weight: Float64Array, centre: Float64Array, m: number): number {
  let n = 0;
  for (let k = 0; k < m; k++) {
    value[n] = value[k];
    weight[n] = weight[k];
    centre[n] = centre[k];
    n++;
    while (n > 1 && value[n - 2] > value[n - 1]) {
      const w = weight[n - 2] + weight[n - 1];
      value[n - 2] = (weight[n - 2] * value[n - 2] + weight[n - 1] * value[n - 1]) / w;
      centre[n - 2] = (weight[n - 2] * centre[n - 2] + weight[n - 1] * centre[n - 1]) / w;
      weight[n - 2] = w;
      n--;
    }
  }
  return n;
}
