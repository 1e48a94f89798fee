/**
 * `vanish bench --structure`: holes crossed by structure. Real photos from the
 * bench's sources (Debian's wallpapers, opencv-doc's examples, scikit-image's
 * data) with an object-shaped hole placed by hand where something continues
 * through it: cables and towers, horizons and shorelines, building and table
 * edges, planks, a lattice fence. Measured per size with lineR and edgeF
 * (structure-metrics.ts) beside PSNR, SSIM and the gradient ratio; the cases
 * alternate between a tuning half and a held-out half that is only reported.
 * Beside Vanish with and without the step, the peers the structure issue
 * measured (peers.ts): G'MIC's patch-based inpainting, whose fill order
 * follows isophotes, and OpenCV's Telea; each is skipped where its program is
 * missing, or with `--no-peers`.
 * Writes report.md, results.json and a contact sheet (input / results / truth).
 */
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Rect, RgbaImage } from "../core/image.js";
import { type EraseOptions, eraseWithReport } from "../core/inpaint/erase.js";
import { holeBounds } from "../core/mask.js";
import { sharp } from "../node/sharp.js";
import { Progress } from "../terminal/progress.js";
import { labelledTiles } from "./contact-sheet.js";
import { stampDisc, stampEllipse, stampLine } from "./masks.js";
import { gradientEnergyRatio, psnr, ssim } from "./metrics.js";
import { ensureOpenCvDoc } from "./opencv-doc.js";
import { findOpenCvPython } from "./opencv-python.js";
import { findGmic, gmicInpaint, opencvInpaint, writePeerInput } from "./peers.js";
import { decodeFitted, ensurePhotos, ensureSkimageData, photoRoot } from "./photos.js";
import { median } from "./stats.js";
import { type StructureScores, structureScores } from "./structure-metrics.js";

type Shape = "person" | "ellipse" | "box";

/** A case: a photo and a hole of `shape` inscribed in `rect` (fractions of the photo's width and height). */
export interface StructureCase {
  name: string;
  /** What crosses the hole. */
  structure: string;
  source: "wallpapers" | "opencv-doc" | "skimage";
  file: string;
  shape: Shape;
  rect: [number, number, number, number];
}

const WALL = "usr/share/wallpapers";
const MATE = "usr/share/backgrounds/mate/nature";

/** Fixed list; even indices are the tuning half, odd ones the held-out half. */
export const STRUCTURE_CASES: readonly StructureCase[] = [
  {
    name: "dock",
    structure: "planks (diagonal lines)",
    source: "wallpapers",
    file: `${WALL}/BytheWater/contents/images/2560x1600.jpg`,
    shape: "person",
    rect: [0.4, 0.4, 0.55, 1],
  },
  {
    name: "pier",
    structure: "pier edges (horizontal)",
    source: "wallpapers",
    file: `${WALL}/ColdRipple/contents/images/2560x1600.jpg`,
    shape: "ellipse",
    rect: [0.55, 0.42, 0.72, 0.68],
  },
  {
    name: "lake-horizon",
    structure: "horizon",
    source: "wallpapers",
    file: `${WALL}/summer_1am/contents/images/2560x1600.jpg`,
    shape: "person",
    rect: [0.4, 0.45, 0.52, 1],
  },
  {
    name: "shore",
    structure: "far shore, horizon",
    source: "wallpapers",
    file: `${WALL}/EveningGlow/contents/images/2560x1600.jpg`,
    shape: "person",
    rect: [0.82, 0.15, 0.92, 0.55],
  },
  {
    name: "facade",
    structure: "building floors (lines)",
    source: "opencv-doc",
    file: "building.jpg",
    shape: "person",
    rect: [0.45, 0.05, 0.6, 0.65],
  },
  {
    name: "road",
    structure: "horizon, road lines",
    source: "wallpapers",
    file: `${MATE}/Storm.jpg`,
    shape: "ellipse",
    rect: [0.4, 0.55, 0.6, 0.85],
  },
  {
    name: "curves",
    structure: "curved bands",
    source: "wallpapers",
    file: `${WALL}/Grey/contents/images/2560x1600.jpg`,
    shape: "ellipse",
    rect: [0.35, 0.35, 0.6, 0.65],
  },
  {
    name: "roofs",
    structure: "roof and wall edges",
    source: "opencv-doc",
    file: "leuvenA.jpg",
    shape: "ellipse",
    rect: [0.55, 0.2, 0.75, 0.45],
  },
  {
    name: "trunks",
    structure: "tree trunks (vertical)",
    source: "wallpapers",
    file: `${WALL}/Path/contents/images/2560x1600.jpg`,
    shape: "ellipse",
    rect: [0.15, 0.25, 0.3, 0.55],
  },
  {
    name: "lattice",
    structure: "lattice fence",
    source: "opencv-doc",
    file: "rubberwhale1.png",
    shape: "box",
    rect: [0.15, 0.05, 0.35, 0.35],
  },
  { name: "grain", structure: "wood grain", source: "wallpapers", file: `${MATE}/Wood.jpg`, shape: "ellipse", rect: [0.4, 0.3, 0.65, 0.6] },
  {
    name: "skyline",
    structure: "field and sky border",
    source: "skimage",
    file: "camera.png",
    shape: "ellipse",
    rect: [0.72, 0.38, 0.95, 0.55],
  },
  {
    name: "saucer",
    structure: "saucer rim (curve)",
    source: "skimage",
    file: "coffee.png",
    shape: "ellipse",
    rect: [0.05, 0.55, 0.25, 0.9],
  },
  {
    name: "sea",
    structure: "sea horizon behind grass",
    source: "wallpapers",
    file: `${MATE}/Dune.jpg`,
    shape: "ellipse",
    rect: [0.55, 0.2, 0.75, 0.6],
  },
  {
    name: "tower",
    structure: "launch tower (cables, struts)",
    source: "skimage",
    file: "rocket.jpg",
    shape: "person",
    rect: [0.62, 0.35, 0.78, 0.8],
  },
  { name: "cornice", structure: "cornice lines", source: "opencv-doc", file: "home.jpg", shape: "ellipse", rect: [0.25, 0.55, 0.45, 0.8] },
  {
    name: "doorframe",
    structure: "door frame and wall edges",
    source: "opencv-doc",
    file: "basketball1.png",
    shape: "ellipse",
    rect: [0.24, 0.5, 0.44, 0.92],
  },
];

export interface StructureBenchOptions {
  sizes: number[];
  outDir: string;
  cacheDir: string;
  seed: number;
  /** The structure step's line segments from this instead of LSD (`EraseOptions.findLines`: M-LSD with `--lines mlsd`). */
  findLines?: EraseOptions["findLines"];
  /** Which line source that is, for the report. */
  lines?: string;
  /** Also run the peers (G'MIC, OpenCV's Telea) where their programs are installed. Default true. */
  peers?: boolean;
}

/** With structure propagation (the default), and with it turned off: the step's own effect, under the same load. */
const METHODS = ["vanish", "no-structure"] as const;
/** The peers, each in its own process (peers.ts); their time is not the fill's alone, so it is not reported. */
const PEERS = ["gmic", "opencv-telea"] as const;
type Method = (typeof METHODS)[number] | (typeof PEERS)[number];

interface StructureResult extends StructureScores {
  name: string;
  half: "tuning" | "held-out";
  size: number;
  method: Method;
  /** Time of the structure step alone (0 when off). */
  structureMs: number;
  psnr: number;
  ssim: number;
  gradientRatio: number;
  fillMs: number;
}

/** The hole of a case for a w×h image: 1 = hole. */
export function structureCaseMask(c: StructureCase, w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  const [fx0, fy0, fx1, fy1] = c.rect;
  const x0 = fx0 * w;
  const y0 = fy0 * h;
  const x1 = fx1 * w;
  const y1 = fy1 * h;
  if (c.shape === "box") {
    for (let y = Math.round(y0); y < Math.round(y1); y++) m.fill(1, y * w + Math.round(x0), y * w + Math.round(x1));
  } else if (c.shape === "ellipse") {
    stampEllipse(m, w, h, (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2);
  } else {
    // A standing person filling the box: head, torso, two legs, an arm.
    const height = y1 - y0;
    const cx = (x0 + x1) / 2;
    const foot = y1 - 1;
    const head = height * 0.13;
    stampDisc(m, w, h, cx, foot - height + head, head * 0.8);
    stampEllipse(m, w, h, cx, foot - height * 0.58, Math.min(height * 0.14, (x1 - x0) / 2), height * 0.24);
    stampLine(m, w, h, cx - height * 0.05, foot - height * 0.4, cx - height * 0.07, foot, height * 0.09);
    stampLine(m, w, h, cx + height * 0.05, foot - height * 0.4, cx + height * 0.08, foot, height * 0.09);
    stampLine(m, w, h, cx - height * 0.12, foot - height * 0.75, cx - height * 0.2, foot - height * 0.42, height * 0.06);
  }
  return m;
}

const TILE_H = 200;

/** input / result / truth crops around the hole, side by side, labelled. */
async function sheetRow(label: string, images: { label: string; image: RgbaImage }[], box: Rect): Promise<Buffer> {
  const { tiles, tileWidth: tileW } = await labelledTiles(images, box, { height: TILE_H, pad: 0.25, minWidth: 80, fontSize: 12 });
  const width = 170 + (tileW + 4) * images.length;
  const caption = Buffer.from(
    `<svg width="170" height="${TILE_H}"><text x="6" y="20" font-family="sans-serif" font-size="13" fill="white">${label
      .split("\n")
      .map((line, i) => `<tspan x="6" dy="${i === 0 ? 0 : 17}">${line}</tspan>`)
      .join("")}</text></svg>`,
  );
  return sharp({ create: { width, height: TILE_H, channels: 3, background: "#202020" } })
    .composite([{ input: caption, left: 0, top: 0 }, ...tiles.map((t, i) => ({ input: t, left: 170 + i * (tileW + 4), top: 0 }))])
    .png()
    .toBuffer();
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "–");
const meanOf = (xs: number[]) => {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length === 0 ? Number.NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
};

/** lineR pooled over the in-hole samples of all cases; the other measures averaged per case. */
function summary(rows: StructureResult[]): string {
  let points = 0;
  let hits = 0;
  for (const r of rows) {
    if (r.linePoints === 0) continue;
    points += r.linePoints;
    hits += r.lineR * r.linePoints;
  }
  const lineR = points === 0 ? Number.NaN : hits / points;
  const quality = `${fmt(lineR)} | ${fmt(meanOf(rows.map((r) => r.edgeF)))} | ${fmt(meanOf(rows.map((r) => r.psnr)))} | ${fmt(meanOf(rows.map((r) => r.ssim)), 3)} | ${fmt(meanOf(rows.map((r) => r.gradientRatio)))}`;
  // The peers' times are their whole processes', not comparable with a fill's.
  if (!rows.every((r) => Number.isFinite(r.fillMs))) return `${quality} | – | – | – |`;
  // The step's cost against the rest of the same erase (the fill without it), per case.
  const share = median(rows.map((r) => r.structureMs / Math.max(1e-6, r.fillMs - r.structureMs)));
  return `${quality} | ${fmt(median(rows.map((r) => r.fillMs)), 0)} | ${fmt(median(rows.map((r) => r.structureMs)), 0)} | ${fmt(100 * share, 0)} % |`;
}

function report(results: StructureResult[], options: StructureBenchOptions): string {
  const lines: string[] = [];
  lines.push(
    `${STRUCTURE_CASES.length} photos with a hole crossed by structure (even cases tune, odd cases held out); line segments from ${options.lines ?? "LSD"}; seed ${options.seed}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}.`,
  );
  lines.push("lineR and edgeF on copies scaled to 1024 px (lineR pooled over in-hole line samples); PSNR and SSIM on the hole's box.");
  if (results.some((r) => (PEERS as readonly string[]).includes(r.method)))
    lines.push(
      "Peers: G'MIC's `inpaint` with a patch size of 11, the rest at its defaults (patch-based, fill order along isophotes), and OpenCV's Telea (radius 5); their times are their processes', not reported.",
    );
  lines.push("");
  lines.push(
    "| size | half | method | lineR | edgeF | PSNR dB | SSIM | gradient ratio | fill ms (median) | structure ms (median) | structure / rest of the erase (median) |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const size of options.sizes) {
    for (const half of ["tuning", "held-out", "all"] as const) {
      for (const method of [...METHODS, ...PEERS]) {
        const rows = results.filter((r) => r.size === size && r.method === method && (half === "all" || r.half === half));
        if (rows.length > 0) lines.push(`| ${size} | ${half} | ${method} | ${summary(rows)}`);
      }
    }
  }
  lines.push("");
  lines.push(
    "| size | case | half | structure | lineR | edgeF | PSNR | gradient ratio | fill ms | without structure: lineR / edgeF / PSNR / ms | G'MIC: lineR / edgeF / PSNR | Telea: lineR / edgeF / PSNR |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    if (r.method !== "vanish") continue;
    const c = STRUCTURE_CASES.find((k) => k.name === r.name);
    const o = results.find((x) => x.method === "no-structure" && x.name === r.name && x.size === r.size);
    const off = o ? `${fmt(o.lineR)} / ${fmt(o.edgeF)} / ${fmt(o.psnr)} / ${fmt(o.fillMs, 0)}` : "";
    const peer = (method: Method) => {
      const p = results.find((x) => x.method === method && x.name === r.name && x.size === r.size);
      return p ? `${fmt(p.lineR)} / ${fmt(p.edgeF)} / ${fmt(p.psnr)}` : "";
    };
    lines.push(
      `| ${r.size} | ${r.name} | ${r.half} | ${c?.structure ?? ""} | ${fmt(r.lineR)} | ${fmt(r.edgeF)} | ${fmt(r.psnr)} | ${fmt(r.gradientRatio)} | ${fmt(r.fillMs, 0)} | ${off} | ${peer("gmic")} | ${peer("opencv-telea")} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function photoPath(c: StructureCase, roots: { wallpapers: string; opencv: string | null; skimage: string | null }): string | null {
  if (c.source === "wallpapers") return path.join(roots.wallpapers, c.file);
  if (c.source === "opencv-doc") return roots.opencv ? path.join(roots.opencv, "data", c.file) : null;
  return roots.skimage ? path.join(roots.skimage, c.file) : null;
}

/** A case at one size: the photo (the truth), its hole, the input (the hole blacked out) and the hole's box. */
export interface LoadedCase {
  truth: RgbaImage;
  hole: Uint8Array;
  input: RgbaImage;
  box: Rect;
}

/** Decodes a case's photo fitted to `size` and makes its hole; null where the photo is unavailable. */
export async function loadCase(
  c: StructureCase,
  size: number,
  roots: { wallpapers: string; opencv: string | null; skimage: string | null },
): Promise<LoadedCase | null> {
  const file = photoPath(c, roots);
  if (file === null || !existsSync(file)) return null;
  const truth = await decodeFitted(file, size);
  const { width: W, height: H } = truth;
  const hole = structureCaseMask(c, W, H);
  const input: RgbaImage = { width: W, height: H, data: new Uint8ClampedArray(truth.data) };
  for (let i = 0; i < hole.length; i++) if (hole[i] !== 0) input.data.fill(0, i * 4, i * 4 + 3);
  return { truth, hole, input, box: holeBounds(hole, W, H) as Rect };
}

/** Runs the structure cases at every size; writes report.md, results.json and contact-sheet.png into outDir. */
export async function runStructureBench(options: StructureBenchOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  await fs.mkdir(options.outDir, { recursive: true });
  const photos = await ensurePhotos(options.cacheDir, log);
  const roots = {
    wallpapers: photoRoot(photos),
    opencv: await ensureOpenCvDoc(options.cacheDir, log),
    skimage: await ensureSkimageData(options.cacheDir, log),
  };
  const warm = await decodeFitted(path.join(roots.wallpapers, STRUCTURE_CASES[0].file), 256);
  await eraseWithReport(warm, {
    width: warm.width,
    height: warm.height,
    data: structureCaseMask(STRUCTURE_CASES[0], warm.width, warm.height),
  });
  const peers = options.peers !== false;
  const python = peers ? await findOpenCvPython() : null;
  if (peers && !python) log("OpenCV for Python not found; Telea skipped (install with: apt-get install python3-opencv)");
  const gmic = peers ? await findGmic() : null;
  if (peers && !gmic) log("G'MIC not found; its inpainting skipped (install with: apt-get install gmic)");
  const work = python || gmic ? await fs.mkdtemp(path.join(os.tmpdir(), "vanish-structure-")) : null;

  const results: StructureResult[] = [];
  const rows: Buffer[] = [];
  // Case k of the list at `size`, filled by `method` into `image`.
  const score = (at: LoadedCase, k: number, size: number, method: Method, image: RgbaImage, fillMs: number, structureMs: number) => {
    const { truth, hole, box } = at;
    const result: StructureResult = {
      name: STRUCTURE_CASES[k].name,
      half: k % 2 === 0 ? "tuning" : "held-out",
      size,
      method,
      ...structureScores(image, truth, hole),
      psnr: psnr(image, truth, box),
      ssim: ssim(image, truth, box),
      gradientRatio: gradientEnergyRatio(image, truth, hole),
      fillMs,
      structureMs,
    };
    results.push(result);
    return result;
  };
  const passes = work ? 2 : 1;
  const progress = new Progress(options.sizes.length * STRUCTURE_CASES.length * passes, "structure");
  try {
    for (const size of options.sizes) {
      // The peers first, each case's images kept for the contact sheet: their processes would otherwise run
      // between Vanish's erases and slow the next one's start.
      const peerImages = new Map<string, { label: string; image: RgbaImage }[]>();
      for (let k = 0; work && k < STRUCTURE_CASES.length; k++) {
        const c = STRUCTURE_CASES[k];
        const loaded = await loadCase(c, size, roots);
        progress.tick(`${size} ${c.name} (peers)`);
        if (loaded === null) continue;
        const files = await writePeerInput(loaded.input, loaded.hole, work);
        const tiles: { label: string; image: RgbaImage }[] = [];
        if (gmic) {
          const { image } = await gmicInpaint(gmic, files, work);
          score(loaded, k, size, "gmic", image, Number.NaN, Number.NaN);
          tiles.push({ label: "G'MIC", image });
        }
        if (python) {
          const { telea } = await opencvInpaint(python, files, work);
          score(loaded, k, size, "opencv-telea", telea, Number.NaN, Number.NaN);
          tiles.push({ label: "Telea", image: telea });
        }
        if (size === options.sizes[0]) peerImages.set(c.name, tiles);
      }
      for (let k = 0; k < STRUCTURE_CASES.length; k++) {
        const c = STRUCTURE_CASES[k];
        const loaded = await loadCase(c, size, roots);
        if (loaded === null) {
          log(`${c.name}: photo unavailable, skipped`);
          progress.tick(c.name);
          continue;
        }
        progress.note(`${size} ${c.name}`);
        const { truth, hole, input, box } = loaded;
        const { width: W, height: H } = truth;
        const images: Partial<Record<Method, RgbaImage>> = {};
        const scored: Partial<Record<Method, StructureResult>> = {};
        for (const method of METHODS) {
          const rep = await eraseWithReport(
            input,
            { width: W, height: H, data: hole },
            { seed: options.seed, structure: method === "vanish", ...(options.findLines ? { findLines: options.findLines } : {}) },
          );
          images[method] = rep.image;
          scored[method] = score(loaded, k, size, method, rep.image, rep.timings.totalMs, rep.timings.structureMs);
        }
        if (size === options.sizes[0]) {
          const r = scored.vanish as StructureResult;
          const o = scored["no-structure"] as StructureResult;
          const label = `${c.name} (${r.half})\n${W}×${H}\nlineR ${fmt(o.lineR)} → ${fmt(r.lineR)}\nedgeF ${fmt(o.edgeF)} → ${fmt(r.edgeF)}\nPSNR ${fmt(o.psnr)} → ${fmt(r.psnr)}`;
          rows.push(
            await sheetRow(
              label,
              [
                { label: "input", image: input },
                { label: "no structure", image: images["no-structure"] as RgbaImage },
                { label: "vanish", image: images.vanish as RgbaImage },
                ...(peerImages.get(c.name) ?? []),
                { label: "truth", image: truth },
              ],
              box,
            ),
          );
        }
        progress.tick(`${size} ${c.name}`);
      }
    }
  } finally {
    progress.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  }
  const md = report(results, options);
  await fs.writeFile(path.join(options.outDir, "report.md"), md);
  const { findLines: _, ...recorded } = options;
  await fs.writeFile(path.join(options.outDir, "results.json"), JSON.stringify({ options: recorded, results }, null, 1));
  if (rows.length > 0) {
    const metas = await Promise.all(rows.map((r) => sharp(r).metadata()));
    const sheetW = Math.max(...metas.map((m) => m.width ?? 0));
    await sharp({ create: { width: sheetW, height: rows.length * (TILE_H + 6), channels: 3, background: "#101010" } })
      .composite(rows.map((r, i) => ({ input: r, left: 0, top: i * (TILE_H + 6) })))
      .png()
      .toFile(path.join(options.outDir, "contact-sheet.png"));
  }
  process.stdout.write(md);
  log(`wrote ${path.join(options.outDir, "report.md")} and contact-sheet.png`);
}
