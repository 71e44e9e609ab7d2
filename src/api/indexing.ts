// Public joining, repeating and indexing functions and their Tensor methods: cat, stack, hstack,
// vstack, repeat, tile, flip, roll, gather, scatter, scatterAdd, indexSelect, indexAdd,
// takeAlongDim, embedding, oneHot, pad, nonzero, maskedSelect, tril, triu.
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1, dispatchInPlace } from "../dispatch/dispatch.js";
import { toTensor, type TensorLike } from "../core/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import type { PadMode } from "../ops/indexing.js";
import "../ops/join.js";
import "../ops/indexing.js";
import "../ops/triangular.js";

function tensorList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) {
    throw new ArgumentError(`${op}(): argument 'tensors' must be an array of Tensors, but got ${describeValue(tensors)}`);
  }
  return tensors.map((t, i) => toTensor(t, op, `tensors[${i}]`, false));
}

/** Flattens `f(x, 2, 3)` and `f(x, [2, 3])` into one list of integers. */
function intList(op: string, what: string, args: readonly (number | readonly number[])[]): number[] {
  const out: number[] = [];
  for (const a of args) {
    if (Array.isArray(a)) out.push(...(a as number[]));
    else if (typeof a === "number") out.push(a);
    else throw new ArgumentError(`${op}(): ${what} must be integers or an array of integers, but got ${describeValue(a)}`);
  }
  return out;
}

function optionalList(v: number | readonly number[] | undefined | null): number[] | null {
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? (v as number[]).slice() : [v as number];
}

// ------------------------------------------------------------------------------ joining

/** torch.cat: joins tensors along an existing dim (dtypes promote; 1-D empty tensors are skipped). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return dispatch1("cat", tensorList("cat", tensors), { dim });
}
/** torch.concat (alias of cat). */
export const concat = cat;

/** torch.stack: joins same-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return dispatch1("stack", tensorList("stack", tensors), { dim });
}

function atleast(t: Tensor, n: 1 | 2): Tensor {
  if (t.ndim >= n) return t;
  if (n === 1 || t.ndim === 0) return t.reshape(n === 1 ? [1] : [1, 1]);
  return t.unsqueeze(0);
}

/** torch.hstack: cat along dim 1, or dim 0 for 1-D tensors (0-d tensors count as 1-D). */
export function hstack(tensors: readonly Tensor[]): Tensor {
  const ts = tensorList("hstack", tensors).map((t) => atleast(t, 1));
  if (ts.length === 0) throw new ArgumentError("hstack expects a non-empty TensorList");
  return cat(ts, ts[0]!.ndim === 1 ? 0 : 1);
}

/** torch.vstack: cat along dim 0 after making every tensor at least 2-D. */
export function vstack(tensors: readonly Tensor[]): Tensor {
  const ts = tensorList("vstack", tensors).map((t) => atleast(t, 2));
  if (ts.length === 0) throw new ArgumentError("vstack expects a non-empty TensorList");
  return cat(ts, 0);
}

/** x.repeat(2, 3) or x.repeat([2, 3]): tiles the tensor (leading new dims when more sizes than dims). */
export function repeat(input: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  return dispatch1("repeat", [toTensor(input, "repeat", "input", false)], { repeats: intList("repeat", "sizes", sizes) });
}

/** torch.tile: like repeat, but fewer dims than the tensor has are padded with leading 1s. */
export function tile(input: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const x = toTensor(input, "tile", "input", false);
  const reps = intList("tile", "dims", dims);
  while (reps.length < x.ndim) reps.unshift(1);
  return repeat(x, reps);
}

/** torch.flip: reverses the order of elements along the given dims. */
export function flip(input: Tensor, dims: number | readonly number[]): Tensor {
  return dispatch1("flip", [toTensor(input, "flip", "input", false)], { dims: optionalList(dims) ?? [] });
}

/** torch.roll: circular shift along dims (or over the flattened tensor when dims are not given). */
export function roll(input: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  return dispatch1("roll", [toTensor(input, "roll", "input", false)], { shifts: optionalList(shifts) ?? [], dims: optionalList(dims) });
}

// ------------------------------------------------------------------------------ gather / scatter

/** torch.gather: out[i][j] = input[index[i][j]][j] for dim 0 (index: int32, no negative values). */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  return dispatch1("gather", [toTensor(input, "gather", "input", false), toTensor(index, "gather", "index", false)], { dim });
}

function scatterArgs(op: string, input: Tensor, index: Tensor, src: TensorLike): [Tensor[], boolean] {
  const isValue = typeof src === "number" || typeof src === "boolean";
  return [[toTensor(input, op, "input", false), toTensor(index, op, "index", false), toTensor(src, op, "src")], isValue];
}

/** torch.scatter: a copy of input with src (a tensor, or a number) written at the indexed places. */
export function scatter(input: Tensor, dim: number, index: Tensor, src: TensorLike): Tensor {
  const [inputs, value] = scatterArgs("scatter", input, index, src);
  return dispatch1("scatter", inputs, { dim, value });
}
/** x.scatter_(dim, index, src): scatter in place. */
export function scatter_(input: Tensor, dim: number, index: Tensor, src: TensorLike): Tensor {
  const [inputs, value] = scatterArgs("scatter_", input, index, src);
  return dispatchInPlace("scatter", inputs[0]!, inputs, { dim, value });
}

/** torch.scatter_add: a copy of input with src added at the indexed places. */
export function scatterAdd(input: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return dispatch1(
    "scatterAdd",
    [toTensor(input, "scatterAdd", "input", false), toTensor(index, "scatterAdd", "index", false), toTensor(src, "scatterAdd", "src", false)],
    { dim },
  );
}
/** x.scatterAdd_(dim, index, src): scatterAdd in place. */
export function scatterAdd_(input: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const x = toTensor(input, "scatterAdd_", "input", false);
  return dispatchInPlace("scatterAdd", x, [x, toTensor(index, "scatterAdd_", "index", false), toTensor(src, "scatterAdd_", "src", false)], {
    dim,
  });
}

// ------------------------------------------------------------------------------ indexSelect / indexAdd

/** torch.index_select: entries index[k] of input along dim (index: 1-D int32). */
export function indexSelect(input: Tensor, dim: number, index: Tensor): Tensor {
  return dispatch1("indexSelect", [toTensor(input, "indexSelect", "input", false), toTensor(index, "indexSelect", "index", false)], { dim });
}

export interface IndexAddOptions {
  alpha?: number;
}

/** torch.index_add: a copy of input with alpha * source[k] added at entry index[k] along dim. */
export function indexAdd(input: Tensor, dim: number, index: Tensor, source: Tensor, options: IndexAddOptions = {}): Tensor {
  return dispatch1(
    "indexAdd",
    [toTensor(input, "indexAdd", "input", false), toTensor(index, "indexAdd", "index", false), toTensor(source, "indexAdd", "source", false)],
    { dim, alpha: options.alpha ?? 1 },
  );
}
/** x.indexAdd_(dim, index, source, { alpha }): indexAdd in place. */
export function indexAdd_(input: Tensor, dim: number, index: Tensor, source: Tensor, options: IndexAddOptions = {}): Tensor {
  const x = toTensor(input, "indexAdd_", "input", false);
  return dispatchInPlace(
    "indexAdd",
    x,
    [x, toTensor(index, "indexAdd_", "index", false), toTensor(source, "indexAdd_", "source", false)],
    { dim, alpha: options.alpha ?? 1 },
  );
}

/** torch.take_along_dim: gather with input and indices broadcast over the other dims; no dim: flattened. */
export function takeAlongDim(input: Tensor, indices: Tensor, dim?: number | null): Tensor {
  return dispatch1(
    "takeAlongDim",
    [toTensor(input, "takeAlongDim", "input", false), toTensor(indices, "takeAlongDim", "indices", false)],
    { dim: dim ?? null },
  );
}

// ------------------------------------------------------------------------------ embedding, oneHot, pad

export interface EmbeddingOptions {
  /** This row gets no gradient (negative values count from the end). */
  paddingIdx?: number | null;
}

/** torch.nn.functional.embedding: rows of weight [num, dim] picked by int32 indices. */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const idx = toTensor(input, "embedding", "input", false);
  const w = toTensor(weight, "embedding", "weight", false);
  let p = options.paddingIdx ?? null;
  if (p !== null && w.ndim === 2 && typeof p === "number") {
    const n = w.shape[0]!;
    if (p >= n || p < -n) throw new ArgumentError("Padding_idx must be within num_embeddings");
    if (p < 0) p += n;
  }
  return dispatch1("embedding", [idx, w], { paddingIdx: p });
}

/**
 * torch.nn.functional.one_hot: int32 one-hot encoding with a trailing dim of numClasses. -1 infers
 * max + 1 from the values (reading data: a graph break when traced).
 */
export function oneHot(tensor: Tensor, numClasses = -1): Tensor {
  const x = toTensor(tensor, "oneHot", "tensor", false);
  if (numClasses === -1 && x.dtype === "int32") {
    if (x.numel() === 0) throw new ArgumentError("Can not infer total number of classes from empty tensor.");
    const v = x.toArray();
    let max = -Infinity;
    for (let i = 0; i < v.length; i++) if (v[i]! > max) max = v[i]!;
    numClasses = Math.max(max + 1, 0);
  }
  return dispatch1("oneHot", [x], { numClasses });
}

export interface PadOptions {
  mode?: PadMode;
  /** Fill value of constant padding (default 0). */
  value?: number | null;
}

/**
 * torch.nn.functional.pad: `pad` lists (before, after) pairs starting from the last dim. Constant
 * padding may be negative (cropping); reflect and replicate pad the last 1-3 dims of 2-D to 5-D inputs;
 * circular wraps around (at most once) and leaves 1 or 2 leading dims unpadded.
 */
export function pad(input: Tensor, pad: readonly number[], options: PadOptions = {}): Tensor {
  const mode = options.mode ?? "constant";
  const value = options.value ?? null;
  if (mode !== "constant" && value !== null && value !== 0) {
    throw new ArgumentError(`Padding mode "${mode}" doesn't take in value argument`);
  }
  if (value !== null && typeof value !== "number") {
    throw new ArgumentError(`pad(): value must be a number, but got ${describeValue(value)}`);
  }
  if (!Array.isArray(pad)) throw new ArgumentError(`pad(): argument 'pad' must be an array of integers, but got ${describeValue(pad)}`);
  return dispatch1("pad", [toTensor(input, "pad", "input", false)], { pad: (pad as number[]).slice(), mode, value: value ?? 0 });
}

// ------------------------------------------------------------------------------ nonzero, maskedSelect

export interface NonzeroOptions {
  /** Return one 1-D tensor of coordinates per dim instead of an [n, ndim] tensor. */
  asTuple?: boolean;
}

/** torch.nonzero: int32 coordinates [n, ndim] of the nonzero elements (n depends on the values). */
export function nonzero(input: Tensor, options?: { asTuple?: false }): Tensor;
export function nonzero(input: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(input: Tensor, options?: NonzeroOptions): Tensor | Tensor[];
export function nonzero(input: Tensor, options: NonzeroOptions = {}): Tensor | Tensor[] {
  const x = toTensor(input, "nonzero", "input", false);
  if (!options.asTuple) return dispatch1("nonzero", [x]);
  const r = dispatch1("nonzero", [x.ndim === 0 ? x.reshape([1]) : x]);
  return r.unbind(1);
}

/** torch.masked_select: the 1-D list of input elements where the (broadcast) bool mask is true. */
export function maskedSelect(input: Tensor, mask: Tensor): Tensor {
  return dispatch1("maskedSelect", [toTensor(input, "maskedSelect", "input", false), toTensor(mask, "maskedSelect", "mask", false)]);
}

// ------------------------------------------------------------------------------ tril, triu

/** torch.tril: elements on and below the diagonal-th diagonal of the last two dims; zeros elsewhere. */
export function tril(input: Tensor, diagonal = 0): Tensor {
  return dispatch1("tril", [toTensor(input, "tril", "input", false)], { diagonal });
}
/** torch.triu: elements on and above the diagonal-th diagonal of the last two dims; zeros elsewhere. */
export function triu(input: Tensor, diagonal = 0): Tensor {
  return dispatch1("triu", [toTensor(input, "triu", "input", false)], { diagonal });
}

const indexingMethods = {
  repeat,
  tile,
  flip,
  roll,
  gather,
  scatter,
  scatter_,
  scatterAdd,
  scatterAdd_,
  indexSelect,
  indexAdd,
  indexAdd_,
  takeAlongDim,
  maskedSelect,
  tril,
  triu,
  tril_: (input: Tensor, diagonal = 0): Tensor => dispatchInPlace("tril", input, [toTensor(input, "tril_", "input", false)], { diagonal }),
  triu_: (input: Tensor, diagonal = 0): Tensor => dispatchInPlace("triu", input, [toTensor(input, "triu_", "input", false)], { diagonal }),
};
installMethods(indexingMethods);
installMethods({ nonzero });

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof indexingMethods> {
    /** Coordinates [n, ndim] (int32) of the nonzero elements; with asTuple, one 1-D tensor per dim. */
    nonzero(options?: { asTuple?: false }): Tensor;
    nonzero(options: { asTuple: true }): Tensor[];
    nonzero(options?: NonzeroOptions): Tensor | Tensor[];
  }
}
