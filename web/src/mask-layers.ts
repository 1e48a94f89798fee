/**
 * The mask being built, as typed-array layers: the selection from taps
 * (already grown for removal), and a paint layer at the photo's resolution
 * where the brush adds (+1) and the mask eraser removes (−1). What is erased
 * is (selection or painted) and not rubbed out. The selection may be a
 * preview at the segmenter's working resolution until its full-resolution
 * refinement arrives; it is sampled nearest-neighbour onto the photo's grid.
 * Also: the red overlay the view draws, and mask import/export.
 */
import type { Rect } from "../../src/core/image.js";

/** A selection layer at any resolution covering the whole photo (1 = remove). */
export interface SelectionLayer {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** True when no pixel is selected. */
  readonly empty: boolean;
  /**
   * The same selection sampled onto the overlay's grid (`overlaySize`), made
   * in the worker: drawing the overlay then reads 3 MB in order instead of
   * picking pixels out of a 12 MB full-resolution mask on the page's thread.
   */
  readonly display?: SelectionDisplay;
}

export interface SelectionDisplay {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /**
   * The overlay of the selection alone, drawn in the worker (`selectionOverlay`):
   * the page draws it as it is when nothing is painted. The page keeps one
   * alive (the latest) and drops the others (`bitmap` unset), which then draw from `data`.
   */
  bitmap?: ImageBitmap;
  /** Where `bitmap`'s corner lies on the grid: it covers the box of the grid where the selection may be (0, 0 when absent). */
  bitmapAt?: { x: number; y: number };
}

/** The overlay is drawn at most this long (the photo is rarely shown larger; enlarging it is smoothed). */
export const OVERLAY_LONG_SIDE = 2048;

/** The overlay's size for a photo of `width`×`height`: the photo scaled to at most OVERLAY_LONG_SIDE. */
export function overlaySize(width: number, height: number): { width: number; height: number } {
  const k = Math.min(1, OVERLAY_LONG_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/**
 * The box of the `ow`×`oh` grid whose cells sample (nearest, at pixel centres) a pixel of `within`, a box of
 * a `width`×`height` plane (the sampled rows and columns only grow, so the box is one run of each).
 */
export function gridBox(width: number, height: number, ow: number, oh: number, within: Rect): Rect {
  const run = (n: number, size: number, from: number, to: number) => {
    let first = n;
    let end = 0;
    for (let i = 0; i < n; i++) {
      const c = Math.min(size - 1, Math.floor(((i + 0.5) * size) / n));
      if (c < from || c >= to) continue;
      first = Math.min(first, i);
      end = i + 1;
    }
    return first < end ? { first, end } : { first: 0, end: 0 };
  };
  const xs = run(ow, width, within.x, within.x + within.width);
  const ys = run(oh, height, within.y, within.y + within.height);
  return { x: xs.first, y: ys.first, width: xs.end - xs.first, height: ys.end - ys.first };
}

/**
 * `data` (`width`×`height`) sampled nearest onto `ow`×`oh`, as `drawOverlay` samples it (pixel centres).
 * `within`: a box of `data` outside which it is all 0 (an object's selection at 12 MP), so that only the
 * grid's cells sampling inside it are read.
 */
export function sampleNearest(data: Uint8Array, width: number, height: number, ow: number, oh: number, within?: Rect): Uint8Array {
  const out = new Uint8Array(ow * oh);
  const box = within ? gridBox(width, height, ow, oh, within) : { x: 0, y: 0, width: ow, height: oh };
  const cols = new Int32Array(ow);
  for (let x = box.x; x < box.x + box.width; x++) cols[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / ow));
  for (let y = box.y; y < box.y + box.height; y++) {
    const row = Math.min(height - 1, Math.floor(((y + 0.5) * height) / oh)) * width;
    const o = y * ow;
    for (let x = box.x; x < box.x + box.width; x++) out[o + x] = data[row + cols[x]];
  }
  return out;
}

export interface MaskState {
  readonly width: number;
  readonly height: number;
  readonly selection: SelectionLayer | null;
  /** The paint layer's pixels (shared by every state; see `paintVersion`). */
  readonly paint: Int8Array;
  /** The paint layer's version this state shows (`PaintLayer.goTo` it before reading `paint`). */
  readonly paintVersion: number;
  /** What the paint layer may hold (PAINT_ADDS, PAINT_RUBS; 0 = untouched), so that nothing has to scan it to know. */
  readonly painted: number;
}

/** The paint layer has (or had) +1 pixels. */
export const PAINT_ADDS = 1;
/** The paint layer has (or had) −1 pixels. */
export const PAINT_RUBS = 2;

/** No selection, and the paint layer at a version where it is all 0. */
export function emptyMask(width: number, height: number, paint: Int8Array, paintVersion: number): MaskState {
  return { width, height, selection: null, paint, paintVersion, painted: 0 };
}

/** `m` at the paint layer's `version`, which `value` was painted into. */
export function withPaint(m: MaskState, version: number, value: 1 | -1 | 0): MaskState {
  return { ...m, paintVersion: version, painted: m.painted | (value > 0 ? PAINT_ADDS : value < 0 ? PAINT_RUBS : PAINT_ADDS | PAINT_RUBS) };
}

/** Whether `layer` is a preview (coarser than the photo) rather than the full-resolution selection. */
export function isPreview(m: MaskState): boolean {
  return m.selection !== null && (m.selection.width !== m.width || m.selection.height !== m.height);
}

/** Paints a disc of radius r at (cx, cy) with `value` (+1 brush, −1 mask eraser). */
export function paintDisc(paint: Int8Array, width: number, height: number, cx: number, cy: number, r: number, value: 1 | -1): void {
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(height - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    const half = Math.sqrt(Math.max(0, r2 - dy * dy));
    const x0 = Math.max(0, Math.ceil(cx - half - 0.5));
    const x1 = Math.min(width - 1, Math.floor(cx + half - 0.5));
    if (x1 >= x0) paint.fill(value, y * width + x0, y * width + x1 + 1);
  }
}

/** Paints the segment from (ax, ay) to (bx, by) as overlapping discs (a brush stroke). */
export function paintSegment(
  paint: Int8Array,
  width: number,
  height: number,
  a: { x: number; y: number },
  b: { x: number; y: number },
  r: number,
  value: 1 | -1,
): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / Math.max(1, r / 2)));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    paintDisc(paint, width, height, a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, r, value);
  }
}

/** Fills a polygon (lasso or rectangle) with `value`, even-odd rule, pixel centres. */
export function paintPolygon(paint: Int8Array, width: number, height: number, pts: { x: number; y: number }[], value: 1 | -1): void {
  if (pts.length < 3) return;
  let minY = height;
  let maxY = 0;
  for (const p of pts) {
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const xs: number[] = [];
  for (let y = Math.max(0, Math.floor(minY)); y <= Math.min(height - 1, Math.ceil(maxY)); y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i];
      const b = pts[(i + 1) % pts.length];
      if ((a.y <= yc && b.y > yc) || (b.y <= yc && a.y > yc)) xs.push(a.x + ((yc - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const x0 = Math.max(0, Math.ceil(xs[k] - 0.5));
      const x1 = Math.min(width - 1, Math.floor(xs[k + 1] - 0.5));
      if (x1 >= x0) paint.fill(value, y * width + x0, y * width + x1 + 1);
    }
  }
}

const combined = new WeakMap<MaskState, Uint8Array>();

/**
 * The mask to erase: 1 where selected or painted, and not rubbed out.
 * Mask states are never changed in place (edits make new ones), so the result
 * is cached per state; callers must not modify it.
 */
export function combinedMask(m: MaskState): Uint8Array {
  const cached = combined.get(m);
  if (cached) return cached;
  const out = computeCombined(m);
  combined.set(m, out);
  return out;
}

function computeCombined(m: MaskState): Uint8Array {
  const { width, height, paint } = m;
  const out = new Uint8Array(width * height);
  const sel = m.selection;
  // Nothing painted: the full-resolution selection is the mask itself (no pass over 12 MP).
  if (m.painted === 0 && sel && !isPreview(m)) return sel.data;
  if (sel && !isPreview(m)) {
    for (let i = 0; i < out.length; i++) {
      const p = paint[i];
      out[i] = p > 0 || (p === 0 && sel.data[i] !== 0) ? 1 : 0;
    }
    return out;
  }
  const cols = selectionColumns(m, width);
  for (let y = 0; y < height; y++) {
    const selRow = sel ? Math.min(sel.height - 1, Math.floor(((y + 0.5) * sel.height) / height)) * sel.width : 0;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const p = paint[i];
      out[i] = p > 0 || (p === 0 && sel !== null && sel.data[selRow + cols[x]] !== 0) ? 1 : 0;
    }
  }
  return out;
}

/** For each of `n` columns across the photo, the selection layer's column under it. */
function selectionColumns(m: MaskState, n: number): Int32Array {
  const cols = new Int32Array(n);
  const sw = m.selection?.width ?? 1;
  for (let x = 0; x < n; x++) cols[x] = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / n));
  return cols;
}

/**
 * Writes the mask as a translucent red overlay into `rgba`, `ow`×`oh` (the
 * photo scaled down for display; nearest sample of each layer per overlay
 * pixel, so a full-resolution mask is never built just to be shown). The
 * selection is read from its `display` copy when it has one.
 */
export function drawOverlay(m: MaskState, rgba: Uint8ClampedArray, ow: number, oh: number): void {
  const { width, height, paint } = m;
  const sel = m.selection ? (m.selection.display ?? m.selection) : null;
  const selCols = new Int32Array(ow);
  const sw = sel?.width ?? 1;
  for (let x = 0; x < ow; x++) selCols[x] = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / ow));
  const paintCols = new Int32Array(ow);
  for (let x = 0; x < ow; x++) paintCols[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / ow));
  // One 32-bit store per pixel; the byte order of RGBA in a word follows the platform's endianness.
  const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, ow * oh);
  const red = overlayRed();
  const selData = sel?.data;
  const painted = m.painted !== 0;
  if (!selData && !painted) {
    pixels.fill(0);
    return;
  }
  for (let y = 0; y < oh; y++) {
    const paintRow = Math.min(height - 1, Math.floor(((y + 0.5) * height) / oh)) * width;
    const o = y * ow;
    if (!selData) {
      for (let x = 0; x < ow; x++) pixels[o + x] = paint[paintRow + paintCols[x]] > 0 ? red : 0;
      continue;
    }
    const sh = (sel as { height: number }).height;
    const selRow = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / oh)) * sw;
    if (!painted) {
      // The paint layer is all 0: the selection alone (no reads of the full-resolution layer).
      for (let x = 0; x < ow; x++) pixels[o + x] = selData[selRow + selCols[x]] !== 0 ? red : 0;
      continue;
    }
    for (let x = 0; x < ow; x++) {
      const p = paint[paintRow + paintCols[x]];
      pixels[o + x] = p > 0 || (p === 0 && selData[selRow + selCols[x]] !== 0) ? red : 0;
    }
  }
}

/** The overlay's translucent red as one RGBA word in the platform's byte order. */
function overlayRed(): number {
  const probe = new Uint8Array(new Uint32Array([0x01020304]).buffer);
  return probe[0] === 4 ? (130 << 24) | (60 << 16) | (40 << 8) | 255 : (255 << 24) | (40 << 16) | (60 << 8) | 130;
}

/**
 * The overlay of a selection alone (`data`, already on the overlay's `width`×`height` grid), as `drawOverlay`
 * draws it, over the grid's `box` only (default: all of it; outside it `data` must be 0): an object's
 * overlay is then a fraction of the grid's 11 MB to fill and to make a bitmap of.
 */
export function selectionOverlay(
  data: Uint8Array,
  width: number,
  height: number,
  box: Rect = { x: 0, y: 0, width, height },
): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(box.width * box.height * 4);
  const pixels = new Uint32Array(rgba.buffer);
  const red = overlayRed();
  for (let y = 0; y < box.height; y++) {
    const from = (box.y + y) * width + box.x;
    const to = y * box.width;
    for (let x = 0; x < box.width; x++) if (data[from + x] !== 0) pixels[to + x] = red;
  }
  return rgba;
}

/** A mask image (white = remove) from the layers, for export. */
export function maskToRgba(m: MaskState): Uint8ClampedArray {
  const c = combinedMask(m);
  const out = new Uint8ClampedArray(c.length * 4);
  for (let i = 0; i < c.length; i++) {
    const v = c[i] ? 255 : 0;
    out[i * 4] = v;
    out[i * 4 + 1] = v;
    out[i * 4 + 2] = v;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Writes an imported mask into the paint layer: any channel ≥ 128 marks removal (+1), the rest is 0. */
export function paintFromRgba(paint: Int8Array, rgba: Uint8ClampedArray): void {
  for (let i = 0; i < paint.length; i++) {
    const o = i * 4;
    const v = Math.max(rgba[o], rgba[o + 1], rgba[o + 2]) * (rgba[o + 3] / 255);
    paint[i] = v >= 128 ? 1 : 0;
  }
}

/** The pixels a stroke of radius r through `points` can touch. */
export function strokeBounds(points: readonly { x: number; y: number }[], r: number): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return { x0: Math.floor(x0 - r - 1), y0: Math.floor(y0 - r - 1), x1: Math.ceil(x1 + r + 2), y1: Math.ceil(y1 + r + 2) };
}

/** How many pixels the mask marks for removal. */
export function markedPixels(m: MaskState): number {
  const c = combinedMask(m);
  let n = 0;
  for (let i = 0; i < c.length; i++) n += c[i];
  return n;
}

const marks = new WeakMap<MaskState, boolean>();

/**
 * Whether anything is marked for removal; cached per mask state (renders are
 * frequent, photos large). Without rubbed-out paint the flags and the
 * selection decide; otherwise the combined mask does.
 */
export function hasMarks(m: MaskState): boolean {
  let known = marks.get(m);
  if (known === undefined) {
    known =
      (m.painted & PAINT_RUBS) === 0
        ? (m.painted & PAINT_ADDS) !== 0 || (m.selection !== null && !m.selection.empty)
        : combinedMask(m).indexOf(1) >= 0;
    marks.set(m, known);
  }
  return known;
}
