/**
 * The squared Euclidean distance transform in WebAssembly (source:
 * assembly/distance.ts, AssemblyScript), with the same distances as the
 * TypeScript of `squaredDistanceTo` (mask.ts): the plane is copied into one
 * memory per thread (`WasmArena`), transformed there, and the distances come
 * back. Returns null where WebAssembly, SIMD or shared memory is missing;
 * the TypeScript then does the work.
 */

import { DISTANCE_WASM } from "./distance-bytes.js";
import { compiledOnce, WasmArena } from "./wasm.js";

interface DistanceExports {
  squaredDistance(
    plane: number,
    width: number,
    height: number,
    limit: number,
    out: number,
    nearest: number,
    f: number,
    d: number,
    v: number,
    z: number,
  ): void;
}

/** This thread's memory for the transform. */
const arena = new WasmArena<DistanceExports>(compiledOnce(DISTANCE_WASM));

/** `squaredDistanceTo(plane, width, height, limit)` into `into`, or null. */
export function squaredDistanceInWasm(
  plane: Uint8Array,
  width: number,
  height: number,
  limit: number,
  into: Float32Array,
): Float32Array | null {
  const n = width * height;
  const room = arena.layout([n, n * 4, width * 4, width * 8, width * 8, width * 4, (width + 1) * 8]);
  if (room === null) return null;
  const [planeAt, outAt, nearestAt, fAt, dAt, vAt, zAt] = room.at;
  new Uint8Array(room.buffer, planeAt, n).set(plane.subarray(0, n));
  room.exports.squaredDistance(planeAt, width, height, limit, outAt, nearestAt, fAt, dAt, vAt, zAt);
  into.set(new Float32Array(room.buffer, outAt, n));
  return into;
}
