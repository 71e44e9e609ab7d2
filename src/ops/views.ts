// View ops: outputs share the input's storage. Their meta functions compute the view's strides and
// offset, so eager views and lazy (traced) views report the same `stride()`.
import { ArgumentError, ShapeError } from "../core/errors.js";
import { checkShape, normalizeDim, viewStrides } from "../core/shape.js";
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
    const strides = viewStrides(x!.shape, x!._strides, size);
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
    const strides = viewStrides(x!.shape, x!._strides, size);
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
