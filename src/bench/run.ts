/**
 * `vanish bench`: quality and latency of the erase engine on real photos at
 * several sizes, beside OpenCV's Telea and Navier–Stokes inpainting, with a
 * Markdown report, a JSON dump and a contact sheet of side-by-side crops.
 *
 * Every case: a photo resized to the size's long side (Lanczos; photos smaller
 * than the size are upscaled), a seeded mask (strokes, person, box; object-
 * sized 0.5–5 % or large 10–30 %), hole pixels blacked out before any method
 * sees them, and metrics on the hole's bounding box against the untouched
 * photo. The first half of each suite's cases is the tuning half, the second
 * (other photos) the held-out half; both are reported. Fill times are the
 * fastest of `repeats` runs of each method, Vanish and Telea timed in the same
 * run case by case (the machine may be shared), with their ratio per case and
 * a log-log plot of fill time against hole pixels.
 */
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Rect, type RgbaImage, VanishError } from "../core/image.js";
import { PatchMatchCoarse } from "../core/inpaint/completion.js";
import { eraseWithReport } from "../core/inpaint/erase.js";
import { holeBounds } from "../core/mask.js";
import { defaultFieldThreads, FieldThreadPool } from "../node/field-threads.js";
import { loadInpaintingModel } from "../node/inpainting-model.js";
import { sharp } from "../node/sharp.js";
import { Progress } from "../terminal/progress.js";
import { labelledTiles } from "./contact-sheet.js";
import { benchmarkMask, HOLE_FRACTION, type HoleSize, MASK_KINDS, objectMask } from "./masks.js";
import { gradientEnergyRatio, holeL1, maxChangeOutside, psnr, ssim } from "./metrics.js";
import { findOpenCvPython } from "./opencv-python.js";
import { opencvInpaint, writePeerInput } from "./peers.js";
import { decodeFitted, ensurePhotos } from "./photos.js";
import { writeLogLogPng } from "./plot.js";
import { median } from "./stats.js";
import { structureScores } from "./structure-metrics.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface BenchOptions {
  sizes: number[];
  cases: number;
  outDir: string;
  cacheDir: string;
  peers: boolean;
  seed: number;
  /** Hole-size suites to run, in order. Default: object-sized, then large. */
  holes?: HoleSize[];
  /** Timed runs of each method per case; the fastest counts. Default 1. */
  repeats?: number;
  /** An ONNX inpainting network measured as a second coarse stage beside PatchMatch. */
  model?: string;
  /** Structure propagation in the erase (default true; false measures the fill without it). */
  structure?: boolean;
}

interface Quality {
  psnr: number;
  ssim: number;
  l1: number;
  gradientRatio: number;
  /** Line recall and Canny-edge F1 in the hole (structure-metrics.ts); NaN where undefined. */
  lineR: number;
  edgeF: number;
  linePoints: number;
  maxOutside: number;
  fillMs: number;
  /** CPU time of the fill (all threads of the process), the fastest of the repeats. */
  cpuMs: number;
}

interface CaseResult {
  holes: HoleSize;
  /** "tune" for the first half of a suite's cases, "held-out" for the rest. */
  half: "tune" | "held-out";
  holePixels: number;
  size: number;
  photo: string;
  kind: string;
  width: number;
  height: number;
  holeFraction: number;
  methods: Record<string, Quality>;
  stages: { prepareMs: number; coarseMs: number; attentionMs: number; upscaleMs: number };
}

function measure(result: RgbaImage, truth: RgbaImage, hole: Uint8Array, box: Rect, fillMs: number, cpuMs: number): Quality {
  return {
    psnr: psnr(result, truth, box),
    ssim: ssim(result, truth, box),
    l1: holeL1(result, truth, hole),
    gradientRatio: gradientEnergyRatio(result, truth, hole),
    ...structureScores(result, truth, hole),
    maxOutside: maxChangeOutside(result, truth, hole),
    fillMs,
    cpuMs,
  };
}

const TILE_H = 220;

/** One contact-sheet row: the hole's neighbourhood in each image, side by side, labelled. */
async function sheetRow(images: { label: string; image: RgbaImage }[], box: Rect): Promise<{ buffer: Buffer; width: number }> {
  const { tiles, tileWidth: tileW } = await labelledTiles(images, box, { height: TILE_H, pad: 0.15, minWidth: 60, fontSize: 14 });
  const width = tileW * images.length + 4 * (images.length - 1);
  const buffer = await sharp({ create: { width, height: TILE_H, channels: 3, background: "#202020" } })
    .composite(tiles.map((t, i) => ({ input: t, left: i * (tileW + 4), top: 0 })))
    .png()
    .toBuffer();
  return { buffer, width };
}

/** Peak resident memory of the CLI erasing a 4096×4096 photo, in MiB. */
async function peakMemory4k(photo: string, workDir: string, seed: number): Promise<{ rssMb: number; inpaintMs: number } | null> {
  const size = 4096;
  const { data, info } = await sharp(photo).resize(size, size, { fit: "cover" }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const input = path.join(workDir, "mem4096.png");
  const maskFile = path.join(workDir, "mem4096-mask.png");
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(input);
  const mask = benchmarkMask("person", size, size, seed);
  const bytes = Buffer.alloc(size * size);
  for (let i = 0; i < mask.length; i++) bytes[i] = mask[i] ? 255 : 0;
  await sharp(bytes, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toFile(maskFile);
  const cli = path.join(ROOT, "bin", "vanish.js");
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [cli, "erase", input, "--mask", maskFile, "-o", path.join(workDir, "mem4096-out.png"), "--json"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => {
      if (code !== 0) return resolve(null);
      const j = JSON.parse(out.trim().split("\n").pop() ?? "{}");
      resolve({ rssMb: j.peakRssMb, inpaintMs: j.timings?.inpaintMs });
    });
  });
}

const fmt = (v: number, d = 2) => (Number.isNaN(v) ? "–" : Number.isFinite(v) ? v.toFixed(d) : "∞");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const finiteMean = (xs: number[]) => mean(xs.filter((x) => Number.isFinite(x)));
/** lineR over all cases' in-hole line samples together. */
const pooledLineR = (q: Quality[]) => {
  const points = q.reduce((a, x) => a + x.linePoints, 0);
  return points === 0 ? Number.NaN : q.reduce((a, x) => a + (x.linePoints > 0 ? x.lineR * x.linePoints : 0), 0) / points;
};

const HOLE_LABEL: Record<HoleSize, string> = { object: "object-sized holes", large: "large holes" };

function qualityTable(results: CaseResult[], sizes: number[], lines: string[]): void {
  lines.push(
    "| size | method | PSNR dB | SSIM | L1 (hole) | gradient ratio | lineR | edgeF | max change outside | fill ms (median) | fill CPU ms (median) |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const size of sizes) {
    const rows = results.filter((r) => r.size === size);
    if (rows.length === 0) continue;
    for (const method of Object.keys(rows[0].methods)) {
      const q = rows.map((r) => r.methods[method]).filter(Boolean);
      lines.push(
        `| ${size} | ${method} | ${fmt(mean(q.map((x) => x.psnr)))} | ${fmt(mean(q.map((x) => x.ssim)), 3)} | ${fmt(mean(q.map((x) => x.l1)), 4)} | ${fmt(mean(q.map((x) => x.gradientRatio)))} | ${fmt(pooledLineR(q))} | ${fmt(finiteMean(q.map((x) => x.edgeF)))} | ${Math.max(...q.map((x) => x.maxOutside))} | ${fmt(median(q.map((x) => x.fillMs)), 0)} | ${fmt(median(q.map((x) => x.cpuMs)), 0)} |`,
      );
    }
  }
}

/** Vanish's fill time over Telea's for one case (wall clock or CPU time), or NaN without Telea. */
const teleaRatio = (r: CaseResult, key: "fillMs" | "cpuMs" = "fillMs") =>
  r.methods["opencv-telea"] ? r.methods.vanish[key] / r.methods["opencv-telea"][key] : Number.NaN;

function report(results: CaseResult[], memory: { rssMb: number; inpaintMs: number } | null, options: BenchOptions): string {
  const lines: string[] = [];
  const holes = options.holes ?? ["object", "large"];
  const suites = holes.map((h) => `${HOLE_LABEL[h]} (${HOLE_FRACTION[h].map((f) => `${100 * f}`).join("–")} % of the image)`);
  lines.push(
    `Photos: ${options.cases} per size and hole size from Debian's wallpaper packages; masks: strokes, person, box; ${suites.join(", ")}; seed ${options.seed}.`,
  );
  lines.push(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}. Quality on the hole's bounding box; fill time is the fill alone (image decoded; each method fills an image that already exists, Vanish in place as \`vanish erase\` does), the fastest of ${options.repeats ?? 1} run(s) per method and case. Vanish's PatchMatch scans use ${1 + defaultFieldThreads()} thread(s) (a pool made once, as \`vanish erase\` does); OpenCV's inpainting is single-threaded. CPU time counts every thread.`,
  );
  lines.push(
    "lineR (line recall, pooled over line samples) and edgeF (Canny F1 in the hole) on copies scaled to 1024 px; see `vanish bench --structure`.",
  );
  for (const h of holes) {
    const suite = results.filter((r) => r.holes === h);
    if (suite.length === 0) continue;
    lines.push("", `### ${HOLE_LABEL[h][0].toUpperCase()}${HOLE_LABEL[h].slice(1)}`, "");
    qualityTable(suite, options.sizes, lines);
    lines.push("");
    for (const half of ["tune", "held-out"] as const) {
      const part = suite.filter((r) => r.half === half);
      if (part.length === 0) continue;
      const q = part.map((r) => r.methods.vanish);
      lines.push(
        `Vanish on the ${half === "tune" ? "tuning" : "held-out"} half (${part.length} cases, all sizes): PSNR ${fmt(mean(q.map((x) => x.psnr)))} dB, SSIM ${fmt(mean(q.map((x) => x.ssim)), 3)}, gradient ratio ${fmt(mean(q.map((x) => x.gradientRatio)))}.`,
      );
    }
    for (const key of ["fillMs", "cpuMs"] as const) {
      const ratios = options.sizes
        .map((size) => ({ size, ratios: suite.filter((r) => r.size === size).map((r) => teleaRatio(r, key)) }))
        .filter((x) => x.ratios.length > 0 && x.ratios.every(Number.isFinite));
      if (ratios.length === 0) continue;
      lines.push("");
      lines.push(
        `Vanish / Telea ${key === "fillMs" ? "fill time (wall clock)" : "fill CPU time"}, median of the per-case ratios: ${ratios.map((x) => `${x.size}: ${fmt(median(x.ratios))}×`).join(", ")}.`,
      );
    }
    lines.push("", "Vanish stages, median ms:", "", "| size | prepare | coarse | attention | upscale |", "|---|---|---|---|---|");
    for (const size of options.sizes) {
      const rows = suite.filter((r) => r.size === size);
      if (rows.length === 0) continue;
      const m = (k: keyof CaseResult["stages"]) => fmt(median(rows.map((r) => r.stages[k])), 0);
      lines.push(`| ${size} | ${m("prepareMs")} | ${m("coarseMs")} | ${m("attentionMs")} | ${m("upscaleMs")} |`);
    }
  }
  lines.push("");
  if (memory)
    lines.push(
      `Peak resident memory of \`vanish erase\` on a 4096×4096 photo: ${memory.rssMb.toFixed(0)} MiB (fill ${memory.inpaintMs.toFixed(0)} ms).`,
      "",
    );
  lines.push("Fill CPU time against hole pixels: fill-time.png (log-log).", "", "Per case:", "");
  const methods = Object.keys(results[0]?.methods ?? {});
  lines.push(
    `| holes | half | size | photo | mask | hole % | hole px | ${methods.map((m) => `${m} PSNR / grad / ms / CPU ms`).join(" | ")} | vanish / telea (wall, CPU) |`,
  );
  lines.push(`|---|---|---|---|---|---|---|${methods.map(() => "---").join("|")}|---|`);
  for (const r of results) {
    const cells = Object.values(r.methods).map(
      (q) => `${fmt(q.psnr)} / ${fmt(q.gradientRatio)} / ${fmt(q.fillMs, 0)} / ${fmt(q.cpuMs, 0)}`,
    );
    lines.push(
      `| ${r.holes} | ${r.half} | ${r.size} | ${r.photo} | ${r.kind} | ${(100 * r.holeFraction).toFixed(1)} | ${r.holePixels} | ${cells.join(" | ")} | ${fmt(teleaRatio(r))}, ${fmt(teleaRatio(r, "cpuMs"))} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The fill-time curve of every method, log-log. */
async function plotFillTimes(results: CaseResult[], file: string): Promise<void> {
  const colours: Record<string, string> = { vanish: "#d62728", "opencv-telea": "#1f77b4", "opencv-ns": "#2ca02c" };
  const methods = Object.keys(results[0]?.methods ?? {});
  const series = methods.map((m, i) => ({
    label: m,
    colour: colours[m] ?? ["#9467bd", "#8c564b", "#e377c2"][i % 3],
    points: results.filter((r) => Number.isFinite(r.methods[m]?.cpuMs)).map((r) => ({ x: r.holePixels, y: r.methods[m].cpuMs })),
  }));
  // CPU time: on a shared machine it is what an idle one would show as wall clock for single-threaded fills.
  await writeLogLogPng(file, "Fill CPU time against hole size (all sizes and hole suites)", "hole pixels", "fill CPU ms", series);
}

/** Runs the whole benchmark and writes report.md, results.json and contact-sheet.png. */
export async function runBench(options: BenchOptions): Promise<void> {
  for (const s of options.sizes) {
    if (!Number.isInteger(s) || s < 64 || s > 8192)
      throw new VanishError("INVALID_ARGUMENT", `--sizes takes long sides from 64 to 8192, not ${s}`);
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  await fs.mkdir(options.outDir, { recursive: true });
  const photos = await ensurePhotos(options.cacheDir, log);
  const python = options.peers ? await findOpenCvPython() : null;
  if (options.peers && !python) log("OpenCV for Python not found; peers skipped (install with: apt-get install python3-opencv)");
  const network = options.model ? await loadInpaintingModel(options.model) : undefined;
  if (network) log(`measuring ${network.name} as the coarse stage beside PatchMatch`);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "vanish-bench-"));

  // One warm pool for every fill, as the CLI keeps one per run; the pixels are the same without it.
  const pool = defaultFieldThreads() > 0 ? new FieldThreadPool(defaultFieldThreads()) : null;
  const fillOptions = {
    seed: options.seed,
    structure: options.structure,
    ...(pool
      ? { coarse: new PatchMatchCoarse({ threads: pool }), continueStructureOn: pool.continueStructureOn, upscale: pool.upscale }
      : {}),
  };
  const results: CaseResult[] = [];
  const rows: { buffer: Buffer; width: number }[] = [];
  const holes = options.holes ?? ["object", "large"];
  const repeats = Math.max(1, options.repeats ?? 1);
  const progress = new Progress(holes.length * options.sizes.length * options.cases, "bench");
  try {
    // Warm the JIT (and start the pool's threads) so the first measured cases
    // are not penalised: after three erases of one photo the first 1K cases
    // still took 2–4× the CPU time of their later runs; it takes about a dozen
    // erases to settle. OpenCV is native code.
    const warm = await decodeFitted(photos[photos.length - 1], 1024);
    for (let round = 0; round < 4; round++) {
      for (const kind of MASK_KINDS) {
        const data = objectMask(kind, warm.width, warm.height, 1 + round);
        await eraseWithReport(warm, { width: warm.width, height: warm.height, data }, fillOptions);
      }
    }
    for (const holeSize of holes) {
      for (const size of options.sizes) {
        for (let c = 0; c < options.cases; c++) {
          const photo = photos[c % photos.length];
          const kind = MASK_KINDS[c % MASK_KINDS.length];
          const name = path.basename(photo.includes("/contents/") ? photo.split("/contents/")[0] : photo, ".jpg");
          progress.note(`${holeSize} ${size} ${name} ${kind}`);
          const truth = await decodeFitted(photo, size);
          const { width: W, height: H } = truth;
          const caseSeed = options.seed * 7919 + size * 31 + c;
          const hole = holeSize === "large" ? benchmarkMask(kind, W, H, caseSeed) : objectMask(kind, W, H, caseSeed);
          const box = holeBounds(hole, W, H) as Rect;
          const input: RgbaImage = { width: W, height: H, data: new Uint8ClampedArray(truth.data) };
          let holeCount = 0;
          for (let i = 0; i < hole.length; i++) {
            if (hole[i] === 0) continue;
            holeCount++;
            input.data[i * 4] = 0;
            input.data[i * 4 + 1] = 0;
            input.data[i * 4 + 2] = 0;
          }
          const mask = { width: W, height: H, data: hole };
          // Each fill writes into an image that is already there, as `vanish erase` fills the decoded photo in place
          // (and the page its copy): a copy of the input, made before the clock starts. A fresh output image is a
          // cost neither pays (at 4K 42 MB of first page touches, about 0.1 s of CPU here). OpenCV fills a kept
          // image too (scripts/opencv_inpaint.py).
          const target = { width: W, height: H, data: new Uint8ClampedArray(input.data) };
          const inPlace = { ...fillOptions, inPlace: true };
          let rep = await eraseWithReport(target, mask, inPlace);
          let cpuMs = Number.POSITIVE_INFINITY;
          for (let k = 0; k < repeats; k++) {
            target.data.set(input.data);
            const before = process.cpuUsage();
            const again = await eraseWithReport(target, mask, inPlace);
            const used = process.cpuUsage(before);
            cpuMs = Math.min(cpuMs, (used.user + used.system) / 1000);
            if (again.timings.totalMs < rep.timings.totalMs) rep = again;
          }
          const methods: Record<string, Quality> = { vanish: measure(rep.image, truth, hole, box, rep.timings.totalMs, cpuMs) };
          const sheet = [
            { label: "input", image: input },
            { label: "vanish", image: rep.image },
          ];
          if (network) {
            const withNetwork = await eraseWithReport(input, mask, { seed: options.seed, coarse: network, structure: options.structure });
            methods[`vanish+${network.name}`] = measure(withNetwork.image, truth, hole, box, withNetwork.timings.totalMs, Number.NaN);
            sheet.push({ label: network.name, image: withNetwork.image });
          }
          if (python) {
            const files = await writePeerInput(input, hole, work);
            const t = await opencvInpaint(python, files, work, repeats);
            methods["opencv-telea"] = measure(t.telea, truth, hole, box, t.teleaMs, t.teleaCpuMs);
            methods["opencv-ns"] = measure(t.ns, truth, hole, box, t.nsMs, t.nsCpuMs);
            sheet.push({ label: "telea", image: t.telea }, { label: "navier-stokes", image: t.ns });
          }
          sheet.push({ label: "truth", image: truth });
          rows.push(await sheetRow(sheet, box));
          results.push({
            holes: holeSize,
            half: c < Math.ceil(options.cases / 2) ? "tune" : "held-out",
            holePixels: holeCount,
            size,
            photo: name,
            kind,
            width: W,
            height: H,
            holeFraction: holeCount / (W * H),
            methods,
            stages: rep.timings,
          });
          progress.tick(`${holeSize} ${size} ${name} ${kind}`);
        }
      }
    }
  } finally {
    progress.stop();
    await network?.close();
    await pool?.close();
  }
  log("measuring peak memory on 4096×4096");
  const memory = await peakMemory4k(photos[1], work, options.seed);
  await fs.rm(work, { recursive: true, force: true });

  const md = report(results, memory, options);
  await fs.writeFile(path.join(options.outDir, "report.md"), md);
  await fs.writeFile(path.join(options.outDir, "results.json"), JSON.stringify({ options, results, memory }, null, 1));
  await plotFillTimes(results, path.join(options.outDir, "fill-time.png"));
  const sheetW = Math.max(...rows.map((r) => r.width));
  await sharp({ create: { width: sheetW, height: rows.length * (TILE_H + 6), channels: 3, background: "#101010" } })
    .composite(rows.map((r, i) => ({ input: r.buffer, left: 0, top: i * (TILE_H + 6) })))
    .png()
    .toFile(path.join(options.outDir, "contact-sheet.png"));
  process.stdout.write(md);
  log(`wrote ${path.join(options.outDir, "report.md")}, fill-time.png and contact-sheet.png`);
}
