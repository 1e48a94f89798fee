/**
 * The view worker: draws the photo view into the page's canvas, handed over
 * with `transferControlToOffscreen`, so the canvas's frames (and the shared
 * image Chromium makes for each of the first frames the compositor holds,
 * 10–40 ms each) cost this thread, not the page's. The page hands over
 * each of the photo's bitmaps once (and drops it when it no longer keeps
 * that photo), posts the overlay when it changes, and a small frame
 * description (`ViewFrame`) for every frame.
 */
import { drawFrame, type ViewFrame } from "./view-draw.js";

export type ViewMessage =
  | { kind: "canvas"; canvas: OffscreenCanvas }
  | { kind: "bitmaps"; ids: number[]; bitmaps: ImageBitmap[] }
  | { kind: "drop"; id: number }
  | { kind: "overlay"; bitmap: ImageBitmap | null }
  /** `levels`: the photo's bitmaps to choose from, largest first. */
  | { kind: "frame"; frame: ViewFrame; levels: number[] }
  /** The canvas left the page (the bitmaps stay: the page still names them). */
  | { kind: "detach" };

let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
const bitmaps = new Map<number, ImageBitmap>();
let overlay: ImageBitmap | null = null;

self.onmessage = (e: MessageEvent<ViewMessage>) => {
  const m = e.data;
  switch (m.kind) {
    case "canvas":
      canvas = m.canvas;
      ctx = canvas.getContext("2d");
      break;
    case "bitmaps":
      for (let i = 0; i < m.ids.length; i++) bitmaps.set(m.ids[i], m.bitmaps[i]);
      break;
    case "drop":
      bitmaps.get(m.id)?.close();
      bitmaps.delete(m.id);
      break;
    case "overlay":
      overlay?.close();
      overlay = m.bitmap;
      break;
    case "frame":
      if (canvas && ctx) {
        const levels = m.levels.map((id) => bitmaps.get(id)).filter((b): b is ImageBitmap => b !== undefined);
        drawFrame(canvas, ctx, m.frame, levels, overlay);
      }
      break;
    case "detach":
      overlay?.close();
      overlay = null;
      canvas = null;
      ctx = null;
      break;
  }
};
