// Joining and rearranging ops: cat, stack, repeat, flip, roll. Also the strided-copy loops the
// indexing ops share (row offsets computed once per row; the inner loop has hoisted strides).
import { allocate, promoteTypes, type DType, type TypedArray } from "../core/dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../core/errors.js";
import { checkInt, contiguousStrides, formatShape, normalizeDim, normalizeDims, numelOf } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { callOp1, defineOp, type GradContext } from "./registry.js";
import { gradAs } from "./grad-utils.js";
import { rowLength, rowStarts, stridedCopy } from "../core/strided.js";

export { rowLength, rowStarts, stridedCopy };

// ------------------------------------------------------------------------------ kernel helpers

/** Copies a tensor's values into a contiguous array (in its own dtype). */
export function contiguousData(t: Tensor): TypedArray {
  const data = t._data();
  if (t.isContiguous()) return data.subarray(t._offset, t._offset + t.numel());
  const out = allocate(t.dtype, t.numel());
  stridedCopy(data, t._offset, t._strides, t.shape, out, 0, contiguousStrides(t.shape));
  return out;
}

/** A zero tensor of `shape` for gradient formulas: a one-element constant expanded (no data). */
export function zerosOf(shape: readonly number[], dtype: DType): Tensor {
  return Tensor.fromData(allocate(dtype, 1), [], dtype).expand(shape.slice());
}

/** Rejects index tensors of a dtype other than int32 (kiln's index dtype; PyTorch's int64). */
export function checkIndexDType(op: string, index: Tensor, what = "index"): void {
  if (index.dtype !== "int32") {
    throw new DTypeError(`${op}(): Expected dtype int32 for ${what}, but got ${torchName(index.dtype)}`);
  }
}

function torchName(d: DType): string {
  return { float32: "Float", float64: "Double", int32: "Int", bool: "Bool" }[d];
}

/** The number of inputs of a grad context (the context has no count; shapes end at it). */
export function inputCount(ctx: GradContext<object>): number {
  let n = 0;
  for (;;) {
    let s: readonly number[] | undefined;
    try {
      s = ctx.inputShape(n);
    } catch {
      s = undefined;
    }
    if (s === undefined) return n;
    n++;
  }
}

// ------------------------------------------------------------------------------ cat

export interface CatAttrs {
  dim: number;
}

/** PyTorch's legacy rule: 1-D empty tensors are skipped by cat whatever the other shapes. */
function isSkipped(t: Tensor): boolean {
  return t.ndim === 1 && t.shape[0] === 0;
}

function catGeometry(inputs: readonly Tensor[], dim: number): { d: number; shape: number[]; dtype: DType } {
  if (inputs.length === 0) throw new ArgumentError("cat(): expected a non-empty list of Tensors");
  let dtype = inputs[0]!.dtype;
  inputs.forEach((t, i) => {
    if (t.ndim === 0) throw new ShapeError(`zero-dimensional tensor (at position ${i}) cannot be concatenated`);
    dtype = promoteTypes(dtype, t.dtype);
  });
  const ref = inputs.find((t) => !isSkipped(t));
  if (ref === undefined) return { d: normalizeDim(dim, 1), shape: [0], dtype };
  const nd = ref.ndim;
  const d = normalizeDim(dim, nd);
  let size = 0;
  inputs.forEach((t, i) => {
    if (isSkipped(t)) return;
    if (t.ndim !== nd) throw new ShapeError(`Tensors must have same number of dimensions: got ${nd} and ${t.ndim}`);
    for (let k = 0; k < nd; k++) {
      if (k !== d && t.shape[k] !== ref.shape[k]) {
        throw new ShapeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${t.shape[k]} for tensor number ${i} in the list.`,
        );
      }
    }
    size += t.shape[d]!;
  });
  const shape = ref.shape.slice();
  shape[d] = size;
  return { d, shape, dtype };
}

/** cat: joins tensors along an existing dim, promoting their dtypes. */
export const cat = defineOp<CatAttrs>({
  name: "cat",
  kind: "shape",
  meta(inputs, { dim }) {
    const { shape, dtype } = catGeometry(inputs, dim);
    return [{ shape, dtype }];
  },
  kernel(inputs, { dim }, [out]) {
    const { d, shape } = catGeometry(inputs, dim);
    const outData = out!._storage!.data;
    const outStrides = contiguousStrides(shape);
    const step = outStrides[d] ?? 1;
    let start = 0;
    for (const t of inputs) {
      if (isSkipped(t)) continue;
      stridedCopy(t._data(), t._offset, t._strides, t.shape, outData, start * step, outStrides);
      start += t.shape[d]!;
    }
  },
  grad(ctx, [g]) {
    const grads: (Tensor | null)[] = [];
    const count = inputCount(ctx);
    const shapes = Array.from({ length: count }, (_, i) => ctx.inputShape(i));
    const ref = shapes.find((s) => !(s.length === 1 && s[0] === 0));
    const d = ref === undefined ? 0 : normalizeDim(ctx.attrs.dim, ref.length);
    let start = 0;
    for (let i = 0; i < count; i++) {
      const s = shapes[i]!;
      const skipped = s.length === 1 && s[0] === 0;
      if (!ctx.needsInputGrad(i)) {
        if (!skipped) start += s[d]!;
        grads.push(null);
        continue;
      }
      if (skipped) {
        grads.push(Tensor.fromData(allocate(ctx.inputDType(i), 0), [0], ctx.inputDType(i)));
        continue;
      }
      grads.push(gradAs(g!.narrow(d, start, s[d]!), ctx.inputDType(i)));
      start += s[d]!;
    }
    return grads;
  },
});

// ------------------------------------------------------------------------------ stack

function stackCheck(inputs: readonly Tensor[], dim: number): number {
  if (inputs.length === 0) throw new ArgumentError("stack expects a non-empty TensorList");
  const ref = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) {
    const t = inputs[i]!;
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => s !== ref.shape[k])) {
      throw new ShapeError(
        `stack expects each tensor to be equal size, but got ${formatShape(ref.shape)} at entry 0 and ${formatShape(t.shape)} at entry ${i}`,
      );
    }
  }
  return normalizeDim(dim, ref.ndim + 1);
}

/** stack: joins same-shaped tensors along a new dim (unsqueeze + cat). */
export const stack = defineOp<CatAttrs>({
  name: "stack",
  kind: "composite",
  meta(inputs, { dim }) {
    const d = stackCheck(inputs, dim);
    const shape = inputs[0]!.shape.slice();
    shape.splice(d, 0, inputs.length);
    let dtype = inputs[0]!.dtype;
    for (const t of inputs) dtype = promoteTypes(dtype, t.dtype);
    return [{ shape, dtype }];
  },
  composite(inputs, { dim }) {
    const d = stackCheck(inputs, dim);
    return [callOp1("cat", inputs.map((t) => t.unsqueeze(d)), { dim: d })];
  },
  grad: "composite",
});

// ------------------------------------------------------------------------------ repeat

export interface RepeatAttrs {
  repeats: number[];
}

function repeatCheck(x: Tensor, repeats: readonly number[]): void {
  if (!Array.isArray(repeats)) throw new ArgumentError("repeat(): repeats must be an array of integers");
  repeats.forEach((r) => checkInt(r, "repeat(): repeats"));
  if (repeats.length < x.ndim) {
    throw new ShapeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  }
  for (const r of repeats) {
    if (r < 0) throw new ArgumentError(`Trying to create tensor with negative dimension ${r}: [${repeats.join(", ")}]`);
  }
}

/** repeat: tiles the tensor; as in PyTorch, a view of the input expanded over the repeats, copied. */
export const repeat = defineOp<RepeatAttrs>({
  name: "repeat",
  kind: "composite",
  meta([x], { repeats }) {
    repeatCheck(x!, repeats);
    const lead = repeats.length - x!.ndim;
    return [{ shape: repeats.map((r, i) => r * (i < lead ? 1 : x!.shape[i - lead]!)), dtype: x!.dtype }];
  },
  composite([x], { repeats }) {
    const lead = repeats.length - x!.ndim;
    const padded = repeats.map((_, i) => (i < lead ? 1 : x!.shape[i - lead]!));
    const inter: number[] = [];
    const expanded: number[] = [];
    padded.forEach((s, i) => {
      inter.push(1, s);
      expanded.push(repeats[i]!, s);
    });
    const out = padded.map((s, i) => s * repeats[i]!);
    return [x!.reshape(inter).expand(expanded).contiguous().view(out)];
  },
  grad: "composite",
});

// ------------------------------------------------------------------------------ flip

export interface FlipAttrs {
  dims: number[];
}

/** flip: reverses the order of elements along the given dims (a copy, as in PyTorch). */
export const flip = defineOp<FlipAttrs>({
  name: "flip",
  kind: "index",
  meta([x], { dims }) {
    if (!Array.isArray(dims)) throw new ArgumentError("flip(): dims must be an array of integers");
    normalizeDims(dims, x!.ndim);
    return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
  },
  kernel([x], { dims }, [out]) {
    const ds = normalizeDims(dims, x!.ndim);
    const strides = x!._strides.slice();
    let offset = x!._offset;
    for (const d of ds) {
      if (x!.ndim === 0) continue;
      const n = x!.shape[d]!;
      if (n > 0) offset += (n - 1) * strides[d]!;
      strides[d] = -strides[d]!;
    }
    stridedCopy(x!._data(), offset, strides, x!.shape, out!._storage!.data, 0, contiguousStrides(x!.shape));
  },
  grad: (ctx, [g]) => [g!.flip(ctx.attrs.dims)],
});

// ------------------------------------------------------------------------------ roll

export interface RollAttrs {
  shifts: number[];
  /** null: roll the flattened tensor and restore the shape. */
  dims: number[] | null;
}

function rollCheck(x: Tensor, { shifts, dims }: RollAttrs): number[] | null {
  if (!Array.isArray(shifts) || shifts.length === 0) throw new ArgumentError("`shifts` required");
  shifts.forEach((s) => checkInt(s, "roll(): shifts"));
  if (dims === null || dims.length === 0) {
    if (shifts.length !== 1) {
      throw new ArgumentError(`shifts and dimensions must align. shifts: ${shifts.length}, dims:${dims === null ? 0 : dims.length}`);
    }
    return null;
  }
  if (shifts.length !== dims.length) {
    throw new ArgumentError(`shifts and dimensions must align. shifts: ${shifts.length}, dims:${dims.length}`);
  }
  return dims.map((d) => normalizeDim(d, x.ndim));
}

/** roll: shifts elements circularly along dims (or over the flattened tensor). */
export const roll = defineOp<RollAttrs>({
  name: "roll",
  kind: "index",
  meta([x], attrs) {
    rollCheck(x!, attrs);
    return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
  },
  kernel([x], attrs, [out]) {
    const dims = rollCheck(x!, attrs);
    const outData = out!._storage!.data;
    const n = x!.numel();
    if (n === 0) return;
    let shape: number[];
    let strides: number[];
    let offset: number;
    let data: TypedArray;
    const shiftOf = new Array<number>(0);
    if (dims === null) {
      data = contiguousData(x!);
      shape = [n];
      strides = [1];
      offset = 0;
      shiftOf.push(attrs.shifts[0]!);
    } else {
      data = x!._data();
      shape = x!.shape.slice();
      strides = x!._strides.slice();
      offset = x!._offset;
      for (let d = 0; d < shape.length; d++) shiftOf.push(0);
      dims.forEach((d, i) => (shiftOf[d] = shiftOf[d]! + attrs.shifts[i]!));
    }
    const nd = shape.length;
    if (nd === 0) {
      outData[0] = data[offset]!;
      return;
    }
    // Output index o along dim d reads input index (o - shift) mod size.
    const startIdx = shape.map((s, d) => (((-shiftOf[d]! % s) + s) % s));
    const last = nd - 1;
    const inner = shape[last]!;
    const st = strides[last]!;
    const s0 = startIdx[last]!;
    // Row base pointers: odometer over the outer dims with wrapped source indices.
    const src = startIdx.slice();
    let base = offset;
    for (let d = 0; d < last; d++) base += src[d]! * strides[d]!;
    let w = 0;
    const rows = n / inner;
    for (let r = 0; r < rows; r++) {
      let i = s0;
      for (let j = 0; j < inner; j++) {
        outData[w++] = data[base + i * st]!;
        if (++i === inner) i = 0;
      }
      for (let d = last - 1; d >= 0; d--) {
        const size = shape[d]!;
        let s = src[d]! + 1;
        if (s === size) s = 0;
        base += (s - src[d]!) * strides[d]!;
        src[d] = s;
        if (s !== startIdx[d]) break;
      }
    }
  },
  grad: (ctx, [g]) => [g!.roll(ctx.attrs.shifts.map((s) => -s), ctx.attrs.dims ?? undefined)],
});
