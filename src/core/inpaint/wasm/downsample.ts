/**
 * The erase's preparation in WebAssembly (source: assembly/downsample.ts,
 * AssemblyScript) over a photo that lives in a kernel memory
 * (`pixelsWithUpscaleRoom`, as the page's engine worker keeps it): the
 * hole's count and bounds, the crop's translucency test and the downsampling
 * to the working size, with the same results as `holeStats`,
 * `hasTranslucency` and `downsampleCrop`. The photo is read in place; the
 * mask, which lives elsewhere, crosses into the room after the photo: for the
 * count a few rows at a time through one small buffer, for the downsampling
 * the crop's hole plane, where the upscaling's kernel then finds its pages
 * mapped. Each function returns null where the photo is not in such a memory
 * (or the room is too small), and the TypeScript does the work.
 */
import type { Rect, RgbaImage } from "../../image.js";
import type { HoleStats } from "../../mask.js";
import { floatPlanes } from "../../scratch.js";
import { compiledOnce, WasmArena, wasmApi } from "../../wasm.js";
import type { LowRes } from "../resample.js";
import { type PhotoInMemory, photoInMemory } from "./detail-transfer.js";
import { DOWNSAMPLE_WASM } from "./downsample-bytes.js";
import { DOWNSAMPLE_COPIED_WASM } from "./downsample-copied-bytes.js";

interface DownsampleExports {
  cells(
    src: number,
    stride: number,
    plane: number,
    planeStride: number,
    cw: number,
    rows: number,
    s: number,
    channels: number,
    out: number,
    hole: number,
    ly0: number,
    ly1: number,
    parity: number,
  ): void;
  blur(out: number, tmp: number, hole: number, lw: number, lh: number, channels: number): void;
  holeStart(width: number, height: number): void;
  holeRows(at: number, width: number, rows: number, y: number): void;
  holeCountSoFar(): number;
  holeBoundsX0(): number;
  holeBoundsY0(): number;
  holeBoundsX1(): number;
  holeBoundsY1(): number;
  translucent(src: number, stride: number, cw: number, ch: number): number;
  downsample(
    src: number,
    stride: number,
    plane: number,
    cw: number,
    ch: number,
    s: number,
    channels: number,
    out: number,
    hole: number,
    tmp: number,
  ): void;
}

const downsampleModule = compiledOnce(DOWNSAMPLE_WASM);
const instances = new WeakMap<object, DownsampleExports>();
/** Bytes of mask rows copied into the room per call of the count (about 16 pages: kept mapped between calls). */
const COUNT_CHUNK = 1 << 16;

/** The kernel over the memory `data` lives in, or null (not such a memory, or no WebAssembly). */
function kernelFor(data: Uint8ClampedArray): { at: PhotoInMemory; k: DownsampleExports } | null {
  const at = photoInMemory(data);
  const module = downsampleModule();
  const api = wasmApi();
  if (at === null || module === null || !api) return null;
  let k = instances.get(at.memory);
  if (!k) {
    try {
      k = new api.Instance(module, { env: { memory: at.memory } }).exports as unknown as DownsampleExports;
    } catch {
      return null;
    }
    instances.set(at.memory, k);
  }
  return { at, k };
}

/** `holeStats(mask, width, height)` of a hole plane over `image` (the photo in a kernel memory), or null. */
export function holeStatsInMemory(image: RgbaImage, mask: Uint8Array): HoleStats | null {
  const found = kernelFor(image.data);
  const { width, height } = image;
  if (found === null) return null;
  const { at, k } = found;
  const rowsPerChunk = Math.max(1, Math.floor(COUNT_CHUNK / width));
  if (at.workspaceAt + rowsPerChunk * width > at.end) return null;
  return countInChunks(k, at.buffer, at.workspaceAt, rowsPerChunk, mask, width, height);
}

/** The hole's count and bounds, its rows copied `rowsPerChunk` at a time to `room` in `buffer`, the kernel's memory. */
function countInChunks(
  k: DownsampleExports,
  buffer: ArrayBuffer | SharedArrayBuffer,
  room: number,
  rowsPerChunk: number,
  mask: Uint8Array,
  width: number,
  height: number,
): HoleStats {
  const chunk = new Uint8Array(buffer, room, rowsPerChunk * width);
  k.holeStart(width, height);
  for (let y = 0; y < height; y += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, height - y);
    chunk.set(mask.subarray(y * width, (y + rows) * width));
    k.holeRows(room, width, rows, y);
  }
  const x1 = k.holeBoundsX1();
  if (x1 < 0) return { count: 0, bounds: null };
  const x0 = k.holeBoundsX0();
  const y0 = k.holeBoundsY0();
  return { count: k.holeCountSoFar(), bounds: { x: x0, y: y0, width: x1 - x0 + 1, height: k.holeBoundsY1() - y0 + 1 } };
}

/** `hasTranslucency(image, rect)` for a photo in a kernel memory, or null. */
export function translucencyInMemory(image: RgbaImage, rect: Rect): boolean | null {
  const found = kernelFor(image.data);
  if (found === null) return null;
  const { at, k } = found;
  return k.translucent(at.pixelsAt + (rect.y * image.width + rect.x) * 4, image.width, rect.width, rect.height) !== 0;
}

/** `downsampleCrop(image, mask, rect, s, channels)` for a photo in a kernel memory, or null. */
export function downsampleInMemory(image: RgbaImage, mask: Uint8Array, rect: Rect, s: number, channels: number): LowRes | null {
  const found = kernelFor(image.data);
  if (found === null) return null;
  const { at, k } = found;
  const { x, y, width: cw, height: ch } = rect;
  const W = image.width;
  const lw = Math.ceil(cw / s);
  const lh = Math.ceil(ch / s);
  const values = lw * lh * channels;
  // The crop's hole plane first (as the upscaling's kernel lays it out), then the output, the blur's scratch, the cells' hole flags.
  const planeAt = at.workspaceAt;
  const outAt = (planeAt + cw * ch + 3) & ~3;
  const tmpAt = outAt + values * 4;
  const holeAt = tmpAt + values * 4;
  if (holeAt + lw * lh > at.end) return null;
  const plane = new Uint8Array(at.buffer, planeAt, cw * ch);
  for (let row = 0; row < ch; row++) {
    const o = (y + row) * W + x;
    plane.set(mask.subarray(o, o + cw), row * cw);
  }
  k.downsample(at.pixelsAt + (y * W + x) * 4, W, planeAt, cw, ch, s, channels, outAt, holeAt, tmpAt);
  return lowResOut(at.buffer, outAt, holeAt, lw, lh, channels);
}

/**
 * The downsampled planes at `outAt` and `holeAt` of `buffer`, copied out: the
 * values into a plane from the pool the fill gives its planes back to (see
 * scratch.ts), where a reused plane costs no page faults.
 */
function lowResOut(
  buffer: ArrayBuffer | SharedArrayBuffer,
  outAt: number,
  holeAt: number,
  lw: number,
  lh: number,
  channels: number,
): LowRes {
  const data = floatPlanes.take(lw * lh * channels);
  data.set(new Float32Array(buffer, outAt, lw * lh * channels));
  const hole = new Uint8Array(lw * lh);
  hole.set(new Uint8Array(buffer, holeAt, lw * lh));
  return { image: { width: lw, height: lh, channels, data }, hole };
}

/** Pixels a crop may be narrower than its photo and still cross in whole photo rows. */
const WHOLE_ROWS_SLACK = 16;
/** Pixels of the crop copied at a time (a strip of whole cells): about 4 MB of them in this thread's memory. */
const STRIP_PIXELS = 1 << 20;
/** This thread's memory for crops of photos that live elsewhere (Node's decoded photos). */
// The copies' own build, over an unshared memory of this thread's (scripts/build-wasm.mjs).
const copiedArena = new WasmArena<DownsampleExports>(compiledOnce(DOWNSAMPLE_COPIED_WASM));

/**
 * `downsampleCrop(image, mask, rect, s, channels)` for a photo anywhere: the
 * crop and its hole plane are copied a strip of cells at a time into a memory
 * of this thread's and averaged there, then blurred; null where the kernel
 * can't run. With `sparseParity` (the parity of the crop's corner, x + y),
 * each cell averages only the pixels whose photo x + y is even
 * (structure.ts's sparse analysis read).
 */
export function downsampleCopied(
  image: RgbaImage,
  mask: Uint8Array,
  rect: Rect,
  s: number,
  channels: number,
  sparseParity = -1,
): LowRes | null {
  const { x, y, width: cw, height: ch } = rect;
  const W = image.width;
  const lw = Math.ceil(cw / s);
  const lh = Math.ceil(ch / s);
  const values = lw * lh * channels;
  const stripCells = Math.max(1, Math.floor(STRIP_PIXELS / (cw * s)));
  const stripRows = Math.min(ch, stripCells * s);
  // A crop about as wide as its photo (a crop staged for a pool thread is its own photo) crosses a strip at a
  // time, whole photo rows in one copy: row by row, the copies' own cost was about half the cells'.
  const wholeRows = W - cw <= WHOLE_ROWS_SLACK;
  const rowPixels = wholeRows ? W : cw;
  const room = copiedArena.layout([stripRows * rowPixels * 4, stripRows * rowPixels, values * 4, values * 4, lw * lh]);
  if (room === null) return null;
  const [pixelsAt, planeAt, outAt, tmpAt, holeAt] = room.at;
  const pixels = new Uint8Array(room.buffer, pixelsAt, stripRows * rowPixels * 4);
  const plane = new Uint8Array(room.buffer, planeAt, stripRows * rowPixels);
  const src = image.data;
  for (let ly0 = 0; ly0 < lh; ly0 += stripCells) {
    const ly1 = Math.min(lh, ly0 + stripCells);
    const rows = Math.min(ch - ly0 * s, stripRows);
    const top = (y + ly0 * s) * W;
    if (wholeRows) {
      pixels.set(src.subarray(4 * top, 4 * (top + rows * W)));
      plane.set(mask.subarray(top, top + rows * W));
      room.exports.cells(pixelsAt + 4 * x, W, planeAt + x, W, cw, rows, s, channels, outAt, holeAt, ly0, ly1, sparseParity);
      continue;
    }
    for (let row = 0; row < rows; row++) {
      const o = top + row * W + x;
      pixels.set(src.subarray(4 * o, 4 * (o + cw)), row * cw * 4);
      plane.set(mask.subarray(o, o + cw), row * cw);
    }
    room.exports.cells(pixelsAt, cw, planeAt, cw, cw, rows, s, channels, outAt, holeAt, ly0, ly1, sparseParity);
  }
  if (s > 1) room.exports.blur(outAt, tmpAt, holeAt, lw, lh, channels);
  return lowResOut(room.buffer, outAt, holeAt, lw, lh, channels);
}

/**
 * `holeStats(mask, width, height)` for a mask anywhere: its rows cross a few
 * at a time into this thread's memory (as `holeStatsInMemory`'s do into the
 * photo's); null where the kernel can't run.
 */
export function holeStatsCopied(mask: Uint8Array, width: number, height: number): HoleStats | null {
  const rowsPerChunk = Math.max(1, Math.floor(COUNT_CHUNK / width));
  const room = copiedArena.layout([rowsPerChunk * width]);
  if (room === null) return null;
  return countInChunks(room.exports, room.buffer, room.at[0], rowsPerChunk, mask, width, height);
}
