/**
 * Debian's opencv-doc package as benchmark data: its example images include
 * a plant with a ground-truth matte and several pairs of photos of one scene
 * (stereo, viewpoint and exposure changes, consecutive video frames).
 * Downloaded once with `apt-get download` and unpacked with `dpkg -x` into
 * the bench's own cache folder (cache.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ensureDebPackages, OWN_FOLDER } from "./cache.js";

const EXAMPLES = "usr/share/doc/opencv-doc/examples";

/** The unpacked `examples` folder, or null (with a logged reason) when apt-get cannot fetch the package. */
export async function ensureOpenCvDoc(cacheDir: string, log: (line: string) => void): Promise<string | null> {
  // Files unpacked by earlier versions straight into DIR/root are read where they are.
  for (const root of [path.join(cacheDir, OWN_FOLDER, "root"), path.join(cacheDir, "root")]) {
    const examples = path.join(root, EXAMPLES);
    if (existsSync(path.join(examples, "data"))) return examples;
  }
  try {
    log("downloading opencv-doc for its example photos");
    const root = await ensureDebPackages(cacheDir, ["opencv-doc"], log);
    return path.join(root, EXAMPLES);
  } catch (err) {
    log(`opencv-doc unavailable (${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}
