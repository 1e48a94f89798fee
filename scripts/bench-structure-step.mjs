/**
 * `node scripts/bench-structure-step.mjs [sizes=1024,2048] [repeats=10] [cases=all|name,name]`:
 * the structure step alone (`continueStructure`), on each structure case
 * (src/bench/structure.ts) with its crop staged by the pool's own
 * `stageCrop` (field-threads.ts: the crop's rows from an even corner, in
 * shared memory), in this process, warm: the fastest of `repeats` calls per
 * case, and their sum per size. The erase's overhead from the step
 * (`bench-structure-wall.mjs`) moves by ±10 % from run to run; the step's own
 * time is steadier, so its changes are measured here.
 * `--first` instead runs each case once in a fresh process and reports that
 * first call, as a single `vanish erase` runs it (V8's first tiers, the
 * kernels' first memories).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureOpenCvDoc } from "../dist/src/bench/opencv-doc.js";
import { decodeFitted, ensurePhotos, ensureSkimageData, photoRoot } from "../dist/src/bench/photos.js";
import { photoPath, STRUCTURE_CASES, structureCaseMask } from "../dist/src/bench/structure.js";
import { chooseCrop } from "../dist/src/core/inpaint/erase.js";
import { continueStructure } from "../dist/src/core/inpaint/structure/structure.js";
import { holeBounds } from "../dist/src/core/mask.js";
import { stageCrop } from "../dist/src/node/field-threads.js";

const args = process.argv.slice(2);
const first = args.includes("--first");
const [sizesArg = "1024,2048", repeatsArg = "10", onlyArg = "all"] = args.filter((a) => a !== "--first");
// A fresh process measuring one case's first call (`--first`) is told which by this variable: "size:name".
const child = process.env.VANISH_STEP_CASE?.split(":");
const only = child ? child[1] : onlyArg;
const sizes = sizesArg.split(",").map(Number);
const repeats = Number(repeatsArg);
const cacheDir = path.resolve(".cache/photos");
const log = (line) => process.stderr.write(`${line}\n`);

async function loadCases(size) {
  const photos = await ensurePhotos(cacheDir, log);
  const roots = {
    wallpapers: photoRoot(photos),
    opencv: await ensureOpenCvDoc(cacheDir, log),
    skimage: await ensureSkimageData(cacheDir, log),
  };
  const cases = [];
  for (const c of STRUCTURE_CASES) {
    if (only !== "all" && !only.split(",").includes(c.name)) continue;
    const file = photoPath(c, roots);
    if (file === null || !existsSync(file)) continue;
    const image = await decodeFitted(file, size);
    const hole = structureCaseMask(c, image.width, image.height);
    let count = 0;
    for (let i = 0; i < hole.length; i++) if (hole[i] !== 0) count++;
    const box = holeBounds(hole, image.width, image.height);
    const crop = chooseCrop(box, count, image.width, image.height, 0.5);
    const buffers = { pixels: new SharedArrayBuffer(0), hole: new SharedArrayBuffer(0) };
    const task = stageCrop(buffers, image, hole, crop, box);
    cases.push({ name: c.name, image: task.image, hole: task.hole, crop: task.crop, box: task.holeBox });
  }
  return cases;
}

if (child) {
  // A fresh process's first call (`--first`): one case, its time on stdout.
  const [c] = await loadCases(Number(child[0]));
  const t0 = performance.now();
  continueStructure(c.image, c.hole, c.crop, c.box);
  process.stdout.write(`${performance.now() - t0}\n`);
} else {
  for (const size of sizes) {
    const rows = [];
    let sum = 0;
    if (first) {
      const names = STRUCTURE_CASES.map((c) => c.name).filter((n) => only === "all" || only.split(",").includes(n));
      const script = fileURLToPath(import.meta.url);
      for (const name of names) {
        const runs = [];
        for (let r = 0; r < repeats; r++) {
          const env = { ...process.env, VANISH_STEP_CASE: `${size}:${name}` };
          runs.push(Number(execFileSync(process.execPath, [script], { encoding: "utf8", env }).trim()));
        }
        runs.sort((a, b) => a - b);
        const median = runs[Math.floor(runs.length / 2)];
        sum += median;
        rows.push(`| ${name} | ${median.toFixed(1)} |`);
      }
    } else {
      const cases = await loadCases(size);
      for (const c of cases) {
        let best = Number.POSITIVE_INFINITY;
        for (let r = 0; r < repeats; r++) {
          const t0 = performance.now();
          continueStructure(c.image, c.hole, c.crop, c.box);
          best = Math.min(best, performance.now() - t0);
        }
        sum += best;
        rows.push(`| ${c.name} | ${best.toFixed(1)} |`);
      }
    }
    const what = first ? `first call in a fresh process, median of ${repeats}` : `warm, fastest of ${repeats}`;
    console.log(
      `\n## ${size} px, the step alone (${what}), ms\n\n| case | step |\n|---|---|\n${rows.join("\n")}\n| sum | ${sum.toFixed(1)} |`,
    );
  }
}
