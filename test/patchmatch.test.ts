import assert from "node:assert/strict";
import { test } from "node:test";
import { bandCount, improveNnf, makePatchProblem, planScans, randomNnf, scanBand } from "../src/core/inpaint/patchmatch.js";
import { Random } from "../src/core/random.js";

test("PatchMatch recovers a known shift of a random texture exactly", () => {
  const w = 120;
  const h = 80;
  const C = 3;
  const rng = new Random(42);
  const image = new Float32Array(w * h * C);
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rng.next() * 256);
  // The right part repeats the left part shifted by (−56, +5): every patch there has one exact twin.
  const dx = -56;
  const dy = 5;
  for (let y = 0; y < h; y++) {
    for (let x = 64; x < w; x++) {
      const sx = x + dx;
      const sy = Math.min(h - 1, Math.max(0, y + dy));
      for (let c = 0; c < C; c++) image[(y * w + x) * C + c] = image[(sy * w + sx) * C + c];
    }
  }
  const hole = new Uint8Array(w * h);
  for (let y = 30; y < 50; y++) hole.fill(1, y * w + 80, y * w + 100);
  const problem = makePatchProblem(image, w, h, C, hole, 3);
  assert.ok(problem);
  const nnf = randomNnf(problem, rng);
  improveNnf(problem, nnf, 6, Math.max(w, h), rng);
  let exact = 0;
  for (let k = 0; k < problem.targets.length; k++) {
    const t = problem.targets[k];
    if (nnf.source[k] === t + dy * w + dx && nnf.distance[k] === 0) exact++;
  }
  assert.equal(exact, problem.targets.length, `${exact} of ${problem.targets.length} targets found the true shift`);
});

test("sources never overlap the hole", () => {
  const w = 40;
  const h = 30;
  const hole = new Uint8Array(w * h);
  for (let y = 10; y < 20; y++) hole.fill(1, y * w + 10, y * w + 20);
  const problem = makePatchProblem(new Float32Array(w * h * 3), w, h, 3, hole, 3);
  assert.ok(problem);
  for (const s of problem.sources) {
    const x = s % w;
    const y = (s - x) / w;
    for (let yy = y - 3; yy <= y + 3; yy++) for (let xx = x - 3; xx <= x + 3; xx++) assert.equal(hole[yy * w + xx], 0);
  }
});

test("a banded scan does not depend on the order its bands run in (so threads give the same field)", () => {
  const w = 160;
  const h = 120;
  const rng = new Random(9);
  const image = new Float32Array(w * h * 3);
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rng.next() * 256);
  const hole = new Uint8Array(w * h);
  for (let y = 25; y < 95; y++) hole.fill(1, y * w + 40, y * w + 120);
  const problem = makePatchProblem(image, w, h, 3, hole, 3);
  assert.ok(problem);
  assert.ok(bandCount(problem.targets.length) >= 2, `${problem.targets.length} targets make several bands`);
  const start = randomNnf(problem, new Random(1));
  // improveNnf runs the bands first to last; here they run last to first.
  const inOrder = { source: start.source.slice(), distance: start.distance.slice() };
  improveNnf(problem, inOrder, 3, 40, new Random(5));
  const reversed = { source: start.source.slice(), distance: start.distance.slice() };
  for (const scan of planScans(problem.targets.length, 3, 40, new Random(5))) {
    const snapshot = reversed.source.slice();
    for (const band of [...scan].reverse()) scanBand(problem, reversed, snapshot, undefined, band, new Random(band.seed));
  }
  assert.deepEqual(reversed.source, inOrder.source);
  assert.deepEqual(reversed.distance, inOrder.distance);
  assert.notDeepEqual(inOrder.source, start.source, "the scans changed the field");
});
