// ONNX models of the benchmark workloads, built in code (no model files) and serialised with
// protobufjs from the subset of onnx/onnx.proto3 below (field numbers copied from the ONNX IR
// spec; only the fields these graphs use). Opset 17 is the first with LayerNormalization.
// protobufjs is an optional dev dependency of the benchmarks: it is require()d on first use, so
// importing this module works without it (the onnxruntime rows then report "skipped").
import { createRequire } from "node:module";
import type * as Protobuf from "protobufjs";
import type { BlockConfig, BlockWeights, LinearWeights } from "./workloads.js";

const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; }
  string name = 1;
  AttributeType type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
}
message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  GraphProto graph = 7;
}
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  string name = 8;
  bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

/** TensorProto.DataType values used here. */
const FLOAT = 1;
const INT64 = 7;
/** IR version 8 goes with opset 17. */
const IR_VERSION = 8;
export const OPSET = 17;

let modelType: Protobuf.Type | undefined;
function modelProto(): Protobuf.Type {
  if (modelType === undefined) {
    const protobuf = createRequire(import.meta.url)("protobufjs") as typeof Protobuf;
    modelType = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

export type Attr = { f: number } | { i: number } | { ints: readonly number[] } | { s: string };

interface NodeObj {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: object[];
}

/** Builds one graph: inputs, initializers, nodes in topological order, outputs. */
export class GraphBuilder {
  private readonly nodes: NodeObj[] = [];
  private readonly inits: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private count = 0;

  constructor(private readonly name: string) {}

  private static valueInfo(name: string, shape: readonly number[]): object {
    return { name, type: { tensor_type: { elem_type: FLOAT, shape: { dim: shape.map((d) => ({ dim_value: d })) } } } };
  }

  input(name: string, shape: readonly number[]): string {
    this.inputs.push(GraphBuilder.valueInfo(name, shape));
    return name;
  }

  output(name: string, shape: readonly number[]): void {
    this.outputs.push(GraphBuilder.valueInfo(name, shape));
  }

  /** A float32 constant (weights, scalars); little-endian raw bytes as the spec requires. */
  constant(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const n = dims.reduce((a, b) => a * b, 1);
    if (arr.length !== n) throw new Error(`constant ${name}: ${arr.length} values for dims [${dims.join(", ")}]`);
    this.inits.push({ name, dims: [...dims], data_type: FLOAT, raw_data: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) });
    return name;
  }

  /** An int64 constant (Reshape's shape input). */
  int64s(name: string, values: readonly number[]): string {
    const arr = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.inits.push({ name, dims: [values.length], data_type: INT64, raw_data: new Uint8Array(arr.buffer) });
    return name;
  }

  /** Adds a node and returns its (single) output name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.count++}`;
    const attribute = Object.entries(attrs).map(([name, a]) => {
      if ("f" in a) return { name, type: 1, f: a.f };
      if ("i" in a) return { name, type: 2, i: a.i };
      if ("s" in a) return { name, type: 3, s: new TextEncoder().encode(a.s) };
      return { name, type: 7, ints: [...a.ints] };
    });
    this.nodes.push({ input: [...inputs], output: [out], name: `${op}_${this.nodes.length}`, op_type: op, attribute });
    return out;
  }

  /** Serialised ModelProto bytes, as InferenceSession.create / loadModel take them. */
  build(): Uint8Array {
    const T = modelProto();
    const obj = {
      ir_version: IR_VERSION,
      producer_name: "kiln-bench",
      opset_import: [{ domain: "", version: OPSET }],
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    };
    const msg = T.fromObject(obj);
    return T.encode(msg).finish();
  }
}

/** gelu(x * 2 + 1) with the exact (erf) gelu, as kiln's default: 0.5·v·(1 + erf(v/√2)). */
export function geluChainModel(n: number): Uint8Array {
  const g = new GraphBuilder("gelu_chain");
  const x = g.input("x", [n]);
  const v = g.node("Add", [g.node("Mul", [x, g.constant("two", [2], [])]), g.constant("one", [1], [])]);
  const e = g.node("Erf", [g.node("Mul", [v, g.constant("rsqrt2", [Math.SQRT1_2], [])])]);
  const h = g.node("Mul", [g.node("Add", [e, "one"]), g.constant("half", [0.5], [])]);
  g.node("Mul", [v, h], {}, "y");
  g.output("y", [n]);
  return g.build();
}

export function softmaxModel(rows: number, cols: number): Uint8Array {
  const g = new GraphBuilder("softmax_rows");
  g.node("Softmax", [g.input("x", [rows, cols])], { axis: { i: -1 } }, "y");
  g.output("y", [rows, cols]);
  return g.build();
}

/** LayerNormalization over the last axis with weight and bias as constants. */
export function layerNormModel(rows: number, cols: number, weight: Float32Array, bias: Float32Array, eps: number): Uint8Array {
  const g = new GraphBuilder("layer_norm_rows");
  const x = g.input("x", [rows, cols]);
  g.node("LayerNormalization", [x, g.constant("w", weight, [cols]), g.constant("b", bias, [cols])], { axis: { i: -1 }, epsilon: { f: eps } }, "y");
  g.output("y", [rows, cols]);
  return g.build();
}

/** Gemm with transB = 1 takes a PyTorch-layout weight [out, in] as it is. */
function gemm(g: GraphBuilder, x: string, l: LinearWeights, prefix: string): string {
  const w = g.constant(`${prefix}.weight`, l.weight, [l.outFeatures, l.inFeatures]);
  const b = g.constant(`${prefix}.bias`, l.bias, [l.outFeatures]);
  return g.node("Gemm", [x, w, b], { transB: { i: 1 } });
}

/** Linear → ReLU → ... → Linear (no ReLU after the last). */
export function mlpModel(batch: number, layers: readonly LinearWeights[]): Uint8Array {
  const g = new GraphBuilder("mlp");
  let h = g.input("x", [batch, layers[0]!.inFeatures]);
  layers.forEach((l, i) => {
    h = gemm(g, h, l, `fc${i}`);
    if (i + 1 < layers.length) h = g.node("Relu", [h]);
  });
  g.node("Identity", [h], {}, "y");
  g.output("y", [batch, layers[layers.length - 1]!.outFeatures]);
  return g.build();
}

/** [out, in] → [in, out], so that MatMul(x [.., in], W) is x·Wᵀ for 3-D x (Gemm is 2-D only). */
function transposed(l: LinearWeights): Float32Array {
  const { inFeatures: I, outFeatures: O, weight } = l;
  const t = new Float32Array(I * O);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) t[i * O + o] = weight[o * I + i]!;
  return t;
}

function linear3d(g: GraphBuilder, x: string, l: LinearWeights, prefix: string): string {
  const w = g.constant(`${prefix}.weightT`, transposed(l), [l.inFeatures, l.outFeatures]);
  return g.node("Add", [g.node("MatMul", [x, w]), g.constant(`${prefix}.bias`, l.bias, [l.outFeatures])]);
}

/**
 * kiln's TransformerEncoderLayer (post-norm as bench/codegen.ts builds it: x = LN1(x + SA(x)),
 * x = LN2(x + FF(x)), ReLU, no dropout) spelled with standard ops: MatMul/Add, Reshape/Transpose
 * to heads, scaled scores, Softmax, LayerNormalization. onnxruntime's graph optimiser may fuse
 * these (attention, bias+activation); that is part of what it is measured on.
 */
export function transformerBlockModel(cfg: BlockConfig, w: BlockWeights): Uint8Array {
  const { batch: N, seq: L, width: E, heads: H } = cfg;
  const D = E / H;
  const g = new GraphBuilder("transformer_block");
  const x = g.input("x", [N, L, E]);
  const headsShape = g.int64s("heads_shape", [N, L, H, D]);
  const heads = (t: string, perm: number[]) => g.node("Transpose", [g.node("Reshape", [t, headsShape])], { perm: { ints: perm } });
  const q = heads(linear3d(g, x, w.q, "q"), [0, 2, 1, 3]); // [N, H, L, D]
  const kT = heads(linear3d(g, x, w.k, "k"), [0, 2, 3, 1]); // [N, H, D, L]
  const v = heads(linear3d(g, x, w.v, "v"), [0, 2, 1, 3]); // [N, H, L, D]
  const scores = g.node("Mul", [g.node("MatMul", [q, kT]), g.constant("scale", [1 / Math.sqrt(D)], [])]);
  const attn = g.node("MatMul", [g.node("Softmax", [scores], { axis: { i: -1 } }), v]); // [N, H, L, D]
  const merged = g.node("Reshape", [g.node("Transpose", [attn], { perm: { ints: [0, 2, 1, 3] } }), g.int64s("merged_shape", [N, L, E])]);
  const sa = linear3d(g, merged, w.out, "out_proj");
  const ln = (t: string, p: { weight: Float32Array; bias: Float32Array }, name: string, out?: string) =>
    g.node("LayerNormalization", [t, g.constant(`${name}.weight`, p.weight, [E]), g.constant(`${name}.bias`, p.bias, [E])], { axis: { i: -1 }, epsilon: { f: 1e-5 } }, out);
  const h1 = ln(g.node("Add", [x, sa]), w.norm1, "norm1");
  const ff = linear3d(g, g.node("Relu", [linear3d(g, h1, w.ff1, "linear1")]), w.ff2, "linear2");
  ln(g.node("Add", [h1, ff]), w.norm2, "norm2", "y");
  g.output("y", [N, L, E]);
  return g.build();
}

/** C = A·B with both operands as inputs (as kiln's matmul rows take them). */
export function matmulModel(m: number, kDim: number, n: number): Uint8Array {
  const g = new GraphBuilder("matmul");
  g.node("MatMul", [g.input("a", [m, kDim]), g.input("b", [kDim, n])], {}, "y");
  g.output("y", [m, n]);
  return g.build();
}
