/**
 * The `vanish` command line: `erase` (one file or a folder), `segment` and
 * `bench`. Every failure ends with one line on stderr, "vanish: error: …",
 * saying what to do, and exit code 2; `--debug` adds the stack trace.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { HOLE_SIZES, type HoleSize } from "../bench/masks.js";
import { type RgbaImage, VanishError } from "../core/image.js";
import { PatchMatchCoarse } from "../core/inpaint/completion.js";
import type { EraseOptions } from "../core/inpaint/erase.js";
import type { ReferenceReport } from "../core/reference/guided-fill.js";
import { SEGMENT_ENGINES, type SegmentEngineName } from "../core/segmentation/engine.js";
import type { SegmentBox, SegmentPoint, SegmentPrompt } from "../core/segmentation/prompt.js";
import { DEFAULT_SUGGEST_KINDS, parseKinds, SUGGEST_KINDS, type SuggestKindOption } from "../core/suggest/suggestion.js";
import { cleanUpTempsOnSignals, sweepStaleTemps } from "../node/atomic-write.js";
import { eraseFile } from "../node/erase-file.js";
import { closePrestarted, defaultFieldThreads, FieldThreadPool } from "../node/field-threads.js";
import type { SelectOptions } from "../node/segment-file.js";
import { VERSION } from "../node/version.js";

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a whole decimal number; "", " ", "1e3", "0x10" and "12px" are refused, not read as 0 or 12. */
export function parseNumber(text: string, integerOnly = false): number | null {
  const t = text.trim();
  if (!(integerOnly ? INTEGER : DECIMAL).test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function integer(name: string, lo: number, hi: number) {
  return (value: string): number => {
    const n = parseNumber(value, true);
    if (n === null || !Number.isSafeInteger(n) || n < lo || n > hi) {
      throw new InvalidArgumentError(`${name} must be an integer from ${lo} to ${hi}; received "${value}".`);
    }
    return n;
  };
}

function number(name: string, lo: number, hi: number) {
  return (value: string): number => {
    const n = parseNumber(value);
    if (n === null || n < lo || n > hi)
      throw new InvalidArgumentError(`${name} must be a number from ${lo} to ${hi}; received "${value}".`);
    return n;
  };
}

/** Parses `--holes object,large`. */
function parseHoleSizes(value: string): HoleSize[] {
  const sizes = value.split(",").map((s) => s.trim());
  for (const s of sizes) {
    if (!(HOLE_SIZES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`--holes takes a comma-separated list of ${HOLE_SIZES.join(", ")}; received "${value}".`);
    }
  }
  return sizes as HoleSize[];
}

/** Parses repeated `--point x,y[,label]` (label 1 = select, 0 = carve away; default 1). */
function collectPoint(value: string, previous: SegmentPoint[] = []): SegmentPoint[] {
  const parts = value.split(",").map((p) => parseNumber(p));
  const [x, y, label = 1] = parts;
  if (parts.length < 2 || parts.length > 3 || x === null || y === null || (label !== 0 && label !== 1)) {
    throw new InvalidArgumentError(`--point takes x,y or x,y,label with label 1 (select) or 0 (carve away); received "${value}".`);
  }
  return [...previous, { x, y, label: label as 0 | 1 }];
}

function parseBox(value: string): SegmentBox {
  const v = value.split(",").map((p) => parseNumber(p));
  if (v.length !== 4 || v.some((n) => n === null))
    throw new InvalidArgumentError(`--box takes x0,y0,x1,y1 in pixels; received "${value}".`);
  const [x0, y0, x1, y1] = v as number[];
  return { x0, y0, x1, y1 };
}

interface SelectFlags {
  point?: SegmentPoint[];
  box?: SegmentBox;
  engine?: SegmentEngineName;
  modelDir?: string;
  grow?: number;
  feather?: number;
}

function promptOf(flags: SelectFlags): SegmentPrompt | null {
  if (!flags.point && !flags.box) return null;
  return { points: flags.point ?? [], ...(flags.box ? { box: flags.box } : {}) };
}

function selectOptions(flags: SelectFlags): SelectOptions {
  return { engine: flags.engine, modelDir: flags.modelDir, grow: flags.grow, feather: flags.feather };
}

/** Adds the tap-to-select options shared by `segment` and `erase`. */
function withSelectOptions(command: Command): Command {
  return withMaskOptions(
    command
      .option("--point <x,y[,label]>", "a tap: label 1 selects (default), 0 carves away; repeat for more taps", collectPoint)
      .option("--box <x0,y0,x1,y1>", "a box around the object", parseBox),
  );
}

/** Adds the options of how selections become masks (engine, growing), shared by `segment`, `erase` and `suggest`. */
function withMaskOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--engine <name>", "tap-to-select engine: Segment Anything (sam), built-in, or sam when its model loads (auto)")
        .choices(SEGMENT_ENGINES)
        .default("auto"),
    )
    .option("--model-dir <dir>", "folder with your own SAM encoder and decoder .onnx files instead of the bundled ones")
    .option("--grow <px>", "grow the selection by this many pixels (default 0.6 % of the long side)", number("--grow", 0, 1000))
    .option("--feather <px>", "half-width of the mask's soft edge (default 0.4 % of the long side)", number("--feather", 0, 1000));
}

const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));

async function runSegment(input: string, flags: SelectFlags & { output: string; json?: boolean }): Promise<void> {
  const prompt = promptOf(flags);
  if (!prompt) throw new VanishError("INVALID_ARGUMENT", "Say what to select with --point x,y (repeatable) and/or --box x0,y0,x1,y1.");
  await prepareOutputFolder(path.dirname(path.resolve(flags.output)));
  const { segmentFile } = await import("../node/segment-file.js");
  const r = await segmentFile(input, prompt, flags.output, selectOptions(flags));
  if (flags.json) {
    const { width, height, selectedPixels, maskPixels, score, engine, timings, output } = r;
    process.stdout.write(
      `${JSON.stringify({ width, height, selectedPixels, maskPixels, score: Math.round(score * 1000) / 1000, engine, timings: round(timings), output })}\n`,
    );
  } else {
    process.stderr.write(
      `vanish: selected ${r.selectedPixels} pixels (${r.maskPixels} after growing) of ${r.width}×${r.height} → ${r.output}\n`,
    );
  }
}

interface EraseFlags extends SelectFlags {
  auto?: SuggestKindOption[];
  suggestModels?: string;
  mask?: string;
  masks?: string;
  output: string;
  seed: number;
  quality?: number;
  lowRes?: number;
  json?: boolean;
  jobs?: number;
  reference?: string;
  model?: string;
  modelMask?: "hole" | "known";
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Sweeps what a killed run left in the output folder, and removes this run's temporary files on Ctrl-C. */
async function prepareOutputFolder(dir: string): Promise<void> {
  cleanUpTempsOnSignals([dir]);
  const removed = await sweepStaleTemps(dir);
  if (removed.length > 0) process.stderr.write(`vanish: removed ${removed.length} temporary file(s) an interrupted run left in ${dir}\n`);
}

async function runErase(input: string, flags: EraseFlags): Promise<void> {
  const erase: EraseOptions = { seed: flags.seed, lowResLongSide: flags.lowRes };
  if (flags.modelMask && !flags.model) throw new VanishError("INVALID_ARGUMENT", "--model-mask goes with --model FILE.");
  const modelOptions = flags.modelMask ? { maskOne: flags.modelMask } : {};
  // Loaded (and its signature checked) before any photo is read, so a wrong file fails first.
  const network = flags.model
    ? await (await import("../node/inpainting-model.js")).loadInpaintingModel(flags.model, modelOptions)
    : undefined;
  const auto = flags.auto ? { ...selectOptions(flags), kinds: flags.auto, suggestModelDir: flags.suggestModels } : undefined;
  if (auto && (flags.mask || flags.masks || promptOf(flags))) {
    throw new VanishError("INVALID_ARGUMENT", "--auto finds the masks itself; leave out --mask, --masks, --point and --box.");
  }
  if (await isDirectory(input)) {
    const maskDir = flags.masks ?? flags.mask;
    if (!maskDir && !auto)
      throw new VanishError(
        "INVALID_ARGUMENT",
        "A folder of images needs --masks DIR with one mask per image (same base name), or --auto KINDS to find what to erase.",
      );
    if (flags.reference) {
      throw new VanishError("INVALID_ARGUMENT", "--reference goes with one image, not a folder: erase each photo with its own reference.");
    }
    await prepareOutputFolder(path.resolve(flags.output));
    const { eraseFolder } = await import("./batch.js");
    const summary = await eraseFolder({
      inputDir: input,
      ...(maskDir ? { maskDir } : {}),
      ...(auto ? { auto } : {}),
      outputDir: flags.output,
      jobs: flags.jobs,
      quality: flags.quality,
      erase,
      ...(flags.model ? { model: { path: flags.model, options: modelOptions } } : {}),
    });
    await network?.close();
    for (const s of summary.skipped) process.stderr.write(`vanish: skipped ${s.input}: ${s.reason}\n`);
    for (const f of summary.failed) process.stderr.write(`vanish: failed ${f.input}: ${f.error}\n`);
    for (const w of new Set(summary.done.flatMap((d) => d.warnings))) process.stderr.write(`vanish: warning: ${w}\n`);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ done: summary.done.length, failed: summary.failed.length, skipped: summary.skipped.length, jobs: summary.jobs, files: summary.done })}\n`,
      );
    }
    process.stderr.write(
      `vanish: ${summary.done.length} erased, ${summary.failed.length} failed, ${summary.skipped.length} skipped → ${flags.output}\n`,
    );
    if (summary.failed.length > 0) {
      throw new VanishError(
        "BATCH_FAILED",
        `${summary.failed.length} of ${summary.failed.length + summary.done.length} images failed (listed above).`,
      );
    }
    if (summary.done.length === 0) {
      throw new VanishError(
        "BATCH_FAILED",
        summary.skipped.length > 0
          ? `Nothing was erased: none of the ${summary.skipped.length} images has a mask with the same base name in "${maskDir}".`
          : `Nothing was erased: "${input}" holds no .jpg, .png or .webp images.`,
      );
    }
    return;
  }
  const prompt = promptOf(flags);
  if (prompt && flags.mask) throw new VanishError("INVALID_ARGUMENT", "Give either --mask or --point/--box, not both.");
  if (!flags.mask && !prompt && !auto) {
    throw new VanishError(
      "INVALID_ARGUMENT",
      "Give the mask with --mask MASK (white marks what to remove), tap the object with --point x,y, or let Vanish find it with --auto people,text.",
    );
  }
  await prepareOutputFolder(path.dirname(path.resolve(flags.output)));
  const warnings: string[] = [];
  // Selecting and suggesting load their modules only when asked for: a plain erase starts sooner without them.
  const suggesting = auto ? await import("../node/suggest-file.js") : null;
  const { selectForRemoval } = prompt ? await import("../node/segment-file.js") : { selectForRemoval: null };
  const selectMask =
    suggesting && auto
      ? async (image: RgbaImage) => {
          const found = await suggesting.autoMask(image, {
            ...auto,
            onSkip: (kind, reason) => warnings.push(`${kind} skipped: ${reason}`),
          });
          if (!flags.json) process.stderr.write(`vanish: erasing ${describeFound(found.suggestions)}\n`);
          return found.mask;
        }
      : prompt && selectForRemoval
        ? async (image: RgbaImage) => (await selectForRemoval(image, prompt, selectOptions(flags))).mask
        : undefined;
  // The fill's worker threads start while the photo is decoded; --jobs 1 keeps everything on this thread.
  const fieldThreads = flags.jobs === undefined ? defaultFieldThreads() : flags.jobs - 1;
  const threads = !network && fieldThreads > 0 ? new FieldThreadPool(fieldThreads) : null;
  const coarse = network ?? (threads ? new PatchMatchCoarse({ threads }) : undefined);
  const result = await eraseFile(input, flags.mask ?? null, flags.output, {
    quality: flags.quality,
    erase: threads
      ? {
          ...erase,
          coarse,
          continueStructureOn: threads.continueStructureOn,
          detectFeaturesOn: threads.detectFeaturesOn,
          upscale: threads.upscale,
        }
      : coarse
        ? { ...erase, coarse }
        : erase,
    selectMask,
    referencePath: flags.reference,
  }).finally(() => threads?.close());
  await suggesting?.closeSuggestModels();
  for (const w of [...warnings, ...result.warnings]) process.stderr.write(`vanish: warning: ${w}\n`);
  if (flags.json) {
    const { width, height, holePixels, timings, stages, coarse } = result;
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const reference = result.reference ? referenceSummary(result.reference) : undefined;
    process.stdout.write(
      `${JSON.stringify({ width, height, holePixels, coarse, timings: round(timings), stages: round(stages), reference, peakRssMb, output: result.output })}\n`,
    );
  } else {
    if (result.reference?.used) {
      const r = result.reference;
      process.stderr.write(
        `vanish: reference: ${(100 * r.filledFraction).toFixed(0)}% of the hole restored from it (${r.alignment} alignment, ${r.inliers} matching points, aligned in ${r.alignMs.toFixed(0)} ms)\n`,
      );
      for (const note of r.notes) process.stderr.write(`vanish: reference: ${note}\n`);
    }
    process.stderr.write(
      `vanish: erased ${result.holePixels} pixels of ${result.width}×${result.height} in ${result.timings.inpaintMs.toFixed(0)} ms${network ? ` (coarse fill by ${result.coarse})` : ""} → ${result.output}\n`,
    );
  }
}

/** "2 persons, 1 text" */
function describeFound(found: readonly { label: string }[]): string {
  const counts = new Map<string, number>();
  for (const s of found) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  return [...counts].map(([label, n]) => `${n} ${label}${n > 1 && !label.endsWith("s") && label !== "text" ? "s" : ""}`).join(", ");
}

function kindList(value: string): SuggestKindOption[] {
  try {
    return parseKinds(value.split(","));
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

async function runSuggest(
  input: string,
  flags: SelectFlags & { kinds: SuggestKindOption[]; output?: string; json?: boolean; suggestModels?: string },
) {
  const { closeSuggestModels, suggestFile } = await import("../node/suggest-file.js");
  const result = await suggestFile(input, {
    ...selectOptions(flags),
    kinds: flags.kinds,
    suggestModelDir: flags.suggestModels,
    outDir: flags.output,
    onSkip: (kind, reason) => process.stderr.write(`vanish: warning: ${kind} skipped: ${reason}\n`),
  });
  await closeSuggestModels();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...result, timings: round(result.timings) })}\n`);
    return;
  }
  if (result.suggestions.length === 0) {
    process.stderr.write(`vanish: nothing to erase found in ${input} (looked for ${flags.kinds.join(", ")})\n`);
    return;
  }
  for (const [i, s] of result.suggestions.entries()) {
    process.stdout.write(`${i + 1}\t${s.label}\t${s.score.toFixed(2)}\t${s.box.join(",")}${s.mask ? `\t${s.mask}` : ""}\n`);
  }
  process.stderr.write(`vanish: ${describeFound(result.suggestions)} in ${result.timings.suggestMs.toFixed(0)} ms\n`);
}

function referenceSummary(r: ReferenceReport) {
  return {
    used: r.used,
    filledFraction: Math.round(r.filledFraction * 1000) / 1000,
    alignment: r.alignment,
    matches: r.matches,
    inliers: r.inliers,
    ringCorrelation: Math.round(r.ringCorrelation * 1000) / 1000,
    notes: r.notes,
  };
}

export function buildProgram(): Command {
  const program = new Command()
    .name("vanish")
    .description("Remove objects from photos, on your own machine.")
    .version(VERSION)
    .option("--debug", "on failure, also print the stack trace")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`vanish: ${text}`) })
    .showHelpAfterError("(add --help for the options)");

  withSelectOptions(
    program
      .command("segment")
      .description("Select an object by tapping it (or drawing a box) and write a removal mask (white = remove)")
      .argument("<image>", "image file (JPEG, PNG, WebP)")
      .requiredOption("-o, --output <file>", "mask to write (.png)")
      .option("--json", "print one JSON line with sizes, score and timings on stdout"),
  ).action((input: string, flags) => runSegment(input, flags));

  withMaskOptions(
    program
      .command("suggest")
      .description("Find what people usually erase (people who are not the subject, text, wires) and write each one's removal mask")
      .argument("<image>", "image file (JPEG, PNG, WebP)")
      .addOption(
        new Option("--kinds <list>", `what to look for, among ${SUGGEST_KINDS.join(", ")}`)
          .argParser(kindList)
          .default([...DEFAULT_SUGGEST_KINDS], DEFAULT_SUGGEST_KINDS.join(",")),
      )
      .option("-o, --output <dir>", "folder for the masks (<name>-<n>-<label>.png, white = remove)")
      .option(
        "--suggest-models <dir>",
        "folder with nanodet.json, nanodet.bin and ch_PP-OCRv4_det_infer.onnx (else the installed packages)",
      )
      .option("--json", "print one JSON line with the suggestions and timings on stdout"),
  ).action((input: string, flags) => runSuggest(input, flags));

  withSelectOptions(
    program
      .command("erase")
      .description("Erase what the mask marks (white), or what you tap with --point, from an image or every image of a folder"),
  )
    .argument("<input>", "image file (JPEG, PNG, WebP) or folder of images")
    .option("--mask <file>", "mask image of the same size; white (≥ 128) marks what to remove")
    .option("--masks <dir>", "with a folder input: folder of masks with the same base names")
    .option("--auto <kinds>", `erase what suggest finds, among ${SUGGEST_KINDS.join(", ")} (e.g. people,text)`, kindList)
    .option("--suggest-models <dir>", "with --auto: folder with the suggestion models (else the installed packages)")
    .requiredOption("-o, --output <path>", "output file (.jpg, .png, .webp) or folder")
    .option("--seed <n>", "random seed; the same seed gives the same result", integer("--seed", 0, 2 ** 31 - 1), 1)
    .option("--quality <q>", "JPEG/WebP quality", integer("--quality", 1, 100))
    .option("--low-res <px>", "long side of the low-resolution fill", integer("--low-res", 32, 4096))
    .option("--reference <file>", "another photo of the same scene that shows what is behind the object")
    .option("--model <file>", "ONNX inpainting network (LaMa or MI-GAN style) for the low-resolution fill")
    .addOption(
      new Option("--model-mask <meaning>", "what mask value 1 means to --model (default: hole for float masks, known for uint8)").choices([
        "hole",
        "known",
      ]),
    )
    .option(
      "--jobs <n>",
      "threads: one image per thread for a folder; for one image, threads of its fill (default: all cores)",
      integer("--jobs", 1, 256),
    )
    .option("--json", "print one JSON line with sizes and timings on stdout")
    .action((input: string, flags: EraseFlags) => runErase(input, flags));

  program
    .command("bench")
    .description("Measure quality and speed on real photos at 1K, 2K and 4K against OpenCV's inpainting")
    .addOption(new Option("--sizes <list>", "long sides to test").default("1024,2048,4096"))
    .option("--cases <n>", "photos per size and hole size", integer("--cases", 1, 100), 6)
    .addOption(
      new Option("--holes <list>", "hole sizes: object (0.5–5 % of the photo), large (10–30 %)")
        .argParser(parseHoleSizes)
        .default(["object", "large"], "object,large"),
    )
    .option("--repeats <n>", "timed runs of each method per case (the fastest counts)", integer("--repeats", 1, 20), 1)
    .option("--out <dir>", "folder for the report and contact sheet", "bench-out")
    .option("--cache <dir>", "folder for downloaded photos", ".cache/photos")
    .option("--no-peers", "skip the peers: OpenCV's Telea and Navier–Stokes (and G'MIC with --structure)")
    .option("--seed <n>", "seed of the masks and fills", integer("--seed", 0, 2 ** 31 - 1), 7)
    .option("--model <file>", "also measure this ONNX inpainting network as the coarse stage")
    .option("--segmentation", "benchmark tap-to-select instead of erasing (mIoU, NoC, latency)")
    .option("--reference", "benchmark reference-guided erase on real photo pairs (PSNR gain, controls, alignment time)")
    .option("--tuning-only", "with --reference: leave out the held-out half")
    .option("--structure", "benchmark holes crossed by lines, edges and outlines (lineR, edgeF, PSNR) at each size")
    .option("--suggest", "benchmark suggestions (people, text, main subjects) on hand-labelled photos")
    .option("--model-dir <dir>", "with --suggest: folder with nanodet.json, nanodet.bin and ch_PP-OCRv4_det_infer.onnx")
    .option("--no-speed", "with --suggest: skip the 12-megapixel timing")
    .option("--no-structure-step", "erase without structure propagation (to measure its effect)")
    .addOption(
      new Option("--lines <source>", "with --structure: line segments from LSD, or from the M-LSD network (npm run fetch:mlsd)")
        .choices(["lsd", "mlsd"])
        .default("lsd"),
    )
    .action(async (flags) => {
      const sizes = String(flags.sizes)
        .split(",")
        .map((s: string) => parseNumber(s, true));
      if (sizes.some((n) => n === null || n < 64 || n > 16384)) {
        throw new VanishError(
          "INVALID_ARGUMENT",
          `--sizes takes long sides from 64 to 16384, separated by commas; received "${flags.sizes}".`,
        );
      }
      if (flags.structure) {
        const { runStructureBench } = await import("../bench/structure.js");
        const mlsd = flags.lines === "mlsd";
        const findLines = mlsd ? await (await import("../node/line-model.js")).lineFinder() : undefined;
        await runStructureBench({
          sizes: sizes as number[],
          outDir: flags.out,
          cacheDir: flags.cache,
          seed: flags.seed,
          peers: flags.peers !== false,
          ...(findLines ? { findLines, lines: "M-LSD tiny 320 (jp.keijiro.mlsd@1.0.0)" } : {}),
        });
        return;
      }
      if (flags.suggest) {
        const { runSuggestBench } = await import("../bench/suggest.js");
        await runSuggestBench({ outDir: flags.out, cacheDir: flags.cache, modelDir: flags.modelDir, noSpeed: flags.speed === false });
        return;
      }
      if (flags.reference) {
        const { runReferenceBench } = await import("../bench/reference.js");
        await runReferenceBench({ outDir: flags.out, cacheDir: flags.cache, seed: flags.seed, tuningOnly: flags.tuningOnly === true });
        return;
      }
      if (flags.segmentation) {
        const { runSegmentationBench } = await import("../bench/segmentation.js");
        await runSegmentationBench({ cases: flags.cases, outDir: flags.out, cacheDir: flags.cache });
        return;
      }
      const { runBench } = await import("../bench/run.js");
      await runBench({
        sizes: sizes as number[],
        cases: flags.cases,
        outDir: flags.out,
        cacheDir: flags.cache,
        peers: flags.peers !== false,
        structure: flags.structureStep !== false,
        seed: flags.seed,
        holes: flags.holes,
        repeats: flags.repeats,
        ...(flags.model ? { model: flags.model } : {}),
      });
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.slice(2).includes("--debug") || process.env.VANISH_DEBUG === "1";
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message ("vanish: error: …"); usage errors are bad input like any other.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const message = err instanceof VanishError ? err.message : unexpectedMessage(err);
    process.stderr.write(`vanish: error: ${message}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  } finally {
    // Threads bin/vanish.js started for an erase that did not use them (a folder, a network fill, bad input).
    await closePrestarted();
  }
}

/** A failure Vanish did not foresee, in the same one-line shape. */
function unexpectedMessage(err: unknown): string {
  const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
  return `${reason} (unexpected; run again with --debug for details, and report it if it persists)`;
}
