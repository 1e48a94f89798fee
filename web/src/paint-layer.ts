/**
 * The paint layer (brush +1, mask eraser −1, 0 untouched) at the photo's
 * resolution, with its history kept as diffs: each edit records only the
 * pixels it changed (their index, old and new value) under a new version
 * number, and `goTo` walks the layer back or forth to any version still
 * kept. A brush stroke on a 12-megapixel photo costs a few kilobytes of
 * history instead of a 12 MB copy of the layer.
 */

export interface PaintDiff {
  /** Changed pixels, in increasing order. */
  readonly index: Uint32Array;
  readonly before: Int8Array;
  readonly after: Int8Array;
}

/** A rectangle of pixels, [x0, x1) × [y0, y1). */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export class PaintLayer {
  readonly data: Int8Array;
  /** The version `data` holds now. */
  private at = 0;
  /** The oldest version still reachable: diffs[k] takes version first + k to first + k + 1. */
  private first = 0;
  private diffs: PaintDiff[] = [];
  private next = 1;
  /** Versions by the diff that made them (a version number is never reused, so history states can name them). */
  private versions: number[] = [0];
  /** The union of every rectangle an edit may have changed (null: none yet), outside which the layer is all 0. */
  private touched: PixelRect | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Int8Array(width * height);
  }

  get version(): number {
    return this.versions[this.at - this.first];
  }

  /**
   * Changes the layer with `draw`, which may only write inside `rect`, as a
   * new version after the current one (versions after it are forgotten, as a
   * new edit drops the redo branch). Returns the new version, or the current
   * one when nothing changed.
   */
  edit(rect: PixelRect, draw: (data: Int8Array) => void): number {
    const { width, data } = this;
    const x0 = Math.max(0, Math.floor(rect.x0));
    const y0 = Math.max(0, Math.floor(rect.y0));
    const x1 = Math.min(width, Math.ceil(rect.x1));
    const y1 = Math.min(this.height, Math.ceil(rect.y1));
    if (x1 <= x0 || y1 <= y0) return this.version;
    const t = this.touched;
    this.touched = t
      ? { x0: Math.min(t.x0, x0), y0: Math.min(t.y0, y0), x1: Math.max(t.x1, x1), y1: Math.max(t.y1, y1) }
      : { x0, y0, x1, y1 };
    const rw = x1 - x0;
    const saved = new Int8Array(rw * (y1 - y0));
    for (let y = y0; y < y1; y++) saved.set(data.subarray(y * width + x0, y * width + x1), (y - y0) * rw);
    draw(data);
    let changed = 0;
    for (let y = y0; y < y1; y++) {
      const row = y * width + x0;
      const s = (y - y0) * rw;
      for (let x = 0; x < rw; x++) if (data[row + x] !== saved[s + x]) changed++;
    }
    if (changed === 0) return this.version;
    const index = new Uint32Array(changed);
    const before = new Int8Array(changed);
    const after = new Int8Array(changed);
    let k = 0;
    for (let y = y0; y < y1; y++) {
      const row = y * width + x0;
      const s = (y - y0) * rw;
      for (let x = 0; x < rw; x++) {
        if (data[row + x] === saved[s + x]) continue;
        index[k] = row + x;
        before[k] = saved[s + x];
        after[k] = data[row + x];
        k++;
      }
    }
    const kept = this.at - this.first;
    this.diffs.length = kept;
    this.versions.length = kept + 1;
    this.diffs.push({ index, before, after });
    this.versions.push(this.next++);
    this.at++;
    return this.version;
  }

  /**
   * Sets every pixel to 0 (as an edit); returns the new version (the current
   * one when nothing was painted). Only the rectangle edits have touched is
   * visited: after a tap alone (nothing painted) this costs nothing instead
   * of a pass over 12 MB on the page's thread.
   */
  clear(): number {
    const t = this.touched;
    if (!t) return this.version;
    return this.edit(t, (d) => {
      for (let y = t.y0; y < t.y1; y++) d.fill(0, y * this.width + t.x0, y * this.width + t.x1);
    });
  }

  /** Brings the layer to `version` (one this layer made and still keeps). */
  goTo(version: number): void {
    const target = this.versions.indexOf(version);
    if (target < 0) throw new Error(`Paint version ${version} is no longer kept.`);
    const data = this.data;
    while (this.at - this.first > target) {
      const d = this.diffs[this.at - this.first - 1];
      for (let k = 0; k < d.index.length; k++) data[d.index[k]] = d.before[k];
      this.at--;
    }
    while (this.at - this.first < target) {
      const d = this.diffs[this.at - this.first];
      for (let k = 0; k < d.index.length; k++) data[d.index[k]] = d.after[k];
      this.at++;
    }
  }

  /** Forgets the diffs needed only to reach versions older than `version` (history dropped them). */
  forgetBefore(version: number): void {
    const target = this.versions.indexOf(version);
    if (target <= 0 || target > this.at - this.first) return;
    this.diffs.splice(0, target);
    this.versions.splice(0, target);
    this.first += target;
  }

  /** Bytes the kept diffs take (for tests and the curious). */
  get historyBytes(): number {
    let n = 0;
    for (const d of this.diffs) n += d.index.byteLength + d.before.byteLength + d.after.byteLength;
    return n;
  }
}
