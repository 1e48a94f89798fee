/**
 * OpenCV for Python (Debian's python3-opencv), used by the benchmarks where
 * a peer or a decoder is needed that we do not ship: Telea and Navier–Stokes
 * inpainting, and frames of opencv-doc's sample videos. Optional: callers
 * skip what needs it when it is missing.
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** A Python interpreter that can import cv2, or null. */
export async function findOpenCvPython(): Promise<string | null> {
  for (const py of ["/usr/bin/python3", "python3"]) {
    try {
      await exec(py, ["-c", "import cv2"]);
      return py;
    } catch {
      // try the next interpreter
    }
  }
  return null;
}

/**
 * Writes frame `index` of `video` as PNG into `dir` (once; later calls reuse
 * the file) and returns its path.
 */
export async function videoFrame(python: string, video: string, index: number, dir: string): Promise<string> {
  const file = path.join(dir, `${path.basename(video, path.extname(video))}-${String(index).padStart(4, "0")}.png`);
  try {
    await fs.access(file);
    return file;
  } catch {
    // not extracted yet
  }
  await fs.mkdir(dir, { recursive: true });
  const script = [
    "import sys, cv2",
    "cap = cv2.VideoCapture(sys.argv[1])",
    "cap.set(cv2.CAP_PROP_POS_FRAMES, int(sys.argv[2]))",
    "ok, frame = cap.read()",
    "sys.exit(0 if ok and cv2.imwrite(sys.argv[3], frame) else 1)",
  ].join("\n");
  const partial = `${file}.partial.png`;
  await exec(python, ["-c", script, video, String(index), partial]);
  await fs.rename(partial, file);
  return file;
}
