// AssemblyScript source of the seam's diffusion levels (compiled by
// scripts/build-wasm.mjs into src/core/inpaint/wasm/seam-bytes.ts; laid out
// by src/core/inpaint/wasm/seam.ts): `planSeam` in src/core/inpaint/upscale.ts
// after its ring, a breadth-first pass over 4-neighbours in which each pixel
// at depth d + 1 takes the mean mismatch of its neighbours at depth d, in
// the same order and with the same f64 arithmetic, so the entries are the
// same. Why: a single erase runs that loop once, in V8's unoptimised tiers.
//
// No data segments and no allocation: every array is an address the
// TypeScript side passes in.

/**
 * Levels 1 … b of the seam over the hole's box grown by one pixel (rw × rh):
 * `slot` (i32 a box pixel: its entry + 1, −1 for a ring pixel without one, 0
 * unreached), `hole` (a byte a box pixel, non-zero in the hole), and the
 * ring's `count` entries (`box`: the box position; `errors`: four f64). New
 * entries are appended, at most `capacity` in all; `levels` (b + 2 i32)
 * gets each level's first entry and the end. Returns the number of levels'
 * bounds written, or −1 when the entries would pass `capacity`.
 */
export function seamLevels(
  slot: usize,
  hole: usize,
  rw: i32,
  rh: i32,
  box: usize,
  errors: usize,
  count: i32,
  capacity: i32,
  b: i32,
  levels: usize,
): i32 {
  store<i32>(levels, 0);
  store<i32>(levels + 4, count);
  let bounds = 2;
  let n = count;
  for (let d = 1; d <= b; d++) {
    const start = load<i32>(levels + (<usize>(d - 1) << 2));
    const end = load<i32>(levels + (<usize>d << 2));
    if (end == start) break;
    for (let f = start; f < end; f++) {
      const q = load<i32>(box + (<usize>f << 2));
      const qx = q % rw;
      const qy = (q - qx) / rw;
      for (let nb = 0; nb < 4; nb++) {
        const x = nb == 0 ? qx - 1 : nb == 1 ? qx + 1 : qx;
        const y = nb == 2 ? qy - 1 : nb == 3 ? qy + 1 : qy;
        if (x < 0 || y < 0 || x >= rw || y >= rh) continue;
        const i = y * rw + x;
        if (load<i32>(slot + (<usize>i << 2)) != 0 || load<u8>(hole + <usize>i) == 0) continue;
        let e0: f64 = 0;
        let e1: f64 = 0;
        let e2: f64 = 0;
        let e3: f64 = 0;
        let k = 0;
        for (let mb = 0; mb < 4; mb++) {
          const xx = mb == 0 ? x - 1 : mb == 1 ? x + 1 : x;
          const yy = mb == 2 ? y - 1 : mb == 3 ? y + 1 : y;
          if (xx < 0 || yy < 0 || xx >= rw || yy >= rh) continue;
          const e = load<i32>(slot + (<usize>(yy * rw + xx) << 2)) - 1;
          // Only neighbours at depth d: entries of level d (this level's new ones come after `end`).
          if (e < start || e >= end) continue;
          const o = errors + (<usize>e << 5);
          e0 += load<f64>(o);
          e1 += load<f64>(o + 8);
          e2 += load<f64>(o + 16);
          e3 += load<f64>(o + 24);
          k++;
        }
        if (n == capacity) return -1;
        const dk = <f64>k;
        store<i32>(box + (<usize>n << 2), i);
        const o = errors + (<usize>n << 5);
        store<f64>(o, e0 / dk);
        store<f64>(o + 8, e1 / dk);
        store<f64>(o + 16, e2 / dk);
        store<f64>(o + 24, e3 / dk);
        n++;
        store<i32>(slot + (<usize>i << 2), n);
      }
    }
    store<i32>(levels + (<usize>bounds << 2), n);
    bounds++;
  }
  return bounds;
}
