/**
 * `vanish bench --reference`: reference-guided erase on real pairs of photos
 * of one scene from Debian's opencv-doc examples. The pairs cover stereo
 * parallax, a strong change of viewpoint, a step aside with other light,
 * consecutive video frames, and two frames 6 s apart of a video of people
 * walking (decoded with OpenCV for Python when it is installed).
 *
 * In each case a textured object (a person or a blob, see objects.ts, with
 * its texture from the wallpaper photos) is composited onto the first photo.
 * The removal mask is that silhouette grown as the product grows it, and the
 * ground truth is the first photo itself. Reported per pair: PSNR inside the
 * hole's box with and without the reference, the share of the hole restored
 * from the reference, and the alignment time.
 *
 * Two controls:
 *   - an unrelated reference (another pair's photo) must never do worse than
 *     no reference;
 *   - the same object pasted at the same place in the reference (the person
 *     did not move) must not be copied back.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { type RgbaImage, VanishError } from "../core/image.js";
import { eraseWithReport } from "../core/inpaint/erase.js";
import { holeBounds } from "../core/mask.js";
import { removalMask } from "../core/segmentation/removal-mask.js";
import { Progress } from "../terminal/progress.js";
import { derivedFolder } from "./cache.js";
import { psnr } from "./metrics.js";
import { compositeObject, type ObjectShape, objectSilhouette } from "./objects.js";
import { ensureOpenCvDoc } from "./opencv-doc.js";
import { findOpenCvPython, videoFrame } from "./opencv-python.js";
import { decodeFitted, ensurePhotos } from "./photos.js";
import { median } from "./stats.js";

export interface ReferenceBenchOptions {
  outDir: string;
  cacheDir: string;
  /** Objects per pair. Default 4. */
  cases?: number;
  seed?: number;
}

interface Pair {
  name: string;
  /** Files in opencv-doc's data folder, or frames of one of its videos. */
  target: string | VideoFrame;
  reference: string | VideoFrame;
  /** The camera does not move, so an object pasted at the same pixels of the reference stands at the same place in the scene. */
  still: boolean;
}

interface VideoFrame {
  video: string;
  frame: number;
}

const PAIRS: readonly Pair[] = [
  { name: "aloe (stereo parallax)", target: "aloeL.jpg", reference: "aloeR.jpg", still: false },
  { name: "graffiti (viewpoint change)", target: "graf1.png", reference: "graf3.png", still: false },
  { name: "Leuven (step aside, other exposure)", target: "leuvenA.jpg", reference: "leuvenB.jpg", still: false },
  { name: "rubber whale (video frames)", target: "rubberwhale1.png", reference: "rubberwhale2.png", still: true },
  { name: "basketball (video frames)", target: "basketball1.png", reference: "basketball2.png", still: false },
  { name: "Suzanne (camera moved)", target: "Blender_Suzanne1.jpg", reference: "Blender_Suzanne2.jpg", still: false },
  // People walking across a square (10 frames per second): the same place 6 s later, others in other spots.
  {
    name: "pedestrians (video, 6 s later)",
    target: { video: "vtest.avi", frame: 100 },
    reference: { video: "vtest.avi", frame: 160 },
    still: true,
  },
];

interface CaseResult {
  pair: string;
  object: string;
  kind: "same scene" | "unrelated" | "object in reference";
  psnrWithout: number;
  psnrWith: number;
  used: boolean;
  filledFraction: number;
  alignment: string;
  alignMs: number;
  eraseMs: number;
}

export async function runReferenceBench(options: ReferenceBenchOptions): Promise<string> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const examples = await ensureOpenCvDoc(options.cacheDir, log);
  if (examples === null)
    throw new VanishError("UNREADABLE", "The reference benchmark needs Debian's opencv-doc package (apt-get download opencv-doc).");
  const photos = await ensurePhotos(options.cacheDir, log);
  // Video frames need OpenCV's decoder; without it those pairs are left out.
  const python = await findOpenCvPython();
  const pairs = PAIRS.filter((p) => python !== null || (typeof p.target === "string" && typeof p.reference === "string"));
  if (pairs.length < PAIRS.length) log("OpenCV for Python not found; the video pairs are skipped (apt-get install python3-opencv)");
  const framesDir = await derivedFolder(options.cacheDir, "video-frames");
  const file = async (f: string | VideoFrame) =>
    typeof f === "string"
      ? path.join(examples, "data", f)
      : videoFrame(python as string, path.join(examples, "data", f.video), f.frame, framesDir);
  const perPair = options.cases ?? 4;
  const seed = options.seed ?? 7;
  await fs.mkdir(options.outDir, { recursive: true });
  const results: CaseResult[] = [];
  const sheet: Buffer[] = [];
  const stillControls = 3;
  const total = pairs.reduce((n, p) => n + perPair + 1 + (p.still ? stillControls : 0), 0);
  const progress = new Progress(total, "reference bench");
  for (let p = 0; p < pairs.length; p++) {
    const pair = pairs[p];
    const truth = await decodeFitted(await file(pair.target), null);
    const reference = await decodeFitted(await file(pair.reference), null);
    const other = await decodeFitted(await file(pairs[(p + 1) % pairs.length].reference), null);
    const texture = await decodeFitted(photos[p % photos.length], { width: truth.width, height: truth.height });
    for (let k = 0; k < perPair + 1 + (pair.still ? stillControls : 0); k++) {
      const shape: ObjectShape = k % 2 === 0 ? "person" : "blob";
      const objectSeed = seed + 100 * p + k;
      const silhouette = objectSilhouette(shape, truth.width, truth.height, objectSeed);
      const photo = compositeObject(truth, texture, silhouette);
      const mask = removalMask({ width: truth.width, height: truth.height, data: silhouette }).mask;
      const box = holeBounds(mask.data, mask.width, mask.height);
      if (box === null) continue;
      const kind: CaseResult["kind"] = k < perPair ? "same scene" : k === perPair ? "unrelated" : "object in reference";
      // The sheet shows the first case of each pair.
      const ref = kind === "same scene" ? reference : kind === "unrelated" ? other : compositeObject(reference, texture, silhouette);
      const without = await eraseWithReport(photo, mask, { seed });
      const withRef = await eraseWithReport(photo, mask, { seed, reference: ref });
      const r = withRef.reference;
      results.push({
        pair: pair.name,
        object: `${shape} ${objectSeed}`,
        kind,
        psnrWithout: psnr(without.image, truth, box),
        psnrWith: psnr(withRef.image, truth, box),
        used: r?.used ?? false,
        filledFraction: r?.filledFraction ?? 0,
        alignment: r?.alignment ?? "none",
        alignMs: withRef.timings.alignMs,
        eraseMs: withRef.timings.totalMs,
      });
      if (k === 0) sheet.push(await sheetRow([photo, without.image, withRef.image, reference, truth]));
      progress.tick(`${pair.name}: ${kind}`);
    }
  }
  progress.stop();
  const report = formatReport(results);
  await fs.writeFile(path.join(options.outDir, "reference.md"), report);
  await fs.writeFile(path.join(options.outDir, "reference.json"), JSON.stringify(results, null, 1));
  await writeSheet(sheet, path.join(options.outDir, "reference-sheet.png"));
  process.stdout.write(report);
  return report;
}

function formatReport(results: CaseResult[]): string {
  const f = (v: number, d = 2) => v.toFixed(d);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const same = results.filter((r) => r.kind === "same scene");
  const unrelated = results.filter((r) => r.kind === "unrelated");
  const stale = results.filter((r) => r.kind === "object in reference");
  const lines = [
    "# Vanish reference-guided erase benchmark",
    "",
    "Pairs of photos of one scene from Debian's opencv-doc examples; a textured object is pasted onto the first photo, its grown silhouette is the mask, and the first photo is the ground truth. PSNR (dB) inside the hole's box.",
    "",
    "| pair | cases | PSNR without reference | PSNR with reference | gain | restored from reference | alignment median |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const name of [...new Set(same.map((r) => r.pair))]) {
    const rs = same.filter((r) => r.pair === name);
    lines.push(
      `| ${name} | ${rs.length} | ${f(mean(rs.map((r) => r.psnrWithout)))} | ${f(mean(rs.map((r) => r.psnrWith)))} | ${f(mean(rs.map((r) => r.psnrWith - r.psnrWithout)))} | ${f(100 * mean(rs.map((r) => r.filledFraction)), 0)}% | ${f(median(rs.map((r) => r.alignMs)), 0)} ms |`,
    );
  }
  const gain = mean(same.map((r) => r.psnrWith - r.psnrWithout));
  lines.push(
    `| **all** | ${same.length} | ${f(mean(same.map((r) => r.psnrWithout)))} | ${f(mean(same.map((r) => r.psnrWith)))} | **${f(gain)}** | ${f(100 * mean(same.map((r) => r.filledFraction)), 0)}% | ${f(median(same.map((r) => r.alignMs)), 0)} ms |`,
    "",
    "| control | cases | reference used | worst PSNR change | mean PSNR change |",
    "|---|---|---|---|---|",
  );
  for (const [name, rs] of [
    ["unrelated reference", unrelated],
    ["object also in the reference", stale],
  ] as const) {
    const d = rs.map((r) => r.psnrWith - r.psnrWithout);
    lines.push(`| ${name} | ${rs.length} | ${rs.filter((r) => r.used).length} | ${f(Math.min(...d))} | ${f(mean(d))} |`);
  }
  lines.push("", `Erase with a reference, median total: ${f(median(same.map((r) => r.eraseMs)), 0)} ms (alignment included).`, "");
  return lines.join("\n");
}

const ROW_HEIGHT = 240;

async function sheetRow(images: RgbaImage[]): Promise<Buffer> {
  const tiles = await Promise.all(
    images.map((im) =>
      sharp(Buffer.from(im.data.buffer, im.data.byteOffset, im.data.length), { raw: { width: im.width, height: im.height, channels: 4 } })
        .resize({ height: ROW_HEIGHT })
        .png()
        .toBuffer({ resolveWithObject: true }),
    ),
  );
  const width = tiles.reduce((a, t) => a + t.info.width, 0);
  let left = 0;
  return sharp({ create: { width, height: ROW_HEIGHT, channels: 3, background: "#000" } })
    .composite(
      tiles.map((t) => {
        const o = { input: t.data, left, top: 0 };
        left += t.info.width;
        return o;
      }),
    )
    .png()
    .toBuffer();
}

/** Rows: photo with the object, erased without the reference, with it, the reference, the truth. */
async function writeSheet(rows: Buffer[], file: string): Promise<void> {
  if (rows.length === 0) return;
  const metas = await Promise.all(rows.map((r) => sharp(r).metadata()));
  const width = Math.max(...metas.map((m) => m.width ?? 0));
  await sharp({ create: { width, height: ROW_HEIGHT * rows.length, channels: 3, background: "#000" } })
    .composite(rows.map((input, i) => ({ input, left: 0, top: i * ROW_HEIGHT })))
    .png()
    .toFile(file);
}
