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
  /**
   * The region's colour spread: mean L*a*b* of its darkest, middle and
   * brightest thirds (9 per region), so a textured region is described by
   * more than its grey average.
   */
  tertiles: Float64Array;
}

/** Mean L*a*b* of each region's lightness tertiles (see RegionGraph.tertiles). */
function lightnessTertiles(labels: Int32Array, count: number, lab: Float32Array): Float64Array {
  const n = labels.length;
  // Pixels grouped by region (counting sort), then each group sorted by L*.
  const start = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) start[labels[i] + 1]++;
  for (let r = 0; r < count; r++) start[r + 1] += start[r];
  const fill = start.slice(0, count);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[labels[i]]++] = i;
  const out = new Float64Array(count * 9);
  const keys = new Float64Array(n);
  for (let r = 0; r < count; r++) {
    const a = start[r];
    const b = start[r + 1];
    const m = b - a;
    if (m === 0) continue;
    const members = order.subarray(a, b);
    for (let j = 0; j < m; j++) keys[j] = Math.round(Math.max(0, lab[members[j] * 3]) * 100) * 1e7 + members[j];
    const sorted = keys.subarray(0, m).sort();
    for (let t = 0; t < 3; t++) {
      const j0 = Math.floor((t * m) / 3);
      const j1 = Math.max(j0 + 1, Math.floor(((t + 1) * m) / 3));
      let l = 0;
      let aa = 0;
      let bb = 0;
      for (let j = j0; j < j1 && j < m; j++) {
        const p = (sorted[j] % 1e7) * 3;
        l += lab[p];
        aa += lab[p + 1];
        bb += lab[p + 2];
      }
      const c = Math.min(j1, m) - j0;
      out[r * 9 + t * 3] = l / c;
      out[r * 9 + t * 3 + 1] = aa / c;
      out[r * 9 + t * 3 + 2] = bb / c;
    }
  }
  return out;
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
  const tertiles = lightnessTertiles(labels, count, lab);
  return { count, size, lab: meanLab, centroid, border, start, adj, boundary, contrast, tertiles };
}
