import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { float32Scratch, PlanePool, Scratch } from "../src/core/scratch.js";

describe("Scratch", () => {
  test("hands out views of one kept buffer, zeroed on request, as long as asked for", () => {
    const scratch = float32Scratch();
    const a = scratch.take(100, true);
    assert.equal(a.length, 100);
    a.fill(7);
    const b = scratch.take(60, false);
    assert.equal(b.length, 60);
    assert.equal(b.buffer, a.buffer, "a smaller plane reuses the buffer");
    assert.equal(b[59], 7, "not zeroed: what the last user left");
    const c = scratch.take(80, true);
    assert.equal(c.buffer, a.buffer);
    assert.ok(c.every((v) => v === 0));
    const d = scratch.take(200, true);
    assert.notEqual(d.buffer, a.buffer, "a larger plane replaces it");
    assert.equal(d.length, 200);
    assert.ok(d.every((v) => v === 0));
  });

  test("planes above the limit are fresh each time and not kept", () => {
    const scratch = new Scratch((n) => new Uint8Array(n), 64);
    const small = scratch.take(32, true);
    const big = scratch.take(65, true);
    assert.notEqual(big.buffer, small.buffer);
    assert.notEqual(scratch.take(65, true).buffer, big.buffer);
    assert.equal(scratch.take(16, false).buffer, small.buffer);
  });

  test("a plane pool hands a given-back plane out again, zeroed, only to one taker at a time", () => {
    const pool = new PlanePool();
    const a = pool.take(100);
    a.fill(3);
    const b = pool.take(100);
    assert.notEqual(b.buffer, a.buffer, "a plane not given back is not handed out");
    pool.give(a);
    pool.give(a);
    const c = pool.take(80);
    assert.equal(c.buffer, a.buffer, "within twice the length");
    assert.equal(c.length, 80);
    assert.ok(c.every((v) => v === 0));
    assert.notEqual(pool.take(100).buffer, a.buffer, "given twice, handed out once");
    pool.give(c);
    assert.notEqual(pool.take(40).buffer, a.buffer, "not for a plane under half its length");
    const shared = pool.take(100, true);
    assert.ok(shared.buffer instanceof SharedArrayBuffer);
    pool.give(shared);
    assert.ok(!(pool.take(100).buffer instanceof SharedArrayBuffer), "plain and shared planes are kept apart");
    const foreign = new Float32Array(100);
    pool.give(foreign);
    assert.notEqual(pool.take(100, false).buffer, foreign.buffer, "planes the pool did not make are not taken back");
  });

  test("over its limits a plane pool drops its oldest planes, not the one given back", () => {
    const pool = new PlanePool(3, 4 * 1000);
    const planes = [pool.take(10), pool.take(100), pool.take(100), pool.take(100)];
    for (const p of planes) pool.give(p);
    assert.notEqual(pool.take(10).buffer, planes[0].buffer, "three kept: the first given went");
    assert.equal(pool.take(100).buffer, planes[1].buffer);
    pool.give(planes[1]);
    const big = pool.take(900);
    pool.give(big);
    assert.equal(pool.take(900).buffer, big.buffer, "kept within the bytes, older planes dropped for it");
    assert.notEqual(pool.take(100).buffer, planes[2].buffer);
    const huge = pool.take(2000);
    pool.give(huge);
    assert.notEqual(pool.take(2000).buffer, huge.buffer, "a plane over the byte limit is never kept");
  });
});
