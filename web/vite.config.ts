/**
 * Builds the browser app (web/) into dist/web: Preact UI, the engine in a
 * module worker, and a service worker (Workbox, through vite-plugin-pwa)
 * that precaches every file of the build, so that after the first visit the
 * app opens and works with no network at all.
 */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { modelFiles } from "./model-files.js";
import { SUGGEST_MODEL_FILES } from "./src/suggest-models.js";

/**
 * Cross-origin isolation, so that onnxruntime-web may use threads
 * (SharedArrayBuffer): every server that serves the app sends these.
 * Everything the app loads is from its own origin, so require-corp costs nothing.
 */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [
    preact(),
    modelFiles(SUGGEST_MODEL_FILES),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script-defer",
      includeAssets: ["icon.svg"],
      manifest: {
        name: "Vanish — object eraser",
        short_name: "Vanish",
        description: "Remove objects from your photos, on your own device. Nothing is uploaded.",
        display: "standalone",
        background_color: "#14161b",
        theme_color: "#14161b",
        icons: [{ src: "icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
      },
      workbox: {
        // The app shell, the engine worker, the sample photo and ONNX Runtime's
        // WebAssembly (14 MB, for the user's models): everything the app can ask for.
        globPatterns: ["**/*.{html,js,css,svg,jpg,wasm,webmanifest}"],
        maximumFileSizeToCacheInBytes: 24 * 1024 * 1024,
        navigateFallback: "index.html",
        cleanupOutdatedCaches: true,
        // Model files (models/, fetched on first use only) are kept once fetched, for offline use.
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.includes("/models/"),
            handler: "CacheFirst",
            options: { cacheName: "vanish-models" },
          },
        ],
        // Take over the open page at once, so "after the first load" means this very visit.
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  worker: { format: "es" },
  build: { outDir: "../dist/web", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2000 },
  server: { headers: ISOLATION_HEADERS },
  preview: { host: "127.0.0.1", port: 4173, strictPort: false, headers: ISOLATION_HEADERS },
});
