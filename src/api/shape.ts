// Public view and copy functions and their Tensor methods.
import { checkDType, type DType } from "../core/dtype.js";
import { ArgumentError, ShapeError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1, writeInto } from "../dispatch/dispatch.js";
import { dispatch } from "../dispatch/dispatch.js";
import { toTensor } from "../core/operands.js";
import { chunkSplit } from "../ops/views.js";
import type { Geometry } from "../ops/copy.js";
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

function asInput(input: unknown, op: string): Tensor {
  return toTensor(input, op, "input", false);
}

/** flatten: merges dims startDim..endDim (a view when possible, else a copy). */
export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  return dispatch1("flatten", [asInput(input, "flatten")], { startDim, endDim });
}
/** unflatten: splits `dim` into `sizes` (one may be -1). */
export function unflatten(input: Tensor, dim: number, sizes: number[]): Tensor {
  return dispatch1("unflatten", [asInput(input, "unflatten")], { dim, sizes: sizeArgs("unflatten", sizes) });
}
/** narrow: `length` entries from `start` (may be negative) along `dim`, as a view. */
export function narrow(input: Tensor, dim: number, start: number, length: number): Tensor {
  return dispatch1("narrow", [asInput(input, "narrow")], { dim, start, length });
}
/** select: index `index` (may be negative) of `dim`, removing the dim; a view. */
export function select(input: Tensor, dim: number, index: number): Tensor {
  return dispatch1("select", [asInput(input, "select")], { dim, index });
}
/** slice: input[..., start:end:step, ...] along `dim` with Python's clamping; a view. */
export function slice(input: Tensor, dim = 0, start: number | null = null, end: number | null = null, step = 1): Tensor {
  return dispatch1("slice", [asInput(input, "slice")], { dim, start: start ?? null, end: end ?? null, step });
}
/** chunk: `chunks` views of (nearly) equal size along `dim`. */
export function chunk(input: Tensor, chunks: number, dim = 0): Tensor[] {
  const x = asInput(input, "chunk");
  return dispatch("split", [x], { split: chunkSplit(x, chunks, dim), dim });
}
/** split: views of `splitSizeOrSections` entries each (the last may be smaller), or of the given sizes. */
export function split(input: Tensor, splitSizeOrSections: number | number[], dim = 0): Tensor[] {
  const split = Array.isArray(splitSizeOrSections) ? splitSizeOrSections.slice() : splitSizeOrSections;
  return dispatch("split", [asInput(input, "split")], { split, dim });
}
/** unbind: the views x.select(dim, i) for every i. */
export function unbind(input: Tensor, dim = 0): Tensor[] {
  return dispatch("unbind", [asInput(input, "unbind")], { dim });
}
export function expandAs(input: Tensor, other: Tensor): Tensor {
  return expand(asInput(input, "expandAs"), toTensor(other, "expandAs", "other", false).shape.slice());
}
export function viewAs(input: Tensor, other: Tensor): Tensor {
  return view(asInput(input, "viewAs"), toTensor(other, "viewAs", "other", false).shape.slice());
}
export function reshapeAs(input: Tensor, other: Tensor): Tensor {
  return reshape(asInput(input, "reshapeAs"), toTensor(other, "reshapeAs", "other", false).shape.slice());
}
/** as_strided: a view with any sizes, strides and storage offset over the input's storage. */
export function asStrided(input: Tensor, size: number[], stride: number[], storageOffset: number | null = null): Tensor {
  return dispatch1("asStrided", [asInput(input, "asStrided")], {
    size: sizeArgs("asStrided", size),
    stride: sizeArgs("asStrided", stride),
    offset: storageOffset,
  });
}
/** slice_scatter: a copy of `input` with input[..., start:end:step, ...] replaced by `src`. */
export function sliceScatter(input: Tensor, src: Tensor, dim = 0, start: number | null = null, end: number | null = null, step = 1): Tensor {
  return dispatch1("sliceScatter", [asInput(input, "sliceScatter"), toTensor(src, "sliceScatter", "src", false)], {
    dim,
    start: start ?? null,
    end: end ?? null,
    step,
  });
}
/** select_scatter: a copy of `input` with input.select(dim, index) replaced by `src`. */
export function selectScatter(input: Tensor, src: Tensor, dim: number, index: number): Tensor {
  return dispatch1("selectScatter", [asInput(input, "selectScatter"), toTensor(src, "selectScatter", "src", false)], { dim, index });
}
/** The backward of asStrided (sums elements that meet at one storage position); internal. */
export function stridedAccumulate(input: Tensor, from: Geometry, to: Geometry): Tensor {
  return dispatch1("stridedAccumulate", [asInput(input, "stridedAccumulate")], { from, to });
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
  flatten,
  unflatten,
  narrow,
  select,
  slice,
  chunk,
  split,
  unbind,
  expandAs,
  viewAs,
  reshapeAs,
  asStrided,
  sliceScatter,
  selectScatter,
  stridedAccumulate,
  float: (input: Tensor): Tensor => to(input, "float32"),
  double: (input: Tensor): Tensor => to(input, "float64"),
  int: (input: Tensor): Tensor => to(input, "int32"),
  bool: (input: Tensor): Tensor => to(input, "bool"),
};
installMethods(shapeMethods);

/** x.T: all dims reversed (the transpose of a matrix; a no-op view for 0-d and 1-d). */
export function numpyT(input: Tensor): Tensor {
  const x = asInput(input, "T");
  return permute(x, Array.from({ length: x.ndim }, (_, i) => x.ndim - 1 - i));
}
/** x.mT: the last two dims swapped (a batch of matrix transposes). */
export function matrixT(input: Tensor): Tensor {
  const x = asInput(input, "mT");
  if (x.ndim < 2) throw new ShapeError(`tensor.mT is only supported on matrices or batches of matrices. Got ${x.ndim}-D tensor.`);
  return transpose(x, -2, -1);
}
Object.defineProperty(Tensor.prototype, "T", {
  get(this: Tensor) {
    return numpyT(this);
  },
  configurable: true,
});
Object.defineProperty(Tensor.prototype, "mT", {
  get(this: Tensor) {
    return matrixT(this);
  },
  configurable: true,
});

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof shapeMethods> {
    /** All dims reversed (x.permute of the reversed dims). */
    readonly T: Tensor;
    /** The last two dims swapped. */
    readonly mT: Tensor;
  }
}
