import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { findOpenCvPython } from "../src/bench/opencv-python.js";
import { findGmic, gmicInpaint, opencvInpaint, readRgba, writePeerInput } from "../src/bench/peers.js";
import type { RgbaImage } from "../src/core/image.js";

/** A 64×48 scene: a dark horizontal bar (rows 22–25) across a light, gently shaded ground; the hole a 12×16 box over the bar. */
function scene(): { image: RgbaImage; hole: Uint8Array } {
  const w = 64;
  const h = 48;
  const data = new Uint8ClampedArray(w * h * 4);
  const hole = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = y >= 22 && y <= 25 ? 30 : 180 + (x % 5);
      data.set([v, v, v, 255], (y * w + x) * 4);
      if (x >= 26 && x < 38 && y >= 16 && y < 32) hole[y * w + x] = 1;
    }
  }
  for (let i = 0; i < hole.length; i++) if (hole[i]) data.fill(0, i * 4, i * 4 + 3);
  return { image: { width: w, height: h, data }, hole };
}

const work = mkdtempSync(path.join(os.tmpdir(), "vanish-peers-test-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The mean luma over the hole's part of the bar's rows and over the rest of the hole. */
function holeLumas(image: RgbaImage, hole: Uint8Array): { bar: number; ground: number } {
  let bar = 0;
  let nb = 0;
  let ground = 0;
  let ng = 0;
  for (let i = 0; i < hole.length; i++) {
    if (!hole[i]) continue;
    const y = Math.floor(i / image.width);
    const v = image.data[i * 4 + 1];
    if (y >= 22 && y <= 25) {
      bar += v;
      nb++;
    } else {
      ground += v;
      ng++;
    }
  }
  return { bar: bar / nb, ground: ground / ng };
}

/** The largest difference outside the hole between `a` and `b` (RGB). */
function maxOutside(a: RgbaImage, b: RgbaImage, hole: Uint8Array): number {
  let most = 0;
  for (let i = 0; i < hole.length; i++) {
    if (hole[i]) continue;
    for (let c = 0; c < 3; c++) most = Math.max(most, Math.abs(a.data[i * 4 + c] - b.data[i * 4 + c]));
  }
  return most;
}

describe("benchmark peers", () => {
  test("the peers' input files hold the photo and a mask that is white exactly on the hole", async () => {
    const { image, hole } = scene();
    const files = await writePeerInput(image, hole, work);
    const photo = await readRgba(files.input);
    assert.deepEqual([photo.width, photo.height], [image.width, image.height]);
    assert.deepEqual(photo.data, image.data);
    const mask = await readRgba(files.mask);
    for (let i = 0; i < hole.length; i++) assert.equal(mask.data[i * 4], hole[i] ? 255 : 0, `mask at pixel ${i}`);
  });

  test("G'MIC fills the hole from the photo and leaves the rest as it was", async (t) => {
    const gmic = await findGmic();
    if (gmic === null) {
      t.skip("gmic is not installed (apt-get install gmic)");
      return;
    }
    const { image, hole } = scene();
    const files = await writePeerInput(image, hole, work);
    const { image: filled, ms } = await gmicInpaint(gmic, files, work);
    assert.ok(ms > 0);
    assert.ok(maxOutside(filled, image, hole) <= 1, "pixels outside the hole kept");
    const { bar, ground } = holeLumas(filled, hole);
    assert.ok(ground > 150, `the ground is filled with ground (${ground.toFixed(0)})`);
    assert.ok(bar < ground - 40, `the bar is carried into the hole (${bar.toFixed(0)} against ${ground.toFixed(0)})`);
  });

  test("OpenCV's Telea fills the hole and leaves the rest as it was", async (t) => {
    const python = await findOpenCvPython();
    if (python === null) {
      t.skip("OpenCV for Python is not installed (apt-get install python3-opencv)");
      return;
    }
    const { image, hole } = scene();
    const files = await writePeerInput(image, hole, work);
    const result = await opencvInpaint(python, files, work);
    assert.ok(result.teleaMs >= 0 && result.nsMs >= 0);
    assert.equal(maxOutside(result.telea, image, hole), 0, "pixels outside the hole kept");
    const { ground } = holeLumas(result.telea, hole);
    assert.ok(ground > 100, `no black left in the hole (${ground.toFixed(0)})`);
  });
});
