// Helpers for gradient formulas, written with tensor ops so backward passes are traceable.
import type { Tensor } from "../core/tensor.js";

/** Sums a broadcast gradient back to the shape of the input it came from. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  let r = dims.length ? g.sum(dims, { keepdim: true }) : g;
  if (lead > 0 || r.ndim !== shape.length) r = r.reshape(shape.slice());
  return r;
}

/** Casts a gradient to the dtype of the input it belongs to (e.g. float64 grads of float32 inputs). */
export function gradAs(g: Tensor, dtype: string): Tensor {
  return g.dtype === dtype ? g : g.to(dtype as Tensor["dtype"]);
}
