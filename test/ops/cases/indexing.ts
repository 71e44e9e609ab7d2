// Known-value and gradient cases for indexing ops: gather, scatter, scatterAdd, indexSelect,
// indexAdd, takeAlongDim, embedding, oneHot, pad, nonzero, maskedSelect, tril, triu.
import * as k from "../../../src/index.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";

const f64 = (data: k.NestedData) => k.tensor(data, { dtype: "float64", requiresGrad: true });
const c64 = (data: k.NestedData) => k.tensor(data, { dtype: "float64" });
const f32 = (data: k.NestedData) => k.tensor(data, { dtype: "float32" });
const i32 = (data: k.NestedData) => k.tensor(data, { dtype: "int32" });

const wide = Array.from({ length: 2 }, (_, r) => Array.from({ length: 40 }, (_, c) => r * 100 + c));

export const indexingCases: OpCase[] = [
  // gather
  { name: "gather dim 1", run: () => i32([[1, 2], [3, 4]]).gather(1, i32([[0, 0], [1, 0]])), expected: [[1, 1], [4, 3]], dtype: "int32" },
  { name: "gather dim 0 with a smaller index", run: () => i32([[1, 2, 3], [4, 5, 6]]).gather(0, i32([[0, 1, 0]])), expected: [[1, 5, 3]] },
  { name: "gather dim -1", run: () => f32([[1, 2, 3], [4, 5, 6]]).gather(-1, i32([[2], [0]])), expected: [[3], [4]], dtype: "float32" },
  {
    name: "gather from a non-contiguous input",
    run: () => i32([[1, 2, 3], [4, 5, 6]]).transpose(0, 1).gather(1, i32([[1], [0], [1]])),
    expected: [[4], [2], [6]],
  },
  {
    name: "gather with a non-contiguous index",
    run: () => i32([[1, 2], [3, 4]]).gather(1, i32([[1, 0], [1, 1]]).transpose(0, 1)),
    expected: [[2, 2], [3, 4]],
  },
  { name: "gather 0-d", run: () => k.gather(k.tensor(5), 0, k.tensor(0)), expected: 5 },
  // scatter
  {
    name: "scatter tensor src dim 0",
    run: () => i32([[0, 0, 0], [0, 0, 0]]).scatter(0, i32([[1, 0, 1]]), i32([[7, 8, 9]])),
    expected: [[0, 8, 0], [7, 0, 9]],
  },
  { name: "scatter value dim 1", run: () => i32([[1, 2], [3, 4]]).scatter(1, i32([[1], [0]]), -1), expected: [[1, -1], [-1, 4]] },
  { name: "scatter value into float", run: () => f32([1, 2, 3]).scatter(-1, i32([0, 2]), 0.5), expected: [0.5, 2, 0.5], dtype: "float32" },
  {
    name: "scatter with src larger than index",
    run: () => i32([[0, 0], [0, 0]]).scatter(0, i32([[1]]), i32([[5, 6], [7, 8]])),
    expected: [[0, 0], [5, 0]],
  },
  {
    name: "scatter into a non-contiguous input",
    run: () => i32([[1, 2], [3, 4]]).transpose(0, 1).scatter(1, i32([[0], [1]]), i32([[9], [8]])),
    expected: [[9, 3], [2, 8]],
  },
  {
    name: "scatter_ in place",
    run: () => {
      const t = i32([1, 2, 3]);
      const r = t.scatter_(0, i32([2, 0]), i32([9, 8]));
      return [t, r];
    },
    expected: [[8, 2, 9], [8, 2, 9]],
  },
  // scatterAdd
  {
    name: "scatterAdd with duplicate indices",
    run: () => f32([0, 0, 0]).scatterAdd(0, i32([0, 2, 0, 0]), f32([1, 2, 3, 4])),
    expected: [8, 0, 2],
    dtype: "float32",
  },
  {
    name: "scatterAdd dim 1 int32",
    run: () => i32([[1, 1], [1, 1]]).scatterAdd(1, i32([[0, 0], [1, 0]]), i32([[1, 2], [3, 4]])),
    expected: [[4, 1], [5, 4]],
    dtype: "int32",
  },
  {
    name: "scatterAdd_ in place",
    run: () => {
      const t = f32([[1, 2]]);
      t.scatterAdd_(1, i32([[1, 1]]), f32([[10, 20]]));
      return t;
    },
    expected: [[1, 32]],
  },
  // indexSelect
  {
    name: "indexSelect dim 0 with repeats",
    run: () => i32([[1, 2, 3], [4, 5, 6]]).indexSelect(0, i32([1, 0, 1])),
    expected: [[4, 5, 6], [1, 2, 3], [4, 5, 6]],
  },
  { name: "indexSelect dim 1", run: () => i32([[1, 2, 3], [4, 5, 6]]).indexSelect(1, i32([2, 0])), expected: [[3, 1], [6, 4]] },
  {
    name: "indexSelect dim -1 of a non-contiguous input",
    run: () => f32([[1, 2, 3], [4, 5, 6]]).transpose(0, 1).indexSelect(-1, i32([1])),
    expected: [[4], [5], [6]],
  },
  { name: "indexSelect with a 0-d index", run: () => i32([[1, 2, 3], [4, 5, 6]]).indexSelect(0, k.tensor(1)), expected: [[4, 5, 6]] },
  {
    name: "indexSelect with wide rows",
    run: () => i32(wide).indexSelect(0, i32([1, 0, 1])),
    expected: [wide[1], wide[0], wide[1]],
  },
  { name: "indexSelect of a 0-d input", run: () => k.tensor(2.5).indexSelect(0, i32([0])), expected: 2.5 },
  // indexAdd
  {
    name: "indexAdd with duplicates",
    run: () => i32([[1, 1], [1, 1], [1, 1]]).indexAdd(0, i32([0, 2, 0]), i32([[1, 2], [3, 4], [5, 6]])),
    expected: [[7, 9], [1, 1], [4, 5]],
    dtype: "int32",
  },
  { name: "indexAdd with alpha", run: () => f32([0, 0, 0]).indexAdd(0, i32([1, 1]), f32([1, 2]), { alpha: 0.5 }), expected: [0, 1.5, 0] },
  { name: "indexAdd dim 1", run: () => f32([[1, 2, 3]]).indexAdd(1, i32([2, 0]), f32([[10, 20]])), expected: [[21, 2, 13]] },
  {
    name: "indexAdd of a non-contiguous source",
    run: () => i32([[0, 0], [0, 0]]).indexAdd(1, i32([1, 0]), i32([[1, 2], [3, 4]]).transpose(0, 1)),
    expected: [[3, 1], [4, 2]],
  },
  {
    name: "indexAdd_ in place",
    run: () => {
      const t = f32([1, 1]);
      t.indexAdd_(0, i32([1]), f32([5]), { alpha: -1 });
      return t;
    },
    expected: [1, -4],
  },
  // takeAlongDim
  {
    name: "takeAlongDim dim 1 (a sort permutation)",
    run: () => i32([[10, 30, 20], [60, 40, 50]]).takeAlongDim(i32([[0, 2, 1], [1, 2, 0]]), 1),
    expected: [[10, 20, 30], [40, 50, 60]],
  },
  { name: "takeAlongDim broadcasts", run: () => i32([[1, 2, 3]]).takeAlongDim(i32([[2], [0]]), 1), expected: [[3], [1]] },
  { name: "takeAlongDim negative dim", run: () => i32([[10, 30, 20], [60, 40, 50]]).takeAlongDim(i32([[1], [0]]), -1), expected: [[30], [60]] },
  { name: "takeAlongDim flattened", run: () => i32([[1, 2], [3, 4]]).takeAlongDim(i32([[3], [0]])), expected: [4, 1] },
  // embedding
  {
    name: "embedding of 2-D indices",
    run: () => k.embedding(i32([[2, 0], [1, 1]]), f32([[0, 0.5], [1, 1.5], [2, 2.5]])),
    expected: [[[2, 2.5], [0, 0.5]], [[1, 1.5], [1, 1.5]]],
    dtype: "float32",
  },
  {
    name: "embedding with a non-contiguous weight",
    run: () => k.embedding(i32([1, 0]), f32([[0, 1, 2], [10, 11, 12]]).transpose(0, 1)),
    expected: [[1, 11], [0, 10]],
  },
  { name: "embedding of a 0-d index with paddingIdx", run: () => k.embedding(k.tensor(1), f32([[0, 0.5], [1, 1.5]]), { paddingIdx: 1 }), expected: [1, 1.5] },
  // oneHot
  { name: "oneHot infers the class count", run: () => k.oneHot(i32([0, 2, 1])), expected: [[1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype: "int32" },
  { name: "oneHot with numClasses", run: () => k.oneHot(i32([[1], [0]]), 3), expected: [[[0, 1, 0]], [[1, 0, 0]]], dtype: "int32" },
  { name: "oneHot of a 0-d tensor", run: () => k.oneHot(k.tensor(1), 2), expected: [0, 1] },
  // pad
  { name: "pad constant last dim", run: () => k.pad(f32([[1, 2]]), [1, 2]), expected: [[0, 1, 2, 0, 0]], dtype: "float32" },
  {
    name: "pad constant two dims with a value",
    run: () => k.pad(i32([[1, 2], [3, 4]]), [1, 0, 0, 1], { value: 9 }),
    expected: [[9, 1, 2], [9, 3, 4], [9, 9, 9]],
    dtype: "int32",
  },
  { name: "pad negative crops", run: () => k.pad(i32([[1, 2, 3], [4, 5, 6]]), [-1, 0]), expected: [[2, 3], [5, 6]] },
  { name: "pad mixed crop and pad", run: () => k.pad(i32([[1, 2, 3], [4, 5, 6]]), [0, 1, -1, 0]), expected: [[4, 5, 6, 0]] },
  { name: "pad reflect 1-D", run: () => k.pad(f32([[[1, 2, 3]]]), [2, 1], { mode: "reflect" }), expected: [[[3, 2, 1, 2, 3, 2]]] },
  {
    name: "pad reflect 2-D",
    run: () => k.pad(f32([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]), [1, 1, 1, 1], { mode: "reflect" }),
    expected: [[[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [8, 7, 8, 9, 8], [5, 4, 5, 6, 5]]],
  },
  { name: "pad replicate 1-D", run: () => k.pad(f32([[1, 2, 3]]), [2, 1], { mode: "replicate" }), expected: [[1, 1, 1, 2, 3, 3]] },
  {
    name: "pad replicate 2-D",
    run: () => k.pad(i32([[[1, 2], [3, 4]]]), [1, 0, 0, 1], { mode: "replicate" }),
    expected: [[[1, 1, 2], [3, 3, 4], [3, 3, 4]]],
  },
  { name: "pad circular 1-D", run: () => k.pad(i32([[1, 2, 3]]), [2, 1], { mode: "circular" }), expected: [[2, 3, 1, 2, 3, 1]] },
  {
    name: "pad circular 2-D with a crop",
    run: () => k.pad(i32([[[1, 2, 3], [4, 5, 6]]]), [-1, 1, 1, 0], { mode: "circular" }),
    expected: [[[5, 6, 4], [2, 3, 1], [5, 6, 4]]],
  },
  { name: "pad a non-contiguous input", run: () => k.pad(i32([[1, 2], [3, 4]]).transpose(0, 1), [1, 0]), expected: [[0, 1, 3], [0, 2, 4]] },
  { name: "pad with an empty list copies", run: () => k.pad(i32([1, 2]), []), expected: [1, 2] },
  { name: "pad bool", run: () => k.pad(k.tensor([true]), [1, 1], { value: 1 }), expected: [true, true, true], dtype: "bool" },
  // nonzero
  { name: "nonzero 1-D", run: () => k.nonzero(i32([0, 3, 0, 5])), expected: [[1], [3]], dtype: "int32" },
  { name: "nonzero 2-D", run: () => i32([[0, 1], [1, 1]]).nonzero(), expected: [[0, 1], [1, 0], [1, 1]] },
  { name: "nonzero of floats and bools", run: () => [k.nonzero(f32([0, -0.5, NaN])), k.nonzero(k.tensor([false, true]))], expected: [[[1], [2]], [[1]]] },
  { name: "nonzero non-contiguous", run: () => i32([[0, 1], [2, 0]]).transpose(0, 1).nonzero(), expected: [[0, 1], [1, 0]] },
  { name: "nonzero asTuple", run: () => i32([[0, 1], [1, 1]]).nonzero({ asTuple: true }), expected: [[0, 1, 1], [1, 0, 1]] },
  { name: "nonzero of a 0-d tensor", run: () => k.nonzero(k.tensor(3)), expected: [[]] },
  // maskedSelect
  {
    name: "maskedSelect same shape",
    run: () => i32([[1, 2], [3, 4]]).maskedSelect(k.tensor([[true, false], [false, true]])),
    expected: [1, 4],
    dtype: "int32",
  },
  { name: "maskedSelect broadcast mask", run: () => i32([[1, 2], [3, 4]]).maskedSelect(k.tensor([true, false])), expected: [1, 3] },
  { name: "maskedSelect broadcast input", run: () => f32([1, 2]).maskedSelect(k.tensor([[true, true], [false, true]])), expected: [1, 2, 2] },
  {
    name: "maskedSelect non-contiguous",
    run: () => i32([[1, 2], [3, 4]]).transpose(0, 1).maskedSelect(k.tensor([[true, true], [false, true]])),
    expected: [1, 3, 4],
  },
  // tril / triu
  { name: "tril", run: () => i32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).tril(), expected: [[1, 0, 0], [4, 5, 0], [7, 8, 9]] },
  { name: "tril diagonal -1", run: () => i32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).tril(-1), expected: [[0, 0, 0], [4, 0, 0], [7, 8, 0]] },
  { name: "tril diagonal 1", run: () => k.tril(i32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), 1), expected: [[1, 2, 0], [4, 5, 6], [7, 8, 9]] },
  { name: "triu", run: () => i32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).triu(), expected: [[1, 2, 3], [0, 5, 6], [0, 0, 9]] },
  { name: "triu diagonal -1", run: () => i32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).triu(-1), expected: [[1, 2, 3], [4, 5, 6], [0, 8, 9]] },
  { name: "tril and triu of a wide matrix", run: () => [i32([[1, 2, 3], [4, 5, 6]]).tril(), i32([[1, 2, 3], [4, 5, 6]]).triu()], expected: [[[1, 0, 0], [4, 5, 0]], [[1, 2, 3], [0, 5, 6]]] },
  { name: "tril and triu with far diagonals", run: () => [i32([[1, 2], [3, 4]]).tril(5), i32([[1, 2], [3, 4]]).triu(5), i32([[1, 2], [3, 4]]).tril(-5)], expected: [[[1, 2], [3, 4]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]] },
  { name: "tril non-contiguous", run: () => f32([[1, 2], [3, 4]]).transpose(0, 1).tril(), expected: [[1, 0], [2, 4]], dtype: "float32" },
  { name: "triu batched", run: () => i32([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]).triu(), expected: [[[1, 2], [0, 4]], [[5, 6], [0, 8]]] },
  { name: "tril bool", run: () => k.tensor([[true, true], [true, true]]).tril(), expected: [[true, false], [true, true]], dtype: "bool" },
  {
    name: "tril_ in place",
    run: () => {
      const t = i32([[1, 2], [3, 4]]);
      t.tril_();
      return t;
    },
    expected: [[1, 0], [3, 4]],
  },
];

/** d/dx of sum(f(x)^2) with createGraph: gradchecking it checks the op's grad is differentiable. */
function secondOrder(f: (x: k.Tensor) => k.Tensor): (x: k.Tensor) => k.Tensor {
  // gradcheck evaluates the function under noGrad for its finite differences: re-enable it here.
  return (x) =>
    k.enableGrad(() => {
      const y = f(x).square().sum();
      return k.autograd.grad(y, x, { createGraph: true })[0]!;
    });
}

export const indexingGradCases: GradCase[] = [
  { name: "gather with repeated indices", fn: (x) => x!.gather(1, i32([[0, 0, 2], [1, 2, 1]])), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  { name: "gather dim 0 with a smaller index", fn: (x) => x!.gather(0, i32([[1, 0]])), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  {
    name: "scatter input and a larger src",
    fn: (x, s) => x!.scatter(1, i32([[0], [2]]), s!),
    inputs: () => [f64([[1, 2, 3], [4, 5, 6]]), f64([[7, 8], [9, 10]])],
  },
  { name: "scatter value", fn: (x) => x!.scatter(0, i32([[1, 0, 1]]), 1.5), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  {
    name: "scatterAdd with duplicates and a larger src",
    fn: (x, s) => x!.scatterAdd(0, i32([[1, 1], [1, 0]]), s!),
    inputs: () => [f64([[1, 2], [3, 4]]), f64([[5, 6, 7], [8, 9, 10], [11, 12, 13]])],
  },
  { name: "indexSelect with repeats", fn: (x) => x!.indexSelect(1, i32([2, 0, 2])), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  {
    name: "indexAdd input and source with alpha",
    fn: (x, s) => x!.indexAdd(0, i32([1, 0, 1]), s!, { alpha: 2 }),
    inputs: () => [f64([[1, 2], [3, 4]]), f64([[5, 6], [7, 8], [9, 10]])],
  },
  { name: "takeAlongDim broadcast", fn: (x) => x!.takeAlongDim(i32([[2, 0], [1, 1]]), 1), inputs: () => [f64([[1, 2, 3]])] },
  { name: "takeAlongDim flattened", fn: (x) => x!.takeAlongDim(i32([3, 0, 3])), inputs: () => [f64([[1, 2], [3, 4]])] },
  { name: "embedding", fn: (w) => k.embedding(i32([[2, 0], [2, 2]]), w!), inputs: () => [f64([[1, 2], [3, 4], [5, 6]])] },
  // The padding row is left out of the indices: its (zero) gradient is not the true derivative.
  { name: "embedding with paddingIdx", fn: (w) => k.embedding(i32([[1, 0], [1, 1]]), w!, { paddingIdx: -1 }), inputs: () => [f64([[1, 2], [3, 4], [5, 6]])] },
  { name: "pad constant", fn: (x) => k.pad(x!, [1, 2, 0, 1], { value: 3 }), inputs: () => [f64([[1, 2], [3, 4]])] },
  { name: "pad negative", fn: (x) => k.pad(x!, [-1, 1]), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  { name: "pad reflect", fn: (x) => k.pad(x!, [2, 1, 1, 1], { mode: "reflect" }), inputs: () => [f64([[[1, 2, 3], [4, 5, 6]]])] },
  { name: "pad replicate", fn: (x) => k.pad(x!, [2, 1, 0, 2], { mode: "replicate" }), inputs: () => [f64([[[1, 2, 3], [4, 5, 6]]])] },
  { name: "pad circular", fn: (x) => k.pad(x!, [3, 2, -1, 1], { mode: "circular" }), inputs: () => [f64([[[1, 2, 3], [4, 5, 6]]])] },
  { name: "maskedSelect with a broadcast input", fn: (x) => x!.maskedSelect(k.tensor([[true, false], [true, true]])), inputs: () => [f64([1, 2])] },
  { name: "tril", fn: (x) => x!.tril(), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  { name: "triu diagonal 1", fn: (x) => x!.triu(1), inputs: () => [f64([[1, 2], [3, 4], [5, 6]])] },
  // Gradients of gradients: the backward formulas are themselves differentiable ops.
  { name: "gather twice differentiable", fn: secondOrder((x) => x.gather(1, i32([[0, 0], [1, 0]])).mul(x)), inputs: () => [f64([[1, 2], [3, 4]])] },
  { name: "indexSelect twice differentiable", fn: secondOrder((x) => x.indexSelect(0, i32([1, 1, 0]))), inputs: () => [f64([[1, 2], [3, 4]])] },
  { name: "pad reflect twice differentiable", fn: secondOrder((x) => k.pad(x, [2, 1], { mode: "reflect" }).mul(c64([[[1, 2, 3, 4, 5, 6]]]))), inputs: () => [f64([[[1, 2, 3]]])] },
  { name: "maskedSelect twice differentiable", fn: secondOrder((x) => x.maskedSelect(k.tensor([true, false, true])).mul(x.narrow(0, 0, 2))), inputs: () => [f64([1, 2, 3])] },
];
