/**
 * The seam's diffusion levels in WebAssembly (source: assembly/seam.ts,
 * AssemblyScript), with the same entries as `planSeam`'s loop in upscale.ts:
 * the box's slots, hole rows and the ring's entries are copied into one
 * memory per thread (`WasmArena`), the levels run there and the entries come
 * back. Returns null where WebAssembly, SIMD or shared memory is missing, for
 * a box over `MOST_BOX` pixels, or when the entries would pass the room
 * given them; the TypeScript then does the work.
 */

import { compiledOnce, WasmArena } from "../../wasm.js";
import { SEAM_WASM } from "./seam-bytes.js";

interface SeamExports {
  seamLevels(
    slot: number,
    hole: number,
    rw: number,
    rh: number,
    box: number,
    errors: number,
    count: number,
    capacity: number,
    b: number,
    levels: number,
  ): number;
}

/** This thread's memory for the seam's levels. */
const arena = new WasmArena<SeamExports>(compiledOnce(SEAM_WASM));
/** Largest box (pixels) whose slots are copied: 16 MB of them. */
const MOST_BOX = 1 << 22;

/** The seam's entries after its levels: box positions, four mismatches each, and each level's first entry and the end. */
export interface SeamLevels {
  box: Int32Array;
  errors: Float64Array;
  levels: Int32Array;
}

/**
 * `planSeam`'s levels 1 … b over the box (rw × rh at `offset` of the mask,
 * `W` pixels a row) from the ring's `count` entries (`box`, `errors`) and the
 * box's `slot` plane, or null.
 */
export function seamLevelsInWasm(
  slot: Int32Array,
  mask: Uint8Array,
  offset: number,
  W: number,
  rw: number,
  rh: number,
  ring: { box: Int32Array; errors: Float64Array; length: number },
  b: number,
): SeamLevels | null {
  const n = rw * rh;
  if (n > MOST_BOX) return null;
  const count = ring.length;
  // Each box pixel gets at most one entry; the levels rarely reach past a band b + 1 wide along the box's sides.
  const capacity = Math.min(n, Math.max(count, 1024) + 4 * (rw + rh) * (b + 1));
  const room = arena.layout([n * 4, n, capacity * 4, capacity * 32, (b + 2) * 4]);
  if (room === null) return null;
  const [slotAt, holeAt, boxAt, errorsAt, levelsAt] = room.at;
  new Int32Array(room.buffer, slotAt, n).set(slot.subarray(0, n));
  const hole = new Uint8Array(room.buffer, holeAt, n);
  for (let y = 0; y < rh; y++) hole.set(mask.subarray(offset + y * W, offset + y * W + rw), y * rw);
  new Int32Array(room.buffer, boxAt, count).set(ring.box.subarray(0, count));
  new Float64Array(room.buffer, errorsAt, count * 4).set(ring.errors.subarray(0, count * 4));
  const bounds = room.exports.seamLevels(slotAt, holeAt, rw, rh, boxAt, errorsAt, count, capacity, b, levelsAt);
  if (bounds < 0) return null;
  const levels = new Int32Array(room.buffer, levelsAt, bounds).slice();
  const total = levels[bounds - 1];
  return {
    box: new Int32Array(room.buffer, boxAt, total).slice(),
    errors: new Float64Array(room.buffer, errorsAt, total * 4).slice(),
    levels,
  };
}
