/**
 * Mask geometry: bounding boxes, pixel counts, distance to the known region
 * and summed-area tables for "is this block free of hole?" queries.
 * Masks here are byte planes with 1 = hole, 0 = known.
 */
import { squaredDistanceInWasm } from "./distance-wasm.js";
import type { Rect } from "./image.js";

/** Number of non-zero pixels. */
export function countHole(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}

/**
 * Adds a mask's non-zero pixels to `out` as 1 (out |= mask ≠ 0), four bytes
 * at a time where both planes are word-aligned, skipping zero words: an
 * object's mask at 12 MP is mostly zeros, and a page's first selection runs
 * this before the JavaScript engine has optimised it.
 */
export function addMask(mask: Uint8Array, out: Uint8Array): void {
  const n = Math.min(mask.length, out.length);
  let j = 0;
  if ((mask.byteOffset & 3) === 0 && (out.byteOffset & 3) === 0) {
    const words = n >> 2;
    const src = new Uint32Array(mask.buffer, mask.byteOffset, words);
    const dst = new Uint32Array(out.buffer, out.byteOffset, words);
    for (let k = 0; k < words; k++) {
      const w = src[k];
      if (w === 0) continue;
      // The high bit of each non-zero byte (set by the carry of + 0x7f or by the byte itself), moved down to 1.
      dst[k] |= ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) & 0x80808080) >>> 7;
    }
    j = words << 2;
  }
  for (; j < n; j++) if (mask[j] !== 0) out[j] = 1;
}

/**
 * Tight bounding box of a hole plane's non-zero pixels (null when empty).
 * Each row is searched from its left end for its first hole pixel and from
 * its right end for its last, four bytes at a time where the plane is
 * word-aligned: an empty row costs a quarter of a byte scan, and an object's
 * rows are never read between their ends.
 */
export function holeBounds(data: Uint8Array, width: number, height: number): Rect | null {
  const n = Math.min(data.length, width * height);
  const words = (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, n >> 2) : null;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const first = firstNonZero(data, words, row, row + width);
    if (first < 0) continue;
    const last = lastNonZero(data, words, first, row + width);
    if (first - row < x0) x0 = first - row;
    if (last - row > x1) x1 = last - row;
    if (y < y0) y0 = y;
    y1 = y;
  }
  if (x1 < 0) return null;
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Index of the first non-zero byte of `data` in [from, to), or −1; `words`: `data` read as whole words from its start. */
function firstNonZero(data: Uint8Array, words: Uint32Array | null, from: number, to: number): number {
  let i = from;
  if (words) {
    for (; i < to && (i & 3) !== 0; i++) if (data[i] !== 0) return i;
    if (i >= to) return -1;
    let w = i >> 2;
    const wordsEnd = to >> 2;
    while (w < wordsEnd && words[w] === 0) w++;
    i = w << 2;
  }
  for (; i < to; i++) if (data[i] !== 0) return i;
  return -1;
}

/** Index of the last non-zero byte of `data` in [from, to), or −1 (see `firstNonZero`). */
function lastNonZero(data: Uint8Array, words: Uint32Array | null, from: number, to: number): number {
  let i = to - 1;
  if (words) {
    for (; i >= from && ((i + 1) & 3) !== 0; i--) if (data[i] !== 0) return i;
    if (i < from) return -1;
    let w = (i + 1) >> 2;
    const wordsStart = (from + 3) >> 2;
    while (w > wordsStart && words[w - 1] === 0) w--;
    i = (w << 2) - 1;
  }
  for (; i >= from; i--) if (data[i] !== 0) return i;
  return -1;
}

/** Pixel count and tight bounding box of a hole plane (bounds null when empty). */
export interface HoleStats {
  count: number;
  bounds: Rect | null;
}

/**
 * `countHole` and `holeBounds` in one pass that reads four bytes at a time
 * and looks at single bytes only in words holding both hole and known pixels
 * (or a row's end): an object covers a few percent of the photo, so the pass
 * costs about a quarter of a byte scan.
 */
export function holeStats(data: Uint8Array, width: number, height: number): HoleStats {
  let count = 0;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  const visit = (i: number) => {
    count++;
    const y = (i / width) | 0;
    const x = i - y * width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  };
  const n = width * height;
  const head = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
  for (let i = 0; i < head; i++) if (data[i] !== 0) visit(i);
  const words = head < n ? (n - head) >> 2 : 0;
  const packed = words > 0 ? new Uint32Array(data.buffer, data.byteOffset + head, words) : new Uint32Array(0);
  for (let w = 0; w < words; w++) {
    const v = packed[w];
    if (v === 0) continue;
    const i = head + 4 * w;
    // Four hole bytes in one row (inside an object, most of its words): counted and bounded at once.
    if (((v - 0x01010101) & ~v & 0x80808080) === 0) {
      const y = (i / width) | 0;
      const x = i - y * width;
      if (x + 3 < width) {
        count += 4;
        if (x < x0) x0 = x;
        if (x + 3 > x1) x1 = x + 3;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        continue;
      }
    }
    for (let j = i, e = i + 4; j < e; j++) if (data[j] !== 0) visit(j);
  }
  for (let i = head + 4 * words; i < n; i++) if (data[i] !== 0) visit(i);
  return { count, bounds: x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } };
}

/**
 * City-block distance (in pixels) from every hole pixel to the nearest known
 * pixel, by two raster passes; known pixels get 0. Capped at 65535.
 */
export function distanceToKnown(hole: Uint8Array, width: number, height: number): Uint16Array {
  const big = 65535;
  const d = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (hole[i] === 0) continue;
      let v = big;
      if (x > 0 && d[i - 1] + 1 < v) v = d[i - 1] + 1;
      if (y > 0 && d[i - width] + 1 < v) v = d[i - width] + 1;
      d[i] = v;
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      if (hole[i] === 0) continue;
      let v = d[i];
      if (x < width - 1 && d[i + 1] + 1 < v) v = d[i + 1] + 1;
      if (y < height - 1 && d[i + width] + 1 < v) v = d[i + width] + 1;
      d[i] = v;
    }
  }
  return d;
}

/**
 * Summed-area table of the hole plane, (width+1)×(height+1), so that the hole
 * count of any block is four lookups (see `blockHoleCount`). Written into
 * `into` when given: (width+1)·(height+1) zeroed values (a kept scratch plane).
 */
export function holeIntegral(hole: Uint8Array, width: number, height: number, into?: Int32Array): Int32Array {
  const w1 = width + 1;
  const s = into ?? new Int32Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += hole[y * width + x] !== 0 ? 1 : 0;
      s[(y + 1) * w1 + x + 1] = s[y * w1 + x + 1] + rowSum;
    }
  }
  return s;
}

/** Hole pixels inside [x, x+w) × [y, y+h), given a table from `holeIntegral`. */
export function blockHoleCount(integral: Int32Array, width: number, x: number, y: number, w: number, h: number): number {
  const w1 = width + 1;
  return integral[(y + h) * w1 + x + w] - integral[y * w1 + x + w] - integral[(y + h) * w1 + x] + integral[y * w1 + x];
}

/**
 * Grows the hole by `radius` pixels (square structuring element), separably:
 * along the rows each run of hole pixels is widened (a fill per run, so the
 * cost follows the outline), then down the columns each row becomes the OR of
 * the 2·radius + 1 rows around it, by van Herk / Gil–Werman: within blocks of
 * that many rows, the OR from the block's start down to a row and from a row
 * down to the block's end, so any window is one suffix OR one prefix. The
 * ORs take four pixels per 32-bit word where the rows allow.
 */
export function dilate(hole: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return new Uint8Array(hole);
  const n = width * height;
  const tmp = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (hole[row + x] === 0) continue;
      let end = x + 1;
      while (end < width && hole[row + end] !== 0) end++;
      tmp.fill(1, row + Math.max(0, x - radius), row + Math.min(width, end + radius));
      x = end;
    }
  }
  const k = 2 * radius + 1;
  // prefix[y]: OR of the block's rows from its first down to y; suffix[y]: from y down to the block's last.
  const prefix = new Uint8Array(n);
  const suffix = new Uint8Array(n);
  const out = new Uint8Array(n);
  // Rows as 32-bit words where they hold whole words (the planes are fresh, so aligned).
  const per = width % 4 === 0 ? 4 : 1;
  const view = (plane: Uint8Array) => (per === 4 ? new Uint32Array(plane.buffer, 0, n / 4) : plane);
  const [t, pre, suf, o] = [view(tmp), view(prefix), view(suffix), view(out)];
  const w = width / per;
  for (let start = 0; start < height; start += k) {
    const end = Math.min(height, start + k);
    pre.set(t.subarray(start * w, (start + 1) * w), start * w);
    for (let y = start + 1; y < end; y++) orRows(pre, y * w, pre, (y - 1) * w, t, y * w, w);
    suf.set(t.subarray((end - 1) * w, end * w), (end - 1) * w);
    for (let y = end - 2; y >= start; y--) orRows(suf, y * w, suf, (y + 1) * w, t, y * w, w);
  }
  for (let y = 0; y < height; y++) {
    const top = y - radius;
    const bottom = Math.min(height - 1, y + radius);
    if (top <= 0) {
      // The window lies in the first block (it ends by row 2·radius).
      o.set(pre.subarray(bottom * w, (bottom + 1) * w), y * w);
    } else if (Math.floor(top / k) === Math.floor(bottom / k)) {
      // Within one block: from its first row (an interior window) or to the photo's last row.
      o.set(suf.subarray(top * w, (top + 1) * w), y * w);
    } else {
      orRows(o, y * w, suf, top * w, pre, bottom * w, w);
    }
  }
  return out;
}

/** dst[d + i] = a[ai + i] | b[bi + i] for i < count (bytes or 32-bit words of bytes). */
function orRows<T extends Uint8Array | Uint32Array>(dst: T, d: number, a: T, ai: number, b: T, bi: number, count: number): void {
  for (let i = 0; i < count; i++) dst[d + i] = a[ai + i] | b[bi + i];
}

/**
 * Euclidean dilation: 1 wherever a non-zero pixel of `plane` lies at a
 * distance strictly below `radius` (a disc, not a square). Works on runs, not
 * pixels: each row's runs of non-zero pixels, widened by the disc's half-width
 * at each vertical offset, are unioned into the rows they reach (with a
 * difference array per row), so the cost grows with the outline, not the area.
 * Same result as thresholding `squaredDistanceTo` at radius², several times faster.
 */
export function dilateDisc(plane: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(width * height);
  dilateDiscInto(plane, width, height, radius, { data: out, width, height, x: 0, y: 0 });
  return out;
}

/** A plane to dilate into, and where the dilated plane's corner lies in it (see `dilateDiscInto`). */
export interface DilationTarget {
  data: Uint8Array;
  width: number;
  height: number;
  x: number;
  y: number;
}

/**
 * `dilateDisc` of `plane` (`width`×`height`) written into a larger plane
 * where `plane`'s corner lies at (`target.x`, `target.y`): every pixel of
 * `target` within the disc of a non-zero pixel of `plane` is set to 1 (the
 * dilation reaches past `plane`'s edges, up to `target`'s), the others are
 * left as they are. A selection's crop grows straight into the photo-sized
 * mask, with no margin copied around it and no crop-sized result copied back.
 */
export function dilateDiscInto(plane: Uint8Array, width: number, height: number, radius: number, target: DilationTarget): void {
  const { data: out, width: ow, height: oh, x: ox, y: oy } = target;
  const reach = Math.max(0, Math.ceil(radius) - 1);
  const r2 = radius * radius;
  // half[d]: the widest horizontal offset allowed at vertical offset d (−1: none).
  const half = new Int32Array(reach + 1);
  for (let d = 0; d <= reach; d++) {
    let h = -1;
    while ((h + 1) * (h + 1) + d * d < r2) h++;
    half[d] = h;
  }
  if (half[0] < 0) return;
  // Runs [start, end) of each row, in the target's columns; zero words are skipped whole (a photo-sized
  // selection is mostly zeros).
  const words = (plane.byteOffset & 3) === 0 ? new Uint32Array(plane.buffer, plane.byteOffset, plane.length >> 2) : null;
  const rowStart = new Int32Array(height + 1);
  let starts = new Int32Array(1024);
  let ends = new Int32Array(1024);
  let count = 0;
  for (let y = 0; y < height; y++) {
    rowStart[y] = count;
    const row = y * width;
    let x = 0;
    while (x < width) {
      const i = row + x;
      if (words && (i & 3) === 0 && x + 4 <= width && words[i >> 2] === 0) {
        x += 4;
        continue;
      }
      if (plane[i] === 0) {
        x++;
        continue;
      }
      const a = x;
      while (x < width && plane[row + x] !== 0) x++;
      if (count === starts.length) {
        const grownStarts = new Int32Array(count * 2);
        grownStarts.set(starts);
        starts = grownStarts;
        const grownEnds = new Int32Array(count * 2);
        grownEnds.set(ends);
        ends = grownEnds;
      }
      starts[count] = ox + a;
      ends[count] = ox + x;
      count++;
    }
  }
  rowStart[height] = count;
  const diff = new Int32Array(ow + 1);
  // The target's rows the dilation can reach.
  const y0 = Math.max(0, oy - reach);
  const y1 = Math.min(oh - 1, oy + height - 1 + reach);
  for (let Y = y0; Y <= y1; Y++) {
    let lo = ow;
    let hi = 0;
    const y = Y - oy;
    for (let yy = Math.max(0, y - reach); yy <= Math.min(height - 1, y + reach); yy++) {
      const h = half[Math.abs(yy - y)];
      if (h < 0) continue;
      for (let k = rowStart[yy]; k < rowStart[yy + 1]; k++) {
        const a = Math.max(0, starts[k] - h);
        const b = Math.min(ow, ends[k] + h);
        diff[a]++;
        diff[b]--;
        if (a < lo) lo = a;
        if (b > hi) hi = b;
      }
    }
    if (lo >= hi) continue;
    const row = Y * ow;
    let cover = 0;
    let runStart = -1;
    for (let x = lo; x <= hi; x++) {
      cover += diff[x];
      diff[x] = 0;
      if (cover > 0 && runStart < 0) runStart = x;
      else if (cover === 0 && runStart >= 0) {
        out.fill(1, row + runStart, row + x);
        runStart = -1;
      }
    }
  }
}

/**
 * Exact squared Euclidean distance from every pixel to the nearest pixel where
 * `plane` is non-zero (0 on those pixels), by Felzenszwalb & Huttenlocher's
 * lower envelope of parabolas (Theory of Computing 2012, §2): one pass down
 * the columns, one along the rows, O(pixels). With no non-zero pixel every
 * distance is +Infinity.
 *
 * With a `limit`, only distances up to it are needed: every pixel farther
 * than `limit` gets +Infinity, and columns' distances beyond it never enter
 * the row pass, which then only sees the band around the non-zero pixels.
 *
 * The column pass is done row by row (the nearest non-zero row above and
 * below each column carried along), so both passes read memory in order; the
 * row pass skips the inside of runs of zeros, whose distance is 0 and whose
 * neighbours only ever see the run's two ends.
 *
 * `into`, a plane of width·height values (e.g. a kept scratch plane), receives
 * the result instead of a fresh array: every value is written. In
 * WebAssembly where it runs (distance-wasm.ts, the same values) unless
 * `kernel` is false.
 */
export function squaredDistanceTo(
  plane: Uint8Array,
  width: number,
  height: number,
  limit = Number.POSITIVE_INFINITY,
  into?: Float32Array,
  kernel = true,
): Float32Array {
  const out = into ?? new Float32Array(width * height);
  if (kernel && squaredDistanceInWasm(plane, width, height, limit, out)) return out;
  const INF = Number.POSITIVE_INFINITY;
  const cap = limit * limit;
  // Column pass: distance to the nearest non-zero pixel in the same column.
  // Columns with none keep a far sentinel row, so the arithmetic stays finite.
  const FAR = -4 * (width + height) - 1;
  const nearest = new Int32Array(width).fill(FAR);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (plane[row + x] !== 0) nearest[x] = y;
      out[row + x] = y - nearest[x];
    }
  }
  nearest.fill(height - FAR);
  const far = Math.min(cap, (2 * (width + height)) ** 2);
  for (let y = height - 1; y >= 0; y--) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (plane[i] !== 0) nearest[x] = y;
      const dy = Math.min(out[i], nearest[x] - y);
      const d = dy * dy;
      out[i] = d > far ? INF : d;
    }
  }
  // Row pass: lower envelope of the parabolas (x − q)² + column distance².
  const f = new Float64Array(width);
  const d = new Float64Array(width);
  const v = new Int32Array(width);
  const z = new Float64Array(width + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = out[row + x];
    envelope(f, width, d, v, z);
    for (let x = 0; x < width; x++) {
      const e = d[x];
      out[row + x] = e > cap ? INF : e;
    }
  }
  return out;
}

/** 1-D squared distance transform of the sampled function f[0..n) into d. */
function envelope(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Number.POSITIVE_INFINITY) continue;
    // Inside a run of zeros: the run's ends dominate everything this parabola could.
    if (fq === 0 && q > 0 && q < n - 1 && f[q - 1] === 0 && f[q + 1] === 0) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = Number.NEGATIVE_INFINITY;
      z[1] = Number.POSITIVE_INFINITY;
      continue;
    }
    let s = (fq + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    // z[0] is −∞, so k never drops below 0 here.
    while (s <= z[k]) {
      k--;
      s = (fq + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Number.POSITIVE_INFINITY;
  }
  if (k < 0) {
    d.fill(Number.POSITIVE_INFINITY, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    if (f[q] === 0) {
      d[q] = 0;
      continue;
    }
    while (z[j + 1] < q) j++;
    const dq = q - v[j];
    d[q] = dq * dq + f[v[j]];
  }
}
