/**
 * The reference alignment's per-pixel loops in WebAssembly (source:
 * assembly/align.ts, AssemblyScript), with the same bytes out as the
 * TypeScript they port: the luma copy (`workingGrey`), the Gaussian blur
 * (`gaussianBlur`, `gaussianBlurInto`), the pyramid's shrink and the Harris
 * response (features.ts), the descriptors' nearest neighbours (matching.ts)
 * and the refinement's sums (refine.ts). Each call copies its planes into one memory per
 * thread (`WasmArena`), runs there and copies its results back. Each
 * function returns null (or false) where WebAssembly, SIMD or shared memory
 * is missing, and the TypeScript does the work.
 */

import type { RgbaImage } from "../../image.js";
import { compiledOnce, WasmArena } from "../../wasm.js";
import { ALIGN_WASM } from "./align-bytes.js";

interface AlignExports {
  lumaRows(src: number, stride: number, factor: number, w: number, rows: number, out: number): void;
  blur(
    src: number,
    tmp: number,
    out: number,
    w: number,
    h: number,
    k: number,
    r: number,
    ya: number,
    yb: number,
    xa: number,
    xb: number,
  ): void;
  shrink(src: number, sw: number, sh: number, w: number, h: number, out: number, col: number, colWeight: number): void;
  harris(data: number, w: number, h: number, r: number, rows: number, acc: number, rings: number, response: number): void;
  nearestPairs(
    a: number,
    i0: number,
    i1: number,
    b: number,
    nr: number,
    r2: number,
    backBest: number,
    backDist: number,
    pick: number,
    pickDist: number,
  ): void;
  sampleAt(data: number, w: number, h: number, points: number, n: number, out: number): void;
  fft2d(re: number, im: number, n: number, cos: number, sin: number, rev: number, sign: number, scale: number): void;
  photometricSums(data: number, w: number, h: number, tv: number, nx: number, ny: number, n: number, hm: number, sums: number): void;
  normalEquations(
    data: number,
    w: number,
    h: number,
    tv: number,
    nx: number,
    ny: number,
    n: number,
    hm: number,
    alpha: number,
    beta: number,
    huber: number,
    A: number,
    b: number,
    J: number,
    out: number,
  ): void;
}

/** This thread's memory for the alignment's loops. */
const arena = new WasmArena<AlignExports>(compiledOnce(ALIGN_WASM));
/** Source bytes copied per strip of the luma copy: a few MB, so a 48 MP photo needs no 190 MB copy. */
const STRIP_BYTES = 1 << 23;

/**
 * `workingGrey`'s plane: the luma of `image` box-averaged by `factor` into
 * `w` × `h`, a strip of whole output rows at a time; or null.
 */
export function lumaInWasm(image: RgbaImage, factor: number, w: number, h: number): Float32Array | null {
  const rowBytes = image.width * 4 * factor;
  const rows = Math.max(1, Math.min(h, Math.floor(STRIP_BYTES / rowBytes)));
  const room = arena.layout([rows * rowBytes, w * h * 4]);
  if (room === null) return null;
  const [srcAt, outAt] = room.at;
  const out = new Float32Array(room.buffer, outAt, w * h);
  out.fill(0);
  const src = new Uint8Array(room.buffer, srcAt, rows * rowBytes);
  const data = image.data;
  for (let y = 0; y < h; y += rows) {
    const n = Math.min(rows, h - y);
    src.set(data.subarray(y * rowBytes, (y + n) * rowBytes));
    room.exports.lumaRows(srcAt, image.width, factor, w, n, outAt + y * w * 4);
  }
  return out.slice();
}

/**
 * The separable blur of `src` (w × h) by the taps `k` (radius `r`) over rows
 * [ya, yb) and columns [xa, xb), written there into `out`; false where the
 * TypeScript must do it.
 */
export function blurInWasm(
  src: Float32Array,
  w: number,
  h: number,
  k: Float32Array,
  r: number,
  ya: number,
  yb: number,
  xa: number,
  xb: number,
  out: Float32Array,
): boolean {
  const n = w * h;
  const room = arena.layout([n * 4, n * 4, n * 4, k.length * 4]);
  if (room === null) return false;
  const [srcAt, tmpAt, outAt, kAt] = room.at;
  const ra = Math.max(0, ya - r);
  const rb = Math.min(h, yb + r);
  new Float32Array(room.buffer, srcAt, n).set(src.subarray(ra * w, rb * w), ra * w);
  new Float32Array(room.buffer, kAt, k.length).set(k);
  room.exports.blur(srcAt, tmpAt, outAt, w, h, kAt, r, ya, yb, xa, xb);
  const result = new Float32Array(room.buffer, outAt, n);
  if (xa === 0 && xb === w) out.set(result.subarray(ya * w, yb * w), ya * w);
  else for (let y = ya; y < yb; y++) out.set(result.subarray(y * w + xa, y * w + xb), y * w + xa);
  return true;
}

/**
 * One step of the feature pyramid: `src` (sw × sh, at least 2 × 2) blurred
 * by the taps `k` (radius `r`) and shrunk bilinearly to `w` × `h`; or null.
 */
export function blurShrinkInWasm(
  src: Float32Array,
  sw: number,
  sh: number,
  k: Float32Array,
  r: number,
  w: number,
  h: number,
): Float32Array | null {
  const n = sw * sh;
  const room = arena.layout([n * 4, n * 4, n * 4, k.length * 4, w * h * 4, w * 4, w * 8]);
  if (room === null) return null;
  const [srcAt, tmpAt, blurredAt, kAt, outAt, colAt, weightAt] = room.at;
  new Float32Array(room.buffer, srcAt, n).set(src.subarray(0, n));
  new Float32Array(room.buffer, kAt, k.length).set(k);
  room.exports.blur(srcAt, tmpAt, blurredAt, sw, sh, kAt, r, 0, sh, 0, sw);
  room.exports.shrink(blurredAt, sw, sh, w, h, outAt, colAt, weightAt);
  return new Float32Array(room.buffer, outAt, w * h).slice();
}

/** `harrisResponse` of `data` (w × h, box radius `r`) into `response`; false where the TypeScript must do it. */
export function harrisInWasm(data: Float32Array, w: number, h: number, r: number, response: Float32Array): boolean {
  const n = w * h;
  const ringRows = 2 * r + 2;
  const room = arena.layout([n * 4, 9 * w * 4, 6 * w * 8, 6 * ringRows * w * 4, n * 4]);
  if (room === null) return false;
  const [dataAt, rowsAt, accAt, ringsAt, responseAt] = room.at;
  new Float32Array(room.buffer, dataAt, n).set(data.subarray(0, n));
  room.exports.harris(dataAt, w, h, r, rowsAt, accAt, ringsAt, responseAt);
  response.set(new Float32Array(room.buffer, responseAt, n));
  return true;
}

/** Each target descriptor's nearest reference one passing the ratio test, and each reference one's nearest target (`matchFeatures`). */
export interface NearestPairs {
  pick: Int32Array;
  pickDist: Float32Array;
  backBest: Int32Array;
}

/** Target descriptors searched per call. */
const MATCH_SLICE = 64;

/** `matchFeatures`' search over `nt` and `nr` descriptors of `size` floats (64), or null. */
export function nearestPairsInWasm(
  a: Float32Array,
  nt: number,
  b: Float32Array,
  nr: number,
  size: number,
  r2: number,
): NearestPairs | null {
  if (size !== 64) return null;
  const room = arena.layout([nt * size * 4, nr * size * 4, nr * 4, nr * 4, nt * 4, nt * 4]);
  if (room === null) return null;
  const [aAt, bAt, backBestAt, backDistAt, pickAt, pickDistAt] = room.at;
  new Float32Array(room.buffer, aAt, nt * size).set(a.subarray(0, nt * size));
  new Float32Array(room.buffer, bAt, nr * size).set(b.subarray(0, nr * size));
  new Int32Array(room.buffer, backBestAt, nr).fill(-1);
  new Float32Array(room.buffer, backDistAt, nr).fill(Number.POSITIVE_INFINITY);
  // In slices: V8 compiles a WebAssembly function with its optimising tier once it has run a while, and
  // a call already running stays in the baseline code (1.5× slower here), so one long call never gets it.
  for (let i = 0; i < nt; i += MATCH_SLICE) {
    room.exports.nearestPairs(aAt, i, Math.min(nt, i + MATCH_SLICE), bAt, nr, r2, backBestAt, backDistAt, pickAt, pickDistAt);
  }
  return {
    pick: new Int32Array(room.buffer, pickAt, nt).slice(),
    pickDist: new Float32Array(room.buffer, pickDistAt, nt).slice(),
    backBest: new Int32Array(room.buffer, backBestAt, nr).slice(),
  };
}

/**
 * The refinement's loops over one blurred reference level (`data`, w × h)
 * and the ring's points: the target's values are given, the points'
 * normalised coordinates copied in once, and each call runs over them.
 */
export class RefineSums {
  private constructor(
    private readonly exports: AlignExports,
    private readonly f64: Float64Array,
    private readonly at: number[],
    private readonly w: number,
    private readonly h: number,
    private readonly n: number,
  ) {}

  /** Lays out `data` and the `n` points (`tv`, `nx`, `ny`); null where WebAssembly can't run. */
  static create(data: Float32Array, w: number, h: number, tv: Float64Array, nx: Float64Array, ny: Float64Array): RefineSums | null {
    const n = tv.length;
    const room = arena.layout([w * h * 4, n * 8, n * 8, n * 8, 9 * 8, 100 * 8, 10 * 8, 10 * 8, 5 * 8]);
    if (room === null) return null;
    const [dataAt, tvAt, nxAt, nyAt] = room.at;
    new Float32Array(room.buffer, dataAt, w * h).set(data.subarray(0, w * h));
    new Float64Array(room.buffer, tvAt, n).set(tv);
    new Float64Array(room.buffer, nxAt, n).set(nx);
    new Float64Array(room.buffer, nyAt, n).set(ny);
    return new RefineSums(room.exports, new Float64Array(room.buffer), room.at, w, h, n);
  }

  /** The gain/bias start's sums under `hm`: st, sr, stt, str and the count. */
  photometric(hm: Float64Array): Float64Array {
    const [dataAt, tvAt, nxAt, nyAt, hmAt, , , , sumsAt] = this.at;
    this.f64.set(hm.subarray(0, 9), hmAt / 8);
    this.exports.photometricSums(dataAt, this.w, this.h, tvAt, nxAt, nyAt, this.n, hmAt, sumsAt);
    return this.f64.slice(sumsAt / 8, sumsAt / 8 + 5);
  }

  /** One iteration's normal equations into `A` (upper triangle) and `b`; returns [cost, used]. */
  normalEquations(hm: Float64Array, alpha: number, beta: number, huber: number, A: Float64Array, b: Float64Array): [number, number] {
    const [dataAt, tvAt, nxAt, nyAt, hmAt, aAt, bAt, jAt, outAt] = this.at;
    this.f64.set(hm.subarray(0, 9), hmAt / 8);
    this.exports.normalEquations(dataAt, this.w, this.h, tvAt, nxAt, nyAt, this.n, hmAt, alpha, beta, huber, aAt, bAt, jAt, outAt);
    A.set(this.f64.subarray(aAt / 8, aAt / 8 + 100));
    b.set(this.f64.subarray(bAt / 8, bAt / 8 + 10));
    return [this.f64[outAt / 8], this.f64[outAt / 8 + 1]];
  }
}

/** `sampleBilinear` of `data` (w × h) at `n` points (x, y interleaved) into a new array, or null. */
export function sampleAtInWasm(data: Float32Array, w: number, h: number, points: Float64Array, n: number): Float64Array | null {
  const room = arena.layout([w * h * 4, n * 16, n * 8]);
  if (room === null) return null;
  const [dataAt, pointsAt, outAt] = room.at;
  new Float32Array(room.buffer, dataAt, w * h).set(data.subarray(0, w * h));
  new Float64Array(room.buffer, pointsAt, 2 * n).set(points.subarray(0, 2 * n));
  room.exports.sampleAt(dataAt, w, h, pointsAt, n, outAt);
  return new Float64Array(room.buffer, outAt, n).slice();
}

/**
 * `Fft2d`'s transform of the n × n planes `re` and `im` in place (twiddles
 * `cos`, `sin` and the bit reversal `rev` from it; `sign` −1 forward, 1
 * inverse; every value times `scale` after); false where WebAssembly is missing.
 */
export function fft2dInWasm(
  re: Float64Array,
  im: Float64Array,
  n: number,
  cos: Float64Array,
  sin: Float64Array,
  rev: Uint32Array,
  sign: number,
  scale: number,
): boolean {
  const room = arena.layout([n * n * 8, n * n * 8, cos.length * 8, sin.length * 8, n * 4]);
  if (room === null) return false;
  const [reAt, imAt, cosAt, sinAt, revAt] = room.at;
  const rePlane = new Float64Array(room.buffer, reAt, n * n);
  const imPlane = new Float64Array(room.buffer, imAt, n * n);
  rePlane.set(re);
  imPlane.set(im);
  new Float64Array(room.buffer, cosAt, cos.length).set(cos);
  new Float64Array(room.buffer, sinAt, sin.length).set(sin);
  new Uint32Array(room.buffer, revAt, n).set(rev);
  room.exports.fft2d(reAt, imAt, n, cosAt, sinAt, revAt, sign, scale);
  re.set(rePlane);
  im.set(imPlane);
  return true;
}
