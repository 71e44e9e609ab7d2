// Type promotion (torch.result_type rules on kiln's four dtypes) and broadcasting errors.
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { promoteTypes, resultType, type DType } from "../../src/core/dtype.js";
import { broadcastShapes } from "../../src/core/shape.js";

const t = (dtype: DType, ndim = 1) => ({ dtype, ndim });

describe("promoteTypes", () => {
  const order: DType[] = ["bool", "int32", "float32", "float64"];
  it("is the higher of the two in bool < int32 < float32 < float64", () => {
    for (const [i, a] of order.entries()) {
      for (const [j, b] of order.entries()) expect(promoteTypes(a, b)).toBe(order[Math.max(i, j)]);
    }
  });
});

describe("resultType", () => {
  it("tensors with dims decide among themselves", () => {
    expect(resultType(t("int32"), t("float32"))).toBe("float32");
    expect(resultType(t("float32"), t("float64"))).toBe("float64");
    expect(resultType(t("bool"), t("int32"))).toBe("int32");
  });
  it("0-d tensors only count when their category is higher", () => {
    expect(resultType(t("float32"), t("float64", 0))).toBe("float32");
    expect(resultType(t("int32"), t("float64", 0))).toBe("float64");
    expect(resultType(t("bool"), t("int32", 0))).toBe("int32");
    expect(resultType(t("float64", 0), t("float32", 0))).toBe("float64");
  });
  it("JS scalars only count when their category is higher", () => {
    expect(resultType(t("int32"), 2)).toBe("int32");
    expect(resultType(t("int32"), 2.5)).toBe("float32");
    expect(resultType(t("float64"), 2.5)).toBe("float64");
    expect(resultType(t("bool"), true)).toBe("bool");
    expect(resultType(t("bool"), 3)).toBe("int32");
    expect(resultType(t("int32", 0), 2.5)).toBe("float32");
    expect(resultType(2, 2.5)).toBe("float32");
    expect(resultType(true)).toBe("bool");
  });
  it("ops follow it", () => {
    const i = k.tensor([1, 2]);
    expect(i.add(1).dtype).toBe("int32");
    expect(i.add(1.5).dtype).toBe("float32");
    expect(i.add(true).dtype).toBe("int32");
    expect(i.add(k.tensor(1.5, { dtype: "float64" })).dtype).toBe("float64");
    expect(i.float().add(k.tensor(1.5, { dtype: "float64" })).dtype).toBe("float32");
    expect(i.float().add(k.tensor([1.5], { dtype: "float64" })).dtype).toBe("float64");
    expect(i.double().mul(0.5).dtype).toBe("float64");
    expect(k.tensor([true]).add(k.tensor([false])).dtype).toBe("bool");
    expect(k.tensor([true]).mul(2).dtype).toBe("int32");
    expect(i.div(i).dtype).toBe("float32");
  });
});

describe("broadcasting", () => {
  it("broadcasts trailing dims", () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes([], [2])).toEqual([2]);
    expect(broadcastShapes([0, 1], [1, 5])).toEqual([0, 5]);
  });
  it("reports the mismatching dim", () => {
    expect(() => k.zeros([2, 3]).add(k.zeros([2, 2]))).toThrow(
      "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1",
    );
    expect(() => k.zeros([2, 3]).mul(k.zeros([4, 1, 2]))).toThrow(k.ShapeError);
  });
  it("in-place ops cannot grow their target", () => {
    expect(() => k.zeros([3]).add_(k.zeros([2, 3]))).toThrow("output with shape [3] doesn't match the broadcast shape [2, 3]");
    expect(() => k.zeros([3], { dtype: "int32" }).add_(1.5)).toThrow("result type Float can't be cast to the desired output type Int");
  });
});
