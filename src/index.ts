// kiln: a PyTorch-style tensor library for TypeScript with a graph-capturing JIT compiler.
export { Tensor } from "./core/tensor.js";
export type { NestedList } from "./core/tensor.js";
export type { DType, TypedArray } from "./core/dtype.js";
export { KilnError, ShapeError, DTypeError, IndexError, ArgumentError, KilnRuntimeError } from "./core/errors.js";
export { manualSeed, initialSeed } from "./core/random.js";
export { getRngState, setRngState } from "./core/random.js";
export type { PrintOptions } from "./core/format.js";
export { setPrintOptions } from "./core/format.js";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./dispatch/grad-mode.js";
export * from "./api/pointwise.js";
export * from "./api/shape.js";
export * from "./api/reduce.js";
export * from "./api/creation.js";
export * from "./api/random.js";
export * from "./api/autograd.js";
export * from "./api/indexing.js";
export * from "./api/linalg.js";
export * from "./api/conv.js";
export { gradcheck } from "./autograd/gradcheck.js";
export type { GradcheckOptions } from "./autograd/gradcheck.js";
import { grad as autogradGrad } from "./autograd/engine.js";
/** torch.autograd. */
export const autograd = { grad: autogradGrad };
export { compile, compiler, library, cond, GraphBreakError, BackendCompilerError } from "./compiler/index.js";
export type { CompileOptions, Graph, Node, Backend, CompiledGraph, GraphBreakInfo, GraphBreakType, LogRecord, LogSettings, CustomOp, CompilerEvent, CompilerEventListener } from "./compiler/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as data from "./data/index.js";
export { serialize, deserialize, deserializeWithMetadata } from "./io/safetensors.js";
export type { TensorMap } from "./io/safetensors.js";
export { save, load, loadWithMetadata } from "./io/node-fs.js";
export { setNumThreads, getNumThreads } from "./backends/native/threads.js";

// Eager matmul and convolution use the native gemm where a C++ compiler exists (nothing is
// compiled or loaded until the first large product).
import { installNativeEagerKernels } from "./backends/native/install-eager.js";
installNativeEagerKernels();
