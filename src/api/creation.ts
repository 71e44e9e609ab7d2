// Creating tensors from data.
import { type DType, checkDType, isFloating } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
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
