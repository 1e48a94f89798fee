/**
 * Weight-only dynamic int8 quantisation of an ONNX model, done on its
 * protobuf bytes before the runtime loads them (like `sam-decoder-graph.ts`:
 * only the fields needed are parsed, everything else is copied byte for
 * byte; pure, bytes in, bytes out).
 *
 * Every `MatMul` whose B input is a 2-D float initializer becomes ONNX
 * Runtime's contrib op `com.microsoft::DynamicQuantizeMatMul` with B as
 * int8, a per-column scale (symmetric, max |w| / 63: see `WEIGHT_STEPS`) and a zero point of 0.
 * A is quantised by the runtime on each run. The float B is dropped when no
 * other node reads it. The model gains an opset import for `com.microsoft`.
 */

import { concat, delimited, type Field, findModelGraph, parseFields, readVarint, str, text, varint } from "./protobuf-wire.js";

const int = (field: number, n: number) => Uint8Array.from([...varint(field * 8), ...varint(n)]);

const FLOAT = 1;
const INT8 = 3;

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9. */
function tensor(name: string, dims: number[], type: number, raw: Uint8Array): Uint8Array {
  return concat([...dims.map((d) => int(1, d)), int(2, type), str(8, name), delimited(9, raw)]);
}

/** A float initializer's name, dims and values, or null when it is not a plain float tensor held in the file. */
function readFloatTensor(b: Uint8Array, f: Field): { name: string; dims: number[]; values: Float32Array } | null {
  const tf = parseFields(b, f.payloadStart, f.end);
  let type = FLOAT;
  let name = "";
  const dims: number[] = [];
  let raw: Field | null = null;
  const packed: Field[] = [];
  for (const x of tf) {
    if (x.field === 1 && x.wire === 0) dims.push(readVarint(b, x.payloadStart)[0]);
    else if (x.field === 1 && x.wire === 2) {
      for (let p = x.payloadStart; p < x.end; ) {
        const [d, q] = readVarint(b, p);
        dims.push(d);
        p = q;
      }
    } else if (x.field === 2 && x.wire === 0) type = readVarint(b, x.payloadStart)[0];
    else if (x.field === 8 && x.wire === 2) name = text(b, x);
    else if (x.field === 9 && x.wire === 2) raw = x;
    else if (x.field === 4) packed.push(x);
    else if (x.field === 13 || x.field === 14 || x.field === 3) return null; // external data, segments
  }
  if (type !== FLOAT || !name) return null;
  const count = dims.reduce((s, d) => s * d, 1);
  const values = new Float32Array(count);
  if (raw) {
    if (raw.end - raw.payloadStart !== count * 4) return null;
    const view = new DataView(b.buffer, b.byteOffset + raw.payloadStart, count * 4);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  } else {
    let i = 0;
    for (const x of packed) {
      if (x.wire === 5) values[i++] = new DataView(b.buffer, b.byteOffset + x.payloadStart, 4).getFloat32(0, true);
      else if (x.wire === 2) {
        const view = new DataView(b.buffer, b.byteOffset + x.payloadStart, x.end - x.payloadStart);
        for (let p = 0; p + 4 <= view.byteLength; p += 4) values[i++] = view.getFloat32(p, true);
      }
    }
    if (i !== count) return null;
  }
  return { name, dims, values };
}

/**
 * The largest weight step: 7 bits and a sign, not 8. On x86 CPUs with AVX2
 * but without VNNI, ONNX Runtime multiplies the uint8 activations by the
 * int8 weights with an instruction that adds pairs of products into 16 bits
 * and saturates there (255 · 127 · 2 > 32767): with full-range weights a
 * two-layer test network came out 21 % off on an AMD EPYC without VNNI,
 * within 3 % on CPUs with it. With 63, a pair of products stays below
 * 32767 on every CPU (ONNX Runtime's own quantiser calls this `reduce_range`).
 */
const WEIGHT_STEPS = 63;

/** Symmetric per-column int8 of a [K, N] matrix (at most ±`WEIGHT_STEPS`): the int8 bytes and the N scales. */
export function quantiseColumns(values: Float32Array, k: number, n: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const a = Math.abs(values[r * n + c]);
      if (a > scales[c]) scales[c] = a;
    }
  }
  for (let c = 0; c < n; c++) scales[c] = scales[c] > 0 ? scales[c] / WEIGHT_STEPS : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) q[r * n + c] = Math.max(-WEIGHT_STEPS, Math.min(WEIGHT_STEPS, Math.round(values[r * n + c] / scales[c])));
  }
  return { q, scales };
}

interface NodeInfo {
  field: Field;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  name: string;
}

export interface QuantiseResult {
  model: Uint8Array;
  /** MatMuls replaced. */
  replaced: number;
  /** Weights quantised, in elements. */
  weights: number;
}

/**
 * The model with its constant-weight MatMuls as DynamicQuantizeMatMul, or
 * null when there is nothing to quantise or the bytes are not an ONNX model
 * this module can read (then use the model as it is). `minElements` skips
 * small weights (default 1024).
 */
export function quantiseMatMulWeights(model: Uint8Array, options: { minElements?: number } = {}): QuantiseResult | null {
  const minElements = options.minElements ?? 1024;
  const found = findModelGraph(model);
  if (!found) return null;
  const { top, graph } = found;
  let graphFields: Field[];
  const nodes: NodeInfo[] = [];
  const initializers = new Map<string, Field>();
  try {
    graphFields = parseFields(model, graph.payloadStart, graph.end);
    for (const f of graphFields) {
      if (f.wire !== 2) continue;
      if (f.field === 1) {
        const nf = parseFields(model, f.payloadStart, f.end);
        const get = (n: number) => nf.find((x) => x.field === n && x.wire === 2);
        const op = get(4);
        const domain = get(7);
        const name = get(3);
        nodes.push({
          field: f,
          op: op ? text(model, op) : "",
          domain: domain ? text(model, domain) : "",
          name: name ? text(model, name) : "",
          inputs: nf.filter((x) => x.field === 1 && x.wire === 2).map((x) => text(model, x)),
          outputs: nf.filter((x) => x.field === 2 && x.wire === 2).map((x) => text(model, x)),
        });
      } else if (f.field === 5) {
        const nameField = parseFields(model, f.payloadStart, f.end).find((x) => x.field === 8 && x.wire === 2);
        if (nameField) initializers.set(text(model, nameField), f);
      }
    }
  } catch {
    return null;
  }
  // Subgraphs (If/Loop bodies) may read initializers too; leave such models alone.
  if (nodes.some((n) => n.op === "If" || n.op === "Loop" || n.op === "Scan")) return null;
  const readers = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const graphOutputs = new Set<string>();
  for (const f of graphFields) {
    if (f.field !== 12 || f.wire !== 2) continue;
    const nameField = parseFields(model, f.payloadStart, f.end).find((x) => x.field === 1);
    if (nameField) graphOutputs.add(text(model, nameField));
  }

  const replacedNodes = new Map<Field, Uint8Array>();
  const dropped = new Set<Field>();
  const added: Uint8Array[] = [];
  const done = new Map<string, string[]>();
  let weights = 0;
  for (const n of nodes) {
    if (n.op !== "MatMul" || n.domain !== "" || n.inputs.length !== 2) continue;
    const bName = n.inputs[1];
    const init = initializers.get(bName);
    if (!init) continue;
    let names = done.get(bName);
    if (!names) {
      const t = readFloatTensor(model, init);
      if (t === null || t.dims.length !== 2 || t.values.length < minElements) continue;
      const [k, cols] = t.dims;
      const { q, scales } = quantiseColumns(t.values, k, cols);
      names = [`${bName}_int8`, `${bName}_scale`, `${bName}_zero_point`];
      added.push(delimited(5, tensor(names[0], [k, cols], INT8, new Uint8Array(q.buffer))));
      added.push(delimited(5, tensor(names[1], [cols], FLOAT, new Uint8Array(scales.buffer))));
      added.push(delimited(5, tensor(names[2], [cols], INT8, new Uint8Array(cols))));
      done.set(bName, names);
      weights += t.values.length;
    }
    const node = concat([
      str(1, n.inputs[0]),
      ...names.map((x) => str(1, x)),
      ...n.outputs.map((o) => str(2, o)),
      str(3, n.name ? `${n.name}_quant` : `${n.outputs[0]}_quant`),
      str(4, "DynamicQuantizeMatMul"),
      str(7, "com.microsoft"),
    ]);
    replacedNodes.set(n.field, delimited(1, node));
    readers.set(bName, (readers.get(bName) ?? 1) - 1);
  }
  if (replacedNodes.size === 0) return null;
  for (const name of done.keys()) {
    if ((readers.get(name) ?? 0) === 0 && !graphOutputs.has(name)) dropped.add(initializers.get(name) as Field);
  }

  // The graph: its fields in order with nodes replaced and dropped weights left out, then the new initializers.
  const parts: Uint8Array[] = [];
  for (const f of graphFields) {
    if (dropped.has(f)) continue;
    parts.push(replacedNodes.get(f) ?? model.subarray(f.start, f.end));
  }
  parts.push(...added);
  const newGraph = delimited(7, concat(parts));
  const hasMs = top.some((f) => {
    if (f.field !== 8 || f.wire !== 2) return false;
    const d = parseFields(model, f.payloadStart, f.end).find((x) => x.field === 1 && x.wire === 2);
    return d ? text(model, d) === "com.microsoft" : false;
  });
  const out: Uint8Array[] = [];
  for (const f of top) out.push(f === graph ? newGraph : model.subarray(f.start, f.end));
  if (!hasMs) out.push(delimited(8, concat([str(1, "com.microsoft"), int(2, 1)])));
  return { model: concat(out), replaced: replacedNodes.size, weights };
}

/** `model` with its MatMul weights in int8 (`quantiseMatMulWeights`), or unchanged when it has none to quantise. */
export function withInt8MatMulWeights(model: Uint8Array): Uint8Array {
  return quantiseMatMulWeights(model)?.model ?? model;
}
