// Wall time of the structure step inside an erase: each structure case (src/bench/structure.ts) erased as
// `vanish erase` does (PatchMatch scans and the structure step on a FieldThreadPool), with the step on and
// off (`structure: false`), the two alternated, fastest of N. Reports per-case and summed wall time, the
// process's CPU time (all threads) and the sha1 of each output (for bit-exactness across builds).
//   node scripts/bench-structure-wall.mjs [sizes=1024,2048] [repeats=3] [cases=all|name,name]
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureOpenCvDoc } from "../dist/src/bench/opencv-doc.js";
import { decodeFitted, ensurePhotos, ensureSkimageData, photoRoot } from "../dist/src/bench/photos.js";
import { photoPath, STRUCTURE_CASES, structureCaseMask } from "../dist/src/bench/structure.js";
import { PatchMatchCoarse } from "../dist/src/core/inpaint/completion.js";
import { eraseWithReport } from "../dist/src/core/inpaint/erase.js";
import { defaultFieldThreads, FieldThreadPool } from "../dist/src/node/field-threads.js";

const sizes = (process.argv[2] ?? "1024,2048").split(",").map(Number);
const repeats = Number(process.argv[3] ?? 3);
const only = process.argv[4] && process.argv[4] !== "all" ? new Set(process.argv[4].split(",")) : null;
const cacheDir = path.resolve(".cache/photos");
const log = (line) => process.stderr.write(`${line}\n`);
const photos = await ensurePhotos(cacheDir, log);
const roots = {
  wallpapers: photoRoot(photos),
  opencv: await ensureOpenCvDoc(cacheDir, log),
  skimage: await ensureSkimageData(cacheDir, log),
};
const pool = new FieldThreadPool(Math.max(1, defaultFieldThreads()));
const erase = { coarse: new PatchMatchCoarse({ threads: pool }), continueStructureOn: pool.continueStructureOn, upscale: pool.upscale };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const load = () => os.loadavg()[0].toFixed(1);
log(`load at start ${load()}; ${pool.threads ?? defaultFieldThreads()} pool thread(s)`);
try {
  for (const size of sizes) {
    const cases = [];
    for (const c of STRUCTURE_CASES) {
      if (only && !only.has(c.name)) continue;
      const file = photoPath(c, roots);
      if (file === null || !existsSync(file)) continue;
      const image = await decodeFitted(file, size);
      const hole = structureCaseMask(c, image.width, image.height);
      for (let i = 0; i < hole.length; i++) if (hole[i] !== 0) image.data.fill(0, i * 4, i * 4 + 3);
      cases.push({ name: c.name, image, mask: { width: image.width, height: image.height, data: hole } });
    }
    // Warm the JIT and the pool's thread.
    await eraseWithReport(cases[0].image, cases[0].mask, { ...erase, seed: 1 });
    const best = new Map();
    for (let r = 0; r < repeats; r++) {
      for (const [k, c] of cases.entries()) {
        const order = (r + k) % 2 === 0 ? [true, false] : [false, true];
        for (const on of order) {
          const c0 = cpuMs();
          const t0 = performance.now();
          const rep = await eraseWithReport(c.image, c.mask, { ...erase, seed: 1, structure: on });
          const wall = performance.now() - t0;
          const cpu = cpuMs() - c0;
          const key = `${c.name}/${on}`;
          const prev = best.get(key);
          const sha = createHash("sha1").update(rep.image.data).digest("hex").slice(0, 10);
          if (prev && prev.sha !== sha) log(`${key}: output changed between repeats`);
          if (!prev || wall < prev.wall)
            best.set(key, { wall, cpu: prev ? Math.min(prev.cpu, cpu) : cpu, sha, curves: rep.structure.curves });
          else prev.cpu = Math.min(prev.cpu, cpu);
        }
      }
      log(`size ${size} repeat ${r + 1}/${repeats} done, load ${load()}`);
    }
    let onSum = 0;
    let offSum = 0;
    let onCpu = 0;
    let offCpu = 0;
    console.log(`\n## ${size} px, fastest of ${repeats}, load ${load()}\n`);
    console.log("| case | curves | off ms | on ms | on/off | off cpu | on cpu | sha1 on |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const c of cases) {
      const on = best.get(`${c.name}/true`);
      const off = best.get(`${c.name}/false`);
      onSum += on.wall;
      offSum += off.wall;
      onCpu += on.cpu;
      offCpu += off.cpu;
      console.log(
        `| ${c.name} | ${on.curves} | ${off.wall.toFixed(0)} | ${on.wall.toFixed(0)} | ${((100 * on.wall) / off.wall - 100).toFixed(0)} % | ${off.cpu.toFixed(0)} | ${on.cpu.toFixed(0)} | ${on.sha} |`,
      );
    }
    console.log(
      `| sum | | ${offSum.toFixed(0)} | ${onSum.toFixed(0)} | ${((100 * onSum) / offSum - 100).toFixed(0)} % | ${offCpu.toFixed(0)} | ${onCpu.toFixed(0)} (${((100 * onCpu) / offCpu - 100).toFixed(0)} %) | |`,
    );
  }
} finally {
  await pool.close();
}
