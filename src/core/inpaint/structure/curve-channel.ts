/**
 * The structure step's curves handed over in shared memory, ahead of its
 * result. The fill with side labels (sides.ts) needs only the curves'
 * courses, known once pairing and planning are done; the bands along them
 * (`copyAlong`) are needed only when they are pasted over the finished fill.
 * A step on another thread writes the curves here as soon as it has them, so
 * the erase's thread reads them without waiting for the result's message
 * (which its event loop would read only after its speculative fill) and
 * fills with their sides while the bands are drawn.
 *
 * Layout (float64, exact for the curves' float32 vertices and double lengths):
 * [curve count, analysis factor], then per curve [kind, half-width, end,
 * vertex count] and the vertices' x, y pairs.
 */
import type { StructureCurve } from "./pairing.js";

/** What the side labels read of a curve. */
export type SideCurve = Pick<StructureCurve, "kind" | "points" | "halfWidth" | "end">;

/** Slots of a channel: 128 KiB, room for dozens of curves of hundreds of vertices. */
const CHANNEL_SLOTS = 16384;
const KINDS: readonly StructureCurve["kind"][] = ["pair", "junction", "corner", "bar"];

/** A channel in fresh shared memory, for one step at a time (its count, slot 0, cleared before each). */
export function curveChannel(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(CHANNEL_SLOTS * 8));
}

/** Writes `curves` and the analysis factor into `channel`; false (nothing usable written) when they do not fit. */
export function writeCurves(channel: Float64Array, curves: readonly SideCurve[], scale: number): boolean {
  let at = 2;
  for (const c of curves) {
    if (at + 4 + c.points.length > channel.length) return false;
    channel[at] = KINDS.indexOf(c.kind);
    channel[at + 1] = c.halfWidth;
    channel[at + 2] = c.end;
    channel[at + 3] = c.points.length / 2;
    channel.set(c.points, at + 4);
    at += 4 + c.points.length;
  }
  channel[0] = curves.length;
  channel[1] = scale;
  return true;
}

/** The curves and analysis factor `writeCurves` wrote; undefined before (a step's result has at least one curve). */
export function readCurves(channel: Float64Array): { curves: SideCurve[]; scale: number } | undefined {
  if (channel[0] === 0) return undefined;
  const curves: SideCurve[] = [];
  let at = 2;
  for (let k = 0; k < channel[0]; k++) {
    const n = channel[at + 3];
    curves.push({
      kind: KINDS[channel[at]],
      halfWidth: channel[at + 1],
      end: channel[at + 2],
      points: Float32Array.from(channel.subarray(at + 4, at + 4 + 2 * n)),
    });
    at += 4 + 2 * n;
  }
  return { curves, scale: channel[1] };
}
