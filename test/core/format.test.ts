// Printing: exact strings in PyTorch's format (torch/_tensor_str.py), with kiln's names for dtypes
// and autograd suffixes.
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";

const f32 = (v: number[] | number[][]) => k.tensor(v, { dtype: "float32" });

describe("printing", () => {
  afterEach(() => k.setPrintOptions({ profile: "default" }));

  it("floats in fixed notation share one width", () => {
    expect(f32([1.5, -2.25]).toString()).toBe("tensor([ 1.5000, -2.2500])");
    expect(f32([[0.1, 10.5], [-3, 4]]).toString()).toBe("tensor([[ 0.1000, 10.5000],\n        [-3.0000,  4.0000]])");
  });
  it("integer-valued floats print with a trailing dot", () => {
    expect(f32([1, -20, 300]).toString()).toBe("tensor([  1., -20., 300.])");
    expect(f32([0, 0]).toString()).toBe("tensor([0., 0.])");
  });
  it("ints and bools", () => {
    expect(k.tensor([[1, -20], [300, 4]]).toString()).toBe("tensor([[  1, -20],\n        [300,   4]])");
    expect(k.tensor([true, false]).toString()).toBe("tensor([ True, False])");
  });
  it("scientific notation when the range is wide or values are tiny or huge", () => {
    expect(f32([1e-5, 1, 1000]).toString()).toBe("tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])");
    expect(f32([1, 10000]).toString()).toBe("tensor([1.0000e+00, 1.0000e+04])");
    expect(f32([1e9]).toString()).toBe("tensor([1.0000e+09])");
    expect(f32([0.5, -2e-5]).toString()).toBe("tensor([ 5.0000e-01, -2.0000e-05])");
    expect(k.tensor([1.5, 1000], { dtype: "float64" }).toString()).toBe("tensor([   1.5000, 1000.0000], dtype=float64)");
  });
  it("non-finite values do not set the width", () => {
    expect(f32([1.5, Infinity, Number.NaN]).toString()).toBe("tensor([1.5000,    inf,    nan])");
    expect(f32([0, Number.NaN]).toString()).toBe("tensor([0., nan])");
    expect(f32([-Infinity, 1]).toString()).toBe("tensor([-inf, 1.])");
  });
  it("rounds exact ties to even like Python", () => {
    expect(f32([0.03125, 1.5]).toString()).toBe("tensor([0.0312, 1.5000])");
  });
  it("0-d tensors", () => {
    expect(k.tensor(3.5).toString()).toBe("tensor(3.5000)");
    expect(k.tensor(3).toString()).toBe("tensor(3)");
    expect(k.tensor(2, { dtype: "float32" }).toString()).toBe("tensor(2.)");
    expect(k.tensor(true).toString()).toBe("tensor(True)");
    expect(k.tensor(0.25, { dtype: "float64" }).toString()).toBe("tensor(0.2500, dtype=float64)");
  });
  it("empty tensors", () => {
    expect(k.zeros([0]).toString()).toBe("tensor([])");
    expect(k.zeros([2, 0]).toString()).toBe("tensor([], size=[2, 0])");
    expect(k.zeros([0], { dtype: "int32" }).toString()).toBe("tensor([], dtype=int32)");
    expect(k.zeros([0, 3], { dtype: "float64" }).toString()).toBe("tensor([], size=[0, 3], dtype=float64)");
  });
  it("dtype and autograd suffixes", () => {
    expect(k.tensor([1, 2.5], { dtype: "float64" }).toString()).toBe("tensor([1.0000, 2.5000], dtype=float64)");
    const x = k.tensor([1, 2], { requiresGrad: true });
    expect(x.toString()).toBe("tensor([1., 2.], requiresGrad=true)");
    expect(x.mul(2).toString()).toBe("tensor([2., 4.], gradFn=<MulBackward>)");
    const y = k.tensor([1, 2], { dtype: "float64", requiresGrad: true });
    expect(y.select(0, 1).toString()).toBe("tensor(2., dtype=float64, gradFn=<SelectBackward>)");
  });
  it("wraps rows at the line width", () => {
    expect(k.arange(20, { dtype: "float32" }).mul(1.5).toString()).toBe(
      "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n" +
        "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n" +
        "        24.0000, 25.5000, 27.0000, 28.5000])",
    );
  });
  it("moves a suffix to its own line past the line width", () => {
    expect(k.arange(8, { dtype: "float64" }).mul(1.5).toString()).toBe(
      "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000],\n       dtype=float64)",
    );
  });
  it("summarises past 1000 elements", () => {
    expect(k.arange(2000).toString()).toBe("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
    expect(k.arange(2000).reshape([40, 50]).toString()).toBe(
      [
        "tensor([[   0,    1,    2,  ...,   47,   48,   49],",
        "        [  50,   51,   52,  ...,   97,   98,   99],",
        "        [ 100,  101,  102,  ...,  147,  148,  149],",
        "        ...,",
        "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],",
        "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],",
        "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])",
      ].join("\n"),
    );
    expect(k.arange(1000).toString().includes("...")).toBe(false);
  });
  it("3-d tensors separate blocks with a blank line", () => {
    expect(k.arange(8).reshape([2, 2, 2]).toString()).toBe("tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
  });
  it("prints strided views by their logical order", () => {
    expect(k.arange(6).reshape([2, 3]).T.toString()).toBe("tensor([[0, 3],\n        [1, 4],\n        [2, 5]])");
  });
  it("honours setPrintOptions", () => {
    k.setPrintOptions({ precision: 2 });
    expect(f32([1.2345, 2]).toString()).toBe("tensor([1.23, 2.00])");
    k.setPrintOptions({ threshold: 5, edgeitems: 1 });
    expect(k.arange(10).toString()).toBe("tensor([0,  ..., 9])");
    k.setPrintOptions({ profile: "default", sciMode: true });
    expect(f32([1.5]).toString()).toBe("tensor([1.5000e+00])");
  });
  it("template literals, String(), console.log and JSON", () => {
    const t = f32([1, 2]);
    expect(`${t}`).toBe("tensor([1., 2.])");
    expect(String(t)).toBe("tensor([1., 2.])");
    expect(inspect(t)).toBe("tensor([1., 2.])");
    expect(JSON.stringify({ t })).toBe('{"t":[1,2]}');
  });
});
