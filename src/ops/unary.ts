// Pointwise unary ops: one line per op giving its scalar expression and gradient.
import { type DType, isFloating, torchTypeName } from "../core/dtype.js";
import { ArgumentError, DTypeError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { pointwiseKernel, type ScalarExpr } from "./pointwise-kernel.js";
import { defineOp, type GradContext, type GradFormula, type OpDef } from "./registry.js";
import { floatResult, rejectBool } from "./shared.js";

type NoAttrs = Record<string, never>;

interface UnaryOptions<A> {
  /** Output dtype from input dtype; default: float result (ints and bools give float32). */
  dtype?: (d: DType) => DType;
  /** Rejects bool inputs (abs, floor, ...). */
  noBool?: boolean;
  /** Extra validation of the input and attributes. */
  check?: (x: Tensor, attrs: A) => void;
  /** Declares constants from attrs for the expression (never embed attr values in the expression). */
  prelude?: (attrs: A) => string;
}

/** Declares a pointwise unary op from its scalar expression and gradient. */
export function unaryOp<A extends object = NoAttrs>(
  name: string,
  expr: ScalarExpr<A>,
  grad: GradFormula<A> | "nondifferentiable",
  opts: UnaryOptions<A> = {},
): OpDef<A> {
  const outDType = opts.dtype ?? floatResult;
  return defineOp<A>({
    name,
    kind: "pointwise",
    meta([x], attrs) {
      if (opts.noBool) rejectBool(name, x!);
      opts.check?.(x!, attrs);
      return [{ shape: x!.shape.slice(), dtype: outDType(x!.dtype) }];
    },
    kernel: pointwiseKernel(expr, opts.prelude),
    pointwisePrelude: opts.prelude,
    pointwise: expr,
    grad,
  });
}

/** PyTorch's message for a kernel that has no implementation for a dtype. */
export function notImplementedFor(kernel: string, dtype: DType): DTypeError {
  return new DTypeError(`"${kernel}" not implemented for '${torchTypeName(dtype)}'`);
}

/** A check that rejects non-float inputs as PyTorch's float-only kernels do. */
const floatOnly =
  (kernel: string) =>
  (x: Tensor): void => {
    if (!isFloating(x.dtype)) throw notImplementedFor(kernel, x.dtype);
  };

const same = (d: DType) => d;
/** Gradient g · f(ctx): the chain rule with the op's local derivative. */
const chain =
  <A>(f: (ctx: GradContext<A>) => Tensor): GradFormula<A> =>
  (ctx, [g]) => [g!.mul(f(ctx))];
/** The gradient of a piecewise-constant op: zeros (PyTorch's zeros_like). */
const zeroGrad: GradFormula<object> = (_c, [g]) => [g!.fill(0)];
const x0 = <A>(c: GradContext<A>) => c.input(0);
const y0 = <A>(c: GradContext<A>) => c.output(0);

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_PI = Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_K = 0.044715;

// erf as a closed expression, accurate to ~6e-16 absolute over the real line (checked against
// mpmath). For |x| < 2.25 the series erf(x) = 2/√π · x·e^(-x²) · Σ (2x²)^n / (1·3·…·(2n+1)) (all
// terms positive, so no cancellation; 18 terms below 1, 34 up to 2.25). Beyond, erf(x) = sign(x) -
// e^(-x²) / (√π · K(x)) with the continued fraction K(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + …)))
// cut at depth 34 below 3.5 and 14 up to 6 (K is odd, so one formula serves both signs). From 6 on
// erf(x) rounds to ±1; NaN stays NaN.
const ERF_COEFFS: number[] = (() => {
  const c: number[] = [];
  let v = TWO_OVER_SQRT_PI;
  for (let n = 0; n < 34; n++) {
    c.push(v);
    v = (v * 2) / (2 * n + 3);
  }
  return c;
})();

/** A JS expression for erf(x), given an expression for x (repeated, so pass a variable or simple term). */
export function erfExpr(x: string): string {
  const z = `(${x} * ${x})`;
  const ax = `Math.abs(${x})`;
  const series = (terms: number) => {
    let poly = String(ERF_COEFFS[terms - 1]);
    for (let n = terms - 2; n >= 0; n--) poly = `${ERF_COEFFS[n]} + ${z} * (${poly})`;
    return `${x} * Math.exp(-${z}) * (${poly})`;
  };
  const tail = (depth: number) => {
    let cf = x;
    for (let k = depth; k >= 1; k--) cf = `${x} + ${k / 2} / (${cf})`;
    return `(${x} < 0 ? -1 : 1) - Math.exp(-${z}) / (${SQRT_PI} * (${cf}))`;
  };
  // The tag names the function for code generators with an erf of their own (the native target).
  return (
    `/*@erf(${x})*/(${ax} < 1 ? ${series(18)} : ${ax} < 2.25 ? ${series(34)} : ${ax} < 3.5 ? ${tail(34)}` +
    ` : ${ax} < 6 ? ${tail(14)} : (${x} < 0 ? -1 : ${x} > 0 ? 1 : ${x}))`
  );
}

// --- sign, rounding and arithmetic ------------------------------------------------------------

export const neg = unaryOp("neg", ([x]) => `-${x}`, (_c, [g]) => [g!.neg()], {
  dtype: same,
  check: (x) => {
    if (x.dtype === "bool") {
      throw new DTypeError(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
      );
    }
  },
});
export const abs = unaryOp("abs", ([x]) => `Math.abs(${x})`, chain((c) => x0(c).sign()), { dtype: same, noBool: true });
export const sign = unaryOp(
  "sign",
  ([x], d) => (d === "bool" ? x! : `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${x})`),
  zeroGrad,
  { dtype: same },
);
export const square = unaryOp(
  "square",
  ([x], d) => (d === "int32" ? `Math.imul(${x}, ${x})` : `${x} * ${x}`),
  chain((c) => x0(c).mul(2)),
  { dtype: (d) => (d === "bool" ? "int32" : d) },
);
export const reciprocal = unaryOp("reciprocal", ([x]) => `1 / ${x}`, chain((c) => y0(c).square().neg()));

const integerKeeping = (d: DType) => d;
// Rounding ops keep integer dtypes (the values are already integers) and have zero gradient.
export const floor = unaryOp("floor", ([x], d) => (d === "int32" ? x! : `Math.floor(${x})`), zeroGrad, {
  dtype: integerKeeping,
  noBool: true,
});
export const ceil = unaryOp("ceil", ([x], d) => (d === "int32" ? x! : `Math.ceil(${x})`), zeroGrad, {
  dtype: integerKeeping,
  noBool: true,
});
export const trunc = unaryOp("trunc", ([x], d) => (d === "int32" ? x! : `Math.trunc(${x})`), zeroGrad, {
  dtype: integerKeeping,
  noBool: true,
});

export interface RoundAttrs {
  decimals: number;
}
/** Round half to even (Math.round rounds halves up; halves go to 2·round(x/2) instead). */
const roundHalfEven = (x: string) =>
  `(${x} - Math.trunc(${x}) === 0.5 || ${x} - Math.trunc(${x}) === -0.5 ? 2 * Math.round(${x} / 2) : Math.round(${x}))`;
export const round = unaryOp<RoundAttrs>(
  "round",
  ([x], d, attrs) => {
    if (d === "int32" && attrs.decimals >= 0) return x!;
    if (attrs.decimals === 0) return roundHalfEven(x!);
    // PyTorch: round(x · 10^d) / 10^d, or round(x / 10^-d) · 10^-d for negative d.
    return attrs.decimals > 0
      ? `${roundHalfEven(`(${x} * tenPow)`)} / tenPow`
      : `${roundHalfEven(`(${x} / tenPow)`)} * tenPow`;
  },
  zeroGrad,
  {
    dtype: integerKeeping,
    noBool: true,
    check: (_x, attrs) => {
      if (!Number.isInteger(attrs.decimals)) {
        throw new ArgumentError(`round(): argument 'decimals' must be int, not ${String(attrs.decimals)}`);
      }
    },
    prelude: () => "const tenPow = Math.pow(10, Math.abs(attrs.decimals));",
  },
);

// --- exponentials and logarithms --------------------------------------------------------------

export const exp = unaryOp("exp", ([x]) => `Math.exp(${x})`, chain(y0));
export const expm1 = unaryOp("expm1", ([x]) => `Math.expm1(${x})`, chain((c) => y0(c).add(1)));
export const log = unaryOp("log", ([x]) => `Math.log(${x})`, (ctx, [g]) => [g!.div(ctx.input(0))]);
export const log1p = unaryOp("log1p", ([x]) => `Math.log1p(${x})`, (ctx, [g]) => [g!.div(ctx.input(0).add(1))]);
export const log2 = unaryOp("log2", ([x]) => `Math.log2(${x})`, (ctx, [g]) => [g!.div(ctx.input(0).mul(Math.LN2))]);
export const sqrt = unaryOp("sqrt", ([x]) => `Math.sqrt(${x})`, (ctx, [g]) => [g!.div(ctx.output(0).mul(2))]);
export const rsqrt = unaryOp("rsqrt", ([x]) => `1 / Math.sqrt(${x})`, chain((c) => y0(c).pow(3).mul(-0.5)));

// --- trigonometric and hyperbolic -------------------------------------------------------------

export const sin = unaryOp("sin", ([x]) => `Math.sin(${x})`, chain((c) => x0(c).cos()));
export const cos = unaryOp("cos", ([x]) => `Math.cos(${x})`, chain((c) => x0(c).sin().neg()));
export const tan = unaryOp("tan", ([x]) => `Math.tan(${x})`, chain((c) => y0(c).square().add(1)));
export const asin = unaryOp("asin", ([x]) => `Math.asin(${x})`, chain((c) => x0(c).square().neg().add(1).rsqrt()));
export const acos = unaryOp("acos", ([x]) => `Math.acos(${x})`, chain((c) => x0(c).square().neg().add(1).rsqrt().neg()));
export const atan = unaryOp("atan", ([x]) => `Math.atan(${x})`, chain((c) => x0(c).square().add(1).reciprocal()));
export const sinh = unaryOp("sinh", ([x]) => `Math.sinh(${x})`, chain((c) => x0(c).cosh()));
export const cosh = unaryOp("cosh", ([x]) => `Math.cosh(${x})`, chain((c) => x0(c).sinh()));
export const tanh = unaryOp("tanh", ([x]) => `Math.tanh(${x})`, chain((c) => y0(c).square().neg().add(1)));

// --- special functions and activations --------------------------------------------------------

export const erf = unaryOp(
  "erf",
  ([x]) => erfExpr(x!),
  chain((c) => x0(c).square().neg().exp().mul(TWO_OVER_SQRT_PI)),
);
export const sigmoid = unaryOp(
  "sigmoid",
  ([x]) => `1 / (1 + Math.exp(-${x}))`,
  chain((c) => y0(c).mul(y0(c).neg().add(1))),
);
export const relu = unaryOp(
  "relu",
  // `x <= 0 ? 0 : x` keeps NaN (PyTorch's relu propagates it).
  ([x], d) => (d === "bool" ? x! : `(${x} <= 0 ? 0 : ${x})`),
  (ctx, [g]) => [g!.where(ctx.output(0).gt(0), 0)],
  { dtype: same },
);
export const silu = unaryOp(
  "silu",
  ([x]) => `${x} / (1 + Math.exp(-${x}))`,
  // d/dx x·σ(x) = σ(x) · (1 + x · (1 - σ(x)))
  chain((c) => {
    const s = x0(c).sigmoid();
    return s.mul(x0(c).mul(s.neg().add(1)).add(1));
  }),
  { dtype: same, check: floatOnly("silu_cpu") },
);

export interface GeluAttrs {
  approximate: "none" | "tanh";
}
export const gelu = unaryOp<GeluAttrs>(
  "gelu",
  ([x], _d, attrs) =>
    attrs.approximate === "tanh"
      ? `0.5 * ${x} * (1 + Math.tanh(${SQRT_2_OVER_PI} * (${x} + ${GELU_K} * ${x} * ${x} * ${x})))`
      : `0.5 * ${x} * (1 + ${erfExpr(`(${x} * ${SQRT1_2})`)})`,
  chain((c) => {
    const x = x0(c);
    if (c.attrs.approximate === "tanh") {
      // y = x/2 · (1 + t), t = tanh(k · (x + c·x³)): dy/dx = (1 + t)/2 + x/2 · (1 - t²) · k · (1 + 3c·x²)
      const t = x.pow(3).mul(GELU_K).add(x).mul(SQRT_2_OVER_PI).tanh();
      const inner = x.square().mul(3 * GELU_K).add(1).mul(SQRT_2_OVER_PI);
      return t.add(1).mul(0.5).add(x.mul(0.5).mul(t.square().neg().add(1)).mul(inner));
    }
    // dy/dx = Φ(x) + x · φ(x)
    const cdf = x.mul(SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return cdf.add(x.mul(pdf));
  }),
  {
    dtype: same,
    check: (x, attrs) => {
      if (attrs.approximate !== "none" && attrs.approximate !== "tanh") {
        throw new ArgumentError("approximate argument must be either none or tanh.");
      }
      if (!isFloating(x.dtype)) throw notImplementedFor("GeluKernelImpl", x.dtype);
    },
  },
);

export interface SoftplusAttrs {
  beta: number;
  threshold: number;
}
export const softplus = unaryOp<SoftplusAttrs>(
  "softplus",
  // Above the threshold (in units of beta·x) softplus is the identity, as in PyTorch.
  ([x]) => `(${x} * beta > threshold ? ${x} : Math.log1p(Math.exp(${x} * beta)) / beta)`,
  (ctx, [g]) => {
    const { beta, threshold } = ctx.attrs;
    const bx = ctx.input(0).mul(beta);
    return [g!.mul(bx.sigmoid().where(bx.le(threshold), 1))];
  },
  {
    dtype: same,
    prelude: () => "const beta = attrs.beta, threshold = attrs.threshold;",
    check: (x, attrs) => {
      for (const k of ["beta", "threshold"] as const) {
        if (typeof attrs[k] !== "number") throw new ArgumentError(`softplus(): argument '${k}' must be a number, not ${String(attrs[k])}`);
      }
      if (!isFloating(x.dtype)) throw notImplementedFor("softplus_cpu", x.dtype);
    },
  },
);

// --- predicates (bool results, no gradient) ---------------------------------------------------

const toBool = () => "bool" as const;
// Nonzero (NaN included) is true, as in PyTorch.
export const logicalNot = unaryOp("logical_not", ([x]) => `${x} === 0`, "nondifferentiable", { dtype: toBool });
export const isnan = unaryOp("isnan", ([x]) => `${x} !== ${x}`, "nondifferentiable", { dtype: toBool });
// x - x is 0 exactly for finite x and NaN for ±∞ and NaN.
export const isfinite = unaryOp("isfinite", ([x]) => `${x} - ${x} === 0`, "nondifferentiable", { dtype: toBool });
export const isinf = unaryOp("isinf", ([x]) => `(${x} === Infinity || ${x} === -Infinity)`, "nondifferentiable", {
  dtype: toBool,
});
