/**
 * Curved outlines and region borders that enter the hole: Canny edges (Canny
 * 1986) linked into chains, for what LSD (lsd.ts) only sees as short chords —
 * a saucer's rim, a curved band, a shoreline.
 *
 * The edges are those of the colour image (per pixel, the channel with the
 * strongest gradient, so a border between two colours of equal brightness
 * counts), computed only from known pixels: the Gaussian is normalised over
 * the known pixels under it and a gradient needs its whole 3×3 stencil known,
 * so the hole's own outline is never an edge. Only the band around the hole
 * that the caller allows is computed (the blur too, for all three channels in
 * one pass). Non-maximum suppression in four
 * sectors and hysteresis follow. Chains are traced from the edge pixels
 * nearest the hole outwards; each chain's end at the hole is fitted by a
 * parabola in arc length (position, tangent and curvature), and becomes an
 * entry when the fit is smooth and its extension runs into the hole. The
 * chain itself, smoothed, is the source stretch that propagation copies from.
 */
import { float32Scratch, uint8Scratch } from "../../scratch.js";
import type { FloatImage } from "../resample.js";
import { knownCannyInWasm } from "../wasm/structure.js";
import { rowsReadBy } from "./lsd.js";

/** A chain's end at the hole: where it meets it, its direction into it, its curvature, and the way back. */
export interface ChainEnd {
  x: number;
  y: number;
  /** Unit direction into the hole. */
  dx: number;
  dy: number;
  /** Signed curvature (1/px) when walking into the hole; positive turns towards +90° in image coordinates (x→y). */
  curvature: number;
  /** Smoothed chain from the entry outwards, (x, y) pairs about one pixel apart; the first point is the entry. */
  trail: Float32Array;
  /** Mean gradient magnitude along the chain (grey levels per pixel). */
  contrast: number;
}

export interface EdgeChainOptions {
  /** Where edges may be found (1 = yes): a band around the hole, known pixels only. */
  allowed: Uint8Array;
  /** Squared distance of each pixel to the hole. */
  holeDistance: Float32Array;
  /** Shortest chain kept (px). */
  minLength: number;
  /** Longest trail traced (px). */
  maxLength: number;
}

const SIGMA = 1;
/** The blur's radius, 3σ: `knownBlur` writes its seven taps out. */
const RADIUS = 3;
const LOW = 6;
const HIGH = 14;
/** Edge pixels this close to the hole (px) start chains. */
const START_DISTANCE = 3;
/** Arc length over which a chain's end is fitted (px). */
const FIT_LENGTH = 30;
/** Pixels dropped from a chain's far end. */
const END_TRIM = 3;
/** Largest RMS distance of the chain's end from its fitted parabola (px): above, the outline is not smooth. */
const MAX_FIT_RMS = 0.9;

/**
 * `knownBlur`'s and `knownCanny`'s planes, kept between calls (see scratch.ts):
 * a 1K stroke's band needs 2.5 MB of them. The blurred planes live until
 * `knownCanny` has read them, its magnitude and edges until `chainEnds` is
 * done with them, the others within their function.
 */
const blurScratch = {
  colours: float32Scratch(),
  rows: float32Scratch(),
  rowNeed: uint8Scratch(),
  out: [float32Scratch(), float32Scratch(), float32Scratch()],
};
const cannyScratch = {
  known: uint8Scratch(),
  need: uint8Scratch(),
  stencil: uint8Scratch(),
  dir: uint8Scratch(),
  label: uint8Scratch(),
  magnitude: float32Scratch(),
  edges: uint8Scratch(),
};
/** `knownBlur`'s Gaussian weights, unnormalised (the sums divide by the known pixels' weight). */
const BLUR_KERNEL = Float32Array.from({ length: 2 * RADIUS + 1 }, (_, i) => Math.exp(-((i - RADIUS) ** 2) / (2 * SIGMA * SIGMA)));
/** `chainEnds`' plane of traced pixels, kept between calls. */
const visitedScratch = uint8Scratch();

/**
 * Gaussian blur of the first three channels normalised over the known
 * pixels, computed only where `need` is set (elsewhere 0): one plane per
 * channel. The horizontal pass runs only on pixels that a needed pixel's
 * vertical pass reads; the known pixels' weight is summed once for all three.
 * Away from the borders the seven taps are written out: the same products
 * summed in the same order, without the kernel's loads.
 */
function knownBlur(img: FloatImage, known: Uint8Array, need: Uint8Array): Float32Array[] {
  const { width: w, height: h, channels: C, data } = img;
  const radius = RADIUS;
  const kernel = BLUR_KERNEL;
  const [f0, f1, f2, f3, f4, f5, f6] = kernel;
  const rowNeed = rowsReadBy(need, w, h, radius, blurScratch.rowNeed.take(w * h, true));
  // The known pixels' colours and weights, zero elsewhere, so that the taps below need no test (adding 0 changes no sum).
  const kv = blurScratch.colours.take(w * h * 4, true);
  for (let i = 0; i < w * h; i++) {
    if (known[i] === 0) continue;
    kv[i * 4] = data[i * C];
    kv[i * 4 + 1] = data[i * C + 1];
    kv[i * 4 + 2] = data[i * C + 2];
    kv[i * 4 + 3] = 1;
  }
  // Horizontal pass: weighted sums of the three channels and of the weights, interleaved.
  const tv = blurScratch.rows.take(w * h * 4, true);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (rowNeed[i] === 0) continue;
      let r = 0;
      let g = 0;
      let b = 0;
      let s = 0;
      if (x >= radius && x < w - radius) {
        const o = (i - radius) * 4;
        r = 0 + f0 * kv[o] + f1 * kv[o + 4] + f2 * kv[o + 8] + f3 * kv[o + 12] + f4 * kv[o + 16] + f5 * kv[o + 20] + f6 * kv[o + 24];
        g = 0 + f0 * kv[o + 1] + f1 * kv[o + 5] + f2 * kv[o + 9] + f3 * kv[o + 13] + f4 * kv[o + 17] + f5 * kv[o + 21] + f6 * kv[o + 25];
        b = 0 + f0 * kv[o + 2] + f1 * kv[o + 6] + f2 * kv[o + 10] + f3 * kv[o + 14] + f4 * kv[o + 18] + f5 * kv[o + 22] + f6 * kv[o + 26];
        s = 0 + f0 * kv[o + 3] + f1 * kv[o + 7] + f2 * kv[o + 11] + f3 * kv[o + 15] + f4 * kv[o + 19] + f5 * kv[o + 23] + f6 * kv[o + 27];
      } else {
        const k0 = Math.max(-radius, -x);
        const k1 = Math.min(radius, w - 1 - x);
        for (let k = k0; k <= k1; k++) {
          const f = kernel[k + radius];
          const o = (i + k) * 4;
          r += f * kv[o];
          g += f * kv[o + 1];
          b += f * kv[o + 2];
          s += f * kv[o + 3];
        }
      }
      tv[i * 4] = r;
      tv[i * 4 + 1] = g;
      tv[i * 4 + 2] = b;
      tv[i * 4 + 3] = s;
    }
  }
  const out = blurScratch.out.map((plane) => plane.take(w * h, true));
  const [outR, outG, outB] = out;
  const w4 = w * 4;
  for (let y = 0; y < h; y++) {
    const k0 = Math.max(-radius, -y);
    const k1 = Math.min(radius, h - 1 - y);
    const inside = k0 === -radius && k1 === radius;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (need[i] === 0) continue;
      let r = 0;
      let g = 0;
      let b = 0;
      let s = 0;
      if (inside) {
        const o = (i - radius * w) * 4;
        r =
          0 +
          f0 * tv[o] +
          f1 * tv[o + w4] +
          f2 * tv[o + 2 * w4] +
          f3 * tv[o + 3 * w4] +
          f4 * tv[o + 4 * w4] +
          f5 * tv[o + 5 * w4] +
          f6 * tv[o + 6 * w4];
        g =
          0 +
          f0 * tv[o + 1] +
          f1 * tv[o + w4 + 1] +
          f2 * tv[o + 2 * w4 + 1] +
          f3 * tv[o + 3 * w4 + 1] +
          f4 * tv[o + 4 * w4 + 1] +
          f5 * tv[o + 5 * w4 + 1] +
          f6 * tv[o + 6 * w4 + 1];
        b =
          0 +
          f0 * tv[o + 2] +
          f1 * tv[o + w4 + 2] +
          f2 * tv[o + 2 * w4 + 2] +
          f3 * tv[o + 3 * w4 + 2] +
          f4 * tv[o + 4 * w4 + 2] +
          f5 * tv[o + 5 * w4 + 2] +
          f6 * tv[o + 6 * w4 + 2];
        s =
          0 +
          f0 * tv[o + 3] +
          f1 * tv[o + w4 + 3] +
          f2 * tv[o + 2 * w4 + 3] +
          f3 * tv[o + 3 * w4 + 3] +
          f4 * tv[o + 4 * w4 + 3] +
          f5 * tv[o + 5 * w4 + 3] +
          f6 * tv[o + 6 * w4 + 3];
      } else {
        for (let k = k0; k <= k1; k++) {
          const j = (i + k * w) * 4;
          const f = kernel[k + radius];
          r += f * tv[j];
          g += f * tv[j + 1];
          b += f * tv[j + 2];
          s += f * tv[j + 3];
        }
      }
      if (s <= 0) continue;
      outR[i] = r / s;
      outG[i] = g / s;
      outB[i] = b / s;
    }
  }
  return out;
}

/**
 * Canny edges of the colour image from known pixels only (1 = edge), and the
 * gradient magnitude, computed only on `allowed` pixels (the band around the
 * hole) whose 3×3 stencil is known, and blurred only under those stencils.
 * Both planes are kept scratch (this thread's, as a fresh 0.2 MB plane per
 * call cost page faults and collections): valid until the next call.
 * In WebAssembly (`knownCannyInWasm`, the same bytes) unless `wasm` is false.
 */
export function knownCanny(
  img: FloatImage,
  hole: Uint8Array,
  allowed: Uint8Array,
  wasm = true,
): { edges: Uint8Array; magnitude: Float32Array } {
  const { width: w, height: h } = img;
  if (wasm) {
    const magnitude = cannyScratch.magnitude.take(w * h, false);
    const edges = cannyScratch.edges.take(w * h, false);
    if (knownCannyInWasm(img.data, img.channels, hole, allowed, w, h, BLUR_KERNEL, magnitude, edges)) return { edges, magnitude };
  }
  const known = cannyScratch.known.take(w * h, false);
  const need = cannyScratch.need.take(w * h, true);
  // Pixels whose gradient is computed: allowed, with their whole 3×3 stencil known (else the hole's outline is an edge).
  const stencil = cannyScratch.stencil.take(w * h, true);
  for (let i = 0; i < w * h; i++) known[i] = hole[i] === 0 ? 1 : 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (allowed[i] === 0) continue;
      if (
        (known[i - w - 1] &
          known[i - w] &
          known[i - w + 1] &
          known[i - 1] &
          known[i] &
          known[i + 1] &
          known[i + w - 1] &
          known[i + w] &
          known[i + w + 1]) ===
        0
      ) {
        continue;
      }
      stencil[i] = 1;
      // The 3×3 stencil, written directly: a call to fill() per row cost more than the stores.
      for (let j = i - w - 1; j <= i + w - 1; j += w) {
        need[j] = 1;
        need[j + 1] = 1;
        need[j + 2] = 1;
      }
    }
  }
  const blurred = knownBlur(img, known, need);
  const mag = cannyScratch.magnitude.take(w * h, true);
  const dir = cannyScratch.dir.take(w * h, true);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (stencil[i] === 0) continue;
      let best = -1;
      let bx = 0;
      let by = 0;
      for (let c = 0; c < 3; c++) {
        const g = blurred[c];
        const gx = (g[i - w + 1] + 2 * g[i + 1] + g[i + w + 1] - g[i - w - 1] - 2 * g[i - 1] - g[i + w - 1]) / 8;
        const gy = (g[i + w - 1] + 2 * g[i + w] + g[i + w + 1] - g[i - w - 1] - 2 * g[i - w] - g[i - w + 1]) / 8;
        const m = gx * gx + gy * gy;
        if (m > best) {
          best = m;
          bx = gx;
          by = gy;
        }
      }
      mag[i] = Math.sqrt(best);
      dir[i] = gradientSector(bx, by);
    }
  }
  return { edges: suppressAndLink(mag, dir, w, h, LOW, HIGH, cannyScratch.edges.take(w * h, true)), magnitude: mag };
}

/** Sector of a gradient's direction (tan 22.5° = 0.4142): 0 horizontal, 1 diagonal /, 2 vertical, 3 diagonal \\. */
export function gradientSector(gx: number, gy: number): number {
  const ax = Math.abs(gx);
  const ay = Math.abs(gy);
  return ay <= ax * 0.4142 ? 0 : ax <= ay * 0.4142 ? 2 : gx * gy > 0 ? 3 : 1;
}

/**
 * Canny's last two steps (Canny 1986): non-maximum suppression across the
 * gradient's sector, then hysteresis: weak maxima (≥ low) are kept where
 * 8-connected to a strong one (≥ high). Returns 1 on edge pixels, in `into`
 * (a zeroed plane of w·h values) when given, else in a fresh array.
 */
export function suppressAndLink(
  mag: Float32Array,
  dir: Uint8Array,
  w: number,
  h: number,
  low: number,
  high: number,
  into?: Uint8Array,
): Uint8Array {
  const STRONG = 2;
  const label = cannyScratch.label.take(w * h, true);
  const stack: number[] = [];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const m = mag[i];
      if (m < low) continue;
      const d = dir[i];
      const step = d === 0 ? 1 : d === 2 ? w : d === 3 ? w + 1 : w - 1;
      if (m < mag[i - step] || m < mag[i + step]) continue;
      label[i] = m >= high ? STRONG : 1;
      if (label[i] === STRONG) stack.push(i);
    }
  }
  const edges = into ?? new Uint8Array(w * h);
  while (stack.length > 0) {
    const i = stack.pop() as number;
    if (edges[i] !== 0) continue;
    edges[i] = 1;
    for (let dy = -w; dy <= w; dy += w) {
      for (let dx = -1; dx <= 1; dx++) {
        const j = i + dy + dx;
        if (label[j] !== 0 && edges[j] === 0) stack.push(j);
      }
    }
  }
  return edges;
}

/** Moving average over ±2 points (ends kept), then resampled about every pixel. */
function smoothChain(xs: number[], ys: number[]): Float32Array {
  const n = xs.length;
  const sx: number[] = [];
  const sy: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - 2);
    const b = Math.min(n - 1, i + 2);
    const r = Math.min(i - a, b - i);
    let mx = 0;
    let my = 0;
    for (let k = i - r; k <= i + r; k++) {
      mx += xs[k];
      my += ys[k];
    }
    sx.push(mx / (2 * r + 1));
    sy.push(my / (2 * r + 1));
  }
  const out: number[] = [sx[0], sy[0]];
  let carry = 0;
  for (let i = 1; i < n; i++) {
    const seg = Math.hypot(sx[i] - sx[i - 1], sy[i] - sy[i - 1]);
    carry += seg;
    if (carry >= 1 || i === n - 1) {
      out.push(sx[i], sy[i]);
      carry = 0;
    }
  }
  return Float32Array.from(out);
}

/**
 * Least-squares parabola x(s), y(s) = p0 + p1·s + p2·s² through the points
 * (arc length s from the first): position, unit tangent and curvature at s = 0.
 */
function fitEnd(
  xs: number[],
  ys: number[],
  ss: number[],
): { x: number; y: number; tx: number; ty: number; curvature: number; rms: number } | null {
  const n = xs.length;
  if (n < 6) return null;
  // Normal equations of [1, s, s²].
  const m = new Float64Array(9);
  const bx = new Float64Array(3);
  const by = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const b = [1, ss[i], ss[i] * ss[i]];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) m[r * 3 + c] += b[r] * b[c];
      bx[r] += b[r] * xs[i];
      by[r] += b[r] * ys[i];
    }
  }
  const px = solve3(m, bx);
  const py = solve3(m, by);
  if (px === null || py === null) return null;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const s = ss[i];
    const ex = px[0] + px[1] * s + px[2] * s * s - xs[i];
    const ey = py[0] + py[1] * s + py[2] * s * s - ys[i];
    sq += ex * ex + ey * ey;
  }
  const speed = Math.hypot(px[1], py[1]);
  if (speed < 1e-6) return null;
  const curvature = (px[1] * 2 * py[2] - py[1] * 2 * px[2]) / speed ** 3;
  return { x: px[0], y: py[0], tx: px[1] / speed, ty: py[1] / speed, curvature, rms: Math.sqrt(sq / n) };
}

function solve3(m: Float64Array, b: Float64Array): Float64Array | null {
  const a = Float64Array.from(m);
  const v = Float64Array.from(b);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(a[r * 3 + c]) > Math.abs(a[p * 3 + c])) p = r;
    if (Math.abs(a[p * 3 + c]) < 1e-9) return null;
    if (p !== c) {
      for (let k = 0; k < 3; k++) [a[c * 3 + k], a[p * 3 + k]] = [a[p * 3 + k], a[c * 3 + k]];
      [v[c], v[p]] = [v[p], v[c]];
    }
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = a[r * 3 + c] / a[c * 3 + c];
      for (let k = 0; k < 3; k++) a[r * 3 + k] -= f * a[c * 3 + k];
      v[r] -= f * v[c];
    }
  }
  return Float64Array.from([v[0] / a[0], v[1] / a[4], v[2] / a[8]]);
}

/** The ends at the hole of the edge chains around it, nearest the hole first. */
export function chainEnds(img: FloatImage, hole: Uint8Array, options: EdgeChainOptions): ChainEnd[] {
  const { width: w, height: h } = img;
  const { edges, magnitude } = knownCanny(img, hole, options.allowed);
  const dist = options.holeDistance;
  const starts: number[] = [];
  for (let i = 0; i < w * h; i++) if (edges[i] !== 0 && dist[i] <= START_DISTANCE * START_DISTANCE) starts.push(i);
  starts.sort((a, b) => dist[a] - dist[b] || a - b);
  const visited = visitedScratch.take(w * h, true);
  const out: ChainEnd[] = [];
  for (const s of starts) {
    if (visited[s] !== 0) continue;
    const xs: number[] = [];
    const ys: number[] = [];
    const ss: number[] = [];
    let i = s;
    let px = -1;
    let py = -1;
    let length = 0;
    let contrast = 0;
    for (;;) {
      visited[i] = 1;
      const x = i % w;
      const y = (i - x) / w;
      // Each step goes to one of the 8 neighbours: 1 straight, √2 diagonal (the values Math.hypot gives for them).
      if (xs.length > 0) length += x !== xs[xs.length - 1] && y !== ys[ys.length - 1] ? Math.SQRT2 : 1;
      xs.push(x);
      ys.push(y);
      ss.push(length);
      contrast += magnitude[i];
      if (length >= options.maxLength) break;
      // Next: an unvisited edge neighbour, the one that keeps the direction best (or moves away from the hole at the start).
      let next = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      const hx = px < 0 ? 0 : x - px;
      const hy = px < 0 ? 0 : y - py;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 1 || ny < 1 || nx >= w - 1 || ny >= h - 1) continue;
          const j = ny * w + nx;
          if (edges[j] === 0 || visited[j] !== 0) continue;
          const score = px < 0 ? dist[j] : (hx * dx + hy * dy) / (dx !== 0 && dy !== 0 ? Math.SQRT2 : 1);
          if (score > bestScore) {
            bestScore = score;
            next = j;
          }
        }
      }
      if (next < 0) break;
      // Neighbours of the step taken are the same chain: mark them so that no second chain starts beside this one.
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) if (edges[i + dy * w + dx] !== 0 && i + dy * w + dx !== next) visited[i + dy * w + dx] = 1;
      px = x;
      py = y;
      i = next;
    }
    // A chain's last pixels bend where the edge fades or the search band ends: not part of the outline's course.
    if (xs.length > 8) {
      xs.length -= END_TRIM;
      ys.length -= END_TRIM;
      ss.length -= END_TRIM;
      length = ss[ss.length - 1];
    }
    if (length < options.minLength) continue;
    let k = 0;
    while (k < ss.length && ss[k] <= FIT_LENGTH) k++;
    const fit = fitEnd(xs.slice(0, k), ys.slice(0, k), ss.slice(0, k));
    if (fit === null || fit.rms > MAX_FIT_RMS) continue;
    const trail = smoothChain(xs, ys);
    trail[0] = fit.x;
    trail[1] = fit.y;
    // The fitted tangent points away from the hole (s grows outwards); walking in, the curvature changes sign.
    out.push({ x: fit.x, y: fit.y, dx: -fit.tx, dy: -fit.ty, curvature: -fit.curvature, trail, contrast: contrast / xs.length });
  }
  return out;
}
