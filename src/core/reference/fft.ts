/**
 * Square two-dimensional complex FFT of a power-of-two side (iterative
 * radix-2 Cooley–Tukey, rows then columns), for correlating small images in
 * the frequency domain. Real and imaginary parts are separate planes, rows
 * packed; transforms are in place and unnormalised (the inverse divides by
 * N² itself). In WebAssembly where it runs (`fft2d` in assembly/align.ts,
 * the same operations in the same order, so the same bits); this
 * TypeScript is the fallback.
 */

import { fft2dInWasm } from "./wasm/align.js";

export class Fft2d {
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;

  /** `wasm`: the transforms in WebAssembly where it runs (the same bits); false, in TypeScript. */
  constructor(
    size: number,
    private readonly wasm = true,
  ) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new Error(`FFT size ${size} is not a power of two`);
    this.size = size;
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
    const bits = Math.log2(size);
    this.reversed = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
  }

  /** Forward (e^{−2πi·kx/N}) transform of the size×size planes, in place. */
  forward(re: Float64Array, im: Float64Array): void {
    if (this.wasm && fft2dInWasm(re, im, this.size, this.cos, this.sin, this.reversed, -1, 1)) return;
    this.transform2d(re, im, -1);
  }

  /** Inverse transform, divided by N², in place. */
  inverse(re: Float64Array, im: Float64Array): void {
    const inv = 1 / (this.size * this.size);
    if (this.wasm && fft2dInWasm(re, im, this.size, this.cos, this.sin, this.reversed, 1, inv)) return;
    this.transform2d(re, im, 1);
    for (let i = 0; i < re.length; i++) {
      re[i] *= inv;
      im[i] *= inv;
    }
  }

  private transform2d(re: Float64Array, im: Float64Array, sign: number): void {
    const n = this.size;
    for (let r = 0; r < n; r++) this.row(re, im, r * n, sign);
    this.columns(re, im, sign);
  }

  /** The 1-D transform of one row, in place: rows in bit-reversed order, then the butterflies. */
  private row(re: Float64Array, im: Float64Array, o: number, sign: number): void {
    const n = this.size;
    // A row of +0 (the padding around a small image) transforms to +0: every product and sum of +0 with the
    // finite twiddles is ±0, and +0 − (±0) and +0 + (±0) are +0 again.
    let blank = true;
    for (let i = o; i < o + n && blank; i++) blank = Object.is(re[i], 0) && Object.is(im[i], 0);
    if (blank) return;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i];
      if (j <= i) continue;
      const r = re[o + i];
      re[o + i] = re[o + j];
      re[o + j] = r;
      const m = im[o + i];
      im[o + i] = im[o + j];
      im[o + j] = m;
    }
    for (let half = 1, step = n >> 1; half < n; half <<= 1, step >>= 1) {
      for (let s = o; s < o + n; s += 2 * half) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = sign * this.sin[k * step];
          const p = s + k;
          const q = p + half;
          const tr = re[q] * wr - im[q] * wi;
          const ti = re[q] * wi + im[q] * wr;
          re[q] = re[p] - tr;
          im[q] = im[p] - ti;
          re[p] += tr;
          im[p] += ti;
        }
      }
    }
  }

  /**
   * The 1-D transform of every column at once, whole rows at a time: the rows
   * in bit-reversed order, then each butterfly applied to a pair of rows. A
   * column read one value per row (a stride of the side) left the cache at
   * every step; here every inner loop runs along a row, and each column sees
   * the same operations in the same order as a column transformed alone, so the same numbers.
   */
  private columns(re: Float64Array, im: Float64Array, sign: number): void {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i];
      if (j <= i) continue;
      for (let c = 0, p = i * n, q = j * n; c < n; c++, p++, q++) {
        const r = re[p];
        re[p] = re[q];
        re[q] = r;
        const m = im[p];
        im[p] = im[q];
        im[q] = m;
      }
    }
    for (let half = 1, step = n >> 1; half < n; half <<= 1, step >>= 1) {
      for (let s = 0; s < n; s += 2 * half) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = sign * this.sin[k * step];
          const p0 = (s + k) * n;
          const q0 = p0 + half * n;
          for (let c = 0; c < n; c++) {
            const p = p0 + c;
            const q = q0 + c;
            const tr = re[q] * wr - im[q] * wi;
            const ti = re[q] * wi + im[q] * wr;
            re[q] = re[p] - tr;
            im[q] = im[p] - ti;
            re[p] += tr;
            im[p] += ti;
          }
        }
      }
    }
  }
}
