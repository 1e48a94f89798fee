// Studies why synthetic second views go unused, on the TUNING photos only (1–6; never 7–12):
//   node scripts/study-synthetic-align.mjs [seeds, default 1,2,3] [tag]
// Each case is built as `vanish bench --reference` builds its synthetic views (same generator,
// other seeds give other crops and views), and only the reference fill runs (no erase). Printed
// per case: used or not, the chosen alignment, its error against the true homography (the largest
// distance over the hole box's corners, full-resolution reference pixels), the ring correlation,
// the photo's texture (mean |Laplacian| of the luma), and the fill's note.
// Writes the rows to /tmp/study-synthetic-align/<tag>.json. STUDY_DUMP=<dir> writes photo | view PNGs.
import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { compositeObject, objectSilhouette } from "../dist/src/bench/objects.js";
import { decodeFitted, ensurePhotos } from "../dist/src/bench/photos.js";
import { randomChange, secondView } from "../dist/src/bench/second-view.js";
import { holeBounds } from "../dist/src/core/mask.js";
import { Random } from "../dist/src/core/random.js";
import { fillFromReference } from "../dist/src/core/reference/guided-fill.js";
import { project } from "../dist/src/core/reference/homography.js";
import { removalMask } from "../dist/src/core/segmentation/removal-mask.js";

const seeds = (process.argv[2] ?? "1,2,3").split(",").map(Number);
const tag = process.argv[3] ?? "study";
const out = "/tmp/study-synthetic-align";
await fs.mkdir(out, { recursive: true });
const W = 1024;
const H = 640;
const TUNING_PHOTOS = 6;
const photos = await ensurePhotos(path.resolve(".cache/photos"), (l) => process.stderr.write(`${l}\n`));
const crop = (src, x0, y0, w, h) => {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) data.set(src.data.subarray(((y0 + y) * src.width + x0) * 4, ((y0 + y) * src.width + x0 + w) * 4), y * w * 4);
  return { width: w, height: h, data };
};
const texture = (im) => {
  let s = 0;
  const lum = (i) => 0.299 * im.data[4 * i] + 0.587 * im.data[4 * i + 1] + 0.114 * im.data[4 * i + 2];
  for (let y = 1; y < im.height - 1; y++)
    for (let x = 1; x < im.width - 1; x++) {
      const i = y * im.width + x;
      s += Math.abs(4 * lum(i) - lum(i - 1) - lum(i + 1) - lum(i - im.width) - lum(i + im.width));
    }
  return s / ((im.width - 2) * (im.height - 2));
};
// STUDY_SOFTEN=<σ>[,<contrast>]: the source photo blurred by σ px and its contrast scaled about its
// mean, a stand-in with the held-out sunset's traits (smooth gradients, little texture) made from
// tuning photos.
const [softSigma, softContrast] = (process.env.STUDY_SOFTEN ?? "0,1").split(",").map(Number);
const soften = async (im) => {
  if (!(softSigma > 0) && softContrast === 1) return im;
  let img = sharp(Buffer.from(im.data.buffer, im.data.byteOffset, im.data.length), {
    raw: { width: im.width, height: im.height, channels: 4 },
  });
  if (softSigma > 0) img = img.blur(softSigma);
  const { data } = await img.raw().toBuffer({ resolveWithObject: true });
  const px = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  if (softContrast !== 1 && softContrast !== undefined) {
    const mean = [0, 0, 0];
    for (let i = 0; i < px.length; i += 4) for (let c = 0; c < 3; c++) mean[c] += px[i + c] / (px.length / 4);
    for (let i = 0; i < px.length; i += 4) for (let c = 0; c < 3; c++) px[i + c] = mean[c] + softContrast * (px[i + c] - mean[c]);
  }
  return { width: im.width, height: im.height, data: new Uint8ClampedArray(px) };
};
const rows = [];
const sources = [];
for (const seed of seeds) {
  for (let i = 0; i < TUNING_PHOTOS; i++) {
    sources[i] ??= await soften(await decodeFitted(photos[i], { width: 2 * W, height: 2 * H }));
    const src = sources[i];
    const tex = await decodeFitted(photos[(i + 5) % photos.length], { width: W, height: H });
    for (let k = 0; k < 4; k++) {
      const rng = new Random(seed * 7919 + 131 * i + k);
      const origin = [Math.round(W / 2 + (rng.next() - 0.5) * W * 0.5), Math.round(H / 2 + (rng.next() - 0.5) * H * 0.5)];
      const truth = crop(src, origin[0], origin[1], W, H);
      const shape = k % 2 === 0 ? "person" : "blob";
      const objectSeed = seed + 1000 + 100 * i + k;
      const silhouette = objectSilhouette(shape, W, H, objectSeed);
      const photo = compositeObject(truth, tex, silhouette);
      const mask = removalMask({ width: W, height: H, data: silhouette }).mask;
      const box = holeBounds(mask.data, W, H);
      if (box === null) continue;
      const change = randomChange(rng);
      const centre = [box.x + box.width / 2, box.y + box.height / 2];
      const { view, targetToView } = secondView(src, origin, centre, change, W, H, objectSeed);
      const t0 = performance.now();
      const r = (await fillFromReference(photo, mask, view, new Random(seed))).report;
      const ms = performance.now() - t0;
      let error = null;
      if (r.homography) {
        const h = Float64Array.from(r.homography);
        const a = new Float64Array(2);
        const b = new Float64Array(2);
        error = 0;
        for (const [x, y] of [
          [box.x, box.y],
          [box.x + box.width, box.y],
          [box.x, box.y + box.height],
          [box.x + box.width, box.y + box.height],
        ]) {
          if (!project(h, x, y, a) || !project(targetToView, x, y, b)) {
            error = Infinity;
            break;
          }
          error = Math.max(error, Math.hypot(a[0] - b[0], a[1] - b[1]));
        }
      }
      const row = {
        seed,
        photo: i + 1,
        k,
        rotation: +change.rotation.toFixed(0),
        scale: +change.scale.toFixed(2),
        gamma: +change.gamma.toFixed(2),
        used: r.used,
        alignment: r.alignment,
        inliers: r.inliers,
        matches: r.matches,
        error: error === null ? null : +error.toFixed(1),
        ring: +r.ringCorrelation.toFixed(3),
        texture: +texture(truth).toFixed(2),
        ms: Math.round(ms),
        note: r.notes[0] ?? "",
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      if (process.env.STUDY_DUMP) {
        await fs.mkdir(process.env.STUDY_DUMP, { recursive: true });
        const both = new Uint8ClampedArray(W * 2 * H * 4);
        for (let y = 0; y < H; y++) {
          both.set(photo.data.subarray(y * W * 4, (y + 1) * W * 4), y * 2 * W * 4);
          both.set(view.data.subarray(y * W * 4, (y + 1) * W * 4), (y * 2 * W + W) * 4);
        }
        await sharp(Buffer.from(both.buffer), { raw: { width: 2 * W, height: H, channels: 4 } })
          .resize(1024)
          .png()
          .toFile(path.join(process.env.STUDY_DUMP, `s${seed}-p${i + 1}-${k}.png`));
      }
    }
  }
}
await fs.writeFile(path.join(out, `${tag}.json`), JSON.stringify(rows, null, 1));
const used = rows.filter((r) => r.used).length;
console.log(`used ${used} of ${rows.length}`);
