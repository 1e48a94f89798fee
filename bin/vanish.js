#!/usr/bin/env node
// A single erase's fill threads start booting first, while the CLI's own
// modules load: a thread takes about 0.2 s to be ready on two cores, and the
// fill's structure step runs there. (`--jobs` may ask for fewer; the CLI then
// makes its own pool and these end unused.)
if (process.argv[2] === "erase" && !process.argv.some((a) => a.startsWith("--jobs"))) {
  const { prestartFieldThreads } = await import("../dist/src/node/field-threads.js");
  prestartFieldThreads();
}
const { main } = await import("../dist/src/cli/main.js");

await main(process.argv);
