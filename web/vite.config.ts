/** Builds the browser app (web/) into dist/web: Preact UI, the engine in a module worker. */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [preact()],
  worker: { format: "es" },
  build: { outDir: "../dist/web", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2000 },
  preview: { host: "127.0.0.1", port: 4173, strictPort: false },
});
