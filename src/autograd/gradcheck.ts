// gradcheck: compares analytical gradients with central finite differences in float64.
import { KilnError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { grad } from "./engine.js";
import { noGrad } from "../dispatch/grad-mode.js";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw on failure (default) or return false. */
  raiseException?: boolean;
}

/**
 * Checks gradients of `fn` at `inputs` (float64 tensors; those with requiresGrad are checked).
 * The output's gradient is projected on a fixed random-looking direction so one backward suffices.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const checked = inputs.filter((t) => t.requiresGrad);
  for (const t of checked) {
    if (t.dtype !== "float64") throw new KilnError(`gradcheck expects float64 inputs, got ${t.dtype}`);
  }
  const out0 = fn(...inputs);
  const n = out0.numel();
  const dirData = new Float64Array(n);
  for (let i = 0; i < n; i++) dirData[i] = Math.sin(i * 1.7 + 0.3) + 1.1;
  const dir = Tensor.fromData(dirData, out0.shape.slice(), "float64");
  const project = (o: Tensor): number => {
    const a = o.to("float64").toArray();
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * dirData[i]!;
    return s;
  };
  const analytical = grad([out0], checked, { gradOutputs: [out0.dtype === "float64" ? dir : dir.to(out0.dtype)], allowUnused: true });
  for (let k = 0; k < checked.length; k++) {
    const t = checked[k]!;
    const a = analytical[k] ? analytical[k]!.toArray() : new Float64Array(t.numel());
    const data = t._storage!.data;
    const flatIndex = contiguousPositions(t);
    for (let i = 0; i < flatIndex.length; i++) {
      const p = flatIndex[i]!;
      const orig = data[p]!;
      data[p] = orig + eps;
      const plus = noGrad(() => project(fn(...inputs)));
      data[p] = orig - eps;
      const minus = noGrad(() => project(fn(...inputs)));
      data[p] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const ana = a[i]!;
      if (!(Math.abs(numeric - ana) <= atol + rtol * Math.abs(numeric))) {
        if (options.raiseException === false) return false;
        throw new KilnError(
          `Jacobian mismatch for input ${inputs.indexOf(t)} at element ${i}: numerical ${numeric}, analytical ${ana}`,
        );
      }
    }
  }
  return true;
}

function contiguousPositions(t: Tensor): number[] {
  const out: number[] = [];
  const shape = t.shape;
  const nd = shape.length;
  const n = t.numel();
  const idx = new Array<number>(nd).fill(0);
  for (let k = 0; k < n; k++) {
    let p = t._offset;
    for (let d = 0; d < nd; d++) p += idx[d]! * t._strides[d]!;
    out.push(p);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
