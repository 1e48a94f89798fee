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
import { holeBounds } from "../mask.js";
import type { CropMask } from "./thin.js";
import type { WorkingImage } from "./working.js";

export interface UpsampleOptions {
  /** Colour standard deviation of the range kernel, in 0–255 RGB units. */
  colourSigma: number;
}

/** A rectangle of the photo (x1, y1 exclusive). */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The rectangle of the photo whose pixels the upsampling may select for a
 * working-resolution `selection`: its selected cells' box grown by one cell
 * (the edge pass decides no pixel farther from a selected cell), the last
 * row and column of cells reaching the photo's edge. Null: nothing selected.
 */
export function selectedCellsRect(selection: Uint8Array, work: WorkingImage, image: { width: number; height: number }): PixelRect | null {
  const { width: w, height: h, factor: f } = work;
  const cells = holeBounds(selection, w, h);
  if (!cells) return null;
  const cx0 = Math.max(0, cells.x - 1);
  const cy0 = Math.max(0, cells.y - 1);
  const cx1 = Math.min(w - 1, cells.x + cells.width);
  const cy1 = Math.min(h - 1, cells.y + cells.height);
  return { x0: cx0 * f, y0: cy0 * f, x1: cx1 === w - 1 ? image.width : (cx1 + 1) * f, y1: cy1 === h - 1 ? image.height : (cy1 + 1) * f };
}

/** The full-resolution selection over the whole photo. */
export function upsampleSelection(selection: Uint8Array, work: WorkingImage, image: RgbaImage, options: UpsampleOptions): Mask {
  const { width, height, data } = upsampleSelectionCrop(selection, work, image, options, {
    x0: 0,
    y0: 0,
    x1: image.width,
    y1: image.height,
  });
  return { width, height, data };
}

/**
 * The full-resolution selection inside `rect` only (clamped to the photo),
 * as a crop: each pixel as `upsampleSelection` decides it, at the cost of
 * the rectangle instead of the photo (a box prompt needs its box only).
 */
export function upsampleSelectionCrop(
  selection: Uint8Array,
  work: WorkingImage,
  image: RgbaImage,
  options: UpsampleOptions,
  rect: PixelRect,
): CropMask {
  const { width: W, height: H, data } = image;
  const { width: w, height: h, factor: f, rgb } = work;
  const rx0 = Math.max(0, Math.min(W, Math.floor(rect.x0)));
  const ry0 = Math.max(0, Math.min(H, Math.floor(rect.y0)));
  const rx1 = Math.max(rx0, Math.min(W, Math.ceil(rect.x1)));
  const ry1 = Math.max(ry0, Math.min(H, Math.ceil(rect.y1)));
  const RW = rx1 - rx0;
  const out = new Uint8Array(RW * (ry1 - ry0));
  if (out.length === 0) return { x0: rx0, y0: ry0, width: RW, height: ry1 - ry0, data: out };
  // The working cells that cover the rectangle (the last row and column of cells reach the photo's edge).
  const cx0 = Math.min(w - 1, Math.floor(rx0 / f));
  const cx1 = Math.min(w - 1, Math.floor((rx1 - 1) / f)) + 1;
  const cy0 = Math.min(h - 1, Math.floor(ry0 / f));
  const cy1 = Math.min(h - 1, Math.floor((ry1 - 1) / f)) + 1;
  // Block fill from the nearest working cell: each working row is expanded
  // once and copied into the f full-resolution rows it covers.
  // Rows are expanded run by run (a row has few label changes), and a
  // background row needs no copy: the output starts zeroed.
  const expanded = new Uint8Array(RW);
  for (let y = cy0; y < cy1; y++) {
    const row = y * w;
    let any = false;
    for (let x = cx0; x < cx1; ) {
      const v = selection[row + x];
      let x1 = x + 1;
      while (x1 < cx1 && selection[row + x1] === v) x1++;
      expanded.fill(v, Math.max(0, x * f - rx0), Math.min(RW, (x1 === w ? W : x1 * f) - rx0));
      if (v !== 0) any = true;
      x = x1;
    }
    if (!any) continue;
    const Y1 = Math.min(ry1, y === h - 1 ? H : y * f + f);
    for (let Y = Math.max(ry0, y * f); Y < Y1; Y++) out.set(expanded, (Y - ry0) * RW);
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
  for (let y = cy0; y < cy1; y++) {
    for (let x = cx0; x < cx1; x++) {
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
        // The run's rows inside the rectangle (none: the next run).
        const Ys = Math.max(Ya, ry0);
        const Ye = Math.min(Yb, ry1);
        for (let Xa = X0; Xa < X1 && Ys < Ye; ) {
          const xStart = tapOffset[Xa - X0];
          let Xb = Xa + 1;
          while (Xb < X1 && tapOffset[Xb - X0] === xStart) Xb++;
          const Xs = Math.max(Xa, rx0);
          const Xe = Math.min(Xb, rx1);
          if (Xs >= Xe) {
            Xa = Xb;
            continue;
          }
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
            for (let Y = Ys; Y < Ye; Y++) {
              const py = (Y - Y0) * 4;
              for (let X = Xs; X < Xe; X++) {
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
                out[(Y - ry0) * RW + X - rx0] = den > 1e-12 ? (num >= 0.5 * den ? 1 : 0) : v;
              }
            }
          }
          Xa = Xb;
        }
        Ya = Yb;
      }
    }
  }
  return { x0: rx0, y0: ry0, width: RW, height: ry1 - ry0, data: out };
}
