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
//   blend:  the restored pixels mixed with the erase without the reference at fixed weights.
// Writes the per-case rows to /tmp/study-reference-fill/<tag>.json for A/B comparisons.
// STUDY_ONLY=<pair,...> runs only those pairs; STUDY_DUMP=<dir> writes truth | with | without
// PNGs; STUDY_BLOCKS=1 adds per-16-px-block features and errors (with, without, mixed ½ and ¼).
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
// Fixed weights of the reference fill against the erase without it, over the restored pixels.
const BLEND = [0.9, 0.8, 0.7, 0.6, 0.5];
const rows = [];
for (let p = 0; p < PAIRS.length; p++) {
  const [name, t, r] = PAIRS[p];
  if (process.env.STUDY_ONLY && !process.env.STUDY_ONLY.split(",").includes(name)) continue;
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
    const fill = await fillFromReference(photo, mask, reference, new Random(seed ^ 0x5eed));
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
      ring: fill.report.ringCorrelation,
      blend: BLEND.map((w) => psnr(blendWith(result, without, restored, w), truth, box) - pw),
    };
    if (process.env.STUDY_BLOCKS && fill.report.used) row.blocks = blockFeatures(photo, mask, result, without, truth, restored, box, 16);
    rows.push(row);
    if (process.env.STUDY_DUMP) await dump(process.env.STUDY_DUMP, `${name}-${shape}-${objectSeed}`, box, [truth, result, without]);
    log(`${name} ${shape} ${objectSeed}: used ${row.used}, gain ${row.gain.toFixed(2)} dB`);
  }
}
await fs.writeFile(path.join(out, `${tag}.json`), JSON.stringify(rows));
const mean = (a) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
const line = (label, set) =>
  `${label.padEnd(12)} ${String(set.length).padStart(3)} cases  gain ${mean(set.map((r) => r.gain)).toFixed(2)}  oracles: choice ${mean(set.map((r) => r.choice)).toFixed(2)}, affine ${mean(set.map((r) => r.affine)).toFixed(2)}, local ${mean(set.map((r) => r.local)).toFixed(2)}  blend ${BLEND.map((w, k) => `${w}:${mean(set.map((r) => r.blend[k])).toFixed(2)}`).join(" ")}`;
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

// Truth, with the reference, without it, side by side over the hole's box grown by half its size.
async function dump(dir, id, box, images) {
  const { default: sharp } = await import("sharp");
  const W = images[0].width;
  const x0 = Math.max(0, box.x - (box.width >> 2));
  const y0 = Math.max(0, box.y - (box.height >> 2));
  const w = Math.min(W - x0, Math.round(box.width * 1.5));
  const h = Math.min(images[0].height - y0, Math.round(box.height * 1.5));
  const out = Buffer.alloc(w * images.length * h * 3);
  images.forEach((im, k) => {
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) out[(y * w * images.length + k * w + x) * 3 + c] = im.data[((y0 + y) * W + x0 + x) * 4 + c];
  });
  await fs.mkdir(dir, { recursive: true });
  await sharp(out, { raw: { width: w * images.length, height: h, channels: 3 } })
    .png()
    .toFile(path.join(dir, `${id}.png`));
}

// Per 16-px block of restored pixels: features a predictor could see (no truth) and the label
// (squared error with the reference minus without it). Also the box's total squared error.
function blockFeatures(photo, mask, result, without, truth, restored, box, B) {
  const W = truth.width;
  const H = truth.height;
  const long = Math.max(box.width, box.height);
  const luma = (d, i) => 0.299 * d[i * 4] + 0.587 * d[i * 4 + 1] + 0.114 * d[i * 4 + 2];
  const stats = (d, x0, y0, x1, y1, take) => {
    let n = 0;
    const m = [0, 0, 0];
    let s = 0;
    let ss = 0;
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) {
        const i = y * W + x;
        if (!take(i)) continue;
        n++;
        for (let c = 0; c < 3; c++) m[c] += d[i * 4 + c];
        const l = luma(d, i);
        s += l;
        ss += l * l;
      }
    if (n === 0) return null;
    return { n, m: m.map((v) => v / n), std: Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)) };
  };
  // Known blocks of the ring (within 0.35 of the hole's long side of the box).
  const reach = Math.ceil(0.35 * long);
  const ring = [];
  for (let y = Math.max(0, box.y - reach); y + B <= Math.min(H, box.y + box.height + reach); y += B)
    for (let x = Math.max(0, box.x - reach); x + B <= Math.min(W, box.x + box.width + reach); x += B) {
      const st = stats(photo.data, x, y, x + B, y + B, (i) => !mask.data[i]);
      if (st && st.n === B * B) ring.push(st);
    }
  let total = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++)
      for (let c = 0; c < 3; c++) total += (result.data[(y * W + x) * 4 + c] - truth.data[(y * W + x) * 4 + c]) ** 2;
  const blocks = [];
  for (let by = box.y; by < box.y + box.height; by += B)
    for (let bx = box.x; bx < box.x + box.width; bx += B) {
      const x1 = Math.min(bx + B, box.x + box.width);
      const y1 = Math.min(by + B, box.y + box.height);
      const take = (i) => restored[i] === 1;
      const r = stats(result.data, bx, by, x1, y1, take);
      if (!r) continue;
      const w = stats(without.data, bx, by, x1, y1, take);
      let eR = 0;
      let eW = 0;
      let eH = 0;
      let eQ = 0;
      let diff = 0;
      for (let y = by; y < y1; y++)
        for (let x = bx; x < x1; x++) {
          const i = y * W + x;
          if (!restored[i]) continue;
          for (let c = 0; c < 3; c++) {
            eR += (result.data[i * 4 + c] - truth.data[i * 4 + c]) ** 2;
            eW += (without.data[i * 4 + c] - truth.data[i * 4 + c]) ** 2;
            eH += (0.5 * result.data[i * 4 + c] + 0.5 * without.data[i * 4 + c] - truth.data[i * 4 + c]) ** 2;
            eQ += (0.75 * result.data[i * 4 + c] + 0.25 * without.data[i * 4 + c] - truth.data[i * 4 + c]) ** 2;
          }
          diff += Math.abs(luma(result.data, i) - luma(without.data, i));
        }
      // Depth: distance from the block's centre to the nearest known pixel, over the hole's long side.
      const cx = (bx + x1) >> 1;
      const cy = (by + y1) >> 1;
      let d2 = Number.POSITIVE_INFINITY;
      for (let rr = 1; rr < long && d2 === Number.POSITIVE_INFINITY; rr++) {
        for (let y = Math.max(0, cy - rr); y <= Math.min(H - 1, cy + rr); y++)
          for (let x = Math.max(0, cx - rr); x <= Math.min(W - 1, cx + rr); x++)
            if (!mask.data[y * W + x]) d2 = Math.min(d2, (x - cx) ** 2 + (y - cy) ** 2);
      }
      const depth = Math.sqrt(d2) / long;
      let nov = Number.POSITIVE_INFINITY;
      for (const q of ring) nov = Math.min(nov, Math.hypot(q.m[0] - r.m[0], q.m[1] - r.m[1], q.m[2] - r.m[2]) + Math.abs(q.std - r.std));
      let novW = Number.POSITIVE_INFINITY;
      for (const q of ring) novW = Math.min(novW, Math.hypot(q.m[0] - w.m[0], q.m[1] - w.m[1], q.m[2] - w.m[2]) + Math.abs(q.std - w.std));
      blocks.push({
        eH,
        eQ,
        n: r.n,
        eR,
        eW,
        diff: diff / r.n,
        depth,
        stdR: r.std,
        stdW: w.std,
        nov,
        novW,
        dm: Math.hypot(r.m[0] - w.m[0], r.m[1] - w.m[1], r.m[2] - w.m[2]),
      });
    }
  return { total, list: blocks };
}

function blendWith(result, without, restored, w) {
  const o = copy(result);
  for (let i = 0; i < restored.length; i++)
    if (restored[i]) for (let c = 0; c < 3; c++) o.data[i * 4 + c] = w * result.data[i * 4 + c] + (1 - w) * without.data[i * 4 + c];
  return o;
}

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
