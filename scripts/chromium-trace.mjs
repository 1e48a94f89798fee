/**
 * What the main-thread profilers of the browser app share
 * (profile-web-load.mjs, profile-web-tasks.mjs; bench-web.mjs takes the
 * longtask recorder): the built app served by
 * Vite's preview server (PROFILE_WEB_DIST: another build's dist/web) with
 * Debian's Chromium, a Chrome trace read back over CDP, the sampling
 * profiler's samples on one thread, and how a task's nested events and
 * samples are named.
 */
import path from "node:path";
import { chromium } from "playwright-core";
import { preview } from "vite";

/** The events a task is made of: top-level tasks, the timeline, user timing, V8, loading and Blink. */
export const TRACE_CATEGORIES = [
  "toplevel",
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "blink.user_timing",
  "v8",
  "v8.execute",
  "loading",
  "blink",
];
/** The sampling profiler's category: it costs the page's thread much, so only on request. */
export const SAMPLER_CATEGORY = "disabled-by-default-v8.cpu_profiler";
/** A main-thread task's top-level event. */
export const TOP = new Set(["ThreadControllerImpl::RunTask"]);

/** The app served on `port`, and a headless Chromium; `url(engine)` opens it with that tap engine. */
export async function serveApp(port) {
  const server = await preview({
    configFile: "web/vite.config.ts",
    ...(process.env.PROFILE_WEB_DIST ? { build: { outDir: path.resolve(process.env.PROFILE_WEB_DIST) } } : {}),
    preview: { port },
    logLevel: "silent",
  });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  return {
    server,
    browser,
    url: (engine) => `${server.resolvedUrls?.local[0]}?engine=${engine}`,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** Has every page of `context` collect its own longtask entries in `window.__longTasks` ({ start, duration }). */
export async function recordLongTasks(context) {
  await context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask" });
  });
}

/** Starts a trace of `categories`; `stop()` ends it and resolves to its JSON text. */
export async function startTrace(browser, categories) {
  const cdp = await browser.newBrowserCDPSession();
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: categories }, transferMode: "ReturnAsStream" });
  return async () => {
    const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    const { stream } = await done;
    const chunks = [];
    for (;;) {
      const chunk = await cdp.send("IO.read", { handle: stream });
      chunks.push(chunk.base64Encoded ? Buffer.from(chunk.data, "base64").toString() : chunk.data);
      if (chunk.eof) break;
    }
    await cdp.send("IO.close", { handle: stream });
    await cdp.detach();
    return chunks.join("");
  };
}

/** The trace's events (either of Chrome's two layouts). */
export function traceEvents(text) {
  const parsed = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

/** The sampling profiler's samples on thread `key` ("pid:tid"), by time: `{ ts, what }`. */
export function samplesOn(events, key) {
  const samples = [];
  for (const profile of events.filter((e) => e.name === "Profile" && `${e.pid}:${e.tid}` === key)) {
    const nodes = new Map();
    let t = profile.args.data.startTime;
    for (const e of events) {
      if (e.name !== "ProfileChunk" || e.pid !== profile.pid || e.id !== profile.id) continue;
      const data = e.args.data;
      for (const n of data.cpuProfile?.nodes ?? []) nodes.set(n.id, n);
      const s = data.cpuProfile?.samples ?? [];
      const d = data.timeDeltas ?? [];
      for (let i = 0; i < s.length; i++) {
        t += d[i];
        const cf = nodes.get(s[i])?.callFrame;
        if (cf)
          samples.push({ ts: t, what: `${cf.functionName || "(anon)"} ${cf.url ? path.basename(cf.url) : ""}:${cf.lineNumber ?? ""}` });
      }
    }
  }
  return samples.sort((a, b) => a.ts - b.ts);
}

/** A timeline event's label: its name and what it names (a script's file, a function, an event's type). */
export function label(x) {
  const d = x.args?.data ?? x.args?.beginData ?? {};
  const file = d.url ?? d.scriptName ?? x.args?.fileName ?? d.type ?? "";
  const fn = d.functionName ? `(${d.functionName})` : "";
  return `${x.name}${fn}${file ? ` ${path.basename(String(file)).slice(0, 40)}` : ""}`;
}

/** The longest `count` events nested in task `e` (at least `minUs` µs), as "label wall/CPU" in ms. */
export function innerEvents(onMain, e, minUs, count) {
  return onMain
    .filter((x) => x.ph === "X" && x !== e && x.ts >= e.ts && x.ts < e.ts + e.dur && x.dur >= minUs && !TOP.has(x.name))
    .filter((x) => !/StackGuard|HandleInterrupts|InvokeApiInterrupt|ThreadControllerImpl|SequenceManager/.test(x.name))
    .sort((a, b) => b.dur - a.dur)
    .slice(0, count)
    .map((x) => `${label(x)} ${(x.dur / 1000).toFixed(0)}${x.tdur ? `/${(x.tdur / 1000).toFixed(0)}` : ""}`);
}

/** The functions sampled inside task `e`, most time first, as [what, ms] (idle left out). */
export function samplesIn(samples, e, count) {
  const fns = new Map();
  for (let i = 0; i < samples.length - 1; i++) {
    const s = samples[i];
    if (s.ts < e.ts || s.ts > e.ts + e.dur || s.what.startsWith("(idle)")) continue;
    fns.set(s.what, (fns.get(s.what) ?? 0) + Math.min(samples[i + 1].ts - s.ts, 5000) / 1000);
  }
  return [...fns].sort((x, y) => y[1] - x[1]).slice(0, count);
}
