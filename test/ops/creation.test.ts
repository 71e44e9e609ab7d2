import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { creationCases } from "./cases/creation.js";
import { runOpCases } from "../helpers/run-cases.js";

runOpCases("creation ops", creationCases);

describe("creation options", () => {
  it("requiresGrad makes a float leaf", () => {
    const z = k.zeros([2], { requiresGrad: true });
    expect(z.requiresGrad).toBe(true);
    expect(z.isLeaf).toBe(true);
    expect(z.gradFn).toBeNull();
    expect(k.full([2], 3, { requiresGrad: true }).dtype).toBe("float32");
    expect(k.arange(3, { requiresGrad: true }).dtype).toBe("float32");
    expect(k.randn([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
  it("requiresGrad on an integer dtype is rejected", () => {
    expect(() => k.zeros([2], { dtype: "int32", requiresGrad: true })).toThrow(
      "Only Tensors of floating point and complex dtype can require gradients",
    );
  });
  it("shapes come back as given", () => {
    expect(k.ones([2, 1, 3]).shape).toEqual([2, 1, 3]);
    expect(k.zeros([]).shape).toEqual([]);
    expect(k.eye(0).shape).toEqual([0, 0]);
  });
  it("fill_ and zero_ write in place and bump the version", () => {
    const x = k.arange(4, { dtype: "float32" });
    x.fill_(2.5);
    expect(x.tolist()).toEqual([2.5, 2.5, 2.5, 2.5]);
    x.zero_();
    expect(x.tolist()).toEqual([0, 0, 0, 0]);
    expect(x._version).toBe(2);
    x.fill_(k.tensor(7));
    expect(x.tolist()).toEqual([7, 7, 7, 7]);
    expect(() => x.fill_(k.tensor([1, 2]))).toThrow("fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.");
  });
});

describe("creation errors", () => {
  it("invalid sizes", () => {
    expect(() => k.zeros([-1])).toThrow("Trying to create tensor with negative dimension -1: [-1]");
    expect(() => k.ones([2, -3])).toThrow("Trying to create tensor with negative dimension -3: [2, -3]");
    expect(() => k.zeros([Number.NaN])).toThrow(k.ArgumentError);
    expect(() => k.zeros([1.5])).toThrow("size must contain only integers, but got number 1.5 in size [1.5]");
    expect(() => k.full([2], "a" as unknown as number)).toThrow("full(): argument 'fill_value' must be Number, not string \"a\"");
    expect(() => k.zeros("3" as unknown as number[])).toThrow(k.ArgumentError);
    expect(() => k.zeros([2], { dtype: "int64" as k.DType })).toThrow('dtype must be one of "bool", "int32", "float32", "float64", but got string "int64"');
  });
  it("arange", () => {
    expect(() => k.arange(0, 5, 0)).toThrow("step must be nonzero");
    expect(() => k.arange(5, 0)).toThrow("upper bound and larger bound inconsistent with step sign");
    expect(() => k.arange(0, 5, -1)).toThrow("upper bound and larger bound inconsistent with step sign");
    expect(() => k.arange(0, Infinity)).toThrow("unsupported range: 0 -> Infinity");
    expect(() => k.arange(Number.NaN)).toThrow(k.ArgumentError);
  });
  it("linspace and eye", () => {
    expect(() => k.linspace(0, 1, -1)).toThrow("number of steps must be non-negative");
    expect(() => k.linspace(0, 1, 2.5)).toThrow(k.ArgumentError);
    expect(() => k.eye(-1)).toThrow("n must be greater or equal to 0, got -1");
    expect(() => k.eye(2, -1)).toThrow("m must be greater or equal to 0, got -1");
  });
});
