// The structure step on photos that no bench uses (opencv-doc and MATE photos with lines, grids, edges and
// texture), three object holes each (the bench's person, box and strokes masks) under each mask seed:
// each hole erased with the step off and on, in this process.
//   node scripts/study-structure-unseen.mjs [mask seeds, default 0,1,2] [size, default 1024] [set: photos | plasma]
// The "plasma" set is the 14 Plasma wallpapers of study-reference-unseen.mjs (2560 px originals, so 2048 is a real
// size there; the opencv-doc photos are 512–1000 px).
// Prints one JSON line per hole (PSNR on the hole's box, lineR, edgeF, the step's curves), then the means.
// A check against overfitting the structure bench: a rule is worth keeping only if it holds here too.
import { objectMask } from "../dist/src/bench/masks.js";
import { decodeFitted } from "../dist/src/bench/photos.js";
import { eraseOffAndOn, summary } from "./structure-study.mjs";
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
      const row = { photo: photoName(file), kind, seed, ...(await eraseOffAndOn(truth, hole)) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
}
console.log(summary(rows));
