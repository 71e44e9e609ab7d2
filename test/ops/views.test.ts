import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { viewCases, viewGradCases } from "./cases/views.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("view ops", viewCases);
runGradCases("view op gradients", viewGradCases);

const m34 = () => k.arange(12).reshape([3, 4]);

describe("views share storage", () => {
  it("gives view strides and offsets", () => {
    const x = m34();
    expect(x.select(0, 1).stride()).toEqual([1]);
    expect(x.select(0, 1).storageOffset()).toBe(4);
    expect(x.select(1, 2).stride()).toEqual([4]);
    expect(x.select(1, 2).storageOffset()).toBe(2);
    expect(x.slice(1, 1, null, 2).stride()).toEqual([4, 2]);
    expect(x.slice(1, 1, null, 2).storageOffset()).toBe(1);
    expect(x.narrow(0, 1, 2).storageOffset()).toBe(4);
    expect(x.T.stride()).toEqual([1, 4]);
    expect(x.expand([2, 3, 4]).stride()).toEqual([0, 4, 1]);
    expect(x.unsqueeze(1).stride()).toEqual([4, 4, 1]);
    expect(x.asStrided([2, 2], [1, 2], 3).stride()).toEqual([1, 2]);
    expect(x.flatten().stride()).toEqual([1]);
    expect(x.chunk(2, 1)[1]!.storageOffset()).toBe(2);
    expect(x.unbind(1)[3]!.storageOffset()).toBe(3);
  });
  it("isContiguous of views", () => {
    const x = m34();
    expect(x.isContiguous()).toBe(true);
    expect(x.T.isContiguous()).toBe(false);
    expect(x.select(0, 1).isContiguous()).toBe(true);
    expect(x.select(1, 1).isContiguous()).toBe(false);
    expect(x.narrow(0, 1, 2).isContiguous()).toBe(true);
    expect(x.narrow(1, 1, 2).isContiguous()).toBe(false);
    expect(x.slice(1, 0, null, 2).isContiguous()).toBe(false);
    expect(x.unsqueeze(0).isContiguous()).toBe(true);
    expect(x.T.contiguous().isContiguous()).toBe(true);
    expect(x.T.contiguous().stride()).toEqual([3, 1]);
  });
  it("view ops alias the input storage; copies do not", () => {
    const x = m34().clone();
    for (const v of [x.view([12]), x.T, x.select(0, 0), x.slice(1, 1), x.narrow(0, 0, 1), x.expand([2, 3, 4]), x.flatten(), x.unflatten(1, [2, 2]), x.asStrided([2], [1]), x.detach(), ...x.chunk(2), ...x.split(1), ...x.unbind()]) {
      expect(v._storage).toBe(x._storage);
      expect(v._base).toBe(x);
    }
    expect(x.clone()._storage).not.toBe(x._storage);
    expect(x.T.reshape([12])._storage).not.toBe(x._storage);
    expect(x.T.flatten()._storage).not.toBe(x._storage);
    expect(x.contiguous()).toBe(x);
    expect(x.to("int32")).toBe(x);
  });
  it("writes through select, T and slice change the base", () => {
    const x = k.arange(6, { dtype: "float32" }).reshape([2, 3]);
    x.select(0, 1).add_(1);
    expect(x.tolist()).toEqual([[0, 1, 2], [4, 5, 6]]);
    x.T.mul_(2);
    expect(x.tolist()).toEqual([[0, 2, 4], [8, 10, 12]]);
    x.slice(1, 0, null, 2).zero_();
    expect(x.tolist()).toEqual([[0, 2, 0], [0, 10, 0]]);
    x.narrow(1, 1, 1).fill_(-1);
    expect(x.tolist()).toEqual([[0, -1, 0], [0, -1, 0]]);
    x.unbind(0)[0]!.copy_(k.tensor([7, 8, 9]));
    expect(x.tolist()).toEqual([[7, 8, 9], [0, -1, 0]]);
  });
  it("version counter is shared between a tensor and its views", () => {
    const x = k.zeros([2, 3]);
    const v = x.select(0, 1);
    const t = x.T;
    expect(x._version).toBe(0);
    v.add_(1);
    expect(x._version).toBe(1);
    expect(v._version).toBe(1);
    expect(t._version).toBe(1);
    x.mul_(2);
    expect(v._version).toBe(2);
    x.uniform_();
    expect(t._version).toBe(3);
    expect(x.clone()._version).toBe(0);
  });
  it("gradient of select accumulates into the base's grad", () => {
    const x = k.ones([2, 3], { requiresGrad: true });
    x.select(0, 1).mul(3).sum().add(x.slice(1, 0, 2).sum()).backward();
    expect(x.grad!.tolist()).toEqual([[1, 1, 0], [4, 4, 3]]);
    expect(x.select(0, 0).gradFn!.name).toBe("SelectBackward");
  });
});

describe("view op errors", () => {
  it("select index out of range (PyTorch's IndexError)", () => {
    expect(() => k.tensor([1, 2, 3]).select(0, 5)).toThrow(k.IndexError);
    expect(() => k.tensor([1, 2, 3]).select(0, 5)).toThrow("select(): index 5 out of range for tensor of size [3] at dimension 0");
    expect(() => k.tensor([1, 2, 3]).select(0, -4)).toThrow("select(): index -4 out of range for tensor of size [3] at dimension 0");
    expect(() => k.tensor(1).select(0, 0)).toThrow("select() cannot be applied to a 0-dim tensor.");
  });
  it("Dimension out of range", () => {
    expect(() => m34().select(2, 0)).toThrow("Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    expect(() => m34().transpose(0, -3)).toThrow("Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    expect(() => m34().unsqueeze(3)).toThrow("Dimension out of range (expected to be in range of [-3, 2], but got 3)");
    expect(() => m34().flatten(0, 5)).toThrow(k.IndexError);
  });
  it("view incompatible with strides", () => {
    expect(() => m34().T.view([12])).toThrow(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
    expect(() => m34().view([5, -1])).toThrow("shape '[5, -1]' is invalid for input of size 12");
    expect(() => m34().view([-1, -1])).toThrow("only one dimension can be inferred");
  });
  it("narrow bounds", () => {
    expect(() => k.arange(3).narrow(0, 2, 2)).toThrow("start (2) + length (2) exceeds dimension size (3).");
    expect(() => k.arange(3).narrow(0, 5, 0)).toThrow("start out of range (expected to be in range of [-3, 3], but got 5)");
    expect(() => k.arange(3).narrow(0, 0, -1)).toThrow("narrow(): length must be non-negative.");
  });
  it("slice step", () => {
    expect(() => k.arange(3).slice(0, 0, 3, 0)).toThrow("slice step must be positive");
    expect(() => k.arange(3).slice(0, 0, 3, -1)).toThrow(k.ArgumentError);
  });
  it("split, chunk, unbind", () => {
    expect(() => k.arange(3).split([1, 1])).toThrow(
      "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 0), but got split_sizes=[1, 1]",
    );
    expect(() => k.arange(3).split(-1)).toThrow("split expects split_size be non-negative, but got split_size=-1");
    expect(() => k.arange(3).chunk(0)).toThrow("chunk expects `chunks` to be greater than 0, got: 0");
    expect(() => k.tensor(1).unbind()).toThrow("Dimension specified as 0 but tensor has no dimensions");
  });
  it("flatten, unflatten, mT, expand", () => {
    expect(() => m34().flatten(1, 0)).toThrow("flatten() has invalid args: start_dim cannot come after end_dim");
    expect(() => m34().unflatten(1, [3, 2])).toThrow(
      "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the input tensor",
    );
    expect(() => k.arange(3).mT).toThrow("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.");
    expect(() => k.zeros([2, 3]).expand([3, 3])).toThrow(
      "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]",
    );
  });
  it("asStrided bounds", () => {
    expect(() => k.arange(3).asStrided([4], [1])).toThrow(
      "setStorage: sizes [4], strides [1], storage offset 0, and itemsize 4 requiring a storage size of 16 are out of bounds for storage of size 12",
    );
    expect(() => k.arange(3).asStrided([2], [1, 1])).toThrow("mismatch in length of strides and shape");
  });
  it("scatter source size", () => {
    expect(() => k.zeros([3]).sliceScatter(k.zeros([2]), 0)).toThrow(
      "expected src to have a size equal to the slice of self. src size = [2], slice size = [3]",
    );
    expect(() => k.zeros([2, 3]).selectScatter(k.zeros([2]), 0, 0)).toThrow(
      "expected src to have a size equal to the slice of self. src size = [2], slice size = [3]",
    );
  });
  it("wrong argument types name the op and argument", () => {
    expect(() => k.select("x" as unknown as k.Tensor, 0, 0)).toThrow("select(): argument 'input' must be Tensor, not string \"x\"");
    expect(() => k.arange(3).expandAs(3 as unknown as k.Tensor)).toThrow("expandAs(): argument 'other' must be Tensor, not number 3");
    expect(() => k.sliceScatter(k.zeros([2]), [1] as unknown as k.Tensor)).toThrow(k.ArgumentError);
    expect(() => m34().view("a" as unknown as number[])).toThrow(k.ArgumentError);
    expect(() => m34().select(0.5, 0)).toThrow("dim must be an integer, but got number 0.5");
  });
});
