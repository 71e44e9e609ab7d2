// Known-value and gradient cases for pointwise ops.
import * as k from "../../../src/index.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";

const f64 = (data: number[] | number[][]) => k.tensor(data, { dtype: "float64", requiresGrad: true });

export const pointwiseCases: OpCase[] = [
  { name: "neg", run: () => k.tensor([1, -2, 0]).neg(), expected: [-1, 2, 0], dtype: "int32" },
  { name: "exp", run: () => k.tensor([0, 1, -1], { dtype: "float32" }).exp(), expected: [1, Math.E, 1 / Math.E], dtype: "float32" },
  { name: "exp of int promotes to float32", run: () => k.exp(k.tensor([0, 2])), expected: [1, Math.exp(2)], dtype: "float32" },
  {
    name: "add broadcast with alpha",
    run: () => k.add(k.tensor([[1, 2], [3, 4]]), k.tensor([10, 20]), { alpha: 2 }),
    expected: [[21, 42], [23, 44]],
    dtype: "int32",
  },
  { name: "sub scalar on left", run: () => k.sub(1, k.tensor([0.5, 2.5])), expected: [0.5, -1.5], dtype: "float32" },
  { name: "int mul wraps like int32", run: () => k.tensor([65536]).mul(65536), expected: [0], dtype: "int32" },
  { name: "div true division", run: () => k.tensor([7, -7]).div(2), expected: [3.5, -3.5], dtype: "float32" },
  { name: "div floor", run: () => k.tensor([7, -7]).div(2, { roundingMode: "floor" }), expected: [3, -4], dtype: "int32" },
  { name: "div trunc", run: () => k.tensor([7, -7]).div(2, { roundingMode: "trunc" }), expected: [3, -3], dtype: "int32" },
  { name: "gt gives bool", run: () => k.tensor([1, 2, 3]).gt(2), expected: [false, false, true], dtype: "bool" },
  {
    name: "relu on strided view",
    run: () => k.tensor([[-1, 2], [3, -4]], { dtype: "float32" }).transpose(0, 1).relu(),
    expected: [[0, 3], [2, 0]],
  },
];

export const pointwiseGradCases: GradCase[] = [
  { name: "sin", fn: (x) => x.sin(), inputs: () => [f64([0.1, -1.3, 2.2])] },
  { name: "sigmoid", fn: (x) => x.sigmoid(), inputs: () => [f64([0.1, -1.3, 2.2])] },
  { name: "mul broadcast", fn: (a, b) => a.mul(b), inputs: () => [f64([[1, 2], [3, 4]]), f64([0.5, -1.5])] },
  { name: "div", fn: (a, b) => a.div(b), inputs: () => [f64([1, 2, 3]), f64([0.7, -1.5, 2.5])] },
];
