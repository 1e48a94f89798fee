import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Mask, RgbaImage } from "../src/core/image.js";
import { eraseWithReport } from "../src/core/inpaint/erase.js";
import { loadInpaintingModel } from "../src/node/inpainting-model.js";
import { noiseImage, rectMask } from "./helpers.js";
import { GraphBuilder, tinyIdentityImage, tinyLamaLike, tinyMiganPipeline, tinyMiganRaw } from "./support/onnx-builder.js";

const FILL: [number, number, number] = [0.1, 0.9, 0.3];
const CLI = path.resolve("bin/vanish.js");
let dir: string;

function modelFile(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** Mean colour of the mask's pixels at least `inset` pixels inside its box edge. */
function holeMean(image: RgbaImage, x: number, y: number, w: number, h: number, inset: number): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let yy = y + inset; yy < y + h - inset; yy++) {
    for (let xx = x + inset; xx < x + w - inset; xx++) {
      for (let c = 0; c < 3; c++) sum[c] += image.data[(yy * image.width + xx) * 4 + c];
      n++;
    }
  }
  return sum.map((s) => s / n);
}

function assertOutsideUntouched(a: RgbaImage, b: RgbaImage, mask: Mask): void {
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 0) continue;
    for (let c = 0; c < 4; c++) if (a.data[i * 4 + c] !== b.data[i * 4 + c]) assert.fail(`pixel ${i} changed outside the hole`);
  }
}

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "vanish-net-"));
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("ONNX inpainting networks as the coarse stage", () => {
  const image = noiseImage(200, 140, 5, 20);
  const mask = rectMask(200, 140, 70, 50, 60, 30);
  const expected = FILL.map((v) => v * 255);

  const cases: [string, Uint8Array, string][] = [
    ["LaMa style (float, mask 1 = hole, output 0–255, any size)", tinyLamaLike(), "image+mask"],
    ["LaMa style with a [0,1] output", tinyLamaLike({ outputScale: 1 }), "image+mask"],
    ["LaMa style at a fixed 64×64 (the non-square crop is resized)", tinyLamaLike({ size: 64 }), "image+mask"],
    ["MI-GAN pipeline style (uint8 in and out, mask 255 = known)", tinyMiganPipeline(), "image+mask"],
    ["MI-GAN raw generator style (one stacked input, [−1,1])", tinyMiganRaw({ size: 96 }), "stacked"],
  ];
  for (const [label, bytes, kind] of cases) {
    test(label, async () => {
      const file = modelFile(`${kind}-${bytes.length}.onnx`, bytes);
      const coarse = await loadInpaintingModel(file);
      try {
        assert.equal(coarse.signature.kind, kind);
        const report = await eraseWithReport(image, mask, { coarse });
        assert.equal(report.coarse, path.basename(file));
        assertOutsideUntouched(image, report.image, mask);
        // The network painted the hole; attention upscaling only adds the known texture's high frequencies.
        const mean = holeMean(report.image, 70, 50, 60, 30, 6);
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(mean[c] - expected[c]) < 8, `channel ${c}: ${mean[c]} vs ${expected[c]}`);
      } finally {
        await coarse.close();
      }
    });
  }

  test("without a network the same hole is filled from the photo, not painted", async () => {
    const report = await eraseWithReport(image, mask);
    assert.equal(report.coarse, "patchmatch");
    const mean = holeMean(report.image, 70, 50, 60, 30, 6);
    assert.ok(Math.abs(mean[1] - expected[1]) > 60);
  });

  test("translucent photos keep a smooth alpha in the hole", async () => {
    const rgba = noiseImage(120, 90, 2, 10);
    for (let i = 0; i < 120 * 90; i++) rgba.data[i * 4 + 3] = 100 + Math.floor(i / 120);
    const hole = rectMask(120, 90, 40, 30, 30, 20);
    const coarse = await loadInpaintingModel(modelFile("alpha.onnx", tinyLamaLike()));
    const out = (await eraseWithReport(rgba, hole, { coarse })).image;
    await coarse.close();
    for (let y = 34; y < 46; y++) {
      const a = out.data[(y * 120 + 55) * 4 + 3];
      assert.ok(Math.abs(a - (100 + y)) <= 6, `alpha ${a} at row ${y}`);
    }
  });

  test("a model that is not an inpainter, or not a model, fails clearly on load", async () => {
    await assert.rejects(loadInpaintingModel(modelFile("identity.onnx", tinyIdentityImage())), /has 3 channels.*an inpainting model takes/);
    const g = new GraphBuilder();
    const a = g.input("image", [1, 3, 8, 8]);
    const b = g.input("mask", [1, 1, 8, 8]);
    g.node("Identity", [g.node("Mul", [a, b])], {}, "grey");
    g.node("ReduceMean", ["grey"], { axes: [1] }, "output");
    g.output("output", [1, 1, 8, 8]);
    await assert.rejects(loadInpaintingModel(modelFile("grey.onnx", g.build())), /no output is an RGB image/);
    await assert.rejects(loadInpaintingModel(modelFile("junk.onnx", new Uint8Array([1, 2, 3, 4]))), /not a model ONNX Runtime can load/);
    await assert.rejects(loadInpaintingModel(path.join(dir, "missing.onnx")), /Cannot read the model/);
  });
});

describe("vanish erase --model", () => {
  function vanish(...args: string[]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test("fills the hole with the network and says so in the JSON", async () => {
    const img = noiseImage(96, 64, 4, 20);
    await sharp(Buffer.from(img.data.buffer), { raw: { width: 96, height: 64, channels: 4 } })
      .removeAlpha()
      .png()
      .toFile(path.join(dir, "photo.png"));
    const m = Buffer.alloc(96 * 64);
    for (let y = 20; y < 44; y++) m.fill(255, y * 96 + 30, y * 96 + 60);
    await sharp(m, { raw: { width: 96, height: 64, channels: 1 } })
      .png()
      .toFile(path.join(dir, "mask.png"));
    const model = modelFile("cli-migan.onnx", tinyMiganPipeline());
    const out = path.join(dir, "out.png");
    const r = vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask.png"), "--model", model, "-o", out, "--json");
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.coarse, "cli-migan.onnx");
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const centre = (40 * 96 + 45) * 3;
    assert.ok(Math.abs(data[centre + 1] - 0.9 * 255) < 25, `green ${data[centre + 1]}`);
  });

  test("a wrong model is refused before any file is written", () => {
    const out = path.join(dir, "never.png");
    const bad = modelFile("cli-identity.onnx", tinyIdentityImage());
    const r = vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask.png"), "--model", bad, "-o", out);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /vanish: error: cli-identity\.onnx takes image/);
    const missing = vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask.png"), "--model", "nope.onnx", "-o", out);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read the model nope\.onnx/);
    assert.equal(
      vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask.png"), "--model-mask", "hole", "-o", out).code,
      2,
    );
  });
});
