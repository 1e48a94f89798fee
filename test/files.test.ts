/**
 * Faithful files (issue 19): colour profiles, transparency, 16 bits, grey,
 * animation, damaged files, temporary files, permissions and the CLI's exit
 * codes. Every fixture is generated here, a few dozen pixels wide.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { ensureDebPackages, OWN_FOLDER } from "../src/bench/cache.js";
import { batchThreads, estimatedJobBytes } from "../src/cli/batch.js";
import { editExif, exifOrientation, exifSoftware } from "../src/container/exif.js";
import { jpegSize } from "../src/container/jpeg.js";
import { editedMetadata, jpegQuality, readMetadata, writeMetadata } from "../src/container/metadata.js";
import { encodePng16 } from "../src/container/png.js";
import { eraseFile } from "../src/node/erase-file.js";
import { bandedImage, noiseImage, tasksPostedTo } from "./helpers.js";
import { adobeRgbProfile, greyProfile } from "./support/icc.js";

const CLI = path.resolve("bin/vanish.js");
const W = 48;
const H = 40;
/** The hole: [x0, y0, width, height]. */
const HOLE = [16, 12, 12, 10] as const;
let dir: string;

function vanish(args: string[], options: { uid?: number; gid?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" }, ...options });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's failure shape: one "vanish: error:" line, no stack trace. */
function assertCleanFailure(r: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^vanish: error: /m);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

const inHole = (x: number, y: number) => x >= HOLE[0] && x < HOLE[0] + HOLE[2] && y >= HOLE[1] && y < HOLE[1] + HOLE[3];

function maskFile(): string {
  return path.join(dir, "mask.png");
}

/** Saturated colours: what moves most when P3 or Adobe RGB values are read as sRGB. */
function saturated(channels: 3 | 4): Buffer {
  const img = noiseImage(W, H, 5, 120);
  const out = Buffer.alloc(W * H * channels);
  for (let i = 0; i < W * H; i++) {
    for (let c = 0; c < 3; c++) out[i * channels + c] = c === i % 3 ? 250 : img.data[i * 4 + c] / 4;
    if (channels === 4) out[i * 4 + 3] = 255;
  }
  return out;
}

/** Smooth saturated gradients: lossy codecs keep them well, and sRGB → P3 moves them far. */
function smoothSaturated(): Buffer {
  const out = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      out[o] = Math.round((250 * x) / W);
      out[o + 1] = Math.round(250 - (250 * x) / W);
      out[o + 2] = Math.round((250 * y) / H);
    }
  }
  return out;
}

/** Decoded samples as stored, no colour management. */
async function stored(file: string, depth: "uchar" | "ushort" = "uchar") {
  let p = sharp(file, { ignoreIcc: true });
  const meta = await sharp(file).metadata();
  if (depth === "ushort") p = p.toColourspace(meta.channels && meta.channels <= 2 ? "grey16" : "rgb16");
  const { data, info } = await p.raw({ depth }).toBuffer({ resolveWithObject: true });
  const samples = depth === "ushort" ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data);
  return { samples, channels: info.channels, meta };
}

/** Samples outside the hole that differ, and the mean absolute difference there. */
function compareOutside(a: ArrayLike<number>, b: ArrayLike<number>, channels: number) {
  let differing = 0;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (inHole(x, y)) continue;
      for (let c = 0; c < channels; c++) {
        const i = (y * W + x) * channels + c;
        const d = Math.abs(a[i] - b[i]);
        if (d !== 0) differing++;
        sum += d;
        n++;
      }
    }
  }
  return { differing, mean: sum / n };
}

function changedInside(a: ArrayLike<number>, b: ArrayLike<number>, channels: number): number {
  let changed = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) if (inHole(x, y) && a[(y * W + x) * channels] !== b[(y * W + x) * channels]) changed++;
  return changed;
}

async function withProfile(encoded: Buffer, icc: Uint8Array): Promise<Buffer> {
  return Buffer.from(writeMetadata(encoded, { icc }));
}

async function erased(input: string, out: string): Promise<string[]> {
  const r = await eraseFile(input, maskFile(), out, { erase: { seed: 2 } });
  return r.warnings;
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "vanish-files-"));
  const m = Buffer.alloc(W * H);
  for (let y = HOLE[1]; y < HOLE[1] + HOLE[3]; y++) m.fill(255, y * W + HOLE[0], y * W + HOLE[0] + HOLE[2]);
  await sharp(m, { raw: { width: W, height: H, channels: 1 } })
    .png()
    .toFile(maskFile());
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("colour profiles: the file's own colour space in and out", () => {
  const profiles: [string, () => Promise<Buffer>][] = [
    [
      "Display P3",
      () =>
        sharp(saturated(3), { raw: { width: W, height: H, channels: 3 } })
          .withIccProfile("p3")
          .png()
          .toBuffer(),
    ],
    [
      "Adobe RGB",
      async () =>
        withProfile(
          await sharp(saturated(3), { raw: { width: W, height: H, channels: 3 } })
            .png()
            .toBuffer(),
          adobeRgbProfile(),
        ),
    ],
    [
      "grey",
      async () =>
        withProfile(
          await sharp(Buffer.from(noiseImage(W, H, 6).data.filter((_, i) => i % 4 === 1)), { raw: { width: W, height: H, channels: 1 } })
            .toColourspace("b-w")
            .png()
            .toBuffer(),
          greyProfile(),
        ),
    ],
  ];
  for (const [name, make] of profiles) {
    test(`${name} PNG → PNG: outside pixels bit-identical, the same profile, seen through colour management too`, async () => {
      const input = path.join(dir, `${name}.png`);
      const out = path.join(dir, `${name}-out.png`);
      writeFileSync(input, await make());
      await erased(input, out);
      const a = await stored(input);
      const b = await stored(out);
      assert.equal(b.channels, a.channels, "the same channels (grey stays grey)");
      assert.deepEqual(b.meta.icc, a.meta.icc, "the same ICC profile");
      assert.equal(compareOutside(a.samples, b.samples, a.channels).differing, 0);
      assert.ok(changedInside(a.samples, b.samples, a.channels) > 0, "the hole was filled");
      if (name !== "grey") {
        // What a viewer shows: both converted to sRGB through their profiles.
        const viewA = await sharp(input).toColourspace("srgb").raw().toBuffer();
        const viewB = await sharp(out).toColourspace("srgb").raw().toBuffer();
        assert.equal(compareOutside(viewA, viewB, 3).differing, 0);
      }
    });
  }

  for (const format of ["jpeg", "webp"] as const) {
    test(`Display P3 ${format.toUpperCase()} → ${format.toUpperCase()}: samples stay P3 (no shift outside), profile kept`, async () => {
      const ext = format === "jpeg" ? "jpg" : "webp";
      const input = path.join(dir, `p3.${ext}`);
      const out = path.join(dir, `p3-out.${ext}`);
      const s = sharp(smoothSaturated(), { raw: { width: W, height: H, channels: 3 } }).withIccProfile("p3");
      await (format === "jpeg" ? s.jpeg({ quality: 95 }) : s.webp({ quality: 95 })).toFile(input);
      await erased(input, out);
      const a = await stored(input);
      const b = await stored(out);
      const asSrgb = await sharp(input).toColourspace("srgb").raw().toBuffer();
      assert.deepEqual(b.meta.icc, a.meta.icc);
      const kept = compareOutside(a.samples, b.samples, 3).mean;
      const converted = compareOutside(asSrgb, b.samples, 3).mean;
      assert.ok(kept < 1.5, `re-encoding changes the P3 samples by ${kept.toFixed(2)} on average`);
      assert.ok(converted > 3 * kept, `the samples are not sRGB values (${converted.toFixed(2)} from them)`);
    });
  }
});

describe("transparency, depth and grey", () => {
  test("PNG with transparency: every outside pixel bit-identical, hidden colours of alpha-0 pixels included", async () => {
    const px = Buffer.from(noiseImage(W, H, 7).data);
    for (let i = 0; i < W * H; i++) px[i * 4 + 3] = i % 3 === 0 ? 0 : i % 3 === 1 ? 3 + (i % 12) : 255;
    const input = path.join(dir, "alpha.png");
    const out = path.join(dir, "alpha-out.png");
    await sharp(px, { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(input);
    await erased(input, out);
    const a = await stored(input);
    const b = await stored(out);
    assert.equal(b.channels, 4);
    let hiddenColour = 0;
    for (let i = 0; i < W * H; i++) if (a.samples[i * 4 + 3] === 0 && a.samples[i * 4] !== 0) hiddenColour++;
    assert.ok(hiddenColour > 100, "the fixture hides colours under alpha 0");
    assert.equal(compareOutside(a.samples, b.samples, 4).differing, 0);
  });

  test("16-bit RGB PNG → 16-bit PNG, outside samples identical at 16 bits", async () => {
    const s = new Uint16Array(W * H * 3);
    for (let i = 0; i < s.length; i++) s[i] = ((i * 7919 + 12345) % 65536) | 1;
    const input = path.join(dir, "deep.png");
    const out = path.join(dir, "deep-out.png");
    writeFileSync(
      input,
      encodePng16(W, H, 3, s, (d) => deflateSync(d)),
    );
    const warnings = await erased(input, out);
    assert.deepEqual(warnings, []);
    const a = await stored(input, "ushort");
    const b = await stored(out, "ushort");
    assert.equal(b.meta.depth, "ushort", "written with 16 bits");
    assert.deepEqual([...a.samples.subarray(0, 6)], [...s.subarray(0, 6)], "the fixture reads back as written");
    assert.equal(compareOutside(a.samples, b.samples, 3).differing, 0);
    assert.ok(changedInside(a.samples, b.samples, 3) > 0);
  });

  test("16-bit grey PNG → 16-bit grey PNG; grey PNG and JPEG stay grey", async () => {
    const s = new Uint16Array(W * H);
    for (let i = 0; i < s.length; i++) s[i] = 20000 + ((i * 911) % 20000);
    const input = path.join(dir, "grey16.png");
    const out = path.join(dir, "grey16-out.png");
    writeFileSync(
      input,
      encodePng16(W, H, 1, s, (d) => deflateSync(d)),
    );
    await erased(input, out);
    const a = await stored(input, "ushort");
    const b = await stored(out, "ushort");
    assert.equal(b.meta.depth, "ushort");
    assert.equal(b.meta.channels, 1, "still one grey channel");
    assert.equal(compareOutside(a.samples, b.samples, 1).differing, 0);

    const grey8 = Buffer.from(noiseImage(W, H, 8).data.filter((_, i) => i % 4 === 0));
    for (const ext of ["png", "jpg"]) {
      const gin = path.join(dir, `grey8.${ext}`);
      const gout = path.join(dir, `grey8-out.${ext}`);
      await sharp(grey8, { raw: { width: W, height: H, channels: 1 } })
        .toColourspace("b-w")
        .toFile(gin);
      await erased(gin, gout);
      const meta = await sharp(gout).metadata();
      assert.equal(meta.channels, 1, `${ext}: one channel`);
      assert.equal(meta.space, "b-w");
    }
  });

  test("16-bit to JPEG and transparency to JPEG say what they lose", async () => {
    const s = new Uint16Array(W * H * 4).fill(40000);
    const input = path.join(dir, "deep-alpha.png");
    writeFileSync(
      input,
      encodePng16(W, H, 4, s, (d) => deflateSync(d)),
    );
    const warnings = await erased(input, path.join(dir, "deep-alpha.jpg"));
    assert.ok(warnings.some((w) => /8 bits/.test(w)));
    assert.ok(warnings.some((w) => /transparen/.test(w)));
  });
});

describe("animation and damaged files", () => {
  test("animated GIF and WebP are refused with exit 2, nothing written", async () => {
    const frame = (colour: string) =>
      sharp({ create: { width: W, height: H, channels: 4, background: colour } })
        .png()
        .toBuffer();
    const frames = await Promise.all(["#f00", "#0f0", "#00f"].map(frame));
    for (const ext of ["gif", "webp"]) {
      const input = path.join(dir, `anim.${ext}`);
      const s = sharp(frames, { join: { animated: true } });
      await (ext === "gif" ? s.gif() : s.webp()).toFile(input);
      assert.equal((await sharp(input).metadata()).pages, 3, "the fixture is animated");
      const out = path.join(dir, `anim-out-${ext}.png`);
      const r = vanish(["erase", input, "--mask", maskFile(), "-o", out]);
      assertCleanFailure(r, /animated \(3 frames\)/);
      assert.equal(existsSync(out), false);
    }
  });

  test("a JPEG with garbled bytes: erased, or exit 2 with a message; never a stack trace", async () => {
    const input = path.join(dir, "garbled.jpg");
    const jpeg = await sharp(Buffer.from(noiseImage(W, H, 9).data), { raw: { width: W, height: H, channels: 4 } })
      .removeAlpha()
      .jpeg()
      .toBuffer();
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    for (let i = sos + 40; i < jpeg.length - 40; i += 97) jpeg[i] ^= 0x5a;
    writeFileSync(input, jpeg);
    const r = vanish(["erase", input, "--mask", maskFile(), "-o", path.join(dir, "garbled-out.jpg")]);
    if (r.code === 2) assertCleanFailure(r, /corrupt|Cannot read/);
    else assert.equal(r.code, 0, r.stderr);
    const truncated = path.join(dir, "truncated.jpg");
    writeFileSync(truncated, jpeg.subarray(0, sos + 60));
    assertCleanFailure(vanish(["erase", truncated, "--mask", maskFile(), "-o", path.join(dir, "t.jpg")]), /truncated|corrupt|Cannot read/);
  });
});

describe("no debris: temporary files, modes", () => {
  test("stale temporary files of dead processes are swept on start; live ones are left", async () => {
    const outDir = path.join(dir, "sweep");
    mkdirSync(outDir, { recursive: true });
    const dead = path.join(outDir, ".out.png.vanish-99999999-0-0badcafe.tmp");
    const legacy = path.join(outDir, ".out.png.99999998.deadbeef.tmp");
    const live = path.join(outDir, `.other.png.vanish-${process.pid}-0-12345678.tmp`);
    const unrelated = path.join(outDir, ".my-notes.tmp");
    for (const f of [dead, legacy, live, unrelated]) writeFileSync(f, "x");
    const input = path.join(dir, "sweep-in.png");
    await sharp(Buffer.from(noiseImage(W, H, 2).data), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(input);
    const r = vanish(["erase", input, "--mask", maskFile(), "-o", path.join(outDir, "out.png")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(legacy), false);
    assert.equal(existsSync(live), true, "a running process's file is not touched");
    assert.equal(existsSync(unrelated), true);
    assert.deepEqual(
      readdirSync(outDir)
        .filter((n) => n.includes(".vanish-"))
        .sort(),
      [path.basename(live)],
    );
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} while writing removes the temporary files, the old output stays intact`, async () => {
      const outDir = mkdtempSync(path.join(dir, "signal-"));
      const target = path.join(outDir, "out.png");
      writeFileSync(target, "old output");
      // A child that is mid-write (temp file open, rename not done), as the CLI's main thread and a batch worker would be.
      const script = `
        import { cleanUpTempsOnSignals } from ${JSON.stringify(path.resolve("dist/src/node/atomic-write.js"))};
        import { writeFileSync } from "node:fs";
        import { threadId } from "node:worker_threads";
        cleanUpTempsOnSignals([${JSON.stringify(outDir)}]);
        writeFileSync(${JSON.stringify(outDir)} + "/.out.png.vanish-" + process.pid + "-" + (threadId + 1) + "-aaaabbbb.tmp", Buffer.alloc(1 << 20));
        process.stdout.write("writing\\n");
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      assert.equal(readdirSync(outDir).length, 2);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
      child.kill(signal);
      assert.equal(await exited, signal, "the process ends by the signal, as it would have");
      assert.deepEqual(readdirSync(outDir), ["out.png"]);
      assert.equal(readFileSync(target, "utf8"), "old output");
    });
  }

  test("overwriting keeps the old file's mode (600 stays 600); a new file gets the default", async () => {
    const input = path.join(dir, "mode-in.png");
    await sharp(Buffer.from(noiseImage(W, H, 3).data), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(input);
    const out = path.join(dir, "private.png");
    writeFileSync(out, "old", { mode: 0o600 });
    chmodSync(out, 0o600);
    assert.equal(vanish(["erase", input, "--mask", maskFile(), "-o", out]).code, 0);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal((await sharp(out).metadata()).width, W);
    const fresh = path.join(dir, "fresh.png");
    assert.equal(vanish(["erase", input, "--mask", maskFile(), "-o", fresh]).code, 0);
    const umask = process.umask();
    assert.equal(statSync(fresh).mode & 0o777, 0o666 & ~umask);
  });
});

describe("CLI strictness", () => {
  test("empty or malformed numbers are errors, not 0", async () => {
    const input = path.join(dir, "strict.png");
    await sharp(Buffer.from(noiseImage(W, H, 4).data), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(input);
    const out = path.join(dir, "strict-out.png");
    const cases: [string[], RegExp][] = [
      [["--seed", ""], /--seed must be an integer/],
      [["--seed", "12abc"], /--seed must be an integer/],
      [["--quality", " "], /--quality must be an integer/],
      [["--quality", "0x50"], /--quality must be an integer/],
      [["--low-res", "1e3"], /--low-res must be an integer/],
    ];
    for (const [extra, message] of cases) {
      assertCleanFailure(vanish(["erase", input, "--mask", maskFile(), "-o", out, ...extra]), message);
    }
    for (const point of [",", "10,", ",10", "10,x", "1,2,3"]) {
      assertCleanFailure(vanish(["erase", input, "--point", point, "-o", out]), /--point takes x,y/);
    }
    assertCleanFailure(vanish(["segment", input, "--box", "1,,2,3", "-o", out]), /--box takes x0,y0,x1,y1/);
    assertCleanFailure(vanish(["bench", "--sizes", "1024,,2048"]), /--sizes takes/);
    assert.equal(existsSync(out), false);
  });

  test("batch: -o is a file → exit 2; nothing erased → exit 2 with a summary; any failure → exit 2", async () => {
    const inDir = path.join(dir, "b-in");
    const maskDir = path.join(dir, "b-masks");
    for (const d of [inDir, maskDir]) mkdirSync(d, { recursive: true });
    await sharp(Buffer.from(noiseImage(W, H, 4).data), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(path.join(inDir, "a.png"));
    const file = path.join(dir, "b-file.txt");
    writeFileSync(file, "not a folder");
    assertCleanFailure(vanish(["erase", inDir, "--masks", maskDir, "-o", file]), /is a file/);
    assert.equal(readFileSync(file, "utf8"), "not a folder");

    const skipped = vanish(["erase", inDir, "--masks", maskDir, "-o", path.join(dir, "b-out1")]);
    assertCleanFailure(skipped, /Nothing was erased/);
    assert.match(skipped.stderr, /0 erased, 0 failed, 1 skipped/);

    writeFileSync(path.join(maskDir, "a.png"), "broken mask");
    const failed = vanish(["erase", inDir, "--masks", maskDir, "-o", path.join(dir, "b-out2")]);
    assertCleanFailure(failed, /1 of 1 images failed/);
    assert.match(failed.stderr, /failed .*a\.png: .*(not an image format|corrupt|Cannot read)/);
  });

  test("every failure has one shape; --debug adds the stack", () => {
    const r = vanish(["erase", path.join(dir, "nope.png"), "--mask", maskFile(), "-o", path.join(dir, "x.png")]);
    assertCleanFailure(r, /does not exist/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    const d = vanish(["erase", path.join(dir, "nope.png"), "--mask", maskFile(), "-o", path.join(dir, "x.png"), "--debug"]);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /^vanish: error: .*does not exist/m);
    assert.match(d.stderr, /\n\s+at /, "the stack with --debug");
    const usage = vanish(["erase", "--bogus"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^vanish: error: /m);
  });

  test("permission denied says so (not 'not an image')", async () => {
    const input = path.join(dir, "secret.png");
    await sharp(Buffer.from(noiseImage(W, H, 4).data), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(input);
    chmodSync(input, 0o000);
    const lockedDir = path.join(dir, "locked");
    mkdirSync(lockedDir, { recursive: true });
    chmodSync(lockedDir, 0o555);
    try {
      // As root every file is readable: run the CLI as "nobody" then.
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      if (asUser.uid !== undefined) {
        chmodSync(dir, 0o755);
        chmodSync(maskFile(), 0o644);
      }
      const r = vanish(["erase", input, "--mask", maskFile(), "-o", path.join(os.tmpdir(), "vanish-perm-out.png")], asUser);
      assertCleanFailure(r, /Cannot read ".*secret\.png": permission denied/);
      const readable = path.join(dir, "readable.png");
      await sharp(Buffer.from(noiseImage(W, H, 4).data), { raw: { width: W, height: H, channels: 4 } })
        .png()
        .toFile(readable);
      chmodSync(readable, 0o644);
      const w = vanish(["erase", readable, "--mask", maskFile(), "-o", path.join(lockedDir, "out.png")], asUser);
      assertCleanFailure(w, /Cannot write ".*out\.png": permission denied/);
    } finally {
      chmodSync(input, 0o644);
      chmodSync(lockedDir, 0o755);
    }
  });
});

describe("metadata across formats (shared with the browser app)", () => {
  test("a JPEG's stored size is read from its header, before EXIF orientation; none from a cut header or another format", async () => {
    const px = Buffer.from(noiseImage(W, H, 1).data);
    const raw = { raw: { width: W, height: H, channels: 4 as const } };
    const plain = await sharp(px, raw).removeAlpha().jpeg().toBuffer();
    assert.deepEqual(jpegSize(plain), { width: W, height: H });
    const progressive = await sharp(px, raw)
      .removeAlpha()
      .withMetadata({ orientation: 6 })
      .withIccProfile("p3")
      .jpeg({ progressive: true })
      .toBuffer();
    assert.deepEqual(jpegSize(progressive), { width: W, height: H });
    const sof = progressive.indexOf(Buffer.from([0xff, 0xc2]));
    assert.ok(sof > 0);
    assert.equal(jpegSize(progressive.subarray(0, sof + 6)), null);
    assert.equal(jpegSize(await sharp(px, raw).png().toBuffer()), null);
  });

  test("JPEG: EXIF kept with the edit recorded, orientation reset, thumbnail dropped; ICC kept; quality read back exactly", async () => {
    const px = Buffer.from(noiseImage(W, H, 1).data);
    for (const q of [55, 75, 87, 92, 100]) {
      const jpeg = await sharp(px, { raw: { width: W, height: H, channels: 4 } })
        .removeAlpha()
        .jpeg({ quality: q })
        .toBuffer();
      assert.equal(jpegQuality(jpeg), q);
    }
    const original = await sharp(px, { raw: { width: W, height: H, channels: 4 } })
      .removeAlpha()
      .withIccProfile("p3")
      .withExif({ IFD0: { Make: "TestCam", Model: "One", Software: "Camera 1.0" }, IFD2: { DateTimeOriginal: "2024:05:06 07:08:09" } })
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 81 })
      .toBuffer();
    const meta = await readMetadata(original);
    assert.ok(meta.icc && meta.exif);
    assert.equal(exifOrientation(meta.exif), 6);
    const reencoded = await sharp(px, { raw: { width: W, height: H, channels: 4 } })
      .removeAlpha()
      .jpeg({ quality: 81 })
      .toBuffer();
    for (const format of ["jpeg", "png", "webp"] as const) {
      const plain = format === "jpeg" ? reencoded : await sharp(reencoded)[format]().toBuffer();
      const written = writeMetadata(plain, editedMetadata(meta, { software: "Vanish test (object removal)", width: W, height: H }));
      const back = await sharp(written).metadata();
      assert.deepEqual(back.icc, Buffer.from(meta.icc), `${format}: ICC`);
      assert.ok(back.exif, `${format}: EXIF`);
      const exif = back.exif.toString("latin1");
      assert.match(exif, /TestCam/);
      assert.match(exif, /2024:05:06 07:08:09/);
      assert.equal(exifSoftware(new Uint8Array(back.exif)), "Vanish test (object removal)");
      assert.ok(back.orientation === undefined || back.orientation === 1, `${format}: orientation reset`);
      assert.equal(back.width, W);
      const again = await readMetadata(written);
      assert.deepEqual(again.icc, meta.icc, `${format}: our reader reads what we wrote`);
    }
  });
});

test("EXIF too full for a new IFD0 (64 KB segment limit) is still edited in place, not dropped", () => {
  const tiff = new Uint8Array(65500);
  const v = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 42, 0]);
  v.setUint32(4, 8, true);
  v.setUint16(8, 1, true);
  v.setUint16(10, 0x0112, true);
  v.setUint16(12, 3, true);
  v.setUint32(14, 1, true);
  v.setUint16(18, 6, true);
  v.setUint32(22, 100, true); // a thumbnail IFD1
  const out = editExif(tiff, { software: "Vanish test" });
  assert.ok(out, "kept");
  assert.equal(out.length, tiff.length);
  assert.equal(exifOrientation(out), 1);
  assert.equal(new DataView(out.buffer).getUint32(22, true), 0, "thumbnail dropped");
  const small = editExif(tiff.subarray(0, 200), { software: "Vanish test" });
  assert.equal(small && exifSoftware(small), "Vanish test");
});

describe("library and batch planning", () => {
  test("public functions throw VanishError with a code for bad arguments", async () => {
    const lib = await import("../src/node/index.js");
    const image = noiseImage(16, 16);
    const mask = { width: 16, height: 16, data: new Uint8Array(256) };
    const calls: [string, () => unknown][] = [
      ["erase(null)", () => lib.erase(null as never, mask)],
      ["erase(image, null)", () => lib.erase(image, null as never)],
      ["erase(undefined)", () => lib.erase(undefined as never, undefined as never)],
      ["erase(image, mask, 5)", () => lib.erase(image, mask, 5 as never)],
      ["erase(image, mask, {seed: 'x'})", () => lib.erase(image, mask, { seed: "x" as never })],
      ["eraseWithReport({})", () => lib.eraseWithReport({} as never, mask)],
      ["maskFromChannel(-1)", () => lib.maskFromChannel(-1, 2, [])],
      ["maskFromChannel(null values)", () => lib.maskFromChannel(2, 2, null as never)],
      ["removalMask(null)", () => lib.removalMask(null as never)],
      ["removalMask(grow -1)", () => lib.removalMask(mask, { grow: -1 })],
      ["defaultGrow(0)", () => lib.defaultGrow(0, 10)],
      ["eraseFile(null)", () => lib.eraseFile(null as never, null, "x.png")],
      ["eraseFile(no mask)", () => lib.eraseFile("a.png", null, "x.png")],
      ["readImage('')", () => lib.readImage("")],
      ["decodeImage(null)", () => lib.decodeImage(null as never, "x.png")],
      ["readMask(3)", () => lib.readMask(3 as never)],
      ["formatForPath(null)", () => lib.formatForPath(null as never)],
      ["writeFileAtomic(null)", () => lib.writeFileAtomic(null as never, new Uint8Array(1))],
      ["writeFileAtomic('x', 'text')", () => lib.writeFileAtomic(path.join(dir, "x"), "text" as never)],
      ["encodeEdited(null)", () => lib.encodeEdited(null as never, image, "png", { software: "x" })],
      ["Segmenter.create({engine: 'x'})", () => lib.Segmenter.create({ engine: "x" } as never)],
      ["new PatchMatchCoarse({patchRadius: -1})", () => new lib.PatchMatchCoarse({ patchRadius: -1 })],
      ["loadOnnxModel(null)", () => lib.loadOnnxModel(null as never)],
      ["loadInpaintingModel('')", () => lib.loadInpaintingModel("")],
      ["findSamModels(null)", () => lib.findSamModels(null as never)],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(
        async () => call(),
        (e: unknown) => e instanceof lib.VanishError && typeof e.code === "string",
        `${name} should throw a VanishError`,
      );
    }
  });

  test("batch concurrency: limited by memory as well as cores", () => {
    const gb = 2 ** 30;
    const per100mp = estimatedJobBytes(100e6);
    assert.ok(per100mp > 2 * gb && per100mp < 4 * gb, `a 100 MP erase is estimated at ${(per100mp / gb).toFixed(1)} GB`);
    assert.equal(batchThreads({ tasks: 3, cores: 16, availableBytes: 64 * gb, perJobBytes: per100mp }), 3);
    assert.equal(batchThreads({ tasks: 3, cores: 16, availableBytes: 8 * gb, perJobBytes: per100mp }), 2);
    assert.equal(batchThreads({ tasks: 3, cores: 16, requested: 3, availableBytes: 2 * gb, perJobBytes: per100mp }), 1);
    assert.equal(batchThreads({ tasks: 30, cores: 4, availableBytes: 64 * gb, perJobBytes: estimatedJobBytes(12e6) }), 4);
  });
});

describe("bench cache", () => {
  test("never touches files it did not create; its downloads live in its own subfolder", async () => {
    const cache = path.join(dir, "cache");
    mkdirSync(cache, { recursive: true });
    const precious = Buffer.from("the user's own package, not a download of the bench");
    writeFileSync(path.join(cache, "precious.deb"), precious);
    writeFileSync(path.join(cache, "notes.txt"), "mine");
    // A real (tiny) package, built here, stands in for apt-get download.
    const pkgDir = path.join(dir, "pkg");
    mkdirSync(path.join(pkgDir, "DEBIAN"), { recursive: true });
    mkdirSync(path.join(pkgDir, "usr/share/vanish-test"), { recursive: true });
    writeFileSync(
      path.join(pkgDir, "DEBIAN/control"),
      "Package: vanish-test\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n",
    );
    writeFileSync(path.join(pkgDir, "usr/share/vanish-test/photo.txt"), "photo");
    const built = spawnSync("dpkg-deb", ["--build", pkgDir, path.join(dir, "vanish-test.deb")], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    const root = await ensureDebPackages(
      cache,
      ["vanish-test"],
      () => {},
      async (_pkg, into) => {
        writeFileSync(path.join(into, "vanish-test_1_all.deb"), readFileSync(path.join(dir, "vanish-test.deb")));
      },
    );
    assert.equal(root, path.join(cache, OWN_FOLDER, "root"));
    assert.equal(readFileSync(path.join(root, "usr/share/vanish-test/photo.txt"), "utf8"), "photo");
    assert.deepEqual(readFileSync(path.join(cache, "precious.deb")), precious, "the user's .deb is neither unpacked nor deleted");
    assert.deepEqual(readdirSync(cache).sort(), ["notes.txt", OWN_FOLDER, "precious.deb"].sort());
    assert.deepEqual(
      readdirSync(path.join(cache, OWN_FOLDER)).filter((n) => !n.startsWith(".")),
      ["root"],
      "no download debris",
    );

    // A folder of that name the bench did not make is refused, not used.
    const other = path.join(dir, "cache2");
    mkdirSync(path.join(other, OWN_FOLDER), { recursive: true });
    writeFileSync(path.join(other, OWN_FOLDER, "x.jpg"), "user file");
    await assert.rejects(
      ensureDebPackages(
        other,
        ["vanish-test"],
        () => {},
        async () => {},
      ),
      /was not made by the benchmark/,
    );
    assert.equal(readFileSync(path.join(other, OWN_FOLDER, "x.jpg"), "utf8"), "user file");
  });
});

describe("JPEG encoding memory", () => {
  /** The 16 code-length counts of the luminance DC Huffman table (class 0, id 0) of a JPEG. */
  const lumaDcCounts = (jpeg: Uint8Array): number[] => {
    for (let i = 2; i + 4 < jpeg.length; ) {
      if (jpeg[i] !== 0xff) throw new Error("not a marker");
      const marker = jpeg[i + 1];
      const length = (jpeg[i + 2] << 8) | jpeg[i + 3];
      if (marker === 0xc4) {
        for (let p = i + 4; p < i + 2 + length; ) {
          const counts = Array.from(jpeg.subarray(p + 1, p + 17));
          if (jpeg[p] === 0x00) return counts;
          p += 17 + counts.reduce((a, b) => a + b, 0);
        }
      }
      if (marker === 0xda) break;
      i += 2 + length;
    }
    throw new Error("no luminance DC table");
  };
  const STANDARD_LUMA_DC = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];

  test("Huffman tables are optimised up to 24 MP; larger images stream with the standard tables (no whole-image coefficient buffer)", async () => {
    const { decodeImage, encodeEdited, OPTIMISED_JPEG_MAX_PIXELS } = await import("../src/node/io.js");
    const flat = async (width: number, height: number) => {
      const bytes = await sharp({ create: { width, height, channels: 3, background: "#808080" } })
        .jpeg({ quality: 90 })
        .toBuffer();
      const decoded = await decodeImage(bytes, "flat.jpg");
      return encodeEdited(decoded, decoded.image, "jpeg", { software: "test" });
    };
    assert.notDeepEqual(lumaDcCounts(await flat(64, 48)), STANDARD_LUMA_DC);
    const width = 6000;
    const height = Math.floor(OPTIMISED_JPEG_MAX_PIXELS / width) + 1;
    const large = await flat(width, height);
    assert.deepEqual(lumaDcCounts(large), STANDARD_LUMA_DC);
    const meta = await sharp(large).metadata();
    assert.equal(meta.width, width);
    assert.equal(meta.height, height);
  });
});

describe("a thread pool's structure step", () => {
  test("a photo over 4 MP not in shared memory: the step gets only its crop, in shared memory, and the bytes are a shared photo's", async () => {
    const { FieldThreadPool } = await import("../src/node/field-threads.js");
    const { PatchMatchCoarse } = await import("../src/core/inpaint/completion.js");
    const { eraseWithReport } = await import("../src/core/inpaint/erase.js");
    const w = 2200;
    const h = 2000;
    // A dark diagonal band through the hole: a curve for the step to continue.
    const banded = bandedImage(w, h, (x, y) => Math.abs(y - 0.8 * x - 150) < 14).data;
    const rgba = Buffer.from(banded.buffer, banded.byteOffset, banded.byteLength);
    const m = Buffer.alloc(w * h);
    for (let y = 600; y < 1500; y++) m.fill(255, y * w + 700, y * w + 1600);
    const input = path.join(dir, "large.png");
    const maskPath = path.join(dir, "large-mask.png");
    await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toFile(input);
    await sharp(m, { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toFile(maskPath);
    const pool = new FieldThreadPool(1);
    // The structure tasks' photo, as posted to the pool.
    const photos: { width: number; height: number; shared: boolean }[] = [];
    tasksPostedTo(pool, (name, task) => {
      if (name !== "structure") return;
      const { image } = task as { image: { width: number; height: number; data: Uint8ClampedArray } };
      photos.push({ width: image.width, height: image.height, shared: image.data.buffer instanceof SharedArrayBuffer });
    });
    try {
      const erase = { seed: 4, coarse: new PatchMatchCoarse({ threads: pool }), continueStructureOn: pool.continueStructureOn };
      const out = path.join(dir, "large-out.png");
      await eraseFile(input, maskPath, out, { erase });
      // The same erase of the same pixels in shared memory: the step reads the photo itself.
      const data = new Uint8ClampedArray(new SharedArrayBuffer(w * h * 4));
      data.set(rgba);
      const hole = new Uint8Array(new SharedArrayBuffer(w * h));
      for (let i = 0; i < w * h; i++) hole[i] = m[i] >= 128 ? 1 : 0;
      const inShared = await eraseWithReport({ width: w, height: h, data }, { width: w, height: h, data: hole }, erase);
      assert.equal(photos.length, 2);
      assert.ok(photos[0].shared && photos[0].width * photos[0].height < w * h, "the file's step got a crop, in shared memory");
      assert.deepEqual(photos[1], { width: w, height: h, shared: true });
      assert.ok(inShared.structure.curves > 0);
      const written = await sharp(out).ensureAlpha().raw().toBuffer();
      assert.ok(Buffer.from(inShared.image.data.buffer, inShared.image.data.byteOffset, inShared.image.data.byteLength).equals(written));
    } finally {
      await pool.close();
    }
  });
});
