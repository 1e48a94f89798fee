// How exactly must a fill place its edges to score on the structure bench's lineR and edgeF?
//   node scripts/study-edge-registration.mjs [size, default 1024] [distances at 1024 px, default 0,1,2,3,4,8]
// Each structure case's hole is filled with the truth itself, moved by d px (in eight directions, one at a
// time), and scored like a fill: a perfect copy of the right content, placed d px off. Beside it, Vanish's own
// fill (seed 7, as the bench). Prints per case and the mean per half. Needs `npm run build`.
import { existsSync } from "node:fs";
import { ensureOpenCvDoc } from "../dist/src/bench/opencv-doc.js";
import { decodeFitted, ensurePhotos, ensureSkimageData, photoRoot } from "../dist/src/bench/photos.js";
import { photoPath, STRUCTURE_CASES, structureCaseMask } from "../dist/src/bench/structure.js";
import { STRUCTURE_SIDE, structureScores } from "../dist/src/bench/structure-metrics.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";

const size = Number(process.argv[2] ?? 1024);
const distances = (process.argv[3] ?? "0,1,2,3,4,8").split(",").map(Number);
const cache = new URL("../.cache", import.meta.url).pathname;
const log = (line) => process.stderr.write(`study: ${line}\n`);
const roots = {
  wallpapers: photoRoot(await ensurePhotos(`${cache}/photos`, log)),
  opencv: await ensureOpenCvDoc(cache, log),
  skimage: await ensureSkimageData(cache, log),
};
const DIRECTIONS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [1, 1],
  [-1, -1],
  [1, -1],
  [-1, 1],
];

/** The truth with its hole pixels taken from (dx, dy) px away (clamped at the borders). */
function moved(truth, hole, dx, dy) {
  const { width: w, height: h, data } = truth;
  const out = new Uint8ClampedArray(data);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y + dy));
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (hole[i] === 0) continue;
      const j = (sy * w + Math.min(w - 1, Math.max(0, x + dx))) * 4;
      out[i * 4] = data[j];
      out[i * 4 + 1] = data[j + 1];
      out[i * 4 + 2] = data[j + 2];
    }
  }
  return { width: w, height: h, data: out };
}

const mean = (values) => {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
};
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const rows = [];
for (const [k, c] of STRUCTURE_CASES.entries()) {
  const file = photoPath(c, roots);
  if (file === null || !existsSync(file)) continue;
  const truth = await decodeFitted(file, size);
  const { width: w, height: h } = truth;
  const hole = structureCaseMask(c, w, h);
  const input = { width: w, height: h, data: new Uint8ClampedArray(truth.data) };
  for (let i = 0; i < hole.length; i++) if (hole[i]) input.data.fill(0, i * 4, i * 4 + 3);
  const fill = structureScores((await eraseWithReport(input, { width: w, height: h, data: hole }, { seed: 7 })).image, truth, hole);
  const row = { name: c.name, half: k % 2 === 0 ? "tuning" : "held-out", fill, moved: [] };
  for (const d of distances) {
    // d is in 1024-px units, as the scores are measured there.
    const px = d === 0 ? 0 : Math.max(1, Math.round((d * Math.max(w, h)) / STRUCTURE_SIDE));
    const scores = DIRECTIONS.map(([ux, uy]) => structureScores(moved(truth, hole, ux * px, uy * px), truth, hole));
    row.moved.push({ edgeF: mean(scores.map((s) => s.edgeF)), lineR: mean(scores.map((s) => s.lineR)), linePoints: scores[0].linePoints });
  }
  rows.push(row);
  process.stdout.write(
    `${c.name.padEnd(13)} ${row.half.padEnd(9)} Vanish edgeF ${fmt(fill.edgeF)} lineR ${fmt(fill.lineR)} | truth moved ${distances
      .map((d, i) => `${d} px: ${fmt(row.moved[i].edgeF)} / ${fmt(row.moved[i].lineR)}`)
      .join(", ")}\n`,
  );
}
/** lineR pooled over the cases' in-hole line samples, as the bench reports it. */
const pooled = (scores) => {
  const points = scores.reduce((a, s) => a + (Number.isFinite(s.lineR) ? s.linePoints : 0), 0);
  return points === 0 ? Number.NaN : scores.reduce((a, s) => a + (Number.isFinite(s.lineR) ? s.lineR * s.linePoints : 0), 0) / points;
};
process.stdout.write(`\n${size} px: edgeF (mean over cases) / lineR (pooled over line samples, as the bench)\n`);
for (const half of ["tuning", "held-out", "all"]) {
  const set = rows.filter((r) => half === "all" || r.half === half);
  const cells = distances.map(
    (d, i) => `${d} px ${fmt(mean(set.map((r) => r.moved[i].edgeF)))} / ${fmt(pooled(set.map((r) => r.moved[i])))}`,
  );
  process.stdout.write(
    `${half.padEnd(9)} Vanish ${fmt(mean(set.map((r) => r.fill.edgeF)))} / ${fmt(pooled(set.map((r) => r.fill)))} | truth moved: ${cells.join(", ")}\n`,
  );
}
