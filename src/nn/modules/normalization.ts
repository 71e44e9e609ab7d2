// LayerNorm, RMSNorm, GroupNorm (weights start at one, biases at zero, as PyTorch's).
import type { Tensor } from "../../core/tensor.js";
import { ArgumentError } from "../../core/errors.js";
import { groupNorm, layerNorm, rmsNorm } from "../../api/nn-functional.js";
import { Module } from "../module.js";
import type { Parameter } from "../parameter.js";
import { ones_, zeros_ } from "../init.js";
import { checkPositiveInt, newParameter, type FactoryOptions } from "./common.js";

function shapeOf(normalizedShape: number | readonly number[]): number[] {
  const s = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  for (const d of s) checkPositiveInt(d, "normalized_shape", true);
  return s;
}

export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  /** Learn per-element weight (and bias) (default true). */
  elementwiseAffine?: boolean;
  /** Learn a bias when elementwiseAffine (default true). */
  bias?: boolean;
}

/** Layer normalisation over the last dims given by normalizedShape. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = shapeOf(normalizedShape);
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParameter(this.normalizedShape, options.dtype) : null;
    this.bias = this.elementwiseAffine && (options.bias ?? true) ? newParameter(this.normalizedShape, options.dtype) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  override forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(", ")}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface RMSNormOptions extends FactoryOptions {
  /** Default: the machine epsilon of the input's dtype (PyTorch's eps=None). */
  eps?: number | null;
  elementwiseAffine?: boolean;
}

/** Root-mean-square normalisation over the last dims given by normalizedShape. */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    this.normalizedShape = shapeOf(normalizedShape);
    this.eps = options.eps ?? null;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParameter(this.normalizedShape, options.dtype) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
  }

  override forward(input: Tensor): Tensor {
    return rmsNorm(input, this.normalizedShape, this.weight, { eps: this.eps });
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(", ")}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface GroupNormOptions extends FactoryOptions {
  eps?: number;
  affine?: boolean;
}

/** Group normalisation: channels split into numGroups groups, each normalised over (C/G, *). */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    checkPositiveInt(numGroups, "num_groups");
    checkPositiveInt(numChannels, "num_channels", true);
    if (numChannels % numGroups !== 0) throw new ArgumentError("num_channels must be divisible by num_groups");
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    this.weight = this.affine ? newParameter([numChannels], options.dtype) : null;
    this.bias = this.affine ? newParameter([numChannels], options.dtype) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  override forward(input: Tensor): Tensor {
    return groupNorm(input, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}
