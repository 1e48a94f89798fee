import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import type { Rect, RgbaImage } from "../src/core/image.js";
import { eraseWithReport } from "../src/core/inpaint/erase.js";
import { segmentsOverAllowed } from "../src/core/inpaint/structure/given-lines.js";
import { decodeMlsd, type LineEnds, mlsdInput, mlsdSegments, pushPull } from "../src/core/inpaint/structure/mlsd.js";
import { continueStructure } from "../src/core/inpaint/structure/structure.js";
import { holeBounds } from "../src/core/mask.js";
import type { InferenceModel, TensorData } from "../src/core/model.js";
import { BUNDLED_MLSD } from "../src/runtime/bundled-models.js";
import { rectMask } from "./helpers.js";

/** A grey ground (`base`, mild noise) with a dark horizontal bar 5 px wide centred on row `barY`. */
function barScene(w: number, h: number, barY: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cover = Math.min(1, Math.max(0, 3 - Math.abs(y + 0.5 - barY)));
      const v = 180 + 8 * Math.sin(x * 1.7 + y * 0.9) - 140 * cover;
      data.set([v, v, v, 255], (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

/** A stand-in for the network: fixed `scores` and `offsets` for an input of `size`, whatever it is fed. */
function fakeModel(size: number, scores: Float32Array, offsets: Float32Array, fed: Float32Array[] = []): InferenceModel {
  const half = size / 2;
  return {
    inputs: [{ name: "input_image_with_alpha:0", shape: [1, size, size, 4] }],
    outputs: [{ name: "offsets" }, { name: "scores" }],
    async run(feeds: Record<string, TensorData>) {
      fed.push(feeds["input_image_with_alpha:0"].data as Float32Array);
      return {
        scores: { type: "float32", dims: [1, half, half, 1], data: scores },
        offsets: { type: "float32", dims: [1, half, half, 4], data: offsets },
      } as Record<string, TensorData>;
    },
    async close() {},
  };
}

describe("line segments from a network (M-LSD)", () => {
  test("decoding keeps one segment per local peak of the centre score above the threshold, long enough", () => {
    const half = 8;
    const scores = new Float32Array(half * half);
    const offsets = new Float32Array(half * half * 4);
    const put = (x: number, y: number, s: number, o: number[]) => {
      scores[y * half + x] = s;
      offsets.set(o, 4 * (y * half + x));
    };
    put(3, 4, 0.5, [-2, 0.25, 2, 0.25]);
    put(4, 4, 0.3, [-2, 0, 2, 0]); // beside a higher score: not a peak
    put(6, 1, 0.05, [-3, 0, 3, 0]); // under the threshold
    put(1, 6, 0.4, [0, 0, 1, 0]); // a peak, but 2 px long
    const found = decodeMlsd(scores, offsets, half);
    assert.deepEqual(found, [{ x1: 2, y1: 8.5, x2: 10, y2: 8.5 }]);
  });

  test("the network's input fills the hole by push-pull: no black hole, known cells untouched, a ramp across a gap stays a ramp", () => {
    // Push-pull alone: a ramp from 0 (left) to 200 (right) known on its first and last columns only.
    const w = 16;
    const colour = new Float32Array(w * w * 3);
    const weight = new Float32Array(w * w);
    for (let y = 0; y < w; y++) {
      for (const [x, v] of [
        [0, 0],
        [w - 1, 200],
      ]) {
        colour.fill(v, 3 * (y * w + x), 3 * (y * w + x) + 3);
        weight[y * w + x] = 1;
      }
    }
    pushPull(colour, weight, w, w);
    const row = Array.from({ length: w }, (_, x) => colour[3 * (8 * w + x)]);
    assert.equal(row[0], 0);
    assert.equal(row[w - 1], 200);
    for (let x = 1; x < w; x++)
      assert.ok(row[x] >= row[x - 1] - 1e-3, `non-decreasing along the row: ${row.map((v) => v.toFixed(0)).join(" ")}`);

    // The photo's crop: a grey ground (110–130) with a black hole; every input value lies within the known range.
    const image = barScene(64, 48, 100);
    const hole = rectMask(64, 48, 20, 14, 24, 20).data;
    for (let i = 0; i < hole.length; i++) if (hole[i]) image.data.fill(0, 4 * i, 4 * i + 3);
    const input = mlsdInput(image, hole, { x: 0, y: 0, width: 64, height: 48 }, 32);
    assert.ok(input !== null);
    for (let c = 0; c < 32 * 32; c++) {
      assert.equal(input[4 * c + 3], 1);
      for (let k = 0; k < 3; k++) assert.ok(input[4 * c + k] > 160, `cell ${c}: ${input[4 * c + k]}`);
    }
  });

  test("segments come back in photo coordinates, scaled from the network's square input to the crop", async () => {
    const size = 16;
    const half = size / 2;
    const scores = new Float32Array(half * half);
    const offsets = new Float32Array(half * half * 4);
    scores[2 * half + 4] = 0.9;
    offsets.set([-3, 0, 3, 1], 4 * (2 * half + 4));
    const image = barScene(80, 60, 30);
    const hole = new Uint8Array(80 * 60);
    const crop: Rect = { x: 10, y: 20, width: 32, height: 16 };
    const fed: Float32Array[] = [];
    const lines = await mlsdSegments(fakeModel(size, scores, offsets, fed), image, hole, crop);
    // Input (2, 4) → (14, 6): ×2 across (32 / 16), ×1 down (16 / 16), moved by the crop's corner.
    assert.deepEqual(lines, [{ x1: 14, y1: 24, x2: 38, y2: 26 }]);
    assert.equal(fed.length, 1);
    assert.equal(fed[0].length, size * size * 4);
  });

  test("a given line is cut to its stretches over the allowed band, each measured across: width of the ramp, contrast of its slope", () => {
    const w = 40;
    const h = 40;
    // A vertical edge from 50 to 150 over three pixels (x 19–21), a slope of about 33 grey levels per px.
    const grey = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) grey[y * w + x] = x < 19 ? 50 : x > 21 ? 150 : 50 + ((x - 18) * 100) / 4;
    const allowed = new Uint8Array(w * h).fill(1);
    for (let y = 15; y < 25; y++) allowed.fill(0, y * w, (y + 1) * w);
    const segments = segmentsOverAllowed([{ x1: 20, y1: 0, x2: 20, y2: 39 }], grey, allowed, w, h, 8);
    assert.equal(segments.length, 2, "one stretch each side of the band's gap");
    // Half-pixel steps, each read at its nearest pixel.
    assert.ok(segments[0].y2 <= 14.5 && segments[1].y1 >= 24.5, JSON.stringify(segments));
    for (const s of segments) {
      assert.ok(s.width >= 3 && s.width <= 6, `width ${s.width}`);
      assert.ok(s.contrast > 20 && s.contrast < 40, `contrast ${s.contrast}`);
    }
    // Too short a stretch, and a line over flat grey, give nothing.
    assert.equal(segmentsOverAllowed([{ x1: 20, y1: 0, x2: 20, y2: 39 }], grey, allowed, w, h, 20).length, 0);
    assert.equal(segmentsOverAllowed([{ x1: 5, y1: 0, x2: 5, y2: 39 }], grey, allowed, w, h, 8).length, 0);
  });

  test("given lines replace LSD's in the step: a bar's line continues it; the same erase on the pool's thread gives the same pixels", async () => {
    const w = 240;
    const h = 160;
    const image = barScene(w, h, 80);
    const mask = rectMask(w, h, 100, 55, 40, 50);
    const bar: LineEnds[] = [
      { x1: 10, y1: 80, x2: 100, y2: 80 },
      { x1: 140, y1: 80, x2: 230, y2: 80 },
    ];
    const box = holeBounds(mask.data, w, h) as Rect;
    const crop: Rect = { x: 40, y: 15, width: 160, height: 130 };
    const given = continueStructure(image, mask.data, crop, box, undefined, bar);
    assert.ok(given !== null && given.curves.length >= 1, "the bar's line is continued");
    const calls: Rect[] = [];
    const findLines = async (_: RgbaImage, __: Uint8Array, c: Rect) => {
      calls.push(c);
      return bar;
    };
    const here = await eraseWithReport(image, mask, { seed: 2, findLines });
    assert.equal(calls.length, 1);
    const c = calls[0];
    assert.ok(c.x <= box.x && c.y <= box.y && c.x + c.width >= box.x + box.width && c.y + c.height >= box.y + box.height);
    let dark = 0;
    for (let x = 100; x < 140; x++) {
      const p = (80 * w + x) * 4;
      dark += here.image.data[p] < 90 ? 1 : 0;
    }
    assert.ok(dark >= 36, `the bar is dark across the hole (${dark} of 40 px)`);
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const pool = new FieldThreadPool(1);
    try {
      const pooled = await eraseWithReport(image, mask, { seed: 2, findLines, continueStructureOn: pool.continueStructureOn });
      assert.deepEqual(pooled.image.data, here.image.data);
    } finally {
      await pool.close();
    }
  });

  const modelFile = path.resolve(BUNDLED_MLSD.cache);
  test("the fetched M-LSD file finds a dark diagonal line on a plain ground", {
    skip: !existsSync(modelFile) && `${BUNDLED_MLSD.cache} is not fetched (npm run fetch:mlsd)`,
  }, async () => {
    const { lineFinder } = await import("../src/node/line-model.js");
    const find = await lineFinder({ threads: 1 });
    const w = 320;
    const data = new Uint8ClampedArray(w * w * 4);
    for (let y = 0; y < w; y++) {
      for (let x = 0; x < w; x++) {
        // The line y = 0.5 x + 60, 4 px wide.
        const d = Math.abs(y + 0.5 - (0.5 * (x + 0.5) + 60)) / Math.hypot(1, 0.5);
        const v = d < 2 ? 20 : 200;
        data.set([v, v, v, 255], (y * w + x) * 4);
      }
    }
    const lines = await find({ width: w, height: w, data }, new Uint8Array(w * w), { x: 0, y: 0, width: w, height: w });
    const onLine = lines.filter((l) => {
      const off = (x: number, y: number) => Math.abs(y - (0.5 * x + 60)) / Math.hypot(1, 0.5);
      const angle = Math.abs(Math.atan2(l.y2 - l.y1, l.x2 - l.x1));
      const slope = Math.min(Math.abs(angle - Math.atan(0.5)), Math.abs(Math.PI - angle - Math.atan(0.5)));
      return off(l.x1, l.y1) < 4 && off(l.x2, l.y2) < 4 && slope < (5 * Math.PI) / 180 && Math.hypot(l.x2 - l.x1, l.y2 - l.y1) > 100;
    });
    assert.ok(onLine.length >= 1, `a long segment on the line among ${lines.length}`);
  });
});
