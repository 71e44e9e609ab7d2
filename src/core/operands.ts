// Turning user arguments into op inputs: JS numbers become wrapped 0-d tensors (type promotion
// treats them as scalars, as PyTorch does), anything else that is not a tensor is rejected.
import { type DType, type PromotionOperand } from "./dtype.js";
import { ArgumentError, describeValue } from "./errors.js";
import { Storage } from "./storage.js";
import { Tensor } from "./tensor.js";

export type TensorLike = Tensor | number | boolean;

/** A JS number or boolean as a 0-d wrapped-number tensor. */
export function wrapScalar(v: number | boolean): Tensor {
  let dtype: DType;
  let value: number;
  if (typeof v === "boolean") {
    dtype = "bool";
    value = v ? 1 : 0;
  } else if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
    dtype = "int32";
    value = v;
  } else {
    dtype = "float64";
    value = v;
  }
  // Sized constructors and a direct store: `new Int32Array([v])` takes V8's iterable path, and this
  // runs for every number passed to an op.
  const data = dtype === "bool" ? new Uint8Array(1) : dtype === "int32" ? new Int32Array(1) : new Float64Array(1);
  data[0] = value;
  const t = new Tensor(new Storage(data, dtype), [], [], 0, dtype);
  t._wrappedNumber = true;
  return t;
}

/** Checks an argument is a tensor (or converts a scalar); PyTorch's message otherwise. */
export function toTensor(v: unknown, op: string, arg: string, allowScalar = true): Tensor {
  if (v instanceof Tensor) return v;
  if (allowScalar && (typeof v === "number" || typeof v === "boolean")) return wrapScalar(v);
  throw new ArgumentError(
    `${op}(): argument '${arg}' must be ${allowScalar ? "Tensor or number" : "Tensor"}, not ${describeValue(v)}`,
  );
}

/** The operand type promotion sees: a wrapped number counts as a JS scalar. */
export function promotionOperand(t: Tensor): PromotionOperand {
  if (t._wrappedNumber) {
    const v = t._storage!.data[0]!;
    return t.dtype === "bool" ? v !== 0 : t.dtype === "float64" && Number.isInteger(v) ? 0.5 : v;
  }
  return { dtype: t.dtype, ndim: t.ndim };
}
