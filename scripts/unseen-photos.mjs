// Photos that no bench uses, for the studies that check a rule against overfitting the benches
// (study-structure-unseen.mjs, study-structure-crossing.mjs).
import { existsSync, readdirSync } from "node:fs";

const OPENCV = "/usr/share/doc/opencv-doc/examples/data/";
const MATE = "/usr/share/backgrounds/mate/";

/** opencv-doc and MATE photos with lines, grids, edges and texture (512–1000 px). */
export const OPENCV_MATE_PHOTOS = [
  ...[
    "messi5.jpg",
    "board.jpg",
    "sudoku.png",
    "left01.jpg",
    "stuff.jpg",
    "blox.jpg",
    "fruits.jpg",
    "butterfly.jpg",
    "squirrel_cls.jpg",
    "baboon.jpg",
  ].map((f) => OPENCV + f),
  ...["Blinds.jpg", "GreenMeadow.jpg", "Aqua.jpg", "LadyBird.jpg"].map((f) => `${MATE}nature/${f}`),
  `${MATE}abstract/Elephants.jpg`,
];

/** The 14 Plasma wallpapers of study-reference-unseen.mjs, each at its largest size (2560 px or more). */
export const PLASMA_PHOTOS = [
  "Altai",
  "Autumn",
  "Canopee",
  "Cascade",
  "ColorfulCups",
  "DarkestHour",
  "Elarun",
  "IceCold",
  "Kay",
  "Kokkini",
  "MilkyWay",
  "PastelHills",
  "SafeLanding",
  "Shell",
].map((n) => {
  const dir = `/usr/share/wallpapers/${n}/contents/images/`;
  if (!existsSync(dir)) return dir;
  return existsSync(`${dir}2560x1600.jpg`) ? `${dir}2560x1600.jpg` : dir + readdirSync(dir).sort().pop();
});

/** A short name for a photo: the wallpaper's name, or the file's. */
export function photoName(file) {
  return file.includes("/wallpapers/") ? file.split("/")[4] : file.split("/").pop();
}

/** Exits with the packages to install when some photos are missing. */
export function requirePhotos(photos) {
  const missing = photos.filter((f) => !existsSync(f));
  if (missing.length === 0) return;
  process.stderr.write(`missing (apt-get install opencv-doc mate-backgrounds plasma-workspace-wallpapers): ${missing.join(", ")}\n`);
  process.exit(2);
}
