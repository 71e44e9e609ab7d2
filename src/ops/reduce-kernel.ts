// Builds eager kernels for reductions over any set of dims from an accumulator description.
// Output element loops are odometers over kept dims; the reduced block is walked with hoisted
// strides, the innermost reduced dim as a tight loop.
import type { TypedArray } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";

/** How to reduce: JS statements over `acc` and the element `x`, with the count `count`. */
export interface Reducer {
  /** Declares and initialises the accumulator(s), e.g. `let acc = 0;`. */
  init: string;
  /** Updates the accumulator with element `x` (at reduced position `r`, 0-based). */
  step: string;
  /** Expression for the result from `acc` and `count`. */
  result: string;
}

type ReduceLoop = (
  data: TypedArray,
  offset: number,
  outerShape: number[],
  outerStrides: number[],
  redShape: number[],
  redStrides: number[],
  out: TypedArray,
  attrs: object,
) => void;

function compileReduce(r: Reducer, prelude: string): ReduceLoop {
  const src = `
${prelude}
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
  for (let d = no - 1; d >= 0; d--) {
    oidx[d]++; base += outerStrides[d];
    if (oidx[d] < outerShape[d]) break;
    base -= outerStrides[d] * outerShape[d]; oidx[d] = 0;
  }
}`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("data", "offset", "outerShape", "outerStrides", "redShape", "redStrides", "out", "attrs", src) as ReduceLoop;
}

/**
 * Makes a reduction kernel. `reducer` may depend on the input and output dtypes; `dimsOf` gives
 * the normalised reduced dims from the attributes. Outputs are written in row-major order of the
 * kept dims (keepdim does not change the order).
 */
export function reduceKernel<A extends object>(
  reducer: (inDType: string, outDType: string) => Reducer,
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
    const r = reducer(x.dtype, out.dtype);
    const pre = prelude(attrs);
    const key = `${r.init}|${r.step}|${r.result}|${pre}`;
    let loop = cache.get(key);
    if (!loop) {
      loop = compileReduce(r, pre);
      cache.set(key, loop);
    }
    loop(x._data(), x._offset, outerShape, outerStrides, redShape, redStrides, out._storage!.data, attrs);
  };
}
