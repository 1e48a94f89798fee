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

  private constructor(k: number) {
    this.k = k;
    this.weight = new Float64Array(k);
    this.mean = new Float64Array(k * 3);
    this.inv = new Float64Array(k * 9);
    this.logNorm = new Float64Array(k);
  }

  /**
   * Fits a mixture to `colours` (3 per sample) with sample weights `w`, using
   * only samples where `use[i]` is non-zero. `floor` is added to each
   * covariance's diagonal (Lab units²) to keep thin clusters from collapsing.
   */
  static fit(colours: Float64Array, w: Float64Array, use: Uint8Array, k: number, floor: number, iterations = 4): ColourModel {
    const n = w.length;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (use[i] !== 0 && w[i] > 0) idx.push(i);
    const kk = Math.max(1, Math.min(k, idx.length));
    const model = new ColourModel(kk);
    if (idx.length === 0) {
      model.setComponent(0, 1, [50, 0, 0], [1e4, 0, 0, 0, 1e4, 0, 0, 0, 1e4], floor);
      return model;
    }
    // Deterministic start: split the samples into kk groups by lightness.
    idx.sort((a, b) => colours[a * 3] - colours[b * 3]);
    const resp = new Float64Array(idx.length * kk);
    for (let j = 0; j < idx.length; j++) resp[j * kk + Math.min(kk - 1, Math.floor((j * kk) / idx.length))] = 1;
    for (let it = 0; it <= iterations; it++) {
      // M step.
      let total = 0;
      for (let j = 0; j < idx.length; j++) total += w[idx[j]];
      for (let c = 0; c < kk; c++) {
        let sw = 0;
        const m = [0, 0, 0];
        for (let j = 0; j < idx.length; j++) {
          const r = resp[j * kk + c] * w[idx[j]];
          if (r === 0) continue;
          sw += r;
          const o = idx[j] * 3;
          m[0] += r * colours[o];
          m[1] += r * colours[o + 1];
          m[2] += r * colours[o + 2];
        }
        if (sw <= 1e-12) {
          model.setComponent(c, 0, [50, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1], floor);
          continue;
        }
        m[0] /= sw;
        m[1] /= sw;
        m[2] /= sw;
        const cov = [0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (let j = 0; j < idx.length; j++) {
          const r = resp[j * kk + c] * w[idx[j]];
          if (r === 0) continue;
          const o = idx[j] * 3;
          const d0 = colours[o] - m[0];
          const d1 = colours[o + 1] - m[1];
          const d2 = colours[o + 2] - m[2];
          cov[0] += r * d0 * d0;
          cov[1] += r * d0 * d1;
          cov[2] += r * d0 * d2;
          cov[4] += r * d1 * d1;
          cov[5] += r * d1 * d2;
          cov[8] += r * d2 * d2;
        }
        for (const t of [0, 1, 2, 4, 5, 8]) cov[t] /= sw;
        cov[3] = cov[1];
        cov[6] = cov[2];
        cov[7] = cov[5];
        model.setComponent(c, sw / total, m, cov, floor);
      }
      if (it === iterations) break;
      // E step.
      const lp = new Float64Array(kk);
      for (let j = 0; j < idx.length; j++) {
        const o = idx[j] * 3;
        let best = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < kk; c++) {
          lp[c] = model.componentLog(c, colours[o], colours[o + 1], colours[o + 2]);
          if (lp[c] > best) best = lp[c];
        }
        let s = 0;
        for (let c = 0; c < kk; c++) {
          lp[c] = Math.exp(lp[c] - best);
          s += lp[c];
        }
        for (let c = 0; c < kk; c++) resp[j * kk + c] = lp[c] / s;
      }
    }
    return model;
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
    let best = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < this.k; c++) {
      if (this.weight[c] <= 0) continue;
      const v = this.componentLog(c, l, a, b);
      if (v > best) best = v;
    }
    if (best === Number.NEGATIVE_INFINITY) return -1e6;
    let s = 0;
    for (let c = 0; c < this.k; c++) if (this.weight[c] > 0) s += Math.exp(this.componentLog(c, l, a, b) - best);
    return best + Math.log(s);
  }
}
