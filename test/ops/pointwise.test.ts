import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { pointwiseCases, pointwiseGradCases } from "./cases/pointwise.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";
import { expectTensor } from "../helpers/op-cases.js";

runOpCases("pointwise ops", pointwiseCases);
runGradCases("pointwise gradients", pointwiseGradCases);

const f32 = (data: number[] | number[][] | number) => k.tensor(data, { dtype: "float32" });
const f64 = (data: number[] | number[][] | number) => k.tensor(data, { dtype: "float64" });
const i32 = (data: number[] | number[][] | number) => k.tensor(data, { dtype: "int32" });

describe("pointwise in-place ops", () => {
  it("add_ mutates its target, returns it and bumps the version", () => {
    const a = f32([1, 2]);
    const v0 = a._version;
    const r = a.add_(1);
    expect(r).toBe(a);
    expectTensor(a, [2, 3]);
    expect(a._version).toBe(v0 + 1);
  });

  it("add_ with alpha and a broadcast other", () => {
    const a = f32([[1, 2], [3, 4]]);
    a.add_(f32([1, 10]), { alpha: -2 });
    expectTensor(a, [[-1, -18], [1, -16]]);
  });

  it("mul_ on a transposed view writes through to the base", () => {
    const base = f32([[1, 2], [3, 4]]);
    const v0 = base._version;
    const t = base.transpose(0, 1);
    t.mul_(f32([10, 100]));
    expectTensor(t, [[10, 300], [20, 400]]);
    expectTensor(base, [[10, 20], [300, 400]]);
    expect(base._version).toBe(v0 + 1);
  });

  it("an op whose other input is the target itself", () => {
    const a = f32([1.5, -2]);
    a.mul_(a);
    expectTensor(a, [2.25, 4]);
  });

  it("sub_ and div_ keep an int target int when the result is int", () => {
    const a = i32([7, -7]);
    a.sub_(1).div_(2, { roundingMode: "floor" });
    expectTensor(a, [3, -4], 0, 0, "int32");
  });

  it("a float result can be written into a float64 target from float32 data", () => {
    const a = f64([1, 2]);
    a.add_(f32([0.5, 0.25]));
    expectTensor(a, [1.5, 2.25], 0, 0, "float64");
  });

  it("float32 add_ of a JS float rounds the scalar to float32 first", () => {
    const a = f32([0.2]);
    a.add_(0.1);
    expect(a.item()).toBe(Math.fround(Math.fround(0.2) + Math.fround(0.1)));
  });

  it("unary in-place ops", () => {
    const a = f64([0.25, 4]);
    a.sqrt_().log2_();
    expectTensor(a, [-1, 1]);
    const b = f32([-1.5, 2.5, 0.5]);
    b.round_();
    expectTensor(b, [-2, 2, 0]);
    const c = f32([1.234, -5.678]);
    c.round_({ decimals: 1 });
    expectTensor(c, [1.2, -5.7]);
    const d = f32([-1.5, 2.5]);
    d.floor_().neg_().abs_();
    expectTensor(d, [2, 2]);
    const e = f32([0, 1, -2]);
    e.sigmoid_().sub_(0.5).sign_();
    expectTensor(e, [0, 1, -1]);
  });

  it("in-place ops on a 0-d tensor", () => {
    const a = f32(2);
    a.pow_(3).reciprocal_();
    expect(a.item()).toBe(0.125);
  });

  it("pow_, remainder_, fmod_ and atan2_", () => {
    const a = i32([2, 3]);
    a.pow_(2);
    expectTensor(a, [4, 9], 0, 0, "int32");
    a.remainder_(-5);
    expectTensor(a, [-1, -1], 0, 0, "int32");
    const b = f32([5, -5]);
    b.fmod_(3);
    expectTensor(b, [2, -2]);
    const c = f64([1]);
    c.atan2_(f64([1]));
    expectTensor(c, [Math.PI / 4]);
  });

  it("comparison and logical in-place ops write 0/1 into the target's dtype", () => {
    const a = f32([1, 2, 3]);
    a.gt_(1.5);
    expectTensor(a, [0, 1, 1], 0, 0, "float32");
    const b = k.tensor([true, false]);
    b.logicalNot_();
    expectTensor(b, [false, true], 0, 0, "bool");
    const c = i32([0, 3, 4]);
    c.logicalXor_(i32([1, 1, 0]));
    expectTensor(c, [1, 0, 1], 0, 0, "int32");
  });

  it("clamp_, clampMin_ and clampMax_", () => {
    const a = f32([-2, 0.5, 3]);
    a.clamp_(0, 1);
    expectTensor(a, [0, 0.5, 1]);
    const b = i32([-2, 5]);
    b.clamp_(null, 1);
    expectTensor(b, [-2, 1], 0, 0, "int32");
    const c = f32([-2, 5]).clampMin_(0).clampMax_(f32([3, 4]));
    expectTensor(c, [0, 4]);
  });

  it("maskedFill_ with a broadcast mask", () => {
    const a = f32([[1, 2], [3, 4]]);
    const v0 = a._version;
    a.maskedFill_(k.tensor([true, false]), -Infinity);
    expectTensor(a, [[-Infinity, 2], [-Infinity, 4]]);
    expect(a._version).toBe(v0 + 1);
  });

  it("lerp_", () => {
    const a = f32([0, 10]);
    a.lerp_(f32([10, 20]), 0.5);
    expectTensor(a, [5, 15]);
  });

  it("fill_ and zero_", () => {
    const a = f32([[1, 2], [3, 4]]);
    const v0 = a._version;
    expect(a.fill_(2.5)).toBe(a);
    expectTensor(a, [[2.5, 2.5], [2.5, 2.5]]);
    expect(a._version).toBe(v0 + 1);
    a.zero_();
    expectTensor(a, [[0, 0], [0, 0]]);
    expect(a._version).toBe(v0 + 2);
    const b = i32([1, 2]);
    b.fill_(-3.7);
    expectTensor(b, [-3, -3], 0, 0, "int32");
    const c = k.tensor([false, false]);
    c.fill_(2);
    expectTensor(c, [true, true], 0, 0, "bool");
    const d = f64([1, 2]);
    d.fill_(f32(0.25));
    expectTensor(d, [0.25, 0.25]);
  });

  it("fill_ on a transposed view fills the base", () => {
    const base = f32([[1, 2, 3], [4, 5, 6]]);
    base.transpose(0, 1).fill_(9);
    expectTensor(base, [[9, 9, 9], [9, 9, 9]]);
  });

  it("a failed in-place op leaves its target untouched", () => {
    const a = i32([1, 2]);
    const v0 = a._version;
    expect(() => a.exp_()).toThrow();
    expect(() => a.add_(f32([[1, 2], [3, 4]]))).toThrow();
    expectTensor(a, [1, 2], 0, 0, "int32");
    expect(a._version).toBe(v0);
  });
});

describe("pointwise in-place ops and autograd", () => {
  it("gradients flow through a chain of in-place ops", () => {
    const x = k.tensor([0.5, -1], { dtype: "float64", requiresGrad: true });
    const y = x.mul(2);
    y.add_(1).exp_();
    y.sum().backward();
    // d/dx exp(2x + 1) = 2 exp(2x + 1)
    expectTensor(x.grad!, [2 * Math.exp(2), 2 * Math.exp(-1)], 1e-12, 1e-12);
  });

  it("fill_ with a tensor value that requires grad", () => {
    const x = k.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const v = k.tensor(0.5, { dtype: "float64", requiresGrad: true });
    const y = x.mul(1);
    y.fill_(v);
    y.mul(f64([1, 2, 3])).sum().backward();
    expectTensor(v.grad!, 6);
    // x's old value no longer reaches the result (PyTorch gives zeros, kiln may leave it unset).
    if (x.grad !== null) expectTensor(x.grad, [0, 0, 0]);
  });

  it("maskedFill_ and clamp_ record their gradients", () => {
    const x = k.tensor([-2, 0.5, 3], { dtype: "float64", requiresGrad: true });
    const y = x.mul(3);
    y.clamp_(-3, 3).maskedFill_(k.tensor([false, false, true]), 0);
    y.sum().backward();
    expectTensor(x.grad!, [0, 3, 0]);
  });

  it("an in-place op on a leaf that requires grad is refused", () => {
    const x = k.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    expect(() => x.add_(1)).toThrow("a leaf Variable that requires grad is being used in an in-place operation.");
    expect(() => x.zero_()).toThrow("a leaf Variable that requires grad is being used in an in-place operation.");
  });

  it("in-place ops are allowed on a leaf under noGrad", () => {
    const x = k.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    k.noGrad(() => x.mul_(2));
    expectTensor(x, [2, 4]);
  });
});

describe("pointwise autograd details", () => {
  it("zero-gradient ops give exact zeros even for non-finite upstream gradients", () => {
    const x = k.tensor([0.5, 1.5], { dtype: "float64", requiresGrad: true });
    const [g] = k.autograd.grad(x.floor(), x, { gradOutputs: [f64([Infinity, Number.NaN])] });
    expectTensor(g!, [0, 0]);
  });

  it("where gives the unselected branch a zero gradient", () => {
    const x = k.tensor([-1, 4], { dtype: "float64", requiresGrad: true });
    const y = k.tensor([2, 3], { dtype: "float64", requiresGrad: true });
    k.where(x.gt(0), x.mul(2), y.mul(3)).sum().backward();
    expectTensor(x.grad!, [0, 2]);
    expectTensor(y.grad!, [3, 0]);
  });

  it("as in PyTorch, NaN from an unselected branch's own backward still propagates", () => {
    const x = k.tensor([-1, 4], { dtype: "float64", requiresGrad: true });
    k.where(x.gt(0), x.sqrt(), 0).sum().backward();
    // where passes 0 to sqrt's backward at -1, and sqrt's backward gives 0 / (2 · NaN) = NaN.
    expect(x.grad!.tolist()).toEqual([Number.NaN, 0.25]);
  });

  it("maximum splits ties half and half", () => {
    const a = k.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const b = k.tensor([1, 5, 0], { dtype: "float64", requiresGrad: true });
    a.maximum(b).sum().backward();
    expectTensor(a.grad!, [0.5, 0, 1]);
    expectTensor(b.grad!, [0.5, 1, 0]);
  });

  it("clamp with tensor bounds gives the bound its gradient where it was chosen", () => {
    const x = k.tensor([-2, 0.5, 3], { dtype: "float64", requiresGrad: true });
    const lo = k.tensor([-1, -1, -1], { dtype: "float64", requiresGrad: true });
    const hi = k.tensor([1, 1, 1], { dtype: "float64", requiresGrad: true });
    x.clamp(lo, hi).sum().backward();
    expectTensor(x.grad!, [0, 1, 0]);
    expectTensor(lo.grad!, [1, 0, 0]);
    expectTensor(hi.grad!, [0, 0, 1]);
  });

  it("gradients of float32 inputs are float32", () => {
    const a = k.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const b = k.tensor([[3], [4]], { dtype: "float64", requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expectTensor(a.grad!, [7, 7]);
    expect(b.grad!.dtype).toBe("float64");
    expectTensor(b.grad!, [[3], [3]]);
  });

  it("comparisons and logical ops do not require grad", () => {
    const x = k.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    expect(x.gt(1).requiresGrad).toBe(false);
    expect(x.isnan().requiresGrad).toBe(false);
    expect(x.logicalAnd(x).requiresGrad).toBe(false);
    expect(x.floor().requiresGrad).toBe(true);
  });
});

describe("pointwise kernels on larger strided inputs", () => {
  it("a broadcast binary op over a permuted 3-d view matches a per-element reference", () => {
    const data: number[][][] = [];
    for (let i = 0; i < 3; i++) {
      data.push([]);
      for (let j = 0; j < 4; j++) {
        data[i]!.push([]);
        for (let l = 0; l < 5; l++) data[i]![j]!.push(i * 20 + j * 5 + l);
      }
    }
    const x = k.tensor(data, { dtype: "float64" }).permute([2, 0, 1]); // [5, 3, 4]
    const y = f64([[1], [2], [3]]); // [3, 1]
    const out = x.sub(y).mul(0.5);
    const expected: number[][][] = [];
    for (let l = 0; l < 5; l++) {
      expected.push([]);
      for (let i = 0; i < 3; i++) {
        expected[l]!.push([]);
        for (let j = 0; j < 4; j++) expected[l]![i]!.push((data[i]![j]![l]! - (i + 1)) * 0.5);
      }
    }
    expectTensor(out, expected, 0, 0);
  });

  it("an expanded (stride 0) input", () => {
    const x = f32([1, 2, 3]).expand([2, 3]);
    expectTensor(x.mul(f32([[1], [2]])), [[1, 2, 3], [2, 4, 6]]);
  });
});
