/**
 * `npm run bench:web`: the browser app's latency in Debian's Chromium
 * (headless, the flags the tests use), on a 12-megapixel photo made from a
 * benchmark wallpaper (cached by `vanish bench`; fetched on first use).
 * For three objects: open + prepare, tap → mask on screen, then Enter at once
 * → erased photo on screen; and the longest main-thread tasks while opening
 * and after.
 * Needs `npm run build:web` first (it serves dist/web).
 */
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import sharp from "sharp";
import { preview } from "vite";
import { ensurePhotos } from "../dist/src/bench/photos.js";

const W = 4240;
const H = 2832;
const TAPS = [
  [2120, 1900],
  [700, 2500],
  [3400, 1200],
];

const photos = await ensurePhotos(".cache/photos", (line) => process.stderr.write(`bench:web: ${line}\n`));
const photo = path.join(os.tmpdir(), `vanish-bench-web-${process.pid}.jpg`);
await sharp(photos.find((p) => p.includes("/Path/")) ?? photos[0])
  .resize(W, H, { fit: "fill", kernel: "lanczos3" })
  .jpeg({ quality: 90 })
  .toFile(photo);

const server = await preview({ configFile: "web/vite.config.ts", preview: { port: 4188 }, logLevel: "silent" });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const rows = [];
try {
  for (const [x, y] of TAPS) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push(e.duration);
      }).observe({ type: "longtask" });
    });
    await page.goto(server.resolvedUrls?.local[0]);
    const status = (prefix) =>
      page.waitForFunction((p) => document.querySelector("[data-testid=status]")?.textContent?.startsWith(p), prefix, {
        polling: 10,
        timeout: 120_000,
      });
    let t0 = Date.now();
    await page.getByTestId("open").setInputFiles(photo);
    await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 120_000 });
    const open = Date.now() - t0;
    const longestOpening = Math.max(0, ...(await page.evaluate(() => window.__longTasks)));
    await page.evaluate(() => {
      window.__longTasks = [];
    });
    const box = await page.getByTestId("viewport").boundingBox();
    const scale = Math.min(box.width / W, box.height / H) * 0.96;
    t0 = Date.now();
    await page.mouse.click(box.x + (box.width - W * scale) / 2 + x * scale, box.y + (box.height - H * scale) / 2 + y * scale);
    await status("Selected");
    const tap = Date.now() - t0;
    await page.keyboard.press("Enter");
    await status("Erased");
    const erased = Date.now() - t0;
    const text = await page.getByTestId("status").textContent();
    const longest = Math.max(0, ...(await page.evaluate(() => window.__longTasks)));
    const erasedPixels = text.match(/Erased ([\d,]+) pixels/)?.[1] ?? "?";
    rows.push(`| (${x}, ${y}) | ${open} | ${tap} | ${erased} | ${erasedPixels} | ${Math.round(longestOpening)} | ${Math.round(longest)} |`);
    process.stderr.write(`bench:web: tap (${x}, ${y}) done\n`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
process.stdout.write(
  [
    `Browser app, ${W}×${H} photo, headless Chromium (ms):`,
    "",
    "| tap at | open + prepare | tap → mask shown | tap → erased shown (Enter at once) | pixels erased | longest main-thread task: opening | after |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n"),
);
