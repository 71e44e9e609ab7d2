// The built-in layers.
export { Sequential, ModuleList, ModuleDict } from "./container.js";
export { Identity, Linear, Bilinear, type LinearOptions } from "./linear.js";
export { Embedding, type EmbeddingModuleOptions } from "./sparse.js";
export { LayerNorm, RMSNorm, GroupNorm, type LayerNormOptions, type RMSNormOptions, type GroupNormOptions } from "./normalization.js";
export { BatchNorm1d, BatchNorm2d, type BatchNormModuleOptions } from "./batchnorm.js";
export { Dropout } from "./dropout.js";
export { Conv1d, Conv2d, type ConvModuleOptions, type PaddingMode } from "./conv.js";
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type MaxPool2dModuleOptions, type AvgPool2dModuleOptions } from "./pooling.js";
export { Flatten } from "./flatten.js";
export { ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax } from "./activation.js";
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from "./attention.js";
export {
  TransformerEncoderLayer,
  generateSquareSubsequentMask,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderLayerForwardOptions,
} from "./transformer.js";
export {
  CrossEntropyLoss,
  NLLLoss,
  MSELoss,
  L1Loss,
  BCEWithLogitsLoss,
  type Reduction,
  type CrossEntropyLossOptions,
  type NLLLossOptions,
  type BCEWithLogitsLossOptions,
} from "./loss.js";
