/**
 * The structure step's per-pixel loops in WebAssembly (source:
 * assembly/structure.ts, AssemblyScript): LSD's Gaussian blur, the Canny
 * edges from known pixels and the side labels, with the same bytes out as
 * `gaussianBlur` (lsd.ts), `knownCanny` (edges.ts) and `labelSides`
 * (sides.ts). The step's distance transform is `squaredDistanceTo`'s own
 * kernel (distance-wasm.ts). Each call copies its planes into one memory per
 * thread (`WasmArena`), runs there and copies its results back. Each
 * function returns false (or null) where WebAssembly, SIMD or shared memory
 * is missing, and the TypeScript does the work.
 */

import { compiledOnce, WasmArena } from "../../wasm.js";
import { STRUCTURE_WASM } from "./structure-bytes.js";

interface StructureExports {
  gaussianBlur(
    src: number,
    w: number,
    h: number,
    kernel: number,
    radius: number,
    need: number,
    rowNeed: number,
    run: number,
    tmp: number,
    out: number,
  ): void;
  knownCanny(
    img: number,
    C: number,
    hole: number,
    allowed: number,
    w: number,
    h: number,
    kernel: number,
    mag: number,
    edges: number,
    scratch: number,
  ): void;
  labelSides(
    xs: number,
    ys: number,
    m: number,
    inner: number,
    outer: number,
    left: number,
    right: number,
    f: number,
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    width: number,
    height: number,
    out: number,
  ): number;
  anchorSums(
    strips: number,
    known: number,
    mask: number,
    M: number,
    K: number,
    D: number,
    U: number,
    spacing: number,
    unary: number,
    pair: number,
  ): void;
  stampNearest(
    points: number,
    i0: number,
    i1: number,
    lx0: number,
    ly0: number,
    lx1: number,
    ly1: number,
    margin: number,
    dist: number,
    seg: number,
  ): void;
  nearPlanes(
    img: number,
    hole: number,
    distance: number,
    w: number,
    h: number,
    ring2: number,
    limit: number,
    reach2: number,
    grey: number,
    band: number,
  ): number;
  straightFit(
    img: number,
    C: number,
    hole: number,
    w: number,
    h: number,
    ax: number,
    ay: number,
    dx: number,
    dy: number,
    nx: number,
    ny: number,
    step: number,
    fine: number,
    S4: number,
    inner: number,
    ts: number,
    count: number,
    ref: number,
    one: number,
    args: number,
    oks: number,
  ): number;
  copyBand(
    rgba: number,
    hole: number,
    gx: number,
    gy: number,
    gw: number,
    W: number,
    H: number,
    cropX: number,
    cropY: number,
    q: number,
    X0: number,
    Y0: number,
    X1: number,
    Y1: number,
    lx0: number,
    ly0: number,
    mw: number,
    mh: number,
    nearestSeg: number,
    nearestDist: number,
    points: number,
    arc: number,
    i0: number,
    i1: number,
    end: number,
    hw: number,
    side: number,
    first: number,
    spacing: number,
    K: number,
    shiftX: number,
    shiftY: number,
    offset: number,
    across: number,
    band: number,
    remaining: number,
    rx: number,
    ry: number,
    rw: number,
    sideMark: number,
  ): number;
}

/** This thread's memory for the structure step's loops. */
const arena = new WasmArena<StructureExports>(compiledOnce(STRUCTURE_WASM));

/** `gaussianBlur`'s pass with its normalised `kernel` (2·radius + 1 weights) into `out` (w·h values); false where it can't run. */
export function gaussianBlurInWasm(
  src: Float32Array,
  w: number,
  h: number,
  kernel: Float32Array,
  radius: number,
  need: Uint8Array | undefined,
  out: Float32Array,
): boolean {
  const n = w * h;
  const room = arena.layout([n * 4, kernel.length * 4, need ? n : 0, n, w * 4, n * 4, n * 4]);
  if (room === null) return false;
  const [srcAt, kernelAt, needAt, rowNeedAt, runAt, tmpAt, outAt] = room.at;
  new Float32Array(room.buffer, srcAt, n).set(src.subarray(0, n));
  new Float32Array(room.buffer, kernelAt, kernel.length).set(kernel);
  if (need) new Uint8Array(room.buffer, needAt, n).set(need.subarray(0, n));
  // Address 0 is the source plane's, never a `need` plane's: it stands for none.
  room.exports.gaussianBlur(srcAt, w, h, kernelAt, radius, need ? needAt : 0, rowNeedAt, runAt, tmpAt, outAt);
  out.set(new Float32Array(room.buffer, outAt, n));
  return true;
}

/**
 * `knownCanny` over `data` (w × h, `C` channels) with the blur's seven
 * `kernel` weights: the magnitude into `magnitude` and the edges into
 * `edges` (w·h values each); false where it can't run.
 */
export function knownCannyInWasm(
  data: Float32Array,
  C: number,
  hole: Uint8Array,
  allowed: Uint8Array,
  w: number,
  h: number,
  kernel: Float32Array,
  magnitude: Float32Array,
  edges: Uint8Array,
): boolean {
  const n = w * h;
  const room = arena.layout([n * C * 4, n, n, 7 * 4, n * 4, n, 54 * n + 4 * w]);
  if (room === null) return false;
  const [dataAt, holeAt, allowedAt, kernelAt, magAt, edgesAt, scratchAt] = room.at;
  new Float32Array(room.buffer, dataAt, n * C).set(data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  new Uint8Array(room.buffer, allowedAt, n).set(allowed.subarray(0, n));
  new Float32Array(room.buffer, kernelAt, 7).set(kernel);
  room.exports.knownCanny(dataAt, C, holeAt, allowedAt, w, h, kernelAt, magAt, edgesAt, scratchAt);
  magnitude.set(new Float32Array(room.buffer, magAt, n));
  edges.set(new Uint8Array(room.buffer, edgesAt, n));
  return true;
}

/**
 * `continueStructure`'s planes near the hole (structure.ts), from the RGB
 * `near` plane, its hole and the squared distance to the hole: true where
 * the ring within √`ring2` is flat (`flatAroundHole`; `grey` and `band` are
 * then left as they are), false with each pixel's grey level and search
 * band (known and within √`reach2`) written; null where it can't run.
 */
export function nearPlanesInWasm(
  near: Float32Array,
  hole: Uint8Array,
  distance: Float32Array,
  w: number,
  h: number,
  ring2: number,
  limit: number,
  reach2: number,
  grey: Float32Array,
  band: Uint8Array,
): boolean | null {
  const n = w * h;
  const room = arena.layout([n * 12, n, n * 4, n * 4, n]);
  if (room === null) return null;
  const [nearAt, holeAt, distanceAt, greyAt, bandAt] = room.at;
  new Float32Array(room.buffer, nearAt, n * 3).set(near.subarray(0, n * 3));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  new Float32Array(room.buffer, distanceAt, n).set(distance.subarray(0, n));
  if (room.exports.nearPlanes(nearAt, holeAt, distanceAt, w, h, ring2, limit, reach2, greyAt, bandAt) !== 0) return true;
  grey.set(new Float32Array(room.buffer, greyAt, n));
  band.set(new Uint8Array(room.buffer, bandAt, n));
  return false;
}

/**
 * `planAnchors`' sums of squared differences (see `anchorSums` in
 * assembly/structure.ts) for M candidate strips and K anchors' known windows
 * of D×U RGB samples: into `unary` (K×M) and, where D > `spacing`, `pair`
 * (M×M); false where it can't run.
 */
export function anchorSumsInWasm(
  strips: Float32Array,
  known: Float32Array,
  mask: Uint8Array,
  M: number,
  K: number,
  D: number,
  U: number,
  spacing: number,
  unary: Float64Array,
  pair: Float64Array,
): boolean {
  const S = D * U;
  const room = arena.layout([M * S * 12, K * S * 12, K * S, K * M * 8, M * M * 8]);
  if (room === null) return false;
  const [stripsAt, knownAt, maskAt, unaryAt, pairAt] = room.at;
  new Float32Array(room.buffer, stripsAt, M * S * 3).set(strips.subarray(0, M * S * 3));
  new Float32Array(room.buffer, knownAt, K * S * 3).set(known.subarray(0, K * S * 3));
  new Uint8Array(room.buffer, maskAt, K * S).set(mask.subarray(0, K * S));
  room.exports.anchorSums(stripsAt, knownAt, maskAt, M, K, D, U, spacing, unaryAt, pairAt);
  unary.set(new Float64Array(room.buffer, unaryAt, K * M));
  if (D > spacing) pair.set(new Float64Array(room.buffer, pairAt, M * M));
  return true;
}

/**
 * `copyAlong`'s nearest in-hole segment i0 … i1 − 1 of the polyline `points`
 * per cell of the box (lx0, ly0)–(lx1, ly1) (see `stampNearest` in
 * assembly/structure.ts), into `dist` and `seg`; false where it can't run.
 */
export function stampNearestInWasm(
  points: Float32Array,
  i0: number,
  i1: number,
  box: { lx0: number; ly0: number; lx1: number; ly1: number },
  margin: number,
  dist: Float32Array,
  seg: Int32Array,
): boolean {
  const n = (box.lx1 - box.lx0 + 1) * (box.ly1 - box.ly0 + 1);
  const count = 2 * (i1 + 1);
  const room = arena.layout([count * 4, n * 4, n * 4]);
  if (room === null) return false;
  const [pointsAt, distAt, segAt] = room.at;
  new Float32Array(room.buffer, pointsAt, count).set(points.subarray(0, count));
  room.exports.stampNearest(pointsAt, i0, i1, box.lx0, box.ly0, box.lx1, box.ly1, margin, distAt, segAt);
  dist.set(new Float32Array(room.buffer, distAt, n));
  seg.set(new Int32Array(room.buffer, segAt, n));
  return true;
}

/** One curve's block labelling of `sideLabels` (sides.ts) over its box, into the labels it ORs into. */
export interface SideBlocks {
  xs: Float64Array;
  ys: Float64Array;
  inner: number;
  outer: number;
  left: number;
  right: number;
  /** Analysis px per working px. */
  f: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** `sideLabels`' loop over one curve's blocks, ORed into `out` (width × height): whether any pixel got a label, or null. */
export function labelSidesInWasm(blocks: SideBlocks, width: number, height: number, out: Uint8Array): boolean | null {
  const { xs, ys } = blocks;
  const m = xs.length;
  const n = width * height;
  const room = arena.layout([m * 8, m * 8, n]);
  if (room === null) return null;
  const [xsAt, ysAt, outAt] = room.at;
  new Float64Array(room.buffer, xsAt, m).set(xs);
  new Float64Array(room.buffer, ysAt, m).set(ys);
  const inRoom = new Uint8Array(room.buffer, outAt, n);
  inRoom.set(out);
  const { inner, outer, left, right, f, x0, y0, x1, y1 } = blocks;
  const any = room.exports.labelSides(xsAt, ysAt, m, inner, outer, left, right, f, x0, y0, x1, y1, width, height, outAt);
  out.set(inRoom);
  return any !== 0;
}

/** What `fitStraight`'s sampling found (`straightFit` in assembly/structure.ts). */
export interface StraightFit {
  /** Profiles the reference cross-section averages (0: none was all known). */
  refCount: number;
  /** The reference cross-section, `fine` lumas. */
  ref: Float32Array;
  /** Per position: the best shift in quarter steps… */
  args: Int32Array;
  /** …where its profile was all known (1). */
  oks: Uint8Array;
}

/**
 * `fitStraight`'s sampling of the analysis image `img` (three channels of
 * `img.channels`) with `hole`: the reference cross-section behind (ax, ay)
 * and the best shift at each of `positions` along (dx, dy); null where it
 * can't run.
 */
export function straightFitInWasm(
  img: { width: number; height: number; channels: number; data: Float32Array },
  hole: Uint8Array,
  ax: number,
  ay: number,
  dx: number,
  dy: number,
  nx: number,
  ny: number,
  step: number,
  fine: number,
  S4: number,
  inner: number,
  positions: readonly number[],
): StraightFit | null {
  const { width: w, height: h, channels: C } = img;
  const n = w * h;
  const count = positions.length;
  const room = arena.layout([n * C * 4, n, count * 8, fine * 4, fine * 4, count * 4, count]);
  if (room === null) return null;
  const [imgAt, holeAt, tsAt, refAt, oneAt, argsAt, oksAt] = room.at;
  new Float32Array(room.buffer, imgAt, n * C).set(img.data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  const ts = new Float64Array(room.buffer, tsAt, count);
  for (let i = 0; i < count; i++) ts[i] = positions[i];
  const refCount = room.exports.straightFit(
    imgAt,
    C,
    holeAt,
    w,
    h,
    ax,
    ay,
    dx,
    dy,
    nx,
    ny,
    step,
    fine,
    S4,
    inner,
    tsAt,
    count,
    refAt,
    oneAt,
    argsAt,
    oksAt,
  );
  return {
    refCount,
    ref: new Float32Array(room.buffer, refAt, fine).slice(),
    args: new Int32Array(room.buffer, argsAt, count).slice(),
    oks: new Uint8Array(room.buffer, oksAt, count).slice(),
  };
}

/** Largest photo region (pixels) that `copyBandInWasm` copies in; beyond it the TypeScript copies. */
const COPY_REGION_MAX = 1 << 24;

/** `copyAlong`'s inputs to its per-pixel loop (see `copyBand` in assembly/structure.ts). */
export interface BandCopy {
  image: { width: number; height: number; data: Uint8ClampedArray };
  hole: Uint8Array;
  crop: { x: number; y: number };
  q: number;
  /** The full-resolution box [X0, X1) × [Y0, Y1). */
  box: { X0: number; Y0: number; X1: number; Y1: number };
  /** The analysis cells' box origin and size, with each cell's nearest segment and its squared distance. */
  cells: { lx0: number; ly0: number; mw: number; mh: number; nearestSeg: Int32Array; nearestDist: Float32Array };
  points: Float32Array;
  arc: Float32Array;
  i0: number;
  i1: number;
  end: number;
  halfWidth: number;
  side: number;
  first: number;
  spacing: number;
  shiftX: Int32Array;
  shiftY: Int32Array;
  /** Per anchor, per position across the band (`across` of them), RGB. */
  offset: Float32Array;
  across: number;
  band: Uint8ClampedArray;
  remaining: Uint8Array;
  rect: { x: number; y: number; width: number; height: number };
  sideMark: number;
}

/**
 * `copyAlong`'s per-pixel loop in WebAssembly: writes `band` and `remaining`
 * as the TypeScript does and returns the band pixels newly drawn; null where
 * it can't run (or the photo region it reads is too large).
 */
export function copyBandInWasm(b: BandCopy): number | null {
  const { width: W, height: H } = b.image;
  const { X0, Y0, X1, Y1 } = b.box;
  if (X1 <= X0 || Y1 <= Y0) return 0;
  // The photo region that holds the box and every anchor's shift of it.
  let gx0 = X0;
  let gy0 = Y0;
  let gx1 = X1;
  let gy1 = Y1;
  for (let k = 0; k < b.shiftX.length; k++) {
    gx0 = Math.min(gx0, X0 + b.shiftX[k]);
    gy0 = Math.min(gy0, Y0 + b.shiftY[k]);
    gx1 = Math.max(gx1, X1 + b.shiftX[k]);
    gy1 = Math.max(gy1, Y1 + b.shiftY[k]);
  }
  gx0 = Math.max(0, gx0);
  gy0 = Math.max(0, gy0);
  gx1 = Math.min(W, gx1);
  gy1 = Math.min(H, gy1);
  const gw = gx1 - gx0;
  const gh = gy1 - gy0;
  if (gw * gh > COPY_REGION_MAX) return null;
  const { mw, mh } = b.cells;
  const K = b.shiftX.length;
  const count = 2 * (b.i1 + 1);
  const rn = b.rect.width * b.rect.height;
  const room = arena.layout([
    gw * gh * 4,
    gw * gh,
    mw * mh * 4,
    mw * mh * 4,
    count * 4,
    (b.i1 + 1) * 4,
    K * 4,
    K * 4,
    K * b.across * 12,
    rn * 4,
    rn,
  ]);
  if (room === null) return null;
  const [rgbaAt, holeAt, segAt, distAt, pointsAt, arcAt, sxAt, syAt, offsetAt, bandAt, remainingAt] = room.at;
  const rgba = new Uint8Array(room.buffer, rgbaAt, gw * gh * 4);
  const hole = new Uint8Array(room.buffer, holeAt, gw * gh);
  for (let y = 0; y < gh; y++) {
    const from = (gy0 + y) * W + gx0;
    rgba.set(b.image.data.subarray(from * 4, (from + gw) * 4), y * gw * 4);
    hole.set(b.hole.subarray(from, from + gw), y * gw);
  }
  new Int32Array(room.buffer, segAt, mw * mh).set(b.cells.nearestSeg);
  new Float32Array(room.buffer, distAt, mw * mh).set(b.cells.nearestDist);
  new Float32Array(room.buffer, pointsAt, count).set(b.points.subarray(0, count));
  new Float32Array(room.buffer, arcAt, b.i1 + 1).set(b.arc.subarray(0, b.i1 + 1));
  new Int32Array(room.buffer, sxAt, K).set(b.shiftX);
  new Int32Array(room.buffer, syAt, K).set(b.shiftY);
  new Float32Array(room.buffer, offsetAt, K * b.across * 3).set(b.offset.subarray(0, K * b.across * 3));
  const band = new Uint8Array(room.buffer, bandAt, rn * 4);
  band.set(b.band.subarray(0, rn * 4));
  const remaining = new Uint8Array(room.buffer, remainingAt, rn);
  remaining.set(b.remaining.subarray(0, rn));
  const drawn = room.exports.copyBand(
    rgbaAt,
    holeAt,
    gx0,
    gy0,
    gw,
    W,
    H,
    b.crop.x,
    b.crop.y,
    b.q,
    X0,
    Y0,
    X1,
    Y1,
    b.cells.lx0,
    b.cells.ly0,
    mw,
    mh,
    segAt,
    distAt,
    pointsAt,
    arcAt,
    b.i0,
    b.i1,
    b.end,
    b.halfWidth,
    b.side,
    b.first,
    b.spacing,
    K,
    sxAt,
    syAt,
    offsetAt,
    b.across,
    bandAt,
    remainingAt,
    b.rect.x,
    b.rect.y,
    b.rect.width,
    b.sideMark,
  );
  b.band.set(band);
  b.remaining.set(remaining);
  return drawn;
}
