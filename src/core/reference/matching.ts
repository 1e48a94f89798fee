/**
 * Descriptor matching between two photos: exhaustive nearest neighbours in
 * both directions, kept when they are mutual (the target point's nearest
 * reference point has that target point as its own nearest) and pass Lowe's
 * ratio test (IJCV 2004, §7.1): the best neighbour clearly closer than the
 * second best. Mutuality makes at most one match per point on either side,
 * so a repeated texture cannot vote many times for one place, and lets the
 * ratio be a little looser than one-sided matching needs.
 */
import { DESCRIPTOR_SIZE, type Features } from "./features.js";
import { nearestPairsInWasm } from "./wasm/align.js";

/** Index pairs into the two feature sets, with squared descriptor distances. */
export interface Matches {
  count: number;
  target: Int32Array;
  reference: Int32Array;
  distance: Float32Array;
}

/**
 * Mutual nearest neighbours between the two feature sets that pass the
 * ratio test; the search in WebAssembly where it runs (the same matches)
 * unless `kernel` is false.
 */
export function matchFeatures(target: Features, reference: Features, ratio = 0.85, kernel = true): Matches {
  const D = DESCRIPTOR_SIZE;
  const a = target.descriptors;
  const b = reference.descriptors;
  const nt = target.count;
  const nr = reference.count;
  const r2 = ratio * ratio;
  const found = kernel ? nearestPairsInWasm(a, nt, b, nr, D, r2) : null;
  if (found) return mutual(found.pick, found.pickDist, found.backBest, nt);
  // Nearest target point of every reference point.
  const backBest = new Int32Array(nr).fill(-1);
  const backDist = new Float32Array(nr).fill(Number.POSITIVE_INFINITY);
  const pick = new Int32Array(nt).fill(-1);
  const pickDist = new Float32Array(nt);
  for (let i = 0; i < nt; i++) {
    const ai = i * D;
    let d1 = Number.POSITIVE_INFINITY;
    let d2 = Number.POSITIVE_INFINITY;
    let j1 = -1;
    for (let j = 0; j < nr; j++) {
      const bj = j * D;
      // Past both this row's second best and this column's best, the exact distance no longer matters.
      const bound = d2 > backDist[j] ? d2 : backDist[j];
      let d = 0;
      for (let k = 0; k < D && d < bound; k += 4) {
        const e0 = a[ai + k] - b[bj + k];
        const e1 = a[ai + k + 1] - b[bj + k + 1];
        const e2 = a[ai + k + 2] - b[bj + k + 2];
        const e3 = a[ai + k + 3] - b[bj + k + 3];
        d += e0 * e0 + e1 * e1 + e2 * e2 + e3 * e3;
      }
      if (d < backDist[j]) {
        backDist[j] = d;
        backBest[j] = i;
      }
      if (d < d1) {
        d2 = d1;
        d1 = d;
        j1 = j;
      } else if (d < d2) {
        d2 = d;
      }
    }
    if (j1 < 0 || d1 >= r2 * d2) continue;
    pick[i] = j1;
    pickDist[i] = d1;
  }
  return mutual(pick, pickDist, backBest, nt);
}

/** The pairs whose target's pick has that target as its own nearest. */
function mutual(pick: Int32Array, pickDist: Float32Array, backBest: Int32Array, nt: number): Matches {
  const t: number[] = [];
  const r: number[] = [];
  const dist: number[] = [];
  for (let i = 0; i < nt; i++) {
    const j = pick[i];
    if (j >= 0 && backBest[j] === i) {
      t.push(i);
      r.push(j);
      dist.push(pickDist[i]);
    }
  }
  return { count: t.length, target: Int32Array.from(t), reference: Int32Array.from(r), distance: Float32Array.from(dist) };
}
