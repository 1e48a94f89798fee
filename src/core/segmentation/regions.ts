/**
 * The region adjacency graph over superpixels: each region's size, mean
 * colour, centroid and whether it touches the image border; each pair of
 * touching regions' shared boundary length and the mean squared Lab contrast
 * across that boundary. Computed once per image; every tap works on this
 * graph (a thousand or so nodes) instead of on pixels.
 */
import type { Superpixels } from "./slic.js";

export interface RegionGraph {
  count: number;
  size: Float64Array;
  /** Mean L*a*b*, 3 per region. */
  lab: Float64Array;
  /** Centroid x, y in working pixels, 2 per region. */
  centroid: Float64Array;
  /** 1 where the region touches the image border. */
  border: Uint8Array;
  /** Compressed adjacency: neighbours of r are adj[start[r]] … adj[start[r+1]−1]. */
  start: Int32Array;
  adj: Int32Array;
  /** Shared boundary length in pixel edges, parallel to adj. */
  boundary: Float64Array;
  /** Mean squared Lab difference across the shared boundary, parallel to adj. */
  contrast: Float64Array;
}

export function buildRegionGraph(sp: Superpixels, lab: Float32Array, width: number, height: number): RegionGraph {
  const { labels, count } = sp;
  const size = new Float64Array(count);
  const meanLab = new Float64Array(count * 3);
  const centroid = new Float64Array(count * 2);
  const border = new Uint8Array(count);
  const pairLength = new Map<number, number>();
  const pairContrast = new Map<number, number>();
  const note = (a: number, b: number, p: number, q: number): void => {
    const key = a < b ? a * count + b : b * count + a;
    const dl = lab[p] - lab[q];
    const da = lab[p + 1] - lab[q + 1];
    const db = lab[p + 2] - lab[q + 2];
    pairLength.set(key, (pairLength.get(key) ?? 0) + 1);
    pairContrast.set(key, (pairContrast.get(key) ?? 0) + dl * dl + da * da + db * db);
  };
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const r = labels[i];
      const p = i * 3;
      size[r] += 1;
      meanLab[r * 3] += lab[p];
      meanLab[r * 3 + 1] += lab[p + 1];
      meanLab[r * 3 + 2] += lab[p + 2];
      centroid[r * 2] += x;
      centroid[r * 2 + 1] += y;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) border[r] = 1;
      if (x + 1 < width && labels[i + 1] !== r) note(r, labels[i + 1], p, p + 3);
      if (y + 1 < height && labels[i + width] !== r) note(r, labels[i + width], p, p + width * 3);
    }
  }
  for (let r = 0; r < count; r++) {
    const s = Math.max(1, size[r]);
    meanLab[r * 3] /= s;
    meanLab[r * 3 + 1] /= s;
    meanLab[r * 3 + 2] /= s;
    centroid[r * 2] /= s;
    centroid[r * 2 + 1] /= s;
  }
  const degree = new Int32Array(count + 1);
  for (const key of pairLength.keys()) {
    degree[Math.floor(key / count)]++;
    degree[key % count]++;
  }
  const start = new Int32Array(count + 1);
  for (let r = 0; r < count; r++) start[r + 1] = start[r] + degree[r];
  const fill = start.slice(0, count);
  const adj = new Int32Array(start[count]);
  const boundary = new Float64Array(start[count]);
  const contrast = new Float64Array(start[count]);
  for (const [key, length] of pairLength) {
    const a = Math.floor(key / count);
    const b = key % count;
    const c = (pairContrast.get(key) ?? 0) / length;
    for (const [u, v] of [
      [a, b],
      [b, a],
    ]) {
      const e = fill[u]++;
      adj[e] = v;
      boundary[e] = length;
      contrast[e] = c;
    }
  }
  return { count, size, lab: meanLab, centroid, border, start, adj, boundary, contrast };
}
