// Random ops. Element i of an op is a pure function of (seed, offset + i) of the counter-based
// generator (src/core/random.ts); `seed` and `offset` come from reserveRandom at the call and are
// runtime attributes, so eager and compiled runs draw the same values.
import { castScalar, checkDType, isFloating, type DType } from "../core/dtype.js";
import { ArgumentError, KilnRuntimeError } from "../core/errors.js";
import { normal, uniform24, uniform53 } from "../core/random.js";
import { broadcastShapes, checkInt, checkNumber, checkShape, formatShape, numelOf, shapesEqual } from "../core/shape.js";
import { gatherContiguous } from "../core/tensor.js";
import { broadcastStrides } from "./pointwise-kernel.js";
import { defineOp } from "./registry.js";

export interface RandomAttrs {
  seed: number;
  offset: number;
}

export interface UniformAttrs extends RandomAttrs {
  shape: number[];
  dtype: DType;
  low: number;
  high: number;
}

/** uniform values in [low, high): 24 random bits per float32 element, 53 per float64. */
export const uniform = defineOp<UniformAttrs>({
  name: "uniform",
  kind: "random",
  meta(_i, { shape, dtype, low, high }) {
    checkNumber(low, "uniform(): from");
    checkNumber(high, "uniform(): to");
    if (low > high) throw new ArgumentError(`uniform_ expects to return a [from, to) range, but found from=${low} > to=${high}`);
    return [{ shape: checkShape(shape), dtype: checkDType(dtype) }];
  },
  kernel(_i, { dtype, low, high, seed, offset }, [out]) {
    const o = out!._storage!.data;
    const span = high - low;
    if (dtype === "float64") for (let i = 0; i < o.length; i++) o[i] = low + span * uniform53(seed, offset + i);
    else for (let i = 0; i < o.length; i++) o[i] = castScalar(low + span * uniform24(seed, offset + i), dtype);
  },
  grad: "nondifferentiable",
  runtimeAttrs: ["seed", "offset"],
});

export interface NormalAttrs extends RandomAttrs {
  shape: number[];
  dtype: DType;
  mean: number;
  std: number;
}

/** normal values with the given mean and standard deviation (Box–Muller per element). */
export const normalOp = defineOp<NormalAttrs>({
  name: "normal",
  kind: "random",
  meta(_i, { shape, dtype, mean, std }) {
    checkNumber(mean, "normal(): mean");
    checkNumber(std, "normal(): std");
    if (std < 0) throw new ArgumentError(`normal expects std >= 0.0, but found std ${std}`);
    const dt = checkDType(dtype);
    if (!isFloating(dt)) throw new ArgumentError(`"normal_kernel_cpu" not implemented for '${dt === "bool" ? "Bool" : "Int"}'`);
    return [{ shape: checkShape(shape), dtype: dt }];
  },
  kernel(_i, { mean, std, seed, offset }, [out]) {
    const o = out!._storage!.data;
    for (let i = 0; i < o.length; i++) o[i] = mean + std * normal(seed, offset + i);
  },
  grad: "nondifferentiable",
  runtimeAttrs: ["seed", "offset"],
});

export interface RandintAttrs extends RandomAttrs {
  shape: number[];
  dtype: DType;
  low: number;
  high: number;
}

/** Integers uniform in [low, high). */
export const randint = defineOp<RandintAttrs>({
  name: "randint",
  kind: "random",
  meta(_i, { shape, dtype, low, high }) {
    checkInt(low, "randint(): low");
    checkInt(high, "randint(): high");
    if (low >= high) throw new ArgumentError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
    return [{ shape: checkShape(shape), dtype: checkDType(dtype) }];
  },
  kernel(_i, { dtype, low, high, seed, offset }, [out]) {
    const o = out!._storage!.data;
    const span = high - low;
    for (let i = 0; i < o.length; i++) o[i] = castScalar(low + Math.floor(span * uniform53(seed, offset + i)), dtype);
  },
  grad: "nondifferentiable",
  runtimeAttrs: ["seed", "offset"],
});

export interface RandpermAttrs extends RandomAttrs {
  n: number;
  dtype: DType;
}

/** A random permutation of 0..n-1: the indices sorted by one random key each. */
export const randperm = defineOp<RandpermAttrs>({
  name: "randperm",
  kind: "random",
  meta(_i, { n, dtype }) {
    checkInt(n, "randperm(): n");
    if (n < 0) throw new ArgumentError(`n must be non-negative, got ${n}`);
    return [{ shape: [n], dtype: checkDType(dtype) }];
  },
  kernel(_i, { n, seed, offset }, [out]) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = uniform53(seed, offset + i);
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => keys[a]! - keys[b]! || a - b);
    out!._storage!.data.set(idx);
  },
  grad: "nondifferentiable",
  runtimeAttrs: ["seed", "offset"],
});

export interface BernoulliAttrs extends RandomAttrs {
  shape: number[];
  dtype: DType;
}

/** 1 with probability p (input 0, broadcast to `shape`), else 0. */
export const bernoulli = defineOp<BernoulliAttrs>({
  name: "bernoulli",
  kind: "random",
  meta([p], { shape, dtype }) {
    const s = checkShape(shape);
    if (!shapesEqual(broadcastShapes(p!.shape, s), s)) {
      throw new ArgumentError(`bernoulli(): probabilities of size ${formatShape(p!.shape)} cannot be broadcast to ${formatShape(s)}`);
    }
    return [{ shape: s, dtype: checkDType(dtype) }];
  },
  kernel([p], { shape, seed, offset }, [out]) {
    const probs = gatherContiguous(p!._data(), shape, broadcastStrides(p!, shape), p!._offset);
    const o = out!._storage!.data;
    const n = numelOf(shape);
    for (let i = 0; i < n; i++) {
      const q = probs[i]!;
      if (!(q >= 0 && q <= 1)) throw new KilnRuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
      o[i] = uniform53(seed, offset + i) < q ? 1 : 0;
    }
  },
  grad: "nondifferentiable",
  runtimeAttrs: ["seed", "offset"],
});
