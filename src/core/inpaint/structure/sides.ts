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
import { labelSidesInWasm } from "../wasm/structure.js";
import type { SideCurve } from "./curve-channel.js";

/** At most this many curves get a pair of label bits (8 bits per pixel). */
const MAX_CURVES = 4;
/**
 * Labelled pixels lie within this many times the curve's in-hole length of
 * it. Tuning half: 1.5 gave +0.07 dB (1024) and +0.10 dB (2048) over no
 * labels, 0.5 gave +0.02 and +0.03.
 */
const REACH = 1.5;
/** Largest distance (analysis px) of a dropped vertex from the simplified polyline that the labels are measured against. */
const TOLERANCE = 0.5;

/**
 * Side labels over the fill's working image (`width`×`height`, the crop
 * reduced by `workScale`) for `curves` in analysis coordinates (the same crop
 * reduced by `analysisScale`); null when no curve gives a label.
 */
export function sideLabels(
  curves: readonly SideCurve[],
  analysisScale: number,
  workScale: number,
  width: number,
  height: number,
  wasm = true,
): Uint8Array | null {
  // A bar's two sides are one region: it gives no label (`labelsSides`).
  const chosen = [...curves.filter((c) => c.kind === "pair"), ...curves.filter((c) => c.kind !== "pair" && c.kind !== "bar")].slice(
    0,
    MAX_CURVES,
  );
  if (chosen.length === 0) return null;
  const out = new Uint8Array(width * height);
  const f = workScale / analysisScale;
  let any = false;
  for (let k = 0; k < chosen.length; k++) {
    const c = chosen[k];
    const { points } = c;
    const n = points.length / 2;
    // The polyline simplified (Douglas–Peucker, TOLERANCE): a straight horizon is one chord, a rim a dozen.
    const keep = simplify(points, 0, n - 1, new Uint8Array(n));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      if (keep[i] === 0) continue;
      xs.push(points[2 * i]);
      ys.push(points[2 * i + 1]);
    }
    const m = xs.length;
    if (m < 2) continue;
    const inner = c.halfWidth;
    const outer = Math.max(REACH * c.end, 10) + inner;
    const left = 1 << (2 * k);
    const right = 2 << (2 * k);
    // Signed distance of an analysis-space point to the chords: sets `across` and `over`, returns the squared distance.
    let across = 0;
    let over = 0;
    const measure = (px: number, py: number): number => {
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j + 1 < m; j++) {
        const ax = xs[j];
        const ay = ys[j];
        const sx = xs[j + 1] - ax;
        const sy = ys[j + 1] - ay;
        const len = Math.sqrt(sx * sx + sy * sy);
        if (len < 1e-6) continue;
        const along = ((px - ax) * sx + (py - ay) * sy) / len;
        const u = ((px - ax) * sy - (py - ay) * sx) / len;
        const outside = along < 0 ? -along : along > len ? along - len : 0;
        const d = outside * outside + u * u;
        if (d < bestD) {
          bestD = d;
          across = u;
          // Beyond the first or last vertex only: inside the polyline a corner's outside is still beside it.
          over = (along < 0 && j === 0) || (along > len && j + 2 === m) ? outside : 0;
        }
      }
      return bestD;
    };
    const label = (d: number): number => (over > 0.5 || Math.abs(across) <= inner || d > outer * outer ? 0 : across > 0 ? left : right);
    // 2×2 blocks of working pixels, decided at the block's centre where the band is farther than the block reaches.
    const slack = f + 0.5;
    // Only the chords' box grown by `outer` can be labelled (on even pixels, where the blocks start).
    const toWork = (v: number) => (v + 0.5) / f - 0.5;
    const x0 = Math.max(0, Math.floor(toWork(Math.min(...xs) - outer)) & ~1);
    const y0 = Math.max(0, Math.floor(toWork(Math.min(...ys) - outer)) & ~1);
    const x1 = Math.min(width, Math.ceil(toWork(Math.max(...xs) + outer)) + 1);
    const y1 = Math.min(height, Math.ceil(toWork(Math.max(...ys) + outer)) + 1);
    // In WebAssembly unless `wasm` is false (tests): the same labels.
    const inWasm = wasm
      ? labelSidesInWasm(
          { xs: Float64Array.from(xs), ys: Float64Array.from(ys), inner, outer, left, right, f, x0, y0, x1, y1 },
          width,
          height,
          out,
        )
      : null;
    if (inWasm !== null) {
      any ||= inWasm;
      continue;
    }
    for (let by = y0; by < y1; by += 2) {
      for (let bx = x0; bx < x1; bx += 2) {
        const cx = (bx + 1) * f - 0.5;
        const cy = (by + 1) * f - 0.5;
        const d = measure(cx, cy);
        const dist = Math.sqrt(d);
        const beyond = over > 0.5 + slack;
        const uniform = beyond || (over === 0 && Math.abs(Math.abs(across) - inner) > slack && Math.abs(dist - outer) > slack);
        const blockLabel = beyond ? 0 : uniform ? label(d) : -1;
        for (let y = by; y < Math.min(by + 2, height); y++) {
          for (let x = bx; x < Math.min(bx + 2, width); x++) {
            const v = blockLabel >= 0 ? blockLabel : label(measure((x + 0.5) * f - 0.5, (y + 0.5) * f - 0.5));
            if (v === 0) continue;
            out[y * width + x] |= v;
            any = true;
          }
        }
      }
    }
  }
  return any ? out : null;
}

/** Douglas–Peucker: marks in `keep` the vertices of points[first..last] that stay within TOLERANCE of the chords. */
function simplify(points: Float32Array, first: number, last: number, keep: Uint8Array): Uint8Array {
  keep[first] = 1;
  keep[last] = 1;
  const stack = [first, last];
  while (stack.length > 0) {
    const b = stack.pop() as number;
    const a = stack.pop() as number;
    const ax = points[2 * a];
    const ay = points[2 * a + 1];
    const sx = points[2 * b] - ax;
    const sy = points[2 * b + 1] - ay;
    const len = Math.hypot(sx, sy) || 1;
    let worst = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const d = Math.abs((points[2 * i] - ax) * sy - (points[2 * i + 1] - ay) * sx) / len;
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (at < 0 || worst <= TOLERANCE) continue;
    keep[at] = 1;
    stack.push(a, at, at, b);
  }
  return keep;
}
