import assert from "node:assert/strict";
import { test } from "node:test";
import { poissonFinish } from "../src/core/inpaint/poisson-finish.js";
import { poissonFinishInWasm } from "../src/core/inpaint/wasm/poisson.js";

/** A w×h image of C channels from a function of (x, y, channel). */
function image(w: number, h: number, C: number, value: (x: number, y: number, c: number) => number): Float32Array {
  const data = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) data[(y * w + x) * C + c] = value(x, y, c);
  return data;
}

/** `poissonFinish` on a w×h image whose hole pixel i was copied from `sources[i]` (its slot is the pixel). */
function finish(w: number, h: number, C: number, data: Float32Array, hole: Uint8Array, sources: Int32Array, wasm = true): void {
  poissonFinish({ width: w, height: h, channels: C, data, hole, slotOf: Int32Array.from(sources, (_, i) => i), source: sources }, wasm);
}

/** Each pixel's source `shift` pixels further along the image. */
function shifted(w: number, h: number, shift: number): Int32Array {
  return Int32Array.from({ length: w * h }, (_, i) => i + shift);
}

/** An ellipse-shaped hole (1 = hole). */
function ellipseHole(w: number, h: number, cx: number, cy: number, rx: number, ry: number): Uint8Array {
  const hole = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) hole[y * w + x] = 1;
  return hole;
}

test("a smooth gradient copied in pieces from the wrong places comes back seamless: the hole's shape and the seams vanish", () => {
  const w = 170;
  const h = 90;
  const C = 3;
  // A sky: brighter to the right and downwards, with a gentle curve.
  const truth = image(w, h, C, (x, y, c) => 60 + 0.6 * x + 0.5 * y + 0.002 * (x - 85) ** 2 + 20 * c);
  const hole = ellipseHole(w, h, 85, 45, 25, 30);
  // Each hole pixel is copied from 58 px to the left in its top half and 58 px to the right in the bottom half:
  // a step of brightness at the hole's edge and a seam across its middle, as a patch fill of a sky gives.
  const data = Float32Array.from(truth);
  const sources = new Int32Array(w * h).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (hole[i] === 0) continue;
      const s = y < 45 ? i - 58 : i + 58;
      sources[i] = s;
      for (let c = 0; c < C; c++) data[i * C + c] = truth[s * C + c];
    }
  }
  const before = Float32Array.from(data);
  const worst = (img: Float32Array) => {
    let e = 0;
    for (let i = 0; i < w * h; i++)
      if (hole[i] !== 0) for (let c = 0; c < C; c++) e = Math.max(e, Math.abs(img[i * C + c] - truth[i * C + c]));
    return e;
  };
  assert.ok(worst(before) > 20, "the copy starts far from the truth");
  finish(w, h, C, data, hole, sources);
  // The sources' gradients differ from the truth's only by the curve's slope 58 px away (0.23 a pixel):
  // rebuilt from them with the known ring as boundary, the hole is within a few levels of the truth.
  assert.ok(worst(data) < 4, `worst error after the finish: ${worst(data)}`);
  for (let i = 0; i < w * h; i++) {
    if (hole[i] !== 0) continue;
    for (let c = 0; c < C; c++) assert.equal(data[i * C + c], before[i * C + c], "known pixels are never written");
  }
});

test("a coherent copy of a periodic texture is already right: the finish leaves it as it is", () => {
  const w = 96;
  const h = 80;
  const C = 4;
  // Period 16 in x: a copy from 32 px to the left is exact, and so are its gradients at the hole's edge.
  const truth = image(w, h, C, (x, y, c) => 120 + 60 * Math.sin((2 * Math.PI * x) / 16 + c) + 25 * Math.cos((2 * Math.PI * y) / 10));
  const hole = ellipseHole(w, h, 60, 40, 18, 22);
  const data = Float32Array.from(truth);
  finish(w, h, C, data, hole, shifted(w, h, -32));
  let e = 0;
  for (let i = 0; i < data.length; i++) e = Math.max(e, Math.abs(data[i] - truth[i]));
  assert.ok(e < 1e-3, `largest change: ${e}`);
});

test("a hole that touches the image's edge is finished too (no flux past the edge), and an empty hole changes nothing", () => {
  const w = 64;
  const h = 48;
  const C = 3;
  const truth = image(w, h, C, (x, y, c) => 40 + 2 * x + y + c);
  const hole = new Uint8Array(w * h);
  for (let y = 0; y < 20; y++) for (let x = 44; x < w; x++) hole[y * w + x] = 1;
  // Copied from 40 px to the left, where the ramp is 80 levels darker.
  const data = Float32Array.from(truth);
  for (let y = 0; y < 20; y++)
    for (let x = 44; x < w; x++) for (let c = 0; c < C; c++) data[(y * w + x) * C + c] = truth[(y * w + x - 40) * C + c];
  finish(w, h, C, data, hole, shifted(w, h, -40));
  let e = 0;
  for (let i = 0; i < w * h; i++)
    if (hole[i] !== 0) for (let c = 0; c < C; c++) e = Math.max(e, Math.abs(data[i * C + c] - truth[i * C + c]));
  assert.ok(e < 1, `worst error on a linear ramp cut at the corner: ${e}`);
  const untouched = Float32Array.from(truth);
  finish(w, h, C, untouched, new Uint8Array(w * h), new Int32Array(w * h));
  assert.deepEqual(untouched, truth);
});

test("the WebAssembly finish gives the TypeScript's values exactly: RGB and RGBA, holes of any size, at the image's corner, a thin stroke with few sources", () => {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 4294967296;
  };
  const cases: { w: number; h: number; C: number; hole: (w: number, h: number) => Uint8Array }[] = [
    { w: 40, h: 30, C: 3, hole: (w, h) => ellipseHole(w, h, w / 2, h / 2, 6, 5) },
    { w: 150, h: 110, C: 4, hole: (w, h) => ellipseHole(w, h, w / 2, h / 2, 50, 40) },
    { w: 260, h: 90, C: 3, hole: (w, h) => ellipseHole(w, h, w / 2, h / 2, 120, 30) },
    // Cut off by the image's top and right edges: no known ring on two sides.
    { w: 120, h: 80, C: 3, hole: (w, h) => ellipseHole(w, h, w - 10, 8, 40, 30) },
    // A diagonal stroke 3 px wide: its box is far larger than its pixels (the kernel's scratch grows once).
    {
      w: 300,
      h: 200,
      C: 3,
      hole: (w, h) => {
        const out = new Uint8Array(w * h);
        for (let x = 20; x < 280; x++) for (let d = -1; d <= 1; d++) out[(20 + Math.round((x - 20) * 0.6) + d) * w + x] = 1;
        return out;
      },
    },
  ];
  for (const { w, h, C, hole: cut } of cases) {
    const truth = image(w, h, C, (x, y, c) => 128 + 60 * Math.sin(x / 9 + c) + 40 * Math.cos(y / 7) + 30 * next());
    const hole = cut(w, h);
    // Sources: known pixels away from the hole, in runs, as PatchMatch leaves them; one slot per hole pixel.
    const slotOf = new Int32Array(w * h).fill(-1);
    const source: number[] = [];
    let run = 0;
    let from = 0;
    for (let i = 0; i < w * h; i++) {
      if (hole[i] === 0) continue;
      if (run-- <= 0) {
        run = 1 + Math.floor(next() * 12);
        do from = (1 + Math.floor(next() * (h - 2))) * w + 1 + Math.floor(next() * (w - 2));
        while (hole[from] !== 0 || hole[from - 1] !== 0 || hole[from + 1] !== 0 || hole[from - w] !== 0 || hole[from + w] !== 0);
      }
      slotOf[i] = source.length;
      source.push(from);
    }
    const filled = Float32Array.from(truth);
    for (let i = 0; i < w * h; i++) if (hole[i] !== 0) for (let c = 0; c < C; c++) filled[i * C + c] = truth[source[slotOf[i]] * C + c];
    const inWasm = Float32Array.from(filled);
    const inTypeScript = Float32Array.from(filled);
    const fill = { width: w, height: h, channels: C, hole, slotOf, source: Int32Array.from(source) };
    assert.ok(poissonFinishInWasm(inWasm, w, h, C, hole, slotOf, fill.source), "the kernel ran");
    poissonFinish({ ...fill, data: inTypeScript }, false);
    assert.deepEqual(inWasm, inTypeScript, `${w}×${h}, ${C} channels`);
    assert.notDeepEqual(inWasm, filled, "the finish changed the hole");
  }
});
