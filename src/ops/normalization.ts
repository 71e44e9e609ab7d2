// Normalisation layers: layerNorm, rmsNorm, groupNorm, batchNorm. Each forward is one fused kernel
// that computes the statistics of a row/group/channel and normalises it in the same sweep, and
// returns the statistics (mean, rstd = 1/sqrt(var + eps)) as extra outputs for the backward pass.
// Gradients are written with tensor ops (traceable, twice differentiable); they also take the
// gradients that reach the statistics outputs, which happens in double backward.
import { type DType, type TypedArray, isFloating, torchTypeName } from "../core/dtype.js";
import { ArgumentError, DTypeError, KilnError, ShapeError, describeValue } from "../core/errors.js";
import { formatShape, numelOf, shapesEqual } from "../core/shape.js";
import { gatherContiguous, type Tensor } from "../core/tensor.js";
import { callOp, defineOp, type GradContext } from "./registry.js";
import { gradAs } from "./grad-utils.js";

/** A tensor's values in row-major order: the storage itself when contiguous, else a gathered copy. */
export function contiguousData(t: Tensor): { d: TypedArray; o: number } {
  const data = t._data();
  if (t.isContiguous()) return { d: data, o: t._offset };
  return { d: gatherContiguous(data, t.shape, t._strides, t._offset), o: 0 };
}

export function requireFloatInput(op: string, t: Tensor, what = "input"): void {
  if (!isFloating(t.dtype)) {
    throw new DTypeError(`${op}(): expected ${what} to be a floating point tensor, but got ${torchTypeName(t.dtype)}`);
  }
}

function checkEps(eps: unknown): void {
  if (typeof eps !== "number" || Number.isNaN(eps)) throw new ArgumentError(`eps must be a number, but got ${describeValue(eps)}`);
}

/** Sums a gradient over the leading `lead` dims (none: returned as is). */
function sumLeading(t: Tensor, lead: number): Tensor {
  if (lead === 0) return t;
  return t.sum(Array.from({ length: lead }, (_, i) => i));
}

function trailingDims(ndim: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => ndim - k + i);
}

// ---------------------------------------------------------------------------------------------
// layerNorm

export interface LayerNormAttrs {
  normalizedShape: number[];
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

/** PyTorch's layer_norm / rms_norm input checks. */
function checkNormalizedShape(x: Tensor, normalizedShape: unknown, weight: Tensor | null, bias: Tensor | null): number[] {
  if (!Array.isArray(normalizedShape) || normalizedShape.some((s) => typeof s !== "number" || !Number.isInteger(s) || s < 0)) {
    throw new ArgumentError(`normalized_shape must be an array of non-negative integers, but got ${describeValue(normalizedShape)}`);
  }
  const ns = normalizedShape as number[];
  if (ns.length === 0) {
    throw new ShapeError(
      "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []",
    );
  }
  if (weight !== null && !shapesEqual(weight.shape, ns)) {
    throw new ShapeError(
      `Expected weight to be of same shape as normalized_shape, but got weight of shape ${formatShape(weight.shape)} and normalized_shape = ${formatShape(ns)}`,
    );
  }
  if (bias !== null && !shapesEqual(bias.shape, ns)) {
    throw new ShapeError(
      `Expected bias to be of same shape as normalized_shape, but got bias of shape ${formatShape(bias.shape)} and normalized_shape = ${formatShape(ns)}`,
    );
  }
  const k = ns.length;
  if (x.ndim < k || !shapesEqual(x.shape.slice(x.ndim - k), ns)) {
    throw new ShapeError(
      `Given normalized_shape=${formatShape(ns)}, expected input with shape [*, ${ns.join(", ")}], but got input of size${formatShape(x.shape)}`,
    );
  }
  return ns;
}

function statShape(x: Tensor, k: number): number[] {
  return [...x.shape.slice(0, x.ndim - k), ...new Array<number>(k).fill(1)];
}

export const layerNorm = defineOp<LayerNormAttrs>({
  name: "layerNorm",
  decompose(inputs, attrs) {
    const x = inputs[0]!;
    let i = 1;
    const w = attrs.hasWeight ? inputs[i++]! : null;
    const b = attrs.hasBias ? inputs[i++]! : null;
    const k = attrs.normalizedShape.length;
    const dims = Array.from({ length: k }, (_, j) => x.ndim - k + j);
    const mean = x.mean(dims, { keepdim: true });
    const centred = x.sub(mean);
    const rstd = centred.square().mean(dims, { keepdim: true }).add(attrs.eps).rsqrt();
    let y = centred.mul(rstd);
    if (w) y = y.mul(w);
    if (b) y = y.add(b);
    return [y, mean, rstd];
  },
  kind: "other",
  meta(inputs, attrs) {
    const x = inputs[0]!;
    requireFloatInput("layer_norm", x);
    checkEps(attrs.eps);
    let i = 1;
    const w = attrs.hasWeight ? inputs[i++]! : null;
    const b = attrs.hasBias ? inputs[i++]! : null;
    const ns = checkNormalizedShape(x, attrs.normalizedShape, w, b);
    const st = statShape(x, ns.length);
    return [
      { shape: x.shape.slice(), dtype: x.dtype },
      { shape: st, dtype: x.dtype },
      { shape: st.slice(), dtype: x.dtype },
    ];
  },
  kernel(inputs, attrs, outs) {
    const x = inputs[0]!;
    let i = 1;
    const w = attrs.hasWeight ? contiguousData(inputs[i++]!) : null;
    const b = attrs.hasBias ? contiguousData(inputs[i++]!) : null;
    const { d: xd, o: xo } = contiguousData(x);
    const y = outs[0]!._storage!.data;
    const meanOut = outs[1]!._storage!.data;
    const rstdOut = outs[2]!._storage!.data;
    const M = numelOf(attrs.normalizedShape);
    const R = M === 0 ? 0 : x.numel() / M;
    const eps = attrs.eps;
    for (let r = 0; r < R; r++) {
      const base = xo + r * M;
      let s = 0;
      for (let j = 0; j < M; j++) s += xd[base + j]!;
      const mean = s / M;
      let v = 0;
      for (let j = 0; j < M; j++) {
        const c = xd[base + j]! - mean;
        v += c * c;
      }
      const rstd = 1 / Math.sqrt(v / M + eps);
      meanOut[r] = mean;
      rstdOut[r] = rstd;
      const ob = r * M;
      if (w !== null && b !== null) {
        const wd = w.d, wo = w.o, bd = b.d, bo = b.o;
        for (let j = 0; j < M; j++) y[ob + j] = (xd[base + j]! - mean) * rstd * wd[wo + j]! + bd[bo + j]!;
      } else if (w !== null) {
        const wd = w.d, wo = w.o;
        for (let j = 0; j < M; j++) y[ob + j] = (xd[base + j]! - mean) * rstd * wd[wo + j]!;
      } else if (b !== null) {
        const bd = b.d, bo = b.o;
        for (let j = 0; j < M; j++) y[ob + j] = (xd[base + j]! - mean) * rstd + bd[bo + j]!;
      } else {
        for (let j = 0; j < M; j++) y[ob + j] = (xd[base + j]! - mean) * rstd;
      }
    }
  },
  grad(ctx, grads) {
    const { hasWeight, hasBias, normalizedShape } = ctx.attrs;
    const k = normalizedShape.length;
    const nd = ctx.inputShape(0).length;
    const dims = trailingDims(nd, k);
    const M = numelOf(normalizedShape);
    const w = hasWeight ? ctx.input(1) : null;
    const parts = normalizeGrad(ctx, grads, {
      x: ctx.input(0),
      mean: ctx.output(1),
      rstd: ctx.output(2),
      weight: w,
      dims,
      count: M,
      affineSum: (t) => sumLeading(t, nd - k),
      needW: hasWeight && ctx.needsInputGrad(1),
      needB: hasBias && ctx.needsInputGrad(hasWeight ? 2 : 1),
    });
    const out: (Tensor | null)[] = [parts.gx];
    if (hasWeight) out.push(parts.gw);
    if (hasBias) out.push(parts.gb);
    return out;
  },
});

interface NormGradSpec {
  x: Tensor;
  /** Mean broadcastable against x, or null for rmsNorm (no centring). */
  mean: Tensor | null;
  rstd: Tensor;
  /** Weight already broadcastable against x, or null. */
  weight: Tensor | null;
  /** Dims of x the statistics reduce over. */
  dims: number[];
  count: number;
  /** Reduces a tensor shaped like x to the weight/bias shape. */
  affineSum: (t: Tensor) => Tensor;
  needW: boolean;
  needB: boolean;
}

/**
 * Backward of y = xhat·w + b with xhat = (x − mean)·rstd over `dims`, plus the gradients that reach
 * the mean and rstd outputs (grads[1], grads[2]) and, for batchNorm, the biased variance (grads[3]).
 */
function normalizeGrad(
  ctx: GradContext<object>,
  grads: (Tensor | null)[],
  s: NormGradSpec,
): { gx: Tensor | null; gw: Tensor | null; gb: Tensor | null } {
  const [g, gMean, gRstd, gVar] = grads;
  const xc = s.mean !== null ? s.x.sub(s.mean) : s.x;
  const xhat = xc.mul(s.rstd);
  const terms: Tensor[] = [];
  const add = (t: Tensor) => void terms.push(t);
  let gw: Tensor | null = null;
  let gb: Tensor | null = null;
  if (g) {
    if (ctx.needsInputGrad(0)) {
      const gxhat = s.weight !== null ? g.mul(s.weight) : g;
      const proj = gxhat.mul(xhat).mean(s.dims, { keepdim: true });
      let inner = s.mean !== null ? gxhat.sub(gxhat.mean(s.dims, { keepdim: true })) : gxhat;
      inner = inner.sub(xhat.mul(proj));
      add(inner.mul(s.rstd));
    }
    if (s.needW) gw = s.affineSum(g.mul(xhat));
    if (s.needB) gb = s.affineSum(g);
  }
  if (ctx.needsInputGrad(0)) {
    if (gMean && s.mean !== null) add(gMean.div(s.count).expand(s.x.shape.slice()));
    if (gRstd) add(gRstd.mul(s.rstd.square()).mul(xhat).mul(-1 / s.count));
    if (gVar) add(gVar.mul(xc).mul(2 / s.count));
  }
  const gx = terms.length === 0 ? null : terms.reduce((a, t) => a.add(t));
  return { gx: gx === null ? null : gradAs(gx, ctx.inputDType(0)), gw, gb };
}

// ---------------------------------------------------------------------------------------------
// rmsNorm

export interface RmsNormAttrs {
  normalizedShape: number[];
  eps: number;
  hasWeight: boolean;
}

export const rmsNorm = defineOp<RmsNormAttrs>({
  name: "rmsNorm",
  kind: "other",
  meta(inputs, attrs) {
    const x = inputs[0]!;
    requireFloatInput("rms_norm", x);
    checkEps(attrs.eps);
    const w = attrs.hasWeight ? inputs[1]! : null;
    const ns = checkNormalizedShape(x, attrs.normalizedShape, w, null);
    return [
      { shape: x.shape.slice(), dtype: x.dtype },
      { shape: statShape(x, ns.length), dtype: x.dtype },
    ];
  },
  kernel(inputs, attrs, outs) {
    const x = inputs[0]!;
    const w = attrs.hasWeight ? contiguousData(inputs[1]!) : null;
    const { d: xd, o: xo } = contiguousData(x);
    const y = outs[0]!._storage!.data;
    const rstdOut = outs[1]!._storage!.data;
    const M = numelOf(attrs.normalizedShape);
    const R = M === 0 ? 0 : x.numel() / M;
    const eps = attrs.eps;
    for (let r = 0; r < R; r++) {
      const base = xo + r * M;
      let s = 0;
      for (let j = 0; j < M; j++) {
        const v = xd[base + j]!;
        s += v * v;
      }
      const rstd = 1 / Math.sqrt(s / M + eps);
      rstdOut[r] = rstd;
      const ob = r * M;
      if (w !== null) {
        const wd = w.d, wo = w.o;
        for (let j = 0; j < M; j++) y[ob + j] = xd[base + j]! * rstd * wd[wo + j]!;
      } else {
        for (let j = 0; j < M; j++) y[ob + j] = xd[base + j]! * rstd;
      }
    }
  },
  grad(ctx, grads) {
    const { hasWeight, normalizedShape } = ctx.attrs;
    const k = normalizedShape.length;
    const nd = ctx.inputShape(0).length;
    const parts = normalizeGrad(ctx, [grads[0] ?? null, null, grads[1] ?? null], {
      x: ctx.input(0),
      mean: null,
      rstd: ctx.output(1),
      weight: hasWeight ? ctx.input(1) : null,
      dims: trailingDims(nd, k),
      count: numelOf(normalizedShape),
      affineSum: (t) => sumLeading(t, nd - k),
      needW: hasWeight && ctx.needsInputGrad(1),
      needB: false,
    });
    return hasWeight ? [parts.gx, parts.gw] : [parts.gx];
  },
});

/** PyTorch's default rms_norm eps: the machine epsilon of the input's dtype. */
export function finfoEps(dtype: DType): number {
  return dtype === "float64" ? 2.220446049250313e-16 : 1.1920928955078125e-7;
}

// ---------------------------------------------------------------------------------------------
// groupNorm

export interface GroupNormAttrs {
  numGroups: number;
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

function checkChannelVector(what: string, t: Tensor | null, x: Tensor): void {
  if (t !== null && (t.ndim !== 1 || t.shape[0] !== x.shape[1])) {
    throw new ShapeError(
      `Expected ${what} to be a vector of size equal to the number of channels in input, but got ${what} of shape ${formatShape(t.shape)} and input of shape ${formatShape(x.shape)}`,
    );
  }
}

/** View shape putting a [C] vector on dim 1 of an input of rank `nd`. */
function channelShape(C: number, nd: number): number[] {
  const s = new Array<number>(nd).fill(1);
  s[1] = C;
  return s;
}

export const groupNorm = defineOp<GroupNormAttrs>({
  name: "groupNorm",
  kind: "other",
  meta(inputs, attrs) {
    const x = inputs[0]!;
    requireFloatInput("group_norm", x);
    checkEps(attrs.eps);
    if (x.ndim < 2) throw new ShapeError(`Expected at least 2 dimensions for input tensor but received ${x.ndim}`);
    const G = attrs.numGroups;
    if (typeof G !== "number" || !Number.isInteger(G) || G <= 0) {
      throw new ArgumentError(`num_groups must be a positive integer, but got ${describeValue(G)}`);
    }
    const C = x.shape[1]!;
    if (C % G !== 0) {
      throw new ShapeError(
        `Expected number of channels in input to be divisible by num_groups, but got input of shape ${formatShape(x.shape)} and num_groups=${G}`,
      );
    }
    let i = 1;
    const w = attrs.hasWeight ? inputs[i++]! : null;
    const b = attrs.hasBias ? inputs[i++]! : null;
    checkChannelVector("weight", w, x);
    checkChannelVector("bias", b, x);
    const N = x.shape[0]!;
    return [
      { shape: x.shape.slice(), dtype: x.dtype },
      { shape: [N, G], dtype: x.dtype },
      { shape: [N, G], dtype: x.dtype },
    ];
  },
  kernel(inputs, attrs, outs) {
    const x = inputs[0]!;
    let i = 1;
    const w = attrs.hasWeight ? contiguousData(inputs[i++]!) : null;
    const b = attrs.hasBias ? contiguousData(inputs[i++]!) : null;
    const { d: xd, o: xo } = contiguousData(x);
    const y = outs[0]!._storage!.data;
    const meanOut = outs[1]!._storage!.data;
    const rstdOut = outs[2]!._storage!.data;
    const N = x.shape[0]!;
    const C = x.shape[1]!;
    const G = attrs.numGroups;
    const HW = numelOf(x.shape.slice(2));
    const cpg = C / G;
    const L = cpg * HW;
    const eps = attrs.eps;
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        const start = (n * C + g * cpg) * HW;
        const base = xo + start;
        let s = 0;
        for (let j = 0; j < L; j++) s += xd[base + j]!;
        const mean = s / L;
        let v = 0;
        for (let j = 0; j < L; j++) {
          const c = xd[base + j]! - mean;
          v += c * c;
        }
        const rstd = 1 / Math.sqrt(v / L + eps);
        meanOut[n * G + g] = mean;
        rstdOut[n * G + g] = rstd;
        for (let c = 0; c < cpg; c++) {
          const ch = g * cpg + c;
          const scale = w !== null ? rstd * w.d[w.o + ch]! : rstd;
          const shift = (b !== null ? b.d[b.o + ch]! : 0) - mean * scale;
          const cb = c * HW;
          for (let j = 0; j < HW; j++) y[start + cb + j] = xd[base + cb + j]! * scale + shift;
        }
      }
    }
  },
  grad(ctx, grads) {
    const { hasWeight, hasBias, numGroups: G } = ctx.attrs;
    const shape = ctx.inputShape(0);
    const N = shape[0]!;
    const C = shape[1]!;
    const nd = shape.length;
    const grouped = [N, G, numelOf(shape) / Math.max(1, N * G)];
    const x = ctx.input(0).reshape(grouped);
    const [g, gMean, gRstd] = grads;
    const wv = hasWeight ? ctx.input(1).reshape(channelShape(C, nd)) : null;
    const reduceDims = [0, ...Array.from({ length: nd - 2 }, (_, i) => i + 2)];
    // The normalisation backward works on [N, G, L]; the affine part on the input's shape.
    const gy = g ? (wv !== null ? g.mul(wv) : g).reshape(grouped) : null;
    const parts = normalizeGrad(ctx, [gy, gMean ? gMean.reshape([N, G, 1]) : null, gRstd ? gRstd.reshape([N, G, 1]) : null], {
      x,
      mean: ctx.output(1).reshape([N, G, 1]),
      rstd: ctx.output(2).reshape([N, G, 1]),
      weight: null,
      dims: [2],
      count: grouped[2]!,
      affineSum: (t) => t,
      needW: false,
      needB: false,
    });
    const out: (Tensor | null)[] = [parts.gx === null ? null : parts.gx.reshape(shape.slice())];
    const needW = hasWeight && ctx.needsInputGrad(1);
    const needB = hasBias && ctx.needsInputGrad(hasWeight ? 2 : 1);
    if (g && (needW || needB)) {
      const xhat = x.sub(ctx.output(1).reshape([N, G, 1])).mul(ctx.output(2).reshape([N, G, 1])).reshape(shape.slice());
      if (hasWeight) out.push(needW ? g.mul(xhat).sum(reduceDims) : null);
      if (hasBias) out.push(needB ? g.sum(reduceDims) : null);
    } else {
      if (hasWeight) out.push(null);
      if (hasBias) out.push(null);
    }
    return out;
  },
});

// ---------------------------------------------------------------------------------------------
// batchNorm

export interface BatchNormAttrs {
  training: boolean;
  eps: number;
  hasRunning: boolean;
  hasWeight: boolean;
  hasBias: boolean;
}

function batchNormInputs(inputs: readonly Tensor[], attrs: BatchNormAttrs) {
  let i = 1;
  const rm = attrs.hasRunning ? inputs[i++]! : null;
  const rv = attrs.hasRunning ? inputs[i++]! : null;
  const wi = attrs.hasWeight ? i++ : -1;
  const bi = attrs.hasBias ? i++ : -1;
  return { x: inputs[0]!, rm, rv, w: wi >= 0 ? inputs[wi]! : null, b: bi >= 0 ? inputs[bi]! : null, wi, bi };
}

export const batchNorm = defineOp<BatchNormAttrs>({
  name: "batchNorm",
  kind: "other",
  meta(inputs, attrs) {
    const { x, rm, rv, w, b } = batchNormInputs(inputs, attrs);
    requireFloatInput("batch_norm", x);
    checkEps(attrs.eps);
    if (x.ndim < 2) {
      throw new ShapeError(`batch_norm(): expected input with at least 2 dimensions (N, C, ...), but got input of size ${formatShape(x.shape)}`);
    }
    const C = x.shape[1]!;
    if (!attrs.hasRunning && !attrs.training) throw new ArgumentError("running_mean must be defined in evaluation mode");
    const check = (name: string, t: Tensor | null) => {
      if (t !== null && t.numel() !== C) throw new ShapeError(`${name} should contain ${C} elements not ${t.numel()}`);
    };
    check("running_mean", rm);
    check("running_var", rv);
    check("weight", w);
    check("bias", b);
    if (attrs.training && x.numel() / C <= 1 && x.numel() > 0) {
      throw new ArgumentError(`Expected more than 1 value per channel when training, got input size ${formatShape(x.shape)}`);
    }
    return [
      { shape: x.shape.slice(), dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
      { shape: [C], dtype: x.dtype },
    ];
  },
  kernel(inputs, attrs, outs) {
    const { x, rm, rv, w, b } = batchNormInputs(inputs, attrs);
    const wd = w !== null ? contiguousData(w) : null;
    const bd = b !== null ? contiguousData(b) : null;
    const { d: xd, o: xo } = contiguousData(x);
    const y = outs[0]!._storage!.data;
    const meanOut = outs[1]!._storage!.data;
    const rstdOut = outs[2]!._storage!.data;
    const varOut = outs[3]!._storage!.data;
    const N = x.shape[0]!;
    const C = x.shape[1]!;
    const HW = numelOf(x.shape.slice(2));
    const M = N * HW;
    const eps = attrs.eps;
    const rmd = !attrs.training && rm !== null ? contiguousData(rm) : null;
    const rvd = !attrs.training && rv !== null ? contiguousData(rv) : null;
    for (let c = 0; c < C; c++) {
      let mean: number;
      let v: number;
      if (rmd !== null && rvd !== null) {
        mean = rmd.d[rmd.o + c]!;
        v = rvd.d[rvd.o + c]!;
      } else {
        let s = 0;
        for (let n = 0; n < N; n++) {
          const base = xo + (n * C + c) * HW;
          for (let j = 0; j < HW; j++) s += xd[base + j]!;
        }
        mean = s / M;
        let ss = 0;
        for (let n = 0; n < N; n++) {
          const base = xo + (n * C + c) * HW;
          for (let j = 0; j < HW; j++) {
            const d = xd[base + j]! - mean;
            ss += d * d;
          }
        }
        v = ss / M;
      }
      const rstd = 1 / Math.sqrt(v + eps);
      meanOut[c] = mean;
      rstdOut[c] = rstd;
      varOut[c] = v;
      const scale = wd !== null ? rstd * wd.d[wd.o + c]! : rstd;
      const shift = (bd !== null ? bd.d[bd.o + c]! : 0) - mean * scale;
      for (let n = 0; n < N; n++) {
        const ob = (n * C + c) * HW;
        const base = xo + ob;
        for (let j = 0; j < HW; j++) y[ob + j] = xd[base + j]! * scale + shift;
      }
    }
  },
  grad(ctx, grads) {
    const { training, hasRunning, hasWeight, hasBias } = ctx.attrs;
    const shape = ctx.inputShape(0);
    const nd = shape.length;
    const C = shape[1]!;
    const cs = channelShape(C, nd);
    const dims = [0, ...Array.from({ length: nd - 2 }, (_, i) => i + 2)];
    const M = numelOf(shape) / Math.max(1, C);
    let i = 1;
    if (hasRunning) i += 2;
    const wi = hasWeight ? i++ : -1;
    const bi = hasBias ? i++ : -1;
    const wv = wi >= 0 ? ctx.input(wi).reshape(cs) : null;
    const stat = (t: Tensor) => t.reshape(cs);
    const needW = wi >= 0 && ctx.needsInputGrad(wi);
    const needB = bi >= 0 && ctx.needsInputGrad(bi);
    let gx: Tensor | null;
    let gw: Tensor | null;
    let gb: Tensor | null;
    if (training) {
      const [g, gMean, gRstd, gVar] = grads;
      const parts = normalizeGrad(
        ctx,
        [g ?? null, gMean ? stat(gMean) : null, gRstd ? stat(gRstd) : null, gVar ? stat(gVar) : null],
        {
          x: ctx.input(0),
          mean: stat(ctx.output(1)),
          rstd: stat(ctx.output(2)),
          weight: wv,
          dims,
          count: M,
          affineSum: (t) => t.sum(dims),
          needW,
          needB,
        },
      );
      ({ gx, gw, gb } = parts);
    } else {
      // Evaluation: y = (x − running_mean)·rstd·w + b with constant statistics.
      const g = grads[0];
      gx = gw = gb = null;
      if (g) {
        const rstd = stat(ctx.output(2));
        if (ctx.needsInputGrad(0)) gx = gradAs(g.mul(wv !== null ? rstd.mul(wv) : rstd), ctx.inputDType(0));
        if (needW) gw = g.mul(ctx.input(0).sub(stat(ctx.output(1))).mul(rstd)).sum(dims);
        if (needB) gb = g.sum(dims);
      }
    }
    const out: (Tensor | null)[] = [gx];
    if (hasRunning) out.push(null, null);
    if (hasWeight) out.push(gw);
    if (hasBias) out.push(gb);
    return out;
  },
});
