// Public linear-algebra functions and their Tensor methods.
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1 } from "../dispatch/dispatch.js";
import { toTensor } from "../core/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import type { DiagonalAttrs } from "../ops/linalg.js";
import "../ops/linalg.js";

function pair(name: string, a: string, b: string) {
  return (input: Tensor, other: Tensor): Tensor =>
    dispatch1(name, [toTensor(input, name, a, false), toTensor(other, name, b, false)]);
}

/** torch.matmul: dot, matrix-vector, matrix-matrix or batched products with broadcast batch dims. */
export const matmul = pair("matmul", "input", "other");
/** torch.mm: a product of two matrices. */
export const mm = pair("mm", "input", "mat2");
/** torch.bmm: a product of two batches of matrices [b, n, m] × [b, m, p]. */
export const bmm = pair("bmm", "input", "mat2");
/** torch.mv: a matrix-vector product. */
export const mv = pair("mv", "input", "vec");
/** torch.dot: the dot product of two 1-D tensors. */
export const dot = pair("dot", "input", "tensor");
/** torch.outer: the outer product of two 1-D tensors. */
export const outer = pair("outer", "input", "vec2");

export interface AddmmOptions {
  beta?: number;
  alpha?: number;
}

/** torch.addmm: beta·input + alpha·(mat1 @ mat2). */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor, options: AddmmOptions = {}): Tensor {
  return dispatch1(
    "addmm",
    [toTensor(input, "addmm", "input", false), toTensor(mat1, "addmm", "mat1", false), toTensor(mat2, "addmm", "mat2", false)],
    { beta: options.beta ?? 1, alpha: options.alpha ?? 1 },
  );
}

/** torch.baddbmm: beta·input + alpha·(batch1 @ batch2). */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options: AddmmOptions = {}): Tensor {
  return dispatch1(
    "baddbmm",
    [
      toTensor(input, "baddbmm", "input", false),
      toTensor(batch1, "baddbmm", "batch1", false),
      toTensor(batch2, "baddbmm", "batch2", false),
    ],
    { beta: options.beta ?? 1, alpha: options.alpha ?? 1 },
  );
}

/**
 * torch.einsum: `einsum("ij,jk->ik", a, b)` (or `einsum("ij,jk->ik", [a, b])`). Supports
 * repeated subscripts (diagonals), implicit output, ellipsis and size-1 broadcasting.
 */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  if (typeof equation !== "string") {
    throw new ArgumentError(`einsum(): argument 'equation' must be str, not ${describeValue(equation)}`);
  }
  const list = operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands;
  const tensors = list.map((t, i) => toTensor(t, "einsum", `operands[${i}]`, false));
  return dispatch1("einsum", tensors, { equation });
}

/** torch.diagonal: a view of the diagonal over dims dim1 and dim2 (appended as the last dim). */
export function diagonal(input: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  return dispatch1("diagonal", [toTensor(input, "diagonal", "input", false)], { offset, dim1, dim2 });
}

const linalgMethods = {
  matmul,
  mm,
  bmm,
  mv,
  dot,
  outer,
  addmm,
  baddbmm,
  diagonal,
  /** Internal: the adjoint of diagonal (used by its gradient formula). */
  _diagonalBackward(g: Tensor, inputSize: number[], attrs: DiagonalAttrs): Tensor {
    return dispatch1("diagonalBackward", [g], { inputSize, offset: attrs.offset, dim1: attrs.dim1, dim2: attrs.dim2 });
  },
};
installMethods(linalgMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof linalgMethods> {}
}
