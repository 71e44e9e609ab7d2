import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { linalgCases, linalgGradCases, det } from "./cases/linalg.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("linalg ops", linalgCases);
runGradCases("linalg gradients", linalgGradCases);

const f = (shape: number[], dtype: "float32" | "float64" = "float32") => det(shape, 1, dtype);

describe("linalg errors", () => {
  const cases: [string, () => unknown, string][] = [
    ["mm shapes", () => k.mm(f([2, 3]), f([4, 5])), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"],
    ["matmul 2-D shapes", () => k.matmul(f([2, 3]), f([4, 5])), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"],
    ["matmul 0-D", () => k.matmul(k.tensor(1.5), f([2, 2])), "both arguments to matmul need to be at least 1D, but they are 0D and 2D"],
    [
      "dot sizes",
      () => k.dot(f([3]), f([4])),
      "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively",
    ],
    [
      "matmul 1-D sizes",
      () => k.matmul(f([3]), f([4])),
      "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively",
    ],
    ["mv sizes", () => k.matmul(f([2, 3]), f([4])), "size mismatch, got input (2), mat (2x3), vec (4)"],
    ["1-D · 2-D", () => k.matmul(f([3]), f([4, 5])), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"],
    ["3-D · 2-D folds", () => k.matmul(f([2, 3, 4]), f([5, 6])), "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x6)"],
    [
      "batched sizes",
      () => k.matmul(f([2, 3, 4]), f([2, 5, 6])),
      "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
    ],
    [
      "batch dims do not broadcast",
      () => k.matmul(f([2, 3, 4]), f([3, 4, 6])),
      "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
    ],
    ["dtype mismatch", () => k.matmul(f([2, 2]), f([2, 2], "float64")), "expected m1 and m2 to have the same dtype, but got: float != double"],
    ["mm needs matrices", () => k.mm(f([2]), f([2, 2])), "self must be a matrix"],
    ["bmm needs 3-D", () => k.bmm(f([2, 2]), f([1, 2, 2])), "batch1 must be a 3D tensor"],
    [
      "bmm sizes",
      () => k.bmm(f([2, 3, 4]), f([2, 5, 6])),
      "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
    ],
    ["dot needs 1-D", () => k.dot(f([2, 2]), f([2, 2])), "1D tensors expected, but got 2D and 2D tensors"],
    ["outer needs 1-D", () => k.outer(f([2, 2]), f([2])), "outer: Expected 1-D argument self, but got 2-D"],
    ["addmm mat1", () => k.addmm(f([2]), f([2]), f([2, 2])), "mat1 must be a matrix, got 1-D tensor"],
    [
      "addmm input does not broadcast",
      () => k.addmm(f([3]), f([2, 2]), f([2, 2])),
      "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 2].  Tensor sizes: [3]",
    ],
    ["einsum too many operands", () => k.einsum("ij->i", f([2, 2]), f([2])), "einsum(): more operands were provided than specified in the equation"],
    ["einsum too few operands", () => k.einsum("ij,j->i", f([2, 2])), "einsum(): fewer operands were provided than specified in the equation"],
    [
      "einsum subscript count",
      () => k.einsum("ijk->i", f([2, 2])),
      "einsum(): the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 and no ellipsis was given",
    ],
    [
      "einsum size mismatch",
      () => k.einsum("ij,jk->ik", f([2, 3]), f([4, 2])),
      "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3",
    ],
    [
      "einsum invalid subscript",
      () => k.einsum("i1->i", f([2, 2])),
      "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]",
    ],
    ["einsum repeated output", () => k.einsum("ij->ii", f([2, 2])), "einsum(): output subscript i appears more than once in the output"],
    [
      "einsum unknown output",
      () => k.einsum("ij->k", f([2, 2])),
      "einsum(): output subscript k does not appear in the equation for any input operand",
    ],
    ["diagonal identical dims", () => f([2, 2]).diagonal(0, 1, 1), "diagonal dimensions cannot be identical 1, 1"],
  ];
  for (const [name, fn, message] of cases) {
    it(name, () => expect(fn).toThrow(message));
  }

  it("shape errors are ShapeError", () => {
    expect(() => k.mm(f([2, 3]), f([4, 5]))).toThrow(k.ShapeError);
  });
});

describe("matmul kernel", () => {
  it("diagonal is a view sharing storage", () => {
    const x = f([3, 3]);
    const d = x.diagonal();
    expect(d._storage).toBe(x._storage);
    expect(d.stride()).toEqual([4]);
  });

  it("backward reduces broadcast batch dims", () => {
    const a = det([3, 4], 1, "float64", true);
    const b = det([5, 4, 2], 2, "float64", true);
    a.matmul(b).sum().backward();
    expect(a.grad!.shape).toEqual([3, 4]);
    expect(b.grad!.shape).toEqual([5, 4, 2]);
  });

  it("handles empty dims", () => {
    expect(k.matmul(f([0, 3]), f([3, 2])).shape).toEqual([0, 2]);
    expect(k.matmul(f([2, 0]), f([0, 2])).tolist()).toEqual([[0, 0], [0, 0]]);
  });
});
