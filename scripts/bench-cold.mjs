/**
 * `node scripts/bench-cold.mjs [sizes=1024,2048,4096] [cases=6]`: the
 * object-hole fills of `vanish bench` (the same photos, masks and seeds),
 * each erased by its own `vanish erase --json` process, as a person erasing
 * one photo runs it, beside OpenCV's Telea in its own process (the bench's
 * scripts/opencv_inpaint.py, radius 5, one call).
 * Why: `vanish bench` warms the JIT with sixteen erases before it measures
 * (a fill in long-running code: the app after its first erases, batch
 * folders); a single command's fill runs in V8's unoptimised tiers and
 * costs several times more. Prints, per size and half, the median
 * `inpaintMs` (the fill alone), Telea's time and the median of the
 * per-case ratios, and each case's stages; run alone (the machine's two
 * cores are the measure). Needs `npm run build` and python3-opencv.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { MASK_KINDS, objectMask } from "../dist/src/bench/masks.js";
import { findOpenCvPython } from "../dist/src/bench/opencv-python.js";
import { decodeFitted, ensurePhotos } from "../dist/src/bench/photos.js";
import { median } from "../dist/src/bench/stats.js";

const exec = promisify(execFile);
const sizes = (process.argv[2] ?? "1024,2048,4096").split(",").map(Number);
const cases = Number(process.argv[3] ?? 6);
/** `vanish bench`'s default seed: the same masks as its object holes. */
const SEED = 7;
const root = path.resolve(import.meta.dirname, "..");
const python = await findOpenCvPython();
if (!python) throw new Error("bench-cold: OpenCV for Python not found (apt-get install python3-opencv)");
const photos = await ensurePhotos(path.join(root, ".cache/photos"), (line) => process.stderr.write(`bench-cold: ${line}\n`));
const work = mkdtempSync(path.join(os.tmpdir(), "vanish-bench-cold-"));
const rows = [];
try {
  for (const size of sizes) {
    for (let c = 0; c < cases; c++) {
      const photo = photos[c % photos.length];
      const kind = MASK_KINDS[c % MASK_KINDS.length];
      const image = await decodeFitted(photo, size);
      const { width: W, height: H } = image;
      const hole = objectMask(kind, W, H, SEED * 7919 + size * 31 + c);
      const input = path.join(work, `in-${size}-${c}.png`);
      const mask = path.join(work, `mask-${size}-${c}.png`);
      await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), { raw: { width: W, height: H, channels: 4 } })
        .png({ compressionLevel: 1 })
        .toFile(input);
      const maskBytes = Buffer.alloc(W * H);
      let holePixels = 0;
      for (let i = 0; i < hole.length; i++) {
        if (hole[i] === 0) continue;
        maskBytes[i] = 255;
        holePixels++;
      }
      await sharp(maskBytes, { raw: { width: W, height: H, channels: 1 } })
        .png()
        .toFile(mask);
      const t0 = performance.now();
      const { stdout } = await exec(process.execPath, [
        path.join(root, "bin/vanish.js"),
        "erase",
        input,
        "--mask",
        mask,
        "-o",
        path.join(work, "out.png"),
        "--json",
      ]);
      const processMs = performance.now() - t0;
      const report = JSON.parse(stdout.trim().split("\n").pop());
      const peers = await exec(python, [
        path.join(root, "scripts/opencv_inpaint.py"),
        input,
        mask,
        path.join(work, "telea.png"),
        path.join(work, "ns.png"),
        "5",
        "1",
      ]);
      const telea = JSON.parse(peers.stdout.trim()).teleaMs;
      const name = path.basename(photo.includes("/contents/") ? photo.split("/contents/")[0] : photo, ".jpg");
      const half = c < Math.ceil(cases / 2) ? "tune" : "held-out";
      rows.push({ size, half, name, kind, holePixels, fill: report.timings.inpaintMs, telea, processMs, stages: report.stages });
      process.stderr.write(`bench-cold: ${size} ${name} ${kind}: ${report.timings.inpaintMs} ms, Telea ${telea.toFixed(1)} ms\n`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`Object holes, one \`vanish erase\` process per case (load ${os.loadavg()[0].toFixed(1)} before the report), ms.\n`);
console.log(
  "| size | half | cases | fill (inpaintMs), median | Telea, median | Vanish / Telea, median of ratios | whole process, median |",
);
console.log("|---|---|---|---|---|---|---|");
for (const size of sizes) {
  for (const half of ["tune", "held-out", "both"]) {
    const part = rows.filter((r) => r.size === size && (half === "both" || r.half === half));
    if (part.length === 0) continue;
    const ratio = median(part.map((r) => r.fill / r.telea));
    console.log(
      `| ${size} | ${half} | ${part.length} | ${median(part.map((r) => r.fill)).toFixed(0)} | ${median(part.map((r) => r.telea)).toFixed(1)} | ${ratio.toFixed(2)}× | ${median(part.map((r) => r.processMs)).toFixed(0)} |`,
    );
  }
}
console.log("\n| size | photo | mask | hole px | fill | prepare | structure | coarse | attention | upscale | Telea |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const s = r.stages;
  console.log(
    `| ${r.size} | ${r.name} | ${r.kind} | ${r.holePixels} | ${r.fill.toFixed(0)} | ${s.prepareMs.toFixed(0)} | ${s.structureMs.toFixed(0)} | ${s.coarseMs.toFixed(0)} | ${s.attentionMs.toFixed(0)} | ${s.upscaleMs.toFixed(0)} | ${r.telea.toFixed(1)} |`,
  );
}
