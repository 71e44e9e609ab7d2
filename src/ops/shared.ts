// Meta-function building blocks shared by op families: dtype checks, broadcasting, promotion.
import { type DType, isFloating, resultType, torchTypeName } from "../core/dtype.js";
import { DTypeError } from "../core/errors.js";
import { broadcastAll, shapesEqual } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { promotionOperand } from "../core/operands.js";
import type { OutputMeta } from "./registry.js";

/** The dtype of a float-valued result: floats keep theirs, integers and bools give float32. */
export function floatResult(dtype: DType): DType {
  return isFloating(dtype) ? dtype : "float32";
}

/** PyTorch's type promotion over op inputs (wrapped numbers count as scalars). */
export function promote(inputs: readonly Tensor[]): DType {
  // Common case first: no wrapped numbers and one dtype.
  const d0 = inputs[0]?.dtype;
  let same = d0 !== undefined;
  for (const t of inputs) if (t._wrappedNumber || t.dtype !== d0) same = false;
  if (same) return d0!;
  // Floating tensors of one dtype with numbers (`x.add(1)`, `x.mul(0.5)`): a number never raises a
  // floating tensor's dtype, so the tensors' dtype is the result.
  let floating: DType | null = null;
  for (const t of inputs) {
    if (t._wrappedNumber) continue;
    if ((floating !== null && t.dtype !== floating) || !isFloating(t.dtype)) {
      floating = null;
      break;
    }
    floating = t.dtype;
  }
  if (floating !== null) return floating;
  return resultType(...inputs.map(promotionOperand));
}

/** Output meta of an elementwise op: broadcast shape with the given dtype. */
export function elementwiseMeta(inputs: readonly Tensor[], dtype: DType): OutputMeta[] {
  // Common case first: inputs of one shape, or with 0-d operands (numbers).
  let shape: readonly number[] | null = null;
  let simple = true;
  for (const t of inputs) {
    if (t.ndim === 0) continue;
    if (shape === null) shape = t.shape;
    else if (!shapesEqual(shape, t.shape)) simple = false;
  }
  if (simple) return [{ shape: shape === null ? [] : shape.slice(), dtype }];
  return [{ shape: broadcastAll(inputs.map((t) => t.shape)), dtype }];
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloating(t.dtype)) {
    throw new DTypeError(`${op}(): expected a floating point tensor, but got ${torchTypeName(t.dtype)}`);
  }
}

export function rejectBool(op: string, t: Tensor): void {
  if (t.dtype === "bool") {
    throw new DTypeError(`${op}(): is not implemented for Bool tensors`);
  }
}
