/**
 * Telling the main subject from distractions. A person who fills the
 * centre of the frame is what the photo is of, not something to erase:
 * a person box counts as a subject when it is large (tall, or a big share
 * of the frame), its centre lies in the middle half of the frame's width,
 * and it is about as large as the largest person there (a couple or a group
 * posing together are all subjects). Everyone else is a suggestion.
 */
import type { SegmentBox } from "../segmentation/prompt.js";
import { boxArea } from "./suggestion.js";

export interface SubjectOptions {
  /** Smallest height, as a fraction of the frame's, for a subject (default 0.45). */
  minHeight?: number;
  /** Smallest area, as a fraction of the frame's, for a subject (default 0.08). */
  minArea?: number;
  /** Smallest area relative to the largest person's for a subject (default 0.5). */
  groupRatio?: number;
}

/** For each person box, whether it is a main subject of a width × height photo. */
export function mainSubjects(people: readonly SegmentBox[], width: number, height: number, options: SubjectOptions = {}): boolean[] {
  const minHeight = options.minHeight ?? 0.45;
  const minArea = options.minArea ?? 0.08;
  const groupRatio = options.groupRatio ?? 0.5;
  const largest = Math.max(0, ...people.map(boxArea));
  return people.map((b) => {
    const cx = (b.x0 + b.x1) / 2;
    const central = cx >= 0.25 * width && cx <= 0.75 * width;
    const large = (b.y1 - b.y0) / height >= minHeight || boxArea(b) / (width * height) >= minArea;
    return central && large && boxArea(b) >= groupRatio * largest;
  });
}
