import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import * as F from "../../src/nn/functional.js";
import { nnFunctionalCases, nnFunctionalGradCases } from "./cases/nn-functional.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("nn.functional ops", nnFunctionalCases);
runGradCases("nn.functional gradients", nnFunctionalGradCases);

describe("dropout", () => {
  it("keeps about 1-p of the elements, scaled by 1/(1-p)", () => {
    k.manualSeed(0);
    const y = F.dropout(k.ones([4000]), { p: 0.25 });
    const vals = y.toArray();
    let kept = 0;
    for (const v of vals) {
      expect(v === 0 || Math.abs(v - 4 / 3) < 1e-6).toBe(true);
      if (v !== 0) kept++;
    }
    expect(Math.abs(kept / 4000 - 0.75)).toBeLessThan(0.03);
  });
  it("is deterministic given manualSeed and advances the stream", () => {
    k.manualSeed(42);
    const a = F.dropout(k.ones([64])).tolist();
    const b = F.dropout(k.ones([64])).tolist();
    k.manualSeed(42);
    expect(F.dropout(k.ones([64])).tolist()).toEqual(a);
    expect(b).not.toEqual(a);
  });
  it("returns the input itself when p = 0 or not training", () => {
    const x = k.ones([3]);
    expect(F.dropout(x, { p: 0 })).toBe(x);
    expect(F.dropout(x, { training: false })).toBe(x);
  });
  it("gradient is the mask scaled by 1/(1-p)", () => {
    k.manualSeed(1);
    const x = k.ones([50], { requiresGrad: true });
    const y = F.dropout(x, { p: 0.5 });
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual(y.detach().tolist());
  });
  it("inplace writes into the input", () => {
    k.manualSeed(3);
    const x = k.ones([16]);
    const y = F.dropout(x, { p: 0.5, inplace: true });
    expect(y).toBe(x);
    expect(x.toArray().every((v) => v === 0 || v === 2)).toBe(true);
  });
});

describe("attention dropout", () => {
  it("is deterministic given manualSeed and differs from no dropout", () => {
    const q = k.tensor([[[0.1, 0.2], [0.3, -0.4], [1, 0.5]]], { dtype: "float32" });
    k.manualSeed(9);
    const a = F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5 }).tolist();
    k.manualSeed(9);
    expect(F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5 }).tolist()).toEqual(a);
    expect(a).not.toEqual(F.scaledDotProductAttention(q, q, q).tolist());
  });
});

describe("normalisation layers", () => {
  it("layerNorm keeps float64 and gives zero mean, unit variance rows", () => {
    const y = F.layerNorm(k.tensor([[1, 5, 2, 8]], { dtype: "float64" }), [4], null, null, { eps: 0 });
    expect(y.dtype).toBe("float64");
    const v = Array.from(y.toArray());
    const mean = v.reduce((a, b) => a + b, 0) / 4;
    const varr = v.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(Math.abs(varr - 1)).toBeLessThan(1e-12);
  });
  it("batchNorm does not record the running-stat update in autograd", () => {
    const rm = k.zeros([2]);
    const rv = k.ones([2]);
    const x = k.tensor([[1, 2], [3, 4]], { dtype: "float32", requiresGrad: true });
    F.batchNorm(x, rm, rv, null, null, { training: true }).sum().backward();
    expect(rm.requiresGrad).toBe(false);
    expect(rv.requiresGrad).toBe(false);
    expect(x.grad).not.toBeNull();
  });
});

describe("losses", () => {
  it("crossEntropy gradient matches softmax - onehot over N", () => {
    const x = k.tensor([[1, 2, 3], [0, 0, 0]], { dtype: "float64", requiresGrad: true });
    F.crossEntropy(x, k.tensor([2, 0])).backward();
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    const expected = [[e[0]! / s / 2, e[1]! / s / 2, (e[2]! / s - 1) / 2], [(1 / 3 - 1) / 2, 1 / 6, 1 / 6]];
    const g = x.grad!.tolist() as number[][];
    g.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 12));
  });
  it("crossEntropy ignored targets get zero gradient", () => {
    const x = k.tensor([[1, 2], [3, 4]], { dtype: "float32", requiresGrad: true });
    F.crossEntropy(x, k.tensor([-100, 1])).backward();
    expect(x.grad!.tolist()).toEqual([[0, 0], expect.any(Array)]);
  });
  it("nn.functional re-exports activations", () => {
    expect(F.relu(k.tensor([-1, 2])).tolist()).toEqual([0, 2]);
    expect(typeof F.softmax).toBe("function");
  });
});

describe("nn.functional namespace", () => {
  it("gathers the functional ops of the other families", () => {
    for (const name of ["relu", "gelu", "silu", "softplus", "sigmoid", "tanh", "softmax", "logSoftmax", "linear", "conv1d", "conv2d", "maxPool2d", "avgPool2d", "adaptiveAvgPool2d", "embedding", "pad", "oneHot", "dropout", "layerNorm", "crossEntropy"]) {
      expect(typeof (F as Record<string, unknown>)[name], name).toBe("function");
    }
  });
  it("relu inplace", () => {
    const x = k.tensor([-1, 2], { dtype: "float32" });
    expect(F.relu(x, { inplace: true })).toBe(x);
    expect(x.tolist()).toEqual([0, 2]);
  });
});
