/**
 * The document being edited, as a Preact hook: the photo's pixels, the mask
 * (selection from taps and boxes, paint layer with diff history), undo and
 * redo over whole editing steps, and keeping the engine worker's copy of the
 * photo in step. Every change goes through `record` (a new step) or
 * `show` (moving in the history); whatever a step shows (overlay, status,
 * view) follows the current state, so late answers from the worker never
 * show a state that is no longer current.
 */
import * as Comlink from "comlink";
import { useMemo, useRef, useState } from "preact/hooks";
import sampleUrl from "../../samples/harbour.jpg?url";
import { type CropMask, dilate, SEGMENT_ENGINES, type SegmentEngineName, type SegmentPoint, VanishError } from "../../src/index.js";
import { type DecodeOptions, downloadName, outputMime, type Photo } from "./codec.js";
import type { PrepareProgress, PrepareResult } from "./engine.worker.js";
import { type Engine, EngineHost, isAbort } from "./engine-host.js";
import "./errors.js";
import { History } from "./history.js";
import {
  combinedMask,
  drawOverlay,
  emptyMask,
  hasMarks,
  isPreview,
  type MaskState,
  maskToRgba,
  OVERLAY_LONG_SIDE,
  overlaySize,
  PAINT_ADDS,
  paintFromRgba,
  paintPolygon,
  paintSegment,
  type SelectionDisplay,
  type SelectionLayer,
  strokeBounds,
  withPaint,
} from "./mask-layers.js";
import { PaintLayer } from "./paint-layer.js";
import type { SelectionPrompt } from "./selection-compose.js";
import { releaseViewBitmap, viewBitmapWidth } from "./view-painter.js";
import { viewBase } from "./viewport.js";

export type PhotoInfo = Omit<Photo, "data">;

export interface Snapshot {
  pixels: Uint8ClampedArray;
  mask: MaskState;
  /** The taps and boxes the selection was made from. */
  prompt: SelectionPrompt;
  /** What made this state ("the erase", "a brush stroke"), for Undo's and Redo's status. */
  step: string;
  /** Set on the state an erase produced: what it erased, to try another fill. */
  erased?: { before: Uint8ClampedArray; mask: Uint8Array; variant: number };
}

export interface Point {
  x: number;
  y: number;
}

const NO_PROMPT: SelectionPrompt = { parts: [], carves: [] };
/** How many photo states keep their view bitmaps (about 64 MB each at 12 MP). */
const VIEWS_KEPT = 3;
/** How long after an erase's result shows its full-resolution bitmap is made (see `completeView`). */
const FULL_VIEW_DELAY_MS = 400;
const HISTORY_STEPS = 30;

/**
 * The tap-to-select engine: `?engine=builtin` in the address skips the
 * Segment Anything download, `?engine=sam` makes a model that cannot load an
 * error instead of a fallback; the default is "auto".
 */
export function tapEngineFromAddress(): SegmentEngineName {
  const asked = new URLSearchParams(location.search).get("engine");
  return SEGMENT_ENGINES.find((e) => e === asked) ?? "auto";
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

/**
 * A count with thousands separators ("936,663"), as `toLocaleString("en")` writes it: the page's first
 * `toLocaleString` loads the number formatting data, a 50 ms task on the main thread just as an erase shows.
 */
export function withThousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** How to say "carve" on this device: no Alt key on a phone. */
export function carveHint(): string {
  return matchMedia("(pointer: coarse)").matches ? "turn on − Subtract to carve away" : "Alt+tap (or − Subtract) to carve away";
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "2 taps and a box, 1 carve" — what a selection was made from. */
export function describePrompt(prompt: SelectionPrompt): string {
  const taps = prompt.parts.filter((p) => !p.box).length;
  const boxes = prompt.parts.length - taps;
  const things = [taps > 0 ? count(taps, "tap") : "", boxes > 0 ? (boxes === 1 ? "a box" : count(boxes, "box", "boxes")) : ""].filter(
    Boolean,
  );
  const carves = prompt.carves.length > 0 ? `, ${count(prompt.carves.length, "tap")} carving away` : "";
  return `${things.join(" and ")}${carves}`;
}

export function useDocument() {
  const [photo, setPhoto] = useState<PhotoInfo | null>(null);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  /**
   * The file being opened, then with the pixels decoded from it (the first
   * state's), for a reader that decodes its own copy (Suggestions) without
   * waiting for the engine; null for a downscaled opening, which the file
   * does not show as it is.
   */
  const [source, setSource] = useState<{ file: Blob; pixels: Uint8ClampedArray | null } | null>(null);
  /**
   * Work that goes before tap-to-select's preparation of the photo being
   * opened (Suggestions pressed while it opens): the preparation (the
   * built-in engine's, Segment Anything's encoding) waits for it, so that
   * it does not share the two cores with it.
   */
  const prepareAfter = useRef<Promise<unknown> | null>(null);
  const [base, setBase] = useState<ImageBitmap | null>(null);
  const [original, setOriginal] = useState<ImageBitmap | null>(null);
  const [busy, setBusyState] = useState<string | null>(null);
  /** Fraction of the busy work done (an erase, a download), or null when it reports none. */
  const [progress, setProgress] = useState<number | null>(null);
  /** What the fraction counts, when it is more than a percentage ("12 of 59 MB"). */
  const [progressText, setProgressText] = useState<string | null>(null);
  const [status, setStatus] = useState("Open a photo, or try the sample.");
  const [error, setError] = useState<string | null>(null);
  /** A photo over the size limit that can be opened downscaled. */
  const [tooLarge, setTooLarge] = useState<{ file: Blob; name: string } | null>(null);
  const [reference, setReference] = useState<string | null>(null);
  const [cancellable, setCancellable] = useState(false);
  /** The tap-to-select engine that prepared the photo ("sam", "builtin"), once known. */
  const [tapEngine, setTapEngineState] = useState<string | null>(null);
  /** `tapEngine` at once (the state arrives with the next render). */
  const tapEngineRef = useRef<string | null>(null);
  const setTapEngine = (engine: string) => {
    tapEngineRef.current = engine;
    setTapEngineState(engine);
  };
  /** The engine answering taps now: "builtin" while Segment Anything still encodes the photo, then "sam". */
  const [tapAnswering, setTapAnswering] = useState<string | null>(null);
  /** The last status line that said the photo is ready, to be told when Segment Anything takes over (if still shown). */
  const readyStatus = useRef<string | null>(null);
  const host = useMemo(() => {
    const h = new EngineHost(setError);
    const engine = tapEngineFromAddress();
    if (engine !== "auto") {
      const choose = (e: Engine) => e.useDefaultSegmenter(engine);
      h.remember("tap-engine", choose);
      void h.engine().then(choose);
    }
    return h;
  }, []);
  const overlay = useMemo(() => document.createElement("canvas"), []);
  const history = useRef(new History<Snapshot>(HISTORY_STEPS));
  const layer = useRef<PaintLayer | null>(null);
  const photoRef = useRef<PhotoInfo | null>(null);
  const originalRef = useRef<ImageBitmap | null>(null);
  /** The pixels the engine holds, so that they cross to the worker only when they change. */
  const enginePixels = useRef<Uint8ClampedArray | null>(null);
  const abort = useRef<AbortController | null>(null);
  /** Selections wait for the one before (each builds on the last recorded prompt). */
  const selecting = useRef<Promise<void>>(Promise.resolve());
  /** Full-resolution refinements under way, by the preview layer they replace. */
  const refinements = useRef(new Map<SelectionLayer, Promise<void>>());
  /** What the engine is busy with, known at once (the state arrives with the next render). */
  const busyRef = useRef<string | null>(null);
  const setBusy = (what: string | null) => {
    busyRef.current = what;
    setBusyState(what);
  };

  const w = photo?.width ?? 0;
  const h = photo?.height ?? 0;

  /** View bitmaps of the last few pixel buffers shown (bitmaps are large: older ones are closed). */
  const views = useRef(new Map<Uint8ClampedArray, ImageBitmap[]>());
  const rememberView = (pixels: Uint8ClampedArray, levels: ImageBitmap[]): ImageBitmap => {
    const b = viewBase(levels);
    views.current.delete(pixels);
    views.current.set(pixels, levels);
    for (const [key, old] of views.current) {
      if (views.current.size <= VIEWS_KEPT) break;
      if (old[0] === originalRef.current) continue;
      views.current.delete(key);
      for (const bm of old) releaseViewBitmap(bm);
    }
    return b;
  };
  const viewOf = async (pixels: Uint8ClampedArray): Promise<ImageBitmap> => {
    const known = views.current.get(pixels);
    if (known) return rememberView(pixels, known);
    const p = photoRef.current as PhotoInfo;
    const copy = await copyInSlices(pixels);
    const engine = await host.engine();
    return rememberView(pixels, await engine.view(p.width, p.height, Comlink.transfer(copy, [copy.buffer])));
  };
  /** Adds the full-resolution bitmap to an erase result's view, which arrived with the halved copies only. */
  const completeView = async (pixels: Uint8ClampedArray, reduced: ImageBitmap[]) => {
    if (reduced.length === 0 || viewBitmapWidth(reduced[0]) === photoRef.current?.width) return;
    // A moment later: the halved copy fills the screen at fit-to-window zoom, and the 12 MP bitmap (~100 ms of
    // the engine worker) would share the cores with the page showing the result. None when the photo changed meanwhile.
    const full = await (await host.engine()).fullView(FULL_VIEW_DELAY_MS);
    if (!full) return;
    if (views.current.get(pixels) !== reduced) {
      full.close();
      return;
    }
    const b = rememberView(pixels, [full, ...reduced]);
    if (history.current.current?.pixels === pixels) setBase(b);
  };

  /** Counts syncs: one whose copy is overtaken by a later sync's hands nothing over (the later one does). */
  const syncGeneration = useRef(0);
  /** The sync under way, if any: a second call for the same pixels and engine waits for it instead of copying again. */
  const syncing = useRef<{ engine: Engine; pixels: Uint8ClampedArray; done: Promise<void> } | null>(null);
  const syncEngine = async (engine: Engine, pixels: Uint8ClampedArray) => {
    if (enginePixels.current === pixels) return;
    const pending = syncing.current;
    if (pending?.pixels === pixels && pending.engine === engine) return pending.done;
    const generation = ++syncGeneration.current;
    const done = (async () => {
      const p = photoRef.current as PhotoInfo;
      const copy = await copyInSlices(pixels);
      if (generation !== syncGeneration.current) return;
      await engine.setImage(p.width, p.height, Comlink.transfer(copy, [copy.buffer]));
      enginePixels.current = pixels;
    })();
    syncing.current = { engine, pixels, done };
    try {
      await done;
    } finally {
      if (syncing.current?.done === done) syncing.current = null;
    }
  };
  /**
   * Hands the engine the pixels now shown (after an Undo or Redo), in the background: the next tap or
   * erase then finds them there instead of waiting for the copy (a 12 MP photo's: 48 MB, twice).
   */
  const syncSoon = (pixels: Uint8ClampedArray) => {
    void host
      .engine()
      .then((engine) => syncEngine(engine, pixels))
      .catch(() => undefined);
  };
  host.onRestart = async (engine) => {
    enginePixels.current = null;
    const s = history.current.current;
    if (!s) return;
    await syncEngine(engine, s.pixels);
    await engine.prepare();
  };

  const overlayPixels = useRef<ImageData | null>(null);
  /** The one overlay bitmap from the worker kept alive (each is 11 MB); older selections draw from their data. */
  const liveOverlay = useRef<SelectionDisplay | null>(null);
  const keepOverlay = (display: SelectionDisplay | undefined) => {
    if (!display?.bitmap || display === liveOverlay.current) return;
    const old = liveOverlay.current;
    if (old?.bitmap) {
      old.bitmap.close();
      old.bitmap = undefined;
    }
    liveOverlay.current = display;
  };
  const renderOverlay = (mask: MaskState) => {
    const p = photoRef.current;
    if (!p) return;
    // A selection alone is shown at its own resolution when that is coarser
    // (a preview), so a tap's overlay costs next to nothing to build.
    const sel = mask.selection ? (mask.selection.display ?? mask.selection) : null;
    if (sel === null && mask.painted === 0) {
      // Nothing marked (after an erase, a clear): an empty canvas, not 11 MB of transparent pixels put.
      (overlay.getContext("2d") as CanvasRenderingContext2D).clearRect(0, 0, overlay.width, overlay.height);
      return;
    }
    const display = mask.painted === 0 ? mask.selection?.display : undefined;
    const drawn = display?.bitmap;
    if (display && drawn) {
      // The worker drew this overlay (the part of the grid the selection covers): a copy, not 2–3 million pixels filled here.
      if (overlay.width !== display.width || overlay.height !== display.height) {
        overlay.width = display.width;
        overlay.height = display.height;
      }
      const ctx = overlay.getContext("2d") as CanvasRenderingContext2D;
      ctx.clearRect(0, 0, display.width, display.height);
      ctx.drawImage(drawn, display.bitmapAt?.x ?? 0, display.bitmapAt?.y ?? 0);
      return;
    }
    const own = mask.painted === 0 && sel !== null && Math.max(sel.width, sel.height) <= OVERLAY_LONG_SIDE;
    const grid = overlaySize(p.width, p.height);
    const ow = own ? sel.width : grid.width;
    const oh = own ? sel.height : grid.height;
    if (overlay.width !== ow || overlay.height !== oh) {
      overlay.width = ow;
      overlay.height = oh;
    }
    if (overlayPixels.current?.width !== ow || overlayPixels.current.height !== oh) overlayPixels.current = new ImageData(ow, oh);
    const img = overlayPixels.current;
    drawOverlay(mask, img.data, ow, oh);
    (overlay.getContext("2d") as CanvasRenderingContext2D).putImageData(img, 0, 0);
  };

  /** Shows the current state: paint layer at its version, overlay, and (when they changed) the pixels. */
  const show = (s: Snapshot) => {
    layer.current?.goTo(s.mask.paintVersion);
    renderOverlay(s.mask);
    setSnapshot(s);
    void (async () => {
      const view = await viewOf(s.pixels);
      if (history.current.current === s || history.current.current?.pixels === s.pixels) setBase(view);
    })().catch((err: Error) => setError(err.message));
  };

  const record = (s: Snapshot) => {
    history.current.push(s);
    const oldest = history.current.oldest;
    if (oldest) layer.current?.forgetBefore(oldest.mask.paintVersion);
    show(s);
  };

  /**
   * Prepares tap-to-select for the engine's photo, showing the bundled
   * model's download (first photo only) as a progress bar, then the analysis.
   */
  const prepareSelection = async (engine: Engine): Promise<PrepareResult> => {
    setBusy("Preparing selection…");
    const onProgress = (p: PrepareProgress) => {
      if (p.stage === "download") {
        setBusy("Loading the tap-to-select model…");
        setProgress(p.total > 0 ? Math.min(1, p.loaded / p.total) : 0);
        setProgressText(`${megabytes(p.loaded)} of ${megabytes(p.total)} MB`);
        return;
      }
      setProgress(null);
      setProgressText(null);
      setBusy(p.stage === "start" ? "Starting the tap-to-select model…" : "Preparing selection…");
    };
    try {
      return await engine.prepare(Comlink.proxy(onProgress));
    } finally {
      setProgress(null);
      setProgressText(null);
    }
  };

  const fail = (err: unknown) => {
    if (isAbort(err)) return;
    setError((err as Error).message);
  };

  const open = async (file: Blob, name: string, options: DecodeOptions = {}) => {
    if (busyRef.current) return false;
    setError(null);
    setTooLarge(null);
    setBusy("Opening…");
    setSource(options.downscale ? null : { file, pixels: null });
    try {
      const engine = await host.engine();
      const opened = await engine.open(file, name, options);
      // Replayed if the engine is restarted (a cancelled erase): it keeps the file's metadata for the download.
      host.remember("photo", (e) => e.open(file, name, options));
      const { data, ...meta } = opened.photo;
      photoRef.current = meta;
      setPhoto(meta);
      if (!options.downscale) setSource({ file, pixels: data });
      layer.current = new PaintLayer(meta.width, meta.height);
      const first: Snapshot = {
        pixels: data,
        mask: emptyMask(meta.width, meta.height, layer.current.data, layer.current.version),
        prompt: NO_PROMPT,
        step: "opening the photo",
      };
      history.current.reset(first);
      // The engine decoded these very pixels and keeps them.
      enginePixels.current = data;
      for (const levels of views.current.values()) for (const b of levels) releaseViewBitmap(b);
      views.current.clear();
      const originalView = rememberView(data, opened.view);
      originalRef.current = originalView;
      setOriginal(originalView);
      setBase(originalView);
      show(first);
      const before = prepareAfter.current;
      if (before) {
        setBusy("Preparing selection…");
        await before.catch(() => undefined);
      }
      const prepared = await prepareSelection(engine);
      const scaled = options.downscale ? " (a downscaled copy)" : "";
      const fallback = prepared.warning ? ` · ${prepared.warning.replace(/\.$/, "")}` : "";
      const ready = `${meta.width}×${meta.height}${scaled} · ready in ${Math.round(prepared.ms)} ms · tap what you want to remove${fallback}`;
      setTapEngine(prepared.engine);
      if (prepared.answering === prepared.engine) setStatus(ready);
      else {
        const interim = `${ready} · ${INTERIM_NOTE}`;
        readyStatus.current = interim;
        setStatus(interim);
        watchTakeOver(engine, meta, ready);
      }
      setTapAnswering(prepared.answering);
      return true;
    } catch (err) {
      setSource(null);
      if (err instanceof VanishError) {
        if (err.code === "IMAGE_TOO_LARGE") setTooLarge({ file, name });
        setError(err.message);
      } else setError(`Could not open ${name}: ${(err as Error).message}`);
      return false;
    } finally {
      setBusy(null);
    }
  };

  /**
   * Waits for Segment Anything to finish encoding the photo (the built-in
   * engine answers taps meanwhile), then says that it answers from now on;
   * `ready` replaces the status line if it still says the photo is ready.
   */
  const watchTakeOver = (engine: Engine, photo: PhotoInfo, ready?: string) => {
    const shown = readyStatus.current;
    void engine.samPrepared().then(
      (prepared) => {
        if (photoRef.current !== photo) return;
        setTapEngine(prepared.engine);
        setTapAnswering(prepared.answering);
        const fallback = prepared.warning ? ` · ${prepared.warning.replace(/\.$/, "")}` : "";
        if (ready) setStatus((s) => (s === shown ? `${ready}${fallback}` : s));
        else if (fallback) setStatus((s) => `${s}${fallback}`);
      },
      // A failing encoding is reported by the next tap, which tries again.
      () => undefined,
    );
  };

  const openSample = async () => open(await (await fetch(sampleUrl)).blob(), "harbour.jpg");

  /** Selects again from `change(prompt)` of the last recorded state (queued behind any selection under way). */
  const select = (change: (prompt: SelectionPrompt) => SelectionPrompt | string, step: string) => {
    selecting.current = selecting.current.then(async () => {
      const s = history.current.current;
      if (!s) return;
      const prompt = change(s.prompt);
      if (typeof prompt === "string") {
        setStatus(prompt);
        return;
      }
      setBusy("Selecting…");
      try {
        const engine = await host.engine();
        await syncEngine(engine, s.pixels);
        const r = await engine.select(prompt);
        const sel: SelectionLayer = { width: r.width, height: r.height, data: r.mask, empty: r.empty, display: r.display };
        keepOverlay(r.display);
        const now = history.current.current ?? s;
        record({ pixels: now.pixels, mask: { ...now.mask, selection: sel }, prompt, step });
        const by = answeredBy(r.engine, tapEngineRef.current);
        setStatus(
          r.empty
            ? `Nothing found under ${describePrompt(prompt)}${by} · tap again or use the brush`
            : `Selected from ${describePrompt(prompt)} in ${Math.round(r.ms)} ms${by} · tap more to add, ${carveHint()}`,
        );
        setTapAnswering(r.engine);
        // After an erase Segment Anything encodes the new pixels while the built-in engine answers.
        if (r.engine !== tapEngineRef.current && photoRef.current) watchTakeOver(engine, photoRef.current);
        if (r.preview) refinements.current.set(sel, refine(sel, prompt));
      } catch (err) {
        fail(err);
      } finally {
        setBusy(null);
      }
    });
  };

  /** Swaps a preview selection for its full-resolution mask, wherever in the history it is. */
  const refine = async (preview: SelectionLayer, prompt: SelectionPrompt) => {
    try {
      const r = await (await host.engine()).refine(prompt);
      const full: SelectionLayer = { width: r.width, height: r.height, data: r.mask, empty: r.empty, display: r.display };
      keepOverlay(r.display);
      history.current.replaceAll((state) =>
        state.mask.selection === preview ? { ...state, mask: { ...state.mask, selection: full } } : state,
      );
      const current = history.current.current;
      if (current?.mask.selection === full) show(current);
      performance.mark(SELECTION_REFINED);
    } catch (err) {
      fail(err);
    } finally {
      refinements.current.delete(preview);
    }
  };

  /** The current state once its selection is at full resolution (what erasing and exporting need). */
  const settled = async (): Promise<Snapshot | undefined> => {
    await selecting.current;
    const s = history.current.current;
    const pending = s?.mask.selection && refinements.current.get(s.mask.selection);
    if (pending) {
      // A refinement that an erase took up draws its overlay a moment after that erase; waiting for it here
      // (an Undo, then Enter or an export) it should come now.
      void host
        .engine()
        .then((engine) => engine.overlayNow())
        .catch(() => undefined);
      await pending;
    }
    return history.current.current;
  };

  const inside = (p: Point) => p.x >= 0 && p.y >= 0 && p.x < w && p.y < h;

  const tap = (p: Point, negative: boolean) => {
    if (!inside(p)) return;
    const point: SegmentPoint = { x: p.x, y: p.y, label: negative ? 0 : 1 };
    if (negative)
      select(
        (prompt) =>
          prompt.parts.length === 0
            ? `Tap the object first; negative taps carve away from a selection.`
            : { ...prompt, carves: [...prompt.carves, point] },
        "a tap carving away",
      );
    else select((prompt) => ({ ...prompt, parts: [...prompt.parts, { points: [point] }] }), "a tap");
  };

  const box = (a: Point, b: Point, negative: boolean) => {
    const x0 = Math.max(0, Math.min(a.x, b.x));
    const y0 = Math.max(0, Math.min(a.y, b.y));
    const x1 = Math.min(w, Math.max(a.x, b.x));
    const y1 = Math.min(h, Math.max(a.y, b.y));
    if (x1 - x0 < 2 || y1 - y0 < 2) return;
    if (negative) {
      area(
        [
          { x: x0, y: y0 },
          { x: x1, y: y0 },
          { x: x1, y: y1 },
          { x: x0, y: y1 },
        ],
        true,
      );
      return;
    }
    select((prompt) => ({ ...prompt, parts: [...prompt.parts, { points: [], box: { x0, y0, x1, y1 } }] }), "a box");
  };

  /** Paints on the layer as one step. */
  const paint = (
    bounds: { x0: number; y0: number; x1: number; y1: number },
    value: 1 | -1,
    draw: (data: Int8Array) => void,
    step: string,
  ) => {
    const s = history.current.current;
    const l = layer.current;
    if (!s || !l) return;
    l.goTo(s.mask.paintVersion);
    const version = l.edit(bounds, draw);
    if (version === s.mask.paintVersion) return;
    record({ ...s, mask: withPaint(s.mask, version, value), erased: undefined, step });
    setStatus(value > 0 ? `Painted with ${step} · Erase (Enter) when the object is covered` : `Took ${step} out of the mask`);
  };

  const stroke = (points: Point[], erase: boolean, size: number) => {
    const r = size / 2;
    const value = erase ? -1 : 1;
    paint(
      strokeBounds(points, r),
      value,
      (data) => {
        for (let i = 0; i < points.length; i++) paintSegment(data, w, h, points[Math.max(0, i - 1)], points[i], r, value);
      },
      erase ? "a mask-eraser stroke" : "a brush stroke",
    );
  };

  const area = (points: Point[], erase: boolean) => {
    const value = erase ? -1 : 1;
    paint(strokeBounds(points, 1), value, (data) => paintPolygon(data, w, h, points, value), erase ? "an area" : "an outlined area");
  };

  /**
   * Erases `mask` from `s` and records the result; false when it failed or was cancelled. A prompt
   * instead of a mask: its selection, which the engine is still refining (see `erase`).
   */
  const runErase = async (s: Snapshot, mask: Uint8Array | SelectionPrompt, variant: number): Promise<boolean> => {
    const controller = new AbortController();
    abort.current = controller;
    setBusy("Erasing…");
    setCancellable(true);
    try {
      setProgress(0);
      const r = await host.abortable(controller.signal, async (engine) => {
        await syncEngine(engine, s.pixels);
        const progress = Comlink.proxy((f: number) => setProgress(f));
        if (!(mask instanceof Uint8Array)) return engine.eraseSelection(mask, variant + 1, progress, variant);
        // A copy crosses (moved, not cloned again): `mask` may be the selection the history keeps. A selection
        // in shared memory (the engine's, which it never writes again) crosses as it is, with no copy here.
        const shared = mask.buffer instanceof SharedArrayBuffer;
        const sent = shared ? mask : new Uint8Array(mask);
        return engine.erase(shared ? sent : Comlink.transfer(sent, [sent.buffer]), variant + 1, progress, variant);
      });
      // What was erased: the mask sent, or the refined selection the engine erased (shared memory, no copy).
      const erasedMask = mask instanceof Uint8Array ? mask : (r.mask as Uint8Array);
      const l = layer.current as PaintLayer;
      l.goTo(s.mask.paintVersion);
      const next: Snapshot = {
        pixels: r.data,
        mask: emptyMask(w, h, l.data, l.clear()),
        prompt: NO_PROMPT,
        step: variant > 0 ? "another fill" : "the erase",
        erased: { before: s.pixels, mask: erasedMask, variant },
      };
      rememberView(r.data, r.view);
      void completeView(r.data, r.view);
      // The engine's photo is now the result.
      enginePixels.current = r.data;
      record(next);
      const ref =
        r.referenceUsed === undefined
          ? ""
          : r.referenceUsed
            ? " · restored from the reference"
            : ` · reference not used${r.referenceNotes?.length ? `: ${r.referenceNotes[0].replace(/\.$/, "")}` : ""}`;
      const which = variant > 0 ? ` (fill ${(variant % 4) + 1} of 4)` : "";
      setStatus(`Erased ${withThousands(r.holePixels)} pixels in ${Math.round(r.ms)} ms${which}${ref}`);
      return true;
    } catch (err) {
      if (isAbort(err)) {
        setStatus("Erase cancelled; the photo is as it was.");
        // The refinement the selection waited for went with the engine it ran on: a fresh engine makes it again.
        const sel = s.mask.selection;
        if (!(mask instanceof Uint8Array) && sel && refinements.current.has(sel)) refinements.current.set(sel, refine(sel, mask));
      } else {
        // The engine fills its copy in place: after a failure other than a refusal it may be half filled.
        if (!(err instanceof VanishError)) enginePixels.current = null;
        fail(err);
      }
      return false;
    } finally {
      abort.current = null;
      setCancellable(false);
      setBusy(null);
      setProgress(null);
    }
  };

  const erase = async () => {
    if (busyRef.current || !history.current.current) return;
    if (!hasMarks(history.current.current.mask)) {
      setStatus("Nothing is marked: tap an object or paint over it first.");
      return;
    }
    setBusy("Erasing…");
    await selecting.current;
    const now = history.current.current as Snapshot;
    const sel = now.mask.selection;
    // Enter while the selection (and nothing painted) is still being refined on the pixels the engine holds:
    // the engine erases the refined selection as soon as it is grown, with no round trip through this page
    // (and its overlay after the erase). Other pixels (an Undo meanwhile) would have it prepare them first.
    const refining = sel && now.mask.painted === 0 && refinements.current.has(sel) && enginePixels.current === now.pixels;
    if (refining && crossOriginIsolated) {
      performance.mark(ERASE_WHILE_REFINING);
      await runErase(now, now.prompt, 0);
      return;
    }
    const s = (await settled()) as Snapshot;
    if (isPreview(s.mask)) {
      setBusy(null);
      setError("The selection could not be refined; tap the object again.");
      return;
    }
    await runErase(s, combinedMask(s.mask), 0);
  };

  const cancel = () => abort.current?.abort();

  /** Replaces the last erase's fill by the next candidate fill of the same mask. */
  const tryAnother = async () => {
    const s = history.current.current;
    if (!s?.erased || busyRef.current) return;
    const { before, mask, variant } = s.erased;
    history.current.undo();
    const prev = history.current.current as Snapshot;
    layer.current?.goTo(prev.mask.paintVersion);
    if (!(await runErase({ ...prev, pixels: before }, mask, variant + 1))) {
      history.current.redo();
      show(history.current.current as Snapshot);
    }
  };

  const undo = () => {
    if (busyRef.current || !history.current.canUndo) return;
    const undone = history.current.current as Snapshot;
    const s = history.current.undo() as Snapshot;
    show(s);
    setError(null);
    setStatus(`Undid ${undone.step}`);
    syncSoon(s.pixels);
  };

  const redo = () => {
    if (busyRef.current || !history.current.canRedo) return;
    const s = history.current.redo() as Snapshot;
    show(s);
    setError(null);
    setStatus(`Redid ${s.step}`);
    syncSoon(s.pixels);
  };

  const clear = () => {
    const s = history.current.current;
    const l = layer.current;
    if (!s || !l || !hasMarks(s.mask)) return;
    l.goTo(s.mask.paintVersion);
    record({ pixels: s.pixels, mask: emptyMask(w, h, l.data, l.clear()), prompt: NO_PROMPT, step: "clearing the mask" });
    setStatus("Mask cleared");
  };

  /** Grows (pixels > 0) or shrinks the mask: the ring that changes is painted in or rubbed out. */
  const grow = async (pixels: number) => {
    const s = await settled();
    const l = layer.current;
    if (!s || !l) return;
    const mask = combinedMask(s.mask);
    const full = { x0: 0, y0: 0, x1: w, y1: h };
    if (pixels > 0) {
      const next = dilate(mask, w, h, pixels);
      paint(
        full,
        1,
        (data) => {
          for (let i = 0; i < data.length; i++) if (next[i] && !mask[i]) data[i] = 1;
        },
        "growing the mask",
      );
    } else {
      const inverse = new Uint8Array(mask.length);
      for (let i = 0; i < mask.length; i++) inverse[i] = mask[i] ? 0 : 1;
      const out = dilate(inverse, w, h, -pixels);
      paint(
        full,
        -1,
        (data) => {
          for (let i = 0; i < data.length; i++) if (out[i] && mask[i]) data[i] = -1;
        },
        "shrinking the mask",
      );
    }
  };

  /** Marks the pixels of `crops` for erasing (on), or gives them back to the selection underneath (off), as one step. */
  const markCrops = (crops: readonly CropMask[], on: boolean, step: string) => {
    const s = history.current.current;
    const l = layer.current;
    if (!s || !l || crops.length === 0) return;
    l.goTo(s.mask.paintVersion);
    const bounds = {
      x0: Math.min(...crops.map((c) => c.x0)),
      y0: Math.min(...crops.map((c) => c.y0)),
      x1: Math.max(...crops.map((c) => c.x0 + c.width)),
      y1: Math.max(...crops.map((c) => c.y0 + c.height)),
    };
    const value = on ? 1 : 0;
    const version = l.edit(bounds, (data) => {
      for (const c of crops)
        for (let y = 0; y < c.height; y++)
          for (let x = 0; x < c.width; x++) if (c.data[y * c.width + x]) data[(c.y0 + y) * w + c.x0 + x] = value;
    });
    if (version === s.mask.paintVersion) return;
    record({ ...s, mask: withPaint(s.mask, version, value), erased: undefined, step });
  };

  /** Runs `call` on the engine once it holds the current state's pixels. */
  const onCurrent = async <T>(call: (engine: Engine, s: Snapshot) => Promise<T>): Promise<T | undefined> => {
    const s = history.current.current;
    if (!s) return undefined;
    const engine = await host.engine();
    await syncEngine(engine, s.pixels);
    return call(engine, s);
  };

  const download = async () => {
    const s = history.current.current;
    if (!s || !photo || busyRef.current) return;
    setBusy("Encoding…");
    try {
      const engine = await host.engine();
      await syncEngine(engine, s.pixels);
      const mime = outputMime(photo.mime);
      const blob = await engine.encodeCurrent(mime);
      saveBlob(blob, downloadName(photo.name, mime));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const exportMask = async () => {
    const s = await settled();
    if (!s || !photo) return;
    const rgba = maskToRgba(s.mask);
    const blob = await (await host.engine()).encode(w, h, Comlink.transfer(rgba, [rgba.buffer]), "image/png");
    saveBlob(blob, `${photo.name.replace(/\.[^.]+$/, "")}-mask.png`);
  };

  const importMask = async (file: File) => {
    const s = history.current.current;
    const l = layer.current;
    if (!s || !l) return;
    try {
      const m = await (await host.engine()).decode(file, file.name);
      if (m.width !== w || m.height !== h) {
        setError(`The mask is ${m.width}×${m.height} but the photo is ${w}×${h}; use a mask of the same size.`);
        return;
      }
      l.goTo(s.mask.paintVersion);
      const version = l.edit({ x0: 0, y0: 0, x1: w, y1: h }, (data) => paintFromRgba(data, m.data));
      let marked = 0;
      for (let i = 0; i < l.data.length; i++) marked += l.data[i] > 0 ? 1 : 0;
      record({
        pixels: s.pixels,
        mask: { width: w, height: h, selection: null, paint: l.data, paintVersion: version, painted: PAINT_ADDS },
        prompt: NO_PROMPT,
        step: "importing a mask",
      });
      setStatus(`Mask imported from ${file.name}: ${withThousands(marked)} pixels marked`);
    } catch (err) {
      fail(err);
    }
  };

  const openReference = async (file: File) => {
    try {
      await (await host.engine()).openReference(file, file.name);
      host.remember("reference", (engine) => engine.openReference(file, file.name));
      setReference(file.name);
      setStatus(`Reference ${file.name} will be used where it shows what is behind the object`);
    } catch (err) {
      fail(err);
    }
  };

  const clearReference = async () => {
    await (await host.engine()).clearReference();
    host.remember("reference", null);
    setReference(null);
    setStatus("Reference removed");
  };

  return {
    host,
    photo,
    snapshot,
    source,
    /** Makes the preparation of the photo being opened wait for `work` (see `prepareAfter`); a no-op once it has started. */
    prepareAfter: (work: Promise<unknown>) => {
      prepareAfter.current = work;
      // Segment Anything's sessions, started as the photo opens, wait too.
      const engine = host.engine();
      void engine.then((e) => e.holdSamStart()).catch(() => undefined);
      const done = () => {
        if (prepareAfter.current === work) prepareAfter.current = null;
        void engine.then((e) => e.releaseSamStart()).catch(() => undefined);
      };
      work.then(done, done);
    },
    base,
    original,
    overlay,
    busy,
    setBusy,
    progress,
    progressText,
    status,
    setStatus,
    error,
    setError,
    tooLarge,
    reference,
    cancellable,
    canUndo: history.current.canUndo,
    canRedo: history.current.canRedo,
    hasMask: snapshot ? hasMarks(snapshot.mask) : false,
    paintLayer: layer,
    markCrops,
    onCurrent,
    open,
    openSample,
    tap,
    box,
    stroke,
    area,
    erase,
    cancel,
    tryAnother,
    undo,
    redo,
    clear,
    grow,
    download,
    exportMask,
    importMask,
    openReference,
    clearReference,
    tapEngine,
    tapAnswering,
    prepare: async () => {
      if (!photoRef.current) return;
      try {
        const engine = await host.engine();
        const prepared = await prepareSelection(engine);
        setTapEngine(prepared.engine);
        setTapAnswering(prepared.answering);
        if (prepared.answering !== prepared.engine) watchTakeOver(engine, photoRef.current);
      } finally {
        setBusy(null);
      }
    },
  };
}

export type DocumentApi = ReturnType<typeof useDocument>;

/** User timing marks (traces, tests): an erase that started while its selection was still being refined; a refinement that arrived. */
export const ERASE_WHILE_REFINING = "erase: selection still being refined";
export const SELECTION_REFINED = "selection: refined";

/** What the status line adds while Segment Anything encodes the photo and the built-in engine answers taps. */
const INTERIM_NOTE = "the built-in engine answers taps until Segment Anything has analysed the photo";

/** Which engine answered a tap, for the status line (nothing when the built-in engine is the one in use). */
function answeredBy(answered: string, inUse: string | null): string {
  if (answered === "sam") return " by Segment Anything";
  if (inUse !== "builtin") return " by the built-in engine (Segment Anything is still analysing the photo)";
  return "";
}

/** Bytes of pixels copied per task by `copyInSlices` (1 MB: 256 fresh pages, 4–20 ms of page faults on this machine). */
const COPY_SLICE = 1 << 20;

/**
 * A copy of `pixels` to hand to the engine, made a slice per task: the whole copy of a 12 MP photo (48 MB
 * of fresh memory) is one 100–200 ms task, which stalls the page (an Undo, then Enter).
 */
async function copyInSlices(pixels: Uint8ClampedArray): Promise<Uint8ClampedArray<ArrayBuffer>> {
  const copy = new Uint8ClampedArray(pixels.length);
  for (let at = 0; at < pixels.length; at += COPY_SLICE) {
    if (at > 0) await nextTask();
    copy.set(pixels.subarray(at, Math.min(pixels.length, at + COPY_SLICE)), at);
  }
  return copy;
}

/** Resolves in a task of its own (a message to itself: no timer clamping after a few in a row). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
