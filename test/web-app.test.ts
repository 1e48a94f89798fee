/**
 * End-to-end test of the browser app in Debian's Chromium (playwright-core,
 * never a downloaded browser): open a photo, tap the object, erase, undo, redo,
 * download, and check the downloaded pixels; the default Segment Anything
 * engine loads with a progress bar, works offline after one visit, and gives
 * way to the built-in engine when its model is damaged. Setup in
 * support/web-app.ts.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { tinyLamaLike, tinySamDecoder, tinySamEncoder } from "./support/onnx-builder.js";
import {
  newPage,
  openPhoto,
  skipBrowser as skip,
  startWebApp,
  statusSays,
  photoToScreen as toScreenOf,
  type WebApp,
} from "./support/web-app.js";

const W = 320;
const H = 240;
const DISC = { x: 200, y: 110, r: 26 };

let app: WebApp;
let dir: string;

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

/** Loads the app (built-in tap engine) in `page`, opens `file` and waits until it is prepared; page errors are collected in the returned list. */
async function openInApp(page: Page, file: string): Promise<string[]> {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await openPhoto(app, page, file);
  return errors;
}

/**
 * Waits until Segment Anything answers taps: it encodes the photo in the
 * model worker while the built-in engine answers them.
 */
async function samAnswers(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(`document.querySelector(".app")?.dataset.tapAnswering === "sam"`, undefined, { timeout });
}

/** Maps photo pixels to screen points for the scene fitted into the page's viewport element. */
const photoToScreen = (page: Page) => toScreenOf(page, W, H);

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
  app = await startWebApp("web", 4190);
  dir = app.dir;
});

after(async () => {
  await app?.close();
});

test("open, tap, erase, undo, redo, download: the object is gone and nothing else changed", { skip, timeout: 120_000 }, async () => {
  const { file, pixels } = await scene();
  const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
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

test("the fill on field workers (shared memory) gives the same pixels as on the engine worker alone", {
  skip,
  timeout: 180_000,
}, async () => {
  // A hole large enough that the fill's PatchMatch scans are split into bands
  // and its upscaling's rows too, all going to the field workers, as does the structure step.
  const w = 800;
  const h = 560;
  const hole = (x: number, y: number) => ((x - 400) / 230) ** 2 + ((y - 280) / 170) ** 2 <= 1;
  const data = Buffer.alloc(w * h * 3);
  const mask = Buffer.alloc(w * h * 3);
  let holePixels = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const t = ((x * 7 + y * 13) % 17) * 3 + ((x * y) % 11);
      // A dark slanted line through the hole, for the structure step (which also runs on a field worker).
      const line = Math.min(1, Math.max(0, 4 - Math.abs(y + 0.5 - (0.35 * (x + 0.5) + 140)) / Math.hypot(1, 0.35)));
      data[o] = (60 + t + (x >> 4)) * (1 - line) + 20 * line;
      data[o + 1] = (110 + ((x >> 3) % 2) * 12 + t / 2) * (1 - line) + 20 * line;
      data[o + 2] = (80 + y / 6 + ((x >> 5) % 3) * 9) * (1 - line) + 20 * line;
      if (hole(x, y)) {
        mask.fill(255, o, o + 3);
        holePixels++;
      }
    }
  }
  const photoFile = path.join(dir, "wide.png");
  const maskFile = path.join(dir, "wide-mask.png");
  await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(photoFile);
  await sharp(mask, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(maskFile);
  // A second, smaller object in a corner, erased on top of the first erase.
  const cornerFile = path.join(dir, "wide-corner.png");
  const corner = Buffer.alloc(w * h * 3);
  for (let y = 30; y < 110; y++) corner.fill(255, (y * w + 40) * 3, (y * w + 130) * 3);
  await sharp(corner, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(cornerFile);
  const fill = async (workers: number): Promise<Buffer> => {
    const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${app.url()}&fieldWorkers=${workers}`);
    assert.equal(await page.evaluate("crossOriginIsolated"), true, "shared memory needs COOP/COEP");
    await page.getByTestId("open").setInputFiles(photoFile);
    await statusSays(page, "ready");
    const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.getByRole("button", { name: "Import mask" }).click()]);
    await chooser.setFiles(maskFile);
    await statusSays(page, "Mask imported");
    await page.getByTestId("erase").click();
    await statusSays(page, "Erased", 90_000);
    if (workers > 0) await page.screenshot({ path: path.join(dir, "field-workers-erased.png") });
    const pixels = async (name: string) => {
      const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
      const file = path.join(dir, `wide-${workers}-${name}.png`);
      await dl.saveAs(file);
      return (await sharp(file).removeAlpha().raw().toBuffer()) as Buffer;
    };
    const first = await pixels("first");
    if (workers > 0) {
      // The page's history holds the erased pixels the worker filled (shared memory): erasing again on top of
      // them must leave that state as it was.
      const [again] = await Promise.all([page.waitForEvent("filechooser"), page.getByRole("button", { name: "Import mask" }).click()]);
      await again.setFiles(cornerFile);
      await statusSays(page, "Mask imported");
      await page.getByTestId("erase").click();
      await statusSays(page, "Erased", 90_000);
      await page.getByRole("button", { name: "Undo" }).click();
      assert.ok(first.equals(await pixels("undone")), "a second erase leaves the first's pixels in the history");
      await page.getByRole("button", { name: "Undo" }).click();
      await page.getByRole("button", { name: "Undo" }).click();
      // Undo hands the engine the page's copy (not in shared memory): the workers then fill a shared copy of the crop.
      await page.getByTestId("erase").click();
      await statusSays(page, "Erased", 90_000);
      assert.ok(first.equals(await pixels("again")), "the erase after undo gives the same pixels");
    }
    assert.deepEqual(errors, []);
    await page.close();
    return first;
  };
  const alone = await fill(0);
  const shared = await fill(2);
  // One worker: busy with the structure step while the fill starts, so the engine worker scans alone meanwhile.
  const one = await fill(1);
  let changed = 0;
  for (let i = 0; i < w * h; i++) if (alone[i * 3] !== data[i * 3] || alone[i * 3 + 1] !== data[i * 3 + 1]) changed++;
  assert.ok(holePixels > 100_000 && changed > 0.5 * holePixels, `the hole was filled (${changed} of ${holePixels} pixels changed)`);
  assert.ok(shared.equals(alone), "two field workers give the pixels of the engine worker alone");
  assert.ok(one.equals(alone), "one field worker gives the pixels of the engine worker alone");
});

test("Enter while the selection is still being refined erases what Enter after the refinement erases", {
  skip,
  timeout: 240_000,
}, async () => {
  // Large enough that the built-in engine answers the tap from its working resolution and takes a few
  // hundred ms to refine the selection to the photo's: Enter at once comes while it does.
  const BW = 3200;
  const BH = 2100;
  const disc = { x: 1900, y: 1000, r: 230 };
  const data = Buffer.alloc(BW * BH * 3);
  for (let y = 0; y < BH; y++) {
    for (let x = 0; x < BW; x++) {
      const o = (y * BW + x) * 3;
      const t = ((x * 7 + y * 13) % 17) * 3;
      const inDisc = (x - disc.x) ** 2 + (y - disc.y) ** 2 <= disc.r ** 2;
      data[o] = inDisc ? 230 : 60 + t + x / 80;
      data[o + 1] = inDisc ? 20 : 110 + ((x >> 3) % 2) * 12 + t / 2;
      data[o + 2] = inDisc ? 30 : 80 + y / 24;
    }
  }
  const file = path.join(dir, "refining.png");
  await sharp(data, { raw: { width: BW, height: BH, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(file);
  const marked = (page: Page, name: string) => page.evaluate((n) => performance.getEntriesByName(n).length, name);
  const pixels = async (page: Page, name: string) => {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
    const saved = path.join(dir, `refining-${name}.png`);
    await dl.saveAs(saved);
    return (await sharp(saved).removeAlpha().raw().toBuffer()) as Buffer;
  };
  const refined = (page: Page) =>
    page.waitForFunction(() => performance.getEntriesByName("selection: refined").length > 0, undefined, { timeout: 60_000 });
  const run = async (atOnce: boolean, cancelFirst = false) => {
    const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
    const errors = await openInApp(page, file);
    const [sx, sy] = (await toScreenOf(page, BW, BH))(disc.x, disc.y);
    await page.mouse.click(sx, sy);
    if (!atOnce || cancelFirst) await statusSays(page, "Selected", 60_000);
    if (cancelFirst) {
      // Cancelled while the engine refines and erases: a fresh engine refines the selection again, and Enter erases it.
      // Clicked as soon as the page inserts it (a mutation observer, before the next frame): a click through the
      // locator (scroll, stability checks) can come after a small erase has finished and the button has gone, and
      // so can a poll once a frame on a busy machine, where frames are far apart.
      await page.evaluate(`(() => {
        const observer = new MutationObserver(() => {
          const cancel = document.querySelector("[data-testid=cancel]");
          if (cancel === null) return;
          cancel.click();
          window.cancelClicked = true;
          observer.disconnect();
        });
        observer.observe(document.body, { childList: true, subtree: true });
      })()`);
      await page.keyboard.press("Enter");
      await page.waitForFunction("window.cancelClicked === true", undefined, { timeout: 30_000 });
      await statusSays(page, "Erase cancelled", 60_000);
      await refined(page);
      await page.keyboard.press("Enter");
      await statusSays(page, "Erased", 180_000);
      const erased = await pixels(page, "after-cancel");
      assert.deepEqual(errors, []);
      await page.close();
      return { erased, another: erased };
    }
    if (atOnce) {
      // Pressed in the first frame that shows the selection: a key press the test sends after it has seen the
      // status can come after the refinement on a loaded machine, and then the path under test is not taken.
      await page.waitForFunction(
        `(() => {
          if (!document.querySelector("[data-testid=status]")?.textContent?.includes("Selected")) return false;
          window.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
          return true;
        })()`,
        undefined,
        { polling: "raf", timeout: 60_000 },
      );
    } else {
      await refined(page);
      await page.keyboard.press("Enter");
    }
    await statusSays(page, "Erased", 180_000);
    // The path under test was taken (or, waiting, not).
    assert.equal(await marked(page, "erase: selection still being refined"), atOnce ? 1 : 0);
    const erased = await pixels(page, `${atOnce}-erased`);
    // "Try another" fills the mask the erase used again (with the engine's refined mask when it erased while refining).
    await page.getByTestId("try-another").click();
    await statusSays(page, "Erased", 180_000);
    const another = await pixels(page, `${atOnce}-another`);
    if (atOnce) {
      // The refinement reached the history: Undo, Enter erases the refined selection the usual way, to the same pixels.
      await refined(page);
      await page.keyboard.press("Control+z");
      await statusSays(page, "Undid");
      await page.keyboard.press("Enter");
      await statusSays(page, "Erased", 180_000);
      assert.equal(await marked(page, "erase: selection still being refined"), 1);
      assert.ok(erased.equals(await pixels(page, "again")), "Undo, Enter after the refinement gives the same pixels");
    }
    assert.deepEqual(errors, []);
    await page.close();
    return { erased, another };
  };
  const atOnce = await run(true);
  const after = await run(false);
  const cancelled = await run(true, true);
  let changed = 0;
  for (let i = 0; i < BW * BH; i += 7) if (after.erased[i * 3] !== data[i * 3]) changed++;
  assert.ok(changed > 0.8 * ((Math.PI * disc.r * disc.r) / 7), `the disc was filled (${changed} sampled pixels changed)`);
  assert.ok(atOnce.erased.equals(after.erased), "Enter during the refinement gives the download of Enter after it");
  assert.ok(atOnce.another.equals(after.another), "and so does Try another after it");
  assert.ok(!atOnce.another.equals(atOnce.erased), "Try another gave another fill");
  assert.ok(cancelled.erased.equals(after.erased), "after a cancelled erase, Enter gives the same pixels");
});

test("unsupported, damaged and huge files get clear messages, not a broken page", { skip, timeout: 90_000 }, async () => {
  const page = await app.browser.newPage();
  await page.goto(app.url());
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
  const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
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
  const context = await app.browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  });
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

/** Records every value the page's progress bar shows (role=progressbar), from before the app starts. */
const RECORD_PROGRESS = `window.__progress = [];
new MutationObserver(() => {
  const bar = document.querySelector("[role=progressbar]");
  if (!bar) return;
  const value = bar.getAttribute("aria-valuenow") + " " + bar.getAttribute("aria-valuetext") + " " + bar.getAttribute("aria-label");
  if (window.__progress.at(-1) !== value) window.__progress.push(value);
}).observe(document, { subtree: true, childList: true, attributes: true });`;

/** The URLs (file names) each cache of the page's origin holds. */
async function cacheContents(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(`(async () => {
    const out = {};
    for (const name of await caches.keys()) out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname.split("/").pop());
    return out;
  })()`);
}

/** Taps a boat of the harbour sample (960×600) and returns how many pixels the exported mask marks. */
async function tapBoat(page: Page): Promise<number> {
  const [x, y] = (await toScreenOf(page, 960, 600))(355, 400);
  await page.mouse.click(x, y);
  await statusSays(page, "Selected", 120_000);
  assert.match((await page.getByTestId("status").textContent()) ?? "", /by Segment Anything/);
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export mask" }).click()]);
  const { data } = await sharp(await dl.path())
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return data.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0);
}

test("the default engine: Segment Anything loads with a progress bar on the first photo, the built-in engine answers taps until it is ready; after that visit it works offline from the caches", {
  skip,
  timeout: 600_000,
}, async () => {
  const context = await app.browser.newContext({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  await context.addInitScript(RECORD_PROGRESS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(app.url("auto"));
  assert.equal(await page.evaluate("crossOriginIsolated"), true, "COOP/COEP from the preview server");
  // Installed, active and controlling the page: the app itself is precached.
  await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 30_000 });
  const precached = Object.entries(await cacheContents(page)).flatMap(([name, files]) => (name.includes("precache") ? files : []));
  assert.ok(
    precached.some((f) => f.endsWith(".jpg")),
    "the sample photo is precached",
  );
  assert.deepEqual(
    precached.filter((f) => /\.(wasm|onnx)$/.test(f)),
    [],
    "neither ONNX Runtime nor the model is precached",
  );

  await page.getByTestId("sample").click();
  await statusSays(page, "ready", 300_000);
  // Taps are taken at once: the built-in engine answers while Segment Anything's sessions start and encode the photo (seconds).
  assert.equal(await page.locator(".app").getAttribute("data-tap-answering"), "builtin");
  assert.match((await page.getByTestId("status").textContent()) ?? "", /built-in engine answers taps until Segment Anything/);
  const [bx, by] = (await toScreenOf(page, 960, 600))(355, 400);
  await page.mouse.click(bx, by);
  await statusSays(page, /Selected from 1 tap in \d+ ms by the built-in engine \(Segment Anything is still analysing/, 120_000);
  await page.keyboard.press("Escape");
  await statusSays(page, "Mask cleared");
  await samAnswers(page, 300_000);
  assert.equal(await page.locator(".app").getAttribute("data-tap-engine"), "sam");
  const status = (await page.getByTestId("status").textContent()) ?? "";
  assert.doesNotMatch(status, /built-in/, status);
  // The download showed as a progress bar counting megabytes, up to the whole.
  const progress = (await page.evaluate("window.__progress")) as string[];
  const shown = progress.filter((p) => p.includes("of 59 MB"));
  assert.ok(shown.length >= 2, progress.join(" | "));
  const values = shown.map((p) => Number(p.split(" ")[0]));
  assert.deepEqual(
    values,
    [...values].sort((a, b) => a - b),
    "it only moves forward",
  );
  assert.equal(values.at(-1), 100);
  assert.match(shown[0], /Loading the tap-to-select model/);
  // One boat: Segment Anything's mask of the hull tapped (the built-in engine takes in the gravel around it).
  const online = await tapBoat(page);
  assert.ok(online > 7_000 && online < 20_000, `${online} pixels selected`);
  const cached = await cacheContents(page);
  assert.equal(cached["vanish-models"]?.filter((f) => f.endsWith(".onnx")).length, 2, JSON.stringify(cached));
  assert.equal(cached["vanish-runtime"]?.filter((f) => f.endsWith(".wasm")).length, 1, JSON.stringify(cached));

  // Offline: the page, ONNX Runtime and the model all come from the caches.
  await context.setOffline(true);
  await page.reload();
  assert.equal(await page.evaluate("crossOriginIsolated"), true, "the cached page keeps its COOP/COEP headers");
  await page.getByTestId("sample").click();
  await statusSays(page, "ready", 300_000);
  await samAnswers(page, 300_000);
  assert.equal(await page.locator(".app").getAttribute("data-tap-engine"), "sam");
  const offline = await tapBoat(page);
  assert.ok(Math.abs(offline - online) <= 0.01 * online, `${offline} pixels offline, ${online} online`);
  await page.getByTestId("erase").click();
  await statusSays(page, "Erased", 120_000);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a damaged model file: the built-in engine takes over, the status says so once, and the bad copy leaves the cache", {
  skip,
  timeout: 300_000,
}, async () => {
  const { file } = await scene();
  const { page, errors, close } = await newPage(app, { viewport: { width: 900, height: 700 }, acceptDownloads: true });
  await page.goto(app.url("auto"));
  await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 30_000 });
  // A copy of the encoder of the right size but the wrong bytes, as if the cache had been damaged.
  const encoder = readdirSync(path.join(dir, "web", "models")).find((f) => f.endsWith("-encoder.onnx")) as string;
  const encoderUrl = new URL(`models/${encoder}`, app.url("auto")).href;
  const size = readFileSync(path.join(dir, "web", "models", encoder)).length;
  await page.evaluate(
    `caches.open("vanish-models").then((c) => c.put(${JSON.stringify(encoderUrl)}, new Response(new Uint8Array(${size}))))`,
  );
  await page.getByTestId("open").setInputFiles(file);
  await statusSays(page, "ready", 120_000);
  const said = (await page.getByTestId("status").textContent()) ?? "";
  assert.match(said, /damaged or not the expected version/);
  assert.match(said, /built-in tap-to-select engine/);
  assert.equal(await page.locator(".app").getAttribute("data-tap-engine"), "builtin");
  assert.equal(await page.evaluate(`caches.match(${JSON.stringify(encoderUrl)}).then((r) => r === undefined)`), true);
  // Taps work (built-in engine), and the next photo is not told again.
  const [sx, sy] = (await photoToScreen(page))(DISC.x, DISC.y);
  await page.mouse.click(sx, sy);
  await statusSays(page, "Selected");
  await page.getByTestId("open").setInputFiles(file);
  await statusSays(page, "ready");
  assert.doesNotMatch((await page.getByTestId("status").textContent()) ?? "", /built-in/);
  assert.deepEqual(errors, []);
  await close();
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
  const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
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
  const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
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

test("a large photo with Segment Anything: the tap answers from a shrunk copy, and the erase uses the full-resolution mask", {
  skip,
  timeout: 240_000,
}, async () => {
  // 2600 px long: taps are previewed on a copy shrunk 3× (tap-selector.ts), then refined on the photo itself.
  const BW = 2600;
  const BH = 1600;
  const tap = { x: 1500, y: 700 };
  const data = Buffer.alloc(BW * BH * 3);
  for (let y = 0; y < BH; y++) {
    for (let x = 0; x < BW; x++) {
      const o = (y * BW + x) * 3;
      const t = ((x * 7 + y * 13) % 17) * 3;
      // Gradients across and down: no pixel outside the disc repeats one inside, so every filled pixel differs.
      data[o] = 60 + t + x / 40;
      data[o + 1] = 110 + ((x >> 3) % 2) * 12 + t / 2;
      data[o + 2] = 80 + y / 12;
    }
  }
  const file = path.join(dir, "large.png");
  await sharp(data, { raw: { width: BW, height: BH, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(file);
  const models = { encoder: path.join(dir, "tiny_sam_encoder.onnx"), decoder: path.join(dir, "tiny_sam_decoder.onnx") };
  writeFileSync(models.encoder, tinySamEncoder());
  writeFileSync(models.decoder, tinySamDecoder({ radii: [150, 150, 150, 150], ious: [0.9, 0.9, 0.9, 0.9] }));
  const page = await app.browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  const errors = await openInApp(page, file);
  await page.getByTestId("models").click();
  await page.getByTestId("models-input").setInputFiles([models.encoder, models.decoder]);
  await page.getByTestId("models-done").filter({ hasText: "Models loaded" }).waitFor({ timeout: 60_000 });
  await page.getByRole("button", { name: "Close" }).click();
  const [sx, sy] = (await toScreenOf(page, BW, BH))(tap.x, tap.y);
  await page.mouse.click(sx, sy);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 60_000 });
  await page.getByTestId("erase").click();
  await page.getByTestId("status").filter({ hasText: "Erased" }).waitFor({ timeout: 180_000 });
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  const saved = path.join(dir, "large-vanish.png");
  await dl.saveAs(saved);
  const result = await sharp(saved).removeAlpha().raw().toBuffer();
  // SAM's disc: radius 150 in the 1024 frame is 381 px here, grown by 0.6 % of the long side (16 px).
  const radius = (150 * BW) / 1024;
  let inner = 0;
  let changedInner = 0;
  let changedFar = 0;
  for (let y = 0; y < BH; y += 2) {
    for (let x = 0; x < BW; x += 2) {
      const d = Math.hypot(x + 0.5 - tap.x, y + 0.5 - tap.y);
      const o = (y * BW + x) * 3;
      const changed = result[o] !== data[o] || result[o + 1] !== data[o + 1] || result[o + 2] !== data[o + 2];
      if (d > radius - 30 && d < radius - 5) {
        inner++;
        if (changed) changedInner++;
      }
      if (d > radius + 16 + 12 && changed) changedFar++;
    }
  }
  assert.ok(changedInner > 0.9 * inner, `only ${changedInner} of ${inner} pixels just inside SAM's disc changed`);
  assert.equal(changedFar, 0, "pixels beyond the grown disc changed");
  assert.deepEqual(errors, []);
  await page.close();
});
