// Copies and dtype conversion: clone and cast, and the scatters that write a view's values into a
// copy of its base (the backward of select, slice and asStrided).
import { checkDType, type DType, type TypedArray } from "../core/dtype.js";
import { ShapeError } from "../core/errors.js";
import { contiguousStrides, formatShape, numelOf, shapesEqual } from "../core/shape.js";
import { gatherContiguous, type Tensor } from "../core/tensor.js";
import { pointwiseKernel } from "./pointwise-kernel.js";
import { rowLength, rowStarts } from "../core/strided.js";
import { defineOp } from "./registry.js";
import { gradAs } from "./grad-utils.js";
import { checkSliceAttrs, selectIndex, type SelectAttrs, type SliceAttrs } from "./views.js";

export const clone = defineOp<object>({
  name: "clone",
  kind: "pointwise",
  meta: ([x]) => [{ shape: x!.shape.slice(), dtype: x!.dtype }],
  kernel: pointwiseKernel(([x]) => x!),
  pointwise: ([x]) => x!,
  grad: (_c, [g]) => [g],
});

export interface CastAttrs {
  dtype: DType;
}

export const cast = defineOp<CastAttrs>({
  name: "cast",
  kind: "pointwise",
  meta: ([x], { dtype }) => [{ shape: x!.shape.slice(), dtype: checkDType(dtype) }],
  kernel: pointwiseKernel(([x], d) => (d === "bool" ? `${x} !== 0` : x!)),
  pointwise: ([x], d) => (d === "bool" ? `${x} !== 0` : x!),
  grad: (ctx, [g]) => [gradAs(g!, ctx.inputDType(0))],
});

/**
 * Copies `src` (read with its strides) into positions of `dst` described by a strided geometry of
 * the same shape, converting to bool when the destination is bool. Hand-written loop, last dim hoisted.
 */
export function copyStrided(
  dst: TypedArray,
  dstStrides: readonly number[],
  dstOffset: number,
  src: ArrayLike<number>,
  srcStrides: readonly number[],
  srcOffset: number,
  shape: readonly number[],
  toBool: boolean,
): void {
  const n = numelOf(shape);
  if (n === 0) return;
  const nd = shape.length;
  if (nd === 0) {
    const v = src[srcOffset]!;
    dst[dstOffset] = toBool ? (v !== 0 ? 1 : 0) : v;
    return;
  }
  const last = nd - 1;
  const inner = shape[last]!;
  const ds = dstStrides[last]!;
  const ss = srcStrides[last]!;
  const idx = new Array<number>(nd).fill(0);
  let pd = dstOffset;
  let ps = srcOffset;
  for (let done = 0; done < n; done += inner) {
    if (toBool) for (let i = 0; i < inner; i++) dst[pd + i * ds] = src[ps + i * ss]! !== 0 ? 1 : 0;
    else for (let i = 0; i < inner; i++) dst[pd + i * ds] = src[ps + i * ss]!;
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      pd += dstStrides[d]!;
      ps += srcStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      pd -= dstStrides[d]! * shape[d]!;
      ps -= srcStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Fills `out` (contiguous, same dtype and shape) with the values of `base`. */
function copyBase(base: Tensor, out: Tensor): void {
  out._storage!.data.set(gatherContiguous(base._data(), base.shape, base._strides, base._offset));
}

function checkScatterSrc(src: Tensor, expected: readonly number[]): void {
  if (!shapesEqual(src.shape, expected)) {
    throw new ShapeError(
      `expected src to have a size equal to the slice of self. src size = ${formatShape(src.shape)}, slice size = ${formatShape(expected)}`,
    );
  }
}

/** slice_scatter: a copy of `base` with base[..., start:end:step, ...] = src. */
export const sliceScatter = defineOp<SliceAttrs>({
  name: "sliceScatter",
  kind: "index",
  meta([base, src], attrs) {
    const { d, length } = checkSliceAttrs(base!, attrs);
    const sliceShape = base!.shape.slice();
    sliceShape[d] = length;
    checkScatterSrc(src!, sliceShape);
    return [{ shape: base!.shape.slice(), dtype: base!.dtype }];
  },
  kernel([base, src], attrs, [out]) {
    const { d, start, step } = checkSliceAttrs(base!, attrs);
    copyBase(base!, out!);
    const strides = contiguousStrides(out!.shape);
    const offset = start * strides[d]!;
    strides[d] = strides[d]! * step;
    copyStrided(out!._storage!.data, strides, offset, src!._data(), src!._strides, src!._offset, src!.shape, out!.dtype === "bool");
  },
  grad: (ctx, [g]) => {
    const { dim, start, end, step } = ctx.attrs;
    return [
      ctx.needsInputGrad(0) ? g!.sliceScatter(g!.newZeros(ctx.inputShape(1).slice()), dim, start, end, step) : null,
      ctx.needsInputGrad(1) ? gradAs(g!.slice(dim, start, end, step), ctx.inputDType(1)) : null,
    ];
  },
});

/** select_scatter: a copy of `base` with base[..., index, ...] = src. */
export const selectScatter = defineOp<SelectAttrs>({
  name: "selectScatter",
  kind: "index",
  meta([base, src], attrs) {
    const { d } = selectIndex(base!, attrs);
    const sliceShape = base!.shape.slice();
    sliceShape.splice(d, 1);
    checkScatterSrc(src!, sliceShape);
    return [{ shape: base!.shape.slice(), dtype: base!.dtype }];
  },
  kernel([base, src], attrs, [out]) {
    const { d, index } = selectIndex(base!, attrs);
    copyBase(base!, out!);
    const strides = contiguousStrides(out!.shape);
    const offset = index * strides[d]!;
    strides.splice(d, 1);
    copyStrided(out!._storage!.data, strides, offset, src!._data(), src!._strides, src!._offset, src!.shape, out!.dtype === "bool");
  },
  grad: (ctx, [g]) => {
    const { dim, index } = ctx.attrs;
    return [
      ctx.needsInputGrad(0) ? g!.selectScatter(g!.newZeros(ctx.inputShape(1).slice()), dim, index) : null,
      ctx.needsInputGrad(1) ? gradAs(g!.select(dim, index), ctx.inputDType(1)) : null,
    ];
  },
});

/** A strided geometry over storage positions. */
export interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

export interface StridedAccumulateAttrs {
  from: Geometry;
  to: Geometry;
}

/** Storage positions of a geometry's elements in row-major order. */
function positions({ shape, strides, offset }: Geometry): Float64Array {
  const out = new Float64Array(numelOf(shape));
  const inner = rowLength(shape);
  const step = shape.length === 0 ? 0 : strides[shape.length - 1]!;
  let k = 0;
  for (const start of rowStarts(shape, strides, offset)) for (let j = 0; j < inner; j++) out[k++] = start + j * step;
  return out;
}

/**
 * The backward of asStrided: element j of the output (shape `to.shape`) is the sum of the input's
 * elements whose `from` position equals the `to` position of j. Linear; its adjoint swaps from/to.
 */
export const stridedAccumulate = defineOp<StridedAccumulateAttrs>({
  name: "stridedAccumulate",
  kind: "index",
  meta([g], { from, to }) {
    if (!shapesEqual(g!.shape, from.shape)) {
      throw new ShapeError(`stridedAccumulate: input of size ${formatShape(g!.shape)} does not match ${formatShape(from.shape)}`);
    }
    return [{ shape: to.shape.slice(), dtype: g!.dtype }];
  },
  kernel([g], { from, to }, [out]) {
    const src = gatherContiguous(g!._data(), g!.shape, g!._strides, g!._offset);
    const pf = positions(from);
    const pt = positions(to);
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of pf) (lo = Math.min(lo, p)), (hi = Math.max(hi, p));
    for (const p of pt) (lo = Math.min(lo, p)), (hi = Math.max(hi, p));
    if (pt.length === 0) return;
    const buf = new Float64Array(Math.max(hi - lo + 1, 0));
    for (let i = 0; i < pf.length; i++) buf[pf[i]! - lo]! += src[i]!;
    const o = out!._storage!.data;
    for (let j = 0; j < pt.length; j++) o[j] = buf[pt[j]! - lo]!;
  },
  grad: (ctx, [g]) => [g!.stridedAccumulate(ctx.attrs.to, ctx.attrs.from)],
});
