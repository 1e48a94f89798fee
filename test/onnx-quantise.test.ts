import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { float32 } from "../src/core/model.js";
import { Random } from "../src/core/random.js";
import { loadOnnxModel } from "../src/node/onnx.js";
import { quantiseColumns, quantiseMatMulWeights } from "../src/runtime/onnx-quantise.js";
import { GraphBuilder } from "./support/onnx-builder.js";

function values(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => (rng.next() - 0.5) * scale);
}

/** x [2, 64] → MatMul W1 [64, 32] → Relu → MatMul W2 [32, 16]. */
function tinyMlp(): { bytes: Uint8Array; w1: Float32Array; w2: Float32Array } {
  const g = new GraphBuilder();
  const w1 = values(64 * 32, 1);
  const w2 = values(32 * 16, 2, 0.2);
  const x = g.input("x", [2, 64]);
  const h = g.node("MatMul", [x, g.constant([64, 32], w1, "w1")]);
  const r = g.node("Relu", [h]);
  g.node("MatMul", [r, g.constant([32, 16], w2, "w2")], {}, "y");
  g.output("y", [2, 16]);
  // A weight below the threshold stays float.
  g.node("MatMul", [x, g.constant([64, 2], values(128, 3), "small")], {}, "z");
  g.output("z", [2, 2]);
  return { bytes: g.build(), w1, w2 };
}

function reference(x: Float32Array, w1: Float32Array, w2: Float32Array): Float32Array {
  const h = new Float32Array(2 * 32);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 32; j++) for (let k = 0; k < 64; k++) h[i * 32 + j] += x[i * 64 + k] * w1[k * 32 + j];
  const y = new Float32Array(2 * 16);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 16; j++) for (let k = 0; k < 32; k++) y[i * 16 + j] += Math.max(0, h[i * 32 + k]) * w2[k * 16 + j];
  return y;
}

describe("int8 MatMul weights (DynamicQuantizeMatMul)", () => {
  test("per-column scales reproduce the weights to half a step", () => {
    const w = values(8 * 5, 4, 3);
    const { q, scales } = quantiseColumns(w, 8, 5);
    for (let i = 0; i < w.length; i++) assert.ok(Math.abs(q[i] * scales[i % 5] - w[i]) <= scales[i % 5] / 2 + 1e-6);
    assert.equal(Math.max(...Array.from(q, Math.abs)), 63);
  });

  test("replaces constant-weight MatMuls and ONNX Runtime runs the result close to float", async () => {
    const { bytes, w1, w2 } = tinyMlp();
    const out = quantiseMatMulWeights(bytes, { minElements: 256 });
    assert.ok(out);
    assert.equal(out.replaced, 2);
    assert.equal(out.weights, 64 * 32 + 32 * 16);
    assert.equal(quantiseMatMulWeights(bytes, { minElements: 1 })?.replaced, 3);
    assert.equal(quantiseMatMulWeights(bytes)?.replaced, 1);
    const dir = mkdtempSync(path.join(os.tmpdir(), "vanish-quant-"));
    try {
      const file = path.join(dir, "q.onnx");
      writeFileSync(file, out.model);
      const model = await loadOnnxModel(file);
      const x = values(2 * 64, 5, 2);
      const r = await model.run({ x: float32([2, 64], x) });
      const want = reference(x, w1, w2);
      const got = r.y.data as Float32Array;
      const range = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 0.03 * range, `y[${i}] ${got[i]} vs ${want[i]}`);
      assert.equal(r.z.dims.join(","), "2,2");
      await model.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("leaves models without constant-weight MatMuls, and non-models, alone", () => {
    const g = new GraphBuilder();
    const a = g.input("a", [2, 3]);
    const b = g.input("b", [3, 2]);
    g.node("MatMul", [a, b], {}, "c");
    g.output("c", [2, 2]);
    assert.equal(quantiseMatMulWeights(g.build()), null);
    assert.equal(quantiseMatMulWeights(Uint8Array.of(0xff, 0xff, 0xff)), null);
  });
});
