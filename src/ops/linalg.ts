// Linear algebra: matmul (one kernel op covering PyTorch's 1-D/2-D/batched cases), the
// composites built on it (mm, bmm, mv, dot, outer, addmm, baddbmm, einsum) and the diagonal view.
import { torchTypeName, type DType } from "../core/dtype.js";
import { ArgumentError, DTypeError, IndexError, ShapeError } from "../core/errors.js";
import { broadcastShapes, checkInt, contiguousStrides, normalizeDim, numelOf, shapesEqual } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { sumToShape } from "./grad-utils.js";
import { gemm, gemmBatched } from "./matmul-kernel.js";
import { defineOp, type OutputMeta } from "./registry.js";

type NoAttrs = Record<string, never>;

const sizeStr = (shape: readonly number[]) => shape.join("x");
const dtypeLower = (d: DType) => ({ float32: "float", float64: "double", int32: "int", bool: "bool" })[d];

/** PyTorch's dtype check of its BLAS ops. */
function checkMatmulDTypes(a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`expected m1 and m2 to have the same dtype, but got: ${dtypeLower(a.dtype)} != ${dtypeLower(b.dtype)}`);
  }
  if (a.dtype === "bool") throw new DTypeError(`"addmm_impl_cpu_" not implemented for 'Bool'`);
}

/** Output shape of torch.matmul, with the messages of the op PyTorch dispatches each case to. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  const da = a.length;
  const db = b.length;
  if (da === 0 || db === 0) {
    throw new ShapeError(`both arguments to matmul need to be at least 1D, but they are ${da}D and ${db}D`);
  }
  if (da === 1 && db === 1) {
    if (a[0] !== b[0]) {
      throw new ShapeError(
        `inconsistent tensor size, expected tensor [${a[0]}] and src [${b[0]}] to have the same number of elements, but got ${a[0]} and ${b[0]} elements respectively`,
      );
    }
    return [];
  }
  if (da === 2 && db === 1) {
    if (a[1] !== b[0]) throw new ShapeError(`size mismatch, got input (${a[0]}), mat (${sizeStr(a)}), vec (${b[0]})`);
    return [a[0]!];
  }
  if (da === 1 && db === 2) {
    if (a[0] !== b[0]) throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (1x${a[0]} and ${sizeStr(b)})`);
    return [b[1]!];
  }
  if (da === 2 && db === 2) {
    if (a[1] !== b[0]) throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${sizeStr(a)} and ${sizeStr(b)})`);
    return [a[0]!, b[1]!];
  }
  if (da >= 3 && db <= 2) {
    // PyTorch folds the batch dims of the first operand into its rows.
    const rows = numelOf(a.slice(0, -1));
    const m = a[da - 1]!;
    if (db === 1) {
      if (m !== b[0]) throw new ShapeError(`size mismatch, got input (${rows}), mat (${rows}x${m}), vec (${b[0]})`);
      return a.slice(0, -1);
    }
    if (m !== b[0]) throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${rows}x${m} and ${sizeStr(b)})`);
    return [...a.slice(0, -1), b[1]!];
  }
  const n = da > 1 ? a[da - 2]! : 1;
  const m1 = a[da - 1]!;
  const m2 = db > 1 ? b[db - 2]! : b[0]!;
  const p = db > 1 ? b[db - 1]! : 1;
  const batch = broadcastShapes(a.slice(0, Math.max(da - 2, 0)), b.slice(0, Math.max(db - 2, 0)));
  if (m1 !== m2) {
    throw new ShapeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${numelOf(batch)}, ${m1}] but got: [${numelOf(batch)}, ${m2}].`,
    );
  }
  const out = batch.slice();
  if (da > 1) out.push(n);
  if (db > 1) out.push(p);
  return out;
}

/** A matmul operand seen as a batch of matrices: batch shape, rows, cols and their strides. */
interface MatView {
  batch: number[];
  batchStrides: number[];
  rows: number;
  cols: number;
  rs: number;
  cs: number;
}

function asMatrices(t: Tensor, isLeft: boolean): MatView {
  const s = t.shape;
  const st = t._strides;
  const nd = s.length;
  if (nd === 1) {
    // A vector is a 1×K row on the left and a K×1 column on the right.
    return isLeft
      ? { batch: [], batchStrides: [], rows: 1, cols: s[0]!, rs: 0, cs: st[0]! }
      : { batch: [], batchStrides: [], rows: s[0]!, cols: 1, rs: st[0]!, cs: 0 };
  }
  return {
    batch: s.slice(0, nd - 2),
    batchStrides: st.slice(0, nd - 2),
    rows: s[nd - 2]!,
    cols: s[nd - 1]!,
    rs: st[nd - 2]!,
    cs: st[nd - 1]!,
  };
}

/** Batch strides of `v` aligned to the broadcast batch shape (0 on broadcast dims). */
function alignBatch(v: MatView, batch: readonly number[]): number[] {
  const off = batch.length - v.batch.length;
  return batch.map((_, i) => (i < off || v.batch[i - off] === 1 ? 0 : v.batchStrides[i - off]!));
}

/** Runs the batched product of `a` and `b` into the contiguous `out`. */
export function matmulInto(a: Tensor, b: Tensor, out: Tensor): void {
  const A = asMatrices(a, true);
  const B = asMatrices(b, false);
  const batch = broadcastShapes(A.batch, B.batch);
  const nb = numelOf(batch);
  const M = A.rows;
  const K = A.cols;
  const N = B.cols;
  const ad = a._data();
  const bd = b._data();
  const cd = out._storage!.data;
  const co = out._offset;
  const aStr = alignBatch(A, batch);
  const bStr = alignBatch(B, batch);
  if (nb === 0) return;
  // Fold A's batch dims into its rows when B is shared by all batches and the rows line up
  // (a linear layer on [batch, seq, features]): one big product instead of many small ones.
  if (batch.length > 0 && bStr.every((s) => s === 0)) {
    const sizes = [...batch, M];
    const strides = [...aStr, A.rs];
    let rowStride = A.rs;
    let expected = -1;
    let ok = true;
    for (let d = sizes.length - 1; d >= 0 && ok; d--) {
      if (sizes[d] === 1) continue;
      if (expected < 0) rowStride = strides[d]!;
      else if (strides[d] !== expected) ok = false;
      expected = strides[d]! * sizes[d]!;
    }
    if (ok) {
      gemm(nb * M, N, K, ad, a._offset, rowStride, A.cs, bd, b._offset, B.rs, B.cs, cd, co, N, 1, false, b);
      return;
    }
  }
  if (nb === 1) {
    gemm(M, N, K, ad, a._offset, A.rs, A.cs, bd, b._offset, B.rs, B.cs, cd, co, N, 1, false, b);
    return;
  }
  // The offsets of every product, then one batched call (a single native call when a provider
  // takes batches: small per-batch products would otherwise each pay the FFI cost).
  const nd = batch.length;
  const idx = new Array<number>(nd).fill(0);
  const aOffs = new Float64Array(nb);
  const bOffs = new Float64Array(nb);
  const cOffs = new Float64Array(nb);
  let pa = a._offset;
  let pb = b._offset;
  const blockSize = M * N;
  for (let i = 0; i < nb; i++) {
    aOffs[i] = pa;
    bOffs[i] = pb;
    cOffs[i] = co + i * blockSize;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      pa += aStr[d]!;
      pb += bStr[d]!;
      if (idx[d]! < batch[d]!) break;
      pa -= aStr[d]! * batch[d]!;
      pb -= bStr[d]! * batch[d]!;
      idx[d] = 0;
    }
  }
  gemmBatched(nb, M, N, K, ad, aOffs, A.rs, A.cs, bd, bOffs, B.rs, B.cs, cd, cOffs, N, 1, false, b);
}

export const matmul = defineOp<NoAttrs>({
  name: "matmul",
  kind: "matmul",
  overwritesOutputs: true,
  productEpilogue: true,
  meta([a, b]) {
    const shape = matmulShape(a!.shape, b!.shape);
    checkMatmulDTypes(a!, b!);
    return [{ shape, dtype: a!.dtype }];
  },
  kernel([a, b], _attrs, [out]) {
    matmulInto(a!, b!, out!);
  },
  grad(ctx, [g]) {
    const sa = ctx.inputShape(0);
    const sb = ctx.inputShape(1);
    const a = ctx.input(0);
    const b = ctx.input(1);
    const a1 = sa.length === 1;
    const b1 = sb.length === 1;
    const a2 = a1 ? a.reshape([1, sa[0]!]) : a;
    const b2 = b1 ? b.reshape([sb[0]!, 1]) : b;
    const batch = broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
    // (A 0-d gradient of a dot product is unsqueezed: reshape of 0-d tensors is not relied on.)
    const gFull = g!.ndim === 0 ? g!.unsqueeze(0).unsqueeze(0) : g!.reshape([...batch, a2.shape[a2.ndim - 2]!, b2.shape[b2.ndim - 1]!]);
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (ctx.needsInputGrad(0)) {
      ga = sumToShape(gFull.matmul(b2.transpose(-1, -2)), a2.shape).reshape(sa.slice());
    }
    if (ctx.needsInputGrad(1)) {
      gb = (b2.ndim === 2 ? sharedMatrixGrad(a2, gFull, b2) : sumToShape(a2.transpose(-1, -2).matmul(gFull), b2.shape)).reshape(sb.slice());
    }
    return [ga, gb];
  },
});

/**
 * The gradient of a 2-d B shared by every batch of A (a linear layer): one product over all rows
 * of A, not a product per batch summed afterwards. When B is a transposed view of a contiguous
 * matrix (x·Wᵀ), the product is computed as (gᵀ·A)ᵀ, so the gradient is a transposed view of a
 * contiguous result (W's layout) and copying it into W.grad is a straight copy, not a transpose.
 */
function sharedMatrixGrad(a2: Tensor, gFull: Tensor, b2: Tensor): Tensor {
  const R = numelOf(a2.shape.slice(0, -1));
  const rows = a2.ndim === 2 ? a2 : a2.reshape([R, a2.shape[a2.ndim - 1]!]);
  const g2 = gFull.ndim === 2 ? gFull : gFull.reshape([R, gFull.shape[gFull.ndim - 1]!]);
  const transposed = b2._strides[0] === 1 && b2._strides[1] === b2.shape[0] && b2.shape[0]! > 1 && b2.shape[1]! > 1;
  return transposed ? g2.transpose(0, 1).matmul(rows).transpose(0, 1) : rows.transpose(0, 1).matmul(g2);
}

function requireDim(t: Tensor, nd: number, message: string): void {
  if (t.ndim !== nd) throw new ShapeError(message);
}

export const mm = defineOp<NoAttrs>({
  name: "mm",
  kind: "composite",
  meta([a, b]) {
    requireDim(a!, 2, `self must be a matrix`);
    requireDim(b!, 2, `mat2 must be a matrix`);
    return matmul.meta([a!, b!], {});
  },
  composite: ([a, b]) => [a!.matmul(b!)],
  grad: "composite",
});

export const bmm = defineOp<NoAttrs>({
  name: "bmm",
  kind: "composite",
  meta([a, b]) {
    requireDim(a!, 3, `batch1 must be a 3D tensor`);
    requireDim(b!, 3, `batch2 must be a 3D tensor`);
    const [B, n, m] = a!.shape as [number, number, number];
    if (b!.shape[0] !== B || b!.shape[1] !== m) {
      throw new ShapeError(
        `Expected size for first two dimensions of batch2 tensor to be: [${B}, ${m}] but got: [${b!.shape[0]}, ${b!.shape[1]}].`,
      );
    }
    checkMatmulDTypes(a!, b!);
    return [{ shape: [B, n, b!.shape[2]!], dtype: a!.dtype }];
  },
  composite: ([a, b]) => [a!.matmul(b!)],
  grad: "composite",
});

export const mv = defineOp<NoAttrs>({
  name: "mv",
  kind: "composite",
  meta([a, v]) {
    if (a!.ndim !== 2 || v!.ndim !== 1) {
      throw new ShapeError(`vector + matrix @ vector expected, got 1, ${a!.ndim}, ${v!.ndim}`);
    }
    return matmul.meta([a!, v!], {});
  },
  composite: ([a, v]) => [a!.matmul(v!)],
  grad: "composite",
});

export const dot = defineOp<NoAttrs>({
  name: "dot",
  kind: "composite",
  meta([a, b]) {
    if (a!.ndim !== 1 || b!.ndim !== 1) {
      throw new ShapeError(`1D tensors expected, but got ${a!.ndim}D and ${b!.ndim}D tensors`);
    }
    if (a!.dtype !== b!.dtype) {
      throw new DTypeError(
        `dot : expected both vectors to have same dtype, but found ${torchTypeName(a!.dtype)} and ${torchTypeName(b!.dtype)}`,
      );
    }
    return matmul.meta([a!, b!], {});
  },
  composite: ([a, b]) => [a!.matmul(b!)],
  grad: "composite",
});

export const outer = defineOp<NoAttrs>({
  name: "outer",
  kind: "composite",
  meta([a, b]) {
    if (a!.ndim !== 1 || b!.ndim !== 1) {
      const [arg, t] = a!.ndim !== 1 ? ["self", a!] : ["vec2", b!];
      throw new ShapeError(`outer: Expected 1-D argument ${arg}, but got ${t.ndim}-D`);
    }
    return [{ shape: [a!.shape[0]!, b!.shape[0]!], dtype: a!.dtype === b!.dtype ? a!.dtype : promoteForOuter(a!.dtype, b!.dtype) }];
  },
  composite: ([a, b]) => [a!.unsqueeze(1).mul(b!.unsqueeze(0))],
  grad: "composite",
});

function promoteForOuter(a: DType, b: DType): DType {
  const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
  return rank[a] >= rank[b] ? a : b;
}

export interface AddmmAttrs {
  beta: number;
  alpha: number;
}

function checkScale(attrs: AddmmAttrs): void {
  for (const k of ["beta", "alpha"] as const) {
    if (typeof attrs[k] !== "number" || Number.isNaN(attrs[k])) {
      throw new ArgumentError(`${k} must be a number, but got ${String(attrs[k])}`);
    }
  }
}

/** input·beta + alpha·product, with PyTorch's rule that beta = 0 ignores input (even NaN). */
function scaleAndAdd(input: Tensor, prod: Tensor, { beta, alpha }: AddmmAttrs): Tensor {
  const p = alpha === 1 ? prod : prod.mul(alpha);
  if (beta === 0) return p;
  return (beta === 1 ? input : input.mul(beta)).add(p);
}

function checkBroadcastTo(input: Tensor, shape: number[]): void {
  const ok =
    input.ndim <= shape.length &&
    input.shape.every((s, i) => s === 1 || s === shape[shape.length - input.ndim + i]);
  if (!ok) {
    if (input.ndim > shape.length) {
      throw new ShapeError(
        `expand(torch.FloatTensor{[${input.shape.join(", ")}]}, size=[${shape.join(", ")}]): the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${input.ndim})`,
      );
    }
    const i = input.shape.findIndex((s, k) => s !== 1 && s !== shape[shape.length - input.ndim + k]);
    const dim = shape.length - input.ndim + i;
    throw new ShapeError(
      `The expanded size of the tensor (${shape[dim]}) must match the existing size (${input.shape[i]}) at non-singleton dimension ${dim}.  Target sizes: [${shape.join(", ")}].  Tensor sizes: [${input.shape.join(", ")}]`,
    );
  }
}

export const addmm = defineOp<AddmmAttrs>({
  name: "addmm",
  kind: "composite",
  meta([input, m1, m2], attrs) {
    checkScale(attrs);
    if (m1!.ndim !== 2) throw new ShapeError(`mat1 must be a matrix, got ${m1!.ndim}-D tensor`);
    if (m2!.ndim !== 2) throw new ShapeError(`mat2 must be a matrix, got ${m2!.ndim}-D tensor`);
    const [{ shape, dtype }] = matmul.meta([m1!, m2!], {}) as [OutputMeta];
    checkBroadcastTo(input!, shape);
    if (input!.dtype !== dtype) {
      throw new DTypeError(`self and mat2 must have the same dtype, but got ${torchTypeName(input!.dtype)} and ${torchTypeName(dtype)}`);
    }
    return [{ shape, dtype }];
  },
  composite: ([input, m1, m2], attrs) => [scaleAndAdd(input!, m1!.matmul(m2!), attrs)],
  grad: "composite",
});

export const baddbmm = defineOp<AddmmAttrs>({
  name: "baddbmm",
  kind: "composite",
  meta([input, b1, b2], attrs) {
    checkScale(attrs);
    const [{ shape, dtype }] = bmm.meta([b1!, b2!], {}) as [OutputMeta];
    checkBroadcastTo(input!, shape);
    if (input!.dtype !== dtype) {
      throw new DTypeError(`self and batch2 must have the same dtype, but got ${torchTypeName(input!.dtype)} and ${torchTypeName(dtype)}`);
    }
    return [{ shape, dtype }];
  },
  composite: ([input, b1, b2], attrs) => [scaleAndAdd(input!, b1!.matmul(b2!), attrs)],
  grad: "composite",
});

// ---------------------------------------------------------------------------------------------
// diagonal

export interface DiagonalAttrs {
  offset: number;
  dim1: number;
  dim2: number;
}

/** Shape, strides and storage offset of the diagonal view (torch.diagonal). */
function diagonalGeometry(shape: readonly number[], strides: readonly number[], offset0: number, attrs: DiagonalAttrs) {
  const nd = shape.length;
  const offset = checkInt(attrs.offset, "offset");
  const d1 = normalizeDim(attrs.dim1, nd);
  const d2 = normalizeDim(attrs.dim2, nd);
  if (d1 === d2) throw new ArgumentError(`diagonal dimensions cannot be identical ${attrs.dim1}, ${attrs.dim2}`);
  const s1 = shape[d1]!;
  const s2 = shape[d2]!;
  const len = offset >= 0 ? Math.max(0, Math.min(s1, s2 - offset)) : Math.max(0, Math.min(s1 + offset, s2));
  let storageOffset = offset0;
  if (len > 0) storageOffset += offset >= 0 ? offset * strides[d2]! : -offset * strides[d1]!;
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let i = 0; i < nd; i++) {
    if (i === d1 || i === d2) continue;
    outShape.push(shape[i]!);
    outStrides.push(strides[i]!);
  }
  outShape.push(len);
  outStrides.push(strides[d1]! + strides[d2]!);
  return { shape: outShape, strides: outStrides, offset: storageOffset };
}

export const diagonal = defineOp<DiagonalAttrs>({
  name: "diagonal",
  kind: "view",
  meta([x], attrs) {
    if (x!.ndim < 2) throw new IndexError(`diagonal(): expected a tensor with at least 2 dimensions, but got ${x!.ndim}`);
    const g = diagonalGeometry(x!.shape, x!._strides, x!._offset, attrs);
    return [{ shape: g.shape, dtype: x!.dtype, view: { strides: g.strides, offset: g.offset } }];
  },
  grad: (ctx, [g]) => [g!._diagonalBackward(ctx.inputShape(0).slice(), ctx.attrs)],
});

export interface DiagonalBackwardAttrs extends DiagonalAttrs {
  inputSize: number[];
}

/** Zeros of `inputSize` with `g` written onto the diagonal: the adjoint of diagonal. */
export const diagonalBackward = defineOp<DiagonalBackwardAttrs>({
  name: "diagonalBackward",
  kind: "other",
  meta([g], attrs) {
    return [{ shape: attrs.inputSize.slice(), dtype: g!.dtype }];
  },
  kernel([g], attrs, [out]) {
    const geo = diagonalGeometry(attrs.inputSize, contiguousStrides(attrs.inputSize), 0, attrs);
    const dst = out!._storage!.data;
    const src = g!._data();
    const shape = geo.shape;
    const n = numelOf(shape);
    const nd = shape.length;
    const idx = new Array<number>(nd).fill(0);
    let pd = geo.offset;
    let ps = g!._offset;
    const gs = g!._strides;
    for (let k = 0; k < n; k++) {
      dst[pd] = src[ps]!;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]!++;
        pd += geo.strides[d]!;
        ps += gs[d]!;
        if (idx[d]! < shape[d]!) break;
        pd -= geo.strides[d]! * shape[d]!;
        ps -= gs[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  },
  grad: (ctx, [g]) => [g!.diagonal(ctx.attrs.offset, ctx.attrs.dim1, ctx.attrs.dim2)],
});

// ---------------------------------------------------------------------------------------------
// einsum

export interface EinsumAttrs {
  equation: string;
}

interface EinsumPlan {
  /** Per operand, one label per dim (ellipsis dims get labels after the letters, 52 + i). */
  inputs: number[][];
  output: number[];
  sizes: Map<number, number>;
}

const labelOf = (ch: string): number => {
  const c = ch.charCodeAt(0);
  if (c >= 65 && c <= 90) return c - 65; // A-Z first, as torch sorts them
  if (c >= 97 && c <= 122) return c - 97 + 26;
  return -1;
};
const labelName = (l: number): string => (l < 26 ? String.fromCharCode(65 + l) : l < 52 ? String.fromCharCode(97 + l - 26) : "...");

/** Parses an einsum equation against operand shapes (PyTorch's rules and messages). */
export function planEinsum(equation: string, shapes: readonly (readonly number[])[]): EinsumPlan {
  if (typeof equation !== "string") throw new ArgumentError(`einsum(): equation must be a string`);
  const eq = equation.replace(/\s/g, "");
  const arrow = eq.indexOf("->");
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const rhs = arrow >= 0 ? eq.slice(arrow + 2) : null;
  const terms = lhs.split(",");
  if (shapes.length === 0) throw new ArgumentError("einsum(): must provide at least one operand");
  if (terms.length > shapes.length) throw new ArgumentError("einsum(): fewer operands were provided than specified in the equation");
  if (terms.length < shapes.length) throw new ArgumentError("einsum(): more operands were provided than specified in the equation");

  type Term = { labels: (number | "...")[] };
  let pos = 0;
  const parseTerm = (s: string, base: number): Term => {
    const labels: (number | "...")[] = [];
    for (let i = 0; i < s.length; i++) {
      if (s.startsWith("...", i)) {
        if (labels.includes("...")) {
          throw new ArgumentError(`einsum(): found '.' for operand ${base} for which an ellipsis was already found`);
        }
        labels.push("...");
        i += 2;
        continue;
      }
      const l = labelOf(s[i]!);
      if (l < 0) {
        throw new ArgumentError(`einsum(): invalid subscript given at index ${pos + i} in the equation string, subscripts must be in [a-zA-Z]`);
      }
      labels.push(l);
    }
    pos += s.length + 1;
    return { labels };
  };
  const parsed = terms.map((t, i) => parseTerm(t, i));

  // Ellipsis dims: right-aligned and broadcast across operands.
  let ellDims = 0;
  const inputs: number[][] = [];
  parsed.forEach((t, i) => {
    const nd = shapes[i]!.length;
    const letters = t.labels.filter((l) => l !== "...").length;
    const hasEll = t.labels.includes("...");
    if (hasEll ? letters > nd : letters !== nd) {
      throw new ShapeError(
        hasEll
          ? `einsum(): the number of subscripts in the equation (${letters}) is more than the number of dimensions (${nd}) for operand ${i}`
          : `einsum(): the number of subscripts in the equation (${letters}) does not match the number of dimensions (${nd}) for operand ${i} and no ellipsis was given`,
      );
    }
    ellDims = Math.max(ellDims, hasEll ? nd - letters : 0);
  });
  parsed.forEach((t, i) => {
    const nd = shapes[i]!.length;
    const letters = t.labels.filter((l) => l !== "...").length;
    const e = nd - letters;
    const out: number[] = [];
    for (const l of t.labels) {
      if (l === "...") for (let k = 0; k < e; k++) out.push(52 + ellDims - e + k);
      else out.push(l);
    }
    inputs.push(out);
  });

  const sizes = new Map<number, number>();
  inputs.forEach((labels, i) => {
    labels.forEach((l, d) => {
      const s = shapes[i]![d]!;
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) sizes.set(l, s);
      else if (s !== prev && s !== 1) {
        throw new ShapeError(
          l >= 52
            ? `einsum(): operands do not broadcast with remapped shapes (original->remapped)`
            : `einsum(): subscript ${labelName(l)} has size ${s} for operand ${i} which does not broadcast with previously seen size ${prev}`,
        );
      }
    });
  });

  let output: number[];
  const ell = Array.from({ length: ellDims }, (_, k) => 52 + k);
  if (rhs === null) {
    const counts = new Map<number, number>();
    for (const labels of inputs) for (const l of labels) if (l < 52) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [...ell, ...[...counts.keys()].filter((l) => counts.get(l) === 1).sort((a, b) => a - b)];
  } else {
    output = [];
    const seen = new Set<number>();
    for (let i = 0; i < rhs.length; i++) {
      if (rhs.startsWith("...", i)) {
        output.push(...ell);
        i += 2;
        continue;
      }
      const l = labelOf(rhs[i]!);
      if (l < 0) {
        throw new ArgumentError(
          `einsum(): invalid subscript given at index ${lhs.length + 2 + i} in the equation string, subscripts must be in [a-zA-Z]`,
        );
      }
      if (seen.has(l)) throw new ArgumentError(`einsum(): output subscript ${rhs[i]} appears more than once in the output`);
      if (!sizes.has(l)) throw new ArgumentError(`einsum(): output subscript ${rhs[i]} does not appear in the equation for any input operand`);
      seen.add(l);
      output.push(l);
    }
  }
  return { inputs, output, sizes };
}

/** An operand during contraction: a tensor and one label per dim (all distinct). */
interface Labeled {
  t: Tensor;
  labels: number[];
}

/** Takes diagonals for labels repeated within one operand, so every label appears once. */
function dedupeLabels(t: Tensor, labels: number[]): Labeled {
  let cur = t;
  let ls = labels.slice();
  for (;;) {
    let i = -1;
    let j = -1;
    outer: for (let a = 0; a < ls.length; a++) {
      for (let b = a + 1; b < ls.length; b++) {
        if (ls[a] === ls[b]) {
          i = a;
          j = b;
          break outer;
        }
      }
    }
    if (i < 0) return { t: cur, labels: ls };
    cur = cur.diagonal(0, i, j);
    const l = ls[i]!;
    ls = ls.filter((_, k) => k !== i && k !== j);
    ls.push(l);
  }
}

/** Sums dims whose labels are not in `keep`. */
function sumOut(x: Labeled, keep: Set<number>): Labeled {
  const dims: number[] = [];
  const labels: number[] = [];
  x.labels.forEach((l, d) => (keep.has(l) ? labels.push(l) : dims.push(d)));
  if (dims.length === 0) return x;
  return { t: x.t.sum(dims), labels };
}

/** Expands size-1 dims to the label's full size (broadcasting between operands). */
function broadcastLabels(x: Labeled, sizes: Map<number, number>): Labeled {
  const target = x.labels.map((l) => sizes.get(l)!);
  if (shapesEqual(target, x.t.shape)) return x;
  return { t: x.t.expand(target), labels: x.labels };
}

/** Contracts two operands with one batched matmul: [batch, aOnly, K] × [batch, K, bOnly]. */
function contractPair(a: Labeled, b: Labeled, keep: Set<number>, sizes: Map<number, number>): Labeled {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const contracted = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const size = (ls: number[]) => ls.reduce((n, l) => n * sizes.get(l)!, 1);
  const perm = (x: Labeled, order: number[]) => {
    const dims = order.map((l) => x.labels.indexOf(l));
    return dims.every((d, i) => d === i) ? x.t : x.t.permute(dims);
  };
  const Bn = size(batch);
  const M = size(aOnly);
  const K = size(contracted);
  const N = size(bOnly);
  const at = perm(a, [...batch, ...aOnly, ...contracted]).reshape(batch.length ? [Bn, M, K] : [M, K]);
  const bt = perm(b, [...batch, ...contracted, ...bOnly]).reshape(batch.length ? [Bn, K, N] : [K, N]);
  const prod = at.matmul(bt);
  const labels = [...batch, ...aOnly, ...bOnly];
  return { t: prod.reshape(labels.map((l) => sizes.get(l)!)), labels };
}

export const einsum = defineOp<EinsumAttrs>({
  name: "einsum",
  kind: "composite",
  meta(inputs, { equation }) {
    const plan = planEinsum(equation, inputs.map((t) => t.shape));
    const dtypes = new Set(inputs.map((t) => t.dtype));
    if (dtypes.size > 1) {
      throw new DTypeError(`expected scalar type ${torchTypeName(inputs[0]!.dtype)} but found ${torchTypeName([...dtypes][1]!)}`);
    }
    return [{ shape: plan.output.map((l) => plan.sizes.get(l)!), dtype: inputs[0]!.dtype }];
  },
  composite(inputs, { equation }) {
    const plan = planEinsum(equation, inputs.map((t) => t.shape));
    const sizes = plan.sizes;
    const outSet = new Set(plan.output);
    let ops: Labeled[] = inputs.map((t, i) => dedupeLabels(t, plan.inputs[i]!));
    // Labels still needed by operand i: the output's and those of the other operands.
    const neededBy = (i: number, list: Labeled[]) => {
      const keep = new Set(outSet);
      list.forEach((o, k) => k !== i && o.labels.forEach((l) => keep.add(l)));
      return keep;
    };
    ops = ops.map((o, i) => broadcastLabels(sumOut(o, neededBy(i, ops)), sizes));
    while (ops.length > 1) {
      const [a, b, ...rest] = ops as [Labeled, Labeled, ...Labeled[]];
      const keep = new Set(outSet);
      for (const o of rest) o.labels.forEach((l) => keep.add(l));
      ops = [contractPair(a, b, keep, sizes), ...rest];
    }
    let r = sumOut(ops[0]!, outSet);
    const dims = plan.output.map((l) => r.labels.indexOf(l));
    if (!dims.every((d, i) => d === i)) r = { t: r.t.permute(dims), labels: plan.output };
    // An operand passing through unchanged comes back as a view, not as the input object itself.
    return [inputs.includes(r.t) ? r.t.view(r.t.shape.slice()) : r.t];
  },
  grad: "composite",
});
