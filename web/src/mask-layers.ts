/**
 * The mask being built, as typed-array layers at the photo's resolution:
 * the selection from taps (already grown for removal), and a paint layer
 * where the brush adds (+1) and the mask eraser removes (−1). What is erased
 * is (selection or painted) and not rubbed out. Also: grow/shrink, and the
 * red overlay the view draws.
 */

export interface MaskState {
  selection: Uint8Array | null;
  paint: Int8Array;
}

export function emptyMask(width: number, height: number): MaskState {
  return { selection: null, paint: new Int8Array(width * height) };
}

export function cloneMask(m: MaskState): MaskState {
  return { selection: m.selection ? new Uint8Array(m.selection) : null, paint: new Int8Array(m.paint) };
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
  const n = m.paint.length;
  const out = new Uint8Array(n);
  const sel = m.selection;
  for (let i = 0; i < n; i++) {
    const p = m.paint[i];
    out[i] = p > 0 || (p === 0 && sel !== null && sel[i] !== 0) ? 1 : 0;
  }
  return out;
}

export function maskPixels(m: MaskState): number {
  let count = 0;
  const c = combinedMask(m);
  for (let i = 0; i < c.length; i++) count += c[i];
  return count;
}

/**
 * Writes the mask as a translucent red overlay into `rgba`, `ow`×`oh` (the
 * photo scaled down for display; nearest sample per overlay pixel).
 */
export function drawOverlay(m: MaskState, width: number, height: number, rgba: Uint8ClampedArray, ow: number, oh: number): void {
  const c = combinedMask(m);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / ow));
      const o = (y * ow + x) * 4;
      if (c[sy * width + sx]) {
        rgba[o] = 255;
        rgba[o + 1] = 40;
        rgba[o + 2] = 60;
        rgba[o + 3] = 130;
      } else {
        rgba[o + 3] = 0;
      }
    }
  }
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

/** Replaces the layers by an imported mask: any channel ≥ 128 marks removal. */
export function maskFromRgba(rgba: Uint8ClampedArray, width: number, height: number): MaskState {
  const paint = new Int8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const o = i * 4;
    const v = Math.max(rgba[o], rgba[o + 1], rgba[o + 2]) * (rgba[o + 3] / 255);
    paint[i] = v >= 128 ? 1 : 0;
  }
  return { selection: null, paint };
}
