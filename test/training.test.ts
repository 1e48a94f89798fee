/**
 * Smoke test of the training recipe (training/): a few CPU steps on generated
 * images with Debian's python3-torch, the export with re-parameterisation, then
 * ONNX Runtime's output checked against PyTorch's and the exported network run
 * as the coarse stage of `erase`. CI installs python3-torch (.ci/run); where it
 * is missing outside CI the test is skipped with the reason.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { BENCH_PHOTOS } from "../src/bench/photos.js";
import { eraseWithReport } from "../src/core/inpaint/erase.js";
import { loadInpaintingModel } from "../src/node/inpainting-model.js";
import { loadOnnxModel } from "../src/node/onnx.js";
import { noiseImage, rectMask } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch, PIL, numpy"], { encoding: "utf8" }).status === 0;
const skip = !hasTorch && process.env.CI !== "true" ? "python3-torch is not installed (apt-get install python3-torch)" : false;
const dir = mkdtempSync(path.join(os.tmpdir(), "vanish-train-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string, ...args: string[]): void {
  const r = spawnSync(PYTHON, [path.resolve("training", script), ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `${script} failed:\n${r.stderr}`);
}

function floats(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

test("training recipe: train, re-parameterise, export; ONNX Runtime matches PyTorch and erase runs it", { skip }, async () => {
  assert.ok(hasTorch, "CI needs python3-torch for this test; .ci/run installs it");
  const run = path.join(dir, "run");
  const exported = path.join(dir, "export");
  python("train.py", "--smoke", "--size", "64", "--batch", "4", "--steps", "3", "--out", run);
  python("train.py", "--smoke", "--size", "64", "--batch", "4", "--steps", "5", "--out", run, "--resume");
  const log = readFileSync(path.join(run, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  // A checkpoint entry at the end of each run; a slow machine may log an extra one (once a minute).
  const steps = log.map((e) => e.step);
  assert.ok(steps.includes(3) && steps.at(-1) === 5, `expected log entries at steps 3 and 5, got ${steps.join(", ")}`);
  python("export.py", "--checkpoint", path.join(run, "last.pt"), "--out", exported, "--check-size", "64");

  const meta = JSON.parse(readFileSync(path.join(exported, "check.json"), "utf8"));
  assert.equal(meta.step, 5);
  const model = await loadOnnxModel(path.join(exported, "coarse.onnx"));
  const result = await model.run({ input: { type: "float32", dims: meta.input, data: floats(path.join(exported, "check-input.bin")) } });
  await model.close();
  const want = floats(path.join(exported, "check-output.bin"));
  const got = result.output.data as Float32Array;
  assert.deepEqual(result.output.dims, meta.output);
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i] - got[i]));
  assert.ok(diff < 1e-4, `ONNX Runtime differs from PyTorch by ${diff}`);

  const coarse = await loadInpaintingModel(path.join(exported, "coarse.onnx"));
  assert.equal(coarse.signature.kind, "stacked");
  const image = noiseImage(150, 100, 6, 20);
  const mask = rectMask(150, 100, 50, 30, 40, 30);
  const report = await eraseWithReport(image, mask, { coarse });
  await coarse.close();
  assert.equal(report.coarse, "coarse.onnx");
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] === 0) {
      for (let c = 0; c < 4; c++) assert.equal(report.image.data[i * 4 + c], image.data[i * 4 + c]);
    }
  }
});

test("the held-out photos are exactly the benchmark's photos, and no training photo is one of them", { skip }, () => {
  const r = spawnSync(PYTHON, ["-c", "import json, photos; print(json.dumps([photos.HELDOUT, photos.TRAIN]))"], {
    cwd: path.resolve("training"),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const [heldout, train] = JSON.parse(r.stdout) as [string[], string[]];
  assert.deepEqual(heldout, [...BENCH_PHOTOS] as string[]);
  assert.deepEqual(
    train.filter((p) => heldout.includes(p)),
    [],
  );
});
