// Builds eager kernels for pointwise ops from the op's scalar expression. Each (op, layout) pair
// gets its own generated loop so V8 sees the expression inline: no function call per element.
// The same expressions are what the compiler's code generator fuses.
import type { DType, TypedArray } from "../core/dtype.js";
import { numelOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";

/**
 * A pointwise op's scalar rule: given JS expressions for its inputs (already read as numbers),
 * the dtype the result is computed in and the op's attributes, returns a JS expression for one
 * output element. `dtype` is the output dtype; inputs keep their own dtypes.
 */
export type ScalarExpr<A> = (args: string[], dtype: DType, attrs: A, inputDTypes: DType[]) => string;

type Layout = "c" | "s" | "g"; // contiguous same-shape, single element, general strided

function layoutOf(t: Tensor, outShape: readonly number[], n: number): Layout {
  if (t.numel() === 1) return "s";
  if (t.isContiguous() && numelOf(t.shape) === n && t.ndim === outShape.length) return "c";
  return "g";
}

/** Strides of `t` aligned to `outShape`, zero on broadcast dims. */
export function broadcastStrides(t: Tensor, outShape: readonly number[]): number[] {
  const nd = outShape.length;
  const off = nd - t.ndim;
  const s = new Array<number>(nd).fill(0);
  for (let i = 0; i < t.ndim; i++) s[off + i] = t.shape[i] === 1 ? 0 : t._strides[i]!;
  return s;
}

type CompiledLoop = (datas: TypedArray[], offsets: number[], strides: number[][], out: TypedArray, outOffset: number, shape: readonly number[], n: number, attrs: object) => void;

/** Emits the loop for one layout combination. `expr` refers to x0..xk. */
function compileLoop(layouts: Layout[], expr: string, prelude: string): CompiledLoop {
  const k = layouts.length;
  const lines: string[] = [];
  lines.push(prelude);
  for (let j = 0; j < k; j++) lines.push(`const d${j} = datas[${j}], o${j} = offsets[${j}];`);
  const general = layouts.includes("g");
  if (!general) {
    for (let j = 0; j < k; j++) if (layouts[j] === "s") lines.push(`const x${j} = d${j}[o${j}];`);
    lines.push(`for (let i = 0; i < n; i++) {`);
    for (let j = 0; j < k; j++) if (layouts[j] === "c") lines.push(`  const x${j} = d${j}[o${j} + i];`);
    lines.push(`  out[outOffset + i] = ${expr};`);
    lines.push(`}`);
  } else {
    // Odometer over all dims but the last; the last dim is a tight loop with hoisted strides.
    lines.push(`const nd = shape.length;`);
    lines.push(`if (n === 0) return;`);
    lines.push(`const last = nd - 1, inner = nd === 0 ? 1 : shape[last];`);
    for (let j = 0; j < k; j++) {
      lines.push(`const st${j} = strides[${j}], in${j} = nd === 0 ? 0 : st${j}[last]; let p${j} = o${j};`);
    }
    lines.push(`const idx = new Array(nd).fill(0);`);
    lines.push(`let w = outOffset;`);
    lines.push(`for (let done = 0; done < n; done += inner) {`);
    lines.push(`  for (let i = 0; i < inner; i++) {`);
    for (let j = 0; j < k; j++) lines.push(`    const x${j} = d${j}[p${j} + i * in${j}];`);
    lines.push(`    out[w++] = ${expr};`);
    lines.push(`  }`);
    lines.push(`  for (let d = last - 1; d >= 0; d--) {`);
    lines.push(`    idx[d]++;`);
    for (let j = 0; j < k; j++) lines.push(`    p${j} += st${j}[d];`);
    lines.push(`    if (idx[d] < shape[d]) break;`);
    for (let j = 0; j < k; j++) lines.push(`    p${j} -= st${j}[d] * shape[d];`);
    lines.push(`    idx[d] = 0;`);
    lines.push(`  }`);
    lines.push(`}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("datas", "offsets", "strides", "out", "outOffset", "shape", "n", "attrs", lines.join("\n")) as CompiledLoop;
}

/**
 * Makes the eager kernel of a pointwise op. The output is contiguous (or the contiguous target of
 * an in-place op). `prelude` may declare constants from `attrs` used by the expression.
 */
const DTYPE_CODE: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

interface LoopEntry {
  code: string;
  pre: string;
  loop: CompiledLoop;
}

export function pointwiseKernel<A extends object>(
  expr: ScalarExpr<A>,
  prelude: (attrs: A) => string = () => "",
): (inputs: readonly Tensor[], attrs: A, outs: Tensor[]) => void {
  // Keyed by a number packing each input's layout and dtype and the output dtype; the expression
  // text (which may depend on attributes) is compared within the bucket.
  const cache = new Map<number, LoopEntry[]>();
  return (inputs, attrs, outs) => {
    const out = outs[0]!;
    const shape = out.shape;
    const n = numelOf(shape);
    const k = inputs.length;
    const layouts: Layout[] = new Array(k);
    const dtypes: DType[] = new Array(k);
    let key = DTYPE_CODE[out.dtype];
    let general = false;
    for (let j = 0; j < k; j++) {
      const t = inputs[j]!;
      const l = layoutOf(t, shape, n);
      layouts[j] = l;
      dtypes[j] = t.dtype;
      if (l === "g") general = true;
      key = key * 16 + (l === "c" ? 0 : l === "s" ? 4 : 8) + DTYPE_CODE[t.dtype];
    }
    const args = ARG_NAMES.slice(0, k);
    const code = expr(args, out.dtype, attrs, dtypes);
    const pre = prelude(attrs);
    let bucket = cache.get(key);
    if (!bucket) cache.set(key, (bucket = []));
    let entry: LoopEntry | undefined;
    for (const e of bucket) {
      if (e.code === code && e.pre === pre) {
        entry = e;
        break;
      }
    }
    if (!entry) {
      entry = { code, pre, loop: compileLoop(layouts, out.dtype === "bool" ? `((${code}) ? 1 : 0)` : code, pre) };
      bucket.push(entry);
    }
    const datas: TypedArray[] = new Array(k);
    const offsets: number[] = new Array(k);
    for (let j = 0; j < k; j++) {
      datas[j] = inputs[j]!._data();
      offsets[j] = inputs[j]!._offset;
    }
    entry.loop(datas, offsets, general ? inputs.map((t) => broadcastStrides(t, shape)) : NO_STRIDES, out._storage!.data, out._offset, shape, n, attrs);
  };
}

const ARG_NAMES = ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"];
const NO_STRIDES: number[][] = [];
