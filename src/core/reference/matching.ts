/**
 * Descriptor matching between two photos: exhaustive nearest neighbours with
 * Lowe's ratio test (IJCV 2004, §7.1) — a match is kept only when its best
 * neighbour is clearly closer than the second best — and at most one match
 * per reference point (the closest wins), so a repeated texture cannot vote
 * many times for one place.
 */
import { DESCRIPTOR_SIZE, type Features } from "./features.js";

/** Index pairs into the two feature sets, with squared descriptor distances. */
export interface Matches {
  count: number;
  target: Int32Array;
  reference: Int32Array;
  distance: Float32Array;
}

/** Matches every target feature to its nearest reference feature, keeping distinctive ones. */
export function matchFeatures(target: Features, reference: Features, ratio = 0.8): Matches {
  const D = DESCRIPTOR_SIZE;
  const a = target.descriptors;
  const b = reference.descriptors;
  const bestOf = new Int32Array(reference.count).fill(-1);
  const bestDist = new Float32Array(reference.count).fill(Number.POSITIVE_INFINITY);
  const pick = new Int32Array(target.count).fill(-1);
  const pickDist = new Float32Array(target.count);
  const r2 = ratio * ratio;
  for (let i = 0; i < target.count; i++) {
    const ai = i * D;
    let d1 = Number.POSITIVE_INFINITY;
    let d2 = Number.POSITIVE_INFINITY;
    let j1 = -1;
    for (let j = 0; j < reference.count; j++) {
      const bj = j * D;
      let d = 0;
      for (let k = 0; k < D && d < d2; k++) {
        const e = a[ai + k] - b[bj + k];
        d += e * e;
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
    if (d1 < bestDist[j1]) {
      bestDist[j1] = d1;
      bestOf[j1] = i;
    }
  }
  const t: number[] = [];
  const r: number[] = [];
  const dist: number[] = [];
  for (let i = 0; i < target.count; i++) {
    const j = pick[i];
    if (j >= 0 && bestOf[j] === i) {
      t.push(i);
      r.push(j);
      dist.push(pickDist[i]);
    }
  }
  return { count: t.length, target: Int32Array.from(t), reference: Int32Array.from(r), distance: Float32Array.from(dist) };
}
