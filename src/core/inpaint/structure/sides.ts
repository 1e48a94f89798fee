/**
 * Sides of continued structure for the texture fill (Sun, Yuan, Jia and Shum
 * 2005, §4: after structure propagation, the rest of the hole is completed
 * with the structure as a constraint). Each pixel of the fill's working image
 * is labelled with the side of each continued curve it lies on; the
 * PatchMatch completion (`PatchProblem.side`) then never copies a pixel on
 * one side of a horizon, a rim or a plank from the other side.
 *
 * Labels: bit 2k for the left of curve k (positive distance along the normal
 * `locate` uses), bit 2k + 1 for its right, at most four curves (pairs
 * first). A pixel on a band, beyond the curve's ends, or farther from the
 * curve than it is long inside the hole gets no bit for it: only pixels that
 * the curve plainly separates are constrained.
 */
import type { StructureCurve } from "./pairing.js";

/** At most this many curves get a pair of label bits (8 bits per pixel). */
const MAX_CURVES = 4;
/**
 * Labelled pixels lie within this many times the curve's in-hole length of
 * it. Tuning half: 1.5 gave +0.07 dB (1024) and +0.10 dB (2048) over no
 * labels, 0.5 gave +0.02 and +0.03.
 */
const REACH = 1.5;
/** Vertex step (analysis px) of the simplified polyline that the labels are measured against. */
const STEP = 3;

/**
 * Side labels over the fill's working image (`width`×`height`, the crop
 * reduced by `workScale`) for `curves` in analysis coordinates (the same crop
 * reduced by `analysisScale`); null when no curve gives a label.
 */
export function sideLabels(
  curves: readonly StructureCurve[],
  analysisScale: number,
  workScale: number,
  width: number,
  height: number,
): Uint8Array | null {
  const chosen = [...curves.filter((c) => c.kind === "pair"), ...curves.filter((c) => c.kind !== "pair")].slice(0, MAX_CURVES);
  if (chosen.length === 0) return null;
  const out = new Uint8Array(width * height);
  const f = workScale / analysisScale;
  let any = false;
  for (let k = 0; k < chosen.length; k++) {
    const c = chosen[k];
    const { points } = c;
    const n = points.length / 2;
    // Every STEP-th vertex and the last: the side of a pixel far from the band does not need every vertex.
    const idx: number[] = [];
    for (let i = 0; i < n; i += STEP) idx.push(i);
    if (idx[idx.length - 1] !== n - 1) idx.push(n - 1);
    if (idx.length < 2) continue;
    const inner = c.halfWidth;
    const outer = Math.max(REACH * c.end, 10) + inner;
    const left = 1 << (2 * k);
    const right = 2 << (2 * k);
    for (let y = 0; y < height; y++) {
      // Centre of the working pixel in analysis-pixel coordinates (centres at integers there).
      const py = (y + 0.5) * f - 0.5;
      for (let x = 0; x < width; x++) {
        const px = (x + 0.5) * f - 0.5;
        let bestD = Number.POSITIVE_INFINITY;
        let bestU = 0;
        let bestOver = 0;
        for (let j = 0; j + 1 < idx.length; j++) {
          const ax = points[2 * idx[j]];
          const ay = points[2 * idx[j] + 1];
          const sx = points[2 * idx[j + 1]] - ax;
          const sy = points[2 * idx[j + 1] + 1] - ay;
          const len = Math.sqrt(sx * sx + sy * sy);
          if (len < 1e-6) continue;
          const along = ((px - ax) * sx + (py - ay) * sy) / len;
          const across = ((px - ax) * sy - (py - ay) * sx) / len;
          // Beyond the first or last vertex only: inside the polyline a corner's outside is still beside it.
          const over = along < 0 && j === 0 ? -along : along > len && j + 2 === idx.length ? along - len : 0;
          const clampedAlong = along < 0 ? -along : along > len ? along - len : 0;
          const d = clampedAlong * clampedAlong + across * across;
          if (d < bestD) {
            bestD = d;
            bestU = across;
            bestOver = over;
          }
        }
        if (bestOver > 0.5 || Math.abs(bestU) <= inner || bestD > outer * outer) continue;
        out[y * width + x] |= bestU > 0 ? left : right;
        any = true;
      }
    }
  }
  return any ? out : null;
}
