// Dropout: zeroes elements with probability p and scales the rest by 1/(1−p). The keep mask of
// element i is drawn from counter `offset + i` of the counter-based generator, so eager and
// compiled runs drop the same elements; the mask is a second (bool) output used by the gradient.
import { uniform24 } from "../core/random.js";
import { ArgumentError } from "../core/errors.js";
import { defineOp } from "./registry.js";
import { contiguousData, requireFloatInput } from "./normalization.js";

export interface DropoutAttrs {
  p: number;
  seed: number;
  offset: number;
}

/** The scale applied to kept elements (p = 1 drops everything). */
export function dropoutScale(p: number): number {
  return p >= 1 ? 0 : 1 / (1 - p);
}

export function checkDropoutP(p: unknown): number {
  if (typeof p !== "number" || Number.isNaN(p) || p < 0 || p > 1) {
    throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
  return p;
}

export const dropout = defineOp<DropoutAttrs>({
  name: "dropout",
  kind: "random",
  meta([x], attrs) {
    requireFloatInput("dropout", x!);
    checkDropoutP(attrs.p);
    return [
      { shape: x!.shape.slice(), dtype: x!.dtype },
      { shape: x!.shape.slice(), dtype: "bool" },
    ];
  },
  kernel([x], { p, seed, offset }, outs) {
    const { d, o } = contiguousData(x!);
    const y = outs[0]!._storage!.data;
    const mask = outs[1]!._storage!.data;
    const scale = dropoutScale(p);
    const n = y.length;
    for (let i = 0; i < n; i++) {
      const keep = uniform24(seed, offset + i) >= p;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? d[o + i]! * scale : 0;
    }
  },
  grad: (ctx, [g]) => [g ? g.mul(ctx.output(1)).mul(dropoutScale(ctx.attrs.p)) : null],
  runtimeAttrs: ["seed", "offset"],
});
