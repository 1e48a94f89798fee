/**
 * Prompts for tap-to-select and their validation: positive and negative
 * points and an optional box, all in the image's pixel coordinates
 * (x to the right, y down, the centre of the top-left pixel at 0.5, 0.5).
 */
import { expectedError, VanishError } from "../image.js";

/** One tap: label 1 adds the thing under it, label 0 carves it away. */
export interface SegmentPoint {
  x: number;
  y: number;
  label: 0 | 1;
}

/** A box around the thing to select: corners (x0, y0) top-left and (x1, y1) bottom-right. */
export interface SegmentBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What the user gave: taps, a box, or both. */
export interface SegmentPrompt {
  points?: readonly SegmentPoint[];
  box?: SegmentBox;
}

/** Checks a prompt against the image size and returns it with the box's corners ordered. */
export function validatePrompt(prompt: SegmentPrompt, width: number, height: number): { points: SegmentPoint[]; box?: SegmentBox } {
  const points = [...(prompt.points ?? [])];
  if (points.length === 0 && !prompt.box) {
    throw new VanishError("INVALID_ARGUMENT", "Give at least one point or a box to select something (for example --point 120,80).");
  }
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw expectedError("finite point coordinates", [p.x, p.y]);
    }
    if (p.x < 0 || p.y < 0 || p.x >= width || p.y >= height) {
      throw new VanishError(
        "INVALID_ARGUMENT",
        `The point (${p.x}, ${p.y}) is outside the ${width}×${height} image; x must be in [0, ${width}) and y in [0, ${height}).`,
      );
    }
    if (p.label !== 0 && p.label !== 1) {
      throw expectedError("point label 1 (select) or 0 (carve away)", p.label);
    }
  }
  if (points.length > 0 && !prompt.box && points.every((p) => p.label === 0)) {
    throw new VanishError(
      "INVALID_ARGUMENT",
      "Only negative points were given; add a positive point (label 1) or a box to say what to select.",
    );
  }
  let box: SegmentBox | undefined;
  if (prompt.box) {
    const b = prompt.box;
    if (![b.x0, b.y0, b.x1, b.y1].every(Number.isFinite)) {
      throw expectedError("four finite box coordinates", [b.x0, b.y0, b.x1, b.y1]);
    }
    box = {
      x0: Math.max(0, Math.min(b.x0, b.x1)),
      y0: Math.max(0, Math.min(b.y0, b.y1)),
      x1: Math.min(width, Math.max(b.x0, b.x1)),
      y1: Math.min(height, Math.max(b.y0, b.y1)),
    };
    if (box.x1 - box.x0 < 2 || box.y1 - box.y0 < 2) {
      throw new VanishError(
        "INVALID_ARGUMENT",
        `The box ${b.x0},${b.y0},${b.x1},${b.y1} covers less than 2×2 pixels of the ${width}×${height} image; draw it around the object.`,
      );
    }
  }
  return box ? { points, box } : { points };
}
