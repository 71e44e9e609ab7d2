import { describe, expect, it } from "vitest";
import * as k from "../src/index.js";

describe("foundation smoke", () => {
  it("adds with broadcasting and promotes dtypes", () => {
    const a = k.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = k.tensor([0.5, 1.5, 2.5]);
    const c = a.add(b);
    expect(c.dtype).toBe("float32");
    expect(c.tolist()).toEqual([[1.5, 3.5, 5.5], [4.5, 6.5, 8.5]]);
    expect(a.add(1).dtype).toBe("int32");
    expect(a.mul(0.5).dtype).toBe("float32");
    expect(a.div(2).tolist()).toEqual([[0.5, 1, 1.5], [2, 2.5, 3]]);
  });
  it("views share storage and transposes are strided", () => {
    const a = k.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
    const t = a.transpose(0, 1);
    expect(t.stride()).toEqual([1, 3]);
    expect(t.tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    t.add_(10);
    expect(a.tolist()).toEqual([[11, 12, 13], [14, 15, 16]]);
    expect(a.exp().sum().item()).toBeCloseTo([11, 12, 13, 14, 15, 16].reduce((s, v) => s + Math.exp(v), 0), -3);
  });
  it("prints like PyTorch", () => {
    expect(k.tensor([1.0, -2.5]).toString()).toBe("tensor([ 1.0000, -2.5000])");
    expect(k.tensor([1, 2]).toString()).toBe("tensor([1, 2])");
    expect(k.tensor([1, 2], { dtype: "float32" }).toString()).toBe("tensor([1., 2.])");
    expect(k.tensor([true, false]).toString()).toBe("tensor([ True, False])");
  });
  it("rejects bad shapes with PyTorch's message", () => {
    expect(() => k.tensor([1, 2, 3]).add(k.tensor([1, 2]))).toThrow(
      "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
    );
  });
});
