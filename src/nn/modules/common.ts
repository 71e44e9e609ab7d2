// Helpers shared by the built-in modules.
import type { DType } from "../../core/dtype.js";
import { ArgumentError, describeValue } from "../../core/errors.js";
import { Parameter } from "../parameter.js";
import { emptyTensor } from "../init.js";

/** Options of modules that own parameters (PyTorch's factory kwargs). */
export interface FactoryOptions {
  dtype?: DType;
}

/** A new parameter of the given shape (zero-filled until an init function fills it). */
export function newParameter(shape: readonly number[], dtype: DType = "float32"): Parameter {
  return new Parameter(emptyTensor(shape, dtype));
}

export function checkPositiveInt(v: unknown, what: string, allowZero = false): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ArgumentError(`${what} must be a ${allowZero ? "non-negative" : "positive"} integer, but got ${describeValue(v)}`);
  }
  return v;
}

export function checkProbability(p: unknown, what = "dropout probability"): number {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new ArgumentError(`${what} has to be between 0 and 1, but got ${String(p)}`);
  }
  return p;
}
