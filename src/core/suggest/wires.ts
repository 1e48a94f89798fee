/**
 * Wires and poles against the sky: long, thin, straight or gently curved
 * dark structures over a smooth background.
 *
 * 1. A black top-hat (grey closing minus the image, Serra 1982) on the
 *    luminance of the detectors' small copy picks out dark structures
 *    narrower than the closing's square (2r + 1 pixels).
 * 2. The closing is the background with those structures removed; a pixel
 *    only counts where that background is smooth (the sky, a wall), so
 *    texture such as foliage or brick, full of dark thin gaps, is ignored.
 * 3. Connected pixels form candidates; a candidate is kept when it is long
 *    (its extent along its principal axis reaches a fraction of the photo's
 *    diagonal), thin (pixels per unit length) and straight or gently curved
 *    (a parabola along that axis fits it within a pixel or two) — a line
 *    detector's test, which also accepts a sagging cable. A component that
 *    fails it is split by local direction and its pieces are tested: two
 *    cables that cross make an X that no curve fits. A pixel's direction
 *    comes from the structure tensor of the top-hat around it (Bigün &
 *    Granlund 1987); pieces are the components of 12 direction bins.
 *    A candidate is dropped when the bands beside its curve are cluttered
 *    with other dark thin structure: a cable against the sky has clear
 *    sides, a straight dark gap between planks, a rule on a page or a seam
 *    of a machine has its neighbours there.
 * 4. Each wire found is followed along its own fitted curve through a
 *    weaker map (lower contrast, rougher background: a cable's faint
 *    stretch, where it crosses a cloud's edge or passes an object), as in
 *    Canny's hysteresis but held to the curve, so a cable found in pieces
 *    becomes one wire and the rest of the scene is not swept in.
 */
import type { CropMask } from "../segmentation/thin.js";
import type { RgbPlanes } from "./planes.js";
import { type Component, componentToPhotoMask, connectedComponents } from "./regions.js";

export interface WireOptions {
  /** Half-width of the closing's square, in plane pixels (default 3: structures up to ~6 px wide). */
  radius?: number;
  /** Smallest top-hat contrast, in 0–255 luminance (default 14). */
  contrast?: number;
  /** Largest background gradient, in luminance per pixel, for a pixel to count (default 6). */
  smoothness?: number;
  /** Shortest structure as a fraction of the photo's diagonal (default 0.15). */
  minLength?: number;
  /** Widest structure, in plane pixels (default 4). */
  maxWidth?: number;
  /** Largest RMS distance from the fitted parabola, in plane pixels (default 1.5). */
  maxResidual?: number;
  /** The weak map's contrast and smoothness, as factors of `contrast` and `smoothness` (default 0.6 and 2). */
  weakContrast?: number;
  weakSmoothness?: number;
  /** How far from a wire's fitted curve the following may go, in plane pixels (default 1.5). */
  followDistance?: number;
  /**
   * Largest fraction of dark thin structure in the bands beside a wire (see
   * bandClutter; default 0.06, chosen on the tune half: there, cables
   * measured ≤ 0.031 and the false wires on a page's rules and a pier's
   * plank gaps 0.09–0.35).
   */
  maxClutter?: number;
}

export interface WireRegion {
  /** How clearly it stands out, 0–1 (mean top-hat contrast / 64, capped). */
  score: number;
  mask: CropMask;
}

/** Sliding maximum (or minimum) over 2r + 1 samples along rows, then columns (a square dilation or erosion). */
function rankFilter(src: Float32Array, width: number, height: number, r: number, max: boolean): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const sign = max ? 1 : -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const a = Math.max(0, x - r);
      const b = Math.min(width - 1, x + r);
      let v = sign * src[row + a];
      for (let k = a + 1; k <= b; k++) {
        const u = sign * src[row + k];
        if (u > v) v = u;
      }
      tmp[row + x] = sign * v;
    }
  }
  const best = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    const a = Math.max(0, y - r);
    const b = Math.min(height - 1, y + r);
    for (let x = 0; x < width; x++) best[x] = sign * tmp[a * width + x];
    for (let k = a + 1; k <= b; k++) {
      const row = k * width;
      for (let x = 0; x < width; x++) {
        const u = sign * tmp[row + x];
        if (u > best[x]) best[x] = u;
      }
    }
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = sign * best[x];
  }
  return out;
}

/** A parabola along a component's principal axis: s ≈ a·(t/scale)² + b·(t/scale) + c, with t along and s across the axis from the centroid. */
interface CurveFit {
  mx: number;
  my: number;
  ux: number;
  uy: number;
  scale: number;
  coef: [number, number, number];
  length: number;
  /** The component's first position along the axis (t from the centroid). */
  tMin: number;
  residual: number;
}

function curveFit(pixels: ArrayLike<number>, width: number): CurveFit {
  const n = pixels.length;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < n; k++) {
    mx += pixels[k] % width;
    my += Math.floor(pixels[k] / width);
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < n; k++) {
    const dx = (pixels[k] % width) - mx;
    const dy = Math.floor(pixels[k] / width) - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  const ux = Math.cos(angle);
  const uy = Math.sin(angle);
  // Coordinates along (t) and across (s) the axis; least squares s ≈ a t² + b t + c.
  let tMin = Number.POSITIVE_INFINITY;
  let tMax = Number.NEGATIVE_INFINITY;
  const m = new Float64Array(9);
  const v = new Float64Array(3);
  const ts = new Float64Array(n);
  const ss = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const dx = (pixels[k] % width) - mx;
    const dy = Math.floor(pixels[k] / width) - my;
    const t = dx * ux + dy * uy;
    ts[k] = t;
    ss[k] = -dx * uy + dy * ux;
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
  }
  const length = tMax - tMin + 1;
  const scale = Math.max(1, length / 2);
  for (let k = 0; k < n; k++) {
    const t = ts[k] / scale;
    const basis = [t * t, t, 1];
    for (let a = 0; a < 3; a++) {
      v[a] += basis[a] * ss[k];
      for (let b = 0; b < 3; b++) m[a * 3 + b] += basis[a] * basis[b];
    }
  }
  const coef = solve3(m, v);
  let sq = 0;
  for (let k = 0; k < n; k++) {
    const t = ts[k] / scale;
    const e = ss[k] - (coef[0] * t * t + coef[1] * t + coef[2]);
    sq += e * e;
  }
  return { mx, my, ux, uy, scale, coef, length, tMin, residual: Math.sqrt(sq / n) };
}

/** Distance across the axis from pixel (x, y) to the fitted parabola. */
function offCurve(f: CurveFit, x: number, y: number): number {
  const dx = x - f.mx;
  const dy = y - f.my;
  const t = (dx * f.ux + dy * f.uy) / f.scale;
  return Math.abs(-dx * f.uy + dy * f.ux - (f.coef[0] * t * t + f.coef[1] * t + f.coef[2]));
}

function solve3(m: Float64Array, v: Float64Array): [number, number, number] {
  const det = (a: number[]): number =>
    a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const base = Array.from(m);
  const d = det(base);
  if (Math.abs(d) < 1e-9) return [0, 0, 0];
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const a = [...base];
    for (let r = 0; r < 3; r++) a[r * 3 + c] = v[r];
    out[c] = det(a) / d;
  }
  return out;
}

/** Direction bins for grouping strong pixels, and how far from a bin's centre a pixel may point. */
const DIRECTION_BINS = 12;
const DIRECTION_TOLERANCE = Math.PI / 12;

/**
 * The 8-connected pieces of `pixels` (indices into the w × h map) per
 * direction bin, largest first. A pixel's line direction is perpendicular to
 * the dominant gradient of the top-hat in the 5 × 5 window around it (the
 * structure tensor's main axis). Only the given pixels are visited.
 */
function directionalComponents(pixels: Int32Array, tophat: Float32Array, w: number, h: number, minPixels: number): Component[] {
  const n = pixels.length;
  const angle = new Float32Array(n);
  const slot = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    const i = pixels[k];
    slot.set(i, k);
    const x = i % w;
    const y = (i - x) / w;
    if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) continue;
    let jxx = 0;
    let jxy = 0;
    let jyy = 0;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const q = i + dy * w + dx;
        const gx = tophat[q + 1] - tophat[q - 1];
        const gy = tophat[q + w] - tophat[q - w];
        jxx += gx * gx;
        jxy += gx * gy;
        jyy += gy * gy;
      }
    }
    // The gradient's axis, turned a quarter: the line's direction, in [0, π).
    const a = 0.5 * Math.atan2(2 * jxy, jxx - jyy) + Math.PI / 2;
    angle[k] = ((a % Math.PI) + Math.PI) % Math.PI;
  }
  const found: Component[] = [];
  const inBin = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  for (let b = 0; b < DIRECTION_BINS; b++) {
    const centre = (b * Math.PI) / DIRECTION_BINS;
    for (let k = 0; k < n; k++) {
      const d = Math.abs(angle[k] - centre);
      inBin[k] = Math.min(d, Math.PI - d) <= DIRECTION_TOLERANCE ? 1 : 0;
    }
    seen.fill(0);
    for (let start = 0; start < n; start++) {
      if (!inBin[start] || seen[start]) continue;
      seen[start] = 1;
      queue[0] = start;
      let tail = 1;
      for (let head = 0; head < tail; head++) {
        const p = pixels[queue[head]];
        const x = p % w;
        const y = (p - x) / w;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            const ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            const k = slot.get(ny * w + nx);
            if (k === undefined || !inBin[k] || seen[k]) continue;
            seen[k] = 1;
            queue[tail++] = k;
          }
        }
      }
      if (tail < minPixels) continue;
      const piece: number[] = [];
      for (let j = 0; j < tail; j++) piece.push(pixels[queue[j]]);
      found.push(componentOf(piece, w));
    }
  }
  return found.sort((a, b) => b.pixels.length - a.pixels.length);
}

/** Band on each side of a wire's curve where clutter is counted, in plane pixels from the curve. */
const BAND_NEAR = 4;
const BAND_FAR = 12;

/**
 * How cluttered the background beside a wire's curve is: the fraction of
 * samples in the bands on both sides (BAND_NEAR–BAND_FAR pixels off the
 * curve, every pixel along it) that are themselves dark thin structure
 * (top-hat ≥ `level`). A cable against the sky has clear bands; the gaps
 * between planks, the rules and lines of a page and the seams of a machine
 * have their neighbours there.
 */
function bandClutter(f: CurveFit, tophat: Float32Array, w: number, h: number, level: number): number {
  let hits = 0;
  let total = 0;
  const nx = -f.uy;
  const ny = f.ux;
  for (let t = f.tMin; t <= f.tMin + f.length; t += 1) {
    const q = t / f.scale;
    const sc = f.coef[0] * q * q + f.coef[1] * q + f.coef[2];
    const cx = f.mx + t * f.ux;
    const cy = f.my + t * f.uy;
    for (let o = BAND_NEAR; o <= BAND_FAR; o++) {
      for (const side of [-1, 1]) {
        const x = Math.round(cx + (sc + side * o) * nx);
        const y = Math.round(cy + (sc + side * o) * ny);
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        total++;
        if (tophat[y * w + x] >= level) hits++;
      }
    }
  }
  return total > 0 ? hits / total : 0;
}

/** Wires and poles found in the planes, as masks in the photo's pixels. */
export function detectWires(planes: RgbPlanes, photoWidth: number, photoHeight: number, options: WireOptions = {}): WireRegion[] {
  const radius = options.radius ?? 3;
  const contrast = options.contrast ?? 14;
  const smoothness = options.smoothness ?? 6;
  const { width: w, height: h } = planes;
  const lum = new Float32Array(w * h);
  for (let i = 0; i < lum.length; i++) lum[i] = 0.299 * planes.r[i] + 0.587 * planes.g[i] + 0.114 * planes.b[i];
  const closing = rankFilter(rankFilter(lum, w, h, radius, true), w, h, radius, false);
  // Background gradient, taken over the closing's own scale so the removed structures leave no trace.
  const strong = new Uint8Array(w * h);
  const weak = new Uint8Array(w * h);
  const tophat = new Float32Array(w * h);
  const weakContrast = contrast * (options.weakContrast ?? 0.6);
  const weakSmoothness = smoothness * (options.weakSmoothness ?? 2);
  const step = radius + 1;
  for (let y = step; y < h - step; y++) {
    for (let x = step; x < w - step; x++) {
      const i = y * w + x;
      const t = closing[i] - lum[i];
      if (t < weakContrast) continue;
      const gx = Math.abs(closing[i + step] - closing[i - step]) / (2 * step);
      const gy = Math.abs(closing[i + step * w] - closing[i - step * w]) / (2 * step);
      if (gx > weakSmoothness || gy > weakSmoothness) continue;
      weak[i] = 1;
      tophat[i] = t;
      if (t >= contrast && gx <= smoothness && gy <= smoothness) strong[i] = 1;
    }
  }
  const diagonal = Math.hypot(w, h);
  const minLength = (options.minLength ?? 0.15) * diagonal;
  const maxWidth = options.maxWidth ?? 4;
  const maxResidual = options.maxResidual ?? 1.5;
  const followDistance = options.followDistance ?? 1.5;
  const maxClutter = options.maxClutter ?? 0.06;
  const owner = new Int32Array(w * h).fill(-1);
  const wires: number[][] = [];
  const queue = new Int32Array(w * h);
  const fitsWire = (f: CurveFit, pixels: number): boolean =>
    f.length >= minLength && pixels / f.length <= maxWidth && f.residual <= maxResidual;
  // Whole components first; one that no curve fits (two cables crossing make an X) is split by direction.
  const candidates: Component[] = [];
  const unfit: number[] = [];
  for (const c of connectedComponents(strong, w, h, Math.ceil(minLength))) {
    if (fitsWire(curveFit(c.pixels, w), c.pixels.length)) candidates.push(c);
    else for (const p of c.pixels) unfit.push(p);
  }
  if (unfit.length > 0) candidates.push(...directionalComponents(Int32Array.from(unfit), tophat, w, h, Math.ceil(minLength)));
  for (const c of candidates) {
    // A candidate of a neighbouring direction bin that a wire already holds for the most part.
    let owned = 0;
    for (const p of c.pixels) if (owner[p] >= 0) owned++;
    if (owned > c.pixels.length / 2) continue;
    const fit = curveFit(c.pixels, w);
    if (!fitsWire(fit, c.pixels.length)) continue;
    if (bandClutter(fit, tophat, w, h, weakContrast) > maxClutter) continue;
    // Follow the weak map from the component, staying near its curve; meeting another wire joins it.
    const id = wires.length;
    const pixels: number[] = [];
    const joined = new Set<number>();
    let tail = 0;
    for (const p of c.pixels) {
      owner[p] = id;
      queue[tail++] = p;
    }
    for (let head = 0; head < tail; head++) {
      const p = queue[head];
      pixels.push(p);
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const q = ny * w + nx;
          if (!weak[q] || owner[q] === id) continue;
          if (owner[q] >= 0) {
            joined.add(owner[q]);
            continue;
          }
          if (offCurve(fit, nx, ny) > followDistance) continue;
          owner[q] = id;
          queue[tail++] = q;
        }
      }
    }
    for (const other of joined) {
      for (const p of wires[other]) owner[p] = id;
      pixels.push(...wires[other]);
      wires[other] = [];
    }
    wires.push(pixels);
  }
  const found: WireRegion[] = [];
  for (const pixels of wires) {
    if (pixels.length === 0) continue;
    const c = componentOf(pixels, w);
    let sum = 0;
    for (const p of pixels) sum += tophat[p];
    const mask = componentToPhotoMask(c, w, h, 1, photoWidth / w, photoHeight / h, photoWidth, photoHeight);
    found.push({ score: Math.min(1, sum / pixels.length / 64), mask });
  }
  return found;
}

function componentOf(pixels: readonly number[], width: number): Component {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = 0;
  let y1 = 0;
  for (const p of pixels) {
    const x = p % width;
    const y = (p - x) / width;
    if (x < x0) x0 = x;
    if (x >= x1) x1 = x + 1;
    if (y < y0) y0 = y;
    if (y >= y1) y1 = y + 1;
  }
  return { pixels: Int32Array.from(pixels), x0, y0, x1, y1 };
}
