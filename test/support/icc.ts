/**
 * Tiny ICC v2 display profiles for tests: an RGB matrix/TRC profile (Adobe
 * RGB (1998) primaries, gamma 2.2) and a grey TRC profile (gamma 2.2),
 * built byte by byte as ICC.1:2001 describes, so no profile file is needed.
 */

function s15(v: number): number {
  return Math.round(v * 65536) | 0;
}

function tagBytes(type: string, body: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  for (let i = 0; i < 4; i++) out[i] = type.charCodeAt(i);
  out.set(body, 8);
  return out;
}

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

function xyz(x: number, y: number, z: number): Uint8Array {
  return tagBytes("XYZ ", [...be32(s15(x)), ...be32(s15(y)), ...be32(s15(z))]);
}

function gammaCurve(gamma: number): Uint8Array {
  const g = Math.round(gamma * 256);
  return tagBytes("curv", [...be32(1), (g >> 8) & 255, g & 255]);
}

function description(text: string): Uint8Array {
  const ascii = [...text].map((c) => c.charCodeAt(0));
  return tagBytes("desc", [...be32(ascii.length + 1), ...ascii, 0, ...be32(0), ...be32(0), 0, 0, 0, ...new Array(67).fill(0)]);
}

function textTag(text: string): Uint8Array {
  return tagBytes("text", [...[...text].map((c) => c.charCodeAt(0)), 0]);
}

function profile(space: "RGB " | "GRAY", tags: [string, Uint8Array][]): Uint8Array {
  const tableSize = 4 + tags.length * 12;
  let offset = 128 + tableSize;
  const placed = tags.map(([sig, data]) => {
    const at = offset;
    offset += data.length + ((4 - (data.length % 4)) % 4);
    return { sig, data, at };
  });
  const out = new Uint8Array(offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, offset);
  view.setUint32(8, 0x02100000);
  out.set(
    [..."mntr"].map((c) => c.charCodeAt(0)),
    12,
  );
  out.set(
    [...space].map((c) => c.charCodeAt(0)),
    16,
  );
  out.set(
    [..."XYZ "].map((c) => c.charCodeAt(0)),
    20,
  );
  view.setUint16(24, 2024);
  view.setUint16(26, 1);
  view.setUint16(28, 1);
  out.set(
    [..."acsp"].map((c) => c.charCodeAt(0)),
    36,
  );
  view.setInt32(68, s15(0.9642));
  view.setInt32(72, s15(1));
  view.setInt32(76, s15(0.8249));
  view.setUint32(128, tags.length);
  placed.forEach((t, i) => {
    out.set(
      [...t.sig].map((c) => c.charCodeAt(0)),
      132 + i * 12,
    );
    view.setUint32(136 + i * 12, t.at);
    view.setUint32(140 + i * 12, t.data.length);
    out.set(t.data, t.at);
  });
  return out;
}

/** Adobe RGB (1998)-like: its primaries (adapted to D50) and gamma 2.2. */
export function adobeRgbProfile(): Uint8Array {
  const trc = gammaCurve(2.2);
  return profile("RGB ", [
    ["desc", description("Vanish test Adobe RGB (1998)")],
    ["cprt", textTag("No copyright, test data")],
    ["wtpt", xyz(0.9642, 1, 0.8249)],
    ["rXYZ", xyz(0.6097, 0.3111, 0.0195)],
    ["gXYZ", xyz(0.2053, 0.6257, 0.0609)],
    ["bXYZ", xyz(0.1492, 0.0632, 0.7446)],
    ["rTRC", trc],
    ["gTRC", trc],
    ["bTRC", trc],
  ]);
}

/** Grey with gamma 2.2. */
export function greyProfile(): Uint8Array {
  return profile("GRAY", [
    ["desc", description("Vanish test grey gamma 2.2")],
    ["cprt", textTag("No copyright, test data")],
    ["wtpt", xyz(0.9642, 1, 0.8249)],
    ["kTRC", gammaCurve(2.2)],
  ]);
}
