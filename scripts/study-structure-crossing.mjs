// The structure step on holes that cross a line, on photos that no bench uses (scripts/unseen-photos.mjs: the
// opencv-doc and MATE photos and the 14 Plasma wallpapers). Like the structure bench's cases, and unlike
// study-structure-unseen.mjs's holes (placed anywhere, so few cross structure), each hole sits on one of the
// photo's long straight segments: LSD on a copy fitted to 1024 px, segments of 8 % of its long side or more, up to
// three per photo (the longest, then the next longest whose middles are 12 % of the side apart), each crossed by the bench's person, box and
// strokes masks (objectMask, its box centred on a point 35–65 % along the segment). A hole that swallows an end of
// its segment is left out: nothing would enter it from that side. Each hole is erased with the step off and on.
//   node scripts/study-structure-crossing.mjs [size, default 1024] [mask seeds, default 0]
// No photo is enlarged: at 1024 the opencv-doc photos (256–1000 px) are used at their own size; above 1024 the
// photos smaller than the size asked for are left out.
// Prints one JSON line per hole, then for each half of the photos (A: even places in the list, B: odd) and all:
// PSNR on the hole's box, pooled lineR, mean edgeF, off → on. Choose on one half, check on the other.
import sharp from "sharp";
import { objectMask } from "../dist/src/bench/masks.js";
import { decodeFitted } from "../dist/src/bench/photos.js";
import { detectSegments } from "../dist/src/core/inpaint/structure/lsd.js";
import { holeBounds } from "../dist/src/core/mask.js";
import { Random } from "../dist/src/core/random.js";
import { eraseOffAndOn, summary } from "./structure-study.mjs";
import { OPENCV_MATE_PHOTOS, PLASMA_PHOTOS, photoName, requirePhotos } from "./unseen-photos.mjs";

const size = Number(process.argv[2] ?? 1024);
const seeds = (process.argv[3] ?? "0").split(",").map(Number);
const photos = [...OPENCV_MATE_PHOTOS, ...PLASMA_PHOTOS];
requirePhotos(photos);
const kinds = ["person", "box", "strokes"];
/** Shares of the copy's long side (up to 1024 px; the opencv-doc photos are smaller). */
const MIN_LENGTH = 0.08;
const SEPARATION = 0.12;
const PER_PHOTO = 3;
/** Distance (working px) an end of the segment must keep from the hole. */
const END_CLEARANCE = 6;

/** The photo's longest segments on a 1024 px copy, in that copy's pixels. */
async function longSegments(file) {
  const small = await decodeFitted(file, 1024);
  const { width: w, height: h, data } = small;
  const grey = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) grey[i] = 0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2];
  const side = Math.max(w, h);
  const length = (s) => Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
  const found = detectSegments(grey, w, h)
    .filter((s) => length(s) >= MIN_LENGTH * side)
    .sort((a, b) => length(b) - length(a) || a.x1 - b.x1 || a.y1 - b.y1);
  const chosen = [];
  for (const s of found) {
    const mx = (s.x1 + s.x2) / 2;
    const my = (s.y1 + s.y2) / 2;
    if (chosen.some((c) => Math.hypot((c.x1 + c.x2) / 2 - mx, (c.y1 + c.y2) / 2 - my) < SEPARATION * side)) continue;
    chosen.push(s);
    if (chosen.length === PER_PHOTO) break;
  }
  return { segments: chosen, width: w };
}

/** `mask` moved so that its bounding box's centre lands on (cx, cy); what falls outside the image is dropped. */
function centredOn(mask, w, h, cx, cy) {
  const b = holeBounds(mask, w, h);
  const dx = Math.round(cx - (b.x + b.width / 2));
  const dy = Math.round(cy - (b.y + b.height / 2));
  const out = new Uint8Array(w * h);
  for (let y = b.y; y < b.y + b.height; y++) {
    for (let x = b.x; x < b.x + b.width; x++) {
      if (mask[y * w + x] === 0) continue;
      const nx = x + dx;
      const ny = y + dy;
      if (nx >= 0 && ny >= 0 && nx < w && ny < h) out[ny * w + nx] = 1;
    }
  }
  return out;
}

function nearHole(hole, w, h, x, y, r) {
  for (let yy = Math.floor(y - r); yy <= Math.ceil(y + r); yy++) {
    for (let xx = Math.floor(x - r); xx <= Math.ceil(x + r); xx++) {
      if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
      if (hole[yy * w + xx] !== 0) return true;
    }
  }
  return false;
}

const rows = [];
let skipped = 0;
for (const seed of seeds) {
  for (const [p, file] of photos.entries()) {
    // Never enlarged (a 256 px photo blown up 4× is no photo anyone erases in): below 1024 px a photo is used at its
    // own size, and above 1024 only photos at least that large are used (the smaller ones are the 1024 run's).
    const meta = await sharp(file).metadata();
    const native = Math.max(meta.width ?? 0, meta.height ?? 0);
    if (size > 1024 && native < size) continue;
    const fit = Math.min(size, native);
    const { segments, width: w1024 } = await longSegments(file);
    if (segments.length === 0) continue;
    const truth = await decodeFitted(file, fit);
    const { width: w, height: h } = truth;
    const f = w / w1024;
    for (const [g, seg] of segments.entries()) {
      for (const [k, kind] of kinds.entries()) {
        const maskSeed = 7000 + p * 10 + g * 3 + k + 1000 * seed;
        const t = 0.35 + 0.3 * new Random(maskSeed).next();
        const cx = f * (seg.x1 + t * (seg.x2 - seg.x1));
        const cy = f * (seg.y1 + t * (seg.y2 - seg.y1));
        const hole = centredOn(objectMask(kind, w, h, maskSeed), w, h, cx, cy);
        const clear = END_CLEARANCE * f;
        if (holeBounds(hole, w, h) === null) continue;
        if (nearHole(hole, w, h, f * seg.x1, f * seg.y1, clear) || nearHole(hole, w, h, f * seg.x2, f * seg.y2, clear)) {
          skipped++;
          continue;
        }
        const row = {
          photo: photoName(file),
          half: p % 2 === 0 ? "A" : "B",
          segment: g,
          kind,
          seed,
          holeShare: hole.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / (w * h),
          ...(await eraseOffAndOn(truth, hole)),
        };
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }
}

console.log(`${skipped} holes left out (they swallowed an end of their segment)`);
console.log(`half A: ${summary(rows.filter((r) => r.half === "A"))}`);
console.log(`half B: ${summary(rows.filter((r) => r.half === "B"))}`);
console.log(`all: ${summary(rows)}`);
