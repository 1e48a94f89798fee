/**
 * Image-quality measures for inpainting that need no learned weights.
 * PSNR and SSIM (Wang et al. 2004: 11×11 Gaussian window, σ = 1.5,
 * C1 = (0.01·255)², C2 = (0.03·255)², on luma) over a rectangle; mean absolute
 * error inside the hole; gradient-energy ratio (mean gradient magnitude of the
 * result inside the hole over that of the ground truth: a blurry fill scores
 * far below 1, a noisy one above); and the largest change outside the hole,
 * which must be 0.
 */
import type { Rect, RgbaImage } from "../core/image.js";

function luma(img: RgbaImage, rect: Rect): Float32Array {
  const out = new Float32Array(rect.width * rect.height);
  const d = img.data;
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const p = ((rect.y + y) * img.width + rect.x + x) * 4;
      out[y * rect.width + x] = 0.299 * d[p] + 0.587 * d[p + 1] + 0.114 * d[p + 2];
    }
  }
  return out;
}

/** Peak signal-to-noise ratio in dB over the RGB values of `rect`. */
export function psnr(a: RgbaImage, b: RgbaImage, rect: Rect): number {
  let se = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const p = (y * a.width + x) * 4;
      for (let c = 0; c < 3; c++) {
        const d = a.data[p + c] - b.data[p + c];
        se += d * d;
      }
    }
  }
  const mse = se / (rect.width * rect.height * 3);
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

function gaussianBlur(src: Float32Array, w: number, h: number): Float32Array {
  const radius = 5;
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    kernel[i + radius] = Math.exp(-(i * i) / (2 * 1.5 * 1.5));
    sum += kernel[i + radius];
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k < 0 ? -(x + k) : x + k >= w ? 2 * w - 2 - (x + k) : x + k;
        v += kernel[k + radius] * src[y * w + Math.min(Math.max(xx, 0), w - 1)];
      }
      tmp[y * w + x] = v;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k < 0 ? -(y + k) : y + k >= h ? 2 * h - 2 - (y + k) : y + k;
        v += kernel[k + radius] * tmp[Math.min(Math.max(yy, 0), h - 1) * w + x];
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

/** Mean structural similarity of the luma of `rect`. */
export function ssim(a: RgbaImage, b: RgbaImage, rect: Rect): number {
  const { width: w, height: h } = rect;
  const x = luma(a, rect);
  const y = luma(b, rect);
  const n = w * h;
  const xx = new Float32Array(n);
  const yy = new Float32Array(n);
  const xy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const mx = gaussianBlur(x, w, h);
  const my = gaussianBlur(y, w, h);
  const sxx = gaussianBlur(xx, w, h);
  const syy = gaussianBlur(yy, w, h);
  const sxy = gaussianBlur(xy, w, h);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const vx = sxx[i] - mx[i] * mx[i];
    const vy = syy[i] - my[i] * my[i];
    const cov = sxy[i] - mx[i] * my[i];
    total += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return total / n;
}

/** Mean absolute RGB difference inside the hole, in [0, 1]. */
export function holeL1(a: RgbaImage, b: RgbaImage, hole: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < hole.length; i++) {
    if (hole[i] === 0) continue;
    const p = i * 4;
    sum += Math.abs(a.data[p] - b.data[p]) + Math.abs(a.data[p + 1] - b.data[p + 1]) + Math.abs(a.data[p + 2] - b.data[p + 2]);
    n += 3;
  }
  return n === 0 ? 0 : sum / n / 255;
}

function meanGradient(img: RgbaImage, hole: Uint8Array): number {
  const { width: w, height: h, data: d } = img;
  const lum = (i: number) => 0.299 * d[i * 4] + 0.587 * d[i * 4 + 1] + 0.114 * d[i * 4 + 2];
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const i = y * w + x;
      if (hole[i] === 0) continue;
      const c = lum(i);
      const gx = lum(i + 1) - c;
      const gy = lum(i + w) - c;
      sum += Math.sqrt(gx * gx + gy * gy);
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Mean gradient magnitude of `result` inside the hole over that of `truth`. */
export function gradientEnergyRatio(result: RgbaImage, truth: RgbaImage, hole: Uint8Array): number {
  const t = meanGradient(truth, hole);
  return t === 0 ? 1 : meanGradient(result, hole) / t;
}

/** Largest absolute channel difference outside the hole (0 when untouched). */
export function maxChangeOutside(result: RgbaImage, original: RgbaImage, hole: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < hole.length; i++) {
    if (hole[i] !== 0) continue;
    const p = i * 4;
    for (let c = 0; c < 4; c++) {
      const d = Math.abs(result.data[p + c] - original.data[p + c]);
      if (d > max) max = d;
    }
  }
  return max;
}
