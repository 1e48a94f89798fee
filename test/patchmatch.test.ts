import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { test } from "node:test";
import { MessageChannel } from "node:worker_threads";
import { PatchMatchCoarse } from "../src/core/inpaint/completion.js";
import {
  bandCount,
  improveNnf,
  makePatchProblem,
  ownKernelCache,
  type PatchProblem,
  packHole,
  patchArea,
  patchDistance,
  planScans,
  randomNnf,
  refreshDistances,
  scanBand,
  scanBandsHere,
  shareProblem,
  withoutKernel,
} from "../src/core/inpaint/patchmatch.js";
import { upsampleFieldInWasm, voterSetupInWasm } from "../src/core/inpaint/wasm/coarse.js";
import { distanceToKnown } from "../src/core/mask.js";
import { Random } from "../src/core/random.js";
import { compiledOnce, decodeBase64 } from "../src/core/wasm.js";

/** A random colour image (plus two texture-like channels when C = 5) with a rectangular hole. */
function randomProblem(C: 3 | 5, kernel: "wasm" | "typescript", seed: number): PatchProblem {
  const w = 90;
  const h = 70;
  const rng = new Random(seed);
  const image = new Float32Array(w * h * C);
  for (let i = 0; i < image.length; i++) image[i] = i % C < 3 ? rng.next() * 255 : rng.next() * 40;
  const hole = new Uint8Array(w * h);
  for (let y = 20; y < 50; y++) hole.fill(1, y * w + 30, y * w + 60);
  const problem = makePatchProblem(image, w, h, C, hole, 3, C === 5 ? { channel: 3, weight: 64 } : undefined, kernel);
  assert.ok(problem);
  return problem;
}

/** The float sum of squared differences the packed distance approximates (first three channels + λ × texture). */
function floatDistance(p: PatchProblem, t: number, s: number): number {
  const { width: w, height: h, channels: C, image, radius: r } = p;
  const tx = t % w;
  const ty = (t - tx) / w;
  let sum = 0;
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      if (tx + dx < 0 || tx + dx >= w || ty + dy < 0 || ty + dy >= h) continue;
      const a = (t + dy * w + dx) * C;
      const b = (s + dy * w + dx) * C;
      for (let c = 0; c < C; c++) sum += (c < 3 ? 1 : p.textureWeight) * (image[a + c] - image[b + c]) ** 2;
    }
  }
  return sum;
}

test("PatchMatch recovers a known shift of a random texture exactly", () => {
  const w = 120;
  const h = 80;
  const C = 3;
  const rng = new Random(42);
  const image = new Float32Array(w * h * C);
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rng.next() * 256);
  // The right part repeats the left part shifted by (−56, +5): every patch there has one exact twin.
  const dx = -56;
  const dy = 5;
  for (let y = 0; y < h; y++) {
    for (let x = 64; x < w; x++) {
      const sx = x + dx;
      const sy = Math.min(h - 1, Math.max(0, y + dy));
      for (let c = 0; c < C; c++) image[(y * w + x) * C + c] = image[(sy * w + sx) * C + c];
    }
  }
  const hole = new Uint8Array(w * h);
  for (let y = 30; y < 50; y++) hole.fill(1, y * w + 80, y * w + 100);
  const problem = makePatchProblem(image, w, h, C, hole, 3);
  assert.ok(problem);
  const nnf = randomNnf(problem, rng);
  improveNnf(problem, nnf, 6, Math.max(w, h), rng);
  let exact = 0;
  for (let k = 0; k < problem.targets.length; k++) {
    const t = problem.targets[k];
    if (nnf.source[k] === t + dy * w + dx && nnf.distance[k] === 0) exact++;
  }
  assert.equal(exact, problem.targets.length, `${exact} of ${problem.targets.length} targets found the true shift`);
});

test("sources never overlap the hole", () => {
  const w = 40;
  const h = 30;
  const hole = new Uint8Array(w * h);
  for (let y = 10; y < 20; y++) hole.fill(1, y * w + 10, y * w + 20);
  const problem = makePatchProblem(new Float32Array(w * h * 3), w, h, 3, hole, 3);
  assert.ok(problem);
  for (const s of problem.sources) {
    const x = s % w;
    const y = (s - x) / w;
    for (let yy = y - 3; yy <= y + 3; yy++) for (let xx = x - 3; xx <= x + 3; xx++) assert.equal(hole[yy * w + xx], 0);
  }
});

test("sources, targets and slots follow their per-pixel definitions, with either kernel, on scattered holes of any value", () => {
  for (const [w, h, r, seed] of [
    [40, 30, 3, 1],
    [23, 57, 2, 2],
    [64, 9, 1, 3],
    [15, 15, 3, 4],
  ]) {
    const rng = new Random(seed);
    const hole = new Uint8Array(w * h);
    for (let k = 0; k < 6; k++) {
      const x0 = rng.int(0, w - 1);
      const y0 = rng.int(0, h - 1);
      const value = rng.int(1, 255);
      for (let y = y0; y < Math.min(h, y0 + rng.int(1, 5)); y++) hole.fill(value, y * w + x0, y * w + Math.min(w, x0 + rng.int(1, 6)));
    }
    const clean = (x: number, y: number, reach: number, inside: boolean) => {
      let any = false;
      for (let yy = y - reach; yy <= y + reach; yy++) {
        for (let xx = x - reach; xx <= x + reach; xx++) {
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
            if (inside) return false;
            continue;
          }
          if (hole[yy * w + xx] !== 0) any = true;
        }
      }
      return inside ? !any : any;
    };
    for (const kernel of ["wasm", "typescript"] as const) {
      const p = makePatchProblem(new Float32Array(w * h * 3), w, h, 3, hole, r, undefined, kernel);
      if (p === null) continue;
      const sources: number[] = [];
      const targets: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          assert.equal(p.validSource[i], clean(x, y, r, true) ? 1 : 0, `source at ${x},${y}`);
          if (p.validSource[i]) sources.push(i);
          if (clean(x, y, r, false)) targets.push(i);
        }
      }
      assert.deepEqual([...p.sources], sources);
      assert.deepEqual([...p.targets], targets);
      for (let i = 0; i < w * h; i++) assert.equal(p.slotOf[i], targets.indexOf(i));
    }
  }
});

test("a banded scan does not depend on the order its bands run in (so threads give the same field)", () => {
  const w = 160;
  const h = 120;
  const rng = new Random(9);
  const image = new Float32Array(w * h * 3);
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rng.next() * 256);
  const hole = new Uint8Array(w * h);
  for (let y = 25; y < 95; y++) hole.fill(1, y * w + 40, y * w + 120);
  const problem = makePatchProblem(image, w, h, 3, hole, 3);
  assert.ok(problem);
  assert.ok(bandCount(problem.targets.length) >= 2, `${problem.targets.length} targets make several bands`);
  const start = randomNnf(problem, new Random(1));
  // improveNnf runs the bands first to last; here they run last to first.
  const inOrder = { source: start.source.slice(), distance: start.distance.slice() };
  improveNnf(problem, inOrder, 3, 40, new Random(5));
  const reversed = { source: start.source.slice(), distance: start.distance.slice() };
  for (const scan of planScans(problem.targets.length, 3, 40, new Random(5))) {
    const snapshot = reversed.source.slice();
    for (const band of [...scan].reverse()) scanBand(problem, reversed, snapshot, undefined, band, new Random(band.seed));
  }
  assert.deepEqual(reversed.source, inOrder.source);
  assert.deepEqual(reversed.distance, inOrder.distance);
  assert.notDeepEqual(inOrder.source, start.source, "the scans changed the field");
});

test("the WebAssembly SIMD and the TypeScript patch distance agree exactly, early exit included", () => {
  for (const C of [3, 5] as const) {
    const wasm = randomProblem(C, "wasm", 21);
    const typescript = randomProblem(C, "typescript", 21);
    assert.ok(wasm.kernel, "Node 20 runs the WebAssembly SIMD kernel");
    assert.equal(typescript.kernel, null);
    const rng = new Random(5);
    for (let i = 0; i < 5000; i++) {
      // Targets include the image border, where patches are clipped.
      const t = rng.int(0, wasm.width * wasm.height - 1);
      const s = wasm.sources[rng.int(0, wasm.sources.length - 1)];
      const best = i % 2 === 0 ? Number.POSITIVE_INFINITY : rng.next() * 2e5;
      assert.equal(patchDistance(wasm, t, s, best), patchDistance(typescript, t, s, best), `C=${C}, t=${t}, s=${s}, best=${best}`);
    }
    const a = randomNnf(wasm, new Random(2));
    const b = randomNnf(typescript, new Random(2));
    improveNnf(wasm, a, 3, 60, new Random(3));
    improveNnf(typescript, b, 3, 60, new Random(3));
    assert.deepEqual(a.source, b.source);
    assert.deepEqual(a.distance, b.distance);
  }
});

test("the packed distance is the float distance to within its rounding", () => {
  for (const C of [3, 5] as const) {
    const p = randomProblem(C, "wasm", 8);
    const rng = new Random(6);
    for (let i = 0; i < 500; i++) {
      const t = p.targets[rng.int(0, p.targets.length - 1)];
      const s = p.sources[rng.int(0, p.sources.length - 1)];
      const exact = floatDistance(p, t, s);
      const packed = patchDistance(p, t, s, Number.POSITIVE_INFINITY);
      assert.ok(Math.abs(packed - exact) <= 0.002 * exact + 1, `C=${C}: ${packed} vs ${exact}`);
    }
  }
});

test("refreshDistances re-packs the hole after the estimate changed", () => {
  const p = randomProblem(3, "wasm", 12);
  const nnf = randomNnf(p, new Random(1));
  const t = p.targets.find((x) => p.hole[x] !== 0)!;
  const k = p.slotOf[t];
  const stale = nnf.distance[k];
  for (let c = 0; c < 3; c++) p.image[t * 3 + c] = p.image[t * 3 + c] < 128 ? 255 : 0;
  refreshDistances(p, nnf);
  assert.notEqual(nnf.distance[k], stale);
  assert.equal(nnf.distance[k], Math.fround(patchDistance(p, t, nnf.source[k], Number.POSITIVE_INFINITY)));
  assert.ok(Math.abs(nnf.distance[k] - floatDistance(p, t, nnf.source[k])) <= 0.002 * nnf.distance[k] + 1);
});

const assemblyScript = (() => {
  try {
    return createRequire(import.meta.url).resolve("assemblyscript/package.json");
  } catch {
    return null;
  }
})();

test("the kernels' base64 decodes to the bytes atob gives, and every committed kernel compiles from it", async () => {
  const rng = new Random(3);
  const raw = Uint8Array.from({ length: 1000 }, () => rng.int(0, 255));
  let text = "";
  for (const b of raw) text += String.fromCharCode(b);
  const base64 = btoa(text);
  assert.deepEqual(Uint8Array.from(decodeBase64(base64)), raw);
  for (const file of ["coarse", "patch-distance", "structure", "downsample"]) {
    const bytes = await import(`../src/core/inpaint/wasm/${file}-bytes.js`);
    const encoded = Object.values(bytes)[0] as string;
    const fromAtob = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    assert.deepEqual(Uint8Array.from(decodeBase64(encoded)), fromAtob, file);
    assert.ok(compiledOnce(encoded)() !== null, `${file} compiles`);
  }
});

test("the committed WebAssembly kernel is what its AssemblyScript source compiles to", {
  skip: assemblyScript === null && "assemblyscript (a devDependency) is not installed",
}, () => {
  const run = spawnSync(process.execPath, ["scripts/build-wasm.mjs", "--check"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
});

test("packed values are the image × unit rounded half up (Math.round) and clamped, for colours and texture channels", () => {
  const w = 20;
  const h = 15;
  const C = 5;
  const rng = new Random(11);
  const image = new Float32Array(w * h * C);
  // Multiples of 1/32 hit exact halves once scaled; negatives and large texture values test the rounding and the clamp.
  for (let i = 0; i < image.length; i++) image[i] = Math.floor((rng.next() - 0.3) * 255 * 32) / 32;
  const hole = new Uint8Array(w * h);
  for (let y = 5; y < 9; y++) for (let x = 6; x < 12; x++) hole[y * w + x] = 1;
  // As stored in an Int16Array: −0 becomes 0.
  const clamp = (v: number) => Math.min(2047, Math.max(-2047, v)) + 0;
  // λ = 64 scales the texture channels by a power of two, λ = 2 by √2 (values off the float32 grid).
  for (const weight of [64, 2]) {
    const p = makePatchProblem(image, w, h, C, hole, 2, { channel: 3, weight }, "typescript");
    assert.ok(p);
    const texture = p.unit * Math.sqrt(weight);
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) assert.equal(p.packed[i * 5 + c], clamp(Math.round(image[i * C + c] * p.unit)));
      for (let c = 0; c < 2; c++) assert.equal(p.packed[i * 5 + 3 + c], clamp(Math.round(image[i * C + 3 + c] * texture)));
    }
  }
});

test("a thread's own kernel reads the shared WebAssembly memory the problem came with: no copy, the same distances", async () => {
  for (const C of [3, 5] as const) {
    const p = shareProblem(randomProblem(C, "wasm", 11 + C));
    assert.ok(p.kernel !== null && p.kernelMemory !== undefined, "Node has WebAssembly SIMD and shared memory");
    // Posted as to a worker thread: a structured clone, with the kernel (a function) left behind.
    const { port1, port2 } = new MessageChannel();
    const received = await new Promise<PatchProblem>((resolve) => {
      port2.once("message", resolve);
      port1.postMessage(withoutKernel(p));
    });
    port1.close();
    port2.close();
    assert.ok(received.kernelMemory !== undefined, "the memory travels with the problem");
    const own = ownKernelCache()(received);
    assert.ok(own.kernel !== null);
    assert.equal(own.packed, received.packed, "the packed image is read where it is, not copied");
    const plain = { ...p, kernel: null };
    const rng = new Random(C);
    const check = () => {
      for (let i = 0; i < 300; i++) {
        const t = p.targets[rng.int(0, p.targets.length - 1)];
        const s = p.sources[rng.int(0, p.sources.length - 1)];
        const best = i % 3 === 0 ? Number.POSITIVE_INFINITY : rng.next() * 4e5;
        assert.equal(patchDistance(own, t, s, best), patchDistance(plain, t, s, best));
      }
    };
    check();
    // A new estimate re-packed on the calling thread is what the other kernel reads next.
    for (let i = 0; i < p.hole.length; i++) if (p.hole[i] !== 0) p.image[i * C] = 255 - p.image[i * C];
    packHole(p);
    check();
  }
});

test("the WebAssembly scan gives the TypeScript scan's field and random stream: bands, visited slots, side labels, refresh", () => {
  for (const C of [3, 5] as const) {
    const w = 150;
    const h = 110;
    const rng = new Random(30 + C);
    const image = new Float32Array(w * h * C);
    for (let i = 0; i < image.length; i++) image[i] = i % C < 3 ? Math.floor(rng.next() * 256) : rng.next() * 30;
    const hole = new Uint8Array(w * h);
    for (let y = 20; y < 90; y++) hole.fill(1, y * w + 35, y * w + 110);
    // Two sides of a vertical curve through the hole, and a strip labelled on both.
    const side = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) side[y * w + x] = x < 70 ? 1 : x > 74 ? 2 : 3;
    for (const sides of [undefined, side]) {
      const wasm = makePatchProblem(image, w, h, C, hole, 3, C === 5 ? { channel: 3, weight: 64 } : undefined, "wasm", sides);
      assert.ok(wasm?.scanKernel, "Node runs the WebAssembly scan");
      assert.ok(bandCount(wasm.targets.length) >= 2, "several bands, so snapshots are read");
      // The same problem and distance kernel, scanned by the TypeScript loop.
      const typescript: PatchProblem = { ...wasm, scanKernel: null };
      const a = randomNnf(wasm, new Random(4));
      const b = randomNnf(typescript, new Random(4));
      assert.deepEqual(a, b);
      const ra = new Random(6);
      const rb = new Random(6);
      improveNnf(wasm, a, 3, 80, ra);
      improveNnf(typescript, b, 3, 80, rb);
      // Only some slots (the later global search for untrusted targets), one band and several.
      for (const step of [3, 1]) {
        const only = Int32Array.from({ length: Math.floor(a.source.length / step) }, (_, i) => i * step);
        improveNnf(wasm, a, 2, 150, ra, only);
        improveNnf(typescript, b, 2, 150, rb, only);
      }
      assert.deepEqual(a.source, b.source);
      assert.deepEqual(a.distance, b.distance);
      assert.equal(ra.position, rb.position);
      // After the estimate changed: the same refreshed distances.
      for (let i = 0; i < hole.length; i++) if (hole[i] !== 0) image[i * C] = 255 - image[i * C];
      refreshDistances(wasm, a);
      refreshDistances(typescript, b);
      assert.deepEqual(a.distance, b.distance);
    }
  }
});

test("scanBandsHere writes only its own bands' slots, so other threads can scan the others meanwhile", () => {
  const w = 160;
  const h = 120;
  const rng = new Random(40);
  const image = new Float32Array(w * h * 3);
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rng.next() * 256);
  const hole = new Uint8Array(w * h);
  for (let y = 25; y < 95; y++) hole.fill(1, y * w + 40, y * w + 120);
  const p = makePatchProblem(image, w, h, 3, hole, 3);
  assert.ok(p?.scanKernel);
  const start = randomNnf(p, new Random(1));
  const bands = planScans(p.targets.length, 1, 30, new Random(2))[0];
  assert.ok(bands.length >= 2);
  const mine = bands.slice(0, 1);
  const nnf = { source: start.source.slice(), distance: start.distance.slice() };
  // Another thread's writes to the other bands' slots, made while this one scans.
  const other = { source: start.source.slice(), distance: start.distance.slice() };
  for (let k = mine[0].hi; k < other.source.length; k++) other.source[k] = -7;
  nnf.source.set(other.source.subarray(mine[0].hi), mine[0].hi);
  scanBandsHere(p, nnf, start.source.slice(), undefined, mine);
  for (let k = mine[0].hi; k < nnf.source.length; k++) assert.equal(nnf.source[k], -7);
  const expected = { source: start.source.slice(), distance: start.distance.slice() };
  scanBand({ ...p, scanKernel: null }, expected, start.source.slice(), undefined, mine[0], new Random(mine[0].seed));
  assert.deepEqual(nnf.source.subarray(0, mine[0].hi), expected.source.subarray(0, mine[0].hi));
  assert.deepEqual(nnf.distance.subarray(0, mine[0].hi), expected.distance.subarray(0, mine[0].hi));
});

test("a released kernel's memory serves the next problem that fits, with the same field as fresh memory", async () => {
  const { releaseDistanceKernel } = await import("../src/core/inpaint/wasm/patch-distance.js");
  const fresh = randomProblem(5, "wasm", 21);
  assert.ok(fresh.scanKernel, "the WebAssembly scan kernel");
  const expected = randomNnf(fresh, new Random(4));
  improveNnf(fresh, expected, 2, 45, new Random(5));
  // Another problem's bytes left in the memory (other image, hole, targets and sides), then released.
  const first = randomProblem(3, "wasm", 22);
  const sides = new Uint8Array(90 * 70).fill(3);
  const other = makePatchProblem(first.image, 90, 70, 3, first.hole, 3, undefined, "wasm", sides);
  assert.ok(other);
  releaseDistanceKernel(other.kernelMemory);
  const again = randomProblem(5, "wasm", 21);
  assert.equal(again.kernelMemory, other.kernelMemory, "the released memory is reused");
  const field = randomNnf(again, new Random(4));
  improveNnf(again, field, 2, 45, new Random(5));
  assert.deepEqual(field.source, expected.source);
  assert.deepEqual(field.distance, expected.distance);
  assert.equal(again.side, undefined);
  // A worker's distance over the reused memory is set up for the problem it now holds.
  const own = ownKernelCache();
  const t = again.targets[10];
  const s = again.sources[7];
  assert.equal(own(again).kernel?.(t, s, Number.POSITIVE_INFINITY), patchDistance(fresh, t, s, Number.POSITIVE_INFINITY) * fresh.unit ** 2);
});

test("the Voter's and the field's set-up in WebAssembly equal the TypeScript's: hole targets, boundary weights, patch areas, upsampled sources", () => {
  const rng = new Random(8);
  // The fine level's hole also has a strip along its foot that the coarse one lacks: targets without a coarse match.
  const make = (w: number, h: number, foot: boolean) => {
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        if ((x - w / 2) ** 2 + (y - h / 3) ** 2 < (w / 4) ** 2 || x < 2 || (foot && y > h - 6 && x > w / 2)) hole[y * w + x] = 1;
    const image = new Float32Array(w * h * 3);
    for (let i = 0; i < image.length; i++) image[i] = rng.next() * 255;
    const p = makePatchProblem(image, w, h, 3, hole, 3, undefined, "typescript");
    assert.ok(p);
    return p;
  };
  const fine = make(61, 47, true);
  const coarse = make(31, 24, false);
  const powers = Float64Array.from({ length: 201 }, (_, d) => 1.3 ** -d);
  const set = voterSetupInWasm(fine.hole, fine.width, fine.height, fine.radius, fine.targets, powers);
  assert.ok(set);
  const distance = distanceToKnown(fine.hole, fine.width, fine.height);
  assert.deepEqual(
    Array.from(set.holeIndex),
    Array.from(fine.targets).filter((t) => fine.hole[t] !== 0),
  );
  assert.deepEqual(
    Array.from(set.area),
    Array.from(fine.targets, (t) => patchArea(fine, t)),
  );
  assert.deepEqual(
    Array.from(set.boundary),
    Array.from(fine.targets, (t) => Math.fround(powers[Math.min(distance[t], 200)])),
  );
  // The coarse field's sources, 2·s + parity where valid, −1 (a random pick) elsewhere.
  const coarseSource = Int32Array.from(coarse.targets, () => coarse.sources[rng.int(0, coarse.sources.length - 1)]);
  const field = upsampleFieldInWasm(coarse, coarseSource, fine, set.boundary);
  assert.ok(field);
  let picked = 0;
  fine.targets.forEach((t, k) => {
    const x = t % fine.width;
    const y = (t - x) / fine.width;
    const slot = coarse.slotOf[Math.min(y >> 1, coarse.height - 1) * coarse.width + Math.min(x >> 1, coarse.width - 1)];
    let s = -1;
    if (slot >= 0) {
      const cs = coarseSource[slot];
      const sx = Math.min(Math.max(2 * (cs % coarse.width) + (x & 1), 3), fine.width - 4);
      const sy = Math.min(Math.max(2 * Math.floor(cs / coarse.width) + (y & 1), 3), fine.height - 4);
      if (fine.validSource[sy * fine.width + sx] !== 0) s = sy * fine.width + sx;
    }
    assert.equal(field.source[k], s);
    assert.equal(field.trusted[k], s >= 0 ? set.boundary[k] : 0);
    if (s < 0) picked++;
  });
  assert.ok(picked > 0 && picked < fine.targets.length, "some targets take a random source, most an upsampled one");
});

test("a fill that follows a kept pyramid (the erase's fill with sides after its early fill) gives a fresh fill's pixels", async () => {
  const w = 96;
  const h = 80;
  const scene = (seed: number) => {
    const rng = new Random(seed);
    const data = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = y < 40 ? 60 : 190;
        for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = base + 40 * rng.next() + 10 * c;
      }
    }
    return { width: w, height: h, channels: 3, data };
  };
  const hole = new Uint8Array(w * h);
  for (let y = 25; y < 55; y++) hole.fill(1, y * w + 35, y * w + 65);
  // Side labels: above the row 40 one side, below it the other, none on the band between.
  const sides = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) if (Math.abs(y - 40) > 2) sides.fill(y < 40 ? 1 : 2, y * w, (y + 1) * w);
  const image = scene(3);
  const reused = new PatchMatchCoarse();
  await reused.fill({ image, hole, rng: new Random(1), keepPyramid: true });
  const second = await reused.fill({ image, hole, rng: new Random(2), sides });
  const fresh = await new PatchMatchCoarse().fill({ image, hole, rng: new Random(2), sides });
  assert.deepEqual(second.image.data, fresh.image.data);
  // Another image, even of the same size and hole plane's contents, builds its own pyramid.
  const other = scene(4);
  await reused.fill({ image, hole, rng: new Random(1), keepPyramid: true });
  const third = await reused.fill({ image: other, hole, rng: new Random(2) });
  const alone = await new PatchMatchCoarse().fill({ image: other, hole, rng: new Random(2) });
  assert.deepEqual(third.image.data, alone.image.data);
});
