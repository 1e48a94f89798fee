/**
 * Worker-thread task of `FieldThreadPool`: one band of one PatchMatch scan
 * (`scanBand`) over arrays in shared memory. Writes only the band's slots of
 * the field; everything else is read.
 */
import { type BandScan, type Nnf, type PatchProblem, scanBand } from "../core/inpaint/patchmatch.js";
import { Random } from "../core/random.js";

export interface FieldTask {
  problem: PatchProblem;
  nnf: Nnf;
  snapshot: Int32Array;
  only: Int32Array | undefined;
  band: BandScan;
}

export default function runBand({ problem, nnf, snapshot, only, band }: FieldTask): void {
  scanBand(problem, nnf, snapshot, only, band, new Random(band.seed));
}
