// Error messages of the joining and indexing ops (PyTorch's wording; int32 where PyTorch says int64).
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { ArgumentError, DTypeError, IndexError, KilnRuntimeError, ShapeError } from "../../src/index.js";

const i32 = (data: k.NestedData) => k.tensor(data, { dtype: "int32" });
const f32 = (data: k.NestedData) => k.tensor(data, { dtype: "float32" });

function throws(fn: () => unknown, cls: new (...args: never[]) => Error, message: string | RegExp): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, "expected an error").toBeInstanceOf(cls);
  if (typeof message === "string") expect((err as Error).message).toBe(message);
  else expect((err as Error).message).toMatch(message);
}

describe("join errors", () => {
  it("cat", () => {
    throws(
      () => k.cat([f32([[1, 2]]), f32([[1, 2, 3]])]),
      ShapeError,
      "Sizes of tensors must match except in dimension 0. Expected size 2 but got size 3 for tensor number 1 in the list.",
    );
    throws(
      () => k.cat([f32([[1, 2], [3, 4]]), f32([[1], [2], [3]])], 1),
      ShapeError,
      "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in the list.",
    );
    throws(() => k.cat([]), ArgumentError, "cat(): expected a non-empty list of Tensors");
    throws(() => k.cat([f32([1]), k.tensor(2)]), ShapeError, "zero-dimensional tensor (at position 1) cannot be concatenated");
    throws(() => k.cat([f32([[1]]), f32([1])]), ShapeError, "Tensors must have same number of dimensions: got 2 and 1");
    throws(() => k.cat([f32([1]), f32([2])], 1), IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
    throws(() => k.cat([f32([1]), [2] as unknown as k.Tensor]), ArgumentError, /cat\(\): argument 'tensors\[1\]' must be Tensor/);
  });

  it("stack", () => {
    throws(
      () => k.stack([f32([[1, 2, 3]]), f32([[1, 2]])]),
      ShapeError,
      "stack expects each tensor to be equal size, but got [1, 3] at entry 0 and [1, 2] at entry 1",
    );
    throws(() => k.stack([]), ArgumentError, "stack expects a non-empty TensorList");
    throws(() => k.stack([f32([1])], 2), IndexError, /Dimension out of range/);
  });

  it("repeat, flip, roll", () => {
    throws(
      () => f32([[1]]).repeat(2),
      ShapeError,
      "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
    );
    throws(() => f32([1]).repeat(-1), ArgumentError, /negative dimension -1/);
    throws(() => f32([[1]]).flip([0, -2]), ArgumentError, "dim 0 appears multiple times in the list of dims");
    throws(() => f32([1]).flip(1), IndexError, /Dimension out of range/);
    throws(() => f32([[1]]).roll([1, 2], 0), ArgumentError, "shifts and dimensions must align. shifts: 2, dims:1");
    throws(() => f32([[1]]).roll([1, 2]), ArgumentError, "shifts and dimensions must align. shifts: 2, dims:0");
  });
});

describe("index dtype errors", () => {
  it("index tensors must be int32 (bool and floats are rejected)", () => {
    throws(() => f32([1, 2]).gather(0, f32([0])), DTypeError, "gather(): Expected dtype int32 for index, but got Float");
    throws(() => f32([1, 2]).gather(0, k.tensor([true])), DTypeError, "gather(): Expected dtype int32 for index, but got Bool");
    throws(() => f32([1, 2]).scatter(0, f32([0]), 1), DTypeError, "scatter(): Expected dtype int32 for index, but got Float");
    throws(() => f32([1, 2]).scatterAdd(0, k.tensor([true]), f32([1])), DTypeError, "scatterAdd(): Expected dtype int32 for index, but got Bool");
    throws(() => f32([1, 2]).indexSelect(0, k.tensor([0], { dtype: "float64" })), DTypeError, "indexSelect(): Expected dtype int32 for index, but got Double");
    throws(() => f32([1, 2]).indexAdd(0, k.tensor([true]), f32([1])), DTypeError, "indexAdd(): Expected dtype int32 for index, but got Bool");
    throws(() => f32([1, 2]).takeAlongDim(f32([0]), 0), DTypeError, "takeAlongDim(): dtype of indices should be Int but got Float");
    throws(
      () => k.embedding(f32([0]), f32([[1, 2]])),
      DTypeError,
      "Expected tensor for argument #1 'indices' to have one of the following scalar types: Int; but got Float instead (while checking arguments for embedding)",
    );
    throws(() => k.oneHot(f32([0])), DTypeError, "one_hot is only applicable to index tensor of type Int (int32), but got Float");
  });

  it("src dtypes must match self", () => {
    throws(() => f32([1, 2]).scatter(0, i32([0]), i32([1])), DTypeError, "scatter(): Expected self.dtype to be equal to src.dtype");
    throws(() => f32([1, 2]).scatterAdd(0, i32([0]), k.tensor([1], { dtype: "float64" })), DTypeError, "scatterAdd(): Expected self.dtype to be equal to src.dtype");
    throws(() => f32([1, 2]).indexAdd(0, i32([0]), i32([1])), DTypeError, "indexAdd(): self (Float) and source (Int) must have the same scalar type");
  });
});

describe("out-of-range indices", () => {
  it("gather, scatter and scatterAdd", () => {
    throws(() => f32([1, 2, 3]).gather(0, i32([0, 5])), IndexError, "index 5 is out of bounds for dimension 0 with size 3");
    throws(() => f32([1, 2, 3]).gather(0, i32([-1])), IndexError, "index -1 is out of bounds for dimension 0 with size 3");
    throws(() => f32([[1, 2, 3]]).gather(1, i32([[3]])), IndexError, "index 3 is out of bounds for dimension 1 with size 3");
    throws(() => f32([1, 2, 3]).scatter(0, i32([3]), f32([1])), IndexError, "index 3 is out of bounds for dimension 0 with size 3");
    throws(() => f32([1, 2, 3]).scatter(0, i32([-4]), 0), IndexError, "index -4 is out of bounds for dimension 0 with size 3");
    throws(() => f32([1, 2, 3]).scatterAdd(0, i32([0, 7]), f32([1, 2])), IndexError, "index 7 is out of bounds for dimension 0 with size 3");
  });

  it("a failing in-place scatterAdd_ leaves its target unchanged", () => {
    const t = f32([1, 2, 3]);
    throws(() => t.scatterAdd_(0, i32([0, 9]), f32([5, 5])), IndexError, "index 9 is out of bounds for dimension 0 with size 3");
    expect(t.tolist()).toEqual([1, 2, 3]);
  });

  it("indexSelect, indexAdd, takeAlongDim, embedding, oneHot", () => {
    throws(() => f32([[1, 2]]).indexSelect(1, i32([2])), IndexError, "index 2 is out of bounds for dimension 1 with size 2");
    throws(() => f32([1, 2]).indexSelect(0, i32([-1])), IndexError, "index -1 is out of bounds for dimension 0 with size 2");
    throws(() => f32([1, 2]).indexAdd(0, i32([2]), f32([1])), IndexError, "index 2 is out of bounds for dimension 0 with size 2");
    throws(() => f32([[1, 2]]).takeAlongDim(i32([[2]]), 1), IndexError, "index 2 is out of bounds for dimension 1 with size 2");
    throws(() => k.embedding(i32([0, 3]), f32([[1], [2], [3]])), IndexError, "index 3 is out of bounds for dimension 0 with size 3");
    throws(() => k.embedding(i32([-1]), f32([[1], [2], [3]])), IndexError, "index -1 is out of bounds for dimension 0 with size 3");
    throws(() => k.oneHot(i32([0, 3]), 3), KilnRuntimeError, "Class values must be smaller than num_classes.");
    throws(() => k.oneHot(i32([0, -1]), 3), KilnRuntimeError, "Class values must be non-negative.");
    throws(() => k.oneHot(k.tensor([], { dtype: "int32" })), ArgumentError, "Can not infer total number of classes from empty tensor.");
  });
});

describe("shape errors", () => {
  it("gather and scatter shapes", () => {
    throws(() => f32([[1, 2]]).gather(0, i32([0])), ShapeError, "Index tensor must have the same number of dimensions as input tensor");
    throws(
      () => f32([[1, 2], [3, 4]]).gather(0, i32([[0, 1, 0]])),
      ShapeError,
      "Size does not match at dimension 1 expected index [1, 3] to be smaller than self [2, 2] apart from dimension 0",
    );
    throws(() => f32([[1, 2]]).scatter(0, i32([0]), 1), ShapeError, "Index tensor must have the same number of dimensions as self tensor");
    throws(() => f32([[1, 2]]).scatter(0, i32([[0]]), f32([1])), ShapeError, "Index tensor must have the same number of dimensions as src tensor");
    throws(
      () => f32([[1, 2]]).scatter(0, i32([[0, 0]]), f32([[1]])),
      ShapeError,
      "Expected index [1, 2] to be smaller than self [1, 2] apart from dimension 0 and to be smaller size than src [1, 1]",
    );
    throws(
      () => f32([[1, 2]]).scatter(0, i32([[0, 0, 0]]), 2),
      ShapeError,
      "Expected index [1, 3] to be smaller than self [1, 2] apart from dimension 0",
    );
  });

  it("indexSelect and indexAdd shapes", () => {
    throws(() => f32([1, 2]).indexSelect(0, i32([[0]])), IndexError, "indexSelect(): Index is supposed to be a vector");
    throws(
      () => f32([[1, 2]]).indexAdd(0, i32([0]), f32([[1, 2, 3]])),
      ShapeError,
      "indexAdd(): Source/destination tensor must have same slice shapes. Destination slice shape: 2 at dimension 1 and source slice shape: 3 at dimension 1.",
    );
    throws(
      () => f32([[1, 2]]).indexAdd(0, i32([0, 0]), f32([[1, 2]])),
      ShapeError,
      "indexAdd(): Number of indices (2) should be equal to source.size(dim) (1), for dim: 0",
    );
    throws(() => i32([1]).indexAdd(0, i32([0]), i32([1]), { alpha: 0.5 }), ArgumentError, /alpha must not be a floating point number/);
  });

  it("takeAlongDim and embedding shapes", () => {
    throws(
      () => f32([[1, 2]]).takeAlongDim(i32([0]), 0),
      ShapeError,
      "takeAlongDim(): input and indices should have the same number of dimensions, but got 2 dimensions for input, and 1 dimensions for indices",
    );
    throws(() => f32([[1, 2]]).takeAlongDim(i32([[0, 0, 0]]), 0), ShapeError, /The size of tensor a \(2\) must match the size of tensor b \(3\)/);
    throws(() => k.embedding(i32([0]), f32([1, 2])), ShapeError, "'weight' must be 2-D");
    throws(() => k.embedding(i32([0]), f32([[1], [2]]), { paddingIdx: 2 }), ArgumentError, "Padding_idx must be within num_embeddings");
    throws(() => k.embedding(i32([0]), f32([[1], [2]]), { paddingIdx: -3 }), ArgumentError, "Padding_idx must be within num_embeddings");
  });

  it("pad", () => {
    throws(() => k.pad(f32([[1]]), [1]), ArgumentError, "Padding length must be divisible by 2");
    throws(
      () => k.pad(f32([1]), [1, 1, 1, 1]),
      ArgumentError,
      "Padding length should be less than or equal to two times the input dimension but got padding length 4 and input of dimension 1",
    );
    throws(
      () => k.pad(f32([[1, 2]]), [-2, -1]),
      ShapeError,
      "The input size 2, plus negative padding -2 and -1 resulted in a negative output size, which is invalid. Check dimension 1 of your input.",
    );
    throws(
      () => k.pad(f32([[1, 2, 3]]), [3, 0], { mode: "reflect" }),
      ShapeError,
      "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (3, 0) at dimension 1 of input [1, 3]",
    );
    throws(() => k.pad(f32([1, 2, 3]), [1, 1], { mode: "reflect" }), ArgumentError, "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    throws(() => k.pad(f32([[1, 2]]), [1, 1], { mode: "replicate", value: 2 }), ArgumentError, 'Padding mode "replicate" doesn\'t take in value argument');
    throws(() => k.pad(f32([[1, 2]]), [1, 1], { mode: "wrap" as "reflect" }), ArgumentError, "Unrecognised padding mode wrap");
    throws(() => k.pad(f32([[1, 2]]), [3, 0], { mode: "circular" }), ShapeError, "Padding value causes wrapping around more than once.");
    throws(
      () => k.pad(f32([1, 2]), [1, 0], { mode: "circular" }),
      ArgumentError,
      "Invalid padding size, expected 1 or 2 non-padded dimensions, which would be equivalent to padding of length 0 or -2 respectively but got 2",
    );
    throws(() => k.pad(f32([[1, 2]]), [-1, 0], { mode: "replicate" }), ArgumentError, /negative padding is only supported in "constant" mode/);
  });

  it("maskedSelect and tril", () => {
    throws(() => f32([1, 2]).maskedSelect(i32([1, 0])), DTypeError, "maskedSelect: expected BoolTensor for mask, but got Int");
    throws(() => f32([1, 2]).maskedSelect(k.tensor([true, false, true])), ShapeError, /The size of tensor a \(2\) must match the size of tensor b \(3\)/);
    throws(() => f32([1, 2]).tril(), ShapeError, "tril: input tensor must have at least 2 dimensions");
    throws(() => f32([1, 2]).triu(), ShapeError, "triu: input tensor must have at least 2 dimensions");
  });
});
