/**
 * The view worker: draws the photo view into the page's canvas, handed over
 * with `transferControlToOffscreen`, so the canvas's frames (and the shared
 * image Chromium makes for each of the first frames the compositor holds,
 * 10–40 ms each) cost this thread, not the page's. The page posts the
 * photo's bitmaps and the overlay when they change, and a small frame
 * description (`ViewFrame`) for every frame.
 */
import { drawFrame, type ViewFrame } from "./view-draw.js";

export type ViewMessage =
  | { kind: "canvas"; canvas: OffscreenCanvas }
  | { kind: "photo"; id: number; levels: ImageBitmap[] }
  | { kind: "drop"; id: number }
  | { kind: "overlay"; bitmap: ImageBitmap | null }
  | { kind: "frame"; frame: ViewFrame; photo: number | null }
  | { kind: "reset" };

let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
const photos = new Map<number, ImageBitmap[]>();
let overlay: ImageBitmap | null = null;

const close = (bitmaps: readonly ImageBitmap[]) => {
  for (const b of bitmaps) b.close();
};

self.onmessage = (e: MessageEvent<ViewMessage>) => {
  const m = e.data;
  switch (m.kind) {
    case "canvas":
      canvas = m.canvas;
      ctx = canvas.getContext("2d");
      break;
    case "photo":
      close(photos.get(m.id) ?? []);
      photos.set(m.id, m.levels);
      break;
    case "drop":
      close(photos.get(m.id) ?? []);
      photos.delete(m.id);
      break;
    case "overlay":
      overlay?.close();
      overlay = m.bitmap;
      break;
    case "frame":
      if (canvas && ctx) drawFrame(canvas, ctx, m.frame, (m.photo !== null && photos.get(m.photo)) || [], overlay);
      break;
    case "reset":
      for (const levels of photos.values()) close(levels);
      photos.clear();
      overlay?.close();
      overlay = null;
      canvas = null;
      ctx = null;
      break;
  }
};
