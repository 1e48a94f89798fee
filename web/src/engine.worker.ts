/**
 * The engine worker: holds the photo being edited and runs the library's core
 * (tap-to-select, erase), decoding, encoding and the view bitmaps off the
 * main thread, so the page never stalls.
 * Exposed through Comlink; pixel buffers cross as transferables.
 */
import * as Comlink from "comlink";
import type { Rect } from "../../src/core/image.js";
import { type UpscaleInput, upscaleInto } from "../../src/core/inpaint/upscale.js";
import { pixelsWithUpscaleRoom } from "../../src/core/inpaint/wasm/detail-transfer.js";
import { holeBounds, holeStats } from "../../src/core/mask.js";
import { growCropSelection } from "../../src/core/segmentation/removal-mask.js";
import {
  BuiltinSegmenter,
  checkSamDecoder,
  checkSamEncoder,
  defaultGrow,
  type EraseOptions,
  eraseWithReport,
  NetworkCoarse,
  PatchMatchCoarse,
  type RgbaImage,
  removalMask,
  type SegmentEngineName,
  Segmenter,
  VanishError,
} from "../../src/index.js";
import { bundledSamLoader, type SamLoadProgress } from "./bundled-sam.js";
import { type DecodeOptions, decodePhoto, decodePhotoAndBitmap, encodePhoto, type Photo, type PhotoSource, readSource } from "./codec.js";
import "./errors.js";
import { defaultFieldWorkers, WebFieldThreads } from "./field-threads.js";
import { gridBox, overlaySize, type SelectionDisplay, sampleNearest, selectionOverlay } from "./mask-layers.js";
import { exposeAllCandidates, loadWebModel } from "./onnx-web.js";
import { loadRemoteModel } from "./remote-model.js";
import { SelectionComposer, type SelectionPrompt } from "./selection-compose.js";
import { SharedSamModels, TapSelector } from "./tap-selector.js";
import { HalvedView, makeFullBitmap, makeViewBitmaps } from "./view-bitmaps.js";

export interface SelectResult {
  /** Grown removal mask (1 = remove), `width`×`height`: the photo's size, or a preview's. */
  mask: Uint8Array;
  width: number;
  height: number;
  score: number;
  ms: number;
  /** True when `mask` is a preview: `refine` with the same prompt gives the full-resolution mask. */
  preview: boolean;
  /** True when nothing is selected (known from the small preview, so nobody scans the full mask for it). */
  empty: boolean;
  /** The engine that answered: "sam", or "builtin" (also while Segment Anything still encodes the photo). */
  engine: string;
  /** `mask` sampled onto the overlay's grid, when `mask` is larger than that, with its overlay drawn (see SelectionLayer.display). */
  display?: SelectionDisplay;
}

/** What `prepare` reports while it runs: the model's download and start (first photo only), then the photo's analysis. */
export type PrepareProgress = SamLoadProgress | { stage: "analyse" };

export interface PrepareResult {
  ms: number;
  /** The tap-to-select engine in use: "sam" or "builtin". */
  engine: string;
  /** Set once, when the default engine could not load Segment Anything and fell back to the built-in engine. */
  warning?: string;
  /** The engine answering taps now: "builtin" while Segment Anything still encodes the photo (`samPrepared` says when it is done). */
  answering: string;
}

export interface EraseResult {
  /** The result's pixels: the page's own (with field workers, in shared memory that the worker no longer writes). */
  data: Uint8ClampedArray;
  /** The result's view bitmaps (see view-bitmaps.ts). */
  view: ImageBitmap[];
  holePixels: number;
  ms: number;
  referenceUsed?: boolean;
  referenceNotes?: string[];
  /** The mask erased, when the page did not send one (`eraseSelection`; shared memory). */
  mask?: Uint8Array;
}

/**
 * Fills that "Try another" cycles through: each draws on other source
 * regions (a wider or narrower context around the hole, fewer attention
 * matches, another patch size), so the candidates differ visibly, not by a
 * seed's few hundred pixels.
 */
const VARIANTS: EraseOptions[] = [{}, { context: 1.2, topK: 1 }, { context: 0.25, patchSize: 6 }, { context: 2, topK: 2, patchSize: 12 }];

class Engine {
  private image: RgbaImage | null = null;
  /** The open photo's metadata, quality and colour space, for views and the download. */
  private source: PhotoSource | null = null;
  private reference: RgbaImage | null = null;
  /** The tap-to-select engine when the user has not picked model files: "auto" is the bundled Segment Anything model. */
  private tapEngine: SegmentEngineName = "auto";
  /** Where the bundled model's loading reports to (the `prepare` call under way, until the load ends). */
  private loadProgress: ((p: PrepareProgress) => void) | null = null;
  /** The loading's last report while it is under way (null once done), for a `prepare` that joins it. */
  private lastLoad: PrepareProgress | null = null;
  /** The default engine's fallback warning, not yet handed to the page. */
  private warning: string | null = null;
  /** While set, Segment Anything's sessions wait to start (`holdSamStart`). */
  private samHold: Promise<void> | null = null;
  private releaseSamHold = () => {};
  private selector: Promise<TapSelector> = this.defaultSelector();
  private composer: Promise<SelectionComposer> = this.selector.then((s) => new SelectionComposer(s));
  /** The user's inpainting network for the low-resolution fill, when one is loaded. */
  private coarse: NetworkCoarse | null = null;
  /** The current photo's halved view, patched after each erase. */
  private readonly halved = new HalvedView();
  /** The halving `setImage` is making for `halved`, awaited before an erase patches it. */
  private halving: Promise<void> = Promise.resolve();
  /** Field workers for the fill's PatchMatch scans, started with this worker (none without shared memory). */
  private fieldThreads: WebFieldThreads | null = null;
  /** The photo whose pixels the last erase handed to the page, until it has a copy of its own (see `ownPixels`). */
  private handedOver: RgbaImage | null = null;
  /** The last erase's mask in shared memory, reused (see `sharedMask`). */
  private maskBuffer: Uint8Array | null = null;
  /** The PatchMatch fill over `fieldThreads` (the same pixels as without them). */
  private patchMatch: PatchMatchCoarse | null = null;
  /** The last full-resolution removal mask started (`refine`, `eraseSelection`). */
  private refinement: Refinement | null = null;
  /** Ends the current pause before a refinement's overlay (see `refine`), while it waits. */
  private overlayWait: (() => void) | null = null;
  /** The page asked for an overlay (`overlayNow`) before its refinement's pause began: that pause is skipped. */
  private overlayWanted = false;
  /** Erases under way (each writes the photo in place until it resolves). */
  private erasing = 0;
  /**
   * A zeroed mask of the photo's size in shared memory whose pages a field worker has touched
   * (`readySpareMask`): the next refinement grows its selection into it, instead of into fresh memory whose
   * first writes and reads cost 50–100 ms of page faults at 12 MP on this thread, just before its erase.
   */
  private spareMask: Uint8Array | null = null;
  /** A spare mask is being touched. */
  private spareMaking = false;
  /** The warm-up erase (see `warmUp`), which erases wait for. */
  private warming: Promise<void>;

  constructor() {
    this.useFieldWorkers(defaultFieldWorkers());
    // After this module's first task (Comlink listens by then), so that the page's first calls are not held up.
    this.warming = new Promise((resolve) => setTimeout(resolve, 0)).then(() => this.warmUp());
  }

  /**
   * One small erase of a made-up photo along the path a page's erase takes
   * (the photo in a kernel's memory, the field workers' structure step,
   * scans and rows), while the user picks a photo: the first real erase then
   * finds this worker's and the field workers' code compiled, with its type
   * feedback gathered, instead of running in V8's unoptimised tiers (the red
   * leaf's coarse fill in bench:web: 410 ms cold, 172 ms warm, in traces).
   * Before it, one tap-to-select on that photo with a small built-in engine
   * (its analysis, a preview, the full-resolution crop and its growing), for
   * the photo's own analysis and the first tap's refinement, which Enter
   * waits for.
   * The results are thrown away; a failure here is not the user's concern.
   */
  private async warmUp(): Promise<void> {
    const t0 = performance.now();
    const width = 320;
    const height = 240;
    const made = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = (y * width + x) * 4;
        // Gradients with some texture, and a dark band through the hole (a line for the structure step to continue).
        const band = Math.abs(y - 0.4 * x - 50) < 4;
        made[p] = band ? 30 : 90 + (x >> 2) + ((x * 13 + y * 7) % 23);
        made[p + 1] = band ? 30 : 110 + (y >> 1) + (((x * 5) ^ (y * 11)) & 15);
        made[p + 2] = band ? 40 : 70 + ((x + 2 * y) % 37);
        made[p + 3] = 255;
      }
    }
    const mask = new Uint8Array(this.fieldThreads ? new SharedArrayBuffer(width * height) : new ArrayBuffer(width * height));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) if (((x - 170) / 55) ** 2 + ((y - 120) / 38) ** 2 < 1) mask[y * width + x] = 1;
    }
    const image = { width, height, data: this.fieldThreads ? inSharedMemory(made) : made };
    const threads = this.fieldThreads;
    try {
      // A working copy a quarter of the photo's side: the refinement then upsamples by 4, as at 12 MP by 7.
      const segmenter = new BuiltinSegmenter({ workingSize: 80, superpixels: 120, warmUp: false });
      await segmenter.prepare(image);
      const preview = await segmenter.segmentPreview({ points: [{ x: 170, y: 120, label: 1 }] });
      growCropSelection(segmenter.refineBounded(preview), width, height);
      segmenter.close();
    } catch {
      // As below.
    }
    measure("select: warm-up", t0);
    try {
      await eraseWithReport(
        image,
        { width, height, data: mask },
        {
          inPlace: true,
          ...(threads && this.patchMatch
            ? { coarse: this.patchMatch, continueStructureOn: threads.continueStructureOn, upscale: threads.upscale }
            : {}),
        },
      );
    } catch {
      // Nothing was shown or changed: the real erase will report its own failure, if any.
    }
    measure("erase: warm-up", t0);
  }

  /** Field workers for the fill (0: the fill runs on this worker alone; the pixels are the same). */
  useFieldWorkers(count: number): void {
    this.fieldThreads?.close();
    this.fieldThreads = count > 0 ? new WebFieldThreads(count) : null;
    this.patchMatch = this.fieldThreads ? new PatchMatchCoarse({ threads: this.fieldThreads }) : null;
  }

  /**
   * Decodes a photo and makes it the one to work on. Resolves to a copy of
   * its pixels for the page (the worker keeps its own) and its view bitmaps.
   */
  async open(file: Blob, name: string, options: DecodeOptions = {}): Promise<{ photo: Photo; view: ImageBitmap[] }> {
    // The tap-to-select model loads while the photo decodes (reading, checking
    // and compiling happen off this thread); `prepare` picks it up and reports
    // its progress, or its failure.
    void this.selector
      .then((s) => s.load())
      .catch(() => undefined)
      .finally(() => {
        this.lastLoad = null;
      });
    const [{ photo, bitmap }, source] = await Promise.all([decodePhotoAndBitmap(file, name, options), readSource(file)]);
    // A JPEG's decoded bitmap (opaque, in the colour space its samples are shown in) is its view as it is.
    const decoded = photo.mime === "image/jpeg" && source.colorSpace === "srgb" ? bitmap : undefined;
    if (!decoded) bitmap.close();
    // With field workers this worker's copy lives in shared memory, so that they read and fill the photo itself.
    const own = this.fieldThreads ? inSharedMemory(photo.data) : new Uint8ClampedArray(photo.data);
    this.image = { width: photo.width, height: photo.height, data: own };
    this.source = source;
    (await this.composer).reset();
    const view = await makeViewBitmaps(photo.data, photo.width, photo.height, true, source.colorSpace, decoded);
    this.halved.keep(view, photo.width, photo.height);
    return Comlink.transfer({ photo, view }, [photo.data.buffer, ...view]);
  }

  /** Decodes an image (a mask to import) without keeping it. */
  async decode(file: Blob, name: string): Promise<Photo> {
    const photo = await decodePhoto(file, name);
    return Comlink.transfer(photo, [photo.data.buffer]);
  }

  /** Decodes the reference photo and keeps it for the next erases. */
  async openReference(file: Blob, name: string): Promise<void> {
    const r = await decodePhoto(file, name);
    this.reference = { width: r.width, height: r.height, data: r.data };
  }

  /** The current photo encoded as `mime` at full resolution. */
  async encodeCurrent(mime: string): Promise<Blob> {
    const image = this.current();
    return encodePhoto(image.width, image.height, image.data as Uint8ClampedArray, mime, this.source ?? undefined);
  }

  /** Encodes the given pixels as `mime`. */
  async encode(width: number, height: number, data: Uint8ClampedArray, mime: string): Promise<Blob> {
    return encodePhoto(width, height, data, mime);
  }

  /**
   * Tap-to-select with a SAM-family encoder and decoder (ONNX files the user
   * picked) instead of the built-in engine. Both are loaded and checked now;
   * the photo is prepared again with them on the next tap or `prepare`.
   */
  async useSam(encoder: Blob, encoderName: string, decoder: Blob, decoderName: string): Promise<void> {
    const models = {
      encoder: await loadRemoteModel(encoder, encoderName),
      decoder: await loadRemoteModel(exposeAllCandidates(new Uint8Array(await decoder.arrayBuffer())), decoderName),
    };
    try {
      // Checked now, so that a wrong file fails here and not at the next tap.
      checkSamEncoder(models.encoder, encoderName);
      checkSamDecoder(models.decoder, decoderName);
    } catch (err) {
      await Promise.all([models.encoder.close(), models.decoder.close()]);
      throw err;
    }
    const shared = new SharedSamModels(async (part) => models[part]);
    // The models dialog waits for the photo's preparation with these models: no built-in answers meanwhile.
    const next = new TapSelector(await Segmenter.create({ engine: "sam", loadSamModel: shared.loader(true) }), shared, false);
    (await this.selector).close();
    this.selector = Promise.resolve(next);
    this.composer = Promise.resolve(new SelectionComposer(next));
  }

  /**
   * The tap-to-select engine to use without model files of the user's:
   * "auto" (the bundled Segment Anything model, else the built-in engine),
   * "sam" (the bundled model or an error) or "builtin" (no download). Also
   * drops models the user picked.
   */
  async useDefaultSegmenter(engine: SegmentEngineName = this.tapEngine): Promise<void> {
    const previous = this.selector;
    this.tapEngine = engine;
    this.selector = this.defaultSelector();
    this.composer = this.selector.then((s) => new SelectionComposer(s));
    (await previous).close();
  }

  /**
   * Holds Segment Anything's loading (its file read and checksum, and its
   * sessions' compilation: seconds of CPU) until `releaseSamStart`:
   * Suggestions pressed while a photo opens go first.
   */
  holdSamStart(): void {
    this.samHold ??= new Promise<void>((resolve) => {
      this.releaseSamHold = resolve;
    });
  }

  releaseSamStart(): void {
    this.releaseSamHold();
    this.samHold = null;
  }

  private async defaultSelector(): Promise<TapSelector> {
    if (this.tapEngine === "builtin") return new TapSelector(await Segmenter.create({ engine: "builtin" }), null);
    const shared = new SharedSamModels(
      bundledSamLoader(
        (p) => {
          this.lastLoad = p;
          this.loadProgress?.(p);
        },
        () => this.samHold ?? Promise.resolve(),
      ),
    );
    const segmenter = await Segmenter.create({
      engine: this.tapEngine,
      loadSamModel: shared.loader(true),
      onWarning: (message) => {
        this.warning = message;
      },
    });
    return new TapSelector(segmenter, shared);
  }

  /** Fills with the user's inpainting network (LaMa, MI-GAN style ONNX) as the coarse stage; null goes back to PatchMatch. */
  async useInpainter(file: Blob | null, name = "network"): Promise<void> {
    const previous = this.coarse;
    this.coarse = file ? new NetworkCoarse(await loadWebModel(file, name), { name }) : null;
    if (previous) await previous.close();
  }

  /** The photo to work on (a copy stays here; the caller keeps its own). */
  async setImage(width: number, height: number, data: Uint8ClampedArray): Promise<void> {
    // In shared memory, as an opened photo (see `open`): the next fill reads and fills it in place, and its
    // result goes to the page without a copy (the erase after an Undo copied 48 MB for the page: 145–173 ms).
    const image = { width, height, data: this.fieldThreads ? inSharedMemory(data) : data };
    this.image = image;
    this.halved.drop();
    // The halving the next erase patches, made now instead of by that erase (a 12 MP photo's whole view:
    // 102–121 ms after an Undo, against 42 ms for a patch).
    this.halving = this.keepHalving(image);
    (await this.composer).reset();
  }

  /** Makes and keeps the halved view of `image` (see `setImage`), unless another photo came meanwhile. */
  private async keepHalving(image: RgbaImage): Promise<void> {
    try {
      const view = await makeViewBitmaps(image.data as Uint8ClampedArray, image.width, image.height, false, this.colorSpace());
      if (this.image === image) this.halved.keep(view, image.width, image.height);
      for (const b of view) b.close();
    } catch {
      // The next erase makes the whole view instead.
    }
  }

  clearReference(): void {
    this.reference = null;
  }

  /**
   * Prepares tap-to-select for the current photo (once per photo): on the
   * first photo this loads the bundled model (progress through
   * `onProgress`), then it encodes the photo, so that taps only decode.
   */
  async prepare(onProgress?: (p: PrepareProgress) => void): Promise<PrepareResult> {
    const t0 = performance.now();
    const image = this.current();
    const selector = await this.selector;
    // The built-in engine starts on the photo now, to answer taps while Segment Anything gets ready.
    selector.startInterim(image);
    let filesChecked = () => {};
    const checked = new Promise<void>((resolve) => {
      filesChecked = resolve;
    });
    this.loadProgress = (p) => {
      onProgress?.(p);
      if (p.stage === "start") filesChecked();
    };
    // A load under way (started by `open`) shows where it is at once.
    if (this.lastLoad) this.loadProgress(this.lastLoad);
    const loading = selector.load().finally(() => {
      this.loadProgress = null;
      this.lastLoad = null;
    });
    // The download shows as a progress bar and a bad file falls back at once; the
    // sessions' start is not waited for (the built-in engine answers meanwhile).
    await Promise.race([loading, checked]);
    loading.catch(() => undefined);
    onProgress?.({ stage: "analyse" });
    await selector.prepare(image);
    if (selector.takeOver(image)) (await this.composer).reset();
    // Taps come next, and with them a refinement to grow.
    this.readySpareMask();
    return this.prepared(t0, selector);
  }

  private prepared(t0: number, selector: TapSelector): PrepareResult {
    const result: PrepareResult = { ms: performance.now() - t0, engine: selector.engine, answering: selector.answering };
    if (this.warning) result.warning = this.warning;
    this.warning = null;
    return result;
  }

  /**
   * Resolves once the engine in use has prepared the current photo: after
   * `prepare`, Segment Anything may still be loading or encoding it while
   * the built-in engine answers taps; from then on Segment Anything answers
   * them (`ms`: since this call).
   */
  async samPrepared(): Promise<PrepareResult> {
    const t0 = performance.now();
    const image = this.current();
    const selector = await this.selector;
    await selector.samPrepared(image);
    if (selector.takeOver(image)) (await this.composer).reset();
    return this.prepared(t0, selector);
  }

  /**
   * Selects from the user's taps and boxes (see selection-compose.ts). Answers
   * fast with a preview at the segmenter's working resolution (grown by the
   * same amount, in its pixels); `refine` with the same prompt then gives the
   * full-resolution mask.
   */
  async select(prompt: SelectionPrompt): Promise<SelectResult> {
    const t0 = performance.now();
    const image = this.current();
    const selector = await this.selector;
    await selector.prepare(image);
    if (selector.takeOver(image)) (await this.composer).reset();
    const engine = selector.answering;
    const tp = performance.now();
    const preview = await (await this.composer).preview(prompt);
    measure("select: preview", tp);
    const tg = performance.now();
    const grow = defaultGrow(image.width, image.height) / preview.scale;
    const grown = removalMask(preview.mask, { grow, feather: 0 }).mask.data;
    measure("select: grow", tg);
    const { width, height } = preview.mask;
    const empty = preview.mask.data.indexOf(1) < 0;
    const isPreview = width !== image.width || height !== image.height;
    // The page asks for every preview's full-resolution mask as soon as it has the preview (`refine`): started
    // here, just after this answer is posted, it does not wait for the answer's round trip through the page.
    if (isPreview) setTimeout(() => this.refineEarly(image, prompt), 0);
    return this.selectResult({
      mask: grown,
      width,
      height,
      score: preview.score,
      ms: performance.now() - t0,
      empty,
      preview: isPreview,
      engine,
    });
  }

  /**
   * Adds the overlay's copy of a large mask and its overlay bitmap (made
   * here, so the page's thread neither samples 12 MB nor fills 11 MB of
   * overlay pixels) and transfers the buffers. `bounds`: a box of the mask
   * outside which it is all 0 (a refined selection's), the only part sampled.
   */
  private async selectResult(result: SelectResult, bounds?: Rect): Promise<SelectResult> {
    const image = this.current();
    const grid = overlaySize(image.width, image.height);
    if (result.width > grid.width || result.height > grid.height) {
      const data = sampleNearest(result.mask, result.width, result.height, grid.width, grid.height, bounds);
      // The bitmap covers the grid's cells that sample the selection's box (at least one, as a bitmap needs one).
      const box = bounds ? gridBox(result.width, result.height, grid.width, grid.height, bounds) : { x: 0, y: 0, ...grid };
      if (box.width === 0 || box.height === 0) Object.assign(box, { x: 0, y: 0, width: 1, height: 1 });
      const overlay = new ImageData(selectionOverlay(data, grid.width, grid.height, box), box.width, box.height);
      const bitmap = await createImageBitmap(overlay);
      result.display = { ...grid, data, bitmap, bitmapAt: { x: box.x, y: box.y } };
      return Comlink.transfer(result, [...movable(result.mask), data.buffer, bitmap]);
    }
    // A preview (no larger than the grid) is shown at its own size: its overlay is drawn here too, over the box
    // of its selected pixels, so the page neither fills nor puts a preview-sized image on its thread (Segment
    // Anything's 1060×708 preview cost the page a 35 ms CPU task).
    const box = result.preview && !result.empty ? holeBounds(result.mask, result.width, result.height) : null;
    if (box) {
      const overlay = new ImageData(selectionOverlay(result.mask, result.width, result.height, box), box.width, box.height);
      const bitmap = await createImageBitmap(overlay);
      result.display = { width: result.width, height: result.height, data: result.mask, bitmap, bitmapAt: { x: box.x, y: box.y } };
      return Comlink.transfer(result, [...movable(result.mask), bitmap]);
    }
    return Comlink.transfer(result, movable(result.mask));
  }

  /** The full-resolution removal mask of a prompt `select` previewed. */
  async refine(prompt: SelectionPrompt): Promise<SelectResult> {
    const t0 = performance.now();
    const image = this.current();
    const selector = await this.selector;
    // The refinement `select` started for this preview, unless another `refine` had it already.
    const known = this.refinementOf(image, prompt);
    const refinement = known && !known.refined ? known : this.startRefinement(image, prompt);
    refinement.refined = true;
    const { mask, empty, bounds } = await refinement.mask;
    // A moment before the overlay (the 12 MP mask sampled, a bitmap: 30-120 ms of this thread, while the page
    // shows the preview's): an Enter meanwhile takes the refinement up and its erase starts at once, instead of
    // after the overlay (with the refinement started with the preview, the mask is often ready before Enter).
    // An erase taking the refinement up, or the page waiting for it (`overlayNow`), ends the pause.
    if (!refinement.erase) await this.overlayPause(refinement, OVERLAY_PAUSE_MS);
    // An erase that asked for this mask goes first: the overlay is only seen again after an Undo, so it is
    // drawn once the erased photo is on its way to the page.
    if (refinement.erase) {
      await refinement.erase.catch(() => undefined);
      // Later still: the page shows the erased photo first, without the overlay's 12 MP sampling and bitmap
      // competing with it for the cores (right after the answer it added 80-100 ms there in the profiles).
      // The page cuts the wait short (`overlayNow`) when it needs the refinement sooner: an Undo and Enter.
      await this.overlayPause(null, OVERLAY_AFTER_ERASE_MS);
    }
    const t2 = performance.now();
    const result = await this.selectResult(
      {
        mask,
        width: image.width,
        height: image.height,
        score: 1,
        ms: performance.now() - t0,
        empty,
        preview: false,
        engine: selector.answering,
      },
      bounds,
    );
    measure("refine: overlay", t2);
    return result;
  }

  /** Draws a refinement's overlay that waits (see `refine`) now: the page is waiting for that refinement. */
  overlayNow(): void {
    if (this.overlayWait) this.overlayWait();
    // Asked before the refinement reached its pause (its mask still being made): no pause then.
    else this.overlayWanted = true;
  }

  /** Waits `ms` before a refinement's overlay; `overlayNow`, or an erase taking `refinement` up, ends it sooner. */
  private overlayPause(refinement: Refinement | null, ms: number): Promise<void> {
    if (this.overlayWanted) {
      this.overlayWanted = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.overlayWait === done) this.overlayWait = null;
        if (refinement?.wake === done) refinement.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.overlayWait = done;
      if (refinement) refinement.wake = done;
    });
  }

  /** Starts the refinement of a preview just answered, unless the photo changed or it is under way already. */
  private refineEarly(image: RgbaImage, prompt: SelectionPrompt): void {
    if (this.image !== image || this.refinementOf(image, prompt)) return;
    this.startRefinement(image, prompt);
    performance.mark(REFINED_EARLY);
  }

  /** The refinement under way for `prompt` on `image`, if the last one started is it. */
  private refinementOf(image: RgbaImage, prompt: SelectionPrompt): Refinement | null {
    const known = this.refinement;
    return known && known.image === image && known.key === JSON.stringify(prompt) ? known : null;
  }

  /**
   * Starts the full-resolution removal mask of `prompt` on `image` (kept, for
   * `refine` and `eraseSelection` to take it up while it is made).
   */
  private startRefinement(image: RgbaImage, prompt: SelectionPrompt): Refinement {
    const refinement: Refinement = {
      image,
      key: JSON.stringify(prompt),
      mask: this.fullRemovalMask(image, prompt),
      erase: null,
      refined: false,
      wake: null,
    };
    this.refinement = refinement;
    refinement.mask.catch(() => {
      if (this.refinement === refinement) this.refinement = null;
    });
    return refinement;
  }

  private async fullRemovalMask(image: RgbaImage, prompt: SelectionPrompt): Promise<FullSelection> {
    const t0 = performance.now();
    const selector = await this.selector;
    await selector.prepare(image);
    const full = await (await this.composer).full(prompt);
    measure("refine: full-resolution selection", t0);
    // A tap made meanwhile is answered before the growing step (its preview is what the user waits for).
    await new Promise((resolve) => setTimeout(resolve, 0));
    const t1 = performance.now();
    // Grown straight into shared memory where there is any: the page then sends it back to erase without
    // copying it on its thread, the field workers read it as it is, and `eraseSelection` hands it to the page
    // with its result while `refine` does too. (No alpha: the overlay is drawn from the mask.)
    // From the selection's crop (an object's neighbourhood): the photo-sized plane is only written where it grows.
    const { width, height } = image;
    const grow = defaultGrow(width, height);
    const spare = this.spareMask?.length === width * height ? this.spareMask : null;
    this.spareMask = null;
    const out = spare ?? (canShare() ? new Uint8Array(new SharedArrayBuffer(width * height)) : undefined);
    const grown = growCropSelection(full, width, height, grow, out);
    measure(spare ? "refine: grow (into a touched mask)" : "refine: grow", t1);
    // The box the grown selection lies in (the crop, grown with it): the overlay samples only that.
    const m = Math.ceil(grow) + 1;
    const x0 = Math.max(0, full.x0 - m);
    const y0 = Math.max(0, full.y0 - m);
    const bounds = {
      x: x0,
      y: y0,
      width: Math.min(width, full.x0 + full.width + m) - x0,
      height: Math.min(height, full.y0 + full.height + m) - y0,
    };
    return { mask: grown, empty: full.data.indexOf(1) < 0, bounds };
  }

  /**
   * Erases the full-resolution selection of `prompt` (what `refine` gives)
   * without its round trip through the page: Enter pressed while the
   * selection is still being refined starts the erase as soon as the mask is
   * grown, before the refinement's overlay. The refinement under way for this
   * photo and prompt is taken up; without one (after a restart) the mask is
   * made here. Resolves to the erase's result and the mask erased (shared
   * memory, also in `refine`'s answer); needs shared memory.
   */
  async eraseSelection(prompt: SelectionPrompt, seed: number, onProgress?: (fraction: number) => void, variant = 0): Promise<EraseResult> {
    if (!canShare()) throw new Error("Erasing a selection being refined needs shared memory (cross-origin isolation).");
    const image = this.current();
    const refinement = this.refinementOf(image, prompt) ?? this.startRefinement(image, prompt);
    const erased = (async () => {
      const { mask } = await refinement.mask;
      const result = await this.erase(mask, seed, onProgress, variant);
      // The same object: it carries `erase`'s list of buffers to transfer.
      result.mask = mask;
      return result;
    })();
    refinement.erase = erased;
    refinement.wake?.();
    return erased;
  }

  /** Erases the masked pixels of the current photo; the result becomes the current photo. */
  /** `variant` picks one of the fills "Try another" cycles through (0: the default fill). */
  async erase(mask: Uint8Array, seed: number, onProgress?: (fraction: number) => void, variant = 0): Promise<EraseResult> {
    this.erasing++;
    try {
      await this.warming;
      return await this.eraseNow(mask, seed, onProgress, variant);
    } finally {
      this.erasing--;
    }
  }

  private async eraseNow(
    mask: Uint8Array,
    seed: number,
    onProgress: ((fraction: number) => void) | undefined,
    variant: number,
  ): Promise<EraseResult> {
    // The fill writes in place: never into pixels the page holds.
    this.ownPixels();
    const image = this.current();
    const t0 = performance.now();
    // Each report re-renders the page: a few per second are enough for a progress bar.
    let reported = Number.NEGATIVE_INFINITY;
    let report: Awaited<ReturnType<typeof eraseWithReport>>;
    // The hole's bounds, as the upscaling (which every non-empty fill ends with) sees them: no scan of the mask here.
    let changed: Rect | null = null;
    const upscale = this.fieldThreads?.upscale ?? (async (input: UpscaleInput, out: Uint8ClampedArray) => upscaleInto(input, out));
    try {
      report = await eraseWithReport(
        image,
        { width: image.width, height: image.height, data: this.fieldThreads ? this.sharedMask(mask) : mask },
        {
          ...VARIANTS[variant % VARIANTS.length],
          seed,
          // Into this worker's own copy: no 48 MB copy of a 12 MP photo (the page gets its pixels below).
          inPlace: true,
          ...(this.reference ? { reference: this.reference } : {}),
          ...(this.coarse ? { coarse: this.coarse } : this.patchMatch ? { coarse: this.patchMatch } : {}),
          ...(this.fieldThreads ? { continueStructureOn: this.fieldThreads.continueStructureOn } : {}),
          ...(this.fieldThreads && this.reference ? { detectFeaturesOn: this.fieldThreads.detectFeaturesOn } : {}),
          upscale: (input, out) => {
            const { crop, holeRect: r } = input;
            changed = { x: crop.x + r.x, y: crop.y + r.y, width: r.width, height: r.height };
            return upscale(input, out);
          },
          // The fill is one synchronous run: progress messages queue up and are seen by the page as they are posted.
          ...(onProgress
            ? {
                onProgress: (f: number) => {
                  const now = performance.now();
                  if (now - reported < 150 && f < 1) return;
                  reported = now;
                  void onProgress(f);
                },
              }
            : {}),
        },
      );
    } catch (err) {
      // A VanishError comes from the checks before the fill writes anything; after
      // any other failure the pixels may be half filled: the page sends its own again.
      if (!(err instanceof VanishError)) {
        this.image = null;
        this.halved.drop();
      }
      throw err;
    }
    // The fill's stages as user timing (seen in a trace: scripts/profile-web.mjs), one after the other from t0.
    let at = t0;
    for (const [stage, ms] of Object.entries(report.timings)) {
      if (stage === "totalMs" || ms <= 0) continue;
      performance.measure(`erase: ${stage.replace(/Ms$/, "")}`, { start: at, duration: ms });
      at += ms;
    }
    // A new object: whatever was prepared on the photo before the erase is prepared again.
    this.image = { width: image.width, height: image.height, data: report.image.data };
    (await this.composer).reset();
    let t1 = performance.now();
    // Pixels in shared memory go to the page as they are (no copy before the result shows); this worker
    // takes a copy of its own for the next erase just after the result is on its way (`ownPixels`).
    const handOver = report.image.data.buffer instanceof SharedArrayBuffer;
    const data = handOver ? report.image.data : new Uint8ClampedArray(report.image.data);
    if (handOver) {
      this.handedOver = this.image;
      // Not at once: the 48 MB copy would share the cores with the page showing the result (the next erase
      // makes it first if it comes sooner).
      setTimeout(() => {
        this.ownPixels();
        // The next object's refinement (the erase took the spare mask, or left it).
        this.readySpareMask();
      }, OWN_PIXELS_DELAY_MS);
    }
    measure("erase: pixels for the page", t1);
    const ms = performance.now() - t0;
    t1 = performance.now();
    // The halved copies only: the result shows sooner; `fullView` gives the full-resolution bitmap after.
    // Pixels outside the mask are untouched, so only the mask's rectangle is halved again: the one the upscaling
    // filled, or with a reference photo (which restores pixels the upscaling never sees) the mask's own bounds.
    const bounds = this.reference ? holeStats(mask, image.width, image.height).bounds : changed;
    await this.halving;
    let view = bounds ? await this.halved.patch(report.image.data, image.width, image.height, bounds, this.colorSpace()) : null;
    if (!view) {
      view = await makeViewBitmaps(report.image.data, image.width, image.height, false, this.colorSpace());
      this.halved.keep(view, image.width, image.height);
    }
    measure("erase: view", t1);
    const result: EraseResult = { data, view, holePixels: report.holePixels, ms };
    if (report.reference) {
      result.referenceUsed = report.reference.used;
      result.referenceNotes = report.reference.notes;
    }
    return Comlink.transfer(result, handOver ? view : [data.buffer, ...view]);
  }

  /**
   * The full-resolution bitmap of the current photo (see `erase`), made
   * `afterMs` from now; null when the photo changed or an erase started meanwhile.
   */
  async fullView(afterMs = 0): Promise<ImageBitmap | null> {
    const image = this.current();
    if (afterMs > 0) await new Promise((resolve) => setTimeout(resolve, afterMs));
    // An erase under way writes the photo in place; its result comes with its own view.
    if (this.image !== image || this.erasing > 0) return null;
    // Only the full-resolution bitmap: the page has the halvings (making them again cost as much as it, and they leaked).
    const full = await makeFullBitmap(image.data as Uint8ClampedArray, image.width, image.height, this.colorSpace());
    return Comlink.transfer(full, [full]);
  }

  /** View bitmaps of some pixels (the page's thread stays free while they are made). */
  async view(width: number, height: number, data: Uint8ClampedArray): Promise<ImageBitmap[]> {
    const levels = await makeViewBitmaps(data, width, height, true, this.colorSpace());
    return Comlink.transfer(levels, levels);
  }

  /**
   * Gives the photo handed to the page with the last erase (shared memory,
   * which the page's history now holds too) a copy of its own, so that the
   * next erase, which fills in place, cannot change the page's pixels. The
   * same image object keeps its preparations (the pixels are equal). None
   * when the page has sent another photo since (an Undo): only the current
   * photo is ever filled.
   */
  private ownPixels(): void {
    const image = this.handedOver;
    this.handedOver = null;
    if (image && image === this.image) (image as { data: Uint8ClampedArray }).data = inSharedMemory(image.data as Uint8ClampedArray);
  }

  /**
   * Has a field worker touch a new spare mask of the current photo's size (see `spareMask`), unless one is
   * kept or being made. Only between erases: the fill's scans would wait behind the touching.
   */
  private readySpareMask(): void {
    const threads = this.fieldThreads;
    const image = this.image;
    if (!threads || !image || this.spareMaking || this.erasing > 0) return;
    const n = image.width * image.height;
    if (this.spareMask?.length === n) return;
    const buffer = new SharedArrayBuffer(n);
    this.spareMaking = true;
    threads
      .touch(buffer)
      .then(() => {
        if (this.image && this.image.width * this.image.height === n) this.spareMask = new Uint8Array(buffer);
      })
      .catch(() => undefined)
      .finally(() => {
        this.spareMaking = false;
      });
  }

  /**
   * `mask` in shared memory for the field workers: as it is when it already is there (a refined selection,
   * which nobody writes again), else copied into a shared buffer kept for the next erases.
   */
  private sharedMask(mask: Uint8Array): Uint8Array {
    if (mask.buffer instanceof SharedArrayBuffer) return mask;
    if (this.maskBuffer?.length !== mask.length) this.maskBuffer = new Uint8Array(new SharedArrayBuffer(mask.length));
    this.maskBuffer.set(mask);
    return this.maskBuffer;
  }

  private colorSpace(): PredefinedColorSpace {
    return this.source?.colorSpace ?? "srgb";
  }

  private current(): RgbaImage {
    if (!this.image) throw new Error("No photo is open.");
    return this.image;
  }
}

/** How long after an erase its result's pixels wait for this worker's own copy (see `ownPixels`). */
const OWN_PIXELS_DELAY_MS = 400;

/** How long after an erase that took up a refinement its overlay waits (it is only seen after an Undo). */
const OVERLAY_AFTER_ERASE_MS = 300;

/** How long a refinement's overlay waits for an Enter to take the refinement up first (the preview's overlay shows meanwhile). */
const OVERLAY_PAUSE_MS = 150;

/** A full-resolution removal mask being made for a prompt on a photo, and the erase waiting for it, if any. */
interface Refinement {
  image: RgbaImage;
  /** The prompt, as JSON. */
  key: string;
  mask: Promise<FullSelection>;
  erase: Promise<unknown> | null;
  /** Whether a `refine` call has taken it (a later one, e.g. after an erase, starts its own). */
  refined: boolean;
  /** Ends `refine`'s pause before its overlay, while it waits (an erase took the refinement up). */
  wake: (() => void) | null;
}

/** A refinement's grown full-resolution mask; `bounds`: the box outside which it is all 0. */
interface FullSelection {
  mask: Uint8Array;
  empty: boolean;
  bounds: Rect;
}

/** User timing mark: a refinement started by `select` itself, before the page asked for it. */
const REFINED_EARLY = "refine: started with the preview";

/** Whether shared memory can be made here (a cross-origin isolated page). */
function canShare(): boolean {
  return typeof SharedArrayBuffer === "function" && self.crossOriginIsolated === true;
}

/** The buffer of `a` to transfer: none when it is shared memory (shared, not moved). */
function movable(a: Uint8Array): ArrayBuffer[] {
  return a.buffer instanceof SharedArrayBuffer ? [] : [a.buffer as ArrayBuffer];
}

/** A user timing measure from `start` to now (for traces; cheap). */
function measure(name: string, start: number): void {
  performance.measure(name, { start, end: performance.now() });
}

/**
 * A copy of `data` (a photo's RGBA) in shared memory: a WebAssembly memory
 * with room for an upscaling's data after it, so that the upscaling's kernel
 * reads and fills the photo in place (no 5 bytes a crop pixel copied into
 * fresh memory, whose page faults cost more than the rows here), where the
 * runtime has one.
 */
function inSharedMemory(data: Uint8ClampedArray): Uint8ClampedArray {
  const out =
    pixelsWithUpscaleRoom(data.length, data.length / 4 + UPSCALE_ROOM) ?? new Uint8ClampedArray(new SharedArrayBuffer(data.length));
  out.set(data);
  return out;
}

/** Room for an upscaling's fill, axis tables and attention at the default working size (the hole plane is the photo's W·H). */
const UPSCALE_ROOM = 8 << 20;

export type EngineApi = Engine;

Comlink.expose(new Engine());
