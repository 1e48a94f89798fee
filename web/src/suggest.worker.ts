/**
 * The suggestions worker: "Suggestions" (suggest-engine.ts) in a worker of
 * their own, so that they run while the engine worker prepares the photo
 * for tap-to-select (Segment Anything's encoder holds that worker for
 * seconds, and ONNX Runtime blocks its thread during a run). It holds no
 * photo: each call brings the pixels it looks at, or the opened file, of
 * which it decodes a small copy itself (the engine's 12 MP decode and the
 * copy of its pixels are not waited for). `warm` starts the models
 * (read from the service worker's cache, checked, compiled) as soon as a
 * photo opens, but only when an earlier visit left them in the cache: a
 * first visit downloads nothing until Suggestions is pressed.
 * Exposed through Comlink; the answer's masks cross as transferables.
 */
import * as Comlink from "comlink";
import { suggestCopySize, VanishError } from "../../src/index.js";
import "./errors.js";
import { type SuggestAnswer, WebSuggester } from "./suggest-engine.js";

/**
 * The detectors' small copy of the photo in `file`, decoded here, and the
 * photo's size. Decoded as the engine decodes it (EXIF orientation applied,
 * the file's own colours), then shrunk by the browser (mipmapped, "medium").
 */
async function smallCopy(
  file: Blob,
): Promise<{ image: { width: number; height: number; data: Uint8ClampedArray }; photo: { width: number; height: number } }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image", colorSpaceConversion: "none" });
  } catch {
    throw new VanishError("UNREADABLE", "The photo could not be read for suggestions.");
  }
  const photo = { width: bitmap.width, height: bitmap.height };
  const { width, height } = suggestCopySize(photo.width, photo.height);
  const small = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: "medium" });
  bitmap.close();
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(small, 0, 0);
  small.close();
  return { image: { width, height, data: ctx.getImageData(0, 0, width, height).data }, photo };
}

class SuggestWorker {
  private suggester = new WebSuggester();

  /** Starts loading the models when all of them are in the cache already; resolves to whether it did. */
  warm(modelsUrl: string): Promise<boolean> {
    return this.suggester.warmIfCached(modelsUrl);
  }

  /** Suggestions for the given pixels (see suggest-engine.ts); `modelsUrl` is the app's `models/` folder. */
  async find(
    width: number,
    height: number,
    data: Uint8ClampedArray,
    modelsUrl: string,
    onProgress?: (what: string, fraction: number) => void,
  ): Promise<SuggestAnswer> {
    const answer = await this.suggester.find({ width, height, data }, modelsUrl, onProgress && ((what, f) => void onProgress(what, f)));
    return Comlink.transfer(
      answer,
      answer.items.map((s) => s.mask.data.buffer),
    );
  }

  /**
   * Suggestions for the photo in `file`, from a small copy decoded here: they
   * need not wait for the engine's full decode. The answer says the photo's
   * size, for the page to check against the engine's.
   */
  async findInFile(
    file: Blob,
    modelsUrl: string,
    onProgress?: (what: string, fraction: number) => void,
  ): Promise<SuggestAnswer & { width: number; height: number }> {
    const t0 = performance.now();
    const progress = onProgress && ((what: string, f: number) => void onProgress(what, f));
    this.suggester.startModels(modelsUrl, progress);
    const { image, photo } = await smallCopy(file);
    const answer = await this.suggester.find(image, modelsUrl, progress, photo);
    // The answer's time counts the decoding too.
    return Comlink.transfer(
      { ...answer, ms: performance.now() - t0, ...photo },
      answer.items.map((s) => s.mask.data.buffer),
    );
  }
}

export type SuggestWorkerApi = SuggestWorker;

Comlink.expose(new SuggestWorker());
