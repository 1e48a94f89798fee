/**
 * The photo view: draws the photo and the mask overlay under a zoom/pan
 * transform, and turns pointer gestures into editing intents in photo pixels.
 * Select tool: click = tap, drag = box. Brush / mask eraser: drag paints.
 * Lasso and rectangle: drag outlines an area. Pan: wheel or pinch zooms; the
 * hand tool, the middle button, Space+drag or two fingers move the view.
 */
import { useEffect, useRef } from "preact/hooks";

export type Tool = "select" | "brush" | "eraser" | "lasso" | "rect" | "pan";
export interface Point {
  x: number;
  y: number;
}

export interface ViewportProps {
  width: number;
  height: number;
  /** What to draw: the photo (or the original while comparing). */
  base: CanvasImageSource | null;
  overlay: CanvasImageSource | null;
  tool: Tool;
  brushSize: number;
  /** Changes when a new photo is opened, to fit it to the view. */
  fitKey: number;
  onTap(p: Point, negative: boolean): void;
  onBox(a: Point, b: Point, negative: boolean): void;
  onStroke(points: Point[], erase: boolean): void;
  onArea(points: Point[], erase: boolean): void;
}

interface Gesture {
  kind: "tap-or-box" | "stroke" | "area" | "pan" | "pinch";
  start: Point;
  points: Point[];
  negative: boolean;
  screenStart: Point;
  moved: boolean;
}

/** The reduced copies of each photo bitmap that `makeViewBitmaps` made, largest first. */
const reduced = new WeakMap<ImageBitmap, ImageBitmap[]>();

/** Registers `levels` (from `makeViewBitmaps`) and returns the photo's bitmap to pass as `base`. */
export function viewBase(levels: ImageBitmap[]): ImageBitmap {
  reduced.set(levels[0], levels.slice(1));
  return levels[0];
}

/** The copy of `base` to draw `onScreen` device pixels wide: the smallest one still at least that wide. */
function reducedFor(base: CanvasImageSource, onScreen: number): CanvasImageSource {
  let best = base;
  if (base instanceof ImageBitmap) for (const level of reduced.get(base) ?? []) if (level.width >= onScreen) best = level;
  return best;
}

export function Viewport(props: ViewportProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const view = useRef({ scale: 1, tx: 0, ty: 0 });
  const gesture = useRef<Gesture | null>(null);
  const pointers = useRef(new Map<number, Point>());
  const pinch = useRef<{ dist: number; mid: Point; scale: number; tx: number; ty: number } | null>(null);
  const space = useRef(false);
  const propsRef = useRef(props);
  propsRef.current = props;
  const frame = useRef(0);

  const draw = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => {
      const canvas = canvasRef.current;
      if (!canvas) return;
      const dpr = window.devicePixelRatio || 1;
      const w = Math.round(canvas.clientWidth * dpr);
      const h = Math.round(canvas.clientHeight * dpr);
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const { scale, tx, ty } = view.current;
      const p = propsRef.current;
      ctx.setTransform(scale * dpr, 0, 0, scale * dpr, tx * dpr, ty * dpr);
      ctx.imageSmoothingQuality = "high";
      const onScreen = p.width * scale * dpr;
      const src = p.base ? reducedFor(p.base, onScreen) : null;
      if (src) ctx.drawImage(src, 0, 0, p.width, p.height);
      if (p.overlay) {
        // Shrinking the overlay needs no filtering (a flat translucent red); enlarging it is smoothed.
        ctx.imageSmoothingEnabled = onScreen > (p.overlay as { width: number }).width;
        ctx.drawImage(p.overlay, 0, 0, p.width, p.height);
        ctx.imageSmoothingEnabled = true;
      }
      const g = gesture.current;
      if (g?.moved && (g.kind === "stroke" || g.kind === "area" || g.kind === "tap-or-box")) {
        ctx.lineJoin = "round";
        ctx.lineCap = "round";
        if (g.kind === "stroke") {
          ctx.strokeStyle = p.tool === "eraser" ? "rgba(80,160,255,0.6)" : "rgba(255,40,60,0.55)";
          ctx.lineWidth = p.brushSize;
        } else {
          ctx.strokeStyle = "#fff";
          ctx.lineWidth = 2 / scale;
          ctx.setLineDash([6 / scale, 4 / scale]);
        }
        ctx.beginPath();
        if (g.kind === "tap-or-box" || (g.kind === "area" && p.tool === "rect")) {
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
    });
  };

  const fit = () => {
    const canvas = canvasRef.current;
    if (!canvas || !props.width) return;
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    const scale = Math.min(cw / props.width, ch / props.height) * 0.96;
    view.current = { scale, tx: (cw - props.width * scale) / 2, ty: (ch - props.height * scale) / 2 };
    draw();
  };

  useEffect(fit, [props.fitKey]);
  useEffect(draw);
  useEffect(() => {
    const onResize = () => fit();
    const down = (e: KeyboardEvent) => {
      if (e.code === "Space" && !(e.target instanceof HTMLInputElement)) space.current = true;
    };
    const up = (e: KeyboardEvent) => {
      if (e.code === "Space") space.current = false;
    };
    window.addEventListener("resize", onResize);
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    return () => {
      window.removeEventListener("resize", onResize);
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
    };
  }, []);

  const toPhoto = (e: { clientX: number; clientY: number }): Point => {
    const r = (canvasRef.current as HTMLCanvasElement).getBoundingClientRect();
    const { scale, tx, ty } = view.current;
    return { x: (e.clientX - r.left - tx) / scale, y: (e.clientY - r.top - ty) / scale };
  };

  const onPointerDown = (e: PointerEvent) => {
    const canvas = canvasRef.current as HTMLCanvasElement;
    canvas.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      pinch.current = { dist: Math.hypot(a.x - b.x, a.y - b.y), mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, ...view.current };
      gesture.current = null;
      draw();
      return;
    }
    const tool = props.tool;
    const panning = tool === "pan" || e.button === 1 || space.current;
    const kind: Gesture["kind"] = panning
      ? "pan"
      : tool === "select"
        ? "tap-or-box"
        : tool === "brush" || tool === "eraser"
          ? "stroke"
          : "area";
    const p = toPhoto(e);
    gesture.current = {
      kind,
      start: p,
      points: [p],
      negative: e.altKey || e.button === 2,
      screenStart: { x: e.clientX, y: e.clientY },
      moved: kind === "stroke",
    };
    draw();
  };

  const onPointerMove = (e: PointerEvent) => {
    if (!pointers.current.has(e.pointerId)) return;
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch.current && pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      const dist = Math.hypot(a.x - b.x, a.y - b.y);
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const s0 = pinch.current;
      const scale = Math.min(64, Math.max(0.02, (s0.scale * dist) / Math.max(1, s0.dist)));
      const r = (canvasRef.current as HTMLCanvasElement).getBoundingClientRect();
      const px = (s0.mid.x - r.left - s0.tx) / s0.scale;
      const py = (s0.mid.y - r.top - s0.ty) / s0.scale;
      view.current = { scale, tx: mid.x - r.left - px * scale, ty: mid.y - r.top - py * scale };
      draw();
      return;
    }
    const g = gesture.current;
    if (!g) return;
    if (g.kind === "pan") {
      view.current.tx += e.movementX;
      view.current.ty += e.movementY;
      draw();
      return;
    }
    if (Math.hypot(e.clientX - g.screenStart.x, e.clientY - g.screenStart.y) > 5) g.moved = true;
    g.points.push(toPhoto(e));
    if (g.moved) draw();
  };

  const onPointerUp = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
    if (pinch.current) {
      if (pointers.current.size === 0) pinch.current = null;
      return;
    }
    const g = gesture.current;
    gesture.current = null;
    if (!g) return;
    const p = props;
    const last = g.points[g.points.length - 1];
    if (g.kind === "tap-or-box") {
      if (!g.moved) p.onTap(g.start, g.negative);
      else p.onBox(g.start, last, g.negative);
    } else if (g.kind === "stroke") {
      p.onStroke(g.points, p.tool === "eraser" || g.negative);
    } else if (g.kind === "area" && g.moved) {
      const pts = p.tool === "rect" ? [g.start, { x: last.x, y: g.start.y }, last, { x: g.start.x, y: last.y }] : g.points;
      p.onArea(pts, g.negative);
    }
    draw();
  };

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const r = (canvasRef.current as HTMLCanvasElement).getBoundingClientRect();
    const { scale, tx, ty } = view.current;
    const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
    const next = Math.min(64, Math.max(0.02, scale * factor));
    const px = (e.clientX - r.left - tx) / scale;
    const py = (e.clientY - r.top - ty) / scale;
    view.current = { scale: next, tx: e.clientX - r.left - px * next, ty: e.clientY - r.top - py * next };
    draw();
  };

  return (
    <canvas
      ref={canvasRef}
      class={`viewport tool-${props.tool}`}
      data-testid="viewport"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onWheel={onWheel}
      onContextMenu={(e) => e.preventDefault()}
    />
  );
}
