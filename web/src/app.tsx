/**
 * The app: open a photo, select what to remove (taps, box, brush, lasso,
 * rectangle), erase in the engine worker, compare, undo/redo, download.
 * Thin over the library: the pixels work happens in `engine.worker.ts`; this
 * file keeps the document state and wires gestures, buttons and keys to it.
 */
import * as Comlink from "comlink";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import sampleUrl from "../../samples/harbour.jpg?url";
import { dilate, type SegmentBox, type SegmentPoint, VanishError } from "../../src/index.js";
import { downloadName, type Photo } from "./codec.js";
import "./errors.js";
import type { EngineApi } from "./engine.worker.js";
import { History } from "./history.js";
import {
  combinedMask,
  drawOverlay,
  emptyMask,
  hasMarks,
  isPreview,
  type MaskState,
  maskFromRgba,
  maskToRgba,
  PAINT_ADDS,
  PAINT_RUBS,
  paintPolygon,
  paintSegment,
  type SelectionLayer,
  withPaint,
} from "./mask-layers.js";
import { type Point, type Tool, Viewport, viewBase } from "./viewport.js";

interface Snapshot {
  pixels: Uint8ClampedArray;
  mask: MaskState;
  taps: SegmentPoint[];
  box?: SegmentBox;
  /** Set on the state an erase produced: what it erased, to try another fill. */
  erased?: { before: Uint8ClampedArray; mask: Uint8Array; seed: number };
}

const OVERLAY_LONG_SIDE = 2048;
/** How many photo states keep their view bitmaps (about 64 MB each at 12 MP). */
const VIEWS_KEPT = 3;

function startEngine(onFailure: (message: string) => void): Comlink.Remote<EngineApi> {
  const worker = new Worker(new URL("./engine.worker.ts", import.meta.url), { type: "module" });
  worker.addEventListener("error", (e) => onFailure(`The engine stopped (${e.message || "worker error"}). Reload the page to go on.`));
  return Comlink.wrap<EngineApi>(worker);
}

export function App() {
  const [photo, setPhoto] = useState<Omit<Photo, "data"> | null>(null);
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [base, setBase] = useState<ImageBitmap | null>(null);
  const [original, setOriginal] = useState<ImageBitmap | null>(null);
  const [comparing, setComparing] = useState(false);
  const [tool, setTool] = useState<Tool>("select");
  const [negative, setNegative] = useState(false);
  const [brushSize, setBrushSize] = useState(40);
  const [busy, setBusy] = useState<string | null>(null);
  /** Fraction of the running erase done, or null when the busy work reports none. */
  const [progress, setProgress] = useState<number | null>(null);
  const [status, setStatus] = useState("Open a photo, or try the sample.");
  const [error, setError] = useState<string | null>(null);
  const [reference, setReference] = useState<string | null>(null);
  /** The user's ONNX models in use: SAM for taps, a network for the fill. */
  const [models, setModels] = useState<{ sam?: string; inpainter?: string }>({});
  const [fitKey, setFitKey] = useState(0);
  const [dragging, setDragging] = useState(false);
  const [, setVersion] = useState(0);
  const history = useRef(new History<Snapshot>(30));
  const engine = useMemo(() => startEngine(setError), []);
  const overlay = useMemo(() => document.createElement("canvas"), []);
  const fileInput = useRef<HTMLInputElement>(null);
  const referenceInput = useRef<HTMLInputElement>(null);
  const modelsInput = useRef<HTMLInputElement>(null);
  const maskInput = useRef<HTMLInputElement>(null);

  const w = photo?.width ?? 0;
  const h = photo?.height ?? 0;
  const photoRef = useRef<Omit<Photo, "data"> | null>(null);
  const originalRef = useRef<ImageBitmap | null>(null);
  photoRef.current = photo;

  /** Shows `s` (pixels, mask, overlay) and tells the engine when the pixels changed. */
  const show = async (s: Snapshot, pixelsChanged: boolean) => {
    setSnapshot(s);
    if (pixelsChanged) {
      setBase(await viewOf(s.pixels));
      await syncEngine(s.pixels);
    }
    renderOverlay(s.mask);
    setVersion((v) => v + 1);
  };

  /** View bitmaps of the last few pixel buffers shown (bitmaps are large: older ones are closed). */
  const views = useRef(new Map<Uint8ClampedArray, ImageBitmap[]>());
  const rememberView = (pixels: Uint8ClampedArray, levels: ImageBitmap[]): ImageBitmap => {
    const base = viewBase(levels);
    views.current.delete(pixels);
    views.current.set(pixels, levels);
    for (const [key, old] of views.current) {
      if (views.current.size <= VIEWS_KEPT) break;
      if (old[0] === originalRef.current) continue;
      views.current.delete(key);
      for (const b of old) b.close();
    }
    return base;
  };
  /** Adds the full-resolution bitmap to an erase result's view, which arrived with the halved copies only. */
  const completeView = async (pixels: Uint8ClampedArray, reduced: ImageBitmap[]) => {
    if (reduced.length === 0 || reduced[0].width === photoRef.current?.width) return;
    const full = await engine.fullView();
    if (views.current.get(pixels) !== reduced) {
      full.close();
      return;
    }
    const base = rememberView(pixels, [full, ...reduced]);
    if (history.current.current?.pixels === pixels) setBase(base);
  };
  const viewOf = async (pixels: Uint8ClampedArray): Promise<ImageBitmap> => {
    const known = views.current.get(pixels);
    if (known) return rememberView(pixels, known);
    const p = photoRef.current as Omit<Photo, "data">;
    const copy = new Uint8ClampedArray(pixels);
    return rememberView(pixels, await engine.view(p.width, p.height, Comlink.transfer(copy, [copy.buffer])));
  };

  /** The pixels the engine holds, so that they cross to the worker only when they change. */
  const enginePixels = useRef<Uint8ClampedArray | null>(null);
  const syncEngine = async (pixels: Uint8ClampedArray) => {
    if (enginePixels.current === pixels) return;
    const p = photoRef.current as Omit<Photo, "data">;
    const copy = new Uint8ClampedArray(pixels);
    await engine.setImage(p.width, p.height, Comlink.transfer(copy, [copy.buffer]));
    enginePixels.current = pixels;
  };

  const overlayPixels = useRef<ImageData | null>(null);
  const renderOverlay = (mask: MaskState) => {
    const p = photoRef.current;
    if (!p) return;
    // A selection alone is shown at its own resolution when that is coarser
    // (a preview), so a tap's overlay costs next to nothing to build.
    const sel = mask.selection;
    const own = mask.painted === 0 && sel !== null && Math.max(sel.width, sel.height) <= OVERLAY_LONG_SIDE;
    const k = Math.min(1, OVERLAY_LONG_SIDE / Math.max(p.width, p.height));
    const ow = own ? sel.width : Math.max(1, Math.round(p.width * k));
    const oh = own ? sel.height : Math.max(1, Math.round(p.height * k));
    if (overlay.width !== ow || overlay.height !== oh) {
      overlay.width = ow;
      overlay.height = oh;
    }
    if (overlayPixels.current?.width !== ow || overlayPixels.current.height !== oh) overlayPixels.current = new ImageData(ow, oh);
    const img = overlayPixels.current;
    drawOverlay(mask, img.data, ow, oh);
    (overlay.getContext("2d") as CanvasRenderingContext2D).putImageData(img, 0, 0);
  };

  const record = (s: Snapshot, pixelsChanged = false) => {
    history.current.push(s);
    void show(s, pixelsChanged);
  };

  const open = async (file: Blob, name: string) => {
    setError(null);
    setBusy("Opening…");
    try {
      const opened = await engine.open(file, name);
      const { data, ...meta } = opened.photo;
      photoRef.current = meta;
      setPhoto(meta);
      const first: Snapshot = { pixels: data, mask: emptyMask(meta.width, meta.height), taps: [] };
      history.current.reset(first);
      setBrushSize(Math.max(4, Math.round(0.03 * Math.max(meta.width, meta.height))));
      // The engine decoded these very pixels and keeps them.
      enginePixels.current = data;
      for (const levels of views.current.values()) for (const b of levels) b.close();
      views.current.clear();
      const originalView = rememberView(data, opened.view);
      originalRef.current = originalView;
      setOriginal(originalView);
      await show(first, true);
      setFitKey((k) => k + 1);
      setBusy("Preparing selection…");
      const ms = await engine.prepare();
      setStatus(`${meta.width}×${meta.height} · ready in ${Math.round(ms)} ms · tap what you want to remove`);
    } catch (err) {
      setError(err instanceof VanishError ? err.message : `Could not open ${name}: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  };

  /** Full-resolution refinements under way, by the preview layer they replace. */
  const refinements = useRef(new Map<SelectionLayer, Promise<void>>());

  const select = async (taps: SegmentPoint[], box?: SegmentBox) => {
    const s = history.current.current;
    if (!s) return;
    if (!taps.some((t) => t.label === 1) && !box) {
      setStatus("Tap the object first; negative taps carve away from a selection.");
      return;
    }
    setBusy("Selecting…");
    try {
      const r = await engine.select(taps, box);
      const layer: SelectionLayer = { width: r.width, height: r.height, data: r.mask, empty: r.empty };
      record({ pixels: s.pixels, mask: { ...s.mask, selection: layer }, taps, ...(box ? { box } : {}) });
      const prompt = `${taps.length} tap${taps.length === 1 ? "" : "s"}${box ? " and a box" : ""}`;
      setStatus(`Selected from ${prompt} in ${Math.round(r.ms)} ms · tap more to add, Alt+tap (or −) to carve away`);
      if (r.preview !== undefined) refinements.current.set(layer, refine(layer, r.preview, taps, box));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };

  /** Swaps a preview selection for its full-resolution mask, wherever in the history it is. */
  const refine = async (layer: SelectionLayer, id: number, taps: SegmentPoint[], box?: SegmentBox) => {
    try {
      const r = await engine.refine(id, taps, box);
      const full: SelectionLayer = { width: r.width, height: r.height, data: r.mask, empty: r.empty };
      history.current.replaceAll((state) =>
        state.mask.selection === layer ? { ...state, mask: { ...state.mask, selection: full } } : state,
      );
      const current = history.current.current;
      if (current?.mask.selection === full) void show(current, false);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      refinements.current.delete(layer);
    }
  };

  /** The current state once its selection is at full resolution (what erasing and exporting need). */
  const settled = async (): Promise<Snapshot | undefined> => {
    const s = history.current.current;
    const pending = s?.mask.selection && refinements.current.get(s.mask.selection);
    if (pending) await pending;
    return history.current.current;
  };

  const onTap = (p: Point, alt: boolean) => {
    const s = history.current.current;
    if (!s || p.x < 0 || p.y < 0 || p.x >= w || p.y >= h) return;
    const label: 0 | 1 = negative !== alt ? 0 : 1;
    void select([...s.taps, { x: p.x, y: p.y, label }], s.box);
  };

  const onBox = (a: Point, b: Point, alt: boolean) => {
    const s = history.current.current;
    if (!s) return;
    const box = {
      x0: Math.max(0, Math.min(a.x, b.x)),
      y0: Math.max(0, Math.min(a.y, b.y)),
      x1: Math.min(w, Math.max(a.x, b.x)),
      y1: Math.min(h, Math.max(a.y, b.y)),
    };
    if (negative !== alt) {
      onArea(
        [
          { x: box.x0, y: box.y0 },
          { x: box.x1, y: box.y0 },
          { x: box.x1, y: box.y1 },
          { x: box.x0, y: box.y1 },
        ],
        true,
      );
      return;
    }
    void select(s.taps, box);
  };

  const onStroke = (points: Point[], erase: boolean) => {
    const s = history.current.current;
    if (!s) return;
    const paint = new Int8Array(s.mask.paint);
    const r = brushSize / 2;
    for (let i = 0; i < points.length; i++) paintSegment(paint, w, h, points[Math.max(0, i - 1)], points[i], r, erase ? -1 : 1);
    record({ ...s, mask: withPaint(s.mask, paint, erase ? -1 : 1), erased: undefined });
  };

  const onArea = (points: Point[], erase: boolean) => {
    const s = history.current.current;
    if (!s) return;
    const paint = new Int8Array(s.mask.paint);
    const value = erase || tool === "eraser" ? -1 : 1;
    paintPolygon(paint, w, h, points, value);
    record({ ...s, mask: withPaint(s.mask, paint, value), erased: undefined });
  };

  const runErase = async (s: Snapshot, mask: Uint8Array, seed: number) => {
    setBusy("Erasing…");
    try {
      await syncEngine(s.pixels);
      setProgress(0);
      const r = await engine.erase(
        new Uint8Array(mask),
        seed,
        Comlink.proxy((f: number) => setProgress(f)),
      );
      const next: Snapshot = { pixels: r.data, mask: emptyMask(w, h), taps: [], erased: { before: s.pixels, mask, seed } };
      rememberView(r.data, r.view);
      void completeView(r.data, r.view);
      // The engine's photo is now the result.
      enginePixels.current = r.data;
      history.current.push(next);
      await show(next, true);
      const ref = r.referenceUsed === undefined ? "" : r.referenceUsed ? " · restored from the reference" : " · reference not used";
      setStatus(`Erased ${r.holePixels.toLocaleString()} pixels in ${Math.round(r.ms)} ms${ref}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
      setProgress(null);
    }
  };

  const erase = async () => {
    if (busy || !history.current.current) return;
    if (!hasMarks(history.current.current.mask)) {
      setStatus("Nothing is marked: tap an object or paint over it first.");
      return;
    }
    setBusy("Erasing…");
    const s = (await settled()) as Snapshot;
    if (isPreview(s.mask)) {
      setBusy(null);
      setError("The selection could not be refined; tap the object again.");
      return;
    }
    await runErase(s, combinedMask(s.mask), 1);
  };

  const tryAnother = () => {
    const s = history.current.current;
    if (!s?.erased || busy) return;
    const { before, mask, seed } = s.erased;
    history.current.undo();
    void runErase({ pixels: before, mask: emptyMask(w, h), taps: [] }, mask, seed + 1);
  };

  const undo = () => {
    if (busy || !history.current.canUndo) return;
    const prev = history.current.current;
    const s = history.current.undo() as Snapshot;
    void show(s, prev?.pixels !== s.pixels);
  };

  const redo = () => {
    if (busy || !history.current.canRedo) return;
    const prev = history.current.current;
    const s = history.current.redo() as Snapshot;
    void show(s, prev?.pixels !== s.pixels);
  };

  const clearMask = () => {
    const s = history.current.current;
    if (s) record({ pixels: s.pixels, mask: emptyMask(w, h), taps: [] });
  };

  const growMask = async (pixels: number) => {
    const s = await settled();
    if (!s) return;
    const mask = combinedMask(s.mask);
    let next: Uint8Array;
    if (pixels > 0) next = dilate(mask, w, h, pixels);
    else {
      const inverse = mask.map((v) => (v ? 0 : 1));
      next = dilate(inverse, w, h, -pixels).map((v) => (v ? 0 : 1));
    }
    const paint = new Int8Array(w * h);
    for (let i = 0; i < paint.length; i++) paint[i] = next[i] ? 1 : -1;
    record({ pixels: s.pixels, mask: { width: w, height: h, selection: null, paint, painted: PAINT_ADDS | PAINT_RUBS }, taps: [] });
  };

  const download = async () => {
    const s = history.current.current;
    if (!s || !photo) return;
    setBusy("Encoding…");
    try {
      await syncEngine(s.pixels);
      const blob = await engine.encodeCurrent(photo.mime);
      saveBlob(blob, downloadName(photo.name, photo.mime));
    } finally {
      setBusy(null);
    }
  };

  const exportMask = async () => {
    const s = await settled();
    if (!s || !photo) return;
    const rgba = maskToRgba(s.mask);
    const blob = await engine.encode(w, h, Comlink.transfer(rgba, [rgba.buffer]), "image/png");
    saveBlob(blob, `${photo.name.replace(/\.[^.]+$/, "")}-mask.png`);
  };

  const importMask = async (file: File) => {
    const s = history.current.current;
    if (!s) return;
    try {
      const m = await engine.decode(file, file.name);
      if (m.width !== w || m.height !== h) {
        setError(`The mask is ${m.width}×${m.height} but the photo is ${w}×${h}; use a mask of the same size.`);
        return;
      }
      record({ pixels: s.pixels, mask: maskFromRgba(m.data, w, h), taps: [] });
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const openReference = async (file: File) => {
    try {
      await engine.openReference(file, file.name);
      setReference(file.name);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  /**
   * Loads the ONNX files the user picked: a SAM encoder and decoder (names
   * containing "encoder" and "decoder") for taps, and/or one inpainting
   * network for the fill. They run in the worker with onnxruntime-web.
   */
  const loadModels = async (files: File[]) => {
    setError(null);
    const notOnnx = files.filter((f) => !f.name.toLowerCase().endsWith(".onnx"));
    if (notOnnx.length > 0) {
      setError(`Models are ONNX files; ${notOnnx.map((f) => f.name).join(", ")} is not.`);
      return;
    }
    const encoders = files.filter((f) => f.name.toLowerCase().includes("encoder"));
    const decoders = files.filter((f) => f.name.toLowerCase().includes("decoder"));
    const networks = files.filter((f) => !encoders.includes(f) && !decoders.includes(f));
    if ((encoders.length > 0 || decoders.length > 0) && (encoders.length !== 1 || decoders.length !== 1)) {
      setError("For Segment Anything, pick its encoder and its decoder together (file names containing “encoder” and “decoder”).");
      return;
    }
    if (networks.length > 1) {
      setError(`Pick one inpainting network at a time (got ${networks.map((f) => f.name).join(", ")}).`);
      return;
    }
    setBusy("Loading models…");
    try {
      const loaded: string[] = [];
      if (encoders.length === 1) {
        await engine.useSam(encoders[0], encoders[0].name, decoders[0], decoders[0].name);
        setModels((m) => ({ ...m, sam: encoders[0].name }));
        loaded.push(`taps use Segment Anything (${encoders[0].name})`);
      }
      if (networks.length === 1) {
        await engine.useInpainter(networks[0], networks[0].name);
        setModels((m) => ({ ...m, inpainter: networks[0].name }));
        loaded.push(`the fill uses ${networks[0].name}`);
      }
      if (encoders.length === 1 && photoRef.current) {
        setBusy("Preparing selection…");
        await engine.prepare();
      }
      setStatus(`Models loaded: ${loaded.join("; ")}.`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const builtinModels = async () => {
    await engine.useBuiltinSegmenter();
    await engine.useInpainter(null);
    setModels({});
    if (photoRef.current) {
      setBusy("Preparing selection…");
      try {
        await engine.prepare();
      } finally {
        setBusy(null);
      }
    }
    setStatus("Back to the built-in engines (no model files).");
  };

  const openSample = async () => open(await (await fetch(sampleUrl)).blob(), "harbour.jpg");

  const keyHandler = useRef<(e: KeyboardEvent) => void>(() => {});
  keyHandler.current = (e: KeyboardEvent) => {
    if (e.target instanceof HTMLInputElement) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === "z") {
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    } else if (mod && key === "y") {
      e.preventDefault();
      redo();
    } else if (!mod && e.type === "keydown") {
      const tools: Record<string, Tool> = { s: "select", b: "brush", e: "eraser", l: "lasso", r: "rect", h: "pan" };
      if (tools[key]) setTool(tools[key]);
      else if (key === "enter") erase();
      else if (key === "escape") clearMask();
      else if (key === "[") setBrushSize((v) => Math.max(2, Math.round(v / 1.25)));
      else if (key === "]") setBrushSize((v) => Math.round(v * 1.25));
      else if (key === "x") setNegative((v) => !v);
      else if (key === "c") setComparing(true);
    }
    if (e.type === "keyup" && key === "c") setComparing(false);
  };
  useEffect(() => {
    const on = (e: KeyboardEvent) => keyHandler.current(e);
    window.addEventListener("keydown", on);
    window.addEventListener("keyup", on);
    return () => {
      window.removeEventListener("keydown", on);
      window.removeEventListener("keyup", on);
    };
  }, []);

  const openRef = useRef(open);
  openRef.current = open;
  useEffect(() => {
    const over = (e: DragEvent) => {
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      const f = e.dataTransfer?.files[0];
      if (f) void openRef.current(f, f.name);
    };
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
    };
  }, []);

  const s = snapshot;
  const hasMask = s ? hasMarks(s.mask) : false;
  const toolButton = (t: Tool, label: string, key: string) => (
    <button type="button" class={tool === t ? "on" : ""} aria-pressed={tool === t} onClick={() => setTool(t)} title={`${label} (${key})`}>
      {label}
    </button>
  );

  return (
    <div class={`app${dragging ? " dragging" : ""}`}>
      <header>
        <h1>Vanish</h1>
        <button type="button" onClick={() => fileInput.current?.click()}>
          Open photo
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          hidden
          data-testid="open"
          onChange={onPicked((f) => open(f, f.name))}
        />
        <span class="spacer" />
        <button type="button" onClick={undo} disabled={!history.current.canUndo || !!busy} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" onClick={redo} disabled={!history.current.canRedo || !!busy} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" onClick={download} disabled={!photo || !!busy} data-testid="download">
          Download
        </button>
      </header>

      {photo ? (
        <div class="toolbar" role="toolbar">
          {toolButton("select", "Tap", "S")}
          {toolButton("brush", "Brush", "B")}
          {toolButton("eraser", "Mask eraser", "E")}
          {toolButton("lasso", "Lasso", "L")}
          {toolButton("rect", "Rectangle", "R")}
          {toolButton("pan", "Move", "H")}
          <button
            type="button"
            class={negative ? "on" : ""}
            aria-pressed={negative}
            onClick={() => setNegative(!negative)}
            title="Subtract (X, or hold Alt)"
          >
            − Subtract
          </button>
          <label class="size">
            Size
            <input
              type="range"
              min={2}
              max={Math.max(8, Math.round(Math.max(w, h) / 5))}
              value={brushSize}
              onInput={(e) => setBrushSize(Number(e.currentTarget.value))}
            />
          </label>
          <button type="button" onClick={() => growMask(Math.max(2, Math.round(Math.max(w, h) / 300)))} disabled={!hasMask}>
            Grow
          </button>
          <button type="button" onClick={() => growMask(-Math.max(2, Math.round(Math.max(w, h) / 300)))} disabled={!hasMask}>
            Shrink
          </button>
          <button type="button" onClick={clearMask} disabled={!hasMask} title="Clear the mask (Esc)">
            Clear
          </button>
          <button type="button" onClick={() => maskInput.current?.click()}>
            Import mask
          </button>
          <input ref={maskInput} type="file" accept="image/png,image/jpeg,image/webp" hidden onChange={onPicked(importMask)} />
          <button type="button" onClick={exportMask} disabled={!hasMask}>
            Export mask
          </button>
          <button
            type="button"
            onClick={() => referenceInput.current?.click()}
            title="A second photo of the same scene that shows what is behind the object"
          >
            {reference ? `Reference: ${reference}` : "Add reference"}
          </button>
          {reference ? (
            <button
              type="button"
              onClick={() => {
                void engine.clearReference();
                setReference(null);
              }}
              aria-label="Remove the reference"
            >
              ×
            </button>
          ) : null}
          <input ref={referenceInput} type="file" accept="image/jpeg,image/png,image/webp" hidden onChange={onPicked(openReference)} />
          <button
            type="button"
            onClick={() => modelsInput.current?.click()}
            title="ONNX models: a Segment Anything encoder and decoder for taps, an inpainting network (LaMa, MI-GAN) for the fill"
            data-testid="models"
          >
            {models.sam || models.inpainter
              ? `Models: ${[models.sam ? "SAM" : "", models.inpainter ?? ""].filter(Boolean).join(" + ")}`
              : "Models…"}
          </button>
          {models.sam || models.inpainter ? (
            <button type="button" onClick={() => void builtinModels()} aria-label="Use the built-in engines">
              ×
            </button>
          ) : null}
          <input
            ref={modelsInput}
            type="file"
            accept=".onnx"
            multiple
            hidden
            data-testid="models-input"
            onChange={(e) => {
              const input = e.currentTarget;
              const files = [...(input.files ?? [])];
              input.value = "";
              if (files.length > 0) void loadModels(files);
            }}
          />
        </div>
      ) : null}

      <main>
        {photo ? (
          <Viewport
            width={w}
            height={h}
            base={comparing ? original : base}
            overlay={comparing ? null : overlay}
            tool={tool}
            brushSize={brushSize}
            fitKey={fitKey}
            onTap={onTap}
            onBox={onBox}
            onStroke={onStroke}
            onArea={onArea}
          />
        ) : (
          <div class="empty">
            <p>Remove people, poles and bins from your photos. Everything happens on this device; nothing is uploaded.</p>
            <p>
              <button type="button" class="primary" onClick={() => fileInput.current?.click()}>
                Open a photo
              </button>{" "}
              <button type="button" onClick={openSample} data-testid="sample">
                Try the sample
              </button>
            </p>
            <p class="hint">or drop a JPEG, PNG or WebP here (up to 50 megapixels)</p>
          </div>
        )}
        {busy ? (
          <div class="busy" role="status" data-testid="busy">
            {progress === null ? (
              <div class="bar" />
            ) : (
              <div class="bar determinate" data-testid="progress" data-fraction={progress.toFixed(2)}>
                <div style={{ width: `${Math.round(progress * 100)}%` }} />
              </div>
            )}
            {busy}
            {progress === null ? null : ` ${Math.round(progress * 100)} %`}
          </div>
        ) : null}
      </main>

      <footer>
        {error ? (
          <div class="error" role="alert" data-testid="error">
            {error}{" "}
            <button type="button" onClick={() => setError(null)}>
              Dismiss
            </button>
          </div>
        ) : (
          <span class="status" data-testid="status">
            {status}
          </span>
        )}
        <span class="spacer" />
        {photo ? (
          <>
            <button
              type="button"
              onPointerDown={() => setComparing(true)}
              onPointerUp={() => setComparing(false)}
              onPointerLeave={() => setComparing(false)}
              title="Hold to see the original (C)"
            >
              Hold to compare
            </button>
            <button type="button" onClick={tryAnother} disabled={!s?.erased || !!busy} title="A different fill of the same mask">
              Try another
            </button>
            <button type="button" class="primary" onClick={erase} disabled={!hasMask || !!busy} data-testid="erase" title="Erase (Enter)">
              Erase
            </button>
          </>
        ) : null}
      </footer>
    </div>
  );
}

/** A hidden file input's change handler: hands over the chosen file and resets the input so the same file can be chosen again. */
function onPicked(use: (file: File) => unknown) {
  return (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (file) void use(file);
    input.value = "";
  };
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
