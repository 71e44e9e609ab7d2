// Creation ops: tensors made from sizes and numbers alone (zeros, ones, full, arange, linspace, eye).
// They have no tensor inputs, so a tracer records them like any other op; attributes carry all.
import { castScalar, checkDType, type DType } from "../core/dtype.js";
import { ArgumentError } from "../core/errors.js";
import { checkInt, checkNumber, checkShape } from "../core/shape.js";
import { defineOp, type OutputMeta } from "./registry.js";

export interface FillAttrs {
  shape: number[];
  dtype: DType;
  value: number;
}

export interface SizeDTypeAttrs {
  shape: number[];
  dtype: DType;
}

function sizeMeta(shape: unknown, dtype: unknown): OutputMeta[] {
  return [{ shape: checkShape(shape), dtype: checkDType(dtype) }];
}

/** zeros. Fresh outputs are zero already, but a compiled graph may hand the kernel a reused buffer. */
export const zeros = defineOp<SizeDTypeAttrs>({
  name: "zeros",
  kind: "creation",
  meta: (_i, { shape, dtype }) => sizeMeta(shape, dtype),
  kernel: (_i, _a, [out]) => void out!._storage!.data.fill(0),
  grad: "nondifferentiable",
});

export const ones = defineOp<SizeDTypeAttrs>({
  name: "ones",
  kind: "creation",
  meta: (_i, { shape, dtype }) => sizeMeta(shape, dtype),
  kernel: (_i, _a, [out]) => void out!._storage!.data.fill(1),
  grad: "nondifferentiable",
});

export const full = defineOp<FillAttrs>({
  name: "full",
  kind: "creation",
  meta(_i, { shape, dtype, value }) {
    checkNumber(value, "full(): fill_value", true);
    return sizeMeta(shape, dtype);
  },
  kernel: (_i, { value, dtype }, [out]) => void out!._storage!.data.fill(castScalar(value, dtype)),
  grad: "nondifferentiable",
});

export interface ArangeAttrs {
  start: number;
  end: number;
  step: number;
  dtype: DType;
}

/** Number of elements of arange(start, end, step), with PyTorch's checks. */
export function arangeLength({ start, end, step }: ArangeAttrs): number {
  checkNumber(start, "arange(): start");
  checkNumber(end, "arange(): end");
  checkNumber(step, "arange(): step");
  if (step === 0) throw new ArgumentError("step must be nonzero");
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ArgumentError(`unsupported range: ${start} -> ${end}`);
  if (!((step > 0 && end >= start) || (step < 0 && end <= start))) {
    throw new ArgumentError("upper bound and larger bound inconsistent with step sign");
  }
  const n = Math.ceil((end - start) / step);
  if (!Number.isSafeInteger(n) || n > 2 ** 31) throw new ArgumentError(`invalid size, possible overflow?`);
  return n;
}

export const arange = defineOp<ArangeAttrs>({
  name: "arange",
  kind: "creation",
  meta: (_i, attrs) => [{ shape: [arangeLength(attrs)], dtype: checkDType(attrs.dtype) }],
  kernel(_i, { start, step, dtype }, [out]) {
    const o = out!._storage!.data;
    for (let i = 0; i < o.length; i++) o[i] = castScalar(start + step * i, dtype);
  },
  grad: "nondifferentiable",
});

export interface LinspaceAttrs {
  start: number;
  end: number;
  steps: number;
  dtype: DType;
}

/** linspace, computed like PyTorch's CPU kernel: from both ends towards the middle, in the output's precision. */
export const linspace = defineOp<LinspaceAttrs>({
  name: "linspace",
  kind: "creation",
  meta(_i, { start, end, steps, dtype }) {
    checkNumber(start, "linspace(): start");
    checkNumber(end, "linspace(): end");
    checkInt(steps, "linspace(): steps");
    if (steps < 0) throw new ArgumentError("number of steps must be non-negative");
    return [{ shape: [steps], dtype: checkDType(dtype) }];
  },
  kernel(_i, { start, end, steps, dtype }, [out]) {
    const o = out!._storage!.data;
    if (steps === 0) return;
    if (steps === 1) {
      o[0] = castScalar(start, dtype);
      return;
    }
    const r = dtype === "float32" ? Math.fround : (v: number) => v;
    const s = r(start);
    const e = r(end);
    const step = r(r(e - s) / (steps - 1));
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) {
      const v = i < half ? r(s + r(step * i)) : r(e - r(step * (steps - i - 1)));
      o[i] = castScalar(v, dtype);
    }
  },
  grad: "nondifferentiable",
});

export interface EyeAttrs {
  n: number;
  m: number;
  dtype: DType;
}

export const eye = defineOp<EyeAttrs>({
  name: "eye",
  kind: "creation",
  meta(_i, { n, m, dtype }) {
    checkInt(n, "eye(): n");
    checkInt(m, "eye(): m");
    if (n < 0) throw new ArgumentError(`n must be greater or equal to 0, got ${n}`);
    if (m < 0) throw new ArgumentError(`m must be greater or equal to 0, got ${m}`);
    return [{ shape: [n, m], dtype: checkDType(dtype) }];
  },
  kernel(_i, { n, m }, [out]) {
    const o = out!._storage!.data;
    o.fill(0);
    for (let i = 0; i < Math.min(n, m); i++) o[i * m + i] = 1;
  },
  grad: "nondifferentiable",
});
