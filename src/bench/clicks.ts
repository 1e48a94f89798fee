/**
 * Simulated clicks for evaluating interactive segmentation, the protocol of
 * RITM (Sofiiuk et al., "Reviving Iterative Training with Mask Guidance",
 * 2021) and its predecessors: the first click at the object pixel farthest
 * from the object's boundary; every next click at the deepest point of the
 * larger error region (missed object → positive, selected background →
 * negative), with distances taken in an image padded by one pixel so that
 * the image border counts as a boundary. Pure: no I/O.
 */
import { squaredDistanceTo } from "../core/mask.js";
import type { SegmentPoint } from "../core/segmentation/prompt.js";

/** Intersection over union of two byte masks (non-zero = selected). */
export function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** The next simulated click for prediction `pred` against ground truth `truth`, or null when they agree. */
export function nextClick(pred: Uint8Array | null, truth: Uint8Array, width: number, height: number): SegmentPoint | null {
  const pw = width + 2;
  const ph = height + 2;
  let best: SegmentPoint | null = null;
  let bestDepth = 0;
  for (const positive of [true, false]) {
    // Plane of "not this error" (padding included): the distance to it is the depth inside the error.
    const notError = new Uint8Array(pw * ph).fill(1);
    let any = false;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const t = truth[i] !== 0;
        const p = pred !== null && pred[i] !== 0;
        const error = positive ? t && !p : p && !t;
        if (error) {
          notError[(y + 1) * pw + x + 1] = 0;
          any = true;
        }
      }
    }
    if (!any) continue;
    const d = squaredDistanceTo(notError, pw, ph);
    let depth = 0;
    let at = -1;
    for (let i = 0; i < d.length; i++) {
      if (d[i] > depth) {
        depth = d[i];
        at = i;
      }
    }
    if (at >= 0 && depth > bestDepth) {
      bestDepth = depth;
      best = { x: (at % pw) - 1 + 0.5, y: Math.floor(at / pw) - 1 + 0.5, label: positive ? 1 : 0 };
    }
  }
  return best;
}

/** Number of clicks needed to reach `target` IoU (`cap` when never reached), from the IoU after each click. */
export function clicksToReach(ious: readonly number[], target: number, cap = 20): number {
  const k = ious.findIndex((v) => v >= target);
  return k < 0 ? cap : k + 1;
}
