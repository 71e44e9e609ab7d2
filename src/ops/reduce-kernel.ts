// Builds eager kernels for reductions over any set of dims from an accumulator description.
// Output element loops are odometers over kept dims; the reduced block is walked with hoisted
// strides, the innermost reduced dim as a tight loop. Adjacent dims that are laid out as one
// (a contiguous tail, a full reduction of a contiguous tensor) are merged into a single loop.
// Also: row layouts for ops that work along one dim (softmax, scans, sorting).
import type { TypedArray } from "../core/dtype.js";
import { contiguousStrides } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";

/** How to reduce: JS statements over `acc` and the element `x`, with the count `count`. */
export interface Reducer {
  /** Declares and initialises the accumulator(s), e.g. `let acc = 0;`. */
  init: string;
  /** Updates the accumulator with element `x` (at reduced position `r`, 0-based row-major). */
  step: string;
  /** Expression for the result from `acc` and `count`. */
  result: string;
  /** Expressions for further outputs (`outs[1]`, ...), e.g. the index of a max. */
  extra?: string[];
}

type ReduceLoop = (
  data: TypedArray,
  offset: number,
  outerShape: number[],
  outerStrides: number[],
  redShape: number[],
  redStrides: number[],
  outs: TypedArray[],
  attrs: object,
) => void;

function compileReduce(r: Reducer, prelude: string): ReduceLoop {
  const extra = r.extra ?? [];
  const src = `
${prelude}
const out = outs[0];
${extra.map((_, i) => `const out${i + 1} = outs[${i + 1}];`).join("\n")}
const no = outerShape.length, nr = redShape.length;
let outerN = 1; for (const s of outerShape) outerN *= s;
let count = 1; for (const s of redShape) count *= s;
const oidx = new Array(no).fill(0), ridx = new Array(nr).fill(0);
const rlast = nr - 1, rinner = nr === 0 ? 1 : redShape[rlast], rstride = nr === 0 ? 0 : redStrides[rlast];
let base = offset;
for (let o = 0; o < outerN; o++) {
  ${r.init}
  let p = base, r = 0;
  if (count > 0) for (let done = 0; done < count; done += rinner) {
    for (let i = 0; i < rinner; i++, r++) { const x = data[p + i * rstride]; ${r.step} }
    for (let d = rlast - 1; d >= 0; d--) {
      ridx[d]++; p += redStrides[d];
      if (ridx[d] < redShape[d]) break;
      p -= redStrides[d] * redShape[d]; ridx[d] = 0;
    }
  }
  out[o] = ${r.result};
  ${extra.map((e, i) => `out${i + 1}[o] = ${e};`).join("\n  ")}
  for (let d = no - 1; d >= 0; d--) {
    oidx[d]++; base += outerStrides[d];
    if (oidx[d] < outerShape[d]) break;
    base -= outerStrides[d] * outerShape[d]; oidx[d] = 0;
  }
}`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("data", "offset", "outerShape", "outerStrides", "redShape", "redStrides", "outs", "attrs", src) as ReduceLoop;
}

/**
 * Drops size-1 dims and merges neighbours that walk memory as one dim (stride[i] equals
 * stride[i+1] * shape[i+1]). Row-major order of the remaining positions is unchanged.
 */
function coalesce(shape: number[], strides: number[]): void {
  if (shape.includes(0)) return;
  let w = 0;
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i]!;
    const st = strides[i]!;
    if (s === 1) continue;
    if (w > 0 && strides[w - 1] === st * s) {
      shape[w - 1] = shape[w - 1]! * s;
      strides[w - 1] = st;
    } else {
      shape[w] = s;
      strides[w] = st;
      w++;
    }
  }
  shape.length = w;
  strides.length = w;
}

/**
 * Makes a reduction kernel. `reducer` may depend on the input and output dtypes and on the
 * attributes (to choose among fixed templates, never to embed values); `dimsOf` gives the
 * normalised reduced dims. Outputs are written in row-major order of the kept dims (keepdim does
 * not change the order); extra results go to `outs[1]`, ...
 */
export function reduceKernel<A extends object>(
  reducer: (inDType: string, outDType: string, attrs: A) => Reducer,
  dimsOf: (x: Tensor, attrs: A) => number[],
  prelude: (attrs: A) => string = () => "",
): (inputs: readonly Tensor[], attrs: A, outs: Tensor[]) => void {
  const cache = new Map<string, ReduceLoop>();
  return (inputs, attrs, outs) => {
    const x = inputs[0]!;
    const out = outs[0]!;
    const dims = new Set(dimsOf(x, attrs));
    const outerShape: number[] = [];
    const outerStrides: number[] = [];
    const redShape: number[] = [];
    const redStrides: number[] = [];
    x.shape.forEach((s, i) => {
      if (dims.has(i)) {
        redShape.push(s);
        redStrides.push(x._strides[i]!);
      } else {
        outerShape.push(s);
        outerStrides.push(x._strides[i]!);
      }
    });
    coalesce(outerShape, outerStrides);
    coalesce(redShape, redStrides);
    const r = reducer(x.dtype, out.dtype, attrs);
    const pre = prelude(attrs);
    const key = `${r.init}|${r.step}|${r.result}|${(r.extra ?? []).join("|")}|${pre}`;
    let loop = cache.get(key);
    if (!loop) {
      loop = compileReduce(r, pre);
      cache.set(key, loop);
    }
    loop(x._data(), x._offset, outerShape, outerStrides, redShape, redStrides, outs.map((t) => t._storage!.data), attrs);
  };
}

/** Where the rows along one dim of an input start, and where the matching output rows start. */
export interface RowLayout {
  /** Number of rows (product of the other dims). */
  rows: number;
  /** Input length along the dim (1 for a 0-d input). */
  n: number;
  /** Input stride along the dim. */
  xStride: number;
  /** Output stride along the dim (the output is contiguous with shape `outShape`). */
  outStride: number;
  /** Storage offset of each input row (includes the input's offset). */
  xBase: Int32Array;
  /** Offset of each output row in the contiguous output. */
  outBase: Int32Array;
}

/**
 * Row layout of `x` along `dim` (normalised; any dim of a 0-d tensor) for an output of shape
 * `outShape`, which equals x's shape except possibly along `dim`.
 */
export function rowLayout(x: Tensor, dim: number, outShape: readonly number[] = x.shape): RowLayout {
  if (x.ndim === 0) {
    return { rows: 1, n: 1, xStride: 0, outStride: 0, xBase: Int32Array.of(x._offset), outBase: Int32Array.of(0) };
  }
  const shape = x.shape;
  const oStrides = contiguousStrides(outShape);
  const os: number[] = [];
  const xs: number[] = [];
  const sh: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (i === dim) continue;
    sh.push(shape[i]!);
    xs.push(x._strides[i]!);
    os.push(oStrides[i]!);
  }
  let rows = 1;
  for (const s of sh) rows *= s;
  const xBase = new Int32Array(rows);
  const outBase = new Int32Array(rows);
  const nd = sh.length;
  const idx = new Array<number>(nd).fill(0);
  let px = x._offset;
  let po = 0;
  for (let r = 0; r < rows; r++) {
    xBase[r] = px;
    outBase[r] = po;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      px += xs[d]!;
      po += os[d]!;
      if (idx[d]! < sh[d]!) break;
      px -= xs[d]! * sh[d]!;
      po -= os[d]! * sh[d]!;
      idx[d] = 0;
    }
  }
  return { rows, n: shape[dim]!, xStride: x._strides[dim]!, outStride: oStrides[dim]!, xBase, outBase };
}

/** A reduction's kernel and its rule together, for spreading into a registry entry. */
export function reducing<A extends object>(
  reducer: (inDType: string, outDType: string, attrs: A) => Reducer,
  dimsOf: (x: Tensor, attrs: A) => number[],
  prelude?: (attrs: A) => string,
): { kernel: (inputs: readonly Tensor[], attrs: A, outs: Tensor[]) => void; reduction: { reducer: typeof reducer; prelude?: (attrs: A) => string } } {
  return { kernel: reduceKernel(reducer, dimsOf, prelude), reduction: prelude ? { reducer, prelude } : { reducer } };
}
