/**
 * CPU time so far of every thread of every Chromium process on this machine,
 * from /proc (Linux): what a step of the browser app cost in CPU whatever
 * else the machine is doing, and whether a thread burns CPU while it waits.
 * Used by bench-web.mjs and profile-web.mjs.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const HZ = 100;

/** Milliseconds of CPU by "process-type pid/tid thread-name". */
export function chromiumCpu() {
  const out = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmd.startsWith("/usr/lib/chromium/chromium") && !cmd.startsWith("/usr/bin/chromium")) continue;
    const type = cmd.match(/--type=([a-z-]+)/)?.[1] ?? "browser";
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ;
        out.set(`${type} ${pid}/${tid} ${name}`, ms);
      } catch {}
    }
  }
  return out;
}

/**
 * CPU milliseconds Chromium's threads used since `before` (a `chromiumCpu()`
 * snapshot): threads that ended meanwhile (a closed page's process) are left
 * out rather than subtracted.
 */
export function chromiumCpuSince(before) {
  let total = 0;
  for (const [key, ms] of chromiumCpu()) total += Math.max(0, ms - (before.get(key) ?? 0));
  return total;
}
