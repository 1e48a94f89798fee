/**
 * Bitmaps for showing a photo: the photo itself and its halvings down to
 * 1024–2047 px, so a frame draws the copy nearest the screen's size (a
 * 12-megapixel bitmap shrunk in software costs 10–40 ms a frame, a copy near
 * screen size a few). Made in the engine worker, where the pixels already
 * are, and handed to the page as transferables: the page's thread never
 * spends the 150–250 ms that decoding pixels into bitmaps takes at 12 MP.
 */

/** The photo's bitmap first, then each halving, smallest last. */
export async function makeViewBitmaps(data: Uint8ClampedArray, width: number, height: number): Promise<ImageBitmap[]> {
  const levels = [await createImageBitmap(new ImageData(data as Uint8ClampedArray<ArrayBuffer>, width, height))];
  let source = levels[0];
  while (Math.max(source.width, source.height) >= 2048) {
    source = await createImageBitmap(source, {
      resizeWidth: Math.max(1, Math.round(source.width / 2)),
      resizeHeight: Math.max(1, Math.round(source.height / 2)),
      // At exactly half size, bilinear sampling averages each 2×2 block: a proper box filter, and the cheapest.
      resizeQuality: "low",
    });
    levels.push(source);
  }
  return levels;
}
