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

/**
 * Float32 planes handed back once their user is done with them, for the next
 * plane of about the same size: a fill's working images (the low-resolution
 * crop, its pyramid levels and their shared copies for the pool's threads)
 * come back at the end of each erase and serve the next one. Unlike a
 * `Scratch`, a plane is owned by whoever took it until it is given back, so
 * erases that interleave on one thread never share one. `take` zeroes, so a
 * taken plane reads as a fresh one. Only planes this pool made are taken
 * back; at most `keepPlanes` planes and `keepBytes` bytes are kept.
 */
export class PlanePool {
  private readonly free: Float32Array[] = [];
  private readonly made = new WeakSet<ArrayBufferLike>();
  private bytes = 0;

  constructor(
    private readonly keepPlanes = 16,
    private readonly keepBytes = 48 << 20,
  ) {}

  /** A zeroed plane of `length` values, in a SharedArrayBuffer when `shared`. */
  take(length: number, shared = false): Float32Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.buffer instanceof SharedArrayBuffer !== shared || f.length < length || f.length > 2 * length) continue;
      if (best < 0 || f.length < this.free[best].length) best = i;
    }
    if (best < 0) {
      const plane = shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
      this.made.add(plane.buffer);
      return plane;
    }
    const [kept] = this.free.splice(best, 1);
    this.bytes -= kept.byteLength;
    const view = kept.length === length ? kept : kept.subarray(0, length);
    view.fill(0);
    return view;
  }

  /**
   * Hands a plane from `take` back; it must not be used afterwards. Others
   * (and repeats) are ignored. Over the limits the oldest kept planes go
   * first: planes of another photo's sizes would otherwise hold the pool.
   */
  give(plane: Float32Array): void {
    const buffer = plane.buffer;
    if (!this.made.has(buffer) || this.free.some((f) => f.buffer === buffer)) return;
    const whole = new Float32Array(buffer);
    if (whole.byteLength > this.keepBytes) return;
    while (this.free.length >= this.keepPlanes || this.bytes + whole.byteLength > this.keepBytes) {
      this.bytes -= (this.free.shift() as Float32Array).byteLength;
    }
    this.free.push(whole);
    this.bytes += whole.byteLength;
  }
}

/** This thread's pool of the fill's float planes. */
export const floatPlanes = new PlanePool();
