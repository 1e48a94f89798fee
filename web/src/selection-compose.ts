/**
 * One selection from many prompts, as the user builds it: every positive
 * tap and every box selects its own object, and the selection is their
 * union; a negative tap carves. In each object it falls in, the region the
 * tap lies on (selected as if it had been tapped positively) is cut out,
 * when that region is a smaller part of the object; when it is most of the
 * object, the engine could not tell the two apart, and the tap joins the
 * object's prompt as a negative point instead (the engine's own way to
 * leave something out).
 * Each object's preview and full-resolution mask are cached by prompt, so a
 * new tap costs one selection, not one per object.
 */
import { addMask } from "../../src/core/mask.js";
import type { CropMask, Mask, SegmentBox, SegmentPoint, SegmentPreview, SegmentPrompt } from "../../src/index.js";

/**
 * Selects one object in two steps (tap-selector.ts): a quick preview, then the full-resolution mask, as a
 * crop of the photo that holds every selected pixel (an object's neighbourhood, or the whole photo).
 */
export interface TwoStepSelector {
  preview(prompt: SegmentPrompt): Promise<SegmentPreview>;
  full(preview: SegmentPreview, prompt: SegmentPrompt): Promise<CropMask>;
}

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
  private readonly fulls = new Map<string, CropMask>();

  constructor(private readonly selector: TwoStepSelector) {}

  /** Forgets every cached mask (a new photo, or new pixels after an erase). */
  reset(): void {
    this.previews.clear();
    this.fulls.clear();
  }

  /** The selection at the engine's working resolution. */
  async preview(prompt: SelectionPrompt): Promise<ComposedPreview> {
    const plan = await this.plan(prompt);
    const previews = await Promise.all(plan.map((p) => this.previewOf(p.prompt)));
    const cuts = await Promise.all(plan.map((p) => Promise.all(p.cuts.map(async (c) => (await this.previewOf(c)).mask))));
    return {
      mask: compose(
        previews.map((p) => p.mask),
        cuts,
      ),
      scale: previews[0].scale,
      score: Math.min(...previews.map((p) => p.score)),
    };
  }

  /** The selection at the photo's resolution, as a crop of the photo that holds every selected pixel (0 outside it). */
  async full(prompt: SelectionPrompt): Promise<CropMask> {
    const plan = await this.plan(prompt);
    const masks: CropMask[] = [];
    const cuts: CropMask[][] = [];
    for (const p of plan) {
      masks.push(await this.fullOf(p.prompt));
      const own: CropMask[] = [];
      for (const c of p.cuts) own.push(await this.fullOf(c));
      cuts.push(own);
    }
    // One object, nothing cut out (a plain tap): its own mask, which nobody writes (no copy, no scan).
    if (masks.length === 1 && cuts[0].length === 0) return masks[0];
    return composeCrops(masks, cuts);
  }

  /**
   * What each object is selected from, and what is cut out of it: a
   * negative tap inside an object cuts out the region under it when that
   * region is a smaller part of the object, and otherwise joins the object's
   * prompt as a negative point. Decided on the previews, so that the preview
   * and the full-resolution selection agree.
   */
  private async plan(prompt: SelectionPrompt): Promise<PartPlan[]> {
    if (prompt.parts.length === 0) throw new Error("Tap or box an object first; negative taps carve away from a selection.");
    const plans: PartPlan[] = [];
    for (const part of prompt.parts) {
      const own: SegmentPrompt = { points: part.points, ...(part.box ? { box: part.box } : {}) };
      const preview = await this.previewOf(own);
      const negatives: SegmentPoint[] = [];
      const cuts: SegmentPrompt[] = [];
      for (const c of prompt.carves) {
        if (!inBox(part.box, c) && !maskAt(preview.mask, c, preview.scale)) continue;
        const region: SegmentPrompt = { points: [{ x: c.x, y: c.y, label: 1 }] };
        if (overlapShare(preview.mask, (await this.previewOf(region)).mask) < CARVE_MOST) cuts.push(region);
        else negatives.push({ x: c.x, y: c.y, label: 0 });
      }
      plans.push({ prompt: negatives.length === 0 ? own : { ...own, points: [...part.points, ...negatives] }, cuts });
    }
    return plans;
  }

  private previewOf(prompt: SegmentPrompt): Promise<SegmentPreview> {
    const key = JSON.stringify(prompt);
    let p = this.previews.get(key);
    if (!p) {
      p = this.selector.preview(prompt);
      p.catch(() => this.previews.delete(key));
      remember(this.previews, key, p, PREVIEWS_KEPT);
    } else {
      this.previews.delete(key);
      this.previews.set(key, p);
    }
    return p;
  }

  private async fullOf(prompt: SegmentPrompt): Promise<CropMask> {
    const key = JSON.stringify(prompt);
    const known = this.fulls.get(key);
    if (known) return known;
    const mask = await this.selector.full(await this.previewOf(prompt), prompt);
    remember(this.fulls, key, mask, FULL_KEPT);
    // Another request may come in between objects (a tap waits for less).
    await new Promise((resolve) => setTimeout(resolve, 0));
    return mask;
  }
}

interface PartPlan {
  prompt: SegmentPrompt;
  /** Regions to cut out of it (each selected as if tapped positively). */
  cuts: SegmentPrompt[];
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

/** The share of `object` that `region` covers. */
function overlapShare(object: Mask, region: Mask): number {
  let size = 0;
  let overlap = 0;
  for (let j = 0; j < object.data.length; j++) {
    size += object.data[j];
    overlap += object.data[j] & region.data[j];
  }
  return size === 0 ? 1 : overlap / size;
}

/** The union of the objects' masks, each less its cuts (all masks the same size): 1 where selected, else 0. */
function compose(parts: Mask[], cuts: Mask[][]): Mask {
  const { width, height } = parts[0];
  const out = new Uint8Array(width * height);
  for (let i = 0; i < parts.length; i++) {
    const own = parts[i].data;
    const cut = cuts[i].map((c) => c.data);
    // Nothing cut out (a plain tap): word by word (a byte loop took 100 ms of a page's first refinement).
    if (cut.length === 0) {
      addMask(own, out);
      continue;
    }
    for (let j = 0; j < own.length; j++) {
      if (own[j] === 0) continue;
      let keep = 1;
      for (const c of cut) if (c[j] !== 0) keep = 0;
      out[j] |= keep;
    }
  }
  return { width, height, data: out };
}

/**
 * `compose` of full-resolution crops (all of one photo): the union of the objects' crops, each less its
 * cuts, over the box that holds every object; 1 where selected, else 0.
 */
function composeCrops(parts: CropMask[], cuts: CropMask[][]): CropMask {
  const x0 = Math.min(...parts.map((p) => p.x0));
  const y0 = Math.min(...parts.map((p) => p.y0));
  const width = Math.max(x0, ...parts.map((p) => p.x0 + p.width)) - x0;
  const height = Math.max(y0, ...parts.map((p) => p.y0 + p.height)) - y0;
  const out = new Uint8Array(width * height);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    for (let y = 0; y < part.height; y++) {
      const py = part.y0 + y;
      const from = y * part.width;
      const to = (py - y0) * width + part.x0 - x0;
      // Nothing cut out (a plain tap): the row word by word.
      if (cuts[i].length === 0) {
        addMask(part.data.subarray(from, from + part.width), out.subarray(to, to + part.width));
        continue;
      }
      for (let x = 0; x < part.width; x++) {
        if (part.data[from + x] === 0) continue;
        const px = part.x0 + x;
        let keep = 1;
        for (const c of cuts[i]) {
          const cx = px - c.x0;
          const cy = py - c.y0;
          if (cx >= 0 && cy >= 0 && cx < c.width && cy < c.height && c.data[cy * c.width + cx] !== 0) keep = 0;
        }
        out[to + x] |= keep;
      }
    }
  }
  return { x0, y0, width, height, data: out };
}
