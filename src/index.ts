// kiln: a PyTorch-style tensor library for TypeScript with a graph-capturing JIT compiler.
export { Tensor } from "./core/tensor.js";
export type { NestedList } from "./core/tensor.js";
export type { DType, TypedArray } from "./core/dtype.js";
export { KilnError, ShapeError, DTypeError, IndexError, ArgumentError, KilnRuntimeError } from "./core/errors.js";
export { manualSeed, initialSeed } from "./core/random.js";
export { setPrintOptions } from "./core/format.js";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./dispatch/grad-mode.js";
export * from "./api/pointwise.js";
export * from "./api/shape.js";
export * from "./api/reduce.js";
export * from "./api/creation.js";
export * from "./api/autograd.js";
export { gradcheck } from "./autograd/gradcheck.js";
export type { GradcheckOptions } from "./autograd/gradcheck.js";
import { grad as autogradGrad } from "./autograd/engine.js";
/** torch.autograd. */
export const autograd = { grad: autogradGrad };
