/**
 * One frame of the photo view, drawn from a plain description (`ViewFrame`):
 * the photo's copy nearest the screen's size, the mask overlay, the taps and
 * boxes, the brush circle, the keyboard crosshair and the gesture under way.
 * Shared by the view worker (an OffscreenCanvas, so the canvas's frames and
 * their shared images are made off the page's thread) and the page itself
 * where a canvas cannot be handed to a worker.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Marker {
  x: number;
  y: number;
  /** 1: a tap that adds, 0: one that carves away. */
  label: 0 | 1;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export type Tool = "select" | "brush" | "eraser" | "lasso" | "rect" | "pan";

/** The gesture under way, as far as a frame shows it. */
export interface FrameGesture {
  kind: "tap-or-box" | "stroke" | "area" | "pan" | "pinch";
  start: Point;
  points: readonly Point[];
  moved: boolean;
}

/** Everything a frame shows besides the bitmaps; small enough to post to a worker every frame. */
export interface ViewFrame {
  /** The canvas's size on screen, CSS pixels, and the device pixels per CSS pixel. */
  clientWidth: number;
  clientHeight: number;
  dpr: number;
  /** Photo pixel (x, y) is at CSS pixel (tx + x·scale, ty + y·scale). */
  scale: number;
  tx: number;
  ty: number;
  /** The photo's size. */
  width: number;
  height: number;
  tool: Tool;
  brushSize: number;
  hover: Point | null;
  crosshair: Point | null;
  gesture: FrameGesture | null;
  markers: readonly Marker[];
  boxes: readonly Box[];
}

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
type Drawable = CanvasImageSource & { width: number };

/** The copy among `levels` (the photo first, then ever smaller) to draw `onScreen` device pixels wide: the smallest one still at least that wide. */
export function levelFor(levels: readonly Drawable[], onScreen: number): Drawable | null {
  let best: Drawable | null = levels[0] ?? null;
  for (let i = 1; i < levels.length; i++) if (levels[i].width >= onScreen) best = levels[i];
  return best;
}

/** Sizes `canvas` to the frame's device pixels and draws the frame (`levels`: the photo's bitmaps, largest first). */
export function drawFrame(
  canvas: HTMLCanvasElement | OffscreenCanvas,
  ctx: Context2D,
  f: ViewFrame,
  levels: readonly Drawable[],
  overlay: Drawable | null,
): void {
  const w = Math.round(f.clientWidth * f.dpr);
  const h = Math.round(f.clientHeight * f.dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const { scale, dpr } = f;
  ctx.setTransform(scale * dpr, 0, 0, scale * dpr, f.tx * dpr, f.ty * dpr);
  ctx.imageSmoothingQuality = "high";
  const onScreen = f.width * scale * dpr;
  const src = levelFor(levels, onScreen);
  if (src) ctx.drawImage(src, 0, 0, f.width, f.height);
  if (overlay) {
    // Shrinking the overlay needs no filtering (a flat translucent red); enlarging it is smoothed.
    ctx.imageSmoothingEnabled = onScreen > overlay.width;
    ctx.drawImage(overlay, 0, 0, f.width, f.height);
    ctx.imageSmoothingEnabled = true;
  }
  drawMarkers(ctx, f, scale);
  if (f.hover && (f.tool === "brush" || f.tool === "eraser") && !f.gesture) {
    const { x, y } = f.hover;
    ctx.lineWidth = 1.5 / scale;
    ctx.strokeStyle = "rgba(0,0,0,0.7)";
    ctx.beginPath();
    ctx.arc(x, y, f.brushSize / 2 + 1 / scale, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.strokeStyle = f.tool === "eraser" ? "#8cc4ff" : "#fff";
    ctx.beginPath();
    ctx.arc(x, y, f.brushSize / 2, 0, 2 * Math.PI);
    ctx.stroke();
  }
  if (f.crosshair) {
    const { x, y } = f.crosshair;
    const arm = 14 / scale;
    for (const [color, width] of [
      ["#000", 4],
      ["#fff", 2],
    ] as const) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width / scale;
      ctx.beginPath();
      ctx.moveTo(x - arm, y);
      ctx.lineTo(x + arm, y);
      ctx.moveTo(x, y - arm);
      ctx.lineTo(x, y + arm);
      ctx.stroke();
    }
  }
  const g = f.gesture;
  if (g?.moved && (g.kind === "stroke" || g.kind === "area" || g.kind === "tap-or-box")) {
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    if (g.kind === "stroke") {
      ctx.strokeStyle = f.tool === "eraser" ? "rgba(80,160,255,0.6)" : "rgba(255,40,60,0.55)";
      ctx.lineWidth = f.brushSize;
    } else {
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2 / scale;
      ctx.setLineDash([6 / scale, 4 / scale]);
    }
    ctx.beginPath();
    if (g.kind === "tap-or-box" || (g.kind === "area" && f.tool === "rect")) {
      const last = g.points[g.points.length - 1];
      ctx.rect(g.start.x, g.start.y, last.x - g.start.x, last.y - g.start.y);
    } else {
      ctx.moveTo(g.points[0].x, g.points[0].y);
      for (const q of g.points) ctx.lineTo(q.x, q.y);
      if (g.kind === "area") ctx.closePath();
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

/** The taps (+ green, − red) and the boxes of the current selection, drawn at a constant size on screen. */
function drawMarkers(ctx: Context2D, f: ViewFrame, scale: number): void {
  ctx.save();
  ctx.setLineDash([6 / scale, 4 / scale]);
  for (const b of f.boxes) {
    ctx.lineWidth = 3 / scale;
    ctx.strokeStyle = "rgba(0,0,0,0.6)";
    ctx.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
    ctx.lineWidth = 1.5 / scale;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
  }
  ctx.setLineDash([]);
  const r = 9 / scale;
  for (const m of f.markers) {
    ctx.beginPath();
    ctx.arc(m.x, m.y, r, 0, 2 * Math.PI);
    ctx.fillStyle = m.label ? "#12a150" : "#d7263d";
    ctx.fill();
    ctx.lineWidth = 2 / scale;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(m.x - r * 0.5, m.y);
    ctx.lineTo(m.x + r * 0.5, m.y);
    if (m.label) {
      ctx.moveTo(m.x, m.y - r * 0.5);
      ctx.lineTo(m.x, m.y + r * 0.5);
    }
    ctx.stroke();
  }
  ctx.restore();
}
