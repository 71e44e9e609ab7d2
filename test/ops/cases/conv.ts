// Known-value and gradient cases for linear, conv1d/conv2d and 2-D pooling.
import * as k from "../../../src/index.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";
import { det, nest, values } from "./linalg.js";

const f32 = (data: unknown) => k.tensor(data as number[], { dtype: "float32" });
const range = (n: number, shape: number[]) => k.tensor(Float32Array.from({ length: n }, (_, i) => i)).reshape(shape);
const X3 = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]];
const ones = (shape: number[]) => k.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1)).reshape(shape);

/** Direct-loop reference convolution (float64) on flat data. */
export function refConv2d(
  x: number[],
  xs: number[],
  w: number[],
  ws: number[],
  b: number[] | null,
  o: { stride: number[]; padding: number[]; dilation: number[]; groups: number },
): number[] {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [O, Cg, kh, kw] = ws as [number, number, number, number];
  const Ho = Math.floor((H + 2 * o.padding[0]! - o.dilation[0]! * (kh - 1) - 1) / o.stride[0]!) + 1;
  const Wo = Math.floor((W + 2 * o.padding[1]! - o.dilation[1]! * (kw - 1) - 1) / o.stride[1]!) + 1;
  const Og = O / o.groups;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++)
      for (let oh = 0; oh < Ho; oh++)
        for (let ow = 0; ow < Wo; ow++) {
          let acc = b ? b[oc]! : 0;
          const g = Math.floor(oc / Og);
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const ih = oh * o.stride[0]! - o.padding[0]! + i * o.dilation[0]!;
                const iw = ow * o.stride[1]! - o.padding[1]! + j * o.dilation[1]!;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x[((n * C + g * Cg + c) * H + ih) * W + iw]! * w[((oc * Cg + c) * kh + i) * kw + j]!;
              }
          out.push(acc);
        }
  return out;
}

function refCase(name: string, xs: number[], ws: number[], o: { stride: number[]; padding: number[]; dilation: number[]; groups: number }, bias: boolean): OpCase {
  const xv = values(xs, 7);
  const wv = values(ws, 8);
  const bv = bias ? values([ws[0]!], 9) : null;
  const flat = refConv2d(xv, xs, wv, ws, bv, o);
  const N = xs[0]!;
  const O = ws[0]!;
  const per = flat.length / (N * O);
  const Wo = Math.floor((xs[3]! + 2 * o.padding[1]! - o.dilation[1]! * (ws[3]! - 1) - 1) / o.stride[1]!) + 1;
  return {
    name,
    run: () => k.conv2d(det(xs, 7), det(ws, 8), bias ? det([ws[0]!], 9) : null, o),
    expected: nest(flat, [N, O, per / Wo, Wo]),
    atol: 1e-9,
  };
}

export const convCases: OpCase[] = [
  { name: "linear", run: () => k.linear(f32([[1, 2]]), f32([[1, 0], [0, 1], [1, 1]]), f32([0, 1, -1])), expected: [[1, 3, 2]] },
  { name: "linear no bias 3-D input", run: () => k.linear(f32([[[1, 2]], [[3, 4]]]), f32([[1, -1]])), expected: [[[-1]], [[-1]]] },
  { name: "linear 1-D weight", run: () => k.linear(f32([[1, 2], [3, 4]]), f32([1, 1])), expected: [3, 7] },
  { name: "conv2d 2x2 kernel", run: () => k.conv2d(f32(X3), f32([[[[1, 0], [0, -1]]]])), expected: [[[[-4, -4], [-4, -4]]]], dtype: "float32" },
  { name: "conv2d bias", run: () => k.conv2d(f32(X3), f32([[[[1, 0], [0, -1]]]]), f32([1])), expected: [[[[-3, -3], [-3, -3]]]] },
  {
    name: "conv2d padding 1",
    run: () => k.conv2d(f32(X3), ones([1, 1, 3, 3]), null, { padding: 1 }),
    expected: [[[[12, 21, 16], [27, 45, 33], [24, 39, 28]]]],
  },
  { name: "conv2d stride 2 padding 1", run: () => k.conv2d(f32(X3), ones([1, 1, 3, 3]), null, { stride: 2, padding: 1 }), expected: [[[[12, 16], [24, 28]]]] },
  { name: "conv2d dilation 2", run: () => k.conv2d(f32(X3), ones([1, 1, 2, 2]), null, { dilation: 2 }), expected: [[[[20]]]] },
  {
    name: "conv2d padding same, even kernel pads after",
    run: () => k.conv2d(f32(X3), ones([1, 1, 2, 2]), null, { padding: "same" }),
    expected: [[[[12, 16, 9], [24, 28, 15], [15, 17, 9]]]],
  },
  { name: "conv2d padding valid", run: () => k.conv2d(f32(X3), ones([1, 1, 3, 3]), null, { padding: "valid" }), expected: [[[[45]]]] },
  {
    name: "conv2d groups (1x1 depthwise)",
    run: () => k.conv2d(f32([[[[1, 2]], [[3, 4]]]]), f32([[[[2]]], [[[3]]]]), null, { groups: 2 }),
    expected: [[[[2, 4]], [[9, 12]]]],
  },
  { name: "conv2d unbatched input", run: () => k.conv2d(f32(X3[0]), f32([[[[1, 0], [0, -1]]]])), expected: [[[-4, -4], [-4, -4]]] },
  {
    name: "conv2d of a permuted (strided) input",
    run: () => k.conv2d(f32([[[[1, 4, 7], [2, 5, 8], [3, 6, 9]]]]).transpose(2, 3), f32([[[[1, 0], [0, -1]]]])),
    expected: [[[[-4, -4], [-4, -4]]]],
  },
  refCase("conv2d multi-channel matches reference", [2, 3, 6, 5], [4, 3, 3, 2], { stride: [1, 1], padding: [1, 0], dilation: [1, 1], groups: 1 }, true),
  refCase("conv2d stride/dilation/groups match reference", [2, 4, 9, 8], [6, 2, 3, 3], { stride: [2, 1], padding: [2, 1], dilation: [2, 1], groups: 2 }, true),
  refCase("conv2d 1x1 matches reference", [2, 4, 3, 5], [3, 4, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }, false),
  { name: "conv1d", run: () => k.conv1d(f32([[[1, 2, 3, 4, 5]]]), f32([[[1, -1]]])), expected: [[[-1, -1, -1, -1]]] },
  { name: "conv1d padding 1", run: () => k.conv1d(f32([[[1, 2, 3, 4, 5]]]), f32([[[1, -1]]]), null, { padding: 1 }), expected: [[[-1, -1, -1, -1, -1, 5]]] },
  {
    name: "conv1d stride 2 with bias, unbatched",
    run: () => k.conv1d(f32([[1, 2, 3, 4, 5]]), f32([[[1, 1]]]), f32([10]), { stride: 2 }),
    expected: [[13, 17]],
  },
  { name: "maxPool2d", run: () => k.maxPool2d(range(16, [1, 1, 4, 4]), 2), expected: [[[[5, 7], [13, 15]]]], dtype: "float32" },
  {
    name: "maxPool2d returns indices",
    run: () => k.maxPool2d(range(16, [1, 1, 4, 4]).neg(), 2, { returnIndices: true }),
    expected: [[[[[-0, -2], [-8, -10]]]], [[[[0, 2], [8, 10]]]]],
    dtype: ["float32", "int32"],
  },
  { name: "maxPool2d ceilMode", run: () => k.maxPool2d(range(25, [1, 1, 5, 5]), 2, { ceilMode: true }), expected: [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]] },
  {
    name: "maxPool2d padding and stride",
    run: () => k.maxPool2d(range(16, [1, 4, 4]), 3, { stride: 2, padding: 1 }),
    expected: [[[5, 7], [13, 15]]],
  },
  { name: "maxPool2d dilation", run: () => k.maxPool2d(range(16, [1, 1, 4, 4]).neg(), 2, { dilation: 2, stride: 1 }), expected: [[[[-0, -1], [-4, -5]]]] },
  { name: "maxPool2d propagates NaN", run: () => k.maxPool2d(f32([[[[1, NaN], [3, 2]]]]), 2), expected: [[[[NaN]]]] },
  { name: "avgPool2d", run: () => k.avgPool2d(range(16, [1, 1, 4, 4]), 2), expected: [[[[2.5, 4.5], [10.5, 12.5]]]] },
  { name: "avgPool2d padding counts pad", run: () => k.avgPool2d(f32(X3), 2, { padding: 1 }), expected: [[[[0.25, 1.25], [2.75, 7]]]] },
  {
    name: "avgPool2d padding without countIncludePad",
    run: () => k.avgPool2d(f32(X3), 2, { padding: 1, countIncludePad: false }),
    expected: [[[[1, 2.5], [5.5, 7]]]],
  },
  { name: "avgPool2d ceilMode", run: () => k.avgPool2d(f32(X3), 2, { ceilMode: true }), expected: [[[[3, 4.5], [7.5, 9]]]] },
  { name: "avgPool2d divisorOverride", run: () => k.avgPool2d(f32(X3), 2, { stride: 1, divisorOverride: 1 }), expected: [[[[12, 16], [24, 28]]]] },
  { name: "adaptiveAvgPool2d 2x2 overlapping", run: () => k.adaptiveAvgPool2d(f32(X3), 2), expected: [[[[3, 4], [6, 7]]]] },
  { name: "adaptiveAvgPool2d global", run: () => k.adaptiveAvgPool2d(f32(X3), [1, 1]), expected: [[[[5]]]] },
  { name: "adaptiveAvgPool2d null keeps size", run: () => k.adaptiveAvgPool2d(f32(X3[0]), [1, null]), expected: [[[4, 5, 6]]] },
];

const g64 = (shape: number[], seed: number) => det(shape, seed, "float64", true);

export const convGradCases: GradCase[] = [
  { name: "linear", fn: (x, w, b) => k.linear(x, w, b), inputs: () => [g64([2, 3, 4], 1), g64([5, 4], 2), g64([5], 3)] },
  { name: "conv2d plain", fn: (x, w, b) => k.conv2d(x, w, b), inputs: () => [g64([2, 2, 4, 4], 1), g64([3, 2, 2, 2], 2), g64([3], 3)] },
  {
    name: "conv2d stride, padding, dilation, groups",
    fn: (x, w, b) => k.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }),
    inputs: () => [g64([1, 4, 5, 5], 1), g64([2, 2, 3, 2], 2), g64([2], 3)],
  },
  { name: "conv2d same padding", fn: (x, w) => k.conv2d(x, w, null, { padding: "same" }), inputs: () => [g64([1, 1, 4, 3], 1), g64([2, 1, 2, 2], 2)] },
  { name: "conv2d 1x1", fn: (x, w) => k.conv2d(x, w), inputs: () => [g64([2, 3, 2, 3], 1), g64([2, 3, 1, 1], 2)] },
  {
    name: "conv2d twice differentiable",
    fn: (x, w) =>
      k.enableGrad(() => {
        const y = k.conv2d(x, w, null, { stride: 2, padding: 1 });
        const [gx, gw] = k.autograd.grad([y.square().sum()], [x, w], { createGraph: true }) as [k.Tensor, k.Tensor];
        return gx.sum().add(gw.square().sum());
      }),
    inputs: () => [g64([1, 2, 4, 4], 1), g64([2, 2, 3, 3], 2)],
  },
  { name: "conv1d", fn: (x, w, b) => k.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }), inputs: () => [g64([2, 2, 7], 1), g64([3, 2, 2], 2), g64([3], 3)] },
  { name: "maxPool2d", fn: (x) => k.maxPool2d(x, 2, { stride: 1, padding: 1 }), inputs: () => [g64([2, 2, 3, 3], 1)] },
  { name: "maxPool2d ceilMode dilation", fn: (x) => k.maxPool2d(x, 2, { ceilMode: true, dilation: [1, 2] }), inputs: () => [g64([1, 2, 5, 5], 1)] },
  {
    name: "maxPool2d twice differentiable",
    fn: (x) =>
      k.enableGrad(() => {
        const [g] = k.autograd.grad([k.maxPool2d(x, 2).square().sum()], [x], { createGraph: true }) as [k.Tensor];
        return g;
      }),
    inputs: () => [g64([1, 1, 4, 4], 1)],
  },
  { name: "avgPool2d", fn: (x) => k.avgPool2d(x, 3, { stride: 2, padding: 1 }), inputs: () => [g64([2, 2, 5, 5], 1)] },
  {
    name: "avgPool2d ceilMode no pad counting",
    fn: (x) => k.avgPool2d(x, 2, { ceilMode: true, padding: 1, countIncludePad: false }),
    inputs: () => [g64([1, 2, 4, 5], 1)],
  },
  {
    name: "avgPool2d twice differentiable",
    fn: (x) =>
      k.enableGrad(() => {
        const [g] = k.autograd.grad([k.avgPool2d(x, 2).square().sum()], [x], { createGraph: true }) as [k.Tensor];
        return g;
      }),
    inputs: () => [g64([1, 1, 4, 4], 1)],
  },
  { name: "adaptiveAvgPool2d", fn: (x) => k.adaptiveAvgPool2d(x, [3, 2]), inputs: () => [g64([2, 2, 5, 5], 1)] },
  {
    name: "adaptiveAvgPool2d twice differentiable",
    fn: (x) =>
      k.enableGrad(() => {
        const [g] = k.autograd.grad([k.adaptiveAvgPool2d(x, 2).square().sum()], [x], { createGraph: true }) as [k.Tensor];
        return g;
      }),
    inputs: () => [g64([1, 1, 3, 5], 1)],
  },
];
