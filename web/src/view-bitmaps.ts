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
 * values are shown as P3, not read as sRGB).
 */
export async function makeViewBitmaps(
  data: Uint8ClampedArray,
  width: number,
  height: number,
  full = true,
  colorSpace: PredefinedColorSpace = "srgb",
): Promise<ImageBitmap[]> {
  const pixels = new ImageData(data as Uint8ClampedArray<ArrayBuffer>, width, height, { colorSpace });
  const levels: ImageBitmap[] = [];
  if (full || Math.max(width, height) < MIN_HALVED) levels.push(await createImageBitmap(pixels));
  let w = width;
  let h = height;
  while (Math.max(w, h) >= MIN_HALVED) {
    w = Math.max(1, Math.round(w / 2));
    h = Math.max(1, Math.round(h / 2));
    const source = levels.length > 0 ? levels[levels.length - 1] : pixels;
    // At exactly half size, bilinear sampling averages each 2×2 block: a proper box filter, and the cheapest.
    levels.push(await createImageBitmap(source, { resizeWidth: w, resizeHeight: h, resizeQuality: "low" }));
  }
  return levels;
}

/** Photos at least this long are also kept halved for display. */
const MIN_HALVED = 2048;
