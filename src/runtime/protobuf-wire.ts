/**
 * The protobuf wire format, just enough of it to edit ONNX models in place:
 * walk a message's fields (tag, wire type, byte range) without a schema, and
 * write varints, length-delimited fields and strings. Used by the graph
 * edits in this folder, which parse only the fields they need and copy the
 * rest byte for byte.
 */

export interface Field {
  field: number;
  wire: number;
  /** Where the whole field (tag included) starts and ends. */
  start: number;
  end: number;
  /** The payload of a length-delimited field. */
  payloadStart: number;
}

export function readVarint(b: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 1;
  let p = at;
  for (;;) {
    if (p >= b.length) throw new Error("truncated varint");
    const x = b[p++];
    value += (x & 0x7f) * shift;
    if ((x & 0x80) === 0) return [value, p];
    shift *= 128;
    if (shift > 2 ** 63) throw new Error("varint too long");
  }
}

export function parseFields(b: Uint8Array, from: number, to: number): Field[] {
  const fields: Field[] = [];
  let p = from;
  while (p < to) {
    const start = p;
    const [tag, q] = readVarint(b, p);
    p = q;
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    let payloadStart = p;
    if (wire === 0) p = readVarint(b, p)[1];
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const [len, r] = readVarint(b, p);
      payloadStart = r;
      p = r + len;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (p > to) throw new Error("truncated field");
    fields.push({ field, wire, start, end: p, payloadStart });
  }
  return fields;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function text(b: Uint8Array, f: Field): string {
  return decoder.decode(b.subarray(f.payloadStart, f.end));
}

export function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A length-delimited field: tag, length, payload. */
export function delimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const str = (field: number, s: string) => delimited(field, encoder.encode(s));

/**
 * An ONNX ModelProto's top-level fields and its one graph (field 7), or null
 * when the bytes do not parse or hold no single graph.
 */
export function findModelGraph(model: Uint8Array): { top: Field[]; graph: Field } | null {
  let top: Field[];
  try {
    top = parseFields(model, 0, model.length);
  } catch {
    return null;
  }
  const graphs = top.filter((f) => f.field === 7 && f.wire === 2);
  return graphs.length === 1 ? { top, graph: graphs[0] } : null;
}
