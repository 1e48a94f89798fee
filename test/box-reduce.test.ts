/** boxReduce: each output pixel is the rounded mean of its whole f×f block; remainders are dropped. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { boxReduce } from "../src/core/box-reduce.js";

test("boxReduce averages whole blocks and drops the right and bottom remainders", () => {
  const width = 5;
  const height = 3;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([i * 10, 255 - i * 10, i % 2 ? 200 : 100, 255], i * 4);
  const out = boxReduce({ width, height, data }, 2);
  assert.deepEqual([out.width, out.height], [2, 1]);
  // Block (0,0): pixels 0, 1, 5, 6.
  const block = [0, 1, 5, 6];
  const mean = (f: (i: number) => number) => Math.round(block.reduce((a, i) => a + f(i), 0) / 4);
  assert.deepEqual([...out.data.subarray(0, 4)], [mean((i) => i * 10), mean((i) => 255 - i * 10), mean((i) => (i % 2 ? 200 : 100)), 255]);
  // Block (1,0): pixels 2, 3, 7, 8 (column 4 and row 2 are dropped).
  assert.equal(out.data[4], Math.round((20 + 30 + 70 + 80) / 4));
});

test("boxReduce by 1 is a copy, and a factor larger than the image is clamped to it", () => {
  const data = new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...boxReduce({ width: 2, height: 1, data }, 1).data], [...data]);
  const one = boxReduce({ width: 2, height: 1, data }, 8);
  assert.deepEqual([one.width, one.height, ...one.data], [2, 1, ...data]);
});
