// Public pointwise functions and their Tensor methods (including in-place `_` variants).
import { Tensor } from "../core/tensor.js";
import { dispatch1, dispatchInPlace } from "../dispatch/dispatch.js";
import { toTensor, type TensorLike } from "../dispatch/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/unary.js";
import "../ops/binary.js";

function unary(name: string) {
  return (input: Tensor): Tensor => dispatch1(name, [toTensor(input, name, "input", false)]);
}
function unaryInPlace(name: string) {
  return (input: Tensor): Tensor => dispatchInPlace(name, input, [toTensor(input, name + "_", "input", false)]);
}

export const neg = unary("neg");
export const abs = unary("abs");
export const exp = unary("exp");
export const log = unary("log");
export const sin = unary("sin");
export const cos = unary("cos");
export const tanh = unary("tanh");
export const sqrt = unary("sqrt");
export const sigmoid = unary("sigmoid");
export const square = unary("square");
export const relu = unary("relu");
export const sign = unary("sign");

export interface AlphaOptions {
  alpha?: number;
}

function binary(name: string) {
  return (input: TensorLike, other: TensorLike): Tensor =>
    dispatch1(name, [toTensor(input, name, "input"), toTensor(other, name, "other")]);
}
function binaryInPlace(name: string) {
  return (input: Tensor, other: TensorLike): Tensor =>
    dispatchInPlace(name, input, [toTensor(input, name + "_", "input", false), toTensor(other, name + "_", "other")]);
}

export function add(input: TensorLike, other: TensorLike, options: AlphaOptions = {}): Tensor {
  return dispatch1("add", [toTensor(input, "add", "input"), toTensor(other, "add", "other")], { alpha: options.alpha ?? 1 });
}
export function sub(input: TensorLike, other: TensorLike, options: AlphaOptions = {}): Tensor {
  return dispatch1("sub", [toTensor(input, "sub", "input"), toTensor(other, "sub", "other")], { alpha: options.alpha ?? 1 });
}
export const mul = binary("mul");

export interface DivOptions {
  roundingMode?: "trunc" | "floor" | null;
}
export function div(input: TensorLike, other: TensorLike, options: DivOptions = {}): Tensor {
  return dispatch1("div", [toTensor(input, "div", "input"), toTensor(other, "div", "other")], {
    roundingMode: options.roundingMode ?? null,
  });
}
export const eq = binary("eq");
export const ne = binary("ne");
export const lt = binary("lt");
export const le = binary("le");
export const gt = binary("gt");
export const ge = binary("ge");

const pointwiseMethods = {
  neg,
  abs,
  exp,
  log,
  sin,
  cos,
  tanh,
  sqrt,
  sigmoid,
  square,
  relu,
  sign,
  add,
  sub,
  mul,
  div,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  neg_: unaryInPlace("neg"),
  abs_: unaryInPlace("abs"),
  exp_: unaryInPlace("exp"),
  log_: unaryInPlace("log"),
  sin_: unaryInPlace("sin"),
  cos_: unaryInPlace("cos"),
  tanh_: unaryInPlace("tanh"),
  sqrt_: unaryInPlace("sqrt"),
  sigmoid_: unaryInPlace("sigmoid"),
  relu_: unaryInPlace("relu"),
  add_: (input: Tensor, other: TensorLike, options: AlphaOptions = {}): Tensor =>
    dispatchInPlace("add", input, [input, toTensor(other, "add_", "other")], { alpha: options.alpha ?? 1 }),
  sub_: (input: Tensor, other: TensorLike, options: AlphaOptions = {}): Tensor =>
    dispatchInPlace("sub", input, [input, toTensor(other, "sub_", "other")], { alpha: options.alpha ?? 1 }),
  mul_: binaryInPlace("mul"),
  div_: (input: Tensor, other: TensorLike, options: DivOptions = {}): Tensor =>
    dispatchInPlace("div", input, [input, toTensor(other, "div_", "other")], { roundingMode: options.roundingMode ?? null }),
};
installMethods(pointwiseMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof pointwiseMethods> {}
}
