/**
 * Tap-to-select in two steps for the app: a preview to show at once, then
 * the full-resolution mask to erase with.
 *
 * The built-in engine has its own preview (its working resolution). Segment
 * Anything's answer is a full-resolution mask whose edges are snapped to the
 * photo's, which at 12 MP costs far more than the decoder itself; so the
 * preview comes from a second SAM engine that works on the photo shrunk by a
 * whole factor (to at most PREVIEW_LONG_SIDE px) and shares the first one's
 * models and embedding: the encoder runs once per photo, on the full photo
 * (as in Node), and each tap runs the decoder on the small copy for the
 * preview, then again on the full photo for the mask that is erased.
 *
 * The encoder runs in the model worker (remote-model.ts) for seconds; until
 * it is done with the photo, taps are answered by the built-in engine
 * (prepared on the same photo meanwhile, in about a second), and then
 * Segment Anything takes over (`takeOver`).
 */
import { boxReduce } from "../../src/core/box-reduce.js";
import {
  AutoSegmenter,
  type CropMask,
  type InferenceModel,
  type RgbaImage,
  type SamModelLoader,
  SamSegmenter,
  Segmenter,
  type SegmentPreview,
  type SegmentPrompt,
  type TensorData,
  warmUpSamDecoder,
} from "../../src/index.js";

/** SAM previews are made on a copy of the photo at most this long (a whole-factor box reduction). */
export const PREVIEW_LONG_SIDE = 1280;

/**
 * Decodes before the first tap. V8 in Chromium optimised the decoder's
 * WebAssembly only after about five runs in a fresh page, however long the
 * pause after the first (bench-sam-decoder-web.mjs with SAM_DECODER_PAUSE_MS):
 * one warm-up left the first page's first tap at 380–900 ms of preview.
 */
const WARM_UP_DECODES = 4;

/**
 * The decoder, once it has run WARM_UP_DECODES times on an empty embedding
 * (`warmUpSamDecoder`): its load resolves before the encoder's first run, so
 * this happens while the photo decodes, and the first tap finds the
 * decoder's WebAssembly optimised (bench:web previews: 201–903 ms, median
 * ~350, before; 193–356 ms after). It costs Segment Anything's answering about
 * a second after a photo opens (the built-in engine answers meanwhile). A
 * failed warm-up is not the user's concern: the first tap says what is
 * wrong, if anything is.
 */
async function warmedUp(decoder: InferenceModel): Promise<InferenceModel> {
  await warmUpSamDecoder(decoder, WARM_UP_DECODES).catch(() => undefined);
  return decoder;
}

/**
 * One loader for two SAM engines: each part is loaded once and shared, and
 * the encoder's answer for a photo is kept, so the second engine's `prepare`
 * of the same photo (`photo`, set by the caller) costs no second encoding.
 * Only the owner's models close the sessions.
 */
export class SharedSamModels {
  /** The photo the next encoder run is for. */
  photo: object | null = null;
  private readonly parts = new Map<string, Promise<InferenceModel>>();
  private embedding: { photo: object; out: Promise<Record<string, TensorData>> } | null = null;

  constructor(private readonly load: SamModelLoader) {}

  /** The loader for the engine that owns the sessions (`owner`) or for one that borrows them. */
  loader(owner: boolean): SamModelLoader {
    return async (part) => {
      let model = this.parts.get(part);
      if (!model) {
        model = this.load(part).then((m) => (part === "encoder" ? this.remembering(m) : warmedUp(m)));
        this.parts.set(part, model);
        model.catch(() => this.parts.delete(part));
      }
      const m = await model;
      if (owner) {
        return {
          inputs: m.inputs,
          outputs: m.outputs,
          run: (feeds, fetch) => m.run(feeds, fetch),
          close: async () => {
            this.parts.delete(part);
            this.embedding = null;
            await m.close();
          },
        };
      }
      return { inputs: m.inputs, outputs: m.outputs, run: (feeds, fetch) => m.run(feeds, fetch), close: async () => {} };
    };
  }

  private remembering(m: InferenceModel): InferenceModel {
    return {
      inputs: m.inputs,
      outputs: m.outputs,
      run: (feeds, fetch) => {
        const photo = this.photo;
        if (photo && this.embedding?.photo === photo) return this.embedding.out;
        const out = m.run(feeds, fetch);
        if (photo) {
          const kept = { photo, out };
          this.embedding = kept;
          out.catch(() => {
            if (this.embedding === kept) this.embedding = null;
          });
        }
        return out;
      },
      close: () => m.close(),
    };
  }
}

/** The built-in engine that answers taps while Segment Anything encodes the photo. */
interface Interim {
  image: RgbaImage;
  segmenter: Segmenter;
  prepared: Promise<void>;
}

/** Segment Anything's preparation of one photo (the encoder, then the preview engine). */
interface SamPreparation {
  image: RgbaImage;
  done: Promise<void>;
  /** Set once `done` has resolved. */
  ready: boolean;
}

/** The preview engine's state for one photo. */
interface Quick {
  image: RgbaImage;
  engine: SamSegmenter;
  /** Full-resolution pixels per preview pixel. */
  factor: number;
  prepared: Promise<void>;
}

/**
 * What the selection composer asks for: `preview` (fast, any resolution that
 * covers the photo) and `full` (the photo's resolution) of a prompt.
 */
export class TapSelector {
  private quick: Quick | null = null;
  private sam: SamPreparation | null = null;
  private interim: Interim | null = null;
  /** Previews the interim engine made (their refinement is its own). */
  private readonly interimPreviews = new WeakSet<SegmentPreview>();
  /** The preview engine's decoder answer behind each of its previews (see `full`). */
  private readonly quickDecodes = new WeakMap<SegmentPreview, { logits: Float32Array; frameScale: number; factor: number }>();

  constructor(
    readonly segmenter: Segmenter,
    /** The SAM models the segmenter uses when it is (or may become) Segment Anything; null: no quick previews. */
    private readonly shared: SharedSamModels | null,
    /** Whether the built-in engine answers taps while Segment Anything prepares a photo. */
    private readonly interimTaps = true,
  ) {}

  /** The engine in use ("sam", "builtin"). */
  get engine(): string {
    return this.segmenter.engine.name;
  }

  /** The engine answering taps now: the built-in one while Segment Anything is still encoding the photo. */
  get answering(): string {
    return this.interim ? "builtin" : this.engine;
  }

  /** The Segment Anything engine the segmenter uses (null: another engine, or not decided yet). */
  private samEngine(): SamSegmenter | null {
    const e = this.segmenter.engine;
    if (e instanceof SamSegmenter) return e;
    return e instanceof AutoSegmenter ? e.samInUse : null;
  }

  private usesSam(): boolean {
    const e = this.segmenter.engine;
    return e instanceof SamSegmenter || (e instanceof AutoSegmenter && e.name === "sam");
  }

  /** Loads the engine's models, if it has any (for "auto": decides between SAM and the built-in engine). */
  async load(): Promise<void> {
    const e = this.segmenter.engine;
    if (e instanceof AutoSegmenter) await e.resolve();
    else if (e instanceof SamSegmenter) await e.load();
  }

  /**
   * Starts preparing the built-in engine on the photo, to answer taps until
   * Segment Anything is ready (see `prepare`), unless Segment Anything is
   * ready already or cannot be the engine.
   */
  startInterim(image: RgbaImage): void {
    if (!this.shared || !this.interimTaps || this.sam?.ready || this.interim?.image === image) return;
    const e = this.segmenter.engine;
    if (e instanceof AutoSegmenter && e.name === "builtin") return;
    this.interim?.segmenter.close();
    const segmenter = new Segmenter(Segmenter.engineFor({ engine: "builtin" }));
    this.interim = { image, segmenter, prepared: segmenter.prepare(image) };
  }

  /**
   * Prepares the photo for taps: resolves once some engine can answer them.
   * For Segment Anything that is the built-in engine (`startInterim`), unless
   * the encoding is already done (see `takeOver`); `samPrepared` waits for
   * Segment Anything.
   */
  async prepare(image: RgbaImage): Promise<void> {
    const sam = this.samPreparation(image);
    if (sam.ready) return;
    this.startInterim(image);
    const interim = this.interim;
    if (!interim) return sam.done;
    // Whichever is ready first; a failed encoding still fails the call.
    await Promise.race([sam.done, interim.prepared]);
  }

  /** Resolves once Segment Anything (or the engine in use, if it is not SAM) has prepared the photo. */
  samPrepared(image: RgbaImage): Promise<void> {
    return this.samPreparation(image).done;
  }

  /**
   * Lets Segment Anything answer the next taps once it has prepared
   * `image`. True when it took over from the built-in engine: previews
   * kept from before are the built-in engine's.
   */
  takeOver(image: RgbaImage): boolean {
    if (!this.interim || this.sam?.image !== image || !this.sam.ready) return false;
    this.interim.segmenter.close();
    this.interim = null;
    return true;
  }

  private samPreparation(image: RgbaImage): SamPreparation {
    if (this.sam?.image === image) return this.sam;
    const sam: SamPreparation = { image, ready: false, done: this.prepareSam(image) };
    sam.done.then(
      () => {
        sam.ready = true;
      },
      () => {
        if (this.sam === sam) this.sam = null;
      },
    );
    this.sam = sam;
    return sam;
  }

  /** Prepares the photo: the segmenter (for SAM: the encoder), then the preview engine on the shrunk copy. */
  private async prepareSam(image: RgbaImage): Promise<void> {
    if (this.shared) this.shared.photo = image;
    await this.segmenter.prepare(image);
    if (!this.shared || !this.usesSam()) return;
    const factor = Math.ceil(Math.max(image.width, image.height) / PREVIEW_LONG_SIDE);
    if (factor < 2) {
      this.quick = null;
      return;
    }
    if (this.quick?.image === image) return this.quick.prepared;
    const small = boxReduce(image, factor);
    const engine = this.quick?.engine ?? new SamSegmenter(this.shared.loader(false));
    const shared = this.shared;
    const quick: Quick = {
      image,
      engine,
      factor,
      prepared: (async () => {
        // The embedding is the full photo's (kept from the segmenter's encoding).
        shared.photo = image;
        await engine.prepare(small);
      })(),
    };
    this.quick = quick;
    await quick.prepared;
  }

  async preview(prompt: SegmentPrompt): Promise<SegmentPreview> {
    const interim = this.interim;
    if (interim) {
      await interim.prepared;
      const preview = await interim.segmenter.preview(prompt);
      this.interimPreviews.add(preview);
      return preview;
    }
    const quick = this.quick;
    if (!quick || !this.usesSam()) return this.segmenter.preview(prompt);
    await quick.prepared;
    const f = quick.factor;
    const small = quick.engine;
    const scaled: SegmentPrompt = {
      ...(prompt.points ? { points: prompt.points.map((p) => ({ ...p, x: p.x / f, y: p.y / f })) } : {}),
      ...(prompt.box ? { box: { x0: prompt.box.x0 / f, y0: prompt.box.y0 / f, x1: prompt.box.x1 / f, y1: prompt.box.y1 / f } } : {}),
    };
    const answer = await small.segment(scaled);
    const preview: SegmentPreview = { mask: answer.mask, score: answer.score, scale: f, points: prompt.points ?? [] };
    // Its decoder's answer gives the full mask too (`full`): the decoder, the slowest part of a tap, runs once.
    const decoded = small.decodedOf(answer);
    if (decoded) this.quickDecodes.set(preview, { ...decoded, factor: f });
    return preview;
  }

  /**
   * The full-resolution mask of `prompt`, whose preview is `preview`, as a crop that holds every selected
   * pixel: the built-in engine's covers the object's neighbourhood, Segment Anything's the whole photo.
   */
  async full(preview: SegmentPreview, prompt: SegmentPrompt): Promise<CropMask> {
    if (this.interimPreviews.has(preview)) {
      // Segment Anything may have taken over since; then its own mask, as the next tap would get.
      if (this.interim) return this.interim.segmenter.refineBounded(preview);
      return (await this.segmenter.segmentBounded(prompt)).mask;
    }
    if (preview.scale === 1 || !this.quick || !this.usesSam()) return this.segmenter.refineBounded(preview);
    const decoded = this.quickDecodes.get(preview);
    const sam = this.samEngine();
    const reused = decoded && sam ? sam.boundedFromDecode(prompt, decoded, decoded.factor) : null;
    return reused ?? (await this.segmenter.segmentBounded(prompt)).mask;
  }

  close(): void {
    this.interim?.segmenter.close();
    this.interim = null;
    this.quick?.engine.close();
    this.quick = null;
    this.segmenter.close();
  }
}
