/**
 * End-to-end test of the browser app in Debian's Chromium (playwright-core,
 * never a downloaded browser): open a photo, tap the object, erase, undo, redo,
 * download, and check the downloaded pixels. CI installs chromium (.ci/run);
 * elsewhere the test is skipped when /usr/bin/chromium is missing.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { build, type PreviewServer, preview } from "vite";
import { tinyLamaLike, tinySamDecoder, tinySamEncoder } from "./support/onnx-builder.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) && process.env.CI !== "true" ? "Chromium is not installed (apt-get install chromium)" : false;
const CONFIG = path.resolve("web/vite.config.ts");
const W = 320;
const H = 240;
const DISC = { x: 200, y: 110, r: 26 };

let dir: string;
let server: PreviewServer;
let browser: Browser;

/** A textured scene with a red disc to remove, as PNG (lossless, so pixels can be compared exactly). */
async function scene(): Promise<{ file: string; pixels: Buffer }> {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const inDisc = (x - DISC.x) ** 2 + (y - DISC.y) ** 2 <= DISC.r ** 2;
      const t = ((x * 7 + y * 13) % 17) * 3;
      data[o] = inDisc ? 230 : 60 + t;
      data[o + 1] = inDisc ? 20 : 110 + ((x >> 3) % 2) * 12 + t / 2;
      data[o + 2] = inDisc ? 30 : 80 + y / 6;
    }
  }
  const file = path.join(dir, "scene.png");
  await sharp(data, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(file);
  return { file, pixels: data };
}

async function download(page: Page): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  assert.equal(dl.suggestedFilename(), "scene-vanish.png");
  const file = path.join(dir, `dl-${Date.now()}.png`);
  await dl.saveAs(file);
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [W, H]);
  return data;
}

/** Loads the app in `page`, opens `file` and waits until it is prepared; page errors are collected in the returned list. */
async function openInApp(page: Page, file: string): Promise<string[]> {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(server.resolvedUrls?.local[0] as string);
  await page.getByTestId("open").setInputFiles(file);
  await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 30_000 });
  return errors;
}

/** Maps photo pixels to screen points for a photo fitted into the page's viewport element. */
async function photoToScreen(page: Page): Promise<(x: number, y: number) => [number, number]> {
  const box = (await page.getByTestId("viewport").boundingBox()) as { x: number; y: number; width: number; height: number };
  const scale = Math.min(box.width / W, box.height / H) * 0.96;
  return (x, y) => [box.x + (box.width - W * scale) / 2 + x * scale, box.y + (box.height - H * scale) / 2 + y * scale];
}

/** Red pixels left of the disc, and pixels changed far from it. */
function judge(result: Buffer, pixels: Buffer): { red: number; changedFar: number } {
  let red = 0;
  let changedFar = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const d = Math.hypot(x - DISC.x, y - DISC.y);
      if (d <= DISC.r && result[o] > 180 && result[o + 1] < 60) red++;
      if (d > DISC.r + 20 && (result[o] !== pixels[o] || result[o + 1] !== pixels[o + 1] || result[o + 2] !== pixels[o + 2])) changedFar++;
    }
  }
  return { red, changedFar };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), "vanish-web-"));
  await build({ configFile: CONFIG, logLevel: "silent", build: { outDir: path.join(dir, "web"), emptyOutDir: true } });
  server = await preview({ configFile: CONFIG, logLevel: "silent", build: { outDir: path.join(dir, "web") }, preview: { port: 4190 } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("open, tap, erase, undo, redo, download: the object is gone and nothing else changed", { skip, timeout: 120_000 }, async () => {
  const { file, pixels } = await scene();
  const page = await browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  const errors = await openInApp(page, file);

  const toScreen = await photoToScreen(page);
  const [sx, sy] = toScreen(DISC.x, DISC.y);
  await page.mouse.click(sx, sy);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 30_000 });
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(dir, "erased.png") });

  const erased = await download(page);
  const { red, changedFar } = judge(erased, pixels);
  assert.ok(red < 40, `${red} red pixels of the disc are left`);
  assert.equal(changedFar, 0, "pixels away from the object changed");

  await page.getByRole("button", { name: "Undo" }).click();
  await page.getByRole("button", { name: "Undo" }).click();
  assert.ok(pixels.equals(await download(page)), "undo brings the original back");
  await page.keyboard.press("Control+Shift+Z");
  await page.keyboard.press("Control+Shift+Z");
  assert.ok(erased.equals(await download(page)), "redo brings the erased photo back");
  assert.deepEqual(errors, []);
  await page.close();
});

test("unsupported, damaged and huge files get clear messages, not a broken page", { skip, timeout: 90_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.resolvedUrls?.local[0] as string);
  await page.getByTestId("open").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
  await page.getByTestId("error").filter({ hasText: "not a JPEG, PNG, WebP or AVIF" }).waitFor({ timeout: 10_000 });
  await page.getByTestId("open").setInputFiles({ name: "broken.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not really a jpeg") });
  await page.getByTestId("error").filter({ hasText: "could not be read" }).waitFor({ timeout: 10_000 });
  // Over the 50-megapixel limit: a clear message, and the page still works.
  const huge = await sharp({ create: { width: 8200, height: 6200, channels: 3, background: { r: 90, g: 120, b: 80 } } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  await page.getByTestId("open").setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: huge });
  await page
    .getByTestId("error")
    .filter({ hasText: "51 megapixels; Vanish opens photos up to 50 megapixels" })
    .waitFor({ timeout: 30_000 });
  await page.getByTestId("sample").click();
  await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 30_000 });
  await page.close();
});

test("lasso and rectangle mark what to erase; the mask eraser takes part back", { skip, timeout: 120_000 }, async () => {
  const { file, pixels } = await scene();
  const page = await browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  await openInApp(page, file);
  const toScreen = await photoToScreen(page);
  const drag = async (points: [number, number][]) => {
    await page.mouse.move(...toScreen(...points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...toScreen(...p), { steps: 4 });
    await page.mouse.up();
  };
  const ring = (r: number): [number, number][] =>
    Array.from({ length: 25 }, (_, i) => [DISC.x + r * Math.cos((i / 24) * 2 * Math.PI), DISC.y + r * Math.sin((i / 24) * 2 * Math.PI)]);

  // Lasso round the disc: erasing it leaves no red, and nothing far away changes.
  await page.keyboard.press("l");
  await drag(ring(DISC.r + 8));
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 30_000 });
  const lassoed = judge(await download(page), pixels);
  assert.ok(lassoed.red < 20, `${lassoed.red} red pixels left after the lasso`);
  assert.equal(lassoed.changedFar, 0);

  // Undo; a rectangle over the disc, minus its right half rubbed out with a rectangle of the mask eraser.
  await page.getByRole("button", { name: "Undo" }).click();
  await page.keyboard.press("r");
  await drag([
    [DISC.x - DISC.r - 6, DISC.y - DISC.r - 6],
    [DISC.x + DISC.r + 6, DISC.y + DISC.r + 6],
  ]);
  await page.keyboard.down("Alt");
  await drag([
    [DISC.x + 4, DISC.y - DISC.r - 10],
    [DISC.x + DISC.r + 10, DISC.y + DISC.r + 10],
  ]);
  await page.keyboard.up("Alt");
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 30_000 });
  const half = await download(page);
  let leftRed = 0;
  let rightRed = 0;
  for (let y = DISC.y - DISC.r; y <= DISC.y + DISC.r; y++) {
    for (let x = DISC.x - DISC.r; x <= DISC.x + DISC.r; x++) {
      const o = (y * W + x) * 3;
      if (Math.hypot(x - DISC.x, y - DISC.y) > DISC.r - 2 || half[o] < 180 || half[o + 1] > 60) continue;
      // Next to the red half that stays, the fill may take up a little of its colour: judge the far side.
      if (x < DISC.x - 12) leftRed++;
      if (x > DISC.x + 8) rightRed++;
    }
  }
  assert.ok(leftRed < 20, `${leftRed} red pixels left in the erased half`);
  assert.ok(rightRed > 400, `only ${rightRed} red pixels in the half that was rubbed out of the mask`);
  await page.close();
});

test("on a phone-sized touch screen a tap selects and the layout fits", { skip, timeout: 120_000 }, async () => {
  const { file } = await scene();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await openInApp(page, file);
  const [sx, sy] = (await photoToScreen(page))(DISC.x, DISC.y);
  await page.touchscreen.tap(sx, sy);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 30_000 });
  // Nothing sticks out sideways, and the erase button is on screen.
  assert.ok(((await page.evaluate("document.documentElement.scrollWidth")) as number) <= 390);
  const erase = (await page.getByTestId("erase").boundingBox()) as { x: number; y: number; width: number; height: number };
  assert.ok(erase.x >= 0 && erase.x + erase.width <= 390 && erase.y + erase.height <= 844, JSON.stringify(erase));
  await page.screenshot({ path: path.join(dir, "phone.png") });
  if (process.env.VANISH_SHOTS) await page.screenshot({ path: path.join(process.env.VANISH_SHOTS, "phone.png") });
  await context.close();
});

test("after the first visit the app works offline (service worker)", { skip, timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  await page.goto(server.resolvedUrls?.local[0] as string);
  // Installed, active and controlling the page: everything is precached.
  await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 30_000 });
  await context.setOffline(true);
  await page.reload();
  await page.getByTestId("sample").click();
  await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 60_000 });
  const box = (await page.getByTestId("viewport").boundingBox()) as { x: number; y: number; width: number; height: number };
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 30_000 });
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 60_000 });
  await context.close();
});

test("ONNX models picked in the page: Segment Anything selects and the network fills (onnxruntime-web)", {
  skip,
  timeout: 120_000,
}, async () => {
  const { file, pixels } = await scene();
  // SAM's answer is a disc of radius 150 in its 1024 frame (47 px here), larger than the red disc (26 px):
  // what gets erased shows which engine selected.
  const models = {
    encoder: path.join(dir, "tiny_sam_encoder.onnx"),
    decoder: path.join(dir, "tiny_sam_decoder.onnx"),
    network: path.join(dir, "tiny_inpainter.onnx"),
  };
  writeFileSync(models.encoder, tinySamEncoder());
  writeFileSync(models.decoder, tinySamDecoder({ radii: [150, 150, 150, 150], ious: [0.9, 0.9, 0.9, 0.9] }));
  writeFileSync(models.network, tinyLamaLike({ fill: [0.1, 0.8, 0.2] }));
  const page = await browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  const errors = await openInApp(page, file);
  await page.getByTestId("models").click();
  await page.getByTestId("models-input").setInputFiles([models.encoder, models.decoder, models.network]);
  await page.getByTestId("models-done").filter({ hasText: "Models loaded" }).waitFor({ timeout: 60_000 });
  await page.getByRole("button", { name: "Close" }).click();
  assert.match((await page.getByTestId("models").textContent()) ?? "", /SAM \+ tiny_inpainter\.onnx/);
  const [sx, sy] = (await photoToScreen(page))(DISC.x, DISC.y);
  await page.mouse.click(sx, sy);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 30_000 });
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 60_000 });
  const result = await download(page);
  const at = (x: number, y: number) => result.subarray((y * W + x) * 3, (y * W + x) * 3 + 3);
  // The network's colour (0.1, 0.8, 0.2) × 255 fills the middle, give or take the texture attention adds.
  const mean = [0, 0, 0];
  for (let y = DISC.y - 5; y <= DISC.y + 5; y++)
    for (let x = DISC.x - 5; x <= DISC.x + 5; x++) for (let c = 0; c < 3; c++) mean[c] += at(x, y)[c] / 121;
  assert.ok(Math.abs(mean[0] - 25) < 30 && Math.abs(mean[1] - 204) < 30 && Math.abs(mean[2] - 51) < 30, `middle ${mean.map(Math.round)}`);
  // SAM's disc, not the red one, was erased: 38 px from the centre changed; beyond SAM's disc nothing did.
  let changedRing = 0;
  let ring = 0;
  let changedFar = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.hypot(x + 0.5 - DISC.x, y + 0.5 - DISC.y);
      const o = (y * W + x) * 3;
      const changed = result[o] !== pixels[o] || result[o + 1] !== pixels[o + 1] || result[o + 2] !== pixels[o + 2];
      if (d > 36 && d < 40) {
        ring++;
        if (changed) changedRing++;
      }
      if (d > 47 + 20 && changed) changedFar++;
    }
  }
  assert.ok(changedRing > 0.9 * ring, `only ${changedRing} of ${ring} pixels 36–40 px from the centre changed`);
  assert.equal(changedFar, 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the download keeps EXIF (edit recorded), the ICC profile and the original's JPEG quality", { skip, timeout: 120_000 }, async () => {
  const { pixels } = await scene();
  const file = path.join(dir, "camera.jpg");
  await sharp(pixels, { raw: { width: W, height: H, channels: 3 } })
    .withIccProfile("p3")
    .withExif({ IFD0: { Make: "TestCam", Model: "Pocket" }, IFD2: { DateTimeOriginal: "2023:07:08 09:10:11" } })
    .jpeg({ quality: 77 })
    .toFile(file);
  const page = await browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  const errors = await openInApp(page, file);
  const [sx, sy] = (await photoToScreen(page))(DISC.x, DISC.y);
  await page.mouse.click(sx, sy);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 30_000 });
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 30_000 });
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  assert.equal(dl.suggestedFilename(), "camera-vanish.jpg");
  const out = path.join(dir, "camera-vanish.jpg");
  await dl.saveAs(out);
  const { jpegQuality } = await import("../src/container/metadata.js");
  const { exifSoftware } = await import("../src/container/exif.js");
  const [a, b] = await Promise.all([sharp(file).metadata(), sharp(out).metadata()]);
  assert.deepEqual(b.icc, a.icc, "the same ICC profile");
  const exif = b.exif?.toString("latin1") ?? "";
  assert.match(exif, /TestCam/);
  assert.match(exif, /2023:07:08 09:10:11/);
  assert.match(exifSoftware(new Uint8Array(b.exif as Buffer)) ?? "", /Vanish/);
  assert.equal(jpegQuality(readFileSync(out)), 77);
  // The samples stay the file's own (P3), far from the object: a re-encode apart, unchanged.
  const [sa, sb, srgb] = await Promise.all([
    sharp(file, { ignoreIcc: true }).raw().toBuffer(),
    sharp(out, { ignoreIcc: true }).raw().toBuffer(),
    sharp(file).toColourspace("srgb").raw().toBuffer(),
  ]);
  let kept = 0;
  let converted = 0;
  let n = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (Math.hypot(x - DISC.x, y - DISC.y) < DISC.r + 30) continue;
      for (let c = 0; c < 3; c++) {
        const o = (y * W + x) * 3 + c;
        kept += Math.abs(sa[o] - sb[o]);
        converted += Math.abs(srgb[o] - sb[o]);
        n++;
      }
    }
  }
  assert.ok(kept / n < 2.5, `samples moved by ${(kept / n).toFixed(2)} on average`);
  assert.ok(converted > 2 * kept, "the samples are not converted to sRGB");
  assert.deepEqual(errors, []);
  await page.close();
});
