// The reference bench's tuning pairs with still files (aloe, graffiti, Leuven, rubber whale, basketball; opencv-doc),
// with the bench's objects drawn from other seeds than the bench's 7: more holes on the pairs one may tune on.
//   node scripts/study-reference-seeds.mjs [seeds, default 1,2,3] [--held-out]
// --held-out: the same pairs reversed (the bench's held-out half: the second photo erased, the first as reference),
// for reporting only.
// Prints one JSON line per hole (used, the PSNR gain over the erase without the reference, the first note when
// unused), then per pair and overall: how many used and the mean gain.
const R = new URL("../dist/src", import.meta.url).pathname;
const { decodeFitted, ensurePhotos } = await import(`${R}/bench/photos.js`);
const { compositeObject, objectSilhouette } = await import(`${R}/bench/objects.js`);
const { removalMask } = await import(`${R}/core/segmentation/removal-mask.js`);
const { eraseWithReport } = await import(`${R}/core/inpaint/erase.js`);
const { holeBounds } = await import(`${R}/core/mask.js`);
const { psnr } = await import(`${R}/bench/metrics.js`);
const D = "/usr/share/doc/opencv-doc/examples/data/";
const photos = await ensurePhotos(new URL("../.cache/photos", import.meta.url).pathname, () => {});
const PAIRS = [
  ["aloe", "aloeL.jpg", "aloeR.jpg", 0],
  ["graffiti", "graf1.png", "graf3.png", 1],
  ["Leuven", "leuvenA.jpg", "leuvenB.jpg", 2],
  ["whale", "rubberwhale1.png", "rubberwhale2.png", 3],
  ["basketball", "basketball1.png", "basketball2.png", 4],
];
const heldOut = process.argv.includes("--held-out");
const chosen = heldOut ? PAIRS.map(([name, t, rf, p]) => [`${name}, reversed`, rf, t, p + 50]) : PAIRS;
const seeds = (process.argv[2] && process.argv[2] !== "--held-out" ? process.argv[2] : "1,2,3").split(",").map(Number);
const rows = [];
for (const [name, t, rf, p] of chosen) {
  const truth = await decodeFitted(D + t, null);
  const reference = await decodeFitted(D + rf, null);
  const texture = await decodeFitted(photos[p % photos.length], { width: truth.width, height: truth.height });
  for (const seed of seeds)
    for (let k = 0; k < 4; k++) {
      const sil = objectSilhouette(k % 2 === 0 ? "person" : "blob", truth.width, truth.height, seed + 100 * p + k + 1000 * seed);
      const photo = compositeObject(truth, texture, sil);
      const mask = removalMask({ width: truth.width, height: truth.height, data: sil }).mask;
      const box = holeBounds(mask.data, mask.width, mask.height);
      const without = (await eraseWithReport(photo, mask, { seed: 7 })).image;
      const w = await eraseWithReport(photo, mask, { seed: 7, reference });
      const gain = psnr(w.image, truth, box) - psnr(without, truth, box);
      const row = {
        name,
        seed,
        k,
        used: w.reference.used,
        gain: +gain.toFixed(2),
        filled: +w.reference.filledFraction.toFixed(2),
        ring: +w.reference.ringCorrelation.toFixed(3),
        note: w.reference.used ? "" : w.reference.notes[0],
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
}
const by = {};
for (const r of rows) {
  by[r.name] = [...(by[r.name] ?? []), r];
}
const summary = (rs) =>
  `used ${rs.filter((r) => r.used).length} / ${rs.length} mean gain ${(rs.reduce((a, r) => a + r.gain, 0) / rs.length).toFixed(2)}`;
for (const [n, rs] of Object.entries(by)) console.log(n, summary(rs));
console.log("all", summary(rows));
