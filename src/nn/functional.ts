// nn.functional: the functional forms of layers and losses, with PyTorch's signatures in camelCase
// (`nn.functional.crossEntropy(logits, target, { labelSmoothing: 0.1 })`). This module is the
// namespace object; it gathers the functions defined by the op families in src/api.
import type { Tensor } from "../core/tensor.js";
import { relu as reluOp } from "../api/pointwise.js";

export {
  layerNorm,
  rmsNorm,
  groupNorm,
  batchNorm,
  dropout,
  scaledDotProductAttention,
  crossEntropy,
  nllLoss,
  mseLoss,
  l1Loss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from "../api/nn-functional.js";
export type {
  EpsOptions,
  BatchNormOptions,
  DropoutOptions,
  ScaledDotProductAttentionOptions,
  ReductionOptions,
  NllLossOptions,
  CrossEntropyOptions,
  BinaryCrossEntropyOptions,
  BinaryCrossEntropyWithLogitsOptions,
} from "../api/nn-functional.js";

// Activations and other functional ops defined by their op families.
export { sigmoid, tanh, silu, gelu, softplus } from "../api/pointwise.js";
export { softmax, logSoftmax } from "../api/reduce.js";
export { embedding, oneHot, pad } from "../api/indexing.js";
export { linear, conv1d, conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from "../api/conv.js";

/** F.relu(input, inplace=False). */
export function relu(input: Tensor, options: { inplace?: boolean } = {}): Tensor {
  return options.inplace ? input.relu_() : reluOp(input);
}
