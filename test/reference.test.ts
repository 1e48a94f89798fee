import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { psnr } from "../src/bench/metrics.js";
import type { Mask, RgbaImage } from "../src/core/image.js";
import { eraseWithReport } from "../src/core/inpaint/erase.js";
import { holeBounds, squaredDistanceTo } from "../src/core/mask.js";
import { FIXED, SOLVE, solveGuidedMembrane, solveMembrane } from "../src/core/membrane.js";
import { Random } from "../src/core/random.js";
import { wideEvidence } from "../src/core/reference/align.js";
import { searchSimilarity } from "../src/core/reference/direct.js";
import { detectFeatures, featurePyramid, HarrisScratch, harrisResponse } from "../src/core/reference/features.js";
import { Fft2d } from "../src/core/reference/fft.js";
import { dominantFlowAt, flowAt, nodeConductance, parallaxFlow } from "../src/core/reference/flow.js";
import { matchGrain } from "../src/core/reference/grain.js";
import { type GreyImage, gaussianBlur, sampleBilinear, workingGrey, workingHole } from "../src/core/reference/grey.js";
import {
  backedByDetail,
  fillFromReference,
  pinnedByPhoto,
  pinnedDown,
  requiredRingCorrelation,
  weakPoseVerdict,
} from "../src/core/reference/guided-fill.js";
import { fitHomography, type Homography, project, ransacAffine, ransacHomography } from "../src/core/reference/homography.js";
import { matchFeatures } from "../src/core/reference/matching.js";
import { refineHomography, refinePyramid } from "../src/core/reference/refine.js";
import { applyTone, fitToneCurves } from "../src/core/reference/tone.js";
import { warpReference, warpReferenceAt } from "../src/core/reference/warp.js";

/** A photo-like test scene: overlapping rectangles and discs of random colours with mild noise (plenty of corners). */
function scene(w: number, h: number, seed: number, shapes = 140): RgbaImage {
  const rng = new Random(seed);
  const data = new Uint8ClampedArray(w * h * 4);
  const base = [rng.int(60, 200), rng.int(60, 200), rng.int(60, 200)];
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 4; c++) data[i * 4 + c] = c === 3 ? 255 : base[c];
  for (let k = 0; k < shapes; k++) {
    const colour = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    const cx = rng.int(0, w - 1);
    const cy = rng.int(0, h - 1);
    const rx = rng.int(4, 30);
    const ry = rng.int(4, 30);
    const disc = rng.next() < 0.4;
    for (let y = Math.max(0, cy - ry); y < Math.min(h, cy + ry); y++) {
      for (let x = Math.max(0, cx - rx); x < Math.min(w, cx + rx); x++) {
        if (disc && ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) continue;
        for (let c = 0; c < 3; c++) data[(y * w + x) * 4 + c] = colour[c];
      }
    }
  }
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) data[i * 4 + c] += rng.int(-3, 3);
  return { width: w, height: h, data };
}

/** A standard normal sample (Box–Muller). */
function gaussian(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** The reference a camera would see: `truth` through the inverse of `h`, with another exposure and size. */
function viewOf(truth: RgbaImage, toTruth: Homography, w: number, h: number, gain: number, bias: number): RgbaImage {
  const warped = warpReference(truth, toTruth, { x: 0, y: 0, width: w, height: h });
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) data[i * 4 + c] = warped.valid[i] ? gain * warped.rgb[i * 3 + c] + bias : 90;
    data[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data };
}

/** Pastes a flat-coloured blob (the object) and returns the photo and its removal mask. */
function withObject(truth: RgbaImage, cx: number, cy: number, r: number): { photo: RgbaImage; mask: Mask } {
  const { width: w, height: h } = truth;
  const data = new Uint8ClampedArray(truth.data);
  const hole = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - cx, (y - cy) * 0.6);
      if (d > r + 3) continue;
      hole[y * w + x] = 1;
      if (d <= r) data.set([220, 30 + (x % 7) * 20, 40], (y * w + x) * 4);
    }
  }
  return { photo: { width: w, height: h, data }, mask: { width: w, height: h, data: hole } };
}

/** Colour changes that leave luma (0.299 r + 0.587 g + 0.114 b) unchanged. */
const LUMA_FREE_TINTS = [
  [60, -30.6, 0],
  [-60, 30.6, 0],
  [0, -11.7, 60],
  [0, 11.7, -60],
];

function sameOutside(a: RgbaImage, b: RgbaImage, hole: Uint8Array): boolean {
  for (let i = 0; i < hole.length; i++) {
    if (hole[i]) continue;
    for (let c = 0; c < 4; c++) if (a.data[i * 4 + c] !== b.data[i * 4 + c]) return false;
  }
  return true;
}

describe("reference-guided erase", () => {
  const truth = scene(480, 360, 3);
  const { photo, mask } = withObject(truth, 250, 170, 55);
  const box = holeBounds(mask.data, mask.width, mask.height);
  assert.ok(box);
  // Reference pixel (u, v) shows truth at toTruth·(u, v): turned ~3°, zoomed 0.9×, shifted, slight perspective.
  const toTruth = Float64Array.of(0.9, -0.05, 30, 0.05, 0.9, 12, 0.00005, 0, 1);

  test("restores the true background from a photo taken from another viewpoint, with another exposure and size", async () => {
    const reference = viewOf(truth, toTruth, 560, 420, 0.8, 18);
    const alone = await eraseWithReport(photo, mask, {});
    const guided = await eraseWithReport(photo, mask, { reference });
    const r = guided.reference;
    assert.ok(r?.used, `reference not used: ${r?.notes.join(" ")}`);
    assert.ok(r.filledFraction > 0.9, `only ${r.filledFraction} of the hole restored`);
    assert.ok(r.ringCorrelation > 0.9);
    const pAlone = psnr(alone.image, truth, box);
    const pGuided = psnr(guided.image, truth, box);
    assert.ok(pGuided > 30, `PSNR with the reference ${pGuided.toFixed(1)} dB`);
    assert.ok(pGuided > pAlone + 6, `${pGuided.toFixed(1)} dB with vs ${pAlone.toFixed(1)} dB without`);
    assert.ok(sameOutside(guided.image, photo, mask.data), "pixels outside the mask changed");
    assert.ok(guided.timings.alignMs > 0);
  });

  test("an unrelated reference is detected and the fill is bit-identical to the fill without one", async () => {
    const unrelated = scene(400, 300, 99);
    const alone = await eraseWithReport(photo, mask, { seed: 5 });
    const guided = await eraseWithReport(photo, mask, { seed: 5, reference: unrelated });
    assert.equal(guided.reference?.used, false);
    assert.match(guided.reference?.notes.join(" ") ?? "", /another scene/);
    assert.deepEqual(guided.image.data, alone.image.data);
  });

  test("a reference in which the object has not moved is not copied back", async () => {
    const reference = viewOf(photo, toTruth, 560, 420, 1.1, -5);
    const guided = await eraseWithReport(photo, mask, { reference });
    const r = guided.reference;
    assert.ok(r);
    assert.ok(r.filledFraction < 0.1, `${r.filledFraction} of the hole copied from a reference that shows the object`);
    assert.match(r.notes.join(" "), /still shows the object/);
    // No red object pixels survive.
    let red = 0;
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i] && guided.image.data[i * 4] > 200 && guided.image.data[i * 4 + 2] < 60) red++;
    }
    assert.ok(red < 50, `${red} object pixels came back`);
  });

  test("an object still in a reference taken in other light is not copied back where its colours no longer match", async () => {
    // Left half striped, right half flat. In the reference only the stripes' left end keeps its colours;
    // the rest is 20 levels brighter than the background's tone change predicts (the ring's tone
    // curves do not reach the object's colours).
    const half = new Uint8ClampedArray(photo.data);
    const lit = new Uint8ClampedArray(photo.data);
    for (let i = 0; i < mask.data.length; i++) {
      const p = i * 4;
      if (half[p] !== 220 || half[p + 2] !== 40) continue;
      const x = i % photo.width;
      if (x >= 250) half[p + 1] = 90;
      if (x >= 225) for (let c = 0; c < 3; c++) lit[p + c] = half[p + c] + 20;
    }
    const object = { width: photo.width, height: photo.height, data: half };
    const reference = viewOf({ width: photo.width, height: photo.height, data: lit }, toTruth, 560, 420, 1.1, -5);
    const guided = await eraseWithReport(object, mask, { reference });
    const r = guided.reference;
    assert.ok(r);
    assert.ok(
      r.filledFraction < 0.1,
      `${r.filledFraction} of the hole copied from a reference that shows the object (${r.notes.join(" ")})`,
    );
    let red = 0;
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i] && guided.image.data[i * 4] > 200 && guided.image.data[i * 4 + 2] < 80) red++;
    }
    assert.ok(red < 50, `${red} object pixels came back`);
  });

  test("an object as bright as the background behind it, in another colour, is not taken to be still in the reference", async () => {
    // A tinted film over the background: every object pixel keeps the truth's luma in another colour.
    const tinted = new Uint8ClampedArray(truth.data);
    let kept = 0;
    for (let i = 0; i < mask.data.length; i++) {
      if (!mask.data[i]) continue;
      const p = i * 4;
      const rgb = [truth.data[p], truth.data[p + 1], truth.data[p + 2]];
      const tint = LUMA_FREE_TINTS.map((t) => rgb.map((v, c) => v + t[c])).find((v) => v.every((x) => x >= 0 && x <= 255));
      if (!tint) continue;
      tinted.set(tint, p);
      kept++;
    }
    assert.ok(kept > 0.95 * mask.data.reduce((a, b) => a + b, 0));
    const sameLuma = { width: truth.width, height: truth.height, data: tinted };
    const reference = viewOf(truth, toTruth, 560, 420, 0.8, 18);
    const guided = await eraseWithReport(sameLuma, mask, { reference });
    const r = guided.reference;
    assert.ok(r?.used, `reference not used: ${r?.notes.join(" ")}`);
    assert.ok(r.filledFraction > 0.9, `only ${r.filledFraction} of the hole restored (${r.notes.join(" ")})`);
    assert.doesNotMatch(r.notes.join(" "), /still shows the object/);
    assert.ok(psnr(guided.image, truth, box) > 30);
  });

  test("a reference that covers only part of the hole fills that part and leaves the rest to the self-similar fill", async () => {
    // Only the left 60 % of the target is visible in this reference.
    const narrow = viewOf(truth, Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 262, 360, 1, 0);
    const guided = await eraseWithReport(photo, mask, { reference: narrow });
    const r = guided.reference;
    assert.ok(r?.used);
    assert.ok(r.filledFraction > 0.2 && r.filledFraction < 0.8, `filled ${r.filledFraction}`);
    assert.match(r.notes.join(" "), /outside the reference/);
    assert.ok(sameOutside(guided.image, photo, mask.data));
  });

  /** Reference pixel → truth pixel for a camera turned by `degrees` and zoomed by `zoom` about the hole's centre, which lands at (cx, cy) of the reference. */
  const turnedAndZoomed = (degrees: number, zoom: number, cx: number, cy: number): Homography => {
    const a = (-degrees * Math.PI) / 180;
    const c = Math.cos(a) / zoom;
    const s = Math.sin(a) / zoom;
    const hx = 250;
    const hy = 170;
    return Float64Array.of(c, -s, hx - c * cx + s * cy, s, c, hy - s * cx - c * cy, 0, 0, 1);
  };

  test("a second photo turned 35° and zoomed 1.8× is aligned and used", async () => {
    const reference = viewOf(truth, turnedAndZoomed(35, 1.8, 300, 220), 600, 440, 1, 0);
    const alone = await eraseWithReport(photo, mask, {});
    const guided = await eraseWithReport(photo, mask, { reference });
    const r = guided.reference;
    assert.ok(r?.used, `reference not used: ${r?.notes.join(" ")}`);
    assert.ok(r.filledFraction > 0.8, `only ${r.filledFraction} of the hole restored`);
    const pGuided = psnr(guided.image, truth, box);
    assert.ok(pGuided > psnr(alone.image, truth, box) + 6, `${pGuided.toFixed(1)} dB with the reference`);
    assert.ok(sameOutside(guided.image, photo, mask.data));
  });

  test("in place, a used reference writes into the photo and gives the same pixels; an unused one leaves the fill as without it", async () => {
    const reference = viewOf(truth, turnedAndZoomed(20, 1.3, 300, 220), 600, 440, 1, 0);
    const copied = await eraseWithReport(photo, mask, { reference, seed: 4 });
    const mine = { ...photo, data: new Uint8ClampedArray(photo.data) };
    const inPlace = await eraseWithReport(mine, mask, { reference, seed: 4, inPlace: true });
    assert.ok(inPlace.reference?.used);
    assert.equal(inPlace.image, mine);
    assert.ok(Buffer.from(mine.data).equals(Buffer.from(copied.image.data)), "the same pixels in place");
    const grey = { width: 300, height: 200, data: new Uint8ClampedArray(300 * 200 * 4).fill(128) };
    const alone = await eraseWithReport(photo, mask, { seed: 4 });
    const other = { ...photo, data: new Uint8ClampedArray(photo.data) };
    const unused = await eraseWithReport(other, mask, { reference: grey, seed: 4, inPlace: true });
    assert.equal(unused.reference?.used, false);
    assert.ok(Buffer.from(other.data).equals(Buffer.from(alone.image.data)), "an unused reference changes nothing");
  });

  test("the reference's features found on a pool thread (or, when that fails, here) give the same erase", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const reference = viewOf(truth, turnedAndZoomed(20, 1.3, 300, 220), 600, 440, 1, 0);
    const alone = await eraseWithReport(photo, mask, { reference, seed: 4 });
    const pool = new FieldThreadPool(1);
    try {
      let asked = 0;
      const detectFeaturesOn: typeof pool.detectFeaturesOn = (grey, options) => {
        asked++;
        return pool.detectFeaturesOn(grey, options);
      };
      const pooled = await eraseWithReport(photo, mask, { reference, seed: 4, detectFeaturesOn });
      assert.equal(asked, 1);
      assert.ok(pooled.reference?.used, pooled.reference?.notes.join(" "));
      assert.deepEqual(pooled.reference?.homography, alone.reference?.homography);
      assert.ok(Buffer.from(pooled.image.data).equals(Buffer.from(alone.image.data)), "the same pixels");
      const failing = await eraseWithReport(photo, mask, { reference, seed: 4, detectFeaturesOn: () => Promise.reject(new Error("gone")) });
      assert.ok(Buffer.from(failing.image.data).equals(Buffer.from(alone.image.data)), "the same pixels when the thread fails");
    } finally {
      await pool.close();
    }
  });

  test("a second photo zoomed in 2.4× on the object, turned 30°, showing only its neighbourhood in a wide busy scene, is aligned", async () => {
    // The whole-photo detector spreads its points over all of the scene; the reference shows a sixth of it.
    const W = 1000;
    const H = 700;
    const wide = scene(W, H, 8, 600);
    const { photo: busy, mask: hole } = withObject(wide, 620, 300, 45);
    const a = (30 * Math.PI) / 180;
    const c = Math.cos(a) / 2.4;
    const s = Math.sin(a) / 2.4;
    const toTruth = Float64Array.of(c, -s, 620 - c * 300 + s * 220, s, c, 300 - s * 300 - c * 220, 0, 0, 1);
    const reference = viewOf(wide, toTruth, 600, 440, 1, 0);
    const r = await fillFromReference(busy, hole, reference, new Random(1));
    assert.ok(r.report.used, `reference not used: ${r.report.notes.join(" ")}`);
    assert.match(r.report.alignment, /global|local/);
    assert.ok(r.report.inliers >= 20, `${r.report.inliers} inliers`);
    assert.ok(r.report.filledFraction > 0.8, `only ${r.report.filledFraction} of the hole restored`);
    const restored = holeBounds(hole.data, W, H);
    assert.ok(restored && psnr(r.image, wide, restored) > 28, "restored pixels differ from the truth");
  });

  test("a second photo zoomed out to 0.55× and turned the other way is aligned and used", async () => {
    const reference = viewOf(truth, turnedAndZoomed(-25, 0.55, 200, 150), 400, 300, 1, 0);
    const guided = await eraseWithReport(photo, mask, { reference });
    const r = guided.reference;
    assert.ok(r?.used, `reference not used: ${r?.notes.join(" ")}`);
    assert.ok(r.filledFraction > 0.8, `only ${r.filledFraction} of the hole restored`);
  });

  test("a second photo in other light (gamma 1.5, warmer white balance) is used, and its colours are brought to the photo's", async () => {
    const lit = viewOf(truth, toTruth, 560, 420, 1, 0);
    const curve = (v: number, gain: number) => Math.min(255, 255 * (v / 255) ** 1.5 * gain);
    for (let i = 0; i < lit.width * lit.height; i++) {
      lit.data[i * 4] = curve(lit.data[i * 4], 1.2);
      lit.data[i * 4 + 1] = curve(lit.data[i * 4 + 1], 1);
      lit.data[i * 4 + 2] = curve(lit.data[i * 4 + 2], 0.8);
    }
    const alone = await eraseWithReport(photo, mask, {});
    const guided = await eraseWithReport(photo, mask, { reference: lit });
    const r = guided.reference;
    assert.ok(r?.used, `reference not used: ${r?.notes.join(" ")}`);
    assert.ok(r.ringCorrelation > 0.9, `ring correlation ${r.ringCorrelation}`);
    const pGuided = psnr(guided.image, truth, box);
    assert.ok(pGuided > 28, `PSNR with the relit reference ${pGuided.toFixed(1)} dB`);
    assert.ok(pGuided > psnr(alone.image, truth, box) + 6);
  });

  test("a reference noisier than the photo has its excess grain filtered, and the fill comes closer to the truth", async () => {
    const clean = viewOf(truth, toTruth, 560, 420, 1, 0);
    const noisy = { ...clean, data: new Uint8ClampedArray(clean.data) };
    const rng = new Random(11);
    for (let i = 0; i < noisy.width * noisy.height; i++)
      for (let c = 0; c < 3; c++) noisy.data[i * 4 + c] += Math.round(gaussian(rng) * 10);
    const guided = await eraseWithReport(photo, mask, { reference: noisy });
    const r = guided.reference;
    assert.ok(r?.used, `reference not used: ${r?.notes.join(" ")}`);
    assert.match(r.notes.join(" "), /grainier than the photo/);
    const pClean = psnr((await eraseWithReport(photo, mask, { reference: clean })).image, truth, box);
    const pNoisy = psnr(guided.image, truth, box);
    // σ 10 of noise alone would hold the fill to about 28 dB.
    assert.ok(pNoisy > 30, `PSNR with the noisy reference ${pNoisy.toFixed(1)} dB (clean: ${pClean.toFixed(1)} dB)`);
    assert.ok(sameOutside(guided.image, photo, mask.data), "pixels outside the mask changed");
  });

  test("an unrelated photo, turned and zoomed, is refused and changes nothing", async () => {
    const other = scene(480, 360, 1234);
    const unrelated = viewOf(other, turnedAndZoomed(30, 1.5, 280, 200), 560, 420, 0.9, 12);
    const alone = await eraseWithReport(photo, mask, { seed: 3 });
    const guided = await eraseWithReport(photo, mask, { seed: 3, reference: unrelated });
    assert.equal(guided.reference?.used, false);
    assert.deepEqual(guided.image.data, alone.image.data);
  });

  test("a reference that does not show the hole's surroundings at all says so, and changes nothing", async () => {
    // Only the left 170 px of the scene; the hole and its ring lie right of x = 190.
    const aside = viewOf(truth, Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 170, 360, 1, 0);
    const alone = await eraseWithReport(photo, mask, { seed: 4 });
    const guided = await eraseWithReport(photo, mask, { seed: 4, reference: aside });
    assert.equal(guided.reference?.used, false);
    assert.match(guided.reference?.notes.join(" ") ?? "", /does not show the surroundings of the hole/);
    assert.deepEqual(guided.image.data, alone.image.data);
  });

  test("rejects a malformed reference with a clear error", async () => {
    const bad = { width: 10, height: 10, data: new Uint8ClampedArray(12) };
    await assert.rejects(eraseWithReport(photo, mask, { reference: bad }), /reference\.data/);
  });
});

/** `n` random points of a 640×480 frame and their images under `h`; outliers go anywhere, inliers get ±noise/2 jitter. */
function correspondences(h: Float64Array, n: number, rng: Random, outlier: (i: number) => boolean, noise = 0) {
  const from = new Float64Array(2 * n);
  const to = new Float64Array(2 * n);
  const p = new Float64Array(2);
  const jitter = () => (noise > 0 ? noise * (rng.next() - 0.5) : 0);
  for (let i = 0; i < n; i++) {
    from[2 * i] = rng.int(0, 640);
    from[2 * i + 1] = rng.int(0, 480);
    project(h, from[2 * i], from[2 * i + 1], p);
    const out = outlier(i);
    to[2 * i] = out ? rng.int(0, 640) : p[0] + jitter();
    to[2 * i + 1] = out ? rng.int(0, 480) : p[1] + jitter();
  }
  return { from, to };
}

/** `parallaxFlow` of a reference already aligned with the photo (identity homography), over the whole frame. */
function flowOverWholeFrame(photo: Uint8ClampedArray, ref: Uint8ClampedArray, hole: Uint8Array, w: number, h: number, wide = false) {
  return parallaxFlow(
    { width: w, height: h, data: photo },
    hole,
    squaredDistanceTo(hole, w, h),
    { x: 0, y: 0, width: w, height: h },
    { width: w, height: h, data: ref },
    Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1),
    wide,
  );
}

describe("geometry", () => {
  test("corners of a soft texture, seen zoomed 1.8× and turned 20° in the other view, are matched", () => {
    // Blurred noise: blob-like corners whose look depends on scale (a sharp
    // rectangle's corner looks alike at every scale, and proves nothing).
    const W = 640;
    const H = 480;
    const rng = new Random(21);
    const noise = { width: W, height: H, data: new Float32Array(W * H) };
    for (let i = 0; i < W * H; i++) noise.data[i] = rng.next() * 255;
    const soft = gaussianBlur(noise, 3).data;
    let lo = 255;
    let hi = 0;
    for (const v of soft) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const wide: RgbaImage = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
    for (let i = 0; i < W * H; i++) {
      const v = 20 + (215 * (soft[i] - lo)) / (hi - lo);
      wide.data.set([v, 0.8 * v + 20, 255 - v, 255], i * 4);
    }
    // Reference pixel → photo pixel: zoomed 1.8× about the photo's centre and turned 20°.
    const a = (20 * Math.PI) / 180;
    const c = Math.cos(a) / 1.8;
    const s = Math.sin(a) / 1.8;
    const toPhoto = Float64Array.of(c, -s, 320 - c * 320 + s * 240, s, c, 240 - s * 320 - c * 240, 0, 0, 1);
    const zoomed = viewOf(wide, toPhoto, W, H, 1, 0);
    const tf = detectFeatures(workingGrey(wide, 1024), { maxPoints: 1000 });
    const rf = detectFeatures(workingGrey(zoomed, 1024), { maxPoints: 1200 });
    const m = matchFeatures(tf, rf);
    const p = new Float64Array(2);
    let correct = 0;
    for (let k = 0; k < m.count; k++) {
      project(toPhoto, rf.x[m.reference[k]], rf.y[m.reference[k]], p);
      if (Math.hypot(p[0] - tf.x[m.target[k]], p[1] - tf.y[m.target[k]]) < 2) correct++;
    }
    // A pyramid step of 1.5 with suppression across levels found 44 here.
    assert.ok(correct >= 70, `${correct} correct matches of ${m.count}`);
  });

  test("a Gaussian blur of one rectangle equals the whole plane's blur there, edges included", () => {
    const w = 97;
    const h = 61;
    const rng = new Random(3);
    const img = { width: w, height: h, data: new Float32Array(w * h).map(() => rng.next() * 255) };
    const whole = gaussianBlur(img, 2.5);
    // One rectangle inside, one running off the top-left corner (clamped edges must match too).
    for (const rect of [
      { x: 30, y: 20, width: 25, height: 18 },
      { x: -5, y: -3, width: 20, height: 15 },
    ]) {
      const part = gaussianBlur(img, 2.5, 3, rect);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const inside = x >= rect.x && y >= rect.y && x < rect.x + rect.width && y < rect.y + rect.height;
          assert.equal(part.data[y * w + x], inside ? whole.data[y * w + x] : 0, `(${x}, ${y})`);
        }
      }
    }
  });

  test("the feature pyramid and Harris response equal a plain per-plane computation bit for bit", () => {
    const w = 181;
    const h = 133;
    const rng = new Random(11);
    const noise = { width: w, height: h, data: new Float32Array(w * h).map(() => rng.next() * 255) };
    const img = gaussianBlur(noise, 1.5);
    for (let i = 0; i < 30; i++) {
      const x0 = Math.floor(rng.next() * (w - 20));
      const y0 = Math.floor(rng.next() * (h - 20));
      const v = rng.next() * 255;
      for (let y = y0; y < y0 + 12; y++) img.data.fill(v, y * w + x0, y * w + x0 + 15);
    }
    const same = (a: Float32Array, b: Float32Array, what: string) =>
      assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), what);
    for (const sigma of [1, 0.6 * 2 ** (1 / 3), 2.5]) same(gaussianBlur(img, sigma).data, plainBlur(img, sigma).data, `blur σ=${sigma}`);
    const { levels } = featurePyramid(img);
    assert.equal(levels.length, 5);
    let plain = plainBlur(img, 1);
    const scratch = new HarrisScratch(w * h, w);
    for (let l = 0; l < levels.length; l++) {
      if (l > 0) {
        const blurred = plainBlur(plain, 0.6 * 2 ** (1 / 3));
        plain = plainResize(blurred, Math.floor(plain.width / 2 ** (1 / 3)), Math.floor(plain.height / 2 ** (1 / 3)));
      }
      assert.equal(levels[l].width, plain.width);
      same(levels[l].data, plain.data, `level ${l}`);
      const { width: lw, height: lh } = plain;
      same(harrisResponse(levels[l], scratch).subarray(0, lw * lh), plainHarris(plain), `Harris at level ${l}`);
    }
  });

  test("the alignment's WebAssembly kernels give the TypeScript's bytes: luma copy, Harris response, matches, refinement", () => {
    const bytes = (a: Float32Array | Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    // A photo of 3001 × 1001 averaged by 3: the luma copy runs in two strips.
    const photo = scene(3001, 1001, 21, 400);
    const wasmGrey = workingGrey(photo, 1024);
    const plainGrey = workingGrey(photo, 1024, false);
    assert.equal(wasmGrey.factor, 3);
    assert.ok(bytes(wasmGrey.data).equals(bytes(plainGrey.data)), "luma copy");
    // Harris on every level, and on planes shorter than the box's reach (3 and 5 rows).
    const { levels } = featurePyramid(wasmGrey);
    const withKernel = new HarrisScratch(wasmGrey.width * wasmGrey.height, wasmGrey.width, true);
    const without = new HarrisScratch(wasmGrey.width * wasmGrey.height, wasmGrey.width);
    const rng = new Random(5);
    const thin = [3, 5].map((h) => ({ width: 41, height: h, data: new Float32Array(41 * h).map(() => rng.next() * 255) }));
    for (const [l, level] of [...levels.slice(0, 8), ...thin].entries()) {
      const n = level.width * level.height;
      const a = harrisResponse(level, withKernel).subarray(0, n);
      assert.ok(bytes(a).equals(bytes(harrisResponse(level, without).subarray(0, n))), `Harris, plane ${l}`);
    }
    // Matches between a photo and a turned view of it, odd counts on both sides (the kernel takes the reference points in pairs).
    const [c, s] = [Math.cos(0.2), Math.sin(0.2)];
    const turn = Float64Array.of(c, -s, 1500 - c * 1500 + s * 500, s, c, 500 - s * 1500 - c * 500, 0, 0, 1);
    const view = workingGrey(viewOf(photo, turn, 3001, 1001, 1, 0), 1024);
    const tf = detectFeatures(wasmGrey, { maxPoints: 601 });
    const rf = detectFeatures(view, { maxPoints: 703 });
    const odd = (f: typeof tf, n: number) => ({ ...f, count: n - ((n + 1) % 2) });
    for (const [t, r] of [
      [tf, rf],
      [odd(tf, tf.count), odd(rf, rf.count)],
    ]) {
      const a = matchFeatures(t, r);
      const b = matchFeatures(t, r, 0.85, false);
      assert.ok(a.count > 30, `${a.count} matches`);
      assert.ok(bytes(a.target).equals(bytes(b.target)) && bytes(a.reference).equals(bytes(b.reference)), "the same pairs");
      assert.ok(bytes(a.distance).equals(bytes(b.distance)), "the same distances");
    }
    // The refinement on a ring of points, of a view moved by a few pixels, from the unmoved pose.
    const moved = workingGrey(viewOf(photo, Float64Array.of(1, 0, 4, 0, 1, -3, 0, 0, 1), 3001, 1001, 1, 0), 1024);
    const pyramid = refinePyramid(wasmGrey, moved);
    const points: number[] = [];
    for (let y = 60; y < 280; y += 3) for (let x = 100; x < 600; x += 3) if (Math.hypot((x - 350) / 2, y - 170) > 60) points.push(x, y);
    const region = { count: points.length / 2, points: Float64Array.from(points) };
    const guess = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    const refined = refineHomography(pyramid, region, guess);
    const plain = refineHomography(pyramid, region, guess, false);
    assert.ok(refined !== null && plain !== null);
    assert.ok(Math.abs(refined[2] + 4 / 3) < 0.2 && Math.abs(refined[5] - 1) < 0.2, `refined shift ${refined[2]}, ${refined[5]}`);
    assert.ok(bytes(refined).equals(bytes(plain)), "the same refined homography");
  });

  test("the reference warped at a list of pixels equals the whole rectangle's warp there, shrunk, displaced or not", () => {
    const reference = scene(320, 240, 5);
    const rect = { x: 30, y: 20, width: 97, height: 61 };
    const rng = new Random(3);
    const points = Int32Array.from({ length: rect.width * rect.height }, (_, i) => i).filter(() => rng.next() < 0.2);
    const wave = (x: number, y: number, out: Float64Array) => {
      out[0] = 1.5 * Math.sin(x / 7);
      out[1] = -0.75 * Math.cos(y / 5);
    };
    // Turned and moved (no shrink), then shrinking by 2.6 (the reference box-averaged by 2 first).
    const turn = Float64Array.of(Math.cos(0.3), -Math.sin(0.3), 60, Math.sin(0.3), Math.cos(0.3), -10, 0, 0, 1);
    const shrink = Float64Array.of(2.6, 0.1, 5, -0.1, 2.6, 3, 0, 0, 1);
    for (const [name, h] of [
      ["turned", turn],
      ["shrunk", shrink],
    ] as const) {
      const shrinks = new Map();
      for (const displace of [undefined, wave]) {
        const dense = warpReference(reference, h, rect, undefined, displace);
        const sparse = warpReferenceAt(reference, h, rect, points, displace, shrinks);
        let covered = 0;
        points.forEach((i, k) => {
          assert.equal(sparse.valid[k], dense.valid[i], `${name}: coverage of pixel ${i}`);
          covered += sparse.valid[k];
          for (let c = 0; c < 3; c++) assert.equal(sparse.rgb[k * 3 + c], dense.rgb[i * 3 + c], `${name}: pixel ${i}, channel ${c}`);
        });
        assert.ok(covered > points.length / 2, `${name}: most points are covered`);
      }
      assert.equal(shrinks.size, name === "shrunk" ? 1 : 0, `${name}: box-averaged copies kept`);
      // Without a flow only the cells the rect can reach are averaged; with one (here a zero flow) all of them.
      const reached = warpReference(reference, h, rect);
      const whole = warpReference(reference, h, rect, undefined, (_x, _y, out) => out.fill(0));
      assert.ok(Buffer.from(reached.rgb.buffer).equals(Buffer.from(whole.rgb.buffer)), `${name}: the reached cells give the same warp`);
      assert.ok(Buffer.from(reached.valid.buffer).equals(Buffer.from(whole.valid.buffer)), `${name}: and the same coverage`);
    }
  });

  test("the FFT, in WebAssembly and in TypeScript (columns whole rows at a time, blank rows skipped), gives the bits of each line transformed alone", () => {
    // Radix-2 Cooley–Tukey on one line through a scratch copy: rows, then columns at a stride of the side.
    const lineByLine = (re: Float64Array, im: Float64Array, n: number, sign: number): void => {
      const bits = Math.log2(n);
      const a = new Float64Array(n);
      const b = new Float64Array(n);
      const line = (start: number, stride: number) => {
        for (let i = 0; i < n; i++) {
          let j = 0;
          for (let k = 0; k < bits; k++) j |= ((i >> k) & 1) << (bits - 1 - k);
          a[j] = re[start + i * stride];
          b[j] = im[start + i * stride];
        }
        for (let half = 1, step = n >> 1; half < n; half <<= 1, step >>= 1) {
          for (let s = 0; s < n; s += 2 * half) {
            for (let k = 0; k < half; k++) {
              const wr = Math.cos((2 * Math.PI * k * step) / n);
              const wi = sign * Math.sin((2 * Math.PI * k * step) / n);
              const p = s + k;
              const q = p + half;
              const tr = a[q] * wr - b[q] * wi;
              const ti = a[q] * wi + b[q] * wr;
              a[q] = a[p] - tr;
              b[q] = b[p] - ti;
              a[p] += tr;
              b[p] += ti;
            }
          }
        }
        for (let i = 0; i < n; i++) {
          re[start + i * stride] = a[i];
          im[start + i * stride] = b[i];
        }
      };
      for (let r = 0; r < n; r++) line(r * n, 1);
      for (let c = 0; c < n; c++) line(c, n);
    };
    const rng = new Random(11);
    // Dense planes, and a small image padded with +0 (whose blank rows the transform skips).
    for (const [n, side] of [
      [2, 2],
      [16, 16],
      [128, 128],
      [64, 9],
    ]) {
      const inside = (i: number) => i % n < side && Math.floor(i / n) < side;
      const re0 = Float64Array.from({ length: n * n }, (_, i) => (inside(i) ? rng.next() * 255 - 100 : 0));
      const im0 = Float64Array.from({ length: n * n }, (_, i) => (i % 3 === 0 || !inside(i) ? 0 : rng.next()));
      const re1 = new Float64Array(re0);
      const im1 = new Float64Array(im0);
      lineByLine(re1, im1, n, -1);
      const re2 = new Float64Array(re1);
      const im2 = new Float64Array(im1);
      lineByLine(re2, im2, n, 1);
      for (let i = 0; i < n * n; i++) {
        re2[i] *= 1 / (n * n);
        im2[i] *= 1 / (n * n);
      }
      const same = (a: Float64Array, b: Float64Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
      for (const wasm of [true, false]) {
        const fft = new Fft2d(n, wasm);
        const re = new Float64Array(re0);
        const im = new Float64Array(im0);
        fft.forward(re, im);
        assert.ok(same(re, re1) && same(im, im1), `forward ${n}, ${wasm ? "WebAssembly" : "TypeScript"}`);
        fft.inverse(re, im);
        assert.ok(same(re, re2) && same(im, im2), `inverse ${n}, ${wasm ? "WebAssembly" : "TypeScript"}`);
      }
    }
  });

  test("the FFT inverts itself, and a shifted impulse transforms to unit magnitude", () => {
    const fft = new Fft2d(16);
    const rng = new Random(4);
    const re = Float64Array.from({ length: 256 }, () => rng.next());
    const im = Float64Array.from({ length: 256 }, () => rng.next());
    const [re0, im0] = [new Float64Array(re), new Float64Array(im)];
    fft.forward(re, im);
    fft.inverse(re, im);
    for (let i = 0; i < 256; i++) assert.ok(Math.abs(re[i] - re0[i]) < 1e-9 && Math.abs(im[i] - im0[i]) < 1e-9);
    const dRe = new Float64Array(256);
    const dIm = new Float64Array(256);
    dRe[3 * 16 + 5] = 1;
    fft.forward(dRe, dIm);
    for (let i = 0; i < 256; i++) assert.ok(Math.abs(Math.hypot(dRe[i], dIm[i]) - 1) < 1e-9);
    // e^{−2πi(5·1)/16} at frequency (1, 0).
    assert.ok(Math.abs(dRe[1] - Math.cos((2 * Math.PI * 5) / 16)) < 1e-9 && Math.abs(dIm[1] + Math.sin((2 * Math.PI * 5) / 16)) < 1e-9);
  });

  /**
   * Worst error at the hole's corners (photo pixels) of the direct search's
   * best pose for a soft photo (noise blurred with `blur`) seen zoomed `zoom`×
   * and turned `degrees` about (300, 210).
   */
  const directSearchError = (
    blur: number,
    zoom: number,
    degrees: number,
    seed: number,
    box = { x: 280, y: 150, width: 70, height: 100 },
  ): number => {
    const W = 640;
    const H = 400;
    const rng = new Random(seed);
    const noise = { width: W, height: H, data: new Float32Array(W * H) };
    for (let i = 0; i < W * H; i++) noise.data[i] = rng.next() * 255;
    const soft = gaussianBlur(noise, blur).data;
    let lo = 255;
    let hi = 0;
    for (const v of soft) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const photo: RgbaImage = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
    for (let i = 0; i < W * H; i++) {
      const v = 20 + (215 * (soft[i] - lo)) / (hi - lo);
      photo.data.set([v, 0.7 * v + 30, 240 - 0.5 * v, 255], i * 4);
    }
    const hole = new Uint8Array(W * H);
    for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) hole[y * W + x] = 1;
    // Reference pixel → photo pixel: zoomed about (300, 210) and turned.
    const a = (degrees * Math.PI) / 180;
    const c = Math.cos(a) / zoom;
    const s = Math.sin(a) / zoom;
    const toPhoto = Float64Array.of(c, -s, 300 - c * 320 + s * 200, s, c, 210 - s * 320 - c * 200, 0, 0, 1);
    const reference = viewOf(photo, toPhoto, W, H, 0.9, 10);
    const tg = workingGrey(photo, 1024);
    const rg = workingGrey(reference, 1024);
    const wh = workingHole(hole, W, tg.factor, tg.width, tg.height);
    const d2 = squaredDistanceTo(wh, W, H);
    const exclude = Uint8Array.from(d2, (v) => (v < 36 ? 1 : 0));
    const points: number[] = [];
    for (let y = 0; y < H; y += 2) for (let x = 0; x < W; x += 2) if (d2[y * W + x] > 0 && d2[y * W + x] < 150 * 150) points.push(x, y);
    const found = searchSimilarity(tg, exclude, box, rg, {
      count: points.length / 2,
      points: Float64Array.from(points),
    });
    if (found.length === 0) return Number.POSITIVE_INFINITY;
    // Where the hole's corners really are in the reference: the inverse of toPhoto.
    const toRef = Float64Array.of(c / (c * c + s * s), s / (c * c + s * s), 0, -s / (c * c + s * s), c / (c * c + s * s), 0, 0, 0, 1);
    toRef[2] = -(toRef[0] * toPhoto[2] + toRef[1] * toPhoto[5]);
    toRef[5] = -(toRef[3] * toPhoto[2] + toRef[4] * toPhoto[5]);
    const p = new Float64Array(2);
    const q = new Float64Array(2);
    let worst = 0;
    for (const [x, y] of [
      [box.x, box.y],
      [box.x + box.width, box.y],
      [box.x, box.y + box.height],
      [box.x + box.width, box.y + box.height],
    ]) {
      project(found[0].homography, x, y, p);
      project(toRef, x, y, q);
      worst = Math.max(worst, Math.hypot(p[0] - q[0], p[1] - q[1]));
    }
    return worst;
  };

  test("the direct search finds a soft photo's pose, zoomed 1.8× and turned 12°, to within 2 px at the hole", () => {
    // Noise blurred to soft blobs of ~30 px, and a hole in the middle: few corners, no sharp detail.
    const worst = directSearchError(10, 1.8, 12, 8);
    assert.ok(worst < 2, `hole corners off by ${worst.toFixed(1)} px`);
  });

  test("the direct search finds finer soft blobs' pose, zoomed 1.9× and turned −17° or 33°, to within 2 px at the hole", () => {
    // Blobs of ~12 px: a pose half a step of a coarser grid off (7.5°, 2^¼) no longer correlates (that grid ends 400 px off or finds nothing).
    for (const degrees of [-17, 33]) {
      const worst = directSearchError(4, 1.9, degrees, 8);
      assert.ok(worst < 2, `turned ${degrees}°: hole corners off by ${worst.toFixed(1)} px`);
    }
  });

  test("the direct search finds a zoomed view's pose where the hole takes much of what the view shows", () => {
    // The view shows about a third of the photo (1.8–1.9×) and the hole (12 % of the photo) lies in it: every
    // shift overlaps under a quarter of the photo's known samples, as much as such a view can share. Blobs of
    // ~12 px: a shift that leaves more of the view outside the hole no longer correlates (before: 37 px off).
    const hole = { x: 230, y: 100, width: 140, height: 220 };
    for (const [zoom, degrees] of [
      [1.8, 8],
      [1.9, -21],
    ]) {
      const worst = directSearchError(4, zoom, degrees, 8, hole);
      assert.ok(worst < 2, `${zoom}×, turned ${degrees}°: hole corners off by ${worst.toFixed(1)} px`);
    }
  });

  test("a pose is pinned down by a clear drop, or near a correlation of 1 by a many-fold rise of what the ring leaves unexplained", () => {
    // Scores from the bench's tuning views: exact poses on smooth water and deck edges…
    assert.ok(pinnedDown(0.99964, 0.99008), "exact pose, 0.0096 drop, 27× the residual");
    assert.ok(pinnedDown(0.999, 0.99336), "exact pose, 6.6× the residual");
    assert.ok(pinnedDown(0.9, 0.88), "a plain drop of 0.02");
    // …and poses 400–600 px off that a smooth ring fits as well when moved.
    assert.ok(!pinnedDown(0.98035, 0.98328), "moved fits better");
    assert.ok(!pinnedDown(0.996, 0.991), "2.2× the residual");
    assert.ok(!pinnedDown(0.99999, 0.99993), "a rise within the score's noise");
  });

  test("the photo's soft detail pins a pose that keeps most of its correlation when moved, if what it leaves unexplained grows enough", () => {
    // Right poses on softened tuning views (blurred σ 8 px, contrast ×0.4): far from half when moved.
    assert.ok(pinnedByPhoto({ score: 0.93, moved: 0.89 }), "1.6× the residual");
    assert.ok(pinnedByPhoto({ score: 0.9, moved: 0.84 }), "1.6× the residual, lower");
    assert.ok(pinnedByPhoto({ score: 0.6, moved: 0.25 }), "sharp detail: under half");
    // A pose off its peak (moved fits better), too little rise, or too little correlation for the soft rule.
    assert.ok(!pinnedByPhoto({ score: 0.8, moved: 0.88 }), "moved fits better");
    assert.ok(!pinnedByPhoto({ score: 0.9, moved: 0.88 }), "1.2× the residual");
    assert.ok(!pinnedByPhoto({ score: 0.45, moved: 0.3 }), "soft rule needs 0.5");
    assert.ok(!pinnedByPhoto({ score: 0.05, moved: -0.2 }), "another scene");
  });

  test("a pose that many matches agree on is judged another scene only at a lower ring correlation (depth the flow could not follow)", () => {
    // An aloe blob with 300 matches scored 0.47 on the ring after the parallax correction: the same scene.
    assert.ok(0.47 >= requiredRingCorrelation(300));
    assert.ok(0.47 >= requiredRingCorrelation(40));
    // With fewer matches the ring must show the scene (0.5), and nothing passes below the allowance (0.35).
    assert.ok(0.47 < requiredRingCorrelation(39));
    assert.ok(0.47 < requiredRingCorrelation(0));
    assert.ok(0.34 < requiredRingCorrelation(300));
  });

  test("a weak pose that a homography's own matches agree on and the ring pins down is used where the rest of the photo lies off its plane (depth)", () => {
    // Leuven, a blob over 17 % of the photo: 18 matches, 0.894 on the ring and 0.80 moved; the rest of the photo 0.15.
    const offPlane = { score: 0.15, moved: 0.14 };
    assert.equal(weakPoseVerdict(18, 0.894, 0.8, offPlane), "used");
    // The same numbers without the matches (a pose the search found on the pixels): another scene, most likely.
    assert.equal(weakPoseVerdict(0, 0.894, 0.8, offPlane), "unrelated");
    assert.equal(weakPoseVerdict(11, 0.894, 0.8, offPlane), "unrelated", "fewer than a homography needs");
    // Matches do not excuse a ring that fits as well moved (a smooth sky): that still needs the photo's detail.
    assert.equal(weakPoseVerdict(18, 0.995, 0.994, offPlane), "unrelated");
    assert.equal(weakPoseVerdict(18, 0.995, 0.994, null), "unrelated", "no overlap to judge by");
    // The rules for poses without matches, as before.
    assert.equal(weakPoseVerdict(0, 0.9, 0.8, { score: 0.99, moved: 0.83 }), "used");
    assert.equal(weakPoseVerdict(0, 0.9, 0.8, { score: 0.37, moved: 0.3 }), "repeating");
    assert.equal(weakPoseVerdict(0, 0.995, 0.994, { score: 0.93, moved: 0.89 }), "pinned by the photo");
    assert.equal(weakPoseVerdict(0, 0.995, 0.994, { score: 0.9, moved: 0.88 }), "unpinned");
  });

  test("a pose the ring pins down is refused where the photo's detail elsewhere hardly correlates and barely falls when moved (a repeating pattern)", () => {
    // Right poses on tuning views: plain views score 0.98+, softened ones as low as 0.46 but at a clear peak.
    assert.ok(backedByDetail({ score: 0.99, moved: 0.83 }), "plain view, right pose");
    assert.ok(backedByDetail({ score: 0.5, moved: 0.45 }), "clear correlation, however flat");
    assert.ok(backedByDetail({ score: 0.459, moved: 0.138 }), "softened view, right pose");
    assert.ok(backedByDetail({ score: 0.496, moved: 0.307 }), "softened view, right pose, 0.62 kept");
    // The curved bands zoomed 1.78×: a copy of the right place 708 px off.
    assert.ok(!backedByDetail({ score: 0.37, moved: 0.3 }), "0.81 kept when moved");
    assert.ok(!backedByDetail({ score: 0.3, moved: 0.35 }), "moved fits better");
  });

  test("a plain sky around the hole pins nothing, but the photo's detail elsewhere pins the right pose and refuses a wrong one or another scene", () => {
    // A smooth sky over soft hills (blurred noise) in the lower third; the hole in the sky.
    const W = 640;
    const H = 400;
    const landscape = (seed: number): RgbaImage => {
      const rng = new Random(seed);
      const noise = { width: W, height: H, data: new Float32Array(W * H) };
      for (let i = 0; i < W * H; i++) noise.data[i] = rng.next() * 255;
      const soft = gaussianBlur(noise, 2).data;
      const data = new Uint8ClampedArray(W * H * 4);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = y * W + x;
          const sky = 230 - 0.2 * y;
          const v = y < 270 ? sky : 90 + 4 * (soft[i] - 127);
          data.set([0.8 * v, 0.9 * v, v, 255], i * 4);
        }
      }
      return { width: W, height: H, data };
    };
    const photo = landscape(5);
    const hole = new Uint8Array(W * H);
    for (let y = 60; y < 180; y++) for (let x = 260; x < 360; x++) hole[y * W + x] = 1;
    // Reference pixel → photo pixel: turned 10° and zoomed out 0.8× about (320, 200).
    const a = (10 * Math.PI) / 180;
    const c = Math.cos(a) / 0.8;
    const s = Math.sin(a) / 0.8;
    const toPhoto = Float64Array.of(c, -s, 320 - c * 320 + s * 200, s, c, 200 - s * 320 - c * 200, 0, 0, 1);
    const toRef = (dx: number) => {
      const det = c * c + s * s;
      const m = Float64Array.of(c / det, s / det, 0, -s / det, c / det, 0, 0, 0, 1);
      m[2] = -(m[0] * (toPhoto[2] - dx) + m[1] * toPhoto[5]);
      m[5] = -(m[3] * (toPhoto[2] - dx) + m[4] * toPhoto[5]);
      return m;
    };
    const tg = workingGrey(photo, 1024);
    const exclude = Uint8Array.from(squaredDistanceTo(hole, W, H), (v) => (v < 36 ? 1 : 0));
    const same = { target: tg, reference: workingGrey(viewOf(photo, toPhoto, W, H, 0.9, 10), 1024), exclude };
    const right = wideEvidence(same, toRef(0), 5);
    assert.ok(pinnedByPhoto(right), `right pose: ${JSON.stringify(right)}`);
    // 40 px along the sky: the ring would fit as well, the hills do not.
    const off = wideEvidence(same, toRef(40), 5);
    assert.ok(!pinnedByPhoto(off), `pose 40 px off: ${JSON.stringify(off)}`);
    // The same sky over other hills: another scene.
    const other = { target: tg, reference: workingGrey(viewOf(landscape(6), toPhoto, W, H, 0.9, 10), 1024), exclude };
    const unrelated = wideEvidence(other, toRef(0), 5);
    assert.ok(!pinnedByPhoto(unrelated), `another scene: ${JSON.stringify(unrelated)}`);
  });

  test("parallel stripes, which fit as well when slid along their lines, are not used without feature matches", async () => {
    // The direct search finds a pose that correlates almost perfectly, but the
    // ring cannot tell where along the stripes it is: that is no evidence.
    const W = 480;
    const H = 320;
    const rng = new Random(12);
    const stripes = (scale: number, angle: number): RgbaImage => {
      const data = new Uint8ClampedArray(W * H * 4);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const u = ((x - W / 2) * Math.cos(angle) + (y - H / 2) * Math.sin(angle)) / scale;
          const v = 120 + 70 * Math.sin((2 * Math.PI * u) / 48) + rng.int(-1, 1);
          data.set([v, 0.8 * v + 20, 200 - 0.4 * v, 255], (y * W + x) * 4);
        }
      }
      return { width: W, height: H, data };
    };
    const { photo, mask } = withObject(stripes(1, 0.3), 240, 160, 60);
    const result = await fillFromReference(photo, mask, stripes(1.5, 0.45), new Random(3));
    const r = result.report;
    assert.equal(r.used, false, r.notes.join(" "));
    assert.match(r.notes[0], /does not pin it down/);
    assert.deepEqual(result.image.data, photo.data);
  });

  test("grain matching takes a noisier reference's excess noise out where asked, keeps its edges, and leaves an equally noisy one alone", () => {
    const w = 120;
    const h = 90;
    const rng = new Random(4);
    // A ramp with a step edge through the middle, in three channels.
    const truthAt = (x: number, y: number, c: number) => 60 + 0.5 * x + 0.3 * y + (x > 60 ? 70 : 0) + 10 * c;
    const plane = (sigma: number) => {
      const p = new Float32Array(w * h * 3);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) p[(y * w + x) * 3 + c] = truthAt(x, y, c) + sigma * gaussian(rng);
      return p;
    };
    const ring = new Uint8Array(w * h);
    const apply = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = Math.hypot(x - 60, y - 45);
        if (d <= 25) apply[y * w + x] = 1;
        else if (d <= 40) ring[y * w + x] = 1;
      }
    }
    const valid = new Uint8Array(w * h).fill(1);
    const photo = plane(1);
    const noisy = plane(8);
    const before = noisy.slice();
    const match = matchGrain(photo, noisy, ring, valid, apply, w, h);
    assert.ok(match, "no estimate");
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(match.photo[c] - 1) < 0.4, `photo noise ${match.photo[c]}`);
      assert.ok(Math.abs(match.reference[c] - 8) < 2, `reference noise ${match.reference[c]}`);
      assert.ok(match.excess[c] > 6, `excess ${match.excess[c]}`);
    }
    let errBefore = 0;
    let errAfter = 0;
    let changedOutside = 0;
    const sideMeans = [0, 0, 0, 0];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        for (let c = 0; c < 3; c++) {
          const k = i * 3 + c;
          if (!apply[i]) {
            if (noisy[k] !== before[k]) changedOutside++;
            continue;
          }
          errBefore += (before[k] - truthAt(x, y, c)) ** 2;
          errAfter += (noisy[k] - truthAt(x, y, c)) ** 2;
          // Right beside the edge: what the filter left of its 70-level step.
          if (c === 0 && (x === 59 || x === 62)) {
            sideMeans[x === 59 ? 0 : 1] += noisy[k] - truthAt(x, y, 0);
            sideMeans[x === 59 ? 2 : 3]++;
          }
        }
      }
    }
    assert.equal(changedOutside, 0);
    assert.ok(errAfter < 0.4 * errBefore, `squared error ${errBefore.toFixed(0)} → ${errAfter.toFixed(0)}`);
    assert.ok(Math.abs(sideMeans[0] / sideMeans[2]) < 6 && Math.abs(sideMeans[1] / sideMeans[3]) < 6, `edge smeared: ${sideMeans}`);

    const alike = plane(1);
    const copy = alike.slice();
    const same = matchGrain(photo, alike, ring, valid, apply, w, h);
    assert.ok(same);
    assert.deepEqual(same.excess, [0, 0, 0]);
    assert.deepEqual(alike, copy);
  });

  test("homography from exact correspondences, and RANSAC through 40 % outliers", () => {
    const h = Float64Array.of(1.1, 0.1, 5, -0.05, 0.95, 12, 0.0004, -0.0002, 1);
    const n = 60;
    const { from, to } = correspondences(h, n, new Random(4), (i) => i % 5 < 2);
    const exact = fitHomography({ count: n, from, to }, [2, 3, 7, 8, 12, 13]);
    assert.ok(exact);
    for (let k = 0; k < 9; k++) assert.ok(Math.abs(exact[k] - h[k]) < 1e-6 * Math.max(1, Math.abs(h[k])), `h[${k}]`);
    const robust = ransacHomography({ count: n, from, to }, 1, new Random(1));
    assert.ok(robust);
    assert.equal(robust.inlierCount, 36);
    for (let i = 0; i < n; i++) assert.equal(robust.inliers[i], i % 5 < 2 ? 0 : 1);
  });

  test("affine RANSAC through outliers, when few matches are left", () => {
    const a = Float64Array.of(0.7, -0.4, 30, 0.4, 0.7, -12, 0, 0, 1);
    const n = 14;
    const { from, to } = correspondences(a, n, new Random(9), (i) => i % 3 === 0, 0.3);
    const fit = ransacAffine({ count: n, from, to }, 2, new Random(2), { minInliers: 6 });
    assert.ok(fit);
    assert.equal(fit.inlierCount, 9);
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(fit.homography[k] - a[k]) < 0.05 * Math.max(1, Math.abs(a[k])), `a[${k}]`);
    // A mirror image is no camera motion.
    const mirrored = { count: n, from, to: from.map((v, i) => (i % 2 === 0 ? 640 - v : v)) };
    assert.equal(ransacAffine(mirrored, 2, new Random(2), { minInliers: 6 }), null);
  });

  test("tone curves follow a gamma and a white-balance change, and ignore moved pixels", () => {
    const n = 20000;
    const rng = new Random(5);
    const target = new Float32Array(3 * n);
    const ref = new Float32Array(3 * n);
    const gains = [1.15, 1, 0.85];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const t = rng.int(10, 245);
        target[i * 3 + c] = t;
        // Reference = photo through gamma 1.6 and a channel gain; one pixel in ten is something else.
        ref[i * 3 + c] = i % 10 === 0 ? rng.int(0, 255) : Math.min(255, 255 * (t / 255) ** 1.6 * gains[c]);
      }
    }
    const all = new Uint8Array(n).fill(1);
    const curves = fitToneCurves(target, ref, all, all, Float64Array.of(1, 1, 1, 0, 0, 0));
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      for (const t of [30, 80, 128, 200, 235]) {
        const r = Math.min(255, 255 * (t / 255) ** 1.6 * gains[c]);
        if (r >= 254) continue;
        worst = Math.max(worst, Math.abs(applyTone(curves, c, r) - t));
      }
    }
    assert.ok(worst < 3, `tone curve off by ${worst.toFixed(1)} levels`);
  });

  test("parallax the homography leaves is measured around the hole and carried into it", () => {
    const w = 256;
    const h = 192;
    const texture = (x: number, y: number) =>
      128 + 40 * Math.sin(0.21 * x + 0.13 * y) + 30 * Math.sin(0.07 * x - 0.23 * y) + 25 * Math.sin(0.31 * x + 0.05 * y + 1);
    // The reference sees each row shifted by its own amount (depth varying down the photo): no homography does that.
    const shift = (y: number) => 1 + 0.8 * Math.sin((Math.PI * y) / h);
    const photo = new Uint8ClampedArray(w * h * 4);
    const ref = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 4;
        photo[p] = photo[p + 1] = photo[p + 2] = texture(x + 0.5, y + 0.5);
        ref[p] = ref[p + 1] = ref[p + 2] = texture(x + 0.5 + shift(y + 0.5), y + 0.5);
        photo[p + 3] = ref[p + 3] = 255;
      }
    }
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) hole[y * w + x] = (x - 128) ** 2 + (y - 96) ** 2 <= 30 * 30 ? 1 : 0;
    const flow = flowOverWholeFrame(photo, ref, hole, w, h);
    assert.ok(flow !== null && flow.measured >= 12);
    const d = new Float64Array(2);
    for (const [x, y] of [
      [128, 96],
      [110, 80],
      [140, 115],
    ]) {
      flowAt(flow, x, y, d);
      // Sampling the reference at x + dx shows the photo's x: dx = −shift.
      assert.ok(Math.abs(d[0] + shift(y + 0.5)) < 0.5, `dx ${d[0]} at (${x}, ${y}), expected ${-shift(y + 0.5)}`);
      assert.ok(Math.abs(d[1]) < 0.5, `dy ${d[1]} at (${x}, ${y})`);
    }
  });

  /**
   * A 256×192 textured background that moves 1 px left between the photos, a nearer vertical band over
   * columns [bandFrom, bandFrom + 30) that moves `bandShift` px right, and a round hole of radius 30 at (128, 96).
   */
  function twoLayers(bandFrom: number, bandShift: number) {
    const w = 256;
    const h = 192;
    const back = (x: number, y: number) =>
      128 + 40 * Math.sin(0.21 * x + 0.13 * y) + 30 * Math.sin(0.07 * x - 0.23 * y) + 25 * Math.sin(0.31 * x + 0.05 * y + 1);
    const front = (x: number, y: number) => 120 + 60 * Math.sin(0.37 * x - 0.11 * y) + 40 * Math.sin(0.17 * y + 0.5);
    const band = (x: number) => x >= bandFrom && x < bandFrom + 30;
    const photo = new Uint8ClampedArray(w * h * 4);
    const ref = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 4;
        photo[p] = photo[p + 1] = photo[p + 2] = band(x) ? front(x + 0.5, y + 0.5) : back(x + 0.5, y + 0.5);
        const xb = x - bandShift;
        ref[p] = ref[p + 1] = ref[p + 2] = band(xb) ? front(xb + 0.5, y + 0.5) : back(x + 1.5, y + 0.5);
        photo[p + 3] = ref[p + 3] = 255;
      }
    }
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) hole[y * w + x] = (x - 128) ** 2 + (y - 96) ** 2 <= 30 * 30 ? 1 : 0;
    return { photo, ref, hole, w, h };
  }

  test("a nearer layer's parallax on the ring does not bleed into the dominant flow carried into the hole", () => {
    // The nearer band lies beside the hole and moves 2 px.
    const { photo, ref, hole, w, h } = twoLayers(166, 2);
    const flow = flowOverWholeFrame(photo, ref, hole, w, h);
    assert.ok(flow?.dominant, "a dominant layer is found");
    const d = new Float64Array(2);
    // Beside the band, the whole ring's flow is pulled towards the band's; the dominant one is the background's.
    flowAt(flow, 152, 96, d);
    assert.ok(d[0] > -0.7, `the whole flow at the band's side is pulled (${d[0]})`);
    for (const [x, y] of [
      [128, 96],
      [152, 96],
      [110, 80],
    ]) {
      dominantFlowAt(flow, x, y, d);
      assert.ok(Math.abs(d[0] + 1) < 0.3, `dominant dx ${d[0]} at (${x}, ${y}), expected -1`);
      assert.ok(Math.abs(d[1]) < 0.3, `dominant dy ${d[1]} at (${x}, ${y})`);
    }
  });

  test("a nearer layer that moves beyond the search is measured by the wide search, on its own side of the ring", () => {
    // The nearer band crosses the ring and moves 5 px (the search looks ±3).
    const { photo, ref, hole, w, h } = twoLayers(160, 5);
    const narrow = flowOverWholeFrame(photo, ref, hole, w, h);
    const wide = flowOverWholeFrame(photo, ref, hole, w, h, true);
    assert.ok(narrow && wide);
    assert.equal(narrow.widened, 0);
    assert.ok(wide.widened >= 4, `${wide.widened} nodes measured by the wide search`);
    const d = new Float64Array(2);
    // On the band, 12 px outside the hole: sampling the reference 5 px to the right shows the photo's pixel.
    flowAt(narrow, 172, 96, d);
    assert.ok(d[0] < 2, `the narrow search cannot see the band's shift (${d[0]})`);
    flowAt(wide, 172, 96, d);
    assert.ok(Math.abs(d[0] - 5) < 0.5, `the wide search measures it: dx ${d[0]}, expected 5`);
    // The background across the hole keeps its own shift, in both.
    for (const flow of [narrow, wide]) {
      flowAt(flow, 84, 96, d);
      assert.ok(Math.abs(d[0] + 1) < 0.3, `background dx ${d[0]}, expected -1`);
    }
  });

  test("the shift measured on the ring reaches up to the hole's edge", () => {
    const w = 256;
    const h = 192;
    const tex = (x: number, y: number) =>
      128 + 40 * Math.sin(0.21 * x + 0.13 * y) + 30 * Math.sin(0.07 * x - 0.23 * y) + 25 * Math.sin(0.31 * x + 0.05 * y + 1);
    // A band 8 px wide around the hole (say, the near edge of a table) moves 1 px; everything beyond it stays.
    const r = 30;
    const inBand = (x: number, y: number) => Math.hypot(x - 128, y - 96) <= r + 8;
    const photo = new Uint8ClampedArray(w * h * 4);
    const ref = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 4;
        photo[p] = photo[p + 1] = photo[p + 2] = tex(x + 0.5, y + 0.5);
        ref[p] = ref[p + 1] = ref[p + 2] = inBand(x + 1, y) ? tex(x + 1.5, y + 0.5) : tex(x + 0.5, y + 0.5);
        photo[p + 3] = ref[p + 3] = 255;
      }
    }
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) hole[y * w + x] = Math.hypot(x - 128, y - 96) <= r ? 1 : 0;
    const flow = flowOverWholeFrame(photo, ref, hole, w, h);
    assert.ok(flow, "the flow is measured");
    const d = new Float64Array(2);
    // Just inside the hole's edge, all round, the fill takes the band's shift
    // (−0.69 to −0.99; measured only where a patch lies wholly outside the hole, −0.17 to −0.34).
    for (const a of [0, 1, 2, 3, 4, 5]) {
      const x = Math.round(128 + (r - 3) * Math.cos(a));
      const y = Math.round(96 + (r - 3) * Math.sin(a));
      flowAt(flow, x, y, d);
      assert.ok(Math.abs(d[0] + 1) < 0.4, `dx ${d[0]} at (${x}, ${y}), expected -1`);
    }
  });

  test("the flow spread into the hole stays on its side of the reference's colour edge", () => {
    // Node grid 30×20 over a 90×60 guide: dark left half, bright right half (a moving part's edge).
    const gw = 30;
    const gh = 20;
    const w = gw * 3;
    const h = gh * 3;
    const rgb = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.fill(x < w / 2 ? 40 : 200, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const guide = nodeConductance(rgb, new Uint8Array(w * h).fill(1), w, h, gw, gh);
    // The ring measured shift 0 on the left, 1 on the right; the columns between are the hole.
    const field = () => {
      const grid = { width: gw, height: gh, channels: 1, data: new Float32Array(gw * gh) };
      const kind = new Uint8Array(gw * gh);
      for (let y = 0; y < gh; y++) {
        for (let x = 0; x < gw; x++) {
          kind[y * gw + x] = x === 0 || x === gw - 1 ? FIXED : SOLVE;
          grid.data[y * gw + x] = x === gw - 1 ? 1 : 0;
        }
      }
      return { grid, kind };
    };
    const plain = field();
    solveMembrane(plain.grid, plain.kind, 2000);
    const guided = field();
    solveGuidedMembrane(guided.grid, guided.kind, guide, 2000);
    const at = (g: { data: Float32Array }, x: number) => g.data[10 * gw + x];
    // Plain: a ramp across the hole. Guided: most of the step at the edge (between columns 14 and 15).
    assert.ok(Math.abs(at(plain.grid, 14) - 14 / 29) < 0.02, `plain ramp ${at(plain.grid, 14)}`);
    assert.ok(at(guided.grid, 14) < 0.2, `left of the edge ${at(guided.grid, 14)}`);
    assert.ok(at(guided.grid, 15) > 0.8, `right of the edge ${at(guided.grid, 15)}`);
    // Within a uniform region the guided field is still smooth and monotone.
    for (let x = 1; x < gw; x++) assert.ok(at(guided.grid, x) >= at(guided.grid, x - 1) - 1e-4, `monotone at ${x}`);
  });

  test("the membrane reproduces a linear field from its boundary (a harmonic function)", () => {
    const w = 40;
    const h = 30;
    const grid = { width: w, height: h, channels: 1, data: new Float32Array(w * h) };
    const kind = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1;
        kind[y * w + x] = edge ? FIXED : SOLVE;
        if (edge) grid.data[y * w + x] = 2 * x - 3 * y + 7;
      }
    }
    solveMembrane(grid, kind, 2000);
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) assert.ok(Math.abs(grid.data[y * w + x] - (2 * x - 3 * y + 7)) < 0.05, `(${x}, ${y})`);
    }
  });
});

describe("vanish erase --reference", () => {
  let dir: string;
  const CLI = path.resolve("bin/vanish.js");
  const vanish = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const save = (im: RgbaImage, file: string) =>
    sharp(Buffer.from(im.data.buffer), { raw: { width: im.width, height: im.height, channels: 4 } })
      .png()
      .toFile(file);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vanish-ref-"));
    const truth = scene(400, 300, 8);
    const { photo, mask } = withObject(truth, 200, 150, 40);
    await save(photo, path.join(dir, "photo.png"));
    await save(viewOf(truth, Float64Array.of(0.95, 0.02, 10, -0.02, 0.95, 8, 0, 0, 1), 420, 320, 0.9, 10), path.join(dir, "later.png"));
    await sharp(Buffer.from(mask.data.map((v) => v * 255)), { raw: { width: 400, height: 300, channels: 1 } })
      .png()
      .toFile(path.join(dir, "mask.png"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("restores from the reference and reports it in the JSON line", () => {
    const r = vanish(
      "erase",
      path.join(dir, "photo.png"),
      "--mask",
      path.join(dir, "mask.png"),
      "--reference",
      path.join(dir, "later.png"),
      "-o",
      path.join(dir, "out.png"),
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.reference.used, true);
    assert.ok(json.reference.filledFraction > 0.9);
    assert.ok(json.stages.alignMs > 0);
  });

  test("an unreadable reference or a folder with a reference fails with exit 2 and a clear message", () => {
    const missing = vanish(
      "erase",
      path.join(dir, "photo.png"),
      "--mask",
      path.join(dir, "mask.png"),
      "--reference",
      path.join(dir, "nope.jpg"),
      "-o",
      path.join(dir, "o2.png"),
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.jpg" does not exist/);
    const folder = vanish("erase", dir, "--masks", dir, "--reference", path.join(dir, "later.png"), "-o", path.join(dir, "outdir"));
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /--reference goes with one image/);
  });
});

/** The blur as first written: taps summed in doubles along rows, then accumulated in the float32 plane down columns. */
function plainBlur(img: GreyImage, sigma: number): GreyImage {
  const { width: w, height: h, data } = img;
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r] * data[y * w + clamp(x + i, w)];
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++)
    for (let i = -r; i <= r; i++) for (let x = 0; x < w; x++) out[y * w + x] += k[i + r] * tmp[clamp(y + i, h) * w + x];
  return { width: w, height: h, data: out };
}

function plainResize(img: GreyImage, w: number, h: number): GreyImage {
  const out = new Float32Array(w * h);
  const sx = img.width / w;
  const sy = img.height / h;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = sampleBilinear(img, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5);
  return { width: w, height: h, data: out };
}

/** Running-sum box filter of radius 2 with clamped edges, one plane at a time. */
function plainBox(data: Float32Array, w: number, h: number): Float32Array {
  const r = 2;
  const inv = 1 / (2 * r + 1);
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    let acc = 0;
    for (let i = -r; i <= r; i++) acc += data[y * w + clamp(i, w)];
    for (let x = 0; x < w; x++) {
      tmp[y * w + x] = acc * inv;
      acc += data[y * w + clamp(x + r + 1, w)] - data[y * w + clamp(x - r, w)];
    }
  }
  const acc = new Float64Array(w);
  for (let i = -r; i <= r; i++) for (let x = 0; x < w; x++) acc[x] += tmp[clamp(i, h) * w + x];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[y * w + x] = acc[x] * inv;
      acc[x] += tmp[clamp(y + r + 1, h) * w + x] - tmp[clamp(y - r, h) * w + x];
    }
  }
  return out;
}

function plainHarris(img: GreyImage): Float32Array {
  const { width: w, height: h, data } = img;
  const xx = new Float32Array(w * h);
  const yy = new Float32Array(w * h);
  const xy = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const p = y * w + x;
      const gx = 0.5 * (data[p + 1] - data[p - 1]);
      const gy = 0.5 * (data[p + w] - data[p - w]);
      xx[p] = gx * gx;
      yy[p] = gy * gy;
      xy[p] = gx * gy;
    }
  }
  const sxx = plainBox(plainBox(xx, w, h), w, h);
  const syy = plainBox(plainBox(yy, w, h), w, h);
  const sxy = plainBox(plainBox(xy, w, h), w, h);
  const f = new Float32Array(w * h);
  for (let p = 0; p < w * h; p++) {
    const tr = sxx[p] + syy[p];
    f[p] = tr > 1e-6 ? (sxx[p] * syy[p] - sxy[p] * sxy[p]) / tr : 0;
  }
  return f;
}
