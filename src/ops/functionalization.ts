// Ops the compiler inserts to record writes through views functionally: reading a strided window
// of a contiguous root value, and writing one back. They never run through autograd (autograd is
// recorded on tensors above the tracer), so they have no gradient formula.
import type { TypedArray } from "../core/dtype.js";
import { numelOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp } from "./registry.js";

export interface StridedWindow {
  size: number[];
  stride: number[];
  /** Element offset of the window in the root's contiguous layout. */
  offset: number;
}

/** Copies between a strided window of `flat` (at `base`) and the dense array `dense`. */
function copyWindow(w: StridedWindow, flat: TypedArray, base: number, dense: TypedArray, toDense: boolean): void {
  const nd = w.size.length;
  const n = numelOf(w.size);
  const idx = new Array<number>(nd).fill(0);
  let pos = base + w.offset;
  for (let k = 0; k < n; k++) {
    if (toDense) dense[k] = flat[pos]!;
    else flat[pos] = dense[k]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      pos += w.stride[d]!;
      if (idx[d]! < w.size[d]!) break;
      pos -= w.stride[d]! * w.size[d]!;
      idx[d] = 0;
    }
  }
}

export const stridedGather = defineOp<StridedWindow>({
  name: "stridedGather",
  kind: "index",
  meta: ([root], w) => [{ shape: w.size.slice(), dtype: root!.dtype }],
  kernel([root], w, [out]) {
    const flat = root!.contiguous();
    copyWindow(w, flat._data(), flat._offset, out!._storage!.data, true);
  },
  grad: "nondifferentiable",
});

export const stridedScatter = defineOp<StridedWindow>({
  name: "stridedScatter",
  kind: "index",
  meta: ([root]) => [{ shape: root!.shape.slice(), dtype: root!.dtype }],
  kernel([root, src], w, [out]) {
    const dst = out!._storage!.data;
    const flat = root!.contiguous();
    dst.set(flat._data().subarray(flat._offset, flat._offset + dst.length));
    const s = (src as Tensor).contiguous();
    copyWindow(w, dst, 0, s._data().subarray(s._offset), false);
  },
  grad: "nondifferentiable",
});
