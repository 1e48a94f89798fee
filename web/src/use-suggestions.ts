/**
 * The page's side of "Suggestions": asks the suggestions worker
 * (suggest.worker.ts) what to erase in the current photo, keeps the answer
 * per photo state, and turns taps on the outlines into selection steps. An
 * outline is pressed while every pixel of its mask is marked for erasing,
 * so undo and redo move the outlines with the mask. After an erase, the suggestions it
 * did not touch stay; undoing the erase brings back the ones it removed.
 * A kind that is skipped (no model) is told once per session.
 * The worker is its own, not the engine's, so that Suggestions can be
 * pressed while the engine still prepares the photo for tap-to-select;
 * it starts with the page, and with it the models, when an earlier visit
 * left them in the cache; else with the first photo, the models then with
 * the first press. On a visit whose
 * models start with the page, the worker decodes its small copy of each
 * photo as it opens (a press is likely then), and a photo being opened
 * holds Segment Anything's loading (its 44 MB
 * file read and checksum, then its sessions) until the photo has opened, or,
 * when Suggestions are pressed meanwhile, until the outlines show: the
 * built-in engine answers taps until Segment Anything is ready, as on every visit.
 */
import * as Comlink from "comlink";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import "./errors.js";
import type { SuggestWorkerApi } from "./suggest.worker.js";
import type { FoundSuggestion } from "./suggest-engine.js";
import { SUGGEST_MODEL_FILES } from "./suggest-models.js";
import type { DocumentApi } from "./use-document.js";

type SuggestWorker = Comlink.Remote<SuggestWorkerApi>;

/** The app's models/ folder. */
function modelsUrl(): string {
  return new URL("models/", document.baseURI).href;
}

/** Whether the service worker's cache holds every suggestion model (an earlier visit used them). */
async function suggestionModelsCached(): Promise<boolean> {
  if (typeof caches === "undefined") return false;
  try {
    const found = await Promise.all(SUGGEST_MODEL_FILES.map((f) => caches.match(new URL(f.name, modelsUrl()).href)));
    return found.every((r) => r !== undefined);
  } catch {
    return false;
  }
}

export interface SuggestionsApi {
  /** Whether the outlines are on (they show while the photo state has suggestions). */
  shown: boolean;
  /** Whether the worker is looking (a press meanwhile does nothing). */
  looking: boolean;
  /** Whether there is a photo to look at: open, or still opening (the worker decodes its own copy of the file). */
  canLook: boolean;
  /** The current photo state's suggestions (empty while none were looked for). */
  items: readonly FoundSuggestion[];
  /** For each item: whether it is in the selection. */
  pressed: readonly boolean[];
  /**
   * Starts the worker and, when the models are cached, their loading: call it
   * as a photo starts opening, before asking the document to open it.
   */
  warm(): void;
  /** Shows the outlines (looking first, when the photo state was not looked at yet), or hides the ones shown. */
  show(): Promise<void>;
  toggle(index: number): void;
  /** Marks every suggestion and erases. */
  eraseAll(): Promise<void>;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "2 texts and 1 wire" — what was found. */
export function describeFound(items: readonly FoundSuggestion[]): string {
  const counts = new Map<string, number>();
  for (const s of items) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  const parts = [...counts].map(([label, n]) => plural(n, label));
  return parts.length <= 1 ? (parts[0] ?? "nothing") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** Whether any pixel of `crop` is set in `mask` (the photo's width). */
function touches(crop: FoundSuggestion["mask"], mask: Uint8Array, width: number): boolean {
  for (let y = 0; y < crop.height; y++) {
    const row = (crop.y0 + y) * width + crop.x0;
    for (let x = 0; x < crop.width; x++) if (crop.data[y * crop.width + x] && mask[row + x]) return true;
  }
  return false;
}

export function useSuggestions(doc: DocumentApi): SuggestionsApi {
  const [shown, setShown] = useState(false);
  const [looking, setLooking] = useState(false);
  const lookingRef = useRef(false);
  const worker = useRef<SuggestWorker | null>(null);
  const startWorker = (): SuggestWorker => {
    if (worker.current) return worker.current;
    const w = new Worker(new URL("./suggest.worker.ts", import.meta.url), { type: "module" });
    w.addEventListener("error", (e) => doc.setError(`Suggestions stopped (${e.message || "worker error"}). Reload the page to use them.`));
    worker.current = Comlink.wrap<SuggestWorkerApi>(w);
    return worker.current;
  };
  /** Suggestions by the photo state's pixels they were found in (or carried over to). */
  const found = useRef(new WeakMap<Uint8ClampedArray, FoundSuggestion[]>());
  /** Suggestions found in an opened file (its own small copy), with the photo size the worker decoded. */
  const inFile = useRef(new WeakMap<Blob, { width: number; height: number; items: FoundSuggestion[] }>());
  /** Files whose copy came out another size than the engine's photo: their states send their pixels instead. */
  const unusable = useRef(new WeakSet<Blob>());
  const told = useRef(new Set<string>());
  const [, setVersion] = useState(0);
  /** The answer's status line when it came while the photo was still opening or being prepared (else null). */
  const said = useRef<string | null>(null);
  const busyNow = useRef(doc.busy);
  busyNow.current = doc.busy;
  const s = doc.snapshot;
  const width = doc.photo?.width ?? 0;
  // While a file opens, the photo on screen is not the one a press looks at.
  const source = doc.source;
  const opening = source !== null && source.pixels === null;

  let items = s && !opening ? found.current.get(s.pixels) : undefined;
  if (s && !items && source && s.pixels === source.pixels) {
    // Found in the file before the engine had decoded it: valid when the engine decoded the same size.
    const early = inFile.current.get(source.file);
    if (early && early.width === width && early.height === doc.photo?.height) {
      items = early.items;
      found.current.set(s.pixels, items);
    } else if (early) {
      inFile.current.delete(source.file);
      unusable.current.add(source.file);
    }
  }
  if (s && !items && s.erased) {
    const before = found.current.get(s.erased.before);
    const mask = s.erased.mask;
    const left = before?.filter((it) => !touches(it.mask, mask, width));
    // With none left, the next press looks again (the erase may have uncovered something).
    if (left && left.length > 0) {
      items = left;
      found.current.set(s.pixels, items);
    }
  }
  const current = items ?? [];

  const startModels = () => {
    void startWorker()
      .warm(modelsUrl())
      .catch(() => undefined);
  };
  // A visit after one that used Suggestions (their models in the cache): the worker and the models start with the page,
  // while the visitor picks a photo, so that a press right after opening finds them compiled. Others start nothing here:
  // on a first visit the models download with the first press (started with the page, their download and compiling
  // took seconds of CPU from whatever the visitor did first: a web-app erase test turned flaky).
  const cachedAtLoad = useRef<Promise<boolean> | null>(null);
  /** What `cachedAtLoad` found, once it has. */
  const startedAtLoad = useRef<boolean | null>(null);
  useEffect(() => {
    cachedAtLoad.current = suggestionModelsCached().then((starts) => {
      startedAtLoad.current = starts;
      if (starts) void startWorker().start(modelsUrl());
      return starts;
    });
  }, []);
  // A photo opening on a visit whose models started with the page: a press is likely, so the worker decodes its small
  // copy now, while the engine decodes the photo, instead of after the press.
  useEffect(() => {
    if (source && opening && startedAtLoad.current) void startWorker().decodeAhead(source.file);
  }, [source, opening]);
  // A photo opened another way than through `warm`'s caller: the worker starts now.
  const photo = doc.photo;
  useEffect(() => {
    if (photo) startModels();
  }, [photo]);

  /** Set from `warm` until the photo has opened (or failed to): a hold asked for meanwhile is in time. */
  const opensNow = useRef(false);
  /** Whether Segment Anything's loading is held for the photo being opened (see `warm`). */
  const heldForOpening = useRef(false);
  const holdSam = () => {
    if (heldForOpening.current || !opensNow.current) return;
    heldForOpening.current = true;
    void doc.host
      .engine()
      .then((e) => e.holdSamStart())
      .catch(() => undefined);
  };
  const releaseSam = () => {
    if (!heldForOpening.current) return;
    heldForOpening.current = false;
    void doc.host
      .engine()
      .then((e) => e.releaseSamStart())
      .catch(() => undefined);
  };
  // On a visit whose models started with the page, a press is likely: Segment Anything's file read, checksum and
  // sessions (seconds of CPU on two cores) wait while the photo opens, so that they do not share the cores with
  // the suggestions. Asked for before the engine gets the photo, so that the hold is in place when its loading starts:
  // while the page has not yet found out whether they start (the cache's answer can come after the photo is picked),
  // it holds too, and lets go if they do not.
  const warm = () => {
    startModels();
    opensNow.current = true;
    if (startedAtLoad.current === false) return;
    holdSam();
    if (startedAtLoad.current === null) {
      void cachedAtLoad.current?.then((starts) => {
        if (!starts) releaseSam();
      });
    }
  };
  // The photo has opened (or failed to, or was not opened: the document was busy): unless a press took the hold
  // over (the preparation then waits for the outlines, see `show`), Segment Anything goes on now.
  const busy = doc.busy;
  /** Whether the photo is opening, as of the last render (for `show`, whose answer comes later). */
  const openingNow = useRef(opening);
  openingNow.current = opening;
  /** Ends the hold that a press took over, once the photo has opened (an answer that came before it waits for it). */
  const afterOpening = useRef<(() => void) | null>(null);
  useEffect(() => {
    if (opening) return;
    opensNow.current = false;
    releaseSam();
    // The outlines of an answer that came while the photo opened show in this render.
    afterOpening.current?.();
    afterOpening.current = null;
  }, [opening, busy]);

  // The photo's "ready" line, when it comes after the answer, keeps the answer's line before it instead of replacing it.
  const status = doc.status;
  useEffect(() => {
    const ours = said.current;
    if (!ours || status === ours) return;
    said.current = null;
    if (/ready in/.test(status)) doc.setStatus(`${ours} · ${status}`);
  }, [status]);

  const paintVersion = s?.mask.paintVersion;
  // The paint layer is at `paintVersion` whenever the snapshot shows it.
  const pressed = useMemo(() => {
    const paint = doc.paintLayer.current?.data;
    if (!paint) return current.map(() => false);
    return current.map((it) => {
      const m = it.mask;
      for (let y = 0; y < m.height; y++) {
        const row = (m.y0 + y) * width + m.x0;
        for (let x = 0; x < m.width; x++) if (m.data[y * m.width + x] && paint[row + x] <= 0) return false;
      }
      return true;
    });
  }, [current, paintVersion, width]);

  const show = async () => {
    if (shown && items) {
      setShown(false);
      doc.setStatus("Suggestions hidden");
      return;
    }
    // Looking needs no engine: a press while the photo is prepared for tap-to-select goes ahead.
    if ((!s && !source) || lookingRef.current) return;
    // The file's own small copy serves while it opens and for its first state; later states send their pixels.
    const file = source && !unusable.current.has(source.file) && (opening || (s?.pixels === source.pixels && !items)) ? source.file : null;
    if (file && opening && inFile.current.has(file)) {
      setShown(true);
      return;
    }
    if (items) {
      setShown(true);
      if (items.length === 0) {
        doc.setStatus("Found no people, text or wires here");
        return;
      }
      doc.setStatus(`${describeFound(items)} suggested · tap an outline to select it`);
      return;
    }
    // The status line, not the busy bar: the engine may be busy preparing the photo meanwhile, and stays free for it.
    lookingRef.current = true;
    setLooking(true);
    // Pressed while the photo opens: tap-to-select's preparation waits for the outlines, so that they come first.
    let outlined = () => {};
    if (file && opening) {
      doc.prepareAfter(new Promise<void>((resolve) => (outlined = resolve)));
      // That hold (set again, the same one) now lasts until the outlines show.
      heldForOpening.current = false;
    }
    doc.setStatus("Looking for people, text and wires…");
    let lastPercent = -1;
    try {
      const onProgress = Comlink.proxy((what: string, fraction: number) => {
        const percent = Math.floor(fraction * 100);
        if (percent === lastPercent) return;
        lastPercent = percent;
        doc.setStatus(`Loading the ${what} (first time only)… ${percent} %`);
      });
      let answer: Awaited<ReturnType<SuggestWorker["find"]>>;
      if (file) {
        const inThisFile = await startWorker().findInFile(file, modelsUrl(), onProgress);
        inFile.current.set(file, inThisFile);
        answer = inThisFile;
      } else if (s) {
        const pixels = new Uint8ClampedArray(s.pixels);
        answer = await startWorker().find(
          width,
          doc.photo?.height ?? 0,
          Comlink.transfer(pixels, [pixels.buffer]),
          modelsUrl(),
          onProgress,
        );
        found.current.set(s.pixels, answer.items);
      } else return;
      setVersion((v) => v + 1);
      setShown(true);
      const news = answer.skipped.filter((k) => !told.current.has(k.kind));
      for (const k of news) told.current.add(k.kind);
      const skippedNote = news.map((k) => ` · ${k.kind} not looked for: ${k.reason}`).join("");
      const loaded = answer.loadMs > 0 ? ` (model loaded in ${Math.round(answer.loadMs)} ms)` : "";
      const message =
        answer.items.length > 0
          ? `${describeFound(answer.items)} suggested in ${Math.round(answer.ms)} ms${loaded} · tap an outline to select it, or Erase all${skippedNote}`
          : `Found no people, text or wires in ${Math.round(answer.ms)} ms${loaded}${skippedNote}`;
      doc.setStatus(message);
      said.current = busyNow.current ? message : null;
    } catch (err) {
      doc.setError(`Suggestions failed: ${(err as Error).message}`);
    } finally {
      lookingRef.current = false;
      setLooking(false);
      // The outlines show once the photo has opened too: an answer that comes first (its copy decoded ahead) waits for it.
      if (openingNow.current) afterOpening.current = outlined;
      else outlined();
    }
  };

  const toggle = (index: number) => {
    const it = current[index];
    if (!it || doc.busy) return;
    const on = !pressed[index];
    doc.markCrops([it.mask], on, on ? `selecting the suggested ${it.label}` : `deselecting the suggested ${it.label}`);
    doc.setStatus(on ? `Suggested ${it.label} selected · Erase (Enter) to remove it` : `Suggested ${it.label} no longer selected`);
  };

  const eraseAll = async () => {
    if (current.length === 0 || doc.busy) return;
    doc.markCrops(
      current.map((it) => it.mask),
      true,
      "selecting every suggestion",
    );
    await doc.erase();
  };

  return { shown, looking, canLook: !!s || !!source, items: current, pressed, warm, show, toggle, eraseAll };
}
