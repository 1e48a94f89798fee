/**
 * Benchmark masks from a fixed seed, after LaMa's generator (Suvorov et al.
 * 2022): thick free-form strokes, object-shaped blobs (a standing person:
 * head, torso, legs) and boxes. Two sizes of hole: "large" masks cover
 * 10–30 % of the image (LaMa's thick setting), "object" masks 0.5–5 %, the
 * size of what people actually erase (a person, a bin, a pole, a short
 * stroke over a wire).
 * Pure: returns a byte plane with 1 = hole.
 */
import { countHole } from "../core/mask.js";
import { Random } from "../core/random.js";

export type MaskKind = "strokes" | "person" | "box";
export const MASK_KINDS: readonly MaskKind[] = ["strokes", "person", "box"];

/** How much of the image a benchmark hole covers. */
export type HoleSize = "object" | "large";
export const HOLE_SIZES: readonly HoleSize[] = ["object", "large"];
/** Range of the hole's share of the image per hole size. */
export const HOLE_FRACTION: Record<HoleSize, readonly [number, number]> = { object: [0.005, 0.05], large: [0.1, 0.3] };

export function stampDisc(m: Uint8Array, w: number, h: number, cx: number, cy: number, r: number): void {
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(w - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(h - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r2) m[y * w + x] = 1;
}

export function stampEllipse(m: Uint8Array, w: number, h: number, cx: number, cy: number, rx: number, ry: number): void {
  const x0 = Math.max(0, Math.floor(cx - rx));
  const x1 = Math.min(w - 1, Math.ceil(cx + rx));
  const y0 = Math.max(0, Math.floor(cy - ry));
  const y1 = Math.min(h - 1, Math.ceil(cy + ry));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) m[y * w + x] = 1;
}

export function stampLine(m: Uint8Array, w: number, h: number, ax: number, ay: number, bx: number, by: number, width: number): void {
  const len = Math.hypot(bx - ax, by - ay);
  const steps = Math.max(1, Math.ceil(len / Math.max(1, width / 4)));
  for (let i = 0; i <= steps; i++) stampDisc(m, w, h, ax + ((bx - ax) * i) / steps, ay + ((by - ay) * i) / steps, width / 2);
}

function draw(kind: MaskKind, w: number, h: number, rng: Random, scale: number): Uint8Array {
  const m = new Uint8Array(w * h);
  const unit = Math.min(w, h) / 512;
  if (kind === "strokes") {
    const strokes = rng.int(1, 4);
    for (let s = 0; s < strokes; s++) {
      let x = rng.int(0, w - 1);
      let y = rng.int(0, h - 1);
      const segments = rng.int(1, 5);
      const width = (25 + rng.int(0, 60)) * unit * scale;
      for (let k = 0; k < segments; k++) {
        const angle = rng.next() * 2 * Math.PI;
        const length = (60 + rng.int(0, 200)) * unit * scale;
        const nx = Math.min(w - 1, Math.max(0, x + length * Math.cos(angle)));
        const ny = Math.min(h - 1, Math.max(0, y + length * Math.sin(angle)));
        stampLine(m, w, h, x, y, nx, ny, width);
        x = nx;
        y = ny;
      }
    }
  } else if (kind === "person") {
    const height = h * (0.45 + 0.3 * rng.next()) * scale;
    const cx = w * (0.2 + 0.6 * rng.next());
    const foot = Math.min(h - 1, h * (0.7 + 0.3 * rng.next()));
    const head = height * 0.13;
    stampDisc(m, w, h, cx, foot - height + head, head * 0.8);
    stampEllipse(m, w, h, cx, foot - height * 0.58, height * 0.14, height * 0.24);
    stampLine(m, w, h, cx - height * 0.05, foot - height * 0.4, cx - height * 0.07, foot, height * 0.09);
    stampLine(m, w, h, cx + height * 0.05, foot - height * 0.4, cx + height * 0.08, foot, height * 0.09);
    stampLine(m, w, h, cx - height * 0.12, foot - height * 0.75, cx - height * 0.2, foot - height * 0.42, height * 0.06);
  } else {
    const boxes = rng.int(1, 2);
    for (let b = 0; b < boxes; b++) {
      const bw = Math.round(w * (0.15 + 0.25 * rng.next()) * scale);
      const bh = Math.round(h * (0.2 + 0.3 * rng.next()) * scale);
      const x0 = rng.int(0, Math.max(0, w - bw));
      const y0 = rng.int(0, Math.max(0, h - bh));
      for (let y = y0; y < Math.min(h, y0 + bh); y++) m.fill(1, y * w + x0, y * w + Math.min(w, x0 + bw));
    }
  }
  return m;
}

/**
 * A mask of `kind` for a w×h image whose hole covers 10–30 % of it; the same
 * (kind, w, h, seed) always gives the same mask.
 */
export function benchmarkMask(kind: MaskKind, w: number, h: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  let scale = 1;
  let best: Uint8Array | null = null;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 40; attempt++) {
    const m = draw(kind, w, h, rng, scale);
    const f = countHole(m) / (w * h);
    if (f >= 0.1 && f <= 0.3) return m;
    const gap = f < 0.1 ? 0.1 - f : f - 0.3;
    if (gap < bestGap) {
      bestGap = gap;
      best = m;
    }
    scale *= f < 0.1 ? 1.15 : 0.87;
  }
  return best ?? draw(kind, w, h, rng, 1);
}

/**
 * One object-sized shape at a given scale: a standing person, a box of varied
 * aspect, or one or two short strokes. At scale 1 it covers about 1 % of a
 * square image; area grows with scale².
 */
function drawObject(kind: MaskKind, w: number, h: number, rng: Random, scale: number): Uint8Array {
  const m = new Uint8Array(w * h);
  const unit = Math.min(w, h);
  if (kind === "person") {
    const height = unit * 0.26 * scale;
    const cx = w * (0.1 + 0.8 * rng.next());
    const foot = Math.min(h - 1, height + (h - height) * (0.4 + 0.6 * rng.next()));
    const head = height * 0.13;
    const lean = (rng.next() - 0.5) * 0.1 * height;
    stampDisc(m, w, h, cx + lean, foot - height + head, head * 0.8);
    stampEllipse(m, w, h, cx + lean * 0.5, foot - height * 0.58, height * 0.14, height * 0.24);
    stampLine(m, w, h, cx - height * 0.05, foot - height * 0.4, cx - height * 0.07, foot, height * 0.09);
    stampLine(m, w, h, cx + height * 0.05, foot - height * 0.4, cx + height * 0.08, foot, height * 0.09);
    const arm = rng.next() < 0.5 ? -1 : 1;
    stampLine(m, w, h, cx + arm * height * 0.12, foot - height * 0.75, cx + arm * height * 0.2, foot - height * 0.42, height * 0.06);
  } else if (kind === "box") {
    const aspect = 0.4 + 2.1 * rng.next();
    const side = unit * 0.1 * scale;
    const bw = Math.max(2, Math.round(side * Math.sqrt(aspect)));
    const bh = Math.max(2, Math.round(side / Math.sqrt(aspect)));
    const x0 = rng.int(0, Math.max(0, w - bw));
    const y0 = rng.int(0, Math.max(0, h - bh));
    for (let y = y0; y < Math.min(h, y0 + bh); y++) m.fill(1, y * w + x0, y * w + Math.min(w, x0 + bw));
  } else {
    const strokes = rng.int(1, 2);
    for (let s = 0; s < strokes; s++) {
      let x = w * (0.1 + 0.8 * rng.next());
      let y = h * (0.1 + 0.8 * rng.next());
      const segments = rng.int(1, 3);
      const width = unit * (0.015 + 0.02 * rng.next()) * scale;
      let angle = rng.next() * 2 * Math.PI;
      for (let k = 0; k < segments; k++) {
        angle += (rng.next() - 0.5) * 1.5;
        const length = unit * (0.08 + 0.1 * rng.next()) * scale;
        const nx = Math.min(w - 1, Math.max(0, x + length * Math.cos(angle)));
        const ny = Math.min(h - 1, Math.max(0, y + length * Math.sin(angle)));
        stampLine(m, w, h, x, y, nx, ny, width);
        x = nx;
        y = ny;
      }
    }
  }
  return m;
}

/**
 * An object-sized mask of `kind` (0.5–5 % of the image, the share drawn
 * log-uniformly so small and larger objects are equally represented); the
 * same (kind, w, h, seed) always gives the same mask. The shape and place
 * come from the seed, and only its scale is adjusted to reach the drawn share.
 */
export function objectMask(kind: MaskKind, w: number, h: number, seed: number): Uint8Array {
  const [lo, hi] = HOLE_FRACTION.object;
  const target = lo * (hi / lo) ** new Random(seed ^ 0x0b1ec7).next();
  let scale = 1;
  let m = drawObject(kind, w, h, new Random(seed), scale);
  for (let attempt = 0; attempt < 8; attempt++) {
    const f = countHole(m) / (w * h);
    if (f >= lo && f <= hi && Math.abs(f / target - 1) < 0.15) return m;
    scale *= Math.sqrt(target / Math.max(f, 1e-6));
    m = drawObject(kind, w, h, new Random(seed), scale);
  }
  return m;
}
