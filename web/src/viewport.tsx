/**
 * The photo view: draws the photo and the mask overlay under a zoom/pan
 * transform, and turns pointer gestures into editing intents in photo pixels.
 * Select tool: click = tap, drag = box. Brush / mask eraser: drag paints.
 * Lasso and rectangle: drag outlines an area. Pan: wheel or pinch zooms; the
 * hand tool, the middle button, Space+drag or two fingers move the view.
 * Feedback drawn over the photo: the brush's circle under the pointer, a
 * marker on every tap (+ adds, − carves), the outline of every box, and a
 * crosshair that the arrow keys move (Enter taps there) for keyboard use.
 * Zoom controls: fit, 100 %, in and out, with a readout.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { placeOutlines, SuggestionOutlines } from "./components/suggestion-outlines.js";
import type { FoundSuggestion } from "./suggest-engine.js";
import type { Box, Marker, Point, Tool } from "./view-draw.js";
import { type ViewPainter, viewPainter } from "./view-painter.js";

export type { Box, Marker, Point, Tool };

/** What the app can ask of the view (the zoom actions). */
export interface ViewControl {
  fit(): void;
  actualSize(): void;
  zoomBy(factor: number): void;
}

export interface ViewportProps {
  width: number;
  height: number;
  /** What to draw: the photo (or the original while comparing). */
  base: CanvasImageSource | null;
  overlay: CanvasImageSource | null;
  /** Changes whenever the overlay's pixels change (the overlay canvas itself stays the same object). */
  overlayKey?: unknown;
  tool: Tool;
  brushSize: number;
  /** Changes when a new photo is opened, to fit it to the view. */
  fitKey: number;
  /** Where the user tapped, and the boxes drawn, for the current selection. */
  markers: readonly Marker[];
  boxes: readonly Box[];
  /** Filled in by the view: zoom commands for the app's actions. */
  control: { current: ViewControl | null };
  /** What "Suggestions" found, outlined over the photo (pressed: in the selection). */
  outlines?: { items: readonly FoundSuggestion[]; pressed: readonly boolean[]; onToggle(index: number): void };
  /** Spoken name of the canvas. */
  label: string;
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
  /** The pointer's place over the photo (for the brush circle), or null when it is elsewhere. */
  const hover = useRef<Point | null>(null);
  /** The keyboard crosshair, in photo pixels, or null while the arrow keys have not been used. */
  const crosshair = useRef<Point | null>(null);
  const [zoom, setZoom] = useState(1);
  /** The scale that fits the photo in the view; zooming out stops at half of it. */
  const fitScale = useRef(1);
  const outlineLayer = useRef<HTMLFieldSetElement>(null);

  const painter = useRef<ViewPainter | null>(null);
  const draw = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => {
      const canvas = canvasRef.current;
      if (!canvas || !painter.current) return;
      const p = propsRef.current;
      const g = gesture.current;
      const levels = p.base ? [p.base as ImageBitmap, ...((p.base instanceof ImageBitmap && reduced.get(p.base)) || [])] : [];
      painter.current.paint(
        {
          clientWidth: canvas.clientWidth,
          clientHeight: canvas.clientHeight,
          dpr: window.devicePixelRatio || 1,
          ...view.current,
          width: p.width,
          height: p.height,
          tool: p.tool,
          brushSize: p.brushSize,
          hover: hover.current,
          crosshair: crosshair.current,
          gesture: g ? { kind: g.kind, start: g.start, points: g.points, moved: g.moved } : null,
          markers: p.markers,
          boxes: p.boxes,
        },
        levels,
        p.overlay as ImageBitmap | null,
        p.overlayKey,
      );
      placeOutlines(outlineLayer.current, view.current);
    });
  };
  useEffect(() => {
    painter.current = viewPainter(canvasRef.current as HTMLCanvasElement);
    return () => {
      painter.current?.detach();
      painter.current = null;
    };
  }, []);

  /** Sets the view to `scale` (within the limits) with photo point (px, py) at screen point (sx, sy) of the canvas. */
  const setView = (scale: number, px: number, py: number, sx: number, sy: number) => {
    const next = Math.min(MAX_ZOOM, Math.max(fitScale.current * MIN_ZOOM_OF_FIT, scale));
    view.current = { scale: next, tx: sx - px * next, ty: sy - py * next };
    setZoom(next);
    draw();
  };

  const fit = () => {
    const canvas = canvasRef.current;
    if (!canvas || !props.width) return;
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    const scale = Math.min(cw / props.width, ch / props.height) * 0.96;
    fitScale.current = Math.min(1, scale);
    view.current = { scale, tx: (cw - props.width * scale) / 2, ty: (ch - props.height * scale) / 2 };
    setZoom(scale);
    draw();
  };

  /** Zooms about the middle of the view. */
  const zoomAboutCentre = (scale: number) => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const { scale: s, tx, ty } = view.current;
    const sx = canvas.clientWidth / 2;
    const sy = canvas.clientHeight / 2;
    setView(scale, (sx - tx) / s, (sy - ty) / s, sx, sy);
  };

  props.control.current = {
    fit,
    actualSize: () => zoomAboutCentre(1 / (window.devicePixelRatio || 1)),
    zoomBy: (f) => zoomAboutCentre(view.current.scale * f),
  };

  useEffect(fit, [props.fitKey]);
  // Redrawn when what it shows changes, not on every render of the app (an
  // erase's progress renders many times; each redraw resamples the photo and
  // hands the compositor a new canvas, 10–60 ms of the page's thread on a
  // 12-megapixel photo). Gestures, zooming and resizing draw by themselves.
  const shown = useRef<unknown[]>([]);
  useEffect(() => {
    const p = props;
    const now = [
      p.base,
      p.overlay,
      p.overlayKey,
      p.width,
      p.height,
      p.tool,
      p.brushSize,
      p.markers,
      p.boxes,
      p.outlines?.items,
      p.outlines?.pressed,
    ];
    if (now.length === shown.current.length && now.every((v, i) => v === shown.current[i])) return;
    shown.current = now;
    draw();
  });
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const observer = new ResizeObserver(() => draw());
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);
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
    if (e.pointerType === "mouse" || e.pointerType === "pen") {
      hover.current = toPhoto(e);
      if (props.tool === "brush" || props.tool === "eraser") draw();
    }
    if (!pointers.current.has(e.pointerId)) return;
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch.current && pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      const dist = Math.hypot(a.x - b.x, a.y - b.y);
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const s0 = pinch.current;
      const r = (canvasRef.current as HTMLCanvasElement).getBoundingClientRect();
      const px = (s0.mid.x - r.left - s0.tx) / s0.scale;
      const py = (s0.mid.y - r.top - s0.ty) / s0.scale;
      setView((s0.scale * dist) / Math.max(1, s0.dist), px, py, mid.x - r.left, mid.y - r.top);
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
    setView(scale * factor, (e.clientX - r.left - tx) / scale, (e.clientY - r.top - ty) / scale, e.clientX - r.left, e.clientY - r.top);
  };

  /** Arrow keys move the crosshair (Shift: in bigger steps), Enter taps under it (Alt+Enter carves), Esc hides it. */
  const onKeyDown = (e: KeyboardEvent) => {
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[e.key];
    if (move && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const step = Math.max(1, Math.round(Math.max(props.width, props.height) / (e.shiftKey ? 20 : 100)));
      const c = crosshair.current ?? { x: props.width / 2, y: props.height / 2 };
      crosshair.current = {
        x: Math.min(props.width - 0.5, Math.max(0.5, c.x + (crosshair.current ? move[0] * step : 0))),
        y: Math.min(props.height - 0.5, Math.max(0.5, c.y + (crosshair.current ? move[1] * step : 0))),
      };
      draw();
    } else if (e.key === "Enter" && crosshair.current && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      props.onTap({ ...crosshair.current }, e.altKey);
    } else if (e.key === "Escape" && crosshair.current) {
      e.preventDefault();
      crosshair.current = null;
      draw();
    }
  };

  const percent = Math.round(zoom * (window.devicePixelRatio || 1) * 100);
  return (
    // Wheel zoom anywhere over the photo, suggestion outlines included.
    <div class="view" onWheel={onWheel}>
      {/* biome-ignore lint/a11y/noInteractiveElementToNoninteractiveRole: the canvas is a keyboard-operated widget (crosshair, Enter taps); "application" hands it the keys */}
      <canvas
        ref={canvasRef}
        class={`viewport tool-${props.tool}`}
        data-testid="viewport"
        tabIndex={0}
        role="application"
        aria-label={props.label}
        aria-roledescription="photo"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onPointerLeave={() => {
          hover.current = null;
          draw();
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          crosshair.current = null;
          draw();
        }}
        onContextMenu={(e) => e.preventDefault()}
      />
      {props.outlines && props.outlines.items.length > 0 ? <SuggestionOutlines {...props.outlines} layer={outlineLayer} /> : null}
      <div class="zoom">
        <button type="button" onClick={() => props.control.current?.zoomBy(1 / 1.5)} aria-label="Zoom out (−)" title="Zoom out">
          −
        </button>
        <span class="readout" data-testid="zoom" aria-live="polite">
          {percent} %
        </span>
        <button type="button" onClick={() => props.control.current?.zoomBy(1.5)} aria-label="Zoom in (+)" title="Zoom in">
          +
        </button>
        <button type="button" onClick={fit} title="Fit the photo to the view (0)" data-testid="zoom-fit">
          Fit
        </button>
        <button
          type="button"
          onClick={() => props.control.current?.actualSize()}
          title="One photo pixel per screen pixel (1)"
          data-testid="zoom-100"
        >
          100 %
        </button>
      </div>
    </div>
  );
}

/** Zoom limits: 32 screen pixels per photo pixel, and half the fitted size (or of 100 % for a photo smaller than the view). */
const MAX_ZOOM = 32;
const MIN_ZOOM_OF_FIT = 0.5;
