/**
 * Square two-dimensional complex FFT of a power-of-two side (iterative
 * radix-2 Cooley–Tukey, rows then columns), for correlating small images in
 * the frequency domain. Real and imaginary parts are separate planes, rows
 * packed; transforms are in place and unnormalised (the inverse divides by
 * N² itself).
 */

export class Fft2d {
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
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
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  /** Forward (e^{−2πi·kx/N}) transform of the size×size planes, in place. */
  forward(re: Float64Array, im: Float64Array): void {
    this.transform2d(re, im, -1);
  }

  /** Inverse transform, divided by N², in place. */
  inverse(re: Float64Array, im: Float64Array): void {
    this.transform2d(re, im, 1);
    const inv = 1 / (this.size * this.size);
    for (let i = 0; i < re.length; i++) {
      re[i] *= inv;
      im[i] *= inv;
    }
  }

  private transform2d(re: Float64Array, im: Float64Array, sign: number): void {
    const n = this.size;
    for (let r = 0; r < n; r++) this.line(re, im, r * n, 1, sign);
    for (let c = 0; c < n; c++) this.line(re, im, c, n, sign);
  }

  /** One 1-D transform of the line starting at `start` with `stride`, through the scratch line. */
  private line(re: Float64Array, im: Float64Array, start: number, stride: number, sign: number): void {
    const n = this.size;
    const a = this.re;
    const b = this.im;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i];
      a[j] = re[start + i * stride];
      b[j] = im[start + i * stride];
    }
    for (let half = 1, step = n >> 1; half < n; half <<= 1, step >>= 1) {
      for (let s = 0; s < n; s += 2 * half) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = sign * this.sin[k * step];
          const p = s + k;
          const q = p + half;
          const tr = a[q] * wr - b[q] * wi;
          const ti = a[q] * wi + b[q] * wr;
          a[q] = a[p] - tr;
          b[q] = b[p] - ti;
          a[p] += tr;
          b[p] += ti;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      re[start + i * stride] = a[i];
      im[start + i * stride] = b[i];
    }
  }
}
