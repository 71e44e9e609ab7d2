// Pointwise ops with a condition, bounds or a fill value: where, clamp, masked_fill, lerp, fill.
// Scalars PyTorch accepts (clamp's bounds, where's values, the fill value, lerp's weight) arrive as
// wrapped 0-d tensors, so they are inputs, never attributes.
import { type DType, isFloating, torchTypeName } from "../core/dtype.js";
import { DTypeError, KilnRuntimeError } from "../core/errors.js";
import { broadcastAll } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { gradAs, sumToShape } from "./grad-utils.js";
import { pointwiseKernel, type ScalarExpr } from "./pointwise-kernel.js";
import { defineOp, type GradContext, type GradFormula, type OpDef, type OutputMeta } from "./registry.js";
import { elementwiseMeta, promote } from "./shared.js";

/** C++ type names PyTorch prints for a dtype (TypeMeta): float, double, int, bool. */
export function typeMetaName(dtype: DType): string {
  return { float32: "float", float64: "double", int32: "int", bool: "bool" }[dtype];
}

function pointwiseOp(
  name: string,
  meta: (inputs: readonly Tensor[]) => OutputMeta[],
  expr: ScalarExpr<object>,
  grad: GradFormula<object>,
): OpDef<object> {
  return defineOp<object>({ name, kind: "pointwise", meta, kernel: pointwiseKernel(expr), pointwise: expr, grad });
}

/** Reduces gradient i to input i's shape and dtype, or null when it is not needed. */
function fit(ctx: GradContext<object>, i: number, g: () => Tensor): Tensor | null {
  if (!ctx.needsInputGrad(i)) return null;
  return gradAs(sumToShape(g(), ctx.inputShape(i)), ctx.inputDType(i));
}

// --- where ------------------------------------------------------------------------------------

/** where(condition, input, other): input where the condition holds, other elsewhere; promotes the two. */
export const where = pointwiseOp(
  "where",
  ([cond, a, b]) => {
    if (cond!.dtype !== "bool") {
      throw new DTypeError(
        `where expected condition to be a boolean tensor, but got a tensor with dtype ${torchTypeName(cond!.dtype)}`,
      );
    }
    return elementwiseMeta([cond!, a!, b!], promote([a!, b!]));
  },
  ([c, a, b]) => `(${c} ? ${a} : ${b})`,
  (ctx, [g]) => {
    const cond = ctx.input(0);
    return [null, fit(ctx, 1, () => g!.where(cond, 0)), fit(ctx, 2, () => g!.maskedFill(cond, 0))];
  },
);

// --- clamp ------------------------------------------------------------------------------------

// Math.max/Math.min propagate NaN from the input and from the bounds, as PyTorch's clamp does.
// With min > max every element becomes max.
export const clamp = pointwiseOp(
  "clamp",
  (inputs) => elementwiseMeta(inputs, promote(inputs)),
  ([x, lo, hi]) => `Math.min(Math.max(${x}, ${lo}), ${hi})`,
  (ctx, [g]) => {
    const x = ctx.input(0);
    const lo = ctx.input(1);
    const hi = ctx.input(2);
    return [
      fit(ctx, 0, () => g!.where(x.ge(lo).logicalAnd(x.le(hi)), 0)),
      fit(ctx, 1, () => g!.where(x.lt(lo).logicalAnd(lo.lt(hi)), 0)),
      fit(ctx, 2, () => g!.where(x.gt(hi).logicalOr(hi.lt(lo)), 0)),
    ];
  },
);

export const clampMin = pointwiseOp(
  "clamp_min",
  (inputs) => elementwiseMeta(inputs, promote(inputs)),
  ([x, lo]) => `Math.max(${x}, ${lo})`,
  (ctx, [g]) => {
    const x = ctx.input(0);
    const lo = ctx.input(1);
    return [fit(ctx, 0, () => g!.where(x.ge(lo), 0)), fit(ctx, 1, () => g!.where(x.lt(lo), 0))];
  },
);

export const clampMax = pointwiseOp(
  "clamp_max",
  (inputs) => elementwiseMeta(inputs, promote(inputs)),
  ([x, hi]) => `Math.min(${x}, ${hi})`,
  (ctx, [g]) => {
    const x = ctx.input(0);
    const hi = ctx.input(1);
    return [fit(ctx, 0, () => g!.where(x.le(hi), 0)), fit(ctx, 1, () => g!.where(x.gt(hi), 0))];
  },
);

// --- masked_fill and fill ---------------------------------------------------------------------

/**
 * masked_fill(input, mask, value): value where the bool mask holds. The result has input's dtype
 * (the value is cast, as PyTorch does) and the broadcast shape of input and mask.
 */
export const maskedFill = pointwiseOp(
  "masked_fill",
  ([x, mask, value]) => {
    if (mask!.dtype !== "bool") {
      throw new DTypeError(`masked_fill_ only supports boolean masks, but got mask with dtype ${typeMetaName(mask!.dtype)}`);
    }
    if (value!.ndim !== 0) {
      throw new KilnRuntimeError(
        `masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value!.ndim} dimension(s).`,
      );
    }
    return [{ shape: broadcastAll([x!.shape, mask!.shape]), dtype: x!.dtype }];
  },
  ([x, m, v]) => `(${m} ? ${v} : ${x})`,
  (ctx, [g]) => {
    const mask = ctx.input(1);
    return [fit(ctx, 0, () => g!.maskedFill(mask, 0)), null, fit(ctx, 2, () => g!.where(mask, 0).sum())];
  },
);

/** fill(input, value): a tensor like input, every element the 0-d value (cast to input's dtype). */
export const fill = pointwiseOp(
  "fill",
  ([x, value]) => {
    if (value!.ndim !== 0) {
      throw new KilnRuntimeError(`fill_ only supports 0-dimension value tensor but got tensor with ${value!.ndim} dimensions.`);
    }
    return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
  },
  ([, v]) => v!,
  (ctx, [g]) => [fit(ctx, 0, () => g!.fill(0)), fit(ctx, 1, () => g!.sum())],
);

// --- lerp -------------------------------------------------------------------------------------

/**
 * lerp(start, end, weight) = start + weight · (end - start), computed from the nearer end as
 * PyTorch does (exact at weight 0 and 1). Float tensors of one dtype; weight may be a number.
 */
export const lerp = pointwiseOp(
  "lerp",
  ([start, end, weight]) => {
    const wrapped = weight!._wrappedNumber;
    if (!isFloating(start!.dtype)) {
      throw new DTypeError(`"${wrapped ? "lerp_kernel_scalar" : "lerp_kernel_tensor"}" not implemented for '${torchTypeName(start!.dtype)}'`);
    }
    if (end!.dtype !== start!.dtype) {
      throw new DTypeError(`expected dtype ${typeMetaName(start!.dtype)} for \`end\` but got dtype ${typeMetaName(end!.dtype)}`);
    }
    if (!wrapped && weight!.dtype !== start!.dtype) {
      throw new DTypeError(`expected dtype ${typeMetaName(start!.dtype)} for \`weight\` but got dtype ${typeMetaName(weight!.dtype)}`);
    }
    return elementwiseMeta([start!, end!, weight!], start!.dtype);
  },
  ([s, e, w]) => `(Math.abs(${w}) < 0.5 ? ${s} + ${w} * (${e} - ${s}) : ${e} - (${e} - ${s}) * (1 - ${w}))`,
  (ctx, [g]) => {
    const w = ctx.input(2);
    return [
      fit(ctx, 0, () => g!.mul(w.neg().add(1))),
      fit(ctx, 1, () => g!.mul(w)),
      fit(ctx, 2, () => g!.mul(ctx.input(1).sub(ctx.input(0)))),
    ];
  },
);
