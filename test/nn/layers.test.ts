import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { Tensor } from "../../src/index.js";

const { nn } = k;

function close(t: Tensor, expected: unknown, digits = 4): void {
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const got = flat(t.tolist());
  const exp = flat(expected);
  expect(got.length).toBe(exp.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(exp[i]!, digits));
}

function set(p: Tensor | null, values: k.NestedData): void {
  k.noGrad(() => p!.copy_(k.tensor(values, { dtype: p!.dtype })));
}

/** Backward of sum(f()) gives every parameter of m a gradient of its own shape. */
function expectGradsFlow(m: k.nn.Module, f: () => Tensor): void {
  m.zeroGrad();
  f().sum().backward();
  for (const [name, p] of m.namedParameters()) {
    expect(p.grad, name).not.toBeNull();
    expect(p.grad!.shape, name).toEqual(p.shape);
  }
}

describe("Linear and Bilinear", () => {
  it("Linear computes x·Wᵀ + b", () => {
    const lin = new nn.Linear(3, 2);
    set(lin.weight, [[1, 2, 3], [4, 5, 6]]);
    set(lin.bias, [0.5, -0.5]);
    close(lin.forward(k.tensor([[1, 0, -1]], { dtype: "float32" })), [[-1.5, -2.5]]);
    expect(lin.forward(k.randn([4, 5, 3])).shape).toEqual([4, 5, 2]);
    expectGradsFlow(lin, () => lin.forward(k.randn([4, 3])));
    expect(Object.keys(lin.stateDict())).toEqual(["weight", "bias"]);
  });

  it("Linear's default init is U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias", () => {
    k.manualSeed(3);
    const lin = new nn.Linear(100, 200);
    const w = lin.weight.toArray();
    const bound = 1 / Math.sqrt(100);
    let max = 0;
    let sq = 0;
    for (const v of w) {
      max = Math.max(max, Math.abs(v));
      sq += v * v;
    }
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.98 * bound);
    expect(Math.sqrt(sq / w.length)).toBeCloseTo(bound / Math.sqrt(3), 2);
    const b = lin.bias!.toArray();
    expect(Math.max(...Array.from(b, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(b, Math.abs))).toBeGreaterThan(0.9 * bound);
  });

  it("initialisation is deterministic under manualSeed", () => {
    k.manualSeed(7);
    const a = new nn.Linear(4, 4);
    k.manualSeed(7);
    const b = new nn.Linear(4, 4);
    expect(a.weight.tolist()).toEqual(b.weight.tolist());
    expect(a.bias!.tolist()).toEqual(b.bias!.tolist());
  });

  it("Bilinear computes x1ᵀ·A·x2 + b", () => {
    const bl = new nn.Bilinear(2, 2, 1);
    set(bl.weight, [[[1, 2], [3, 4]]]);
    set(bl.bias, [1]);
    close(bl.forward(k.tensor([[1, 2]], { dtype: "float32" }), k.tensor([[3, 4]], { dtype: "float32" })), [[62]]);
    const bl2 = new nn.Bilinear(3, 4, 5);
    expect(bl2.forward(k.randn([2, 6, 3]), k.randn([2, 6, 4])).shape).toEqual([2, 6, 5]);
    const bound = 1 / Math.sqrt(3);
    expect(Math.max(...Array.from(bl2.weight.toArray(), Math.abs))).toBeLessThanOrEqual(bound);
    expectGradsFlow(bl2, () => bl2.forward(k.randn([2, 3]), k.randn([2, 4])));
  });
});

describe("Embedding", () => {
  it("looks up rows; the padding row starts at zero and gets no gradient", () => {
    k.manualSeed(0);
    const emb = new nn.Embedding(4, 2, { paddingIdx: 0 });
    expect(emb.weight.tolist()).toContainEqual([0, 0]);
    expect((emb.weight.tolist() as number[][])[0]).toEqual([0, 0]);
    const idx = k.tensor([[0, 2], [2, 3]]);
    const out = emb.forward(idx);
    expect(out.shape).toEqual([2, 2, 2]);
    expect((out.tolist() as number[][][])[0]![1]).toEqual((emb.weight.tolist() as number[][])[2]);
    out.sum().backward();
    expect(emb.weight.grad!.tolist()).toEqual([[0, 0], [0, 0], [2, 2], [1, 1]]);
  });

  it("default init is N(0, 1)", () => {
    k.manualSeed(1);
    const w = Array.from(new nn.Embedding(1000, 10).weight.toArray());
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(std).toBeCloseTo(1, 1);
  });

  it("fromPretrained shares the tensor and freezes it", () => {
    const w = k.tensor([[1, 2], [3, 4]], { dtype: "float32" });
    const emb = nn.Embedding.fromPretrained(w);
    expect(emb.weight.requiresGrad).toBe(false);
    expect(emb.forward(k.tensor([1])).tolist()).toEqual([[3, 4]]);
  });
});

describe("normalisation layers", () => {
  it("LayerNorm normalises over the last dims; weight 1, bias 0", () => {
    const ln = new nn.LayerNorm(3);
    expect(ln.weight!.tolist()).toEqual([1, 1, 1]);
    expect(ln.bias!.tolist()).toEqual([0, 0, 0]);
    const s = Math.sqrt(2 / 3 + 1e-5);
    close(ln.forward(k.tensor([[1, 2, 3]], { dtype: "float32" })), [[-1 / s, 0, 1 / s]]);
    set(ln.weight, [2, 2, 2]);
    set(ln.bias, [1, 1, 1]);
    close(ln.forward(k.tensor([[1, 2, 3]], { dtype: "float32" })), [[1 - 2 / s, 1, 1 + 2 / s]]);
    expectGradsFlow(ln, () => ln.forward(k.randn([2, 3])).mul(k.randn([2, 3])));
    const noAffine = new nn.LayerNorm([2, 3], { elementwiseAffine: false });
    expect(noAffine.parameters()).toEqual([]);
    expect(noAffine.forward(k.randn([4, 2, 3])).shape).toEqual([4, 2, 3]);
  });

  it("RMSNorm divides by the root mean square", () => {
    const rn = new nn.RMSNorm(2, { eps: 0 });
    const r = Math.sqrt(12.5);
    close(rn.forward(k.tensor([[3, 4]], { dtype: "float32" })), [[3 / r, 4 / r]]);
    expect(rn.weight!.tolist()).toEqual([1, 1]);
    expectGradsFlow(rn, () => rn.forward(k.randn([2, 2])).mul(k.randn([2, 2])));
  });

  it("GroupNorm normalises channel groups", () => {
    const gn = new nn.GroupNorm(2, 4, { eps: 0 });
    close(gn.forward(k.tensor([[[1], [2], [3], [5]]], { dtype: "float32" })), [[[-1], [1], [-1], [1]]]);
    expect(() => new nn.GroupNorm(3, 4)).toThrow("num_channels must be divisible by num_groups");
    expectGradsFlow(gn, () => gn.forward(k.randn([2, 4, 3])).mul(k.randn([2, 4, 3])));
  });

  it("BatchNorm1d uses batch statistics in training and updates running stats", () => {
    const bn = new nn.BatchNorm1d(2);
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(bn.runningVar!.tolist()).toEqual([1, 1]);
    const x = k.tensor([[1, 2], [3, 6]], { dtype: "float32" });
    close(bn.forward(x), [[-1, -1], [1, 1]], 3);
    close(bn.runningMean!, [0.2, 0.4]);
    close(bn.runningVar!, [0.9 + 0.1 * 2, 0.9 + 0.1 * 8]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    expect(bn.numBatchesTracked!.dtype).toBe("int32");
    bn.eval();
    const y = bn.forward(x);
    close(y, [[(1 - 0.2) / Math.sqrt(1.1 + 1e-5), (2 - 0.4) / Math.sqrt(1.7 + 1e-5)], [(3 - 0.2) / Math.sqrt(1.1 + 1e-5), (6 - 0.4) / Math.sqrt(1.7 + 1e-5)]]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    expect(() => bn.forward(k.randn([2, 2, 2, 2]))).toThrow("expected 2D or 3D input (got 4D input)");
  });

  it("BatchNorm with momentum null keeps a cumulative average", () => {
    const bn = new nn.BatchNorm1d(1, { momentum: null });
    bn.forward(k.tensor([[1], [3]], { dtype: "float32" }));
    bn.forward(k.tensor([[5], [7]], { dtype: "float32" }));
    close(bn.runningMean!, [4]);
    close(bn.runningVar!, [2]);
  });

  it("BatchNorm2d normalises per channel over N, H, W", () => {
    const bn = new nn.BatchNorm2d(3);
    const x = k.randn([4, 3, 5, 5]).mul(3).add(2);
    const y = bn.forward(x);
    const mean = y.mean([0, 2, 3]).tolist() as number[];
    mean.forEach((m) => expect(m).toBeCloseTo(0, 4));
    expect(() => bn.forward(k.randn([4, 3, 5]))).toThrow("expected 4D input (got 3D input)");
    expectGradsFlow(bn, () => bn.forward(k.randn([2, 3, 2, 2])).mul(k.randn([2, 3, 2, 2])));
  });
});

describe("Dropout", () => {
  it("zeroes about p of the elements in training and scales the rest; identity in eval", () => {
    k.manualSeed(0);
    const d = new nn.Dropout(0.25);
    const x = k.ones([10000]);
    const y = d.forward(x).toArray();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.22);
    expect(zeros / y.length).toBeLessThan(0.28);
    expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    d.eval();
    expect(d.forward(x).tolist()).toEqual(x.tolist());
    expect(() => new nn.Dropout(1.5)).toThrow("dropout probability has to be between 0 and 1, but got 1.5");
  });
});

describe("convolution and pooling", () => {
  it("Conv1d cross-correlates", () => {
    const c = new nn.Conv1d(1, 1, 3, { bias: false });
    set(c.weight, [[[1, 0, -1]]]);
    close(c.forward(k.tensor([[[1, 2, 3, 4, 5]]], { dtype: "float32" })), [[[-2, -2, -2]]]);
    const c2 = new nn.Conv1d(4, 6, 3, { padding: 1, stride: 2 });
    expect(c2.forward(k.randn([2, 4, 9])).shape).toEqual([2, 6, 5]);
    expect(c2.weight.shape).toEqual([6, 4, 3]);
    expectGradsFlow(c2, () => c2.forward(k.randn([2, 4, 9])));
  });

  it("Conv2d with known weights, padding, groups and its default init", () => {
    const c = new nn.Conv2d(1, 1, 2);
    set(c.weight, [[[[1, 1], [1, 1]]]]);
    set(c.bias, [0.5]);
    const x = k.arange(1, 10).reshape([1, 1, 3, 3]).to("float32");
    close(c.forward(x), [[[[12.5, 16.5], [24.5, 28.5]]]]);
    const same = new nn.Conv2d(2, 4, 3, { padding: "same", groups: 2 });
    expect(same.weight.shape).toEqual([4, 1, 3, 3]);
    expect(same.forward(k.randn([1, 2, 5, 6])).shape).toEqual([1, 4, 5, 6]);
    const reflect = new nn.Conv2d(1, 1, 3, { padding: 1, paddingMode: "reflect" });
    expect(reflect.forward(k.randn([1, 1, 4, 4])).shape).toEqual([1, 1, 4, 4]);
    k.manualSeed(5);
    const big = new nn.Conv2d(3, 64, 3);
    const bound = 1 / Math.sqrt(27);
    const w = big.weight.toArray();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.98 * bound);
    expect(Math.max(...Array.from(big.bias!.toArray(), Math.abs))).toBeLessThanOrEqual(bound);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow("in_channels must be divisible by groups");
    expectGradsFlow(same, () => same.forward(k.randn([1, 2, 4, 4])));
  });

  it("MaxPool2d, AvgPool2d, AdaptiveAvgPool2d", () => {
    const x = k.arange(16).reshape([1, 1, 4, 4]).to("float32");
    expect(new nn.MaxPool2d(2).forward(x).tolist()).toEqual([[[[5, 7], [13, 15]]]]);
    expect(new nn.AvgPool2d(2).forward(x).tolist()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    expect(new nn.AdaptiveAvgPool2d(1).forward(x).tolist()).toEqual([[[[7.5]]]]);
    expect(new nn.AdaptiveAvgPool2d([2, 1]).forward(x).shape).toEqual([1, 1, 2, 1]);
    expect(new nn.MaxPool2d(3, { stride: 1, padding: 1 }).forward(x).shape).toEqual([1, 1, 4, 4]);
    const [out, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x) as [Tensor, Tensor];
    expect(out.shape).toEqual([1, 1, 2, 2]);
    expect(idx.tolist()).toEqual([[[[5, 7], [13, 15]]]]);
  });

  it("Flatten keeps the batch dim by default", () => {
    expect(new nn.Flatten().forward(k.randn([2, 3, 4])).shape).toEqual([2, 12]);
    expect(new nn.Flatten(0).forward(k.randn([2, 3, 4])).shape).toEqual([24]);
  });
});

describe("activations", () => {
  it("compute their functions", () => {
    const x = k.tensor([-1, 0, 1], { dtype: "float32" });
    expect(new nn.ReLU().forward(x).tolist()).toEqual([0, 0, 1]);
    close(new nn.GELU().forward(x), [-0.158655, 0, 0.841345]);
    close(new nn.GELU({ approximate: "tanh" }).forward(x), [-0.158808, 0, 0.841192]);
    close(new nn.SiLU().forward(x), [-0.268941, 0, 0.731059]);
    close(new nn.Tanh().forward(x), [Math.tanh(-1), 0, Math.tanh(1)]);
    close(new nn.Sigmoid().forward(x), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-1))]);
    close(new nn.Softmax(-1).forward(k.tensor([[0, Math.log(3)]])), [[0.25, 0.75]]);
    close(new nn.Softmax().forward(k.tensor([[0, Math.log(3)]])), [[0.25, 0.75]]);
    expect(String(new nn.GELU())).toBe("GELU(approximate='none')");
  });
});

describe("losses", () => {
  it("compute PyTorch's values", () => {
    const a = k.tensor([1, 2], { dtype: "float32" });
    const z = k.zeros([2]);
    close(new nn.MSELoss().forward(a, z), 2.5);
    close(new nn.MSELoss({ reduction: "sum" }).forward(a, z), 5);
    close(new nn.L1Loss().forward(a, z), 1.5);
    close(new nn.L1Loss({ reduction: "none" }).forward(a, z), [1, 2]);
    close(new nn.CrossEntropyLoss().forward(k.zeros([1, 2]), k.tensor([1])), Math.LN2);
    close(new nn.NLLLoss().forward(k.tensor([[-1, -2]], { dtype: "float32" }), k.tensor([1])), 2);
    close(new nn.BCEWithLogitsLoss().forward(k.zeros([3]), k.ones([3])), Math.LN2);
    const weighted = new nn.CrossEntropyLoss({ weight: k.tensor([1, 3], { dtype: "float32" }), labelSmoothing: 0 });
    expect(Object.keys(weighted.stateDict())).toEqual(["weight"]);
    close(weighted.forward(k.zeros([2, 2]), k.tensor([0, 1])), Math.LN2);
    close(new nn.CrossEntropyLoss({ ignoreIndex: 0 }).forward(k.tensor([[5, 0], [0, 0]], { dtype: "float32" }), k.tensor([0, 1])), Math.LN2);
    const pw = new nn.BCEWithLogitsLoss({ posWeight: k.tensor([2], { dtype: "float32" }) });
    close(pw.forward(k.zeros([1]), k.ones([1])), 2 * Math.LN2);
  });

  it("pass gradients to the model", () => {
    const lin = new nn.Linear(3, 4);
    expectGradsFlow(lin, () => new nn.CrossEntropyLoss().forward(lin.forward(k.randn([5, 3])), k.tensor([0, 1, 2, 3, 0])));
  });
});

describe("MultiheadAttention", () => {
  function identityMha(E: number, H: number, batchFirst: boolean) {
    const mha = new nn.MultiheadAttention(E, H, { batchFirst });
    const eye = k.eye(E);
    set(mha.inProjWeight, k.cat([eye, eye, eye]).tolist() as number[][]);
    set(mha.outProj.weight, eye.tolist() as number[][]);
    return mha;
  }

  it("matches softmax(q·kᵀ/√d)·v with identity projections", () => {
    const mha = identityMha(2, 1, true);
    const x = k.tensor([[[1, 0], [0, 1], [1, 1]]], { dtype: "float32" });
    const [out, w] = mha.forward(x, x, x);
    const xs = [[1, 0], [0, 1], [1, 1]];
    const expected = xs.map((q) => {
      const s = xs.map((kk) => (q[0]! * kk[0]! + q[1]! * kk[1]!) / Math.sqrt(2));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / z);
      return { p, o: [0, 1].map((j) => p.reduce((acc, pi, i) => acc + pi * xs[i]![j]!, 0)) };
    });
    close(out, [expected.map((e) => e.o)]);
    close(w!, [expected.map((e) => e.p)]);
    // needWeights: false takes the fused path with the same output
    const [out2, w2] = mha.forward(x, x, x, { needWeights: false });
    expect(w2).toBeNull();
    close(out2, out.tolist());
  });

  it("self-attention without autograd (one product with the packed weight) gives the three-product result", () => {
    k.manualSeed(13);
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    k.noGrad(() => mha.inProjBias!.uniform_(-1, 1));
    const x = k.randn([3, 5, 8]);
    const [withGrad, w1] = mha.forward(x, x, x);
    const [packed, w2] = k.noGrad(() => mha.forward(x, x, x));
    close(packed, withGrad.tolist());
    close(w2!, w1!.tolist());
    // Different query and key/value tensors take the separate products in either mode.
    const y = k.randn([3, 5, 8]);
    close(k.noGrad(() => mha.forward(x, y, y))[0], mha.forward(x, y, y)[0].tolist());
  });

  it("batchFirst and sequence-first layouts agree; unbatched inputs work", () => {
    k.manualSeed(11);
    const a = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const b = new nn.MultiheadAttention(8, 2);
    b.loadStateDict(a.stateDict());
    const x = k.randn([3, 5, 8]);
    const [ya, wa] = a.forward(x, x, x);
    const [yb, wb] = b.forward(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1));
    expect(ya.shape).toEqual([3, 5, 8]);
    expect(yb.shape).toEqual([5, 3, 8]);
    close(yb.transpose(0, 1), ya.tolist());
    close(wb!, wa!.tolist());
    expect(wa!.shape).toEqual([3, 5, 5]);
    const [yu, wu] = a.forward(x.select(0, 1), x.select(0, 1), x.select(0, 1));
    expect(yu.shape).toEqual([5, 8]);
    expect(wu!.shape).toEqual([5, 5]);
    close(yu, ya.select(0, 1).tolist());
    const [, perHead] = a.forward(x, x, x, { averageAttnWeights: false });
    expect(perHead!.shape).toEqual([3, 2, 5, 5]);
  });

  it("applies key padding and attention masks", () => {
    k.manualSeed(12);
    const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true });
    const x = k.randn([2, 3, 4]);
    const kpm = k.tensor([[false, false, true], [false, false, false]]);
    const [, w] = mha.forward(x, x, x, { keyPaddingMask: kpm });
    const wl = w!.tolist() as number[][][];
    for (const row of wl[0]!) expect(row[2]).toBe(0);
    for (const row of wl[1]!) expect(row[2]).toBeGreaterThan(0);
    const causal = nn.generateSquareSubsequentMask(3);
    const [yc, wc] = mha.forward(x, x, x, { attnMask: causal, isCausal: true });
    const wcl = wc!.tolist() as number[][][];
    expect(wcl[0]![0]![1]).toBe(0);
    expect(wcl[0]![0]![0]).toBeCloseTo(1, 6);
    const boolMask = k.tensor([[false, true, true], [false, false, true], [false, false, false]]);
    const [yb] = mha.forward(x, x, x, { attnMask: boolMask });
    close(yb, yc.tolist());
    const [yn] = mha.forward(x, x, x, { attnMask: boolMask, needWeights: false });
    close(yn, yc.tolist());
    expect(() => mha.forward(x, x, x, { isCausal: true })).toThrow("Need attn_mask if specifying the is_causal hint");
    expect(() => mha.forward(x, x, x, { attnMask: k.zeros([2, 2]) })).toThrow("The shape of the 2D attn_mask is [2, 2], but should be [3, 3].");
  });

  it("has PyTorch's parameter names and init", () => {
    k.manualSeed(2);
    const mha = new nn.MultiheadAttention(16, 4);
    expect(Object.keys(mha.stateDict())).toEqual(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    expect(mha.inProjBias!.toArray().every((v) => v === 0)).toBe(true);
    expect(mha.outProj.bias!.toArray().every((v) => v === 0)).toBe(true);
    const bound = Math.sqrt(6 / (16 + 48));
    const w = mha.inProjWeight!.toArray();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.95 * bound);
    const kv = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, batchFirst: true });
    expect(Object.keys(kv.stateDict())).toEqual(["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    const [y] = kv.forward(k.randn([2, 3, 4]), k.randn([2, 6, 3]), k.randn([2, 6, 5]));
    expect(y.shape).toEqual([2, 3, 4]);
    expectGradsFlow(kv, () => kv.forward(k.randn([2, 3, 4]), k.randn([2, 6, 3]), k.randn([2, 6, 5]))[0]);
    expect(() => new nn.MultiheadAttention(6, 4)).toThrow("embed_dim must be divisible by num_heads");
  });
});

describe("TransformerEncoderLayer", () => {
  it("has PyTorch's state-dict keys and preserves shape", () => {
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
    expect(Object.keys(layer.stateDict())).toEqual([
      "self_attn.in_proj_weight",
      "self_attn.in_proj_bias",
      "self_attn.out_proj.weight",
      "self_attn.out_proj.bias",
      "linear1.weight",
      "linear1.bias",
      "linear2.weight",
      "linear2.bias",
      "norm1.weight",
      "norm1.bias",
      "norm2.weight",
      "norm2.bias",
    ]);
    expect(layer.forward(k.randn([2, 5, 8])).shape).toEqual([2, 5, 8]);
    expectGradsFlow(layer, () => layer.forward(k.randn([2, 5, 8])).mul(k.randn([2, 5, 8])));
  });

  it("post-norm and pre-norm compose the blocks as PyTorch does (eval mode)", () => {
    k.manualSeed(4);
    for (const normFirst of [false, true]) {
      const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, normFirst, activation: "gelu", batchFirst: true });
      layer.eval();
      const x = k.randn([2, 3, 4]);
      const sa = (t: Tensor) => layer.selfAttn.forward(t, t, t, { needWeights: false })[0];
      const ff = (t: Tensor) => layer.linear2.forward(k.gelu(layer.linear1.forward(t)));
      let expected: Tensor;
      if (normFirst) {
        const h = x.add(sa(layer.norm1.forward(x)));
        expected = h.add(ff(layer.norm2.forward(h)));
      } else {
        const h = layer.norm1.forward(x.add(sa(x)));
        expected = layer.norm2.forward(h.add(ff(h)));
      }
      close(layer.forward(x), expected.tolist());
    }
  });

  it("sequence-first layout and masks", () => {
    const layer = new nn.TransformerEncoderLayer(4, 1, { dimFeedforward: 8, dropout: 0 });
    const x = k.randn([5, 2, 4]);
    const mask = nn.generateSquareSubsequentMask(5);
    const y = layer.forward(x, { srcMask: mask, isCausal: true, srcKeyPaddingMask: k.zeros([2, 5], { dtype: "bool" }) });
    expect(y.shape).toEqual([5, 2, 4]);
    // causality: the first position does not depend on later ones
    const x2 = x.clone();
    k.noGrad(() => x2.select(0, 4).copy_(k.randn([2, 4])));
    const y2 = layer.forward(x2, { srcMask: mask });
    close(y2.select(0, 0), y.select(0, 0).tolist());
  });
});
