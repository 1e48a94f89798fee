// The structure step on photos that no bench uses (opencv-doc and MATE photos with lines, grids, edges and
// texture), three object holes each (the bench's person, box and strokes masks) under each mask seed:
// each hole erased with the step off and on, in this process.
//   node scripts/study-structure-unseen.mjs [mask seeds, default 0,1,2] [size, default 1024] [set: photos | plasma]
// The "plasma" set is the 14 Plasma wallpapers of study-reference-unseen.mjs (2560 px originals, so 2048 is a real
// size there; the opencv-doc photos are 512–1000 px).
// Prints one JSON line per hole (PSNR on the hole's box, lineR, edgeF, the step's curves), then the means.
// A check against overfitting the structure bench: a rule is worth keeping only if it holds here too.
import { objectMask } from "../dist/src/bench/masks.js";
import { psnr } from "../dist/src/bench/metrics.js";
import { decodeFitted } from "../dist/src/bench/photos.js";
import { structureScores } from "../dist/src/bench/structure-metrics.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";
import { holeBounds } from "../dist/src/core/mask.js";
import { OPENCV_MATE_PHOTOS, PLASMA_PHOTOS, photoName, requirePhotos } from "./unseen-photos.mjs";

const seeds = (process.argv[2] ?? "0,1,2").split(",").map(Number);
const size = Number(process.argv[3] ?? 1024);
const photos = process.argv[4] === "plasma" ? PLASMA_PHOTOS : OPENCV_MATE_PHOTOS;
requirePhotos(photos);
const kinds = ["person", "box", "strokes"];

const rows = [];
for (const seed of seeds) {
  for (const [p, file] of photos.entries()) {
    const truth = await decodeFitted(file, size);
    const { width: w, height: h } = truth;
    for (const [k, kind] of kinds.entries()) {
      const hole = objectMask(kind, w, h, 5000 + p * 10 + k + 100 * seed);
      const input = { width: w, height: h, data: new Uint8ClampedArray(truth.data) };
      for (let i = 0; i < hole.length; i++) if (hole[i]) input.data.fill(0, i * 4, i * 4 + 3);
      const box = holeBounds(hole, w, h);
      const row = { photo: photoName(file), kind, seed };
      for (const on of [false, true]) {
        const r = await eraseWithReport(input, { width: w, height: h, data: hole }, { seed: 7, structure: on });
        const s = structureScores(r.image, truth, hole);
        row[on ? "on" : "off"] = {
          psnr: psnr(r.image, truth, box),
          lineR: s.lineR,
          edgeF: s.edgeF,
          linePoints: s.linePoints,
          curves: r.structure.curves,
        };
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
}
const mean = (f) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
const pooledLineR = (k) => {
  let s = 0;
  let n = 0;
  for (const r of rows) {
    if (r[k].linePoints > 0) {
      s += (r[k].lineR ?? 0) * r[k].linePoints;
      n += r[k].linePoints;
    }
  }
  return n > 0 ? s / n : Number.NaN;
};
const scored = rows.filter((r) => Number.isFinite(r.off.edgeF) && Number.isFinite(r.on.edgeF));
const edgeF = (k) => scored.reduce((a, r) => a + r[k].edgeF, 0) / scored.length;
const diff = (r) => r.on.psnr - r.off.psnr;
console.log(
  `${rows.length} holes: PSNR off ${mean((r) => r.off.psnr).toFixed(3)} → on ${mean((r) => r.on.psnr).toFixed(3)} dB; ` +
    `better ${rows.filter((r) => diff(r) > 0.1).length}, worse ${rows.filter((r) => diff(r) < -0.1).length} (by 0.1 dB); ` +
    `lineR ${pooledLineR("off").toFixed(3)} → ${pooledLineR("on").toFixed(3)}; edgeF ${edgeF("off").toFixed(3)} → ${edgeF("on").toFixed(3)}`,
);
