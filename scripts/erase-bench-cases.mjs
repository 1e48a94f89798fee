// Times the object bench's erases outside the bench, for A/B runs of two builds:
//   node scripts/erase-bench-cases.mjs [root] [size] [rounds] [cases]
// root: a checkout whose dist/ to load (default: this one; e.g. a `git worktree` of the base build), size: long
// side (1024), rounds: erases per case (10), cases: comma-separated bench case numbers 0–5 (default all).
// The cases are the bench's (`vanish bench --holes object`, seed 7): the same photos, masks, warm-up, pool and
// in-place fill. Per case it prints the fastest wall time, the least CPU time (all threads), the stages of the
// fastest erase and a hash of the output, so that an exact change shows the same hashes. Run builds alternately
// and compare the sums of the per-case minima; with node --cpu-prof it profiles these erases.
import { createHash } from "node:crypto";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? ".");
const size = Number(process.argv[3] ?? 1024);
const rounds = Number(process.argv[4] ?? 10);
const only = process.argv[5] ? process.argv[5].split(",").map(Number) : null;
const load = (p) => import(path.join(root, "dist/src", p));
const { objectMask, MASK_KINDS } = await load("bench/masks.js");
const { decodeFitted, ensurePhotos } = await load("bench/photos.js");
const { eraseWithReport } = await load("core/inpaint/erase.js");
const { PatchMatchCoarse } = await load("core/inpaint/completion.js");
const { defaultFieldThreads, FieldThreadPool } = await load("node/field-threads.js");

const SEED = 7;
const CASES = 6;
const photos = await ensurePhotos(path.join(root, ".cache/photos"), (l) => process.stderr.write(`${l}\n`));
const pool = defaultFieldThreads() > 0 ? new FieldThreadPool(defaultFieldThreads()) : null;
const fillOptions = {
  seed: SEED,
  ...(pool ? { coarse: new PatchMatchCoarse({ threads: pool }), continueStructureOn: pool.continueStructureOn } : {}),
};
// The bench's warm-up: four rounds of the three mask kinds on its last photo.
const warm = await decodeFitted(photos[photos.length - 1], 1024);
for (let round = 0; round < 4; round++) {
  for (const kind of MASK_KINDS) {
    const data = objectMask(kind, warm.width, warm.height, 1 + round);
    await eraseWithReport(warm, { width: warm.width, height: warm.height, data }, fillOptions);
  }
}
const cases = [];
for (let c = 0; c < CASES; c++) {
  if (only && !only.includes(c)) continue;
  const photo = photos[c % photos.length];
  const kind = MASK_KINDS[c % MASK_KINDS.length];
  const name = path.basename(photo.includes("/contents/") ? photo.split("/contents/")[0] : photo, ".jpg");
  const truth = await decodeFitted(photo, size);
  const { width, height } = truth;
  const hole = objectMask(kind, width, height, SEED * 7919 + size * 31 + c);
  const input = new Uint8ClampedArray(truth.data);
  for (let i = 0; i < hole.length; i++) {
    if (hole[i] === 0) continue;
    input[i * 4] = 0;
    input[i * 4 + 1] = 0;
    input[i * 4 + 2] = 0;
  }
  const target = { width, height, data: new Uint8ClampedArray(input) };
  cases.push({
    c,
    name,
    kind,
    input,
    target,
    mask: { width, height, data: hole },
    walls: [],
    ms: Infinity,
    cpu: Infinity,
    best: null,
    sha: "",
  });
}
const inPlace = { ...fillOptions, inPlace: true };
for (let r = 0; r < rounds; r++) {
  for (const k of cases) {
    k.target.data.set(k.input);
    const before = process.cpuUsage();
    const rep = await eraseWithReport(k.target, k.mask, inPlace);
    const used = process.cpuUsage(before);
    k.cpu = Math.min(k.cpu, (used.user + used.system) / 1000);
    k.walls.push(rep.timings.totalMs);
    if (rep.timings.totalMs < k.ms) {
      k.ms = rep.timings.totalMs;
      k.best = rep;
    }
    k.sha = createHash("sha1").update(k.target.data).digest("hex").slice(0, 12);
  }
}
let wall = 0;
let cpu = 0;
// The median wall time too: a late structure step or a busy core shows in the typical erase more than in the fastest.
let median = 0;
const middle = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
for (const k of cases) {
  const t = k.best.timings;
  wall += k.ms;
  median += middle(k.walls);
  cpu += k.cpu;
  process.stdout.write(
    `${k.c} ${k.name.padEnd(13)} ${k.kind.padEnd(7)} s=${k.best.scale} curves ${k.best.structure.curves}: ${k.ms.toFixed(1)} ms (median ${middle(k.walls).toFixed(1)}), CPU ${k.cpu.toFixed(1)} ms | prepare ${t.prepareMs.toFixed(1)} structure ${t.structureMs.toFixed(1)} coarse ${t.coarseMs.toFixed(1)} attention ${t.attentionMs.toFixed(1)} upscale ${t.upscaleMs.toFixed(1)} | sha1 ${k.sha}\n`,
  );
}
process.stdout.write(
  `sums of the per-case minima: wall ${wall.toFixed(1)} ms, CPU ${cpu.toFixed(1)} ms; of the medians: wall ${median.toFixed(1)} ms\n`,
);
await pool?.close();
