/**
 * The browser app under test, shared by the end-to-end test files: builds
 * web/ into a temporary folder, serves it with Vite's preview server (the
 * app's own config, so the same COOP/COEP headers as `npm start`), and
 * drives Debian's Chromium through playwright-core (never a downloaded
 * browser). CI installs chromium (.ci/run); elsewhere the tests are skipped
 * when /usr/bin/chromium is missing.
 * Pages open with `?engine=builtin` unless a test asks for the default
 * engine: the Segment Anything model (45 MB, seconds of WebAssembly per
 * photo) is exercised by the few tests that are about it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";

export const CHROMIUM = "/usr/bin/chromium";
/** The `skip` option of the browser tests. */
export const skipBrowser: string | false =
  !existsSync(CHROMIUM) && process.env.CI !== "true" ? "Chromium is not installed (apt-get install chromium)" : false;
const CONFIG = path.resolve("web/vite.config.ts");

export interface WebApp {
  /** A temporary folder for the test's files; the build is in `web/` below it. */
  dir: string;
  browser: Browser;
  server: PreviewServer;
  /** The app's address; `engine` is the tap-to-select engine (`?engine=`), "auto" being the app's default. */
  url(engine?: "builtin" | "auto" | "sam"): string;
  close(): Promise<void>;
}

/** Builds and serves the app on `port` (or the next free one) and starts the browser. */
export async function startWebApp(name: string, port: number): Promise<WebApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vanish-${name}-`));
  const outDir = path.join(dir, "web");
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  try {
    await build({ configFile: CONFIG, logLevel: "silent", build: { outDir, emptyOutDir: true } });
    server = await preview({ configFile: CONFIG, logLevel: "silent", build: { outDir }, preview: { port } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
  } catch (err) {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const base = server.resolvedUrls?.local[0] as string;
  const started = { server, browser };
  return {
    dir,
    ...started,
    url: (engine = "builtin") => (engine === "auto" ? base : `${base}?engine=${engine}`),
    close: async () => {
      await started.browser.close();
      await started.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors in the page, collected as they happen. */
  errors: string[];
  close(): Promise<void>;
}

/** A page in a fresh browser context (its own storage and service worker). */
export async function newPage(app: WebApp, options: BrowserContextOptions = {}): Promise<TestPage> {
  const context = await app.browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return { page, context, errors, close: () => context.close() };
}

/** Waits until the status line says `text`. */
export function statusSays(page: Page, text: string | RegExp, timeout = 30_000): Promise<void> {
  return page.getByTestId("status").filter({ hasText: text }).waitFor({ timeout });
}

/** Loads the app (with `engine`) in `page`, opens `file` and waits until tap-to-select is prepared. */
export async function openPhoto(app: WebApp, page: Page, file: string, engine: "builtin" | "auto" = "builtin"): Promise<void> {
  await page.goto(app.url(engine));
  await page.getByTestId("open").setInputFiles(file);
  await statusSays(page, "ready", engine === "builtin" ? 30_000 : 240_000);
}

/** Maps photo pixels to page points for a `width`×`height` photo as fitted on opening. */
export async function photoToScreen(page: Page, width: number, height: number): Promise<(x: number, y: number) => [number, number]> {
  const box = (await page.getByTestId("viewport").boundingBox()) as { x: number; y: number; width: number; height: number };
  const scale = Math.min(box.width / width, box.height / height) * 0.96;
  return (x, y) => [box.x + (box.width - width * scale) / 2 + x * scale, box.y + (box.height - height * scale) / 2 + y * scale];
}
