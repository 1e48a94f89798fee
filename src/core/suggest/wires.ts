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
 *    detector's test, which also accepts a sagging cable.
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

/** Principal-axis fit of a component: its length, and the RMS residual of a parabola along that axis. */
export function lineFit(c: Component, width: number): { length: number; residual: number } {
  const n = c.pixels.length;
  let mx = 0;
  let my = 0;
  for (const p of c.pixels) {
    mx += p % width;
    my += Math.floor(p / width);
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of c.pixels) {
    const dx = (p % width) - mx;
    const dy = Math.floor(p / width) - my;
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
  let i = 0;
  for (const p of c.pixels) {
    const dx = (p % width) - mx;
    const dy = Math.floor(p / width) - my;
    const t = dx * ux + dy * uy;
    const s = -dx * uy + dy * ux;
    ts[i] = t;
    ss[i++] = s;
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
  return { length, residual: Math.sqrt(sq / n) };
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
  const candidates = new Uint8Array(w * h);
  const tophat = new Float32Array(w * h);
  const step = radius + 1;
  for (let y = step; y < h - step; y++) {
    for (let x = step; x < w - step; x++) {
      const i = y * w + x;
      const t = closing[i] - lum[i];
      if (t < contrast) continue;
      const gx = Math.abs(closing[i + step] - closing[i - step]) / (2 * step);
      const gy = Math.abs(closing[i + step * w] - closing[i - step * w]) / (2 * step);
      if (gx > smoothness || gy > smoothness) continue;
      candidates[i] = 1;
      tophat[i] = t;
    }
  }
  const diagonal = Math.hypot(w, h);
  const minLength = (options.minLength ?? 0.15) * diagonal;
  const maxWidth = options.maxWidth ?? 4;
  const maxResidual = options.maxResidual ?? 1.5;
  const found: WireRegion[] = [];
  for (const c of connectedComponents(candidates, w, h, Math.ceil(minLength))) {
    const fit = lineFit(c, w);
    if (fit.length < minLength || c.pixels.length / fit.length > maxWidth || fit.residual > maxResidual) continue;
    let sum = 0;
    for (const p of c.pixels) sum += tophat[p];
    const mask = componentToPhotoMask(c, w, h, 1, photoWidth / w, photoHeight / h, photoWidth, photoHeight);
    found.push({ score: Math.min(1, sum / c.pixels.length / 64), mask });
  }
  return found;
}
