/**
 * `node scripts/profile-web.mjs [engine] [x,y] [wallpaper]`: where the
 * browser app's time goes, thread by thread, on a 12-megapixel copy of a
 * bench wallpaper as `npm run bench:web` makes them (default: its maple leaf,
 * FallenLeaf at 3000,1700). With Segment Anything, the tap waits until it
 * answers (it encodes the photo in the model worker while the built-in
 * engine answers taps).
 * One page (engine "sam" or "builtin", model already cached by a first
 * visit), recorded with Chrome's tracing (CDP) and its sampling profiler:
 * for each phase (open + prepare, tap → mask shown, refinement, Enter →
 * erased shown) the busy time of every thread (the page's main thread, the
 * engine worker, ONNX Runtime's threads) and the functions that took it
 * (self time, from the samples), and the main thread's tasks over 50 ms.
 * CPU time per thread says where the work is even when the machine is
 * shared; wall times need a quiet machine.
 * Needs `npm run build:web` first (`npx vite build --config
 * web/vite.config.ts --minify false` keeps the functions' names). Writes the
 * trace to $PROFILE_WEB_TRACE when set (open it in Perfetto), a screenshot
 * after the tap and after the erase into $PROFILE_WEB_SHOTS; with
 * PROFILE_WEB_NO_ERASE set it stops after the tap; with PROFILE_WEB_ENTER_AT_ONCE
 * set, Enter follows the mask at once (as in bench:web) instead of 3 s later;
 * with PROFILE_WEB_UNDO set, the erase is then undone and made again (Undo,
 * Enter at once, as in bench:web: the photo the engine holds is the page's).
 */
import { rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import sharp from "sharp";
import { preview } from "vite";
import { ensurePhotos } from "../dist/src/bench/photos.js";
import { chromiumCpu } from "./chromium-cpu.mjs";

const W = 4240;
const H = 2832;
const engine = process.argv[2] ?? "sam";
const [tapX, tapY] = (process.argv[3] ?? "3000,1700").split(",").map(Number);
const wallpaper = process.argv[4] ?? "FallenLeaf";

const photos = await ensurePhotos(".cache/photos", (line) => process.stderr.write(`profile-web: ${line}\n`));
const photo = path.join(os.tmpdir(), `vanish-profile-web-${process.pid}.jpg`);
await sharp(photos.find((p) => p.includes(`/${wallpaper}/`)) ?? photos[0])
  .resize(W, H, { fit: "fill", kernel: "lanczos3" })
  .jpeg({ quality: 90 })
  .toFile(photo);

// PROFILE_WEB_DIST: another build of the app to profile (an older commit's, for a before/after pair).
const server = await preview({
  configFile: "web/vite.config.ts",
  ...(process.env.PROFILE_WEB_DIST ? { build: { outDir: path.resolve(process.env.PROFILE_WEB_DIST) } } : {}),
  preview: { port: 4189 },
  logLevel: "silent",
});
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const url = `${server.resolvedUrls?.local[0]}?engine=${engine}`;
const CATEGORIES = [
  "toplevel",
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "blink.user_timing",
  "v8.execute",
  "disabled-by-default-v8.cpu_profiler",
];
let events = [];
const marks = {};
const cpuAt = {};
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const status = (page, prefix) =>
    page.waitForFunction((p) => document.querySelector("[data-testid=status]")?.textContent?.startsWith(p), prefix, {
      polling: 10,
      timeout: 600_000,
    });
  const ready = (page) => page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 600_000 });
  if (engine === "sam") {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 60_000 });
    await page.getByTestId("open").setInputFiles(photo);
    await ready(page);
    await page.close();
  }
  const page = await context.newPage();
  await page.goto(url);
  process.stderr.write(
    `profile-web: crossOriginIsolated ${await page.evaluate(() => self.crossOriginIsolated)}, ${await page.evaluate(() => navigator.hardwareConcurrency)} cores\n`,
  );
  const cdp = await context.newCDPSession(page);
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: CATEGORIES }, transferMode: "ReturnAsStream" });
  const mark = async (name) => {
    cpuAt[name] = chromiumCpu();
    marks[name] = await page.evaluate((n) => {
      performance.mark(n);
      return performance.timeOrigin + performance.now();
    }, name);
  };
  await mark("open");
  await page.getByTestId("open").setInputFiles(photo);
  await ready(page);
  await mark("opened");
  await page.waitForFunction((e) => document.querySelector(".app")?.dataset.tapAnswering === e, engine, { timeout: 600_000 });
  await mark("answering");
  await page.waitForTimeout(500);
  const box = await page.getByTestId("viewport").boundingBox();
  const scale = Math.min(box.width / W, box.height / H) * 0.96;
  await mark("tap");
  await page.mouse.click(box.x + (box.width - W * scale) / 2 + tapX * scale, box.y + (box.height - H * scale) / 2 + tapY * scale);
  await status(page, "Selected");
  await mark("selected");
  process.stderr.write(`profile-web: ${await page.getByTestId("status").textContent()}\n`);
  if (process.env.PROFILE_WEB_SHOTS) await page.screenshot({ path: path.join(process.env.PROFILE_WEB_SHOTS, `${engine}-tapped.png`) });
  const enterAtOnce = Boolean(process.env.PROFILE_WEB_ENTER_AT_ONCE);
  if (!enterAtOnce) await page.waitForTimeout(3000);
  await mark("enter");
  if (!process.env.PROFILE_WEB_NO_ERASE) {
    await page.keyboard.press("Enter");
    await status(page, "Erased");
    await mark("erased");
    process.stderr.write(`profile-web: ${await page.getByTestId("status").textContent()}\n`);
    await page.waitForTimeout(1500);
    await mark("end");
    if (process.env.PROFILE_WEB_UNDO) {
      await page.keyboard.press("Control+z");
      await status(page, "Undid");
      await mark("undone");
      await page.keyboard.press("Enter");
      await status(page, "Erased");
      await mark("again");
      process.stderr.write(`profile-web: again: ${await page.getByTestId("status").textContent()}\n`);
    }
  }
  if (process.env.PROFILE_WEB_SHOTS) await page.screenshot({ path: path.join(process.env.PROFILE_WEB_SHOTS, `${engine}-erased.png`) });
  const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
  await cdp.send("Tracing.end");
  const { stream } = await done;
  let text = "";
  for (;;) {
    const chunk = await cdp.send("IO.read", { handle: stream });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, "base64").toString() : chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send("IO.close", { handle: stream });
  const parsed = JSON.parse(text);
  events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  if (process.env.PROFILE_WEB_TRACE) writeFileSync(process.env.PROFILE_WEB_TRACE, text);
} finally {
  await browser.close();
  await server.close();
  rmSync(photo, { force: true });
}

// Thread names, and the trace clock of the marks (user timing events carry the page's marks).
const threadName = new Map();
for (const e of events) if (e.ph === "M" && e.name === "thread_name") threadName.set(`${e.pid}:${e.tid}`, e.args.name);
const markTs = {};
for (const e of events)
  if (e.cat?.includes("blink.user_timing") && e.name in marks && (e.ph === "R" || e.ph === "I" || e.ph === "n")) markTs[e.name] = e.ts;
const phases = [
  ["open → ready for taps", "open", "opened"],
  ["ready → Segment Anything answers", "opened", "answering"],
  ["tap → selected", "tap", "selected"],
  ["after the tap (3 s, unless Enter at once)", "selected", "enter"],
  ["Enter → erased", "enter", "erased"],
  ["after the erase (1.5 s)", "erased", "end"],
  ["Undo → undone", "end", "undone"],
  ["Enter → erased again", "undone", "again"],
].filter(([, a, b]) => markTs[a] !== undefined && markTs[b] !== undefined);

// Busy time per thread: top-level tasks (ThreadControllerImpl::RunTask and kin) on each thread.
const TOP = new Set(["ThreadControllerImpl::RunTask", "ThreadPool_RunTask"]);
const thread = (e) => `${threadName.get(`${e.pid}:${e.tid}`) ?? "?"} ${e.tid}`;
const interesting = (name) => /CrRendererMain|DedicatedWorker|Worker|Compositor|ThreadPool/.test(name);

// Sampled self time per function per thread, from the cpu profiler's chunks.
const profiles = new Map();
for (const e of events) {
  if (e.name === "Profile")
    profiles.set(`${e.pid}:${e.id}`, {
      key: `${e.pid}:${e.tid}`,
      start: e.args.data.startTime,
      nodes: new Map(),
      t: e.args.data.startTime,
    });
}
const samples = [];
for (const e of events) {
  if (e.name !== "ProfileChunk") continue;
  const p = profiles.get(`${e.pid}:${e.id}`);
  if (!p) continue;
  const data = e.args.data;
  for (const n of data.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n);
  const s = data.cpuProfile?.samples ?? [];
  const d = data.timeDeltas ?? [];
  for (let i = 0; i < s.length; i++) {
    p.t += d[i];
    const node = p.nodes.get(s[i]);
    const cf = node?.callFrame;
    if (!cf) continue;
    const name = cf.functionName || "(anonymous)";
    if (name === "(idle)" || (name === "(program)" && false)) continue;
    samples.push({
      thread: `${threadName.get(p.key) ?? "?"} ${p.key.split(":")[1]}`,
      ts: p.t,
      what: `${name} ${cf.url ? path.basename(cf.url) : ""}:${cf.lineNumber ?? ""}`,
    });
  }
}
samples.sort((a, b) => a.ts - b.ts);
// Each sample stands for the time until the next one on its thread.
const dt = new Map();
const lastOn = new Map();
for (const s of samples) {
  const prev = lastOn.get(s.thread);
  if (prev) dt.set(prev, Math.min(s.ts - prev.ts, 5000));
  dt.set(s, 0);
  lastOn.set(s.thread, s);
}

const out = [
  `profile-web: engine ${engine}, tap (${tapX}, ${tapY}), load average ${os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ")}`,
];
for (const [label, a, b] of phases) {
  const t0 = markTs[a];
  const t1 = markTs[b];
  out.push("", `## ${label}: ${((t1 - t0) / 1000).toFixed(0)} ms wall`);
  // CPU time per thread from /proc (threads of one name in one process summed).
  const before = cpuAt[a];
  const after = cpuAt[b];
  if (before && after) {
    const byName = new Map();
    let total = 0;
    for (const [key, ms] of after) {
      const d = ms - (before.get(key) ?? 0);
      if (d <= 0) continue;
      total += d;
      const [type, ids, ...name] = key.split(" ");
      const k = `${type} ${ids.split("/")[0]} ${name.join(" ")}`;
      byName.set(k, (byName.get(k) ?? 0) + d);
    }
    const top = [...byName].sort((x, y) => y[1] - x[1]).filter(([, v]) => v >= 20);
    out.push(`- CPU (/proc) ${total.toFixed(0)} ms: ${top.map(([k, v]) => `${k} ${v.toFixed(0)}`).join("; ")}`);
  }
  const busy = new Map();
  const long = [];
  for (const e of events) {
    if (e.ph !== "X" || !TOP.has(e.name) || e.ts + (e.dur ?? 0) < t0 || e.ts > t1) continue;
    const name = thread(e);
    const d = (Math.min(t1, e.ts + e.dur) - Math.max(t0, e.ts)) / 1000;
    const tb = busy.get(name) ?? { ms: 0, longest: 0 };
    tb.ms += d;
    tb.longest = Math.max(tb.longest, e.dur / 1000);
    tb.longestCpu = Math.max(tb.longestCpu ?? 0, (e.tdur ?? 0) / 1000);
    busy.set(name, tb);
    // Long by the thread's own CPU time (tdur), which a busy machine does not stretch as it does the wall time.
    if (name.startsWith("CrRendererMain") && (e.tdur ?? e.dur) > 50_000) long.push(e);
  }
  for (const [name, tb] of [...busy].sort((x, y) => y[1].ms - x[1].ms)) {
    if (tb.ms < 5 || !interesting(name)) continue;
    out.push(`- ${name}: busy ${tb.ms.toFixed(0)} ms, longest task ${tb.longest.toFixed(0)} ms (${tb.longestCpu.toFixed(0)} ms CPU)`);
  }
  for (const e of long) {
    // What ran inside this long main-thread task: the timeline events nested in it and the functions sampled.
    const inner = events
      .filter((x) => x.ph === "X" && x.pid === e.pid && x.tid === e.tid && x.ts >= e.ts && x.ts < e.ts + e.dur && x !== e && x.dur > 5000)
      .filter((x) => !/RunTask|StackGuard|HandleInterrupts|InvokeApiInterrupt/.test(x.name))
      .map((x) => `${x.name}${x.args?.data?.functionName ? `(${x.args.data.functionName})` : ""} ${(x.dur / 1000).toFixed(0)}`)
      .slice(0, 10);
    const fns = new Map();
    for (const s of samples) {
      if (!s.thread.startsWith("CrRendererMain") || s.ts < e.ts || s.ts > e.ts + e.dur) continue;
      fns.set(s.what, (fns.get(s.what) ?? 0) + dt.get(s) / 1000);
    }
    const top = [...fns]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 6)
      .map(([w, v]) => `${w} ${v.toFixed(0)}`);
    out.push(
      `  - main-thread task ${((e.tdur ?? e.dur) / 1000).toFixed(0)} ms CPU (${(e.dur / 1000).toFixed(0)} wall) at +${((e.ts - t0) / 1000).toFixed(0)}: ${inner.join(", ")} | ${top.join("; ")}`,
    );
  }
  const byThread = new Map();
  for (const s of samples) {
    if (s.ts < t0 || s.ts > t1) continue;
    const m = byThread.get(s.thread) ?? new Map();
    m.set(s.what, (m.get(s.what) ?? 0) + dt.get(s) / 1000);
    byThread.set(s.thread, m);
  }
  for (const [name, m] of byThread) {
    const top = [...m]
      .filter(([w]) => !w.startsWith("(idle)"))
      .sort((x, y) => y[1] - x[1])
      .slice(0, 12);
    const total = top.reduce((acc, [, v]) => acc + v, 0);
    if (total < 5) continue;
    out.push(`- samples on ${name}: ${top.map(([w, v]) => `${w} ${v.toFixed(0)}`).join("; ")}`);
  }
}
// The engine worker's user timing measures (refine and erase stages), by the phase they started in.
const opened = new Map();
const measures = [];
for (const e of events) {
  if (!e.cat?.includes("blink.user_timing") || e.name in marks) continue;
  const key = `${e.pid}:${e.id ?? e.id2?.local ?? ""}:${e.name}`;
  if (e.ph === "b") opened.set(key, e.ts);
  else if (e.ph === "e" && opened.has(key)) {
    measures.push({ name: e.name, ts: opened.get(key), ms: (e.ts - opened.get(key)) / 1000 });
    opened.delete(key);
  }
}
measures.sort((a, b) => a.ts - b.ts);
for (const [label, a, b] of phases) {
  const inPhase = measures.filter((m) => m.ts >= markTs[a] && m.ts < markTs[b]);
  if (inPhase.length === 0) continue;
  out.push(
    "",
    `## measures in ${label}`,
    ...inPhase.map((m) => `- +${((m.ts - markTs[a]) / 1000).toFixed(0)} ms: ${m.name} ${m.ms.toFixed(0)} ms`),
  );
}
process.stdout.write(`${out.join("\n")}\n`);
