// Ops the compiler inserts to record writes through views functionally: reading a strided window
// of a contiguous root value, and writing one back. They never run through autograd (autograd is
// recorded on tensors above the tracer), so they have no gradient formula.
import { contiguousStrides } from "../core/shape.js";
import { stridedCopy } from "../core/strided.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp } from "./registry.js";

export interface StridedWindow {
  size: number[];
  stride: number[];
  /** Element offset of the window in the root's contiguous layout. */
  offset: number;
}

export const stridedGather = defineOp<StridedWindow>({
  name: "stridedGather",
  kind: "index",
  meta: ([root], w) => [{ shape: w.size.slice(), dtype: root!.dtype }],
  kernel([root], w, [out]) {
    const flat = root!.contiguous();
    stridedCopy(flat._data(), flat._offset + w.offset, w.stride, w.size, out!._storage!.data, 0, contiguousStrides(w.size));
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
    stridedCopy(s._data(), s._offset, contiguousStrides(w.size), w.size, dst, w.offset, w.stride);
  },
  grad: "nondifferentiable",
});
