/**
 * The gradient-domain finish's multigrid loops in WebAssembly (source:
 * assembly/poisson.ts, AssemblyScript): the planes of every grid of a solve
 * live in one memory per thread (`WasmArena`), laid out once per solve; the
 * TypeScript drives the V-cycles and calls these loops. Null where
 * WebAssembly, SIMD or shared memory is missing; `CorrectionGrid` then runs
 * its own loops, with the same arithmetic.
 */

import { compiledOnce, WasmArena } from "../../wasm.js";
import { POISSON_WASM } from "./poisson-bytes.js";

export interface PoissonExports {
  smooth(cells: number, inverse: number, n: number, rhs: number, value: number, row: number, times: number, omega: number): number;
  restrict(cells: number, count: number, parent: number, n: number, rhs: number, value: number, row: number, coarse: number): void;
  prolong(
    cells: number,
    corner: number,
    weightX: number,
    weightY: number,
    n: number,
    value: number,
    coarse: number,
    coarseRow: number,
  ): void;
}

/** This thread's memory for the finish's grids. */
const arena = new WasmArena<PoissonExports>(compiledOnce(POISSON_WASM));

/** Blocks of the given byte sizes in the kernel's memory, with the kernel; null where it can't run here. */
export function poissonLayout(sizes: number[]): { at: number[]; exports: PoissonExports; buffer: ArrayBuffer | SharedArrayBuffer } | null {
  return arena.layout(sizes);
}
