import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { Tensor } from "../../src/index.js";

const { nn, optim, data } = k;

/** Points in [-1, 1]²; class 1 inside the circle of radius 0.6 (not linearly separable). */
function makeData(n: number): { x: Tensor; y: Tensor } {
  const x = k.rand([n, 2]).mul(2).sub(1);
  const r2 = x.square().sum(1);
  const y = r2.lt(0.36).to("int32");
  return { x, y };
}

class MLP extends nn.Module {
  fc1 = new nn.Linear(2, 16);
  fc2 = new nn.Linear(16, 16);
  out = new nn.Linear(16, 2);
  override forward(x: Tensor): Tensor {
    return this.out.forward(this.fc2.forward(this.fc1.forward(x).relu()).relu());
  }
}

function accuracy(model: k.nn.Module, x: Tensor, y: Tensor): number {
  const pred = k.noGrad(() => model.forward(x).argmax(1));
  return Number(pred.eq(y).to("float32").mean().item());
}

function trainFullBatch(seed: number, steps: number): { losses: number[]; acc: number; testAcc: number } {
  k.manualSeed(seed);
  const { x, y } = makeData(256);
  const test = makeData(256);
  const model = new MLP();
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  const lossFn = new nn.CrossEntropyLoss();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(Number(loss.item()));
  }
  return { losses, acc: accuracy(model, x, y), testAcc: accuracy(model, test.x, test.y) };
}

describe("end-to-end training", () => {
  it("an MLP learns a circle with Adam to > 95% accuracy, deterministically", () => {
    const a = trainFullBatch(0, 200);
    expect(a.losses[0]).toBeGreaterThan(0.5);
    expect(a.losses.at(-1)).toBeLessThan(0.15);
    expect(a.acc).toBeGreaterThan(0.95);
    expect(a.testAcc).toBeGreaterThan(0.93);
    const b = trainFullBatch(0, 200);
    expect(b.losses).toEqual(a.losses);
  });

  it("minibatch SGD with momentum, a shuffled DataLoader and a scheduler reaches > 90%", () => {
    const run = () => {
      k.manualSeed(1);
      const { x, y } = makeData(256);
      const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 2));
      const opt = new optim.SGD(model.parameters(), { lr: 0.2, momentum: 0.9 });
      const sched = new optim.StepLR(opt, 10, { gamma: 0.5 });
      const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true });
      const lossFn = new nn.CrossEntropyLoss();
      const epochLosses: number[] = [];
      for (let epoch = 0; epoch < 30; epoch++) {
        let total = 0;
        for (const [xb, yb] of loader) {
          opt.zeroGrad();
          const loss = lossFn.forward(model.forward(xb!), yb!);
          loss.backward();
          nn.utils.clipGradNorm_(model.parameters(), 5);
          opt.step();
          total += Number(loss.item());
        }
        sched.step();
        epochLosses.push(total / loader.length);
      }
      return { epochLosses, acc: accuracy(model, x, y) };
    };
    const a = run();
    expect(a.acc).toBeGreaterThan(0.9);
    expect(a.epochLosses.at(-1)).toBeLessThan(a.epochLosses[0]! / 2);
    expect(run().epochLosses).toEqual(a.epochLosses);
  });
});
