/**
 * Debian's opencv-doc package as benchmark data: its example images include
 * a plant with a ground-truth matte and several pairs of photos of one scene
 * (stereo, viewpoint and exposure changes, consecutive video frames).
 * Downloaded once with `apt-get download` and unpacked with `dpkg -x`.
 */
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const EXAMPLES = "usr/share/doc/opencv-doc/examples";

/** The unpacked `examples` folder, or null (with a logged reason) when apt-get cannot fetch the package. */
export async function ensureOpenCvDoc(cacheDir: string, log: (line: string) => void): Promise<string | null> {
  const root = path.join(cacheDir, "root");
  const examples = path.join(root, EXAMPLES);
  if (existsSync(path.join(examples, "data"))) return examples;
  try {
    await fs.mkdir(cacheDir, { recursive: true });
    log("downloading opencv-doc (apt-get download) for its example photos");
    await run("apt-get", ["download", "opencv-doc"], { cwd: cacheDir, maxBuffer: 1 << 24 });
    for (const deb of (await fs.readdir(cacheDir)).filter((f) => f.startsWith("opencv-doc") && f.endsWith(".deb"))) {
      await run("dpkg", ["-x", path.join(cacheDir, deb), root]);
      await fs.rm(path.join(cacheDir, deb));
    }
    return examples;
  } catch (err) {
    log(`opencv-doc unavailable (${(err as Error).message.split("\n")[0]})`);
    return null;
  }
}
