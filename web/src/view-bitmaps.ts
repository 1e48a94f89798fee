/**
 * Bitmaps for showing a photo: the photo itself and its halvings down to
 * 1024–2047 px, so a frame draws the copy nearest the screen's size (a
 * 12-megapixel bitmap shrunk in software costs 10–40 ms a frame, a copy near
 * screen size a few). Made in the engine worker, where the pixels already
 * are, and handed to the page as transferables: the page's thread never
 * spends the 150–250 ms that decoding pixels into bitmaps takes at 12 MP.
 */

/**
 * The photo's bitmap first, then each halving, smallest last. Without
 * `full`, only the halvings (the first made straight from the pixels), when
 * the photo is large enough to have any: what a view needs first, in a
 * fraction of the time; the full-resolution bitmap can follow.
 * `colorSpace` is the space the samples are in (the photo's own: Display P3
 * values are shown as P3, not read as sRGB). `decoded`: a bitmap that
 * already holds these pixels as they are to be shown (the decoded photo's),
 * which becomes the full-resolution one instead of a copy made from `data`
 * (a 48 MB copy at 12 MP, on the way to the photo's first view).
 */
export async function makeViewBitmaps(
  data: Uint8ClampedArray,
  width: number,
  height: number,
  full = true,
  colorSpace: PredefinedColorSpace = "srgb",
  decoded?: ImageBitmap,
): Promise<ImageBitmap[]> {
  const levels: ImageBitmap[] = [];
  let pixels: ImageData | null = null;
  if (decoded && full) {
    levels.push(decoded);
  } else {
    // ImageData takes no shared memory (the engine worker keeps its photo there for the field workers): a copy then.
    const own = data.buffer instanceof SharedArrayBuffer ? new Uint8ClampedArray(data) : data;
    pixels = new ImageData(own as Uint8ClampedArray<ArrayBuffer>, width, height, { colorSpace });
    if (full || Math.max(width, height) < MIN_HALVED) levels.push(await createImageBitmap(pixels));
  }
  let w = width;
  let h = height;
  while (Math.max(w, h) >= MIN_HALVED) {
    w = Math.max(1, Math.round(w / 2));
    h = Math.max(1, Math.round(h / 2));
    const source = levels.length > 0 ? levels[levels.length - 1] : (pixels as ImageData);
    // At exactly half size, bilinear sampling averages each 2×2 block: a proper box filter, and the cheapest.
    levels.push(await createImageBitmap(source, { resizeWidth: w, resizeHeight: h, resizeQuality: "low" }));
  }
  return levels;
}

/** The photo's full-resolution bitmap alone (`makeViewBitmaps`' first), without making its halvings again. */
export async function makeFullBitmap(
  data: Uint8ClampedArray,
  width: number,
  height: number,
  colorSpace: PredefinedColorSpace = "srgb",
): Promise<ImageBitmap> {
  const own = data.buffer instanceof SharedArrayBuffer ? new Uint8ClampedArray(data) : data;
  return createImageBitmap(new ImageData(own as Uint8ClampedArray<ArrayBuffer>, width, height, { colorSpace }));
}

/** Photos at least this long are also kept halved for display. */
const MIN_HALVED = 2048;

/**
 * The halvings of a photo kept in the engine worker, so that after an erase
 * only the changed rectangle is halved again (a few milliseconds for an
 * object) instead of the whole 12-megapixel photo (about 100 ms).
 */
export class HalvedView {
  private canvas: OffscreenCanvas | null = null;
  private ctx: OffscreenCanvasRenderingContext2D | null = null;

  /** Starts from `levels` (from `makeViewBitmaps`); false when this photo cannot be patched (odd sides, too small). */
  keep(levels: readonly ImageBitmap[], width: number, height: number): boolean {
    this.canvas = null;
    this.ctx = null;
    if (Math.max(width, height) < MIN_HALVED || width % 2 !== 0 || height % 2 !== 0) return false;
    const half = levels.find((b) => b.width === width / 2 && b.height === height / 2);
    if (!half) return false;
    const canvas = new OffscreenCanvas(width / 2, height / 2);
    const ctx = canvas.getContext("2d");
    if (!ctx) return false;
    ctx.drawImage(half, 0, 0);
    this.canvas = canvas;
    this.ctx = ctx;
    return true;
  }

  /** Forgets the kept view (the photo changed some other way). */
  drop(): void {
    this.canvas = null;
    this.ctx = null;
  }

  /**
   * The view's bitmaps (halvings only) after the pixels inside `rect`
   * changed in `data`; null when nothing is kept (make them afresh).
   */
  async patch(
    data: Uint8ClampedArray,
    width: number,
    height: number,
    rect: { x: number; y: number; width: number; height: number },
    colorSpace: PredefinedColorSpace,
  ): Promise<ImageBitmap[] | null> {
    const { canvas, ctx } = this;
    if (!canvas || !ctx || canvas.width * 2 !== width || canvas.height * 2 !== height) return null;
    // Whole 2×2 blocks, so the patch halves exactly as the whole photo did.
    const x0 = rect.x & ~1;
    const y0 = rect.y & ~1;
    const x1 = Math.min(width, (rect.x + rect.width + 1) & ~1);
    const y1 = Math.min(height, (rect.y + rect.height + 1) & ~1);
    const cw = x1 - x0;
    const ch = y1 - y0;
    // An opaque sRGB rectangle is halved here, straight from the photo, and put into the kept view: a quarter
    // of the rectangle's bytes written, where a bitmap needs the rectangle copied out and then resized.
    const halved = colorSpace === "srgb" ? halveOpaque(data, width, x0, y0, cw, ch) : null;
    if (halved) {
      ctx.putImageData(new ImageData(halved, cw / 2, ch / 2), x0 / 2, y0 / 2);
    } else {
      // The rectangle's own pixels (a bitmap of a crop of the whole ImageData would copy all of it first).
      const crop = new Uint8ClampedArray(cw * ch * 4);
      for (let y = 0; y < ch; y++) crop.set(data.subarray(((y0 + y) * width + x0) * 4, ((y0 + y) * width + x1) * 4), y * cw * 4);
      const half = await createImageBitmap(new ImageData(crop, cw, ch, { colorSpace }), {
        resizeWidth: cw / 2,
        resizeHeight: ch / 2,
        resizeQuality: "low",
      });
      ctx.drawImage(half, x0 / 2, y0 / 2);
      half.close();
    }
    const levels: ImageBitmap[] = [await createImageBitmap(canvas)];
    let w = canvas.width;
    let h = canvas.height;
    while (Math.max(w, h) >= MIN_HALVED) {
      w = Math.max(1, Math.round(w / 2));
      h = Math.max(1, Math.round(h / 2));
      levels.push(await createImageBitmap(levels[levels.length - 1], { resizeWidth: w, resizeHeight: h, resizeQuality: "low" }));
    }
    return levels;
  }
}

/** Whether this platform stores typed arrays' words little-endian (RGBA bytes read as 0xAABBGGRR). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The `cw`×`ch` rectangle at (`x0`, `y0`) of an RGBA photo `width` wide, halved: each pixel the rounded
 * mean of a 2×2 block, (a + b + c + d + 2) >> 2 per channel, which is what Chromium's "low" quality resize
 * to exactly half gives (checked on this machine's Chromium: no byte differs), so a patch matches the
 * halving of the whole photo. Two channels at a time in one word. Null when a block is not opaque (a
 * resize then works on premultiplied values), or the photo cannot be read as words here.
 */
function halveOpaque(
  data: Uint8ClampedArray,
  width: number,
  x0: number,
  y0: number,
  cw: number,
  ch: number,
): Uint8ClampedArray<ArrayBuffer> | null {
  if (!LITTLE_ENDIAN || (data.byteOffset & 3) !== 0) return null;
  const src = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  const hw = cw >> 1;
  const hh = ch >> 1;
  const out = new Uint32Array(hw * hh);
  const LOW = 0x00ff00ff;
  for (let y = 0; y < hh; y++) {
    let i = (y0 + 2 * y) * width + x0;
    const o = y * hw;
    for (let x = 0; x < hw; x++, i += 2) {
      const a = src[i];
      const b = src[i + 1];
      const c = src[i + width];
      const d = src[i + width + 1];
      if ((a & b & c & d) >>> 24 !== 255) return null;
      const even = (a & LOW) + (b & LOW) + (c & LOW) + (d & LOW) + 0x00020002;
      const odd = ((a >>> 8) & LOW) + ((b >>> 8) & LOW) + ((c >>> 8) & LOW) + ((d >>> 8) & LOW) + 0x00020002;
      out[o + x] = ((even >>> 2) & LOW) | (((odd >>> 2) & LOW) << 8);
    }
  }
  return new Uint8ClampedArray(out.buffer);
}
