import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";

const { nn } = k;
const init = nn.init;

function stats(t: k.Tensor): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(t.toArray());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: Math.max(...v.map(Math.abs)) };
}

describe("nn.init", () => {
  it("calculateGain matches PyTorch", () => {
    expect(init.calculateGain("linear")).toBe(1);
    expect(init.calculateGain("conv2d")).toBe(1);
    expect(init.calculateGain("sigmoid")).toBe(1);
    expect(init.calculateGain("tanh")).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain("relu")).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain("leaky_relu")).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain("leaky_relu", Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain("selu")).toBe(0.75);
    expect(() => init.calculateGain("swish")).toThrow("Unsupported nonlinearity swish");
  });

  it("fan in/out count the receptive field", () => {
    expect(init.calculateFanInAndFanOut(k.zeros([8, 3, 5, 5]))).toEqual([75, 200]);
    expect(() => init.calculateFanInAndFanOut(k.zeros([3]))).toThrow(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
  });

  it("constant_, ones_, zeros_, uniform_, normal_ fill in place without recording grad", () => {
    const p = new nn.Parameter(k.zeros([200, 50]));
    expect(init.constant_(p, 0.5)).toBe(p);
    expect(p.toArray().every((v) => v === 0.5)).toBe(true);
    expect(p.isLeaf).toBe(true);
    init.ones_(p);
    expect(p.toArray().every((v) => v === 1)).toBe(true);
    init.zeros_(p);
    expect(p.toArray().every((v) => v === 0)).toBe(true);
    k.manualSeed(0);
    init.uniform_(p, -2, 3);
    const u = stats(p);
    expect(Math.min(...p.toArray())).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...p.toArray())).toBeLessThan(3);
    expect(u.mean).toBeCloseTo(0.5, 1);
    init.normal_(p, 1, 2);
    const n = stats(p);
    expect(n.mean).toBeCloseTo(1, 1);
    expect(n.std).toBeCloseTo(2, 1);
    expect(p.gradFn).toBeNull();
  });

  it("xavier and kaiming use PyTorch's bounds and standard deviations", () => {
    k.manualSeed(1);
    const w = k.zeros([300, 200]);
    init.xavierUniform_(w, { gain: 2 });
    const xa = 2 * Math.sqrt(6 / 500);
    expect(stats(w).maxAbs).toBeLessThanOrEqual(xa);
    expect(stats(w).maxAbs).toBeGreaterThan(0.99 * xa);
    init.xavierNormal_(w);
    expect(stats(w).std).toBeCloseTo(Math.sqrt(2 / 500), 2);
    init.kaimingUniform_(w, { nonlinearity: "relu" });
    const ka = Math.sqrt(2) * Math.sqrt(3 / 200);
    expect(stats(w).maxAbs).toBeLessThanOrEqual(ka);
    expect(stats(w).maxAbs).toBeGreaterThan(0.99 * ka);
    init.kaimingNormal_(w, { mode: "fan_out", nonlinearity: "relu" });
    expect(stats(w).std / (Math.sqrt(2) / Math.sqrt(300))).toBeCloseTo(1, 1);
    init.kaimingNormal_(w, { mode: "fanOut", nonlinearity: "relu" });
    expect(() => init.kaimingNormal_(w, { mode: "fan_avg" as "fan_in" })).toThrow("Mode fan_avg not supported");
  });

  it("is deterministic under manualSeed", () => {
    k.manualSeed(9);
    const a = init.kaimingUniform_(k.zeros([4, 4]));
    k.manualSeed(9);
    const b = init.kaimingUniform_(k.zeros([4, 4]));
    expect(a.tolist()).toEqual(b.tolist());
  });
});

describe("nn.utils", () => {
  it("clipGradNorm_ scales gradients to maxNorm and returns the total norm", () => {
    const a = new nn.Parameter(k.zeros([2]));
    const b = new nn.Parameter(k.zeros([1]));
    a.grad = k.tensor([3, 0], { dtype: "float32" });
    b.grad = k.tensor([4], { dtype: "float32" });
    const total = nn.utils.clipGradNorm_([a, b], 1);
    expect(total.ndim).toBe(0);
    expect(total.item()).toBeCloseTo(5, 5);
    (a.grad.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo([0.6, 0][i]!, 5));
    expect(b.grad.item()).toBeCloseTo(0.8, 5);
    // below the limit: unchanged
    const t2 = nn.utils.clipGradNorm_([a, b], 10);
    expect(t2.item()).toBeCloseTo(1, 5);
    expect(b.grad.item()).toBeCloseTo(0.8, 5);
  });

  it("clipGradNorm_ with other norms, no gradients, and non-finite norms", () => {
    const a = new nn.Parameter(k.zeros([3]));
    a.grad = k.tensor([1, -3, 2], { dtype: "float32" });
    expect(nn.utils.clipGradNorm_(a, 100, { normType: Infinity }).item()).toBe(3);
    expect(nn.utils.clipGradNorm_(a, 100, { normType: 1 }).item()).toBe(6);
    expect(nn.utils.clipGradNorm_([new nn.Parameter(k.zeros([1]))], 1).item()).toBe(0);
    a.grad = k.tensor([NaN, 1, 1], { dtype: "float32" });
    expect(() => nn.utils.clipGradNorm_(a, 1, { errorIfNonfinite: true })).toThrow("non-finite");
  });

  it("clipGradValue_ clamps and parameters round-trip through a vector", () => {
    const a = new nn.Parameter(k.zeros([2]));
    a.grad = k.tensor([-5, 0.5], { dtype: "float32" });
    nn.utils.clipGradValue_([a], 1);
    expect(a.grad.tolist()).toEqual([-1, 0.5]);
    const lin = new nn.Linear(2, 3);
    const v = nn.utils.parametersToVector(lin.parameters());
    expect(v.shape).toEqual([9]);
    nn.utils.vectorToParameters(k.arange(9).to("float32"), lin.parameters());
    expect(lin.weight.tolist()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(lin.bias!.tolist()).toEqual([6, 7, 8]);
  });
});
