/**
 * Builds the browser app (web/) into dist/web: Preact UI, the engine in a
 * module worker, and a service worker (Workbox, through vite-plugin-pwa)
 * that precaches the app itself (shell, scripts, sample photo), so that
 * after the first visit it opens with no network at all. The large files
 * are not precached, since a visitor who never taps needs none of them:
 * the model files (under models/, copied from node_modules by
 * model-files.ts: the bundled Segment Anything model, the text detector)
 * ONNX Runtime's WebAssembly and TensorFlow.js's scripts (people
 * suggestions only) are kept by runtime caches (CacheFirst: their names
 * carry a version or a content hash) the first time the app fetches them.
 */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { modelFiles } from "./model-files.js";
import { SAM_MODEL_FILES } from "./src/sam-files.js";
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

/** The runtime caches' names; web/src/model-download.ts drops a file that fails its check from them. */
const MODEL_CACHE = "vanish-models";
const RUNTIME_CACHE = "vanish-runtime";
/** Scripts left out of the precache because only some visitors need them. */
const SCRIPT_CACHE = "vanish-scripts";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [
    preact(),
    modelFiles([...SUGGEST_MODEL_FILES, ...Object.values(SAM_MODEL_FILES)]),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script-defer",
      includeAssets: ["icon.svg", "icon-64.png"],
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
        // The app shell, the engine worker and the sample photo. Models and ONNX
        // Runtime's WebAssembly (14 MB) are left to the runtime caches below.
        globPatterns: ["**/*.{html,js,css,svg,jpg,webmanifest}"],
        globIgnores: ["models/**", "assets/tfjs-*.js"],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: "index.html",
        cleanupOutdatedCaches: true,
        // Take over the open page at once, so "after the first load" means this very visit.
        clientsClaim: true,
        skipWaiting: true,
        runtimeCaching: [
          {
            // Everything under models/, whoever adds a model there.
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.includes("/models/"),
            handler: "CacheFirst",
            options: {
              cacheName: MODEL_CACHE,
              cacheableResponse: { statuses: [200] },
              // Old versions go once newer ones pile up.
              expiration: { maxEntries: 16, purgeOnQuotaError: true },
            },
          },
          {
            // TensorFlow.js's scripts, fetched with the suggestion models (their names carry a content hash).
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/assets\/tfjs-[^/]*\.js$/.test(url.pathname),
            handler: "CacheFirst",
            options: {
              cacheName: SCRIPT_CACHE,
              cacheableResponse: { statuses: [200] },
              expiration: { maxEntries: 8, purgeOnQuotaError: true },
            },
          },
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.endsWith(".wasm"),
            handler: "CacheFirst",
            options: {
              cacheName: RUNTIME_CACHE,
              cacheableResponse: { statuses: [200] },
              expiration: { maxEntries: 4, purgeOnQuotaError: true },
            },
          },
        ],
      },
    }),
  ],
  worker: {
    format: "es",
    rollupOptions: {
      output: {
        // TensorFlow.js (people suggestions, 0.9 MB of scripts imported on first use) gets a name of its own,
        // so that the precache can leave it out and a runtime cache keep it (see `workbox` above).
        chunkFileNames: (chunk) =>
          chunk.moduleIds.some((id) => id.includes("/@tensorflow/")) ? "assets/tfjs-[hash].js" : "assets/[name]-[hash].js",
      },
    },
  },
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      output: {
        // V8's compile hint: the page's own script is compiled whole while it streams in, off the page's
        // thread, rather than function by function on it as the first render calls them (5-10 of the 15-25
        // ms of CPU that the script's task took in a fresh tab). Only the entry: chunks imported later are
        // mostly not run at once.
        postBanner: (chunk) => (chunk.isEntry ? "//# allFunctionsCalledOnLoad" : ""),
      },
    },
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { host: "127.0.0.1", port: 4173, strictPort: false, headers: ISOLATION_HEADERS },
});
