// The reference-guided erase on the 14 Plasma wallpapers that no bench uses, with the bench's own
// synthetic second views (`second-view.ts`): per photo, four views of the same scene (turned, zoomed,
// tilted, in other light, with noise) and one view of the next photo (unrelated), each with a pasted
// person or blob, as `vanish bench --reference` builds them.
//   node scripts/study-reference-unseen.mjs [seed, default 7] [photo indices, default all]
// Prints one JSON line per view (used, the alignment, its error against the true pose at the hole's
// centre in reference pixels, the ring correlation, the PSNR gain over the erase without the reference,
// the notes), then the totals. A check against overfitting the reference bench's photos.

import { psnr } from "../dist/src/bench/metrics.js";
import { compositeObject, objectSilhouette } from "../dist/src/bench/objects.js";
import { decodeFitted } from "../dist/src/bench/photos.js";
import { randomChange, secondView } from "../dist/src/bench/second-view.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";
import { holeBounds } from "../dist/src/core/mask.js";
import { Random } from "../dist/src/core/random.js";
import { project } from "../dist/src/core/reference/homography.js";
import { removalMask } from "../dist/src/core/segmentation/removal-mask.js";
import { PLASMA_PHOTOS, photoName, requirePhotos } from "./unseen-photos.mjs";

const seed = Number(process.argv[2] ?? 7);
const W = 1024;
const H = 640;
const only = process.argv[3]?.split(",").map(Number);
const files = PLASMA_PHOTOS;
requirePhotos(files);
const sources = [];
const source = async (i) => {
  sources[i] ??= await decodeFitted(files[i], { width: 2 * W, height: 2 * H });
  return sources[i];
};
const crop = (src, x0, y0) => {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) data.set(src.data.subarray(((y0 + y) * src.width + x0) * 4, ((y0 + y) * src.width + x0 + W) * 4), y * W * 4);
  return { width: W, height: H, data };
};

const rows = [];
for (let i = 0; i < files.length; i++) {
  if (only && !only.includes(i)) continue;
  const src = await source(i);
  const texture = await decodeFitted(files[(i + 5) % files.length], { width: W, height: H });
  for (let k = 0; k < 5; k++) {
    const rng = new Random(seed * 7919 + 131 * i + k);
    const origin = [Math.round(W / 2 + (rng.next() - 0.5) * W * 0.5), Math.round(H / 2 + (rng.next() - 0.5) * H * 0.5)];
    const truth = crop(src, origin[0], origin[1]);
    const objectSeed = seed + 1000 + 100 * i + k;
    const silhouette = objectSilhouette(k % 2 === 0 ? "person" : "blob", W, H, objectSeed);
    const photo = compositeObject(truth, texture, silhouette);
    const mask = removalMask({ width: W, height: H, data: silhouette }).mask;
    const box = holeBounds(mask.data, W, H);
    if (box === null) continue;
    const change = randomChange(rng);
    const kind = k < 4 ? "same scene" : "unrelated";
    const viewed = kind === "same scene" ? src : await source((i + 1) % files.length);
    const centre = [box.x + box.width / 2, box.y + box.height / 2];
    const { view, targetToView } = secondView(viewed, origin, centre, change, W, H, objectSeed);
    const withRef = await eraseWithReport(photo, mask, { seed, reference: view });
    const without = await eraseWithReport(photo, mask, { seed });
    const report = withRef.reference;
    let error = null;
    if (report.homography && kind === "same scene") {
      const found = new Float64Array(2);
      const real = new Float64Array(2);
      project(Float64Array.from(report.homography), centre[0], centre[1], found);
      project(targetToView, centre[0], centre[1], real);
      error = Math.hypot(found[0] - real[0], found[1] - real[1]);
    }
    const row = {
      photo: photoName(files[i]),
      k,
      kind,
      rotation: Math.round(change.rotation),
      scale: Number(change.scale.toFixed(2)),
      used: report.used,
      alignment: report.alignment,
      ring: Number(report.ringCorrelation.toFixed(3)),
      error: error === null ? null : Number(error.toFixed(1)),
      gain: Number((psnr(withRef.image, truth, box) - psnr(without.image, truth, box)).toFixed(2)),
      notes: report.notes,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const same = rows.filter((r) => r.kind === "same scene");
const used = same.filter((r) => r.used);
console.log(
  `seed ${seed}: same scene ${used.length} of ${same.length} used, mean gain ${(same.reduce((a, r) => a + r.gain, 0) / same.length).toFixed(2)} dB, ` +
    `${same.filter((r) => r.gain < -0.05).length} worse; used more than 15 px off: ${used.filter((r) => r.error !== null && r.error > 15).length}; ` +
    `unrelated used: ${rows.filter((r) => r.kind === "unrelated" && r.used).length} of ${rows.length - same.length}`,
);
