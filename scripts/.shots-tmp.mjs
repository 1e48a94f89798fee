import { chromium } from "playwright-core";
import { preview } from "vite";
const out = "/tmp/app-shots";
const server = await preview({ configFile: "web/vite.config.ts", preview: { port: 4199 }, logLevel: "silent" });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const url = server.resolvedUrls.local[0];
for (const [name, opts] of [
  ["desktop", { viewport: { width: 1280, height: 800 } }],
  ["phone", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
  ["landscape", { viewport: { width: 844, height: 390 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
]) {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.log("pageerror", e.message));
  await page.goto(url);
  await page.getByTestId("sample").click();
  await page.getByTestId("status").filter({ hasText: "ready" }).waitFor({ timeout: 60000 });
  const box = await page.getByTestId("viewport").boundingBox();
  const tapAt = async (fx, fy) => {
    const x = box.x + box.width * fx, y = box.y + box.height * fy;
    if (opts.hasTouch) await page.touchscreen.tap(x, y); else await page.mouse.click(x, y);
  };
  await tapAt(0.5, 0.6);
  await page.getByTestId("status").filter({ hasText: "Selected" }).waitFor({ timeout: 60000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}/${name}-selected.png` });
  console.log(name, "scrollWidth", await page.evaluate("document.documentElement.scrollWidth"), "erase", JSON.stringify(await page.getByTestId("erase").boundingBox()));
  console.log(await page.getByTestId("status").textContent());
  await ctx.close();
}
await browser.close();
await server.close();
