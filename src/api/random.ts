// Public random functions (rand, randn, randint, randperm, bernoulli, randLike, randnLike) and the
// in-place initialisers nn.init builds on (uniform_, normal_, bernoulli_). Each call reserves its
// counters of the global stream, so manualSeed(s) followed by the same calls gives the same values.
import { checkDType, isFloating, type DType } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { reserveRandom } from "../core/random.js";
import { checkInt, checkNumber, numelOf } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { dispatch1, writeInto } from "../dispatch/dispatch.js";
import { toTensor } from "../core/operands.js";
import { type SizeArg, type TensorOptions } from "./creation.js";
import { finishLeaf, sizeOf } from "./creation-args.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/random.js";

function floatDType(options: TensorOptions, op: string): DType {
  const dtype = options.dtype === undefined ? "float32" : checkDType(options.dtype);
  if (!isFloating(dtype)) throw new ArgumentError(`${op}(): expected a floating point dtype, but got ${dtype}`);
  return dtype;
}

function uniformOf(shape: number[], dtype: DType, low: number, high: number): Tensor {
  return dispatch1("uniform", [], { shape, dtype, low, high, ...reserveRandom(numelOf(shape)) });
}

function normalOf(shape: number[], dtype: DType, mean: number, std: number): Tensor {
  return dispatch1("normal", [], { shape, dtype, mean, std, ...reserveRandom(numelOf(shape)) });
}

/** torch.rand: uniform on [0, 1). */
export function rand(size: SizeArg, options: TensorOptions = {}): Tensor {
  return finishLeaf(uniformOf(sizeOf(size, "rand"), floatDType(options, "rand"), 0, 1), options);
}

/** torch.randn: standard normal. */
export function randn(size: SizeArg, options: TensorOptions = {}): Tensor {
  return finishLeaf(normalOf(sizeOf(size, "randn"), floatDType(options, "randn"), 0, 1), options);
}

export function randLike(input: Tensor, options: TensorOptions = {}): Tensor {
  const x = toTensor(input, "randLike", "input", false);
  return rand(x.shape, { ...options, dtype: options.dtype ?? x.dtype });
}

export function randnLike(input: Tensor, options: TensorOptions = {}): Tensor {
  const x = toTensor(input, "randnLike", "input", false);
  return randn(x.shape, { ...options, dtype: options.dtype ?? x.dtype });
}

/** torch.randint: `randint(high, size)` or `randint(low, high, size)`; int32 unless a dtype is given. */
export function randint(high: number, size: SizeArg, options?: TensorOptions): Tensor;
export function randint(low: number, high: number, size: SizeArg, options?: TensorOptions): Tensor;
export function randint(a: number, b: number | SizeArg, c?: SizeArg | TensorOptions, d?: TensorOptions): Tensor {
  let low = 0;
  let high: number;
  let size: unknown;
  let options: TensorOptions;
  if (typeof b === "number" && (typeof c === "number" || Array.isArray(c))) {
    [low, high, size, options] = [a, b, c, d ?? {}];
  } else {
    [high, size, options] = [a, b, (c as TensorOptions | undefined) ?? {}];
  }
  checkInt(low, "randint(): argument 'low'");
  checkInt(high, "randint(): argument 'high'");
  const shape = sizeOf(size, "randint");
  const dtype = options.dtype === undefined ? "int32" : checkDType(options.dtype);
  return finishLeaf(dispatch1("randint", [], { shape, dtype, low, high, ...reserveRandom(numelOf(shape)) }), options);
}

/** torch.randperm: a random permutation of 0..n-1 (int32 unless a dtype is given). */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  checkInt(n, "randperm(): argument 'n'");
  const dtype = options.dtype === undefined ? "int32" : checkDType(options.dtype);
  return finishLeaf(dispatch1("randperm", [], { n, dtype, ...reserveRandom(Math.max(n, 0)) }), options);
}

export interface BernoulliOptions {
  /** A fixed probability instead of the input's values (PyTorch's bernoulli(input, p)). */
  p?: number;
}

/** torch.bernoulli: 1 with probability input[i] (or `p`), else 0; same shape and dtype as input. */
export function bernoulli(input: Tensor, options: BernoulliOptions = {}): Tensor {
  const x = toTensor(input, "bernoulli", "input", false);
  let probs = x;
  if (options.p !== undefined) probs = toTensor(checkP(options.p, "bernoulli"), "bernoulli", "p");
  else if (!isFloating(x.dtype)) throw new ArgumentError(`bernoulli(): expected a floating point tensor of probabilities, but got ${x.dtype}`);
  const shape = x.shape.slice();
  return dispatch1("bernoulli", [probs], { shape, dtype: x.dtype, ...reserveRandom(numelOf(shape)) });
}

function checkP(p: unknown, op: string): number {
  checkNumber(p, `${op}(): p`);
  if ((p as number) < 0 || (p as number) > 1) throw new ArgumentError(`${op} expects p to be in [0, 1], but got p=${String(p)}`);
  return p as number;
}

const randomMethods = {
  /** Fills with values uniform on [from, to). */
  uniform_(self: Tensor, from = 0, to = 1): Tensor {
    const x = toTensor(self, "uniform_", "self", false);
    if (!isFloating(x.dtype)) throw new ArgumentError(`"check_uniform_bounds" not implemented for '${x.dtype}'`);
    return writeInto(x, uniformOf(x.shape.slice(), x.dtype, from, to), "uniform_");
  },
  /** Fills with normal values of the given mean and standard deviation. */
  normal_(self: Tensor, mean = 0, std = 1): Tensor {
    const x = toTensor(self, "normal_", "self", false);
    return writeInto(x, normalOf(x.shape.slice(), x.dtype, mean, std), "normal_");
  },
  /** Fills with 1 at probability p (a number, or a tensor broadcast to self's shape), else 0. */
  bernoulli_(self: Tensor, p: number | Tensor = 0.5): Tensor {
    const x = toTensor(self, "bernoulli_", "self", false);
    if (typeof p !== "number" && !(p instanceof Tensor)) {
      throw new ArgumentError(`bernoulli_(): argument 'p' must be Tensor or number, not ${describeValue(p)}`);
    }
    const probs = typeof p === "number" ? toTensor(checkP(p, "bernoulli_"), "bernoulli_", "p") : p;
    const shape = x.shape.slice();
    return writeInto(x, dispatch1("bernoulli", [probs], { shape, dtype: x.dtype, ...reserveRandom(numelOf(shape)) }), "bernoulli_");
  },
  bernoulli,
};
installMethods(randomMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof randomMethods> {}
}
