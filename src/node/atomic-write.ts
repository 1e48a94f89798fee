/**
 * Atomic file replacement that leaves no debris: the bytes go to a hidden
 * temporary sibling (same folder, so the rename is atomic), are flushed to
 * disk (fsync) and renamed over the target, which keeps its permission bits
 * and, where the user may set it, its owner. A failure, Ctrl-C or SIGTERM
 * removes the temporary file; one left by a process that was killed outright
 * (SIGKILL, power loss) is swept the next time Vanish writes into that folder.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, readdirSync, statSync, unlinkSync } from "node:fs";
import path from "node:path";
import { threadId } from "node:worker_threads";
import { expectedError, VanishError } from "../core/image.js";

/** `.photo.jpg.vanish-<pid>-<thread>-<hex>.tmp`, and the name versions before 0.2 used. */
const TEMP_NAME = /^\..+\.vanish-(\d+)-\d+-[0-9a-f]+\.tmp$/;
const LEGACY_TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** Writing takes seconds; a temporary file this old is left over whoever made it. */
const STALE_AFTER_MS = 15 * 60 * 1000;

const activeTemps = new Set<string>();
const sweptDirs = new Set<string>();
const cleanupDirs = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temporary files a killed Vanish left in `dir`: those of processes
 * that no longer run, and any older than 15 minutes. Returns the names removed.
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return removed;
  }
  const now = Date.now();
  for (const name of names) {
    const m = TEMP_NAME.exec(name) ?? LEGACY_TEMP_NAME.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    if (activeTemps.has(file)) continue;
    const pid = Number(m[1]);
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) continue;
      const stale = (pid !== process.pid && !processAlive(pid)) || now - st.mtimeMs > STALE_AFTER_MS;
      if (!stale) continue;
      await fs.unlink(file);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/**
 * Removes, synchronously, every temporary file this process has open in the
 * folders it wrote to (including its worker threads', found by the process id
 * in their names). For signal handlers and exit paths.
 */
export function removeOwnTemps(extraDirs: Iterable<string> = []): void {
  for (const file of activeTemps) {
    try {
      unlinkSync(file);
    } catch {
      // Already renamed or removed.
    }
  }
  activeTemps.clear();
  for (const dir of new Set([...cleanupDirs, ...extraDirs])) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = TEMP_NAME.exec(name);
      if (!m || Number(m[1]) !== process.pid) continue;
      try {
        unlinkSync(path.join(dir, name));
      } catch {
        // Not there any more.
      }
    }
  }
}

let handlersInstalled = false;

/**
 * Makes Ctrl-C (SIGINT), SIGTERM and SIGHUP remove this process's temporary
 * files (in `dirs` and wherever it has written) before it ends with the
 * signal's usual status. Call once, from the main thread, at start.
 */
export function cleanUpTempsOnSignals(dirs: Iterable<string> = []): void {
  for (const d of dirs) cleanupDirs.add(path.resolve(d));
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      removeOwnTemps();
      process.kill(process.pid, signal);
    });
  }
}

function writeError(file: string, err: unknown): VanishError {
  const e = err as NodeJS.ErrnoException;
  const dir = path.dirname(path.resolve(file));
  switch (e?.code) {
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new VanishError(
        "WRITE_FAILED",
        `Cannot write "${file}": permission denied${e.code === "EROFS" ? " (read-only file system)" : ""}; choose a folder you can write to.`,
      );
    case "ENOENT":
      return new VanishError("WRITE_FAILED", `Cannot write "${file}": the folder "${dir}" does not exist; create it first.`);
    case "ENOTDIR":
      return new VanishError("WRITE_FAILED", `Cannot write "${file}": part of its path is a file, not a folder.`);
    case "EISDIR":
      return new VanishError("WRITE_FAILED", `Cannot write "${file}": it is a folder; give a file name.`);
    case "ENOSPC":
    case "EDQUOT":
      return new VanishError("WRITE_FAILED", `Cannot write "${file}": the disk is full; free some space and try again.`);
    default: {
      const reason = err instanceof Error ? err.message : String(err);
      return new VanishError("WRITE_FAILED", `Cannot write "${file}" (${reason}); check that its folder exists and is writable.`);
    }
  }
}

/**
 * Replaces `file` with `bytes` atomically: readers see the old file or the new
 * one, never a part. An existing file's mode (and owner, where allowed) is
 * kept; a new file gets the default permissions.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  if (typeof file !== "string" || file === "") {
    throw expectedError("a file name", file);
  }
  if (!(bytes instanceof Uint8Array)) {
    throw expectedError("the bytes to write as a Uint8Array", bytes);
  }
  const target = path.resolve(file);
  const dir = path.dirname(target);
  cleanupDirs.add(dir);
  if (!sweptDirs.has(dir)) {
    sweptDirs.add(dir);
    await sweepStaleTemps(dir);
  }
  let previous: { mode: number; uid: number; gid: number } | null = null;
  try {
    const st = statSync(target);
    if (st.isDirectory()) throw writeError(file, Object.assign(new Error("is a folder"), { code: "EISDIR" }));
    previous = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if (err instanceof VanishError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw writeError(file, err);
  }
  const tmp = path.join(dir, `.${path.basename(target)}.vanish-${process.pid}-${threadId}-${randomBytes(4).toString("hex")}.tmp`);
  activeTemps.add(tmp);
  try {
    const handle = await fs.open(tmp, "wx", previous?.mode ?? 0o666);
    try {
      await handle.writeFile(bytes);
      if (previous) {
        // open() applied the umask; the old file's bits are restored exactly.
        await handle.chmod(previous.mode);
        if (typeof process.getuid === "function" && (previous.uid !== process.getuid() || previous.gid !== process.getgid?.())) {
          await handle.chown(previous.uid, previous.gid).catch(() => undefined);
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
    activeTemps.delete(tmp);
  } catch (err) {
    activeTemps.delete(tmp);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(file, err);
  }
  await syncFolder(dir);
}

/** Flushes a folder's entries, so the rename itself survives a power cut. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform or file system can sync a folder; the file itself is synced.
  }
}
