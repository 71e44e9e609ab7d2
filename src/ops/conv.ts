// 2-D convolution by im2col + the blocked matmul kernel, and its two adjoint ops (gradient with
// respect to the input and to the weight). The three ops are each other's gradients, so conv2d
// is differentiable any number of times. conv1d is conv2d over a height of 1 (src/api/conv.ts).
import { isFloating, torchTypeName, type TypedArray } from "../core/dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../core/errors.js";
import { gatherContiguous, type Tensor } from "../core/tensor.js";
import { gemm, gemmProvider } from "./matmul-kernel.js";
import { defineOp } from "./registry.js";

export interface Conv2dAttrs {
  stride: number[];
  /** [top, left, bottom, right] ("same" padding may be asymmetric). */
  padding: number[];
  dilation: number[];
  groups: number;
}

export interface Conv2dInputGradAttrs extends Conv2dAttrs {
  /** [N, C, H, W] of the convolution's input. */
  inputSize: number[];
}

export interface Conv2dWeightGradAttrs extends Conv2dAttrs {
  /** [O, C/groups, kH, kW] of the convolution's weight. */
  weightSize: number[];
}

const dtypeLower = (d: string) => ({ float32: "float", float64: "double", int32: "int", bool: "bool" })[d] ?? d;

/** Output spatial size of a convolution. */
export function convOutputSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

export function checkConvAttrs(attrs: Conv2dAttrs): void {
  const { stride, padding, dilation, groups } = attrs;
  const ints = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isInteger(x));
  if (!ints(stride) || !ints(padding) || !ints(dilation)) {
    throw new ArgumentError("conv2d(): stride, padding and dilation must be integers or arrays of integers");
  }
  if (stride.some((s) => s <= 0)) throw new ArgumentError("non-positive stride is not supported");
  if (padding.some((p) => p < 0)) throw new ArgumentError("negative padding is not supported");
  if (dilation.some((d) => d <= 0)) throw new ArgumentError("dilation should be greater than zero");
  if (typeof groups !== "number" || !Number.isInteger(groups) || groups <= 0) {
    throw new ArgumentError("non-positive groups is not supported");
  }
}

/** Validates conv2d operands (PyTorch's messages) and returns the output shape. */
export function conv2dShape(x: Tensor, w: Tensor, b: Tensor | undefined, attrs: Conv2dAttrs): number[] {
  checkConvAttrs(attrs);
  if (w.ndim !== 4 || x.ndim !== 4) {
    throw new ShapeError(
      `Expected ${w.ndim}-dimensional input for ${w.ndim}-dimensional weight [${w.shape.join(", ")}], but got ${x.ndim}-dimensional input of size [${x.shape.join(", ")}] instead`,
    );
  }
  if (!isFloating(x.dtype)) throw new DTypeError(`"slow_conv2d_cpu" not implemented for '${torchTypeName(x.dtype)}'`);
  if (w.dtype !== x.dtype) {
    throw new DTypeError(`Input type (${dtypeLower(x.dtype)}) and weight type (${dtypeLower(w.dtype)}) should be the same`);
  }
  const { groups, stride, padding, dilation } = attrs;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
  if (O % groups !== 0) {
    throw new ShapeError(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${w.shape.join(", ")}] instead`,
    );
  }
  if (C !== Cg * groups) {
    throw new ShapeError(
      `Given groups=${groups}, weight of size [${w.shape.join(", ")}], expected input[${x.shape.join(", ")}] to have ${Cg * groups} channels, but got ${C} channels instead`,
    );
  }
  if (b !== undefined) {
    if (b.ndim !== 1 || b.shape[0] !== O) {
      throw new ShapeError(
        `Given weight of size [${w.shape.join(", ")}], expected bias to be 1-dimensional with ${O} elements, but got bias of size [${b.shape.join(", ")}] instead`,
      );
    }
    if (b.dtype !== x.dtype) {
      throw new DTypeError(`Input type (${dtypeLower(x.dtype)}) and bias type (${dtypeLower(b.dtype)}) should be the same`);
    }
  }
  const ph = H + padding[0]! + padding[2]!;
  const pw = W + padding[1]! + padding[3]!;
  const ekh = dilation[0]! * (kh - 1) + 1;
  const ekw = dilation[1]! * (kw - 1) + 1;
  if (ph < ekh || pw < ekw) {
    throw new ShapeError(
      `Calculated padded input size per channel: (${ph} x ${pw}). Kernel size: (${ekh} x ${ekw}). Kernel size can't be greater than actual input size`,
    );
  }
  return [
    N,
    O,
    convOutputSize(H, kh, stride[0]!, padding[0]!, padding[2]!, dilation[0]!),
    convOutputSize(W, kw, stride[1]!, padding[1]!, padding[3]!, dilation[1]!),
  ];
}

/** Geometry shared by the three kernels. */
interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  Cg: number;
  Og: number;
  kh: number;
  kw: number;
  Ho: number;
  Wo: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  dh: number;
  dw: number;
  groups: number;
  /** Cg, kh, kw, Ho, Wo, H, W, sh, sw, pt, pl, dh, dw: the provider's im2col arguments, made once per op call. */
  im2colDims?: Int32Array;
}

function geometry(inputSize: readonly number[], weightSize: readonly number[], attrs: Conv2dAttrs): Geometry {
  const [N, C, H, W] = inputSize as [number, number, number, number];
  const [O, Cg, kh, kw] = weightSize as [number, number, number, number];
  const [sh, sw] = attrs.stride as [number, number];
  const [pt, pl, pb, pr] = attrs.padding as [number, number, number, number];
  const [dh, dw] = attrs.dilation as [number, number];
  return {
    N, C, H, W, O, Cg, Og: O / attrs.groups, kh, kw, sh, sw, pt, pl, dh, dw, groups: attrs.groups,
    Ho: convOutputSize(H, kh, sh, pt, pb, dh),
    Wo: convOutputSize(W, kw, sw, pl, pr, dw),
  };
}

/** Column matrices (im2col) of float32 data stay float32, so the product can use a float32 gemm. */
type ColArray = Float32Array | Float64Array;
let colBuffer64 = new Float64Array(1024);
let colBuffer32 = new Float32Array(1024);
/** The column scratch for data like `like`: Float32Array for float32, else Float64Array. */
function colScratch(n: number, like: TypedArray): ColArray {
  if (like instanceof Float32Array) {
    if (colBuffer32.length < n) colBuffer32 = new Float32Array(n);
    return colBuffer32;
  }
  if (colBuffer64.length < n) colBuffer64 = new Float64Array(n);
  return colBuffer64;
}

/** Whether a 1×1, stride-1, unpadded conv can read the input planes directly as the column matrix. */
function isPointwise(g: Geometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.Ho === g.H && g.Wo === g.W;
}

/** Column matrices below this many elements are made in JavaScript (a native call costs a few µs). */
const NATIVE_IM2COL_MIN = 4096;

/** im2col through the gemm provider where it has one (the native runtime), else in JavaScript. */
function columns(g: Geometry, xd: TypedArray, xOff: number, xs: readonly number[], c0: number, col: ColArray): void {
  if (g.Cg * g.kh * g.kw * g.Ho * g.Wo >= NATIVE_IM2COL_MIN && nativeColumns(g, xd, xOff, xs, c0, col)) return;
  im2col(g, xd, xOff, xs, c0, col);
}

function nativeColumns(g: Geometry, xd: TypedArray, xOff: number, xs: readonly number[], c0: number, col: ColArray): boolean {
  const p = gemmProvider();
  if (!p?.im2col || !(xd instanceof Float32Array || xd instanceof Float64Array)) return false;
  g.im2colDims ??= Int32Array.of(g.Cg, g.kh, g.kw, g.Ho, g.Wo, g.H, g.W, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw);
  return p.im2col(g.im2colDims, xd, xOff, xs[1]!, xs[2]!, xs[3]!, c0, col);
}

/**
 * The column matrix of image n and group gi of a convolution of x (float) with weights of
 * `weightSize`, made by the gemm provider (`native`) or in JavaScript, into a fresh NaN-filled
 * buffer: for tests of the two against each other (the kernels reuse one scratch buffer, whose
 * stale rows would hide a row one of them skipped). Null if the provider has no im2col.
 */
export function columnMatrixForTests(x: Tensor, weightSize: readonly number[], attrs: Conv2dAttrs, n: number, gi: number, native: boolean): ColArray | null {
  const g = geometry(x.shape, weightSize, attrs);
  const length = g.Cg * g.kh * g.kw * g.Ho * g.Wo;
  const xd = x._data();
  const col = xd instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
  col.fill(NaN);
  const xOff = x._offset + n * x._strides[0]!;
  if (!native) im2col(g, xd, xOff, x._strides, gi * g.Cg, col);
  else if (!nativeColumns(g, xd, xOff, x._strides, gi * g.Cg, col)) return null;
  return col;
}

/**
 * im2col of one image and group: col[(c·kh + i)·kw + j][oh·Wo + ow] =
 * x[n, c0 + c, oh·sh − pt + i·dh, ow·sw − pl + j·dw] (0 outside). x is read through its strides.
 */
function im2col(g: Geometry, xd: TypedArray, xOff: number, xs: readonly number[], c0: number, col: ColArray): void {
  const { Cg, kh, kw, Ho, Wo, H, W, sh, sw, pt, pl, dh, dw } = g;
  const [, sC, sH, sW] = xs as [number, number, number, number];
  const plane = Ho * Wo;
  let row = 0;
  for (let c = 0; c < Cg; c++) {
    const cBase = xOff + (c0 + c) * sC;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const dst = row * plane;
        for (let oh = 0; oh < Ho; oh++) {
          const ih = oh * sh - pt + i * dh;
          const d0 = dst + oh * Wo;
          if (ih < 0 || ih >= H) {
            col.fill(0, d0, d0 + Wo);
            continue;
          }
          const rBase = cBase + ih * sH;
          const iw0 = j * dw - pl;
          for (let ow = 0, iw = iw0; ow < Wo; ow++, iw += sw) {
            col[d0 + ow] = iw >= 0 && iw < W ? xd[rBase + iw * sW]! : 0;
          }
        }
      }
    }
  }
}

/** col2im: the adjoint of im2col, adding columns back into the image dx (contiguous). */
function col2im(g: Geometry, col: ColArray, dx: TypedArray, dxOff: number, c0: number): void {
  const { Cg, kh, kw, Ho, Wo, H, W, sh, sw, pt, pl, dh, dw } = g;
  const plane = Ho * Wo;
  let row = 0;
  for (let c = 0; c < Cg; c++) {
    const cBase = dxOff + (c0 + c) * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const src = row * plane;
        for (let oh = 0; oh < Ho; oh++) {
          const ih = oh * sh - pt + i * dh;
          if (ih < 0 || ih >= H) continue;
          const rBase = cBase + ih * W;
          const s0 = src + oh * Wo;
          for (let ow = 0, iw = j * dw - pl; ow < Wo; ow++, iw += sw) {
            if (iw >= 0 && iw < W) dx[rBase + iw] += col[s0 + ow]!;
          }
        }
      }
    }
  }
}

/** The data of `t` as a contiguous array (a copy only when `t` is not contiguous). */
function contiguousData(t: Tensor): { data: TypedArray; offset: number } {
  const d = t._data();
  if (t.isContiguous()) return { data: d, offset: t._offset };
  return { data: gatherContiguous(d, t.shape, t._strides, t._offset), offset: 0 };
}

export const conv2d = defineOp<Conv2dAttrs>({
  name: "conv2d",
  overwritesOutputs: true,
  // Each image and group's product writes its own channels' planes once, in order (after the bias).
  productEpilogue: true,
  kind: "other",
  meta([x, w, b], attrs) {
    return [{ shape: conv2dShape(x!, w!, b, attrs), dtype: x!.dtype }];
  },
  kernel([x, w, b], attrs, [out]) {
    const g = geometry(x!.shape, w!.shape, attrs);
    const { N, C, O, Cg, Og, kh, kw, Ho, Wo } = g;
    const plane = Ho * Wo;
    const K = Cg * kh * kw;
    const od = out!._storage!.data;
    const { data: wd, offset: wo } = contiguousData(w!);
    const xd = x!._data();
    const xs = x!._strides;
    if (b) {
      const bd = b._data();
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < O; o++) {
          const start = (n * O + o) * plane;
          od.fill(bd[b._offset + o * b._strides[0]!]!, start, start + plane);
        }
      }
    }
    const direct = isPointwise(g) && xs[3] === 1 && xs[2] === g.W;
    const col = direct ? null : colScratch(K * plane, xd);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < g.groups; gi++) {
        const cOff = (n * O + gi * Og) * plane;
        const aOff = wo + gi * Og * K;
        if (direct) {
          const xOff = x!._offset + n * xs[0]! + gi * Cg * xs[1]!;
          gemm(Og, plane, K, wd, aOff, K, 1, xd, xOff, xs[1]!, 1, od, cOff, plane, 1, !!b);
        } else {
          columns(g, xd, x!._offset + n * xs[0]!, xs, gi * Cg, col!);
          gemm(Og, plane, K, wd, aOff, K, 1, col!, 0, plane, 1, od, cOff, plane, 1, !!b);
        }
      }
    }
    void C;
  },
  grad(ctx, [gy]) {
    const attrs = ctx.attrs;
    const plain: Conv2dAttrs = { stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation, groups: attrs.groups };
    return [
      ctx.needsInputGrad(0) ? gy!._conv2dInputGrad(ctx.input(1), { ...plain, inputSize: ctx.inputShape(0).slice() }) : null,
      ctx.needsInputGrad(1) ? gy!._conv2dWeightGrad(ctx.input(0), { ...plain, weightSize: ctx.inputShape(1).slice() }) : null,
      ctx.needsInputGrad(2) ? gy!.sum([0, 2, 3]) : null,
    ];
  },
});

function plainAttrs(a: Conv2dAttrs): Conv2dAttrs {
  return { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups };
}

/** dx of conv2d: col = W_gᵀ · gy_g per image and group, then col2im. Inputs [gy, weight]. */
export const conv2dInputGrad = defineOp<Conv2dInputGradAttrs>({
  name: "conv2dInputGrad",
  kind: "other",
  meta([gy, w], attrs) {
    checkConvAttrs(attrs);
    const expected = conv2dShape(
      { shape: attrs.inputSize, ndim: 4, dtype: gy!.dtype } as unknown as Tensor,
      w!,
      undefined,
      plainAttrs(attrs),
    );
    if (gy!.ndim !== 4 || expected.some((s, i) => s !== gy!.shape[i])) {
      throw new ShapeError(`conv2d backward: expected grad_output of size [${expected.join(", ")}], but got [${gy!.shape.join(", ")}]`);
    }
    return [{ shape: attrs.inputSize.slice(), dtype: gy!.dtype }];
  },
  kernel([gy, w], attrs, [out]) {
    const g = geometry(attrs.inputSize, w!.shape, attrs);
    const { N, C, H, W, O, Cg, Og, kh, kw, Ho, Wo } = g;
    const plane = Ho * Wo;
    const K = Cg * kh * kw;
    const od = out!._storage!.data;
    od.fill(0);
    const { data: wd, offset: wo } = contiguousData(w!);
    const { data: gd, offset: go } = contiguousData(gy!);
    const direct = isPointwise(g);
    const col = direct ? null : colScratch(K * plane, od);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < g.groups; gi++) {
        const bOff = go + (n * O + gi * Og) * plane;
        const aOff = wo + gi * Og * K;
        if (direct) {
          // dx plane block [Cg, H·W] = W_gᵀ [Cg, Og] · gy [Og, H·W]
          gemm(K, plane, Og, wd, aOff, 1, K, gd, bOff, plane, 1, od, (n * C + gi * Cg) * H * W, plane);
        } else {
          gemm(K, plane, Og, wd, aOff, 1, K, gd, bOff, plane, 1, col!, 0, plane);
          col2im(g, col!, od, n * C * H * W, gi * Cg);
        }
      }
    }
  },
  grad(ctx, [gg]) {
    const attrs = ctx.attrs;
    return [
      ctx.needsInputGrad(0) ? gg!._conv2d(ctx.input(1), null, plainAttrs(attrs)) : null,
      ctx.needsInputGrad(1) ? ctx.input(0)._conv2dWeightGrad(gg!, { ...plainAttrs(attrs), weightSize: ctx.inputShape(1).slice() }) : null,
    ];
  },
});

/** dW of conv2d: Σₙ gy_g · colᵀ per group. Inputs [gy, input]. */
export const conv2dWeightGrad = defineOp<Conv2dWeightGradAttrs>({
  name: "conv2dWeightGrad",
  kind: "other",
  meta([gy, x], attrs) {
    checkConvAttrs(attrs);
    const expected = conv2dShape(x!, { shape: attrs.weightSize, ndim: 4, dtype: x!.dtype } as unknown as Tensor, undefined, plainAttrs(attrs));
    if (gy!.ndim !== 4 || expected.some((s, i) => s !== gy!.shape[i])) {
      throw new ShapeError(`conv2d backward: expected grad_output of size [${expected.join(", ")}], but got [${gy!.shape.join(", ")}]`);
    }
    return [{ shape: attrs.weightSize.slice(), dtype: gy!.dtype }];
  },
  kernel([gy, x], attrs, [out]) {
    const g = geometry(x!.shape, attrs.weightSize, attrs);
    const { N, O, Cg, Og, kh, kw, Ho, Wo } = g;
    const plane = Ho * Wo;
    const K = Cg * kh * kw;
    const od = out!._storage!.data;
    od.fill(0);
    const { data: gd, offset: go } = contiguousData(gy!);
    const xd = x!._data();
    const xs = x!._strides;
    const direct = isPointwise(g) && xs[3] === 1 && xs[2] === g.W;
    const col = direct ? null : colScratch(K * plane, xd);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < g.groups; gi++) {
        const aOff = go + (n * O + gi * Og) * plane;
        const cOff = gi * Og * K;
        if (direct) {
          const xOff = x!._offset + n * xs[0]! + gi * Cg * xs[1]!;
          gemm(Og, K, plane, gd, aOff, plane, 1, xd, xOff, 1, xs[1]!, od, cOff, K, 1, true);
        } else {
          columns(g, xd, x!._offset + n * xs[0]!, xs, gi * Cg, col!);
          gemm(Og, K, plane, gd, aOff, plane, 1, col!, 0, 1, plane, od, cOff, K, 1, true);
        }
      }
    }
  },
  grad(ctx, [gg]) {
    const attrs = ctx.attrs;
    return [
      ctx.needsInputGrad(0) ? ctx.input(1)._conv2d(gg!, null, plainAttrs(attrs)) : null,
      ctx.needsInputGrad(1) ? ctx.input(0)._conv2dInputGrad(gg!, { ...plainAttrs(attrs), inputSize: ctx.inputShape(1).slice() }) : null,
    ];
  },
});
