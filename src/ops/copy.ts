// Copies and dtype conversion: clone and cast.
import { checkDType, type DType } from "../core/dtype.js";
import { pointwiseKernel } from "./pointwise-kernel.js";
import { defineOp } from "./registry.js";
import { gradAs } from "./grad-utils.js";

export const clone = defineOp<object>({
  name: "clone",
  kind: "pointwise",
  meta: ([x]) => [{ shape: x!.shape.slice(), dtype: x!.dtype }],
  kernel: pointwiseKernel(([x]) => x!),
  pointwise: ([x]) => x!,
  grad: (_c, [g]) => [g],
});

export interface CastAttrs {
  dtype: DType;
}

export const cast = defineOp<CastAttrs>({
  name: "cast",
  kind: "pointwise",
  meta: ([x], { dtype }) => [{ shape: x!.shape.slice(), dtype: checkDType(dtype) }],
  kernel: pointwiseKernel(([x], d) => (d === "bool" ? `${x} !== 0` : x!)),
  pointwise: ([x], d) => (d === "bool" ? `${x} !== 0` : x!),
  grad: (ctx, [g]) => [gradAs(g!, ctx.inputDType(0))],
});
