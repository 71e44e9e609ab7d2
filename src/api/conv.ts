// nn.functional ops of this family: linear, conv1d, conv2d and 2-D pooling (max, average,
// adaptive average). PyTorch's positional tensor arguments stay positional; the rest is options.
import { ArgumentError, ShapeError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch, dispatch1 } from "../dispatch/dispatch.js";
import { toTensor } from "../core/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import type { Conv2dAttrs, Conv2dInputGradAttrs, Conv2dWeightGradAttrs } from "../ops/conv.js";
import type { AvgPool2dAttrs } from "../ops/pool.js";
import "../ops/conv.js";
import "../ops/pool.js";
import "./linalg.js";

/** F.linear: input @ weightᵀ + bias, weight [out, in] (or [in]), bias [out]. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const x = toTensor(input, "linear", "input", false);
  const w = toTensor(weight, "linear", "weight", false);
  const out = x.matmul(w.ndim === 2 ? w.transpose(0, 1) : w);
  if (bias === undefined || bias === null) return out;
  return out.add(toTensor(bias, "linear", "bias", false));
}

type IntOrPair = number | readonly number[];

function pairOf(v: unknown, name: string, n = 2): number[] {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new ArgumentError(`${name} must be an integer, but got ${describeValue(v)}`);
    return new Array<number>(n).fill(v);
  }
  if (Array.isArray(v) && (v.length === n || v.length === 1) && v.every((x) => typeof x === "number" && Number.isInteger(x))) {
    return v.length === 1 ? new Array<number>(n).fill(v[0] as number) : (v.slice() as number[]);
  }
  throw new ArgumentError(`${name} must be an integer or a list of ${n} integers, but got ${describeValue(v)}`);
}

export interface ConvOptions {
  stride?: IntOrPair;
  /** A number, a pair, or "valid" / "same". */
  padding?: IntOrPair | "same" | "valid";
  dilation?: IntOrPair;
  groups?: number;
}

/** Resolves padding (numbers or "same"/"valid") to [before, after] per spatial dim. */
function resolvePadding(padding: ConvOptions["padding"], kernel: number[], dilation: number[], stride: number[], n: number): number[][] {
  if (typeof padding === "string") {
    if (padding === "valid") return kernel.map(() => [0, 0]);
    if (padding === "same") {
      if (stride.some((s) => s !== 1)) throw new ArgumentError("padding='same' is not supported for strided convolutions");
      return kernel.map((k, i) => {
        const total = dilation[i]! * (k - 1);
        const before = Math.floor(total / 2);
        return [before, total - before];
      });
    }
    throw new ArgumentError(`Invalid padding string '${padding}', should be one of {'valid', 'same'}`);
  }
  return pairOf(padding ?? 0, "padding", n).map((p) => [p, p]);
}

/** F.conv2d over [N, C, H, W] (or unbatched [C, H, W]) with weight [O, C/groups, kH, kW]. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const x = toTensor(input, "conv2d", "input", false);
  const w = toTensor(weight, "conv2d", "weight", false);
  const b = bias === undefined || bias === null ? null : toTensor(bias, "conv2d", "bias", false);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new ShapeError(`Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [${x.shape.join(", ")}]`);
  }
  const stride = pairOf(options.stride ?? 1, "stride");
  const dilation = pairOf(options.dilation ?? 1, "dilation");
  const kernel = w.ndim === 4 ? [w.shape[2]!, w.shape[3]!] : [1, 1];
  const [[pt, pb], [pl, pr]] = resolvePadding(options.padding, kernel, dilation, stride, 2) as [number[], number[]];
  const attrs: Conv2dAttrs = { stride, padding: [pt!, pl!, pb!, pr!], dilation, groups: options.groups ?? 1 };
  const batched = x.ndim === 4;
  const out = (batched ? x : x.unsqueeze(0))._conv2d(w, b, attrs);
  return batched ? out : out.squeeze(0);
}

/** F.conv1d over [N, C, L] (or unbatched [C, L]) with weight [O, C/groups, K]: conv2d over a height of 1. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const x = toTensor(input, "conv1d", "input", false);
  const w = toTensor(weight, "conv1d", "weight", false);
  const b = bias === undefined || bias === null ? null : toTensor(bias, "conv1d", "bias", false);
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new ShapeError(`Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [${x.shape.join(", ")}]`);
  }
  const batched = x.ndim === 3;
  const x3 = batched ? x : x.unsqueeze(0);
  if (w.ndim !== 3) {
    throw new ShapeError(
      `Expected ${w.ndim}-dimensional input for ${w.ndim}-dimensional weight [${w.shape.join(", ")}], but got 3-dimensional input of size [${x3.shape.join(", ")}] instead`,
    );
  }
  const stride = pairOf(options.stride ?? 1, "stride", 1);
  const dilation = pairOf(options.dilation ?? 1, "dilation", 1);
  const [[p0, p1]] = resolvePadding(options.padding, [w.shape[2]!], dilation, stride, 1) as [number[]];
  const attrs: Conv2dAttrs = { stride: [1, stride[0]!], padding: [0, p0!, 0, p1!], dilation: [1, dilation[0]!], groups: options.groups ?? 1 };
  const out = x3.unsqueeze(2)._conv2d(w.unsqueeze(2), b, attrs).squeeze(2);
  return batched ? out : out.squeeze(0);
}

export interface MaxPool2dOptions {
  /** Default: kernelSize. */
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

function poolInput(op: string, input: Tensor): { x: Tensor; batched: boolean } {
  const x = toTensor(input, op, "input", false);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new ShapeError(
      `Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: [${x.shape.join(", ")}]`,
    );
  }
  return x.ndim === 4 ? { x, batched: true } : { x: x.unsqueeze(0), batched: false };
}

/** F.max_pool2d; with `returnIndices` also the int32 argmax indices into each H·W plane. */
export function maxPool2d(input: Tensor, kernelSize: IntOrPair, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: IntOrPair, options?: MaxPool2dOptions): Tensor;
export function maxPool2d(input: Tensor, kernelSize: IntOrPair, options: MaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const { x, batched } = poolInput("max_pool2d", input);
  const k = pairOf(kernelSize, "kernel_size");
  const attrs = {
    kernelSize: k,
    stride: options.stride === undefined || options.stride === null ? k.slice() : pairOf(options.stride, "stride"),
    padding: pairOf(options.padding ?? 0, "padding"),
    dilation: pairOf(options.dilation ?? 1, "dilation"),
    ceilMode: options.ceilMode ?? false,
  };
  let [out, idx] = dispatch("maxPool2d", [x], attrs) as [Tensor, Tensor];
  if (!batched) {
    out = out.squeeze(0);
    idx = idx.squeeze(0);
  }
  return options.returnIndices ? [out, idx] : out;
}

export interface AvgPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** F.avg_pool2d. */
export function avgPool2d(input: Tensor, kernelSize: IntOrPair, options: AvgPool2dOptions = {}): Tensor {
  const { x, batched } = poolInput("avg_pool2d", input);
  const k = pairOf(kernelSize, "kernel_size");
  const attrs: AvgPool2dAttrs = {
    kernelSize: k,
    stride: options.stride === undefined || options.stride === null ? k.slice() : pairOf(options.stride, "stride"),
    padding: pairOf(options.padding ?? 0, "padding"),
    ceilMode: options.ceilMode ?? false,
    countIncludePad: options.countIncludePad ?? true,
    divisorOverride: options.divisorOverride ?? null,
  };
  const out = x._avgPool2d(attrs);
  return batched ? out : out.squeeze(0);
}

/** F.adaptive_avg_pool2d; a null size keeps the input's size in that dim. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const x0 = toTensor(input, "adaptive_avg_pool2d", "input", false);
  if (x0.ndim !== 3 && x0.ndim !== 4) {
    throw new ShapeError(`adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [${x0.shape.join(", ")}]`);
  }
  const batched = x0.ndim === 4;
  const x = batched ? x0 : x0.unsqueeze(0);
  const sizes = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(sizes) || sizes.length !== 2) {
    throw new ArgumentError(`adaptive_avg_pool2d: output_size must be 2, but got ${describeValue(outputSize)}`);
  }
  const size = sizes.map((s, i) => (s === null ? x.shape[2 + i]! : s));
  const out = x._adaptiveAvgPool2d(size);
  return batched ? out : out.squeeze(0);
}

const convMethods = {
  /** Internal: the conv2d registry op on 4-D operands with resolved attributes. */
  _conv2d(x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2dAttrs): Tensor {
    return dispatch1("conv2d", b ? [x, w, b] : [x, w], attrs);
  },
  _conv2dInputGrad(gy: Tensor, w: Tensor, attrs: Conv2dInputGradAttrs): Tensor {
    return dispatch1("conv2dInputGrad", [gy, w], attrs);
  },
  _conv2dWeightGrad(gy: Tensor, x: Tensor, attrs: Conv2dWeightGradAttrs): Tensor {
    return dispatch1("conv2dWeightGrad", [gy, x], attrs);
  },
  _maxPool2dBackward(g: Tensor, indices: Tensor, inputSize: number[]): Tensor {
    return dispatch1("maxPool2dBackward", [g, indices], { inputSize });
  },
  _maxPool2dGather(x: Tensor, indices: Tensor): Tensor {
    return dispatch1("maxPool2dGather", [x, indices], {});
  },
  _avgPool2d(x: Tensor, attrs: AvgPool2dAttrs): Tensor {
    return dispatch1("avgPool2d", [x], attrs);
  },
  _avgPool2dBackward(g: Tensor, attrs: AvgPool2dAttrs, inputSize: number[]): Tensor {
    const { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride } = attrs;
    return dispatch1("avgPool2dBackward", [g], { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride, inputSize });
  },
  _adaptiveAvgPool2d(x: Tensor, outputSize: number[]): Tensor {
    return dispatch1("adaptiveAvgPool2d", [x], { outputSize });
  },
  _adaptiveAvgPool2dBackward(g: Tensor, inputSize: number[]): Tensor {
    return dispatch1("adaptiveAvgPool2dBackward", [g], { inputSize });
  },
};
installMethods(convMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof convMethods> {}
}
