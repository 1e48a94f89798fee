/** Small generated fixtures for the tests: no files from the network, nothing large. */
import type { Mask, RgbaImage } from "../src/core/image.js";
import { Random } from "../src/core/random.js";

/** A w×h RGBA image of smooth gradients plus seeded noise. */
export function noiseImage(w: number, h: number, seed = 3, amplitude = 60): RgbaImage {
  const rng = new Random(seed);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      data[p] = 80 + (x * 100) / w + amplitude * (rng.next() - 0.5);
      data[p + 1] = 120 + (y * 60) / h + amplitude * (rng.next() - 0.5);
      data[p + 2] = 60 + amplitude * (rng.next() - 0.5);
      data[p + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

/**
 * A w×h RGBA image of gradients with some texture, dark where `band(x, y)` holds: a line or band for the
 * structure step to continue through a hole.
 */
export function bandedImage(w: number, h: number, band: (x: number, y: number) => boolean): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      const dark = band(x, y);
      data[p] = dark ? 30 : 90 + (x >> 4) + ((x * 13 + y * 7) % 23);
      data[p + 1] = dark ? 35 : 80 + (y >> 4) + (((x * 5) ^ (y * 11)) & 15);
      data[p + 2] = dark ? 40 : 70 + ((x + 2 * y) % 37);
      data[p + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

/** A mask with the rectangle [x, x+rw) × [y, y+rh) marked. */
export function rectMask(w: number, h: number, x: number, y: number, rw: number, rh: number): Mask {
  const data = new Uint8Array(w * h);
  for (let yy = y; yy < y + rh; yy++) data.fill(1, yy * w + x, yy * w + x + rw);
  return { width: w, height: h, data };
}

/**
 * The names of the tasks a FieldThreadPool posts to its threads from now on ("bands" for unnamed ones), in
 * order; `onTask` sees each task as posted.
 */
export function tasksPostedTo(pool: object, onTask?: (name: string, task: unknown) => void): string[] {
  const posted: string[] = [];
  const piscina = (pool as { pool: { run: (task: unknown, options?: { name?: string }) => Promise<unknown> } }).pool;
  const run = piscina.run.bind(piscina);
  piscina.run = (task, options) => {
    const name = options?.name ?? "bands";
    posted.push(name);
    onTask?.(name, task);
    return run(task, options);
  };
  return posted;
}
