/**
 * Who paints the photo view's canvas: the view worker, when the canvas can
 * be handed to it (`transferControlToOffscreen`), so that the canvas's
 * frames are made off the page's thread; else the page itself. Both draw
 * with `drawFrame`. The photo's bitmaps are handed to the worker (moved,
 * not copied: a copy of a 12 MP bitmap cost the page 190 ms of serializing)
 * the first time a frame shows them; the page keeps the emptied objects as
 * names and releases them with `releaseViewBitmap`. The overlay goes as a
 * bitmap of the overlay canvas whenever it changes; a frame is posted once
 * that bitmap is made, so a photo and its overlay always show together.
 */

import type { ViewMessage } from "./view.worker.js";
import { drawFrame, type ViewFrame } from "./view-draw.js";

type Drawable = CanvasImageSource & { width: number; height: number };

export interface ViewPainter {
  /** Draws `frame` with the photo's bitmaps `levels` (largest first) and the overlay; `overlayKey` changes with the overlay's pixels. */
  paint(frame: ViewFrame, levels: readonly Drawable[], overlay: Drawable | null, overlayKey: unknown): void;
  /** The canvas left the page. */
  detach(): void;
}

/** Paints `canvas` from the view worker where that is possible, else on the page. */
export function viewPainter(canvas: HTMLCanvasElement): ViewPainter {
  const worker = typeof canvas.transferControlToOffscreen === "function" ? viewWorker() : null;
  if (worker) {
    try {
      const offscreen = canvas.transferControlToOffscreen();
      worker.postMessage({ kind: "canvas", canvas: offscreen } satisfies ViewMessage, [offscreen]);
      return new WorkerPainter(worker);
    } catch {
      // The canvas already has a context: the page paints it.
    }
  }
  return new PagePainter(canvas);
}

let shared: Worker | null | undefined;
/** The one view worker, started with the page (before any photo, so that a photo's first frame does not wait for it). */
export function viewWorker(): Worker | null {
  if (shared === undefined) {
    try {
      shared =
        typeof OffscreenCanvas === "function" && typeof createImageBitmap === "function"
          ? new Worker(new URL("./view.worker.ts", import.meta.url), { type: "module", name: "view" })
          : null;
    } catch {
      shared = null;
    }
  }
  return shared;
}

class PagePainter implements ViewPainter {
  private readonly ctx: CanvasRenderingContext2D;
  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  }
  paint(frame: ViewFrame, levels: readonly Drawable[], overlay: Drawable | null): void {
    drawFrame(this.canvas, this.ctx, frame, levels, overlay);
  }
  detach(): void {}
}

/** The worker's name for each bitmap handed to it, and the bitmap's size (the page's object is emptied). */
const handed = new WeakMap<ImageBitmap, { id: number; width: number; height: number }>();
let nextId = 1;

/** The width of a view bitmap, also once it has been handed to the view worker. */
export function viewBitmapWidth(b: ImageBitmap): number {
  return handed.get(b)?.width ?? b.width;
}

/** Frees a view bitmap the page no longer shows, wherever its pixels are. */
export function releaseViewBitmap(b: ImageBitmap): void {
  const known = handed.get(b);
  if (known) shared?.postMessage({ kind: "drop", id: known.id } satisfies ViewMessage);
  handed.delete(b);
  b.close();
}

class WorkerPainter implements ViewPainter {
  private overlaySent: { source: Drawable | null; key: unknown } | null = null;
  /** Overlay bitmaps on their way to the worker; frames wait for them. */
  private overlays: Promise<void> = Promise.resolve();
  private waiting = 0;
  private latest: ViewFrame | null = null;
  private latestLevels: number[] = [];
  private detached = false;

  constructor(private readonly worker: Worker) {}

  private post(m: ViewMessage, transfer: Transferable[] = []): void {
    if (!this.detached) this.worker.postMessage(m, transfer);
  }

  paint(frame: ViewFrame, levels: readonly Drawable[], overlay: Drawable | null, overlayKey: unknown): void {
    const ids: number[] = [];
    const moving: ImageBitmap[] = [];
    const movingIds: number[] = [];
    for (const b of levels) {
      if (!(b instanceof ImageBitmap)) continue;
      let known = handed.get(b);
      if (!known) {
        if (b.width === 0) continue;
        known = { id: nextId++, width: b.width, height: b.height };
        handed.set(b, known);
        moving.push(b);
        movingIds.push(known.id);
      }
      ids.push(known.id);
    }
    if (moving.length > 0) this.post({ kind: "bitmaps", ids: movingIds, bitmaps: moving }, moving);
    this.latest = frame;
    this.latestLevels = ids;
    if (!this.overlaySent || this.overlaySent.source !== overlay || this.overlaySent.key !== overlayKey) {
      this.overlaySent = { source: overlay, key: overlayKey };
      this.waiting++;
      void this.sendOverlay(overlay).then(() => {
        this.waiting--;
        this.postLatest();
      });
    } else {
      this.postLatest();
    }
  }

  private postLatest(): void {
    if (this.latest && this.waiting === 0) this.post({ kind: "frame", frame: this.latest, levels: this.latestLevels });
  }

  /** The overlay's pixels now (the canvas is drawn on again later), posted after any overlay before it. */
  private sendOverlay(overlay: Drawable | null): Promise<void> {
    const copy = overlay && overlay.width > 0 && overlay.height > 0 ? createImageBitmap(overlay).catch(() => null) : Promise.resolve(null);
    this.overlays = this.overlays.then(() => copy).then((bitmap) => this.post({ kind: "overlay", bitmap }, bitmap ? [bitmap] : []));
    return this.overlays;
  }

  detach(): void {
    this.post({ kind: "detach" });
    this.detached = true;
  }
}
