/**
 * The app: open a photo, select what to remove (taps, boxes, brush, lasso,
 * rectangle), erase in the engine worker, compare, undo/redo, download.
 * The document (pixels, mask, history, engine) lives in `useDocument`; every
 * command is one entry of the action table below, which the buttons, the
 * keyboard and the dialogs share; this file lays them out.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type Action, plain, useKeys, withMod } from "./actions.js";
import { MAX_MEGAPIXELS } from "./codec.js";
import { ActionButton, HoldButton } from "./components/action-button.js";
import { type LoadedModels, ModelsDialog } from "./components/models-dialog.js";
import { useDocument } from "./use-document.js";
import { useSuggestions } from "./use-suggestions.js";
import { type Tool, type ViewControl, Viewport } from "./viewport.js";

/** No markers or boxes (one array, so the view sees no change while comparing). */
const NONE: readonly never[] = [];

const TOOLS: { tool: Tool; label: string; key: string }[] = [
  { tool: "select", label: "Tap", key: "S" },
  { tool: "brush", label: "Brush", key: "B" },
  { tool: "eraser", label: "Mask eraser", key: "E" },
  { tool: "lasso", label: "Lasso", key: "L" },
  { tool: "rect", label: "Rectangle", key: "R" },
  { tool: "pan", label: "Move", key: "H" },
];

export function App() {
  const doc = useDocument();
  const suggestions = useSuggestions(doc);
  const [tool, setTool] = useState<Tool>("select");
  const [negative, setNegative] = useState(false);
  const [brushSize, setBrushSize] = useState(40);
  const [comparing, setComparing] = useState(false);
  const [fitKey, setFitKey] = useState(0);
  const [dragging, setDragging] = useState(false);
  const [modelsOpen, setModelsOpen] = useState(false);
  const [models, setModels] = useState<LoadedModels>({});
  const fileInput = useRef<HTMLInputElement>(null);
  const referenceInput = useRef<HTMLInputElement>(null);
  const maskInput = useRef<HTMLInputElement>(null);
  const canvasFocus = useRef(false);
  const view = useRef<ViewControl | null>(null);
  const { photo, snapshot: s, busy } = doc;
  const w = photo?.width ?? 0;
  const h = photo?.height ?? 0;

  /** Opens a photo; the view fits it, the brush suits its size, and the keyboard focus goes to it. */
  const open = async (file: Blob, name: string, downscale = false) => {
    // The suggestion models (when cached) load while the photo decodes.
    suggestions.warm();
    if (await doc.open(file, name, { downscale })) {
      setFitKey((k) => k + 1);
      canvasFocus.current = true;
    }
  };
  const openSample = async () => {
    suggestions.warm();
    if (await doc.openSample()) {
      setFitKey((k) => k + 1);
      canvasFocus.current = true;
    }
  };
  useEffect(() => {
    if (!photo) return;
    setBrushSize(Math.max(4, Math.round(0.03 * Math.max(photo.width, photo.height))));
  }, [photo]);
  useEffect(() => {
    if (!canvasFocus.current || busy) return;
    canvasFocus.current = false;
    (document.querySelector("[data-testid=viewport]") as HTMLElement | null)?.focus();
  });

  const ready = !!photo && !busy;
  const step = Math.max(2, Math.round(Math.max(w, h) / 300));
  const toolAction = (t: (typeof TOOLS)[number]): Action => ({
    id: `tool-${t.tool}`,
    label: t.label,
    keyName: t.key,
    key: plain(t.key.toLowerCase()),
    enabled: !!photo,
    pressed: tool === t.tool,
    run: () => setTool(t.tool),
  });
  const actions = {
    open: {
      id: "open",
      label: "Open photo",
      keyName: "Ctrl+O",
      key: withMod("o", false),
      enabled: !busy,
      run: () => fileInput.current?.click(),
    },
    undo: { id: "undo", label: "Undo", keyName: "Ctrl+Z", key: withMod("z", false), enabled: ready && doc.canUndo, run: doc.undo },
    redo: {
      id: "redo",
      label: "Redo",
      keyName: "Ctrl+Shift+Z",
      key: (e: KeyboardEvent) => withMod("z", true)(e) || withMod("y", false)(e),
      enabled: ready && doc.canRedo,
      run: doc.redo,
    },
    download: {
      id: "download",
      label: "Download",
      keyName: "Ctrl+S",
      key: withMod("s", false),
      enabled: ready,
      run: () => void doc.download(),
    },
    models: { id: "models", label: "Models…", enabled: !busy, run: () => setModelsOpen(true) },
    subtract: {
      id: "subtract",
      label: "− Subtract",
      keyName: "X",
      key: plain("x"),
      enabled: !!photo,
      pressed: negative,
      run: () => setNegative((v) => !v),
    },
    smaller: {
      id: "smaller",
      label: "Smaller brush",
      keyName: "[",
      key: plain("["),
      enabled: !!photo,
      run: () => setBrushSize((v) => Math.max(2, Math.round(v / 1.25))),
    },
    bigger: {
      id: "bigger",
      label: "Bigger brush",
      keyName: "]",
      key: plain("]"),
      enabled: !!photo,
      run: () => setBrushSize((v) => Math.round(v * 1.25)),
    },
    grow: { id: "grow", label: "Grow", enabled: ready && doc.hasMask, run: () => void doc.grow(step) },
    shrink: { id: "shrink", label: "Shrink", enabled: ready && doc.hasMask, run: () => void doc.grow(-step) },
    cancel: { id: "cancel", label: "Cancel", keyName: "Esc", key: plain("escape"), enabled: doc.cancellable, run: doc.cancel },
    clear: { id: "clear", label: "Clear", keyName: "Esc", key: plain("escape"), enabled: ready && doc.hasMask, run: doc.clear },
    importMask: { id: "import-mask", label: "Import mask", enabled: ready, run: () => maskInput.current?.click() },
    exportMask: { id: "export-mask", label: "Export mask", enabled: ready && doc.hasMask, run: () => void doc.exportMask() },
    reference: {
      id: "reference",
      label: doc.reference ? `Reference: ${doc.reference}` : "Add reference",
      enabled: ready,
      run: () => referenceInput.current?.click(),
    },
    dropReference: { id: "drop-reference", label: "Remove the reference", enabled: ready, run: () => void doc.clearReference() },
    compare: {
      id: "compare",
      label: "Hold to compare",
      keyName: "C",
      key: plain("c"),
      enabled: !!photo && doc.original !== null,
      pressed: comparing,
      run: () => setComparing(true),
      release: () => setComparing(false),
    },
    tryAnother: {
      id: "try-another",
      label: "Try another",
      keyName: "T",
      key: plain("t"),
      enabled: ready && !!s?.erased,
      run: () => void doc.tryAnother(),
    },
    erase: {
      id: "erase",
      label: "Erase",
      keyName: "Enter",
      key: plain("enter"),
      enabled: ready && doc.hasMask,
      run: () => void doc.erase(),
    },
    suggest: {
      id: "suggest",
      label: "Suggestions",
      keyName: "F",
      key: plain("f"),
      // Suggestions run in their own worker on their own copy of the file: a press need not wait for the photo's decoding.
      enabled: suggestions.canLook && !suggestions.looking,
      pressed: suggestions.shown,
      run: () => void suggestions.show(),
    },
    eraseSuggested: {
      id: "erase-suggested",
      label: "Erase all",
      enabled: ready && suggestions.shown && suggestions.items.length > 0,
      run: () => void suggestions.eraseAll(),
    },
    fit: { id: "fit", label: "Fit", keyName: "0", key: plain("0"), enabled: !!photo, run: () => view.current?.fit() },
    actual: { id: "actual", label: "100 %", keyName: "1", key: plain("1"), enabled: !!photo, run: () => view.current?.actualSize() },
    zoomIn: {
      id: "zoom-in",
      label: "Zoom in",
      keyName: "+",
      key: (e: KeyboardEvent) => plain("+")(e) || plain("=")(e),
      enabled: !!photo,
      run: () => view.current?.zoomBy(1.5),
    },
    zoomOut: {
      id: "zoom-out",
      label: "Zoom out",
      keyName: "−",
      key: plain("-"),
      enabled: !!photo,
      run: () => view.current?.zoomBy(1 / 1.5),
    },
  } satisfies Record<string, Action>;
  const tools = TOOLS.map(toolAction);
  useKeys([...Object.values(actions), ...tools]);

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

  const markers = useMemo(() => (s ? [...s.prompt.parts.flatMap((p) => p.points), ...s.prompt.carves] : []), [s?.prompt]);
  const boxes = useMemo(() => (s ? s.prompt.parts.flatMap((p) => (p.box ? [p.box] : [])) : []), [s?.prompt]);
  const modelsLabel =
    models.sam || models.inpainter ? `Models: ${[models.sam ? "SAM" : "", models.inpainter ?? ""].filter(Boolean).join(" + ")}` : "Models…";

  return (
    <div
      class={`app${dragging ? " dragging" : ""}${photo ? " has-photo" : ""}`}
      data-tap-engine={doc.tapEngine ?? undefined}
      data-tap-answering={doc.tapAnswering ?? undefined}
    >
      <header>
        <h1>Vanish</h1>
        <ActionButton action={actions.open}>Open photo</ActionButton>
        <input
          ref={fileInput}
          type="file"
          accept="image/jpeg,image/png,image/webp,image/avif"
          hidden
          data-testid="open"
          onChange={onPicked((f) => open(f, f.name))}
        />
        <ActionButton action={actions.models} testId="models" title="ONNX models for taps and for the fill">
          {modelsLabel}
        </ActionButton>
        <span class="spacer" />
        <ActionButton action={actions.undo} />
        <ActionButton action={actions.redo} />
        <ActionButton action={actions.download} testId="download" />
      </header>

      {/* Shown while the first photo opens too: Suggestions can be pressed before its decoding ends. */}
      {photo || doc.source ? (
        <div class="toolbar" role="toolbar" aria-label="Selection tools">
          {tools.map((a) => (
            <ActionButton key={a.id} action={a} />
          ))}
          <ActionButton
            action={actions.subtract}
            testId="subtract"
            title="Subtract: taps carve away, brush and areas take out (or hold Alt)"
          />
          <label class="size">
            Size
            <input
              type="range"
              min={2}
              max={Math.max(8, Math.round(Math.max(w, h) / 5))}
              value={brushSize}
              aria-label="Brush size"
              onInput={(e) => setBrushSize(Number(e.currentTarget.value))}
            />
          </label>
          <ActionButton
            action={actions.suggest}
            testId="suggest"
            title="Suggestions: outline people, text and wires to erase (models load on first use)"
          />
          <ActionButton action={actions.grow} title="Grow the mask" />
          <ActionButton action={actions.shrink} title="Shrink the mask" />
          <ActionButton action={actions.clear} title="Clear the mask" />
          <ActionButton action={actions.importMask} />
          <input ref={maskInput} type="file" accept="image/png,image/jpeg,image/webp" hidden onChange={onPicked(doc.importMask)} />
          <ActionButton action={actions.exportMask} />
          <ActionButton action={actions.reference} title="A second photo of the same scene that shows what is behind the object" />
          {doc.reference ? (
            <button type="button" onClick={actions.dropReference.run} aria-label="Remove the reference" title="Remove the reference">
              ×
            </button>
          ) : null}
          <input
            ref={referenceInput}
            type="file"
            accept="image/jpeg,image/png,image/webp,image/avif"
            hidden
            onChange={onPicked(doc.openReference)}
          />
        </div>
      ) : null}

      <main>
        {photo ? (
          <Viewport
            width={w}
            height={h}
            base={comparing ? doc.original : doc.base}
            overlay={comparing ? null : doc.overlay}
            overlayKey={doc.snapshot}
            tool={tool}
            brushSize={brushSize}
            fitKey={fitKey}
            markers={comparing ? NONE : markers}
            boxes={comparing ? NONE : boxes}
            control={view}
            outlines={suggestions.shown && !comparing ? { ...suggestions, onToggle: suggestions.toggle } : undefined}
            label={`Photo ${photo.name}, ${w} by ${h}. Tap or click what to remove; arrow keys move a crosshair, Enter taps under it, Alt+Enter carves away.`}
            onTap={(p, alt) => doc.tap(p, negative !== alt)}
            onBox={(a, b, alt) => doc.box(a, b, negative !== alt)}
            onStroke={(points, erase) => doc.stroke(points, erase || negative, brushSize)}
            onArea={(points, erase) => doc.area(points, erase || negative || tool === "eraser")}
          />
        ) : (
          <div class="empty">
            <p>Remove people, poles and bins from your photos. Everything happens on this device; nothing is uploaded.</p>
            <p>
              <button type="button" class="primary" onClick={() => fileInput.current?.click()}>
                Open a photo
              </button>{" "}
              <button type="button" onClick={() => void openSample()} data-testid="sample">
                Try the sample
              </button>
            </p>
            <p class="hint">or drop a JPEG, PNG, WebP or AVIF here (up to {MAX_MEGAPIXELS} megapixels)</p>
          </div>
        )}
        {comparing ? (
          <div class="badge" data-testid="original-label">
            Original
          </div>
        ) : null}
        {busy ? (
          <div class="busy" data-testid="busy">
            {doc.progress === null ? (
              <div class="bar" />
            ) : (
              <div
                class="bar determinate"
                role="progressbar"
                aria-label={busy}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(doc.progress * 100)}
                aria-valuetext={doc.progressText ?? `${Math.round(doc.progress * 100)} %`}
                data-testid="progress"
                data-fraction={doc.progress.toFixed(2)}
              >
                <div style={{ width: `${Math.round(doc.progress * 100)}%` }} />
              </div>
            )}
            {busy}
            {doc.progress === null ? null : ` ${doc.progressText ?? `${Math.round(doc.progress * 100)} %`}`}
            {doc.cancellable ? (
              <button type="button" class="cancel" onClick={doc.cancel} data-testid="cancel">
                Cancel
              </button>
            ) : null}
          </div>
        ) : null}
      </main>

      <footer>
        <div class="message">
          {doc.error ? (
            <div class="error" role="alert" data-testid="error">
              {doc.error}{" "}
              {doc.tooLarge ? (
                <button
                  type="button"
                  data-testid="downscale"
                  onClick={() => {
                    const t = doc.tooLarge;
                    if (t) void open(t.file, t.name, true);
                  }}
                >
                  Open a {MAX_MEGAPIXELS}-megapixel copy
                </button>
              ) : null}{" "}
              <button type="button" onClick={() => doc.setError(null)}>
                Dismiss
              </button>
            </div>
          ) : null}
          <p class={`status${doc.error ? " hidden" : ""}`} role="status" aria-live="polite" data-testid="status">
            {doc.status}
          </p>
        </div>
        {photo ? (
          <div class="actions">
            <HoldButton action={actions.compare} testId="compare">
              Hold to compare
            </HoldButton>
            <ActionButton action={actions.tryAnother} title="A visibly different fill of the same mask" testId="try-another" />
            {suggestions.shown && suggestions.items.length > 0 ? (
              <ActionButton
                action={actions.eraseSuggested}
                testId="erase-suggested"
                title={`Erase every suggestion (${suggestions.items.length})`}
              />
            ) : null}
            <ActionButton action={actions.erase} class="primary" testId="erase" />
          </div>
        ) : null}
      </footer>
      {modelsOpen ? <ModelsDialog doc={doc} models={models} onModels={setModels} onClose={() => setModelsOpen(false)} /> : null}
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
