/**
 * The built-in tap-to-select engine; no weights needed.
 *
 * prepare (once per image): a working copy at ~640 px in L*a*b*, SLIC
 * superpixels, and their region adjacency graph.
 *
 * segment (per tap): a GrabCut-style loop on the region graph (Rother et al.
 * 2004) seeded by the taps instead of a user-drawn box:
 *  1. hard constraints: regions under positive taps are object, under
 *     negative taps background; with a box, regions mostly outside it are
 *     background;
 *  2. a geodesic prior (Bai & Sapiro 2009): a region's prior of being object
 *     is d₋/(d₊ + d₋), with d₊ the geodesic distance to the nearest positive
 *     tap and d₋ to the nearest negative tap or the image border (the box's
 *     outside when there is one);
 *  3. alternate (up to three times) between fitting foreground and background
 *     colour mixtures and a minimum graph cut (Boykov & Jolly 2001) of
 *     E = Σ size·(−log P(label)) + λ Σ boundary·exp(−contrast / 2β̄) over cut
 *     edges, where P mixes the colour likelihood ratio with the geodesic prior.
 *     The first fits use only regions the prior is sure of, and the object
 *     model never learns the colours of negatively tapped regions;
 *  4. keep the parts connected to a positive tap (or inside the box), fill
 *     enclosed holes, and upsample to full resolution along the photo's edges.
 *
 * Taps on something thinner than the working grid (a post, a wire: no
 * superpixel has the tapped colour) select it by region growing at full
 * resolution instead (thin.ts).
 */
import { assertImage, expectedError, type Mask, type RgbaImage, VanishError } from "../image.js";
import type { SegmentEngine, SegmentPreview, SegmentResult } from "./engine.js";
import { geodesicCosts, geodesicDistance } from "./geodesic.js";
import { ColourModel } from "./gmm.js";
import { FlowGraph } from "./maxflow.js";
import { type SegmentPoint, type SegmentPrompt, validatePrompt } from "./prompt.js";
import { buildRegionGraph, type RegionGraph } from "./regions.js";
import { slic } from "./slic.js";
import {
  addCrop,
  addCropInside,
  type CropMask,
  cropOnGrid,
  growThinStructure,
  outlineContrast,
  THIN_MAX_FILL,
  THIN_WINDOW,
  unionCrops,
} from "./thin.js";
import { type PixelRect, selectedCellsRect, upsampleSelection, upsampleSelectionCrop } from "./upsample.js";
import { labOfRgb, makeWorkingImage, type WorkingImage } from "./working.js";

export interface BuiltinSegmenterOptions {
  /** Long side of the working copy in pixels (default 640). */
  workingSize?: number;
  /** Number of superpixels (default 2000). */
  superpixels?: number;
  /** SLIC compactness (default 12). */
  compactness?: number;
  /** Weight λ of the boundary term (default 1.2). */
  smoothness?: number;
  /** Weight of the geodesic prior against the colour models (default 2). */
  geodesicWeight?: number;
  /**
   * GrabCut iterations per tap (default 3; fewer when the labels stop
   * changing). Five cost the 12 MP preview 40–108 ms CPU against 24–25 ms
   * for three: the labels rarely settle, so all five ran; on the benchmark's
   * tuning half three gave mIoU@1/3/5 0.549 / 0.719 / 0.835 and NoC@85 5.27
   * against 0.548 / 0.742 / 0.827 and 5.36 (held out 0.530 / 0.729 / 0.770,
   * 5.73 against 0.523 / 0.692 / 0.764, 5.64).
   */
  iterations?: number;
  /** Gaussian components per colour model (default 5). */
  components?: number;
  /**
   * Whether `prepare` runs two throwaway selections, so that the first real
   * taps run optimised code (default true). A batch of prompts made right
   * after `prepare` (suggestions' boxes) warms the code up itself: for it
   * they are work thrown away. They change no selection.
   */
  warmUp?: boolean;
}

interface Prepared {
  image: RgbaImage;
  work: WorkingImage;
  labels: Int32Array;
  graph: RegionGraph;
  cost: Float64Array;
  /** Boundary-weighted mean contrast over all edges (β̄). */
  beta: number;
  /** The colour samples (region tertiles) in order of lightness, for every fit. */
  tertileOrder: Int32Array;
}

export class BuiltinSegmenter implements SegmentEngine {
  readonly name = "builtin";
  private readonly opts: Required<BuiltinSegmenterOptions>;
  private prepared: Prepared | null = null;

  constructor(options: BuiltinSegmenterOptions = {}) {
    this.opts = {
      workingSize: options.workingSize ?? 640,
      superpixels: options.superpixels ?? 2000,
      compactness: options.compactness ?? 12,
      smoothness: options.smoothness ?? 1.2,
      geodesicWeight: options.geodesicWeight ?? 2,
      iterations: options.iterations ?? 3,
      components: options.components ?? 5,
      warmUp: options.warmUp ?? true,
    };
    if (!(this.opts.workingSize >= 32)) throw expectedError("workingSize ≥ 32", this.opts.workingSize);
  }

  async prepare(image: RgbaImage): Promise<void> {
    assertImage(image);
    const work = makeWorkingImage(image, this.opts.workingSize);
    const sp = slic(work.lab, work.width, work.height, { count: this.opts.superpixels, compactness: this.opts.compactness, iterations: 6 });
    const graph = buildRegionGraph(sp, work.lab, work.width, work.height);
    const cost = geodesicCosts(graph, 0.3);
    let num = 0;
    let den = 0;
    for (let e = 0; e < graph.adj.length; e++) {
      num += graph.boundary[e] * graph.contrast[e];
      den += graph.boundary[e];
    }
    this.prepared = {
      image,
      work,
      labels: sp.labels,
      graph,
      cost,
      beta: den > 0 ? Math.max(1, num / den) : 1,
      tertileOrder: ColourModel.lightnessOrder(graph.tertiles),
    };
    // The first selections on a page or process run before the JavaScript
    // engine has optimised this code (measured at 12 MP: 160–220 ms for the
    // first two taps, 30–45 ms after). Two throwaway selections here keep
    // every real tap as fast as the later ones.
    if (!this.opts.warmUp) return;
    const { width, height } = image;
    await this.segmentPreview({ points: [{ x: width / 2, y: height / 2, label: 1 }] });
    await this.segmentPreview({
      points: [
        { x: width / 3, y: height / 3, label: 1 },
        { x: (2 * width) / 3, y: (2 * height) / 3, label: 0 },
      ],
    });
  }

  async segment(prompt: SegmentPrompt): Promise<SegmentResult> {
    const preview = await this.segmentPreview(prompt);
    return { mask: this.refine(preview), score: preview.score };
  }

  /**
   * Brings a preview to full resolution: edges follow the photo's own edges
   * (joint bilateral upsampling), and the pixels under the taps take their labels.
   */
  refine(preview: SegmentPreview): Mask {
    const p = this.checkedPreview(preview);
    const { width, height } = p.image;
    const mask = preview.detail?.alone
      ? { width, height, data: new Uint8Array(width * height) }
      : upsampleSelection(preview.mask.data, p.work, p.image, { colourSigma: 18 });
    if (preview.detail) addCrop(mask, preview.detail.crop);
    forceTaps(mask, preview.points, Math.max(1, p.work.factor));
    return mask;
  }

  /**
   * `refine` inside `rect` only, as a crop (the same pixels `refine` gives
   * there): a box prompt's selection stays inside its box, so the rest of
   * the photo need not be upsampled.
   */
  refineCrop(preview: SegmentPreview, rect: PixelRect): CropMask {
    const p = this.checkedPreview(preview);
    const full = { x0: 0, y0: 0, x1: p.image.width, y1: p.image.height };
    const crop = preview.detail?.alone
      ? emptyCrop(rect, full)
      : upsampleSelectionCrop(preview.mask.data, p.work, p.image, { colourSigma: 18 }, rect);
    if (preview.detail) addCropInside(crop, preview.detail.crop);
    forceTaps({ width: crop.width, height: crop.height, data: crop.data }, preview.points, Math.max(1, p.work.factor), crop.x0, crop.y0);
    return crop;
  }

  /**
   * `refine` as a crop that holds every pixel it selects: the selected
   * working cells' box grown by one cell (the edge pass decides the pixels of
   * cells next to a selected one, no farther), the positive taps' discs and a
   * thin structure's crop. The same pixels as `refine` there, 0 outside;
   * an object's crop is a tenth of a 12 MP photo.
   */
  refineBounded(preview: SegmentPreview): CropMask {
    const p = this.checkedPreview(preview);
    const { width: W, height: H } = p.image;
    const { factor: f } = p.work;
    let x0 = W;
    let y0 = H;
    let x1 = 0;
    let y1 = 0;
    // Widens the crop [x0, x1) × [y0, y1) to hold a box, clipped to the photo.
    const include = (bx0: number, by0: number, bx1: number, by1: number) => {
      x0 = Math.min(x0, Math.max(0, bx0));
      y0 = Math.min(y0, Math.max(0, by0));
      x1 = Math.max(x1, Math.min(W, bx1));
      y1 = Math.max(y1, Math.min(H, by1));
    };
    const cells = preview.detail?.alone ? null : selectedCellsRect(preview.mask.data, p.work, p.image);
    if (cells) include(cells.x0, cells.y0, cells.x1, cells.y1);
    const r = Math.max(1, f);
    for (const pt of preview.points) {
      if (pt.label === 1) include(Math.floor(pt.x - r), Math.floor(pt.y - r), Math.floor(pt.x + r) + 1, Math.floor(pt.y + r) + 1);
    }
    const d = preview.detail?.crop;
    if (d && d.width > 0 && d.height > 0) include(d.x0, d.y0, d.x0 + d.width, d.y0 + d.height);
    if (x0 >= x1 || y0 >= y1) return { x0: 0, y0: 0, width: 0, height: 0, data: new Uint8Array(0) };
    return this.refineCrop(preview, { x0, y0, x1, y1 });
  }

  /** The selection at the working resolution only: the graph cut without the full-resolution step. */
  async segmentPreview(prompt: SegmentPrompt): Promise<SegmentPreview> {
    const p = this.prepared;
    if (!p) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    const { image, work, labels, graph: g } = p;
    const { points, box } = validatePrompt(prompt, image.width, image.height);
    const n = g.count;
    const f = work.factor;

    const hardFg = new Uint8Array(n);
    const hardBg = new Uint8Array(n);
    // Taps whose colour matches no nearby region sit on an edge; they only act
    // at full resolution (see forceTaps), unless they are all the user gave.
    const edgeTaps: typeof points = [];
    for (const pt of points) {
      const r = this.regionForTap(pt.x, pt.y);
      if (r.distance > TAP_COLOUR_TOLERANCE) edgeTaps.push(pt);
      else (pt.label === 1 ? hardFg : hardBg)[r.region] = 1;
    }
    // A positive edge tap may sit on something thinner than the working grid
    // (a post, a wire): each is grown once at full resolution (null: not thin).
    const grown = edgeTaps.filter((pt) => pt.label === 1).map((pt) => this.growThin(pt));
    const thinCrops = grown.filter((c): c is CropMask => c !== null);
    const thin = thinCrops.length > 0 ? unionCrops(thinCrops) : null;
    if (!hardFg.includes(1) && !box) {
      // Every positive tap is an edge tap: when all of them are thin, they are
      // the selection; otherwise the closest regions stand in.
      if (thin && thinCrops.length === grown.length) {
        return {
          mask: { width: work.width, height: work.height, data: cropOnGrid(thin, work.width, work.height, f) },
          score: outlineContrast(image, thin, p.beta),
          scale: f,
          points,
          detail: { crop: thin, alone: true },
        };
      }
      for (const pt of edgeTaps) if (pt.label === 1) hardFg[this.regionForTap(pt.x, pt.y).region] = 1;
    }
    // A negative tap on a thin structure (a dark gap, a wire) lands where no
    // superpixel has its colour; it still says "not this": the closest region goes.
    for (const pt of edgeTaps) {
      if (pt.label !== 0) continue;
      const r = this.regionForTap(pt.x, pt.y).region;
      if (!hardFg[r]) hardBg[r] = 1;
    }
    for (let r = 0; r < n; r++) if (hardFg[r] && hardBg[r]) hardBg[r] = 0;
    // The regions negative taps marked (before a box adds its outside).
    const negativeRegions: number[] = [];
    for (let r = 0; r < n; r++) if (hardBg[r]) negativeRegions.push(r);

    const INF = Number.POSITIVE_INFINITY;
    const fgStart = new Float64Array(n).fill(INF);
    const bgStart = new Float64Array(n).fill(INF);
    for (let r = 0; r < n; r++) {
      if (hardFg[r]) fgStart[r] = 0;
      if (hardBg[r]) bgStart[r] = 0;
    }
    let inBox: Float64Array | null = null;
    if (box) {
      inBox = this.boxCoverage(box);
      for (let r = 0; r < n; r++) {
        if (inBox[r] < 0.5 && !hardFg[r]) {
          hardBg[r] = 1;
          bgStart[r] = 0;
        }
      }
      if (points.every((pt) => pt.label === 0)) {
        // A box alone: the regions in the middle of it stand in for a tap.
        for (let r = 0; r < n; r++) if (inBox[r] >= 0.999 && this.centralInBox(r, box)) fgStart[r] = 0;
      }
    } else {
      for (let r = 0; r < n; r++) if (g.border[r] && !hardFg[r]) bgStart[r] = 0;
    }
    const dPos = geodesicDistance(g, p.cost, fgStart);
    const dNeg = geodesicDistance(g, p.cost, bgStart);
    const prior = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const a = dPos[r];
      const b = dNeg[r];
      let v: number;
      if (!Number.isFinite(a) && !Number.isFinite(b)) v = 0.5;
      else if (!Number.isFinite(a)) v = 0;
      else if (!Number.isFinite(b)) v = 1;
      else v = a + b > 0 ? b / (a + b) : 0.5;
      prior[r] = Math.min(1 - PRIOR_FLOOR, Math.max(PRIOR_FLOOR, v));
    }

    // The first colour models see only what the prior is sure of: a region
    // half-way between the tap and the border (the water around a sign, the
    // wall behind a plant) would otherwise teach the object model its colour,
    // and the cut would then keep it. The first cut labels those regions.
    let fg = new Uint8Array(n);
    for (let r = 0; r < n; r++) fg[r] = hardFg[r] || (!hardBg[r] && prior[r] > INITIAL_CONFIDENCE) ? 1 : 0;
    const unsure = new Uint8Array(n);
    for (let r = 0; r < n; r++)
      unsure[r] = !hardFg[r] && !hardBg[r] && prior[r] >= 1 - INITIAL_CONFIDENCE && prior[r] <= INITIAL_CONFIDENCE ? 1 : 0;
    const logit = new Float64Array(n);
    const { smoothness, geodesicWeight, components, iterations } = this.opts;
    const twoBeta = 2 * p.beta;
    // Colour samples: three per region (its lightness tertiles), a third of its size each.
    const sampleWeight = new Float64Array(3 * n);
    // Tapped regions count SEED_WEIGHT times: a tap says "this colour is (not) the object" loudly,
    // so one negative tap on a wrongly selected part moves the colour models, not just one superpixel.
    for (let r = 0; r < n; r++) sampleWeight.fill(((hardFg[r] || hardBg[r] ? SEED_WEIGHT : 1) * g.size[r]) / 3, 3 * r, 3 * r + 3);
    const objectWeight = withoutColoursOf(negativeRegions, g.tertiles, sampleWeight, hardFg);
    const fgSamples = new Uint8Array(3 * n);
    const bgSamples = new Uint8Array(3 * n);
    for (let it = 0; it < iterations; it++) {
      for (let r = 0; r < n; r++) {
        fgSamples.fill(fg[r], 3 * r, 3 * r + 3);
        bgSamples.fill(fg[r] || (it === 0 && unsure[r]) ? 0 : 1, 3 * r, 3 * r + 3);
      }
      const fgModel = ColourModel.fit(g.tertiles, objectWeight, fgSamples, components, 4, 2, p.tertileOrder);
      const bgModel = ColourModel.fit(g.tertiles, sampleWeight, bgSamples, components, 4, 2, p.tertileOrder);
      for (let r = 0; r < n; r++) {
        let ratio = 0;
        for (let t = 0; t < 3; t++) {
          const o = r * 9 + t * 3;
          const l = g.tertiles[o];
          const a = g.tertiles[o + 1];
          const b = g.tertiles[o + 2];
          ratio += fgModel.logDensity(l, a, b) - bgModel.logDensity(l, a, b);
        }
        const colour = Math.max(-8, Math.min(8, ratio / 3));
        logit[r] = colour + geodesicWeight * Math.log(prior[r] / (1 - prior[r]));
      }
      const flow = new FlowGraph(n + 2, 2 * n + g.adj.length / 2);
      const s = n;
      const t = n + 1;
      const HARD = 1e12;
      for (let r = 0; r < n; r++) {
        // Capacity s→r is paid when r ends up background, r→t when it ends up object.
        const costBg = hardFg[r] ? HARD : hardBg[r] ? 0 : g.size[r] * softplus(logit[r]);
        const costFg = hardBg[r] ? HARD : hardFg[r] ? 0 : g.size[r] * softplus(-logit[r]);
        flow.addEdge(s, r, costBg);
        flow.addEdge(r, t, costFg);
        for (let e = g.start[r]; e < g.start[r + 1]; e++) {
          const q = g.adj[e];
          if (q <= r) continue;
          const w = smoothness * g.boundary[e] * Math.exp(-g.contrast[e] / twoBeta);
          flow.addEdge(r, q, w, w);
        }
      }
      const side = flow.minCut(s, t);
      let changed = 0;
      const next = new Uint8Array(n);
      for (let r = 0; r < n; r++) {
        next[r] = side[r];
        if (next[r] !== fg[r]) changed++;
      }
      fg = next;
      if (changed === 0) break;
    }
    this.keepConnected(fg, hardFg, hardBg, box ? inBox : null);
    this.fillEnclosed(fg, hardBg);

    // Score: contrast across the outline, squashed into [0, 1].
    let num = 0;
    let den = 0;
    for (let r = 0; r < n; r++) {
      if (!fg[r]) continue;
      for (let e = g.start[r]; e < g.start[r + 1]; e++) {
        if (fg[g.adj[e]]) continue;
        num += g.boundary[e] * (1 - Math.exp(-g.contrast[e] / twoBeta));
        den += g.boundary[e];
      }
    }
    const selection = new Uint8Array(work.width * work.height);
    for (let i = 0; i < selection.length; i++) selection[i] = fg[labels[i]];
    // Thin structures tapped beside larger objects join at full resolution.
    return {
      mask: { width: work.width, height: work.height, data: selection },
      score: den > 0 ? num / den : 0,
      scale: f,
      points,
      ...(thin ? { detail: { crop: thin, alone: false } } : {}),
    };
  }

  close(): void {
    this.prepared = null;
  }

  /** The preparation `preview` was made on (an error for another image's preview). */
  private checkedPreview(preview: SegmentPreview): Prepared {
    const p = this.prepared;
    if (!p) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before refine().");
    if (preview.mask.width !== p.work.width || preview.mask.height !== p.work.height || preview.scale !== p.work.factor) {
      throw new VanishError("INVALID_ARGUMENT", "This preview belongs to another image; segment again after prepare().");
    }
    return p;
  }

  /**
   * The region a tap constrains: the superpixel under it, unless its mean
   * colour is far from the colour under the tap (the tap sits on an object's
   * edge and the superpixel is mostly the other side); then the region within
   * two working pixels whose colour is closest to the tap's.
   */
  private regionForTap(x: number, y: number): { region: number; distance: number } {
    const { image, work, labels, graph } = this.prepared as Prepared;
    const f = work.factor;
    const cx = Math.min(work.width - 1, Math.floor(x / f));
    const cy = Math.min(work.height - 1, Math.floor(y / f));
    // The colour under the tap at full resolution: a working pixel on an edge mixes both sides.
    const px = (Math.floor(y) * image.width + Math.floor(x)) * 4;
    const tap = labOfRgb(image.data[px], image.data[px + 1], image.data[px + 2]);
    const colourDistance = (r: number): number => {
      const dl = graph.lab[r * 3] - tap[0];
      const da = graph.lab[r * 3 + 1] - tap[1];
      const db = graph.lab[r * 3 + 2] - tap[2];
      return Math.sqrt(dl * dl + da * da + db * db);
    };
    const under = labels[cy * work.width + cx];
    let best = under;
    let bestD = colourDistance(under);
    if (bestD <= TAP_COLOUR_TOLERANCE) return { region: under, distance: bestD };
    for (let dy = -2; dy <= 2; dy++) {
      const yy = cy + dy;
      if (yy < 0 || yy >= work.height) continue;
      for (let dx = -2; dx <= 2; dx++) {
        const xx = cx + dx;
        if (xx < 0 || xx >= work.width) continue;
        const r = labels[yy * work.width + xx];
        const d = colourDistance(r);
        if (d < bestD) {
          bestD = d;
          best = r;
        }
      }
    }
    return { region: best, distance: bestD };
  }

  /** The thin structure under a tap, grown at full resolution (see thin.ts); null when it is not thin. */
  private growThin(pt: SegmentPoint): CropMask | null {
    const { image } = this.prepared as Prepared;
    const window = Math.max(64, Math.round(THIN_WINDOW * Math.max(image.width, image.height)));
    const { distance } = this.regionForTap(pt.x, pt.y);
    // Half-way between the tapped colour and the closest region's (itself a
    // blend of the structure and what lies behind it): tight on purpose.
    const tolerance = Math.max(TAP_COLOUR_TOLERANCE, distance) / 2;
    return growThinStructure(image, pt.x, pt.y, { tolerance, window, maxFill: THIN_MAX_FILL });
  }

  /** Fraction of each region's working pixels that lie inside the box. */
  private boxCoverage(box: { x0: number; y0: number; x1: number; y1: number }): Float64Array {
    const p = this.prepared as Prepared;
    const { work, labels, graph } = p;
    const inside = new Float64Array(graph.count);
    const f = work.factor;
    for (let y = 0, i = 0; y < work.height; y++) {
      const cy = (y + 0.5) * f;
      for (let x = 0; x < work.width; x++, i++) {
        const cx = (x + 0.5) * f;
        if (cx >= box.x0 && cx < box.x1 && cy >= box.y0 && cy < box.y1) inside[labels[i]] += 1;
      }
    }
    for (let r = 0; r < graph.count; r++) inside[r] /= Math.max(1, graph.size[r]);
    return inside;
  }

  /** Whether region r's centroid lies in the middle third of the box. */
  private centralInBox(r: number, box: { x0: number; y0: number; x1: number; y1: number }): boolean {
    const p = this.prepared as Prepared;
    const f = p.work.factor;
    const x = (p.graph.centroid[r * 2] + 0.5) * f;
    const y = (p.graph.centroid[r * 2 + 1] + 0.5) * f;
    const bw = box.x1 - box.x0;
    const bh = box.y1 - box.y0;
    return Math.abs(x - (box.x0 + box.x1) / 2) < bw / 6 && Math.abs(y - (box.y0 + box.y1) / 2) < bh / 6;
  }

  /** Drops selected parts not connected to a positive tap (or, for a box without taps, keeps the largest part). */
  private keepConnected(fg: Uint8Array, hardFg: Uint8Array, hardBg: Uint8Array, inBox: Float64Array | null): void {
    const g = (this.prepared as Prepared).graph;
    const n = g.count;
    const comp = new Int32Array(n).fill(-1);
    const stack: number[] = [];
    const keep: boolean[] = [];
    const area: number[] = [];
    let c = 0;
    for (let r0 = 0; r0 < n; r0++) {
      if (!fg[r0] || comp[r0] >= 0) continue;
      let hasTap = false;
      let a = 0;
      stack.push(r0);
      comp[r0] = c;
      while (stack.length > 0) {
        const r = stack.pop() as number;
        if (hardFg[r]) hasTap = true;
        a += g.size[r];
        for (let e = g.start[r]; e < g.start[r + 1]; e++) {
          const q = g.adj[e];
          if (fg[q] && comp[q] < 0) {
            comp[q] = c;
            stack.push(q);
          }
        }
      }
      keep.push(hasTap);
      area.push(a);
      c++;
    }
    if (!keep.some(Boolean) && inBox && c > 0) {
      let best = 0;
      for (let k = 1; k < c; k++) if (area[k] > area[best]) best = k;
      keep[best] = true;
    }
    for (let r = 0; r < n; r++) if (fg[r] && !keep[comp[r]]) fg[r] = 0;
    for (let r = 0; r < n; r++) if (hardBg[r]) fg[r] = 0;
  }

  /** Selects background pockets that the selection encloses (not touching the border, holding no negative tap). */
  private fillEnclosed(fg: Uint8Array, hardBg: Uint8Array): void {
    const g = (this.prepared as Prepared).graph;
    const n = g.count;
    const seen = new Uint8Array(n);
    const stack: number[] = [];
    const members: number[] = [];
    for (let r0 = 0; r0 < n; r0++) {
      if (fg[r0] || seen[r0]) continue;
      let open = false;
      members.length = 0;
      stack.push(r0);
      seen[r0] = 1;
      while (stack.length > 0) {
        const r = stack.pop() as number;
        members.push(r);
        if (g.border[r] || hardBg[r]) open = true;
        for (let e = g.start[r]; e < g.start[r + 1]; e++) {
          const q = g.adj[e];
          if (!fg[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
      if (!open) for (const r of members) fg[r] = 1;
    }
  }
}

/**
 * A negative tap says "this colour is not the object". For each negatively
 * tapped region, the object's colour samples lose weight by a factor
 * 1 − exp(−d² / 2σ²), d the distance to the nearest of that region's
 * tertiles and σ = NEGATIVE_COLOUR_SIGMA,
 * so the object model cannot keep the colour of, say, the water around a sign
 * after the user tapped the water away. Samples of positively tapped regions
 * keep their weight. Returns `weight` itself when there are no negative taps.
 */
function withoutColoursOf(regions: readonly number[], tertiles: Float64Array, weight: Float64Array, keep: Uint8Array): Float64Array {
  if (regions.length === 0) return weight;
  const out = weight.slice();
  const inv = 1 / (2 * NEGATIVE_COLOUR_SIGMA * NEGATIVE_COLOUR_SIGMA);
  const samples = weight.length;
  for (let q = 0; q < samples; q++) {
    if (keep[(q / 3) | 0]) continue;
    const l = tertiles[q * 3];
    const a = tertiles[q * 3 + 1];
    const b = tertiles[q * 3 + 2];
    for (const r of regions) {
      let nearest = Number.POSITIVE_INFINITY;
      for (let t = r * 9; t < r * 9 + 9; t += 3) {
        const dl = l - tertiles[t];
        const da = a - tertiles[t + 1];
        const db = b - tertiles[t + 2];
        const d = dl * dl + da * da + db * db;
        if (d < nearest) nearest = d;
      }
      out[q] *= 1 - Math.exp(-nearest * inv);
    }
  }
  return out;
}

/** An empty crop of `rect` clamped to `within`. */
function emptyCrop(rect: PixelRect, within: PixelRect): CropMask {
  const x0 = Math.max(within.x0, Math.min(within.x1, Math.floor(rect.x0)));
  const y0 = Math.max(within.y0, Math.min(within.y1, Math.floor(rect.y0)));
  const width = Math.max(x0, Math.min(within.x1, Math.ceil(rect.x1))) - x0;
  const height = Math.max(y0, Math.min(within.y1, Math.ceil(rect.y1))) - y0;
  return { x0, y0, width, height, data: new Uint8Array(width * height) };
}

/**
 * Makes the pixels within `radius` of each tap take the tap's label: a tap is never ignored.
 * `mask` may be a crop whose corner is at (`ox`, `oy`) in the photo (the taps' coordinates): the
 * disc test runs in photo coordinates, so a crop gets exactly the photo's pixels.
 */
function forceTaps(mask: Mask, points: readonly SegmentPoint[], radius: number, ox = 0, oy = 0): void {
  const { width, height, data } = mask;
  for (const pt of points) {
    const x0 = Math.max(ox, Math.floor(pt.x - radius));
    const x1 = Math.min(ox + width - 1, Math.floor(pt.x + radius));
    const y0 = Math.max(oy, Math.floor(pt.y - radius));
    const y1 = Math.min(oy + height - 1, Math.floor(pt.y + radius));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        if ((x + 0.5 - pt.x) ** 2 + (y + 0.5 - pt.y) ** 2 <= radius * radius) data[(y - oy) * width + x - ox] = pt.label;
      }
    }
  }
}

/**
 * Geodesic prior a region needs (or 1 minus it, for background) to be used
 * in the first colour fits. Measured with `vanish bench --segmentation
 * --cases 48`: 0.5 (every region) gave mIoU@3 0.836 / 0.833 on the first and
 * second 24 cases, 0.65 gives 0.853 / 0.850.
 */
const INITIAL_CONFIDENCE = 0.65;

/**
 * The geodesic prior is kept within [PRIOR_FLOOR, 1 − PRIOR_FLOOR]: at most
 * ±2.4 nats (times geodesicWeight), so a region the colour models call object
 * clearly (the legs of a person cut by the frame, whose prior the image border
 * pulls down) can still be selected.
 */
const PRIOR_FLOOR = 0.08;

/**
 * Colour distance (L*a*b*) within which a negative tap's colour is kept out of
 * the object model (see withoutColoursOf). Measured with `vanish bench
 * --segmentation --cases 48`, mIoU@3 on cases 1–24 / 25–48: without 0.860 /
 * 0.855; σ 8: 0.863 / 0.864; σ 14: 0.869 / 0.873; σ 20: 0.868 / 0.877.
 */
const NEGATIVE_COLOUR_SIGMA = 14;

/** How many times a tapped region counts when fitting the colour models. */
const SEED_WEIGHT = 20;

/** Largest L*a*b* distance between a tap's colour and the region it constrains. */
const TAP_COLOUR_TOLERANCE = 20;

function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}
