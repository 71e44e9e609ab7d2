// The Tensor core: metadata, reading values out, conversion to primitives, casts and copies, and
// the errors of bad arguments.
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";

describe("metadata", () => {
  it("shape, ndim, size, stride, numel", () => {
    const x = k.zeros([2, 3, 4]);
    expect(x.shape).toEqual([2, 3, 4]);
    expect(x.ndim).toBe(3);
    expect(x.dim()).toBe(3);
    expect(x.size()).toEqual([2, 3, 4]);
    expect(x.size(-1)).toBe(4);
    expect(x.stride()).toEqual([12, 4, 1]);
    expect(x.stride(0)).toBe(12);
    expect(x.numel()).toBe(24);
    expect(x.storageOffset()).toBe(0);
    expect(() => x.size(3)).toThrow("Dimension out of range (expected to be in range of [-3, 2], but got 3)");
    expect(k.tensor(1).size()).toEqual([]);
    expect(k.tensor(1).numel()).toBe(1);
  });
  it("isFloatingPoint and isLeaf", () => {
    expect(k.zeros([1]).isFloatingPoint()).toBe(true);
    expect(k.arange(2).isFloatingPoint()).toBe(false);
    expect(k.zeros([1]).isLeaf).toBe(true);
  });
});

describe("reading values", () => {
  it("item of one element", () => {
    expect(k.tensor(2.5).item()).toBe(2.5);
    expect(k.tensor([[7]]).item()).toBe(7);
    expect(k.tensor([true]).item()).toBe(true);
    expect(k.arange(6).reshape([2, 3]).select(1, 2).select(0, 1).item()).toBe(5);
    expect(() => k.tensor([1, 2]).item()).toThrow("a Tensor with 2 elements cannot be converted to Scalar");
  });
  it("tolist and toArray follow the logical order of views", () => {
    const x = k.arange(6).reshape([2, 3]);
    expect(x.T.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(Array.from(x.T.toArray())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(x.T.toArray()).toBeInstanceOf(Int32Array);
    expect(k.tensor([1.5], { dtype: "float64" }).toArray()).toBeInstanceOf(Float64Array);
    expect(k.tensor([true, false]).tolist()).toEqual([true, false]);
    expect(k.tensor(3).tolist()).toBe(3);
    expect(k.zeros([2, 0]).tolist()).toEqual([[], []]);
    expect(x.slice(1, 0, null, 2).toArray()).toEqual(new Int32Array([0, 2, 3, 5]));
  });
  it("float32 storage rounds values", () => {
    expect(k.tensor([0.1]).item()).toBe(Math.fround(0.1));
    expect(k.tensor([0.1], { dtype: "float64" }).item()).toBe(0.1);
  });
});

describe("conversion to primitives", () => {
  it("+t, arithmetic and comparisons use the value of one-element tensors", () => {
    const t = k.tensor([2.5]);
    expect(+t).toBe(2.5);
    expect((t as unknown as number) * 2).toBe(5);
    expect((t as unknown as number) > 2).toBe(true);
    expect("" + k.tensor(3)).toBe("3");
  });
  it("template literals print the tensor", () => {
    expect(`${k.tensor([1, 2])}`).toBe("tensor([1, 2])");
  });
  it("several elements cannot become a number", () => {
    expect(() => +k.tensor([1, 2])).toThrow(k.KilnRuntimeError);
    expect(() => +k.tensor([1, 2])).toThrow("a Tensor with 2 elements cannot be converted to a primitive");
  });
});

describe("casts and copies", () => {
  it("to() converts and is a no-op for the same dtype", () => {
    const x = k.tensor([1.7, -1.2, 0]);
    expect(x.to("int32").tolist()).toEqual([1, -1, 0]);
    expect(x.to("bool").tolist()).toEqual([true, true, false]);
    expect(x.to("float64").dtype).toBe("float64");
    expect(x.to("float32")).toBe(x);
    expect(k.tensor([true, false]).to("float32").tolist()).toEqual([1, 0]);
    expect(() => x.to("float16" as k.DType)).toThrow(k.ArgumentError);
  });
  it("float/double/int/bool", () => {
    const x = k.tensor([2.5, 0]);
    expect(x.double().dtype).toBe("float64");
    expect(x.int().tolist()).toEqual([2, 0]);
    expect(x.bool().tolist()).toEqual([true, false]);
    expect(x.int().float().tolist()).toEqual([2, 0]);
  });
  it("casts are differentiable between float dtypes", () => {
    const x = k.tensor([1, 2], { requiresGrad: true });
    x.double().mul(3).sum().backward();
    expect(x.grad!.dtype).toBe("float32");
    expect(x.grad!.tolist()).toEqual([3, 3]);
  });
  it("clone copies, contiguous copies only when needed", () => {
    const x = k.arange(6).reshape([2, 3]);
    const c = x.clone();
    c.add_(1);
    expect(x.tolist()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(x.contiguous()).toBe(x);
    const t = x.T.contiguous();
    expect(t.isContiguous()).toBe(true);
    expect(t._storage).not.toBe(x._storage);
    expect(t.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
  it("copy_ broadcasts and casts into the target", () => {
    const x = k.zeros([2, 2]);
    x.copy_(k.tensor([1, 2]));
    expect(x.tolist()).toEqual([[1, 2], [1, 2]]);
    expect(x._version).toBe(1);
    expect(() => x.copy_(k.zeros([3]))).toThrow(k.ShapeError);
  });
});

describe("argument errors", () => {
  it("a string where a tensor goes names the op and argument", () => {
    expect(() => k.add("a" as unknown as k.Tensor, 1)).toThrow("add(): argument 'input' must be Tensor or number, not string \"a\"");
    expect(() => k.reshape({} as k.Tensor, [1])).toThrow("reshape(): argument 'input' must be Tensor, not Object");
    expect(() => k.zerosLike(null as unknown as k.Tensor)).toThrow("zerosLike(): argument 'input' must be Tensor, not null");
    expect(() => k.transpose(k.zeros([2, 2]), "0" as unknown as number, 1)).toThrow('dim must be an integer, but got string "0"');
  });
  it("invalid shapes", () => {
    expect(() => k.zeros([2]).view([3])).toThrow("shape '[3]' is invalid for input of size 2");
    expect(() => k.zeros([2]).reshape([-2])).toThrow(k.ArgumentError);
    expect(() => k.zeros([2]).permute([0, 0] as number[])).toThrow(k.ShapeError);
    expect(() => k.zeros([2, 2]).permute([0, 0])).toThrow("permute(): duplicate dims are not allowed.");
  });
  it("requiresGrad needs a floating dtype", () => {
    expect(() => {
      k.arange(3).requiresGrad = true;
    }).toThrow("only Tensors of floating point dtype can require gradients");
  });
  it("errors are KilnError subclasses with their class name", () => {
    try {
      k.arange(3).select(0, 3);
    } catch (e) {
      expect(e).toBeInstanceOf(k.KilnError);
      expect((e as Error).name).toBe("IndexError");
    }
  });
});
