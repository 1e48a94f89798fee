/**
 * Who paints the photo view's canvas: the view worker, when the canvas can
 * be handed to it (`transferControlToOffscreen`), so that the canvas's
 * frames are made off the page's thread; else the page itself. Both draw
 * with `drawFrame`. The worker gets its own copies of the photo's bitmaps
 * (the page keeps its own for Undo and comparing; a copy of a bitmap shares
 * its pixels) and a bitmap of the overlay whenever the overlay changes; a
 * frame is posted only once the bitmaps it shows are there, so a photo and
 * its overlay always arrive together.
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

/** Photos whose copies the worker keeps (the one shown, the original for comparing, the one before). */
const PHOTOS_KEPT = 3;

class WorkerPainter implements ViewPainter {
  /** The photos the worker holds, by their largest bitmap, oldest first. */
  private readonly sent = new Map<Drawable, number>();
  private nextId = 1;
  private overlaySent: { source: Drawable | null; key: unknown } | null = null;
  /** Copies on their way to the worker; frames wait for them. */
  private pending: Promise<void> = Promise.resolve();
  private overlays: Promise<void> = Promise.resolve();
  private waiting = 0;
  private latest: [ViewFrame, readonly Drawable[], Drawable | null, unknown] | null = null;
  private detached = false;

  constructor(private readonly worker: Worker) {}

  private post(m: ViewMessage, transfer: Transferable[] = []): void {
    if (!this.detached) this.worker.postMessage(m, transfer);
  }

  paint(frame: ViewFrame, levels: readonly Drawable[], overlay: Drawable | null, overlayKey: unknown): void {
    this.latest = [frame, levels, overlay, overlayKey];
    const base = levels[0] ?? null;
    const copies: Promise<void>[] = [];
    const id = base ? this.sent.get(base) : undefined;
    if (base && id === undefined) copies.push(this.sendPhoto(levels));
    else if (base && id !== undefined) {
      // The photo shown is the last to be dropped.
      this.sent.delete(base);
      this.sent.set(base, id);
    }
    if (!this.overlaySent || this.overlaySent.source !== overlay || this.overlaySent.key !== overlayKey) {
      this.overlaySent = { source: overlay, key: overlayKey };
      copies.push(this.sendOverlay(overlay));
    }
    if (copies.length > 0) {
      this.waiting++;
      this.pending = Promise.all([this.pending, ...copies]).then(() => {
        this.waiting--;
        this.postLatest();
      });
    } else if (this.waiting === 0) {
      this.postLatest();
    }
  }

  private postLatest(): void {
    if (!this.latest || this.waiting > 0) return;
    const [frame, levels] = this.latest;
    const id = levels[0] ? (this.sent.get(levels[0]) ?? null) : null;
    this.post({ kind: "frame", frame, photo: id });
  }

  private async sendPhoto(levels: readonly Drawable[]): Promise<void> {
    const id = this.nextId++;
    this.sent.set(levels[0], id);
    for (const [old, oldId] of this.sent) {
      if (this.sent.size <= PHOTOS_KEPT) break;
      this.sent.delete(old);
      this.post({ kind: "drop", id: oldId });
    }
    let copies: ImageBitmap[];
    try {
      copies = await Promise.all(levels.map((b) => createImageBitmap(b)));
    } catch {
      // Closed meanwhile (the page keeps a few photos' bitmaps): a newer photo is on its way.
      this.sent.delete(levels[0]);
      return;
    }
    if (this.sent.get(levels[0]) !== id) {
      for (const c of copies) c.close();
      return;
    }
    this.post({ kind: "photo", id, levels: copies }, copies);
  }

  /** The overlay's pixels now (the canvas is drawn on again later), posted after any overlay before it. */
  private sendOverlay(overlay: Drawable | null): Promise<void> {
    const copy = overlay && overlay.width > 0 && overlay.height > 0 ? createImageBitmap(overlay).catch(() => null) : Promise.resolve(null);
    this.overlays = this.overlays.then(() => copy).then((bitmap) => this.post({ kind: "overlay", bitmap }, bitmap ? [bitmap] : []));
    return this.overlays;
  }

  detach(): void {
    this.post({ kind: "reset" });
    this.detached = true;
  }
}
