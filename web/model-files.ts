/**
 * A Vite plugin that puts model files from installed npm packages into the
 * app's own origin under `models/`: copied into the build, and served from
 * node_modules by the dev server. The app fetches them only when a feature
 * needs them (never at page load); a file whose package is not installed is
 * looked for by its own name in the folder VANISH_MODEL_DIR names (for
 * model files whose package is not a dependency), else left out with a
 * warning, and the feature that needs it tells the user.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

/** A model file: its name under `models/`, and the package file it comes from. */
export interface ModelFile {
  name: string;
  /** Its path under the repository's node_modules (`@scope/package/dir/file`). */
  from: string;
}

const NODE_MODULES = fileURLToPath(new URL("../node_modules/", import.meta.url));

function locate(from: string): string | null {
  const dir = process.env.VANISH_MODEL_DIR;
  for (const file of [path.join(NODE_MODULES, from), dir ? path.join(dir, path.basename(from)) : null]) {
    if (file && existsSync(file)) return file;
  }
  return null;
}

export function modelFiles(files: readonly ModelFile[]): Plugin {
  return {
    name: "vanish-model-files",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url?.split("?")[0] ?? "";
        const file = files.find((f) => url.endsWith(`/models/${f.name}`));
        const found = file && locate(file.from);
        if (!found) return next();
        res.setHeader("Content-Type", "application/octet-stream");
        res.end(readFileSync(found));
      });
    },
    generateBundle() {
      for (const f of files) {
        const found = locate(f.from);
        if (!found) {
          this.warn(`${f.from} is not installed (nor in VANISH_MODEL_DIR): models/${f.name} is left out of the build`);
          continue;
        }
        this.emitFile({ type: "asset", fileName: `models/${f.name}`, source: readFileSync(found) });
      }
    },
  };
}
