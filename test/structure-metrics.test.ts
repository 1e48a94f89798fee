import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canny, structureScores } from "../src/bench/structure-metrics.js";
import type { RgbaImage } from "../src/core/image.js";
import { detectSegments, rowsReadBy } from "../src/core/inpaint/structure/lsd.js";

/** Grey background, an anti-aliased dark 3-px bar along y = 0.25x + 30 and a light lower half below y = 0.8h. */
function scene(w: number, h: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  const norm = Math.hypot(1, 0.25);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = y > 0.8 * h ? 200 : 120;
      const distance = Math.abs(y - (0.25 * x + 30)) / norm;
      const cover = Math.min(1, Math.max(0, 2 - distance));
      v = v * (1 - cover) + 20 * cover;
      data.set([v, v, v, 255], (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

describe("LSD", () => {
  test("finds a straight step edge and both sides of a bar, and nothing in flat noise-free areas", () => {
    const w = 160;
    const h = 120;
    const img = scene(w, h);
    const grey = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) grey[i] = img.data[i * 4];
    const segments = detectSegments(grey, w, h, { minLength: 40 });
    const horizontal = segments.filter((s) => Math.abs(s.y1 - s.y2) < 2 && Math.abs(s.y1 - 0.8 * h) < 2);
    assert.ok(horizontal.length >= 1, "the step at y = 0.8h");
    assert.ok(Math.abs(horizontal[0].x2 - horizontal[0].x1) > 0.8 * w);
    const slanted = segments.filter((s) => Math.abs((s.y2 - s.y1) / (s.x2 - s.x1) - 0.25) < 0.03);
    assert.ok(slanted.length >= 2, "both edges of the bar");
    for (const s of segments) assert.ok(s.logNfa >= 0);
  });

  test("a minimum length only drops the shorter segments: over noise, the long ones are those found without it", () => {
    const w = 160;
    const h = 120;
    const grey = new Float32Array(w * h);
    // Short dashes and noise make short regions, which a minimum length lets the detector skip before their
    // rectangles; a 50 px dark bar and a full-width step give segments of two lengths above it.
    let seed = 12345;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const bar = x >= 20 && x < 70 && Math.abs(y - 40) <= 1.5;
        const dash = Math.abs(y - 65) <= 1 && x % 25 >= 5 && x % 25 < 17;
        grey[y * w + x] = (bar || dash ? 30 : y > 90 ? 200 : 120) + 24 * (seed / 2147483648 - 0.5);
      }
    }
    const length = (s: { x1: number; y1: number; x2: number; y2: number }) => Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
    const all = detectSegments(grey, w, h);
    const long = all.filter((s) => length(s) >= 30);
    assert.ok(all.length > long.length, "the dashes give short segments");
    assert.ok(long.some((s) => length(s) < 60) && long.some((s) => length(s) > 120), "the bar's edges and the step");
    assert.deepEqual(detectSegments(grey, w, h, { minLength: 30 }), long);
  });

  test("an allowed band limits detection to it", () => {
    const w = 160;
    const h = 120;
    const img = scene(w, h);
    const grey = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) grey[i] = img.data[i * 4];
    const allowed = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < 60; x++) allowed[y * w + x] = 1;
    for (const s of detectSegments(grey, w, h, { allowed })) assert.ok(Math.max(s.x1, s.x2) < 62);
  });

  test("the WebAssembly kernel gives the TypeScript's segments and census, bit for bit", () => {
    // Axis-aligned edges (whose rectangles depend on the last bit of cos and sin), slanted bars, a ring, noise,
    // and flat areas; with and without a band, a minimum length and the faint threshold.
    const w = 150;
    const h = 110;
    const grey = new Float32Array(w * h);
    let seed = 777;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const ring = Math.abs(Math.hypot(x - 100, y - 55) - 25) < 2;
        const bar = Math.abs(y - (0.6 * x + 5)) < 1.5;
        const block = x > 20 && x < 60 && y > 70 && y < 95;
        const noise = x > 120 ? 40 * (seed / 2147483648 - 0.5) : 3 * (seed / 2147483648 - 0.5);
        grey[y * w + x] = (ring ? 40 : bar ? 210 : block ? 170 : 110) + noise;
      }
    }
    const band = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) band[y * w + x] = Math.abs(Math.hypot(x - 75, y - 55) - 35) < 14 ? 1 : 0;
    const runs = [{}, { minLength: 12 }, { allowed: band, minLength: 8 }, { allowed: band, threshold: 2.6 }];
    let found = 0;
    for (const options of runs) {
      const inKernel = { faint: 2.6, pixels: 0, above: 0 };
      const inTypeScript = { faint: 2.6, pixels: 0, above: 0 };
      const a = detectSegments(grey, w, h, { ...options, census: inKernel });
      const b = detectSegments(grey, w, h, { ...options, census: inTypeScript, kernel: false });
      assert.deepEqual(a, b);
      assert.deepEqual(inKernel, inTypeScript);
      assert.ok(inKernel.pixels > 0);
      found += a.length;
    }
    assert.ok(found > 10, "segments to compare");
  });
});

describe("blur support", () => {
  test("rowsReadBy marks exactly the pixels within the radius of a needed one in its column", () => {
    const w = 9;
    const h = 14;
    const need = new Uint8Array(w * h);
    // Scattered pixels, one at each border, two in a column closer than twice the radius.
    for (const [x, y] of [
      [0, 0],
      [3, 5],
      [3, 9],
      [8, 13],
      [6, 2],
    ]) {
      need[y * w + x] = 1;
    }
    for (const radius of [1, 3]) {
      const got = rowsReadBy(need, w, h, radius);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let near = 0;
          for (let k = Math.max(0, y - radius); k <= Math.min(h - 1, y + radius); k++) near |= need[k * w + x];
          assert.equal(got[y * w + x], near, `radius ${radius} at (${x}, ${y})`);
        }
      }
    }
  });
});

describe("structure metrics", () => {
  test("Canny marks a thin line once per side and nothing on flat ground", () => {
    const w = 64;
    const h = 48;
    const grey = new Float32Array(w * h).fill(100);
    for (let y = 0; y < h; y++) grey[y * w + 30] = 200;
    const edges = canny(grey, w, h);
    let onFlat = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < 20; x++) onFlat += edges[y * w + x];
    assert.equal(onFlat, 0);
    let nearLine = 0;
    for (let x = 26; x <= 34; x++) nearLine += edges[20 * w + x];
    assert.ok(nearLine >= 1 && nearLine <= 3);
  });

  test("the truth scores lineR = edgeF = 1; a flat fill loses the line and the edges", () => {
    const w = 320;
    const h = 240;
    const truth = scene(w, h);
    const hole = new Uint8Array(w * h);
    for (let y = 40; y < 120; y++) hole.fill(1, y * w + 100, y * w + 180);
    const perfect = structureScores(truth, truth, hole);
    assert.equal(perfect.lineR, 1);
    assert.equal(perfect.edgeF, 1);
    assert.ok(perfect.linePoints > 20);
    const flat = new Uint8ClampedArray(truth.data);
    for (let i = 0; i < hole.length; i++) if (hole[i]) flat.set([120, 120, 120], i * 4);
    const broken = structureScores({ width: w, height: h, data: flat }, truth, hole);
    assert.ok(broken.lineR < 0.2, `lineR ${broken.lineR}`);
    assert.ok(broken.edgeF < 0.2, `edgeF ${broken.edgeF}`);
  });
});
