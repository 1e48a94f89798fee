/**
 * The app's "Suggestions" latency in Debian's Chromium (headless, the
 * tests' flags): for each tap-to-select engine (BENCH_WEB_ENGINES, default
 * builtin,auto), open the 12-megapixel photo given on the command line,
 * press Suggestions as soon as the app takes the press (it ignores presses
 * while it prepares the photo), and wait for the outlines; twice per
 * engine, the second time with the models loaded. Prints open → press,
 * press → outlines and open → outlines with the load average, and keeps a
 * screenshot of each round in bench-out/.
 * Needs `npm run build:web` first (it serves dist/web), built with NanoDet
 * at hand for people (see README, "Browser app").
 * Usage: node scripts/bench-web-suggest.mjs photo.jpg
 */
import { mkdirSync } from "node:fs";
import os from "node:os";
import { chromium } from "playwright-core";
import { preview } from "vite";

const photo = process.argv[2];
if (!photo) {
  process.stderr.write("usage: node scripts/bench-web-suggest.mjs photo.jpg (a 12-megapixel photo)\n");
  process.exit(2);
}
const engines = (process.env.BENCH_WEB_ENGINES ?? "builtin,auto").split(",");
mkdirSync("bench-out", { recursive: true });
const server = await preview({ configFile: "web/vite.config.ts", logLevel: "silent", preview: { port: 4231 } });
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
try {
  for (const engine of engines) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, serviceWorkers: "block" });
    const page = await context.newPage();
    page.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`${base}?engine=${engine}`);
    const status = page.getByTestId("status");
    for (const round of [1, 2]) {
      const t0 = Date.now();
      await page.getByTestId("open").setInputFiles(photo);
      let pressed = 0;
      for (;;) {
        await page.getByTestId("suggest").click({ timeout: 300_000 });
        pressed = Date.now();
        const said = (await status.textContent()) ?? "";
        if ((await page.getByText("Looking for people").count()) > 0 || /suggested|Found no/.test(said)) break;
        await page.waitForTimeout(100);
      }
      await status.filter({ hasText: /suggested|Found no/ }).waitFor({ timeout: 300_000 });
      const t1 = Date.now();
      process.stdout.write(
        `${engine} ${round === 1 ? "first photo" : "next photo"}: open → press ${pressed - t0} ms, press → outlines ${t1 - pressed} ms, open → outlines ${t1 - t0} ms · load average ${os.loadavg()[0].toFixed(1)} · ${await status.textContent()}\n`,
      );
      await page.screenshot({ path: `bench-out/suggest-web-${engine}-${round}.png` });
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
