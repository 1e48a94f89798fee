/**
 * Downloads the app's own model files (served from its origin under
 * models/, and the runtime's WebAssembly) with byte-level progress, and
 * checks each model's sha256 with SubtleCrypto before anything uses it.
 * The service worker keeps these files in runtime caches (CacheFirst); a
 * file that fails its check is dropped from them, so the next visit
 * downloads it again instead of failing for ever.
 */
import { VanishError } from "../../src/index.js";

/** The service worker's runtime caches (see web/vite.config.ts). */
export const MODEL_CACHE = "vanish-models";
export const RUNTIME_CACHE = "vanish-runtime";

/** The app's models/ folder, seen from a worker of the app (its scripts are one folder down: assets/ built, src/ in development). */
export function modelsFolderUrl(): string {
  return new URL("../models/", self.location.href).href;
}

export interface RemoteFile {
  url: string;
  /** For messages: the file's name under models/, or what it is. */
  name: string;
  /** Expected size, when known in advance (else the response's Content-Length). */
  bytes?: number;
  /** The sha256 (hex) the file must have. */
  sha256?: string;
}

/** Bytes downloaded so far of all files together, and their total (0 while unknown). */
export type DownloadProgress = (loaded: number, total: number) => void;

/**
 * Fetches every file at once, reporting their bytes together; resolves to
 * their contents in order. `mayGoOn` (optional) is awaited before the
 * fetches, before each chunk is read and before the checks, so that a
 * caller can pause the reading and hashing (seconds of CPU for large files)
 * while something more urgent runs.
 */
export async function downloadFiles(
  files: readonly RemoteFile[],
  onProgress?: DownloadProgress,
  mayGoOn?: () => Promise<void>,
): Promise<Uint8Array[]> {
  await mayGoOn?.();
  // Files the service worker keeps are read whole from its cache: a stream's chunks each wait for this thread,
  // which is busy on a cached visit (44 MB in 64-KiB chunks took seconds beside the photo's preparation).
  const kept = await Promise.all(files.map((f) => keptCopy(f.url)));
  const responses = await Promise.all(files.map((f, i) => (kept[i] ? (kept[i] as Response) : open(f))));
  const expected = responses.map((r, i) => files[i].bytes ?? (Number(r.headers.get("content-length")) || 0));
  const loaded = files.map(() => 0);
  let reported = -1;
  const report = (force = false) => {
    if (!onProgress) return;
    const done = loaded.reduce((a, b) => a + b, 0);
    // A file larger than announced (compressed transfer) raises the total instead of overflowing the bar.
    const total = expected.reduce((a, b, i) => a + Math.max(b, loaded[i]), 0);
    // About 200 updates for the whole download are plenty for a progress bar.
    if (force || done - reported >= total / 200) {
      reported = done;
      onProgress(done, total);
    }
  };
  report(true);
  const contents = await Promise.all(
    responses.map((r, i) =>
      (kept[i]
        ? readWhole(r, files[i])
        : readBody(
            r,
            files[i],
            expected[i],
            (n) => {
              loaded[i] = n;
              report();
            },
            mayGoOn,
          )
      ).then((bytes) => {
        loaded[i] = bytes.length;
        report();
        return bytes;
      }),
    ),
  );
  report(true);
  await mayGoOn?.();
  await Promise.all(files.map((f, i) => verify(f, contents[i])));
  return contents;
}

/**
 * Puts the runtime WebAssembly at `url` into the service worker's runtime
 * cache, when it is not there yet (a first visit), before the runtime
 * fetches it itself. Chromium keeps the code it compiles from a streamed
 * response with that response's cached copy, and only when the response
 * came from the cache: compiled straight from the network's response (of
 * which the service worker stores a copy), the runtime was compiled again on
 * the next visit and spent about a second of CPU optimising its hot
 * functions again; compiled from the cache's copy, the next visit loads
 * the optimised code. Costs one more read of the file on the first visit.
 * A failure is left for the runtime's own fetch to report.
 */
export async function keepInRuntimeCache(url: string): Promise<void> {
  if (typeof caches === "undefined") return;
  try {
    const absolute = new URL(url, self.location.href).href;
    if (await caches.match(absolute)) return;
    const response = await fetch(absolute);
    if (!response.ok) return;
    await (await caches.open(RUNTIME_CACHE)).put(absolute, response);
  } catch {
    // The runtime fetches it itself, as before.
  }
}

/** The service worker's copy of `url`, when its caches hold one (undefined elsewhere). */
async function keptCopy(url: string): Promise<Response | undefined> {
  if (typeof caches === "undefined") return undefined;
  try {
    return await caches.match(new URL(url, self.location.href).href);
  } catch {
    return undefined;
  }
}

async function readWhole(response: Response, file: RemoteFile): Promise<Uint8Array> {
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw new VanishError("UNREADABLE", `Could not read ${file.name} from the cache (${(err as Error).message}).`);
  }
}

async function open(file: RemoteFile): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(file.url);
  } catch (err) {
    throw new VanishError(
      "UNREADABLE",
      `Could not download ${file.name} (${(err as Error).message}); it is downloaded once and then kept for offline use.`,
    );
  }
  if (response.status === 404) {
    // Files under models/ come with the build; a 404 means this build left it out.
    throw new VanishError("MISSING_DEPENDENCY", `${file.name} is not part of this build (HTTP 404)`);
  }
  if (response.ok && (response.headers.get("content-type") ?? "").startsWith("text/html")) {
    // A server with a single-page fallback (Vite's preview, `npm start`) answers a missing file with the app's page.
    throw new VanishError("MISSING_DEPENDENCY", `${file.name} is not part of this build (the server sent a web page instead)`);
  }
  if (!response.ok || !response.body) {
    throw new VanishError("UNREADABLE", `Could not download ${file.name} (HTTP ${response.status}).`);
  }
  return response;
}

async function readBody(
  response: Response,
  file: RemoteFile,
  expected: number,
  onBytes: (n: number) => void,
  mayGoOn?: () => Promise<void>,
): Promise<Uint8Array> {
  let buffer = new Uint8Array(expected > 0 ? expected : 1 << 20);
  let size = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      if (mayGoOn) await mayGoOn();
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, size + value.length));
        grown.set(buffer.subarray(0, size));
        buffer = grown;
      }
      buffer.set(value, size);
      size += value.length;
      onBytes(size);
    }
  } catch (err) {
    throw new VanishError("UNREADABLE", `The download of ${file.name} broke off (${(err as Error).message}).`);
  }
  return size === buffer.length ? buffer : buffer.slice(0, size);
}

/** The sha256 of `bytes`, hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!crypto.subtle) {
    throw new VanishError("UNREADABLE", "This page is not a secure context (https or localhost), so model files cannot be checked.");
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function verify(file: RemoteFile, bytes: Uint8Array): Promise<void> {
  if (!file.sha256) return;
  const actual = await sha256Hex(bytes);
  if (actual === file.sha256) return;
  await forget(file.url);
  throw new VanishError(
    "UNSUPPORTED_FORMAT",
    `The model ${file.name} is damaged or not the expected version (sha256 ${actual.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…); reload the page to download it again.`,
  );
}

/** Drops a file from the service worker's caches. */
async function forget(url: string): Promise<void> {
  if (typeof caches === "undefined") return;
  const absolute = new URL(url, self.location.href).href;
  await Promise.all(
    [MODEL_CACHE, RUNTIME_CACHE].map(async (name) => {
      if (await caches.has(name)) await (await caches.open(name)).delete(absolute);
    }),
  ).catch(() => undefined);
}
