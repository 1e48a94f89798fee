// Profiles the fill on object-sized holes: run with
//   node --cpu-prof --cpu-prof-dir=prof scripts/profile-erase.mjs [size] [runs]
// then summarise with scripts/cpuprofile-top.mjs prof/*.cpuprofile.
// Uses the benchmark's photos (.cache/photos, fetched by `vanish bench`) and masks.
import path from "node:path";
import sharp from "sharp";
import { objectMask } from "../dist/src/bench/masks.js";
import { ensurePhotos } from "../dist/src/bench/photos.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";

const size = Number(process.argv[2] ?? 2048);
const runs = Number(process.argv[3] ?? 3);
const photos = await ensurePhotos(path.resolve(".cache/photos"), (l) => process.stderr.write(`${l}\n`));
const kinds = ["person", "box", "strokes"];
const cases = [];
for (let c = 0; c < 3; c++) {
  const { data, info } = await sharp(photos[c])
    .resize(size, size, { fit: "inside" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const image = { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
  const hole = objectMask(kinds[c], info.width, info.height, 1000 + c);
  cases.push({ image, mask: { width: info.width, height: info.height, data: hole } });
}
for (let r = 0; r < runs; r++) {
  for (const { image, mask } of cases) {
    const rep = await eraseWithReport(image, mask, { seed: 7 });
    const t = rep.timings;
    process.stdout.write(
      `${image.width}×${image.height} hole ${rep.holePixels} crop ${rep.crop.width}×${rep.crop.height} s=${rep.scale} low ${rep.lowRes.width}×${rep.lowRes.height}: total ${t.totalMs.toFixed(0)} prepare ${t.prepareMs.toFixed(0)} coarse ${t.coarseMs.toFixed(0)} attention ${t.attentionMs.toFixed(0)} upscale ${t.upscaleMs.toFixed(0)}\n`,
    );
  }
}
