/**
 * The coarse stage: fills the hole of the low-resolution image.
 *
 * `CoarseStage` is the seam where a learned network (ONNX) plugs in; the
 * built-in stage is multi-scale PatchMatch completion after Wexler,
 * Shechtman and Irani, "Space-Time Completion of Video" (PAMI 2007):
 * minimise Σ_t min_s ‖P_t − P_s‖² over all patches overlapping the hole by
 * expectation–maximisation. E-step: a PatchMatch nearest-neighbour field.
 * M-step: every hole pixel becomes the weighted vote of the overlapping
 * patches' matches, weight exp(−d/2σ²)·γ^(−dist to boundary) with σ² the 75th
 * percentile of patch distances and γ = 1.3. The pyramid is solved coarse to
 * fine; between levels the field (not the image) is upsampled, coarse
 * levels get more EM iterations than fine ones, and a level stops iterating
 * once an M-step barely moves the fill (`emTolerance`). The finest level
 * ends with each hole pixel copied from its match's centre, then rebuilt
 * from its sources' gradients with the known pixels as boundary
 * (poisson-finish.ts), so the seams between copied pieces do not show.
 *
 * Texture features (Newson et al., "Video Inpainting of Complex Scenes", SIAM
 * J. Imaging Sci. 2014, §3.3): two extra channels, the local means of |∂x|
 * and |∂y| of the grey level over a ν×ν window of known pixels, are computed
 * once on the finest level, averaged down the pyramid with the colours,
 * rebuilt inside the hole by the same votes and compared by the patch distance
 * with weight λ on every level but the finest. Without them a blurry estimate
 * matches flat sources best and the fill washes out; with them a hole in
 * texture keeps asking for texture.
 */
import { expectedError } from "../image.js";
import { distanceToKnown } from "../mask.js";
import type { Random } from "../random.js";
import { floatPlanes, Scratch } from "../scratch.js";
import { onionPeel } from "./onion-peel.js";
import {
  countSources,
  type FieldThreads,
  improveNnf,
  improveNnfOn,
  makePatchProblem,
  type Nnf,
  type PatchProblem,
  patchArea,
  randomNnf,
  refreshDistances,
  shareNnf,
  shareProblem,
  type TextureTerm,
} from "./patchmatch.js";
import { poissonFinish } from "./poisson-finish.js";
import { type FloatImage, halve } from "./resample.js";
import {
  copyNearestInWasm,
  textureFeaturesInWasm,
  upsampleFieldInWasm,
  upsampleInWasm,
  voteInWasm,
  voterSetupInWasm,
} from "./wasm/coarse.js";
import { releaseDistanceKernel } from "./wasm/patch-distance.js";

/**
 * What a coarse stage receives: the low-res crop with its hole.
 *
 * The contract, which callers that add constraints rely on: exactly the
 * pixels with `hole[i] !== 0` are filled; every other pixel is known, is
 * returned unchanged, and may be copied from (the PatchMatch stage uses as
 * sources the centres of patches made only of known pixels). To pin pixels
 * inside the hole (a propagated structure, a restored region), write their
 * values into `image` and clear them in `hole`: they then act as known
 * pixels and sources like any other. The working scale is chosen by the
 * caller (`erase.ts`, from the hole's size), so a stage never sees more than
 * about `lowResHoleBudget` hole pixels for an object-sized hole.
 */
export interface CoarseInput {
  /** Low-res image, `channels` values per pixel; values at hole pixels are meaningless. */
  image: FloatImage;
  /** One byte per pixel: non-zero = to fill, 0 = known (kept, and usable as a source). */
  hole: Uint8Array;
  rng: Random;
  /** Called with the fraction of the work done, now and then (optional for a stage to call). */
  progress?: (fraction: number) => void;
  /**
   * Optional side labels of continued structure, one byte per pixel (see
   * `PatchProblem.side`): the PatchMatch stage never copies a hole pixel from
   * the other side of a continued curve. Other stages may ignore them.
   */
  sides?: Uint8Array;
  /**
   * Optional: polled now and then (the PatchMatch stage: between EM
   * iterations); once it returns true the caller will throw this fill away,
   * so the stage may stop and return an unfinished image, without a field.
   */
  abandon?: () => boolean;
  /**
   * Optional: the share of the whole photo (0–1) that the hole covers, which
   * the low-resolution crop does not show. The PatchMatch stage starts
   * object-sized holes differently (`onionPeelUpTo`).
   */
  holeShare?: number;
  /**
   * Optional: another fill of the same `image` and `hole` objects may follow
   * (the erase's fill with side labels after its early fill without them).
   * The PatchMatch stage then keeps a copy of this fill's pyramid, before
   * any level is filled, and the next fill of the same image and hole starts
   * from it instead of building it again (the same pixels). Other stages may
   * ignore it.
   */
  keepPyramid?: boolean;
}

/** What a coarse stage returns. */
export interface CoarseOutput {
  /** The low-res image with the hole filled; known pixels unchanged. */
  image: FloatImage;
  /** The final nearest-neighbour field, when the stage computed one (reused by attention). */
  field?: { problem: PatchProblem; nnf: Nnf };
}

/** Fills the hole of a low-resolution image. Implementations may be async (neural networks). */
export interface CoarseStage {
  readonly name: string;
  fill(input: CoarseInput): CoarseOutput | Promise<CoarseOutput>;
}

/** Tuning of the PatchMatch completion. */
export interface PatchMatchCoarseOptions {
  /** Patch radius (patches are (2r+1)²). Default 3 (7×7). */
  patchRadius?: number;
  /** The coarsest level's shorter side is at least this. Default 24. */
  minLevelSize?: number;
  /** EM iterations at the coarsest level; each finer level has fewer, down to `finestEmIterations`. Default 6. */
  coarsestEmIterations?: number;
  /** EM iterations at the finest level. Default 1. */
  finestEmIterations?: number;
  /**
   * A level stops iterating early once an M-step moves the hole's colours by
   * less than this, on average (mean absolute change per channel, 0–255).
   * 0 runs every iteration. Default 1: on the benchmark's tuning half it
   * saved 9 % of the coarse work at −0.03 dB (object holes) and −0.01 dB
   * (large holes), less than changing the seed moves the means.
   */
  emTolerance?: number;
  /** PatchMatch scans per EM iteration at the coarsest level. Default 3. */
  coarsestScans?: number;
  /** PatchMatch scans per EM iteration at the levels between the coarsest and the finest. Default 2. */
  levelScans?: number;
  /**
   * Finish with each hole pixel copied from the centre of its own patch's
   * match instead of the mean vote, which keeps edges sharp. Default true.
   */
  sharpFinish?: boolean;
  /**
   * Then rebuild the hole from its sources' gradients with the known pixels
   * as boundary (`poisson-finish.ts`), so that neither the seams between
   * copied pieces nor the hole's edge show in smooth areas. Default true.
   */
  gradientFinish?: boolean;
  /** λ, weight of the texture features in the patch distance; 0 turns them off. Default 64. */
  textureWeight?: number;
  /** ν, side of the window the texture features average over, in pixels. Default 8. */
  textureWindow?: number;
  /**
   * Threads for the bands of large PatchMatch scans (Node: `FieldThreadPool`
   * from `vanish/node`). The field, and so the pixels, are the same with or
   * without them. Default: none, everything on the calling thread.
   */
  threads?: FieldThreads;
  /**
   * The stage's kernels: "wasm" (the patch distance in WebAssembly SIMD and
   * the per-pixel loops of wasm/coarse.ts in WebAssembly, where the runtime
   * has them; else TypeScript) or "typescript". Both give the same field and
   * pixels. Default "wasm".
   */
  kernel?: "wasm" | "typescript";
  /**
   * Holes covering at most this share of the photo (`CoarseInput.holeShare`)
   * also solve the coarsest level from an onion peel (onion-peel.ts), besides
   * the smooth guess, and keep it where its patches fit clearly better: an
   * edge crossing an object-sized hole is carried in from its sides where the
   * smooth start lets EM settle on a blur or a blob. 0 turns it off. Default
   * 0.05, the "object-sized" (1–5 % of the photo); the peel alone lost
   * 0.3 dB on the benchmark's 10–30 % holes, where it carries edges so deep
   * that they drift.
   */
  onionPeelUpTo?: number;
}

/** See `PatchMatchCoarseOptions.onionPeelUpTo`. */
const DEFAULT_PEEL_SHARE = 0.05;
/**
 * The peel's start is kept when its EM ends with a patch energy below this
 * share of the smooth start's (chosen on the object bench's tuning half: its
 * three cases at 0.72–0.88 gained 0.6–2.3 dB, those at 0.95–0.99 moved
 * −0.65 to +0.08 dB).
 */
const PEEL_MARGIN = 0.9;
/** Random sources the onion peel tries per pixel, besides its neighbours' and a shrinking search. */
const PEEL_RANDOM_CANDIDATES = 16;

const GAMMA = 1.3;
/** γ^(−d) for d = 0 … 200 (the boundary weight's cap). */
const GAMMA_POWERS = Float64Array.from({ length: 201 }, (_, d) => GAMMA ** -d);

/** Multi-scale PatchMatch + EM completion, the default coarse stage. */
export class PatchMatchCoarse implements CoarseStage {
  readonly name = "patchmatch";
  private readonly radius: number;
  private readonly minLevelSize: number;
  private readonly coarsestEm: number;
  private readonly finestEm: number;
  private readonly emTolerance: number;
  private readonly coarsestScans: number;
  private readonly levelScans: number;
  private readonly sharpFinish: boolean;
  private readonly gradientFinish: boolean;
  private readonly textureWeight: number;
  private readonly textureWindow: number;
  private readonly threads: FieldThreads | undefined;
  private readonly kernel: "wasm" | "typescript";
  private readonly onionPeelUpTo: number;
  /** The last fill's pyramid, kept for the next fill of the same image and hole (`CoarseInput.keepPyramid`). */
  private pyramid: { image: FloatImage; hole: Uint8Array; levels: { image: FloatImage; hole: Uint8Array }[] } | null = null;

  constructor(options: PatchMatchCoarseOptions = {}) {
    if (options === null || typeof options !== "object") throw expectedError("PatchMatchCoarse options as an object", options);
    const whole = (name: keyof PatchMatchCoarseOptions, lo: number, hi: number) => {
      const v = options[name];
      if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)) {
        throw expectedError(`${name} to be an integer from ${lo} to ${hi}`, v);
      }
    };
    whole("patchRadius", 1, 16);
    whole("minLevelSize", 4, 4096);
    whole("coarsestEmIterations", 1, 100);
    whole("finestEmIterations", 1, 100);
    whole("coarsestScans", 1, 16);
    whole("levelScans", 1, 16);
    if (options.emTolerance !== undefined && !(options.emTolerance >= 0 && Number.isFinite(options.emTolerance))) {
      throw expectedError("emTolerance ≥ 0", options.emTolerance);
    }
    whole("textureWindow", 1, 64);
    if (options.textureWeight !== undefined && !(options.textureWeight >= 0 && Number.isFinite(options.textureWeight))) {
      throw expectedError("textureWeight ≥ 0", options.textureWeight);
    }
    this.radius = options.patchRadius ?? 3;
    this.minLevelSize = options.minLevelSize ?? 24;
    this.coarsestEm = options.coarsestEmIterations ?? 6;
    this.finestEm = options.finestEmIterations ?? 1;
    this.emTolerance = options.emTolerance ?? 1;
    this.coarsestScans = options.coarsestScans ?? 3;
    this.levelScans = options.levelScans ?? 2;
    this.sharpFinish = options.sharpFinish ?? true;
    this.gradientFinish = options.gradientFinish ?? true;
    this.textureWeight = options.textureWeight ?? 64;
    this.textureWindow = options.textureWindow ?? 8;
    if (options.threads !== undefined && typeof options.threads?.scan !== "function") {
      throw expectedError("threads with a scan method (a FieldThreadPool)", options.threads);
    }
    this.threads = options.threads;
    if (options.onionPeelUpTo !== undefined && !(options.onionPeelUpTo >= 0 && options.onionPeelUpTo <= 1)) {
      throw expectedError("onionPeelUpTo from 0 to 1", options.onionPeelUpTo);
    }
    this.onionPeelUpTo = options.onionPeelUpTo ?? DEFAULT_PEEL_SHARE;
    if (options.kernel !== undefined && options.kernel !== "wasm" && options.kernel !== "typescript") {
      throw expectedError('kernel "wasm" or "typescript"', options.kernel);
    }
    this.kernel = options.kernel ?? "wasm";
  }

  /**
   * The levels, finest first, before any is filled: the finest is the input's colours (matched on colour alone:
   * its field comes from level 1, where the texture term already chose the sources; same gradient ratio on the
   * benchmark, 90 ms less at 2K), the coarser ones halve the colours and texture features down to
   * `minLevelSize` while some patch can still be copied.
   */
  private buildPyramid(
    image: FloatImage,
    hole: Uint8Array,
    texture: TextureTerm | undefined,
    wasm: boolean,
  ): { image: FloatImage; hole: Uint8Array }[] {
    const work = texture ? withTextureFeatures(image, hole, this.textureWindow, wasm) : copyImage(image);
    const levels: { image: FloatImage; hole: Uint8Array }[] = [{ image: work, hole }];
    for (;;) {
      const last = levels[levels.length - 1];
      if (Math.min(last.image.width, last.image.height) < 2 * this.minLevelSize) break;
      const next = halve(last.image, last.hole, wasm);
      if (!hasUsableSource(next.hole, next.image.width, next.image.height, this.radius)) break;
      levels.push(next);
    }
    // (The finest level's colour channels are the input's, copied exactly: a plain copy of it, not a strided one of `work`.)
    if (texture && levels.length > 1) {
      levels[0] = { image: copyImage(image), hole };
      floatPlanes.give(work.data);
    }
    return levels;
  }

  private async improve(p: PatchProblem, nnf: Nnf, iterations: number, radius: number, rng: Random, only?: Int32Array): Promise<void> {
    if (this.threads) await improveNnfOn(this.threads, p, nnf, iterations, radius, rng, only);
    else improveNnf(p, nnf, iterations, radius, rng, only);
  }

  async fill({ image, hole, rng, progress, sides, abandon, holeShare, keepPyramid }: CoarseInput): Promise<CoarseOutput> {
    const peel = holeShare !== undefined && holeShare <= this.onionPeelUpTo;
    const r = this.radius;
    const texture = this.textureWeight > 0 ? { channel: image.channels, weight: this.textureWeight } : undefined;
    const wasm = this.kernel === "wasm";
    // The pyramid a fill of the same image and hole kept (its copies, into planes of the pool), or a new one.
    const kept = this.pyramid !== null && this.pyramid.image === image && this.pyramid.hole === hole ? this.pyramid : null;
    if (!kept || !keepPyramid) this.pyramid = null;
    const levels = kept
      ? kept.levels.map((l, L) => ({ image: copyImage(l.image), hole: L === 0 ? hole : l.hole }))
      : this.buildPyramid(image, hole, texture, wasm);
    if (!kept && keepPyramid) {
      this.pyramid = {
        image,
        hole,
        levels: levels.map((l, L) => ({ image: { ...l.image, data: l.image.data.slice() }, hole: L === 0 ? hole : l.hole.slice() })),
      };
    }
    const sideLevels: Uint8Array[] = [];
    if (sides !== undefined) {
      sideLevels.push(sides);
      for (let L = 1; L < levels.length; L++)
        sideLevels.push(halveSides(sideLevels[L - 1], levels[L - 1].image.width, levels[L - 1].image.height));
    }

    // Progress: EM iterations weighted by their level's pixel count.
    const emAt = (L: number) =>
      L === levels.length - 1 ? this.coarsestEm : L === 0 ? this.finestEm : Math.max(this.finestEm, Math.min(this.coarsestEm - 2, 1 + L));
    let totalWork = 0;
    for (let L = 0; L < levels.length; L++) totalWork += levels[L].image.width * levels[L].image.height * (emAt(L) + 1);
    // The peel's start runs the coarsest level's EM a second time.
    const coarsest = levels[levels.length - 1].image;
    if (peel) totalWork += coarsest.width * coarsest.height * emAt(levels.length - 1);
    let doneWork = 0;

    let prev: { problem: PatchProblem; nnf: Nnf; image: FloatImage } | null = null;
    let abandoned = false;
    for (let L = levels.length - 1; L >= 0 && !abandoned; L--) {
      // A fill to be thrown away stops between levels too, before the next one's set-up and global search.
      if (prev !== null && abandon?.()) {
        abandoned = true;
        break;
      }
      let img = levels[L].image;
      const h = levels[L].hole;
      const made = makePatchProblem(
        img.data,
        img.width,
        img.height,
        img.channels,
        h,
        r,
        img.channels > image.channels ? texture : undefined,
        this.kernel,
        sides !== undefined ? sideLevels[L] : undefined,
      );
      if (!made) throw new Error("no known patch to copy from at this level");
      // A level whose scans may go to the threads lives in shared memory, its image (which the votes update) too.
      // Below their threshold nothing is handed over: the copies into fresh shared memory (about 0.3 MB a level
      // for a 1K stroke) would only cost page faults.
      const pooled = this.threads !== undefined && made.targets.length >= (this.threads.parallelTargets ?? 0);
      let problem = made;
      if (pooled) {
        img = { ...img, data: sharedPlane(img.data) };
        levels[L] = { image: img, hole: h };
        problem = shareProblem({ ...made, image: img.data });
      }
      const voter = new Voter(problem, wasm);
      const longSide = Math.max(img.width, img.height);
      let nnf: Nnf;
      let emIterations: number;
      let pmIterations: number;
      let searchRadius: number;
      // The onion peel's start of the coarsest level, solved beside the smooth one (see `onionPeelUpTo`).
      let peeled: { image: Float32Array; from: Int32Array; rng: Random } | null = null;
      if (prev === null) {
        diffuseFill(img, h);
        if (peel) {
          const start = { ...problem, image: img.data.slice() };
          const random = rng.clone();
          peeled = { image: start.image, from: onionPeel(start, random, PEEL_RANDOM_CANDIDATES, wasm), rng: random };
        }
        nnf = randomNnf(problem, rng);
        if (pooled) nnf = shareNnf(nnf);
        emIterations = this.coarsestEm;
        pmIterations = this.coarsestScans;
        searchRadius = longSide;
      } else {
        // Hole pixels start from the upsampled coarse image; where the coarse
        // level had a match, the upsampled field's vote replaces it (sharper).
        upsampleInto(prev.image, img, h, wasm);
        const up = upsampleNnf(prev.problem, prev.nnf, problem, voter.boundary, rng, wasm);
        // The coarser level is read no more: its kernel goes to the next fill's coarse levels.
        releaseDistanceKernel(prev.problem.kernelMemory);
        nnf = pooled ? shareNnf(up.nnf) : up.nnf;
        voter.vote(nnf, up.trusted);
        refreshDistances(problem, nnf);
        emIterations = emAt(L);
        pmIterations = L === 0 ? 1 : this.levelScans;
        searchRadius = L === 0 ? 8 : Math.max(8, longSide >> 2);
        // A global search once, only for targets without a coarse match: the
        // rest inherit sources the coarser level already searched globally for
        // (on the finest level 30 ms less at 2K, within 0.04 dB; on the others
        // 8–10 % of the distance work, within 0.01 dB on the tuning half).
        // A fill to be thrown away stops before it too: on the finest level it is as long as the EM iteration.
        abandoned = abandon?.() === true;
        if (!abandoned) await this.improve(problem, nnf, 1, longSide, rng, untrustedSlots(up.trusted));
      }
      const levelPixels = img.width * img.height;
      doneWork += levelPixels;
      progress?.(Math.min(1, doneWork / totalWork));
      const iterate = async (field: Nnf, random: Random) => {
        for (let em = 0; em < emIterations && !abandoned; em++) {
          if (abandon?.()) {
            abandoned = true;
            break;
          }
          await this.improve(problem, field, pmIterations, searchRadius, random);
          const last = em === emIterations - 1;
          doneWork += levelPixels;
          progress?.(Math.min(1, doneWork / totalWork));
          // The sharp finish overwrites every hole pixel of the finest level with
          // its match's centre, so that level's last vote would be thrown away.
          if (last && L === 0 && this.sharpFinish) break;
          const change = voter.vote(field, voter.similarityWeights(field));
          // The next level and the attention read only the field's sources; its
          // distances are refreshed only for another iteration of this level.
          if (last || change < this.emTolerance) {
            doneWork += levelPixels * (emIterations - 1 - em);
            break;
          }
          refreshDistances(problem, field);
        }
      };
      await iterate(nnf, rng);
      if (peeled !== null && !abandoned) {
        // Both starts run the same EM; the peel's result is kept only where its
        // patches fit clearly better (PEEL_MARGIN), else the smooth start's,
        // bit for bit as without the peel (its image, field and packed copy).
        const smoothImage = img.data.slice();
        const smoothDistance = nnf.distance.slice();
        const smoothPacked = problem.packed.slice();
        const smoothEnergy = fieldEnergy(problem, nnf);
        img.data.set(peeled.image);
        let field = randomNnf(problem, peeled.rng, peeled.from);
        if (pooled) field = shareNnf(field);
        await iterate(field, peeled.rng);
        if (!abandoned && fieldEnergy(problem, field) < PEEL_MARGIN * smoothEnergy) {
          nnf = field;
          rng.position = peeled.rng.position;
        } else {
          img.data.set(smoothImage);
          nnf.distance.set(smoothDistance);
          problem.packed.set(smoothPacked);
        }
      }
      prev = { problem, nnf, image: img };
    }
    if (abandoned && prev) {
      releaseDistanceKernel(prev.problem.kernelMemory);
      prev = null;
    }
    if (prev && this.sharpFinish) copyNearest(prev.problem, prev.nnf, wasm);
    const finest = levels[0].image.channels > image.channels ? withoutExtraChannels(levels[0].image, image.channels) : levels[0].image;
    if (prev && this.gradientFinish) {
      const { nnf, problem } = prev;
      poissonFinish({ ...finest, hole: problem.hole, slotOf: problem.slotOf, source: nnf.source }, wasm);
    }
    // The coarser levels' images (and a finest one with texture channels) are read no more: back to the pool. The
    // finest image goes back when the caller is done with the fill (erase.ts).
    for (let L = 0; L < levels.length; L++) if (levels[L].image !== finest) floatPlanes.give(levels[L].image.data);
    return { image: finest, field: prev ? { problem: prev.problem, nnf: prev.nnf } : undefined };
  }
}

/** Side labels of the next coarser level: the bits that all four pixels of a 2×2 block share. */
function halveSides(side: Uint8Array, w: number, h: number): Uint8Array {
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const out = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    const y1 = Math.min(2 * y + 1, h - 1);
    for (let x = 0; x < cw; x++) {
      const x1 = Math.min(2 * x + 1, w - 1);
      out[y * cw + x] = side[2 * y * w + 2 * x] & side[2 * y * w + x1] & side[y1 * w + 2 * x] & side[y1 * w + x1];
    }
  }
  return out;
}

/** Slots whose weight is 0, in order. */
function untrustedSlots(trusted: Float32Array): Int32Array {
  let n = 0;
  for (let k = 0; k < trusted.length; k++) if (trusted[k] === 0) n++;
  const out = new Int32Array(n);
  for (let k = 0, j = 0; k < trusted.length; k++) if (trusted[k] === 0) out[j++] = k;
  return out;
}

/** A copy of the image in a plane from the pool. */
function copyImage(img: FloatImage): FloatImage {
  const data = floatPlanes.take(img.data.length);
  data.set(img.data);
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/** The plane in shared memory (a copy from the pool, the plane itself given back), or itself if already shared. */
function sharedPlane(plane: Float32Array): Float32Array {
  if (plane.buffer instanceof SharedArrayBuffer) return plane;
  const out = floatPlanes.take(plane.length, true);
  out.set(plane);
  floatPlanes.give(plane);
  return out;
}

/**
 * The image with two channels appended: the means of |∂x I| and |∂y I| (I the
 * grey level, central differences) over the ν×ν window around each pixel,
 * counting only gradients whose stencil is all known. Hole pixels get 0; the
 * completion fills them like colours.
 *
 * The three window sums (|∂x|, |∂y| and the count of known stencils) run
 * together over one interleaved plane, row by row in both passes: a running
 * double per column and channel, stored as float32 after each step.
 */
function withTextureFeatures(img: FloatImage, hole: Uint8Array, window: number, wasm: boolean): FloatImage {
  const { width: w, height: h, channels: C, data } = img;
  const n = w * h;
  const C2 = C + 2;
  if (wasm) {
    const out = floatPlanes.take(n * C2);
    if (textureFeaturesInWasm(data, hole, w, h, C, window, out)) return { width: w, height: h, channels: C2, data: out };
    floatPlanes.give(out);
  }
  // gx, gy, valid per pixel; 0 where a stencil touches the hole.
  const grad = gradientScratch.take(n * 3, true);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (hole[i] !== 0 || hole[i - 1] !== 0 || hole[i + 1] !== 0 || hole[i - w] !== 0 || hole[i + w] !== 0) continue;
      const l = (i - 1) * C;
      const rr = (i + 1) * C;
      const u = (i - w) * C;
      const d = (i + w) * C;
      grad[3 * i] = Math.abs(data[rr] + data[rr + 1] + data[rr + 2] - data[l] - data[l + 1] - data[l + 2]) / 6;
      grad[3 * i + 1] = Math.abs(data[d] + data[d + 1] + data[d + 2] - data[u] - data[u + 1] - data[u + 2]) / 6;
      grad[3 * i + 2] = 1;
    }
  }
  const half = window >> 1;
  const rows = boxSumRows3(grad, w, h, half);
  const out = floatPlanes.take(n * C2);
  if (C === 3) {
    // The usual case, without an inner loop of three (as long as the gradients above, in a profile).
    for (let i = 0, o = 0, q = 0; i < n; i++, o += 3, q += 5) {
      out[q] = data[o];
      out[q + 1] = data[o + 1];
      out[q + 2] = data[o + 2];
    }
  } else {
    for (let i = 0, o = 0, q = 0; i < n; i++, o += C, q += C2) for (let c = 0; c < C; c++) out[q + c] = data[o + c];
  }
  // Vertical pass: column sums of the row sums over [y − half, y + half], clipped.
  const f32 = Math.fround;
  const ax = new Float64Array(w);
  const ay = new Float64Array(w);
  const av = new Float64Array(w);
  for (let y = 0; y < Math.min(half, h); y++) {
    for (let x = 0, r = 3 * y * w; x < w; x++, r += 3) {
      ax[x] += rows[r];
      ay[x] += rows[r + 1];
      av[x] += rows[r + 2];
    }
  }
  for (let y = 0; y < h; y++) {
    if (y + half < h) {
      for (let x = 0, r = 3 * (y + half) * w; x < w; x++, r += 3) {
        ax[x] += rows[r];
        ay[x] += rows[r + 1];
        av[x] += rows[r + 2];
      }
    }
    if (y - half - 1 >= 0) {
      for (let x = 0, r = 3 * (y - half - 1) * w; x < w; x++, r += 3) {
        ax[x] -= rows[r];
        ay[x] -= rows[r + 1];
        av[x] -= rows[r + 2];
      }
    }
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const v = f32(av[x]);
      if (hole[i] !== 0 || v === 0) continue;
      out[i * C2 + C] = f32(ax[x]) / v;
      out[i * C2 + C + 1] = f32(ay[x]) / v;
    }
  }
  return { width: w, height: h, channels: C2, data: out };
}

/**
 * Scratch planes of `withTextureFeatures` (gradients, row sums), kept between
 * fills on this thread (see scratch.ts): about 2 ms of page faults for a 1K
 * stroke's two 0.5 MB planes.
 */
const gradientScratch = new Scratch((n) => new Float32Array(n));
const rowSumScratch = new Scratch((n) => new Float32Array(n));

/** Sums of each of three interleaved channels over [x − half, x + half] along each row, clipped to the row. */
function boxSumRows3(src: Float32Array, w: number, h: number, half: number): Float32Array {
  // Every value is written below.
  const rows = rowSumScratch.take(w * h * 3, false);
  for (let y = 0; y < h; y++) {
    const o = 3 * y * w;
    let a = 0;
    let b = 0;
    let c = 0;
    for (let x = 0; x < Math.min(half, w); x++) {
      a += src[o + 3 * x];
      b += src[o + 3 * x + 1];
      c += src[o + 3 * x + 2];
    }
    for (let x = 0; x < w; x++) {
      if (x + half < w) {
        const p = o + 3 * (x + half);
        a += src[p];
        b += src[p + 1];
        c += src[p + 2];
      }
      if (x - half - 1 >= 0) {
        const p = o + 3 * (x - half - 1);
        a -= src[p];
        b -= src[p + 1];
        c -= src[p + 2];
      }
      rows[o + 3 * x] = a;
      rows[o + 3 * x + 1] = b;
      rows[o + 3 * x + 2] = c;
    }
  }
  return rows;
}

/** The first `channels` channels of an image. */
function withoutExtraChannels(img: FloatImage, channels: number): FloatImage {
  const { width: w, height: h, channels: C, data } = img;
  const out = floatPlanes.take(w * h * channels);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = data[i * C + c];
  return { width: w, height: h, channels, data: out };
}

function hasUsableSource(hole: Uint8Array, w: number, h: number, r: number): boolean {
  return countSources(hole, w, h, r, 16) >= 16;
}

/** γ^(−distance of the target centre to the known region), per target. */
function boundaryWeights(p: PatchProblem): Float32Array {
  const dist = distanceToKnown(p.hole, p.width, p.height);
  const out = new Float32Array(p.targets.length);
  for (let k = 0; k < p.targets.length; k++) out[k] = GAMMA_POWERS[Math.min(dist[p.targets[k]], 200)];
  return out;
}

/** Σ of the field's patch distances after the estimate changed (refreshed first): how well the fill's patches fit their sources. */
function fieldEnergy(p: PatchProblem, nnf: Nnf): number {
  refreshDistances(p, nnf);
  let sum = 0;
  for (let k = 0; k < nnf.distance.length; k++) sum += nnf.distance[k];
  return sum;
}

/**
 * Initial guess at the coarsest level: hole pixels, in order of distance to
 * the known region, take the mean of their already-set 8-neighbours.
 */
function diffuseFill(img: FloatImage, hole: Uint8Array): void {
  const { width: w, height: h, channels: C, data } = img;
  const dist = distanceToKnown(hole, w, h);
  let maxD = 0;
  for (let i = 0; i < dist.length; i++) if (hole[i] !== 0 && dist[i] > maxD) maxD = dist[i];
  const order: number[][] = Array.from({ length: maxD + 1 }, () => []);
  for (let i = 0; i < dist.length; i++) if (hole[i] !== 0) order[dist[i]].push(i);
  for (let d = 1; d <= maxD; d++) {
    for (const i of order[d]) {
      const x = i % w;
      const y = (i - x) / w;
      let n = 0;
      const o = i * C;
      for (let c = 0; c < C; c++) data[o + c] = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w || (dx === 0 && dy === 0)) continue;
          const j = yy * w + xx;
          if (hole[j] !== 0 && dist[j] >= d) continue;
          n++;
          for (let c = 0; c < C; c++) data[o + c] += data[j * C + c];
        }
      }
      if (n > 0) for (let c = 0; c < C; c++) data[o + c] /= n;
    }
  }
}

/** Each hole pixel takes the value at the centre of its own patch's match. */
function copyNearest(p: PatchProblem, nnf: Nnf, wasm: boolean): void {
  const { channels: C, image: img, hole, slotOf } = p;
  if (wasm && copyNearestInWasm(img, C, hole, slotOf, nnf.source)) return;
  for (let i = 0; i < hole.length; i++) {
    if (hole[i] === 0) continue;
    const s = nnf.source[slotOf[i]] * C;
    for (let c = 0; c < C; c++) img[i * C + c] = img[s + c];
  }
}

/**
 * Bilinear 2× upsampling of the coarse estimate into the fine level's hole
 * pixels, for the fine level's channels (the coarse level may carry more).
 */
function upsampleInto(coarse: FloatImage, fine: FloatImage, hole: Uint8Array, wasm: boolean): void {
  const { width: cw, height: ch, channels: CC, data: cd } = coarse;
  const { width: w, height: h, channels: C, data } = fine;
  if (wasm && upsampleInWasm(cd, cw, ch, CC, data, w, h, C, hole)) return;
  for (let y = 0; y < h; y++) {
    const v = Math.min(Math.max((y + 0.5) / 2 - 0.5, 0), ch - 1);
    const y0 = Math.floor(v);
    const y1 = Math.min(y0 + 1, ch - 1);
    const fy = v - y0;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (hole[i] === 0) continue;
      const u = Math.min(Math.max((x + 0.5) / 2 - 0.5, 0), cw - 1);
      const x0 = Math.floor(u);
      const x1 = Math.min(x0 + 1, cw - 1);
      const fx = u - x0;
      for (let c = 0; c < C; c++) {
        const top = cd[(y0 * cw + x0) * CC + c] * (1 - fx) + cd[(y0 * cw + x1) * CC + c] * fx;
        const bottom = cd[(y1 * cw + x0) * CC + c] * (1 - fx) + cd[(y1 * cw + x1) * CC + c] * fx;
        data[i * C + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
}

/**
 * Field of the finer level from the coarser one: source 2·s + parity. Targets
 * whose coarse pixel had no match get a random source and are not trusted.
 */
function upsampleNnf(
  coarse: PatchProblem,
  coarseNnf: Nnf,
  fine: PatchProblem,
  boundary: Float32Array,
  rng: Random,
  wasm: boolean,
): { nnf: Nnf; trusted: Float32Array } {
  const { width: w, height: h, radius: r, targets, validSource, sources } = fine;
  const field = wasm ? upsampleFieldInWasm(coarse, coarseNnf.source, fine, boundary) : null;
  if (field) {
    // The random picks, in the targets' order as below.
    const { source } = field;
    for (let k = 0; k < source.length; k++) if (source[k] < 0) source[k] = sources[rng.int(0, sources.length - 1)];
    return { nnf: { source, distance: new Float32Array(source.length) }, trusted: field.trusted };
  }
  const cw = coarse.width;
  const ch = coarse.height;
  const n = targets.length;
  const source = new Int32Array(n);
  const trusted = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const t = targets[k];
    const x = t % w;
    const y = (t - x) / w;
    const cx = Math.min(x >> 1, cw - 1);
    const cy = Math.min(y >> 1, ch - 1);
    const slot = coarse.slotOf[cy * cw + cx];
    let s = -1;
    if (slot >= 0) {
      const cs = coarseNnf.source[slot];
      const csx = cs % cw;
      const csy = (cs - csx) / cw;
      const sx = Math.min(Math.max(2 * csx + (x & 1), r), w - 1 - r);
      const sy = Math.min(Math.max(2 * csy + (y & 1), r), h - 1 - r);
      if (validSource[sy * w + sx] !== 0) s = sy * w + sx;
    }
    if (s >= 0) {
      source[k] = s;
      trusted[k] = boundary[k];
    } else {
      source[k] = sources[rng.int(0, sources.length - 1)];
    }
  }
  return { nnf: { source, distance: new Float32Array(n) }, trusted };
}

/** The M-step, with buffers kept across iterations of one level. */
class Voter {
  private readonly holeIndex: Int32Array;
  /** One pixel's channel sums, for channel counts without their own loop. */
  private readonly sums: Float64Array;
  /** γ^(−boundary distance) per target. */
  readonly boundary: Float32Array;
  private readonly weights: Float32Array;
  private readonly area: Float32Array;

  constructor(
    private readonly p: PatchProblem,
    /** Whether the vote may run in WebAssembly (`voteInWasm`, the same bytes). */
    private readonly wasm: boolean,
  ) {
    // Every hole pixel is a target and targets are in raster order: the hole pixels in order, without a pass over the level.
    const { hole, targets } = p;
    const nt = targets.length;
    this.sums = new Float64Array(p.channels);
    this.weights = new Float32Array(nt);
    const set = wasm ? voterSetupInWasm(hole, p.width, p.height, p.radius, targets, GAMMA_POWERS) : null;
    if (set) {
      this.holeIndex = set.holeIndex;
      this.boundary = set.boundary;
      this.area = set.area;
      return;
    }
    let n = 0;
    for (let k = 0; k < nt; k++) if (hole[targets[k]] !== 0) n++;
    const holeIndex = new Int32Array(n);
    for (let k = 0, q = 0; k < nt; k++) if (hole[targets[k]] !== 0) holeIndex[q++] = targets[k];
    this.holeIndex = holeIndex;
    this.boundary = boundaryWeights(p);
    const area = new Float32Array(nt);
    for (let k = 0; k < nt; k++) area[k] = patchArea(p, targets[k]);
    this.area = area;
  }

  /** exp(−d̄/2σ²)·γ^(−boundary distance), σ² the 75th percentile of d̄ (per-pixel distance). */
  similarityWeights(nnf: Nnf): Float32Array {
    const n = this.p.targets.length;
    const step = Math.max(1, Math.floor(n / 2048));
    // A typed array sorts numerically without a comparator call and a boxed number per element.
    const sample = new Float64Array(Math.ceil(n / step));
    for (let k = 0, j = 0; k < n; k += step) sample[j++] = nnf.distance[k] / this.area[k];
    sample.sort();
    const sigma2 = Math.max(sample[Math.floor(sample.length * 0.75)] ?? 1, 1e-3);
    const out = this.weights;
    for (let k = 0; k < n; k++) out[k] = Math.exp(-(nnf.distance[k] / this.area[k]) / (2 * sigma2)) * this.boundary[k];
    return out;
  }

  /**
   * Every hole pixel becomes the weighted mean of its overlapping patches'
   * matches. Returns the mean absolute change of the first three channels.
   *
   * Gathered per hole pixel: the targets t whose patch covers it are visited
   * in raster order (t = q − (ex, ey), ey and ex descending), and the sums
   * are rounded to float32 after each add, so they are the bits that
   * scattering each target's patch into float32 planes gave, without the
   * planes. Sources are known pixels, which no vote writes, so each hole pixel
   * is written as soon as its sum is complete.
   */
  vote(nnf: Nnf, weights: Float32Array): number {
    const { width: w, height: h, channels: C, image: img, radius: r, slotOf } = this.p;
    const { holeIndex, sums } = this;
    const source = nnf.source;
    if (this.wasm && holeIndex.length > 0) {
      const summed = voteInWasm(img, w, h, C, r, slotOf, holeIndex, source, weights);
      if (summed !== null) return summed / (3 * holeIndex.length);
    }
    let change = 0;
    for (let n = 0; n < holeIndex.length; n++) {
      const q = holeIndex[n];
      const qx = q % w;
      const qy = (q - qx) / w;
      // Covering targets lie inside the image: 0 ≤ qy − ey < h and 0 ≤ qx − ex < w.
      const eyHi = Math.min(qy, r);
      const eyLo = Math.max(qy - h + 1, -r);
      const exHi = Math.min(qx, r);
      const exLo = Math.max(qx - w + 1, -r);
      let total = 0;
      const o = q * C;
      if (C === 3 || C === 5) {
        let a = 0;
        let b = 0;
        let c = 0;
        let d = 0;
        let e = 0;
        for (let ey = eyHi; ey >= eyLo; ey--) {
          const row = q - ey * w;
          const shift = ey * w;
          for (let ex = exHi; ex >= exLo; ex--) {
            const slot = slotOf[row - ex];
            if (slot < 0) continue;
            const weight = weights[slot];
            if (!(weight > 0)) continue;
            const sq = (source[slot] + shift + ex) * C;
            a = f32(a + weight * img[sq]);
            b = f32(b + weight * img[sq + 1]);
            c = f32(c + weight * img[sq + 2]);
            if (C === 5) {
              d = f32(d + weight * img[sq + 3]);
              e = f32(e + weight * img[sq + 4]);
            }
            total = f32(total + weight);
          }
        }
        if (total === 0) continue;
        const inv = 1 / total;
        const va = a * inv;
        const vb = b * inv;
        const vc = c * inv;
        change += Math.abs(va - img[o]);
        img[o] = va;
        change += Math.abs(vb - img[o + 1]);
        img[o + 1] = vb;
        change += Math.abs(vc - img[o + 2]);
        img[o + 2] = vc;
        if (C === 5) {
          img[o + 3] = d * inv;
          img[o + 4] = e * inv;
        }
        continue;
      }
      sums.fill(0);
      for (let ey = eyHi; ey >= eyLo; ey--) {
        const row = q - ey * w;
        const shift = ey * w;
        for (let ex = exHi; ex >= exLo; ex--) {
          const slot = slotOf[row - ex];
          if (slot < 0) continue;
          const weight = weights[slot];
          if (!(weight > 0)) continue;
          const sq = (source[slot] + shift + ex) * C;
          for (let k = 0; k < C; k++) sums[k] = f32(sums[k] + weight * img[sq + k]);
          total = f32(total + weight);
        }
      }
      if (total === 0) continue;
      const inv = 1 / total;
      for (let k = 0; k < C; k++) {
        const v = sums[k] * inv;
        if (k < 3) change += Math.abs(v - img[o + k]);
        img[o + k] = v;
      }
    }
    return holeIndex.length === 0 ? 0 : change / (3 * holeIndex.length);
  }
}

const f32 = Math.fround;
