import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { maxChangeOutside } from "../src/bench/metrics.js";
import { squaredDistanceInWasm } from "../src/core/distance-wasm.js";
import type { Mask, RgbaImage } from "../src/core/image.js";
import { eraseWithReport } from "../src/core/inpaint/erase.js";
import { improveNnf, makePatchProblem, randomNnf, sidesAgree } from "../src/core/inpaint/patchmatch.js";
import { knownCanny } from "../src/core/inpaint/structure/edges.js";
import { gaussianBlur } from "../src/core/inpaint/structure/lsd.js";
import { findEntries, pairEntries, type StructureCurve } from "../src/core/inpaint/structure/pairing.js";
import { type AnchorPlan, bandRect, copyAlong, planAnchors } from "../src/core/inpaint/structure/propagate.js";
import { sideLabels } from "../src/core/inpaint/structure/sides.js";
import {
  analysisFactor,
  analysisImage,
  continueStructure,
  labelsSides,
  nearPlanes,
  pasteStructure,
  type StructureResult,
} from "../src/core/inpaint/structure/structure.js";
import { squaredDistanceTo } from "../src/core/mask.js";
import { Random } from "../src/core/random.js";
import { rectMask } from "./helpers.js";

/** Mildly noisy ground of `base` grey with anti-aliased dark bars painted by `bars` (distance functions). */
function scene(w: number, h: number, base: number, bars: ((x: number, y: number) => number)[], seed = 4): RgbaImage {
  const rng = new Random(seed);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = base + 16 * (rng.next() - 0.5);
      for (const bar of bars) {
        const cover = Math.min(1, Math.max(0, 2 - bar(x + 0.5, y + 0.5)));
        v = v * (1 - cover) + 30 * cover;
      }
      data.set([v, v * 0.95, v * 0.9, 255], (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

/** Mean luma of the pixels within `radius` of the points (x, y) produced by `path` for t in [0, 1]. */
function meanAlong(img: RgbaImage, path: (t: number) => [number, number], radius = 0.6): number {
  let sum = 0;
  let n = 0;
  for (let t = 0; t <= 1; t += 0.01) {
    const [px, py] = path(t);
    for (let y = Math.floor(py - radius); y <= Math.ceil(py + radius); y++) {
      for (let x = Math.floor(px - radius); x <= Math.ceil(px + radius); x++) {
        if (Math.hypot(x + 0.5 - px, y + 0.5 - py) > radius + 0.5) continue;
        const p = (y * img.width + x) * 4;
        sum += 0.299 * img.data[p] + 0.587 * img.data[p + 1] + 0.114 * img.data[p + 2];
        n++;
      }
    }
  }
  return sum / n;
}

describe("structure propagation", () => {
  test("the step's distance transform, LSD blur and Canny edges in WebAssembly equal the TypeScript's", () => {
    const rng = new Random(4);
    for (const [w, h] of [
      [97, 61],
      [40, 131],
      [5, 4],
    ]) {
      const n = w * h;
      // A hole of blobs and lines, a band around it, and a photo-like image: smooth ramps, steps and noise.
      const hole = new Uint8Array(n);
      for (let k = 0; k < 6; k++) {
        const cx = rng.next() * w;
        const cy = rng.next() * h;
        const r = 1 + rng.next() * 9;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) hole[y * w + x] = 1;
      }
      const allowed = new Uint8Array(n);
      for (let i = 0; i < n; i++) allowed[i] = hole[i] === 0 && rng.next() < 0.9 ? 1 : 0;
      const data = new Float32Array(n * 3);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (x * (c + 1) * 3 + (y > h / 2 ? 80 : 0) + rng.next() * 20) % 256;
      const grey = new Float32Array(n);
      for (let i = 0; i < n; i++) grey[i] = data[3 * i + 1];
      for (const limit of [Number.POSITIVE_INFINITY, 7, 0.5]) {
        const wasm = squaredDistanceInWasm(hole, w, h, limit, new Float32Array(n));
        assert.ok(wasm);
        assert.deepEqual(Array.from(wasm), Array.from(squaredDistanceTo(hole, w, h, limit, undefined, false)), `${w}×${h} limit ${limit}`);
      }
      assert.deepEqual(
        Array.from(squaredDistanceInWasm(new Uint8Array(n), w, h, 9, new Float32Array(n)) ?? []),
        new Array(n).fill(Infinity),
      );
      for (const sigma of [0.75, 0.3, 2]) {
        for (const need of [allowed, undefined]) {
          const a = Array.from(gaussianBlur(grey, w, h, sigma, need));
          assert.deepEqual(a, Array.from(gaussianBlur(grey, w, h, sigma, need, undefined, undefined, false)), `${w}×${h} σ ${sigma}`);
        }
      }
      const image = { width: w, height: h, channels: 3, data };
      const copy = (r: { edges: Uint8Array; magnitude: Float32Array }) => ({
        edges: Array.from(r.edges),
        magnitude: Array.from(r.magnitude),
      });
      const wasmCanny = copy(knownCanny(image, hole, allowed));
      const typescriptCanny = copy(knownCanny(image, hole, allowed, false));
      assert.deepEqual(wasmCanny, typescriptCanny, `${w}×${h} Canny`);
      if (w > 20)
        assert.ok(
          wasmCanny.edges.some((e) => e === 1),
          "some edges to compare",
        );
    }
  });

  test("the planes near the hole in WebAssembly equal the TypeScript's, and a flat ring is found flat by both", () => {
    const rng = new Random(9);
    for (const [w, h] of [
      [83, 57],
      [31, 90],
    ]) {
      const n = w * h;
      const hole = new Uint8Array(n);
      for (let y = Math.floor(h / 3); y < Math.floor((2 * h) / 3); y++)
        for (let x = Math.floor(w / 4); x < Math.floor(w / 2); x++) hole[y * w + x] = 1;
      const distance = squaredDistanceTo(hole, w, h, 12);
      for (const scene of ["busy", "flat", "flat ring, busy beyond"]) {
        const data = new Float32Array(n * 3);
        for (let i = 0; i < n; i++)
          for (let c = 0; c < 3; c++) {
            const busy = scene === "busy" || (scene !== "flat" && distance[i] > 64);
            data[i * 3 + c] = 100 + c * 20 + (busy ? rng.next() * 90 : (i % w) * 0.3);
          }
        const near = { width: w, height: h, channels: 3, data };
        const planes = (wasm: boolean) => {
          const grey = new Float32Array(n);
          const band = new Uint8Array(n);
          const found = nearPlanes(near, hole, distance, 11, grey, band, wasm);
          return { found, grey: Array.from(grey), band: Array.from(band) };
        };
        const wasm = planes(true);
        assert.deepEqual(wasm, planes(false), `${w}×${h} ${scene}`);
        assert.equal(wasm.found, scene === "busy", scene);
        if (wasm.found) assert.ok(wasm.band.some((b) => b === 1) && wasm.band.some((b) => b === 0));
      }
    }
  });

  test("the analysis image in WebAssembly equals the TypeScript's at every factor, the sparse read's included", () => {
    const w = 157;
    const h = 113;
    const image: RgbaImage = { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
    const rng = new Random(9);
    for (let i = 0; i < image.data.length; i++) image.data[i] = (i & 3) === 3 ? 255 : Math.floor(rng.next() * 256);
    const mask = new Uint8Array(w * h);
    for (let y = 40; y < 75; y++) for (let x = 50 + (y % 4); x < 96; x++) mask[y * w + x] = 255;
    const crops = [
      { x: 0, y: 0, width: w, height: h },
      { x: 7, y: 3, width: 139, height: 101 },
    ];
    for (const crop of crops) {
      // From 8 on, the sparse read (every other pixel, by the photo's x + y parity, which the second crop's odd corner flips).
      for (let q = 1; q <= 17; q++) {
        const copy = (a: { image: { data: Float32Array }; hole: Uint8Array }) => ({
          data: Array.from(a.image.data),
          hole: Array.from(a.hole),
        });
        const box = { x: 50, y: 40, width: 46, height: 35 };
        const wasm = copy(analysisImage(image, mask, crop, q, box));
        const typescript = copy(analysisImage(image, mask, crop, q, box, false));
        assert.deepEqual(wasm, typescript, `crop ${crop.x},${crop.y} q ${q}`);
      }
    }
  });

  test("a slanted line that crosses the hole continues through it, drawn as dark as outside", async () => {
    const w = 240;
    const h = 180;
    const line = (x: number, y: number) => Math.abs(y - (0.4 * x + 40)) / Math.hypot(1, 0.4);
    const image = scene(w, h, 170, [line]);
    const mask = rectMask(w, h, 90, 50, 50, 60);
    const withStructure = await eraseWithReport(image, mask, { seed: 3 });
    const without = await eraseWithReport(image, mask, { seed: 3, structure: false });
    assert.ok(withStructure.structure.curves >= 1, "a curve is continued");
    const inHole = (t: number): [number, number] => {
      const x = 92 + 46 * t;
      return [x, 0.4 * x + 40];
    };
    const dark = meanAlong(withStructure.image, inHole);
    assert.ok(dark < 80, `the line is dark inside the hole (mean luma ${dark.toFixed(0)})`);
    assert.ok(dark < meanAlong(without.image, inHole) - 20, "darker than without structure propagation");
    // Beside the line, the ground stays ground.
    const beside = meanAlong(withStructure.image, (t) => [92 + 46 * t, 0.4 * (92 + 46 * t) + 52]);
    assert.ok(beside > 130, `no smear beside the line (${beside.toFixed(0)})`);
    assert.equal(maxChangeOutside(withStructure.image, image, mask.data), 0);
  });

  test("a line across a thin stroke is left to the fill, which carries it on; across a wide hole it is continued", async () => {
    const w = 240;
    const h = 180;
    const line = (_x: number, y: number) => Math.abs(y - 90);
    const image = scene(w, h, 170, [line]);
    // 8 px across (the analysis image is the photo itself here): under SHORTEST_CROSSING.
    const stroke = await eraseWithReport(image, rectMask(w, h, 116, 40, 8, 100), { seed: 3 });
    assert.equal(stroke.structure.curves, 0, "nothing continued across the stroke");
    const dark = meanAlong(stroke.image, (t) => [117 + 6 * t, 90]);
    assert.ok(dark < 90, `the fill carries the line through the stroke (mean luma ${dark.toFixed(0)})`);
    const wide = await eraseWithReport(image, rectMask(w, h, 96, 40, 48, 100), { seed: 3 });
    assert.ok(wide.structure.curves >= 1, "the same line across a wide hole is continued");
  });

  test("a T-junction: the stem ends at the bar it meets, the bar goes on", async () => {
    const w = 240;
    const h = 200;
    const bar = (_x: number, y: number) => Math.abs(y - 110);
    const stem = (x: number, y: number) => (y <= 110 ? Math.abs(x - 120) : Math.hypot(x - 120, y - 110));
    const image = scene(w, h, 180, [bar, stem], 7);
    const mask = rectMask(w, h, 85, 70, 70, 70);
    const out = await eraseWithReport(image, mask, { seed: 5 });
    const barInHole = meanAlong(out.image, (t) => [88 + 64 * t, 110]);
    const stemInHole = meanAlong(out.image, (t) => [120, 73 + 30 * t]);
    const belowBar = meanAlong(out.image, (t) => [120, 118 + 18 * t]);
    assert.ok(barInHole < 80, `the bar continues (${barInHole.toFixed(0)})`);
    assert.ok(stemInHole < 90, `the stem reaches the bar (${stemInHole.toFixed(0)})`);
    assert.ok(belowBar > 130, `the stem does not go on below the bar (${belowBar.toFixed(0)})`);
  });

  test("a pole that nothing continues across the hole runs halfway in; a region's edge with no partner does not", async () => {
    const w = 240;
    const h = 220;
    // A dark pole from the top that stops inside the hole (its foot is hidden).
    const pole = (x: number, y: number) => (y <= 110 ? Math.abs(x - 120) : Math.hypot(x - 120, y - 110));
    const image = scene(w, h, 180, [pole], 6);
    const mask = rectMask(w, h, 85, 70, 70, 100);
    const out = await eraseWithReport(image, mask, { seed: 5 });
    const without = await eraseWithReport(image, mask, { seed: 5, structure: false });
    // The line leaves the hole at y = 170: halfway is y ≈ 120.
    const upper = meanAlong(out.image, (t) => [120, 73 + 40 * t]);
    const lower = meanAlong(out.image, (t) => [120, 135 + 30 * t]);
    assert.ok(upper < 90, `the pole goes on into the hole (${upper.toFixed(0)})`);
    assert.ok(upper < meanAlong(without.image, (t) => [120, 73 + 40 * t]) - 20, "darker than without structure propagation");
    assert.ok(lower > 130, `and stops before the far side (${lower.toFixed(0)})`);
    // Its two sides are one region: no side labels, so a speculative fill without them is kept.
    const bars = continueStructure(image, mask.data, out.crop);
    assert.ok(bars !== null && bars.curves.length > 0 && bars.curves.every((c) => c.kind === "bar"), "the pole is a bar");
    assert.equal(labelsSides(bars), false);
    assert.equal(sideLabels(bars.curves, bars.scale, out.scale, 64, 64), null);
    // A dark region's edge (sides unlike) from the top, with nothing across: not continued.
    const region = scene(w, h, 180, [(x: number, y: number) => (y <= 110 && x < 120 ? 0 : Math.min(x - 120, y - 110) + 2)], 6);
    const r = continueStructure(region, mask.data, { x: 35, y: 20, width: 170, height: 200 });
    assert.ok(r === null || r.curves.every((c) => c.kind !== "bar"), "an edge is no bar");
  });

  test("a curved outline (the rim of a dark disc) continues through the hole along its curve", async () => {
    const w = 260;
    const h = 240;
    const cx = 170;
    const cy = 190;
    const r = 100;
    // The scene paints cover = 2 − d: dark inside the disc, an anti-aliased rim.
    const disc = (x: number, y: number) => 2 - Math.max(-2, Math.min(2, r - Math.hypot(x - cx, y - cy)));
    const image = scene(w, h, 190, [disc], 11);
    // A round hole centred on the rim, which turns by about 35° inside it.
    const hx = cx + r * Math.cos((3 * Math.PI) / 4);
    const hy = cy - r * Math.sin((3 * Math.PI) / 4);
    const mask: Mask = { width: w, height: h, data: new Uint8Array(w * h) };
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.hypot(x + 0.5 - hx, y + 0.5 - hy) <= 30) mask.data[y * w + x] = 1;
    const withStructure = await eraseWithReport(image, mask, { seed: 2 });
    const without = await eraseWithReport(image, mask, { seed: 2, structure: false });
    assert.ok(withStructure.structure.curves >= 1, "the rim is continued");
    const arc =
      (radius: number) =>
      (t: number): [number, number] => {
        const angle = ((125 + 20 * t) * Math.PI) / 180;
        return [cx + radius * Math.cos(angle), cy - radius * Math.sin(angle)];
      };
    const rimContrast = (img: RgbaImage) => meanAlong(img, arc(r + 2.5), 0.5) - meanAlong(img, arc(r - 2.5), 0.5);
    const contrast = rimContrast(withStructure.image);
    assert.ok(contrast > 80, `the rim separates light from dark inside the hole (${contrast.toFixed(0)})`);
    const contrastWithout = rimContrast(without.image);
    assert.ok(contrast > contrastWithout + 10, `a sharper rim than without structure (${contrastWithout.toFixed(0)})`);
    assert.equal(maxChangeOutside(withStructure.image, image, mask.data), 0);
  });

  test("deterministic with a seed, and turned off on request", async () => {
    const w = 200;
    const h = 150;
    const line = (x: number, y: number) => Math.abs(x - (0.3 * y + 80)) / Math.hypot(1, 0.3);
    const image = scene(w, h, 150, [line], 9);
    const mask = rectMask(w, h, 70, 50, 60, 45);
    const a = await eraseWithReport(image, mask, { seed: 21 });
    const b = await eraseWithReport(image, mask, { seed: 21 });
    assert.deepEqual(a.image.data, b.image.data);
    assert.ok(a.structure.pixels > 0);
    const off = await eraseWithReport(image, mask, { seed: 21, structure: false });
    assert.equal(off.structure.pixels, 0);
    assert.equal(off.timings.structureMs, 0);
  });

  test("a hole in a flat ground skips the step, even with a line far from it; a line through it does not", () => {
    const w = 200;
    const h = 160;
    const far = (_x: number, y: number) => Math.abs(y - 20);
    const image = scene(w, h, 150, [far], 5);
    // Remove the noise: a flat ground (the ring check sees no gradient) with one line far above the hole.
    for (let i = 0; i < w * h; i++) if (image.data[i * 4] > 100) image.data.set([150, 142, 135, 255], i * 4);
    const mask = rectMask(w, h, 80, 90, 40, 40);
    assert.equal(continueStructure(image, mask.data, { x: 40, y: 50, width: 120, height: 110 }), null);
    const crossed = scene(w, h, 150, [(_x: number, y: number) => Math.abs(y - 110)], 5);
    for (let i = 0; i < w * h; i++) if (crossed.data[i * 4] > 100) crossed.data.set([150, 142, 135, 255], i * 4);
    assert.notEqual(continueStructure(crossed, mask.data, { x: 40, y: 50, width: 120, height: 110 }), null);
  });

  test("a faint edge on a quiet wall (under LSD's usual gradient quantisation) continues through the hole; on a busy band it does not", () => {
    const w = 240;
    const h = 240;
    // A step of 8 grey levels over 2 px at x = 120: about 4 levels per px, between half of ρ ≈ 5.2 and ρ.
    const wall = (noise: number, seed: number): RgbaImage => {
      const rng = new Random(seed);
      const data = new Uint8ClampedArray(w * h * 4);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const v = 140 + 8 * Math.min(1, Math.max(0, (x - 119) / 2)) + noise * (rng.next() - 0.5);
          data.set([v, v, v, 255], (y * w + x) * 4);
        }
      }
      return { width: w, height: h, data };
    };
    const mask = rectMask(w, h, 90, 70, 60, 100);
    const crop = { x: 20, y: 0, width: 200, height: 240 };
    const quiet = continueStructure(wall(1, 6), mask.data, crop);
    assert.notEqual(quiet, null);
    const curve = (quiet as StructureResult).curves[0];
    // The curve runs down the edge (analysis coordinates: the crop reduced by the result's scale).
    const edgeX = (120 - crop.x) / (quiet as StructureResult).scale;
    for (let i = 0; i < curve.points.length; i += 2) assert.ok(Math.abs(curve.points[i] - edgeX) < 2, `x ${curve.points[i]} vs ${edgeX}`);
    assert.equal(continueStructure(wall(24, 6), mask.data, crop), null);
  });

  test("a band seen by one edge on each side (its top edge left of the hole, its bottom edge right) is continued on its axis", () => {
    // A light ground crossed by a dark band 6 px wide (rows 37–43), blurred a little at its edges; hole in the middle.
    const w = 120;
    const h = 80;
    const data = new Float32Array(w * h * 3);
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      const inside = Math.min(1, Math.max(0, Math.min(y + 0.5 - 37, 43 - (y + 0.5)) + 0.5));
      const v = 220 - 170 * inside;
      for (let x = 0; x < w; x++) {
        data.set([v, v, v], (y * w + x) * 3);
        if (x >= 45 && x < 75 && y >= 20 && y < 60) hole[y * w + x] = 1;
      }
    }
    const img = { width: w, height: h, channels: 3, data };
    // One edge each side, as LSD would report them (pixel-centre coordinates +0.5): opposite polarity.
    const top = { x1: 10.5, y1: 37.5, x2: 44.5, y2: 37.5, width: 2, logNfa: 10, contrast: 80 };
    const bottom = { x1: 75.5, y1: 43.5, x2: 110.5, y2: 43.5, width: 2, logNfa: 10, contrast: 80 };
    const entries = findEntries(img, hole, [top, bottom]);
    const bands = entries.filter((e) => e.edge !== undefined);
    assert.equal(bands.length, 2, "one band behind each edge");
    for (const b of bands) {
      assert.ok(Math.abs(b.y - 40) < 1, `the band's axis is the band's middle row (${b.y.toFixed(2)})`);
      assert.ok(Math.abs(b.width - 6) < 1.5, `as wide as the band (${b.width.toFixed(2)})`);
    }
    const curves = pairEntries(img, hole, entries);
    assert.equal(curves.length, 1, "the two entries' bands pair, and the edges are used up with them");
    const c = curves[0];
    for (let i = 0; i < c.points.length; i += 2) {
      if (c.points[i] < 45 || c.points[i] > 75) continue;
      assert.ok(Math.abs(c.points[i + 1] - 40) < 1, `the curve runs on the band's axis through the hole (${c.points[i + 1].toFixed(2)})`);
    }
    assert.ok(c.halfWidth >= 4, "the copied band holds both of the band's edges");
    // Without the band behind each edge, the two opposite edges do not pair.
    assert.equal(
      pairEntries(
        img,
        hole,
        entries.filter((e) => e.edge === undefined),
      ).length,
      0,
    );
  });

  test("two straight edges that meet inside the hole are not joined by a quarter circle; a curved rim's ends still join", () => {
    // A flat image: pairing reads the entries' own cross-sections (equal widths), and the hole covers the middle.
    const { img, hole } = flatWithSquareHole(25, 95);
    // Sides are named looking into the hole along each entry: light on the inside of the turn, dark outside.
    const profile = (left: number, right: number) => Float32Array.from([left, left, left, 128, 128, 128, right, right, right]);
    const chain = (x: number, y: number, dx: number, dy: number, curvature: number, left: number, right: number) => {
      const trail = new Float32Array(40);
      for (let i = 0; i < 20; i++) trail.set([x - dx * i, y - dy * i], 2 * i);
      return { x, y, dx, dy, width: 2, length: 19, profile: profile(left, right), strength: 100, trail, curvature };
    };
    // One edge comes down from the top, the other in from the left: they turn by 90° to meet.
    const down = chain(70, 25, 0, 1, 0, 40, 220);
    const across = (curvature: number) => chain(25, 70, 1, 0, curvature, 220, 40);
    assert.deepEqual(pairEntries(img, hole, [down, across(0)]), [], "two straight ends: a corner, not an arc");
    // The same geometry where the chains themselves curve like the arc (a rim turning 90° across the hole): joined.
    const bent = { ...down, curvature: 1 / 45 };
    const joined = pairEntries(img, hole, [bent, across(-1 / 45)]);
    assert.equal(joined.length, 1, "ends that curve as the arc does still join");
    assert.equal(joined[0].kind, "pair");
  });

  test("a T-junction's stem stops short of a bar whose sides it shares no colour with, or that it is too short to reach", () => {
    const { img, hole } = flatWithSquareHole(30, 90);
    const profile = (left: number, right: number) => Float32Array.from([left, left, left, 60, 60, 60, right, right, right]);
    const segment = (x: number, y: number, dx: number, dy: number, p: Float32Array) => ({
      x,
      y,
      dx,
      dy,
      width: 3,
      length: 40,
      profile: p,
      strength: 100,
    });
    // A bar across the hole (sky above, ground below, a dark line between), and a stem from the top that meets it.
    const left = segment(30, 70, 1, 0, profile(90, 210));
    const right = segment(89, 70, -1, 0, profile(210, 90));
    const stemOn = (p: Float32Array) => pairEntries(img, hole, [left, right, segment(60, 30, 0, 1, p)]);
    const sky = stemOn(profile(210, 205));
    assert.equal(sky.length, 2);
    assert.ok(
      sky.some((c) => c.kind === "junction"),
      "a post standing in the sky ends on the bar",
    );
    const foreign = stemOn(profile(20, 150));
    assert.equal(foreign.length, 1, "an edge between colours the bar's sides have neither of is not drawn onto it");
    assert.equal(foreign[0].kind, "pair");
    // A stem seen for less than the way it would still have to run to the bar is not drawn on either (an edge
    // between the sky and something lighter: no bar).
    const edge = segment(60, 30, 0, 1, profile(210, 150));
    assert.ok(
      stemOn(edge.profile).some((c) => c.kind === "junction"),
      "seen for as long as its way to the bar: drawn",
    );
    const short = pairEntries(img, hole, [left, right, { ...edge, length: 30 }]);
    assert.deepEqual(
      short.map((c) => c.kind),
      ["pair"],
    );
  });

  test("the hole's bounding box only saves time: the same bands with and without it", () => {
    // A crop over 288 px, so the analysis image is reduced (factor 3) and its cells outside the box take the fast read.
    const w = 640;
    const h = 400;
    const line = (x: number, y: number) => Math.abs(y - (0.3 * x + 100)) / Math.hypot(1, 0.3);
    const image = scene(w, h, 170, [line], 6);
    const mask = rectMask(w, h, 280, 120, 90, 130);
    const crop = { x: 20, y: 10, width: 600, height: 380 };
    const plain = continueStructure(image, mask.data, crop);
    const boxed = continueStructure(image, mask.data, crop, { x: 280, y: 120, width: 90, height: 130 });
    assert.ok(plain !== null && boxed !== null, "the line is continued");
    assert.deepEqual(boxed.rect, plain.rect);
    assert.equal(boxed.pixels, plain.pixels);
    assert.deepEqual(boxed.band, plain.band);
    assert.deepEqual(boxed.remaining, plain.remaining);
  });

  test("the analysis factor: never an image over 288 px, and a crop and its double analysed alike", () => {
    for (let side = 1; side <= 12000; side++) {
      const q = analysisFactor(side);
      assert.ok(Number.isInteger(q) && q >= 1 && Math.ceil(side / q) <= 288, `side ${side}: factor ${q}`);
      // Never finer than the smallest factor that fits: never more work.
      assert.ok(q >= Math.ceil(side / 288), `side ${side}: factor ${q}`);
      // The fast (packed) read of the crop, up to a factor of 11, is kept wherever it was.
      if (Math.ceil(side / 288) <= 11) assert.ok(q <= 11, `side ${side}: factor ${q}`);
    }
    // The facade's crop at 1024 and at 2048 px: both 227 px (the smallest fitting factor gave 227 and 272).
    assert.equal(681 / analysisFactor(681), 1362 / analysisFactor(1362));
    // The dock's crop at 1024 stays at 277 px: at factor 3 (185 px) its planks were lost.
    assert.equal(analysisFactor(555), 2);
  });

  test("on a big crop (reduced 8×, every other pixel read) the box still only saves time, and the line still continues", () => {
    const w = 2100;
    const h = 900;
    // A dark bar 28 px wide: 3.5 analysis pixels.
    const line = (x: number, y: number) => Math.abs(y - (0.3 * x + 150)) / Math.hypot(1, 0.3) - 12;
    const image = scene(w, h, 170, [line]);
    const mask = rectMask(w, h, 900, 250, 300, 400);
    const crop = { x: 50, y: 0, width: 2000, height: 900 };
    assert.equal(analysisFactor(crop.width), 8);
    const plain = continueStructure(image, mask.data, crop);
    const boxed = continueStructure(image, mask.data, crop, { x: 900, y: 250, width: 300, height: 400 });
    assert.ok(plain !== null && boxed !== null, "the line is continued");
    assert.equal(boxed.curves.filter((c) => c.kind === "pair").length, 1);
    assert.deepEqual(boxed.rect, plain.rect);
    assert.deepEqual(boxed.band, plain.band);
    assert.deepEqual(boxed.remaining, plain.remaining);
  });

  test("beside a band, the copy replaces the fill only where the fill disagrees with it", () => {
    const w = 7;
    const h = 1;
    const hole = new Uint8Array([0, 1, 1, 1, 1, 1, 0]);
    // Pixel 1: band; 2 to 4: beside the band; 5: left to the fill.
    const remaining = new Uint8Array([0, 0, 2, 2, 2, 1, 0]);
    const band = new Uint8ClampedArray(w * 4);
    band.set([10, 10, 10, 255], 4);
    band.set([200, 200, 200, 255], 8);
    band.set([200, 200, 200, 255], 12);
    band.set([100, 100, 100, 255], 16);
    const out = new Uint8ClampedArray(w * 4).fill(255);
    out.set([0, 0, 0, 255], 0);
    out.set([50, 50, 50, 255], 4);
    out.set([40, 40, 40, 255], 8);
    out.set([40, 40, 40, 255], 12);
    out.set([105, 105, 105, 255], 16);
    out.set([60, 60, 60, 255], 20);
    const structure: StructureResult = { rect: { x: 0, y: 0, width: w, height: h }, remaining, band, curves: [], pixels: 1, scale: 1 };
    pasteStructure(structure, hole, { x: 0, y: 0, width: w, height: h }, w, out);
    assert.deepEqual(Array.from(out.subarray(4, 8)), [10, 10, 10, 255], "the band is copied");
    assert.deepEqual(Array.from(out.subarray(8, 12)), [200, 200, 200, 255], "beside it, a fill of the other side's colour gives way");
    assert.deepEqual(Array.from(out.subarray(12, 16)), [120, 120, 120, 255], "mixed half and half next to the plain fill");
    assert.deepEqual(Array.from(out.subarray(16, 20)), [105, 105, 105, 255], "a fill that agrees with the copy stays");
    assert.deepEqual(Array.from(out.subarray(20, 24)), [60, 60, 60, 255], "the rest of the hole is the plain fill");
    assert.deepEqual(Array.from(out.subarray(0, 4)), [0, 0, 0, 255], "outside pixels are untouched");
  });

  test("side labels: a straight curve splits its surroundings, with no label on the band or beyond its ends", () => {
    // A horizontal pair curve at y = 20 from x = 0 to x = 60 in analysis pixels, its in-hole part x ∈ [20, 40].
    const points = new Float32Array([0, 20, 20, 20, 40, 20, 60, 20]);
    const curve: StructureCurve = {
      points,
      arc: new Float32Array([-20, 0, 20, 40]),
      end: 20,
      sources: [[-20, 0]],
      halfWidth: 2,
      kind: "pair",
    };
    // Analysis scale 2, working scale 4: a working pixel covers 2×2 analysis pixels.
    const labels = sideLabels([curve], 2, 4, 40, 20) as Uint8Array;
    assert.ok(labels !== null);
    const at = (x: number, y: number) => labels[y * 40 + x];
    // Working pixel (15, 5) has its centre at analysis (30.5, 10.5): the left normal (ty, −tx) of a curve along +x points to −y.
    assert.equal(at(15, 5), 1, "above the line: bit 0");
    assert.equal(at(15, 15), 2, "below it: bit 1");
    assert.equal(at(15, 10), 0, "on the band: no label");
    assert.equal(at(35, 5), 0, "beyond the curve's end: no label");
    assert.equal(sidesAgree(labels, 5 * 40 + 15, 5 * 40 + 5), true);
    assert.equal(sidesAgree(labels, 5 * 40 + 15, 15 * 40 + 5), false);
    assert.equal(sidesAgree(labels, 5 * 40 + 15, 5 * 40 + 35), true, "an unlabelled source agrees with every target");
  });

  test("side labels in WebAssembly equal the TypeScript's: straight, bent and short curves, several at once", () => {
    const rng = new Random(12);
    const curves: StructureCurve[] = [];
    for (let k = 0; k < 5; k++) {
      // A polyline of 9 points wandering across a 60×40 analysis crop, some with a zero-length step.
      const pts: number[] = [];
      let x = rng.next() * 10;
      let y = 5 + rng.next() * 30;
      for (let i = 0; i < 9; i++) {
        pts.push(x, y);
        if (i !== 3) {
          x += 3 + rng.next() * 5;
          y += (rng.next() - 0.5) * 6 * k;
        }
      }
      curves.push({
        points: new Float32Array(pts),
        arc: new Float32Array(9).map((_, i) => (i - 3) * 5),
        end: 10 + k * 4,
        sources: [[-10, 0]],
        halfWidth: 1 + k / 2,
        kind: k === 4 ? "bar" : k % 2 === 0 ? "pair" : "corner",
      });
    }
    for (const [analysis, work, w, h] of [
      [2, 4, 31, 21],
      [3, 2, 91, 61],
      [1, 1, 60, 40],
    ]) {
      const wasm = sideLabels(curves, analysis, work, w, h);
      const typescript = sideLabels(curves, analysis, work, w, h, false);
      assert.ok(typescript !== null);
      assert.deepEqual(wasm, typescript, `scales ${analysis}, ${work}`);
    }
  });

  test("PatchMatch with side labels never copies a target from the other side of a curve", () => {
    const w = 48;
    const h = 40;
    const rng = new Random(3);
    // Noise everywhere, so the best matches ignore the sides unless the labels forbid it.
    const image = new Float32Array(w * h * 3);
    for (let i = 0; i < image.length; i++) image[i] = 255 * rng.next();
    const hole = new Uint8Array(w * h);
    for (let y = 12; y < 28; y++) hole.fill(1, y * w + 16, y * w + 32);
    const p = makePatchProblem(image, w, h, 3, hole, 2);
    assert.ok(p !== null);
    // Left of x = 24 is one side of a vertical curve, right of it the other.
    const side = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) side[y * w + x] = x < 24 ? 1 : 2;
    p.side = side;
    const nnf = randomNnf(p, rng);
    improveNnf(p, nnf, 4, Math.max(w, h), rng);
    let crossed = 0;
    for (let k = 0; k < p.targets.length; k++) if (!sidesAgree(side, p.targets[k], nnf.source[k])) crossed++;
    assert.equal(crossed, 0);
  });

  test("an anchor's copy is judged only where more than one cross-section of known pixels lies under its window", () => {
    // Analysis image: a dark band on rows 13–17 of a light ground, a hole over columns 20–39, and in the hole a
    // small known island (columns 28–30, rows 12–14) that disagrees with the band, as where a hole's outline grazes a window.
    const w = 60;
    const h = 31;
    const band = (y: number) => (y >= 13 && y <= 17 ? 40 : 200);
    const scene = (island: [number, number, number, number]) => {
      const data = new Float32Array(w * h * 3);
      const hole = new Uint8Array(w * h);
      const [ix0, iy0, ix1, iy1] = island;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const onIsland = x >= ix0 && x <= ix1 && y >= iy0 && y <= iy1;
          data.fill(onIsland ? 200 : band(y), (y * w + x) * 3, (y * w + x + 1) * 3);
          if (x >= 20 && x < 40 && !onIsland) hole[y * w + x] = 1;
        }
      }
      return { low: { width: w, height: h, channels: 3, data }, lowHole: hole };
    };
    const curve = acrossColumns20To39(w, 3);
    const frame = (island: [number, number, number, number]) => {
      const { low, lowHole } = scene(island);
      const image = { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
      return { low, lowHole, image, hole: lowHole, crop: { x: 0, y: 0, width: w, height: h }, scale: 1 };
    };
    // A few samples (fewer than the band's 7 across) under one window: not enough to judge the copy by.
    assert.notEqual(planAnchors(curve, frame([28, 12, 30, 14])), null, "a grazing island does not drop the curve");
    // A known block as tall as the band's window that disagrees with it: the copy is wrong there, and dropped.
    assert.equal(planAnchors(curve, frame([27, 11, 33, 19])), null, "a copy that disagrees with a whole cross-section is dropped");
  });

  test("the anchors' copies meet the known pixels at both edges: a band that widens across the hole is copied from each side at its own edge", () => {
    // A dark band on rows 13–17 left of column 30 and on rows 12–18 right of it (as planks widen towards the camera); hole over columns 20–39.
    const w = 60;
    const h = 31;
    const data = new Float32Array(w * h * 3);
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dark = x < 30 ? y >= 13 && y <= 17 : y >= 12 && y <= 18;
        data.fill(dark ? 40 : 200, (y * w + x) * 3, (y * w + x + 1) * 3);
        if (x >= 20 && x < 40) hole[y * w + x] = 1;
      }
    }
    const curve = acrossColumns20To39(w, 4);
    const low = { width: w, height: h, channels: 3, data };
    const image = { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
    const plan = planAnchors(curve, { low, lowHole: hole, image, hole, crop: { x: 0, y: 0, width: w, height: h }, scale: 1 });
    // The cheapest chain copies the near side's stretch all the way (every join free) and misses the far edge's wider band.
    assert.ok(plan !== null, "the curve is kept");
    assert.ok(plan.source[0] < 0, `the first anchor copies from the near side (${plan.source[0]})`);
    assert.ok(
      plan.source[plan.source.length - 1] > curve.end,
      `the last anchor copies from the far side (${plan.source[plan.source.length - 1]})`,
    );
  });

  test("each side of a band keeps its own shading: a wall that brightens below a ridge does not light the sky above it", () => {
    // An edge on row 15: above it a flat sky (90), below it a wall that brightens from 120 (left) to 180 (right); hole over
    // columns 20–39. The copy's offsets follow each side: the sky in the hole stays 90, the wall reaches the far side's.
    const w = 60;
    const h = 31;
    const data = new Float32Array(w * h * 3);
    const rgba = new Uint8ClampedArray(w * h * 4);
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = y < 15 ? 90 : y > 15 ? 120 + x : 105 + x / 2;
        data.fill(v, (y * w + x) * 3, (y * w + x + 1) * 3);
        rgba.set([v, v, v, 255], (y * w + x) * 4);
        if (x >= 20 && x < 40) hole[y * w + x] = 1;
      }
    }
    const curve = acrossColumns20To39(w, 3);
    const low = { width: w, height: h, channels: 3, data };
    const image = { width: w, height: h, data: rgba };
    const frame = { low, lowHole: hole, image, hole, crop: { x: 0, y: 0, width: w, height: h }, scale: 1 };
    const plan = planAnchors(curve, frame);
    const rect = bandRect(curve, frame);
    assert.ok(plan !== null && rect !== null);
    assert.equal(plan.across, 7);
    for (const wasm of [true, false]) {
      const band = new Uint8ClampedArray(rect.width * rect.height * 4);
      const remaining = new Uint8Array(rect.width * rect.height);
      for (let y = 0; y < rect.height; y++)
        for (let x = 0; x < rect.width; x++) remaining[y * rect.width + x] = hole[(rect.y + y) * w + rect.x + x];
      copyAlong(curve, plan, frame, band, remaining, rect, wasm);
      const at = (x: number, y: number) => band[((y - rect.y) * rect.width + x - rect.x) * 4];
      for (let x = 21; x < 39; x++) {
        assert.ok(Math.abs(at(x, 13) - 90) <= 2, `${wasm ? "WebAssembly" : "TypeScript"}: the sky at column ${x} stays 90 (${at(x, 13)})`);
        assert.ok(
          Math.abs(at(x, 17) - (120 + x)) <= 4,
          `${wasm ? "WebAssembly" : "TypeScript"}: the wall at column ${x} follows its shading (${at(x, 17)})`,
        );
      }
    }
  });

  test("the anchors' sums in WebAssembly give the TypeScript's plan, on noisy bands of several widths", () => {
    const rng = new Random(11);
    const w = 60;
    const h = 31;
    for (const halfWidth of [2, 4, 6]) {
      const data = new Float32Array(w * h * 3);
      const hole = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const dark = Math.abs(y - 15 - (x % 7 === 0 ? 1 : 0)) <= halfWidth - 1;
          for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (dark ? 40 : 200) + c * 5 + rng.next() * 30;
          if (x >= 20 && x < 40 && !(x === 30 && y === 3)) hole[y * w + x] = 1;
        }
      }
      const curve = acrossColumns20To39(w, halfWidth);
      const frame = {
        low: { width: w, height: h, channels: 3, data },
        lowHole: hole,
        image: { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) },
        hole,
        crop: { x: 0, y: 0, width: w, height: h },
        scale: 1,
      };
      const wasm = planAnchors(curve, frame);
      assert.ok(wasm !== null, `half width ${halfWidth}: a plan`);
      assert.deepEqual(wasm, planAnchors(curve, frame, false), `half width ${halfWidth}`);
    }
  });

  test("a straight pair's line fitted in WebAssembly is the TypeScript's, on tilted noisy lines of several widths", () => {
    const rng = new Random(12);
    const w = 160;
    const h = 90;
    for (const [width, tilt] of [
      [2, 0.02],
      [3, -0.035],
      [6, 0.01],
    ]) {
      const data = new Float32Array(w * h * 3);
      const hole = new Uint8Array(w * h);
      // The line's centre row at x (it drifts a little from the chord the entries give).
      const centre = (x: number) => 45 + tilt * (x - 80);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const inside = Math.min(1, Math.max(0, width / 2 + 0.5 - Math.abs(y + 0.5 - centre(x + 0.5))));
          for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = 200 - 150 * inside + c * 4 + rng.next() * 12;
          if (x >= 60 && x < 100 && y >= 20 && y < 70) hole[y * w + x] = 1;
        }
      }
      const img = { width: w, height: h, channels: 3, data };
      const left = { x1: 5.5, y1: centre(5) + 0.5, x2: 59.5, y2: centre(59) + 0.5, width, logNfa: 10, contrast: 150 };
      const right = { x1: 100.5, y1: centre(100) + 0.5, x2: 154.5, y2: centre(154) + 0.5, width, logNfa: 10, contrast: 150 };
      const entries = findEntries(img, hole, [left, right]);
      const wasm = pairEntries(img, hole, entries);
      assert.equal(wasm.length, 1, `width ${width}: the two entries pair`);
      assert.deepEqual(wasm, pairEntries(img, hole, entries, { wasm: false }), `width ${width}, tilt ${tilt}`);
    }
  });

  test("the band's nearest segments in WebAssembly give the TypeScript's copy, at full resolution twice the analysis'", () => {
    const rng = new Random(12);
    const w = 60;
    const h = 31;
    const q = 2;
    const W = w * q;
    const H = h * q;
    for (const halfWidth of [2, 5]) {
      const data = new Float32Array(w * h * 3);
      const lowHole = new Uint8Array(w * h);
      const pixels = new Uint8ClampedArray(W * H * 4);
      const hole = new Uint8Array(W * H);
      for (let Y = 0; Y < H; Y++) {
        for (let X = 0; X < W; X++) {
          const dark = Math.abs(Y / q - 15) <= halfWidth - 1;
          for (let c = 0; c < 3; c++) pixels[(Y * W + X) * 4 + c] = (dark ? 40 : 200) + c * 5 + rng.next() * 30;
          pixels[(Y * W + X) * 4 + 3] = 255;
          if (X >= 20 * q && X < 40 * q) hole[Y * W + X] = 1;
        }
      }
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = pixels[(y * q * W + x * q) * 4 + c];
          if (x >= 20 && x < 40) lowHole[y * w + x] = 1;
        }
      const curve = acrossColumns20To39(w, halfWidth);
      const frame = {
        low: { width: w, height: h, channels: 3, data },
        lowHole,
        image: { width: W, height: H, data: pixels },
        hole,
        crop: { x: 0, y: 0, width: W, height: H },
        scale: q,
      };
      const plan = planAnchors(curve, frame);
      const rect = bandRect(curve, frame);
      assert.ok(plan !== null && rect !== null, `half width ${halfWidth}: a plan and a band`);
      const copy = (wasm: boolean, by: AnchorPlan = plan) => {
        const band = new Uint8ClampedArray(rect.width * rect.height * 4);
        const remaining = new Uint8Array(rect.width * rect.height);
        for (let y = 0; y < rect.height; y++)
          for (let x = 0; x < rect.width; x++) remaining[y * rect.width + x] = hole[(rect.y + y) * W + rect.x + x];
        const pixelsDrawn = copyAlong(curve, by, frame, band, remaining, rect, wasm);
        return { pixelsDrawn, band: Array.from(band), remaining: Array.from(remaining) };
      };
      const wasm = copy(true);
      assert.ok(wasm.pixelsDrawn > 0, `half width ${halfWidth}: pixels drawn`);
      assert.deepEqual(wasm, copy(false), `half width ${halfWidth}`);
      // A plan whose anchors copy from off the photo (arc −19 is 40–80 px left of the hole's pixels), from the hole
      // (5 px ahead) and from the far side, with colour offsets that leave 0–255: the kernel clamps and rounds as a
      // Uint8ClampedArray does.
      const K = plan.source.length;
      const odd = {
        first: plan.first,
        spacing: plan.spacing,
        source: Float32Array.from({ length: K }, (_, k) => [-19, plan.first + k * plan.spacing + 5, 30][k % 3]),
        // Per anchor and position across: values that differ from one position to the next, so that the mix between
        // positions is exercised too.
        offset: Float32Array.from({ length: 3 * K * plan.across }, (_, i) => [-230.5, 0.5, 91.25, 300, -0.5, 2.5, 17.75][i % 7]),
        across: plan.across,
      };
      const oddWasm = copy(true, odd);
      assert.ok(oddWasm.pixelsDrawn > 0, "the odd plan draws");
      assert.deepEqual(oddWasm, copy(false, odd), `half width ${halfWidth}, odd plan`);
    }
  });
});

/** A flat 120 × 120 analysis image (grey 200) with a square hole over [from, to) on both axes. */
function flatWithSquareHole(from: number, to: number) {
  const w = 120;
  const img = { width: w, height: w, channels: 3, data: new Float32Array(w * w * 3).fill(200) };
  const hole = new Uint8Array(w * w);
  for (let y = from; y < to; y++) hole.fill(1, y * w + from, y * w + to);
  return { img, hole };
}

/**
 * A pair's curve along row 15 of a `w`-wide frame whose hole spans columns 20–39: t = 0 at column 19
 * (the last known one), the far entry at 40, sources on both sides.
 */
function acrossColumns20To39(w: number, halfWidth: number): StructureCurve {
  const points = new Float32Array(2 * w);
  const arc = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    points.set([x, 15], 2 * x);
    arc[x] = x - 19;
  }
  return {
    points,
    arc,
    end: 21,
    sources: [
      [-19, 0],
      [21, 40],
    ],
    halfWidth,
    kind: "pair",
  };
}
