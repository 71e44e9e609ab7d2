// Public reductions, scans, softmax and sorting, and their Tensor methods.
import { checkDType, type DType } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch, dispatch1 } from "../dispatch/dispatch.js";
import { toTensor } from "../core/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/reduce.js";
import "../ops/scan.js";
import "../ops/softmax.js";
import "../ops/sort.js";

export interface ReduceOptions {
  keepdim?: boolean;
}
export interface DTypeReduceOptions extends ReduceOptions {
  /** The input is cast to this dtype before the operation (PyTorch's `dtype=`). */
  dtype?: DType;
}
export interface VarOptions extends ReduceOptions {
  /** Difference between the sample size and the degrees of freedom (default 1: Bessel's correction). */
  correction?: number;
  /** Legacy form of `correction`: true means 1, false means 0. */
  unbiased?: boolean;
}
export interface SortOptions {
  descending?: boolean;
  /** Accepted for PyTorch compatibility; kiln's sort is always stable. */
  stable?: boolean;
}
export interface TopkOptions {
  largest?: boolean;
  sorted?: boolean;
}
export interface DTypeOptions {
  dtype?: DType;
}
/** What max(dim), min(dim), sort and topk return (PyTorch's named tuple). A type alias, so it is
 * assignable to `Record<string, Tensor>`. */
export type ValuesIndices = { values: Tensor; indices: Tensor };

/** A dim or list of dims; null/undefined (or an empty list) means all dims. */
export type Dims = number | number[] | null | undefined;

const isOptions = (v: unknown): v is object => typeof v === "object" && v !== null && !Array.isArray(v);

function dimsArg(op: string, dim: unknown): number[] | null {
  if (dim === undefined || dim === null) return null;
  if (typeof dim === "number") return [dim];
  if (Array.isArray(dim)) return dim.slice() as number[];
  throw new ArgumentError(`${op}(): argument 'dim' must be a number or an array of numbers, but got ${describeValue(dim)}`);
}

function dimArg(op: string, dim: unknown): number {
  if (typeof dim !== "number") {
    throw new ArgumentError(`${op}(): argument 'dim' must be a number, but got ${describeValue(dim)}`);
  }
  return dim;
}

function castTo(x: Tensor, dtype: DType | undefined): Tensor {
  if (dtype === undefined) return x;
  checkDType(dtype);
  return x.dtype === dtype ? x : dispatch1("cast", [x], { dtype });
}

/** Splits `(dim?, options?)` where the options object may come in place of the dim. */
function dimsAndOptions<O extends object>(op: string, dim: unknown, options: O | undefined): [number[] | null, O] {
  if (isOptions(dim)) return [null, dim as O];
  return [dimsArg(op, dim), options ?? ({} as O)];
}

function reduction(name: string, withDType: boolean) {
  return (input: Tensor, dim?: Dims | DTypeReduceOptions, options?: DTypeReduceOptions): Tensor => {
    const [dims, opts] = dimsAndOptions(name, dim, options);
    let x = toTensor(input, name, "input", false);
    if (withDType) x = castTo(x, opts.dtype);
    return dispatch1(name, [x], { dims, keepdim: opts.keepdim ?? false });
  };
}

/** Sum over all dims or the given ones; int and bool inputs give int32. */
export const sum = reduction("sum", true);
/** Mean over all dims or the given ones (floating inputs, or give `dtype`). */
export const mean = reduction("mean", true);
/** Product over all dims or the given ones; int and bool inputs give int32. */
export const prod = reduction("prod", true);
/** Largest value over all dims or the given ones; the gradient is split evenly among ties. */
export const amax = reduction("amax", false);
/** Smallest value over all dims or the given ones; the gradient is split evenly among ties. */
export const amin = reduction("amin", false);
/** log(sum(exp(x))) over all dims or the given ones, computed stably. */
export const logsumexp = reduction("logsumexp", false);
/** Whether every element (over all dims or the given ones) is nonzero: a bool tensor. */
export const all = reduction("all", false);
/** Whether any element (over all dims or the given ones) is nonzero: a bool tensor. */
export const any = reduction("any", false);

function extreme(name: "max" | "min") {
  function f(input: Tensor): Tensor;
  function f(input: Tensor, dim: number, options?: ReduceOptions): ValuesIndices;
  function f(input: Tensor, dim?: number, options: ReduceOptions = {}): Tensor | ValuesIndices {
    const x = toTensor(input, name, "input", false);
    if (dim === undefined || dim === null) return dispatch1(name, [x], { dims: null, keepdim: false });
    const [values, indices] = dispatch(name + "Dim", [x], { dim: dimArg(name, dim), keepdim: options.keepdim ?? false });
    return { values: values!, indices: indices! };
  }
  return f;
}
/** max(): the largest element (0-d). max(dim): `{ values, indices }` along dim (first index on ties). */
export const max = extreme("max");
/** min(): the smallest element (0-d). min(dim): `{ values, indices }` along dim (first index on ties). */
export const min = extreme("min");

function argExtreme(name: "argmax" | "argmin") {
  return (input: Tensor, dim?: number | null | ReduceOptions, options?: ReduceOptions): Tensor => {
    const x = toTensor(input, name, "input", false);
    if (isOptions(dim)) return dispatch1(name, [x], { dim: null, keepdim: (dim as ReduceOptions).keepdim ?? false });
    const d = dim === undefined || dim === null ? null : dimArg(name, dim);
    return dispatch1(name, [x], { dim: d, keepdim: options?.keepdim ?? false });
  };
}
/** Index (int32) of the largest value: into the flattened input, or along dim. */
export const argmax = argExtreme("argmax");
/** Index (int32) of the smallest value: into the flattened input, or along dim. */
export const argmin = argExtreme("argmin");

function correctionOf(op: string, opts: VarOptions): number {
  if (opts.unbiased !== undefined && opts.correction !== undefined) {
    throw new ArgumentError(`${op}(): Cannot specify both unbiased and correction`);
  }
  if (opts.unbiased !== undefined) return opts.unbiased ? 1 : 0;
  const c = opts.correction ?? 1;
  if (typeof c !== "number" || Number.isNaN(c)) throw new ArgumentError(`${op}(): correction must be a number, but got ${describeValue(c)}`);
  return c;
}

function moment(name: "var" | "std") {
  return (input: Tensor, dim?: Dims | boolean | VarOptions, options?: VarOptions): Tensor => {
    const x = toTensor(input, name, "input", false);
    let dims: number[] | null;
    let opts: VarOptions;
    if (typeof dim === "boolean") [dims, opts] = [null, { ...options, unbiased: dim }];
    else [dims, opts] = dimsAndOptions(name, dim, options);
    return dispatch1(name, [x], { dims, keepdim: opts.keepdim ?? false, correction: correctionOf(name, opts) });
  };
}
/** Variance over all dims or the given ones, with `correction` (default 1) or `unbiased`. */
export const variance = moment("var");
/** Standard deviation over all dims or the given ones, with `correction` (default 1) or `unbiased`. */
export const std = moment("std");
export { variance as var };

/**
 * Vector p-norm over all dims or the given ones: p = 2 (default, also "fro"), 1, Infinity,
 * -Infinity, 0 (count of nonzeros) or any other number.
 */
export function norm(input: Tensor, p: number | "fro" | null = 2, dim?: Dims, options: DTypeReduceOptions = {}): Tensor {
  let x = toTensor(input, "norm", "input", false);
  let pv: number;
  if (p === null || p === "fro") pv = 2;
  else if (typeof p === "number" && !Number.isNaN(p)) pv = p;
  else throw new ArgumentError(`norm(): p must be a number or "fro", but got ${describeValue(p)}`);
  x = castTo(x, options.dtype);
  return dispatch1("norm", [x], { dims: dimsArg("norm", dim), keepdim: options.keepdim ?? false, p: pv });
}

function scan(name: "cumsum" | "cumprod") {
  return (input: Tensor, dim: number, options: DTypeOptions = {}): Tensor => {
    const x = castTo(toTensor(input, name, "input", false), options.dtype);
    return dispatch1(name, [x], { dim: dimArg(name, dim), exclusive: false, reverse: false });
  };
}
/** Cumulative sum along dim; int and bool inputs give int32. */
export const cumsum = scan("cumsum");
/** Cumulative product along dim; int and bool inputs give int32. Its gradient assumes no zeros. */
export const cumprod = scan("cumprod");

function softmaxFn(name: "softmax" | "logSoftmax") {
  return (input: Tensor, dim: number, options: DTypeOptions = {}): Tensor => {
    const x = castTo(toTensor(input, name, "input", false), options.dtype);
    return dispatch1(name, [x], { dim: dimArg(name, dim) });
  };
}
/** softmax along dim (floating inputs, or give `dtype`). */
export const softmax = softmaxFn("softmax");
/** log(softmax) along dim, computed stably. */
export const logSoftmax = softmaxFn("logSoftmax");

function sortArgs(dim: number | SortOptions | undefined, options: SortOptions | undefined): [number, SortOptions] {
  if (isOptions(dim)) return [-1, dim as SortOptions];
  return [dim === undefined ? -1 : dimArg("sort", dim), options ?? {}];
}

/** Sorts along dim (default -1): `{ values, indices }`. Stable; NaN sorts as the largest value. */
export function sort(input: Tensor, dim?: number | SortOptions, options?: SortOptions): ValuesIndices {
  const x = toTensor(input, "sort", "input", false);
  const [d, o] = sortArgs(dim, options);
  const [values, indices] = dispatch("sort", [x], { dim: d, descending: o.descending ?? false, stable: o.stable ?? false });
  return { values: values!, indices: indices! };
}

/** The indices (int32) that sort the input along dim (default -1). */
export function argsort(input: Tensor, dim?: number | SortOptions, options?: SortOptions): Tensor {
  return sort(input, dim, options).indices;
}

/** The k largest (or smallest) values along dim (default -1) and their indices, sorted. */
export function topk(input: Tensor, k: number, dim?: number | TopkOptions, options?: TopkOptions): ValuesIndices {
  const x = toTensor(input, "topk", "input", false);
  let d = -1;
  let o: TopkOptions = options ?? {};
  if (isOptions(dim)) o = dim as TopkOptions;
  else if (dim !== undefined) d = dimArg("topk", dim);
  const [values, indices] = dispatch("topk", [x], { k, dim: d, largest: o.largest ?? true, sorted: o.sorted ?? true });
  return { values: values!, indices: indices! };
}

// Kiln-internal helpers used by gradient formulas (not part of the public API).
function cumulative(input: Tensor, kind: "cumsum" | "cumprod", dim: number, exclusive: boolean, reverse: boolean): Tensor {
  return dispatch1(kind, [input], { dim, exclusive, reverse });
}
function gatherAlongDim(input: Tensor, index: Tensor, dim: number): Tensor {
  return dispatch1("_gatherAlongDim", [input, index], { dim });
}
function scatterAddAlongDim(src: Tensor, index: Tensor, dim: number, shape: number[]): Tensor {
  return dispatch1("_scatterAddAlongDim", [src, index], { dim, shape });
}

const reduceMethods = {
  sum,
  mean,
  prod,
  amax,
  amin,
  logsumexp,
  all,
  any,
  argmax,
  argmin,
  var: variance,
  std,
  norm,
  cumsum,
  cumprod,
  softmax,
  logSoftmax,
  sort,
  argsort,
  topk,
  /** @internal exclusive/reverse scans for gradient formulas. */
  _cumulative: cumulative,
  /** @internal gather along a dim (gradient of the scatter below). */
  _gatherAlongDim: gatherAlongDim,
  /** @internal zero tensor of `shape` with `src` added at `index` along dim (gradient of sort, topk, max(dim)). */
  _scatterAddAlongDim: scatterAddAlongDim,
};
installMethods(reduceMethods);
installMethods({ max, min });

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof reduceMethods> {
    /** The largest element (0-d tensor). */
    max(): Tensor;
    /** The largest values along dim and their int32 indices. */
    max(dim: number, options?: ReduceOptions): ValuesIndices;
    /** The smallest element (0-d tensor). */
    min(): Tensor;
    /** The smallest values along dim and their int32 indices. */
    min(dim: number, options?: ReduceOptions): ValuesIndices;
  }
}
