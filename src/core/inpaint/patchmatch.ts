/**
 * PatchMatch nearest-neighbour fields (Barnes, Shechtman, Finkelstein,
 * Goldman, SIGGRAPH 2009) for image completion.
 *
 * Targets are the centres of patches that overlap the hole; sources are the
 * centres of (2r+1)² patches that lie inside the image and contain no hole
 * pixel, so a hole patch can only ever be matched to known content. The field
 * is improved by alternating-order scans: propagation from the previous
 * neighbour's match shifted by one pixel, then random search around the best
 * match at radii R, R/2, … 1. Distances are sums of squared differences over
 * the first three channels, plus optionally two texture-feature channels
 * weighted by λ (Newson, Almansa, Fradet, Gousseau, Pérez, "Video Inpainting
 * of Complex Scenes", SIAM J. Imaging Sciences 2014, §3.3), with early exit
 * once a candidate is worse than the current best.
 *
 * The distance reads a compact copy of the image (`packed`): 16-bit integers,
 * colours × `unit` and texture channels × unit·√λ, so that one 128-bit SIMD
 * lane group holds a pixel and squared differences sum exactly in integers.
 * A WebAssembly SIMD kernel (`wasm/patch-distance.ts`) and a TypeScript one
 * compute the same sums, so fields do not depend on which one ran.
 */
import { holeIntegral } from "../mask.js";
import { Random } from "../random.js";
import { int32Scratch } from "../scratch.js";
import { knownMagnitudeInWasm, type Packing, packInWasm, problemSetupInWasm } from "./wasm/coarse.js";
import { createDistanceKernel, type DistanceKernel, distanceOverMemory, type ScanKernel, scanOverMemory } from "./wasm/patch-distance.js";

/** One completion problem at one pyramid level. */
export interface PatchProblem {
  width: number;
  height: number;
  channels: number;
  /** Current estimate; known pixels hold the truth. Interleaved, `channels` per pixel. */
  image: Float32Array;
  /** 1 for pixels to fill. */
  hole: Uint8Array;
  radius: number;
  /** Centres whose patch overlaps the hole, in raster order. */
  targets: Int32Array;
  /** 1 where a centre is a usable source (patch inside the image, no hole). */
  validSource: Uint8Array;
  /** The valid source centres, for random initialisation. */
  sources: Int32Array;
  /** Target slot of each pixel, −1 if not a target. */
  slotOf: Int32Array;
  /** First of two texture-feature channels compared by the distance, or −1 for none. */
  textureChannel: number;
  /** λ, the weight of the texture channels' squared differences. */
  textureWeight: number;
  /**
   * The image as the distance reads it: `lanes` 16-bit values per pixel (3:
   * the three colours; 5: the three colours and the two texture channels
   * × √λ), each × `unit` and rounded. Hole pixels are re-packed by
   * `refreshDistances` and `randomNnf`, the calls that follow a change of the
   * estimate.
   */
  packed: Int16Array;
  lanes: 3 | 5;
  /** Scale of the packed values: a power of two, so distances convert back exactly. */
  unit: number;
  /** The WebAssembly SIMD distance over `packed` (packed units), or null for the TypeScript kernel. */
  kernel: ((t: number, s: number, best: number) => number) | null;
  /**
   * The shared WebAssembly memory that `packed` lives in, when the WebAssembly
   * kernel made it: unlike the kernel it travels to other threads, which run
   * their own kernel over it (`ownKernelCache`).
   */
  kernelMemory?: object;
  /**
   * The scan loop in WebAssembly over the same memory, where the problem's
   * planes and targets live (`ScanKernel`); null for the TypeScript scan.
   * Like `kernel`, it stays on the thread that made the problem.
   */
  scanKernel?: ScanKernel | null;
  /**
   * Optional side labels per pixel (structure propagation, `sideLabels` in
   * structure/): bits 2k and 2k+1 mark the left and right of continued curve
   * k. A source on the other side of a curve than its target is never taken.
   */
  side?: Uint8Array;
}

/** Whether source s lies on no other side of a continued curve than target t (see `PatchProblem.side`). */
export function sidesAgree(side: Uint8Array, t: number, s: number): boolean {
  const a = side[t];
  const b = side[s];
  return ((((a >> 1) & b) | ((b >> 1) & a)) & 0x55) === 0;
}

/** Largest packed magnitude: differences then fit 16 bits and a row of 33 pixels sums within 32 bits. */
const PACKED_MAX = 2047;

/** Texture channels that the patch distance also compares. */
export interface TextureTerm {
  channel: number;
  weight: number;
}

/** A nearest-neighbour field: one source centre and its distance per target. */
export interface Nnf {
  source: Int32Array;
  distance: Float32Array;
}

/** `makePatchProblem`'s hole integral and candidate targets, kept between calls (see scratch.ts). */
const problemScratch = { integral: int32Scratch(), targets: int32Scratch() };

/** Sets up targets and sources for a hole; returns null if nothing can be copied from. */
export function makePatchProblem(
  image: Float32Array,
  width: number,
  height: number,
  channels: number,
  hole: Uint8Array,
  radius: number,
  texture?: TextureTerm,
  kernel: "wasm" | "typescript" = "wasm",
  sides?: Uint8Array,
): PatchProblem | null {
  const r = radius;
  const textureChannel = texture?.channel ?? -1;
  const textureWeight = texture?.weight ?? 0;
  const lanes = textureChannel >= 0 ? 5 : 3;
  // In WebAssembly where it runs (the same lists and planes): copied out before the kernel's next call.
  const setup = kernel === "wasm" ? problemSetupInWasm(hole, width, height, r) : null;
  let list: Int32Array;
  let nTargets: number;
  if (setup) {
    if (setup.sources.length === 0) return null;
    list = setup.targets;
    nTargets = list.length;
  } else {
    const integral = holeIntegral(hole, width, height, problemScratch.integral.take((width + 1) * (height + 1), true));
    const w1 = width + 1;
    // Targets lie within r of the hole, so only the hole's box grown by r is scanned.
    const box = holeBoxOf(integral, width, height);
    const gx0 = Math.max(0, box.x0 - r);
    const gx1 = Math.min(width, box.x1 + r);
    const gy0 = Math.max(0, box.y0 - r);
    const gy1 = Math.min(height, box.y1 + r);
    list = problemScratch.targets.take(Math.max(0, (gx1 - gx0) * (gy1 - gy0)), false);
    nTargets = 0;
    for (let y = gy0; y < gy1; y++) {
      const ya = Math.max(0, y - r);
      const yb = Math.min(height, y + r + 1);
      for (let x = gx0; x < gx1; x++) {
        const xa = Math.max(0, x - r);
        const xb = Math.min(width, x + r + 1);
        const count = integral[yb * w1 + xb] - integral[ya * w1 + xb] - integral[yb * w1 + xa] + integral[ya * w1 + xa];
        if (count > 0) list[nTargets++] = y * width + x;
      }
    }
  }
  const wasm = kernel === "wasm" ? createDistanceKernel(width, height, r, lanes, nTargets) : null;
  const scan = wasm?.scan ?? null;
  // With the WebAssembly scan, the planes and targets are written straight into its memory (shared, so
  // threads read them uncopied).
  const validSource = scan ? scan.validSource : new Uint8Array(width * height);
  let sources: Int32Array;
  const slotOf = scan ? scan.slotOf : new Int32Array(width * height);
  let targets: Int32Array;
  if (setup) {
    validSource.set(setup.validSource);
    sources = setup.sources.slice();
    slotOf.set(setup.slotOf);
    targets = scan ? scan.targets : list.slice();
    if (scan) scan.targets.set(list);
  } else {
    const nSources = markSources(hole, width, height, r, validSource);
    if (nSources === 0) return null;
    sources = new Int32Array(nSources);
    for (let i = 0, k = 0; k < nSources; i++) if (validSource[i] !== 0) sources[k++] = i;
    slotOf.fill(-1);
    for (let k = 0; k < nTargets; k++) slotOf[list[k]] = k;
    targets = scan ? scan.targets : list.slice(0, nTargets);
    if (scan) scan.targets.set(list.subarray(0, nTargets));
  }
  const unit = packingUnit(image, hole, channels, textureChannel, textureWeight, wasm !== null);
  if (scan) {
    if (sides) scan.side.set(sides);
    scan.setUnit(unit);
  }
  const problem: PatchProblem = {
    width,
    height,
    channels,
    image,
    hole,
    radius: r,
    targets,
    validSource,
    sources,
    slotOf,
    textureChannel,
    textureWeight,
    packed: wasm?.packed ?? new Int16Array(width * height * lanes),
    lanes,
    unit,
    kernel: wasm?.distance ?? null,
    kernelMemory: wasm?.memory,
    scanKernel: scan,
  };
  if (sides) problem.side = scan ? scan.side : sides;
  packAll(problem);
  return problem;
}

/**
 * The largest power of two (at most 16) by which the known pixels' values,
 * texture channels × √λ, stay within ±PACKED_MAX. Hole pixels are filled
 * with mixes of known values, so they stay within it too (they are clamped
 * regardless).
 */
function packingUnit(image: Float32Array, hole: Uint8Array, C: number, F: number, lambda: number, wasm: boolean): number {
  const root = Math.sqrt(lambda);
  const m = (wasm ? knownMagnitudeInWasm(image, hole, C, F, root) : null) ?? knownMagnitude(image, hole, C, F, root);
  if (!(m > 0)) return 16;
  return Math.min(16, 2 ** Math.floor(Math.log2(PACKED_MAX / m)));
}

/** Largest |colour| and |texture value| × root of the known pixels (`packingUnit`'s m). */
function knownMagnitude(image: Float32Array, hole: Uint8Array, C: number, F: number, root: number): number {
  let m = 0;
  let t = 0;
  for (let i = 0, o = 0; i < hole.length; i++, o += C) {
    if (hole[i] !== 0) continue;
    const a = image[o];
    const b = image[o + 1];
    const c = image[o + 2];
    if (a > m) m = a;
    else if (-a > m) m = -a;
    if (b > m) m = b;
    else if (-b > m) m = -b;
    if (c > m) m = c;
    else if (-c > m) m = -c;
    if (F < 0) continue;
    const d = image[o + F];
    const e = image[o + F + 1];
    if (d > t) t = d;
    else if (-d > t) t = -d;
    if (e > t) t = e;
    else if (-e > t) t = -e;
  }
  if (root * t > m) m = root * t;
  return m;
}

/**
 * Math.round(v) clamped to ±PACKED_MAX, without Math.round: V8 compiles it
 * (and floor-then-compare) to a branch on the fraction, which random image
 * values mispredict half the time; here packing a level took 11 ns a value,
 * now 2.6. floor(v + ½) is a truncation of the positive v + 4096.5; when that
 * sum rounded up across an integer (v within 2⁻⁴¹ below a half), r − ½ > v
 * tells, exactly. NaN gives 0, as Math.round's NaN stored in an Int16Array.
 */
function packValue(v: number): number {
  if (v >= PACKED_MAX) return PACKED_MAX;
  if (v > -PACKED_MAX) {
    const r = ((v + 4096.5) | 0) - 4096;
    return v < r - 0.5 ? r - 1 : r;
  }
  return v <= -PACKED_MAX ? -PACKED_MAX : 0;
}

/** Writes pixel i of the image into `packed`. */
function packPixel(p: PatchProblem, i: number): void {
  const { image, channels: C, packed, lanes, unit } = p;
  const o = i * C;
  const q = i * lanes;
  packed[q] = packValue(image[o] * unit);
  packed[q + 1] = packValue(image[o + 1] * unit);
  packed[q + 2] = packValue(image[o + 2] * unit);
  if (lanes === 5) {
    const scale = unit * Math.sqrt(p.textureWeight);
    packed[q + 3] = packValue(image[o + p.textureChannel] * scale);
    packed[q + 4] = packValue(image[o + p.textureChannel + 1] * scale);
  }
}

/** Writes every pixel into `packed`: `packPixel`'s arithmetic in one loop, without a call and a lookup of the problem's fields per pixel. */
function packAll(p: PatchProblem): void {
  const { image, channels: C, packed, lanes, unit } = p;
  const n = p.width * p.height;
  if (p.kernel !== null && packInWasm(image, p.hole, null, packingOf(p), packed)) return;
  for (let i = 0, o = 0, q = 0; i < n; i++, o += C, q += lanes) {
    packed[q] = packValue(image[o] * unit);
    packed[q + 1] = packValue(image[o + 1] * unit);
    packed[q + 2] = packValue(image[o + 2] * unit);
  }
  if (lanes !== 5) return;
  const scale = unit * Math.sqrt(p.textureWeight);
  const F = p.textureChannel;
  for (let i = 0, o = F, q = 3; i < n; i++, o += C, q += lanes) {
    packed[q] = packValue(image[o] * scale);
    packed[q + 1] = packValue(image[o + 1] * scale);
  }
}

/** A problem's packing scales, for the WebAssembly packing. */
function packingOf(p: PatchProblem): Packing {
  return {
    channels: p.channels,
    lanes: p.lanes,
    unit: p.unit,
    scale: p.unit * Math.sqrt(p.textureWeight),
    textureChannel: p.textureChannel,
  };
}

/** Re-packs the hole pixels (every hole pixel is a target) after the estimate changed. */
export function packHole(p: PatchProblem): void {
  const { targets, hole } = p;
  if (p.kernel !== null && packInWasm(p.image, hole, targets, packingOf(p), p.packed)) return;
  for (let k = 0; k < targets.length; k++) if (hole[targets[k]] !== 0) packPixel(p, targets[k]);
}

/** The hole's bounding box [x0, x1) × [y0, y1) read off its summed-area table (empty when there is no hole). */
function holeBoxOf(integral: Int32Array, width: number, height: number): { x0: number; x1: number; y0: number; y1: number } {
  const w1 = width + 1;
  const total = integral[height * w1 + width];
  if (total === 0) return { x0: 0, x1: 0, y0: 0, y1: 0 };
  let y0 = 0;
  while (integral[(y0 + 1) * w1 + width] === 0) y0++;
  let y1 = height;
  while (integral[(y1 - 1) * w1 + width] === total) y1--;
  let x0 = 0;
  while (integral[height * w1 + x0 + 1] === 0) x0++;
  let x1 = width;
  while (integral[height * w1 + x1 - 1] === total) x1--;
  return { x0, x1, y0, y1 };
}

/**
 * Number of valid source centres of (2r+1)² patches for a hole plane, without
 * building the problem; counting stops at `enough`.
 */
export function countSources(hole: Uint8Array, width: number, height: number, radius: number, enough = Number.POSITIVE_INFINITY): number {
  return scanSources(hole, width, height, radius, enough, null);
}

/** Marks in `valid` (zeroed here) the centres of hole-free (2r+1)² windows inside the image and returns their number. */
function markSources(hole: Uint8Array, width: number, height: number, radius: number, valid: Uint8Array): number {
  valid.fill(0);
  return scanSources(hole, width, height, radius, Number.POSITIVE_INFINITY, valid);
}

/**
 * One pass with a run of known pixels per column: a window ends at (x, y)
 * when the last 2r+1 columns all have runs of at least 2r+1 there; its centre
 * is r up and left (marked in `valid` when given). Stops counting at `enough`.
 */
function scanSources(hole: Uint8Array, width: number, height: number, radius: number, enough: number, valid: Uint8Array | null): number {
  const side = 2 * radius + 1;
  if (width < side || height < side) return 0;
  const run = new Int32Array(width);
  const back = radius * width + radius;
  let n = 0;
  for (let y = 0; y < height; y++) {
    const o = y * width;
    let across = 0;
    for (let x = 0; x < width; x++) {
      const v = hole[o + x] !== 0 ? 0 : run[x] + 1;
      run[x] = v;
      across = v >= side ? across + 1 : 0;
      if (across >= side) {
        if (valid !== null) valid[o + x - back] = 1;
        if (++n >= enough) return n;
      }
    }
  }
  return n;
}

/**
 * Sum of squared differences between the target patch at t and the source
 * patch at s (first three channels, plus λ times the texture channels'),
 * clipped to the image around t, over the packed image. Stops early once the
 * sum reaches `best`.
 */
export function patchDistance(p: PatchProblem, t: number, s: number, best: number): number {
  const u2 = p.unit * p.unit;
  const kernel = p.kernel;
  return (kernel !== null ? kernel(t, s, best * u2) : packedDistance(p, t, s, best * u2)) / u2;
}

/**
 * The TypeScript kernel: `patchDistance` in packed units. Integer sums, exact
 * in doubles, tested for the early exit after each row as the WebAssembly
 * kernel does, so both return the same number.
 */
export function packedDistance(p: PatchProblem, t: number, s: number, best: number): number {
  const { width: w, height: h, packed: img, lanes: L, radius: r } = p;
  const tx = t % w;
  const ty = (t - tx) / w;
  const x0 = tx - r < 0 ? -tx : -r;
  const x1 = tx + r >= w ? w - 1 - tx : r;
  const y0 = ty - r < 0 ? -ty : -r;
  const y1 = ty + r >= h ? h - 1 - ty : r;
  const span = (x1 - x0 + 1) * L;
  let sum = 0;
  for (let dy = y0; dy <= y1; dy++) {
    let ti = (t + dy * w + x0) * L;
    let si = (s + dy * w + x0) * L;
    const end = ti + span;
    if (L === 5) {
      for (; ti < end; ti += 5, si += 5) {
        const a = img[ti] - img[si];
        const b = img[ti + 1] - img[si + 1];
        const c = img[ti + 2] - img[si + 2];
        const e = img[ti + 3] - img[si + 3];
        const f = img[ti + 4] - img[si + 4];
        sum += a * a + b * b + c * c + e * e + f * f;
      }
    } else {
      for (; ti < end; ti += 3, si += 3) {
        const a = img[ti] - img[si];
        const b = img[ti + 1] - img[si + 1];
        const c = img[ti + 2] - img[si + 2];
        sum += a * a + b * b + c * c;
      }
    }
    if (sum >= best) return sum;
  }
  return sum;
}

/** Number of pixels of the target patch at t that lie inside the image. */
export function patchArea(p: PatchProblem, t: number): number {
  const { width: w, height: h, radius: r } = p;
  const tx = t % w;
  const ty = (t - tx) / w;
  const nx = Math.min(w - 1, tx + r) - Math.max(0, tx - r) + 1;
  const ny = Math.min(h - 1, ty + r) - Math.max(0, ty - r) + 1;
  return nx * ny;
}

/** A field of uniformly random valid sources, with distances; `preset` (per pixel, −1 for none) gives some targets theirs. */
export function randomNnf(p: PatchProblem, rng: Random, preset?: Int32Array): Nnf {
  const n = p.targets.length;
  const source = new Int32Array(n);
  const distance = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const given = preset === undefined ? -1 : preset[p.targets[k]];
    source[k] = given >= 0 ? given : p.sources[rng.int(0, p.sources.length - 1)];
  }
  const nnf = { source, distance };
  refreshDistances(p, nnf);
  return nnf;
}

/**
 * Recomputes every distance after the image estimate changed (re-packing the
 * hole first); in one WebAssembly call where the problem has the scan kernel.
 */
export function refreshDistances(p: PatchProblem, nnf: Nnf): void {
  packHole(p);
  const n = p.targets.length;
  const kernel = p.scanKernel;
  if (kernel) {
    kernel.source.set(nnf.source);
    kernel.refresh(n);
    nnf.distance.set(kernel.distance.subarray(0, n));
    return;
  }
  for (let k = 0; k < n; k++) {
    nnf.distance[k] = patchDistance(p, p.targets[k], nnf.source[k], Number.POSITIVE_INFINITY);
  }
}

/**
 * Targets per band of a scan. A scan over more targets is split into bands
 * (at most `MAX_BANDS`) that can run on separate threads: within a band
 * propagation reads its neighbours' matches as they are updated, across a
 * band border it reads the matches the scan started from, so the result does
 * not depend on the order or the threads the bands run on. The number of bands
 * depends only on the number of targets, never on the threads available, so
 * the same seed gives the same pixels on any machine.
 */
export const BAND_TARGETS = 1024;
export const MAX_BANDS = 8;

/** Bands for a scan over `n` targets: 1 up to 2·BAND_TARGETS, then one per BAND_TARGETS, at most MAX_BANDS. */
export function bandCount(n: number): number {
  return Math.max(1, Math.min(MAX_BANDS, Math.floor(n / BAND_TARGETS)));
}

/** One band of one PatchMatch scan: visited positions [lo, hi) of the target list (or of `only`). */
export interface BandScan {
  lo: number;
  hi: number;
  forward: boolean;
  maxRadius: number;
  /** Seed of the band's own random stream (unused when the scan has a single band). */
  seed: number;
}

/** The scans of `improveNnf`, band by band: one inner list per scan, run one after the other. */
export function planScans(visited: number, iterations: number, maxRadius: number, rng: Random): BandScan[][] {
  const bands = bandCount(visited);
  const plan: BandScan[][] = [];
  for (let it = 0; it < iterations; it++) {
    const forward = (it & 1) === 0;
    const scan: BandScan[] = [];
    for (let b = 0; b < bands; b++) {
      const lo = Math.floor((b * visited) / bands);
      const hi = Math.floor(((b + 1) * visited) / bands);
      scan.push({ lo, hi, forward, maxRadius, seed: bands > 1 ? rng.int(0, 0x7fffffff) : 0 });
    }
    plan.push(scan);
  }
  return plan;
}

/**
 * Runs `iterations` PatchMatch scans (alternating raster order), with random
 * search starting at `maxRadius` pixels around the current best. With `only`
 * (target slots in raster order), just those targets are visited. Large scans
 * are split into bands (`bandCount`), run here one after the other; a thread
 * pool runs the same plan (`planScans`, `scanBand`) with the same result.
 */
export function improveNnf(p: PatchProblem, nnf: Nnf, iterations: number, maxRadius: number, rng: Random, only?: Int32Array): void {
  const visited = only ? only.length : p.targets.length;
  const plan = planScans(visited, iterations, maxRadius, rng);
  if (p.scanKernel) {
    scanInKernel(p.scanKernel, p, nnf, null, only, plan, rng);
    return;
  }
  let snapshot: Int32Array | null = null;
  for (const scan of plan) {
    if (scan.length === 1) {
      scanBand(p, nnf, null, only, scan[0], rng);
      continue;
    }
    snapshot ??= new Int32Array(nnf.source.length);
    snapshot.set(nnf.source);
    for (const band of scan) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
  }
}

/**
 * `scans` (each a list of bands, run in order) by the WebAssembly scan: the
 * field, the visited slots and the side labels are copied into its memory,
 * scanned there and the field copied back. A scan of one band continues
 * `rng`; bands of a larger scan read their neighbours outside the band from
 * a snapshot of the sources, `snapshot` for the first scan when given (as a
 * thread pool hands it) or else the sources when the scan starts. The same
 * field and random stream as `scanBand` (tested).
 */
function scanInKernel(
  kernel: ScanKernel,
  p: PatchProblem,
  nnf: Nnf,
  snapshot: Int32Array | null,
  only: Int32Array | undefined,
  scans: readonly (readonly BandScan[])[],
  rng: Random | null,
): void {
  const n = nnf.source.length;
  kernel.source.set(nnf.source);
  kernel.distance.set(nnf.distance);
  if (only) kernel.only.set(only);
  const useSide = p.side !== undefined;
  if (p.side !== undefined && p.side !== kernel.side) kernel.side.set(p.side);
  const useOnly = only !== undefined;
  let given = snapshot;
  for (const scan of scans) {
    if (scan.length === 1 && given === null) {
      const band = scan[0];
      if (band.hi > band.lo && rng)
        rng.position = kernel.scan(band.lo, band.hi, band.forward, band.maxRadius, rng.position, false, useOnly, useSide);
      continue;
    }
    if (given) kernel.snapshot.set(given);
    else kernel.snapshot.set(kernel.source.subarray(0, n));
    given = null;
    for (const band of scan) {
      if (band.hi > band.lo)
        kernel.scan(band.lo, band.hi, band.forward, band.maxRadius, new Random(band.seed).position, true, useOnly, useSide);
    }
  }
  // Given a snapshot, other threads may be scanning the other bands of this
  // scan into `nnf` meanwhile: only these bands' slots go back.
  const a = snapshot === null ? 0 : only ? only[scans[0][0].lo] : scans[0][0].lo;
  const last = scans[scans.length - 1];
  const b = snapshot === null ? n : (only ? only[last[last.length - 1].hi - 1] : last[last.length - 1].hi - 1) + 1;
  if (b > a) {
    nnf.source.set(kernel.source.subarray(a, b), a);
    nnf.distance.set(kernel.distance.subarray(a, b), a);
  }
}

/**
 * `scanBand` for consecutive bands of one scan, in order, on this thread: in
 * WebAssembly where the problem has the scan kernel (one call per band).
 * Writes only these bands' slots of `nnf`, so other threads may scan the
 * scan's other bands meanwhile.
 */
export function scanBandsHere(
  p: PatchProblem,
  nnf: Nnf,
  snapshot: Int32Array,
  only: Int32Array | undefined,
  bands: readonly BandScan[],
): void {
  if (p.scanKernel) scanInKernel(p.scanKernel, p, nnf, snapshot, only, [bands], null);
  else for (const band of bands) scanBand(p, nnf, snapshot, only, band, new Random(band.seed));
}

/**
 * One scan whose bands this thread and others run at the same time in the
 * problem's WebAssembly memory (`startSharedScan`): the memory and the sizes
 * that locate the problem's arrays in it (`scanOverMemory`).
 */
export interface SharedScan {
  memory: object;
  width: number;
  height: number;
  radius: number;
  lanes: 3 | 5;
  targets: number;
  unit: number;
  useOnly: boolean;
  useSide: boolean;
}

/**
 * Readies a scan whose bands run on several threads in the problem's
 * WebAssembly memory, where its planes and targets already lie: the field,
 * the snapshot and the visited slots are copied in once for all threads;
 * each thread scans its bands there (`scanSharedBandsHere`, on other
 * threads `scanSharedBandsOver`), writing only their slots and reading the other
 * bands' sources from the snapshot, so the field is `scanBand`'s; then
 * `finishSharedScan` copies it back. Null when the problem has no scan
 * kernel in shared memory (its bands then run as `scanBand`).
 */
export function startSharedScan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined): SharedScan | null {
  const kernel = p.scanKernel;
  if (!kernel || p.kernelMemory === undefined) return null;
  kernel.source.set(nnf.source);
  kernel.distance.set(nnf.distance);
  kernel.snapshot.set(snapshot);
  if (only) kernel.only.set(only);
  if (p.side !== undefined && p.side !== kernel.side) kernel.side.set(p.side);
  return {
    memory: p.kernelMemory,
    width: p.width,
    height: p.height,
    radius: p.radius,
    lanes: p.lanes,
    targets: p.targets.length,
    unit: p.unit,
    useOnly: only !== undefined,
    useSide: p.side !== undefined,
  };
}

/** Scans bands of a shared scan (`startSharedScan`) with a scan kernel over its memory, in order. */
function scanSharedBands(scan: ScanKernel["scan"], shared: SharedScan, bands: readonly BandScan[]): void {
  for (const band of bands) {
    if (band.hi > band.lo)
      scan(band.lo, band.hi, band.forward, band.maxRadius, new Random(band.seed).position, true, shared.useOnly, shared.useSide);
  }
}

/** Bands of a shared scan on the thread that made the problem, with its own scan kernel. */
export function scanSharedBandsHere(p: PatchProblem, shared: SharedScan, bands: readonly BandScan[]): void {
  if (!p.scanKernel) throw new Error("a shared scan needs the problem's scan kernel");
  scanSharedBands(p.scanKernel.scan, shared, bands);
}

/** Bands of a shared scan on another thread, with a kernel of that thread's own over the received memory. */
export function scanSharedBandsOver(shared: SharedScan, bands: readonly BandScan[]): void {
  const { memory, width, height, radius, lanes, targets, unit } = shared;
  const scan = scanOverMemory(memory, width, height, radius, lanes, targets, unit);
  if (scan === null) throw new Error("no WebAssembly scan kernel on this thread for a shared scan");
  scanSharedBands(scan, shared, bands);
}

/** Copies a shared scan's field back into `nnf` once every thread's bands are done. */
export function finishSharedScan(p: PatchProblem, nnf: Nnf): void {
  const kernel = p.scanKernel;
  if (!kernel) throw new Error("finishSharedScan needs the problem's scan kernel");
  const n = nnf.source.length;
  nnf.source.set(kernel.source.subarray(0, n));
  nnf.distance.set(kernel.distance.subarray(0, n));
}

/**
 * One scan over one band: propagation from the previous neighbour's match
 * shifted by one pixel, then random search around the best match at radii R,
 * R/2, … 1. `snapshot` (the sources when the scan started) is read for
 * neighbours outside the band; null when the band is the whole scan.
 */
export function scanBand(
  p: PatchProblem,
  nnf: Nnf,
  snapshot: Int32Array | null,
  only: Int32Array | undefined,
  band: BandScan,
  rng: Random,
): void {
  const { width: w, height: h, radius: r, targets, validSource, slotOf, side } = p;
  const { source, distance } = nnf;
  const { lo, hi, forward, maxRadius } = band;
  const xMin = r;
  const xMax = w - 1 - r;
  const yMin = r;
  const yMax = h - 1 - r;
  // Slots this band updates: [first, last]; any other slot is read as the scan found it.
  const first = only ? only[lo] : lo;
  const last = only ? only[hi - 1] : hi - 1;
  const step = forward ? 1 : -1;
  for (let q = 0, n = hi - lo; q < n; q++) {
    const visit = forward ? lo + q : hi - 1 - q;
    const k = only ? only[visit] : visit;
    const t = targets[k];
    const tx = t % w;
    const ty = (t - tx) / w;
    let bestS = source[k];
    // A match from the other side of a continued curve (an initial or upsampled one) gives way to any allowed candidate.
    let best = side === undefined || sidesAgree(side, t, bestS) ? distance[k] : Number.POSITIVE_INFINITY;

    const nx = tx - step;
    if (nx >= 0 && nx < w) {
      const slot = slotOf[t - step];
      if (slot >= 0) {
        const cand = (snapshot === null || (slot >= first && slot <= last) ? source[slot] : snapshot[slot]) + step;
        const cx = cand % w;
        if (cand !== bestS && cx >= xMin && cx <= xMax && validSource[cand] !== 0 && (side === undefined || sidesAgree(side, t, cand))) {
          const d = patchDistance(p, t, cand, best);
          if (d < best) {
            best = d;
            bestS = cand;
          }
        }
      }
    }
    const ny = ty - step;
    if (ny >= 0 && ny < h) {
      const slot = slotOf[t - step * w];
      if (slot >= 0) {
        const cand = (snapshot === null || (slot >= first && slot <= last) ? source[slot] : snapshot[slot]) + step * w;
        if (cand !== bestS && cand >= 0 && cand < w * h && validSource[cand] !== 0 && (side === undefined || sidesAgree(side, t, cand))) {
          const d = patchDistance(p, t, cand, best);
          if (d < best) {
            best = d;
            bestS = cand;
          }
        }
      }
    }

    const bx = bestS % w;
    const by = (bestS - bx) / w;
    for (let R = maxRadius; R >= 1; R = R >> 1) {
      let sx = bx + rng.int(-R, R);
      let sy = by + rng.int(-R, R);
      if (sx < xMin) sx = xMin;
      else if (sx > xMax) sx = xMax;
      if (sy < yMin) sy = yMin;
      else if (sy > yMax) sy = yMax;
      const cand = sy * w + sx;
      if (cand === bestS || validSource[cand] === 0 || (side !== undefined && !sidesAgree(side, t, cand))) continue;
      const d = patchDistance(p, t, cand, best);
      if (d < best) {
        best = d;
        bestS = cand;
      }
    }
    // No allowed candidate turned up: the old match stays, with its distance.
    if (best !== Number.POSITIVE_INFINITY) distance[k] = best;
    source[k] = bestS;
  }
}

/**
 * Runs the bands of one PatchMatch scan on other threads. Implemented over a
 * worker pool where the runtime has one (Node: `vanish/node`'s
 * `FieldThreadPool`); the problem's and the field's arrays are then backed by
 * `SharedArrayBuffer`s (`shareProblem`, `shareNnf`), so only their handles travel.
 */
export interface FieldThreads {
  /** Runs `scanBand` for every band (concurrently); resolves when all are done. */
  scan(p: PatchProblem, nnf: Nnf, snapshot: Int32Array, only: Int32Array | undefined, bands: readonly BandScan[]): Promise<void>;
  /**
   * Scans that visit fewer targets stay on the calling thread. `improveNnfOn`
   * runs them as `improveNnf` does (the whole plan in one pass of the
   * WebAssembly scan, not a copy of the field in and out per scan), and a
   * problem with fewer targets need not be shared (see completion.ts).
   * Default 0: every scan of two bands or more goes to `scan`.
   */
  readonly parallelTargets?: number;
}

/** `improveNnf` with the bands of each large scan run by `threads`: the same plan, so the same field. */
export async function improveNnfOn(
  threads: FieldThreads,
  p: PatchProblem,
  nnf: Nnf,
  iterations: number,
  maxRadius: number,
  rng: Random,
  only?: Int32Array,
): Promise<void> {
  const visited = only ? only.length : p.targets.length;
  if (visited < (threads.parallelTargets ?? 0)) {
    improveNnf(p, nnf, iterations, maxRadius, rng, only);
    return;
  }
  const plan = planScans(visited, iterations, maxRadius, rng);
  let snapshot: Int32Array | null = null;
  const sharedOnly = only && plan.some((scan) => scan.length > 1) ? shared(only) : only;
  for (const scan of plan) {
    if (scan.length === 1) {
      if (p.scanKernel) scanInKernel(p.scanKernel, p, nnf, null, only, [scan], rng);
      else scanBand(p, nnf, null, only, scan[0], rng);
      continue;
    }
    snapshot ??= new Int32Array(new SharedArrayBuffer(nnf.source.length * 4));
    snapshot.set(nnf.source);
    await threads.scan(p, nnf, snapshot, sharedOnly, scan);
  }
}

/** A copy of a typed array in shared memory (the array itself when it already is). */
export function shared<T extends Float32Array | Int32Array | Int16Array | Uint8Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/**
 * The problem with its arrays (image, packed image, hole, targets, sources,
 * slots, sides) in shared memory, so that handing it to a thread copies none
 * of them: a plain array would be copied for every task of every scan (the
 * hole and the source list of a 1K large hole's finest level, 0.5–0.7 MB
 * per task). The WebAssembly kernel stays only when its memory already is
 * shared (otherwise it would read a copy the re-packing no longer updates).
 */
export function shareProblem(p: PatchProblem): PatchProblem {
  const packedShared = p.packed.buffer instanceof SharedArrayBuffer;
  return {
    ...p,
    image: shared(p.image),
    packed: shared(p.packed),
    kernel: packedShared ? p.kernel : null,
    kernelMemory: packedShared ? p.kernelMemory : undefined,
    scanKernel: packedShared ? p.scanKernel : null,
    hole: shared(p.hole),
    targets: shared(p.targets),
    sources: shared(p.sources),
    validSource: shared(p.validSource),
    slotOf: shared(p.slotOf),
    side: p.side && shared(p.side),
  };
}

/**
 * For a worker thread that scans problems made on another thread: a function
 * that gives a problem this thread's own WebAssembly distance kernel, or the
 * problem as it is where WebAssembly is unavailable. Where the problem
 * carries its kernel's shared memory (`kernelMemory`), the thread's kernel
 * reads the packed image there; otherwise it keeps one instance per level
 * size and copies the packed image into it for every task (0.8–1.5 MB
 * at a 1K large hole's two finest levels: a fifth of that thread's scan samples in a profile).
 */
export function ownKernelCache(): (p: PatchProblem) => PatchProblem {
  let cached: { key: string; kernel: DistanceKernel | null } | null = null;
  return (p) => {
    if (p.kernelMemory !== undefined) {
      const distance = distanceOverMemory(p.kernelMemory, p.width, p.height, p.radius, p.lanes);
      if (distance !== null) return { ...p, kernel: distance };
    }
    const key = `${p.width}x${p.height}r${p.radius}l${p.lanes}`;
    if (cached?.key !== key) cached = { key, kernel: createDistanceKernel(p.width, p.height, p.radius, p.lanes) };
    const kernel = cached.kernel;
    if (kernel === null) return p;
    kernel.packed.set(p.packed);
    return { ...p, packed: kernel.packed, kernel: kernel.distance, kernelMemory: undefined };
  };
}

/** The problem as a worker thread receives it: functions do not travel, the worker uses the TypeScript kernel (or its own, `ownKernelCache`). */
export function withoutKernel(p: PatchProblem): PatchProblem {
  return p.kernel === null && !p.scanKernel ? p : { ...p, kernel: null, scanKernel: null };
}

/** The field in shared memory. */
export function shareNnf(nnf: Nnf): Nnf {
  return { source: shared(nnf.source), distance: shared(nnf.distance) };
}
