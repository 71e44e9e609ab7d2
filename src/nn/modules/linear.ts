// Identity, Linear and Bilinear, with PyTorch's default initialisation.
import type { Tensor } from "../../core/tensor.js";
import { linear } from "../../api/conv.js";
import "../../api/pointwise.js";
import "../../api/reduce.js";
import "../../api/shape.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.js";
import { checkPositiveInt, newParameter, type FactoryOptions } from "./common.js";

/** Returns its input unchanged. */
export class Identity extends Module {
  override forward(input: Tensor): Tensor {
    return input;
  }
}

export interface LinearOptions extends FactoryOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * y = x·Wᵀ + b with weight [outFeatures, inFeatures] and bias [outFeatures]. Default init as
 * PyTorch's: kaiming_uniform_(W, a=√5), i.e. U(−1/√inFeatures, 1/√inFeatures), and the bias
 * U(−1/√fanIn, 1/√fanIn).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkPositiveInt(inFeatures, "in_features", true);
    this.outFeatures = checkPositiveInt(outFeatures, "out_features", true);
    this.weight = newParameter([outFeatures, inFeatures], options.dtype);
    this.bias = options.bias ?? true ? newParameter([outFeatures], options.dtype) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * y = x1ᵀ·A·x2 + b with weight [outFeatures, in1Features, in2Features]; weight and bias start
 * U(−1/√in1Features, 1/√in1Features) as PyTorch's.
 */
export class Bilinear extends Module {
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.in1Features = checkPositiveInt(in1Features, "in1_features", true);
    this.in2Features = checkPositiveInt(in2Features, "in2_features", true);
    this.outFeatures = checkPositiveInt(outFeatures, "out_features", true);
    this.weight = newParameter([outFeatures, in1Features, in2Features], options.dtype);
    this.bias = options.bias ?? true ? newParameter([outFeatures], options.dtype) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]!);
    uniform_(this.weight, -bound, bound);
    if (this.bias !== null) uniform_(this.bias, -bound, bound);
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    const lead = input1.shape.slice(0, -1);
    const { in1Features: i1, in2Features: i2, outFeatures: o } = this;
    const x1 = input1.reshape([-1, i1]);
    const x2 = input2.reshape([-1, i2]);
    // (x1 · A_k) for every k at once: [B, i1] @ [i1, o·i2] -> [B, o, i2], then dot with x2.
    const t = x1.matmul(this.weight.permute([1, 0, 2]).reshape([i1, o * i2])).reshape([-1, o, i2]);
    let y = t.mul(x2.unsqueeze(1)).sum(-1);
    if (this.bias !== null) y = y.add(this.bias);
    return y.reshape([...lead, o]);
  }

  override extraRepr(): string {
    return `in1Features=${this.in1Features}, in2Features=${this.in2Features}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
