/**
 * Gaussian mixture colour models in L*a*b*, as GrabCut uses for foreground and
 * background (Rother et al., SIGGRAPH 2004, §3): K full-covariance components
 * fitted by a few weighted EM steps. Samples are region mean colours weighted
 * by region size, so a fit costs microseconds, not a pass over the pixels.
 */

export class ColourModel {
  readonly k: number;
  private weight: Float64Array;
  private mean: Float64Array;
  /** Inverse covariance (row-major 3×3) per component. */
  private inv: Float64Array;
  /** log(weight) − ½·log det(Σ) − 1.5·log(2π) per component. */
  private logNorm: Float64Array;
  /** Per-component log densities of the colour being evaluated. */
  private scratch: Float64Array;

  private constructor(k: number) {
    this.k = k;
    this.weight = new Float64Array(k);
    this.mean = new Float64Array(k * 3);
    this.inv = new Float64Array(k * 9);
    this.logNorm = new Float64Array(k);
    this.scratch = new Float64Array(k);
  }

  /**
   * Fits a mixture to `colours` (3 per sample) with sample weights `w`, using
   * only samples where `use[i]` is non-zero. `floor` is added to each
   * covariance's diagonal (Lab units²) to keep thin clusters from collapsing.
   */
  static fit(
    colours: Float64Array,
    w: Float64Array,
    use: Uint8Array,
    k: number,
    floor: number,
    iterations = 4,
    byLightness: Int32Array = ColourModel.lightnessOrder(colours),
  ): ColourModel {
    let n = 0;
    for (let i = 0; i < w.length; i++) if (use[i] !== 0 && w[i] > 0) n++;
    const kk = Math.max(1, Math.min(k, n));
    const model = new ColourModel(kk);
    if (n === 0) {
      model.setComponent(0, 1, [50, 0, 0], [1e4, 0, 0, 0, 1e4, 0, 0, 0, 1e4], floor);
      return model;
    }
    // The samples in use, packed, in order of lightness (stable on ties).
    const order = new Int32Array(n);
    for (let q = 0, j = 0; q < byLightness.length; q++) {
      const i = byLightness[q];
      if (use[i] !== 0 && w[i] > 0) order[j++] = i;
    }
    const x = new Float64Array(n * 3);
    const ws = new Float64Array(n);
    let total = 0;
    for (let j = 0; j < n; j++) {
      const o = order[j] * 3;
      x[j * 3] = colours[o];
      x[j * 3 + 1] = colours[o + 1];
      x[j * 3 + 2] = colours[o + 2];
      ws[j] = w[order[j]];
      total += ws[j];
    }
    // Deterministic start: kk groups of consecutive lightness.
    const resp = new Float64Array(n * kk);
    for (let j = 0; j < n; j++) resp[j * kk + Math.min(kk - 1, Math.floor((j * kk) / n))] = 1;
    // Weighted moments per component: Σr, Σr·x (3), Σr·x·xᵀ (upper triangle, 6).
    const mom = new Float64Array(kk * 10);
    const lp = new Float64Array(kk);
    for (let it = 0; it <= iterations; it++) {
      // M step, from the moments (one pass over the samples for all components).
      mom.fill(0);
      for (let j = 0; j < n; j++) {
        const x0 = x[j * 3];
        const x1 = x[j * 3 + 1];
        const x2 = x[j * 3 + 2];
        for (let c = 0; c < kk; c++) {
          const r = resp[j * kk + c] * ws[j];
          if (r === 0) continue;
          const m = c * 10;
          mom[m] += r;
          mom[m + 1] += r * x0;
          mom[m + 2] += r * x1;
          mom[m + 3] += r * x2;
          mom[m + 4] += r * x0 * x0;
          mom[m + 5] += r * x0 * x1;
          mom[m + 6] += r * x0 * x2;
          mom[m + 7] += r * x1 * x1;
          mom[m + 8] += r * x1 * x2;
          mom[m + 9] += r * x2 * x2;
        }
      }
      for (let c = 0; c < kk; c++) {
        const m = c * 10;
        const sw = mom[m];
        if (sw <= 1e-12) {
          model.setComponent(c, 0, [50, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1], floor);
          continue;
        }
        const m0 = mom[m + 1] / sw;
        const m1 = mom[m + 2] / sw;
        const m2 = mom[m + 3] / sw;
        // Covariance = E[x·xᵀ] − mean·meanᵀ, clamped at 0 on the diagonal against rounding.
        const c00 = Math.max(0, mom[m + 4] / sw - m0 * m0);
        const c01 = mom[m + 5] / sw - m0 * m1;
        const c02 = mom[m + 6] / sw - m0 * m2;
        const c11 = Math.max(0, mom[m + 7] / sw - m1 * m1);
        const c12 = mom[m + 8] / sw - m1 * m2;
        const c22 = Math.max(0, mom[m + 9] / sw - m2 * m2);
        model.setComponent(c, sw / total, [m0, m1, m2], [c00, c01, c02, c01, c11, c12, c02, c12, c22], floor);
      }
      if (it === iterations) break;
      // E step.
      for (let j = 0; j < n; j++) {
        const l = x[j * 3];
        const a = x[j * 3 + 1];
        const b = x[j * 3 + 2];
        let best = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < kk; c++) {
          lp[c] = model.componentLog(c, l, a, b);
          if (lp[c] > best) best = lp[c];
        }
        let sum = 0;
        for (let c = 0; c < kk; c++) {
          lp[c] = Math.exp(lp[c] - best);
          sum += lp[c];
        }
        for (let c = 0; c < kk; c++) resp[j * kk + c] = lp[c] / sum;
      }
    }
    return model;
  }

  /**
   * All samples' indices in order of lightness, stable on ties: the order
   * `fit` starts from. Callers that fit the same samples many times (every
   * tap) compute it once. Sorted as numbers keyed (lightness in millionths,
   * then position): a typed-array sort without a comparator callback.
   */
  static lightnessOrder(colours: Float64Array): Int32Array {
    const n = colours.length / 3;
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = Math.floor(Math.max(0, colours[i * 3]) * 1e6) * n + i;
    keys.sort();
    const order = new Int32Array(n);
    for (let j = 0; j < n; j++) order[j] = keys[j] % n;
    return order;
  }

  private setComponent(c: number, weight: number, m: ArrayLike<number>, cov: number[], floor: number): void {
    const a = cov[0] + floor;
    const b = cov[1];
    const cc = cov[2];
    const d = cov[4] + floor;
    const e = cov[5];
    const f = cov[8] + floor;
    const det = a * (d * f - e * e) - b * (b * f - e * cc) + cc * (b * e - d * cc);
    const inv = this.inv;
    const o = c * 9;
    inv[o] = (d * f - e * e) / det;
    inv[o + 1] = (cc * e - b * f) / det;
    inv[o + 2] = (b * e - cc * d) / det;
    inv[o + 3] = inv[o + 1];
    inv[o + 4] = (a * f - cc * cc) / det;
    inv[o + 5] = (b * cc - a * e) / det;
    inv[o + 6] = inv[o + 2];
    inv[o + 7] = inv[o + 5];
    inv[o + 8] = (a * d - b * b) / det;
    this.weight[c] = weight;
    this.mean[c * 3] = m[0];
    this.mean[c * 3 + 1] = m[1];
    this.mean[c * 3 + 2] = m[2];
    this.logNorm[c] = Math.log(Math.max(weight, 1e-12)) - 0.5 * Math.log(Math.max(det, 1e-12)) - 1.5 * Math.log(2 * Math.PI);
  }

  private componentLog(c: number, l: number, a: number, b: number): number {
    const d0 = l - this.mean[c * 3];
    const d1 = a - this.mean[c * 3 + 1];
    const d2 = b - this.mean[c * 3 + 2];
    const m = this.inv;
    const o = c * 9;
    const q =
      d0 * (m[o] * d0 + m[o + 1] * d1 + m[o + 2] * d2) +
      d1 * (m[o + 3] * d0 + m[o + 4] * d1 + m[o + 5] * d2) +
      d2 * (m[o + 6] * d0 + m[o + 7] * d1 + m[o + 8] * d2);
    return this.logNorm[c] - 0.5 * q;
  }

  /** log p(colour) under the mixture. */
  logDensity(l: number, a: number, b: number): number {
    const lp = this.scratch;
    let best = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < this.k; c++) {
      lp[c] = this.weight[c] > 0 ? this.componentLog(c, l, a, b) : Number.NEGATIVE_INFINITY;
      if (lp[c] > best) best = lp[c];
    }
    if (best === Number.NEGATIVE_INFINITY) return -1e6;
    let s = 0;
    for (let c = 0; c < this.k; c++) if (lp[c] !== Number.NEGATIVE_INFINITY) s += Math.exp(lp[c] - best);
    return best + Math.log(s);
  }
}
