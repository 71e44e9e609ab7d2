// nn.utils: gradient clipping and parameter/vector conversion.
import { ArgumentError, KilnRuntimeError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { noGrad } from "../dispatch/grad-mode.js";
import { norm } from "../api/reduce.js";
import { stack, cat } from "../api/indexing.js";
import { clamp } from "../api/pointwise.js";
import { tensor } from "../api/creation.js";
import "../api/shape.js";

function tensorList(parameters: Tensor | Iterable<Tensor>): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (parameters === null || typeof parameters !== "object" || !(Symbol.iterator in parameters)) {
    throw new ArgumentError("parameters must be a Tensor or an iterable of Tensors");
  }
  return [...parameters];
}

export interface ClipGradNormOptions {
  /** Order of the norm (default 2; Infinity for the max norm). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (reads the norm: a graph break when compiled). */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `parameters` in place so that their total norm (the norm of the
 * per-gradient norms) is at most maxNorm; returns the total norm before clipping as a 0-d tensor.
 * Computed with tensor ops only, so it needs no data read.
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  const normType = options.normType ?? 2;
  const grads = tensorList(parameters)
    .map((p) => p.grad)
    .filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return tensor(0.0, { dtype: "float32" });
  return noGrad(() => {
    const norms = grads.map((g) => norm(g, normType));
    const dtype = norms[0]!.dtype;
    const stacked = norms.length === 1 ? norms[0]!.reshape([1]) : stack(norms.map((n) => n.to(dtype)));
    const total = normType === Infinity ? stacked.amax() : norm(stacked, normType);
    if (options.errorIfNonfinite) {
      const v = Number(total.item());
      if (!Number.isFinite(v)) {
        throw new KilnRuntimeError(
          `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite: false\``,
        );
      }
    }
    const coef = clamp(total.add(1e-6).reciprocal().mul(maxNorm), null, 1.0);
    for (const g of grads) g.mul_(coef.to(g.dtype));
    return total;
  });
}

/** Clamps every gradient of `parameters` to [−clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  noGrad(() => {
    for (const p of tensorList(parameters)) {
      if (p.grad !== null) p.grad.copy_(clamp(p.grad, -clipValue, clipValue));
    }
  });
}

/** All parameters flattened and concatenated into one 1-d tensor. */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  return cat([...parameters].map((p) => p.reshape([-1])));
}

/** Copies consecutive slices of `vec` into the parameters (under noGrad). */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (vec.ndim !== 1) throw new ArgumentError(`expected a 1-d vector, but got a ${vec.ndim}-d tensor`);
  noGrad(() => {
    let pos = 0;
    for (const p of parameters) {
      const n = p.numel();
      p.copy_(vec.narrow(0, pos, n).reshape(p.shape.slice()));
      pos += n;
    }
  });
}
