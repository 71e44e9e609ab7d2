// Reductions over all dims or a list of dims, with keepdim.
import { type DType, isFloating } from "../core/dtype.js";
import { normalizeDims } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp, type OutputMeta } from "./registry.js";
import { reduceKernel } from "./reduce-kernel.js";
import { DTypeError } from "../core/errors.js";
import { torchTypeName } from "../core/dtype.js";

export interface ReduceAttrs {
  /** Reduced dims; null reduces over all of them. */
  dims: number[] | null;
  keepdim: boolean;
}

/** The normalised reduced dims of `x`. */
export function reducedDims(x: Tensor, dims: readonly number[] | null): number[] {
  if (dims === null || dims.length === 0) return x.shape.map((_, i) => i);
  return normalizeDims(dims, x.ndim);
}

/** Output shape of a reduction over `dims`. */
export function reducedShape(x: Tensor, dims: readonly number[], keepdim: boolean): number[] {
  const set = new Set(dims);
  const out: number[] = [];
  x.shape.forEach((s, i) => {
    if (!set.has(i)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

export function reduceMeta(x: Tensor, attrs: ReduceAttrs, dtype: DType): OutputMeta[] {
  return [{ shape: reducedShape(x, reducedDims(x, attrs.dims), attrs.keepdim), dtype }];
}

/** Expands a reduced gradient back over the reduced dims of the input. */
export function expandReduced(g: Tensor, inputShape: readonly number[], attrs: ReduceAttrs): Tensor {
  let r = g;
  if (!attrs.keepdim) {
    const dims = attrs.dims === null || attrs.dims.length === 0 ? inputShape.map((_, i) => i) : attrs.dims.map((d) => (d < 0 ? d + inputShape.length : d));
    for (const d of [...dims].sort((a, b) => a - b)) r = r.unsqueeze(d);
  }
  return r.expand(inputShape.slice());
}

const sumDType = (d: DType): DType => (isFloating(d) ? d : "int32");

export const sum = defineOp<ReduceAttrs>({
  name: "sum",
  kind: "reduction",
  meta: ([x], attrs) => reduceMeta(x!, attrs, sumDType(x!.dtype)),
  kernel: reduceKernel(
    () => ({ init: "let acc = 0;", step: "acc += x;", result: "acc" }),
    (x, a) => reducedDims(x, a.dims),
  ),
  grad: (ctx, [g]) => [expandReduced(g!, ctx.inputShape(0), ctx.attrs)],
});

export const mean = defineOp<ReduceAttrs>({
  name: "mean",
  kind: "reduction",
  meta([x], attrs) {
    if (!isFloating(x!.dtype)) {
      throw new DTypeError(
        `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${torchTypeName(x!.dtype)}`,
      );
    }
    return reduceMeta(x!, attrs, x!.dtype);
  },
  kernel: reduceKernel(
    () => ({ init: "let acc = 0;", step: "acc += x;", result: "acc / count" }),
    (x, a) => reducedDims(x, a.dims),
  ),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    const dims = reducedDimsOfShape(shape, ctx.attrs.dims);
    const count = dims.reduce((n, d) => n * shape[d]!, 1);
    return [expandReduced(g!.div(count), shape, ctx.attrs)];
  },
});

/** Like reducedDims but from a shape (for gradient formulas, which only keep shapes). */
export function reducedDimsOfShape(shape: readonly number[], dims: readonly number[] | null): number[] {
  if (dims === null || dims.length === 0) return shape.map((_, i) => i);
  return dims.map((d) => (d < 0 ? d + shape.length : d));
}
