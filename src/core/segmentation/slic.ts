/**
 * SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to
 * State-of-the-Art Superpixel Methods", TPAMI 2012): k-means in
 * (L*, a*, b*, x, y) with each centre searching only a 2S×2S window, distance
 * D² = d_lab² + (d_xy / S)² · m² (eq. 3), then connectivity enforcement that
 * merges fragments smaller than S²/4 into a neighbour.
 */

export interface Superpixels {
  /** Superpixel id per working pixel, 0…count−1. */
  labels: Int32Array;
  count: number;
}

export interface SlicOptions {
  /** Approximate number of superpixels. */
  count: number;
  /** Compactness m: larger gives squarer superpixels, smaller follows colour more. */
  compactness: number;
  /** k-means iterations. */
  iterations: number;
}

export function slic(lab: Float32Array, width: number, height: number, options: SlicOptions): Superpixels {
  const n = width * height;
  const S = Math.max(2, Math.round(Math.sqrt(n / Math.max(1, options.count))));
  const gx = Math.max(1, Math.round(width / S));
  const gy = Math.max(1, Math.round(height / S));
  const k = gx * gy;
  // centres: L, a, b, x, y
  const c = new Float64Array(k * 5);
  for (let j = 0; j < gy; j++) {
    for (let i = 0; i < gx; i++) {
      let x = Math.min(width - 1, Math.floor(((i + 0.5) * width) / gx));
      let y = Math.min(height - 1, Math.floor(((j + 0.5) * height) / gy));
      // Move the seed to the lowest-gradient pixel of its 3×3 neighbourhood (§3.1).
      let best = Number.POSITIVE_INFINITY;
      let bx = x;
      let by = y;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 1 || yy < 1 || xx >= width - 1 || yy >= height - 1) continue;
          const p = (yy * width + xx) * 3;
          const gh = lab[p + 3] - lab[p - 3];
          const gv = lab[p + width * 3] - lab[p - width * 3];
          const g = gh * gh + gv * gv;
          if (g < best) {
            best = g;
            bx = xx;
            by = yy;
          }
        }
      }
      x = bx;
      y = by;
      const o = (j * gx + i) * 5;
      const p = (y * width + x) * 3;
      c[o] = lab[p];
      c[o + 1] = lab[p + 1];
      c[o + 2] = lab[p + 2];
      c[o + 3] = x;
      c[o + 4] = y;
    }
  }
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float32Array(n);
  const spatial = (options.compactness / S) ** 2;
  const sums = new Float64Array(k * 6);
  for (let it = 0; it < options.iterations; it++) {
    dist.fill(Number.POSITIVE_INFINITY);
    for (let q = 0; q < k; q++) {
      const o = q * 5;
      const cl = c[o];
      const ca = c[o + 1];
      const cb = c[o + 2];
      const cx = c[o + 3];
      const cy = c[o + 4];
      const x0 = Math.max(0, Math.floor(cx - S));
      const x1 = Math.min(width - 1, Math.ceil(cx + S));
      const y0 = Math.max(0, Math.floor(cy - S));
      const y1 = Math.min(height - 1, Math.ceil(cy + S));
      for (let y = y0; y <= y1; y++) {
        const dy2 = (y - cy) * (y - cy);
        let i = y * width + x0;
        for (let x = x0; x <= x1; x++, i++) {
          const p = i * 3;
          const dl = lab[p] - cl;
          const da = lab[p + 1] - ca;
          const db = lab[p + 2] - cb;
          const d = dl * dl + da * da + db * db + ((x - cx) * (x - cx) + dy2) * spatial;
          if (d < dist[i]) {
            dist[i] = d;
            labels[i] = q;
          }
        }
      }
    }
    sums.fill(0);
    for (let y = 0, i = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i++) {
        const q = labels[i];
        if (q < 0) continue;
        const o = q * 6;
        const p = i * 3;
        sums[o] += lab[p];
        sums[o + 1] += lab[p + 1];
        sums[o + 2] += lab[p + 2];
        sums[o + 3] += x;
        sums[o + 4] += y;
        sums[o + 5] += 1;
      }
    }
    for (let q = 0; q < k; q++) {
      const cnt = sums[q * 6 + 5];
      if (cnt === 0) continue;
      for (let t = 0; t < 5; t++) c[q * 5 + t] = sums[q * 6 + t] / cnt;
    }
  }
  return enforceConnectivity(labels, width, height, Math.max(1, (S * S) >> 2));
}

/**
 * Relabels 4-connected components; a component smaller than `minSize` joins
 * the previously labelled component next to its first pixel (§4.3).
 */
function enforceConnectivity(labels: Int32Array, width: number, height: number, minSize: number): Superpixels {
  const n = width * height;
  const out = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const members = new Int32Array(n);
  let next = 0;
  for (let start = 0; start < n; start++) {
    if (out[start] >= 0) continue;
    const original = labels[start];
    // A neighbour already labelled, to absorb this component if it is tiny.
    let adjacent = -1;
    const sx = start % width;
    if (sx > 0 && out[start - 1] >= 0) adjacent = out[start - 1];
    else if (start >= width && out[start - width] >= 0) adjacent = out[start - width];
    let size = 0;
    let top = 0;
    stack[top++] = start;
    out[start] = next;
    while (top > 0) {
      const i = stack[--top];
      members[size++] = i;
      const x = i % width;
      if (x > 0 && out[i - 1] < 0 && labels[i - 1] === original) {
        out[i - 1] = next;
        stack[top++] = i - 1;
      }
      if (x < width - 1 && out[i + 1] < 0 && labels[i + 1] === original) {
        out[i + 1] = next;
        stack[top++] = i + 1;
      }
      if (i >= width && out[i - width] < 0 && labels[i - width] === original) {
        out[i - width] = next;
        stack[top++] = i - width;
      }
      if (i + width < n && out[i + width] < 0 && labels[i + width] === original) {
        out[i + width] = next;
        stack[top++] = i + width;
      }
    }
    if (size < minSize && adjacent >= 0) {
      for (let m = 0; m < size; m++) out[members[m]] = adjacent;
    } else {
      next++;
    }
  }
  return { labels: out, count: next };
}
