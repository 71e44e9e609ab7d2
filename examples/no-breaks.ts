// A model with no graph breaks: a small classifier of 2-D points (inside or outside a circle),
// trained with a compiled step (forward, loss, backward, AdamW). The whole step is one graph,
// compiled on the first calls and a cache hit afterwards.
//
//   kiln run examples/no-breaks.ts --report no-breaks.html
//   kiln explain examples/no-breaks.ts --fn trainStep
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as kiln from "../src/index.js";
import { compile, compiler, nn, optim, type Tensor } from "../src/index.js";

kiln.manualSeed(0);
const model = new nn.Sequential(new nn.Linear(2, 32), new nn.Tanh(), new nn.Linear(32, 32), new nn.Tanh(), new nn.Linear(32, 2));
const opt = new optim.AdamW(model.parameters(), { lr: 0.02 });
const lossFn = new nn.CrossEntropyLoss();

function makeData(n: number): [Tensor, Tensor] {
  const x = kiln.rand([n, 2]).mul(2).sub(1);
  const y = x.square().sum(1).lt(0.5).to("int32");
  return [x, y];
}

function step(x: Tensor, y: Tensor): Tensor {
  opt.zeroGrad();
  const loss = lossFn.forward(model.forward(x), y);
  loss.backward();
  opt.step();
  return loss;
}

const compiledStep = compile(step);

/** For `kiln explain --fn trainStep`: the step and example inputs. */
export const trainStep = { fn: step, args: () => makeData(128) };

function accuracy(x: Tensor, y: Tensor): number {
  return kiln.noGrad(() => model.forward(x).argmax(1).eq(y).to("float32").mean().item() as number);
}

export function main(steps = 60): void {
  const [x, y] = makeData(256);
  const [xt, yt] = makeData(512);
  for (let i = 0; i < steps; i++) {
    const loss = compiledStep(x, y);
    // Reading the loss outside the compiled function is not a graph break.
    if (i % 20 === 0 || i === steps - 1) console.log(`step ${String(i).padStart(3)}  loss ${(loss.item() as number).toFixed(4)}`);
  }
  console.log(`test accuracy: ${(accuracy(xt, yt) * 100).toFixed(1)}%`);
  console.log("compiler.stats():", JSON.stringify(compiler.stats()));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
