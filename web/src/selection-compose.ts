/**
 * One selection from many prompts, as the user builds it: every positive
 * tap and every box selects its own object, and the selection is their
 * union; a negative tap carves. A carve works twice over: the objects it
 * falls in are selected again with the tap as a negative point (the
 * engine's own way to leave something out), and the region the tap lies on
 * (selected as if it had been tapped positively) is cut out of them, unless
 * that region is most of the object (then the tap meant a part the engine
 * cannot separate, and only the negative point applies).
 * Each object's preview and full-resolution mask are cached by prompt, so a
 * new tap costs one selection, not one per object.
 */
import type { Mask, SegmentBox, Segmenter, SegmentPoint, SegmentPreview, SegmentPrompt } from "../../src/index.js";

/** One object: positive taps and/or a box. */
export interface SelectionPart {
  points: SegmentPoint[];
  box?: SegmentBox;
}

/** Everything the user tapped or boxed since the selection was last cleared. */
export interface SelectionPrompt {
  parts: SelectionPart[];
  /** Negative taps. */
  carves: SegmentPoint[];
}

/** A carve region covering at least this share of an object only adds its negative point to it. */
const CARVE_MOST = 0.6;
/** Masks kept per cache (previews are small; full-resolution masks are the photo's size). */
const PREVIEWS_KEPT = 24;
const FULL_KEPT = 8;

export interface ComposedPreview {
  mask: Mask;
  /** Full-resolution pixels per preview pixel. */
  scale: number;
  score: number;
}

export class SelectionComposer {
  private readonly previews = new Map<string, Promise<SegmentPreview>>();
  private readonly fulls = new Map<string, Mask>();

  constructor(private readonly segmenter: Segmenter) {}

  /** Forgets every cached mask (a new photo, or new pixels after an erase). */
  reset(): void {
    this.previews.clear();
    this.fulls.clear();
  }

  /** The selection at the engine's working resolution. */
  async preview(prompt: SelectionPrompt): Promise<ComposedPreview> {
    const plan = await this.plan(prompt);
    const first = await this.previewOf(plan.parts[0]);
    const masks = await Promise.all(plan.parts.map(async (p) => (await this.previewOf(p)).mask));
    const carves = await Promise.all(plan.carves.map(async (c) => (await this.previewOf(c.region)).mask));
    let score = 1;
    for (const p of plan.parts) score = Math.min(score, (await this.previewOf(p)).score);
    return { mask: compose(masks, plan.carves, carves), scale: first.scale, score };
  }

  /** The selection at the photo's resolution. */
  async full(prompt: SelectionPrompt): Promise<Mask> {
    const plan = await this.plan(prompt);
    const masks: Mask[] = [];
    for (const p of plan.parts) masks.push(await this.fullOf(p));
    const carves: Mask[] = [];
    for (const c of plan.carves) carves.push(await this.fullOf(c.region));
    return compose(masks, plan.carves, carves);
  }

  /**
   * The prompt each object is selected from (its own taps or box, and the
   * negative taps that fall inside it), and the carves with the objects they cut.
   */
  private async plan(prompt: SelectionPrompt): Promise<{ parts: SegmentPrompt[]; carves: Carve[] }> {
    if (prompt.parts.length === 0) throw new Error("Tap or box an object first; negative taps carve away from a selection.");
    const parts: SegmentPrompt[] = [];
    const carves: Carve[] = prompt.carves.map((c) => ({ point: c, region: { points: [{ x: c.x, y: c.y, label: 1 }] }, parts: [] }));
    for (let i = 0; i < prompt.parts.length; i++) {
      const part = prompt.parts[i];
      const own: SegmentPrompt = { points: part.points, ...(part.box ? { box: part.box } : {}) };
      const mask = (await this.previewOf(own)).mask;
      const negatives: SegmentPoint[] = [];
      for (const c of carves) {
        if (!inBox(part.box, c.point) && !maskAt(mask, c.point, (await this.previewOf(own)).scale)) continue;
        negatives.push({ x: c.point.x, y: c.point.y, label: 0 });
        c.parts.push(i);
      }
      parts.push(negatives.length === 0 ? own : { ...own, points: [...part.points, ...negatives] });
    }
    return { parts, carves };
  }

  private previewOf(prompt: SegmentPrompt): Promise<SegmentPreview> {
    const key = JSON.stringify(prompt);
    let p = this.previews.get(key);
    if (!p) {
      p = this.segmenter.preview(prompt);
      p.catch(() => this.previews.delete(key));
      remember(this.previews, key, p, PREVIEWS_KEPT);
    } else {
      this.previews.delete(key);
      this.previews.set(key, p);
    }
    return p;
  }

  private async fullOf(prompt: SegmentPrompt): Promise<Mask> {
    const key = JSON.stringify(prompt);
    const known = this.fulls.get(key);
    if (known) return known;
    const mask = this.segmenter.refine(await this.previewOf(prompt));
    remember(this.fulls, key, mask, FULL_KEPT);
    // Another request may come in between objects (a tap waits for less).
    await new Promise((resolve) => setTimeout(resolve, 0));
    return mask;
  }
}

interface Carve {
  point: SegmentPoint;
  /** The region under the tap, selected as if tapped positively. */
  region: SegmentPrompt;
  /** Indices of the objects it falls in. */
  parts: number[];
}

function remember<T>(cache: Map<string, T>, key: string, value: T, kept: number): void {
  cache.set(key, value);
  for (const old of cache.keys()) {
    if (cache.size <= kept) break;
    cache.delete(old);
  }
}

function inBox(box: SegmentBox | undefined, p: SegmentPoint): boolean {
  return box !== undefined && p.x >= box.x0 && p.x <= box.x1 && p.y >= box.y0 && p.y <= box.y1;
}

function maskAt(mask: Mask, p: SegmentPoint, scale: number): boolean {
  const x = Math.min(mask.width - 1, Math.max(0, Math.floor(p.x / scale)));
  const y = Math.min(mask.height - 1, Math.max(0, Math.floor(p.y / scale)));
  return mask.data[y * mask.width + x] !== 0;
}

/** The union of the objects' masks, each first cut by the carve regions that fall in it (all masks the same size). */
function compose(parts: Mask[], carves: Carve[], regions: Mask[]): Mask {
  const { width, height } = parts[0];
  const out = new Uint8Array(width * height);
  for (let i = 0; i < parts.length; i++) {
    const own = parts[i].data;
    const cuts = carves.flatMap((c, k) => (c.parts.includes(i) ? [regions[k].data] : []));
    let size = 0;
    for (let j = 0; j < own.length; j++) size += own[j];
    const cutting = cuts.filter((cut) => {
      let overlap = 0;
      for (let j = 0; j < own.length; j++) overlap += own[j] & cut[j];
      return overlap < CARVE_MOST * size;
    });
    for (let j = 0; j < own.length; j++) {
      if (own[j] === 0) continue;
      let keep = true;
      for (const cut of cutting) if (cut[j] !== 0) keep = false;
      if (keep) out[j] = 1;
    }
  }
  return { width, height, data: out };
}
