// View ops: outputs share the input's storage. Their meta functions compute the view's strides and
// offset, so eager views and lazy (traced) views report the same `stride()`.
import { ArgumentError, IndexError, ShapeError, describeValue } from "../core/errors.js";
import { checkInt, checkShape, formatShape, normalizeDim, numelOf, viewStrides } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp, type OutputMeta } from "./registry.js";
import { sumToShape } from "./grad-utils.js";

function viewMeta(x: Tensor, shape: number[], strides: number[], offset = x._offset): OutputMeta[] {
  return [{ shape, dtype: x.dtype, view: { strides, offset } }];
}

/** Resolves a single -1 in a requested shape against `numel` (PyTorch's infer_size). */
export function inferSize(shape: readonly unknown[], numel: number): number[] {
  let infer = -1;
  let known = 1;
  const out: number[] = [];
  shape.forEach((s, i) => {
    if (typeof s !== "number" || !Number.isInteger(s)) {
      throw new ArgumentError(`shape must contain only integers, but got ${String(s)} at position ${i}`);
    }
    if (s === -1) {
      if (infer >= 0) throw new ArgumentError("only one dimension can be inferred");
      infer = i;
    } else if (s < 0) {
      throw new ArgumentError(`invalid shape dimension ${s}`);
    } else known *= s;
    out.push(s);
  });
  const bad = () => new ShapeError(`shape '[${shape.join(", ")}]' is invalid for input of size ${numel}`);
  if (infer >= 0) {
    if (known === 0 || numel % known !== 0) throw bad();
    out[infer] = numel / known;
  } else if (known !== numel) throw bad();
  return out;
}

export interface ShapeAttrs {
  shape: number[];
}

export const view = defineOp<ShapeAttrs>({
  name: "view",
  kind: "view",
  meta([x], { shape }) {
    const size = inferSize(shape, x!.numel());
    // A 0-d tensor views as any all-ones shape (core viewStrides does not cover that case).
    const strides = x!.ndim === 0 ? size.map(() => 1) : viewStrides(x!.shape, x!._strides, size);
    if (strides === null) {
      throw new ShapeError(
        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
      );
    }
    return viewMeta(x!, size, strides);
  },
  grad: (ctx, [g]) => [g!.reshape(ctx.inputShape(0).slice())],
});

export const reshape = defineOp<ShapeAttrs>({
  name: "reshape",
  kind: "composite",
  meta([x], { shape }) {
    const size = inferSize(shape, x!.numel());
    return [{ shape: size, dtype: x!.dtype }];
  },
  composite([x], { shape }) {
    const size = inferSize(shape, x!.numel());
    const strides = x!.ndim === 0 ? [] : viewStrides(x!.shape, x!._strides, size);
    return [strides !== null ? x!.view(size) : x!.contiguous().view(size)];
  },
  grad: "composite",
});

export interface DimsAttrs {
  dims: number[];
}

export const permute = defineOp<DimsAttrs>({
  name: "permute",
  kind: "view",
  meta([x], { dims }) {
    if (!Array.isArray(dims)) throw new ArgumentError(`permute(): dims must be an array of integers`);
    if (dims.length !== x!.ndim) {
      throw new ShapeError(
        `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x!.ndim} is not equal to len(dims) = ${dims.length}`,
      );
    }
    const seen = new Set<number>();
    const d = dims.map((v) => normalizeDim(v, x!.ndim));
    for (const v of d) {
      if (seen.has(v)) throw new ArgumentError("permute(): duplicate dims are not allowed.");
      seen.add(v);
    }
    return viewMeta(
      x!,
      d.map((i) => x!.shape[i]!),
      d.map((i) => x!._strides[i]!),
    );
  },
  grad: (ctx, [g]) => {
    const d = ctx.attrs.dims.map((v) => (v < 0 ? v + ctx.inputShape(0).length : v));
    const inv = new Array<number>(d.length);
    d.forEach((v, i) => (inv[v] = i));
    return [g!.permute(inv)];
  },
});

export interface SizeAttrs {
  size: number[];
}

export const expand = defineOp<SizeAttrs>({
  name: "expand",
  kind: "view",
  meta([x], { size }) {
    const req = checkShapeAllowingMinusOne(size);
    if (req.length < x!.ndim) {
      throw new ShapeError(
        `expand(torch.FloatTensor{[${x!.shape.join(", ")}]}, size=[${req.join(", ")}]): the number of sizes provided (${req.length}) must be greater or equal to the number of dimensions in the tensor (${x!.ndim})`,
      );
    }
    const lead = req.length - x!.ndim;
    const shape: number[] = [];
    const strides: number[] = [];
    req.forEach((s, i) => {
      if (i < lead) {
        if (s < 0) throw new ShapeError(`The expanded size of the tensor (${s}) isn't allowed in a leading, non-existing dimension ${i}`);
        shape.push(s);
        strides.push(0);
        return;
      }
      const cur = x!.shape[i - lead]!;
      const target = s === -1 ? cur : s;
      if (cur !== target && cur !== 1) {
        throw new ShapeError(
          `The expanded size of the tensor (${target}) must match the existing size (${cur}) at non-singleton dimension ${i}.  Target sizes: [${req.join(", ")}].  Tensor sizes: [${x!.shape.join(", ")}]`,
        );
      }
      shape.push(target);
      strides.push(cur === target ? x!._strides[i - lead]! : 0);
    });
    return viewMeta(x!, shape, strides);
  },
  grad: (ctx, [g]) => [sumToShape(g!, ctx.inputShape(0))],
});

function checkShapeAllowingMinusOne(size: unknown): number[] {
  if (!Array.isArray(size)) return checkShape(size);
  return size.map((s) => {
    if (typeof s !== "number" || !Number.isInteger(s) || s < -1) checkShape([s]);
    return s as number;
  });
}

export interface DimAttrs {
  dim: number;
}

export const unsqueeze = defineOp<DimAttrs>({
  name: "unsqueeze",
  kind: "view",
  meta([x], { dim }) {
    const d = normalizeDim(dim, x!.ndim + 1);
    const shape = x!.shape.slice();
    const strides = x!._strides.slice();
    const st = d < x!.ndim ? x!.shape[d]! * x!._strides[d]! : 1;
    shape.splice(d, 0, 1);
    strides.splice(d, 0, st);
    return viewMeta(x!, shape, strides);
  },
  grad: (ctx, [g]) => [g!.reshape(ctx.inputShape(0).slice())],
});

export interface OptionalDimsAttrs {
  dims: number[] | null;
}

export const squeeze = defineOp<OptionalDimsAttrs>({
  name: "squeeze",
  kind: "view",
  meta([x], { dims }) {
    const nd = x!.ndim;
    const drop = new Set(dims === null ? x!.shape.flatMap((s, i) => (s === 1 ? [i] : [])) : dims.map((d) => normalizeDim(d, nd)));
    const shape: number[] = [];
    const strides: number[] = [];
    x!.shape.forEach((s, i) => {
      if (drop.has(i) && s === 1) return;
      shape.push(s);
      strides.push(x!._strides[i]!);
    });
    return viewMeta(x!, shape, strides);
  },
  grad: (ctx, [g]) => [g!.reshape(ctx.inputShape(0).slice())],
});

/** The storage offset and strides after permuting two dims. */
export const transpose = defineOp<{ dim0: number; dim1: number }>({
  name: "transpose",
  kind: "view",
  meta([x], { dim0, dim1 }) {
    const a = normalizeDim(dim0, x!.ndim);
    const b = normalizeDim(dim1, x!.ndim);
    const shape = x!.shape.slice();
    const strides = x!._strides.slice();
    if (x!.ndim > 0) {
      [shape[a], shape[b]] = [shape[b]!, shape[a]!];
      [strides[a], strides[b]] = [strides[b]!, strides[a]!];
    }
    return viewMeta(x!, shape, strides);
  },
  grad: (ctx, [g]) => [g!.transpose(ctx.attrs.dim0, ctx.attrs.dim1)],
});

/** detach: a view that shares storage but not autograd history. */
export const detach = defineOp<object>({
  name: "detach",
  kind: "view",
  meta: ([x]) => viewMeta(x!, x!.shape.slice(), x!._strides.slice()),
  grad: "nondifferentiable",
});

/** Rejects 0-d inputs of ops that index a dim (PyTorch's message). */
function requireDim(op: string, x: Tensor, Err: typeof ShapeError = ShapeError): void {
  if (x.ndim === 0) throw new Err(`${op}() cannot be applied to a 0-dim tensor.`);
}

/** Python slicing bounds: negative values wrap, then clamp into [0, size]. */
export function sliceBounds(size: number, start: number | null, end: number | null, step: number): { start: number; end: number; length: number } {
  let s = start ?? 0;
  let e = end ?? size;
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = Math.min(Math.max(s, 0), size);
  e = Math.min(Math.max(e, s), size);
  return { start: s, end: e, length: Math.ceil((e - s) / step) };
}

export interface SliceAttrs {
  dim: number;
  start: number | null;
  end: number | null;
  step: number;
}

export function checkSliceAttrs(x: Tensor, { dim, start, end, step }: SliceAttrs): { d: number; start: number; end: number; length: number; step: number } {
  requireDim("slice", x);
  const d = normalizeDim(dim, x.ndim);
  if (start !== null) checkInt(start, "slice(): start");
  if (end !== null) checkInt(end, "slice(): end");
  checkInt(step, "slice(): step");
  if (step <= 0) throw new ArgumentError("slice step must be positive");
  return { d, step, ...sliceBounds(x.shape[d]!, start, end, step) };
}

/** x[..., start:end:step, ...] along one dim (a view). */
export const slice = defineOp<SliceAttrs>({
  name: "slice",
  kind: "view",
  meta([x], attrs) {
    const { d, start, length, step } = checkSliceAttrs(x!, attrs);
    const shape = x!.shape.slice();
    const strides = x!._strides.slice();
    shape[d] = length;
    strides[d] = x!._strides[d]! * step;
    return viewMeta(x!, shape, strides, x!._offset + start * x!._strides[d]!);
  },
  grad: (ctx, [g]) => {
    const { dim, start, end, step } = ctx.attrs;
    return [g!.newZeros(ctx.inputShape(0).slice()).sliceScatter(g!, dim, start, end, step)];
  },
});

export interface NarrowAttrs {
  dim: number;
  start: number;
  length: number;
}

function narrowBounds(x: Tensor, { dim, start, length }: NarrowAttrs): { d: number; start: number; length: number } {
  requireDim("narrow", x);
  const d = normalizeDim(dim, x.ndim);
  checkInt(start, "narrow(): start");
  checkInt(length, "narrow(): length");
  const size = x.shape[d]!;
  if (length < 0) throw new ArgumentError("narrow(): length must be non-negative.");
  if (start < -size || start > size) {
    throw new IndexError(`start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  }
  const s = start < 0 ? start + size : start;
  if (s > size - length) throw new ShapeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  return { d, start: s, length };
}

/** narrow: a view of `length` entries from `start` along `dim`; runs as a slice (as in PyTorch). */
export const narrow = defineOp<NarrowAttrs>({
  name: "narrow",
  kind: "composite",
  meta([x], attrs) {
    const { d, length } = narrowBounds(x!, attrs);
    const shape = x!.shape.slice();
    shape[d] = length;
    return [{ shape, dtype: x!.dtype }];
  },
  composite([x], attrs) {
    const { d, start, length } = narrowBounds(x!, attrs);
    return [x!.slice(d, start, start + length)];
  },
  grad: "composite",
});

export interface SelectAttrs {
  dim: number;
  index: number;
}

export function selectIndex(x: Tensor, { dim, index }: SelectAttrs): { d: number; index: number } {
  requireDim("select", x, IndexError);
  const d = normalizeDim(dim, x.ndim);
  checkInt(index, "select(): index");
  const size = x.shape[d]!;
  if (index < -size || index >= size) {
    throw new IndexError(`select(): index ${index} out of range for tensor of size ${formatShape(x.shape)} at dimension ${d}`);
  }
  return { d, index: index < 0 ? index + size : index };
}

/** x[..., index, ...]: removes `dim` (a view). */
export const select = defineOp<SelectAttrs>({
  name: "select",
  kind: "view",
  meta([x], attrs) {
    const { d, index } = selectIndex(x!, attrs);
    const shape = x!.shape.slice();
    const strides = x!._strides.slice();
    shape.splice(d, 1);
    strides.splice(d, 1);
    return viewMeta(x!, shape, strides, x!._offset + index * x!._strides[d]!);
  },
  grad: (ctx, [g]) => [g!.newZeros(ctx.inputShape(0).slice()).selectScatter(g!, ctx.attrs.dim, ctx.attrs.index)],
});

export interface AsStridedAttrs {
  size: number[];
  stride: number[];
  offset: number | null;
}

/** as_strided: any geometry over the input's storage (a view). */
export const asStrided = defineOp<AsStridedAttrs>({
  name: "asStrided",
  kind: "view",
  meta([x], { size, stride, offset }) {
    const shape = checkShape(size);
    if (!Array.isArray(stride)) throw new ArgumentError(`asStrided(): stride must be an array of integers, but got ${describeValue(stride)}`);
    stride.forEach((s) => checkInt(s, "asStrided(): stride"));
    if (stride.length !== shape.length) throw new ShapeError("mismatch in length of strides and shape");
    if (stride.some((s) => s < 0)) {
      throw new ShapeError(`as_strided: Negative strides are not supported at the moment, got strides: ${formatShape(stride)}`);
    }
    const off = offset ?? x!._offset;
    checkInt(off, "asStrided(): storage offset");
    if (off < 0) throw new ShapeError(`Tensor: invalid storage offset ${off}`);
    const storage = x!._storage;
    if (storage !== null && numelOf(shape) > 0) {
      let last = off;
      shape.forEach((s, i) => (last += (s - 1) * stride[i]!));
      if (last >= storage.length) {
        const bytes = storage.data.BYTES_PER_ELEMENT;
        throw new ShapeError(
          `setStorage: sizes ${formatShape(shape)}, strides ${formatShape(stride)}, storage offset ${off}, and itemsize ${bytes} requiring a storage size of ${(last + 1) * bytes} are out of bounds for storage of size ${storage.length * bytes}`,
        );
      }
    }
    return viewMeta(x!, shape, stride.slice(), off);
  },
  grad: (ctx, [g]) => {
    const x = ctx.input(0);
    const { size, stride, offset } = ctx.attrs;
    return [
      g!.stridedAccumulate(
        { shape: size.slice(), strides: stride.slice(), offset: offset ?? x._offset },
        { shape: x.shape.slice(), strides: x._strides.slice(), offset: x._offset },
      ),
    ];
  },
});

export interface FlattenAttrs {
  startDim: number;
  endDim: number;
}

function flattenShape(x: Tensor, { startDim, endDim }: FlattenAttrs): number[] {
  const s = normalizeDim(startDim, x.ndim);
  const e = normalizeDim(endDim, x.ndim);
  if (s > e) throw new ArgumentError("flatten() has invalid args: start_dim cannot come after end_dim");
  if (x.ndim === 0) return [1];
  const shape = x.shape.slice(0, s);
  shape.push(numelOf(x.shape.slice(s, e + 1)));
  return shape.concat(x.shape.slice(e + 1));
}

/** flatten: merges dims startDim..endDim; a view when possible, else a copy (like reshape). */
export const flatten = defineOp<FlattenAttrs>({
  name: "flatten",
  kind: "composite",
  meta: ([x], attrs) => [{ shape: flattenShape(x!, attrs), dtype: x!.dtype }],
  composite: ([x], attrs) => {
    const shape = flattenShape(x!, attrs);
    return [shape.length === x!.ndim && x!.ndim > 0 ? x! : x!.reshape(shape)];
  },
  grad: "composite",
});

export interface UnflattenAttrs {
  dim: number;
  sizes: number[];
}

function unflattenShape(x: Tensor, { dim, sizes }: UnflattenAttrs): number[] {
  const d = normalizeDim(dim, x.ndim);
  if (!Array.isArray(sizes)) throw new ArgumentError(`unflatten(): sizes must be an array of integers, but got ${describeValue(sizes)}`);
  if (sizes.length === 0) throw new ArgumentError("unflatten: sizes must be non-empty");
  const size = x.shape[d] ?? 1;
  let inner: number[];
  try {
    inner = inferSize(sizes, size);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(
      `unflatten: Provided sizes ${formatShape(sizes)} don't multiply up to the size of dim ${d} (${size}) in the input tensor`,
    );
  }
  const shape = x.shape.slice();
  shape.splice(d, 1, ...inner);
  return shape;
}

/** unflatten: splits one dim into `sizes` (always a view). */
export const unflatten = defineOp<UnflattenAttrs>({
  name: "unflatten",
  kind: "composite",
  meta: ([x], attrs) => [{ shape: unflattenShape(x!, attrs), dtype: x!.dtype }],
  composite: ([x], attrs) => [x!.view(unflattenShape(x!, attrs))],
  grad: "composite",
});

export interface SplitAttrs {
  /** One size for equal pieces (the last may be smaller), or the size of each piece. */
  split: number | number[];
  dim: number;
}

/** Sizes of the pieces of a split along a dim of `size` (PyTorch's split / split_with_sizes rules). */
function splitSizes(x: Tensor, { split, dim }: SplitAttrs): { d: number; sizes: number[] } {
  if (x.ndim === 0) throw new ShapeError("split expects at least a 1-dimensional tensor");
  const d = normalizeDim(dim, x.ndim);
  const size = x.shape[d]!;
  if (Array.isArray(split)) {
    split.forEach((s) => checkInt(s, "split(): split_sizes"));
    if (split.some((s) => s < 0) || split.reduce((a, b) => a + b, 0) !== size) {
      throw new ShapeError(
        `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=${formatShape(split)}`,
      );
    }
    return { d, sizes: split.slice() };
  }
  checkInt(split, "split(): split_size");
  if (split < 0) throw new ArgumentError(`split expects split_size be non-negative, but got split_size=${split}`);
  if (split === 0 && size !== 0) {
    throw new ArgumentError(`split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`);
  }
  const n = split === 0 ? 1 : Math.max(Math.ceil(size / split), 1);
  const sizes = new Array<number>(n).fill(split);
  sizes[n - 1] = split - (split * n - size);
  return { d, sizes };
}

/** split: views of consecutive pieces along `dim` (a composite of narrow). */
export const split = defineOp<SplitAttrs>({
  name: "split",
  kind: "composite",
  meta([x], attrs) {
    const { d, sizes } = splitSizes(x!, attrs);
    return sizes.map((s) => {
      const shape = x!.shape.slice();
      shape[d] = s;
      return { shape, dtype: x!.dtype };
    });
  },
  composite([x], attrs) {
    const { d, sizes } = splitSizes(x!, attrs);
    let start = 0;
    return sizes.map((s) => {
      const t = x!.narrow(d, start, s);
      start += s;
      return t;
    });
  },
  grad: "composite",
});

/** The split size `chunk(chunks)` uses (PyTorch's rule, including the empty-dim case). */
export function chunkSplit(x: Tensor, chunks: number, dim: number): number | number[] {
  checkInt(chunks, "chunk(): chunks");
  if (x.ndim === 0) throw new ShapeError("chunk expects at least a 1-dimensional tensor");
  if (chunks <= 0) throw new ArgumentError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const size = x.shape[normalizeDim(dim, x.ndim)]!;
  const splitSize = Math.ceil(size / chunks);
  if (splitSize === 0 && size === 0) return new Array<number>(chunks).fill(0);
  return splitSize;
}

export interface UnbindAttrs {
  dim: number;
}

/** unbind: every index along `dim` as a view (a composite of select). */
export const unbind = defineOp<UnbindAttrs>({
  name: "unbind",
  kind: "composite",
  meta([x], { dim }) {
    if (x!.ndim === 0) throw new IndexError("Dimension specified as 0 but tensor has no dimensions");
    const d = normalizeDim(dim, x!.ndim);
    const shape = x!.shape.slice();
    shape.splice(d, 1);
    return Array.from({ length: x!.shape[d]! }, () => ({ shape: shape.slice(), dtype: x!.dtype }));
  },
  composite([x], { dim }) {
    const d = normalizeDim(dim, x!.ndim);
    return Array.from({ length: x!.shape[d]! }, (_, i) => x!.select(d, i));
  },
  grad: "composite",
});
