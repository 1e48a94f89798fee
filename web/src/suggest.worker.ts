/**
 * The suggestions worker: "Suggestions" (suggest-engine.ts) in a worker of
 * their own, so that they run while the engine worker prepares the photo
 * for tap-to-select (Segment Anything's encoder holds that worker for
 * seconds, and ONNX Runtime blocks its thread during a run). It holds no
 * photo: each call brings the pixels it looks at, or the opened file, of
 * which it decodes a small copy itself (the engine's 12 MP decode and the
 * copy of its pixels are not waited for). `start` starts the models
 * (read from the service worker's cache, checked, compiled) as the page
 * loads, when the page finds them cached (use-suggestions.ts); `warm`
 * starts them as a photo opens when an earlier visit left them in the cache.
 * On such visits a press is likely, and `decodeAhead` decodes the small
 * copy of a photo as it opens, so that the press finds it ready.
 * Exposed through Comlink; the answer's masks cross as transferables.
 */
import * as Comlink from "comlink";
import { exifOrientation, jpegSize, readMetadata, suggestCopySize, VanishError } from "../../src/index.js";
import "./errors.js";
import { type SuggestAnswer, WebSuggester } from "./suggest-engine.js";

/** How much of a file's start is read for its size: JPEG headers with EXIF (and its thumbnail) and ICC fit. */
const HEAD_BYTES = 256 * 1024;

/**
 * The photo's size, known before decoding, when that is safe: a JPEG whose
 * header says it and whose EXIF orientation keeps width and height (1–4);
 * else null.
 */
async function sizeBeforeDecoding(file: Blob): Promise<{ width: number; height: number } | null> {
  try {
    const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
    const size = jpegSize(head);
    if (!size) return null;
    const { exif } = await readMetadata(head);
    return exif && exifOrientation(exif) > 4 ? null : size;
  } catch {
    return null;
  }
}

/**
 * The detectors' small copy of the photo in `file`, decoded here, and the
 * photo's size. Decoded as the engine decodes it (EXIF orientation applied,
 * the file's own colours) and shrunk by the browser ("medium"): straight to
 * the copy's size when the size is known beforehand (a JPEG's header says
 * it), which spares the full-size bitmap (at 12 MP 98–115 instead of
 * 145–206 ms in Chromium 156), else from the full-size decode.
 */
async function smallCopy(
  file: Blob,
): Promise<{ image: { width: number; height: number; data: Uint8ClampedArray }; photo: { width: number; height: number } }> {
  const decode: ImageBitmapOptions = { imageOrientation: "from-image", colorSpaceConversion: "none" };
  const known = await sizeBeforeDecoding(file);
  let photo: { width: number; height: number };
  let small: ImageBitmap;
  try {
    if (known) {
      photo = known;
      const { width, height } = suggestCopySize(photo.width, photo.height);
      small = await createImageBitmap(file, { ...decode, resizeWidth: width, resizeHeight: height, resizeQuality: "medium" });
    } else {
      const bitmap = await createImageBitmap(file, decode);
      photo = { width: bitmap.width, height: bitmap.height };
      const { width, height } = suggestCopySize(photo.width, photo.height);
      small = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: "medium" });
      bitmap.close();
    }
  } catch {
    throw new VanishError("UNREADABLE", "The photo could not be read for suggestions.");
  }
  const { width, height } = small;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(small, 0, 0);
  small.close();
  return { image: { width, height, data: ctx.getImageData(0, 0, width, height).data }, photo };
}

class SuggestWorker {
  private suggester = new WebSuggester();
  /** Small copies decoded ahead (`decodeAhead`), by file. */
  private copies = new WeakMap<Blob, ReturnType<typeof smallCopy>>();

  /**
   * Decodes the small copy of the photo in `file` now, as it opens, so that
   * a press finds it ready (`findInFile`): the page asks for it when the
   * models started with the page, i.e. a press is likely.
   */
  decodeAhead(file: Blob): void {
    if (this.copies.has(file)) return;
    const copy = smallCopy(file);
    copy.catch(() => {});
    this.copies.set(file, copy);
  }

  /** Starts loading the models when all of them are in the cache already; resolves to whether it did. */
  warm(modelsUrl: string): Promise<boolean> {
    return this.suggester.warmIfCached(modelsUrl);
  }

  /** Starts loading the models, cached or not (see `WebSuggester.startAhead`). */
  start(modelsUrl: string): void {
    this.suggester.startAhead(modelsUrl);
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
    const copy = this.copies.get(file) ?? smallCopy(file);
    this.copies.delete(file);
    const { image, photo } = await copy;
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
