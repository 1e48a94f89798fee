/**
 * Thin structures under a tap: posts, wires and cables narrower than the
 * segmenter's working grid, which no superpixel can represent (their pixels
 * are averaged with the background's). They are selected at full resolution
 * by seeded region growing (Adams & Bischof, TPAMI 1994) from the tapped
 * pixel: 4-connected pixels whose L*a*b* colour lies within a tolerance of
 * the tapped colour, inside a window around the tap. A region that fills a
 * large part of its window is not thin, and is left to the region graph.
 */
import type { Mask, RgbaImage } from "../image.js";
import { labOfBytes, labOfRgb, type WorkingImage } from "./working.js";

/** Side of the window, centred on the tap, that a thin structure may cover: this fraction of the photo's long side. */
export const THIN_WINDOW = 0.3;

/** A grown structure that fills more than this fraction of its window is not thin. */
export const THIN_MAX_FILL = 0.05;

/** L*a*b* distance from every nearby working pixel beyond which a tap sits on something thinner than the working grid (the built-in engine's tap tolerance). */
const EDGE_TAP_TOLERANCE = 20;

/** A selection confined to a rectangle of the photo: data is width × height, 1 = selected. */
export interface CropMask {
  x0: number;
  y0: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ThinOptions {
  /** Largest L*a*b* distance from the tapped colour a pixel may have. */
  tolerance: number;
  /** Side of the square window around the tap that the region may cover, in pixels. */
  window: number;
  /** Largest fraction of the window the region may fill and still count as thin. */
  maxFill: number;
}

/**
 * Grows the structure under the tap at (x, y); null when it is not thin (it
 * fills more than `maxFill` of its window).
 */
export function growThinStructure(image: RgbaImage, x: number, y: number, options: ThinOptions): CropMask | null {
  const { width: W, height: H, data } = image;
  const half = Math.floor(options.window / 2);
  const tx = Math.min(W - 1, Math.max(0, Math.floor(x)));
  const ty = Math.min(H - 1, Math.max(0, Math.floor(y)));
  const x0 = Math.max(0, tx - half);
  const y0 = Math.max(0, ty - half);
  const w = Math.min(W, tx + half + 1) - x0;
  const h = Math.min(H, ty + half + 1) - y0;
  const p0 = (ty * W + tx) * 4;
  const lab = new Float64Array(3);
  labOfBytes(data[p0], data[p0 + 1], data[p0 + 2], lab);
  const l0 = lab[0];
  const a0 = lab[1];
  const b0 = lab[2];
  const tol2 = options.tolerance * options.tolerance;
  const limit = Math.floor(options.maxFill * w * h);
  // 0 unvisited, 1 selected, 2 rejected: each pixel's colour is converted once.
  const state = new Uint8Array(w * h);
  const queue = new Int32Array(w * h);
  let head = 0;
  let tail = 0;
  const seed = (ty - y0) * w + (tx - x0);
  state[seed] = 1;
  queue[tail++] = seed;
  const visit = (q: number, qx: number, qy: number): void => {
    if (state[q] !== 0) return;
    const p = ((y0 + qy) * W + x0 + qx) * 4;
    labOfBytes(data[p], data[p + 1], data[p + 2], lab);
    const dl = lab[0] - l0;
    const da = lab[1] - a0;
    const db = lab[2] - b0;
    if (dl * dl + da * da + db * db <= tol2) {
      state[q] = 1;
      queue[tail++] = q;
    } else {
      state[q] = 2;
    }
  };
  while (head < tail) {
    if (tail > limit) return null;
    const q = queue[head++];
    const qx = q % w;
    const qy = (q - qx) / w;
    if (qx > 0) visit(q - 1, qx - 1, qy);
    if (qx + 1 < w) visit(q + 1, qx + 1, qy);
    if (qy > 0) visit(q - w, qx, qy - 1);
    if (qy + 1 < h) visit(q + w, qx, qy + 1);
  }
  if (tail > limit) return null;
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < tail; i++) mask[queue[i]] = 1;
  return { x0, y0, width: w, height: h, data: mask };
}

/** The union of crop masks, as one crop mask over their bounding rectangle. */
export function unionCrops(crops: readonly CropMask[]): CropMask {
  const x0 = Math.min(...crops.map((c) => c.x0));
  const y0 = Math.min(...crops.map((c) => c.y0));
  const x1 = Math.max(...crops.map((c) => c.x0 + c.width));
  const y1 = Math.max(...crops.map((c) => c.y0 + c.height));
  const width = x1 - x0;
  const data = new Uint8Array(width * (y1 - y0));
  for (const c of crops) {
    for (let y = 0; y < c.height; y++) {
      const row = (c.y0 - y0 + y) * width + (c.x0 - x0);
      for (let x = 0; x < c.width; x++) data[row + x] |= c.data[y * c.width + x];
    }
  }
  return { x0, y0, width, height: y1 - y0, data };
}

/**
 * The crop on a coarser grid of `width` × `height` cells of `factor` pixels:
 * a cell is selected when any of its pixels is, so a thin structure stays visible.
 */
export function cropOnGrid(crop: CropMask, width: number, height: number, factor: number): Uint8Array {
  const grid = new Uint8Array(width * height);
  for (let y = 0; y < crop.height; y++) {
    const gy = Math.min(height - 1, Math.floor((crop.y0 + y) / factor));
    for (let x = 0; x < crop.width; x++) {
      if (!crop.data[y * crop.width + x]) continue;
      grid[gy * width + Math.min(width - 1, Math.floor((crop.x0 + x) / factor))] = 1;
    }
  }
  return grid;
}

/**
 * How clearly the crop's outline follows an edge: the mean over its
 * 4-neighbour pairs (selected, not selected) of 1 − exp(−|ΔLab|² / 2β), the
 * score the region graph reports for its cuts.
 */
export function outlineContrast(image: RgbaImage, crop: CropMask, beta: number): number {
  const { width: W, height: H, data } = image;
  const inside = new Float64Array(3);
  const outside = new Float64Array(3);
  let sum = 0;
  let count = 0;
  const pair = (x: number, y: number, nx: number, ny: number): void => {
    if (nx < 0 || ny < 0 || nx >= W || ny >= H) return;
    const cx = nx - crop.x0;
    const cy = ny - crop.y0;
    if (cx >= 0 && cy >= 0 && cx < crop.width && cy < crop.height && crop.data[cy * crop.width + cx]) return;
    const p = (y * W + x) * 4;
    const q = (ny * W + nx) * 4;
    labOfBytes(data[p], data[p + 1], data[p + 2], inside);
    labOfBytes(data[q], data[q + 1], data[q + 2], outside);
    const d2 = (inside[0] - outside[0]) ** 2 + (inside[1] - outside[1]) ** 2 + (inside[2] - outside[2]) ** 2;
    sum += 1 - Math.exp(-d2 / (2 * beta));
    count++;
  };
  for (let cy = 0; cy < crop.height; cy++) {
    for (let cx = 0; cx < crop.width; cx++) {
      if (!crop.data[cy * crop.width + cx]) continue;
      const x = crop.x0 + cx;
      const y = crop.y0 + cy;
      pair(x, y, x - 1, y);
      pair(x, y, x + 1, y);
      pair(x, y, x, y - 1);
      pair(x, y, x, y + 1);
    }
  }
  return count > 0 ? sum / count : 0;
}

/**
 * For engines without superpixels (SAM): the post or wire under a tap, or
 * null. The tap is on something thinner than the working grid when its
 * colour is farther than EDGE_TAP_TOLERANCE from every working pixel within
 * two cells; the structure is then grown at full resolution as the built-in
 * engine does, and kept only when it is long and thin (its long side at
 * least 16 px and at least 8 times its mean width), so that a speckle of fur
 * or foliage never replaces a whole-object selection.
 */
export function thinStructureAt(image: RgbaImage, work: WorkingImage, x: number, y: number): CropMask | null {
  const { width: W, height: H, data } = image;
  const px = Math.min(W - 1, Math.max(0, Math.floor(x)));
  const py = Math.min(H - 1, Math.max(0, Math.floor(y)));
  const p = (py * W + px) * 4;
  const tap = labOfRgb(data[p], data[p + 1], data[p + 2]);
  const f = work.factor;
  const cx = Math.min(work.width - 1, Math.floor(px / f));
  const cy = Math.min(work.height - 1, Math.floor(py / f));
  let nearest = Number.POSITIVE_INFINITY;
  for (let yy = Math.max(0, cy - 2); yy <= Math.min(work.height - 1, cy + 2); yy++) {
    for (let xx = Math.max(0, cx - 2); xx <= Math.min(work.width - 1, cx + 2); xx++) {
      const q = (yy * work.width + xx) * 3;
      const dl = work.lab[q] - tap[0];
      const da = work.lab[q + 1] - tap[1];
      const db = work.lab[q + 2] - tap[2];
      nearest = Math.min(nearest, Math.sqrt(dl * dl + da * da + db * db));
    }
  }
  if (nearest <= EDGE_TAP_TOLERANCE) return null;
  const window = Math.max(64, Math.round(THIN_WINDOW * Math.max(W, H)));
  const crop = growThinStructure(image, px, py, { tolerance: nearest / 2, window, maxFill: THIN_MAX_FILL });
  if (!crop) return null;
  let area = 0;
  let x0 = crop.width;
  let y0 = crop.height;
  let x1 = -1;
  let y1 = -1;
  for (let yy = 0; yy < crop.height; yy++) {
    for (let xx = 0; xx < crop.width; xx++) {
      if (!crop.data[yy * crop.width + xx]) continue;
      area++;
      if (xx < x0) x0 = xx;
      if (xx > x1) x1 = xx;
      if (yy < y0) y0 = yy;
      if (yy > y1) y1 = yy;
    }
  }
  const length = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  return length >= 16 && length * length >= 8 * area ? crop : null;
}

/** A photo-sized mask as a crop covering the photo (the same plane, not copied). */
export function wholeCrop(mask: Mask): CropMask {
  return { x0: 0, y0: 0, width: mask.width, height: mask.height, data: mask.data };
}

/** Selects the crop's pixels in a full-resolution mask. */
export function addCrop(mask: Mask, crop: CropMask): void {
  addCropInside(wholeCrop(mask), crop);
}

/** Sets in `target` the pixels of `crop` that fall inside it (both crops of the same photo). */
export function addCropInside(target: CropMask, crop: CropMask): void {
  const xa = Math.max(target.x0, crop.x0);
  const xb = Math.min(target.x0 + target.width, crop.x0 + crop.width);
  const ya = Math.max(target.y0, crop.y0);
  const yb = Math.min(target.y0 + target.height, crop.y0 + crop.height);
  for (let y = ya; y < yb; y++) {
    const from = (y - crop.y0) * crop.width - crop.x0;
    const to = (y - target.y0) * target.width - target.x0;
    for (let x = xa; x < xb; x++) if (crop.data[from + x]) target.data[to + x] = 1;
  }
}
