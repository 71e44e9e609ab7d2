// Pointwise binary ops with broadcasting and PyTorch type promotion.
import type { DType } from "../core/dtype.js";
import { ArgumentError } from "../core/errors.js";
import { pointwiseKernel, type ScalarExpr } from "./pointwise-kernel.js";
import { defineOp, type GradFormula, type OpDef } from "./registry.js";
import { elementwiseMeta, floatResult, promote } from "./shared.js";
import { gradAs, sumToShape } from "./grad-utils.js";
import type { Tensor } from "../core/tensor.js";

interface BinaryOptions<A> {
  /** Output dtype from the promoted dtype; default: the promoted dtype. */
  dtype?: (promoted: DType, attrs: A) => DType;
  /** Declares constants from attrs for the expression (never embed attr values in the expression). */
  prelude?: (attrs: A) => string;
  /** Extra validation of inputs and attributes. */
  check?: (inputs: readonly Tensor[], attrs: A, promoted: DType) => void;
}

/** Declares a broadcasting binary op from its scalar expression and gradient. */
export function binaryOp<A extends object>(
  name: string,
  expr: ScalarExpr<A>,
  grad: GradFormula<A> | "nondifferentiable",
  opts: BinaryOptions<A> = {},
): OpDef<A> {
  return defineOp<A>({
    name,
    kind: "pointwise",
    meta(inputs, attrs) {
      const promoted = promote(inputs);
      opts.check?.(inputs, attrs, promoted);
      return elementwiseMeta(inputs, opts.dtype ? opts.dtype(promoted, attrs) : promoted);
    },
    kernel: pointwiseKernel(expr, opts.prelude),
    pointwise: expr,
    grad,
  });
}

/** Gradients of a binary op from the two local derivatives, reduced over broadcast dims. */
export function binaryGrad<A>(
  da: ((ctx: Parameters<GradFormula<A>>[0], g: Tensor) => Tensor) | null,
  db: ((ctx: Parameters<GradFormula<A>>[0], g: Tensor) => Tensor) | null,
): GradFormula<A> {
  return (ctx, [g]) => [
    da && ctx.needsInputGrad(0) ? gradAs(sumToShape(da(ctx, g!), ctx.inputShape(0)), ctx.inputDType(0)) : null,
    db && ctx.needsInputGrad(1) ? gradAs(sumToShape(db(ctx, g!), ctx.inputShape(1)), ctx.inputDType(1)) : null,
  ];
}

export interface AlphaAttrs {
  alpha: number;
}

const alphaPrelude = () => "const alpha = attrs.alpha;";
const checkAlpha = (inputs: readonly Tensor[], attrs: AlphaAttrs, promoted: DType) => {
  if (typeof attrs.alpha !== "number" || Number.isNaN(attrs.alpha)) {
    throw new ArgumentError(`alpha must be a number, but got ${String(attrs.alpha)}`);
  }
  if (promoted !== "float32" && promoted !== "float64" && !Number.isInteger(attrs.alpha)) {
    throw new ArgumentError("For integral input tensors, argument alpha must not be a floating point number.");
  }
  void inputs;
};

export const add = binaryOp<AlphaAttrs>(
  "add",
  ([a, b], d) => (d === "bool" ? `(${a} || ${b})` : d === "int32" ? `(${a} + alpha * ${b}) | 0` : `${a} + alpha * ${b}`),
  binaryGrad(
    (_c, g) => g,
    (c, g) => (c.attrs.alpha === 1 ? g : g.mul(c.attrs.alpha)),
  ),
  { prelude: alphaPrelude, check: checkAlpha },
);

export const sub = binaryOp<AlphaAttrs>(
  "sub",
  ([a, b], d) => (d === "int32" ? `(${a} - alpha * ${b}) | 0` : `${a} - alpha * ${b}`),
  binaryGrad(
    (_c, g) => g,
    (c, g) => g.mul(-c.attrs.alpha),
  ),
  {
    prelude: alphaPrelude,
    check: (inputs, attrs, promoted) => {
      if (inputs.some((t) => t.dtype === "bool")) {
        throw new ArgumentError(
          "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        );
      }
      checkAlpha(inputs, attrs, promoted);
    },
  },
);

export const mul = binaryOp<object>(
  "mul",
  ([a, b], d) => (d === "bool" ? `(${a} && ${b})` : d === "int32" ? `Math.imul(${a}, ${b})` : `${a} * ${b}`),
  binaryGrad(
    (c, g) => g.mul(c.input(1)),
    (c, g) => g.mul(c.input(0)),
  ),
);

export interface DivAttrs {
  roundingMode: "trunc" | "floor" | null;
}

export const div = binaryOp<DivAttrs>(
  "div",
  ([a, b], d, attrs) => {
    if (attrs.roundingMode === null) return `${a} / ${b}`;
    const q = attrs.roundingMode === "trunc" ? `Math.trunc(${a} / ${b})` : `Math.floor(${a} / ${b})`;
    // Integer division by zero has no value in JS; PyTorch raises, kiln yields 0 (documented).
    return d === "int32" ? `(${b} === 0 ? 0 : ${q})` : q;
  },
  binaryGrad(
    (c, g) => (c.attrs.roundingMode === null ? g.div(c.input(1)) : g.mul(0)),
    (c, g) => (c.attrs.roundingMode === null ? g.mul(c.input(0)).div(c.input(1).square()).neg() : g.mul(0)),
  ),
  {
    // True division always gives a float; rounding modes keep the promoted dtype.
    dtype: (p, attrs) => (attrs.roundingMode === null ? floatResult(p) : p),
    check: (_inputs, attrs) => {
      const m = attrs.roundingMode;
      if (m !== null && m !== "trunc" && m !== "floor") {
        throw new ArgumentError(`div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${String(m)}'`);
      }
    },
  },
);
function comparison(name: string, op: string): OpDef<object> {
  return binaryOp<object>(name, ([a, b]) => `${a} ${op} ${b}`, "nondifferentiable", { dtype: () => "bool" });
}

export const eq = comparison("eq", "===");
export const ne = comparison("ne", "!==");
export const lt = comparison("lt", "<");
export const le = comparison("le", "<=");
export const gt = comparison("gt", ">");
export const ge = comparison("ge", ">=");
