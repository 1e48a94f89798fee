/**
 * Structure first (Sun, Yuan, Jia and Shum 2005): before the texture fill,
 * the lines and edges that run into the hole are found (LSD in a band around
 * it, lsd.ts, and edge chains for curved outlines, edges.ts), paired into curves that continue through it (pairing.ts), and
 * a band along each curve is filled by copying the structure's cross-section
 * from along the same curve outside the hole (propagate.ts).
 *
 * The bands are pasted over the finished texture fill (`pasteStructure`)
 * rather than handed to it as known pixels. Measured on the structure bench's
 * tuning half: with the bands as constraints, the fill of the rest of the hole
 * got worse even when the bands held the true pixels (lake-horizon −3.5 dB,
 * dock −0.9 dB outside the band; split holes are filled from sources along
 * the band, and a smooth sky takes the horizon's glow). Pasted, the rest of
 * the hole is the plain fill, and only the band's pixels change.
 *
 * Beside each band, a strip a few pixels wide (`SIDE_EXTRA` in propagate.ts)
 * is copied along the curve too, and replaces the fill only where the two
 * disagree: where the fill put the other side's content against the
 * structure (sky below a ridge, the table over a saucer's rim), that side now
 * comes from the matching side of the curve. Tuning half: saucer +0.8 dB,
 * curves +0.4 dB, the others within ±0.05 dB.
 *
 * The fill itself gets the curves' sides (sides.ts): PatchMatch never takes
 * a source from the other side of a continued curve than its target (a ridge's
 * sky from below it, a band's white from the dark beside it).
 *
 * Where nothing continues and the band around the hole is quiet, LSD looks
 * a second time at half its gradient quantisation, and only curves with an
 * end the first look did not have are kept: a door frame against its wall
 * (contrast ≈ 4 grey levels per px) continues, while the corner it forms
 * with the skirting board, whose entry the first look had and dropped, is
 * still left to the fill. On a busy band (textured ground, most object
 * holes) the second look is skipped, so it costs nothing there.
 *
 * Analysis runs on the crop downsampled so its long side is at most
 * `ANALYSIS_SIDE` pixels; the copy itself runs at full resolution. A hole
 * whose surroundings are flat (no gradient the detectors could see in a ring
 * around it) skips the step after the downsampling.
 */
import type { Rect, RgbaImage } from "../../image.js";
import { squaredDistanceTo } from "../../mask.js";
import { float32Scratch, floatPlanes, uint8Scratch } from "../../scratch.js";
import { blurKnown, type FloatImage } from "../resample.js";
import { downsampleCopied } from "../wasm/downsample.js";
import { nearPlanesInWasm } from "../wasm/structure.js";
import { type ChainEnd, chainEnds } from "./edges.js";
import { segmentsOverAllowed } from "./given-lines.js";
import { detectSegments, type LineSegment } from "./lsd.js";
import type { LineEnds } from "./mlsd.js";
import { type Entry, findEntries, pairEntries, type StructureCurve } from "./pairing.js";
import { type AnchorPlan, bandRect, copyAlong, type PropagationFrame, planAnchors } from "./propagate.js";

/**
 * Longest side of the analysis image, in pixels. 288 rather than 384: the
 * tuning half's curves and scores were the same (facade +0.5 dB), and the
 * step costs about 30 % less where the crop is between 288 and 384 px.
 */
export const ANALYSIS_SIDE = 288;
/**
 * Within that bound, the factor is the whole number nearest to the crop's
 * side over this, rather than the smallest that fits: the smallest-fitting
 * factor gave a crop of 681 px 227 px and the same crop at twice the size
 * 272 px, and at 272 px the facade's floor line was found as its two thin
 * edges (a 2 px band carrying the windows across) instead of the 10 px
 * shadow line it is at 227 px. Tuning half at 2048, mean of five seeds:
 * +0.06 dB (facade +0.41, dock +0.09, saucer +0.05), 1024 unchanged; 260
 * changed nothing, 220 lost the dock's planks at 1024 and the curves at
 * 2048 (analysis images of 185 and 205 px).
 */
const ANALYSIS_TARGET = 240;
/**
 * A curve that goes less far than this into the hole (analysis px, 1/15 of
 * the analysis image's 240 px) is left to the fill: across a thin stroke the
 * plain fill carries the line on its own, and a band there only risks a
 * notch or a bump where the line bends (a ridge, a zigzag). The crossing
 * study's half A (to choose: 8, 12, 16, 20) at 1024 / 2048: 36.327 → 36.389,
 * 36.398, 36.444, 36.432 dB / 39.969 → 40.019, 40.109, 40.127, 40.087; see
 * the README, Benchmark, Structure, session 32, for the checks.
 */
const SHORTEST_CROSSING = 16;
/** Segments kept per hole, strongest first: enough for a fence, few enough to stay cheap. */
const MAX_SEGMENTS = 24;
/** Ring around the hole (analysis px) that must show some gradient for the step to run. */
const RING = 6;
/** Gradient (grey levels per px) below which the ring counts as flat: under LSD's ρ ≈ 5.2 and Canny's low threshold 6. */
const FLAT_GRADIENT = 4;
/** The same on a central difference's squared length (the difference spans 2 px). */
const FLAT_LIMIT = FLAT_GRADIENT * FLAT_GRADIENT * 4;
/** Largest analysis factor whose cells' red and blue sums can share one 32-bit integer (255·11² < 2^15). */
const PACKED_MAX_FACTOR = 11;
/**
 * From this factor on, a cell outside the hole's box is averaged over every
 * other pixel (a checkerboard: each row and column of the cell still counts),
 * which halves the crop's read, the larger part of the step on a big photo.
 * A cell then sums at most ⌈q²/2⌉ pixels, so the packed read holds up to
 * `SPARSE_PACKED_MAX_FACTOR` (255·128 < 2^15).
 */
const SPARSE_FACTOR = 8;
const SPARSE_PACKED_MAX_FACTOR = 16;
/** LSD's second look where nothing continues: half its usual gradient quantisation (ρ ≈ 2.6 grey levels per px). */
const FAINT_GRADIENT = 1 / Math.sin(Math.PI / 8);
/** The band counts as quiet when at most this share of its pixels has a gradient over `FAINT_GRADIENT`. */
const QUIET_SHARE = 0.2;
/** Distance (analysis px) within which a second-look entry is the first look's. */
const SAME_ENTRY = 4;
/** Luma difference (grey levels) above which the copy beside a band replaces the fill. */
const SIDE_DISAGREEMENT = 20;
/** `pasteStructure`'s states of a pixel. */
const PLAIN = 1;
const TAKEN = 2;

export interface StructureResult {
  /** The rectangle of the photo that `remaining` and `band` cover: all the bands and their side strips. */
  rect: Rect;
  /** Plane over `rect`: 1 on the hole left to the fill, `SIDE` beside a band, 0 on bands and outside the hole. */
  remaining: Uint8Array;
  /** The bands' pixels, RGBA over `rect` (valid where the hole is set and `remaining` is not 1). */
  band: Uint8ClampedArray;
  /** Curves filled along (pairs, T-junction and corner endings). */
  curves: StructureCurve[];
  /** Pixels written. */
  pixels: number;
  /** Factor between the crop and the analysis image. */
  scale: number;
}

/**
 * Finds the structure entering the hole inside `crop`, continues it, and
 * draws the band along each continued curve. Returns null when nothing continues.
 * `holeBox`, the hole's exact bounding box if the caller has it, only saves time.
 * `onCurves`, when given, is called with the result's curves and analysis factor
 * as soon as they are known, before their bands are drawn (the result is still
 * null if no band pixel is drawn after all). `lines`, when given, are the line
 * segments (photo coordinates, from a network: mlsd.ts) used instead of LSD's,
 * cut to the band around the hole and measured there (given-lines.ts).
 */
export function continueStructure(
  image: RgbaImage,
  hole: Uint8Array,
  crop: Rect,
  holeBox?: Rect,
  onCurves?: (curves: readonly StructureCurve[], scale: number) => void,
  lines?: readonly LineEnds[],
): StructureResult | null {
  const q = analysisFactor(Math.max(crop.width, crop.height));
  const { image: low, hole: lowHole } = analysisImage(image, hole, crop, q, holeBox);
  const { width: w, height: h, data } = low;
  let hx0 = w;
  let hy0 = h;
  let hx1 = -1;
  let hy1 = -1;
  if (holeBox !== undefined) {
    // A cell is hole when any of its pixels is: the cells holding the box's corners bound the hole's cells.
    hx0 = Math.max(0, Math.floor((holeBox.x - crop.x) / q));
    hy0 = Math.max(0, Math.floor((holeBox.y - crop.y) / q));
    hx1 = Math.min(w - 1, Math.floor((holeBox.x + holeBox.width - 1 - crop.x) / q));
    hy1 = Math.min(h - 1, Math.floor((holeBox.y + holeBox.height - 1 - crop.y) / q));
  } else {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (lowHole[y * w + x] === 0) continue;
        if (x < hx0) hx0 = x;
        if (x > hx1) hx1 = x;
        if (y < hy0) hy0 = y;
        if (y > hy1) hy1 = y;
      }
    }
  }
  if (hx1 < hx0 || hy1 < hy0) return null;
  const holeSide = Math.max(hx1 - hx0 + 1, hy1 - hy0 + 1);
  // Segments are looked for in a band around the hole a quarter of its size wide.
  const reach = Math.max(10, Math.round(holeSide / 4));
  // Edges and segments are only looked for near the hole: the analysis runs on
  // the hole's box grown by the search band (and a margin for the filters).
  const margin = reach + 6;
  const sx0 = Math.max(0, hx0 - margin);
  const sy0 = Math.max(0, hy0 - margin);
  const sw = Math.min(w, hx1 + margin + 1) - sx0;
  const sh = Math.min(h, hy1 + margin + 1) - sy0;
  const near = { width: sw, height: sh, channels: 3, data: structureScratch.near.take(sw * sh * 3, true) };
  const nearHole = structureScratch.nearHole.take(sw * sh, true);
  for (let y = 0; y < sh; y++) {
    const from = (sy0 + y) * w + sx0;
    nearHole.set(lowHole.subarray(from, from + sw), y * sw);
    near.data.set(data.subarray(from * 3, (from + sw) * 3), y * sw * 3);
  }
  const distanceInto = structureScratch.distance.take(sw * sh, false);
  const distance = squaredDistanceTo(nearHole, sw, sh, reach + 1, distanceInto);
  const searchBand = structureScratch.searchBand.take(sw * sh, true);
  const grey = structureScratch.grey.take(sw * sh, true);
  if (!nearPlanes(near, nearHole, distance, reach, grey, searchBand)) return null;
  const minLength = Math.max(8, holeSide / 12);
  const census = { faint: FAINT_GRADIENT, pixels: 0, above: 0 };
  const toAnalysis = (g: LineSegment) => ({ ...g, x1: g.x1 + sx0, y1: g.y1 + sy0, x2: g.x2 + sx0, y2: g.y2 + sy0 });
  // Lines from elsewhere (photo coordinates) replace LSD's: the cells' centres lie at whole analysis coordinates.
  const nearLines = lines?.map((l) => ({
    x1: (l.x1 - crop.x) / q - 0.5 - sx0,
    y1: (l.y1 - crop.y) / q - 0.5 - sy0,
    x2: (l.x2 - crop.x) / q - 0.5 - sx0,
    y2: (l.y2 - crop.y) / q - 0.5 - sy0,
  }));
  const found = nearLines
    ? segmentsOverAllowed(nearLines, grey, searchBand, sw, sh, minLength)
    : detectSegments(grey, sw, sh, { allowed: searchBand, minLength, census });
  const segments = strongest(found).map(toAnalysis);
  const chains = chainEnds(near, nearHole, {
    allowed: searchBand,
    holeDistance: distance,
    minLength: Math.max(10, holeSide / 10),
    maxLength: 2 * reach,
  });
  for (const c of chains) {
    c.x += sx0;
    c.y += sy0;
    for (let i = 0; i < c.trail.length; i += 2) {
      c.trail[i] += sx0;
      c.trail[i + 1] += sy0;
    }
  }
  const frame = { low, lowHole, image, hole, crop, scale: q };
  const firstEntries: Entry[] = [];
  let planned = planCurves(frame, segments, chains, firstEntries);
  if (planned.length === 0 && lines === undefined && census.above <= QUIET_SHARE * census.pixels) {
    // Nothing continues and the band around the hole is quiet: a faint edge (a door frame against its wall) stands
    // out there, so LSD looks again at half the gradient quantisation. On a busy band it would only add texture.
    const faint = strongest(detectSegments(grey, sw, sh, { allowed: searchBand, minLength, threshold: FAINT_GRADIENT })).map(toAnalysis);
    planned = planCurves(frame, faint, chains, undefined, firstEntries);
  }
  if (planned.length === 0) return null;
  onCurves?.(
    planned.map((p) => p.curve),
    q,
  );
  // The bands' planes cover only the rectangle the bands can reach, never the whole photo.
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const { rect: r } of planned) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  const rect = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  const remaining = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * image.width + rect.x;
    for (let x = 0; x < rect.width; x++) if (hole[from + x] !== 0) remaining[y * rect.width + x] = 1;
  }
  const band = new Uint8ClampedArray(rect.width * rect.height * 4);
  let pixels = 0;
  const drawn: StructureCurve[] = [];
  for (const { curve, plan } of planned) {
    pixels += copyAlong(curve, plan, frame, band, remaining, rect);
    drawn.push(curve);
  }
  if (pixels === 0) return null;
  return { rect, remaining, band, curves: drawn, pixels, scale: q };
}

/**
 * Whether the fill must be told the result's sides (sides.ts): any curve but
 * a bar, whose two sides are one region. A result of bars only is pasted over
 * the fill without labels, so a speculative fill made meanwhile is kept.
 */
export function labelsSides(result: StructureResult | null): boolean {
  return result != null && curvesLabelSides(result.curves);
}

/** `labelsSides` for curves known ahead of their result (curve-channel.ts). */
export function curvesLabelSides(curves: readonly Pick<StructureCurve, "kind">[]): boolean {
  return curves.some((c) => c.kind !== "bar");
}

/** Whether the point at arc length t on a curve lies within `SAME_ENTRY` analysis px of one of the entries. */
function nearAny(c: StructureCurve, t: number, entries: readonly Entry[]): boolean {
  let i = 0;
  while (i < c.arc.length - 1 && c.arc[i] < t) i++;
  const x = c.points[2 * i];
  const y = c.points[2 * i + 1];
  return entries.some((e) => (e.x - x) ** 2 + (e.y - y) ** 2 <= SAME_ENTRY * SAME_ENTRY);
}

/** The `MAX_SEGMENTS` longest and most contrasted segments. */
function strongest(segments: LineSegment[]): LineSegment[] {
  return segments
    .sort((a, b) => Math.hypot(b.x2 - b.x1, b.y2 - b.y1) * b.contrast - Math.hypot(a.x2 - a.x1, a.y2 - a.y1) * a.contrast)
    .slice(0, MAX_SEGMENTS);
}

/**
 * Entries from the segments and chains, paired into curves, each with its
 * anchors' plan; the curves that have one. With `known`, only curves with an
 * end on an entry none of `known` lies near.
 */
function planCurves(
  frame: PropagationFrame,
  segments: LineSegment[],
  chains: ChainEnd[],
  entriesOut?: Entry[],
  known?: readonly Entry[],
): { curve: StructureCurve; plan: AnchorPlan; rect: Rect }[] {
  const entries = findEntries(frame.low, frame.lowHole, segments, chains);
  if (entriesOut !== undefined) entriesOut.push(...entries);
  if (entries.length === 0) return [];
  let curves = pairEntries(frame.low, frame.lowHole, entries);
  if (known !== undefined) curves = curves.filter((c) => !nearAny(c, 0, known) || (c.kind === "pair" && !nearAny(c, c.end, known)));
  const planned: { curve: StructureCurve; plan: AnchorPlan; rect: Rect }[] = [];
  for (const curve of curves) {
    if (curve.end < SHORTEST_CROSSING) continue;
    const plan = planAnchors(curve, frame);
    const rect = plan === null ? null : bandRect(curve, frame);
    if (plan !== null && rect !== null) planned.push({ curve, plan, rect });
  }
  return planned;
}

/** The factor by which a crop whose long side is `side` px is reduced for analysis (see `ANALYSIS_TARGET`). */
export function analysisFactor(side: number): number {
  const fits = Math.max(1, Math.ceil(side / ANALYSIS_SIDE));
  const nearest = Math.round(side / ANALYSIS_TARGET);
  // Not past the packed read's largest factor: the crop's read would then cost more than the coarser image saves.
  return nearest <= PACKED_MAX_FACTOR ? Math.max(fits, nearest) : fits;
}

/**
 * The crop reduced by q: each q×q cell the mean RGB of its known pixels, and
 * hole where any of its pixels is, then the same light anti-aliasing blur
 * (as `downsampleCrop`, on three channels and with integer sums: a third of
 * its time); from `SPARSE_FACTOR` on, over every other pixel. `holeBox`
 * (the hole's bounding box, when known) spares the hole test on every cell
 * outside it. The same cells and blur run in WebAssembly (`downsampleCopied`)
 * unless `wasm` is false (tests).
 */
/**
 * The analysis image and the planes near the hole, kept between calls on a
 * thread (see scratch.ts): none outlives `continueStructure`, whose result
 * holds planes of its own.
 */
const structureScratch = {
  analysis: float32Scratch(),
  analysisHole: uint8Scratch(),
  near: float32Scratch(),
  nearHole: uint8Scratch(),
  searchBand: uint8Scratch(),
  grey: float32Scratch(),
  distance: float32Scratch(),
};

export function analysisImage(
  image: RgbaImage,
  mask: Uint8Array,
  rect: Rect,
  q: number,
  holeBox?: Rect,
  wasm = true,
): { image: FloatImage; hole: Uint8Array } {
  const lw = Math.ceil(rect.width / q);
  const lh = Math.ceil(rect.height / q);
  const out = structureScratch.analysis.take(lw * lh * 3, true);
  const hole = structureScratch.analysisHole.take(lw * lh, true);
  // These are `downsampleCrop`'s cells (from `SPARSE_FACTOR` on, over every other pixel) and blur on three channels:
  // in WebAssembly where it runs.
  const copied = wasm ? downsampleCopied(image, mask, rect, q, 3, q >= SPARSE_FACTOR ? (rect.x + rect.y) & 1 : -1) : null;
  if (copied !== null) {
    out.set(copied.image.data.subarray(0, lw * lh * 3));
    hole.set(copied.hole);
    floatPlanes.give(copied.image.data);
    return { image: { width: lw, height: lh, channels: 3, data: out }, hole };
  }
  const W = image.width;
  const bytes = image.data;
  // One 32-bit load per pixel where the bytes allow it (R, G, B in the low three bytes on little-endian hosts).
  const words =
    bytes.byteOffset % 4 === 0 && new Uint8Array(new Uint32Array([0x04030201]).buffer)[0] === 1
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2)
      : null;
  // Red and blue summed in one integer's two 16-bit halves while a cell's blue sum stays below 2^15 (255·q² < 32768).
  const sparse = q >= SPARSE_FACTOR;
  const packed = words !== null && q <= (sparse ? SPARSE_PACKED_MAX_FACTOR : PACKED_MAX_FACTOR);
  const bx0 = holeBox?.x ?? Number.NEGATIVE_INFINITY;
  const by0 = holeBox?.y ?? Number.NEGATIVE_INFINITY;
  const bx1 = holeBox ? holeBox.x + holeBox.width : Number.POSITIVE_INFINITY;
  const by1 = holeBox ? holeBox.y + holeBox.height : Number.POSITIVE_INFINITY;
  // Cell by cell with the sums in locals: the step's only read of the full-resolution crop, so its tightest loop.
  for (let ly = 0; ly < lh; ly++) {
    const yStart = rect.y + ly * q;
    const yEnd = Math.min(yStart + q, rect.y + rect.height);
    const rowsClear = yEnd <= by0 || yStart >= by1;
    for (let lx = 0; lx < lw; lx++) {
      const xStart = rect.x + lx * q;
      const xEnd = Math.min(xStart + q, rect.x + rect.width);
      const cell = ly * lw + lx;
      if (packed && (rowsClear || xEnd <= bx0 || xStart >= bx1)) {
        // Outside the hole's box: every pixel is known.
        let rb = 0;
        let g = 0;
        let n = 0;
        if (sparse) {
          for (let y = yStart; y < yEnd; y++) {
            const row = y * W;
            // The pixels whose x + y is even: every other one from the first, counted without a division.
            const first = xStart + ((xStart + y) & 1);
            n += (xEnd - first + 1) >> 1;
            for (let m = row + first, end = row + xEnd; m < end; m += 2) {
              const v = (words as Uint32Array)[m];
              rb += v & 0xff00ff;
              g += (v >>> 8) & 255;
            }
          }
        } else if (q === 2 && xEnd - xStart === 2 && yEnd - yStart === 2) {
          // A whole 2×2 cell (every cell of a 1K photo's crop but the last row and column) written out.
          const m = yStart * W + xStart;
          const v0 = (words as Uint32Array)[m];
          const v1 = (words as Uint32Array)[m + 1];
          const v2 = (words as Uint32Array)[m + W];
          const v3 = (words as Uint32Array)[m + W + 1];
          rb = (v0 & 0xff00ff) + (v1 & 0xff00ff) + (v2 & 0xff00ff) + (v3 & 0xff00ff);
          g = ((v0 >>> 8) & 255) + ((v1 >>> 8) & 255) + ((v2 >>> 8) & 255) + ((v3 >>> 8) & 255);
          n = 4;
        } else {
          n = (yEnd - yStart) * (xEnd - xStart);
          for (let row = yStart * W; row < yEnd * W; row += W) {
            for (let m = row + xStart, end = row + xEnd; m < end; m++) {
              const v = (words as Uint32Array)[m];
              rb += v & 0xff00ff;
              g += (v >>> 8) & 255;
            }
          }
        }
        out[cell * 3] = (rb & 0xffff) / n;
        out[cell * 3 + 1] = g / n;
        out[cell * 3 + 2] = (rb >>> 16) / n;
        continue;
      }
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      let inHole = 0;
      for (let y = yStart; y < yEnd; y++) {
        const row = y * W;
        for (let m = row + xStart, end = row + xEnd; m < end; m++) {
          if (mask[m] !== 0) {
            inHole = 1;
            continue;
          }
          // The same pixels as the fast read takes, so that `holeBox` still only saves time.
          if (sparse && ((m - row + y) & 1) !== 0) continue;
          if (words !== null) {
            const v = words[m];
            r += v & 255;
            g += (v >>> 8) & 255;
            b += (v >>> 16) & 255;
          } else {
            const p = m << 2;
            r += bytes[p];
            g += bytes[p + 1];
            b += bytes[p + 2];
          }
          n++;
        }
      }
      hole[cell] = inHole;
      if (n === 0) continue;
      out[cell * 3] = r / n;
      out[cell * 3 + 1] = g / n;
      out[cell * 3 + 2] = b / n;
    }
  }
  const img = { width: lw, height: lh, channels: 3, data: out };
  if (q > 1) blurKnown(img, hole);
  return { image: img, hole };
}

/**
 * Whether nothing could enter the hole: no known pixel within `RING` px of it
 * has a colour gradient (central differences, no blur) of `FLAT_GRADIENT` grey
 * levels per pixel, below what the edge detectors (lsd.ts, edges.ts) see.
 * A hole in sky or still water then skips the step for the cost of one ring.
 */
function flatAroundHole(img: FloatImage, hole: Uint8Array, distance: Float32Array): boolean {
  const { width: w, height: h, data } = img;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (hole[i] !== 0 || distance[i] > RING * RING) continue;
      if (hole[i - 1] !== 0 || hole[i + 1] !== 0 || hole[i - w] !== 0 || hole[i + w] !== 0) continue;
      for (let c = 0; c < 3; c++) {
        const gx = data[(i + 1) * 3 + c] - data[(i - 1) * 3 + c];
        const gy = data[(i + w) * 3 + c] - data[(i - w) * 3 + c];
        if (gx * gx + gy * gy >= FLAT_LIMIT) return false;
      }
    }
  }
  return true;
}

/**
 * The planes the detectors read near the hole: false where the ring around
 * the hole is flat (`flatAroundHole`: nothing to continue), else true with
 * `grey` (each pixel's grey level) and `band` (1 on known pixels within
 * `reach` of the hole; given zeroed) written. In WebAssembly unless `wasm`
 * is false (tests): the same values.
 */
export function nearPlanes(
  near: FloatImage,
  hole: Uint8Array,
  distance: Float32Array,
  reach: number,
  grey: Float32Array,
  band: Uint8Array,
  wasm = true,
): boolean {
  const { width: w, height: h, data } = near;
  const flat = wasm ? nearPlanesInWasm(data, hole, distance, w, h, RING * RING, FLAT_LIMIT, reach * reach, grey, band) : null;
  if (flat !== null) return !flat;
  if (flatAroundHole(near, hole, distance)) return false;
  for (let i = 0; i < w * h; i++) {
    grey[i] = 0.299 * data[i * 3] + 0.587 * data[i * 3 + 1] + 0.114 * data[i * 3 + 2];
    if (hole[i] === 0 && distance[i] <= reach * reach) band[i] = 1;
  }
  return true;
}

/**
 * Writes the bands of `structure` into `out` (full-image RGBA, already
 * filled), and beside them the copy wherever the fill's luma is more than
 * `SIDE_DISAGREEMENT` away from it. Band pixels next to the plain fill are mixed half and half with
 * it, so the band's edge does not cut a hard line through the texture; the
 * structure inside is copied as it is.
 */
export function pasteStructure(structure: StructureResult, hole: Uint8Array, crop: Rect, width: number, out: Uint8ClampedArray): void {
  const { remaining, band } = structure;
  // The bands lie inside the crop; clipping to it keeps a foreign result from writing elsewhere.
  const r = structure.rect;
  const bx0 = Math.max(r.x, crop.x);
  const by0 = Math.max(r.y, crop.y);
  const bx1 = Math.min(r.x + r.width, crop.x + crop.width);
  const by1 = Math.min(r.y + r.height, crop.y + crop.height);
  if (bx1 <= bx0 || by1 <= by0) return;
  const cx1 = crop.x + crop.width;
  const cy1 = crop.y + crop.height;
  // Each pixel of the clipped rectangle and a one-pixel frame around it: TAKEN where the copy replaces the fill,
  // PLAIN where a hole pixel of the crop keeps the fill, 0 elsewhere. Beside a band, the copy replaces the fill
  // where the two disagree: the fill put the other side's content there. Decided before any pixel is written.
  const fw = bx1 - bx0 + 2;
  const fh = by1 - by0 + 2;
  const state = new Uint8Array(fw * fh);
  for (let j = 0; j < fh; j++) {
    const Y = by0 - 1 + j;
    if (Y < crop.y || Y >= cy1) continue;
    const inside = Y >= by0 && Y < by1;
    const row = Y * width;
    const rrow = (Y - r.y) * r.width - r.x;
    for (let i = 0; i < fw; i++) {
      const X = bx0 - 1 + i;
      if (X < crop.x || X >= cx1 || hole[row + X] === 0) continue;
      let decided = PLAIN;
      if (inside && X >= bx0 && X < bx1) {
        // remaining is 1 off the bands, 0 on a band, SIDE beside one.
        const c = rrow + X;
        const rest = remaining[c];
        if (rest === 0) decided = TAKEN;
        else if (rest !== 1) {
          const o = (row + X) * 4;
          const b = c * 4;
          const diff = Math.abs(0.299 * (out[o] - band[b]) + 0.587 * (out[o + 1] - band[b + 1]) + 0.114 * (out[o + 2] - band[b + 2]));
          if (diff > SIDE_DISAGREEMENT) decided = TAKEN;
        }
      }
      state[j * fw + i] = decided;
    }
  }
  // Band pixels next to the plain fill are mixed half and half with it; the others copied whole, as one 32-bit word
  // where both planes are aligned to it.
  const aligned = out.byteOffset % 4 === 0 && band.byteOffset % 4 === 0;
  const outWords = aligned ? new Uint32Array(out.buffer, out.byteOffset, out.length >> 2) : null;
  const bandWords = aligned ? new Uint32Array(band.buffer, band.byteOffset, band.length >> 2) : null;
  for (let j = 1; j < fh - 1; j++) {
    const Y = by0 - 1 + j;
    for (let i = 1; i < fw - 1; i++) {
      const k = j * fw + i;
      if (state[k] !== TAKEN) continue;
      const X = bx0 - 1 + i;
      const edge = state[k - 1] === PLAIN || state[k + 1] === PLAIN || state[k - fw] === PLAIN || state[k + fw] === PLAIN;
      const p = Y * width + X;
      const c = (Y - r.y) * r.width + X - r.x;
      if (!edge && outWords !== null && bandWords !== null) {
        outWords[p] = bandWords[c];
        continue;
      }
      const o = p * 4;
      const b = c * 4;
      if (edge) for (let q = 0; q < 4; q++) out[o + q] = (out[o + q] + band[b + q] + 1) >> 1;
      else for (let q = 0; q < 4; q++) out[o + q] = band[b + q];
    }
  }
}
