#!/usr/bin/env bash
# Packs the package as npm would publish it, installs the tarball into an empty
# project and runs the CLI and the library from there: proves that `main`,
# `exports`, `types` and `bin` point at files the tarball really holds.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$repo"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(tar -tzf "$work/$tarball" | wc -l) files)"
if tar -tzf "$work/$tarball" | grep -E '^package/(src|test|training|web|\.ci)/'; then
  echo "the tarball ships development folders" >&2
  exit 1
fi

cd "$work"
npm init -y >/dev/null
# onnxruntime-node's install script fetches GPU binaries; the CPU ones are in its tarball.
echo "onnxruntime-node-install=skip" > .npmrc
npm install --no-audit --no-fund --loglevel=error "./$tarball" >/dev/null

npx --no-install vanish erase "$repo/samples/harbour.jpg" --mask "$repo/samples/harbour-mask.png" -o erased.jpg --json
npx --no-install vanish segment "$repo/samples/harbour.jpg" --point 45,35 -o mask.png --json
test -s erased.jpg && test -s mask.png

cat > library.mjs <<'JS'
import assert from "node:assert/strict";
import { erase, Segmenter, VanishError } from "vanish";
import { readImage, segmentFile } from "vanish/node";

const { image } = await readImage(process.argv[2]);
const mask = { width: image.width, height: image.height, data: new Uint8Array(image.width * image.height) };
for (let y = 40; y < 60; y++) for (let x = 40; x < 60; x++) mask.data[y * image.width + x] = 1;
const out = await erase(image, mask, { seed: 3 });
assert.equal(out.width, image.width);
let changedOutside = 0;
for (let i = 0; i < mask.data.length; i++)
  if (!mask.data[i]) for (let c = 0; c < 4; c++) changedOutside += out.data[4 * i + c] !== image.data[4 * i + c] ? 1 : 0;
assert.equal(changedOutside, 0);
const segmenter = await Segmenter.create({ engine: "builtin" });
await segmenter.prepare(image);
const selected = await segmenter.segment({ points: [{ x: 45, y: 35, label: 1 }] });
assert.ok(selected.mask.data.some((v) => v === 1));
segmenter.close();
assert.equal(typeof segmentFile, "function");
await assert.rejects(erase(image, { width: 1, height: 1, data: new Uint8Array(1) }), VanishError);
console.log("library: erase, Segmenter and vanish/node work from the installed package");
JS
node library.mjs "$repo/samples/harbour.jpg"
