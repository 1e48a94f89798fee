/**
 * What `suggest` returns and the box geometry shared by its detectors:
 * intersection over union and per-label greedy non-maximum suppression
 * (keep the best box, drop the boxes that overlap it by more than a
 * threshold, repeat).
 */
import { expectedError, VanishError } from "../image.js";
import type { SegmentBox } from "../segmentation/prompt.js";
import type { CropMask } from "../segmentation/thin.js";

/** The kinds of distraction a caller can ask for. */
export type SuggestKindOption = "people" | "text" | "wires" | "vehicles" | "animals";

/** What one suggestion is. */
export type SuggestionKind = "person" | "text" | "wire" | "vehicle" | "animal";

export const SUGGEST_KINDS: readonly SuggestKindOption[] = ["people", "text", "wires", "vehicles", "animals"];
export const DEFAULT_SUGGEST_KINDS: readonly SuggestKindOption[] = ["people", "text", "wires"];

/** Checks a list of kinds (from a caller or a command line). */
export function parseKinds(kinds: readonly string[]): SuggestKindOption[] {
  const out: SuggestKindOption[] = [];
  for (const k of kinds) {
    const name = k.trim().toLowerCase();
    if (!name) continue;
    if (!(SUGGEST_KINDS as readonly string[]).includes(name)) {
      throw expectedError(`kinds among ${SUGGEST_KINDS.join(", ")}`, k);
    }
    if (!out.includes(name as SuggestKindOption)) out.push(name as SuggestKindOption);
  }
  if (out.length === 0) throw new VanishError("INVALID_ARGUMENT", `Name at least one kind (${SUGGEST_KINDS.join(", ")}).`);
  return out;
}

/** One thing the user may want erased. */
export interface Suggestion {
  kind: SuggestionKind;
  /** What it is, in words ("person", "car", "text", "wire"). */
  label: string;
  /** Its bounding box in the photo's pixels (x1, y1 exclusive). */
  box: SegmentBox;
  /** The detector's confidence, 0–1. */
  score: number;
  /**
   * The pixels to remove, confined to a rectangle of the photo (x0, y0,
   * width × height, 1 = remove); `suggestionMask` expands it to the photo.
   */
  mask: CropMask;
}

/** A detector's box before it becomes a suggestion. */
export interface Detection {
  label: string;
  box: SegmentBox;
  score: number;
}

export function boxArea(b: SegmentBox): number {
  return Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
}

export function intersectionArea(a: SegmentBox, b: SegmentBox): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: SegmentBox, b: SegmentBox): number {
  const inter = intersectionArea(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression within each label; the result is sorted by score, best first. */
export function nonMaximumSuppression<T extends Detection>(detections: readonly T[], iouThreshold: number): T[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const d of sorted) {
    if (kept.some((k) => k.label === d.label && iou(k.box, d.box) > iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}
