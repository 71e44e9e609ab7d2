// Pointwise unary ops: one line per op giving its scalar expression and gradient.
import type { DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { pointwiseKernel, type ScalarExpr } from "./pointwise-kernel.js";
import { defineOp, type GradContext, type GradFormula, type OpDef } from "./registry.js";
import { floatResult, rejectBool } from "./shared.js";

type NoAttrs = Record<string, never>;

interface UnaryOptions {
  /** Output dtype from input dtype; default: float result (ints and bools give float32). */
  dtype?: (d: DType) => DType;
  /** Rejects bool inputs (neg, abs). */
  noBool?: boolean;
}

/** Declares a pointwise unary op from its scalar expression and gradient. */
export function unaryOp(
  name: string,
  expr: ScalarExpr<NoAttrs>,
  grad: GradFormula<NoAttrs> | "nondifferentiable",
  opts: UnaryOptions = {},
): OpDef<NoAttrs> {
  const outDType = opts.dtype ?? floatResult;
  return defineOp<NoAttrs>({
    name,
    kind: "pointwise",
    meta([x]) {
      if (opts.noBool) rejectBool(name, x!);
      return [{ shape: x!.shape.slice(), dtype: outDType(x!.dtype) }];
    },
    kernel: pointwiseKernel(expr),
    pointwise: expr,
    grad,
  });
}

const same = (d: DType) => d;
/** Gradient g · f(ctx): the chain rule with the op's local derivative. */
const chain =
  (f: (ctx: GradContext<NoAttrs>) => Tensor): GradFormula<NoAttrs> =>
  (ctx, [g]) => [g!.mul(f(ctx))];
const x0 = (c: GradContext<NoAttrs>) => c.input(0);
const y0 = (c: GradContext<NoAttrs>) => c.output(0);

export const neg = unaryOp("neg", ([x]) => `-${x}`, (_c, [g]) => [g!.neg()], { dtype: same, noBool: true });
export const abs = unaryOp("abs", ([x]) => `Math.abs(${x})`, chain((c) => x0(c).sign()), { dtype: same, noBool: true });
export const exp = unaryOp("exp", ([x]) => `Math.exp(${x})`, chain(y0));
export const log = unaryOp("log", ([x]) => `Math.log(${x})`, (ctx, [g]) => [g!.div(ctx.input(0))]);
export const sin = unaryOp("sin", ([x]) => `Math.sin(${x})`, chain((c) => x0(c).cos()));
export const cos = unaryOp("cos", ([x]) => `Math.cos(${x})`, chain((c) => x0(c).sin().neg()));
export const tanh = unaryOp("tanh", ([x]) => `Math.tanh(${x})`, chain((c) => y0(c).square().neg().add(1)));
export const sqrt = unaryOp("sqrt", ([x]) => `Math.sqrt(${x})`, (ctx, [g]) => [g!.div(ctx.output(0).mul(2))]);
export const square = unaryOp(
  "square",
  ([x], d) => (d === "int32" ? `Math.imul(${x}, ${x})` : `${x} * ${x}`),
  chain((c) => x0(c).mul(2)),
  { dtype: (d) => (d === "bool" ? "int32" : d) },
);
export const sigmoid = unaryOp(
  "sigmoid",
  ([x]) => `1 / (1 + Math.exp(-${x}))`,
  chain((c) => y0(c).mul(y0(c).neg().add(1))),
);
export const relu = unaryOp(
  "relu",
  ([x], d) => (d === "bool" ? x : `(${x} > 0 ? ${x} : 0)`),
  (ctx, [g]) => [g!.mul(ctx.output(0).gt(0))],
  { dtype: same },
);
export const sign = unaryOp(
  "sign",
  ([x], d) => (d === "bool" ? x : `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${x})`),
  (ctx, [g]) => [g!.mul(0)],
  { dtype: same },
);
