// Error messages of pointwise ops: PyTorch's wording, the right error class, thrown before any work.
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { ArgumentError, DTypeError, KilnRuntimeError, ShapeError } from "../../src/index.js";

const f32 = (data: number[] | number[][] | number) => k.tensor(data, { dtype: "float32" });
const f64 = (data: number[] | number[][] | number) => k.tensor(data, { dtype: "float64" });
const i32 = (data: number[] | number[][] | number) => k.tensor(data, { dtype: "int32" });
const bool = (data: boolean[]) => k.tensor(data);

/** Expects `fn` to throw an error of class `cls` with exactly `message`. */
function expectError(fn: () => unknown, cls: new (...args: never[]) => Error, message: string): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected an error").toBeInstanceOf(cls);
  expect((caught as Error).message).toBe(message);
}

describe("pointwise error messages", () => {
  it("broadcasting mismatch", () => {
    expectError(
      () => f32([1, 2]).add(f32([1, 2, 3])),
      ShapeError,
      "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
    );
    expectError(
      () => k.where(bool([true, false]), f32([1, 2, 3]), 0),
      ShapeError,
      "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
    );
  });

  it("non-tensor arguments", () => {
    expectError(() => k.add(f32([1]), "x" as never), ArgumentError, `add(): argument 'other' must be Tensor or number, not string "x"`);
    expectError(() => k.exp(1 as never), ArgumentError, "exp(): argument 'input' must be Tensor, not number 1");
    expectError(() => k.pow(f32([1]), null as never), ArgumentError, "pow(): argument 'exponent' must be Tensor or number, not null");
    expectError(
      () => k.where([true] as never, 1, 0),
      ArgumentError,
      "where(): argument 'condition' must be Tensor, not array of length 1",
    );
    expectError(() => f32([1]).maskedFill(1 as never, 0), ArgumentError, "masked_fill(): argument 'mask' must be Tensor, not number 1");
    expectError(() => k.lerp(f32([1]), 2 as never, 0.5), ArgumentError, "lerp(): argument 'end' must be Tensor, not number 2");
  });

  it("bool inputs PyTorch refuses", () => {
    expectError(
      () => bool([true]).neg(),
      DTypeError,
      "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
    expectError(
      () => bool([true]).sub(bool([false])),
      ArgumentError,
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
    expectError(() => bool([true]).remainder(true), DTypeError, `"remainder_cpu" not implemented for 'Bool'`);
    expectError(() => bool([true]).fmod(bool([true])), DTypeError, `"fmod_cpu" not implemented for 'Bool'`);
    expect(() => bool([true]).abs()).toThrow(DTypeError);
    expect(() => bool([true]).floor()).toThrow(DTypeError);
  });

  it("float-only activations", () => {
    expectError(() => i32([1]).gelu(), DTypeError, `"GeluKernelImpl" not implemented for 'Int'`);
    expectError(() => i32([1]).silu(), DTypeError, `"silu_cpu" not implemented for 'Int'`);
    expectError(() => bool([true]).softplus(), DTypeError, `"softplus_cpu" not implemented for 'Bool'`);
    expectError(() => f32([1]).gelu({ approximate: "erf" as never }), ArgumentError, "approximate argument must be either none or tanh.");
  });

  it("arithmetic attribute checks", () => {
    expectError(
      () => i32([1]).add(1, { alpha: 0.5 }),
      ArgumentError,
      "For integral input tensors, argument alpha must not be a floating point number.",
    );
    expectError(
      () => f32([1]).div(2, { roundingMode: "round" as never }),
      ArgumentError,
      "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'",
    );
    expectError(() => i32([2]).pow(-1), KilnRuntimeError, "Integers to negative integer powers are not allowed.");
    expectError(() => k.round(f32([1]), { decimals: 0.5 }), ArgumentError, "round(): argument 'decimals' must be int, not 0.5");
  });

  it("a negative exponent is fine for float tensors and float results", () => {
    expect(f32([2]).pow(-1).tolist()).toEqual([0.5]);
    expect(i32([2]).pow(-1.5).dtype).toBe("float32");
  });

  it("where needs a bool condition", () => {
    expectError(
      () => k.where(f32([1, 0]), 1, 0),
      DTypeError,
      "where expected condition to be a boolean tensor, but got a tensor with dtype Float",
    );
    expectError(
      () => f32([1, 2]).where(i32([1, 0]), 0),
      DTypeError,
      "where expected condition to be a boolean tensor, but got a tensor with dtype Int",
    );
  });

  it("clamp needs a bound", () => {
    expectError(() => k.clamp(f32([1])), ArgumentError, "torch.clamp: At least one of 'min' or 'max' must not be None");
    expectError(() => f32([1]).clamp(null, null), ArgumentError, "torch.clamp: At least one of 'min' or 'max' must not be None");
    expectError(() => f32([1]).clamp_(), ArgumentError, "torch.clamp: At least one of 'min' or 'max' must not be None");
  });

  it("maskedFill needs a bool mask and a 0-d value", () => {
    expectError(
      () => f32([1, 2]).maskedFill(f32([1, 0]), 0),
      DTypeError,
      "masked_fill_ only supports boolean masks, but got mask with dtype float",
    );
    expectError(
      () => f32([1, 2]).maskedFill_(i32([1, 0]), 0),
      DTypeError,
      "masked_fill_ only supports boolean masks, but got mask with dtype int",
    );
    expectError(
      () => f32([1, 2]).maskedFill(bool([true, false]), f32([1])),
      KilnRuntimeError,
      "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).",
    );
  });

  it("lerp dtype rules", () => {
    expectError(() => i32([1]).lerp(i32([2]), 0.5), DTypeError, `"lerp_kernel_scalar" not implemented for 'Int'`);
    expectError(() => i32([1]).lerp(i32([2]), i32([1])), DTypeError, `"lerp_kernel_tensor" not implemented for 'Int'`);
    expectError(() => f32([1]).lerp(f64([2]), 0.5), DTypeError, "expected dtype float for `end` but got dtype double");
    expectError(() => f64([1]).lerp(f64([2]), f32([0.5])), DTypeError, "expected dtype double for `weight` but got dtype float");
  });

  it("fill needs a 0-d value", () => {
    expectError(
      () => k.fill(f32([1, 2]), f32([1])),
      KilnRuntimeError,
      "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.",
    );
  });
});

describe("pointwise in-place error messages", () => {
  it("a result that cannot be cast to the target's dtype", () => {
    expectError(() => i32([1]).exp_(), KilnRuntimeError, "result type Float can't be cast to the desired output type Int");
    expectError(() => i32([1]).div_(2), KilnRuntimeError, "result type Float can't be cast to the desired output type Int");
    expectError(() => i32([1]).add_(0.5), KilnRuntimeError, "result type Float can't be cast to the desired output type Int");
    expectError(() => i32([1]).clamp_(0.5, 2), KilnRuntimeError, "result type Float can't be cast to the desired output type Int");
    expectError(() => bool([true]).mul_(2), KilnRuntimeError, "result type Int can't be cast to the desired output type Bool");
  });

  it("a broadcast result bigger than the target", () => {
    expectError(
      () => f32([1, 2]).add_(f32([[1], [2]])),
      ShapeError,
      "output with shape [2] doesn't match the broadcast shape [2, 2]",
    );
    expectError(
      () => f32([1, 2]).maskedFill_(bool([true, false]).expand([3, 2]), 0),
      ShapeError,
      "output with shape [2] doesn't match the broadcast shape [3, 2]",
    );
  });

  it("a leaf that requires grad", () => {
    const x = k.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    expectError(() => x.exp_(), KilnRuntimeError, "a leaf Variable that requires grad is being used in an in-place operation.");
    expectError(() => x.clamp_(0, 1), KilnRuntimeError, "a leaf Variable that requires grad is being used in an in-place operation.");
    expectError(
      () => x.maskedFill_(bool([true, false]), 0),
      KilnRuntimeError,
      "a leaf Variable that requires grad is being used in an in-place operation.",
    );
  });

  it("a saved input modified in place before backward", () => {
    const x = k.tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const y = x.mul(1);
    const z = y.sin();
    y.add_(1);
    expect(() => z.sum().backward()).toThrow(KilnRuntimeError);
  });
});
