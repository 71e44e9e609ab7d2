import { describe, expect, it } from "vitest";
import * as k from "../src/index.js";

describe("autograd smoke", () => {
  it("computes gradients through broadcasting ops", () => {
    const x = k.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32", requiresGrad: true });
    const b = k.tensor([1, 1, 1], { dtype: "float32", requiresGrad: true });
    const y = x.mul(b).sin().sum();
    y.backward();
    expect(b.grad!.shape).toEqual([3]);
    const expected = [1, 2, 3].map((c, j) => Math.cos(c) * c + Math.cos(c + 3) * (c + 3));
    (b.grad!.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });
  it("passes gradcheck for unary and binary ops", () => {
    const x = k.tensor([[0.3, -0.7], [1.2, 0.5]], { dtype: "float64", requiresGrad: true });
    const y = k.tensor([0.9, 1.7], { dtype: "float64", requiresGrad: true });
    expect(k.gradcheck((a, b) => a.tanh().mul(b).div(b.exp()).sub(a.sigmoid()), [x, y])).toBe(true);
  });
  it("rejects in-place on a leaf that requires grad", () => {
    const x = k.tensor([1.0], { requiresGrad: true });
    expect(() => x.add_(1)).toThrow("a leaf Variable that requires grad is being used in an in-place operation.");
  });
  it("detects a saved tensor modified in place", () => {
    const x = k.tensor([1.0, 2.0], { requiresGrad: true });
    const y = x.add(0);
    const z = y.exp();
    z.add_(1);
    expect(() => z.sum().backward()).toThrow(/modified by an inplace operation/);
  });
});
