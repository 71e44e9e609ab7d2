import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { Tensor } from "../../src/index.js";

const { nn, optim } = k;

// A fixed problem: loss = Σ c·p² + d·p, so grad = 2·c·p + d (computed by autograd in kiln and by
// hand in the scalar references below).
const P0 = [1.0, -2.0, 3.0];
const C = [0.5, 1.0, 2.0];
const D = [0.1, -0.3, 0.2];
const gradOf = (p: number[]) => p.map((v, i) => 2 * C[i]! * v + D[i]!);

function makeParam(): k.nn.Parameter {
  return new nn.Parameter(k.tensor(P0, { dtype: "float64" }));
}

/** Runs `steps` optimizer steps on the fixed problem; returns the parameter after each step. */
function runKiln(make: (p: k.nn.Parameter) => k.optim.Optimizer<object>, steps: number): number[][] {
  const p = makeParam();
  const opt = make(p);
  const c = k.tensor(C, { dtype: "float64" });
  const d = k.tensor(D, { dtype: "float64" });
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    p.mul(p).mul(c).add(p.mul(d)).sum().backward();
    opt.step();
    out.push(p.tolist() as number[]);
  }
  return out;
}

function expectClose(got: number[][], want: number[][], digits = 12): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, s) => row.forEach((v, i) => expect(v, `step ${s + 1}, element ${i}`).toBeCloseTo(want[s]![i]!, digits)));
}

// ---- scalar references, written from PyTorch's documented algorithms ----

function refSGD(o: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }, steps: number) {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = o;
  const p = P0.slice();
  const buf: number[] = [];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g0 = gradOf(p);
    for (let i = 0; i < p.length; i++) {
      let g = maximize ? -g0[i]! : g0[i]!;
      g += weightDecay * p[i]!;
      if (momentum !== 0) {
        buf[i] = t === 1 ? g : momentum * buf[i]! + (1 - dampening) * g;
        g = nesterov ? g + momentum * buf[i]! : buf[i]!;
      }
      p[i] = p[i]! - lr * g;
    }
    out.push(p.slice());
  }
  return out;
}

function refAdam(
  o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean; maximize?: boolean; decoupled?: boolean },
  steps: number,
) {
  const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false, maximize = false, decoupled = false } = o;
  const [b1, b2] = betas;
  const p = P0.slice();
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const vmax = [0, 0, 0];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g0 = gradOf(p);
    for (let i = 0; i < 3; i++) {
      let g = maximize ? -g0[i]! : g0[i]!;
      if (decoupled) p[i] = p[i]! * (1 - lr * weightDecay);
      else g += weightDecay * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const mhat = m[i]! / (1 - b1 ** t);
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const vhat = (amsgrad ? vmax[i]! : v[i]!) / (1 - b2 ** t);
      p[i] = p[i]! - (lr * mhat) / (Math.sqrt(vhat) + eps);
    }
    out.push(p.slice());
  }
  return out;
}

function refRMSprop(
  o: { lr: number; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean; maximize?: boolean },
  steps: number,
) {
  const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false, maximize = false } = o;
  const p = P0.slice();
  const v = [0, 0, 0];
  const gavg = [0, 0, 0];
  const buf = [0, 0, 0];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g0 = gradOf(p);
    for (let i = 0; i < 3; i++) {
      let g = maximize ? -g0[i]! : g0[i]!;
      g += weightDecay * p[i]!;
      v[i] = alpha * v[i]! + (1 - alpha) * g * g;
      let vt = v[i]!;
      if (centered) {
        gavg[i] = alpha * gavg[i]! + (1 - alpha) * g;
        vt -= gavg[i]! ** 2;
      }
      const denom = Math.sqrt(vt) + eps;
      if (momentum > 0) {
        buf[i] = momentum * buf[i]! + g / denom;
        p[i] = p[i]! - lr * buf[i]!;
      } else {
        p[i] = p[i]! - (lr * g) / denom;
      }
    }
    out.push(p.slice());
  }
  return out;
}

describe("optim.SGD", () => {
  it("plain SGD: p ← p − lr·g (hand-computed first step)", () => {
    const got = runKiln((p) => new optim.SGD([p], { lr: 0.1 }), 1);
    // g = [2·0.5·1 + 0.1, 2·1·(−2) − 0.3, 2·2·3 + 0.2] = [1.1, −4.3, 12.2]
    expectClose(got, [[1 - 0.11, -2 + 0.43, 3 - 1.22]]);
  });

  const cases: [string, Parameters<typeof refSGD>[0]][] = [
    ["lr", { lr: 0.05 }],
    ["momentum", { lr: 0.05, momentum: 0.9 }],
    ["momentum + dampening", { lr: 0.05, momentum: 0.9, dampening: 0.5 }],
    ["nesterov", { lr: 0.05, momentum: 0.9, nesterov: true }],
    ["weight decay", { lr: 0.05, momentum: 0.5, weightDecay: 0.1 }],
    ["maximize", { lr: 0.01, momentum: 0.9, maximize: true, weightDecay: 0.1 }],
  ];
  for (const [name, o] of cases) {
    it(`matches the reference for 3 steps: ${name}`, () => {
      expectClose(runKiln((p) => new optim.SGD([p], o), 3), refSGD(o, 3));
    });
  }

  it("validates options with PyTorch's messages", () => {
    const p = makeParam();
    expect(() => new optim.SGD([p], { lr: -1 })).toThrow("Invalid learning rate: -1");
    expect(() => new optim.SGD([p], { momentum: -0.5 })).toThrow("Invalid momentum value: -0.5");
    expect(() => new optim.SGD([p], { nesterov: true })).toThrow("Nesterov momentum requires a momentum and zero dampening");
    expect(() => new optim.SGD([], {})).toThrow("optimizer got an empty parameter list");
  });
});

describe("optim.Adam / AdamW", () => {
  it("Adam's first step moves each parameter by about lr against its gradient", () => {
    const [p1] = runKiln((p) => new optim.Adam([p], { lr: 0.01 }), 1);
    expectClose([p1!], [[1 - 0.01, -2 + 0.01, 3 - 0.01]], 8);
  });

  const cases: [string, Parameters<typeof refAdam>[0]][] = [
    ["defaults", { lr: 0.1 }],
    ["betas and eps", { lr: 0.1, betas: [0.8, 0.9], eps: 1e-3 }],
    ["weight decay (L2)", { lr: 0.1, weightDecay: 0.3 }],
    ["amsgrad", { lr: 0.3, amsgrad: true, betas: [0.5, 0.6] }],
    ["maximize", { lr: 0.1, maximize: true }],
  ];
  for (const [name, o] of cases) {
    it(`Adam matches the reference for 3 steps: ${name}`, () => {
      expectClose(runKiln((p) => new optim.Adam([p], o), 3), refAdam(o, 3));
    });
  }

  it("AdamW decays weights decoupled (default 1e-2) and supports amsgrad", () => {
    expectClose(runKiln((p) => new optim.AdamW([p], { lr: 0.1 }), 3), refAdam({ lr: 0.1, weightDecay: 0.01, decoupled: true }, 3));
    const o = { lr: 0.2, weightDecay: 0.5, amsgrad: true, betas: [0.5, 0.6] as [number, number] };
    expectClose(runKiln((p) => new optim.AdamW([p], o), 3), refAdam({ ...o, decoupled: true }, 3));
  });

  it("AMSGrad keeps the running maximum of the second moment", () => {
    // With a gradient that shrinks after step 1, the max keeps the denominator from the first step.
    const p = new nn.Parameter(k.tensor([0.0], { dtype: "float64" }));
    const opt = new optim.Adam([p], { lr: 1, amsgrad: true, betas: [0, 0.5], eps: 0 });
    p.grad = k.tensor([4.0], { dtype: "float64" });
    opt.step(); // m=4, v=8, vhat=8/0.5=16 → step 4/4 = 1
    expect(p.item()).toBeCloseTo(-1, 12);
    p.grad = k.tensor([1.0], { dtype: "float64" });
    opt.step(); // m=1, v=4.5, vmax=8, vhat=8/0.75 → step 1/sqrt(10.667)
    expect(p.item()).toBeCloseTo(-1 - 1 / Math.sqrt(8 / 0.75), 12);
    expect(Object.keys(opt.state.get(p)!)).toEqual(["step", "expAvg", "expAvgSq", "maxExpAvgSq"]);
  });

  it("validates betas", () => {
    expect(() => new optim.Adam([makeParam()], { betas: [1.0, 0.9] })).toThrow("Invalid beta parameter at index 0: 1");
  });
});

describe("optim.RMSprop", () => {
  const cases: [string, Parameters<typeof refRMSprop>[0]][] = [
    ["defaults", { lr: 0.01 }],
    ["alpha and eps", { lr: 0.01, alpha: 0.9, eps: 1e-4 }],
    ["momentum", { lr: 0.01, momentum: 0.9 }],
    ["centered", { lr: 0.01, centered: true, alpha: 0.5 }],
    ["centered + momentum + weight decay", { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }],
    ["maximize", { lr: 0.01, maximize: true }],
  ];
  for (const [name, o] of cases) {
    it(`matches the reference for 3 steps: ${name}`, () => {
      expectClose(runKiln((p) => new optim.RMSprop([p], o), 3), refRMSprop(o, 3));
    });
  }

  it("first step with defaults: lr·g/sqrt(0.01·g²) = 10·lr·sign(g)", () => {
    const [p1] = runKiln((p) => new optim.RMSprop([p], { lr: 0.01 }), 1);
    expectClose([p1!], [[1 - 0.1, -2 + 0.1, 3 - 0.1]], 6);
  });
});

describe("Optimizer base", () => {
  it("accepts a 0-d tensor learning rate with the same results", () => {
    const lr = k.tensor(0.1, { dtype: "float64" });
    expectClose(runKiln((p) => new optim.Adam([p], { lr }), 3), refAdam({ lr: 0.1 }, 3));
    expectClose(runKiln((p) => new optim.AdamW([p], { lr: k.tensor(0.1, { dtype: "float64" }) }), 2), refAdam({ lr: 0.1, weightDecay: 0.01, decoupled: true }, 2));
    expectClose(runKiln((p) => new optim.SGD([p], { lr: k.tensor(0.05, { dtype: "float64" }), momentum: 0.9 }), 3), refSGD({ lr: 0.05, momentum: 0.9 }, 3));
    expectClose(runKiln((p) => new optim.RMSprop([p], { lr: k.tensor(0.01, { dtype: "float64" }) }), 3), refRMSprop({ lr: 0.01 }, 3));
  });

  it("parameter groups have their own options", () => {
    const a = new nn.Parameter(k.tensor([1.0], { dtype: "float32" }));
    const b = new nn.Parameter(k.tensor([1.0], { dtype: "float32" }));
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    expect(opt.paramGroups[1]!.momentum).toBe(0);
    a.grad = k.tensor([1.0], { dtype: "float32" });
    b.grad = k.tensor([1.0], { dtype: "float32" });
    opt.step();
    expect(a.item()).toBeCloseTo(0.9, 6);
    expect(b.item()).toBeCloseTo(0.5, 6);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow("some parameters appear in more than one parameter group");
    expect(() => new optim.SGD([a.mul(2)])).toThrow("can't optimize a non-leaf Tensor");
  });

  it("skips parameters without gradients and zeroGrad clears them", () => {
    const a = new nn.Parameter(k.tensor([1.0, 2.0], { dtype: "float32" }));
    const opt = new optim.Adam([a]);
    opt.step();
    expect(a.tolist()).toEqual([1, 2]);
    expect(opt.state.size).toBe(0);
    a.grad = k.tensor([1.0, 1.0], { dtype: "float32" });
    opt.zeroGrad({ setToNone: false });
    expect(a.grad!.tolist()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it("step(closure) re-evaluates the loss with gradients enabled", () => {
    const p = makeParam();
    const opt = new optim.SGD([p], { lr: 0.1 });
    const loss = k.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = p.mul(p).sum();
        l.backward();
        return l;
      }),
    );
    expect(loss!.item()).toBeCloseTo(14, 10);
    expectClose([p.tolist() as number[]], [[0.8, -1.6, 2.4]]);
  });

  it("stateDict / loadStateDict resume training exactly", () => {
    const c = k.tensor(C, { dtype: "float64" });
    const d = k.tensor(D, { dtype: "float64" });
    const stepOnce = (p: Tensor, opt: k.optim.Optimizer<object>) => {
      opt.zeroGrad();
      p.mul(p).mul(c).add(p.mul(d)).sum().backward();
      opt.step();
    };
    for (const make of [
      (p: k.nn.Parameter) => new optim.Adam([p], { lr: 0.1, amsgrad: true }),
      (p: k.nn.Parameter) => new optim.SGD([p], { lr: 0.1, momentum: 0.9 }),
      (p: k.nn.Parameter) => new optim.RMSprop([p], { lr: 0.01, centered: true, momentum: 0.5 }),
    ]) {
      const p = makeParam();
      const opt = make(p);
      stepOnce(p, opt);
      stepOnce(p, opt);
      const sd = opt.stateDict();
      expect(sd.paramGroups[0]!.params).toEqual([0]);
      expect(Object.keys(sd.state)).toEqual(["0"]);
      const q = new nn.Parameter(p.detach().clone());
      const opt2 = make(q);
      opt2.loadStateDict(sd);
      stepOnce(p, opt);
      stepOnce(q, opt2);
      expect(q.tolist()).toEqual(p.tolist());
      // loaded state is a copy
      const key = Object.keys(opt.state.get(p)!).find((kk) => opt.state.get(p)![kk] instanceof Tensor)!;
      expect(opt2.state.get(q)![key]).not.toBe(opt.state.get(p)![key]);
    }
    const p = makeParam();
    const opt = new optim.SGD([p], { lr: 0.1 });
    expect(() => opt.loadStateDict({ state: {}, paramGroups: [] })).toThrow("loaded state dict has a different number of parameter groups");
    expect(() => opt.loadStateDict({ state: {}, paramGroups: [{ params: [0, 1] }] })).toThrow(
      "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
    );
    opt.loadStateDict({ state: {}, paramGroups: [{ params: [0], lr: 0.3 }] });
    expect(opt.paramGroups[0]!.lr).toBe(0.3);
  });
});

describe("lr schedulers", () => {
  function lrs(make: (opt: k.optim.SGD) => k.optim.LRScheduler, epochs: number, lr: number | Tensor = 1): number[] {
    const opt = new optim.SGD([makeParam()], { lr });
    const s = make(opt);
    const out = [s.getLastLr()[0]!];
    for (let e = 1; e < epochs; e++) {
      opt.step();
      s.step();
      out.push(s.getLastLr()[0]!);
    }
    return out;
  }
  const closeList = (got: number[], want: number[]) => got.forEach((v, i) => expect(v, `epoch ${i}`).toBeCloseTo(want[i]!, 10));

  it("StepLR", () => {
    closeList(lrs((o) => new optim.StepLR(o, 2, { gamma: 0.5 }), 6), [1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  it("CosineAnnealingLR follows the cosine and continues past TMax", () => {
    const f = (t: number) => 0.1 + 0.9 * (1 + Math.cos((Math.PI * t) / 4)) / 2;
    closeList(lrs((o) => new optim.CosineAnnealingLR(o, 4, { etaMin: 0.1 }), 8), [0, 1, 2, 3, 4, 5, 6, 7].map(f));
  });

  it("LinearLR", () => {
    closeList(lrs((o) => new optim.LinearLR(o, { startFactor: 0.5, totalIters: 4 }), 7), [0.5, 0.625, 0.75, 0.875, 1, 1, 1]);
    closeList(lrs((o) => new optim.LinearLR(o), 7), [1 / 3, 1 / 3 + 2 / 15, 1 / 3 + 4 / 15, 1 / 3 + 6 / 15, 1 / 3 + 8 / 15, 1, 1]);
  });

  it("LambdaLR", () => {
    closeList(lrs((o) => new optim.LambdaLR(o, (e) => 0.9 ** e), 4), [1, 0.9, 0.81, 0.729]);
  });

  it("SequentialLR switches schedulers at milestones", () => {
    closeList(
      lrs((o) => new optim.SequentialLR(o, [new optim.LinearLR(o, { startFactor: 0.1, totalIters: 2 }), new optim.StepLR(o, 1, { gamma: 0.5 })], [2]), 5),
      [0.1, 0.55, 1, 0.5, 0.25],
    );
    closeList(
      lrs((o) => new optim.SequentialLR(o, [new optim.LinearLR(o, { startFactor: 0.5, totalIters: 2 }), new optim.CosineAnnealingLR(o, 2)], [2]), 5),
      [0.5, 0.75, 1, 0.5, 0],
    );
  });

  it("updates a tensor learning rate in place", () => {
    const lr = k.tensor(1.0, { dtype: "float64" });
    const opt = new optim.SGD([makeParam()], { lr });
    const s = new optim.StepLR(opt, 1, { gamma: 0.5 });
    s.step();
    expect(opt.paramGroups[0]!.lr).toBe(lr);
    expect(lr.item()).toBe(0.5);
    expect(s.getLastLr()).toEqual([0.5]);
  });

  it("scheduled SGD uses the scheduled rate", () => {
    const p = new nn.Parameter(k.tensor([0.0], { dtype: "float64" }));
    const opt = new optim.SGD([p], { lr: 1 });
    const s = new optim.StepLR(opt, 1, { gamma: 0.1 });
    for (let i = 0; i < 3; i++) {
      p.grad = k.tensor([1.0], { dtype: "float64" });
      opt.step();
      s.step();
    }
    expect(p.item()).toBeCloseTo(-1.11, 12);
  });
});
