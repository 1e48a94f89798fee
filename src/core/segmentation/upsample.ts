/**
 * Brings a working-resolution selection up to the photo's full resolution.
 * Cells whose 3×3 working neighbourhood agrees are filled as blocks; along the
 * selection's edge each full-resolution pixel is decided by joint bilateral
 * upsampling (Kopf et al., SIGGRAPH 2007): the working labels of a 4×4
 * neighbourhood, weighted by spatial distance and by how close each working
 * pixel's colour is to this pixel's colour, so the edge snaps to the photo's
 * own edges at full resolution instead of to the working grid.
 */
import type { Mask, RgbaImage } from "../image.js";
import type { WorkingImage } from "./working.js";

export interface UpsampleOptions {
  /** Colour standard deviation of the range kernel, in 0–255 RGB units. */
  colourSigma: number;
}

export function upsampleSelection(selection: Uint8Array, work: WorkingImage, image: RgbaImage, options: UpsampleOptions): Mask {
  const { width: W, height: H, data } = image;
  const { width: w, height: h, factor: f, rgb } = work;
  const out = new Uint8Array(W * H);
  // Block fill from the nearest working cell, run by run along each row.
  const colOf = new Int32Array(W);
  for (let X = 0; X < W; X++) colOf[X] = Math.min(w - 1, Math.floor(X / f));
  for (let Y = 0; Y < H; Y++) {
    const row = Math.min(h - 1, Math.floor(Y / f)) * w;
    let X = 0;
    while (X < W) {
      const v = selection[row + colOf[X]];
      let end = X + 1;
      while (end < W && selection[row + colOf[end]] === v) end++;
      if (v !== 0) out.fill(1, Y * W + X, Y * W + end);
      X = end;
    }
  }
  const inv2c = 1 / (2 * options.colourSigma * options.colourSigma);
  const spatial = new Float64Array(4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = selection[y * w + x];
      let edge = false;
      for (let dy = -1; dy <= 1 && !edge; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w && selection[yy * w + xx] !== v) {
            edge = true;
            break;
          }
        }
      }
      if (!edge) continue;
      const X0 = x * f;
      const Y0 = y * f;
      const X1 = x === w - 1 ? W : X0 + f;
      const Y1 = y === h - 1 ? H : Y0 + f;
      for (let Y = Y0; Y < Y1; Y++) {
        const v0 = (Y + 0.5) / f - 0.5;
        const yb = Math.floor(v0) - 1;
        for (let X = X0; X < X1; X++) {
          const u0 = (X + 0.5) / f - 0.5;
          const xb = Math.floor(u0) - 1;
          const p = (Y * W + X) * 4;
          const r = data[p];
          const g = data[p + 1];
          const b = data[p + 2];
          for (let k = 0; k < 4; k++) {
            const dx = xb + k - u0;
            spatial[k] = Math.exp(-0.5 * dx * dx);
          }
          let num = 0;
          let den = 0;
          for (let j = 0; j < 4; j++) {
            const yy = Math.min(h - 1, Math.max(0, yb + j));
            const dy = yb + j - v0;
            const wy = Math.exp(-0.5 * dy * dy);
            for (let k = 0; k < 4; k++) {
              const xx = Math.min(w - 1, Math.max(0, xb + k));
              const q = (yy * w + xx) * 3;
              const dr = rgb[q] - r;
              const dg = rgb[q + 1] - g;
              const db = rgb[q + 2] - b;
              const wt = wy * spatial[k] * Math.exp(-(dr * dr + dg * dg + db * db) * inv2c);
              den += wt;
              if (selection[yy * w + xx] !== 0) num += wt;
            }
          }
          out[Y * W + X] = den > 1e-12 ? (num >= 0.5 * den ? 1 : 0) : v;
        }
      }
    }
  }
  return { width: W, height: H, data: out };
}
