/**
 * The gradient-domain finish in WebAssembly (source: assembly/poisson.ts,
 * AssemblyScript), step for step `poissonFinish` of poisson-finish.ts: the
 * image, hole and sources are copied into one memory per thread
 * (`WasmArena`), the kernel builds its grids in the scratch after them, and
 * the image comes back. False where WebAssembly, SIMD or shared memory is
 * missing; the TypeScript then does the work, with the same values.
 */

import { compiledOnce, WasmArena } from "../../wasm.js";
import { POISSON_WASM } from "./poisson-bytes.js";

interface PoissonExports {
  finish(
    image: number,
    W: number,
    H: number,
    C: number,
    hole: number,
    slotOf: number,
    source: number,
    gridTable: number,
    scratch: number,
    capacity: number,
  ): number;
}

/** This thread's memory for the finish. */
const arena = new WasmArena<PoissonExports>(compiledOnce(POISSON_WASM));
/** The kernel's grid table: 24 grids of 13 i32. */
const TABLE_BYTES = 24 * 13 * 4;
/**
 * Scratch bytes a box pixel may take, all grids together: the level's own
 * arrays (about 30 bytes an unknown cell, two 16-byte planes, a byte of
 * mask) and a third as much again for the coarser ones.
 */
const SCRATCH_PER_PIXEL = 90;

/**
 * Runs the finish on `data` (W × H, C channels, in place); false where the
 * kernel can't run here. The scratch is first sized for a box of about the
 * sources' count, then, if the hole's box is larger (a thin diagonal
 * stroke), for the whole image.
 */
export function poissonFinishInWasm(
  data: Float32Array,
  W: number,
  H: number,
  C: number,
  hole: Uint8Array,
  slotOf: Int32Array,
  source: Int32Array,
): boolean {
  const pixels = W * H;
  const padded = (W + 2) * (H + 2);
  for (const box of [Math.min(padded, 4 * source.length + 4 * (W + H)), padded]) {
    const capacity = SCRATCH_PER_PIXEL * box + 4096;
    const room = arena.layout([pixels * C * 4, pixels, pixels * 4, source.length * 4, TABLE_BYTES, capacity]);
    if (room === null) return false;
    const [imageAt, holeAt, slotAt, sourceAt, tableAt, scratchAt] = room.at;
    const image = new Float32Array(room.buffer, imageAt, pixels * C);
    image.set(data.subarray(0, pixels * C));
    new Uint8Array(room.buffer, holeAt, pixels).set(hole.subarray(0, pixels));
    new Int32Array(room.buffer, slotAt, pixels).set(slotOf.subarray(0, pixels));
    new Int32Array(room.buffer, sourceAt, source.length).set(source);
    const done = room.exports.finish(imageAt, W, H, C, holeAt, slotAt, sourceAt, tableAt, scratchAt, capacity);
    if (done >= 0) {
      if (done > 0) data.set(image);
      return true;
    }
  }
  return false;
}
