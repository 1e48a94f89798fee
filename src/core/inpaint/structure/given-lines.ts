/**
 * Line segments from elsewhere (a network such as M-LSD, mlsd.ts) made into
 * the structure step's `LineSegment`s, as LSD would have given them: only
 * their stretches over the allowed pixels (the known band around the hole)
 * are kept, and each stretch's width and contrast are measured on the grey
 * plane across it.
 *
 * Width: the ramp across the line around its steepest point, as far as the
 * derivative keeps its sign and `RAMP_SHARE` of its size (LSD's region of
 * aligned gradient, whose width its rectangle takes). Contrast: that largest derivative (grey levels per pixel), as
 * LSD's mean gradient. Both are medians over samples along the stretch.
 */

import { type GreyImage, sampleBilinear } from "../../reference/grey.js";
import type { LineSegment } from "./lsd.js";
import type { LineEnds } from "./mlsd.js";

/** Offsets (px) across the line at which the grey level is read, each way. */
const ACROSS = 8;
/** A ramp goes on while the derivative is at least this share of its peak, and at least `RAMP_FLOOR` grey levels per px. */
const RAMP_SHARE = 0.2;
const RAMP_FLOOR = 2;
/** Samples along a stretch at which the cross-section is measured. */
const SAMPLES = 9;
/** Widths are kept within these (px), as LSD's rectangles are on the structure cases. */
const MIN_WIDTH = 1;
const MAX_WIDTH = 12;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * `lines` (in the plane's pixels) cut to their runs over `allowed` (a plane
 * of `w`×`h`, non-zero where a segment may lie) at least `minLength` long,
 * each with its width and contrast measured on `grey`.
 */
export function segmentsOverAllowed(
  lines: readonly LineEnds[],
  grey: Float32Array,
  allowed: Uint8Array,
  w: number,
  h: number,
  minLength: number,
): LineSegment[] {
  if (w < 2 || h < 2) return [];
  const plane: GreyImage = { width: w, height: h, data: grey };
  const out: LineSegment[] = [];
  for (const line of lines) {
    const length = Math.hypot(line.x2 - line.x1, line.y2 - line.y1);
    if (length < 1) continue;
    const dx = (line.x2 - line.x1) / length;
    const dy = (line.y2 - line.y1) / length;
    // Half-pixel steps along the line; a run is a stretch of steps over allowed pixels.
    const steps = Math.floor(2 * length);
    let runStart = -1;
    for (let i = 0; i <= steps + 1; i++) {
      let inside = false;
      if (i <= steps) {
        const x = Math.round(line.x1 + (dx * i) / 2);
        const y = Math.round(line.y1 + (dy * i) / 2);
        inside = x >= 0 && y >= 0 && x < w && y < h && allowed[y * w + x] !== 0;
      }
      if (inside && runStart < 0) runStart = i;
      if (!inside && runStart >= 0) {
        const a = runStart / 2;
        const b = (i - 1) / 2;
        runStart = -1;
        if (b - a < minLength) continue;
        const measured = crossSection(plane, line.x1 + dx * a, line.y1 + dy * a, dx, dy, b - a);
        if (measured === null) continue;
        out.push({
          x1: line.x1 + dx * a,
          y1: line.y1 + dy * a,
          x2: line.x1 + dx * b,
          y2: line.y1 + dy * b,
          width: measured.width,
          logNfa: 0,
          contrast: measured.contrast,
        });
      }
    }
  }
  return out;
}

/** Median width and contrast across a stretch from (x, y) along (dx, dy) for `length` px; null where it is flat. */
function crossSection(
  grey: GreyImage,
  x: number,
  y: number,
  dx: number,
  dy: number,
  length: number,
): { width: number; contrast: number } | null {
  const widths: number[] = [];
  const contrasts: number[] = [];
  const profile = new Float32Array(2 * ACROSS + 1);
  for (let s = 0; s < SAMPLES; s++) {
    const t = ((s + 0.5) / SAMPLES) * length;
    const px = x + dx * t;
    const py = y + dy * t;
    for (let k = -ACROSS; k <= ACROSS; k++) profile[k + ACROSS] = sampleBilinear(grey, px - dy * k, py + dx * k);
    // Central differences; the largest within 3 px of the line is the structure's. Its ramp runs on each way
    // while the derivative keeps its sign and a fifth of its size: LSD's region of aligned gradient, whose width
    // its rectangle takes (a soft rail's whole ramp, not only its steepest pixels).
    let peak = 0;
    let at = 0;
    for (let k = -3; k <= 3; k++) {
      const d = (profile[k + ACROSS + 1] - profile[k + ACROSS - 1]) / 2;
      if (Math.abs(d) > Math.abs(peak)) {
        peak = d;
        at = k;
      }
    }
    if (peak === 0) continue;
    const floor = Math.max(RAMP_SHARE * Math.abs(peak), RAMP_FLOOR);
    const rampAt = (k: number) => {
      const d = (profile[k + ACROSS + 1] - profile[k + ACROSS - 1]) / 2;
      return d * Math.sign(peak) >= floor;
    };
    let lo = at;
    let hi = at;
    while (lo - 1 > -ACROSS && rampAt(lo - 1)) lo--;
    while (hi + 1 < ACROSS && rampAt(hi + 1)) hi++;
    peak = Math.abs(peak);
    widths.push(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, hi - lo + 1)));
    contrasts.push(peak);
  }
  if (widths.length === 0) return null;
  return { width: median(widths), contrast: median(contrasts) };
}
