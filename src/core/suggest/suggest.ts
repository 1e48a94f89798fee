/**
 * `suggest`: what a user would likely want erased from a photo — people
 * who are not its subject (and optionally vehicles and animals), text and
 * wires — each with its box, confidence and mask.
 *
 * One small copy of the photo (long side ≤ 1280, box-averaged) feeds every
 * detector: NanoDet for people and objects (nanodet.ts; each box is turned
 * into a mask by the segmenter's box prompt on that copy, the mask scaled
 * back up inside the box only), PP-OCRv4's text map (text.ts) and the wire
 * finder (wires.ts, no weights). No step reads or writes the full photo
 * after the copy is made. The networks come through loaders, so the core
 * stays free of any runtime; both start before the wire finder and the
 * segmenter's preparation, which overlap them where a loader runs its
 * network on another thread. A kind whose model cannot be loaded is
 * skipped and reported through `onSkip`.
 */
import { assertImage, expectedError, type Mask, type RgbaImage, VanishError } from "../image.js";
import type { InferenceModel } from "../model.js";
import type { BuiltinSegmenterOptions } from "../segmentation/builtin.js";
import type { Segmenter } from "../segmentation/segmenter.js";
import type { CropMask } from "../segmentation/thin.js";
import { COCO_LABELS, detectObjects } from "./nanodet.js";
import { planesToRgba, shrinkToPlanes, shrunkSize } from "./planes.js";
import { trimCrop } from "./regions.js";
import { mainSubjects } from "./subject.js";
import {
  DEFAULT_SUGGEST_KINDS,
  type Detection,
  parseKinds,
  type Suggestion,
  type SuggestionKind,
  type SuggestKindOption,
} from "./suggestion.js";
import { detectText } from "./text.js";
import { detectWires } from "./wires.js";

export { parseKinds };

/** Loaders of the networks `suggest` uses; each is called at most once per call, and only when its kind is asked for. */
export interface SuggestModels {
  /** NanoDet-m 416 (COCO objects, people among them). */
  objects?: () => Promise<InferenceModel>;
  /** PP-OCRv4 text detection. */
  text?: () => Promise<InferenceModel>;
}

export interface SuggestOptions {
  /** What to look for (default people, text and wires). */
  kinds?: readonly SuggestKindOption[];
  models?: SuggestModels;
  /** Turns object boxes into masks (its box prompt); without one, an object's mask is its box. */
  segmenter?: Segmenter;
  /** Told when a kind is skipped, with the reason (a model missing or unreadable). */
  onSkip?: (kind: SuggestKindOption, reason: string) => void;
  /** Lowest object score reported (default 0.45: on the tune cases, false people scored ≤ 0.42 and real ones ≥ 0.57). */
  minScore?: number;
  /** Also return the main subjects (people filling the centre), which are otherwise left out. */
  includeSubjects?: boolean;
  /** Longest side of the text network's input (default TEXT_LIMIT). */
  textLimit?: number;
  /**
   * The photo's size, when `image` is not the photo but a copy of it
   * already shrunk by an integer factor f (floor(width / f) ×
   * floor(height / f); `suggestCopySize` gives the one the detectors read),
   * e.g. decoded small by a browser: nothing then waits for the full
   * photo, and suggestions still come in the photo's pixels.
   */
  photoSize?: { width: number; height: number };
}

/** The object kinds and the COCO classes each stands for. */
const OBJECT_CLASSES: Partial<Record<SuggestKindOption, { kind: SuggestionKind; labels: readonly string[] }>> = {
  people: { kind: "person", labels: ["person"] },
  vehicles: { kind: "vehicle", labels: ["bicycle", "car", "motorcycle", "bus", "truck", "boat"] },
  animals: { kind: "animal", labels: ["bird", "cat", "dog", "horse", "sheep", "cow"] },
};

/**
 * Built-in segmenter settings for turning object boxes into masks: a box
 * needs less detail than a tap (the mask is joined with the box's ellipse
 * and grown for removal), and at 12 MP this prepares in about a quarter of
 * the default's time (135 against 568 ms of CPU). Three GrabCut rounds
 * instead of five: on 27 people (the 12 MP bench photo, vtest, messi5,
 * basketball) every mask came out identical to five rounds' (IoU 1.000).
 * No warm-up selections: the boxes follow `prepare` at once and warm the
 * code up themselves (the same masks; at 12 MP, prepare and 7 boxes in a
 * fresh process took 597 instead of 687 ms of CPU, mean of 4).
 */
export const SUGGEST_SEGMENTER: BuiltinSegmenterOptions = { workingSize: 512, superpixels: 1200, iterations: 3, warmUp: false };

/**
 * Longest side of the text network's input. Chosen on the bench's tune half:
 * 960 and 640 both find every labelled text line there (precision 0.71 and
 * 0.75), 512 misses some (recall 0.83); 640 costs about a third less CPU
 * than 960 at 12 MP.
 */
export const TEXT_LIMIT = 640;

/** Long side of the copy the detectors read. */
const PLANES_LONG_SIDE = 1280;

/** The size of the copy of a width × height photo that the detectors read (see `SuggestOptions.photoSize`). */
export function suggestCopySize(width: number, height: number): { width: number; height: number } {
  const { width: w, height: h } = shrunkSize(width, height, PLANES_LONG_SIDE);
  return { width: w, height: h };
}

/** How many photo pixels one pixel of `image` stands for along each axis, given the photo's size (1 without one). */
function copyFactor(image: RgbaImage, photo: SuggestOptions["photoSize"]): number {
  if (!photo) return 1;
  const f = Math.max(1, Math.round(photo.width / image.width));
  if (Math.floor(photo.width / f) !== image.width || Math.floor(photo.height / f) !== image.height) {
    const copy = suggestCopySize(photo.width, photo.height);
    throw expectedError(
      `a copy of the ${photo.width}×${photo.height} photo shrunk by a whole factor (e.g. ${copy.width}×${copy.height})`,
      `${image.width}×${image.height}`,
      "INVALID_ARGUMENT",
    );
  }
  return f;
}

async function load(
  kind: SuggestKindOption,
  loader: (() => Promise<InferenceModel>) | undefined,
  onSkip: SuggestOptions["onSkip"],
): Promise<InferenceModel | null> {
  if (!loader) {
    onSkip?.(kind, "no model was given for it");
    return null;
  }
  try {
    return await loader();
  } catch (err) {
    if (!(err instanceof VanishError)) throw err;
    onSkip?.(kind, err.message);
    return null;
  }
}

/** `box` grown by `margin` of its size on every side, in whole pixels of a width × height image. */
function grownRect(box: Detection["box"], margin: number, width: number, height: number): Detection["box"] {
  const mx = (box.x1 - box.x0) * margin;
  const my = (box.y1 - box.y0) * margin;
  const x0 = Math.max(0, Math.floor(box.x0 - mx));
  const y0 = Math.max(0, Math.floor(box.y0 - my));
  return {
    x0,
    y0,
    x1: x0 + Math.max(1, Math.min(width, Math.ceil(box.x1 + mx)) - x0),
    y1: y0 + Math.max(1, Math.min(height, Math.ceil(box.y1 + my)) - y0),
  };
}

/**
 * The ellipse inscribed in the box, added to the segmenter's selection of an
 * object: a detector's box is tight, so its inscribed ellipse holds the
 * head, torso and feet of a standing person, which a box-prompted
 * segmentation of a small figure often loses (thin legs, a dark head
 * against a dark background). Without a segmenter it is the mask.
 */
function ellipseCrop(box: Detection["box"], into?: CropMask): CropMask {
  const x0 = Math.floor(box.x0);
  const y0 = Math.floor(box.y0);
  const width = Math.max(1, Math.ceil(box.x1) - x0);
  const height = Math.max(1, Math.ceil(box.y1) - y0);
  const out = into ?? { x0, y0, width, height, data: new Uint8Array(width * height) };
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  const rx = Math.max(0.5, (box.x1 - box.x0) / 2);
  const ry = Math.max(0.5, (box.y1 - box.y0) / 2);
  for (let y = 0; y < out.height; y++) {
    const dy = (out.y0 + y + 0.5 - cy) / ry;
    if (dy * dy > 1) continue;
    const half = rx * Math.sqrt(1 - dy * dy);
    const a = Math.max(0, Math.ceil(cx - half - 0.5) - out.x0);
    const b = Math.min(out.width, Math.floor(cx + half - 0.5) + 1 - out.x0);
    if (b > a) out.data.fill(1, y * out.width + a, y * out.width + b);
  }
  return out;
}

/**
 * A crop of the copy shrunk by `factor` (see shrinkToPlanes: its pixel x
 * covers photo pixels [x·factor, x·factor + factor)) as a crop of the photo
 * (width × height), each pixel repeated factor × factor times.
 */
function enlargeCrop(crop: CropMask, factor: number, width: number, height: number): CropMask {
  if (factor === 1) return crop;
  const x0 = crop.x0 * factor;
  const y0 = crop.y0 * factor;
  const w = Math.max(1, Math.min(width, (crop.x0 + crop.width) * factor) - x0);
  const h = Math.max(1, Math.min(height, (crop.y0 + crop.height) * factor) - y0);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const src = Math.min(crop.height - 1, Math.floor(y / factor)) * crop.width;
    const row = y * w;
    for (let x = 0; x < w; x++) data[row + x] = crop.data[src + Math.min(crop.width - 1, Math.floor(x / factor))];
  }
  return { x0, y0, width: w, height: h, data };
}

function cropBox(crop: CropMask): Detection["box"] {
  return { x0: crop.x0, y0: crop.y0, x1: crop.x0 + crop.width, y1: crop.y0 + crop.height };
}

/** Resolves after pending promise chains and messages have had their turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Finds what to erase in `image`; suggestions come sorted by kind order, then score. */
export async function suggest(image: RgbaImage, options: SuggestOptions = {}): Promise<Suggestion[]> {
  assertImage(image);
  const kinds = parseKinds(options.kinds ?? DEFAULT_SUGGEST_KINDS);
  const { width: W, height: H } = options.photoSize ?? image;
  const shrunk = shrinkToPlanes(image, PLANES_LONG_SIDE);
  // Photo pixels per plane pixel: the copy's own factor (given a copy) times the shrink's.
  const factor = copyFactor(image, options.photoSize) * shrunk.factor;
  const planes = { ...shrunk, factor };
  const sx = W / planes.width;
  const sy = H / planes.height;
  const out: Suggestion[] = [];

  // Both networks start before the work on this thread: where a loader runs its network elsewhere (Node's network
  // thread, the app's text worker), the wire finder and the segmenter's preparation overlap them. Text first: where
  // NanoDet runs on this thread (the app's TensorFlow.js executes synchronously), the text network is under way meanwhile.
  const textTask = kinds.includes("text")
    ? (async (): Promise<Suggestion[]> => {
        const model = await load("text", options.models?.text, options.onSkip);
        if (!model) return [];
        return (await detectText(model, planes, W, H, { limit: options.textLimit ?? TEXT_LIMIT })).map((r) => ({
          kind: "text",
          label: "text",
          box: cropBox(r.mask),
          score: r.score,
          mask: r.mask,
        }));
      })()
    : Promise.resolve([]);
  // Settled later; kept from rejecting unobserved meanwhile.
  textTask.catch(() => {});

  const objectKinds = kinds.filter((k) => OBJECT_CLASSES[k]);
  const classes = objectKinds.flatMap((k) => OBJECT_CLASSES[k]?.labels ?? []).map((l) => COCO_LABELS.indexOf(l as never));
  const objectTask =
    objectKinds.length > 0
      ? (async (): Promise<Detection[] | null> => {
          const model = await load(objectKinds[0], options.models?.objects, (_, reason) => {
            for (const k of objectKinds) options.onSkip?.(k, reason);
          });
          return model ? detectObjects(model, planes, { classes, scoreThreshold: options.minScore ?? 0.45 }) : null;
        })()
      : Promise.resolve(null);
  objectTask.catch(() => {});

  // The networks' loaders and inputs are promise chains: a macrotask's turn lets them reach their runs before this
  // thread is held by the wire finder, and again before the segmenter's preparation for a loader that finished meanwhile.
  await nextTurn();
  if (kinds.includes("wires")) {
    for (const r of detectWires(planes, W, H))
      out.push({ kind: "wire", label: "wire", box: cropBox(r.mask), score: r.score, mask: r.mask });
  }

  // Boxes are segmented on the small copy, each mask enlarged inside its box only: at 12 MP, preparing and 7 boxes took
  // 211 instead of 309 ms of CPU warm (prepare 415 instead of 601 ms cold), with no full-size mask per box. The copy is
  // prepared while the detector looks, before knowing whether it finds anything: this thread would wait otherwise.
  const segmenter = objectKinds.length > 0 && options.models?.objects ? options.segmenter : undefined;
  await nextTurn();
  const segmented = segmenter && shrunk.factor > 1 ? planesToRgba(planes) : image;
  const prepared = segmenter?.prepare(segmented);
  prepared?.catch(() => {});

  const detections = await objectTask;
  if (detections) {
    const found = detections.map((d) => ({
      ...d,
      box: {
        x0: Math.max(0, d.box.x0 * sx),
        y0: Math.max(0, d.box.y0 * sy),
        x1: Math.min(W, d.box.x1 * sx),
        y1: Math.min(H, d.box.y1 * sy),
      },
    }));
    const people = found.filter((d) => d.label === "person");
    const subject = mainSubjects(
      people.map((p) => p.box),
      W,
      H,
    );
    const kept = found.filter((d) => options.includeSubjects || d.label !== "person" || !subject[people.indexOf(d)]);
    if (prepared) await prepared;
    for (const d of kept) {
      const kind = objectKinds.map((k) => OBJECT_CLASSES[k]).find((c) => c?.labels.includes(d.label))?.kind ?? "person";
      let mask = ellipseCrop(d.box);
      if (segmenter) {
        const box = { x0: d.box.x0 / factor, y0: d.box.y0 / factor, x1: d.box.x1 / factor, y1: d.box.y1 / factor };
        // The suggestion keeps the selection inside the box and a margin only: the rest is never upsampled.
        const rect = grownRect(box, 0.02, segmented.width, segmented.height);
        const selected = enlargeCrop((await segmenter.segmentCrop({ box }, rect)).mask, factor, W, H);
        mask = trimCrop(ellipseCrop(d.box, selected));
      }
      out.push({ kind, label: d.label, box: d.box, score: d.score, mask });
    }
  }

  out.push(...(await textTask));

  const order: SuggestionKind[] = ["person", "vehicle", "animal", "text", "wire"];
  return out.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || b.score - a.score);
}

/** A suggestion's mask over the whole photo (width × height), or the union of several suggestions'. */
export function suggestionMask(suggestions: Suggestion | readonly Suggestion[], width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  for (const s of Array.isArray(suggestions) ? suggestions : [suggestions as Suggestion]) {
    const m = s.mask;
    for (let y = 0; y < m.height; y++) {
      const py = m.y0 + y;
      if (py < 0 || py >= height) continue;
      for (let x = 0; x < m.width; x++) {
        const px = m.x0 + x;
        if (px >= 0 && px < width && m.data[y * m.width + x]) data[py * width + px] = 1;
      }
    }
  }
  return { width, height, data };
}
