// nn.init: in-place initialisations, run under noGrad, with PyTorch's formulas (torch.nn.init).
// Random fills use the tensor methods uniform_/normal_, so they draw from the global stream and
// are deterministic under manualSeed.
import { allocate } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { noGrad } from "../dispatch/grad-mode.js";
import "../api/shape.js";
import "../api/creation.js";

export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "leakyRelu"
  | "selu";

export type FanMode = "fan_in" | "fan_out" | "fanIn" | "fanOut";

/** Recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number | null): number {
  const linearFns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"];
  if (linearFns.includes(nonlinearity) || nonlinearity === "sigmoid") return 1;
  if (nonlinearity === "tanh") return 5 / 3;
  if (nonlinearity === "relu") return Math.sqrt(2);
  if (nonlinearity === "leaky_relu" || nonlinearity === "leakyRelu") {
    let slope = 0.01;
    if (param !== undefined && param !== null) {
      if (typeof param !== "number" || Number.isNaN(param)) throw new ArgumentError(`negative_slope ${describeValue(param)} not a valid number`);
      slope = param;
    }
    return Math.sqrt(2 / (1 + slope * slope));
  }
  if (nonlinearity === "selu") return 3 / 4;
  throw new ArgumentError(`Unsupported nonlinearity ${nonlinearity}`);
}

/** [fanIn, fanOut] of a weight of at least 2 dims: sizes 1 and 0 times the receptive field. */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  if (tensor.ndim < 2) {
    throw new ArgumentError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  }
  let receptive = 1;
  for (let i = 2; i < tensor.ndim; i++) receptive *= tensor.shape[i]!;
  return [tensor.shape[1]! * receptive, tensor.shape[0]! * receptive];
}

function correctFan(tensor: Tensor, mode: FanMode): number {
  const m = mode === "fanIn" ? "fan_in" : mode === "fanOut" ? "fan_out" : mode;
  if (m !== "fan_in" && m !== "fan_out") throw new ArgumentError(`Mode ${mode} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return m === "fan_in" ? fanIn : fanOut;
}

function checkTensor(t: unknown, fn: string): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}(): argument 'tensor' must be Tensor, not ${describeValue(t)}`);
  return t;
}

/** Fills with values drawn from U(a, b). */
export function uniform_(tensor: Tensor, a = 0, b = 1): Tensor {
  checkTensor(tensor, "uniform_");
  return noGrad(() => tensor.uniform_(a, b));
}

/** Fills with values drawn from N(mean, std²). */
export function normal_(tensor: Tensor, mean = 0, std = 1): Tensor {
  checkTensor(tensor, "normal_");
  return noGrad(() => tensor.normal_(mean, std));
}

/** Fills with a constant. */
export function constant_(tensor: Tensor, val: number): Tensor {
  checkTensor(tensor, "constant_");
  return noGrad(() => tensor.fill_(val));
}

export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

export interface GainOptions {
  gain?: number;
}

/** Xavier/Glorot uniform: U(-a, a) with a = gain·sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(tensor: Tensor, options: GainOptions = {}): Tensor {
  checkTensor(tensor, "xavierUniform_");
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(tensor, -a, a);
}

/** Xavier/Glorot normal: N(0, std²) with std = gain·sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(tensor: Tensor, options: GainOptions = {}): Tensor {
  checkTensor(tensor, "xavierNormal_");
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  return normal_(tensor, 0, std);
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** Kaiming/He uniform: U(-bound, bound) with bound = gain·sqrt(3 / fan). */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor(tensor, "kaimingUniform_");
  if (tensor.numel() === 0) return tensor;
  const fan = correctFan(tensor, options.mode ?? "fan_in");
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(tensor, -bound, bound);
}

/** Kaiming/He normal: N(0, std²) with std = gain / sqrt(fan). */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor(tensor, "kaimingNormal_");
  if (tensor.numel() === 0) return tensor;
  const fan = correctFan(tensor, options.mode ?? "fan_in");
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  return normal_(tensor, 0, gain / Math.sqrt(fan));
}

/** A new uninitialised (zero-filled) contiguous tensor; modules fill it with an init function. */
export function emptyTensor(shape: readonly number[], dtype: Tensor["dtype"] = "float32"): Tensor {
  let n = 1;
  for (const s of shape) n *= s;
  return Tensor.fromData(allocate(dtype, n), shape.slice(), dtype);
}
