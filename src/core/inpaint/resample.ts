/**
 * Resampling between the full-resolution photo and the low-resolution working
 * image, with the hole kept out of every average.
 *
 * Downsampling by an integer factor s averages the known pixels of each s×s
 * cell (a box prefilter) and then applies a 3-tap Gaussian (σ = ½ low-res
 * pixel) normalised over known cells, so the combined prefilter is close to a
 * Gaussian of σ ≈ 0.6·s full-res pixels and the low-res image is free of
 * aliasing. A low-res cell counts as hole if any of its pixels is hole, so known
 * low-res values never mix in hole pixels. Upsampling is bilinear with pixel
 * centres aligned (u = (x + ½)/s − ½), the same operator on both sides of the
 * attention transfer so that base + high frequencies reproduce known pixels.
 */
import type { Rect, RgbaImage } from "../image.js";
import { floatPlanes } from "../scratch.js";
import { halveInWasm } from "./wasm/coarse.js";

/** A low-resolution float image, `channels` values per pixel, interleaved. */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Result of `downsampleCrop`. */
export interface LowRes {
  image: FloatImage;
  /** 1 where the low-res cell holds any hole pixel. */
  hole: Uint8Array;
}

/**
 * Averages each s×s cell of `rect` inside `image` over its known pixels, as
 * `channels` values: 3 (RGB) or 4 (RGBA). `mask` is the full-image hole plane
 * (non-zero = hole). Cells at the right and bottom edge may be partial.
 */
export function downsampleCrop(image: RgbaImage, mask: Uint8Array, rect: Rect, s: number, channels: number): LowRes {
  const lw = Math.ceil(rect.width / s);
  const lh = Math.ceil(rect.height / s);
  const C = channels;
  // From the pool: the caller gives it back once the fill is done (see scratch.ts).
  const out = floatPlanes.take(lw * lh * C);
  const hole = new Uint8Array(lw * lh);
  const src = image.data;
  const W = image.width;
  // One 32-bit load per pixel where the bytes allow it, red+blue and green+alpha summed in the two 16-bit
  // halves of one integer along a cell's row (at most 255·s per half, so s ≤ 257).
  const words = s <= 257 ? littleEndianWords(src) : null;
  // A cell's sums in locals, cell by cell. Integer sums (at most 255·s² per channel) are exact, so the means
  // equal float sums' to the bit.
  for (let ly = 0; ly < lh; ly++) {
    const yStart = rect.y + ly * s;
    const yEnd = Math.min(yStart + s, rect.y + rect.height);
    for (let lx = 0; lx < lw; lx++) {
      const xStart = rect.x + lx * s;
      const xEnd = Math.min(xStart + s, rect.x + rect.width);
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let n = 0;
      let missing = false;
      for (let y = yStart; y < yEnd; y++) {
        const row = y * W;
        if (words !== null) {
          let rb = 0;
          let ga = 0;
          for (let m = row + xStart, end = row + xEnd; m < end; m++) {
            if (mask[m] !== 0) {
              missing = true;
              continue;
            }
            const v = words[m];
            rb += v & 0xff00ff;
            ga += (v >>> 8) & 0xff00ff;
            n++;
          }
          r += rb & 0xffff;
          b += rb >>> 16;
          g += ga & 0xffff;
          a += ga >>> 16;
        } else {
          for (let m = row + xStart, end = row + xEnd; m < end; m++) {
            if (mask[m] !== 0) {
              missing = true;
              continue;
            }
            const p = m * 4;
            r += src[p];
            g += src[p + 1];
            b += src[p + 2];
            a += src[p + 3];
            n++;
          }
        }
      }
      const cell = ly * lw + lx;
      if (missing) hole[cell] = 1;
      if (n === 0) continue;
      const o = cell * C;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
      if (C === 4) out[o + 3] = a / n;
    }
  }
  const img = { width: lw, height: lh, channels: C, data: out };
  if (s > 1) blurKnown(img, hole);
  return { image: img, hole };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([0x04030201]).buffer)[0] === 1;

/**
 * The RGBA bytes as one 32-bit word per pixel (red in the low byte), or null where the host or the alignment does
 * not allow it. Signed: an opaque pixel's word is then a small integer, which unoptimised code (a page's first
 * erase) does not box on every read as it does an unsigned one above 2³¹; the masks and shifts give the same bits.
 */
function littleEndianWords(bytes: Uint8ClampedArray): Int32Array | null {
  return LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : null;
}

/**
 * 3-tap Gaussian (σ = ½: weights .1065 .787 .1065 per axis) over known pixels
 * only, renormalised where neighbours are hole or outside. Hole values are left
 * as they are. Each pass keeps a run's values in locals (one pixel's channels
 * are read once and rounded to float32 after every step, as a Float32Array
 * store would), which is several times faster than indexing per channel and
 * gives the same bits.
 */
export function blurKnown(img: FloatImage, hole: Uint8Array): void {
  const { width: w, height: h, channels: C, data } = img;
  const tmp = scratchFloats(data.length);
  if (C === 3) {
    blurPass3(data, tmp, hole, w, h, 1, w);
    blurPass3(tmp, data, hole, h, w, w, 1);
    return;
  }
  blurPassAny(data, tmp, hole, w, h, C, 1, w);
  blurPassAny(tmp, data, hole, h, w, C, w, 1);
}

const SIDE = 0.1065;
const MID = 0.787;
const f32 = Math.fround;

/** Planes up to this many floats (16 MB) are kept for the next call instead of left to the GC. */
const SCRATCH_KEEP = 1 << 22;
let scratch = new Float32Array(0);
/** A scratch plane of at least n floats; its contents are dead once the caller returns (one thread per module instance). */
function scratchFloats(n: number): Float32Array {
  if (scratch.length >= n) return scratch;
  if (n > SCRATCH_KEEP) return new Float32Array(n);
  scratch = new Float32Array(n);
  return scratch;
}

/**
 * One axis of `blurKnown` from `src` into `dst`: `n` pixels along the axis,
 * `lines` lines across it; `step` and `lineStep` are pixel strides.
 */
function blurPass3(src: Float32Array, dst: Float32Array, hole: Uint8Array, n: number, lines: number, step: number, lineStep: number): void {
  const cs = 3 * step;
  for (let l = 0; l < lines; l++) {
    let i = l * lineStep;
    for (let k = 0; k < n; k++, i += step) {
      if (hole[i] !== 0) continue;
      const o = 3 * i;
      let wsum = MID;
      let a = f32(MID * src[o]);
      let b = f32(MID * src[o + 1]);
      let c = f32(MID * src[o + 2]);
      if (k > 0 && hole[i - step] === 0) {
        wsum += SIDE;
        a = f32(a + SIDE * src[o - cs]);
        b = f32(b + SIDE * src[o - cs + 1]);
        c = f32(c + SIDE * src[o - cs + 2]);
      }
      if (k < n - 1 && hole[i + step] === 0) {
        wsum += SIDE;
        a = f32(a + SIDE * src[o + cs]);
        b = f32(b + SIDE * src[o + cs + 1]);
        c = f32(c + SIDE * src[o + cs + 2]);
      }
      // Both neighbours known: the weights sum to exactly 1 (0.787 + 0.1065 + 0.1065 in doubles), and the
      // division, the pass's slowest operation, would return its operand.
      if (wsum === 1) {
        dst[o] = a;
        dst[o + 1] = b;
        dst[o + 2] = c;
      } else {
        dst[o] = a / wsum;
        dst[o + 1] = b / wsum;
        dst[o + 2] = c / wsum;
      }
    }
  }
}

function blurPassAny(
  src: Float32Array,
  dst: Float32Array,
  hole: Uint8Array,
  n: number,
  lines: number,
  C: number,
  step: number,
  lineStep: number,
): void {
  const cs = C * step;
  for (let l = 0; l < lines; l++) {
    let i = l * lineStep;
    for (let k = 0; k < n; k++, i += step) {
      if (hole[i] !== 0) continue;
      const o = C * i;
      const left = k > 0 && hole[i - step] === 0;
      const right = k < n - 1 && hole[i + step] === 0;
      const wsum = MID + (left ? SIDE : 0) + (right ? SIDE : 0);
      for (let c = 0; c < C; c++) {
        let v = f32(MID * src[o + c]);
        if (left) v = f32(v + SIDE * src[o - cs + c]);
        if (right) v = f32(v + SIDE * src[o + cs + c]);
        dst[o + c] = v / wsum;
      }
    }
  }
}

/**
 * Halves an image for the next pyramid level: each coarse pixel averages its
 * known children; it is hole when more than half of its children are hole.
 * With `wasm`, the loop runs in WebAssembly where it can (`halveInWasm`, the same bytes).
 */
export function halve(img: FloatImage, hole: Uint8Array, wasm = false): LowRes {
  const { width: w, height: h, channels: C, data } = img;
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  // From the pool: the completion gives it back at the end of its fill.
  const out = floatPlanes.take(cw * ch * C);
  const cHole = new Uint8Array(cw * ch);
  if (wasm && halveInWasm(data, hole, w, h, C, out, cHole))
    return { image: { width: cw, height: ch, channels: C, data: out }, hole: cHole };
  for (let y = 0; y < ch; y++) {
    const top = 2 * y * w;
    const hasBottom = 2 * y + 1 < h;
    for (let x = 0; x < cw; x++) {
      const hasRight = 2 * x + 1 < w;
      // The known children in raster order (−1: absent or hole); their sums are rounded to float32 after each add, as the stores into `out` did.
      const i0 = top + 2 * x;
      const a = hole[i0] === 0 ? i0 : -1;
      const b = hasRight && hole[i0 + 1] === 0 ? i0 + 1 : -1;
      const c = hasBottom && hole[i0 + w] === 0 ? i0 + w : -1;
      const d = hasBottom && hasRight && hole[i0 + w + 1] === 0 ? i0 + w + 1 : -1;
      const known = (a >= 0 ? 1 : 0) + (b >= 0 ? 1 : 0) + (c >= 0 ? 1 : 0) + (d >= 0 ? 1 : 0);
      const total = (hasRight ? 2 : 1) * (hasBottom ? 2 : 1);
      const o = (y * cw + x) * C;
      if (known > 0) {
        for (let k = 0; k < C; k++) {
          let v = 0;
          if (a >= 0) v = f32(v + data[a * C + k]);
          if (b >= 0) v = f32(v + data[b * C + k]);
          if (c >= 0) v = f32(v + data[c * C + k]);
          if (d >= 0) v = f32(v + data[d * C + k]);
          out[o + k] = v / known;
        }
      }
      cHole[y * cw + x] = known === 0 || 2 * known < total ? 1 : 0;
    }
  }
  return { image: { width: cw, height: ch, channels: C, data: out }, hole: cHole };
}

/**
 * Bilinear sampling positions along one axis for upsampling by s:
 * full-res coordinate x maps to low-res u = (x + ½)/s − ½, clamped to the grid.
 * Returns the left index and the weight of the right neighbour per position.
 */
export interface AxisTable {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

export function bilinearAxis(fullLength: number, lowLength: number, s: number): AxisTable {
  const lo = new Int32Array(fullLength);
  const hi = new Int32Array(fullLength);
  const frac = new Float32Array(fullLength);
  for (let x = 0; x < fullLength; x++) {
    const u = (x + 0.5) / s - 0.5;
    let i0 = Math.floor(u);
    let f = u - i0;
    if (i0 < 0) {
      i0 = 0;
      f = 0;
    }
    if (i0 >= lowLength - 1) {
      i0 = lowLength - 1;
      f = 0;
    }
    lo[x] = i0;
    hi[x] = Math.min(i0 + 1, lowLength - 1);
    frac[x] = f;
  }
  return { lo, hi, frac };
}

/**
 * Resampling weights along one axis from `src` to `dst` samples: an area
 * average when shrinking (exact overlap of the footprints), linear
 * interpolation with centres aligned when enlarging. Output o reads
 * index[start[o] .. start[o+1]) with the matching weights, which sum to 1.
 */
export function resizeWeights(src: number, dst: number): { start: Int32Array; index: Int32Array; weight: Float32Array } {
  const start = new Int32Array(dst + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const ratio = src / dst;
  for (let o = 0; o < dst; o++) {
    if (ratio > 1) {
      const a = o * ratio;
      const b = (o + 1) * ratio;
      for (let s = Math.floor(a); s < Math.min(src, Math.ceil(b)); s++) {
        const w = Math.min(b, s + 1) - Math.max(a, s);
        if (w > 0) {
          index.push(s);
          weight.push(w / ratio);
        }
      }
    } else {
      const u = Math.min(src - 1, Math.max(0, (o + 0.5) * ratio - 0.5));
      const s0 = Math.floor(u);
      const s1 = Math.min(src - 1, s0 + 1);
      index.push(s0, s1);
      weight.push(1 - (u - s0), u - s0);
    }
    start[o + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/**
 * Bilinear RGB of a float image at (x, y) into `out[o..o+2]`; false (and
 * nothing written) when (x, y) lies outside, is not a number, or any of the
 * four taps is a hole pixel.
 */
export function bilinearKnownRgb(img: FloatImage, hole: Uint8Array, x: number, y: number, out: Float32Array, o: number): boolean {
  const { width: w, height: h, channels: C, data } = img;
  if (!(x >= 0 && y >= 0 && x <= w - 1 && y <= h - 1)) return false;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  if (hole[y0 * w + x0] | hole[y0 * w + x1] | hole[y1 * w + x0] | hole[y1 * w + x1]) return false;
  const fx = x - x0;
  const fy = y - y0;
  for (let c = 0; c < 3; c++) {
    const top = data[(y0 * w + x0) * C + c] * (1 - fx) + data[(y0 * w + x1) * C + c] * fx;
    const bottom = data[(y1 * w + x0) * C + c] * (1 - fx) + data[(y1 * w + x1) * C + c] * fx;
    out[o + c] = top * (1 - fy) + bottom * fy;
  }
  return true;
}
