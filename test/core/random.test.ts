// Random ops: reproducible under manualSeed, counter-based, with the right distributions.
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";

function stats(t: k.Tensor): { mean: number; std: number; min: number; max: number } {
  const a = t.toArray();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / a.length), min, max };
}

const N = 100_000;

describe("reproducibility", () => {
  it("manualSeed gives the same values; other seeds and later calls differ", () => {
    k.manualSeed(5);
    const a = k.rand([50]).tolist();
    const b = k.randn([50]).tolist();
    k.manualSeed(5);
    expect(k.rand([50]).tolist()).toEqual(a);
    expect(k.randn([50]).tolist()).toEqual(b);
    k.manualSeed(6);
    expect(k.rand([50]).tolist()).not.toEqual(a);
    k.manualSeed(5);
    k.rand([50]);
    expect(k.rand([50]).tolist()).not.toEqual(a);
  });
  it("every random op is reproducible", () => {
    const draw = () => [
      k.randint(0, 100, [20]).tolist(),
      k.randperm(20).tolist(),
      k.bernoulli(k.full([20], 0.5)).tolist(),
      k.zeros([20]).uniform_(-1, 1).tolist(),
      k.zeros([20]).normal_(2, 3).tolist(),
      k.zeros([20]).bernoulli_(0.3).tolist(),
      k.randLike(k.zeros([3], { dtype: "float64" })).tolist(),
      k.randnLike(k.zeros([3])).tolist(),
    ];
    k.manualSeed(123);
    const first = draw();
    k.manualSeed(123);
    expect(draw()).toEqual(first);
  });
  it("getRngState / setRngState replay the stream", () => {
    k.manualSeed(1);
    k.rand([3]);
    const state = k.getRngState();
    const a = k.randn([4]).tolist();
    k.setRngState(state);
    expect(k.randn([4]).tolist()).toEqual(a);
  });
  it("element i depends only on the counter: a strided target gets the same values in logical order", () => {
    k.manualSeed(9);
    const a = k.zeros([3, 2]).uniform_().tolist() as number[][];
    k.manualSeed(9);
    const t = k.zeros([2, 3]).T.uniform_();
    expect(t.tolist()).toEqual(a);
  });
});

describe("distributions", () => {
  it("rand is uniform on [0, 1)", () => {
    k.manualSeed(0);
    const s = stats(k.rand([N]));
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s.std - Math.sqrt(1 / 12))).toBeLessThan(0.01);
  });
  it("rand float64", () => {
    k.manualSeed(0);
    const x = k.rand([N], { dtype: "float64" });
    expect(x.dtype).toBe("float64");
    expect(Math.abs(stats(x).mean - 0.5)).toBeLessThan(0.01);
  });
  it("randn is standard normal", () => {
    k.manualSeed(1);
    const s = stats(k.randn([N]));
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.02);
  });
  it("uniform_ and normal_ use their parameters", () => {
    k.manualSeed(2);
    const u = stats(k.zeros([N]).uniform_(-2, 4));
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThan(4);
    expect(Math.abs(u.mean - 1)).toBeLessThan(0.03);
    const n = stats(k.zeros([N], { dtype: "float64" }).normal_(3, 0.5));
    expect(Math.abs(n.mean - 3)).toBeLessThan(0.01);
    expect(Math.abs(n.std - 0.5)).toBeLessThan(0.01);
  });
  it("randint covers [low, high) with integers", () => {
    k.manualSeed(3);
    const x = k.randint(-3, 7, [N]);
    expect(x.dtype).toBe("int32");
    const s = stats(x);
    expect(s.min).toBe(-3);
    expect(s.max).toBe(6);
    expect(Math.abs(s.mean - 1.5)).toBeLessThan(0.05);
    const y = k.randint(4, [2, 3]);
    expect(y.shape).toEqual([2, 3]);
    expect(stats(y).max).toBeLessThan(4);
    expect(k.randint(0, 2, [3], { dtype: "float32" }).dtype).toBe("float32");
  });
  it("bernoulli uses the input's probabilities", () => {
    k.manualSeed(4);
    expect(Math.abs(stats(k.bernoulli(k.full([N], 0.3))).mean - 0.3)).toBeLessThan(0.01);
    const mixed = k.bernoulli(k.tensor([0, 1, 0, 1], { dtype: "float32" }));
    expect(mixed.tolist()).toEqual([0, 1, 0, 1]);
    expect(mixed.dtype).toBe("float32");
    expect(Math.abs(stats(k.zeros([N]).bernoulli_(0.75)).mean - 0.75)).toBeLessThan(0.01);
    expect(Math.abs(stats(k.bernoulli(k.zeros([N]), { p: 0.2 })).mean - 0.2)).toBeLessThan(0.01);
    const rows = k.zeros([2, N / 2]).bernoulli_(k.tensor([[0.1], [0.9]]));
    expect(Math.abs(stats(rows.select(0, 1)).mean - 0.9)).toBeLessThan(0.01);
  });
  it("randperm is a permutation", () => {
    k.manualSeed(5);
    const p = k.randperm(1000);
    expect(p.dtype).toBe("int32");
    const sorted = Array.from(p.toArray()).sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.toArray())).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(k.randperm(0).shape).toEqual([0]);
    expect(k.randperm(1).tolist()).toEqual([0]);
  });
  it("random ops make leaves and record no history", () => {
    const x = k.rand([2], { requiresGrad: true });
    expect(x.isLeaf).toBe(true);
    expect(x.requiresGrad).toBe(true);
    expect(k.randLike(x).requiresGrad).toBe(false);
  });
});

describe("random errors", () => {
  it("PyTorch's messages", () => {
    expect(() => k.randint(5, 5, [2])).toThrow("random_ expects 'from' to be less than 'to', but got from=5 >= to=5");
    expect(() => k.zeros([2]).normal_(0, -1)).toThrow("normal expects std >= 0.0, but found std -1");
    expect(() => k.zeros([2]).uniform_(1, 0)).toThrow("uniform_ expects to return a [from, to) range, but found from=1 > to=0");
    expect(() => k.bernoulli(k.tensor([0.5, 2]))).toThrow("Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
    expect(() => k.zeros([2]).bernoulli_(2)).toThrow("bernoulli_ expects p to be in [0, 1], but got p=2");
    expect(() => k.bernoulli(k.tensor([0, 1]))).toThrow("bernoulli(): expected a floating point tensor of probabilities, but got int32");
    expect(() => k.randperm(-1)).toThrow("n must be non-negative, got -1");
    expect(() => k.rand([2], { dtype: "int32" })).toThrow(k.ArgumentError);
    expect(() => k.randn([-1])).toThrow("Trying to create tensor with negative dimension -1: [-1]");
    expect(() => k.randint(0, 1.5, [2])).toThrow(k.ArgumentError);
  });
});
