// Argument helpers shared by the creation and random functions (not part of the public API).
import { isFloating } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { checkShape } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorOptions } from "./creation.js";

/** Validates a size argument: non-negative integers (PyTorch's messages). */
export function sizeOf(size: unknown, op: string): number[] {
  if (typeof size === "number") return checkShape([size]);
  if (!Array.isArray(size)) throw new ArgumentError(`${op}(): argument 'size' must be an array of integers, not ${describeValue(size)}`);
  return checkShape(size);
}

/** Applies `requiresGrad` to a new leaf (floating dtypes only). */
export function finishLeaf(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) {
    if (!isFloating(t.dtype)) throw new ArgumentError("Only Tensors of floating point and complex dtype can require gradients");
    t.requiresGrad = true;
  }
  return t;
}

