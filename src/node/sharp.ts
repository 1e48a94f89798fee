/**
 * sharp, loaded through its CommonJS build. sharp ships both an ES module
 * build and a CommonJS one; on Node 20 the ES build takes 110–125 ms to load
 * against 50 ms for the CommonJS one (13 modules compiled and linked as ES
 * modules), and every CLI command pays it before its first pixel. Every
 * module of this package takes sharp from here, so one copy of it runs.
 */
import { createRequire } from "node:module";
import type SharpModule from "sharp";

const require = createRequire(import.meta.url);

/** The `sharp` function, as `import sharp from "sharp"` gives it. */
export const sharp: typeof SharpModule = require("sharp");
