// Public pointwise functions and their Tensor methods (including in-place `_` variants).
import { ArgumentError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1, dispatchInPlace } from "../dispatch/dispatch.js";
import { toTensor, wrapScalar, type TensorLike } from "../core/operands.js";
import { promote } from "../ops/shared.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/unary.js";
import "../ops/binary.js";
import "../ops/ternary.js";

/**
 * When an op computes in float32, a JS float operand is first rounded to float32, as PyTorch casts
 * a Python scalar to the computation dtype (so `t.eq(0.1)` finds the float32 0.1 in `t`).
 */
function roundScalars(inputs: Tensor[]): Tensor[] {
  let any = false;
  for (const t of inputs) if (t._wrappedNumber && t.dtype === "float64") any = true;
  if (!any || promote(inputs) !== "float32") return inputs;
  return inputs.map((t) => {
    if (!t._wrappedNumber || t.dtype !== "float64") return t;
    const v = t._storage!.data[0]!;
    const r = Math.fround(v);
    if (r === v || Number.isNaN(v)) return t;
    const w = wrapScalar(v); // still a float64 wrapped number: v is not an integer
    w._storage!.data[0] = r;
    return w;
  });
}

/** Converts op arguments: a tensor for `first` (numbers too unless `firstTensor`), tensors or numbers for the rest. */
function operands(op: string, args: [string, unknown][], firstTensor = false): Tensor[] {
  return roundScalars(args.map(([name, v], i) => toTensor(v, op, name, !(i === 0 && firstTensor))));
}

/** operands() for the common two-argument case, without building the argument list (every binary op call takes this). */
function operandPair(op: string, input: unknown, other: unknown, second = "other", firstTensor = false): Tensor[] {
  return roundScalars([toTensor(input, op, "input", !firstTensor), toTensor(other, op, second, true)]);
}

// --- unary ------------------------------------------------------------------------------------

function unary(name: string, apiName = name) {
  return (input: Tensor): Tensor => dispatch1(name, [toTensor(input, apiName, "input", false)]);
}
function unaryInPlace(name: string, apiName = name) {
  return (input: Tensor): Tensor => dispatchInPlace(name, input, [toTensor(input, apiName + "_", "input", false)]);
}

export const neg = unary("neg");
export const abs = unary("abs");
export const sign = unary("sign");
export const exp = unary("exp");
export const expm1 = unary("expm1");
export const log = unary("log");
export const log1p = unary("log1p");
export const log2 = unary("log2");
export const sqrt = unary("sqrt");
export const rsqrt = unary("rsqrt");
export const square = unary("square");
export const reciprocal = unary("reciprocal");
export const sin = unary("sin");
export const cos = unary("cos");
export const tan = unary("tan");
export const asin = unary("asin");
export const acos = unary("acos");
export const atan = unary("atan");
export const sinh = unary("sinh");
export const cosh = unary("cosh");
export const tanh = unary("tanh");
export const sigmoid = unary("sigmoid");
export const relu = unary("relu");
export const silu = unary("silu");
export const erf = unary("erf");
export const floor = unary("floor");
export const ceil = unary("ceil");
export const trunc = unary("trunc");
export const logicalNot = unary("logical_not");
export const isnan = unary("isnan");
export const isfinite = unary("isfinite");
export const isinf = unary("isinf");

export interface GeluOptions {
  /** "none" (exact, with erf; the default) or "tanh" (the tanh approximation). */
  approximate?: "none" | "tanh";
}
export function gelu(input: Tensor, options: GeluOptions = {}): Tensor {
  return dispatch1("gelu", [toTensor(input, "gelu", "input", false)], { approximate: options.approximate ?? "none" });
}

export interface SoftplusOptions {
  beta?: number;
  threshold?: number;
}
export function softplus(input: Tensor, options: SoftplusOptions = {}): Tensor {
  return dispatch1("softplus", [toTensor(input, "softplus", "input", false)], {
    beta: options.beta ?? 1,
    threshold: options.threshold ?? 20,
  });
}

export interface RoundOptions {
  /** Number of decimal places (negative: to the left of the point). Default 0. */
  decimals?: number;
}
/** Rounds half to even, as PyTorch does. */
export function round(input: Tensor, options: RoundOptions = {}): Tensor {
  return dispatch1("round", [toTensor(input, "round", "input", false)], { decimals: options.decimals ?? 0 });
}

// --- binary -----------------------------------------------------------------------------------

function binary(name: string, apiName = name, second = "other") {
  return (input: TensorLike, other: TensorLike): Tensor =>
    dispatch1(name, operandPair(apiName, input, other, second));
}
function binaryInPlace(name: string, apiName = name, second = "other") {
  return (input: Tensor, other: TensorLike): Tensor =>
    dispatchInPlace(name, input, operandPair(apiName + "_", input, other, second, true));
}

export interface AlphaOptions {
  /** Multiplier of `other`. */
  alpha?: number;
}
export function add(input: TensorLike, other: TensorLike, options: AlphaOptions = {}): Tensor {
  return dispatch1("add", operandPair("add", input, other), { alpha: options.alpha ?? 1 });
}
export function sub(input: TensorLike, other: TensorLike, options: AlphaOptions = {}): Tensor {
  return dispatch1("sub", operandPair("sub", input, other), { alpha: options.alpha ?? 1 });
}
export const mul = binary("mul");

export interface DivOptions {
  /** null: true division; "trunc": rounds toward zero; "floor": rounds down. */
  roundingMode?: "trunc" | "floor" | null;
}
export function div(input: TensorLike, other: TensorLike, options: DivOptions = {}): Tensor {
  return dispatch1("div", operandPair("div", input, other), { roundingMode: options.roundingMode ?? null });
}
export const pow = binary("pow", "pow", "exponent");
export const maximum = binary("maximum");
export const minimum = binary("minimum");
export const remainder = binary("remainder");
export const fmod = binary("fmod");
export const atan2 = binary("atan2");
export const eq = binary("eq");
export const ne = binary("ne");
export const lt = binary("lt");
export const le = binary("le");
export const gt = binary("gt");
export const ge = binary("ge");
export const logicalAnd = binary("logical_and");
export const logicalOr = binary("logical_or");
export const logicalXor = binary("logical_xor");

// --- where, clamp, masked_fill, lerp, fill ----------------------------------------------------

/** where(condition, input, other): elements of input where condition is true, of other elsewhere. */
export function where(condition: Tensor, input: TensorLike, other: TensorLike): Tensor {
  const c = toTensor(condition, "where", "condition", false);
  const [a, b] = operandPair("where", input, other);
  return dispatch1("where", [c, a!, b!]);
}

function clampCall(op: string, input: Tensor, min: TensorLike | null | undefined, max: TensorLike | null | undefined, inPlace: boolean): Tensor {
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) throw new ArgumentError("torch.clamp: At least one of 'min' or 'max' must not be None");
  const args: [string, unknown][] = [["input", input]];
  if (hasMin) args.push(["min", min]);
  if (hasMax) args.push(["max", max]);
  const inputs = operands(op, args, true);
  const name = hasMin && hasMax ? "clamp" : hasMin ? "clamp_min" : "clamp_max";
  return inPlace ? dispatchInPlace(name, input, inputs) : dispatch1(name, inputs);
}
/** Clamps every element into [min, max] (either bound may be omitted; with min > max all become max). */
export function clamp(input: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  return clampCall("clamp", input, min, max, false);
}
export function clampMin(input: Tensor, min: TensorLike): Tensor {
  return dispatch1("clamp_min", operands("clamp_min", [["input", input], ["min", min]], true));
}
export function clampMax(input: Tensor, max: TensorLike): Tensor {
  return dispatch1("clamp_max", operands("clamp_max", [["input", input], ["max", max]], true));
}

/** Fills the elements of input where the bool mask is true with value (a number or 0-d tensor). */
export function maskedFill(input: Tensor, mask: Tensor, value: TensorLike): Tensor {
  return dispatch1("masked_fill", [
    toTensor(input, "masked_fill", "input", false),
    toTensor(mask, "masked_fill", "mask", false),
    toTensor(value, "masked_fill", "value"),
  ]);
}

/** start + weight · (end - start). */
export function lerp(input: Tensor, end: Tensor, weight: TensorLike): Tensor {
  return dispatch1("lerp", lerpOperands("lerp", input, end, weight));
}
function lerpOperands(op: string, input: Tensor, end: Tensor, weight: TensorLike): Tensor[] {
  return roundScalars([toTensor(input, op, "input", false), toTensor(end, op, "end", false), toTensor(weight, op, "weight")]);
}

/** torch.fill: a tensor shaped like input with every element equal to value (cast to input's dtype). */
export function fill(input: Tensor, value: TensorLike): Tensor {
  return dispatch1("fill", [toTensor(input, "fill", "input", false), toTensor(value, "fill", "value")]);
}

// --- methods ----------------------------------------------------------------------------------

const pointwiseMethods = {
  neg,
  abs,
  sign,
  exp,
  expm1,
  log,
  log1p,
  log2,
  sqrt,
  rsqrt,
  square,
  reciprocal,
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  sinh,
  cosh,
  tanh,
  sigmoid,
  relu,
  gelu,
  silu,
  softplus,
  erf,
  floor,
  ceil,
  round,
  trunc,
  logicalNot,
  isnan,
  isfinite,
  isinf,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  remainder,
  fmod,
  atan2,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logicalAnd,
  logicalOr,
  logicalXor,
  clamp,
  clampMin,
  clampMax,
  maskedFill,
  lerp,
  fill,

  neg_: unaryInPlace("neg"),
  abs_: unaryInPlace("abs"),
  sign_: unaryInPlace("sign"),
  exp_: unaryInPlace("exp"),
  expm1_: unaryInPlace("expm1"),
  log_: unaryInPlace("log"),
  log1p_: unaryInPlace("log1p"),
  log2_: unaryInPlace("log2"),
  sqrt_: unaryInPlace("sqrt"),
  rsqrt_: unaryInPlace("rsqrt"),
  square_: unaryInPlace("square"),
  reciprocal_: unaryInPlace("reciprocal"),
  sin_: unaryInPlace("sin"),
  cos_: unaryInPlace("cos"),
  tan_: unaryInPlace("tan"),
  asin_: unaryInPlace("asin"),
  acos_: unaryInPlace("acos"),
  atan_: unaryInPlace("atan"),
  sinh_: unaryInPlace("sinh"),
  cosh_: unaryInPlace("cosh"),
  tanh_: unaryInPlace("tanh"),
  sigmoid_: unaryInPlace("sigmoid"),
  relu_: unaryInPlace("relu"),
  erf_: unaryInPlace("erf"),
  floor_: unaryInPlace("floor"),
  ceil_: unaryInPlace("ceil"),
  trunc_: unaryInPlace("trunc"),
  logicalNot_: unaryInPlace("logical_not"),
  round_: (input: Tensor, options: RoundOptions = {}): Tensor =>
    dispatchInPlace("round", input, [toTensor(input, "round_", "input", false)], { decimals: options.decimals ?? 0 }),

  add_: (input: Tensor, other: TensorLike, options: AlphaOptions = {}): Tensor =>
    dispatchInPlace("add", input, operandPair("add_", input, other, "other", true), { alpha: options.alpha ?? 1 }),
  sub_: (input: Tensor, other: TensorLike, options: AlphaOptions = {}): Tensor =>
    dispatchInPlace("sub", input, operandPair("sub_", input, other, "other", true), { alpha: options.alpha ?? 1 }),
  mul_: binaryInPlace("mul"),
  div_: (input: Tensor, other: TensorLike, options: DivOptions = {}): Tensor =>
    dispatchInPlace("div", input, operandPair("div_", input, other, "other", true), {
      roundingMode: options.roundingMode ?? null,
    }),
  pow_: binaryInPlace("pow", "pow", "exponent"),
  remainder_: binaryInPlace("remainder"),
  fmod_: binaryInPlace("fmod"),
  atan2_: binaryInPlace("atan2"),
  eq_: binaryInPlace("eq"),
  ne_: binaryInPlace("ne"),
  lt_: binaryInPlace("lt"),
  le_: binaryInPlace("le"),
  gt_: binaryInPlace("gt"),
  ge_: binaryInPlace("ge"),
  logicalAnd_: binaryInPlace("logical_and"),
  logicalOr_: binaryInPlace("logical_or"),
  logicalXor_: binaryInPlace("logical_xor"),

  clamp_: (input: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor => clampCall("clamp_", input, min, max, true),
  clampMin_: (input: Tensor, min: TensorLike): Tensor =>
    dispatchInPlace("clamp_min", input, operands("clamp_min_", [["input", input], ["min", min]], true)),
  clampMax_: (input: Tensor, max: TensorLike): Tensor =>
    dispatchInPlace("clamp_max", input, operands("clamp_max_", [["input", input], ["max", max]], true)),
  maskedFill_: (input: Tensor, mask: Tensor, value: TensorLike): Tensor =>
    dispatchInPlace("masked_fill", input, [
      toTensor(input, "masked_fill_", "input", false),
      toTensor(mask, "masked_fill_", "mask", false),
      toTensor(value, "masked_fill_", "value"),
    ]),
  lerp_: (input: Tensor, end: Tensor, weight: TensorLike): Tensor =>
    dispatchInPlace("lerp", input, lerpOperands("lerp_", input, end, weight)),
  // fill_ and zero_ live in api/creation.ts (writeInto with a wrapped scalar).
};
installMethods(pointwiseMethods);

/** `x.where(condition, other)`: PyTorch's method form, with x as the value where condition holds. */
function whereMethod(self: Tensor, condition: Tensor, other: TensorLike): Tensor {
  return where(condition, self, other);
}
installMethods({ where: whereMethod });

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof pointwiseMethods> {
    /** Elements of this tensor where condition holds, of other elsewhere. */
    where(condition: Tensor, other: TensorLike): Tensor;
  }
}
