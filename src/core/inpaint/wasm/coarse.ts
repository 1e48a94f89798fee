/**
 * The coarse stage's per-pixel loops in WebAssembly (source:
 * assembly/coarse.ts, AssemblyScript): texture features, halving, bilinear
 * upsampling and the vote, with the same bytes out as the TypeScript in
 * completion.ts and resample.ts. Each call copies its planes into one memory
 * per thread (`WasmArena`), runs there and copies its result back:
 * the copies cost microseconds, while the same loops in a fresh process run in
 * V8's unoptimised tiers for most of a small fill. Each function returns false
 * (or null) where WebAssembly, SIMD or shared memory is missing, and the
 * TypeScript does the work.
 */

import { compiledOnce, WasmArena } from "../../wasm.js";
import { COARSE_WASM } from "./coarse-bytes.js";

interface CoarseExports {
  textureFeatures(
    data: number,
    hole: number,
    w: number,
    h: number,
    C: number,
    window: number,
    grad: number,
    rows: number,
    columns: number,
    out: number,
  ): void;
  halve(data: number, hole: number, w: number, h: number, C: number, out: number, outHole: number): void;
  upsampleInto(cd: number, cw: number, ch: number, CC: number, data: number, w: number, h: number, C: number, hole: number): void;
  vote(
    img: number,
    w: number,
    h: number,
    C: number,
    r: number,
    slotOf: number,
    holeIndex: number,
    count: number,
    source: number,
    weights: number,
  ): number;
  problemSetup(
    hole: number,
    w: number,
    h: number,
    r: number,
    integral: number,
    targets: number,
    valid: number,
    sources: number,
    slotOf: number,
    run: number,
  ): number;
  sourcesFound(): number;
  knownMagnitude(image: number, hole: number, n: number, C: number, F: number, root: number): number;
  packAll(image: number, n: number, C: number, lanes: number, unit: number, scale: number, F: number, packed: number): void;
  packHole(
    image: number,
    targets: number,
    count: number,
    hole: number,
    C: number,
    lanes: number,
    unit: number,
    scale: number,
    F: number,
    packed: number,
  ): void;
  voterSetup(
    hole: number,
    w: number,
    h: number,
    r: number,
    targets: number,
    count: number,
    powers: number,
    holeIndex: number,
    boundary: number,
    area: number,
    dist: number,
  ): number;
  upsampleField(
    coarseSlotOf: number,
    coarseSource: number,
    cw: number,
    ch: number,
    targets: number,
    count: number,
    w: number,
    h: number,
    r: number,
    valid: number,
    boundary: number,
    source: number,
    trusted: number,
  ): void;
  copyNearest(img: number, C: number, hole: number, n: number, slotOf: number, source: number): void;
  attentionSearch(
    data: number,
    w: number,
    h: number,
    C: number,
    hole: number,
    P: number,
    K: number,
    iterations: number,
    hasField: boolean,
    slotOf: number,
    source: number,
    state: number,
    integral: number,
    tokens: number,
    count: number,
    dist: number,
    dx: number,
    dy: number,
  ): number;
  onionPeel(
    image: number,
    W: number,
    H: number,
    C: number,
    hole: number,
    r: number,
    validSource: number,
    sources: number,
    sourceCount: number,
    side: number,
    randomCandidates: number,
    state: number,
    known: number,
    queued: number,
    from: number,
    frontA: number,
    frontB: number,
    offsets: number,
  ): void;
  randomAfter(): number;
}

/** This thread's memory for the coarse stage's loops. */
const arena = new WasmArena<CoarseExports>(compiledOnce(COARSE_WASM));

/** `withTextureFeatures`'s planes: `out` (w·h·(C + 2) values) gets the colours and the two feature channels. */
export function textureFeaturesInWasm(
  data: Float32Array,
  hole: Uint8Array,
  w: number,
  h: number,
  C: number,
  window: number,
  out: Float32Array,
): boolean {
  const n = w * h;
  const room = arena.layout([n * C * 4, n, n * 12, n * 12, w * 24, n * (C + 2) * 4]);
  if (room === null) return false;
  const [dataAt, holeAt, gradAt, rowsAt, columnsAt, outAt] = room.at;
  new Float32Array(room.buffer, dataAt, n * C).set(data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  room.exports.textureFeatures(dataAt, holeAt, w, h, C, window, gradAt, rowsAt, columnsAt, outAt);
  out.set(new Float32Array(room.buffer, outAt, n * (C + 2)));
  return true;
}

/** `halve`'s planes: `out` (⌈w/2⌉·⌈h/2⌉·C values) and `outHole`. */
export function halveInWasm(
  data: Float32Array,
  hole: Uint8Array,
  w: number,
  h: number,
  C: number,
  out: Float32Array,
  outHole: Uint8Array,
): boolean {
  const n = w * h;
  const m = Math.ceil(w / 2) * Math.ceil(h / 2);
  const room = arena.layout([n * C * 4, n, m * C * 4, m]);
  if (room === null) return false;
  const [dataAt, holeAt, outAt, outHoleAt] = room.at;
  new Float32Array(room.buffer, dataAt, n * C).set(data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  room.exports.halve(dataAt, holeAt, w, h, C, outAt, outHoleAt);
  out.set(new Float32Array(room.buffer, outAt, m * C));
  outHole.set(new Uint8Array(room.buffer, outHoleAt, m));
  return true;
}

/** `upsampleInto`: the hole pixels of `fine` (w × h, C channels) from `coarse` (cw × ch, CC channels). */
export function upsampleInWasm(
  coarse: Float32Array,
  cw: number,
  ch: number,
  CC: number,
  fine: Float32Array,
  w: number,
  h: number,
  C: number,
  hole: Uint8Array,
): boolean {
  const n = w * h;
  const room = arena.layout([cw * ch * CC * 4, n * C * 4, n]);
  if (room === null) return false;
  const [coarseAt, fineAt, holeAt] = room.at;
  new Float32Array(room.buffer, coarseAt, cw * ch * CC).set(coarse.subarray(0, cw * ch * CC));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  const inRoom = new Float32Array(room.buffer, fineAt, n * C);
  inRoom.set(fine.subarray(0, n * C));
  room.exports.upsampleInto(coarseAt, cw, ch, CC, fineAt, w, h, C, holeAt);
  fine.set(inRoom);
  return true;
}

/**
 * `Voter.vote` for 3 or 5 channels over `img` (w × h), updated in place;
 * returns the summed absolute change of the first three channels, or null.
 */
export function voteInWasm(
  img: Float32Array,
  w: number,
  h: number,
  C: number,
  r: number,
  slotOf: Int32Array,
  holeIndex: Int32Array,
  source: Int32Array,
  weights: Float32Array,
): number | null {
  if (C !== 3 && C !== 5) return null;
  const n = w * h;
  const nt = source.length;
  const room = arena.layout([n * C * 4, n * 4, holeIndex.length * 4, nt * 4, nt * 4]);
  if (room === null) return null;
  const [imgAt, slotAt, holeAt, sourceAt, weightsAt] = room.at;
  const inRoom = new Float32Array(room.buffer, imgAt, n * C);
  inRoom.set(img.subarray(0, n * C));
  new Int32Array(room.buffer, slotAt, n).set(slotOf.subarray(0, n));
  new Int32Array(room.buffer, holeAt, holeIndex.length).set(holeIndex);
  new Int32Array(room.buffer, sourceAt, nt).set(source);
  new Float32Array(room.buffer, weightsAt, nt).set(weights.subarray(0, nt));
  const change = room.exports.vote(imgAt, w, h, C, r, slotAt, holeAt, holeIndex.length, sourceAt, weightsAt);
  img.set(inRoom);
  return change;
}

/** A problem's set-up (`problemSetupInWasm`): views into the kernel's memory, valid until its next call. */
export interface ProblemSetup {
  targets: Int32Array;
  validSource: Uint8Array;
  sources: Int32Array;
  slotOf: Int32Array;
}

/** `makePatchProblem`'s targets, valid sources and slots for a hole plane (w × h) and radius r, or null. */
export function problemSetupInWasm(hole: Uint8Array, w: number, h: number, r: number): ProblemSetup | null {
  const n = w * h;
  const room = arena.layout([n, (w + 1) * (h + 1) * 4, n * 4, n, n * 4, n * 4, w * 4]);
  if (room === null) return null;
  const [holeAt, integralAt, targetsAt, validAt, sourcesAt, slotAt, runAt] = room.at;
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  const nTargets = room.exports.problemSetup(holeAt, w, h, r, integralAt, targetsAt, validAt, sourcesAt, slotAt, runAt);
  const nSources = room.exports.sourcesFound();
  return {
    targets: new Int32Array(room.buffer, targetsAt, nTargets),
    validSource: new Uint8Array(room.buffer, validAt, n),
    sources: new Int32Array(room.buffer, sourcesAt, nSources),
    slotOf: new Int32Array(room.buffer, slotAt, n),
  };
}

/** `packingUnit`'s largest magnitude of the known pixels (texture channels at F × root; F < 0 for none), or null. */
export function knownMagnitudeInWasm(image: Float32Array, hole: Uint8Array, C: number, F: number, root: number): number | null {
  const n = hole.length;
  const room = arena.layout([n * C * 4, n]);
  if (room === null) return null;
  const [imageAt, holeAt] = room.at;
  new Float32Array(room.buffer, imageAt, n * C).set(image.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole);
  return room.exports.knownMagnitude(imageAt, holeAt, n, C, F, root);
}

/** How `packAllInWasm` and `packHoleInWasm` scale a problem's values (see `PatchProblem.packed`). */
export interface Packing {
  channels: number;
  lanes: number;
  unit: number;
  /** unit·√λ, the texture channels' scale. */
  scale: number;
  textureChannel: number;
}

/**
 * `packAll` (targets null) or `packHole` (the hole pixels among `targets`)
 * of `image` (with its `hole`) into `packed`; false where it can't run.
 */
export function packInWasm(
  image: Float32Array,
  hole: Uint8Array,
  targets: Int32Array | null,
  packing: Packing,
  packed: Int16Array,
): boolean {
  const n = hole.length;
  const { channels: C, lanes, unit, scale, textureChannel: F } = packing;
  const room = arena.layout([n * C * 4, n, targets ? targets.length * 4 : 0, n * lanes * 2]);
  if (room === null) return false;
  const [imageAt, holeAt, targetsAt, packedAt] = room.at;
  new Float32Array(room.buffer, imageAt, n * C).set(image.subarray(0, n * C));
  const inRoom = new Int16Array(room.buffer, packedAt, n * lanes);
  if (targets) {
    new Uint8Array(room.buffer, holeAt, n).set(hole);
    new Int32Array(room.buffer, targetsAt, targets.length).set(targets);
    inRoom.set(packed.subarray(0, n * lanes));
    room.exports.packHole(imageAt, targetsAt, targets.length, holeAt, C, lanes, unit, scale, F, packedAt);
  } else {
    room.exports.packAll(imageAt, n, C, lanes, unit, scale, F, packedAt);
  }
  packed.set(inRoom);
  return true;
}

/**
 * The `Voter`'s hole targets in order, boundary weights (from `powers`, 201
 * values) and patch areas for a problem's hole plane and targets, or null.
 */
export function voterSetupInWasm(
  hole: Uint8Array,
  w: number,
  h: number,
  r: number,
  targets: Int32Array,
  powers: Float64Array,
): { holeIndex: Int32Array; boundary: Float32Array; area: Float32Array } | null {
  const n = w * h;
  const nt = targets.length;
  const room = arena.layout([n, nt * 4, powers.length * 8, nt * 4, nt * 4, nt * 4, n * 2]);
  if (room === null) return null;
  const [holeAt, targetsAt, powersAt, holeIndexAt, boundaryAt, areaAt, distAt] = room.at;
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  new Int32Array(room.buffer, targetsAt, nt).set(targets);
  new Float64Array(room.buffer, powersAt, powers.length).set(powers);
  const count = room.exports.voterSetup(holeAt, w, h, r, targetsAt, nt, powersAt, holeIndexAt, boundaryAt, areaAt, distAt);
  return {
    holeIndex: new Int32Array(room.buffer, holeIndexAt, count).slice(),
    boundary: new Float32Array(room.buffer, boundaryAt, nt).slice(),
    area: new Float32Array(room.buffer, areaAt, nt).slice(),
  };
}

/**
 * `upsampleNnf`'s sources from the coarser level's field (−1 where a target
 * gets a random one) and trust (the boundary weight where it has a source), or null.
 */
export function upsampleFieldInWasm(
  coarse: { width: number; height: number; slotOf: Int32Array },
  coarseSource: Int32Array,
  fine: { width: number; height: number; radius: number; targets: Int32Array; validSource: Uint8Array },
  boundary: Float32Array,
): { source: Int32Array; trusted: Float32Array } | null {
  const cn = coarse.width * coarse.height;
  const n = fine.width * fine.height;
  const nt = fine.targets.length;
  const room = arena.layout([cn * 4, coarseSource.length * 4, nt * 4, n, nt * 4, nt * 4, nt * 4]);
  if (room === null) return null;
  const [slotAt, coarseSourceAt, targetsAt, validAt, boundaryAt, sourceAt, trustedAt] = room.at;
  new Int32Array(room.buffer, slotAt, cn).set(coarse.slotOf.subarray(0, cn));
  new Int32Array(room.buffer, coarseSourceAt, coarseSource.length).set(coarseSource);
  new Int32Array(room.buffer, targetsAt, nt).set(fine.targets);
  new Uint8Array(room.buffer, validAt, n).set(fine.validSource.subarray(0, n));
  new Float32Array(room.buffer, boundaryAt, nt).set(boundary.subarray(0, nt));
  room.exports.upsampleField(
    slotAt,
    coarseSourceAt,
    coarse.width,
    coarse.height,
    targetsAt,
    nt,
    fine.width,
    fine.height,
    fine.radius,
    validAt,
    boundaryAt,
    sourceAt,
    trustedAt,
  );
  return { source: new Int32Array(room.buffer, sourceAt, nt).slice(), trusted: new Float32Array(room.buffer, trustedAt, nt).slice() };
}

/** `copyNearest`: each hole pixel of `image` takes its match's centre; false where it can't run. */
export function copyNearestInWasm(image: Float32Array, C: number, hole: Uint8Array, slotOf: Int32Array, source: Int32Array): boolean {
  const n = hole.length;
  const room = arena.layout([n * C * 4, n, n * 4, source.length * 4]);
  if (room === null) return false;
  const [imageAt, holeAt, slotAt, sourceAt] = room.at;
  const inRoom = new Float32Array(room.buffer, imageAt, n * C);
  inRoom.set(image.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole);
  new Int32Array(room.buffer, slotAt, n).set(slotOf.subarray(0, n));
  new Int32Array(room.buffer, sourceAt, source.length).set(source);
  room.exports.copyNearest(imageAt, C, holeAt, n, slotAt, sourceAt);
  image.set(inRoom);
  return true;
}

/** `buildAttention`'s search (`attentionSearchInWasm`): the hole tokens and each token's entries, nearest first. */
export interface AttentionSearch {
  tokens: Int32Array;
  count: Uint8Array;
  dist: Float32Array;
  dx: Int16Array;
  dy: Int16Array;
}

/**
 * `buildAttention`'s token-level PatchMatch over the filled image (w × h,
 * C channels), seeded by the coarse `field` where given; draws from `rng`'s
 * stream as the TypeScript does and leaves `rng` where it would. Null where
 * it can't run.
 */
export function attentionSearchInWasm(
  data: Float32Array,
  w: number,
  h: number,
  C: number,
  hole: Uint8Array,
  P: number,
  K: number,
  iterations: number,
  field: { slotOf: Int32Array; source: Int32Array } | undefined,
  rng: { position: number },
): AttentionSearch | null {
  const n = w * h;
  const T = Math.ceil(w / P) * Math.ceil(h / P);
  const slots = field ? n : 0;
  const sources = field ? field.source.length : 0;
  const room = arena.layout([n * C * 4, n, slots * 4, sources * 4, (w + 1) * (h + 1) * 4, T * 4, T, T * K * 4, T * K * 2, T * K * 2]);
  if (room === null) return null;
  const [dataAt, holeAt, slotAt, sourceAt, integralAt, tokensAt, countAt, distAt, dxAt, dyAt] = room.at;
  new Float32Array(room.buffer, dataAt, n * C).set(data.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  if (field) {
    new Int32Array(room.buffer, slotAt, n).set(field.slotOf.subarray(0, n));
    new Int32Array(room.buffer, sourceAt, sources).set(field.source);
  }
  const k = room.exports;
  const tokens = k.attentionSearch(
    dataAt,
    w,
    h,
    C,
    holeAt,
    P,
    K,
    iterations,
    field !== undefined,
    slotAt,
    sourceAt,
    rng.position,
    integralAt,
    tokensAt,
    countAt,
    distAt,
    dxAt,
    dyAt,
  );
  rng.position = k.randomAfter();
  return {
    tokens: new Int32Array(room.buffer, tokensAt, tokens).slice(),
    count: new Uint8Array(room.buffer, countAt, T).slice(),
    dist: new Float32Array(room.buffer, distAt, T * K).slice(),
    dx: new Int16Array(room.buffer, dxAt, T * K).slice(),
    dy: new Int16Array(room.buffer, dyAt, T * K).slice(),
  };
}

/**
 * `onionPeel` (onion-peel.ts): fills `image`'s hole pixels (W × H, C
 * channels) and returns each pixel's source, drawing from `rng`'s stream as
 * the TypeScript does and leaving `rng` where it would. Null where it can't run.
 */
export function onionPeelInWasm(
  image: Float32Array,
  W: number,
  H: number,
  C: number,
  hole: Uint8Array,
  r: number,
  validSource: Uint8Array,
  sources: Int32Array,
  side: Uint8Array | undefined,
  randomCandidates: number,
  rng: { position: number },
): Int32Array | null {
  const n = W * H;
  const room = arena.layout([n * C * 4, n, n, sources.length * 4, side ? n : 0, n, n, n * 4, n * 4, n * 4, (2 * r + 1) ** 2 * 4]);
  if (room === null) return null;
  const [imageAt, holeAt, validAt, sourcesAt, sideAt, knownAt, queuedAt, fromAt, frontAAt, frontBAt, offsetsAt] = room.at;
  const inRoom = new Float32Array(room.buffer, imageAt, n * C);
  inRoom.set(image.subarray(0, n * C));
  new Uint8Array(room.buffer, holeAt, n).set(hole.subarray(0, n));
  new Uint8Array(room.buffer, validAt, n).set(validSource.subarray(0, n));
  new Int32Array(room.buffer, sourcesAt, sources.length).set(sources);
  if (side) new Uint8Array(room.buffer, sideAt, n).set(side.subarray(0, n));
  const k = room.exports;
  k.onionPeel(
    imageAt,
    W,
    H,
    C,
    holeAt,
    r,
    validAt,
    sourcesAt,
    sources.length,
    side ? sideAt : 0,
    randomCandidates,
    rng.position,
    knownAt,
    queuedAt,
    fromAt,
    frontAAt,
    frontBAt,
    offsetsAt,
  );
  rng.position = k.randomAfter();
  image.set(inRoom);
  return new Int32Array(room.buffer, fromAt, n).slice();
}
