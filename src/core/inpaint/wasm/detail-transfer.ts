/**
 * The attention upscaling's detail transfer in WebAssembly (source:
 * assembly/detail-transfer.ts, AssemblyScript): `DetailTransfer.at` and the
 * row loop of `upscaleRows` (upscale.ts), with the same bytes out. The crop's
 * hole plane, the low-resolution fill, the axis tables and the attention go
 * into one shared memory per upscaling, with the crop's pixels: read and
 * filled in place where the photo lives in such a memory
 * (`pixelsWithUpscaleRoom`, as the page's engine worker keeps it), else
 * copied in and the hole's rectangle copied back. Other threads may fill
 * other rows over the same memory (`upscaleRowsOverMemory`). Where
 * WebAssembly or shared memory is missing, `createUpscaleKernel` returns null
 * and the TypeScript loop does the work.
 *
 * Fresh memory is dear where page faults are (a sandboxed browser on this
 * machine: 20–50 µs a 4 KiB page, so a 6-megapixel crop's 31 MB copy cost
 * 160 ms in a trace), hence the photo in place and its workspace kept.
 */
import { compiledOnce, ReleasedMemories, wasmApi } from "../../wasm.js";
import { DETAIL_TRANSFER_WASM } from "./detail-transfer-bytes.js";

/** What the kernel copies in: the fields of `UpscaleInput` it reads, and the bilinear axis tables of the crop. */
export interface DetailTransferInput {
  source: { width: number; data: Uint8ClampedArray };
  mask: Uint8Array;
  crop: { x: number; y: number; width: number; height: number };
  scale: number;
  lowRes: { width: number; height: number; channels: number; data: Float32Array };
  attention: {
    patch: number;
    cols: number;
    rows: number;
    k: number;
    count: Uint8Array;
    dx: Int16Array;
    dy: Int16Array;
    weight: Float32Array;
  };
  /** The hole's bounding box in crop coordinates: the rows' columns, and the rectangle copied back. */
  holeRect: { x: number; y: number; width: number; height: number };
}

/** Crop-to-low-resolution bilinear tables of one axis (`bilinearAxis` in resample.ts). */
export interface AxisTables {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

/** An upscaling's data in WebAssembly memory, and the detail transfer over it. */
export interface UpscaleKernel {
  /** The shared `WebAssembly.Memory`: post it to another thread for `upscaleRowsOverMemory`. */
  readonly memory: object;
  /** Fills the hole pixels of crop rows [y0, y1) in the memory's pixels. */
  rows(y0: number, y1: number): void;
  /**
   * Fills chunks of the hole's rows until none are left, as does every
   * thread that calls `upscaleRowsOverMemory` on this memory meanwhile (each
   * chunk is filled once, by whichever thread takes it first).
   */
  shareRows(): void;
  /** `DetailTransfer.at`: the fill at crop pixel (x, y) into `res`; returns the attention weight used. */
  at(x: number, y: number, res: Float32Array): number;
  /** Copies the hole rectangle's rows of the memory's crop into `out` (the photo's RGBA, an upscaling's output). */
  copyInto(out: Uint8ClampedArray): void;
  /**
   * Hands the kernel's memory back for this thread's next upscaling: fresh
   * memory is dear where page faults are (here a 1K stroke's 1.5 MB kernel
   * cost 5–15 ms of first touches, a quarter of its erase). The kernel, its
   * memory and every view over it must not be used afterwards, nor by another
   * thread: after `shareRows` with others, only once each of their calls has
   * returned (the next kernel in the memory writes its header anew).
   */
  release(): void;
}

interface KernelExports {
  setup(lane: number): void;
  at(x: number, y: number): number;
  rowsInto(y0: number, y1: number, x0: number, x1: number): void;
  shareRows(): void;
}

const kernelModule = compiledOnce(DETAIL_TRANSFER_WASM);
const PAGE = 65536;
/** Header fields (i32) at byte 0, in the order assembly/detail-transfer.ts reads them; 32 slots. */
const HEADER_BYTES = 128;
/** Scratch per thread (lane), and lanes: the making thread's (0) and up to 7 others. */
const LANE_BYTES = 1024;
const LANES = 8;
/** Chunks the hole's rows are shared in (`UpscaleKernel.shareRows`): enough for threads that start late to catch up. */
const CHUNKS = 64;

/** A memory that holds a photo's pixels (from byte `pixelsAt`) and room for an upscaling's other data after them. */
interface PixelHost {
  memory: { buffer: ArrayBuffer | SharedArrayBuffer };
  exports: KernelExports;
  pixelsAt: number;
  workspaceAt: number;
  end: number;
}
const hosts = new WeakMap<object, PixelHost>();

/** A copying kernel's memory and the instance over it, kept for the next upscaling once released. */
interface Kept {
  memory: { buffer: ArrayBuffer | SharedArrayBuffer };
  exports: KernelExports;
  pages: number;
}
/** Released memories: two, up to 256 pages each (16 MiB: a 2-megapixel crop). */
const released = new ReleasedMemories<Kept>(2, 256);

/**
 * A zeroed pixel array of `length` bytes in a shared WebAssembly memory with
 * `room` bytes after it, or null where this runtime can't make one. An
 * upscaling of pixels that are this array (`UpscaleInput.source.data`) reads
 * and fills them in place, its other data in the room (a crop's hole plane,
 * W·H bytes at most, and the fill and attention, a few MB at the default
 * working size); with too little room it copies the crop as elsewhere.
 */
export function pixelsWithUpscaleRoom(length: number, room: number): Uint8ClampedArray | null {
  const module = kernelModule();
  const api = wasmApi();
  if (module === null || !api) return null;
  const workspaceAt = (HEADER_BYTES + length + 3) & ~3;
  const end = workspaceAt + LANES * LANE_BYTES + room;
  const pages = Math.ceil(end / PAGE);
  try {
    const memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
    const exports = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    hosts.set(memory.buffer, { memory, exports, pixelsAt: HEADER_BYTES, workspaceAt, end: pages * PAGE });
    return new Uint8ClampedArray(memory.buffer, HEADER_BYTES, length);
  } catch {
    return null;
  }
}

/** Where `data` lives in a kernel memory made by `pixelsWithUpscaleRoom`: the memory, and the room after the pixels. */
export interface PhotoInMemory {
  memory: object;
  buffer: ArrayBuffer | SharedArrayBuffer;
  pixelsAt: number;
  /** The room's first byte (4-aligned) and the memory's end. */
  workspaceAt: number;
  end: number;
}

/** The memory `data` lives in when it is a photo made by `pixelsWithUpscaleRoom` (the whole array), else null. */
export function photoInMemory(data: Uint8ClampedArray): PhotoInMemory | null {
  const host = hosts.get(data.buffer);
  if (host === undefined || data.byteOffset !== host.pixelsAt) return null;
  const { memory, pixelsAt, workspaceAt, end } = host;
  return { memory, buffer: memory.buffer, pixelsAt, workspaceAt, end };
}

/**
 * The detail transfer of an upscaling, its data copied into a new shared
 * memory, or null where this runtime can't run it.
 */
export function createUpscaleKernel(input: DetailTransferInput, ax: AxisTables, ay: AxisTables): UpscaleKernel | null {
  const module = kernelModule();
  const api = wasmApi();
  if (module === null || !api) return null;
  const { crop, lowRes, attention: a, holeRect } = input;
  const cw = crop.width;
  const ch = crop.height;
  const W = input.source.width;
  const tokens = a.cols * a.rows * a.k;
  const data = input.source.data;
  // The fill, axis tables, attention, hole plane and scratch, after the crop's pixels when those are copied in.
  const workspace = lowRes.data.length * 4 + (cw + ch) * 12 + tokens * 8 + a.cols * a.rows + cw * ch + 6 + LANES * LANE_BYTES;
  const host = hosts.get(data.buffer);
  // In place: the photo lives in a kernel memory with room enough (a larger working size than the default may not fit).
  const inPlace = host !== undefined && data.byteOffset === host.pixelsAt && host.workspaceAt + workspace <= host.end;
  // In place, the crop's hole plane comes first in the room, where the downsampling put it (wasm/downsample.ts):
  // its pages are then already mapped (fresh ones cost 15–50 µs each here).
  const lowAt = inPlace ? (host.workspaceAt + cw * ch + 3) & ~3 : HEADER_BYTES + cw * ch * 4;
  const axLoAt = lowAt + lowRes.data.length * 4;
  const axHiAt = axLoAt + cw * 4;
  const axFracAt = axHiAt + cw * 4;
  const ayLoAt = axFracAt + cw * 4;
  const ayHiAt = ayLoAt + ch * 4;
  const ayFracAt = ayHiAt + ch * 4;
  const weightAt = ayFracAt + ch * 4;
  const dxAt = weightAt + tokens * 4;
  const dyAt = dxAt + tokens * 2;
  const countAt = dyAt + tokens * 2;
  const maskAt = inPlace ? host.workspaceAt : countAt + a.cols * a.rows;
  const scratchAt = ((inPlace ? countAt + a.cols * a.rows : maskAt + cw * ch) + 3) & ~3;
  let exports: KernelExports;
  let memory: { buffer: ArrayBuffer | SharedArrayBuffer };
  // Every byte the kernel reads is written below (header, pixels, planes, tables, the result's 4th value) or by
  // `setup` before use, so a released memory serves as well as a zeroed one.
  let kept: Kept | null = null;
  if (inPlace) {
    ({ memory, exports } = host);
  } else {
    try {
      const pages = Math.ceil((lowAt + workspace) / PAGE);
      kept = released.take(pages);
      if (!kept) {
        const fresh = new api.Memory({ initial: pages, maximum: pages, shared: true });
        kept = { memory: fresh, exports: new api.Instance(module, { env: { memory: fresh } }).exports as unknown as KernelExports, pages };
      }
      ({ memory, exports } = kept);
    } catch {
      return null;
    }
  }
  const buffer = memory.buffer;
  // The kernel's pixels: the photo's from the crop's corner, or a copy of the crop's rows.
  const srcAt = inPlace ? host.pixelsAt + (crop.y * W + crop.x) * 4 : HEADER_BYTES;
  const srcStride = inPlace ? W : cw;
  new Int32Array(buffer, 0, HEADER_BYTES / 4).set([
    cw,
    ch,
    lowRes.width,
    lowRes.height,
    lowRes.channels,
    input.scale,
    a.patch,
    a.cols,
    a.rows,
    a.k,
    srcAt,
    maskAt,
    lowAt,
    axLoAt,
    axHiAt,
    axFracAt,
    ayLoAt,
    ayHiAt,
    ayFracAt,
    countAt,
    dxAt,
    dyAt,
    weightAt,
    scratchAt,
    srcStride,
    holeRect.x,
    holeRect.width,
    holeRect.y,
    holeRect.height,
    Math.max(1, Math.ceil(holeRect.height / CHUNKS)),
    0,
  ]);
  const pixels = new Uint8ClampedArray(buffer, srcAt, ((ch - 1) * srcStride + cw) * 4);
  const hole = new Uint8Array(buffer, maskAt, cw * ch);
  for (let y = 0; y < ch; y++) {
    const o = (crop.y + y) * W + crop.x;
    if (!inPlace) pixels.set(data.subarray(o * 4, (o + cw) * 4), y * cw * 4);
    hole.set(input.mask.subarray(o, o + cw), y * cw);
  }
  new Float32Array(buffer, lowAt, lowRes.data.length).set(lowRes.data);
  new Int32Array(buffer, axLoAt, cw).set(ax.lo);
  new Int32Array(buffer, axHiAt, cw).set(ax.hi);
  new Float32Array(buffer, axFracAt, cw).set(ax.frac);
  new Int32Array(buffer, ayLoAt, ch).set(ay.lo);
  new Int32Array(buffer, ayHiAt, ch).set(ay.hi);
  new Float32Array(buffer, ayFracAt, ch).set(ay.frac);
  new Float32Array(buffer, weightAt, tokens).set(a.weight);
  new Int16Array(buffer, dxAt, tokens).set(a.dx);
  new Int16Array(buffer, dyAt, tokens).set(a.dy);
  new Uint8Array(buffer, countAt, a.cols * a.rows).set(a.count);
  exports.setup(0);
  const res = new Float32Array(buffer, scratchAt + 768, 4);
  // A 3-channel fill leaves the 4th value of `at`'s result as it finds it: 0, as in fresh memory.
  res.fill(0);
  return {
    memory,
    rows: (y0, y1) => exports.rowsInto(y0, y1, holeRect.x, holeRect.x + holeRect.width),
    shareRows: () => exports.shareRows(),
    at: (x, y, out) => {
      const used = exports.at(x, y);
      out[0] = res[0];
      out[1] = res[1];
      out[2] = res[2];
      out[3] = res[3];
      return used;
    },
    copyInto: (out) => {
      // In place, the pixels are already there when `out` is the photo itself.
      if (out === data && inPlace) return;
      const { x, width } = holeRect;
      for (let y = holeRect.y; y < holeRect.y + holeRect.height; y++) {
        const o = ((crop.y + y) * W + crop.x + x) * 4;
        out.set(pixels.subarray((y * srcStride + x) * 4, (y * srcStride + x + width) * 4), o);
      }
    },
    release: () => {
      if (kept !== null) released.give(kept);
    },
  };
}

const overMemory = new WeakMap<object, KernelExports>();

/**
 * Fills chunks of the hole's rows, as `UpscaleKernel.shareRows`, in the
 * memory of a kernel that another thread made (`UpscaleKernel.memory`,
 * received by message), using scratch lane `lane` (1–7: one per thread
 * besides the maker's). False where this runtime can't run it.
 */
export function upscaleRowsOverMemory(memory: object, lane: number): boolean {
  if (!Number.isInteger(lane) || lane < 1 || lane >= LANES)
    throw new RangeError(`upscaleRowsOverMemory needs a lane of 1 to 7, not ${lane}`);
  const module = kernelModule();
  const api = wasmApi();
  if (module === null || !api) return false;
  let exports = overMemory.get(memory);
  if (!exports) {
    try {
      exports = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    } catch {
      return false;
    }
    overMemory.set(memory, exports);
  }
  exports.setup(lane);
  exports.shareRows();
  return true;
}
