/**
 * The app's "Suggestions" latency in Debian's Chromium (headless, the
 * tests' flags): for each tap-to-select engine (BENCH_WEB_ENGINES, default
 * builtin,auto), a first visit (fresh browser profile, nothing cached) and
 * then a cached visit, offline (a new tab of the same profile with the
 * network cut: only the service worker's caches, filled by the first
 * visit, can serve the app, the models and the runtimes). Each visit
 * opens the photo given on the command line, presses Suggestions as soon
 * as the app takes the press, and waits for the outlines. Prints open →
 * outlines, open → tap-to-select ready, and Chromium's CPU time over the
 * same span (all its processes: page, workers, GPU and network), with the
 * load average; keeps a screenshot of each visit in bench-out/.
 * The first visit waits for the service worker to control the page before
 * opening the photo, as a visitor who takes a second to pick one would;
 * BENCH_WEB_PICK_MS (default 0) makes both visits wait that long more
 * after the page is up, as a visitor picking a photo does (on a cached
 * visit the suggestion models start loading with the page).
 * Each visit's tab is opened BENCH_WEB_TAB_MS (default 2000) before the
 * app's address is loaded in it: Chromium 156 builds its omnibox popup (a
 * WebUI renderer, about 0.8 s of CPU here) for every new tab, which a
 * visitor's tab did long before; 0 leaves that inside the timed span, as
 * runs before session 7 did. BENCH_WEB_PRESS_MS (default 0) waits that
 * long after opening before pressing, as a person does.
 * Needs `npm run build:web` first (it serves dist/web, or the build folder
 * named by BENCH_WEB_DIST, an absolute path), built with NanoDet
 * at hand for people (see README, "Browser app").
 * Usage: node scripts/bench-web-suggest.mjs photo.jpg
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { chromium } from "playwright-core";
import { preview } from "vite";

const photo = process.argv[2];
if (!photo) {
  process.stderr.write("usage: node scripts/bench-web-suggest.mjs photo.jpg (a 12-megapixel photo)\n");
  process.exit(2);
}
const engines = (process.env.BENCH_WEB_ENGINES ?? "builtin,auto").split(",");
const pickMs = Number(process.env.BENCH_WEB_PICK_MS ?? 0);
const tabMs = Number(process.env.BENCH_WEB_TAB_MS ?? 2000);
const pressMs = Number(process.env.BENCH_WEB_PRESS_MS ?? 0);
/** Another build to serve than dist/web (an absolute path), to compare builds in one session. */
const distDir = process.env.BENCH_WEB_DIST;
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** CPU seconds (user + system) of every process below this one: the browser and its children. */
function browserCpuSeconds() {
  const parent = new Map();
  const ticks = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // The fields after the command name, which is in parentheses and may hold spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parent.set(Number(name), Number(f[1]));
    ticks.set(Number(name), Number(f[11]) + Number(f[12]));
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += t;
        break;
      }
    }
  }
  return total / TICKS;
}

mkdirSync("bench-out", { recursive: true });
const server = await preview({
  configFile: "web/vite.config.ts",
  logLevel: "silent",
  preview: { port: 4231 },
  ...(distDir ? { build: { outDir: distDir } } : {}),
});
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

/** Opens the photo in `page`, presses Suggestions once the app takes it, and times the outlines and the tap-to-select preparation. */
async function visit(page, engine, label) {
  if (pickMs > 0) await page.waitForTimeout(pickMs);
  const status = page.getByTestId("status");
  // The status line says "ready in" once tap-to-select is prepared; later messages replace it, so it is caught as it comes.
  await page.evaluate(() => {
    const line = document.querySelector("[data-testid=status]");
    window.__readyAt = 0;
    new MutationObserver(() => {
      if (!window.__readyAt && /ready in/.test(line.textContent)) window.__readyAt = Date.now();
    }).observe(line, { childList: true, characterData: true, subtree: true });
  });
  const cpu0 = browserCpuSeconds();
  const t0 = Date.now();
  await page.getByTestId("open").setInputFiles(photo);
  if (pressMs > 0) await page.waitForTimeout(pressMs);
  await page.getByTestId("suggest").click({ timeout: 120_000 });
  const pressed = Date.now();
  await page.waitForFunction(
    () =>
      document.querySelector("[data-testid=suggestion]") !== null ||
      /Found no|Suggestions failed/.test(document.querySelector("[data-testid=status]")?.textContent ?? ""),
    undefined,
    { timeout: 120_000, polling: 50 },
  );
  const outlined = Date.now();
  const cpu = browserCpuSeconds() - cpu0;
  const outlines = await page.getByTestId("suggestion").count();
  const said = (await status.textContent()) ?? "";
  await page.screenshot({ path: `bench-out/suggest-web-${engine}-${label.replace(/ /g, "-")}.png` });
  process.stdout.write(
    `${engine} ${label}${pickMs > 0 ? `, opened ${pickMs} ms after the page` : ""}: open → outlines ${outlined - t0} ms (open → press ${pressed - t0} ms), ${outlines} outlines, Chromium CPU ${cpu.toFixed(1)} s · load average ${os.loadavg()[0].toFixed(1)} · ${said}\n`,
  );
  const readyAt = await page
    .waitForFunction(() => window.__readyAt, undefined, { timeout: 180_000, polling: 100 })
    .then((h) => h.jsonValue());
  process.stdout.write(`${engine} ${label}: open → tap-to-select ready ${readyAt - t0} ms\n`);
}

try {
  for (const engine of engines) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const first = await context.newPage();
    first.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await first.waitForTimeout(tabMs);
    await first.goto(`${base}?engine=${engine}`);
    await first.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000 });
    await visit(first, engine, "first visit");
    await first.close();
    // Offline: the second visit can only use what the first one left in the service worker's caches.
    await context.setOffline(true);
    const cached = await context.newPage();
    cached.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await cached.waitForTimeout(tabMs);
    await cached.goto(`${base}?engine=${engine}`);
    await visit(cached, engine, "cached visit (offline)");
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
