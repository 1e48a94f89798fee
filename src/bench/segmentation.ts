/**
 * `vanish bench --segmentation`: the tap-to-select engine on objects with
 * known masks. Cases: textured silhouettes (person, blob, pole with a sign)
 * composited onto the benchmark photos at 1024 px (see objects.ts), plus the
 * plant with its ground-truth matte from Debian's opencv-doc alphamat example
 * (matte ≥ 128). Clicks follow the RITM protocol (clicks.ts). Reported:
 * mIoU after 1, 3 and 5 clicks, NoC@85 / NoC@90 (20 when never reached, up to
 * 20 clicks), per-tap latency after prepare, and prepare time on a
 * 12-megapixel photo.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import type { RgbaImage } from "../core/image.js";
import type { BuiltinSegmenterOptions } from "../core/segmentation/builtin.js";
import type { SegmentPoint } from "../core/segmentation/prompt.js";
import { Segmenter } from "../core/segmentation/segmenter.js";
import { Progress } from "../terminal/progress.js";
import { clicksToReach, iou, nextClick } from "./clicks.js";
import { compositeObject, OBJECT_SHAPES, objectSilhouette } from "./objects.js";
import { ensureOpenCvDoc } from "./opencv-doc.js";
import { decodeFitted, ensurePhotos } from "./photos.js";
import { median } from "./stats.js";

const MAX_CLICKS = 20;

export interface SegmentationBenchOptions {
  cases: number;
  outDir: string;
  cacheDir: string;
  /** Options of the built-in engine (defaults when absent), for tuning. */
  builtin?: BuiltinSegmenterOptions;
}

interface Case {
  name: string;
  image: RgbaImage;
  truth: Uint8Array;
}

/** The alphamat plant and its matte from opencv-doc (downloaded once), or null when apt-get cannot fetch it. */
async function plantCase(cacheDir: string, log: (line: string) => void): Promise<Case | null> {
  const examples = await ensureOpenCvDoc(cacheDir, log);
  if (examples === null) {
    log("the plant case is skipped");
    return null;
  }
  const img = await decodeFitted(path.join(examples, "alphamat/input_images/plant.jpg"), null);
  const { data, info } = await sharp(path.join(examples, "alphamat/output_mattes/plant_result.png"))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const truth = new Uint8Array(info.width * info.height);
  for (let i = 0; i < truth.length; i++) truth[i] = data[i] >= 128 ? 1 : 0;
  return { name: "alphamat plant", image: img, truth };
}

function fmt(v: number, d = 3): string {
  return v.toFixed(d);
}

export async function runSegmentationBench(options: SegmentationBenchOptions): Promise<string> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  await fs.mkdir(options.outDir, { recursive: true });
  const photos = await ensurePhotos(options.cacheDir, log);
  const cases: Case[] = [];
  for (let c = 0; c < options.cases; c++) {
    const background = await decodeFitted(photos[c % photos.length], 1024);
    const texture = await decodeFitted(photos[(c + 5) % photos.length], { width: background.width, height: background.height });
    const shape = OBJECT_SHAPES[c % OBJECT_SHAPES.length];
    const truth = objectSilhouette(shape, background.width, background.height, 1000 + c);
    const photo = photos[c % photos.length];
    const photoName = path.basename(photo.includes("/contents/") ? photo.split("/contents/")[0] : photo, ".jpg");
    cases.push({ name: `${photoName} ${shape}`, image: compositeObject(background, texture, truth), truth });
  }
  const plant = await plantCase(options.cacheDir, log);
  if (plant) cases.push(plant);

  const perCase: { name: string; ious: number[] }[] = [];
  const taps: number[] = [];
  const progress = new Progress(cases.length, "segmentation");
  for (const k of cases) {
    progress.note(k.name);
    const seg = await Segmenter.create({ engine: "builtin", builtin: options.builtin });
    await seg.prepare(k.image);
    const points: SegmentPoint[] = [];
    const ious: number[] = [];
    let pred: Uint8Array | null = null;
    for (let click = 0; click < MAX_CLICKS; click++) {
      const p = nextClick(pred, k.truth, k.image.width, k.image.height);
      if (!p) {
        ious.push(1);
        continue;
      }
      points.push(p);
      const t0 = performance.now();
      const r = await seg.segment({ points });
      taps.push(performance.now() - t0);
      pred = r.mask.data;
      ious.push(iou(pred, k.truth));
    }
    seg.close();
    perCase.push({ name: k.name, ious });
    progress.tick(k.name);
  }
  progress.stop();

  // prepare and tap latency on a 12-megapixel photo (4240 × 2832, Lanczos upscale of a bench photo).
  const big = await decodeFitted(photos[0], { width: 4240, height: 2832 });
  const seg = await Segmenter.create({ engine: "builtin", builtin: options.builtin });
  const t0 = performance.now();
  await seg.prepare(big);
  const prepare12 = performance.now() - t0;
  const bigTaps: number[] = [];
  const bigPreviews: number[] = [];
  const bigPoints: SegmentPoint[] = [{ x: 2100, y: 1500, label: 1 }];
  for (let i = 0; i < 5; i++) {
    const t1 = performance.now();
    await seg.preview({ points: bigPoints });
    bigPreviews.push(performance.now() - t1);
    const t2 = performance.now();
    await seg.segment({ points: bigPoints });
    bigTaps.push(performance.now() - t2);
    bigPoints.push({ x: 400 + 600 * i, y: 300, label: 0 });
  }
  seg.close();

  const mean = (k: number) => perCase.reduce((s, c) => s + c.ious[k], 0) / perCase.length;
  const noc = (t: number) => perCase.reduce((s, c) => s + clicksToReach(c.ious, t, MAX_CLICKS), 0) / perCase.length;
  const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.95))];
  const lines = [
    `| engine | cases | mIoU@1 | mIoU@3 | mIoU@5 | NoC@85 | NoC@90 | tap ms (median / p95, 1024 px) | prepare ms (12 MP) | tap ms (12 MP, median: preview / full mask) |`,
    "|---|---|---|---|---|---|---|---|---|---|",
    `| builtin | ${perCase.length} | ${fmt(mean(0))} | ${fmt(mean(2))} | ${fmt(mean(4))} | ${fmt(noc(0.85), 2)} | ${fmt(noc(0.9), 2)} | ${fmt(median(taps), 0)} / ${fmt(p95(taps), 0)} | ${fmt(prepare12, 0)} | ${fmt(median(bigPreviews), 0)} / ${fmt(median(bigTaps), 0)} |`,
  ];
  const detail = ["", "| case | IoU after 1 / 3 / 5 / 10 clicks | NoC@85 |", "|---|---|---|"];
  for (const c of perCase) {
    detail.push(`| ${c.name} | ${[0, 2, 4, 9].map((k) => fmt(c.ious[k], 2)).join(" / ")} | ${clicksToReach(c.ious, 0.85, MAX_CLICKS)} |`);
  }
  const report = [
    "# Vanish segmentation benchmark",
    "",
    "Objects with known masks (textured silhouettes composited onto the benchmark photos at 1024 px, and the opencv-doc alphamat plant); clicks simulated by the RITM protocol.",
    "",
    ...lines,
    ...detail,
    "",
  ].join("\n");
  await fs.writeFile(path.join(options.outDir, "segmentation.md"), report);
  await fs.writeFile(path.join(options.outDir, "segmentation.json"), JSON.stringify({ perCase, taps, prepare12, bigTaps }, null, 1));
  process.stdout.write(`${lines.join("\n")}\n`);
  return report;
}
