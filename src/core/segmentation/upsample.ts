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
  // Block fill from the nearest working cell: each working row is expanded
  // once and copied into the f full-resolution rows it covers.
  // Rows are expanded run by run (a row has few label changes), and a
  // background row needs no copy: the output starts zeroed.
  const expanded = new Uint8Array(W);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let any = false;
    for (let x = 0; x < w; ) {
      const v = selection[row + x];
      let x1 = x + 1;
      while (x1 < w && selection[row + x1] === v) x1++;
      expanded.fill(v, x * f, x1 === w ? W : x1 * f);
      if (v !== 0) any = true;
      x = x1;
    }
    if (!any) continue;
    const Y1 = y === h - 1 ? H : y * f + f;
    for (let Y = y * f; Y < Y1; Y++) out.set(expanded, Y * W);
  }
  // The kernel's 4 spatial taps depend only on a pixel's phase within its cell
  // (its offset from the cell's corner), so they are tabulated per phase; cells
  // on the last row or column can be longer than f, hence the wider table.
  const phases = f + Math.max(W - w * f, H - h * f);
  const tapOffset = new Int32Array(phases);
  const tapWeight = new Float64Array(phases * 4);
  for (let p = 0; p < phases; p++) {
    const u0 = (p + 0.5) / f - 0.5;
    const base = Math.floor(u0) - 1;
    tapOffset[p] = base;
    for (let k = 0; k < 4; k++) {
      const d = base + k - u0;
      tapWeight[p * 4 + k] = Math.exp(-0.5 * d * d);
    }
  }
  // Range kernel exp(−|Δrgb|² / 2σ²) tabulated by whole units of |Δrgb|²,
  // down to where it no longer matters (e^−20); the last entry is 0 and takes
  // every larger difference, so the tap loop has no branch.
  const inv2c = 1 / (2 * options.colourSigma * options.colourSigma);
  const rangeSize = Math.ceil(20 / inv2c) + 2;
  const rangeLast = rangeSize - 1;
  const range = new Float64Array(rangeSize);
  for (let i = 0; i < rangeLast; i++) range[i] = Math.exp(-(i + 0.5) * inv2c);
  // Within a cell the 4×4 window starts one of two ways along each axis (the
  // pixel lies before or after the cell's centre), so each cell has four
  // windows; their 16 labels and colours are gathered once per window.
  const winLabel = new Float64Array(16);
  const winColour = new Float64Array(48);
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
      for (let Ya = Y0; Ya < Y1; ) {
        const yStart = tapOffset[Ya - Y0];
        let Yb = Ya + 1;
        while (Yb < Y1 && tapOffset[Yb - Y0] === yStart) Yb++;
        for (let Xa = X0; Xa < X1; ) {
          const xStart = tapOffset[Xa - X0];
          let Xb = Xa + 1;
          while (Xb < X1 && tapOffset[Xb - X0] === xStart) Xb++;
          let uniform = true;
          for (let j = 0; j < 4; j++) {
            const yy = Math.min(h - 1, Math.max(0, y + yStart + j));
            for (let k = 0; k < 4; k++) {
              const q = yy * w + Math.min(w - 1, Math.max(0, x + xStart + k));
              const t = j * 4 + k;
              winLabel[t] = selection[q];
              if (selection[q] !== v) uniform = false;
              winColour[t * 3] = rgb[q * 3];
              winColour[t * 3 + 1] = rgb[q * 3 + 1];
              winColour[t * 3 + 2] = rgb[q * 3 + 2];
            }
          }
          // A window whose labels all agree leaves its pixels as the block fill set them.
          if (!uniform) {
            for (let Y = Ya; Y < Yb; Y++) {
              const py = (Y - Y0) * 4;
              for (let X = Xa; X < Xb; X++) {
                const px = (X - X0) * 4;
                const p = (Y * W + X) * 4;
                const r = data[p];
                const g = data[p + 1];
                const b = data[p + 2];
                let num = 0;
                let den = 0;
                for (let j = 0; j < 4; j++) {
                  let rowNum = 0;
                  let rowDen = 0;
                  for (let k = 0; k < 4; k++) {
                    const t = j * 4 + k;
                    const dr = winColour[t * 3] - r;
                    const dg = winColour[t * 3 + 1] - g;
                    const db = winColour[t * 3 + 2] - b;
                    const wt = tapWeight[px + k] * range[Math.min(rangeLast, (dr * dr + dg * dg + db * db) | 0)];
                    rowDen += wt;
                    rowNum += wt * winLabel[t];
                  }
                  const wy = tapWeight[py + j];
                  den += wy * rowDen;
                  num += wy * rowNum;
                }
                out[Y * W + X] = den > 1e-12 ? (num >= 0.5 * den ? 1 : 0) : v;
              }
            }
          }
          Xa = Xb;
        }
        Ya = Yb;
      }
    }
  }
  return { width: W, height: H, data: out };
}
