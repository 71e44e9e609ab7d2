import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { Tensor } from "../../src/index.js";

const { nn, optim } = k;

/** Losses of 20 training steps (forward, loss, backward, optimizer step), eager or compiled. */
function losses(compiled: boolean, makeOpt: (params: k.nn.Parameter[]) => k.optim.Optimizer<object>): number[] {
  k.manualSeed(0);
  const x = k.rand([64, 2]).mul(2).sub(1);
  const y = x.square().sum(1).lt(0.5).to("int32");
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 2));
  const opt = makeOpt(model.parameters());
  const lossFn = new nn.CrossEntropyLoss();
  const step = (xb: Tensor, yb: Tensor) => {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(xb), yb);
    loss.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    opt.step();
    return loss;
  };
  const f = compiled ? k.compile(step) : step;
  const out: number[] = [];
  for (let i = 0; i < 20; i++) out.push(Number(f(x, y).item()));
  return out;
}

describe("compiled training step", () => {
  const optimizers: [string, (p: k.nn.Parameter[]) => k.optim.Optimizer<object>][] = [
    ["Adam", (p) => new optim.Adam(p, { lr: 0.05 })],
    ["AdamW amsgrad", (p) => new optim.AdamW(p, { lr: 0.05, amsgrad: true })],
    ["SGD momentum nesterov", (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ["RMSprop centered", (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 })],
  ];
  for (const [name, make] of optimizers) {
    it(`gives eager's losses for 20 steps without recompiling every step: ${name}`, () => {
      const eager = losses(false, make);
      k.compiler.reset();
      const compiled = losses(true, make);
      compiled.forEach((v, i) => expect(v, `step ${i}`).toBeCloseTo(eager[i]!, 5));
      expect(eager.at(-1)).toBeLessThan(eager[0]!);
      const stats = k.compiler.stats();
      expect(stats.compiles).toBeLessThanOrEqual(3);
      expect(stats.eagerFallbacks).toBe(0);
    });
  }
});

describe("optimizer state created by a compiled step", () => {
  const optimizers: [string, (p: k.nn.Parameter[]) => k.optim.Optimizer<object>][] = [
    ["AdamW amsgrad", (p) => new optim.AdamW(p, { lr: 0.05, amsgrad: true })],
    ["SGD momentum", (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
    ["RMSprop centered", (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 })],
  ];
  for (const [name, make] of optimizers) {
    it(`is a graph output, concrete after the first call, with eager's values: ${name}`, () => {
      const run = (compiled: boolean) => {
        k.manualSeed(1);
        const model = new nn.Linear(3, 2);
        const opt = make(model.parameters());
        const x = k.randn([8, 3]);
        const step = (xb: Tensor) => {
          opt.zeroGrad();
          const loss = model.forward(xb).square().mean();
          loss.backward();
          opt.step();
          return loss;
        };
        (compiled ? k.compile(step) : step)(x);
        return opt.state;
      };
      const eager = run(false);
      k.compiler.reset();
      const compiled = run(true);
      let checked = 0;
      for (const [p, state] of compiled) {
        for (const [key, v] of Object.entries(state)) {
          if (!(v instanceof Tensor)) continue;
          // Not an escaped lazy value: reading it would have recomputed the step's graph eagerly.
          expect(v._lazy, `${key} is concrete`).toBeNull();
          const want = eager.get([...eager.keys()][[...compiled.keys()].indexOf(p)]!)![key] as Tensor;
          const got = Array.from(v.flatten().toArray() as ArrayLike<number>);
          Array.from(want.flatten().toArray() as ArrayLike<number>).forEach((w, i) => expect(Math.abs(got[i]! - w), key).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w))));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});

describe("compiled training with stateful layers", () => {
  it("BatchNorm running stats and Dropout masks match eager", () => {
    const run = (compiled: boolean) => {
      k.manualSeed(3);
      const x = k.randn([32, 4]);
      const y = x.sum(1).gt(0).to("int32");
      const model = new nn.Sequential(new nn.Linear(4, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 2));
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const lossFn = new nn.CrossEntropyLoss();
      const step = (xb: Tensor, yb: Tensor) => {
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(xb), yb);
        loss.backward();
        opt.step();
        return loss;
      };
      const f = compiled ? k.compile(step) : step;
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push(Number(f(x, y).item()));
      return { out, sd: model.stateDict() };
    };
    const eager = run(false);
    k.compiler.reset();
    const compiled = run(true);
    compiled.out.forEach((v, i) => expect(v, `step ${i}`).toBeCloseTo(eager.out[i]!, 5));
    expect(compiled.sd["1.num_batches_tracked"]!.item()).toBe(20);
    for (const key of ["1.running_mean", "1.running_var", "4.weight"]) {
      (compiled.sd[key]!.tolist() as number[]).flat().forEach((v, i) => expect(v, key).toBeCloseTo((eager.sd[key]!.tolist() as number[]).flat()[i]!, 5));
    }
    expect(k.compiler.stats().eagerFallbacks).toBe(0);
  });
});
