// Public view and copy functions and their Tensor methods.
import { checkDType, type DType } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1, writeInto } from "../dispatch/dispatch.js";
import { toTensor } from "../dispatch/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/views.js";
import "../ops/copy.js";

function sizeArgs(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(`${op}(): shape must be an array of integers, but got ${describeValue(shape)}`);
  return shape as number[];
}

export function view(input: Tensor, shape: number[]): Tensor {
  return dispatch1("view", [toTensor(input, "view", "input", false)], { shape: sizeArgs("view", shape) });
}
export function reshape(input: Tensor, shape: number[]): Tensor {
  return dispatch1("reshape", [toTensor(input, "reshape", "input", false)], { shape: sizeArgs("reshape", shape) });
}
export function permute(input: Tensor, dims: number[]): Tensor {
  return dispatch1("permute", [toTensor(input, "permute", "input", false)], { dims });
}
export function transpose(input: Tensor, dim0: number, dim1: number): Tensor {
  return dispatch1("transpose", [toTensor(input, "transpose", "input", false)], { dim0, dim1 });
}
export function expand(input: Tensor, size: number[]): Tensor {
  return dispatch1("expand", [toTensor(input, "expand", "input", false)], { size: sizeArgs("expand", size) });
}
export function unsqueeze(input: Tensor, dim: number): Tensor {
  return dispatch1("unsqueeze", [toTensor(input, "unsqueeze", "input", false)], { dim });
}
export function squeeze(input: Tensor, dim?: number | number[]): Tensor {
  const dims = dim === undefined ? null : Array.isArray(dim) ? dim : [dim];
  return dispatch1("squeeze", [toTensor(input, "squeeze", "input", false)], { dims });
}
export function clone(input: Tensor): Tensor {
  return dispatch1("clone", [toTensor(input, "clone", "input", false)]);
}
export function contiguous(input: Tensor): Tensor {
  return input.isContiguous() ? input : clone(input);
}
/** Converts to a dtype (a no-op returning the same tensor when it already has it, like PyTorch). */
export function to(input: Tensor, dtype: DType): Tensor {
  checkDType(dtype);
  return input.dtype === dtype ? input : dispatch1("cast", [toTensor(input, "to", "input", false)], { dtype });
}
/** copy_: writes `src` (broadcast, cast) into `input`. */
export function copy_(input: Tensor, src: Tensor): Tensor {
  return writeInto(toTensor(input, "copy_", "self", false), toTensor(src, "copy_", "src"));
}

const shapeMethods = {
  view,
  reshape,
  permute,
  transpose,
  expand,
  unsqueeze,
  squeeze,
  clone,
  contiguous,
  to,
  copy_,
};
installMethods(shapeMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof shapeMethods> {}
}
