/**
 * The engine worker: holds the photo being edited and runs the library's core
 * (tap-to-select, erase) off the main thread, so the page never stalls.
 * Exposed through Comlink; pixel buffers cross as transferables.
 */
import * as Comlink from "comlink";
import { eraseWithReport } from "../../src/core/erase.js";
import type { RgbaImage } from "../../src/core/image.js";
import type { SegmentBox, SegmentPoint } from "../../src/core/segmentation/prompt.js";
import { removalMask } from "../../src/core/segmentation/removal-mask.js";
import { Segmenter } from "../../src/core/segmentation/segmenter.js";

export interface SelectResult {
  /** Grown removal mask (1 = remove), image size. */
  mask: Uint8Array;
  score: number;
  ms: number;
}

export interface EraseResult {
  data: Uint8ClampedArray;
  holePixels: number;
  ms: number;
  referenceUsed?: boolean;
  referenceNotes?: string[];
}

class Engine {
  private image: RgbaImage | null = null;
  private reference: RgbaImage | null = null;
  private readonly segmenter = Segmenter.create();

  /** The photo to work on (a copy stays here; the caller keeps its own). */
  setImage(width: number, height: number, data: Uint8ClampedArray): void {
    this.image = { width, height, data };
  }

  setReference(width: number, height: number, data: Uint8ClampedArray): void {
    this.reference = { width, height, data };
  }

  clearReference(): void {
    this.reference = null;
  }

  /** Prepares tap-to-select for the current photo (once per photo); resolves to the time taken. */
  async prepare(): Promise<number> {
    const t0 = performance.now();
    await (await this.segmenter).prepare(this.current());
    return performance.now() - t0;
  }

  async select(points: SegmentPoint[], box?: SegmentBox): Promise<SelectResult> {
    const t0 = performance.now();
    const seg = await this.segmenter;
    await seg.prepare(this.current());
    const { mask, score } = await seg.segment({ points, ...(box ? { box } : {}) });
    const grown = removalMask(mask, { feather: 0 }).mask.data;
    return Comlink.transfer({ mask: grown, score, ms: performance.now() - t0 }, [grown.buffer]);
  }

  /** Erases the masked pixels of the current photo; the result becomes the current photo. */
  async erase(mask: Uint8Array, seed: number): Promise<EraseResult> {
    const image = this.current();
    const t0 = performance.now();
    const report = await eraseWithReport(
      image,
      { width: image.width, height: image.height, data: mask },
      {
        seed,
        ...(this.reference ? { reference: this.reference } : {}),
      },
    );
    this.image = report.image;
    const data = new Uint8ClampedArray(report.image.data);
    const result: EraseResult = { data, holePixels: report.holePixels, ms: performance.now() - t0 };
    if (report.reference) {
      result.referenceUsed = report.reference.used;
      result.referenceNotes = report.reference.notes;
    }
    return Comlink.transfer(result, [data.buffer]);
  }

  private current(): RgbaImage {
    if (!this.image) throw new Error("No photo is open.");
    return this.image;
  }
}

export type EngineApi = Engine;

Comlink.expose(new Engine());
