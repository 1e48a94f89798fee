/**
 * The benchmarks' peers, each run in its own process on a PNG of the input
 * (hole blacked out) and a mask PNG: OpenCV's Telea (2004) and
 * Navier–Stokes (Bertalmio et al. 2001) inpainting through
 * scripts/opencv_inpaint.py (Debian's python3-opencv), and G'MIC's
 * patch-based inpainting (Debian's gmic, its `inpaint` command with its own
 * patch-based defaults: patch 11, lookup 22, factor 0.5, ten blend scales),
 * the peer the structure issue measured. Optional: a caller skips a peer
 * whose program is missing.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RgbaImage } from "../core/image.js";
import { sharp } from "../node/sharp.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A case written for the peers: the input photo and the mask (white on the hole), both PNG. */
export interface PeerInput {
  input: string;
  mask: string;
}

/** Writes `input` and the hole plane `hole` (non-zero on the hole) as `in.png` and `mask.png` into `dir`. */
export async function writePeerInput(input: RgbaImage, hole: Uint8Array, dir: string): Promise<PeerInput> {
  const files = { input: path.join(dir, "in.png"), mask: path.join(dir, "mask.png") };
  const { width: W, height: H } = input;
  await sharp(Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength), {
    raw: { width: W, height: H, channels: 4 },
  })
    .png({ compressionLevel: 1 })
    .toFile(files.input);
  const maskBytes = Buffer.alloc(W * H);
  for (let i = 0; i < hole.length; i++) maskBytes[i] = hole[i] ? 255 : 0;
  await sharp(maskBytes, { raw: { width: W, height: H, channels: 1 } })
    .png()
    .toFile(files.mask);
  return files;
}

/** An RGBA image read from a file. */
export async function readRgba(file: string): Promise<RgbaImage> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

export interface OpenCvResult {
  telea: RgbaImage;
  ns: RgbaImage;
  /** Each `cv2.inpaint` call alone, the fastest of the repeats: wall clock and the process's CPU time, ms. */
  teleaMs: number;
  teleaCpuMs: number;
  nsMs: number;
  nsCpuMs: number;
}

/** Telea and Navier–Stokes (radius 5) on `files`, by `python` (an interpreter that imports cv2), outputs in `dir`. */
export async function opencvInpaint(python: string, files: PeerInput, dir: string, repeats = 1): Promise<OpenCvResult> {
  const telea = path.join(dir, "telea.png");
  const ns = path.join(dir, "ns.png");
  const { stdout } = await exec(
    python,
    [path.join(ROOT, "scripts", "opencv_inpaint.py"), files.input, files.mask, telea, ns, "5", String(repeats)],
    { maxBuffer: 1 << 20 },
  );
  const t = JSON.parse(stdout.trim());
  return {
    telea: await readRgba(telea),
    ns: await readRgba(ns),
    teleaMs: t.teleaMs,
    teleaCpuMs: t.teleaCpuMs,
    nsMs: t.nsMs,
    nsCpuMs: t.nsCpuMs,
  };
}

/** The `gmic` program where one runs (`gmic -v - version` answers), else null. */
export async function findGmic(): Promise<string | null> {
  for (const program of ["/usr/bin/gmic", "gmic"]) {
    try {
      await exec(program, ["-v", "-", "version"]);
      return program;
    } catch {
      // try the next one
    }
  }
  return null;
}

/**
 * G'MIC's patch-based inpainting of `files` (its `inpaint` command with a
 * patch size, so the patch-based method, the rest of its arguments at their
 * defaults), written to `dir`/gmic.png. `ms` is the whole command's wall
 * time, reading and writing the PNGs included.
 */
export async function gmicInpaint(gmic: string, files: PeerInput, dir: string): Promise<{ image: RgbaImage; ms: number }> {
  const out = path.join(dir, "gmic.png");
  const t0 = performance.now();
  // The mask PNG reads as one or three equal channels; the first is kept as the inpainting mask.
  await exec(gmic, ["-v", "-", files.input, files.mask, "-channels[1]", "0", "-inpaint[0]", "[1],11", "-o[0]", out], {
    maxBuffer: 1 << 20,
  });
  const ms = performance.now() - t0;
  return { image: await readRgba(out), ms };
}
