// Creating tensors: from data (`tensor`), from sizes (zeros, ones, full, empty, arange, linspace,
// eye), like another tensor (zerosLike, newZeros), and filling in place (fill_, zero_).
import { type DType, checkDType, isFloating, scalarDType } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { checkNumber, checkShape } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1, writeInto } from "../dispatch/dispatch.js";
import { toTensor } from "../core/operands.js";
import { finishLeaf, sizeOf } from "./creation-args.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/creation.js";
import type { TypedArray } from "../core/dtype.js";
import { ARRAY_TYPES } from "../core/dtype.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Nested arrays of numbers or booleans accepted by `tensor()`. */
export type NestedData = number | boolean | readonly NestedData[];

function inferShape(data: NestedData, shape: number[], depth: number): void {
  if (Array.isArray(data)) {
    shape[depth] = data.length;
    if (data.length > 0) inferShape(data[0] as NestedData, shape, depth + 1);
  }
}

/**
 * torch.tensor: a new tensor from nested arrays, a TypedArray or a scalar. The dtype is inferred
 * like PyTorch's (bools → bool, all integers → int32, otherwise float32) unless given.
 */
export function tensor(data: NestedData | TypedArray, options: TensorOptions = {}): Tensor {
  let t: Tensor;
  if (ArrayBuffer.isView(data)) {
    const inferred: DType =
      data instanceof Float64Array ? "float64" : data instanceof Int32Array ? "int32" : data instanceof Uint8Array ? "bool" : "float32";
    const dtype = options.dtype === undefined ? inferred : checkDType(options.dtype);
    const arr = new ARRAY_TYPES[dtype](data.length);
    for (let i = 0; i < data.length; i++) arr[i] = dtype === "bool" ? (data[i] ? 1 : 0) : data[i]!;
    t = Tensor.fromData(arr, [data.length], dtype);
  } else {
    const shape: number[] = [];
    inferShape(data, shape, 0);
    const flat: (number | boolean)[] = [];
    let allBool = true;
    let allInt = true;
    const walk = (d: NestedData, depth: number, path: string) => {
      if (depth === shape.length) {
        if (typeof d === "boolean") allInt = allInt && true;
        else if (typeof d === "number") {
          allBool = false;
          if (!Number.isInteger(d)) allInt = false;
        } else throw new ArgumentError(`tensor(): expected a number or boolean at ${path || "top level"}, but got ${describeValue(d)}`);
        flat.push(d);
        return;
      }
      if (!Array.isArray(d) || d.length !== shape[depth]) {
        throw new ArgumentError(
          `expected sequence of length ${shape[depth]} at dim ${depth} (got ${Array.isArray(d) ? d.length : describeValue(d)})`,
        );
      }
      d.forEach((v, i) => walk(v as NestedData, depth + 1, `${path}[${i}]`));
    };
    walk(data, 0, "");
    // JS cannot tell 1.0 from 1: integer-valued data infers int32 unless it is to require grad.
    const inferred: DType =
      flat.length > 0 && allBool ? "bool" : allInt && flat.length > 0 && !options.requiresGrad ? "int32" : "float32";
    const dtype = options.dtype === undefined ? inferred : checkDType(options.dtype);
    const arr = new ARRAY_TYPES[dtype](flat.length);
    flat.forEach((v, i) => (arr[i] = typeof v === "boolean" ? (v ? 1 : 0) : dtype === "bool" ? (v !== 0 ? 1 : 0) : v));
    t = Tensor.fromData(arr, shape, dtype);
  }
  if (options.requiresGrad) {
    if (!isFloating(t.dtype)) throw new ArgumentError("Only Tensors of floating point and complex dtype can require gradients");
    t.requiresGrad = true;
  }
  return t;
}

/** A size given as an array (`[2, 3]`) or a single number for 1-d. */
export type SizeArg = number | readonly number[];

function dtypeOr(options: TensorOptions, fallback: DType): DType {
  return options.dtype === undefined ? fallback : checkDType(options.dtype);
}

function sized(name: "zeros" | "ones") {
  return (size: SizeArg, options: TensorOptions = {}): Tensor =>
    finishLeaf(dispatch1(name, [], { shape: sizeOf(size, name), dtype: dtypeOr(options, "float32") }), options);
}

/** torch.zeros. */
export const zeros = sized("zeros");
/** torch.ones. */
export const ones = sized("ones");
/** torch.empty: kiln's empty tensors are zero-filled. */
export const empty = (size: SizeArg, options: TensorOptions = {}): Tensor => zeros(size, options);

/**
 * torch.full. Without a dtype the fill value decides it: booleans give bool, integers int32 (float32
 * when requiresGrad is set), other numbers float32.
 */
export function full(size: SizeArg, fillValue: number | boolean, options: TensorOptions = {}): Tensor {
  if (typeof fillValue !== "number" && typeof fillValue !== "boolean") {
    throw new ArgumentError(`full(): argument 'fill_value' must be Number, not ${describeValue(fillValue)}`);
  }
  let inferred = scalarDType(fillValue);
  if (inferred === "int32" && options.requiresGrad) inferred = "float32";
  const value = typeof fillValue === "boolean" ? (fillValue ? 1 : 0) : fillValue;
  return finishLeaf(dispatch1("full", [], { shape: sizeOf(size, "full"), dtype: dtypeOr(options, inferred), value }), options);
}

/**
 * torch.arange: `arange(end)` or `arange(start, end, step = 1)`, then an optional options object.
 * The dtype is int32 when every argument is an integer, float32 otherwise.
 */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(...args: unknown[]): Tensor {
  const last = args[args.length - 1];
  const options: TensorOptions = typeof last === "object" && last !== null ? (args.pop() as TensorOptions) : {};
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  if (args.length < 1 || args.length > 3) throw new ArgumentError(`arange() takes 1 to 3 numbers, but got ${args.length}`);
  const names = args.length === 1 ? ["end"] : ["start", "end", "step"];
  args.forEach((a, i) => checkNumber(a, `arange(): argument '${names[i]}'`));
  const nums = args as number[];
  const [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
  const allInt = nums.every((v) => Number.isInteger(v));
  const dtype = dtypeOr(options, allInt && !options.requiresGrad ? "int32" : "float32");
  return finishLeaf(dispatch1("arange", [], { start, end, step, dtype }), options);
}

/** torch.linspace: `steps` evenly spaced values from start to end inclusive (float32 unless given). */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  return finishLeaf(dispatch1("linspace", [], { start, end, steps, dtype: dtypeOr(options, "float32") }), options);
}

/** torch.eye: an n×m (default n×n) identity matrix. */
export function eye(n: number, m?: number | TensorOptions, options: TensorOptions = {}): Tensor {
  if (typeof m === "object" && m !== null) {
    options = m;
    m = undefined;
  }
  return finishLeaf(dispatch1("eye", [], { n, m: m ?? n, dtype: dtypeOr(options, "float32") }), options);
}

function likeShape(input: unknown, op: string): Tensor {
  return toTensor(input, op, "input", false);
}

export function zerosLike(input: Tensor, options: TensorOptions = {}): Tensor {
  const x = likeShape(input, "zerosLike");
  return zeros(x.shape, { ...options, dtype: options.dtype ?? x.dtype });
}
export function onesLike(input: Tensor, options: TensorOptions = {}): Tensor {
  const x = likeShape(input, "onesLike");
  return ones(x.shape, { ...options, dtype: options.dtype ?? x.dtype });
}
export function emptyLike(input: Tensor, options: TensorOptions = {}): Tensor {
  return zerosLike(input, options);
}
export function fullLike(input: Tensor, fillValue: number | boolean, options: TensorOptions = {}): Tensor {
  const x = likeShape(input, "fullLike");
  return full(x.shape, fillValue, { ...options, dtype: options.dtype ?? x.dtype });
}

/** fill_: writes one value (a number or a 0-d tensor) into every element. */
export function fill_(input: Tensor, value: number | boolean | Tensor): Tensor {
  const x = toTensor(input, "fill_", "self", false);
  const v = toTensor(value, "fill_", "value");
  if (v.ndim !== 0) {
    throw new ArgumentError(`fill_ only supports 0-dimension value tensor but got tensor with ${v.ndim} dimensions.`);
  }
  return writeInto(x, v, "fill_");
}

const creationMethods = {
  newZeros: (self: Tensor, size: SizeArg, options: TensorOptions = {}): Tensor =>
    zeros(size, { ...options, dtype: options.dtype ?? self.dtype }),
  newOnes: (self: Tensor, size: SizeArg, options: TensorOptions = {}): Tensor =>
    ones(size, { ...options, dtype: options.dtype ?? self.dtype }),
  newEmpty: (self: Tensor, size: SizeArg, options: TensorOptions = {}): Tensor =>
    zeros(size, { ...options, dtype: options.dtype ?? self.dtype }),
  newFull: (self: Tensor, size: SizeArg, fillValue: number | boolean, options: TensorOptions = {}): Tensor =>
    full(size, fillValue, { ...options, dtype: options.dtype ?? self.dtype }),
  fill_,
  zero_: (self: Tensor): Tensor => fill_(self, 0),
};
installMethods(creationMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof creationMethods> {}
}
