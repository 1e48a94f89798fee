/**
 * "Suggestions" in their own worker (suggest.worker.ts): the library's
 * `suggest` on the open photo, as in Node: people from NanoDet
 * (TensorFlow.js, WebAssembly backend, tfjs-web.ts), each box turned into a
 * mask by the built-in segmenter's box prompt with the settings Node uses
 * (SUGGEST_SEGMENTER); text from PP-OCRv4's detector (ONNX, through
 * onnxruntime-web); wires from the pure-TypeScript finder. Each network is
 * fetched, checked and run in a worker of its own
 * (suggest-network.worker.ts), beside the rest, and is handed its input
 * as soon as its files are checked: the run starts there the moment the
 * network has, not when this worker's thread (busy with the wire finder,
 * the segmenter and the box prompts) is next free. The models are
 * fetched from the app's own origin once, with one progress report for
 * all of them (told to whoever asked last), their SHA-256 checked, and
 * kept for the next photos; a kind whose model cannot be fetched or
 * started is reported as skipped. Once an earlier visit left them in the
 * service worker's cache, the page starts them as it loads (`startAhead`,
 * see use-suggestions.ts) or as a photo opens (`warmIfCached`), so that
 * the first press finds them compiled. Each mask is grown like a tapped selection, so that
 * erasing it leaves no rim.
 */

import * as Comlink from "comlink";
import {
  type CropMask,
  defaultGrow,
  dilate,
  type InferenceModel,
  type RgbaImage,
  Segmenter,
  SUGGEST_SEGMENTER,
  type SuggestKindOption,
  suggest,
  VanishError,
} from "../../src/index.js";
import { NANODET_MODEL, NETWORK_INPUTS, TEXT_MODEL } from "./suggest-models.js";
import type { NetworkWorkerApi, SuggestNetwork } from "./suggest-network.worker.js";

export interface FoundSuggestion {
  kind: string;
  label: string;
  score: number;
  /** The rectangle its removal mask covers (x1, y1 exclusive). */
  box: { x0: number; y0: number; x1: number; y1: number };
  /** The removal mask (grown), confined to `box`. */
  mask: CropMask;
}

export interface SuggestAnswer {
  items: FoundSuggestion[];
  skipped: { kind: SuggestKindOption; reason: string }[];
  /** Time spent fetching and starting models on this call (0 once they are loaded); the wire finder runs meanwhile. */
  loadMs: number;
  /** Time from the call to the answer, loading included. */
  ms: number;
}

/** Reports the bytes of several downloads as one fraction. */
class DownloadTally {
  private parts = new Map<string, { loaded: number; total: number }>();
  constructor(private onProgress?: (what: string, fraction: number) => void) {}
  /** The progress callback for one download. */
  part(name: string): (loaded: number, total: number) => void {
    return (loaded, total) => {
      this.parts.set(name, { loaded, total });
      let done = 0;
      let all = 0;
      for (const p of this.parts.values()) {
        done += p.loaded;
        all += p.total;
      }
      this.onProgress?.("suggestion models", all > 0 ? Math.min(1, done / all) : 0);
    };
  }
}

/** A network's run that failed because the network could not start after its input was handed over. */
class NetworkStartFailed extends Error {}

/** A network being fetched, checked and started in a worker of its own (see `networkInWorker`). */
interface NetworkInWorker {
  /**
   * The network, once its files are fetched and checked (a missing or
   * damaged file rejects, as a VanishError); its runs wait in the worker
   * until the network has started.
   */
  model: Promise<InferenceModel>;
  /** Resolves once the network has started; rejects, as a VanishError, when it cannot. */
  started: Promise<void>;
  /** Set when `started` has rejected: the kind is then skipped. */
  failed: boolean;
}

/** Any failure as a VanishError, which `suggest` reports as a skipped kind. */
function asVanishError(err: unknown): VanishError {
  return err instanceof VanishError ? err : new VanishError("UNREADABLE", (err as Error).message);
}

/**
 * A network fetched, checked, started and run in a worker of its own
 * (suggest-network.worker.ts): its loading and its runs leave this worker's
 * thread to the wire finder, the segmenter and the box prompts. A worker
 * whose network cannot load is ended.
 */
function networkInWorker(network: SuggestNetwork, modelsUrl: string, onProgress: (loaded: number, total: number) => void): NetworkInWorker {
  const thread = new Worker(new URL("./suggest-network.worker.ts", import.meta.url), { type: "module" });
  const worker = Comlink.wrap<NetworkWorkerApi>(thread);
  const fetched = worker.start(network, modelsUrl, Comlink.proxy(onProgress)).catch((err) => {
    throw asVanishError(err);
  });
  const handle: NetworkInWorker = {
    failed: false,
    started: fetched.then(async () => {
      await worker.loaded();
    }),
    model: fetched.then(
      (): InferenceModel => ({
        inputs: [{ name: NETWORK_INPUTS[network] }],
        // Not known before the network has started; the detectors read outputs by shape.
        outputs: [],
        run: async (feeds, fetch) => {
          const outputs = worker.run(feeds, fetch);
          outputs.catch(() => {});
          try {
            await handle.started;
          } catch (err) {
            throw new NetworkStartFailed((err as Error).message);
          }
          return outputs;
        },
        close: async () => {
          await worker.close();
          thread.terminate();
        },
      }),
    ),
  };
  handle.started = handle.started.catch((err) => {
    handle.failed = true;
    thread.terminate();
    throw asVanishError(err);
  });
  handle.started.catch(() => {});
  handle.model.catch(() => thread.terminate());
  return handle;
}

/** The loader `suggest` calls for a network: its model, or, once it failed to start, that failure (the kind is skipped). */
function loaderOf(network: NetworkInWorker): Promise<InferenceModel> {
  return network.failed ? network.started.then(() => network.model) : network.model;
}

/** `network`, with `ms` told how long it took to start (or to fail). */
function timed(network: NetworkInWorker, ms: (value: number) => void): NetworkInWorker {
  const t0 = performance.now();
  void network.started.catch(() => {}).finally(() => ms(performance.now() - t0));
  return network;
}

/** `crop` grown by `grow` pixels on every side (within the photo), dilated by as much. */
export function grownCrop(crop: CropMask, grow: number, photoWidth: number, photoHeight: number): CropMask {
  const x0 = Math.max(0, crop.x0 - grow);
  const y0 = Math.max(0, crop.y0 - grow);
  const width = Math.min(photoWidth, crop.x0 + crop.width + grow) - x0;
  const height = Math.min(photoHeight, crop.y0 + crop.height + grow) - y0;
  const padded = new Uint8Array(width * height);
  for (let y = 0; y < crop.height; y++) {
    const py = crop.y0 + y - y0;
    if (py < 0 || py >= height) continue;
    for (let x = 0; x < crop.width; x++) {
      const px = crop.x0 + x - x0;
      if (px >= 0 && px < width && crop.data[y * crop.width + x]) padded[py * width + px] = 1;
    }
  }
  return { x0, y0, width, height, data: dilate(padded, width, height, grow) };
}

/** The tight bounds of a crop mask's set pixels, in the photo (the crop's rectangle when it is empty). */
export function maskBounds(crop: CropMask): FoundSuggestion["box"] {
  let x0 = crop.width;
  let y0 = crop.height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      if (!crop.data[y * crop.width + x]) continue;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      y1 = y + 1;
    }
  }
  if (x1 <= x0) return { x0: crop.x0, y0: crop.y0, x1: crop.x0 + crop.width, y1: crop.y0 + crop.height };
  return { x0: crop.x0 + x0, y0: crop.y0 + y0, x1: crop.x0 + x1, y1: crop.y0 + y1 };
}

export class WebSuggester {
  private text: NetworkInWorker | null = null;
  private objects: NetworkInWorker | null = null;
  /** The built-in segmenter that turns people's boxes into masks (Node's settings for suggestions). */
  private segmenter: Promise<Segmenter> | null = null;
  /** How long fetching and starting each model took (they load together; the wire finder runs meanwhile). */
  private textLoadMs = 0;
  private objectsLoadMs = 0;
  /** Whether an answer reported the models' loading time already (or the loading needs no report). */
  private loadTold = false;
  /** Who hears the models' download progress now: the last caller that asked to (a press, while they download). */
  private listener: ((what: string, fraction: number) => void) | undefined;
  /** All the models' downloads as one fraction, told to `listener`. */
  private tally = new DownloadTally((what, fraction) => this.listener?.(what, fraction));

  /**
   * Starts fetching and compiling every model (and the segmenter) now, when
   * all the model files are in the service worker's cache (an earlier visit
   * fetched them): reading them costs no download, and the first press then
   * finds them ready. Resolves to whether it started them.
   */
  async warmIfCached(modelsUrl: string): Promise<boolean> {
    if (this.text && this.objects) return true;
    if (typeof caches === "undefined") return false;
    const files = [TEXT_MODEL, NANODET_MODEL.json, NANODET_MODEL.weights];
    const cached = await Promise.all(files.map((f) => caches.match(new URL(f.name, modelsUrl).href).then((r) => r !== undefined)));
    if (!cached.every(Boolean)) return false;
    this.startAhead(modelsUrl);
    return true;
  }

  /** Starts reading and compiling every model (and the segmenter) now: the page does so as it loads when it finds them cached. */
  startAhead(modelsUrl: string): void {
    // Loaded ahead: no answer waits for all of it, none reports how long it took.
    if (!this.text || !this.objects) this.loadTold = true;
    this.startModels(modelsUrl);
  }

  /**
   * Starts fetching and compiling the models (and the segmenter) now, if
   * not under way: before decoding a photo, so that their workers start
   * while this thread waits for the decoder (a worker started from here
   * gets going only when this thread is free). `onProgress` hears the
   * first download's progress from now on. A failure stays in the promise
   * and is reported as a skipped kind by `find`.
   */
  startModels(modelsUrl: string, onProgress?: (what: string, fraction: number) => void): void {
    if (onProgress) this.listener = onProgress;
    this.segmenter ??= Segmenter.create({ engine: "builtin", builtin: SUGGEST_SEGMENTER });
    this.textModel(modelsUrl);
    this.objectModel(modelsUrl);
  }

  /**
   * Suggestions for `image`; `modelsUrl` is the app's `models/` folder.
   * `onProgress` hears the first download's progress. With `photoSize`,
   * `image` is a copy of the photo shrunk to `suggestCopySize` and the
   * answer is in the photo's pixels.
   */
  async find(
    image: RgbaImage,
    modelsUrl: string,
    onProgress?: (what: string, fraction: number) => void,
    photoSize?: { width: number; height: number },
  ): Promise<SuggestAnswer> {
    const t0 = performance.now();
    const skipped: SuggestAnswer["skipped"] = [];
    // The first answer after a load this worker did not start ahead on its own (`warmIfCached`) says how long it took.
    const firstLoad = !this.loadTold;
    this.loadTold = true;
    if (onProgress) this.listener = onProgress;
    this.segmenter ??= Segmenter.create({ engine: "builtin", builtin: SUGGEST_SEGMENTER });
    const segmenter = await this.segmenter;
    let found: Awaited<ReturnType<typeof suggest>>;
    for (;;) {
      skipped.length = 0;
      try {
        found = await suggest(image, {
          kinds: ["people", "text", "wires"],
          models: {
            text: () => loaderOf(this.textModel(modelsUrl)),
            objects: () => loaderOf(this.objectModel(modelsUrl)),
          },
          segmenter,
          onSkip: (kind, reason) => skipped.push({ kind, reason }),
          photoSize,
        });
        break;
      } catch (err) {
        // A network that failed to start after its input was handed over: looked again, its kind skipped (its loader
        // now fails at once; each failure marks one more network, so this ends).
        if (!(err instanceof NetworkStartFailed)) throw err;
      }
    }
    const { width, height } = photoSize ?? image;
    const grow = defaultGrow(width, height);
    const items = found.map((s) => {
      const mask = grownCrop(s.mask, grow, width, height);
      // The outline shows what erasing it removes: the grown mask's bounds.
      const box = maskBounds(mask);
      return { kind: s.kind, label: s.label, score: s.score, box, mask };
    });
    const loadMs = firstLoad ? Math.max(this.textLoadMs, this.objectsLoadMs) : 0;
    return { items, skipped, loadMs, ms: performance.now() - t0 };
  }

  /** The text detector, fetched and started once, in a network worker of its own. */
  private textModel(modelsUrl: string): NetworkInWorker {
    this.text ??= timed(networkInWorker("text", modelsUrl, this.tally.part("text")), (ms) => {
      this.textLoadMs = ms;
    });
    return this.text;
  }

  /** NanoDet, fetched (model.json and weights together) and started once, in a network worker of its own. */
  private objectModel(modelsUrl: string): NetworkInWorker {
    this.objects ??= timed(networkInWorker("objects", modelsUrl, this.tally.part("people")), (ms) => {
      this.objectsLoadMs = ms;
    });
    return this.objects;
  }
}
