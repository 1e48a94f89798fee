import assert from "node:assert/strict";
import { test } from "node:test";
import { PatchMatchCoarse } from "../src/core/inpaint/completion.js";
import { onionPeel } from "../src/core/inpaint/onion-peel.js";
import { makePatchProblem, type PatchProblem, sidesAgree } from "../src/core/inpaint/patchmatch.js";
import { Random } from "../src/core/random.js";

const W = 64;
const H = 48;
/** Rows of the red band that crosses the picture. */
const BAND = [20, 27];

/** Green noise crossed by a horizontal red band, with C channels (the last two, when C = 5, texture-like). */
function bandImage(C: 3 | 5, seed: number): Float32Array {
  const rng = new Random(seed);
  const image = new Float32Array(W * H * C);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * C;
      const inBand = y >= BAND[0] && y <= BAND[1];
      image[o] = inBand ? 200 + 20 * rng.next() : 30 + 20 * rng.next();
      image[o + 1] = inBand ? 40 + 20 * rng.next() : 120 + 40 * rng.next();
      image[o + 2] = 40 + 20 * rng.next();
      if (C === 5) {
        image[o + 3] = 10 * rng.next();
        image[o + 4] = 10 * rng.next();
      }
    }
  }
  return image;
}

/** A hole over the band's middle, 24 × 20 pixels. */
function bandHole(): Uint8Array {
  const hole = new Uint8Array(W * H);
  for (let y = 14; y < 34; y++) hole.fill(1, y * W + 20, y * W + 44);
  return hole;
}

function problemOf(image: Float32Array, C: 3 | 5, hole: Uint8Array, side?: Uint8Array): PatchProblem {
  const p = makePatchProblem(image, W, H, C, hole, 3, C === 5 ? { channel: 3, weight: 64 } : undefined, "typescript", side);
  assert.ok(p);
  return p;
}

test("the onion peel carries a band across the hole and leaves known pixels alone", () => {
  const image = bandImage(3, 1);
  const hole = bandHole();
  const before = image.slice();
  const p = problemOf(image, 3, hole);
  const from = onionPeel(p, new Random(4), 16);
  let bandRed = 0;
  let bandCount = 0;
  let offRed = 0;
  let offCount = 0;
  for (let i = 0; i < W * H; i++) {
    if (!hole[i]) {
      assert.equal(from[i], -1);
      for (let c = 0; c < 3; c++) assert.equal(image[i * 3 + c], before[i * 3 + c]);
      continue;
    }
    assert.ok(from[i] >= 0 && p.validSource[from[i]] === 1, "every hole pixel is copied from a valid source");
    for (let c = 0; c < 3; c++) assert.equal(image[i * 3 + c], image[from[i] * 3 + c]);
    const y = Math.floor(i / W);
    // Away from the band's edges, where a pixel's side is not in doubt.
    if (y >= BAND[0] + 1 && y <= BAND[1] - 1) {
      bandRed += image[i * 3] > 150 ? 1 : 0;
      bandCount++;
    } else if (y <= BAND[0] - 2 || y >= BAND[1] + 2) {
      offRed += image[i * 3] > 150 ? 1 : 0;
      offCount++;
    }
  }
  assert.ok(bandRed / bandCount > 0.9, `band rows red in the hole: ${bandRed} of ${bandCount}`);
  assert.ok(offRed / offCount < 0.1, `rows off the band red in the hole: ${offRed} of ${offCount}`);
});

test("the onion peel in WebAssembly gives the TypeScript's pixels, sources and random stream, side labels included", () => {
  for (const C of [3, 5] as const) {
    for (const withSides of [false, true]) {
      const image = bandImage(C, 2 + C);
      const hole = bandHole();
      // Two sides of a vertical curve through the hole.
      const side = withSides ? Uint8Array.from({ length: W * H }, (_, i) => (i % W < 32 ? 1 : 2)) : undefined;
      const p = problemOf(image, C, hole, side);
      const a = { ...p, image: image.slice() };
      const b = { ...p, image: image.slice() };
      const ra = new Random(11);
      const rb = new Random(11);
      const fa = onionPeel(a, ra, 16, false);
      const fb = onionPeel(b, rb, 16, true);
      assert.deepEqual(fb, fa);
      assert.deepEqual(b.image, a.image);
      assert.equal(rb.position, ra.position);
      if (side) for (let i = 0; i < W * H; i++) if (hole[i]) assert.ok(sidesAgree(side, i, fa[i]), "never from the other side");
    }
  }
});

test("the completion solves the peel's start only for object-sized holes, and is otherwise the plain fill bit for bit", async () => {
  const C = 3;
  const hole = bandHole();
  const fill = async (stage: PatchMatchCoarse, holeShare: number) => {
    const out = await stage.fill({
      image: { width: W, height: H, channels: C, data: bandImage(C, 7) },
      hole,
      rng: new Random(3),
      holeShare,
    });
    return out.image.data;
  };
  const plain = await fill(new PatchMatchCoarse({ onionPeelUpTo: 0 }), 0.01);
  assert.deepEqual(await fill(new PatchMatchCoarse(), 0.2), plain, "a large hole is filled as without the peel");
  assert.deepEqual(await fill(new PatchMatchCoarse({ onionPeelUpTo: 0.005 }), 0.01), plain);
  const peeled = await fill(new PatchMatchCoarse(), 0.01);
  for (let i = 0; i < W * H; i++) if (!hole[i]) for (let c = 0; c < C; c++) assert.equal(peeled[i * C + c], plain[i * C + c]);
  assert.throws(() => new PatchMatchCoarse({ onionPeelUpTo: 2 }), /onionPeelUpTo/);
});

test("where the peel's start fits no better (plain noise), the fill is the smooth start's bit for bit, on one level and on several", async () => {
  for (const minLevelSize of [32, 8]) {
    const rng = new Random(21);
    const data = Float32Array.from({ length: W * H * 3 }, () => 100 + 60 * rng.next());
    const hole = bandHole();
    const fill = async (onionPeelUpTo: number) =>
      (
        await new PatchMatchCoarse({ onionPeelUpTo, minLevelSize }).fill({
          image: { width: W, height: H, channels: 3, data: data.slice() },
          hole,
          rng: new Random(5),
          holeShare: 0.01,
        })
      ).image.data;
    assert.deepEqual(await fill(0.05), await fill(0));
  }
});
