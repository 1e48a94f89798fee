// The random stream of src/core/random.ts (`Random`, mulberry32) for the
// kernels that draw from it (the PatchMatch scan, the attention's search):
// they start from `Random.position`, draw as `Random.int` does and hand the
// state back, so a fill gives the same pixels in WebAssembly and TypeScript.

let state: i32 = 0;

/** Continues the stream from `Random.position`. */
export function setRandomState(position: i32): void {
  state = position;
}

/** The stream's state, for `Random.position`. */
export function randomState(): i32 {
  return state;
}

/** Random.next(): mulberry32 / 2³², uniform in [0, 1). */
@inline
export function randomNext(): f64 {
  state = state + 0x6d2b79f5;
  let t = state;
  t = (t ^ (<i32>(<u32>t >> 15))) * (t | 1);
  t ^= t + (t ^ (<i32>(<u32>t >> 7))) * (t | 61);
  const u = <u32>(t ^ (<i32>(<u32>t >> 14)));
  return <f64>u / 4294967296.0;
}

/** Random.int(lo, hi): lo + floor(next() · (hi − lo + 1)). */
@inline
export function randomInt(lo: i32, hi: i32): i32 {
  return lo + <i32>Math.floor(randomNext() * <f64>(hi - lo + 1));
}
