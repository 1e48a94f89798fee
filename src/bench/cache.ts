/**
 * The benchmark's download cache. `--cache DIR` may be any folder, one that
 * already holds the user's own files, so the bench keeps everything it
 * writes in a subfolder it owns (DIR/vanish-bench, marked by a file it
 * creates there) and downloads each Debian package into a fresh private
 * folder, which it unpacks (`dpkg -x`) and then removes. Nothing else in DIR
 * is read, unpacked, overwritten or deleted.
 */
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { VanishError } from "../core/image.js";

const run = promisify(execFile);

export const OWN_FOLDER = "vanish-bench";
const MARKER = ".created-by-vanish-bench";

/** Downloads the .deb of `pkg` into `dir` (which holds nothing else). */
export type PackageDownload = (pkg: string, dir: string) => Promise<void>;

export const aptDownload: PackageDownload = async (pkg, dir) => {
  await run("apt-get", ["download", pkg], { cwd: dir, maxBuffer: 1 << 24 });
};

/** The bench's own folder inside `cacheDir`, created (with its marker) on first use. */
export async function ownCacheFolder(cacheDir: string): Promise<string> {
  const own = path.join(cacheDir, OWN_FOLDER);
  if (existsSync(path.join(own, MARKER))) return own;
  if (existsSync(own)) {
    const entries = await fs.readdir(own).catch(() => null);
    if (entries === null || entries.length > 0) {
      throw new VanishError(
        "INVALID_ARGUMENT",
        `"${own}" exists and was not made by the benchmark; choose another --cache folder, or move it away.`,
      );
    }
  }
  await fs.mkdir(own, { recursive: true });
  await fs.writeFile(path.join(own, MARKER), "This folder holds downloads of `vanish bench`; it may be deleted.\n", { flag: "w" });
  return own;
}

/**
 * Makes sure the Debian packages `packages` are unpacked under
 * `cacheDir/vanish-bench/root` and returns that folder. Each run downloads
 * into its own new folder and removes only that folder afterwards.
 */
export async function ensureDebPackages(
  cacheDir: string,
  packages: readonly string[],
  log: (line: string) => void,
  download: PackageDownload = aptDownload,
): Promise<string> {
  const own = await ownCacheFolder(cacheDir);
  const root = path.join(own, "root");
  const scratch = await fs.mkdtemp(path.join(own, "download-"));
  try {
    for (const pkg of packages) {
      log(`downloading ${pkg} (apt-get download)`);
      try {
        await download(pkg, scratch);
      } catch (err) {
        throw new VanishError(
          "UNREADABLE",
          `Could not download ${pkg} with apt-get (${(err as Error).message.split("\n")[0]}); run "apt-get update", or put the files under ${root}.`,
        );
      }
    }
    for (const deb of (await fs.readdir(scratch)).filter((f) => f.endsWith(".deb"))) {
      log(`unpacking ${deb}`);
      await run("dpkg", ["-x", path.join(scratch, deb), root]);
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return root;
}

/** Where the bench keeps files it derives (extracted video frames and the like). */
export async function derivedFolder(cacheDir: string, name: string): Promise<string> {
  return path.join(await ownCacheFolder(cacheDir), name);
}
