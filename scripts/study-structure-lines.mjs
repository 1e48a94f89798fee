// Where the structure bench's line recall is lost, per truth segment:
//   node scripts/study-structure-lines.mjs [out] [sizes] [seeds] [half] [cases]
// For each case (tuning half by default) erases with and without the structure step, finds the truth's segments
// that cross the hole as lineR does (structure-metrics.ts: LSD ≥ 40 px on a 1024 px copy, Canny within 2 px), and
// prints per segment its in-hole samples, the share the plain fill and Vanish hit, and the share within 3 px of a
// continued curve (is it drawn at all). Writes per case a PNG: input / plain / vanish / truth crops at the metric's
// scale, with the truth's crossing segments drawn (green hit, red missed) and the continued curves (yellow) on the
// vanish tile, and a curves.json with the curves in metric pixels.
import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";

const root = path.resolve(".");
const out = path.resolve(process.argv[2] ?? "/tmp/structure-lines");
const sizes = (process.argv[3] ?? "1024").split(",").map(Number);
const seeds = (process.argv[4] ?? "7").split(",").map(Number);
const half = process.argv[5] ?? "tuning";
const only = process.argv[6] ? process.argv[6].split(",") : null;
const load = (p) => import(path.join(root, "dist/src", p));
const { STRUCTURE_CASES, structureCaseMask, photoPath } = await load("bench/structure.js");
const { decodeFitted, ensurePhotos, ensureSkimageData, photoRoot } = await load("bench/photos.js");
const { ensureOpenCvDoc } = await load("bench/opencv-doc.js");
const { canny } = await load("bench/structure-metrics.js");
const { psnr } = await load("bench/metrics.js");
const { eraseWithReport } = await load("core/inpaint/erase.js");
const { continueStructure } = await load("core/inpaint/structure/structure.js");
const { detectSegments } = await load("core/inpaint/structure/lsd.js");
const { dilateDisc, holeBounds } = await load("core/mask.js");
const { resizeWeights } = await load("core/inpaint/resample.js");

await fs.mkdir(out, { recursive: true });
const cacheDir = path.join(root, ".cache");
const log = () => {};
const photos = await ensurePhotos(path.join(cacheDir, "photos"), log);
const roots = {
  wallpapers: photoRoot(photos),
  opencv: await ensureOpenCvDoc(cacheDir, log),
  skimage: await ensureSkimageData(cacheDir, log),
};

function resizePlane(src, W, H, w, h) {
  const xs = resizeWeights(W, w);
  const ys = resizeWeights(H, h);
  const rows = new Float32Array(w * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = xs.start[x]; k < xs.start[x + 1]; k++) v += xs.weight[k] * src[y * W + xs.index[k]];
      rows[y * w + x] = v;
    }
  const o = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let k = ys.start[y]; k < ys.start[y + 1]; k++)
      for (let x = 0; x < w; x++) o[y * w + x] += ys.weight[k] * rows[ys.index[k] * w + x];
  return o;
}
const rgbResized = (img, w, h) =>
  [0, 1, 2].map((c) => {
    const p = new Float32Array(img.width * img.height);
    for (let i = 0; i < p.length; i++) p[i] = img.data[i * 4 + c];
    return resizePlane(p, img.width, img.height, w, h);
  });

const rows = [];
for (const size of sizes) {
  for (const seed of seeds) {
    for (let k = 0; k < STRUCTURE_CASES.length; k++) {
      const c = STRUCTURE_CASES[k];
      if ((half === "tuning" && k % 2 === 1) || (half === "held-out" && k % 2 === 0)) continue;
      if (only && !only.includes(c.name)) continue;
      const truth = await decodeFitted(photoPath(c, roots), size);
      const { width: W, height: H } = truth;
      const hole = structureCaseMask(c, W, H);
      const input = { width: W, height: H, data: new Uint8ClampedArray(truth.data) };
      for (let i = 0; i < hole.length; i++) if (hole[i]) input.data.fill(0, i * 4, i * 4 + 3);
      const mask = { width: W, height: H, data: hole };
      const rep = await eraseWithReport(input, mask, { seed });
      const plain = await eraseWithReport(input, mask, { seed, structure: false });
      const bounds = holeBounds(hole, W, H);
      const st = continueStructure(input, hole, rep.crop, bounds);
      // Metric scale.
      const f = 1024 / Math.max(W, H);
      const w = Math.round(W * f);
      const h = Math.round(H * f);
      const cov = new Float32Array(W * H);
      for (let i = 0; i < W * H; i++) cov[i] = hole[i] ? 1 : 0;
      const small = resizePlane(cov, W, H, w, h);
      const holeS = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) holeS[i] = small[i] >= 0.5 ? 1 : 0;
      const box = holeBounds(holeS, w, h);
      const m = 64;
      const x0 = Math.max(0, box.x - m);
      const y0 = Math.max(0, box.y - m);
      const cw = Math.min(w, box.x + box.width + m) - x0;
      const ch = Math.min(h, box.y + box.height + m) - y0;
      const crop = (p) => {
        const o = new Float32Array(cw * ch);
        for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) o[y * cw + x] = p[(y0 + y) * w + x0 + x];
        return o;
      };
      const rgb = {};
      const grey = {};
      for (const [name, img] of [
        ["input", input],
        ["plain", plain.image],
        ["vanish", rep.image],
        ["truth", truth],
      ]) {
        rgb[name] = rgbResized(img, w, h).map(crop);
        grey[name] = new Float32Array(cw * ch);
        for (let i = 0; i < cw * ch; i++) grey[name][i] = 0.299 * rgb[name][0][i] + 0.587 * rgb[name][1][i] + 0.114 * rgb[name][2][i];
      }
      const holeC = crop(holeS);
      const near = {};
      for (const name of ["plain", "vanish"]) near[name] = dilateDisc(canny(grey[name], cw, ch), cw, ch, 2);
      // Curves drawn in metric crop pixels: analysis px -> full res -> metric.
      const curvePix = new Uint8Array(cw * ch);
      const bandPix = new Uint8Array(cw * ch);
      const curvesOut = [];
      if (st) {
        for (const cu of st.curves) {
          const pts = [];
          for (let i = 0; i < cu.points.length; i += 2) {
            const X = rep.crop.x + (cu.points[i] + 0.5) * st.scale;
            const Y = rep.crop.y + (cu.points[i + 1] + 0.5) * st.scale;
            pts.push([X * f - x0, Y * f - y0]);
          }
          curvesOut.push({ kind: cu.kind, halfWidth: cu.halfWidth * st.scale * f, end: cu.end, pts });
          for (let i = 1; i < pts.length; i++) {
            const [ax, ay] = pts[i - 1];
            const [bx, by] = pts[i];
            const n = Math.ceil(Math.hypot(bx - ax, by - ay)) + 1;
            const r = Math.ceil(cu.halfWidth * st.scale * f) + 2;
            for (let s = 0; s <= n; s++) {
              const x = Math.round(ax + ((bx - ax) * s) / n);
              const y = Math.round(ay + ((by - ay) * s) / n);
              if (x >= 0 && y >= 0 && x < cw && y < ch) curvePix[y * cw + x] = 1;
              for (let dy = -r; dy <= r; dy++)
                for (let dx = -r; dx <= r; dx++) {
                  const u = x + dx;
                  const v = y + dy;
                  if (dx * dx + dy * dy <= r * r && u >= 0 && v >= 0 && u < cw && v < ch) bandPix[v * cw + u] = 1;
                }
            }
          }
        }
      }
      const nearCurve = bandPix;
      const segs = [];
      const marks = [];
      for (const s of detectSegments(grey.truth, cw, ch, { minLength: 40 })) {
        const len = Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
        const steps = Math.floor(len);
        let inside = 0;
        let outside = 0;
        const hit = { plain: 0, vanish: 0, curve: 0 };
        const pts = [];
        for (let q = 0; q <= steps; q++) {
          const x = Math.round(s.x1 + ((s.x2 - s.x1) * q) / steps - 0.5);
          const y = Math.round(s.y1 + ((s.y2 - s.y1) * q) / steps - 0.5);
          if (x < 0 || y < 0 || x >= cw || y >= ch) continue;
          const i = y * cw + x;
          if (holeC[i] === 0) {
            outside++;
            continue;
          }
          inside++;
          if (near.plain[i]) hit.plain++;
          if (near.vanish[i]) hit.vanish++;
          if (nearCurve[i]) hit.curve++;
          pts.push([i, near.vanish[i] !== 0]);
        }
        if (outside < 10 || inside < 5) continue;
        const angle = (Math.atan2(s.y2 - s.y1, s.x2 - s.x1) * 180) / Math.PI;
        segs.push({
          x1: s.x1 | 0,
          y1: s.y1 | 0,
          x2: s.x2 | 0,
          y2: s.y2 | 0,
          angle: Math.round(((angle % 180) + 180) % 180),
          contrast: +s.contrast?.toFixed?.(1),
          inside,
          plain: hit.plain / inside,
          vanish: hit.vanish / inside,
          curve: hit.curve / inside,
        });
        marks.push(...pts);
      }
      const pts = segs.reduce((a, s) => a + s.inside, 0);
      const sum = (k) => segs.reduce((a, s) => a + s[k] * s.inside, 0) / Math.max(1, pts);
      const boxFull = holeBounds(hole, W, H);
      const row = {
        case: c.name,
        size,
        seed,
        points: pts,
        lineR: sum("vanish"),
        plainR: sum("plain"),
        curveR: sum("curve"),
        psnr: psnr(rep.image, truth, boxFull),
        plainPsnr: psnr(plain.image, truth, boxFull),
        curves: st ? st.curves.length : 0,
        q: st?.scale,
        segs,
      };
      rows.push(row);
      console.log(
        `${size} s${seed} ${c.name.padEnd(13)} pts ${String(pts).padStart(4)} lineR ${row.plainR.toFixed(2)} -> ${row.lineR.toFixed(2)} onCurve ${row.curveR.toFixed(2)} PSNR ${row.plainPsnr.toFixed(2)} -> ${row.psnr.toFixed(2)} curves ${row.curves} q ${row.q ?? "-"}`,
      );
      for (const s of segs)
        console.log(
          `    seg (${s.x1},${s.y1})-(${s.x2},${s.y2}) ang ${s.angle} in ${s.inside} plain ${s.plain.toFixed(2)} vanish ${s.vanish.toFixed(2)} curve ${s.curve.toFixed(2)}`,
        );
      if (seed !== seeds[0]) continue;
      // Picture: 4 tiles at 2x.
      const Z = 2;
      const tiles = [];
      for (const tile of ["input", "plain", "vanish", "curves", "truth"]) {
        const name = tile === "curves" ? "vanish" : tile;
        const buf = Buffer.alloc(cw * ch * 3);
        for (let i = 0; i < cw * ch; i++)
          for (let q = 0; q < 3; q++) buf[i * 3 + q] = Math.max(0, Math.min(255, Math.round(rgb[name][q][i])));
        if (tile === "curves") {
          for (const [i, ok] of marks) buf.set(ok ? [0, 255, 0] : [255, 0, 0], i * 3);
          for (let i = 0; i < cw * ch; i++) if (curvePix[i] && holeC[i]) buf.set([255, 255, 0], i * 3);
        }
        if (name === "plain" || name === "input") {
          // hole outline
          for (let y = 1; y < ch - 1; y++)
            for (let x = 1; x < cw - 1; x++) {
              const i = y * cw + x;
              if (holeC[i] && (!holeC[i - 1] || !holeC[i + 1] || !holeC[i - cw] || !holeC[i + cw])) buf.set([0, 160, 255], i * 3);
            }
        }
        tiles.push(
          await sharp(buf, { raw: { width: cw, height: ch, channels: 3 } })
            .resize(cw * Z, ch * Z, { kernel: "nearest" })
            .png()
            .toBuffer(),
        );
      }
      const sheet = sharp({ create: { width: (cw * Z + 6) * 5, height: ch * Z, channels: 3, background: "#202020" } }).composite(
        tiles.map((t, i) => ({ input: t, left: i * (cw * Z + 6), top: 0 })),
      );
      await sheet.png().toFile(path.join(out, `${c.name}-${size}-s${seed}.png`));
      await fs.writeFile(path.join(out, `${c.name}-${size}-s${seed}.json`), JSON.stringify({ row, curves: curvesOut }, null, 1));
    }
  }
}
await fs.writeFile(path.join(out, "rows.json"), JSON.stringify(rows, null, 1));
