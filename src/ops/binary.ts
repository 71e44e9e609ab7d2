// Pointwise binary ops with broadcasting and PyTorch type promotion.
import { type DType, torchTypeName } from "../core/dtype.js";
import { ArgumentError, DTypeError, KilnRuntimeError } from "../core/errors.js";
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
    pointwisePrelude: opts.prelude,
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
    (c, g) => (c.attrs.roundingMode === null ? g.div(c.input(1)) : g.fill(0)),
    (c, g) => (c.attrs.roundingMode === null ? g.mul(c.input(0)).div(c.input(1).square()).neg() : g.fill(0)),
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

/** PyTorch's message for a binary kernel without an implementation for a dtype. */
function rejectBoolPromoted(kernel: string) {
  return (_inputs: readonly Tensor[], _attrs: object, promoted: DType): void => {
    if (promoted === "bool") throw new DTypeError(`"${kernel}" not implemented for '${torchTypeName(promoted)}'`);
  };
}

export const pow = binaryOp<object>(
  "pow",
  ([a, b], d) => {
    if (d === "bool") return `(${a} || !${b})`;
    if (d === "int32") {
      // Negative integer exponents: 1 and -1 keep a value, every other base gives 0 (PyTorch's powi).
      return `(${b} < 0 ? (${a} === 1 ? 1 : ${a} === -1 ? ((${b} & 1) ? -1 : 1) : 0) : Math.pow(${a}, ${b}))`;
    }
    // C's pow: pow(1, y) = 1 and pow(x, 0) = 1 even for NaN; pow(-1, ±inf) = 1.
    return `(${a} === 1 || ${b} === 0 || (${a} === -1 && (${b} === Infinity || ${b} === -Infinity)) ? 1 : Math.pow(${a}, ${b}))`;
  },
  binaryGrad(
    // d/da a^b = b · a^(b-1), zero where b == 0 (PyTorch's pow_backward_self).
    (c, g) => {
      const a = c.input(0);
      const b = c.input(1);
      return g.mul(b).mul(a.pow(b.sub(1))).where(b.ne(0), 0);
    },
    // d/db a^b = a^b · log(a), zero where a == 0 and b >= 0 (PyTorch's pow_backward_exponent).
    (c, g) => {
      const a = c.input(0);
      const b = c.input(1);
      return g.mul(c.output(0).mul(a.log())).where(a.eq(0).logicalAnd(b.ge(0)).logicalNot(), 0);
    },
  ),
  {
    check: ([a, b]) => {
      if (b!._wrappedNumber && (b!.dtype === "int32" || b!.dtype === "bool") && (a!.dtype === "int32" || a!.dtype === "bool")) {
        if (b!._storage!.data[0]! < 0) throw new KilnRuntimeError("Integers to negative integer powers are not allowed.");
      }
    },
  },
);

/** maximum/minimum gradient: the chosen side gets the gradient, ties split it half and half. */
function extremumGrad(lose: "lt" | "gt"): GradFormula<object> {
  const side = (mine: Tensor, other: Tensor, g: Tensor) =>
    g.mul(0.5).where(mine.eq(other), g).maskedFill(lose === "lt" ? mine.lt(other) : mine.gt(other), 0);
  return binaryGrad(
    (c, g) => side(c.input(0), c.input(1), g),
    (c, g) => side(c.input(1), c.input(0), g),
  );
}

// NaN in either input gives NaN, as in PyTorch (Math.max would too, but this also serves bool and int).
export const maximum = binaryOp<object>("maximum", ([a, b]) => `(${a} > ${b} || ${a} !== ${a} ? ${a} : ${b})`, extremumGrad("lt"));
export const minimum = binaryOp<object>("minimum", ([a, b]) => `(${a} < ${b} || ${a} !== ${a} ? ${a} : ${b})`, extremumGrad("gt"));

/** Python's modulo: the result takes the sign of the divisor. Integer division by zero yields 0. */
export const remainder = binaryOp<object>(
  "remainder",
  ([a, b], d) => {
    const m = `(${a} % ${b})`;
    const r = `(${m} !== 0 && (${m} < 0) !== (${b} < 0) ? ${m} + ${b} : ${m})`;
    return d === "int32" ? `(${b} === 0 ? 0 : ${r})` : r;
  },
  binaryGrad(
    (_c, g) => g,
    (c, g) => g.mul(c.input(0).div(c.input(1), { roundingMode: "floor" })).neg(),
  ),
  { check: rejectBoolPromoted("remainder_cpu") },
);

/** C's fmod: the result takes the sign of the dividend. Integer division by zero yields 0. */
export const fmod = binaryOp<object>(
  "fmod",
  ([a, b], d) => (d === "int32" ? `(${b} === 0 ? 0 : ${a} % ${b})` : `${a} % ${b}`),
  binaryGrad(
    (_c, g) => g,
    (c, g) => g.mul(c.input(0).div(c.input(1), { roundingMode: "trunc" })).neg(),
  ),
  { check: rejectBoolPromoted("fmod_cpu") },
);

export const atan2 = binaryOp<object>(
  "atan2",
  ([a, b]) => `Math.atan2(${a}, ${b})`,
  binaryGrad(
    (c, g) => g.mul(c.input(1)).div(c.input(0).square().add(c.input(1).square())),
    (c, g) => g.mul(c.input(0).neg()).div(c.input(0).square().add(c.input(1).square())),
  ),
  { dtype: (p) => floatResult(p) },
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

// Logical ops: any nonzero value (NaN included) is true; the result is bool.
function logical(name: string, expr: (a: string, b: string) => string): OpDef<object> {
  return binaryOp<object>(name, ([a, b]) => expr(a!, b!), "nondifferentiable", { dtype: () => "bool" });
}
export const logicalAnd = logical("logical_and", (a, b) => `(${a} !== 0 && ${b} !== 0)`);
export const logicalOr = logical("logical_or", (a, b) => `(${a} !== 0 || ${b} !== 0)`);
export const logicalXor = logical("logical_xor", (a, b) => `((${a} !== 0) !== (${b} !== 0))`);
