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
 *  3. alternate between fitting foreground and background colour mixtures and
 *     a minimum graph cut (Boykov & Jolly 2001) of
 *     E = Σ size·(−log P(label)) + λ Σ boundary·exp(−contrast / 2β̄) over cut
 *     edges, where P mixes the colour likelihood ratio with the geodesic prior;
 *  4. keep the parts connected to a positive tap (or inside the box), fill
 *     enclosed holes, and upsample to full resolution along the photo's edges.
 */
import { assertImage, type Mask, type RgbaImage, VanishError } from "../image.js";
import { ColourModel } from "./gmm.js";
import { geodesicCosts, geodesicDistance } from "./geodesic.js";
import { FlowGraph } from "./maxflow.js";
import { type SegmentPrompt, validatePrompt } from "./prompt.js";
import { buildRegionGraph, type RegionGraph } from "./regions.js";
import { slic } from "./slic.js";
import { upsampleSelection } from "./upsample.js";
import { makeWorkingImage, type WorkingImage } from "./working.js";

export interface BuiltinSegmenterOptions {
  /** Long side of the working copy in pixels (default 640). */
  workingSize?: number;
  /** Number of superpixels (default 2000). */
  superpixels?: number;
  /** SLIC compactness (default 12). */
  compactness?: number;
  /** Weight λ of the boundary term (default 1.2). */
  smoothness?: number;
  /** Weight of the geodesic prior against the colour models (default 1). */
  geodesicWeight?: number;
  /** GrabCut iterations per tap (default 4). */
  iterations?: number;
  /** Gaussian components per colour model (default 5). */
  components?: number;
}

/** One selection: the mask at full resolution (1 = selected) and a confidence in [0, 1]. */
export interface SegmentResult {
  mask: Mask;
  /**
   * How well the selection's outline follows edges in the photo: the mean
   * colour contrast across the cut, 0 (no edge) to 1 (a strong edge all round).
   */
  score: number;
}

/** Anything that can select objects from taps (built-in or neural). */
export interface SegmentEngine {
  readonly name: string;
  prepare(image: RgbaImage): Promise<void>;
  segment(prompt: SegmentPrompt): Promise<SegmentResult>;
  dispose(): void;
}

interface Prepared {
  image: RgbaImage;
  work: WorkingImage;
  labels: Int32Array;
  graph: RegionGraph;
  cost: Float64Array;
  /** Boundary-weighted mean contrast over all edges (β̄). */
  beta: number;
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
      geodesicWeight: options.geodesicWeight ?? 1,
      iterations: options.iterations ?? 4,
      components: options.components ?? 5,
    };
    if (!(this.opts.workingSize >= 32)) throw new VanishError("INVALID_ARGUMENT", `Expected workingSize ≥ 32 but received ${this.opts.workingSize}`);
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
    this.prepared = { image, work, labels: sp.labels, graph, cost, beta: den > 0 ? Math.max(1, num / den) : 1 };
  }

  async segment(prompt: SegmentPrompt): Promise<SegmentResult> {
    const p = this.prepared;
    if (!p) throw new VanishError("INVALID_ARGUMENT", "Call prepare(image) before segment(); prepare once per image.");
    const { image, work, labels, graph: g } = p;
    const { points, box } = validatePrompt(prompt, image.width, image.height);
    const n = g.count;
    const f = work.factor;
    const regionAt = (x: number, y: number): number =>
      labels[Math.min(work.height - 1, Math.floor(y / f)) * work.width + Math.min(work.width - 1, Math.floor(x / f))];

    const hardFg = new Uint8Array(n);
    const hardBg = new Uint8Array(n);
    for (const pt of points) (pt.label === 1 ? hardFg : hardBg)[regionAt(pt.x, pt.y)] = 1;
    for (let r = 0; r < n; r++) if (hardFg[r] && hardBg[r]) hardBg[r] = 0;

    const bgSeeds = new Uint8Array(hardBg);
    let inBox: Float64Array | null = null;
    if (box) {
      inBox = this.boxCoverage(box);
      for (let r = 0; r < n; r++) {
        if (inBox[r] < 0.5 && !hardFg[r]) {
          hardBg[r] = 1;
          bgSeeds[r] = 1;
        }
      }
    } else {
      for (let r = 0; r < n; r++) if (g.border[r] && !hardFg[r]) bgSeeds[r] = 1;
    }
    const fgSeeds = new Uint8Array(hardFg);
    if (box && points.every((pt) => pt.label === 0)) {
      // A box alone: the regions deepest inside it stand in for a tap.
      for (let r = 0; r < n; r++) if (inBox && inBox[r] >= 0.999 && this.centralInBox(r, box)) fgSeeds[r] = 1;
    }
    const dPos = geodesicDistance(g, p.cost, fgSeeds);
    const dNeg = geodesicDistance(g, p.cost, bgSeeds);
    const prior = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const a = dPos[r];
      const b = dNeg[r];
      let v: number;
      if (!Number.isFinite(a) && !Number.isFinite(b)) v = 0.5;
      else if (!Number.isFinite(a)) v = 0;
      else if (!Number.isFinite(b)) v = 1;
      else v = a + b > 0 ? b / (a + b) : 0.5;
      prior[r] = Math.min(0.97, Math.max(0.03, v));
    }

    let fg = new Uint8Array(n);
    for (let r = 0; r < n; r++) fg[r] = hardFg[r] || (!hardBg[r] && prior[r] > 0.5) ? 1 : 0;
    const bg = new Uint8Array(n);
    const logit = new Float64Array(n);
    const { smoothness, geodesicWeight, components, iterations } = this.opts;
    const twoBeta = 2 * p.beta;
    for (let it = 0; it < iterations; it++) {
      for (let r = 0; r < n; r++) bg[r] = fg[r] ? 0 : 1;
      const fgModel = ColourModel.fit(g.lab, g.size, fg, components, 4);
      const bgModel = ColourModel.fit(g.lab, g.size, bg, components, 4);
      for (let r = 0; r < n; r++) {
        const l = g.lab[r * 3];
        const a = g.lab[r * 3 + 1];
        const b = g.lab[r * 3 + 2];
        const colour = Math.max(-8, Math.min(8, fgModel.logDensity(l, a, b) - bgModel.logDensity(l, a, b)));
        logit[r] = colour + geodesicWeight * Math.log(prior[r] / (1 - prior[r]));
      }
      const flow = new FlowGraph(n + 2, 2 * n + g.adj.length / 2);
      const s = n;
      const t = n + 1;
      const INF = 1e12;
      for (let r = 0; r < n; r++) {
        // Capacity s→r is paid when r ends up background, r→t when it ends up object.
        const costBg = hardFg[r] ? INF : hardBg[r] ? 0 : g.size[r] * softplus(logit[r]);
        const costFg = hardBg[r] ? INF : hardFg[r] ? 0 : g.size[r] * softplus(-logit[r]);
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
    const mask = upsampleSelection(selection, work, image, { colourSigma: 18 });
    return { mask, score: den > 0 ? num / den : 0 };
  }

  dispose(): void {
    this.prepared = null;
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

function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}
