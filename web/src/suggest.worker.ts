/**
 * The suggestions worker: "Suggestions" (suggest-engine.ts) in a worker of
 * their own, so that they run while the engine worker prepares the photo
 * for tap-to-select (Segment Anything's encoder holds that worker for
 * seconds, and ONNX Runtime blocks its thread during a run). It holds no
 * photo: each call brings the pixels it looks at. `warm` starts the models
 * (read from the service worker's cache, checked, compiled) as soon as a
 * photo opens, but only when an earlier visit left them in the cache: a
 * first visit downloads nothing until Suggestions is pressed.
 * Exposed through Comlink; the answer's masks cross as transferables.
 */
import * as Comlink from "comlink";
import "./errors.js";
import { type SuggestAnswer, WebSuggester } from "./suggest-engine.js";

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
}

export type SuggestWorkerApi = SuggestWorker;

Comlink.expose(new SuggestWorker());
