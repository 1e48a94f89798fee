/**
 * Working planes kept from one structure step to the next. A step fills a
 * dozen planes the size of its search box (LSD's angles and their cosines,
 * the edge blur's sums, the analysis image); made fresh on every call they
 * left about a tenth of the step's time to the garbage collector. Each named
 * plane is kept (up to `KEEP` elements) and handed out again as a view of the
 * requested length. Its contents are whatever the last call left unless
 * `zero` is asked for, so a caller either writes every element it reads or
 * asks for zeros. Synchronous callers only: no plane is held across a call
 * that asks for the same name (one module instance per thread).
 */

/** Planes up to this many elements are kept (the step's analysis image is at most 288² = 82 944); larger ones, such as the bench metrics' whole-photo planes, are made fresh. */
const KEEP = 1 << 18;

type Plane = Float32Array | Float64Array | Int32Array | Uint8Array;
const kept = new Map<string, Plane>();

function take<T extends Plane>(name: string, n: number, zero: boolean, make: (n: number) => T): T {
  if (n > KEEP) return make(n);
  let plane = kept.get(name) as T | undefined;
  if (plane === undefined || plane.length < n) {
    // Grown with a little headroom, so that a slightly larger next box does not reallocate.
    plane = make(Math.min(KEEP, Math.max(n, Math.ceil(n * 1.25))));
    kept.set(name, plane);
    return plane.subarray(0, n) as T;
  }
  const view = plane.subarray(0, n) as T;
  if (zero) view.fill(0);
  return view;
}

export const scratchFloats = (name: string, n: number, zero = false) => take(name, n, zero, (k) => new Float32Array(k));
export const scratchDoubles = (name: string, n: number, zero = false) => take(name, n, zero, (k) => new Float64Array(k));
export const scratchInts = (name: string, n: number, zero = false) => take(name, n, zero, (k) => new Int32Array(k));
export const scratchBytes = (name: string, n: number, zero = false) => take(name, n, zero, (k) => new Uint8Array(k));
