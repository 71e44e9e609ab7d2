// Sorting along a dim (sort, topk) and the two index ops their gradients use: gathering along a
// dim and scatter-adding along a dim (each one's gradient is the other, so both are twice
// differentiable). NaN sorts as the largest value; equal values keep their original order.
import { checkInt, normalizeDim } from "../core/shape.js";
import { IndexError, KilnRuntimeError, ShapeError } from "../core/errors.js";
import { contiguousStrides } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { rowLayout } from "./reduce-kernel.js";
import { defineOp, type OutputMeta } from "./registry.js";

/** Sorts keys[0, n) with their idx in place (stable); tk/ti are scratch buffers of length >= n. */
type RowSorter = (keys: Float64Array, idx: Int32Array, n: number, tk: Float64Array, ti: Int32Array) => void;

function compileSorter(descending: boolean): RowSorter {
  // before(u, v): u goes strictly before v. NaN is the largest value.
  const before = (u: string, v: string) =>
    descending ? `(${u} > ${v} || (${u} !== ${u} && ${v} === ${v}))` : `(${u} < ${v} || (${v} !== ${v} && ${u} === ${u}))`;
  const src = `
const RUN = 16;
for (let lo = 0; lo < n; lo += RUN) {
  const hi = Math.min(lo + RUN, n);
  for (let i = lo + 1; i < hi; i++) {
    const b = keys[i], bi = idx[i];
    let j = i - 1;
    while (j >= lo) {
      const a = keys[j];
      if (!${before("b", "a")}) break;
      keys[j + 1] = a; idx[j + 1] = idx[j]; j--;
    }
    keys[j + 1] = b; idx[j + 1] = bi;
  }
}
let sk = keys, si = idx, dk = tk, di = ti;
for (let w = RUN; w < n; w *= 2) {
  for (let lo = 0; lo < n; lo += 2 * w) {
    const mid = Math.min(lo + w, n), hi = Math.min(lo + 2 * w, n);
    let i = lo, j = mid, o = lo;
    while (i < mid && j < hi) {
      const a = sk[i], b = sk[j];
      if (${before("b", "a")}) { dk[o] = b; di[o++] = si[j++]; } else { dk[o] = a; di[o++] = si[i++]; }
    }
    while (i < mid) { dk[o] = sk[i]; di[o++] = si[i++]; }
    while (j < hi) { dk[o] = sk[j]; di[o++] = si[j++]; }
  }
  const t1 = sk; sk = dk; dk = t1;
  const t2 = si; si = di; di = t2;
}
if (sk !== keys) { keys.set(sk.subarray(0, n)); idx.set(si.subarray(0, n)); }
`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("keys", "idx", "n", "tk", "ti", src) as RowSorter;
}

const sorters = { asc: compileSorter(false), desc: compileSorter(true) };

/**
 * Sorts every row of `x` along `dim` and writes the first `k` of each into `values`/`indices`
 * (contiguous, with k along dim).
 */
function sortRows(x: Tensor, dim: number, descending: boolean, k: number, values: Tensor, indices: Tensor): void {
  const outShape = x.shape.slice();
  if (x.ndim > 0) outShape[dim] = k;
  const L = rowLayout(x, dim, outShape);
  const n = L.n;
  const xd = x._data();
  const vd = values._storage!.data;
  const id = indices._storage!.data;
  const keys = new Float64Array(n);
  const idx = new Int32Array(n);
  const tk = new Float64Array(n);
  const ti = new Int32Array(n);
  const sorter = descending ? sorters.desc : sorters.asc;
  const sx = L.xStride;
  const so = L.outStride;
  for (let row = 0; row < L.rows; row++) {
    for (let i = 0, p = L.xBase[row]!; i < n; i++, p += sx) {
      keys[i] = xd[p]!;
      idx[i] = i;
    }
    sorter(keys, idx, n, tk, ti);
    for (let i = 0, q = L.outBase[row]!; i < k; i++, q += so) {
      vd[q] = keys[i]!;
      id[q] = idx[i]!;
    }
  }
}

export interface SortAttrs {
  dim: number;
  descending: boolean;
  stable: boolean;
}

/** Gradient of values picked by `indices` along `dim`: scattered back into the input's shape. */
const scatterBack = (g: Tensor | null, indices: Tensor, dim: number, shape: readonly number[]): Tensor | null => {
  if (g === null) return null;
  if (shape.length === 0) return g;
  return g._scatterAddAlongDim(indices, dim < 0 ? dim + shape.length : dim, shape.slice());
};

export const sort = defineOp<SortAttrs>({
  name: "sort",
  kind: "other",
  meta([x], attrs) {
    normalizeDim(attrs.dim, x!.ndim);
    return [
      { shape: x!.shape.slice(), dtype: x!.dtype },
      { shape: x!.shape.slice(), dtype: "int32" },
    ];
  },
  kernel([x], attrs, [values, indices]) {
    const dim = x!.ndim === 0 ? 0 : normalizeDim(attrs.dim, x!.ndim);
    sortRows(x!, dim, attrs.descending, x!.ndim === 0 ? 1 : x!.shape[dim]!, values!, indices!);
  },
  grad: (ctx, [g]) => [scatterBack(g ?? null, ctx.output(1), ctx.attrs.dim, ctx.inputShape(0))],
});

export interface TopkAttrs {
  k: number;
  dim: number;
  largest: boolean;
  sorted: boolean;
}

export const topk = defineOp<TopkAttrs>({
  name: "topk",
  kind: "other",
  meta([x], attrs) {
    const d = normalizeDim(attrs.dim, x!.ndim);
    const k = checkInt(attrs.k, "k");
    const size = x!.ndim === 0 ? 1 : x!.shape[d]!;
    if (k < 0 || k > size) throw new KilnRuntimeError("selected index k out of range");
    const shape = x!.shape.slice();
    if (x!.ndim > 0) shape[d] = k;
    return [
      { shape, dtype: x!.dtype },
      { shape: shape.slice(), dtype: "int32" },
    ];
  },
  kernel([x], attrs, [values, indices]) {
    const dim = x!.ndim === 0 ? 0 : normalizeDim(attrs.dim, x!.ndim);
    sortRows(x!, dim, attrs.largest, attrs.k, values!, indices!);
  },
  grad: (ctx, [g]) => [scatterBack(g ?? null, ctx.output(1), ctx.attrs.dim, ctx.inputShape(0))],
});

// ---------------------------------------------------------------------------------------------
// Index ops used by gradients (kiln-internal; the public gather/scatter API may differ).

export interface GatherDimAttrs {
  dim: number;
}

function checkIndex(v: number, size: number, dim: number): void {
  if (v < 0 || v >= size) throw new IndexError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

/** out[..., j, ...] = x[..., index[..., j, ...], ...] along dim; out has index's shape. */
export const gatherAlongDim = defineOp<GatherDimAttrs>({
  name: "_gatherAlongDim",
  kind: "index",
  meta([x, index], attrs) {
    normalizeDim(attrs.dim, x!.ndim);
    if (index!.ndim !== x!.ndim) throw new ShapeError("Index tensor must have the same number of dimensions as input tensor");
    return [{ shape: index!.shape.slice(), dtype: x!.dtype }];
  },
  kernel([x, index], attrs, [out]) {
    const dim = x!.ndim === 0 ? 0 : normalizeDim(attrs.dim, x!.ndim);
    const shape = index!.shape;
    const nd = shape.length;
    const xd = x!._data();
    const id = index!._data();
    const od = out!._storage!.data;
    const xs = x!._strides.slice();
    const is = index!._strides;
    const size = nd === 0 ? 1 : x!.shape[dim]!;
    const sd = nd === 0 ? 0 : xs[dim]!;
    if (nd > 0) xs[dim] = 0;
    const n = out!.numel();
    const idx = new Array<number>(nd).fill(0);
    let px = x!._offset;
    let pi = index!._offset;
    for (let o = 0; o < n; o++) {
      const k = id[pi]!;
      if (k < 0 || k >= size) checkIndex(k, size, dim);
      od[o] = xd[px + k * sd]!;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]!++;
        px += xs[d]!;
        pi += is[d]!;
        if (idx[d]! < shape[d]!) break;
        px -= xs[d]! * shape[d]!;
        pi -= is[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  },
  grad: (ctx, [g]) => [
    ctx.needsInputGrad(0) ? g!._scatterAddAlongDim(ctx.input(1), ctx.attrs.dim, ctx.inputShape(0).slice()) : null,
    null,
  ],
});

export interface ScatterDimAttrs {
  dim: number;
  /** Shape of the (zero-initialised) result. */
  shape: number[];
}

/** A zero tensor of `shape` with out[..., index[..., j, ...], ...] += src[..., j, ...] along dim. */
export const scatterAddAlongDim = defineOp<ScatterDimAttrs>({
  name: "_scatterAddAlongDim",
  kind: "index",
  meta([src, index], attrs): OutputMeta[] {
    normalizeDim(attrs.dim, attrs.shape.length);
    if (index!.ndim !== src!.ndim || index!.shape.some((s, i) => s !== src!.shape[i])) {
      throw new ShapeError("_scatterAddAlongDim: index and src must have the same shape");
    }
    return [{ shape: attrs.shape.slice(), dtype: src!.dtype }];
  },
  kernel([src, index], attrs, [out]) {
    const shape = index!.shape;
    const nd = shape.length;
    const dim = nd === 0 ? 0 : normalizeDim(attrs.dim, nd);
    const sd = src!._data();
    const id = index!._data();
    const od = out!._storage!.data;
    od.fill(0);
    const os = contiguousStrides(attrs.shape);
    const size = nd === 0 ? 1 : attrs.shape[dim]!;
    const step = nd === 0 ? 0 : os[dim]!;
    if (nd > 0) os[dim] = 0;
    const ss = src!._strides;
    const is = index!._strides;
    const n = index!.numel();
    const idx = new Array<number>(nd).fill(0);
    let ps = src!._offset;
    let pi = index!._offset;
    let po = 0;
    for (let e = 0; e < n; e++) {
      const k = id[pi]!;
      if (k < 0 || k >= size) checkIndex(k, size, dim);
      const at = po + k * step;
      od[at] = od[at]! + sd[ps]!;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]!++;
        ps += ss[d]!;
        pi += is[d]!;
        po += os[d]!;
        if (idx[d]! < shape[d]!) break;
        ps -= ss[d]! * shape[d]!;
        pi -= is[d]! * shape[d]!;
        po -= os[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  },
  grad: (ctx, [g]) => [ctx.needsInputGrad(0) ? g!._gatherAlongDim(ctx.input(1), ctx.attrs.dim) : null, null],
});
