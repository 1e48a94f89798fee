// What the structure studies (study-structure-unseen.mjs, study-structure-crossing.mjs) do for each hole and
// print at the end: the hole erased with the structure step off and on, scored against the truth, and the means.
import { psnr } from "../dist/src/bench/metrics.js";
import { structureScores } from "../dist/src/bench/structure-metrics.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";
import { holeBounds } from "../dist/src/core/mask.js";

/** The photo with `hole` blacked out, erased with the step off and on: PSNR on the hole's box, lineR, edgeF, curves. */
export async function eraseOffAndOn(truth, hole) {
  const { width: w, height: h } = truth;
  const input = { width: w, height: h, data: new Uint8ClampedArray(truth.data) };
  for (let i = 0; i < hole.length; i++) if (hole[i]) input.data.fill(0, i * 4, i * 4 + 3);
  const box = holeBounds(hole, w, h);
  const scores = {};
  for (const on of [false, true]) {
    const r = await eraseWithReport(input, { width: w, height: h, data: hole }, { seed: 7, structure: on });
    const s = structureScores(r.image, truth, hole);
    scores[on ? "on" : "off"] = {
      psnr: psnr(r.image, truth, box),
      lineR: s.lineR,
      edgeF: s.edgeF,
      linePoints: s.linePoints,
      curves: r.structure.curves,
    };
  }
  return scores;
}

/** One line over rows of `eraseOffAndOn` scores: mean PSNR, holes better and worse, pooled lineR, mean edgeF. */
export function summary(rows) {
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
  return (
    `${rows.length} holes: PSNR off ${mean((r) => r.off.psnr).toFixed(3)} → on ${mean((r) => r.on.psnr).toFixed(3)} dB; ` +
    `better ${rows.filter((r) => diff(r) > 0.1).length}, worse ${rows.filter((r) => diff(r) < -0.1).length} (by 0.1 dB); ` +
    `lineR ${pooledLineR("off").toFixed(3)} → ${pooledLineR("on").toFixed(3)}; edgeF ${edgeF("off").toFixed(3)} → ${edgeF("on").toFixed(3)}`
  );
}
