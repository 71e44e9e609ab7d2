import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { indexingCases, indexingGradCases } from "./cases/indexing.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("indexing ops", indexingCases);
runGradCases("indexing gradients", indexingGradCases);

const i32 = (data: k.NestedData) => k.tensor(data, { dtype: "int32" });

describe("indexing ops: shapes and special cases", () => {
  it("empty results keep their shapes", () => {
    expect(k.nonzero(i32([0, 0])).shape).toEqual([0, 1]);
    expect(k.nonzero(i32([[0, 0]])).shape).toEqual([0, 2]);
    expect(i32([[1, 2, 3]]).indexSelect(0, k.tensor([], { dtype: "int32" })).shape).toEqual([0, 3]);
    expect(k.maskedSelect(i32([1, 2]), k.tensor([false, false])).shape).toEqual([0]);
    expect(i32([[1, 2]]).gather(1, k.tensor([[]], { dtype: "int32" })).shape).toEqual([1, 0]);
    expect(k.cat([i32([[1, 2]]).narrow(0, 0, 0), i32([[3, 4]])]).tolist()).toEqual([[3, 4]]);
  });

  it("embedding gives the padding row no gradient", () => {
    const w = k.tensor([[1, 2], [3, 4], [5, 6]], { dtype: "float32", requiresGrad: true });
    k.embedding(i32([0, 2, 2, 1]), w, { paddingIdx: 2 }).sum().backward();
    expect(w.grad!.tolist()).toEqual([[1, 1], [1, 1], [0, 0]]);
  });

  it("gather gradient accumulates repeated indices", () => {
    const x = k.tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
    x.gather(0, i32([2, 2, 0])).sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 0, 2]);
  });

  it("cat gradient of a float32 input joined with float64 is float32", () => {
    const a = k.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const b = k.tensor([3], { dtype: "float64", requiresGrad: true });
    const y = k.cat([a, b]);
    expect(y.dtype).toBe("float64");
    y.mul(k.tensor([1, 2, 3], { dtype: "float64" })).sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(a.grad!.tolist()).toEqual([1, 2]);
    expect(b.grad!.tolist()).toEqual([3]);
  });

  it("nonzero and maskedSelect are marked data-dependent", async () => {
    const { getOp } = await import("../../src/ops/registry.js");
    expect(getOp("nonzero").dataDependentShape).toBe(true);
    expect(getOp("maskedSelect").dataDependentShape).toBe(true);
    expect(getOp("nonzero").meta([i32([[1, 0]])], {})[0]!.shape).toEqual([-1, 2]);
    expect(getOp("maskedSelect").meta([i32([1, 0]), k.tensor([true, false])], {})[0]!.shape).toEqual([-1]);
  });

  it("scatter_ and indexAdd_ record gradients through the in-place write", () => {
    const x = k.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const s = k.tensor([10, 20], { dtype: "float64", requiresGrad: true });
    const y = x.mul(1);
    y.scatter_(0, i32([0, 2]), s);
    y.mul(k.tensor([1, 2, 3], { dtype: "float64" })).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 2, 0]);
    expect(s.grad!.tolist()).toEqual([1, 3]);
  });
});
