/**
 * Connected regions of a binary map and how they become suggestion masks
 * at the photo's resolution. Shared by the text and wire detectors.
 */
import { dilateDisc } from "../mask.js";
import type { CropMask } from "../segmentation/thin.js";

export interface Component {
  /** Pixel indices (y · width + x) in the map. */
  pixels: Int32Array;
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

/** 8-connected components of the non-zero pixels of `map`, each with at least `minPixels` pixels. */
export function connectedComponents(map: Uint8Array, width: number, height: number, minPixels = 1): Component[] {
  const label = new Int32Array(width * height).fill(-1);
  const queue = new Int32Array(width * height);
  const found: Component[] = [];
  for (let start = 0; start < map.length; start++) {
    if (!map[start] || label[start] >= 0) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    label[start] = found.length;
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    while (head < tail) {
      const p = queue[head++];
      const x = p % width;
      const y = (p - x) / width;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y >= y1) y1 = y + 1;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (map[q] && label[q] < 0) {
            label[q] = found.length;
            queue[tail++] = q;
          }
        }
      }
    }
    if (tail < minPixels) {
      // Too small to report; its label stays taken so it is not walked again.
      continue;
    }
    found.push({ pixels: queue.slice(0, tail), x0, y0, x1, y1 });
  }
  return found;
}

/** Number of 4-neighbour steps from the component to a pixel outside it (its outline's length). */
export function perimeter(component: Component, map: Uint8Array, width: number, height: number): number {
  let edges = 0;
  for (const p of component.pixels) {
    const x = p % width;
    const y = (p - x) / width;
    if (x === 0 || !map[p - 1]) edges++;
    if (x === width - 1 || !map[p + 1]) edges++;
    if (y === 0 || !map[p - width]) edges++;
    if (y === height - 1 || !map[p + width]) edges++;
  }
  return edges;
}

/**
 * The component grown by `radius` map pixels (a disc) and scaled to the
 * photo by `scaleX` × `scaleY` photo pixels per map pixel (nearest
 * neighbour), clipped to the photo's `photoWidth` × `photoHeight`.
 */
export function componentToPhotoMask(
  component: Component,
  mapWidth: number,
  mapHeight: number,
  radius: number,
  scaleX: number,
  scaleY: number,
  photoWidth: number,
  photoHeight: number,
): CropMask {
  const pad = Math.ceil(radius);
  const cx0 = Math.max(0, component.x0 - pad);
  const cy0 = Math.max(0, component.y0 - pad);
  const cw = Math.min(mapWidth, component.x1 + pad) - cx0;
  const ch = Math.min(mapHeight, component.y1 + pad) - cy0;
  let local: Uint8Array = new Uint8Array(cw * ch);
  for (const p of component.pixels) {
    const x = p % mapWidth;
    const y = (p - x) / mapWidth;
    local[(y - cy0) * cw + (x - cx0)] = 1;
  }
  if (radius > 0) local = dilateDisc(local, cw, ch, radius + 0.5);
  const x0 = Math.max(0, Math.floor(cx0 * scaleX));
  const y0 = Math.max(0, Math.floor(cy0 * scaleY));
  const x1 = Math.min(photoWidth, Math.ceil((cx0 + cw) * scaleX));
  const y1 = Math.min(photoHeight, Math.ceil((cy0 + ch) * scaleY));
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const data = new Uint8Array(width * height);
  const colOf = new Int32Array(width);
  for (let x = 0; x < width; x++) colOf[x] = Math.min(cw - 1, Math.max(0, Math.floor((x0 + x + 0.5) / scaleX) - cx0));
  for (let y = 0; y < height; y++) {
    const ly = Math.min(ch - 1, Math.max(0, Math.floor((y0 + y + 0.5) / scaleY) - cy0));
    const src = ly * cw;
    const dst = y * width;
    for (let x = 0; x < width; x++) data[dst + x] = local[src + colOf[x]];
  }
  return trimCrop({ x0, y0, width, height, data });
}

/** The crop shrunk to the bounding box of its selected pixels (unchanged when empty). */
export function trimCrop(crop: CropMask): CropMask {
  let x0 = crop.width;
  let y0 = crop.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      if (!crop.data[y * crop.width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0 || (x0 === 0 && y0 === 0 && x1 === crop.width - 1 && y1 === crop.height - 1)) return crop;
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) data.set(crop.data.subarray((y0 + y) * crop.width + x0, (y0 + y) * crop.width + x0 + width), y * width);
  return { x0: crop.x0 + x0, y0: crop.y0 + y0, width, height, data };
}
