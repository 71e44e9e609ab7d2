// Error messages of nn.functional ops (PyTorch's wording).
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import * as F from "../../src/nn/functional.js";

const f32 = (data: k.NestedData) => k.tensor(data, { dtype: "float32" });
const i32 = (data: k.NestedData) => k.tensor(data, { dtype: "int32" });

function expectError(fn: () => unknown, cls: new (...args: never[]) => Error, message: string): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toBe(message);
}

describe("normalisation errors", () => {
  it("layerNorm normalized_shape mismatch", () => {
    expectError(
      () => F.layerNorm(k.zeros([2, 3]), [4]),
      k.ShapeError,
      "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]",
    );
  });
  it("layerNorm weight and bias shapes", () => {
    expectError(
      () => F.layerNorm(k.zeros([2, 4]), [4], k.ones([3])),
      k.ShapeError,
      "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and normalized_shape = [4]",
    );
    expectError(
      () => F.layerNorm(k.zeros([2, 4]), [4], null, k.ones([2, 2])),
      k.ShapeError,
      "Expected bias to be of same shape as normalized_shape, but got bias of shape [2, 2] and normalized_shape = [4]",
    );
  });
  it("layerNorm empty normalized_shape and integer input", () => {
    expectError(
      () => F.layerNorm(k.zeros([2]), []),
      k.ShapeError,
      "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []",
    );
    expectError(() => F.layerNorm(i32([1, 2]), [2]), k.DTypeError, "layer_norm(): expected input to be a floating point tensor, but got Int");
  });
  it("rmsNorm normalized_shape mismatch", () => {
    expectError(
      () => F.rmsNorm(k.zeros([3, 2]), [3]),
      k.ShapeError,
      "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[3, 2]",
    );
  });
  it("groupNorm channels not divisible / weight size", () => {
    expectError(
      () => F.groupNorm(k.zeros([2, 3, 4]), 2),
      k.ShapeError,
      "Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 3, 4] and num_groups=2",
    );
    expectError(
      () => F.groupNorm(k.zeros([2, 4, 4]), 2, k.ones([3])),
      k.ShapeError,
      "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [3] and input of shape [2, 4, 4]",
    );
  });
  it("batchNorm checks", () => {
    expectError(
      () => F.batchNorm(k.zeros([1, 3]), k.zeros([3]), k.ones([3]), null, null, { training: true }),
      k.ArgumentError,
      "Expected more than 1 value per channel when training, got input size [1, 3]",
    );
    expectError(() => F.batchNorm(k.zeros([4, 3]), k.zeros([2]), k.ones([2])), k.ShapeError, "running_mean should contain 3 elements not 2");
    expectError(() => F.batchNorm(k.zeros([4, 3]), k.zeros([3]), k.ones([3]), k.ones([4])), k.ShapeError, "weight should contain 3 elements not 4");
    expectError(() => F.batchNorm(k.zeros([4, 3]), null, null), k.ArgumentError, "running_mean must be defined in evaluation mode");
  });
});

describe("dropout and attention errors", () => {
  it("dropout probability out of range", () => {
    expectError(() => F.dropout(k.ones([2]), { p: 1.5 }), k.ArgumentError, "dropout probability has to be between 0 and 1, but got 1.5");
    expectError(() => F.dropout(k.ones([2]), { p: -0.1 }), k.ArgumentError, "dropout probability has to be between 0 and 1, but got -0.1");
  });
  it("scaledDotProductAttention checks", () => {
    const q = k.zeros([1, 2, 4]);
    expectError(
      () => F.scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: k.ones([2, 2]) }),
      k.ArgumentError,
      "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True",
    );
    expectError(
      () => F.scaledDotProductAttention(q, q.to("float64"), q),
      k.DTypeError,
      "Expected query, key, and value to have the same dtype, but got query.dtype: Float key.dtype: Double and value.dtype: Float instead.",
    );
    expectError(
      () => F.scaledDotProductAttention(k.zeros([4]), q, q),
      k.ShapeError,
      "Expected query, key, and value to all be at least 2 dimensional, but got query.dim: 1 key.dim: 3 and value.dim: 3 instead.",
    );
    expectError(
      () => F.scaledDotProductAttention(q, q, q, { attnMask: i32([[1, 0], [0, 1]]) }),
      k.DTypeError,
      "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: Int and  query.dtype: Float instead.",
    );
    expectError(
      () => F.scaledDotProductAttention(q, q, q, { dropoutP: 2 }),
      k.ArgumentError,
      "dropout probability has to be between 0 and 1, but got 2",
    );
  });
});

describe("loss errors", () => {
  const x = () => k.zeros([3, 4]);
  it("batch size mismatch", () => {
    expectError(() => F.crossEntropy(x(), i32([1, 2])), k.ShapeError, "Expected input batch_size (3) to match target batch_size (2).");
    expectError(() => F.nllLoss(x(), i32([1, 2])), k.ShapeError, "Expected input batch_size (3) to match target batch_size (2).");
  });
  it("target out of bounds (raised by the kernel)", () => {
    expectError(() => F.crossEntropy(x(), i32([1, 5, 0])), k.IndexError, "Target 5 is out of bounds.");
    expectError(() => F.nllLoss(x(), i32([-1, 0, 0]), { reduction: "none" }), k.IndexError, "Target -1 is out of bounds.");
  });
  it("weight size", () => {
    expectError(
      () => F.crossEntropy(x(), i32([0, 1, 2]), { weight: k.ones([2]) }),
      k.ShapeError,
      "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [2]",
    );
    expectError(
      () => F.crossEntropy(x(), k.zeros([3, 4]), { weight: k.ones([3]) }),
      k.ShapeError,
      "cross_entropy: weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]",
    );
  });
  it("invalid reduction and label smoothing", () => {
    expectError(() => F.crossEntropy(x(), i32([0, 1, 2]), { reduction: "avg" as "mean" }), k.ArgumentError, "avg is not a valid value for reduction");
    expectError(() => F.mseLoss(x(), x(), { reduction: "all" as "mean" }), k.ArgumentError, "all is not a valid value for reduction");
    expectError(() => F.crossEntropy(x(), i32([0, 1, 2]), { labelSmoothing: 1.5 }), k.ArgumentError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5");
  });
  it("target dtypes and shapes", () => {
    expectError(() => F.crossEntropy(x(), i32([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]])), k.DTypeError, "Expected floating point type for target with class probabilities, got Int");
    expectError(() => F.crossEntropy(x(), k.zeros([3, 4]), { ignoreIndex: 0 }), k.ArgumentError, "ignore_index is not supported for floating point target");
    expectError(() => F.crossEntropy(x(), k.zeros([3])), k.DTypeError, "expected scalar type Int but found Float");
    expectError(() => F.crossEntropy(x(), i32([[0], [1], [2]])), k.ShapeError, "0D or 1D target tensor expected, multi-target not supported");
    expectError(() => F.crossEntropy(k.zeros([2, 3, 2]), i32([[0, 1, 2], [0, 1, 2]])), k.ShapeError, "Expected target size [2, 2], got [2, 3]");
    expectError(() => F.crossEntropy(k.zeros([]), i32(0)), k.ShapeError, "Expected 1 or more dimensions (got 0)");
  });
  it("binary cross entropy checks", () => {
    expectError(
      () => F.binaryCrossEntropy(f32([0.5, 1.5]), f32([0, 1])),
      k.KilnRuntimeError,
      "all elements of input should be between 0 and 1",
    );
    expectError(
      () => F.binaryCrossEntropy(k.zeros([2, 1]), k.zeros([2])),
      k.ShapeError,
      "Using a target size ([2]) that is different to the input size ([2, 1]) is deprecated. Please ensure they have the same size.",
    );
    expectError(
      () => F.binaryCrossEntropyWithLogits(k.zeros([2, 1]), k.zeros([2])),
      k.ShapeError,
      "Target size ([2]) must be the same as input size ([2, 1])",
    );
  });
  it("double backward through attention is reported, not silently wrong", () => {
    const q = k.tensor([[[0.1, 0.2], [0.3, 0.4]]], { dtype: "float64", requiresGrad: true });
    const [g] = k.autograd.grad(F.scaledDotProductAttention(q, q, q).sum(), q, { createGraph: true });
    expectError(() => g!.sum().backward(), k.KilnRuntimeError, "double backward through scaledDotProductAttention is not supported");
  });
});
