/**
 * `node scripts/bench-structure-cold.mjs [sizes=1024] [repeats=3] [cases=all|name,name]`:
 * the structure step's cost in a fresh process, as a single `vanish erase
 * --mask` pays it. Each structure case (src/bench/structure.ts) is written
 * as a PNG with its mask, then erased by a process of its own that does what
 * the CLI does (threads prestarted first, the fill's pool, `eraseFile`),
 * with the step on and off, the two alternated, `repeats` times each.
 * Prints per case the median `inpaintMs` (the fill alone, the photo already
 * decoded) and the median wall time of the whole process, on and off, and
 * their sums per size. `bench-structure-wall.mjs` measures the same in a
 * warm process (the app, batch folders); this is what one command costs.
 * Run alone: the machine's two cores are the measure.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const child = process.env.VANISH_COLD_ERASE;
if (child) {
  // One erase, as bin/vanish.js and the CLI's erase run it.
  const { prestartFieldThreads, FieldThreadPool, defaultFieldThreads } = await import("../dist/src/node/field-threads.js");
  prestartFieldThreads();
  const { PatchMatchCoarse } = await import("../dist/src/core/inpaint/completion.js");
  const { eraseFile } = await import("../dist/src/node/erase-file.js");
  const [photo, mask, on, out] = JSON.parse(child);
  const threads = new FieldThreadPool(defaultFieldThreads());
  const erase = {
    seed: 1,
    structure: on,
    coarse: new PatchMatchCoarse({ threads }),
    continueStructureOn: threads.continueStructureOn,
    detectFeaturesOn: threads.detectFeaturesOn,
    upscale: threads.upscale,
  };
  const result = await eraseFile(photo, mask, out, { erase }).finally(() => threads.close());
  process.stdout.write(`${JSON.stringify({ inpaintMs: result.timings.inpaintMs, wallMs: performance.now() })}\n`);
  process.exit(0);
}

const sharp = (await import("sharp")).default;
const { ensureOpenCvDoc } = await import("../dist/src/bench/opencv-doc.js");
const { ensurePhotos, ensureSkimageData, photoRoot } = await import("../dist/src/bench/photos.js");
const { loadCase, STRUCTURE_CASES } = await import("../dist/src/bench/structure.js");

const sizes = (process.argv[2] ?? "1024").split(",").map(Number);
const repeats = Number(process.argv[3] ?? 3);
const only = process.argv[4] && process.argv[4] !== "all" ? new Set(process.argv[4].split(",")) : null;
const self = fileURLToPath(import.meta.url);
const cacheDir = path.resolve(path.dirname(self), "../.cache/photos");
const log = (line) => process.stderr.write(`${line}\n`);
const photos = await ensurePhotos(cacheDir, log);
const roots = {
  wallpapers: photoRoot(photos),
  opencv: await ensureOpenCvDoc(cacheDir, log),
  skimage: await ensureSkimageData(cacheDir, log),
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const work = mkdtempSync(path.join(os.tmpdir(), "vanish-structure-cold-"));
try {
  for (const size of sizes) {
    console.log(`\n## ${size} px, fresh processes, median of ${repeats}\n`);
    console.log("| case | inpaint off ms | inpaint on ms | on/off | wall off ms | wall on ms | on/off |");
    console.log("|---|---|---|---|---|---|---|");
    const sums = { inOff: 0, inOn: 0, wallOff: 0, wallOn: 0 };
    for (const c of STRUCTURE_CASES) {
      if (only && !only.has(c.name)) continue;
      const loaded = await loadCase(c, size, roots);
      if (loaded === null) continue;
      const { input: image, hole } = loaded;
      const { width: W, height: H } = image;
      const photo = path.join(work, "photo.png");
      const mask = path.join(work, "mask.png");
      await sharp(Buffer.from(image.data.buffer), { raw: { width: W, height: H, channels: 4 } })
        .removeAlpha()
        .png()
        .toFile(photo);
      const maskBytes = Buffer.alloc(W * H);
      for (let i = 0; i < hole.length; i++) maskBytes[i] = hole[i] ? 255 : 0;
      await sharp(maskBytes, { raw: { width: W, height: H, channels: 1 } })
        .png()
        .toFile(mask);
      const runs = { on: [], off: [] };
      for (let r = 0; r < repeats; r++) {
        for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
          const out = path.join(work, `out-${on}.png`);
          const stdout = execFileSync(process.execPath, [self], {
            encoding: "utf8",
            env: { ...process.env, VANISH_COLD_ERASE: JSON.stringify([photo, mask, on, out]) },
          });
          runs[on ? "on" : "off"].push(JSON.parse(stdout.trim().split("\n").pop()));
        }
      }
      const inOn = median(runs.on.map((x) => x.inpaintMs));
      const inOff = median(runs.off.map((x) => x.inpaintMs));
      const wallOn = median(runs.on.map((x) => x.wallMs));
      const wallOff = median(runs.off.map((x) => x.wallMs));
      sums.inOn += inOn;
      sums.inOff += inOff;
      sums.wallOn += wallOn;
      sums.wallOff += wallOff;
      const pct = (a, b) => `${((100 * a) / b - 100).toFixed(0)} %`;
      console.log(
        `| ${c.name} | ${inOff.toFixed(0)} | ${inOn.toFixed(0)} | ${pct(inOn, inOff)} | ${wallOff.toFixed(0)} | ${wallOn.toFixed(0)} | ${pct(wallOn, wallOff)} |`,
      );
    }
    const pct = (a, b) => `${((100 * a) / b - 100).toFixed(1)} %`;
    console.log(
      `| sum | ${sums.inOff.toFixed(0)} | ${sums.inOn.toFixed(0)} | ${pct(sums.inOn, sums.inOff)} | ${sums.wallOff.toFixed(0)} | ${sums.wallOn.toFixed(0)} | ${pct(sums.wallOn, sums.wallOff)} |`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
