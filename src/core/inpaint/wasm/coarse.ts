/**
 * The coarse stage's per-pixel loops in WebAssembly (source:
 * assembly/coarse.ts, AssemblyScript): texture features, halving, bilinear
 * upsampling and the vote, with the same bytes out as the TypeScript in
 * completion.ts and resample.ts. Each call copies its planes into one memory
 * per thread (`WasmArena`), runs there and copies its result back:
 * the copies cost microseconds, while the same loops in a fresh process run in
 * V8's unoptimised tiers for most of a small fill. Each function returns false
 * (or null) where WebAssembly, SIMD or shared memory is missing, and the
 * TypeScript does the work.
 */

import { COARSE_WASM } from "./coarse-bytes.js";
import { compiledOnce, WasmArena } from "./compile.js";

interface CoarseExports {
  textureFeatures(
    data: number,
    hole: number,
    w: number,
    h: number,
    C: number,
    window: number,
    grad: number,
    rows: number,
    columns: number,
    out: number,
  ): void;
  halve(data: number, hole: number, w: number, h: number, C: number, out: number, outHole: number): void;
  upsampleInto(cd: number, cw: number, ch: number, CC: number, data: number, w: number, h: number, C: number, hole: number): void;
  vote(
    img: number,
    w: number,
    h: number,
    C: number,
    r: number,
    slotOf: number,
    holeIndex: number,
    count: number,
    source: number,
    weights: number,
  ): number;
}

/** This thread's memory for the coarse stage's loops. */
const arena = new WasmArena<CoarseExports>(compiledOnce(COARSE_WASM));
const layout = (sizes: number[]) => arena.layout(sizes);

/** `withTextureFeatures`'s planes: `out` (w·h·(C + 2) values) gets the colours and the two feature channels. */
export function textureFeaturesInWasm(
  data: Float32Array,
  hole: Uint8Array,
  w: number,
  h: number,
  C: number,
  window: number,
  out: Float32Array,
): boolean {
  const n = w * h;
  const room = layout([n * C * 4, n, n * 12, n * 12, w * 24, n * (C + 2) * 4]);
  if (room === null) return false;
  const [dataAt, holeAt, gradAt, rowsAt, columnsAt, outAt] = room.at;
  new Float32Array(room.buffer, dataAt, n * C).set(data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  room.exports.textureFeatures(dataAt, holeAt, w, h, C, window, gradAt, rowsAt, columnsAt, outAt);
  out.set(new Float32Array(room.buffer, outAt, n * (C + 2)));
  return true;
}

/** `halve`'s planes: `out` (⌈w/2⌉·⌈h/2⌉·C values) and `outHole`. */
export function halveInWasm(
  data: Float32Array,
  hole: Uint8Array,
  w: number,
  h: number,
  C: number,
  out: Float32Array,
  outHole: Uint8Array,
): boolean {
  const n = w * h;
  const m = Math.ceil(w / 2) * Math.ceil(h / 2);
  const room = layout([n * C * 4, n, m * C * 4, m]);
  if (room === null) return false;
  const [dataAt, holeAt, outAt, outHoleAt] = room.at;
  new Float32Array(room.buffer, dataAt, n * C).set(data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  room.exports.halve(dataAt, holeAt, w, h, C, outAt, outHoleAt);
  out.set(new Float32Array(room.buffer, outAt, m * C));
  outHole.set(new Uint8Array(room.buffer, outHoleAt, m));
  return true;
}

/** `upsampleInto`: the hole pixels of `fine` (w × h, C channels) from `coarse` (cw × ch, CC channels). */
export function upsampleInWasm(
  coarse: Float32Array,
  cw: number,
  ch: number,
  CC: number,
  fine: Float32Array,
  w: number,
  h: number,
  C: number,
  hole: Uint8Array,
): boolean {
  const n = w * h;
  const room = layout([cw * ch * CC * 4, n * C * 4, n]);
  if (room === null) return false;
  const [coarseAt, fineAt, holeAt] = room.at;
  new Float32Array(room.buffer, coarseAt, cw * ch * CC).set(coarse.subarray(0, cw * ch * CC));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  const inRoom = new Float32Array(room.buffer, fineAt, n * C);
  inRoom.set(fine.subarray(0, n * C));
  room.exports.upsampleInto(coarseAt, cw, ch, CC, fineAt, w, h, C, holeAt);
  fine.set(inRoom);
  return true;
}

/**
 * `Voter.vote` for 3 or 5 channels over `img` (w × h), updated in place;
 * returns the summed absolute change of the first three channels, or null.
 */
export function voteInWasm(
  img: Float32Array,
  w: number,
  h: number,
  C: number,
  r: number,
  slotOf: Int32Array,
  holeIndex: Int32Array,
  source: Int32Array,
  weights: Float32Array,
): number | null {
  if (C !== 3 && C !== 5) return null;
  const n = w * h;
  const nt = source.length;
  const room = layout([n * C * 4, n * 4, holeIndex.length * 4, nt * 4, nt * 4]);
  if (room === null) return null;
  const [imgAt, slotAt, holeAt, sourceAt, weightsAt] = room.at;
  const inRoom = new Float32Array(room.buffer, imgAt, n * C);
  inRoom.set(img.subarray(0, n * C));
  new Int32Array(room.buffer, slotAt, n).set(slotOf.subarray(0, n));
  new Int32Array(room.buffer, holeAt, holeIndex.length).set(holeIndex);
  new Int32Array(room.buffer, sourceAt, nt).set(source);
  new Float32Array(room.buffer, weightsAt, nt).set(weights.subarray(0, nt));
  const change = room.exports.vote(imgAt, w, h, C, r, slotAt, holeAt, holeIndex.length, sourceAt, weightsAt);
  img.set(inRoom);
  return change;
}
