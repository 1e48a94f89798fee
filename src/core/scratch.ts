/**
 * Scratch planes kept between calls on one thread. A fresh typed array costs
 * page faults on first touch and counts towards the external memory that
 * makes V8 collect garbage: on this machine a fresh 0.5 MB plane cost 1–3 ms,
 * the same plane reused 0.05 ms, and the planes of one 1K stroke's erase
 * added up to 14 MB. Each `Scratch` belongs to one synchronous function (or a
 * few that never run at once) and hands out views of one buffer that stay
 * valid until the next `take` of the same scratch: nothing it returns may be
 * kept or returned beyond that. Planes above `keep` values are not kept.
 */

type Plane = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Values a scratch keeps between calls: 4 Mi (16 MB of float32), more than a default fill's planes need. */
const KEEP = 1 << 22;

export class Scratch<T extends Plane> {
  private plane: T;

  constructor(
    private readonly make: (length: number) => T,
    private readonly keep = KEEP,
  ) {
    this.plane = make(0);
  }

  /** A plane of `length` values, zeroed when `zeroed` (else holding whatever the last user left). */
  take(length: number, zeroed: boolean): T {
    if (length > this.keep) return this.make(length);
    if (this.plane.length < length) {
      this.plane = this.make(length);
      return this.plane.length === length ? this.plane : (this.plane.subarray(0, length) as T);
    }
    const view = this.plane.length === length ? this.plane : (this.plane.subarray(0, length) as T);
    if (zeroed) view.fill(0);
    return view;
  }
}

export const float32Scratch = (): Scratch<Float32Array> => new Scratch((n) => new Float32Array(n));
export const uint8Scratch = (): Scratch<Uint8Array> => new Scratch((n) => new Uint8Array(n));
export const float64Scratch = (): Scratch<Float64Array> => new Scratch((n) => new Float64Array(n));
export const int32Scratch = (): Scratch<Int32Array> => new Scratch((n) => new Int32Array(n));
