import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { reduceCases, reduceGradCases } from "./cases/reduce.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("reductions, scans, softmax, sorting", reduceCases);
runGradCases("reduction gradients", reduceGradCases);

const f64 = (data: number[] | number[][]) => k.tensor(data, { dtype: "float64", requiresGrad: true });
const gradOf = (x: k.Tensor, f: (x: k.Tensor) => k.Tensor) => {
  f(x).backward();
  return x.grad!.tolist();
};

describe("reduction gradients at ties and zeros", () => {
  it("amax splits evenly among ties", () => {
    expect(gradOf(f64([1, 3, 3, 2]), (x) => x.amax())).toEqual([0, 0.5, 0.5, 0]);
  });
  it("max() splits evenly among three ties", () => {
    const g = gradOf(f64([3, 3, 1, 3]), (x) => x.max()) as number[];
    g.forEach((v, i) => expect(v).toBeCloseTo([1 / 3, 1 / 3, 0, 1 / 3][i]!, 12));
  });
  it("amin over a dim splits per row", () => {
    expect(gradOf(f64([[1, 1], [2, 0]]), (x) => x.amin(1).sum())).toEqual([[0.5, 0.5], [0, 1]]);
  });
  it("max(dim) sends the gradient to the first index only", () => {
    expect(gradOf(f64([[1, 3, 3], [5, 5, 0]]), (x) => x.max(1).values.sum())).toEqual([[0, 1, 0], [1, 0, 0]]);
  });
  it("prod with one zero", () => {
    expect(gradOf(f64([2, 0, 3]), (x) => x.prod())).toEqual([0, 6, 0]);
  });
  it("prod with two zeros", () => {
    expect(gradOf(f64([0, 4, 0]), (x) => x.prod())).toEqual([0, 0, 0]);
  });
  it("norm 2 of zeros has a zero gradient", () => {
    expect(gradOf(f64([0, 0]), (x) => x.norm())).toEqual([0, 0]);
  });
  it("std of equal values has a zero gradient", () => {
    expect(gradOf(f64([2, 2, 2]), (x) => x.std())).toEqual([0, 0, 0]);
  });
  it("sort scatters the gradient back through the indices", () => {
    const w = k.tensor([1, 2, 3], { dtype: "float64" });
    expect(gradOf(f64([3, 1, 2]), (x) => x.sort().values.mul(w).sum())).toEqual([3, 1, 2]);
  });
  it("topk sends zero to elements not picked", () => {
    expect(gradOf(f64([3, 1, 2]), (x) => x.topk(2).values.sum())).toEqual([1, 0, 1]);
  });
  it("cumsum backward is a reversed cumsum", () => {
    expect(gradOf(f64([1, 1, 1]), (x) => x.cumsum(0).sum())).toEqual([3, 2, 1]);
  });
  it("sort is twice differentiable", () => {
    const x = f64([3, 1, 2]);
    const y = x.sort().values.square().sum();
    const [g] = k.autograd.grad(y, x, { createGraph: true });
    expect(g!.tolist()).toEqual([6, 2, 4]);
    g!.sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
  });
  it("indices outputs do not require grad", () => {
    const r = f64([1, 2]).max(0);
    expect(r.values.requiresGrad).toBe(true);
    expect(r.indices.requiresGrad).toBe(false);
    expect(r.indices.dtype).toBe("int32");
  });
});

describe("reduction errors", () => {
  const x = () => k.tensor([[1, 2], [3, 4]], { dtype: "float32" });
  it("dimension out of range", () => {
    expect(() => x().sum(2)).toThrow("Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    expect(() => x().max(-3)).toThrow("Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    expect(() => x().softmax(2)).toThrow(k.IndexError);
    expect(() => x().cumsum(5)).toThrow("Dimension out of range");
    expect(() => x().sort(2)).toThrow("Dimension out of range");
    expect(() => x().argmax(2)).toThrow("Dimension out of range");
    expect(() => k.tensor(1).sum(1)).toThrow("Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  });
  it("repeated dims", () => {
    expect(() => x().sum([0, -2])).toThrow("dim 0 appears multiple times in the list of dims");
  });
  it("mean of int", () => {
    expect(() => k.tensor([1, 2]).mean()).toThrow(
      "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Int",
    );
  });
  it("max of empty", () => {
    expect(() => k.tensor([]).max()).toThrow(
      "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
    );
    expect(() => k.tensor([]).min()).toThrow("min(): Expected reduction dim to be specified for input.numel() == 0.");
    expect(() => k.tensor([]).amax()).toThrow("amax(): Expected reduction dim to be specified for input.numel() == 0.");
    expect(() => k.tensor([]).reshape([0, 2]).max(0)).toThrow("max(): Expected reduction dim 0 to have non-zero size.");
    expect(() => k.tensor([]).reshape([2, 0]).amin(1)).toThrow("amin(): Expected reduction dim 1 to have non-zero size.");
    expect(() => k.tensor([]).argmax()).toThrow("argmax(): Expected reduction dim to be specified for input.numel() == 0.");
    expect(k.tensor([]).reshape([0, 2]).max(1).values.shape).toEqual([0]);
  });
  it("var and std need floats", () => {
    expect(() => k.tensor([1, 2]).var()).toThrow("std and var only support floating point and complex dtypes");
    expect(() => k.tensor([1, 2]).std()).toThrow(k.DTypeError);
    expect(() => x().var(0, { unbiased: true, correction: 1 })).toThrow("Cannot specify both unbiased and correction");
  });
  it("norm needs floats", () => {
    expect(() => k.tensor([1, 2]).norm()).toThrow("linalg.vector_norm: Expected a floating point or complex tensor as input. Got Int");
    expect(() => k.tensor([], { dtype: "float32" }).norm(Infinity)).toThrow(
      "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an identity",
    );
  });
  it("softmax needs floats", () => {
    expect(() => k.tensor([1, 2]).softmax(0)).toThrow(`"softmax_lastdim_kernel_impl" not implemented for 'Int'`);
    expect(() => k.tensor([1, 2]).logSoftmax(0)).toThrow(k.DTypeError);
  });
  it("topk k out of range", () => {
    expect(() => x().topk(3)).toThrow("selected index k out of range");
    expect(() => x().topk(-1)).toThrow("selected index k out of range");
  });
  it("bad dim arguments", () => {
    expect(() => x().cumsum("a" as unknown as number)).toThrow(k.ArgumentError);
    expect(() => x().sum("a" as unknown as number)).toThrow(k.ArgumentError);
  });
});

describe("reduction shapes", () => {
  const x = () => k.tensor(Array.from({ length: 24 }, (_, i) => i), { dtype: "float32" }).reshape([2, 3, 4]);
  it("keepdim shapes", () => {
    expect(x().sum([0, 2], { keepdim: true }).shape).toEqual([1, 3, 1]);
    expect(x().sum([0, 2]).shape).toEqual([3]);
    expect(x().amax(-1, { keepdim: true }).shape).toEqual([2, 3, 1]);
    expect(x().max(1, { keepdim: true }).indices.shape).toEqual([2, 1, 4]);
    expect(x().argmax(null, { keepdim: true }).shape).toEqual([1, 1, 1]);
    expect(x().var([1], { keepdim: true }).shape).toEqual([2, 1, 4]);
    expect(x().norm(2, [0, 1]).shape).toEqual([4]);
    expect(x().logsumexp(0, { keepdim: true }).shape).toEqual([1, 3, 4]);
    expect(x().all(2).shape).toEqual([2, 3]);
    expect(x().sum().shape).toEqual([]);
  });
  it("permuted 3-d input matches contiguous", () => {
    const p = x().permute([2, 0, 1]);
    const c = p.contiguous();
    for (const d of [0, 1, 2, [0, 2], [1, 2]] as (number | number[])[]) {
      expect(p.sum(d).tolist()).toEqual(c.sum(d).tolist());
      expect(p.amax(d).tolist()).toEqual(c.amax(d).tolist());
    }
    for (const d of [0, 1, 2]) {
      expect(p.softmax(d).tolist()).toEqual(c.softmax(d).tolist());
      expect(p.cumsum(d).tolist()).toEqual(c.cumsum(d).tolist());
      expect(p.sort(d, { descending: true }).indices.tolist()).toEqual(c.sort(d, { descending: true }).indices.tolist());
      expect(p.argmax(d).tolist()).toEqual(c.argmax(d).tolist());
    }
  });
  it("int sums wrap like int32", () => {
    expect(k.tensor([2147483647, 1]).sum().item()).toBe(-2147483648);
  });
  it("softmax of a 4096x1024 tensor is fast", () => {
    const n = 4096 * 1024;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(i);
    const t = k.Tensor.fromData(data, [4096, 1024], "float32");
    t.softmax(-1);
    const t0 = performance.now();
    const y = t.softmax(-1);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    const row = y.sum(-1);
    expect(Math.abs((row.amax().item() as number) - 1)).toBeLessThan(1e-5);
  });
});
