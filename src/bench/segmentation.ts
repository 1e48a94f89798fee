/**
 * `vanish bench --segmentation`: the tap-to-select engines on objects with
 * known masks. Two kinds of case:
 * - silhouettes: textured shapes (person, blob, pole with a sign) composited
 *   onto the benchmark photos at 1024 px (objects.ts);
 * - real edges: objects whose masks come from real photos (real-objects.ts:
 *   the opencv-doc alphamat plant and sign words as photographed; the plant
 *   and a fur-filled horse pasted onto the photos closest to them in colour).
 * Every other case of each kind (in a fixed order) is held out: parameters
 * are tuned on the even half only, and both halves are reported, for each
 * engine. Clicks follow the RITM protocol (clicks.ts). Reported: mIoU after
 * 1, 3 and 5 clicks, NoC@85 / NoC@90 (20 when never reached, up to 20
 * clicks), per-tap latency after prepare, and prepare and tap time on a
 * 12-megapixel photo.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { RgbaImage } from "../core/image.js";
import type { BuiltinSegmenterOptions } from "../core/segmentation/builtin.js";
import type { SegmentPoint } from "../core/segmentation/prompt.js";
import type { SegmentEngineName } from "../core/segmentation/segmenter.js";
import { Segmenter } from "../node/segmenter.js";
import { Progress } from "../terminal/progress.js";
import { clicksToReach, iou, nextClick } from "./clicks.js";
import { compositeObject, OBJECT_SHAPES, objectSilhouette } from "./objects.js";
import { decodeFitted, ensurePhotos } from "./photos.js";
import { realObjectCases, type SegmentationCase } from "./real-objects.js";
import { median } from "./stats.js";

const MAX_CLICKS = 20;

export interface SegmentationBenchOptions {
  /** Silhouette cases (the real-edge cases are always all included). */
  cases: number;
  outDir: string;
  cacheDir: string;
  /** Engines to measure (default sam and builtin). */
  engines?: readonly Exclude<SegmentEngineName, "auto">[];
  /** Options of the built-in engine (defaults when absent), for tuning. */
  builtin?: BuiltinSegmenterOptions;
}

interface Case extends SegmentationCase {
  kind: "silhouette" | "real";
  heldOut: boolean;
}

interface CaseResult {
  name: string;
  kind: Case["kind"];
  heldOut: boolean;
  engine: string;
  ious: number[];
}

/** Every other case of each kind, in order, is held out (never tuned on). */
export function heldOut(cases: readonly { kind: string }[], index: number): boolean {
  let rank = 0;
  for (let i = 0; i < index; i++) if (cases[i].kind === cases[index].kind) rank++;
  return rank % 2 === 1;
}

function fmt(v: number, d = 3): string {
  return v.toFixed(d);
}

export async function silhouetteCases(count: number, photos: string[]): Promise<SegmentationCase[]> {
  const cases: SegmentationCase[] = [];
  for (let c = 0; c < count; c++) {
    const background = await decodeFitted(photos[c % photos.length], 1024);
    const texture = await decodeFitted(photos[(c + 5) % photos.length], { width: background.width, height: background.height });
    const shape = OBJECT_SHAPES[c % OBJECT_SHAPES.length];
    const truth = objectSilhouette(shape, background.width, background.height, 1000 + c);
    const photo = photos[c % photos.length];
    const photoName = path.basename(photo.includes("/contents/") ? photo.split("/contents/")[0] : photo, ".jpg");
    cases.push({ name: `${photoName} ${shape}`, image: compositeObject(background, texture, truth), truth });
  }
  return cases;
}

/** RITM clicks on one case; returns the IoU after each click and the tap latencies. */
async function simulate(seg: Segmenter, k: Case, taps: number[]): Promise<number[]> {
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
  return ious;
}

/** prepare and tap latency on a 12-megapixel photo (4240 × 2832, Lanczos upscale of a bench photo). */
async function timeAt12MP(big: RgbaImage, engine: Exclude<SegmentEngineName, "auto">, builtin?: BuiltinSegmenterOptions) {
  const seg = await Segmenter.create({ engine, builtin });
  await seg.engine.prepare({ width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4) }); // loads models, warms up
  const t0 = performance.now();
  await seg.prepare(big);
  const prepare = performance.now() - t0;
  const taps: number[] = [];
  const tapCpu: number[] = [];
  const previews: number[] = [];
  const points: SegmentPoint[] = [{ x: 2100, y: 1500, label: 1 }];
  for (let i = 0; i < 5; i++) {
    const t1 = performance.now();
    await seg.preview({ points });
    previews.push(performance.now() - t1);
    const c2 = process.cpuUsage();
    const t2 = performance.now();
    await seg.segment({ points });
    taps.push(performance.now() - t2);
    const c = process.cpuUsage(c2);
    tapCpu.push((c.user + c.system) / 1000);
    points.push({ x: 400 + 600 * i, y: 300, label: 0 });
  }
  seg.close();
  return { prepare, tap: median(taps), tapCpu: median(tapCpu), preview: median(previews) };
}

export async function runSegmentationBench(options: SegmentationBenchOptions): Promise<string> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  await fs.mkdir(options.outDir, { recursive: true });
  const photos = await ensurePhotos(options.cacheDir, log);
  const raw: (SegmentationCase & { kind: Case["kind"] })[] = [
    ...(await silhouetteCases(options.cases, photos)).map((c) => ({ ...c, kind: "silhouette" as const })),
    ...(await realObjectCases(options.cacheDir, photos, log)).map((c) => ({ ...c, kind: "real" as const })),
  ];
  const cases: Case[] = raw.map((c, i) => ({ ...c, heldOut: heldOut(raw, i) }));
  const engines = options.engines ?? (["sam", "builtin"] as const);

  const results: CaseResult[] = [];
  const taps = new Map<string, number[]>();
  const progress = new Progress(cases.length * engines.length, "segmentation");
  for (const engine of engines) {
    const seg = await Segmenter.create({ engine, builtin: options.builtin });
    const engineTaps: number[] = [];
    taps.set(engine, engineTaps);
    for (const k of cases) {
      progress.note(`${engine}: ${k.name}`);
      await seg.prepare(k.image);
      results.push({ name: k.name, kind: k.kind, heldOut: k.heldOut, engine, ious: await simulate(seg, k, engineTaps) });
      progress.tick(k.name);
    }
    seg.close();
  }
  progress.stop();

  const big = await decodeFitted(photos[0], { width: 4240, height: 2832 });
  const timing = new Map<string, Awaited<ReturnType<typeof timeAt12MP>>>();
  for (const engine of engines) timing.set(engine, await timeAt12MP(big, engine, options.builtin));

  const summary = (rs: CaseResult[]) => {
    const mean = (k: number) => rs.reduce((s, c) => s + c.ious[k], 0) / rs.length;
    const noc = (t: number) => rs.reduce((s, c) => s + clicksToReach(c.ious, t, MAX_CLICKS), 0) / rs.length;
    return `${rs.length} | ${fmt(mean(0))} | ${fmt(mean(2))} | ${fmt(mean(4))} | ${fmt(noc(0.85), 2)} | ${fmt(noc(0.9), 2)}`;
  };
  const halves = [
    { label: "held-out", pick: (r: CaseResult) => r.heldOut },
    { label: "tuning", pick: (r: CaseResult) => !r.heldOut },
  ];
  const lines = ["| engine | half | cases | mIoU@1 | mIoU@3 | mIoU@5 | NoC@85 | NoC@90 |", "|---|---|---|---|---|---|---|---|"];
  for (const engine of engines) {
    for (const h of halves) lines.push(`| ${engine} | ${h.label} | ${summary(results.filter((r) => r.engine === engine && h.pick(r)))} |`);
  }
  const kinds = ["| engine | half | kind | cases | mIoU@1 | mIoU@3 | mIoU@5 | NoC@85 | NoC@90 |", "|---|---|---|---|---|---|---|---|---|"];
  for (const engine of engines) {
    for (const h of halves) {
      for (const kind of ["real", "silhouette"] as const) {
        const rs = results.filter((r) => r.engine === engine && h.pick(r) && r.kind === kind);
        if (rs.length > 0) kinds.push(`| ${engine} | ${h.label} | ${kind} | ${summary(rs)} |`);
      }
    }
  }
  const speed = [
    "| engine | tap ms (median / p95, 1024 px) | prepare ms (12 MP) | tap ms (12 MP, median: preview / full mask) | full-mask tap CPU ms (12 MP, all threads) |",
    "|---|---|---|---|---|",
  ];
  for (const engine of engines) {
    const t = taps.get(engine) ?? [];
    const sorted = [...t].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
    const big12 = timing.get(engine);
    speed.push(
      `| ${engine} | ${fmt(median(t), 0)} / ${fmt(p95, 0)} | ${fmt(big12?.prepare ?? 0, 0)} | ${fmt(big12?.preview ?? 0, 0)} / ${fmt(big12?.tap ?? 0, 0)} | ${fmt(big12?.tapCpu ?? 0, 0)} |`,
    );
  }
  const detail = ["", "| case | kind | half | engine | IoU after 1 / 3 / 5 / 10 clicks | NoC@85 |", "|---|---|---|---|---|---|"];
  for (const c of results) {
    detail.push(
      `| ${c.name} | ${c.kind} | ${c.heldOut ? "held-out" : "tuning"} | ${c.engine} | ${[0, 2, 4, 9].map((k) => fmt(c.ious[k], 2)).join(" / ")} | ${clicksToReach(c.ious, 0.85, MAX_CLICKS)} |`,
    );
  }
  const report = [
    "# Vanish segmentation benchmark",
    "",
    "Objects with known masks: textured silhouettes composited onto the benchmark photos at 1024 px, and objects with real edges (opencv-doc's alphamat plant and sign words as photographed; the plant and a fur-filled horse pasted onto the photos closest to them in colour). Every other case is held out (never tuned on). Clicks simulated by the RITM protocol.",
    "",
    ...lines,
    "",
    ...kinds,
    "",
    ...speed,
    ...detail,
    "",
  ].join("\n");
  await fs.writeFile(path.join(options.outDir, "segmentation.md"), report);
  await fs.writeFile(
    path.join(options.outDir, "segmentation.json"),
    JSON.stringify({ results, taps: Object.fromEntries(taps), timing: Object.fromEntries(timing) }, null, 1),
  );
  process.stdout.write(`${[...lines, "", ...kinds, "", ...speed].join("\n")}\n`);
  return report;
}
