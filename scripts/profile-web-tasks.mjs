/**
 * `node scripts/profile-web-tasks.mjs [runs]`: every main-thread task of the
 * browser app over PROFILE_WEB_TASKS_OVER ms (default 50, wall or CPU) in a
 * whole session on a 12 MP photo, as bench:web plays it: page load, opening
 * the photo, (Segment Anything) the encoder finishing, a tap, Enter (erase),
 * Undo, Enter again. Traced with Chrome's tracing (CDP) as
 * scripts/profile-web-load.mjs does for page load; each step is marked with
 * performance.mark so every task is named by the step it fell in, with the
 * timeline events nested in it (script, GC, image decode, paint, layout,
 * message handlers). Per run: the longest task of each step (CPU and wall).
 * PROFILE_WEB_TASKS_SAMPLES set: also the functions the sampling profiler
 * saw in each long task (the profiler itself slows the page).
 * Env: PROFILE_WEB_DIST (another build's dist/web), PROFILE_WEB_ENGINE
 * (sam or builtin, default builtin), PROFILE_WEB_SHOT (a screenshot after the
 * second erase), PROFILE_WEB_OBJECT (default "red leaf").
 * The SAM engine needs the model in the service worker's cache: the first
 * visit of each run (untraced) downloads it.
 * Needs `npm run build:web` first.
 */
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { ensurePhotos } from "../dist/src/bench/photos.js";
import {
  innerEvents,
  SAMPLER_CATEGORY,
  samplesIn,
  samplesOn,
  serveApp,
  startTrace,
  TOP,
  TRACE_CATEGORIES,
  traceEvents,
} from "./chromium-trace.mjs";

const W = 4240;
const H = 2832;
const OBJECTS = {
  "maple leaf": { wallpaper: "FallenLeaf", x: 3000, y: 1700 },
  "red leaf": { wallpaper: "FallenLeaf", x: 1350, y: 850 },
  "front boat": { wallpaper: "EveningGlow", x: 560, y: 2250 },
  "middle boat": { wallpaper: "EveningGlow", x: 1560, y: 1750 },
};
const runs = Number(process.argv[2] ?? 1);
const over = Number(process.env.PROFILE_WEB_TASKS_OVER ?? 50) * 1000;
const engine = process.env.PROFILE_WEB_ENGINE ?? "builtin";
const object = OBJECTS[process.env.PROFILE_WEB_OBJECT ?? "red leaf"];
const photos = await ensurePhotos(".cache/photos", (line) => process.stderr.write(`profile-web-tasks: ${line}\n`));
const photo = path.join(os.tmpdir(), `vanish-profile-web-tasks-${process.pid}.jpg`);
await sharp(photos.find((p) => p.includes(`/${object.wallpaper}/`)))
  .resize(W, H, { fit: "fill", kernel: "lanczos3" })
  .jpeg({ quality: 90 })
  .toFile(photo);

const CATEGORIES = [
  ...TRACE_CATEGORIES,
  // The sampling profiler costs the page's thread much: only on request (PROFILE_WEB_TASKS_SAMPLES).
  ...(process.env.PROFILE_WEB_TASKS_SAMPLES ? [SAMPLER_CATEGORY] : []),
];
const { browser, close, url: urlFor } = await serveApp(4191);
const url = urlFor(engine);
const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ");
const out = [`profile-web-tasks: ${process.env.PROFILE_WEB_DIST ?? "dist/web"}, ${engine}, load average ${load()}`];

try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const status = (prefix) =>
      page.waitForFunction((p) => document.querySelector("[data-testid=status]")?.textContent?.startsWith(p), prefix, {
        polling: 10,
        timeout: 300_000,
      });
    if (engine === "sam") {
      await page.goto(url);
      await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 60_000 });
      await page.getByTestId("open").setInputFiles(photo);
      await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 600_000 });
      await page.waitForFunction(() => document.querySelector(".app")?.dataset.tapAnswering === "sam", undefined, {
        timeout: 600_000,
      });
    }
    const stopTrace = await startTrace(browser, CATEGORIES);
    const mark = (name) => page.evaluate((n) => performance.mark(`step:${n}`), name);
    await page.goto(url);
    await page.waitForTimeout(1500);
    await mark("open");
    await page.getByTestId("open").setInputFiles(photo);
    await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 600_000 });
    if (engine === "sam") {
      await mark("encoder");
      await page.waitForFunction(() => document.querySelector(".app")?.dataset.tapAnswering === "sam", undefined, {
        polling: 10,
        timeout: 600_000,
      });
    }
    await page.waitForTimeout(500);
    const box = await page.getByTestId("viewport").boundingBox();
    const scale = Math.min(box.width / W, box.height / H) * 0.96;
    await mark("tap");
    await page.mouse.click(box.x + (box.width - W * scale) / 2 + object.x * scale, box.y + (box.height - H * scale) / 2 + object.y * scale);
    await status("Selected");
    await mark("erase");
    await page.keyboard.press("Enter");
    await status("Erased");
    await page.waitForTimeout(300);
    await mark("undo");
    await page.keyboard.press("Control+z");
    await status("Undid");
    await page.waitForTimeout(300);
    await mark("erase again");
    await page.keyboard.press("Enter");
    await status("Erased");
    await page.waitForTimeout(500);
    await mark("end");
    if (process.env.PROFILE_WEB_SHOT) await page.screenshot({ path: process.env.PROFILE_WEB_SHOT });
    const text = await stopTrace();
    await context.close();
    const events = traceEvents(text);
    const navs = events.filter((e) => e.name === "navigationStart" && String(e.args?.data?.documentLoaderURL).startsWith(url));
    const pageMain = navs.at(-1);
    const key = pageMain ? `${pageMain.pid}:${pageMain.tid}` : "";
    const onMain = events.filter((e) => `${e.pid}:${e.tid}` === key);
    const nav = pageMain?.ts ?? 0;
    const marks = onMain
      .filter((e) => String(e.name).startsWith("step:") && e.ts >= nav)
      .map((e) => ({ step: e.name.slice(5), ts: e.ts }))
      .sort((a, b) => a.ts - b.ts);
    const stepOf = (ts) => [{ step: "page load", ts: nav }, ...marks].filter((m) => m.ts <= ts).at(-1)?.step ?? "?";
    const endTs = marks.find((m) => m.step === "end")?.ts ?? Number.POSITIVE_INFINITY;
    const tasks = onMain.filter((e) => e.ph === "X" && TOP.has(e.name) && e.ts >= nav && e.ts < endTs);
    const longest = new Map();
    for (const e of tasks) {
      const s = stepOf(e.ts);
      const [c, w] = longest.get(s) ?? [0, 0];
      longest.set(s, [Math.max(c, (e.tdur ?? 0) / 1000), Math.max(w, e.dur / 1000)]);
    }
    out.push(
      "",
      `## run ${run + 1}: ${tasks.length} tasks, load ${load()}`,
      `- longest task per step (CPU/wall ms): ${[...longest].map(([s, [c, w]]) => `${s} ${c.toFixed(0)}/${w.toFixed(0)}`).join("; ")}`,
    );
    // Sampled functions on the main thread (PROFILE_WEB_TASKS_SAMPLES).
    const samples = samplesOn(events, key);
    for (const e of tasks.filter((t) => t.dur >= over || (t.tdur ?? 0) >= over)) {
      const inner = innerEvents(onMain, e, 3000, 12);
      out.push(
        `- [${stepOf(e.ts)}] task ${(e.dur / 1000).toFixed(0)} ms wall, ${((e.tdur ?? 0) / 1000).toFixed(0)} ms CPU at +${((e.ts - nav) / 1000).toFixed(0)}: ${inner.join(", ")}`,
      );
      const top = samplesIn(samples, e, 10);
      if (top.length > 0) out.push(`  samples: ${top.map(([w, v]) => `${w} ${v.toFixed(1)}`).join("; ")}`);
    }
  }
} finally {
  await close();
  rmSync(photo, { force: true });
}
process.stdout.write(`${out.join("\n")}\n`);
