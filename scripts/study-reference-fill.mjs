// Studies the reference fill on the real TUNING pairs only (never the held-out half):
//   node scripts/study-reference-fill.mjs [extra holes per pair, default 8] [tag]
// Each case: the bench's object pasted on the first photo (its four bench seeds, then
// `extra` other seeds), the erase without a reference (cached in /tmp/study-reference-fill),
// and the reference fill alone composited over it (its trusted pixels; the residual keeps the
// erase without a reference). Prints the mean PSNR gain inside the hole's box per pair, and
// three oracles that know the truth, as upper bounds for what the fill could still gain:
//   choice: per 16-px block, the better of the reference fill and the erase without it;
//   affine: the best per-channel gain and bias over the restored pixels (light, globally);
//   local:  the restored pixels' mean error removed per 32-px block (light and offsets, locally).
// Writes the per-case rows to /tmp/study-reference-fill/<tag>.json for A/B comparisons.
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { psnr } from "../dist/src/bench/metrics.js";
import { compositeObject, objectSilhouette } from "../dist/src/bench/objects.js";
import { ensureOpenCvDoc } from "../dist/src/bench/opencv-doc.js";
import { findOpenCvPython, videoFrame } from "../dist/src/bench/opencv-python.js";
import { decodeFitted, ensurePhotos } from "../dist/src/bench/photos.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";
import { holeBounds } from "../dist/src/core/mask.js";
import { Random } from "../dist/src/core/random.js";
import { fillFromReference } from "../dist/src/core/reference/guided-fill.js";
import { removalMask } from "../dist/src/core/segmentation/removal-mask.js";

const extra = Number(process.argv[2] ?? 8);
const tag = process.argv[3] ?? "study";
const out = "/tmp/study-reference-fill";
await fs.mkdir(out, { recursive: true });
const cacheDir = path.resolve(".cache/photos");
const log = (line) => process.stderr.write(`${line}\n`);
const examples = await ensureOpenCvDoc(cacheDir, log);
const photos = await ensurePhotos(cacheDir, log);
const python = await findOpenCvPython();
const framesDir = path.join(cacheDir, "vanish-bench/video-frames");
const file = async (f) =>
  typeof f === "string" ? path.join(examples, "data", f) : videoFrame(python, path.join(examples, "data", f.video), f.frame, framesDir);
// The bench's tuning pairs, in the bench's order (src/bench/reference.ts), so seeds and textures match.
const PAIRS = [
  ["aloe", "aloeL.jpg", "aloeR.jpg"],
  ["graffiti", "graf1.png", "graf3.png"],
  ["Leuven", "leuvenA.jpg", "leuvenB.jpg"],
  ["whale", "rubberwhale1.png", "rubberwhale2.png"],
  ["basketball", "basketball1.png", "basketball2.png"],
  ["Suzanne", "Blender_Suzanne1.jpg", "Blender_Suzanne2.jpg"],
  ["pedestrians", { video: "vtest.avi", frame: 100 }, { video: "vtest.avi", frame: 160 }],
];
const seed = 7;
const rows = [];
for (let p = 0; p < PAIRS.length; p++) {
  const [name, t, r] = PAIRS[p];
  const truth = await decodeFitted(await file(t), null);
  const reference = await decodeFitted(await file(r), null);
  const texture = await decodeFitted(photos[p % photos.length], { width: truth.width, height: truth.height });
  const seeds = [0, 1, 2, 3].map((k) => seed + 100 * p + k);
  for (let j = 0; j < extra; j++) seeds.push(20000 + 100 * p + j);
  for (let q = 0; q < seeds.length; q++) {
    const objectSeed = seeds[q];
    const shape = q % 2 === 0 ? "person" : "blob";
    const silhouette = objectSilhouette(shape, truth.width, truth.height, objectSeed);
    const photo = compositeObject(truth, texture, silhouette);
    const mask = removalMask({ width: truth.width, height: truth.height, data: silhouette }).mask;
    const box = holeBounds(mask.data, mask.width, mask.height);
    const cached = path.join(out, `${name}-${shape}-${objectSeed}.raw`);
    let without;
    if (existsSync(cached)) without = { width: truth.width, height: truth.height, data: new Uint8ClampedArray(await fs.readFile(cached)) };
    else {
      without = (await eraseWithReport(photo, mask, { seed })).image;
      await fs.writeFile(cached, without.data);
    }
    const fill = fillFromReference(photo, mask, reference, new Random(seed ^ 0x5eed));
    const result = { width: truth.width, height: truth.height, data: new Uint8ClampedArray(without.data) };
    const restored = new Uint8Array(mask.data.length);
    if (fill.report.used) {
      for (let i = 0; i < mask.data.length; i++) {
        if (!mask.data[i] || fill.residual[i]) continue;
        restored[i] = 1;
        for (let c = 0; c < 3; c++) result.data[i * 4 + c] = fill.image.data[i * 4 + c];
      }
    }
    const pw = psnr(without, truth, box);
    const row = {
      name,
      objectSeed,
      bench: q < 4,
      used: fill.report.used,
      gain: psnr(result, truth, box) - pw,
      choice: psnr(blockChoice(result, without, truth, box, 16), truth, box) - pw,
      affine: psnr(affineOracle(result, truth, restored), truth, box) - pw,
      local: psnr(localOracle(result, truth, restored, box, 32), truth, box) - pw,
    };
    rows.push(row);
    log(`${name} ${shape} ${objectSeed}: used ${row.used}, gain ${row.gain.toFixed(2)} dB`);
  }
}
await fs.writeFile(path.join(out, `${tag}.json`), JSON.stringify(rows));
const mean = (a) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
const line = (label, set) =>
  `${label.padEnd(12)} ${String(set.length).padStart(3)} cases  gain ${mean(set.map((r) => r.gain)).toFixed(2)}  oracles: choice ${mean(set.map((r) => r.choice)).toFixed(2)}, affine ${mean(set.map((r) => r.affine)).toFixed(2)}, local ${mean(set.map((r) => r.local)).toFixed(2)}`;
console.log(
  line(
    "bench cases",
    rows.filter((r) => r.bench),
  ),
);
console.log(
  line(
    "extra holes",
    rows.filter((r) => !r.bench),
  ),
);
for (const [name] of PAIRS)
  console.log(
    line(
      name,
      rows.filter((r) => r.name === name),
    ),
  );

function copy(im) {
  return { width: im.width, height: im.height, data: new Uint8ClampedArray(im.data) };
}

function blockChoice(result, without, truth, box, B) {
  const o = copy(result);
  const W = truth.width;
  const each = (bx, by, f) => {
    for (let y = by; y < Math.min(by + B, box.y + box.height); y++)
      for (let x = bx; x < Math.min(bx + B, box.x + box.width); x++) for (let c = 0; c < 3; c++) f((y * W + x) * 4 + c);
  };
  for (let by = box.y; by < box.y + box.height; by += B) {
    for (let bx = box.x; bx < box.x + box.width; bx += B) {
      let withRef = 0;
      let alone = 0;
      each(bx, by, (i) => {
        withRef += (result.data[i] - truth.data[i]) ** 2;
        alone += (without.data[i] - truth.data[i]) ** 2;
      });
      if (alone < withRef)
        each(bx, by, (i) => {
          o.data[i] = without.data[i];
        });
    }
  }
  return o;
}

function affineOracle(result, truth, restored) {
  const o = copy(result);
  for (let c = 0; c < 3; c++) {
    let n = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < restored.length; i++) {
      if (!restored[i]) continue;
      const x = result.data[i * 4 + c];
      const y = truth.data[i * 4 + c];
      n++;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    if (n < 16) continue;
    const gain = (sxy / n - (sx / n) * (sy / n)) / Math.max(1e-6, sxx / n - (sx / n) ** 2);
    const bias = sy / n - gain * (sx / n);
    for (let i = 0; i < restored.length; i++) if (restored[i]) o.data[i * 4 + c] = gain * result.data[i * 4 + c] + bias;
  }
  return o;
}

function localOracle(result, truth, restored, box, B) {
  const o = copy(result);
  const W = truth.width;
  for (let by = box.y; by < box.y + box.height; by += B) {
    for (let bx = box.x; bx < box.x + box.width; bx += B) {
      for (let c = 0; c < 3; c++) {
        let n = 0;
        let e = 0;
        for (let y = by; y < Math.min(by + B, box.y + box.height); y++) {
          for (let x = bx; x < Math.min(bx + B, box.x + box.width); x++) {
            const i = y * W + x;
            if (!restored[i]) continue;
            n++;
            e += truth.data[i * 4 + c] - result.data[i * 4 + c];
          }
        }
        if (n === 0) continue;
        for (let y = by; y < Math.min(by + B, box.y + box.height); y++) {
          for (let x = bx; x < Math.min(bx + B, box.x + box.width); x++) {
            const i = y * W + x;
            if (restored[i]) o.data[i * 4 + c] = result.data[i * 4 + c] + e / n;
          }
        }
      }
    }
  }
  return o;
}
