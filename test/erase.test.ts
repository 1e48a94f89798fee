import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gradientEnergyRatio, maxChangeOutside, psnr } from "../src/bench/metrics.js";
import { maskFromChannel, type RgbaImage, VanishError } from "../src/core/image.js";
import { buildAttention } from "../src/core/inpaint/attention.js";
import { PatchMatchCoarse } from "../src/core/inpaint/completion.js";
import { chooseCrop, erase, eraseWithReport, hasTranslucency, type StructureStep, workingScale } from "../src/core/inpaint/erase.js";
import {
  countSources,
  improveNnf,
  improveNnfOn,
  makePatchProblem,
  type PatchProblem,
  planScans,
  randomNnf,
  shareNnf,
  shareProblem,
} from "../src/core/inpaint/patchmatch.js";
import { blurKnown, downsampleCrop, halve } from "../src/core/inpaint/resample.js";
import { readCurves, writeCurves } from "../src/core/inpaint/structure/curve-channel.js";
import { analysisImage, continueStructure } from "../src/core/inpaint/structure/structure.js";
import {
  DetailTransfer,
  planSeam,
  type UpscaleInput,
  upscaleInto,
  upscaleKernel,
  upscaleRows,
  upscaleSeam,
} from "../src/core/inpaint/upscale.js";
import { textureFeaturesInWasm } from "../src/core/inpaint/wasm/coarse.js";
import { pixelsWithUpscaleRoom, upscaleRowsOverMemory } from "../src/core/inpaint/wasm/detail-transfer.js";
import {
  downsampleCopied,
  downsampleInMemory,
  holeStatsCopied,
  holeStatsInMemory,
  translucencyInMemory,
} from "../src/core/inpaint/wasm/downsample.js";
import { addMask, countHole, holeBounds, holeStats } from "../src/core/mask.js";
import { Random } from "../src/core/random.js";
import { bandedImage, noiseImage, rectMask, tasksPostedTo } from "./helpers.js";

describe("erase", () => {
  test("pixels outside the mask come back bit-identical, hole pixels are filled", async () => {
    const image = noiseImage(120, 90);
    const mask = rectMask(120, 90, 40, 30, 30, 25);
    for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) image.data.set([255, 0, 255, 255], i * 4);
    const before = new Uint8ClampedArray(image.data);
    const out = await erase(image, mask, { seed: 5 });
    assert.deepEqual(image.data, before, "the input is not modified");
    assert.equal(maxChangeOutside(out, image, mask.data), 0);
    let magenta = 0;
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i] && out.data[i * 4] === 255 && out.data[i * 4 + 1] === 0 && out.data[i * 4 + 2] === 255) magenta++;
    }
    assert.equal(magenta, 0, "no hole pixel keeps the removed content");
  });

  test("the same seed gives the same pixels; another seed may differ", async () => {
    const image = noiseImage(100, 80, 9);
    const mask = rectMask(100, 80, 30, 20, 25, 30);
    const a = await erase(image, mask, { seed: 11 });
    const b = await erase(image, mask, { seed: 11 });
    assert.deepEqual(a.data, b.data);
  });

  test("attention upscaling restores the high frequencies of a periodic texture", async () => {
    // Vertical stripes of period 8 px plus a fine checker: far above the low-res Nyquist at scale 4.
    const w = 256;
    const h = 192;
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 4;
        const stripe = x % 8 < 4 ? 70 : 0;
        const checker = (x + y) % 2 === 0 ? 30 : 0;
        data[p] = 90 + stripe + checker;
        data[p + 1] = 100 + stripe;
        data[p + 2] = 110 + checker;
        data[p + 3] = 255;
      }
    }
    const truth: RgbaImage = { width: w, height: h, data };
    const mask = rectMask(w, h, 100, 70, 48, 40);
    const rep = await eraseWithReport(truth, mask, { seed: 2, lowResLongSide: 64, context: 2 });
    assert.equal(rep.scale, 4, "the fill ran at a quarter of the resolution");
    const ratio = gradientEnergyRatio(rep.image, truth, mask.data);
    assert.ok(ratio > 0.9 && ratio < 1.1, `gradient energy ratio ${ratio.toFixed(3)} should be ≈ 1`);
    const quality = psnr(rep.image, truth, { x: 100, y: 70, width: 48, height: 40 });
    assert.ok(quality > 30, `PSNR ${quality.toFixed(1)} dB should show an exact continuation`);
  });

  test("a hole in texture next to a flat area of the same mean is filled with texture, not washed out", async () => {
    // Left half grey noise, right half flat grey of the same mean: colour alone
    // prefers the flat sources for a blurry estimate; the texture term does not.
    const w = 192;
    const h = 128;
    const data = new Uint8ClampedArray(w * h * 4);
    const rng = new Random(5);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = x < w / 2 ? 128 + rng.int(-50, 50) : 128;
        data.set([v, v, v, 255], (y * w + x) * 4);
      }
    }
    const truth: RgbaImage = { width: w, height: h, data };
    const mask = rectMask(w, h, 40, 34, 56, 60);
    const textured = gradientEnergyRatio(await erase(truth, mask, { seed: 1 }), truth, mask.data);
    const colourOnly = gradientEnergyRatio(
      await erase(truth, mask, { seed: 1, coarse: new PatchMatchCoarse({ textureWeight: 0 }) }),
      truth,
      mask.data,
    );
    assert.ok(textured > 0.5, `gradient energy ratio ${textured.toFixed(3)} with texture features`);
    assert.ok(colourOnly < 0.2, `colour alone washes out (${colourOnly.toFixed(3)}), which this test guards against`);
  });

  test("progress is reported from 0 to 1, never decreasing, and does not change the pixels", async () => {
    const img = noiseImage(200, 150, 4);
    const mask = rectMask(200, 150, 60, 40, 70, 50);
    const seen: number[] = [];
    const withProgress = await erase(img, mask, { seed: 3, onProgress: (f) => seen.push(f) });
    assert.ok(seen.length >= 10, `only ${seen.length} reports`);
    assert.equal(seen[seen.length - 1], 1);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `progress went from ${seen[i - 1]} to ${seen[i]}`);
    assert.deepEqual(withProgress.data, (await erase(img, mask, { seed: 3 })).data);
  });

  test("the working scale follows an object-sized hole, and leaves large holes at the 512-px working image", () => {
    const crop = { x: 0, y: 0, width: 600, height: 500 };
    // 2 % of a 2048×1280 photo: about 2000 low-res hole pixels, however small the crop.
    assert.equal(workingScale(crop, 52_000, 2048 * 1280, 512, 2000), 5);
    // A tiny hole needs no downsampling beyond the crop's.
    assert.equal(workingScale(crop, 900, 2048 * 1280, 512, 2000), 2);
    assert.equal(workingScale({ x: 0, y: 0, width: 300, height: 200 }, 900, 2048 * 1280, 512, 2000), 1);
    // 15 % of the photo: the long-side rule alone.
    const big = { x: 0, y: 0, width: 2048, height: 1280 };
    assert.equal(workingScale(big, 0.15 * 2048 * 1280, 2048 * 1280, 512, 2000), 4);
  });

  test("the crop's context follows the hole's size: its box's long side, or twice the side of its area for a thin hole", () => {
    // A compact 100×100 box: half its side on every side.
    assert.deepEqual(chooseCrop({ x: 500, y: 500, width: 100, height: 100 }, 10_000, 2000, 2000, 0.5), {
      x: 450,
      y: 450,
      width: 200,
      height: 200,
    });
    // A thin 400×20 stroke of 8000 px: half of 2·√8000 ≈ 179, not half of 400.
    assert.deepEqual(chooseCrop({ x: 500, y: 500, width: 400, height: 20 }, 8000, 2000, 2000, 0.5), {
      x: 410,
      y: 410,
      width: 580,
      height: 200,
    });
    // Still grown until 60 % of the crop is known, and clipped to the image.
    const dense = chooseCrop({ x: 0, y: 0, width: 100, height: 100 }, 10_000, 2000, 2000, 0.5);
    assert.ok(1 - 10_000 / (dense.width * dense.height) >= 0.6);
    assert.equal(dense.x, 0);
  });

  test("an object-sized hole is filled at a coarser working scale, with its detail restored", async () => {
    const image = noiseImage(400, 300, 4);
    const mask = rectMask(400, 300, 180, 120, 40, 40);
    const report = await eraseWithReport(image, mask, { seed: 3, lowResHoleBudget: 400 });
    assert.equal(report.scale, 2);
    assert.equal(maxChangeOutside(report.image, image, mask.data), 0);
    assert.ok(gradientEnergyRatio(report.image, image, mask.data) > 0.6, "the noise's detail comes back by attention");
  });

  test("an empty mask returns an unchanged copy", async () => {
    const image = noiseImage(40, 30);
    const rep = await eraseWithReport(image, { width: 40, height: 30, data: new Uint8Array(1200) });
    assert.equal(rep.holePixels, 0);
    assert.deepEqual(rep.image.data, image.data);
    assert.notEqual(rep.image.data, image.data);
  });

  test("translucent images: alpha is filled too and kept outside", async () => {
    const image = noiseImage(80, 60);
    for (let i = 0; i < 80 * 60; i++) image.data[i * 4 + 3] = 100 + (i % 50);
    const mask = rectMask(80, 60, 30, 20, 16, 16);
    const out = await erase(image, mask);
    assert.equal(maxChangeOutside(out, image, mask.data), 0);
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i]) assert.ok(out.data[i * 4 + 3] >= 90 && out.data[i * 4 + 3] <= 160, "alpha filled from its surroundings");
    }
  });

  test("bad input gets a VanishError that says what to do", async () => {
    const image = noiseImage(40, 30);
    await assert.rejects(
      erase(image, rectMask(30, 30, 0, 0, 5, 5)),
      (e: unknown) => e instanceof VanishError && e.code === "SIZE_MISMATCH" && /same size/.test(e.message),
    );
    await assert.rejects(
      erase(image, rectMask(40, 30, 0, 0, 40, 30)),
      (e: unknown) => e instanceof VanishError && e.code === "MASK_TOO_LARGE",
    );
    await assert.rejects(
      erase(noiseImage(8, 8), rectMask(8, 8, 2, 2, 2, 2)),
      (e: unknown) => e instanceof VanishError && e.code === "IMAGE_TOO_SMALL",
    );
    await assert.rejects(
      erase(image, rectMask(40, 30, 5, 5, 5, 5), { topK: 0 }),
      (e: unknown) => e instanceof VanishError && e.code === "INVALID_ARGUMENT",
    );
    await assert.rejects(
      erase({ width: 40, height: 30, data: new Uint8ClampedArray(10) }, rectMask(40, 30, 5, 5, 5, 5)),
      (e: unknown) => e instanceof VanishError && e.code === "INVALID_ARGUMENT",
    );
  });
});

describe("hole statistics", () => {
  test("hasTranslucency finds one pixel of alpha below 255 anywhere in the rectangle, and none outside it, at any alignment", () => {
    const width = 13;
    const height = 6;
    const rect = { x: 2, y: 1, width: 9, height: 4 };
    for (const byteOffset of [0, 4, 1]) {
      const backing = new Uint8ClampedArray(width * height * 4 + byteOffset).fill(255);
      const image = { width, height, data: backing.subarray(byteOffset) };
      assert.equal(hasTranslucency(image, rect), false);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (const alpha of [254, 0]) {
            image.data[(y * width + x) * 4 + 3] = alpha;
            const inside = x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
            assert.equal(hasTranslucency(image, rect), inside, `(${x}, ${y}) alpha ${alpha} at +${byteOffset}`);
            image.data[(y * width + x) * 4 + 3] = 255;
          }
          // A colour byte below 255 is not translucency.
          image.data[(y * width + x) * 4] = 0;
          assert.equal(hasTranslucency(image, rect), false);
        }
      }
    }
  });

  test("holeStats gives countHole's count and holeBounds' box, at any byte offset and width", () => {
    const rng = new Random(3);
    for (const [width, height] of [
      [1, 1],
      [7, 5],
      [33, 17],
      [64, 3],
    ]) {
      for (let offset = 0; offset < 4; offset++) {
        for (let trial = 0; trial < 6; trial++) {
          const backing = new Uint8Array(width * height + offset + 3);
          const data = backing.subarray(offset, offset + width * height);
          const holes = trial === 0 ? 0 : rng.int(1, 4);
          for (let k = 0; k < holes; k++) data[rng.int(0, data.length - 1)] = rng.int(1, 255);
          // Runs of hole pixels (whole words of them, across rows' ends too) from the fourth trial on.
          for (let k = 0; trial >= 3 && k < holes; k++) {
            const start = rng.int(0, data.length - 1);
            data.fill(rng.int(1, 255), start, Math.min(data.length, start + rng.int(1, 3 * width + 5)));
          }
          backing[offset + width * height] = 1;
          const stats = holeStats(data, width, height);
          assert.equal(stats.count, countHole(data), `${width}×${height} at +${offset}`);
          assert.deepEqual(stats.bounds, holeBounds(data, width, height), `${width}×${height} at +${offset}`);
        }
      }
    }
  });

  test("holeBounds (word scans from both ends of each row) gives a pixel-by-pixel scan's box, never reading past its plane", () => {
    const rng = new Random(5);
    const plainBounds = (data: Uint8Array, width: number, height: number) => {
      let x0 = width;
      let y0 = height;
      let x1 = -1;
      let y1 = -1;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          if (data[y * width + x] !== 0) {
            x0 = Math.min(x0, x);
            x1 = Math.max(x1, x);
            y0 = Math.min(y0, y);
            y1 = Math.max(y1, y);
          }
      return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
    };
    for (let width = 1; width <= 13; width++) {
      for (const height of [1, 2, 5]) {
        for (let offset = 0; offset < 4; offset++) {
          for (let trial = 0; trial < 12; trial++) {
            // Non-zero bytes just before and after the plane: a read past either end would show in the box.
            const backing = new Uint8Array(width * height + 8).fill(1);
            const data = backing.subarray(offset + 4, offset + 4 + width * height);
            data.fill(0);
            const holes = trial === 0 ? 0 : rng.int(1, 3);
            for (let k = 0; k < holes; k++) data[rng.int(0, data.length - 1)] = rng.int(1, 255);
            if (trial === 11) data.fill(7);
            assert.deepEqual(holeBounds(data, width, height), plainBounds(data, width, height), `${width}×${height} at +${offset}`);
          }
        }
      }
    }
  });

  test("addMask (word by word) sets 1 where a byte-by-byte union does, at any byte offset and length, any non-zero value", () => {
    const rng = new Random(9);
    for (let n = 0; n <= 19; n++) {
      for (let offset = 0; offset < 4; offset++) {
        for (let trial = 0; trial < 10; trial++) {
          // Bytes just before and after both planes: a read or write past either end would show.
          const maskBacking = new Uint8Array(n + 8).fill(255);
          const mask = maskBacking.subarray(4 + offset, 4 + offset + n);
          mask.fill(0);
          const values = [1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff];
          const set = trial === 0 ? 0 : rng.int(1, Math.max(1, n));
          for (let k = 0; k < set && n > 0; k++) mask[rng.int(0, n - 1)] = values[rng.int(0, values.length - 1)];
          const outBacking = new Uint8Array(n + 8).fill(9);
          const out = outBacking.subarray(4 + (trial % 2 === 0 ? 0 : offset), 4 + (trial % 2 === 0 ? 0 : offset) + n);
          for (let j = 0; j < n; j++) out[j] = rng.int(0, 3) === 0 ? 1 : 0;
          const expected = Uint8Array.from(out, (v, j) => (mask[j] !== 0 ? v | 1 : v));
          const outside = Array.from(outBacking).filter(
            (_, j) => j < out.byteOffset - outBacking.byteOffset || j >= out.byteOffset - outBacking.byteOffset + n,
          );
          addMask(mask, out);
          assert.deepEqual(out, expected, `${n} bytes at +${offset}, trial ${trial}`);
          assert.deepEqual(
            Array.from(outBacking).filter(
              (_, j) => j < out.byteOffset - outBacking.byteOffset || j >= out.byteOffset - outBacking.byteOffset + n,
            ),
            outside,
          );
        }
      }
    }
  });
});

describe("fill threads", () => {
  test("the same seed gives the same pixels with 0, 1 or 3 worker threads", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    // The finest level's scans visit over 8192 targets, so their bands go to the pool's threads.
    const image = noiseImage(300, 230, 4);
    const mask = rectMask(300, 230, 90, 60, 100, 90);
    const one = new FieldThreadPool(1);
    const three = new FieldThreadPool(3);
    try {
      const report = await eraseWithReport(image, mask, { seed: 3 });
      assert.equal(report.scale, 1, "a fine level large enough for several bands");
      const withOne = await erase(image, mask, { seed: 3, coarse: new PatchMatchCoarse({ threads: one }) });
      const withThree = await erase(image, mask, { seed: 3, coarse: new PatchMatchCoarse({ threads: three }) });
      assert.deepEqual(withOne.data, report.image.data);
      assert.deepEqual(withThree.data, report.image.data);
    } finally {
      await one.close();
      await three.close();
    }
  });

  test("the pool's upscaling shares the hole's rows with its free threads: the pixels of the upscaling on one thread, erase after erase", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const image = noiseImage(640, 480, 6);
    // A hole box of 300 × 240 (over the pool's threshold), and a small one that stays on this thread.
    const large = rectMask(640, 480, 170, 120, 300, 240);
    const small = rectMask(640, 480, 60, 50, 40, 30);
    const pool = new FieldThreadPool(2);
    const posted = tasksPostedTo(pool);
    try {
      for (const [mask, shared] of [
        [large, true],
        [small, false],
        [large, true],
      ] as const) {
        const before = posted.length;
        // A working size of 200 px: an upscaling by 2–3 with detail to transfer.
        const alone = await eraseWithReport(image, mask, { seed: 5, lowResLongSide: 200 });
        const pooled = await eraseWithReport(image, mask, { seed: 5, lowResLongSide: 200, upscale: pool.upscale });
        if (shared) assert.ok(alone.scale > 1, "an upscaling with detail to transfer");
        assert.deepEqual(pooled.image.data, alone.image.data);
        assert.equal(posted.slice(before).filter((name) => name === "upscaleRows").length, shared ? 2 : 0);
      }
    } finally {
      await pool.close();
    }
  });

  test("the pool's threads scan their bands in WebAssembly in the problem's shared memory: the TypeScript loop's field, with visited slots and side labels", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const w = 200;
    const h = 160;
    const rng = new Random(8);
    const pool = new FieldThreadPool(3);
    const posted = tasksPostedTo(pool);
    try {
      for (const C of [3, 5] as const) {
        const image = new Float32Array(w * h * C);
        for (let i = 0; i < image.length; i++) image[i] = i % C < 3 ? Math.floor(rng.next() * 256) : rng.next() * 30;
        const hole = new Uint8Array(w * h);
        for (let y = 40; y < 120; y++) hole.fill(1, y * w + 50, y * w + 150);
        // Two sides of a vertical curve through the hole, and a strip labelled on both.
        const side = new Uint8Array(w * h);
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) side[y * w + x] = x < 98 ? 1 : x > 102 ? 2 : 3;
        for (const sides of [undefined, side]) {
          const made = makePatchProblem(image, w, h, C, hole, 3, C === 5 ? { channel: 3, weight: 64 } : undefined, "wasm", sides);
          assert.ok(made?.scanKernel && made.targets.length >= 8192, "bands that go to the pool, in WebAssembly here");
          const shared = shareProblem(made);
          const typescript: PatchProblem = { ...made, kernel: null, scanKernel: null };
          const a = shareNnf(randomNnf(shared, new Random(4)));
          const b = randomNnf(typescript, new Random(4));
          const ra = new Random(6);
          const rb = new Random(6);
          await improveNnfOn(pool, shared, a, 3, 90, ra);
          improveNnf(typescript, b, 3, 90, rb);
          // Every slot visited in a second pass, as the later global search for untrusted targets does with some.
          const only = Int32Array.from({ length: a.source.length }, (_, i) => i);
          await improveNnfOn(pool, shared, a, 1, 150, ra, only);
          improveNnf(typescript, b, 1, 150, rb, only);
          assert.deepEqual(a.source, b.source);
          assert.deepEqual(a.distance, b.distance);
          assert.equal(ra.position, rb.position);
        }
      }
      assert.ok(posted.length > 0 && posted.every((name) => name === "sharedBands"));
    } finally {
      await pool.close();
    }
  });

  test("a problem under the pool's parallelTargets stays unshared and its scans on this thread: improveNnf's field", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const w = 120;
    const h = 90;
    const rng = new Random(3);
    const image = new Float32Array(w * h * 3);
    for (let i = 0; i < image.length; i++) image[i] = Math.floor(rng.next() * 256);
    const hole = new Uint8Array(w * h);
    for (let y = 30; y < 70; y++) hole.fill(1, y * w + 30, y * w + 95);
    const pool = new FieldThreadPool(1);
    const posted = tasksPostedTo(pool);
    try {
      const made = makePatchProblem(image, w, h, 3, hole, 3);
      assert.ok(made && made.targets.length >= 2048 && made.targets.length < pool.parallelTargets, "bands, below the threshold");
      const alone = makePatchProblem(image, w, h, 3, hole, 3);
      assert.ok(alone);
      const a = randomNnf(made, new Random(4));
      const b = randomNnf(alone, new Random(4));
      const ra = new Random(6);
      const rb = new Random(6);
      await improveNnfOn(pool, made, a, 3, 90, ra);
      improveNnf(alone, b, 3, 90, rb);
      assert.deepEqual(a.source, b.source);
      assert.deepEqual(a.distance, b.distance);
      assert.equal(ra.position, rb.position);
      // A whole erase of a hole this size hands no scan to the pool and gives the pixels of no pool at all.
      const photo = noiseImage(160, 120, 9);
      const mask = rectMask(160, 120, 50, 40, 50, 35);
      const plain = await eraseWithReport(photo, mask, { seed: 4 });
      const pooled = await eraseWithReport(photo, mask, { seed: 4, coarse: new PatchMatchCoarse({ threads: pool }) });
      assert.deepEqual(pooled.image.data, plain.image.data);
      assert.deepEqual(posted, []);
    } finally {
      await pool.close();
    }
  });

  test("while a structure step holds the pool's only thread, a large scan runs on the calling thread instead of queueing behind it", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const w = 200;
    const h = 160;
    const image = noiseImage(w, h, 6);
    const hole = rectMask(w, h, 50, 40, 100, 80).data;
    const low = downsampleCrop(image, hole, { x: 0, y: 0, width: w, height: h }, 1, 3);
    const problem = makePatchProblem(low.image.data, w, h, 3, low.hole, 3);
    assert.ok(problem);
    const scans = planScans(problem.targets.length, 1, 8, new Random(2));
    assert.ok(problem.targets.length >= 8192 && scans[0].length > 1, "bands that would go to the pool");
    const pool = new FieldThreadPool(1);
    const posted = tasksPostedTo(pool);
    try {
      const scanOnce = async () => {
        const nnf = shareNnf(randomNnf(problem, new Random(5)));
        const snapshot = new Int32Array(new SharedArrayBuffer(nnf.source.length * 4));
        snapshot.set(nnf.source);
        await pool.scan(shareProblem(problem), nnf, snapshot, undefined, scans[0]);
        return nnf;
      };
      const step = pool.continueStructureOn(image, hole, { x: 0, y: 0, width: w, height: h });
      assert.ok(step);
      const during = await scanOnce();
      assert.deepEqual(posted, ["structure"], "no bands posted behind the step");
      await step;
      const after = await scanOnce();
      assert.deepEqual(posted, ["structure", "sharedBands"]);
      assert.deepEqual(during, after);
    } finally {
      await pool.close();
    }
  });

  test("a pool closed while its threads still load ends them only once they have loaded, and answers each thread's check", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    // Node aborts the process when a thread is terminated mid-load; closing at once must wait for the load instead.
    for (let round = 0; round < 3; round++) {
      const pool = new FieldThreadPool(2);
      await pool.close();
    }
    const pool = new FieldThreadPool(1);
    const posted = tasksPostedTo(pool);
    await pool.close();
    assert.deepEqual(posted, ["loaded"], "one load check for the one thread, then the threads end");
  });
});

describe("a thread pool's structure step on a photo not in shared memory", () => {
  test("gets the crop alone, from an odd corner too, and finds what it finds on the whole photo", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const w = 2100;
    const h = 1500;
    // A dark band across the hole: a curve to continue.
    const image = bandedImage(w, h, (x, y) => Math.abs(y - 0.5 * x - 300) < 40);
    const hole = rectMask(w, h, 801, 551, 500, 400).data;
    const holeBox = { x: 801, y: 551, width: 500, height: 400 };
    // Odd corners, and a crop large enough for the step's checkerboard read (its parity is the photo's).
    for (const crop of [
      { x: 151, y: 101, width: 1851, height: 1301 },
      { x: 150, y: 100, width: 1852, height: 1302 },
    ]) {
      const whole = continueStructure(image, hole, crop, holeBox);
      assert.ok(whole && whole.curves.length > 0 && whole.scale >= 8);
      const pool = new FieldThreadPool(1);
      const sizes: number[] = [];
      tasksPostedTo(pool, (name, task) => {
        if (name === "structure") sizes.push((task as { image: RgbaImage }).image.data.length);
      });
      try {
        const step = pool.continueStructureOn(image, hole, crop, holeBox);
        assert.ok(step);
        assert.equal(step.readsPhoto?.(), false, "the early fill may write into the photo at once");
        const pooled = await step;
        // From even coordinates: one more column and row where the crop's corner is odd.
        assert.deepEqual(sizes, [(crop.width + (crop.x % 2)) * (crop.height + (crop.y % 2)) * 4]);
        assert.deepEqual(pooled, whole);
      } finally {
        await pool.close();
      }
    }
  });
});

describe("patch distance kernels", () => {
  test("the WebAssembly SIMD and the TypeScript kernel erase to the same pixels", async () => {
    const image = noiseImage(200, 150, 8);
    const mask = rectMask(200, 150, 60, 40, 70, 60);
    const wasm = await erase(image, mask, { seed: 4, coarse: new PatchMatchCoarse({ kernel: "wasm" }) });
    const typescript = await erase(image, mask, { seed: 4, coarse: new PatchMatchCoarse({ kernel: "typescript" }) });
    assert.deepEqual(wasm.data, typescript.data);
    // An object-sized hole (2 % of the photo): the coarsest level also solves the onion peel's start, in each kernel.
    const small = rectMask(200, 150, 80, 60, 30, 20);
    const wasmSmall = await erase(image, small, { seed: 4, coarse: new PatchMatchCoarse({ kernel: "wasm" }) });
    const typescriptSmall = await erase(image, small, { seed: 4, coarse: new PatchMatchCoarse({ kernel: "typescript" }) });
    assert.deepEqual(wasmSmall.data, typescriptSmall.data);
    assert.throws(() => new PatchMatchCoarse({ kernel: "gpu" as "wasm" }), /kernel/);
  });

  test("the coarse stage's loops in WebAssembly (texture features, halving, upsampling, vote) give the TypeScript's floats", async () => {
    // Odd sizes (a level's last column and row have one child) and a round hole; three channels (the vote's own
    // loops in WebAssembly) and four (a translucent photo: texture features of four, the vote's general loop in
    // TypeScript). The coarse fill's floats are compared, as a difference in their last bits may not move a byte.
    const w = 203;
    const h = 149;
    const banded = bandedImage(w, h, (x, y) => (x + 2 * y) % 37 < 11);
    const noise = noiseImage(w, h, 5, 30);
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - 101) ** 2 + ((y - 70) * 1.3) ** 2 < 38 ** 2) hole[y * w + x] = 1;
    for (const channels of [3, 4]) {
      const data = new Float32Array(w * h * channels);
      for (let i = 0; i < w * h; i++)
        for (let c = 0; c < channels; c++)
          data[i * channels + c] = (banded.data[4 * i + c] + noise.data[4 * i + c]) / 2 + (c === 3 ? -60 : 0);
      // Without the sharp finish the finest level's last vote is the output (the field hardly shows float bits:
      // the distances read values rounded to 16-bit integers).
      for (const sharpFinish of [true, false]) {
        const fill = async (kernel: "wasm" | "typescript") => {
          const image = { width: w, height: h, channels, data: new Float32Array(data) };
          const done = await new PatchMatchCoarse({ kernel, sharpFinish }).fill({ image, hole, rng: new Random(3) });
          return Array.from(done.image.data);
        };
        assert.deepEqual(await fill("wasm"), await fill("typescript"));
      }
    }
    const out = new Float32Array(w * h * 5);
    assert.equal(textureFeaturesInWasm(new Float32Array(w * h * 3), new Uint8Array(w * h), w, h, 3, 8, out), true);
  });
});

describe("attention search kernels", () => {
  test("the attention's token search in WebAssembly gives the TypeScript's entries and leaves the random stream where it does", async () => {
    const w = 93;
    const h = 71;
    const base = noiseImage(w, h, 6, 50);
    const hole = new Uint8Array(w * h);
    for (let y = 20; y < 50; y++) for (let x = 30 + (y % 7); x < 70; x++) hole[y * w + x] = 1;
    const data = new Float32Array(w * h * 3);
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) data[3 * i + c] = base.data[4 * i + c] + ((i % w) * c) / 4;
    const image = { width: w, height: h, channels: 3, data };
    // A coarse field to seed it: the completion's own, and none (random offsets only).
    const filled = await new PatchMatchCoarse().fill({ image: { ...image, data: new Float32Array(data) }, hole, rng: new Random(2) });
    for (const field of [filled.field, undefined]) {
      for (const options of [{}, { patch: 5, topK: 3, iterations: 4 }]) {
        const a = new Random(9);
        const b = new Random(9);
        const wasm = buildAttention(filled.image, hole, field, options, a);
        const typescript = buildAttention(filled.image, hole, field, options, b, false);
        assert.deepEqual(wasm, typescript);
        assert.equal(a.position, b.position);
        assert.ok(wasm.count.some((n) => n > 0));
      }
    }
  });
});

describe("adaptive EM stop", () => {
  test("a level stops iterating once an M-step moves the hole's colours by less than emTolerance", async () => {
    const image = noiseImage(160, 120, 6);
    const mask = rectMask(160, 120, 50, 40, 45, 35);
    const fill = (coarse: PatchMatchCoarse) => erase(image, mask, { seed: 2, structure: false, coarse });
    // An unreachable tolerance stops every level after its first iteration: the same as one iteration everywhere.
    const stopAtOnce = await fill(new PatchMatchCoarse({ emTolerance: 1e9 }));
    const oneIteration = await fill(new PatchMatchCoarse({ emTolerance: 0, coarsestEmIterations: 1 }));
    assert.deepEqual(stopAtOnce.data, oneIteration.data);
    const everyIteration = await fill(new PatchMatchCoarse({ emTolerance: 0 }));
    assert.notDeepEqual(everyIteration.data, oneIteration.data, "more iterations change the fill");
    assert.equal(maxChangeOutside(stopAtOnce, image, mask.data), 0);
  });
});

describe("in place", () => {
  test("inPlace writes the same pixels into the input's own buffer and returns it", async () => {
    const image = noiseImage(140, 100, 6);
    for (let x = 0; x < 140; x++) for (let y = 48; y < 52; y++) image.data.set([250, 250, 250, 255], (y * 140 + x) * 4);
    const mask = rectMask(140, 100, 50, 30, 40, 40);
    const copied = await eraseWithReport(image, mask, { seed: 2 });
    const before = new Uint8ClampedArray(image.data);
    const inPlace = await eraseWithReport(image, mask, { seed: 2, inPlace: true });
    assert.equal(inPlace.image, image);
    assert.deepEqual(inPlace.image.data, copied.image.data);
    assert.notDeepEqual(image.data, before, "the input now holds the result");
    await assert.rejects(erase(image, mask, { inPlace: "yes" as never }), VanishError);
  });
});

describe("opaque", () => {
  test("opaque: true skips the translucency scan and gives the same pixels on an opaque photo", async () => {
    const image = noiseImage(140, 100, 9);
    const mask = rectMask(140, 100, 40, 30, 50, 35);
    const scanned = await eraseWithReport(image, mask, { seed: 3 });
    const declared = await eraseWithReport(image, mask, { seed: 3, opaque: true });
    assert.deepEqual(declared.image.data, scanned.image.data);
    await assert.rejects(
      erase(image, mask, { opaque: 1 as never }),
      (err: unknown) => err instanceof VanishError && err.code === "INVALID_ARGUMENT",
    );
  });
});

describe("resampling", () => {
  // The definitions, written per pixel and per channel with float32 planes: the optimised passes must give the same bits.
  function referenceBlur(data: Float32Array, hole: Uint8Array, w: number, h: number, C: number): Float32Array {
    const side = 0.1065;
    const mid = 0.787;
    const tmp = new Float32Array(data.length);
    const out = new Float32Array(data);
    for (const [from, to, horizontal] of [
      [data, tmp, true],
      [tmp, out, false],
    ] as const) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          if (hole[i] !== 0) continue;
          const a = horizontal ? (x > 0 ? i - 1 : -1) : y > 0 ? i - w : -1;
          const b = horizontal ? (x < w - 1 ? i + 1 : -1) : y < h - 1 ? i + w : -1;
          let wsum = mid;
          for (let c = 0; c < C; c++) to[i * C + c] = mid * from[i * C + c];
          for (const j of [a, b]) {
            if (j < 0 || hole[j] !== 0) continue;
            wsum += side;
            for (let c = 0; c < C; c++) to[i * C + c] += side * from[j * C + c];
          }
          for (let c = 0; c < C; c++) to[i * C + c] /= wsum;
        }
      }
    }
    return out;
  }

  test("blurKnown gives the per-pixel definition's bits and leaves hole values alone, for 3 and 4 channels", () => {
    const rng = new Random(3);
    for (const C of [3, 4, 5]) {
      const w = 37;
      const h = 23;
      const data = new Float32Array(w * h * C);
      for (let i = 0; i < data.length; i++) data[i] = rng.next() * 255;
      const hole = new Uint8Array(w * h);
      for (let i = 0; i < hole.length; i++) hole[i] = rng.next() < 0.3 ? 1 : 0;
      const expected = referenceBlur(data, hole, w, h, C);
      const img = { width: w, height: h, channels: C, data: new Float32Array(data) };
      blurKnown(img, hole);
      assert.deepEqual(img.data, expected);
      for (let i = 0; i < hole.length; i++) if (hole[i]) for (let c = 0; c < C; c++) assert.equal(img.data[i * C + c], data[i * C + c]);
    }
  });

  test("downsampleCrop averages the known pixels of each cell and marks cells with any hole pixel", () => {
    const image = noiseImage(50, 40, 4);
    const mask = rectMask(50, 40, 12, 9, 13, 11);
    const rect = { x: 3, y: 2, width: 44, height: 35 };
    const s = 3;
    const low = downsampleCrop(image, mask.data, rect, s, 4);
    const lw = Math.ceil(rect.width / s);
    const lh = Math.ceil(rect.height / s);
    assert.equal(low.image.width, lw);
    const means = new Float32Array(lw * lh * 4);
    const hole = new Uint8Array(lw * lh);
    for (let ly = 0; ly < lh; ly++) {
      for (let lx = 0; lx < lw; lx++) {
        const sum = [0, 0, 0, 0];
        let n = 0;
        for (let y = rect.y + ly * s; y < Math.min(rect.y + (ly + 1) * s, rect.y + rect.height); y++) {
          for (let x = rect.x + lx * s; x < Math.min(rect.x + (lx + 1) * s, rect.x + rect.width); x++) {
            const m = y * 50 + x;
            if (mask.data[m]) {
              hole[ly * lw + lx] = 1;
              continue;
            }
            for (let c = 0; c < 4; c++) sum[c] += image.data[m * 4 + c];
            n++;
          }
        }
        if (n > 0) for (let c = 0; c < 4; c++) means[(ly * lw + lx) * 4 + c] = sum[c] / n;
      }
    }
    assert.deepEqual(low.hole, hole);
    assert.deepEqual(low.image.data, referenceBlur(means, hole, lw, lh, 4));
  });

  test("downsampleCrop gives the same cells from pixels at any byte alignment, with 3 or 4 channels", () => {
    const image = noiseImage(61, 47, 9);
    for (let p = 3; p < image.data.length; p += 4) image.data[p] = 255 - (p % 97);
    const mask = rectMask(61, 47, 20, 11, 17, 14);
    // The same pixels one byte into their buffer: read byte by byte instead of as 32-bit words.
    const shifted = new Uint8ClampedArray(image.data.length + 1).subarray(1);
    shifted.set(image.data);
    const unaligned = { width: 61, height: 47, data: shifted };
    for (const [rect, s] of [
      [{ x: 0, y: 0, width: 61, height: 47 }, 1],
      [{ x: 5, y: 3, width: 50, height: 41 }, 2],
      [{ x: 1, y: 2, width: 58, height: 44 }, 5],
    ] as const) {
      for (const C of [3, 4]) {
        const words = downsampleCrop(image, mask.data, rect, s, C);
        const bytes = downsampleCrop(unaligned, mask.data, rect, s, C);
        assert.deepEqual(bytes.hole, words.hole);
        assert.deepEqual(bytes.image.data, words.image.data);
        // The first three channels do not depend on whether alpha is carried.
        if (C === 3) {
          const rgba = downsampleCrop(image, mask.data, rect, s, 4).image.data;
          for (let i = 0; i < words.hole.length; i++)
            for (let c = 0; c < 3; c++) assert.equal(words.image.data[i * 3 + c], rgba[i * 4 + c]);
        }
      }
    }
  });

  test("halve averages each 2×2 block's known children in float32 and marks blocks that are mostly hole", () => {
    const rng = new Random(5);
    for (const [w, h, C] of [
      [31, 20, 3],
      [16, 17, 5],
    ]) {
      const data = new Float32Array(w * h * C);
      for (let i = 0; i < data.length; i++) data[i] = rng.next() * 255;
      const hole = new Uint8Array(w * h);
      for (let i = 0; i < hole.length; i++) hole[i] = rng.next() < 0.4 ? 1 : 0;
      const cw = Math.ceil(w / 2);
      const ch = Math.ceil(h / 2);
      const sums = new Float32Array(cw * ch * C);
      const expectedHole = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) {
          let known = 0;
          let total = 0;
          for (const [xx, yy] of [
            [2 * x, 2 * y],
            [2 * x + 1, 2 * y],
            [2 * x, 2 * y + 1],
            [2 * x + 1, 2 * y + 1],
          ]) {
            if (xx >= w || yy >= h) continue;
            total++;
            if (hole[yy * w + xx]) continue;
            known++;
            for (let c = 0; c < C; c++) sums[(y * cw + x) * C + c] += data[(yy * w + xx) * C + c];
          }
          if (known > 0) for (let c = 0; c < C; c++) sums[(y * cw + x) * C + c] /= known;
          expectedHole[y * cw + x] = known === 0 || 2 * known < total ? 1 : 0;
        }
      }
      const half = halve({ width: w, height: h, channels: C, data }, hole);
      assert.deepEqual(half.image.data, sums);
      assert.deepEqual(half.hole, expectedHole);
    }
  });

  test("countSources counts the hole-free (2r+1)² windows, and stops at `enough`", () => {
    const rng = new Random(9);
    for (const [w, h, r, p] of [
      [40, 30, 3, 0.01],
      [25, 33, 1, 0.1],
      [12, 12, 3, 0.002],
    ]) {
      const hole = new Uint8Array(w * h);
      for (let i = 0; i < hole.length; i++) hole[i] = rng.next() < p ? 1 : 0;
      let expected = 0;
      for (let y = r; y < h - r; y++) {
        for (let x = r; x < w - r; x++) {
          let free = true;
          for (let dy = -r; dy <= r && free; dy++) for (let dx = -r; dx <= r; dx++) if (hole[(y + dy) * w + x + dx]) free = false;
          if (free) expected++;
        }
      }
      assert.equal(countSources(hole, w, h, r), expected);
      assert.equal(countSources(hole, w, h, r, 3), Math.min(3, expected));
    }
    assert.equal(countSources(new Uint8Array(36), 6, 6, 3), 0);
  });
});

describe("upscale option", () => {
  test("the upscaling's rows in bands, in any order, then the seam, give upscaleInto's pixels", async () => {
    const image = noiseImage(160, 120, 7);
    const mask = rectMask(160, 120, 40, 30, 70, 56);
    const plain = await erase(image, mask, { seed: 3 });
    let calls = 0;
    const banded = await erase(image, mask, {
      seed: 3,
      upscale: async (input, out) => {
        calls++;
        const { y, height } = input.holeRect;
        const cuts = [y, y + 7, y + height / 2, y + height - 1, y + height].map(Math.round);
        for (let b = cuts.length - 2; b >= 0; b--) upscaleRows(input, out, cuts[b], cuts[b + 1]);
        upscaleSeam(input, out);
      },
    });
    assert.equal(calls, 1);
    assert.deepEqual(banded.data, plain.data);
    await assert.rejects(erase(image, mask, { upscale: "rows" as never }), VanishError);
  });

  test("the detail transfer in WebAssembly gives the TypeScript loop's bytes (rows, the seam's ring, RGB and RGBA, scales 2–5)", async () => {
    const cases = [
      { w: 200, h: 150, hole: [60, 40, 70, 50], longSide: 64, translucent: false, seed: 4 },
      { w: 240, h: 180, hole: [30, 100, 120, 40], longSide: 48, translucent: false, seed: 6 },
      { w: 180, h: 200, hole: [50, 60, 60, 90], longSide: 40, translucent: true, seed: 8 },
      { w: 300, h: 120, hole: [0, 10, 90, 60], longSide: 96, translucent: false, seed: 10 },
    ];
    const scales = new Set<number>();
    for (const { w, h, hole, longSide, translucent, seed } of cases) {
      const image = noiseImage(w, h, seed, 80);
      // Stripes, so that the attention has real matches and blends, and the gain both caps and scales.
      for (let i = 0; i < w * h; i++)
        image.data[i * 4 + 1] = (image.data[i * 4 + 1] + 90 * Math.sin((i % w) / 3 + Math.floor(i / w) / 5)) & 255;
      if (translucent) for (let i = 3; i < image.data.length; i += 12) image.data[i] = 60 + (i % 181);
      const mask = rectMask(w, h, hole[0], hole[1], hole[2], hole[3]);
      // A second, ragged part of the hole, so that rows hold several runs.
      for (let y = hole[1]; y < hole[1] + hole[3]; y++) mask.data[y * w + Math.min(w - 1, hole[0] + hole[2] + 4 + (y % 7))] = 1;
      let seen = 0;
      await erase(image, mask, {
        seed,
        lowResLongSide: longSide,
        upscale: async (input, out) => {
          seen++;
          scales.add(input.scale);
          assert.equal(input.lowRes.channels, translucent ? 4 : 3);
          const { y, height } = input.holeRect;
          const typescript = new Uint8ClampedArray(out);
          upscaleRows(input, typescript, y, y + height);
          const kernel = upscaleKernel(input);
          assert.ok(kernel, "WebAssembly with shared memory runs in Node");
          // Rows in two bands.
          const half = y + (height >> 1);
          kernel.rows(y, half);
          kernel.rows(half, y + height);
          const wasm = new Uint8ClampedArray(out);
          kernel.copyInto(wasm);
          assert.deepEqual(wasm, typescript);
          // The photo itself in a kernel's memory: read and filled in place (the page's engine worker keeps it there).
          const hosted = pixelsWithUpscaleRoom(out.length, w * h + (1 << 20));
          assert.ok(hosted);
          hosted.set(out);
          const inPlace = upscaleKernel({ ...input, source: { width: w, height: h, data: hosted } });
          assert.ok(inPlace);
          // In shared chunks: a second lane over the same memory, as a field worker takes them, then this thread.
          assert.equal(upscaleRowsOverMemory(inPlace.memory, 3), true);
          inPlace.shareRows();
          inPlace.copyInto(hosted);
          assert.deepEqual(new Uint8ClampedArray(hosted), typescript);
          // With too little room, a copy of the crop.
          const cramped = pixelsWithUpscaleRoom(out.length, 16);
          assert.ok(cramped);
          cramped.set(out);
          const copied = upscaleKernel({ ...input, source: { width: w, height: h, data: cramped } });
          assert.ok(copied && copied.memory !== inPlace.memory);
          copied.shareRows();
          copied.copyInto(cramped);
          assert.deepEqual(new Uint8ClampedArray(cramped), typescript);
          assert.deepEqual(planSeam(input, kernel), planSeam(input));
          const transfer = new DetailTransfer(input);
          const a = new Float32Array(4);
          const b = new Float32Array(4);
          for (let py = 0; py < input.crop.height; py += 3) {
            for (let px = py % 5; px < input.crop.width; px += 5) {
              assert.equal(kernel.at(px, py, a), transfer.at(px, py, b));
              assert.deepEqual(a, b);
            }
          }
          // A released kernel's memory serves the next upscaling as it is, not zeroed: garbage there changes nothing.
          kernel.release();
          new Uint8Array((kernel.memory as { buffer: SharedArrayBuffer }).buffer).fill(0xa5);
          const reused = upscaleKernel(input);
          assert.ok(reused && reused.memory === kernel.memory);
          reused.rows(y, y + height);
          const again = new Uint8ClampedArray(out);
          reused.copyInto(again);
          assert.deepEqual(again, typescript);
          assert.deepEqual(planSeam(input, reused), planSeam(input));
          reused.release();
          // Told to stop (the composite is thrown away), it leaves the output as it was.
          const untouched = new Uint8ClampedArray(out);
          let polls = 0;
          upscaleInto({ ...input, stop: () => ++polls > 2 }, untouched);
          assert.deepEqual(untouched, out);
          assert.equal(polls, 3);
          upscaleInto(input, out);
        },
      });
      assert.equal(seen, 1);
    }
    assert.ok(scales.size >= 3, `scales ${[...scales]}`);
    assert.throws(() => upscaleRowsOverMemory({}, 0), RangeError);
  });

  test("the preparation in WebAssembly (hole count and bounds, translucency, downsampling) gives the TypeScript's results", async () => {
    const cases = [
      { w: 203, h: 150, translucent: false, seed: 4 },
      { w: 97, h: 131, translucent: true, seed: 5 },
      { w: 64, h: 40, translucent: false, seed: 6 },
    ];
    for (const { w, h, translucent, seed } of cases) {
      const image = noiseImage(w, h, seed, 90);
      if (translucent) for (let i = 3; i < image.data.length; i += 28) image.data[i] = 40 + (i % 191);
      const hosted = pixelsWithUpscaleRoom(image.data.length, 40 * w * h);
      assert.ok(hosted, "WebAssembly with shared memory runs in Node");
      hosted.set(image.data);
      const inMemory = { width: w, height: h, data: hosted };
      const rng = new Random(seed);
      // Empty, one pixel at a corner, ragged blobs of any non-zero value (1, 128, 255), a full row and column.
      const masks: Uint8Array[] = [new Uint8Array(w * h), new Uint8Array(w * h), new Uint8Array(w * h), new Uint8Array(w * h)];
      masks[1][w * h - 1] = 128;
      for (let i = 0; i < 40; i++) {
        const cx = Math.floor(rng.next() * w);
        const cy = Math.floor(rng.next() * h);
        const r = 1 + Math.floor(rng.next() * 9);
        for (let y = Math.max(0, cy - r); y < Math.min(h, cy + r); y++)
          for (let x = Math.max(0, cx - r + (y % 3)); x < Math.min(w, cx + r); x++) masks[2][y * w + x] = [1, 128, 255][i % 3];
      }
      for (let x = 0; x < w; x++) masks[3][7 * w + x] = 1;
      for (let y = 0; y < h; y++) masks[3][y * w + 5] = 255;
      for (const mask of masks) {
        assert.deepEqual(holeStatsInMemory(inMemory, mask), holeStats(mask, w, h));
        assert.deepEqual(holeStatsCopied(mask, w, h), holeStats(mask, w, h));
        const rects = [
          { x: 0, y: 0, width: w, height: h },
          { x: 3, y: 2, width: w - 10, height: h - 5 },
          { x: w - 37, y: h - 29, width: 37, height: 29 },
        ];
        for (const rect of rects) {
          assert.equal(translucencyInMemory(inMemory, rect), hasTranslucency(image, rect));
          for (const s of [1, 2, 3, 5, 23]) {
            for (const channels of [3, 4]) {
              const wasm = downsampleInMemory(inMemory, mask, rect, s, channels);
              assert.ok(wasm);
              const typescript = downsampleCrop(image, mask, rect, s, channels);
              assert.deepEqual(wasm, typescript, `${w}×${h} s ${s} C ${channels}`);
              // A photo anywhere else: its crop copied into a kernel's memory of its own.
              assert.deepEqual(downsampleCopied(image, mask, rect, s, channels), typescript, `copied ${w}×${h} s ${s} C ${channels}`);
            }
          }
        }
      }
      // Not in a kernel's memory, or too little room after it: the TypeScript's turn.
      assert.equal(holeStatsInMemory(image, masks[2]), null);
      assert.equal(downsampleInMemory(image, masks[2], { x: 0, y: 0, width: w, height: h }, 2, 3), null);
      // (The memory ends at a 64 KiB page: the smallest photo still has room.)
      const cramped = pixelsWithUpscaleRoom(image.data.length, 16);
      assert.ok(cramped);
      cramped.set(image.data);
      const whole = { x: 0, y: 0, width: w, height: h };
      assert.equal(downsampleInMemory({ width: w, height: h, data: cramped }, masks[2], whole, 2, 3) === null, w * h > 10_000);
    }
    // A whole erase of a photo in a kernel's memory (in place, as the engine worker runs it) gives the plain erase's pixels.
    const image = noiseImage(240, 180, 9, 70);
    const mask = rectMask(240, 180, 70, 50, 60, 45);
    for (let y = 50; y < 95; y++) mask.data[y * 240 + 135 + (y % 5)] = 1;
    const plain = await erase(image, mask, { seed: 5, lowResLongSide: 64 });
    const hosted = pixelsWithUpscaleRoom(image.data.length, 240 * 180 + (1 << 20));
    assert.ok(hosted);
    hosted.set(image.data);
    const report = await eraseWithReport({ width: 240, height: 180, data: hosted }, mask, { seed: 5, lowResLongSide: 64, inPlace: true });
    assert.ok(report.scale > 1);
    assert.deepEqual(new Uint8ClampedArray(hosted), plain.data);
  });

  test("at scale 1 the upscaling gets no attention entries, and a built attention would give the same pixels", async () => {
    for (const translucent of [false, true]) {
      const image = noiseImage(160, 120, 8);
      if (translucent) for (let i = 3; i < image.data.length; i += 16) image.data[i] = 100 + (i % 97);
      const mask = rectMask(160, 120, 50, 40, 24, 18);
      let seen = 0;
      const report = await eraseWithReport(image, mask, {
        seed: 2,
        upscale: async (input, out) => {
          seen++;
          assert.equal(input.scale, 1);
          assert.equal(input.lowRes.channels, translucent ? 4 : 3);
          assert.ok(input.attention.count.every((n) => n === 0));
          const withEntries = new Uint8ClampedArray(out);
          const lowHole = new Uint8Array(input.lowRes.width * input.lowRes.height);
          for (let y = 0; y < input.crop.height; y++) {
            for (let x = 0; x < input.crop.width; x++)
              lowHole[y * input.crop.width + x] = mask.data[(input.crop.y + y) * 160 + input.crop.x + x];
          }
          const attention = buildAttention(input.lowRes, lowHole, undefined, {}, new Random(9));
          assert.ok(attention.count.some((n) => n > 0));
          upscaleInto({ ...input, attention }, withEntries);
          upscaleInto(input, out);
          assert.deepEqual(out, withEntries);
        },
      });
      assert.equal(seen, 1);
      assert.equal(report.scale, 1);
      assert.equal(maxChangeOutside(report.image, image, mask.data), 0);
    }
  });
});

/**
 * The seam band as first written (and still the definition): a breadth-first diffusion over JS lists,
 * kept here to check the typed-array `planSeam` + `applySeam` pixel for pixel.
 */
function referenceSeam(input: UpscaleInput, out: Uint8ClampedArray): void {
  const { crop, mask, source, lowRes, seamWidth: b, holeRect } = input;
  const transfer = new DetailTransfer(input);
  const W = source.width;
  const C = lowRes.channels;
  const rx = Math.max(0, holeRect.x - 1);
  const ry = Math.max(0, holeRect.y - 1);
  const rw = Math.min(crop.width, holeRect.x + holeRect.width + 1) - rx;
  const rh = Math.min(crop.height, holeRect.y + holeRect.height + 1) - ry;
  const offset = (crop.y + ry) * W + crop.x + rx;
  const hole = (x: number, y: number) => x >= 0 && y >= 0 && x < rw && y < rh && mask[offset + y * W + x] !== 0;
  const depth = new Map<number, number>();
  const res = new Float32Array(4);
  let frontier: { x: number; y: number; e: number[] }[] = [];
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      if (hole(x, y) || !(hole(x - 1, y) || hole(x + 1, y) || hole(x, y - 1) || hole(x, y + 1))) continue;
      depth.set(y * rw + x, 1);
      if (transfer.at(x + rx, y + ry, res) === 0) continue;
      const p = (offset + y * W + x) * 4;
      frontier.push({ x, y, e: [0, 1, 2, 3].map((c) => (c < C ? source.data[p + c] - res[c] : 0)) });
    }
  }
  const steps = [
    [-1, 0],
    [1, 0],
    [0, -1],
    [0, 1],
  ];
  for (let d = 1; d <= b && frontier.length > 0; d++) {
    const current = new Map(frontier.map((f) => [f.y * rw + f.x, f.e]));
    const next: typeof frontier = [];
    for (const q of frontier) {
      for (const [dx, dy] of steps) {
        const x = q.x + dx;
        const y = q.y + dy;
        if (!hole(x, y) || depth.has(y * rw + x)) continue;
        depth.set(y * rw + x, d + 1);
        const sum = [0, 0, 0, 0];
        let k = 0;
        for (const [ex, ey] of steps) {
          const e = current.get((y + ey) * rw + x + ex);
          if (x + ex < 0 || x + ex >= rw || y + ey < 0 || y + ey >= rh || !e) continue;
          for (let c = 0; c < 4; c++) sum[c] += e[c];
          k++;
        }
        const e = sum.map((v) => v / k);
        next.push({ x, y, e });
        const p = (offset + y * W + x) * 4;
        for (let c = 0; c < C; c++) out[p + c] = out[p + c] + e[c] * (1 - d / (b + 1));
      }
    }
    frontier = next;
  }
}

describe("seam band", () => {
  test("planSeam + applySeam write the pixels of the breadth-first diffusion, for any band width, RGB or RGBA", async () => {
    const w = 150;
    const h = 110;
    const rng = new Random(12);
    // An irregular hole: two overlapping discs, a thin stroke out to the image's edge, and an island of known pixels inside.
    const mask = { width: w, height: h, data: new Uint8Array(w * h) };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inDisc = Math.hypot(x - 60, y - 50) < 22 || Math.hypot(x - 85, y - 62) < 16;
        const stroke = Math.abs(y - 40 - 0.2 * x) < 2 && x > 80;
        const island = Math.hypot(x - 62, y - 48) < 4;
        mask.data[y * w + x] = (inDisc || stroke) && !island ? 1 : 0;
      }
    }
    for (const translucent of [false, true]) {
      const image = noiseImage(w, h, 21);
      if (translucent) for (let i = 3; i < image.data.length; i += 4) image.data[i] = 200 + Math.floor(rng.next() * 56);
      for (const seamWidth of [1, 3, 8, 12]) {
        let checked = 0;
        await erase(image, mask, {
          seed: 4,
          seamWidth,
          // A working scale of 3 or more: at scale 1 the ring's mismatch is 0 and the band writes nothing.
          lowResLongSide: 40,
          upscale: async (input, out) => {
            const rows = () => {
              const copy = new Uint8ClampedArray(out);
              upscaleRows(input, copy, input.holeRect.y, input.holeRect.y + input.holeRect.height);
              return copy;
            };
            const expected = rows();
            referenceSeam(input, expected);
            const planned = rows();
            upscaleSeam(input, planned);
            assert.equal(input.lowRes.channels, translucent ? 4 : 3);
            assert.ok(input.scale >= 3);
            const unblended = rows();
            let blended = 0;
            for (let i = 0; i < planned.length; i++) if (planned[i] !== unblended[i]) blended++;
            assert.ok(blended > 100, `the band changes pixels (${blended} values)`);
            assert.deepEqual(planned, expected, `seam width ${seamWidth}, ${translucent ? "RGBA" : "RGB"}`);
            const plan = planSeam(input);
            // The ring, then one level per pixel of the band's width: the discs are deeper than 12 pixels.
            assert.equal(plan.levels.length, seamWidth + 2);
            for (let d = 1; d < plan.levels.length - 1; d++) assert.ok(plan.levels[d + 1] > plan.levels[d], `level ${d} has pixels`);
            // planSeam keeps its box plane between calls: planning again over the first plan's slots gives the same plan.
            assert.deepEqual(planSeam(input), plan);
            // Its levels in TypeScript (no WebAssembly) give the same plan as in WebAssembly.
            assert.deepEqual(planSeam(input, undefined, false), plan);
            upscaleInto(input, out);
            checked++;
          },
        });
        assert.equal(checked, 1);
      }
    }
  });
});

/** A grey ground crossed by a dark slanted line, which structure propagation continues through the hole. */
function lineCrossingHole(): { image: RgbaImage; mask: ReturnType<typeof rectMask> } {
  const w = 240;
  const h = 180;
  const rng = new Random(4);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cover = Math.min(1, Math.max(0, 2 - Math.abs(y + 0.5 - (0.4 * (x + 0.5) + 40)) / Math.hypot(1, 0.4)));
      const v = (170 + 16 * (rng.next() - 0.5)) * (1 - cover) + 30 * cover;
      data.set([v, v * 0.95, v * 0.9, 255], (y * w + x) * 4);
    }
  }
  return { image: { width: w, height: h, data }, mask: rectMask(w, h, 90, 50, 50, 60) };
}

describe("continueStructureOn option", () => {
  test("the structure step run by the caller (as another thread would) gives the same pixels", async () => {
    const { image, mask } = lineCrossingHole();
    const plain = await eraseWithReport(image, mask, { seed: 2 });
    assert.ok(plain.structure.curves > 0, "the line is continued through the hole");
    let calls = 0;
    const elsewhere = await eraseWithReport(image, mask, {
      seed: 2,
      continueStructureOn: async (img, hole, crop) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return structuredClone(continueStructure(img, hole, crop));
      },
    });
    assert.equal(calls, 1);
    assert.equal(elsewhere.structure.curves, plain.structure.curves);
    assert.deepEqual(elsewhere.image.data, plain.image.data);
    const off = await eraseWithReport(image, mask, {
      seed: 2,
      structure: false,
      continueStructureOn: async () => assert.fail("not called"),
    });
    assert.equal(off.structure.curves, 0);
    await assert.rejects(erase(image, mask, { continueStructureOn: 1 as never }), VanishError);
  });

  test("the early fill's run while the step's answer is awaited counts as the coarse stage, not as structure", async () => {
    // A fill that keeps its thread busy for 300 ms after its first await, and a step answered as a message
    // would be (a macrotask): the answer is handled only once the fill is done, which is not the step's time.
    const image = noiseImage(200, 150, 7);
    const mask = rectMask(200, 150, 70, 50, 40, 30);
    const inner = new PatchMatchCoarse();
    const busy = {
      name: "busy",
      async fill(input: Parameters<PatchMatchCoarse["fill"]>[0]) {
        await Promise.resolve();
        const end = performance.now() + 300;
        while (performance.now() < end);
        return inner.fill(input);
      },
    };
    const report = await eraseWithReport(image, mask, {
      seed: 5,
      coarse: busy,
      continueStructureOn: () => new Promise((resolve) => setTimeout(() => resolve(null), 0)),
    });
    assert.equal(report.structure.curves, 0);
    assert.ok(report.timings.coarseMs >= 300, `coarse ${report.timings.coarseMs} ms`);
    // Half the busy time: a step charged with the fill's wait would show 300 ms or more, even on a loaded machine.
    assert.ok(report.timings.structureMs < 150, `structure ${report.timings.structureMs} ms`);
  });

  test("on a pool thread, with the fill started before the step's answer, the pixels are the same", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    // A line the step continues (the fill is redone with its side labels) and noise it does not (the early fill is kept).
    const cases = [
      { ...lineCrossingHole(), curves: true, fills: 2 },
      { image: noiseImage(200, 150, 7), mask: rectMask(200, 150, 70, 50, 40, 30), curves: false, fills: 1 },
    ];
    const pool = new FieldThreadPool(1);
    try {
      for (const { image, mask, curves, fills } of cases) {
        const plain = await eraseWithReport(image, mask, { seed: 5 });
        assert.equal(plain.structure.curves > 0, curves);
        const patchMatch = new PatchMatchCoarse({ threads: pool });
        let calls = 0;
        const counted = {
          name: patchMatch.name,
          fill: (input: Parameters<typeof patchMatch.fill>[0]) => {
            calls++;
            return patchMatch.fill(input);
          },
        };
        const pooled = await eraseWithReport(image, mask, { seed: 5, coarse: counted, continueStructureOn: pool.continueStructureOn });
        assert.equal(calls, fills, "the fill without sides is kept only when nothing is continued");
        assert.equal(pooled.structure.curves, plain.structure.curves);
        assert.equal(pooled.structure.pixels, plain.structure.pixels);
        assert.deepEqual(pooled.image.data, plain.image.data);
      }
    } finally {
      await pool.close();
    }
  });

  test("the fill without sides stops once the step says it continues something, and the pixels stay the same", async () => {
    const { image, mask } = lineCrossingHole();
    const plain = await eraseWithReport(image, mask, { seed: 5 });
    assert.ok(plain.structure.curves > 0);
    const inner = new PatchMatchCoarse();
    const fields: boolean[] = [];
    const counted = {
      name: inner.name,
      async fill(input: Parameters<PatchMatchCoarse["fill"]>[0]) {
        const out = await inner.fill(input);
        fields.push(out.field !== undefined);
        return out;
      },
    };
    const report = await eraseWithReport(image, mask, {
      seed: 5,
      coarse: counted,
      continueStructureOn: (img, hole, crop, box) => {
        const result = continueStructure(img, hole, crop, box);
        const step: StructureStep = new Promise((resolve) => setTimeout(() => resolve(result), 0));
        step.continues = () => result !== null;
        return step;
      },
    });
    assert.deepEqual(fields, [false, true], "the early fill stopped without a field, the fill with sides finished");
    assert.equal(report.structure.curves, plain.structure.curves);
    assert.deepEqual(report.image.data, plain.image.data);
    // A stopped fill is never kept, even where the step then continues nothing (a `continues` that was wrong).
    const noise = noiseImage(200, 150, 7);
    const box = rectMask(200, 150, 70, 50, 40, 30);
    const calm = await eraseWithReport(noise, box, { seed: 5 });
    assert.equal(calm.structure.curves, 0);
    fields.length = 0;
    const wrong = await eraseWithReport(noise, box, {
      seed: 5,
      coarse: counted,
      continueStructureOn: () => {
        const step: StructureStep = Promise.resolve(null);
        step.continues = () => true;
        return step;
      },
    });
    assert.deepEqual(fields, [false, true]);
    assert.deepEqual(wrong.image.data, calm.image.data);
  });

  test("curves handed over ahead of the result: the fill with their sides starts before the bands, with the same pixels", async () => {
    const { image, mask } = lineCrossingHole();
    const plain = await eraseWithReport(image, mask, { seed: 5 });
    assert.ok(plain.structure.curves > 0);
    // The channel round trip gives the curves' courses exactly; curves too large for it are not handed over.
    const bounds = holeBounds(mask.data, image.width, image.height);
    assert.ok(bounds);
    const found = continueStructure(image, mask.data, chooseCrop(bounds, countHole(mask.data), image.width, image.height, 0.5), bounds);
    assert.ok(found);
    const channel = new Float64Array(4096);
    assert.equal(readCurves(channel), undefined);
    assert.ok(writeCurves(channel, found.curves, found.scale));
    const read = readCurves(channel);
    assert.equal(read?.scale, found.scale);
    assert.equal(read?.curves.length, found.curves.length);
    for (const [k, c] of found.curves.entries()) {
      assert.deepEqual(read?.curves[k], { kind: c.kind, halfWidth: c.halfWidth, end: c.end, points: c.points });
    }
    assert.equal(writeCurves(new Float64Array(8), found.curves, found.scale), false);
    // The result comes only after the fill with the sides has started; a result that is null after all (no band
    // pixel drawn) gives the plain fill's pixels.
    for (const nullAfterAll of [false, true]) {
      let answered = false;
      let filledBefore = 0;
      const inner = new PatchMatchCoarse();
      const counted = {
        name: inner.name,
        fill(input: Parameters<PatchMatchCoarse["fill"]>[0]) {
          if (!answered && input.sides !== undefined) filledBefore++;
          return inner.fill(input);
        },
      };
      const report = await eraseWithReport(image, mask, {
        seed: 5,
        coarse: counted,
        continueStructureOn: (img, hole, crop, box) => {
          let ahead: ReturnType<typeof readCurves>;
          const result = continueStructure(img, hole, crop, box, (curves, scale) => {
            ahead = { curves: [...curves], scale };
          });
          const step: StructureStep = new Promise((resolve) =>
            setTimeout(() => {
              answered = true;
              resolve(nullAfterAll ? null : result);
            }, 20),
          );
          step.continues = () => ahead !== undefined;
          step.curves = () => ahead;
          return step;
        },
      });
      assert.equal(filledBefore, 1, "the fill with sides ran before the step answered");
      if (nullAfterAll) {
        const calm = await eraseWithReport(image, mask, { seed: 5, structure: false });
        assert.equal(report.structure.curves, 0);
        assert.deepEqual(report.image.data, calm.image.data);
      } else {
        assert.equal(report.structure.curves, plain.structure.curves);
        assert.deepEqual(report.image.data, plain.image.data);
      }
    }
  });

  test("a step answered after the early fill: its attention and upscaling run meanwhile, kept or redone, in place too, with the same pixels", async () => {
    // The line is continued (the early composite is thrown away and the fill redone with sides), the noise is not
    // (the early composite is the result). In place, the thrown-away composite has overwritten the hole first.
    const cases = [
      { ...lineCrossingHole(), curves: true, upscales: 2 },
      { image: noiseImage(200, 150, 7), mask: rectMask(200, 150, 70, 50, 40, 30), curves: false, upscales: 1 },
    ];
    for (const { image, mask, curves, upscales } of cases) {
      const plain = await eraseWithReport(image, mask, { seed: 5 });
      assert.equal(plain.structure.curves > 0, curves);
      for (const inPlace of [false, true]) {
        const target = { ...image, data: new Uint8ClampedArray(image.data) };
        let calls = 0;
        const report = await eraseWithReport(target, mask, {
          seed: 5,
          inPlace,
          upscale: async (input, out) => {
            calls++;
            upscaleInto(input, out);
          },
          continueStructureOn: (img, hole, crop, box) => {
            const result = structuredClone(continueStructure(img, hole, crop, box));
            const step: StructureStep = new Promise((resolve) => setTimeout(() => resolve(result), 300));
            // Done with the photo: in place, the early composite may go into it.
            step.readsPhoto = () => false;
            return step;
          },
        });
        assert.equal(calls, upscales, "the early fill was upscaled before the step's answer");
        assert.equal(report.structure.curves, plain.structure.curves);
        assert.deepEqual(report.image.data, plain.image.data);
        if (!curves) assert.ok(report.timings.structureMs > 100, `the wait for the step: ${report.timings.structureMs} ms`);
      }
    }
  });

  test("erases sharing a pool at once, and photos of another size after them, each get their own photo's structure", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const line = lineCrossingHole();
    // The same line on a larger photo, the hole shifted with it: the staging buffers grow for it.
    const big = { width: 300, height: 220, data: new Uint8ClampedArray(300 * 220 * 4).fill(170) };
    for (let y = 0; y < 180; y++) big.data.set(line.image.data.subarray(y * 240 * 4, (y + 1) * 240 * 4), ((y + 20) * 300 + 30) * 4);
    const bigMask = rectMask(300, 220, 120, 70, 50, 60);
    const noise = { image: noiseImage(200, 150, 7), mask: rectMask(200, 150, 70, 50, 40, 30) };
    const plain = await Promise.all([line, noise, { image: big, mask: bigMask }].map((c) => eraseWithReport(c.image, c.mask, { seed: 5 })));
    assert.ok(plain[0].structure.curves > 0 && plain[2].structure.curves > 0 && plain[1].structure.curves === 0);
    const pool = new FieldThreadPool(2);
    try {
      const options = { seed: 5, coarse: new PatchMatchCoarse({ threads: pool }), continueStructureOn: pool.continueStructureOn };
      // The second erase's step is posted while the first's holds the staging buffers.
      const together = await Promise.all([
        eraseWithReport(line.image, line.mask, options),
        eraseWithReport(noise.image, noise.mask, options),
      ]);
      const after = await eraseWithReport(big, bigMask, options);
      for (const [k, got] of [...together, after].entries()) {
        assert.equal(got.structure.curves, plain[k].structure.curves);
        assert.deepEqual(got.image.data, plain[k].image.data);
      }
    } finally {
      await pool.close();
    }
  });
});

describe("masks from decoded files", () => {
  test("maskFromChannel marks values ≥ 128, four bytes a step or one by one, at any offset, channel count and threshold", () => {
    const rng = new Random(3);
    for (const [w, h, offset, channels, threshold] of [
      [7, 3, 0, 1, 128],
      [101, 37, 1, 1, 128],
      [64, 64, 0, 1, 128],
      [64, 64, 4, 1, 128],
      [5, 1, 3, 1, 128],
      [33, 9, 0, 3, 128],
      [33, 9, 0, 1, 200],
    ]) {
      const bytes = new Uint8Array(w * h * channels + offset + 8);
      for (let i = 0; i < bytes.length; i++) bytes[i] = [0, 127, 128, 255][i % 4] ^ Math.floor(rng.next() * 2);
      const values = bytes.subarray(offset, offset + w * h * channels);
      const expected = Uint8Array.from({ length: w * h }, (_, i) => (values[i * channels] >= threshold ? 1 : 0));
      assert.deepEqual(maskFromChannel(w, h, values, channels, threshold).data, expected, `${w}×${h} at ${offset}, ${channels} channels`);
    }
  });
  test("downsampleCopied over a crop of several strips gives downsampleCrop's planes", () => {
    // About 1 M pixels a strip: a 1100 px wide crop takes two strips at s = 1 and more at s = 3 (whole cells each).
    const w = 1100;
    const h = 1200;
    const image = noiseImage(w, h, 2, 90);
    for (let i = 3; i < image.data.length; i += 64) image.data[i] = 128;
    const mask = new Uint8Array(w * h);
    for (let y = 500; y < 760; y++) for (let x = 300 + (y % 9); x < 640; x++) mask[y * w + x] = 1;
    const rect = { x: 7, y: 3, width: w - 9, height: h - 4 };
    for (const s of [1, 3, 7]) {
      for (const channels of [3, 4]) {
        assert.deepEqual(
          downsampleCopied(image, mask, rect, s, channels),
          downsampleCrop(image, mask, rect, s, channels),
          `s ${s} C ${channels}`,
        );
      }
    }
    // The structure step's sparse read (every other pixel by the photo's x + y parity), two strips at 8, 9 and 11 (the second
    // strip starting on an odd row at 11).
    for (const q of [8, 9, 11]) {
      const sparse = downsampleCopied(image, mask, rect, q, 3, (rect.x + rect.y) & 1);
      const analysis = analysisImage(image, mask, rect, q, undefined, false);
      assert.ok(sparse);
      assert.deepEqual(Array.from(sparse.image.data), Array.from(analysis.image.data), `sparse q ${q}`);
      assert.deepEqual(Array.from(sparse.hole), Array.from(analysis.hole), `sparse q ${q} hole`);
    }
  });

  test("holeStatsCopied counts a mask taller than one chunk of rows as holeStats does", () => {
    // 65 536 bytes a chunk: 93 rows of 700, so three chunks and a partial one.
    const w = 700;
    const h = 300;
    const rng = new Random(5);
    const mask = new Uint8Array(w * h);
    for (let k = 0; k < 200; k++) mask[Math.floor(rng.next() * w * h)] = 1 + Math.floor(rng.next() * 255);
    for (let x = 100; x < 300; x++) mask[250 * w + x] = 1;
    assert.deepEqual(holeStatsCopied(mask, w, h), holeStats(mask, w, h));
    assert.deepEqual(holeStatsCopied(new Uint8Array(w * h), w, h), { count: 0, bounds: null });
  });
});
