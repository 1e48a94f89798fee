/**
 * Seeded pseudo-random numbers (mulberry32), so that every fill is
 * reproducible for a given seed. Pure and allocation-free per draw.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = (seed | 0) ^ 0x9e3779b9;
  }

  /** A generator that continues from this one's current state, independently of it. */
  clone(): Random {
    const copy = new Random(0);
    copy.state = this.state;
    return copy;
  }

  /**
   * The generator's 32-bit state, for code that draws the same stream
   * elsewhere (the WebAssembly PatchMatch scan) and hands it back.
   */
  get position(): number {
    return this.state;
  }

  set position(state: number) {
    this.state = state | 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}
