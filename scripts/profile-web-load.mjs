/**
 * `node scripts/profile-web-load.mjs [runs]`: what the browser app's page
 * does on its main thread while it loads, before any photo is chosen (the
 * "page load" column of `npm run bench:web`). Each run is a fresh browser
 * profile (as bench:web's pages with the built-in engine: no service worker
 * yet), traced with Chrome's tracing (CDP) from before the navigation until
 * PROFILE_WEB_LOAD_MS (default 1500) after the load event; prints each
 * main-thread task over PROFILE_WEB_LOAD_OVER ms (default 30, wall or CPU)
 * with the timeline events nested in it (script evaluation of which file,
 * compile, parse, style, layout, paint, worker start) and the functions the
 * sampling profiler saw in it (PROFILE_WEB_LOAD_SAMPLES set: the profiler
 * itself costs the page tens of ms); per run also the five tasks with the
 * most CPU, the longest task the page's observers can see (after its
 * commit), first contentful paint, and the longtask entries the page itself
 * saw (PerformanceObserver, as bench:web counts them).
 * Env: PROFILE_WEB_DIST (another build's dist/web), PROFILE_WEB_TRACE (write
 * the last run's trace there, for Perfetto), PROFILE_WEB_SHOT (a screenshot
 * after load), PROFILE_WEB_ENGINE (default builtin).
 * Needs `npm run build:web` first.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import {
  innerEvents,
  recordLongTasks,
  SAMPLER_CATEGORY,
  samplesIn,
  samplesOn,
  serveApp,
  startTrace,
  TOP,
  TRACE_CATEGORIES,
  traceEvents,
} from "./chromium-trace.mjs";

const runs = Number(process.argv[2] ?? 3);
const afterLoadMs = Number(process.env.PROFILE_WEB_LOAD_MS ?? 1500);
const over = Number(process.env.PROFILE_WEB_LOAD_OVER ?? 30) * 1000;
const engine = process.env.PROFILE_WEB_ENGINE ?? "builtin";
const CATEGORIES = [
  ...TRACE_CATEGORIES,
  "disabled-by-default-v8.compile",
  "fonts",
  // The sampling profiler costs the page's thread much (its start alone is a task of tens of ms): only on request.
  ...(process.env.PROFILE_WEB_LOAD_SAMPLES ? [SAMPLER_CATEGORY] : []),
];

const { browser, close, url: urlFor } = await serveApp(4190);
const url = urlFor(engine);
const out = [
  `profile-web-load: ${process.env.PROFILE_WEB_DIST ?? "dist/web"}, load average ${os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ")}`,
];

try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await recordLongTasks(context);
    const page = await context.newPage();
    const stopTrace = await startTrace(browser, CATEGORIES);
    await page.goto(url);
    await page.waitForTimeout(afterLoadMs);
    const longTasks = await page.evaluate(() => window.__longTasks);
    if (process.env.PROFILE_WEB_SHOT) await page.screenshot({ path: process.env.PROFILE_WEB_SHOT });
    const text = await stopTrace();
    await context.close();
    if (process.env.PROFILE_WEB_TRACE) writeFileSync(process.env.PROFILE_WEB_TRACE, text);
    const events = traceEvents(text);

    const threadName = new Map();
    for (const e of events) if (e.ph === "M" && e.name === "thread_name") threadName.set(`${e.pid}:${e.tid}`, e.args.name);
    // The page's renderer: the process whose main thread ran the app's scripts.
    const pageMain = events.find((e) => e.name === "navigationStart" && String(e.args?.data?.documentLoaderURL).startsWith(url));
    const key = pageMain ? `${pageMain.pid}:${pageMain.tid}` : "";
    const onMain = events.filter((e) => `${e.pid}:${e.tid}` === key);
    const nav = pageMain?.ts ?? 0;
    const tasks = onMain.filter((e) => e.ph === "X" && TOP.has(e.name) && e.ts >= nav).sort((a, b) => a.ts - b.ts);
    const long = tasks.filter((e) => e.dur >= over || (e.tdur ?? 0) >= over);
    const sum = tasks.reduce((a, e) => a + (e.tdur ?? 0), 0) / 1000;
    out.push(
      "",
      `## run ${run + 1}: main thread ${threadName.get(key)} ${key}, ${tasks.length} tasks, ${sum.toFixed(0)} ms CPU in all; page's longtask entries: ${longTasks.map((t) => `${t.duration.toFixed(0)}@${t.start.toFixed(0)}`).join(", ") || "none"}`,
    );
    // Sampled functions on the main thread.
    const samples = samplesOn(events, key);
    // The five tasks with the most CPU, each named by what it mostly ran; and the main-thread compile inside them.
    const kinds = [
      ["v8.evaluateModule", "script"],
      ["SVGImage::DataChanged", "svg image"],
      ["Document::FinishedParsing", "parsed"],
      ["WebFrameWidgetImpl::UpdateLifecycle", "frame"],
      ["DocumentLoader::CommitNavigation", "commit"],
      ["TimerFire", "timer"],
      ["v8.callFunction", "callback"],
    ];
    const summary = [...tasks]
      .sort((a, b) => (b.tdur ?? 0) - (a.tdur ?? 0))
      .slice(0, 5)
      .map((e) => {
        const inner = onMain.filter((x) => x.ph === "X" && x.ts >= e.ts && x.ts < e.ts + e.dur);
        const kind = kinds.find(([n]) => inner.some((x) => x.name === n))?.[1] ?? "other";
        const compile = inner
          .filter(
            (x) =>
              x.name === "V8.CompileCode" &&
              !inner.some((y) => y !== x && y.name === "V8.CompileCode" && y.ts <= x.ts && x.ts + x.dur <= y.ts + y.dur),
          )
          .reduce((a, x) => a + (x.tdur ?? 0), 0);
        const layout = inner.filter((x) => x.name === "Layout").reduce((a, x) => a + (x.tdur ?? 0), 0);
        return `${kind} ${((e.tdur ?? 0) / 1000).toFixed(1)} CPU/${(e.dur / 1000).toFixed(0)} wall (compile ${(compile / 1000).toFixed(1)}, layout ${(layout / 1000).toFixed(1)}) @${((e.ts - nav) / 1000).toFixed(0)}`;
      });
    // The page's observers exist from the commit's task on (its new document's context): the tasks after it are the ones they see.
    // (The page's document is committed in the last task that commits one before its script runs; an initial
    // about:blank's comes first.)
    const scriptAt = onMain.find((x) => x.name === "v8.evaluateModule")?.ts ?? Number.POSITIVE_INFINITY;
    const commit = tasks
      .filter(
        (e) =>
          e.ts < scriptAt &&
          onMain.some((x) => x.name === "DocumentLoader::CommitNavigation" && x.dur > 0 && x.ts >= e.ts && x.ts < e.ts + e.dur),
      )
      .at(-1);
    const seen = tasks.filter((e) => !commit || e.ts > commit.ts);
    const longestCpu = Math.max(0, ...seen.map((e) => e.tdur ?? 0)) / 1000;
    const longestWall = Math.max(0, ...seen.map((e) => e.dur)) / 1000;
    const seenCpu = seen.reduce((a, e) => a + (e.tdur ?? 0), 0) / 1000;
    // When the page first painted text (the app's first render), from the navigation's start.
    const fcp = events.find((e) => e.name === "firstContentfulPaint" && e.pid === pageMain?.pid && e.ts >= nav);
    const scriptTask = tasks.find((e) => e.ts + e.dur >= scriptAt);
    out.push(
      `- first contentful paint +${fcp ? ((fcp.ts - nav) / 1000).toFixed(0) : "?"} ms; the script ran ${commit && scriptTask ? ((scriptTask.ts - commit.ts - commit.dur) / 1000).toFixed(0) : "?"} ms after the commit's task`,
      `- after the commit: longest task ${longestCpu.toFixed(1)} ms CPU, ${longestWall.toFixed(0)} ms wall; ${seenCpu.toFixed(0)} ms CPU in all`,
      `- most CPU: ${summary.join("; ")}`,
    );
    for (const e of long) {
      const inner = innerEvents(onMain, e, 2000, 14);
      const top = samplesIn(samples, e, 12).map(([w, v]) => `${w} ${v.toFixed(1)}`);
      out.push(
        `- task ${(e.dur / 1000).toFixed(0)} ms wall, ${((e.tdur ?? 0) / 1000).toFixed(0)} ms CPU at +${((e.ts - nav) / 1000).toFixed(0)} ms: ${inner.join(", ")}`,
        `  samples: ${top.join("; ")}`,
      );
    }
  }
} finally {
  await close();
}
process.stdout.write(`${out.join("\n")}\n`);
