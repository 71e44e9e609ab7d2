// Indexing ops: gather / scatter / scatterAdd, indexSelect / indexAdd, takeAlongDim, embedding,
// oneHot, pad (and its backward), nonzero, maskedSelect (and its backward).
// Index tensors are int32. Kernels check every index before using it and throw IndexError with
// PyTorch's wording; they never read outside a tensor.
import { allocate, castScalar, torchTypeName, type DType, type TypedArray } from "../core/dtype.js";
import { ArgumentError, DTypeError, IndexError, KilnRuntimeError, ShapeError } from "../core/errors.js";
import { broadcastShapes, checkInt, contiguousStrides, formatShape, normalizeDim, numelOf, shapesEqual } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { callOp1, defineOp } from "./registry.js";
import { broadcastStrides } from "./pointwise-kernel.js";
import { gradAs, sumToShape } from "./grad-utils.js";
import { checkIndexDType, contiguousData, rowLength, rowStarts, stridedCopy, zerosOf } from "./join.js";

/** ensure_nonempty_dim / ensure_nonempty_size: a 0-d tensor counts as one element of 1 dim. */
const nonemptyDim = (t: Tensor): number => Math.max(t.ndim, 1);
const nonemptySize = (t: Tensor, i: number): number => (t.ndim === 0 ? 1 : t.shape[i]!);

function outOfBounds(v: number, dim: number, size: number): IndexError {
  return new IndexError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

/** Strides of `t` over the layout of `like` (same number of dims, or `t` 0-d), with `zeroDim` zeroed. */
function stridesOver(t: Tensor, ndim: number, zeroDim: number): number[] {
  const s = new Array<number>(ndim).fill(0);
  if (t.ndim === 0) return s;
  for (let i = 0; i < ndim; i++) s[i] = i === zeroDim ? 0 : t._strides[i]!;
  return s;
}

// ------------------------------------------------------------------------------ gather

export interface DimAttrs {
  dim: number;
}

function gatherCheck(op: string, x: Tensor, index: Tensor, dim: number): number {
  const d = normalizeDim(dim, x.ndim);
  if (index.numel() !== 0) checkIndexDType(op, index);
  if (nonemptyDim(x) !== nonemptyDim(index)) {
    throw new ShapeError("Index tensor must have the same number of dimensions as input tensor");
  }
  for (let i = 0; i < nonemptyDim(x); i++) {
    if (i !== d && nonemptySize(index, i) > nonemptySize(x, i)) {
      throw new ShapeError(
        `Size does not match at dimension ${i} expected index ${formatShape(index.shape)} to be smaller than self ${formatShape(x.shape)} apart from dimension ${d}`,
      );
    }
  }
  return d;
}

/** gather: out[i][j][k] = input[index[i][j][k]][j][k] (for dim 0). */
export const gather = defineOp<DimAttrs>({
  name: "gather",
  kind: "index",
  meta([x, index], { dim }) {
    gatherCheck("gather", x!, index!, dim);
    return [{ shape: index!.shape.slice(), dtype: x!.dtype }];
  },
  kernel([x, index], { dim }, [out]) {
    const d = gatherCheck("gather", x!, index!, dim);
    const shape = index!.shape;
    if (numelOf(shape) === 0) return;
    const nd = shape.length;
    const xd = x!._data();
    const id = index!._data();
    const od = out!._storage!.data;
    const size = nonemptySize(x!, d);
    const sd = x!.ndim === 0 ? 0 : x!._strides[d]!;
    const bStrides = stridesOver(x!, nd, d);
    const iStrides = index!._strides;
    const inner = rowLength(shape);
    const ii = nd === 0 ? 0 : iStrides[nd - 1]!;
    const bi = nd === 0 ? 0 : bStrides[nd - 1]!;
    const ir = rowStarts(shape, iStrides, index!._offset);
    const br = rowStarts(shape, bStrides, x!._offset);
    let w = 0;
    for (let r = 0; r < ir.length; r++) {
      let p = ir[r]!;
      let b = br[r]!;
      for (let j = 0; j < inner; j++, p += ii, b += bi) {
        const v = id[p]!;
        if (v < 0 || v >= size) throw outOfBounds(v, d, size);
        od[w++] = xd[b + v * sd]!;
      }
    }
  },
  grad: (ctx, [g]) => {
    if (!ctx.needsInputGrad(0)) return [null, null];
    const zeros = zerosOf(ctx.inputShape(0), g!.dtype);
    return [gradAs(zeros.scatterAdd(ctx.attrs.dim, ctx.input(1), g!), ctx.inputDType(0)), null];
  },
});

// ------------------------------------------------------------------------------ scatter, scatterAdd

export interface ScatterAttrs {
  dim: number;
  /** true: src is a wrapped number written at every index (scatter's value overload). */
  value: boolean;
}

function scatterCheck(op: string, x: Tensor, index: Tensor, src: Tensor, dim: number, isValue: boolean): number {
  const d = normalizeDim(dim, x.ndim);
  if (index.numel() !== 0) checkIndexDType(op, index);
  if (!isValue && src.dtype !== x.dtype) {
    throw new DTypeError(`${op}(): Expected self.dtype to be equal to src.dtype`);
  }
  if (index.numel() === 0) return d;
  if (nonemptyDim(x) !== nonemptyDim(index)) {
    throw new ShapeError("Index tensor must have the same number of dimensions as self tensor");
  }
  if (!isValue && nonemptyDim(src) !== nonemptyDim(index)) {
    throw new ShapeError("Index tensor must have the same number of dimensions as src tensor");
  }
  let wrong = false;
  for (let i = 0; i < nonemptyDim(x); i++) {
    if (i !== d && nonemptySize(index, i) > nonemptySize(x, i)) wrong = true;
    if (!isValue && nonemptySize(index, i) > nonemptySize(src, i)) wrong = true;
  }
  if (wrong) {
    throw new ShapeError(
      `Expected index ${formatShape(index.shape)} to be smaller than self ${formatShape(x.shape)} apart from dimension ${d}` +
        (isValue ? "" : ` and to be smaller size than src ${formatShape(src.shape)}`),
    );
  }
  return d;
}

/** The shared scatter loop: copies self into out, then writes (or adds) src at the indexed places. */
function scatterKernel(op: string, accumulate: boolean) {
  return (inputs: readonly Tensor[], attrs: ScatterAttrs, outs: Tensor[]): void => {
    const [x, index, src] = inputs as [Tensor, Tensor, Tensor];
    const out = outs[0]!;
    const d = scatterCheck(op, x, index, src, attrs.dim, attrs.value);
    const od = out._storage!.data;
    const outStrides = contiguousStrides(x.shape);
    stridedCopy(x._data(), x._offset, x._strides, x.shape, od, 0, outStrides);
    const shape = index.shape;
    if (numelOf(shape) === 0) return;
    const nd = shape.length;
    const size = nonemptySize(x, d);
    const sd = x.ndim === 0 ? 0 : outStrides[d]!;
    const bStrides = new Array<number>(nd).fill(0);
    if (x.ndim > 0) for (let i = 0; i < nd; i++) bStrides[i] = i === d ? 0 : outStrides[i]!;
    const id = index._data();
    const iStrides = index._strides;
    const inner = rowLength(shape);
    const ii = nd === 0 ? 0 : iStrides[nd - 1]!;
    const bi = nd === 0 ? 0 : bStrides[nd - 1]!;
    const ir = rowStarts(shape, iStrides, index._offset);
    const br = rowStarts(shape, bStrides, 0);
    const dtype = out.dtype;
    if (attrs.value) {
      const value = castScalar(Number(src._data()[src._offset]!), dtype);
      for (let r = 0; r < ir.length; r++) {
        let p = ir[r]!;
        let b = br[r]!;
        for (let j = 0; j < inner; j++, p += ii, b += bi) {
          const v = id[p]!;
          if (v < 0 || v >= size) throw outOfBounds(v, d, size);
          od[b + v * sd] = value;
        }
      }
      return;
    }
    const sdata = src._data();
    const sStrides = stridesOver(src, nd, -1);
    const si = nd === 0 ? 0 : sStrides[nd - 1]!;
    const sr = rowStarts(shape, sStrides, src._offset);
    // Check every index first, so a bad one leaves no partial result behind.
    for (let r = 0; r < ir.length; r++) {
      let p = ir[r]!;
      for (let j = 0; j < inner; j++, p += ii) {
        const v = id[p]!;
        if (v < 0 || v >= size) throw outOfBounds(v, d, size);
      }
    }
    for (let r = 0; r < ir.length; r++) {
      let p = ir[r]!;
      let b = br[r]!;
      let q = sr[r]!;
      if (!accumulate) {
        for (let j = 0; j < inner; j++, p += ii, b += bi, q += si) od[b + id[p]! * sd] = sdata[q]!;
      } else if (dtype === "bool") {
        for (let j = 0; j < inner; j++, p += ii, b += bi, q += si) od[b + id[p]! * sd] |= sdata[q]!;
      } else if (dtype === "int32") {
        for (let j = 0; j < inner; j++, p += ii, b += bi, q += si) {
          const t = b + id[p]! * sd;
          od[t] = (od[t]! + sdata[q]!) | 0;
        }
      } else {
        for (let j = 0; j < inner; j++, p += ii, b += bi, q += si) od[b + id[p]! * sd] += sdata[q]!;
      }
    }
  };
}

/** The gradient of a scatter source: gathered grads, zero-padded where src is larger than index. */
function srcGrad(g: Tensor, dim: number, index: Tensor, srcShape: readonly number[], dtype: DType): Tensor {
  let r = g.gather(dim, index);
  if (!shapesEqual(r.shape, srcShape)) {
    if (r.ndim !== srcShape.length) r = r.reshape(srcShape.length === 0 ? [] : r.shape.length === 0 ? [1] : r.shape.slice());
    if (!shapesEqual(r.shape, srcShape)) {
      const pad: number[] = [];
      for (let i = srcShape.length - 1; i >= 0; i--) pad.push(0, srcShape[i]! - r.shape[i]!);
      r = callOp1("pad", [r], { pad, mode: "constant", value: 0 });
    }
  }
  return gradAs(r, dtype);
}

/** scatter: a copy of input with src (or a value) written at the indexed places along dim. */
export const scatter = defineOp<ScatterAttrs>({
  name: "scatter",
  kind: "index",
  meta([x, index, src], attrs) {
    scatterCheck("scatter", x!, index!, src!, attrs.dim, attrs.value);
    return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
  },
  kernel: scatterKernel("scatter", false),
  grad: (ctx, [g]) => {
    const { dim, value } = ctx.attrs;
    const index = ctx.input(1);
    return [
      ctx.needsInputGrad(0) ? g!.scatter(dim, index, 0) : null,
      null,
      !value && ctx.needsInputGrad(2) ? srcGrad(g!, dim, index, ctx.inputShape(2), ctx.inputDType(2)) : null,
    ];
  },
});

/** scatterAdd: a copy of input with src added at the indexed places along dim. */
export const scatterAdd = defineOp<DimAttrs>({
  name: "scatterAdd",
  kind: "index",
  meta([x, index, src], { dim }) {
    scatterCheck("scatterAdd", x!, index!, src!, dim, false);
    return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
  },
  kernel: (inputs, { dim }, outs) => scatterAddLoop(inputs, { dim, value: false }, outs),
  grad: (ctx, [g]) => {
    const { dim } = ctx.attrs;
    return [
      ctx.needsInputGrad(0) ? g : null,
      null,
      ctx.needsInputGrad(2) ? srcGrad(g!, dim, ctx.input(1), ctx.inputShape(2), ctx.inputDType(2)) : null,
    ];
  },
});
const scatterAddLoop = scatterKernel("scatterAdd", true);

// ------------------------------------------------------------------------------ indexSelect, indexAdd

function indexVectorCheck(op: string, x: Tensor, index: Tensor, dim: number): number {
  const d = normalizeDim(dim, x.ndim);
  if (index.ndim > 1) throw new IndexError(`${op}(): Index is supposed to be a vector`);
  checkIndexDType(op, index);
  if (x.ndim === 0 && index.numel() !== 1) {
    throw new IndexError(`${op}(): Index to scalar can have only 1 value, got ${index.numel()} value(s)`);
  }
  return d;
}

/** Reads and range-checks a 1-D index (PyTorch: no negative indices here). */
function readIndex(index: Tensor, d: number, size: number): Int32Array {
  const v = contiguousData(index) as Int32Array;
  for (let k = 0; k < v.length; k++) {
    const i = v[k]!;
    if (i < 0 || i >= size) throw outOfBounds(i, d, size);
  }
  return v;
}

/** [outer, size, inner] split of a shape around dim d (0-d: one element). */
function aroundDim(shape: readonly number[], d: number): { outer: number; size: number; inner: number } {
  if (shape.length === 0) return { outer: 1, size: 1, inner: 1 };
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i]!;
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, size: shape[d]!, inner };
}

/** indexSelect: the entries index[k] of input along dim. */
export const indexSelect = defineOp<DimAttrs>({
  name: "indexSelect",
  kind: "index",
  meta([x, index], { dim }) {
    const d = indexVectorCheck("indexSelect", x!, index!, dim);
    const shape = x!.shape.slice();
    if (shape.length > 0) shape[d] = index!.numel();
    return [{ shape, dtype: x!.dtype }];
  },
  kernel([x, index], { dim }, [out]) {
    const d = indexVectorCheck("indexSelect", x!, index!, dim);
    const { outer, size, inner } = aroundDim(x!.shape, d);
    const idx = readIndex(index!, d, size);
    const K = idx.length;
    const src = contiguousData(x!);
    const od = out!._storage!.data;
    if (inner === 1) {
      for (let o = 0, w = 0; o < outer; o++) {
        const base = o * size;
        for (let k = 0; k < K; k++) od[w++] = src[base + idx[k]!]!;
      }
      return;
    }
    for (let o = 0, w = 0; o < outer; o++) {
      for (let k = 0; k < K; k++) {
        let s = (o * size + idx[k]!) * inner;
        if (inner >= 32) {
          od.set(src.subarray(s, s + inner), w);
          w += inner;
        } else for (let j = 0; j < inner; j++) od[w++] = src[s++]!;
      }
    }
  },
  grad: (ctx, [g]) => {
    if (!ctx.needsInputGrad(0)) return [null, null];
    const zeros = zerosOf(ctx.inputShape(0), g!.dtype);
    return [gradAs(zeros.indexAdd(ctx.attrs.dim, ctx.input(1), g!), ctx.inputDType(0)), null];
  },
});

export interface IndexAddAttrs {
  dim: number;
  alpha: number;
}

function indexAddCheck(x: Tensor, index: Tensor, source: Tensor, { dim, alpha }: IndexAddAttrs): number {
  const d = indexVectorCheck("indexAdd", x, index, dim);
  if (source.dtype !== x.dtype) {
    throw new DTypeError(
      `indexAdd(): self (${torchTypeName(x.dtype)}) and source (${torchTypeName(source.dtype)}) must have the same scalar type`,
    );
  }
  if (typeof alpha !== "number" || Number.isNaN(alpha)) throw new ArgumentError(`alpha must be a number, but got ${String(alpha)}`);
  if ((x.dtype === "int32" || x.dtype === "bool") && !Number.isInteger(alpha)) {
    throw new ArgumentError("For integral input tensors, argument alpha must not be a floating point number.");
  }
  const n = index.numel();
  if (x.ndim === 0 || source.ndim === 0) {
    if (source.numel() !== 1 || x.numel() !== 1) {
      throw new ShapeError(`indexAdd(): source ${formatShape(source.shape)} does not fit self ${formatShape(x.shape)}`);
    }
    return d;
  }
  if (source.ndim !== x.ndim) {
    throw new ShapeError(
      `indexAdd(): Source/destination tensor must have same slice shapes. Destination has ${x.ndim} dims and source has ${source.ndim} dims.`,
    );
  }
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && source.shape[i] !== x.shape[i]) {
      throw new ShapeError(
        `indexAdd(): Source/destination tensor must have same slice shapes. Destination slice shape: ${x.shape[i]} at dimension ${i} and source slice shape: ${source.shape[i]} at dimension ${i}.`,
      );
    }
  }
  if (source.shape[d] !== n) {
    throw new ShapeError(`indexAdd(): Number of indices (${n}) should be equal to source.size(dim) (${source.shape[d]}), for dim: ${d}`);
  }
  return d;
}

/** indexAdd: a copy of input with alpha * source[k] added at entry index[k] along dim. */
export const indexAdd = defineOp<IndexAddAttrs>({
  name: "indexAdd",
  kind: "index",
  meta([x, index, source], attrs) {
    indexAddCheck(x!, index!, source!, attrs);
    return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
  },
  kernel([x, index, source], attrs, [out]) {
    const d = indexAddCheck(x!, index!, source!, attrs);
    const { outer, size, inner } = aroundDim(x!.shape, d);
    const idx = readIndex(index!, d, size);
    const K = idx.length;
    const od = out!._storage!.data;
    stridedCopy(x!._data(), x!._offset, x!._strides, x!.shape, od, 0, contiguousStrides(x!.shape));
    const src = contiguousData(source!);
    const alpha = attrs.alpha;
    const dtype = out!.dtype;
    for (let o = 0, r = 0; o < outer; o++) {
      for (let k = 0; k < K; k++) {
        let t = (o * size + idx[k]!) * inner;
        if (dtype === "bool") {
          for (let j = 0; j < inner; j++, t++) {
            const v = src[r++]!;
            od[t] = od[t] !== 0 || (alpha !== 0 && v !== 0) ? 1 : 0;
          }
        } else if (dtype === "int32") {
          for (let j = 0; j < inner; j++, t++) od[t] = (od[t]! + alpha * src[r++]!) | 0;
        } else if (alpha === 1) {
          for (let j = 0; j < inner; j++, t++) od[t] += src[r++]!;
        } else {
          for (let j = 0; j < inner; j++, t++) od[t] += alpha * src[r++]!;
        }
      }
    }
  },
  grad: (ctx, [g]) => {
    const { dim, alpha } = ctx.attrs;
    let gs: Tensor | null = null;
    if (ctx.needsInputGrad(2)) {
      gs = g!.indexSelect(dim, ctx.input(1));
      if (alpha !== 1) gs = gs.mul(alpha);
      if (!shapesEqual(gs.shape, ctx.inputShape(2))) gs = gs.reshape(ctx.inputShape(2).slice());
      gs = gradAs(gs, ctx.inputDType(2));
    }
    return [ctx.needsInputGrad(0) ? g : null, null, gs];
  },
});

// ------------------------------------------------------------------------------ takeAlongDim

export interface TakeAlongDimAttrs {
  /** null: index the flattened input with the flattened indices. */
  dim: number | null;
}

function takeAlongDimShapes(x: Tensor, indices: Tensor, dim: number | null): { d: number; idxShape: number[]; selfShape: number[] } | null {
  if (indices.dtype !== "int32") {
    throw new DTypeError(`takeAlongDim(): dtype of indices should be Int but got ${torchTypeName(indices.dtype)}`);
  }
  if (dim === null) return null;
  const d = normalizeDim(dim, x.ndim);
  if (x.ndim !== indices.ndim) {
    throw new ShapeError(
      `takeAlongDim(): input and indices should have the same number of dimensions, but got ${x.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`,
    );
  }
  if (x.ndim === 0) return { d, idxShape: [], selfShape: [] };
  const selfSizes = x.shape.slice();
  selfSizes[d] = indices.shape[d]!;
  const idxShape = broadcastShapes(selfSizes, indices.shape);
  const selfShape = idxShape.slice();
  selfShape[d] = x.shape[d]!;
  return { d, idxShape, selfShape };
}

/** takeAlongDim: gather after broadcasting input and indices over every dim but dim. */
export const takeAlongDim = defineOp<TakeAlongDimAttrs>({
  name: "takeAlongDim",
  kind: "composite",
  meta([x, indices], { dim }) {
    const s = takeAlongDimShapes(x!, indices!, dim);
    return [{ shape: s === null ? [indices!.numel()] : s.idxShape, dtype: x!.dtype }];
  },
  composite([x, indices], { dim }) {
    const s = takeAlongDimShapes(x!, indices!, dim);
    if (s === null) return [x!.reshape([-1]).gather(0, indices!.reshape([-1]))];
    const xi = shapesEqual(x!.shape, s.selfShape) ? x! : x!.expand(s.selfShape);
    const ii = shapesEqual(indices!.shape, s.idxShape) ? indices! : indices!.expand(s.idxShape);
    return [xi.gather(s.d, ii)];
  },
  grad: "composite",
});

// ------------------------------------------------------------------------------ embedding

export interface EmbeddingAttrs {
  /** Row whose gradient stays zero (already wrapped into [0, numEmbeddings)), or null. */
  paddingIdx: number | null;
}

function embeddingCheck(indices: Tensor, weight: Tensor, paddingIdx: number | null): void {
  if (weight.ndim !== 2) throw new ShapeError("'weight' must be 2-D");
  if (indices.dtype !== "int32") {
    throw new DTypeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Int; but got ${torchTypeName(indices.dtype)} instead (while checking arguments for embedding)`,
    );
  }
  if (paddingIdx !== null) {
    checkInt(paddingIdx, "embedding(): paddingIdx");
    if (paddingIdx < 0 || paddingIdx >= weight.shape[0]!) throw new ArgumentError("Padding_idx must be within num_embeddings");
  }
}

/** embedding: rows of weight picked by integer indices (output: indices.shape + [embeddingDim]). */
export const embedding = defineOp<EmbeddingAttrs>({
  name: "embedding",
  kind: "index",
  meta([indices, weight], { paddingIdx }) {
    embeddingCheck(indices!, weight!, paddingIdx);
    return [{ shape: [...indices!.shape, weight!.shape[1]!], dtype: weight!.dtype }];
  },
  kernel([indices, weight], { paddingIdx }, [out]) {
    embeddingCheck(indices!, weight!, paddingIdx);
    const [n, D] = weight!.shape as [number, number];
    const idx = readIndex(indices!, 0, n);
    const wd = weight!._data();
    const od = out!._storage!.data;
    const s0 = weight!._strides[0]!;
    const s1 = weight!._strides[1]!;
    const off = weight!._offset;
    for (let k = 0, w = 0; k < idx.length; k++) {
      let p = off + idx[k]! * s0;
      for (let j = 0; j < D; j++, p += s1) od[w++] = wd[p]!;
    }
  },
  grad: (ctx, [g]) => {
    if (!ctx.needsInputGrad(1)) return [null, null];
    const indices = ctx.input(0);
    const wShape = ctx.inputShape(1);
    const p = ctx.attrs.paddingIdx;
    let gg = g!;
    if (p !== null) gg = gg.mul(indices.ne(p).unsqueeze(-1));
    const flat = gg.reshape([-1, wShape[1]!]);
    const zeros = zerosOf(wShape, flat.dtype);
    return [null, gradAs(zeros.indexAdd(0, indices.reshape([-1]), flat), ctx.inputDType(1))];
  },
});

// ------------------------------------------------------------------------------ oneHot

export interface OneHotAttrs {
  numClasses: number;
}

function oneHotCheck(x: Tensor, numClasses: number): void {
  if (x.dtype !== "int32") {
    throw new DTypeError(`one_hot is only applicable to index tensor of type Int (int32), but got ${torchTypeName(x.dtype)}`);
  }
  checkInt(numClasses, "oneHot(): numClasses");
  if (numClasses < 0) throw new ArgumentError(`oneHot(): numClasses must be non-negative (or -1 to infer it), but got ${numClasses}`);
}

/** oneHot: int32 one-hot encoding with a trailing class dim (numClasses resolved by the API). */
export const oneHot = defineOp<OneHotAttrs>({
  name: "oneHot",
  kind: "index",
  meta([x], { numClasses }) {
    oneHotCheck(x!, numClasses);
    return [{ shape: [...x!.shape, numClasses], dtype: "int32" }];
  },
  kernel([x], { numClasses }, [out]) {
    oneHotCheck(x!, numClasses);
    const v = contiguousData(x!);
    const od = out!._storage!.data;
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (c < 0) throw new KilnRuntimeError("Class values must be non-negative.");
      if (c >= numClasses) throw new KilnRuntimeError("Class values must be smaller than num_classes.");
    }
    od.fill(0);
    for (let i = 0; i < v.length; i++) od[i * numClasses + v[i]!] = 1;
  },
  grad: "nondifferentiable",
});

// ------------------------------------------------------------------------------ pad

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

export interface PadAttrs {
  /** PyTorch's order: (before, after) pairs starting from the last dim. */
  pad: number[];
  mode: PadMode;
  value: number;
}

/** Per-dim (before, after) of a pad list (dims it does not mention get 0). */
function padPairs(ndim: number, pad: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (let d = 0; d < ndim; d++) {
    const k = ndim - 1 - d;
    pairs.push(2 * k < pad.length ? [pad[2 * k]!, pad[2 * k + 1]!] : [0, 0]);
  }
  return pairs;
}

function padCheck(x: Tensor, { pad, mode }: PadAttrs): { pairs: [number, number][]; shape: number[] } {
  if (!Array.isArray(pad)) throw new ArgumentError("pad(): pad must be an array of integers");
  pad.forEach((p) => checkInt(p, "pad(): pad"));
  if (pad.length % 2 !== 0) throw new ArgumentError("Padding length must be divisible by 2");
  if (pad.length > 2 * x.ndim) {
    throw new ArgumentError(
      `Padding length should be less than or equal to two times the input dimension but got padding length ${pad.length} and input of dimension ${x.ndim}`,
    );
  }
  if (mode !== "constant" && mode !== "reflect" && mode !== "replicate" && mode !== "circular") {
    throw new ArgumentError(`Unrecognised padding mode ${String(mode)}`);
  }
  const pairs = padPairs(x.ndim, pad);
  if (mode === "circular") {
    const k = pad.length / 2;
    if (x.ndim - k !== 1 && x.ndim - k !== 2) {
      throw new ArgumentError(
        `Invalid padding size, expected 1 or 2 non-padded dimensions, which would be equivalent to padding of length ${(x.ndim - 1) * 2} or ${(x.ndim - 2) * 2} respectively but got ${pad.length}`,
      );
    }
    pairs.forEach(([b, a], d) => {
      const n = x.shape[d]!;
      if (b > n || a > n) throw new ShapeError("Padding value causes wrapping around more than once.");
      if (n + b + a < 0) throw new ShapeError("Negative padding value is resulting in an empty dimension");
    });
  } else if (mode !== "constant") {
    const k = pad.length / 2;
    if (!((k === 1 && (x.ndim === 2 || x.ndim === 3)) || (k === 2 && (x.ndim === 3 || x.ndim === 4)) || (k === 3 && (x.ndim === 4 || x.ndim === 5)))) {
      throw new ArgumentError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    }
    pairs.forEach(([b, a], d) => {
      if (b < 0 || a < 0) throw new ArgumentError(`pad(): negative padding is only supported in "constant" mode, but got padding (${b}, ${a}) at dimension ${d}`);
      const n = x.shape[d]!;
      if (mode === "reflect" && (b >= n || a >= n) && (b > 0 || a > 0)) {
        throw new ShapeError(
          `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${b}, ${a}) at dimension ${d} of input ${formatShape(x.shape)}`,
        );
      }
      if (mode === "replicate" && n === 0 && (b > 0 || a > 0)) {
        throw new ShapeError(`pad(): replicate padding needs a non-empty dimension ${d}, but got input ${formatShape(x.shape)}`);
      }
    });
  }
  const shape = x.shape.map((n, d) => {
    const [b, a] = pairs[d]!;
    const s = n + b + a;
    if (s < 0) {
      throw new ShapeError(
        `The input size ${n}, plus negative padding ${b} and ${a} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`,
      );
    }
    return s;
  });
  return { pairs, shape };
}

/** For each dim, the input index every output index reads (-1: the constant). */
function padMaps(inShape: readonly number[], pairs: readonly [number, number][], outShape: readonly number[], mode: PadMode): Int32Array[] {
  return outShape.map((m, d) => {
    const n = inShape[d]!;
    const b = pairs[d]![0];
    const map = new Int32Array(m);
    for (let o = 0; o < m; o++) {
      let i = o - b;
      if (i < 0 || i >= n) {
        if (mode === "constant") i = -1;
        else if (mode === "replicate") i = i < 0 ? 0 : n - 1;
        else if (mode === "circular") i = ((i % n) + n) % n;
        else i = i < 0 ? -i : 2 * (n - 1) - i;
      }
      map[o] = i;
    }
    return map;
  });
}

/** Visits the rows of the padded layout: calls `row(outRowStart, inRowBase | -1)` once per row. */
function forPadRows(outShape: readonly number[], maps: Int32Array[], strides: readonly number[], offset: number, row: (w: number, base: number) => void): void {
  const nd = outShape.length;
  const inner = outShape[nd - 1]!;
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= outShape[d]!;
  if (rows === 0 || inner === 0) return;
  const idx = new Array<number>(nd - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let base = offset;
    for (let d = 0; d < nd - 1; d++) {
      const m = maps[d]![idx[d]!]!;
      if (m < 0) {
        base = -1;
        break;
      }
      base += m * strides[d]!;
    }
    row(r * inner, base);
    for (let d = nd - 2; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** pad (torch.nn.functional.pad): constant (negative pads crop), reflect, replicate or circular padding. */
export const pad = defineOp<PadAttrs>({
  name: "pad",
  kind: "index",
  meta([x], attrs) {
    return [{ shape: padCheck(x!, attrs).shape, dtype: x!.dtype }];
  },
  kernel([x], attrs, [out]) {
    const { pairs, shape } = padCheck(x!, attrs);
    const od = out!._storage!.data;
    const xd = x!._data();
    if (shape.length === 0) {
      od[0] = xd[x!._offset]!;
      return;
    }
    const value = castScalar(attrs.value, out!.dtype);
    const maps = padMaps(x!.shape, pairs, shape, attrs.mode);
    const nd = shape.length;
    const last = maps[nd - 1]!;
    const inner = last.length;
    const sl = x!._strides[nd - 1]!;
    // Output columns [lo, hi) read input columns lo - before ... in order; the edges use the map.
    const before = pairs[nd - 1]![0];
    const lo = Math.min(Math.max(before, 0), inner);
    const hi = Math.max(Math.min(before + x!.shape[nd - 1]!, inner), lo);
    // One call per row (not per element); the row loops themselves are tight.
    forPadRows(shape, maps, x!._strides, x!._offset, (w, base) => {
      if (base < 0) {
        od.fill(value, w, w + inner);
        return;
      }
      for (let j = 0; j < lo; j++) {
        const m = last[j]!;
        od[w + j] = m < 0 ? value : xd[base + m * sl]!;
      }
      for (let j = lo, p = base + (lo - before) * sl; j < hi; j++, p += sl) od[w + j] = xd[p]!;
      for (let j = hi; j < inner; j++) {
        const m = last[j]!;
        od[w + j] = m < 0 ? value : xd[base + m * sl]!;
      }
    });
  },
  grad: (ctx, [g]) => {
    const { pad: p, mode } = ctx.attrs;
    if (mode === "constant") return [callOp1("pad", [g!], { pad: p.map((v) => -v), mode: "constant", value: 0 })];
    return [callOp1("padBackward", [g!], { pad: p.slice(), mode, shape: ctx.inputShape(0).slice() })];
  },
});

export interface PadBackwardAttrs {
  pad: number[];
  mode: PadMode;
  /** Shape of the padded op's input (this op's output). */
  shape: number[];
}

/** The gradient of reflect/replicate/circular padding: sums the padded gradient back onto the input. */
export const padBackward = defineOp<PadBackwardAttrs>({
  name: "padBackward",
  kind: "index",
  meta([g], { pad: p, mode, shape }) {
    const pairs = padPairs(shape.length, p);
    const expected = shape.map((n, d) => n + pairs[d]![0] + pairs[d]![1]);
    if (!shapesEqual(g!.shape, expected)) {
      throw new ShapeError(`padBackward(): expected a gradient of shape ${formatShape(expected)}, but got ${formatShape(g!.shape)}`);
    }
    void mode;
    return [{ shape: shape.slice(), dtype: g!.dtype }];
  },
  kernel([g], { pad: p, mode, shape }, [out]) {
    const od = out!._storage!.data;
    od.fill(0);
    const nd = shape.length;
    if (nd === 0 || numelOf(shape) === 0) return;
    const pairs = padPairs(nd, p);
    const outShape = g!.shape;
    const maps = padMaps(shape, pairs, outShape, mode);
    const last = maps[nd - 1]!;
    const inner = last.length;
    const gd = contiguousData(g!);
    const strides = contiguousStrides(shape);
    forPadRows(outShape, maps, strides, 0, (w, base) => {
      if (base < 0) return;
      for (let j = 0; j < inner; j++) od[base + last[j]!] += gd[w + j]!;
    });
  },
  grad: (ctx, [gg]) => [callOp1("pad", [gg!], { pad: ctx.attrs.pad.slice(), mode: ctx.attrs.mode, value: 0 })],
});

// ------------------------------------------------------------------------------ nonzero

/** nonzero: the int32 coordinates [n, ndim] of the nonzero elements (n depends on the values). */
export const nonzero = defineOp<object>({
  name: "nonzero",
  kind: "index",
  dataDependentShape: true,
  meta: ([x]) => [{ shape: [-1, x!.ndim], dtype: "int32" }],
  kernel([x]) {
    const v = contiguousData(x!);
    const shape = x!.shape;
    const nd = shape.length;
    let n = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
    const out = new Int32Array(n * nd);
    if (nd > 0 && n > 0) {
      const idx = new Int32Array(nd);
      let w = 0;
      for (let i = 0; i < v.length; i++) {
        if (v[i] !== 0) for (let d = 0; d < nd; d++) out[w++] = idx[d]!;
        for (let d = nd - 1; d >= 0; d--) {
          if (++idx[d]! < shape[d]!) break;
          idx[d] = 0;
        }
      }
    }
    return [Tensor.fromData(out, [n, nd], "int32")];
  },
  grad: "nondifferentiable",
});

// ------------------------------------------------------------------------------ maskedSelect

function maskedShape(x: Tensor, mask: Tensor): number[] {
  if (mask.dtype !== "bool") throw new DTypeError(`maskedSelect: expected BoolTensor for mask, but got ${torchTypeName(mask.dtype)}`);
  return broadcastShapes(x.shape, mask.shape);
}

/** Row starts and inner strides of two tensors broadcast to `shape` (the loops live in the callers). */
function broadcastRows(shape: readonly number[], a: Tensor, b: Tensor): { ar: Float64Array; br: Float64Array; ai: number; bi: number; inner: number } {
  const as = broadcastStrides(a, shape);
  const bs = broadcastStrides(b, shape);
  const nd = shape.length;
  return {
    ar: rowStarts(shape, as, a._offset),
    br: rowStarts(shape, bs, b._offset),
    ai: nd === 0 ? 0 : as[nd - 1]!,
    bi: nd === 0 ? 0 : bs[nd - 1]!,
    inner: rowLength(shape),
  };
}

/** maskedSelect: the 1-D list of input elements where the (broadcast) mask is true. */
export const maskedSelect = defineOp<object>({
  name: "maskedSelect",
  kind: "index",
  dataDependentShape: true,
  meta([x, mask]) {
    maskedShape(x!, mask!);
    return [{ shape: [-1], dtype: x!.dtype }];
  },
  kernel([x, mask]) {
    const shape = maskedShape(x!, mask!);
    const n = numelOf(shape);
    const out: TypedArray = allocate(x!.dtype, n);
    let count = 0;
    if (n > 0) {
      const { ar, br, ai, bi, inner } = broadcastRows(shape, x!, mask!);
      const xd = x!._data();
      const md = mask!._data();
      for (let r = 0; r < ar.length; r++) {
        let p = ar[r]!;
        let q = br[r]!;
        for (let j = 0; j < inner; j++, p += ai, q += bi) if (md[q] !== 0) out[count++] = xd[p]!;
      }
    }
    return [Tensor.fromData(out.slice(0, count), [count], x!.dtype)];
  },
  grad: (ctx, [g]) => {
    if (!ctx.needsInputGrad(0)) return [null, null];
    const mask = ctx.input(1);
    const shape = broadcastShapes(ctx.inputShape(0), mask.shape);
    const full = callOp1("maskedSelectBackward", [g!, mask], { shape });
    return [gradAs(sumToShape(full, ctx.inputShape(0)), ctx.inputDType(0)), null];
  },
});

export interface MaskedSelectBackwardAttrs {
  shape: number[];
}

/** The gradient of maskedSelect: grad values placed, in order, where the mask is true; zeros elsewhere. */
export const maskedSelectBackward = defineOp<MaskedSelectBackwardAttrs>({
  name: "maskedSelectBackward",
  kind: "index",
  meta([g, mask], { shape }) {
    if (g!.ndim !== 1) throw new ShapeError(`maskedSelectBackward(): expected a 1-D gradient, but got ${formatShape(g!.shape)}`);
    broadcastShapes(shape, mask!.shape);
    return [{ shape: shape.slice(), dtype: g!.dtype }];
  },
  kernel([g, mask], { shape }, [out]) {
    const od = out!._storage!.data;
    const n = numelOf(shape);
    if (n === 0) return;
    const gd = contiguousData(g!);
    const ms = broadcastStrides(mask!, shape);
    const nd = shape.length;
    const mr = rowStarts(shape, ms, mask!._offset);
    const mi = nd === 0 ? 0 : ms[nd - 1]!;
    const inner = rowLength(shape);
    const md = mask!._data();
    let k = 0;
    const avail = gd.length;
    for (let r = 0, w = 0; r < mr.length; r++) {
      let q = mr[r]!;
      for (let j = 0; j < inner; j++, q += mi, w++) {
        if (md[q] !== 0) {
          if (k >= avail) throw new KilnRuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask");
          od[w] = gd[k++]!;
        }
      }
    }
  },
  grad: (ctx, [gg]) => [ctx.needsInputGrad(0) ? gg!.maskedSelect(ctx.input(1)) : null, null],
});
