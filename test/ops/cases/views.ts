// Known-value and gradient cases for view ops (and the scatters their gradients use).
import * as k from "../../../src/index.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";

/** [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] as int32. */
const m34 = () => k.arange(12).reshape([3, 4]);
/** A float64 leaf of the given shape with distinct values, for gradcheck. */
const g64 = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.4) * 2);
  return k.tensor(data, { dtype: "float64" }).reshape(shape).detach().requiresGrad_();
};

export const viewCases: OpCase[] = [
  { name: "view with -1", run: () => m34().view([2, -1]), expected: [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]], dtype: "int32" },
  { name: "reshape of a transpose copies", run: () => m34().T.reshape([12]), expected: [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11] },
  { name: "permute", run: () => m34().reshape([3, 2, 2]).permute([2, 0, 1]).select(0, 1), expected: [[1, 3], [5, 7], [9, 11]] },
  { name: "transpose negative dims", run: () => m34().transpose(-1, 0), expected: [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]] },
  { name: "expand with -1 and a new dim", run: () => k.tensor([[1], [2]]).expand([2, -1, 3]), expected: [[[1, 1, 1], [2, 2, 2]], [[1, 1, 1], [2, 2, 2]]] },
  { name: "squeeze all", run: () => k.tensor([[[1], [2]]]).squeeze(), expected: [1, 2] },
  { name: "squeeze one dim that is not 1 is a no-op", run: () => k.tensor([[1, 2]]).squeeze(1), expected: [[1, 2]] },
  { name: "squeeze list of dims", run: () => k.zeros([1, 2, 1]).squeeze([0, 2]), expected: [0, 0] },
  { name: "unsqueeze last", run: () => k.tensor([1, 2]).unsqueeze(-1), expected: [[1], [2]] },
  { name: "flatten all", run: () => m34().reshape([3, 2, 2]).flatten(), expected: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
  { name: "flatten middle dims", run: () => k.arange(8).reshape([2, 2, 2]).flatten(1), expected: [[0, 1, 2, 3], [4, 5, 6, 7]] },
  { name: "flatten of 0-d gives [1]", run: () => k.tensor(5).flatten(), expected: [5] },
  { name: "flatten of a transpose copies", run: () => m34().T.flatten(0, 1), expected: [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11] },
  { name: "unflatten with -1", run: () => k.arange(6).unflatten(0, [-1, 3]), expected: [[0, 1, 2], [3, 4, 5]] },
  { name: "narrow", run: () => m34().narrow(1, 1, 2), expected: [[1, 2], [5, 6], [9, 10]] },
  { name: "narrow negative start", run: () => m34().narrow(0, -1, 1), expected: [[8, 9, 10, 11]] },
  { name: "select", run: () => m34().select(1, 2), expected: [2, 6, 10] },
  { name: "select negative index", run: () => m34().select(0, -1), expected: [8, 9, 10, 11] },
  { name: "select down to 0-d", run: () => k.tensor([4, 5]).select(0, 1), expected: 5 },
  { name: "slice with step", run: () => m34().slice(1, 0, null, 2), expected: [[0, 2], [4, 6], [8, 10]] },
  { name: "slice negative start", run: () => k.arange(6).slice(0, -2), expected: [4, 5] },
  { name: "slice clamps like Python", run: () => k.arange(6).slice(0, 4, 100), expected: [4, 5] },
  { name: "slice empty when end < start", run: () => k.arange(6).slice(0, 4, 2), expected: [] },
  { name: "slice step 4 on odd length", run: () => k.arange(7).slice(0, 1, null, 4), expected: [1, 5] },
  { name: "chunk uneven", run: () => k.arange(5).chunk(3), expected: [[0, 1], [2, 3], [4]] },
  { name: "chunk fewer pieces than asked", run: () => k.arange(4).chunk(3), expected: [[0, 1], [2, 3]] },
  { name: "chunk along dim 1", run: () => m34().chunk(2, 1), expected: [[[0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]] },
  { name: "split by size", run: () => k.arange(5).split(2), expected: [[0, 1], [2, 3], [4]] },
  { name: "split by sections", run: () => m34().split([1, 3], 1), expected: [[[0], [4], [8]], [[1, 2, 3], [5, 6, 7], [9, 10, 11]]] },
  { name: "split with a zero section", run: () => k.arange(3).split([0, 3]), expected: [[], [0, 1, 2]] },
  { name: "unbind dim 0", run: () => m34().unbind(), expected: [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] },
  { name: "unbind dim 1", run: () => k.tensor([[1, 2], [3, 4]]).unbind(1), expected: [[1, 3], [2, 4]] },
  { name: "T of a matrix", run: () => k.tensor([[1, 2, 3]]).T, expected: [[1], [2], [3]] },
  { name: "T of a vector is itself", run: () => k.tensor([1, 2, 3]).T, expected: [1, 2, 3] },
  { name: "T of 3-d reverses dims", run: () => k.arange(6).reshape([1, 2, 3]).T.squeeze(-1), expected: [[0, 3], [1, 4], [2, 5]] },
  { name: "mT of a batch", run: () => k.arange(8).reshape([2, 2, 2]).mT, expected: [[[0, 2], [1, 3]], [[4, 6], [5, 7]]] },
  { name: "expandAs", run: () => k.tensor([1, 2]).expandAs(k.zeros([2, 2])), expected: [[1, 2], [1, 2]] },
  { name: "viewAs", run: () => k.arange(4).viewAs(k.zeros([2, 2])), expected: [[0, 1], [2, 3]] },
  { name: "reshapeAs", run: () => m34().T.reshapeAs(k.zeros([2, 6])), expected: [[0, 4, 8, 1, 5, 9], [2, 6, 10, 3, 7, 11]] },
  { name: "asStrided sliding windows", run: () => k.arange(5).asStrided([3, 3], [1, 1]), expected: [[0, 1, 2], [1, 2, 3], [2, 3, 4]] },
  { name: "asStrided with offset", run: () => k.arange(6).asStrided([2, 2], [3, 1], 1), expected: [[1, 2], [4, 5]] },
  { name: "asStrided offset defaults to the view's", run: () => k.arange(6).slice(0, 2).asStrided([2], [2]), expected: [2, 4] },
  { name: "detach shares values", run: () => k.tensor([1.5, 2]).detach(), expected: [1.5, 2], dtype: "float32" },
  {
    name: "sliceScatter",
    run: () => k.zeros([2, 4], { dtype: "int32" }).sliceScatter(k.ones([2, 2], { dtype: "int32" }), 1, 0, null, 2),
    expected: [[1, 0, 1, 0], [1, 0, 1, 0]],
    dtype: "int32",
  },
  {
    name: "sliceScatter into a strided base",
    run: () => k.sliceScatter(m34().T, k.tensor([[-1, -2, -3]]), 0, 1, 2),
    expected: [[0, 4, 8], [-1, -2, -3], [2, 6, 10], [3, 7, 11]],
  },
  {
    name: "selectScatter",
    run: () => k.selectScatter(m34(), k.tensor([7, 7, 7]), 1, -1),
    expected: [[0, 1, 2, 7], [4, 5, 6, 7], [8, 9, 10, 7]],
  },
  { name: "selectScatter casts src to bool", run: () => k.zeros([2], { dtype: "bool" }).selectScatter(k.tensor(5), 0, 1), expected: [false, true], dtype: "bool" },
  { name: "float() casts", run: () => k.tensor([1, 2]).float(), expected: [1, 2], dtype: "float32" },
  { name: "double() casts", run: () => k.tensor([1.5]).double(), expected: [1.5], dtype: "float64" },
  { name: "int() truncates", run: () => k.tensor([1.7, -1.7]).int(), expected: [1, -1], dtype: "int32" },
  { name: "bool() is nonzero", run: () => k.tensor([0, 2, -1]).bool(), expected: [false, true, true], dtype: "bool" },
  { name: "contiguous of a transpose", run: () => m34().T.contiguous(), expected: [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]] },
  { name: "clone of a strided slice", run: () => m34().slice(1, 1, null, 2).clone(), expected: [[1, 3], [5, 7], [9, 11]] },
];

/** d(sum(w * f(x)))/dx with createGraph, so gradcheck checks the second derivative. */
const gradOf = (f: (x: k.Tensor) => k.Tensor) => (x: k.Tensor) => {
  return k.enableGrad(() => {
    const y = f(x);
    return k.autograd.grad([y.mul(y).sum()], [x], { createGraph: true })[0]!;
  });
};

export const viewGradCases: GradCase[] = [
  { name: "view", fn: (x) => x.view([4, 3]), inputs: () => [g64([3, 4])] },
  { name: "reshape of a transpose", fn: (x) => x.T.reshape([-1]), inputs: () => [g64([3, 4])] },
  { name: "permute", fn: (x) => x.permute([2, 0, 1]), inputs: () => [g64([2, 3, 2])] },
  { name: "transpose", fn: (x) => x.transpose(0, 2), inputs: () => [g64([2, 3, 2])] },
  { name: "expand", fn: (x) => x.expand([2, 3, 4]), inputs: () => [g64([3, 1])] },
  { name: "squeeze and unsqueeze", fn: (x) => x.squeeze(1).unsqueeze(0), inputs: () => [g64([3, 1, 2])] },
  { name: "flatten", fn: (x) => x.flatten(1), inputs: () => [g64([2, 3, 2])] },
  { name: "unflatten", fn: (x) => x.unflatten(1, [2, 2]), inputs: () => [g64([3, 4])] },
  { name: "narrow", fn: (x) => x.narrow(1, 1, 2), inputs: () => [g64([3, 4])] },
  { name: "select negative index", fn: (x) => x.select(1, -1), inputs: () => [g64([3, 4])] },
  { name: "slice with step", fn: (x) => x.slice(1, 0, null, 2), inputs: () => [g64([3, 5])] },
  { name: "slice of a slice", fn: (x) => x.slice(0, 1).slice(1, -3, -1), inputs: () => [g64([3, 5])] },
  { name: "chunk pieces combined", fn: (x) => { const [a, b] = x.chunk(2, 1); return a!.mul(b!); }, inputs: () => [g64([2, 4])] },
  { name: "split sections", fn: (x) => x.split([1, 2])[1]!.mul(2), inputs: () => [g64([3, 2])] },
  { name: "unbind", fn: (x) => { const [a, b, c] = x.unbind(1); return a!.mul(b!).add(c!); }, inputs: () => [g64([2, 3])] },
  { name: "T and mT", fn: (x) => x.T.mul(x.mT), inputs: () => [g64([3, 3])] },
  { name: "expandAs", fn: (x, y) => x.expandAs(y!).mul(y!), inputs: () => [g64([1, 3]), g64([2, 3])] },
  { name: "asStrided overlapping windows", fn: (x) => x.asStrided([3, 3], [1, 1]), inputs: () => [g64([5])] },
  { name: "asStrided of a transposed view", fn: (x) => x.T.asStrided([2, 2], [1, 3], 1), inputs: () => [g64([2, 3])] },
  { name: "sliceScatter both inputs", fn: (b, s) => b.sliceScatter(s!, 1, 1, null, 2), inputs: () => [g64([2, 4]), g64([2, 2])] },
  { name: "selectScatter both inputs", fn: (b, s) => b.selectScatter(s!, 0, 1), inputs: () => [g64([2, 3]), g64([3])] },
  { name: "second derivative through select", fn: gradOf((x) => x.select(0, 1)), inputs: () => [g64([2, 3])] },
  { name: "second derivative through slice", fn: gradOf((x) => x.slice(1, 1, null, 2)), inputs: () => [g64([2, 4])] },
  { name: "second derivative through asStrided", fn: gradOf((x) => x.asStrided([2, 2], [1, 1])), inputs: () => [g64([3])] },
];
