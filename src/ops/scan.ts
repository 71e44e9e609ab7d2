// Scans along one dim: cumsum and cumprod. Internally both also run exclusive (element i gets the
// result of the elements before it) and reversed (from the end of the dim); gradient formulas use
// those variants, the public API always runs inclusive and forward.
import { type DType, isFloating } from "../core/dtype.js";
import { normalizeDim } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { rowLayout } from "./reduce-kernel.js";
import { defineOp, type OutputMeta } from "./registry.js";

export interface ScanAttrs {
  dim: number;
  exclusive: boolean;
  reverse: boolean;
}

function scanMeta(x: Tensor, attrs: ScanAttrs): OutputMeta[] {
  normalizeDim(attrs.dim, x.ndim);
  const dtype: DType = isFloating(x.dtype) ? x.dtype : "int32";
  return [{ shape: x.shape.slice(), dtype }];
}

function scanKernel(product: boolean) {
  return (inputs: readonly Tensor[], attrs: ScanAttrs, outs: Tensor[]): void => {
    const x = inputs[0]!;
    const out = outs[0]!;
    const dim = x.ndim === 0 ? 0 : normalizeDim(attrs.dim, x.ndim);
    const L = rowLayout(x, dim);
    const xd = x._data();
    const od = out._storage!.data;
    const n = L.n;
    const isInt = out.dtype === "int32";
    const excl = attrs.exclusive;
    const sx = attrs.reverse ? -L.xStride : L.xStride;
    const so = attrs.reverse ? -L.outStride : L.outStride;
    const startX = attrs.reverse ? (n - 1) * L.xStride : 0;
    const startO = attrs.reverse ? (n - 1) * L.outStride : 0;
    for (let row = 0; row < L.rows; row++) {
      let p = L.xBase[row]! + startX;
      let q = L.outBase[row]! + startO;
      if (!product) {
        let acc = 0;
        if (isInt) {
          for (let i = 0; i < n; i++, p += sx, q += so) {
            const v = xd[p]!;
            if (excl) { od[q] = acc; acc = (acc + v) | 0; } else { acc = (acc + v) | 0; od[q] = acc; }
          }
        } else {
          for (let i = 0; i < n; i++, p += sx, q += so) {
            const v = xd[p]!;
            if (excl) { od[q] = acc; acc += v; } else { acc += v; od[q] = acc; }
          }
        }
      } else {
        let acc = 1;
        if (isInt) {
          for (let i = 0; i < n; i++, p += sx, q += so) {
            const v = xd[p]!;
            if (excl) { od[q] = acc; acc = Math.imul(acc, v); } else { acc = Math.imul(acc, v); od[q] = acc; }
          }
        } else {
          for (let i = 0; i < n; i++, p += sx, q += so) {
            const v = xd[p]!;
            if (excl) { od[q] = acc; acc *= v; } else { acc *= v; od[q] = acc; }
          }
        }
      }
    }
  };
}

export const cumsum = defineOp<ScanAttrs>({
  name: "cumsum",
  kind: "other",
  meta: ([x], attrs) => scanMeta(x!, attrs),
  kernel: scanKernel(false),
  // Each input element feeds the outputs after it: a scan of the gradient the other way round.
  grad: (ctx, [g]) => [g!._cumulative("cumsum", ctx.attrs.dim, ctx.attrs.exclusive, !ctx.attrs.reverse)],
});

export const cumprod = defineOp<ScanAttrs>({
  name: "cumprod",
  kind: "other",
  meta: ([x], attrs) => scanMeta(x!, attrs),
  kernel: scanKernel(true),
  // d out_i / d x_k = out_i / x_k for the k that out_i includes. Exact only where x has no zeros
  // (a zero gives inf/NaN here; PyTorch switches to an O(n^2) formula). prod's gradient does not
  // go through this formula's division: it uses exclusive cumprods, exact with zeros.
  grad: (ctx, [g]) => {
    const { dim, exclusive, reverse } = ctx.attrs;
    return [g!.mul(ctx.output(0))._cumulative("cumsum", dim, exclusive, !reverse).div(ctx.input(0))];
  },
});
