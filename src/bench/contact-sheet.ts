/**
 * Contact sheets for bench reports: crops of the same region (the hole's
 * neighbourhood) from several images, scaled to one height and labelled, so
 * results can be compared by eye beside the truth.
 */

import type { Rect, RgbaImage } from "../core/image.js";
import { sharp } from "../node/sharp.js";

export interface TileOptions {
  /** Tile height in pixels. */
  height: number;
  /** Context around the box, as a share of its long side. */
  pad: number;
  /** Narrowest tile in pixels. */
  minWidth: number;
  /** Label font size in pixels. */
  fontSize: number;
}

/** The region around `box` in each image, as labelled PNG tiles of one size. */
export async function labelledTiles(
  images: readonly { label: string; image: RgbaImage }[],
  box: Rect,
  options: TileOptions,
): Promise<{ tiles: Buffer[]; tileWidth: number }> {
  const { width: W, height: H } = images[0].image;
  const pad = Math.round(Math.max(box.width, box.height) * options.pad);
  const left = Math.max(0, box.x - pad);
  const top = Math.max(0, box.y - pad);
  const region = { left, top, width: Math.min(W, box.x + box.width + pad) - left, height: Math.min(H, box.y + box.height + pad) - top };
  const tileWidth = Math.max(options.minWidth, Math.round((region.width * options.height) / region.height));
  const band = Math.round(options.fontSize * 1.6);
  const tiles = await Promise.all(
    images.map(async ({ label, image }) => {
      const tile = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
        raw: { width: W, height: H, channels: 4 },
      })
        .extract(region)
        .resize(tileWidth, options.height)
        .png()
        .toBuffer();
      const text = Buffer.from(
        `<svg width="${tileWidth}" height="${band}"><rect width="100%" height="100%" fill="black" fill-opacity="0.6"/><text x="${Math.round(options.fontSize * 0.4)}" y="${Math.round(options.fontSize * 1.15)}" font-family="sans-serif" font-size="${options.fontSize}" fill="white">${label}</text></svg>`,
      );
      return sharp(tile)
        .composite([{ input: text, left: 0, top: 0 }])
        .png()
        .toBuffer();
    }),
  );
  return { tiles, tileWidth };
}
