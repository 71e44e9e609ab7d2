// softmax and logSoftmax along one dim, numerically stable (the row max is subtracted first).
// Each row takes a max pass, an exp-and-sum pass and (softmax) a scaling pass, all tight loops.
import { isFloating, torchTypeName, type TypedArray } from "../core/dtype.js";
import { DTypeError } from "../core/errors.js";
import { normalizeDim } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { rowLayout } from "./reduce-kernel.js";
import { defineOp, type OutputMeta } from "./registry.js";

export interface SoftmaxAttrs {
  dim: number;
}

function softmaxMeta(kernelName: string, x: Tensor, attrs: SoftmaxAttrs): OutputMeta[] {
  normalizeDim(attrs.dim, x.ndim);
  if (!isFloating(x.dtype)) {
    throw new DTypeError(`"${kernelName}" not implemented for '${torchTypeName(x.dtype)}'`);
  }
  return [{ shape: x.shape.slice(), dtype: x.dtype }];
}

/**
 * Softmax over a non-last dim of a contiguous input: the `inner` elements after the dim are
 * processed side by side (running max and sum per column), so memory is read in order.
 */
function columnsKernel(xd: TypedArray, offset: number, od: TypedArray, n: number, inner: number, log: boolean): void {
  const outer = od.length / (n * inner);
  const mx = new Float64Array(inner);
  const sm = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    mx.fill(-Infinity);
    sm.fill(0);
    for (let j = 0; j < n; j++) {
      const row = offset + base + j * inner;
      for (let i = 0; i < inner; i++) {
        const v = xd[row + i]!;
        if (v > mx[i]!) mx[i] = v;
      }
    }
    for (let j = 0; j < n; j++) {
      const row = offset + base + j * inner;
      const orow = base + j * inner;
      if (log) {
        for (let i = 0; i < inner; i++) sm[i] = sm[i]! + Math.exp(xd[row + i]! - mx[i]!);
      } else {
        for (let i = 0; i < inner; i++) {
          const e = Math.exp(xd[row + i]! - mx[i]!);
          od[orow + i] = e;
          sm[i] = sm[i]! + e;
        }
      }
    }
    if (log) {
      for (let i = 0; i < inner; i++) mx[i] = mx[i]! + Math.log(sm[i]!);
      for (let j = 0; j < n; j++) {
        const row = offset + base + j * inner;
        const orow = base + j * inner;
        for (let i = 0; i < inner; i++) od[orow + i] = xd[row + i]! - mx[i]!;
      }
    } else {
      for (let i = 0; i < inner; i++) sm[i] = 1 / sm[i]!;
      for (let j = 0; j < n; j++) {
        const orow = base + j * inner;
        for (let i = 0; i < inner; i++) od[orow + i] = od[orow + i]! * sm[i]!;
      }
    }
  }
}

function softmaxKernel(log: boolean) {
  return (inputs: readonly Tensor[], attrs: SoftmaxAttrs, outs: Tensor[]): void => {
    const x = inputs[0]!;
    if (x.ndim === 0) {
      // One element: softmax is 1 (log: 0), NaN and infinities propagate as x - x does.
      const d = x._data()[x._offset]! - x._data()[x._offset]!;
      outs[0]!._storage!.data[0] = log ? d : Math.exp(d);
      return;
    }
    const dim = normalizeDim(attrs.dim, x.ndim);
    const L = rowLayout(x, dim);
    const xd = x._data();
    const od = outs[0]!._storage!.data;
    const n = L.n;
    const sx = L.xStride;
    const so = L.outStride;
    const rows = L.rows;
    const xBase = L.xBase;
    const outBase = L.outBase;
    if (sx === 1 && so === 1) {
      // Fast path: rows contiguous in input and output (softmax over the last dim).
      for (let row = 0; row < rows; row++) {
        const xb = xBase[row]!;
        const ob = outBase[row]!;
        let m = -Infinity;
        for (let i = 0; i < n; i++) {
          const v = xd[xb + i]!;
          if (v > m) m = v;
        }
        let s = 0;
        if (log) {
          for (let i = 0; i < n; i++) s += Math.exp(xd[xb + i]! - m);
          const lse = m + Math.log(s);
          for (let i = 0; i < n; i++) od[ob + i] = xd[xb + i]! - lse;
        } else {
          for (let i = 0; i < n; i++) {
            const e = Math.exp(xd[xb + i]! - m);
            od[ob + i] = e;
            s += e;
          }
          const inv = 1 / s;
          for (let i = 0; i < n; i++) od[ob + i] = od[ob + i]! * inv;
        }
      }
      return;
    }
    if (x.isContiguous()) {
      columnsKernel(xd, x._offset, od, n, so, log);
      return;
    }
    for (let row = 0; row < rows; row++) {
      const xb = xBase[row]!;
      const ob = outBase[row]!;
      let m = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = xd[xb + i * sx]!;
        if (v > m) m = v;
      }
      let s = 0;
      if (log) {
        for (let i = 0; i < n; i++) s += Math.exp(xd[xb + i * sx]! - m);
        const lse = m + Math.log(s);
        for (let i = 0; i < n; i++) od[ob + i * so] = xd[xb + i * sx]! - lse;
      } else {
        for (let i = 0; i < n; i++) {
          const e = Math.exp(xd[xb + i * sx]! - m);
          od[ob + i * so] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let i = 0; i < n; i++) od[ob + i * so] = od[ob + i * so]! * inv;
      }
    }
  };
}

export const softmax = defineOp<SoftmaxAttrs>({
  name: "softmax",
  decompose([x], attrs) {
    const d = x!.ndim === 0 ? [] : [normalizeDim(attrs.dim, x!.ndim)];
    const e = x!.sub(x!.amax(d, { keepdim: true })).exp();
    return [e.div(e.sum(d, { keepdim: true }))];
  },
  kind: "other",
  meta: ([x], attrs) => softmaxMeta("softmax_lastdim_kernel_impl", x!, attrs),
  kernel: softmaxKernel(false),
  grad: (ctx, [g]) => {
    const y = ctx.output(0);
    return [y.mul(g!.sub(g!.mul(y).sum([ctx.attrs.dim], { keepdim: true })))];
  },
});

export const logSoftmax = defineOp<SoftmaxAttrs>({
  name: "logSoftmax",
  decompose([x], attrs) {
    const d = x!.ndim === 0 ? [] : [normalizeDim(attrs.dim, x!.ndim)];
    const shifted = x!.sub(x!.amax(d, { keepdim: true }));
    return [shifted.sub(shifted.exp().sum(d, { keepdim: true }).log())];
  },
  kind: "other",
  meta: ([x], attrs) => softmaxMeta("log_softmax_lastdim_kernel_impl", x!, attrs),
  kernel: softmaxKernel(true),
  grad: (ctx, [g]) => [g!.sub(ctx.output(0).exp().mul(g!.sum([ctx.attrs.dim], { keepdim: true })))],
});
