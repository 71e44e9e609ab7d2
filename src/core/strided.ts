// Loops over strided layouts shared by kernels: the storage offset of every row (all dims but the
// last) is found with one odometer step per row, so inner loops run with a hoisted stride.
import type { TypedArray } from "./dtype.js";
import { numelOf } from "./shape.js";

/**
 * Storage offsets of the first element of every row (all dims but the last) of a strided layout,
 * found with one odometer step per row. A 0-d layout has one row of one element.
 */
export function rowStarts(shape: readonly number[], strides: readonly number[], offset: number): Float64Array {
  const nd = shape.length;
  if (nd <= 1) return Float64Array.of(offset);
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= shape[d]!;
  const out = new Float64Array(rows);
  if (rows === 0) return out;
  const idx = new Array<number>(nd - 1).fill(0);
  let p = offset;
  for (let r = 0; r < rows; r++) {
    out[r] = p;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      p += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Length of a layout's rows (its last dim; 1 for 0-d). */
export function rowLength(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}

/**
 * Copies a strided source layout into a strided destination layout of the same shape. Values
 * convert as TypedArray assignment does (callers only widen: bool → int → float).
 */
export function stridedCopy(
  src: TypedArray,
  srcOffset: number,
  srcStrides: readonly number[],
  shape: readonly number[],
  dst: TypedArray,
  dstOffset: number,
  dstStrides: readonly number[],
): void {
  if (numelOf(shape) === 0) return;
  const nd = shape.length;
  const inner = rowLength(shape);
  const si = nd === 0 ? 0 : srcStrides[nd - 1]!;
  const di = nd === 0 ? 0 : dstStrides[nd - 1]!;
  const sr = rowStarts(shape, srcStrides, srcOffset);
  const dr = rowStarts(shape, dstStrides, dstOffset);
  const rows = sr.length;
  if (si === 1 && di === 1) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(sr[r]!, sr[r]! + inner), dr[r]!);
    return;
  }
  for (let r = 0; r < rows; r++) {
    let p = sr[r]!;
    let q = dr[r]!;
    for (let j = 0; j < inner; j++, p += si, q += di) dst[q] = src[p]!;
  }
}

