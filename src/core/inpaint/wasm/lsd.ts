/**
 * LSD's per-pixel work in WebAssembly (source: assembly/lsd.ts,
 * AssemblyScript): `detectSegments` (structure/lsd.ts) up to its a-contrario
 * test, with the same candidates, in the same order, as its TypeScript. The
 * grey plane (and the band allowed) is copied into one memory per thread
 * (`WasmArena`); the candidates come back as records, and the NFA (its
 * logarithms) is left to the TypeScript. Null where WebAssembly, SIMD or
 * shared memory is missing: the TypeScript then does the work.
 */

import { compiledOnce, WasmArena } from "../../wasm.js";
import { LSD_WASM } from "./lsd-bytes.js";

interface LsdExports {
  lsdCandidates(
    grey: number,
    w: number,
    h: number,
    kernel: number,
    radius: number,
    allowed: number,
    rho: number,
    faint: number,
    minLength: number,
    tau: number,
    rowNeed: number,
    run: number,
    tmp: number,
    blurred: number,
    angle: number,
    magnitude: number,
    cosA: number,
    sinA: number,
    state: number,
    usable: number,
    region: number,
    bins: number,
    order: number,
    counts: number,
    start: number,
    out: number,
    result: number,
  ): void;
}

/** f64 values per candidate: x1, y1, x2, y2, width, pixels in the rectangle, aligned among them, contrast sum, region size. */
export const CANDIDATE_RECORD = 9;
const BINS = 1024;

/**
 * This thread's memory for LSD. The rectangle's direction takes the host's
 * Math.cos and Math.sin, as the TypeScript does (their last bit differs
 * between runtimes, and an axis-aligned rectangle's pixels depend on it).
 */
const arena = new WasmArena<LsdExports>(compiledOnce(LSD_WASM), { cos: Math.cos, sin: Math.sin });

export interface LsdCandidates {
  /** `count` records of `CANDIDATE_RECORD` values, in seed order. */
  records: Float64Array;
  count: number;
  /** Allowed pixels with a gradient, and those over `faint`. */
  pixels: number;
  above: number;
}

/**
 * The regions of `grey` (w × h) that pass LSD's density and length tests,
 * as rectangles with their counts for the NFA; null where it can't run.
 * `kernel` (2·radius + 1 weights) is the prefilter's, `rho` the gradient
 * threshold, `faint` the census threshold, `tau` the angle tolerance.
 */
export function lsdCandidatesInWasm(
  grey: Float32Array,
  w: number,
  h: number,
  kernel: Float32Array,
  radius: number,
  allowed: Uint8Array | undefined,
  rho: number,
  faint: number,
  minLength: number,
  tau: number,
): LsdCandidates | null {
  const n = w * h;
  // Regions are disjoint and at least two pixels each: at most n / 2 records.
  const most = Math.floor(n / 2) + 1;
  const room = arena.layout([
    n * 4,
    kernel.length * 4,
    allowed ? n : 0,
    n,
    w * 4,
    n * 4,
    n * 4,
    n * 4,
    n * 4,
    n * 8,
    n * 8,
    n,
    n * 4,
    n * 4,
    n * 4,
    n * 4,
    (BINS + 1) * 4,
    BINS * 4,
    most * CANDIDATE_RECORD * 8,
    4 * 8,
  ]);
  if (room === null) return null;
  const [greyAt, kernelAt, allowedAt, rowNeedAt, runAt, tmpAt, blurredAt, angleAt, magnitudeAt, cosAt, sinAt] = room.at;
  const [stateAt, usableAt, regionAt, binsAt, orderAt, countsAt, startAt, outAt, resultAt] = room.at.slice(11);
  new Float32Array(room.buffer, greyAt, n).set(grey.subarray(0, n));
  new Float32Array(room.buffer, kernelAt, kernel.length).set(kernel);
  if (allowed) new Uint8Array(room.buffer, allowedAt, n).set(allowed.subarray(0, n));
  // Address 0 is the grey plane's, never an `allowed` plane's: it stands for none.
  room.exports.lsdCandidates(
    greyAt,
    w,
    h,
    kernelAt,
    radius,
    allowed ? allowedAt : 0,
    rho,
    faint,
    minLength,
    tau,
    rowNeedAt,
    runAt,
    tmpAt,
    blurredAt,
    angleAt,
    magnitudeAt,
    cosAt,
    sinAt,
    stateAt,
    usableAt,
    regionAt,
    binsAt,
    orderAt,
    countsAt,
    startAt,
    outAt,
    resultAt,
  );
  const result = new Float64Array(room.buffer, resultAt, 4);
  const count = result[3];
  return {
    records: new Float64Array(room.buffer, outAt, count * CANDIDATE_RECORD).slice(),
    count,
    pixels: result[0],
    above: result[1],
  };
}
