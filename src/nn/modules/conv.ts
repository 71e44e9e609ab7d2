// Conv1d and Conv2d with PyTorch's default init: kaiming_uniform_(W, a=√5), bias
// U(−1/√fanIn, 1/√fanIn) with fanIn = (inChannels/groups)·∏kernel.
import type { Tensor } from "../../core/tensor.js";
import { ArgumentError } from "../../core/errors.js";
import { conv1d, conv2d } from "../../api/conv.js";
import { pad } from "../../api/indexing.js";
import { Module } from "../module.js";
import type { Parameter } from "../parameter.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.js";
import { checkPositiveInt, newParameter, type FactoryOptions } from "./common.js";

/** Padding modes ("circular" is not supported yet). */
export type PaddingMode = "zeros" | "reflect" | "replicate";

export interface ConvModuleOptions extends FactoryOptions {
  stride?: number | readonly number[];
  /** Numbers, or "valid" / "same". */
  padding?: number | readonly number[] | "valid" | "same";
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

function tupleOf(v: number | readonly number[], n: number, name: string): number[] {
  const arr = typeof v === "number" ? new Array<number>(n).fill(v) : [...v];
  if (arr.length === 1 && n > 1) return new Array<number>(n).fill(arr[0]!);
  if (arr.length !== n || !arr.every((x) => Number.isInteger(x))) {
    throw new ArgumentError(`${name} must be an integer or a list of ${n} integers`);
  }
  return arr;
}

abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "valid" | "same";
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Parameter;
  bias: Parameter | null;

  constructor(n: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvModuleOptions) {
    super();
    this.inChannels = checkPositiveInt(inChannels, "in_channels");
    this.outChannels = checkPositiveInt(outChannels, "out_channels");
    const groups = options.groups ?? 1;
    checkPositiveInt(groups, "groups");
    if (inChannels % groups !== 0) throw new ArgumentError("in_channels must be divisible by groups");
    if (outChannels % groups !== 0) throw new ArgumentError("out_channels must be divisible by groups");
    this.groups = groups;
    this.kernelSize = tupleOf(kernelSize, n, "kernel_size");
    this.stride = tupleOf(options.stride ?? 1, n, "stride");
    const padding = options.padding ?? 0;
    if (typeof padding === "string") {
      if (padding !== "valid" && padding !== "same") {
        throw new ArgumentError(`Invalid padding string '${padding}', should be one of ['valid', 'same']`);
      }
      if (padding === "same" && this.stride.some((s) => s !== 1)) {
        throw new ArgumentError("padding='same' is not supported for strided convolutions");
      }
      this.padding = padding;
    } else {
      this.padding = tupleOf(padding, n, "padding");
    }
    this.dilation = tupleOf(options.dilation ?? 1, n, "dilation");
    const mode = options.paddingMode ?? "zeros";
    if (!["zeros", "reflect", "replicate"].includes(mode)) {
      throw new ArgumentError(`padding_mode must be one of 'zeros', 'reflect', 'replicate' (kiln has no 'circular' yet), but got padding_mode='${mode}'`);
    }
    if (mode !== "zeros" && typeof this.padding === "string") {
      throw new ArgumentError(`padding '${this.padding}' is only supported with padding_mode 'zeros' in kiln`);
    }
    this.paddingMode = mode;
    this.weight = newParameter([outChannels, inChannels / groups, ...this.kernelSize], options.dtype);
    this.bias = options.bias ?? true ? newParameter([outChannels], options.dtype) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        uniform_(this.bias, -bound, bound);
      }
    }
  }

  /** For non-zero padding modes: the explicit padding, last dim first, and the mode. */
  protected padInput(input: Tensor): Tensor {
    const p = this.padding as number[];
    const amounts: number[] = [];
    for (let i = p.length - 1; i >= 0; i--) amounts.push(p[i]!, p[i]!);
    return pad(input, amounts, { mode: this.paddingMode as "reflect" | "replicate" });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(", ")}], stride=[${this.stride.join(", ")}]`;
    if (typeof this.padding === "string" || this.padding.some((x) => x !== 0)) {
      s += `, padding=${typeof this.padding === "string" ? `'${this.padding}'` : `[${this.padding.join(", ")}]`}`;
    }
    if (this.dilation.some((x) => x !== 1)) s += `, dilation=[${this.dilation.join(", ")}]`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=false";
    if (this.paddingMode !== "zeros") s += `, paddingMode='${this.paddingMode}'`;
    return s;
  }
}

/** 1-d convolution over [N, C, L] (or unbatched [C, L]) inputs. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvModuleOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options);
  }
  override forward(input: Tensor): Tensor {
    if (this.paddingMode !== "zeros") {
      return conv1d(this.padInput(input), this.weight, this.bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    return conv1d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 2-d convolution over [N, C, H, W] (or unbatched [C, H, W]) inputs. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvModuleOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options);
  }
  override forward(input: Tensor): Tensor {
    if (this.paddingMode !== "zeros") {
      return conv2d(this.padInput(input), this.weight, this.bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    return conv2d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
