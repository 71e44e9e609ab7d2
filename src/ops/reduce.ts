// Reductions over all dims or a list of dims, with keepdim: sum, mean, prod, amax/amin, max/min
// (full, and along a dim with indices), argmax/argmin, var/std, norm, logsumexp, all/any.
import { type DType, isFloating, torchTypeName } from "../core/dtype.js";
import { DTypeError, IndexError, KilnRuntimeError } from "../core/errors.js";
import { normalizeDim, normalizeDims } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp, type GradContext, type OutputMeta } from "./registry.js";
import { reducing, type Reducer } from "./reduce-kernel.js";

export interface ReduceAttrs {
  /** Reduced dims; null (or empty) reduces over all of them. */
  dims: number[] | null;
  keepdim: boolean;
}

/** The normalised reduced dims of `x`. */
export function reducedDims(x: Tensor, dims: readonly number[] | null): number[] {
  if (dims === null || dims.length === 0) return x.shape.map((_, i) => i);
  return normalizeDims(dims, x.ndim);
}

/** Output shape of a reduction over `dims`. */
export function reducedShape(x: Tensor, dims: readonly number[], keepdim: boolean): number[] {
  const set = new Set(dims);
  const out: number[] = [];
  x.shape.forEach((s, i) => {
    if (!set.has(i)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

export function reduceMeta(x: Tensor, attrs: ReduceAttrs, dtype: DType): OutputMeta[] {
  return [{ shape: reducedShape(x, reducedDims(x, attrs.dims), attrs.keepdim), dtype }];
}

/** Like reducedDims but from a shape (for gradient formulas, which only keep shapes). */
export function reducedDimsOfShape(shape: readonly number[], dims: readonly number[] | null): number[] {
  if (dims === null || dims.length === 0) return shape.map((_, i) => i);
  const n = Math.max(shape.length, 1);
  return dims.map((d) => (d < 0 ? d + n : d)).filter((d) => d < shape.length);
}

/** Number of elements reduced into each output element. */
function reducedCount(shape: readonly number[], dims: readonly number[] | null): number {
  return reducedDimsOfShape(shape, dims).reduce((n, d) => n * shape[d]!, 1);
}

/** Expands a reduced value (gradient or output) back over the reduced dims of the input. */
export function expandReduced(g: Tensor, inputShape: readonly number[], attrs: ReduceAttrs): Tensor {
  let r = g;
  if (!attrs.keepdim) {
    for (const d of reducedDimsOfShape(inputShape, attrs.dims).sort((a, b) => a - b)) r = r.unsqueeze(d);
  }
  return r.expand(inputShape.slice());
}

/** The reduced value with its reduced dims kept as size 1 (broadcastable against the input). */
function keepReduced(g: Tensor, inputShape: readonly number[], attrs: ReduceAttrs): Tensor {
  let r = g;
  if (!attrs.keepdim) {
    for (const d of reducedDimsOfShape(inputShape, attrs.dims).sort((a, b) => a - b)) r = r.unsqueeze(d);
  }
  return r;
}

const allDims = <A extends ReduceAttrs>(x: Tensor, a: A) => reducedDims(x, a.dims);
const intResult = (d: DType): DType => (isFloating(d) ? d : "int32");

// ---------------------------------------------------------------------------------------------
// sum, mean, prod

export const sum = defineOp<ReduceAttrs>({
  name: "sum",
  kind: "reduction",
  meta: ([x], attrs) => reduceMeta(x!, attrs, intResult(x!.dtype)),
  ...reducing(
    (_i, o) =>
      o === "int32"
        ? { init: "let acc = 0;", step: "acc = (acc + x) | 0;", result: "acc" }
        : { init: "let acc = 0;", step: "acc += x;", result: "acc" },
    allDims,
  ),
  grad: (ctx, [g]) => [expandReduced(g!, ctx.inputShape(0), ctx.attrs)],
});

export const mean = defineOp<ReduceAttrs>({
  name: "mean",
  kind: "reduction",
  meta([x], attrs) {
    if (!isFloating(x!.dtype)) {
      throw new DTypeError(
        `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${torchTypeName(x!.dtype)}`,
      );
    }
    return reduceMeta(x!, attrs, x!.dtype);
  },
  ...reducing(() => ({ init: "let acc = 0;", step: "acc += x;", result: "acc / count" }), allDims),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    return [expandReduced(g!.div(reducedCount(shape, ctx.attrs.dims)), shape, ctx.attrs)];
  },
});

/**
 * Product of all other elements along the reduced dims, computed from exclusive cumulative
 * products from both sides, so it is exact when the input contains zeros.
 */
function productOfOthers(x: Tensor, dims: number[]): Tensor {
  if (x.ndim === 0) return x.mul(0).add(1);
  if (dims.length === 1) {
    const d = dims[0]!;
    return x._cumulative("cumprod", d, true, false).mul(x._cumulative("cumprod", d, true, true));
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const red = [...dims].sort((a, b) => a - b);
  const perm = [...kept, ...red];
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  const xp = x.permute(perm);
  const n = red.reduce((a, d) => a * x.shape[d]!, 1);
  const flat = xp.reshape([...kept.map((d) => x.shape[d]!), n]);
  const last = flat.ndim - 1;
  const others = flat._cumulative("cumprod", last, true, false).mul(flat._cumulative("cumprod", last, true, true));
  return others.reshape(xp.shape.slice()).permute(inv);
}

export const prod = defineOp<ReduceAttrs>({
  name: "prod",
  kind: "reduction",
  meta: ([x], attrs) => reduceMeta(x!, attrs, intResult(x!.dtype)),
  ...reducing(
    (_i, o) =>
      o === "int32"
        ? { init: "let acc = 1;", step: "acc = Math.imul(acc, x);", result: "acc" }
        : { init: "let acc = 1;", step: "acc *= x;", result: "acc" },
    allDims,
  ),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    const dims = reducedDimsOfShape(shape, ctx.attrs.dims);
    return [expandReduced(g!, shape, ctx.attrs).mul(productOfOthers(ctx.input(0), dims))];
  },
});

// ---------------------------------------------------------------------------------------------
// max / min family. NaN propagates (it counts as the extreme); ties keep the first index.

const maxStep = "if (acc === acc && !(x <= acc)) { acc = x; idx = r; }";
const minStep = "if (acc === acc && !(x >= acc)) { acc = x; idx = r; }";
const maxReducer = (): Reducer => ({ init: "let acc = -Infinity, idx = 0;", step: maxStep, result: "acc", extra: ["idx"] });
const minReducer = (): Reducer => ({ init: "let acc = Infinity, idx = 0;", step: minStep, result: "acc", extra: ["idx"] });
// Without an index, the same results as Math.max / Math.min folds (which the C++ target vectorises).
const maxValue = (): Reducer => ({ init: "let acc = -Infinity;", step: "acc = Math.max(acc, x);", result: "acc" });
const minValue = (): Reducer => ({ init: "let acc = Infinity;", step: "acc = Math.min(acc, x);", result: "acc" });
const argMax = (): Reducer => ({ init: "let acc = -Infinity, idx = 0;", step: maxStep, result: "idx" });
const argMin = (): Reducer => ({ init: "let acc = Infinity, idx = 0;", step: minStep, result: "idx" });

function noEmptyAll(op: string, x: Tensor): void {
  if (x.numel() === 0) {
    throw new KilnRuntimeError(
      `${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
    );
  }
}

function noEmptyDims(op: string, x: Tensor, dims: readonly number[]): void {
  for (const d of dims) {
    if (x.ndim > 0 && x.shape[d] === 0) {
      throw new IndexError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
    }
  }
}

/** Gradient of amax/amin-style reductions: split evenly among the elements equal to the result. */
function evenSplitGrad(ctx: GradContext<object>, g: Tensor, attrs: ReduceAttrs): Tensor {
  const shape = ctx.inputShape(0);
  const x = ctx.input(0);
  const mask = x.eq(keepReduced(ctx.output(0), shape, attrs));
  const count = mask.sum(reducedDimsOfShape(shape, attrs.dims), { keepdim: true });
  return keepReduced(g, shape, attrs).div(count).mul(mask);
}

function bounded(name: "amax" | "amin") {
  return defineOp<ReduceAttrs>({
    name,
    kind: "reduction",
    meta([x], attrs) {
      const dims = reducedDims(x!, attrs.dims);
      if (attrs.dims === null || attrs.dims.length === 0) noEmptyAll(name, x!);
      else noEmptyDims(name, x!, dims);
      return reduceMeta(x!, attrs, x!.dtype);
    },
    ...reducing(name === "amax" ? maxValue : minValue, allDims),
    grad: (ctx, [g]) => [evenSplitGrad(ctx, g!, ctx.attrs)],
  });
}
export const amax = bounded("amax");
export const amin = bounded("amin");

const ALL: ReduceAttrs = { dims: null, keepdim: false };

function fullExtreme(name: "max" | "min") {
  // Attributes are always { dims: null, keepdim: false } (kept so every "reduction" op has dims).
  return defineOp<ReduceAttrs>({
    name,
    kind: "reduction",
    meta([x]) {
      noEmptyAll(name, x!);
      return [{ shape: [], dtype: x!.dtype }];
    },
    ...reducing(name === "max" ? maxValue : minValue, (x) => x.shape.map((_, i) => i)),
    grad: (ctx, [g]) => [evenSplitGrad(ctx, g!, ALL)],
  });
}
/** max() over all elements (a 0-d tensor); the gradient is split evenly among ties. */
export const max = fullExtreme("max");
export const min = fullExtreme("min");

export interface DimAttrs {
  dim: number;
  keepdim: boolean;
}

function dimMeta(op: string, x: Tensor, attrs: DimAttrs): OutputMeta[] {
  const d = normalizeDim(attrs.dim, x.ndim);
  noEmptyDims(op, x, [d]);
  const shape = reducedShape(x, x.ndim === 0 ? [] : [d], attrs.keepdim);
  return [
    { shape, dtype: x.dtype },
    { shape: shape.slice(), dtype: "int32" },
  ];
}

/** Sends a gradient to the positions given by `indices` along `dim` (zero elsewhere). */
function scatterToIndices(g: Tensor, indices: Tensor, shape: readonly number[], dim: number, keepdim: boolean): Tensor {
  if (shape.length === 0) return g;
  const d = dim < 0 ? dim + shape.length : dim;
  const gk = keepdim ? g : g.unsqueeze(d);
  const ik = keepdim ? indices : indices.unsqueeze(d);
  return gk._scatterAddAlongDim(ik, d, shape.slice());
}

function extremeAlongDim(name: "maxDim" | "minDim", op: string) {
  return defineOp<DimAttrs>({
    name,
    kind: "reduction",
    meta: ([x], attrs) => dimMeta(op, x!, attrs),
    ...reducing(name === "maxDim" ? maxReducer : minReducer, (x, a) => (x.ndim === 0 ? [] : [normalizeDim(a.dim, x.ndim)])),
    grad: (ctx, [g]) => [g ? scatterToIndices(g, ctx.output(1), ctx.inputShape(0), ctx.attrs.dim, ctx.attrs.keepdim) : null],
  });
}
/** max(dim): values and int32 indices (first occurrence); the gradient goes to those indices. */
export const maxDim = extremeAlongDim("maxDim", "max");
export const minDim = extremeAlongDim("minDim", "min");

export interface ArgAttrs {
  /** null: index into the flattened input. */
  dim: number | null;
  keepdim: boolean;
}

function argExtreme(name: "argmax" | "argmin") {
  return defineOp<ArgAttrs>({
    name,
    kind: "reduction",
    meta([x], attrs) {
      if (attrs.dim === null) {
        if (x!.numel() === 0) throw new KilnRuntimeError(`${name}(): Expected reduction dim to be specified for input.numel() == 0.`);
        return [{ shape: attrs.keepdim ? x!.shape.map(() => 1) : [], dtype: "int32" }];
      }
      return [dimMeta(name, x!, { dim: attrs.dim, keepdim: attrs.keepdim })[1]!];
    },
    ...reducing(name === "argmax" ? argMax : argMin, (x, a) =>
      a.dim === null ? x.shape.map((_, i) => i) : x.ndim === 0 ? [] : [normalizeDim(a.dim, x.ndim)],
    ),
    grad: "nondifferentiable",
  });
}
export const argmax = argExtreme("argmax");
export const argmin = argExtreme("argmin");

// ---------------------------------------------------------------------------------------------
// var / std (Welford, one pass)

export interface VarAttrs extends ReduceAttrs {
  correction: number;
}

function varMeta(x: Tensor, attrs: VarAttrs): OutputMeta[] {
  if (!isFloating(x.dtype)) throw new DTypeError("std and var only support floating point and complex dtypes");
  return reduceMeta(x, attrs, x.dtype);
}

const welford = (result: string): Reducer => ({
  init: "let mu = 0, m2 = 0;",
  step: "const dx = x - mu; mu += dx / (r + 1); m2 += dx * (x - mu);",
  result,
});
const corrPrelude = () => "const corr = attrs.correction;";

export const variance = defineOp<VarAttrs>({
  name: "var",
  kind: "reduction",
  meta: ([x], attrs) => varMeta(x!, attrs),
  ...reducing(() => welford("m2 / Math.max(0, count - corr)"), allDims, corrPrelude),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    const x = ctx.input(0);
    const dims = reducedDimsOfShape(shape, ctx.attrs.dims);
    const n = reducedCount(shape, ctx.attrs.dims);
    const centred = x.sub(x.mean(dims, { keepdim: true }));
    return [keepReduced(g!, shape, ctx.attrs).mul(centred).mul(2 / Math.max(0, n - ctx.attrs.correction))];
  },
});

export const std = defineOp<VarAttrs>({
  name: "std",
  kind: "reduction",
  meta: ([x], attrs) => varMeta(x!, attrs),
  ...reducing(() => welford("Math.sqrt(m2 / Math.max(0, count - corr))"), allDims, corrPrelude),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    const x = ctx.input(0);
    const dims = reducedDimsOfShape(shape, ctx.attrs.dims);
    const n = reducedCount(shape, ctx.attrs.dims);
    const s = keepReduced(ctx.output(0), shape, ctx.attrs);
    const centred = x.sub(x.mean(dims, { keepdim: true }));
    // Zero where std is zero (as PyTorch's masked_fill): the denominator becomes 1 there.
    const denom = s.add(s.eq(0)).mul(Math.max(0, n - ctx.attrs.correction));
    return [keepReduced(g!, shape, ctx.attrs).mul(centred).div(denom)];
  },
});

// ---------------------------------------------------------------------------------------------
// norm (vector p-norm over the given dims)

export interface NormAttrs extends ReduceAttrs {
  p: number;
}

function normReducer(_i: string, _o: string, attrs: NormAttrs): Reducer {
  const p = attrs.p;
  if (p === 2) return { init: "let acc = 0;", step: "acc += x * x;", result: "Math.sqrt(acc)" };
  if (p === 1) return { init: "let acc = 0;", step: "acc += Math.abs(x);", result: "acc" };
  if (p === Infinity) return { init: "let acc = 0;", step: "const a = Math.abs(x); if (acc === acc && !(a <= acc)) acc = a;", result: "acc" };
  if (p === -Infinity) {
    return { init: "let acc = Infinity;", step: "const a = Math.abs(x); if (acc === acc && !(a >= acc)) acc = a;", result: "acc" };
  }
  if (p === 0) return { init: "let acc = 0;", step: "if (x !== 0) acc += 1;", result: "acc" };
  return { init: "let acc = 0;", step: "acc += Math.pow(Math.abs(x), normP);", result: "Math.pow(acc, 1 / normP)" };
}

/** |t|^q with 0^q taken as 1 (callers multiply by sign(t), which is 0 there). */
function safePowAbs(t: Tensor, q: number): Tensor {
  const a = t.abs();
  return a.add(a.eq(0)).log().mul(q).exp();
}

export const norm = defineOp<NormAttrs>({
  name: "norm",
  kind: "reduction",
  meta([x], attrs) {
    if (!isFloating(x!.dtype)) {
      throw new DTypeError(`linalg.vector_norm: Expected a floating point or complex tensor as input. Got ${torchTypeName(x!.dtype)}`);
    }
    if ((attrs.p < 0 || attrs.p === Infinity) && x!.numel() === 0) {
      const ord = attrs.p === Infinity ? "inf" : attrs.p === -Infinity ? "-inf" : String(attrs.p);
      throw new KilnRuntimeError(
        `linalg.vector_norm cannot compute the ${ord} norm on an empty tensor because the operation does not have an identity`,
      );
    }
    return reduceMeta(x!, attrs, x!.dtype);
  },
  ...reducing(normReducer, allDims, () => "const normP = attrs.p;"),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    const x = ctx.input(0);
    const p = ctx.attrs.p;
    const gk = keepReduced(g!, shape, ctx.attrs);
    const nk = keepReduced(ctx.output(0), shape, ctx.attrs);
    if (p === 0) return [x.mul(gk).mul(0)];
    if (p === 1) return [gk.mul(x.sign())];
    if (p === 2) return [gk.mul(x).div(nk.add(nk.eq(0)))];
    if (p === Infinity || p === -Infinity) {
      const mask = x.abs().eq(nk);
      const count = mask.sum(reducedDimsOfShape(shape, ctx.attrs.dims), { keepdim: true });
      return [gk.div(count).mul(mask).mul(x.sign())];
    }
    // sign(x) |x|^(p-1) g / norm^(p-1), zero where x or the norm is zero (PyTorch's masking).
    const scaled = x.sign().mul(safePowAbs(x, p - 1));
    return [scaled.mul(gk).div(safePowAbs(nk, p - 1))];
  },
});

// ---------------------------------------------------------------------------------------------
// logsumexp (online: a running max with a rescaled sum, one pass)

export const logsumexp = defineOp<ReduceAttrs>({
  name: "logsumexp",
  kind: "reduction",
  meta: ([x], attrs) => reduceMeta(x!, attrs, isFloating(x!.dtype) ? x!.dtype : "float32"),
  ...reducing(
    () => ({
      init: "let m = -Infinity, s = 0, nan = false;",
      step:
        "if (x > m) { s = s * Math.exp(m - x) + 1; m = x; } else if (x !== x) nan = true; else if (m !== -Infinity && m !== Infinity) s += Math.exp(x - m);",
      result: "nan ? NaN : (m === Infinity || m === -Infinity) ? m : m + Math.log(s)",
    }),
    allDims,
  ),
  grad: (ctx, [g]) => {
    const shape = ctx.inputShape(0);
    const y = keepReduced(ctx.output(0), shape, ctx.attrs);
    return [keepReduced(g!, shape, ctx.attrs).mul(ctx.input(0).sub(y).exp())];
  },
});

// ---------------------------------------------------------------------------------------------
// all / any (bool results for every input dtype; NaN counts as true)

export const all = defineOp<ReduceAttrs>({
  name: "all",
  kind: "reduction",
  meta: ([x], attrs) => reduceMeta(x!, attrs, "bool"),
  ...reducing(() => ({ init: "let acc = 1;", step: "if (x === 0) acc = 0;", result: "acc" }), allDims),
  grad: "nondifferentiable",
});

export const any = defineOp<ReduceAttrs>({
  name: "any",
  kind: "reduction",
  meta: ([x], attrs) => reduceMeta(x!, attrs, "bool"),
  ...reducing(() => ({ init: "let acc = 0;", step: "if (x !== 0) acc = 1;", result: "acc" }), allDims),
  grad: "nondifferentiable",
});
