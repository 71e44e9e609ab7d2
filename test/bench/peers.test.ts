// The peer runtimes of the benchmark table compute what kiln eager computes: each workload of
// bench/peers/ at small shapes (the same builders the benchmark rows use at full size), against
// kiln eager on the same input. Skips when the optional peer packages are not installed.
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import * as M from "../../bench/peers/onnx-models.js";
import { loadOrt, syncSession, sessionOptions, type OrtEnv } from "../../bench/peers/onnxruntime.js";
import * as T from "../../bench/peers/tfjs-models.js";
import * as W from "../../bench/peers/workloads.js";

const ortEnv = loadOrt();
const tfEnv = await T.loadTfjs();

const SIZES = [32, 48, 40, 10];
const BATCH = 8;
const CFG: W.BlockConfig = { batch: 2, seq: 8, width: 16, heads: 4, ff: 32 };
const blockShape = [CFG.batch, CFG.seq, CFG.width];

/** Fixed inputs for every runtime (kiln's RNG, seeded). */
function inputs() {
  k.manualSeed(1);
  return {
    chain: k.randn([4096]).mul(2),
    rows: k.randn([64, 128]),
    lnW: k.randn([128]),
    lnB: k.randn([128]),
    mlpX: k.randn([BATCH, SIZES[0]!]),
    mlpY: k.randint(0, 10, [BATCH]),
    blockX: k.randn(blockShape),
    blockTarget: k.randn(blockShape),
    a: k.rand([32, 48]),
    b: k.rand([48, 40]),
  };
}
const inp = inputs();

/** kiln eager references. */
const ref = {
  chain: W.f32(W.kilnChain(inp.chain)),
  softmax: W.f32(inp.rows.softmax(-1)),
  layerNorm: W.f32(W.kilnLayerNorm(inp.rows, inp.lnW, inp.lnB)),
  mlp: W.f32(k.noGrad(() => W.kilnMlp(SIZES).forward(inp.mlpX))),
  block: W.f32(k.noGrad(() => W.kilnBlock(CFG).forward(inp.blockX))),
  matmul: W.f32(k.matmul(inp.a, inp.b)),
};

/** Losses of two AdamW steps and the first layer's weight after them (kiln eager). */
function kilnMlpTraining() {
  const model = W.kilnMlp(SIZES);
  const opt = new k.optim.AdamW(model.parameters(), { lr: W.ADAMW.lr });
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    const loss = k.nn.functional.crossEntropy(model.forward(inp.mlpX), inp.mlpY);
    loss.backward();
    opt.step();
    losses.push(loss.item() as number);
  }
  return { losses, weight: W.mlpWeights(model)[0]!.weight };
}
function kilnBlockTraining() {
  const layer = W.kilnBlock(CFG);
  const step = W.kilnBlockTrainStep(layer);
  const losses = [0, 1].map(() => step(inp.blockX, inp.blockTarget).item() as number);
  return { losses, weight: W.blockWeights(layer).ff1.weight };
}

/** [rows, cols] row-major → [cols, rows] (TF.js keeps Linear weights as [in, out]). */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number): void {
  const d = W.maxAbsDiff(got, want);
  expect(d, `${name}: max abs diff ${d}`).toBeLessThanOrEqual(atol);
}

describe.skipIf(typeof ortEnv === "string")("onnxruntime-node models match kiln eager", () => {
  const e = ortEnv as OrtEnv;
  const tensor = (t: Tensor) => new e.ort.Tensor("float32", W.f32(t), t.shape.slice());
  const cases: [string, () => Uint8Array, Record<string, Tensor>, Float32Array, number][] = [
    ["gelu chain (erf)", () => M.geluChainModel(4096), { x: inp.chain }, ref.chain, 1e-5],
    ["softmax rows", () => M.softmaxModel(64, 128), { x: inp.rows }, ref.softmax, 1e-6],
    ["layerNorm rows", () => M.layerNormModel(64, 128, W.f32(inp.lnW), W.f32(inp.lnB), W.LN_EPS), { x: inp.rows }, ref.layerNorm, 1e-4],
    ["MLP forward", () => M.mlpModel(BATCH, W.mlpWeights(W.kilnMlp(SIZES))), { x: inp.mlpX }, ref.mlp, 1e-5],
    ["transformer block forward", () => M.transformerBlockModel(CFG, W.blockWeights(W.kilnBlock(CFG))), { x: inp.blockX }, ref.block, 1e-4],
    ["matmul", () => M.matmulModel(32, 48, 40), { a: inp.a, b: inp.b }, ref.matmul, 1e-4],
  ];
  for (const [name, model, feeds, want, atol] of cases) {
    it(name, async () => {
      const bytes = model();
      const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, tensor(t)]));
      // The public async API (what the bench's synchronous binding call stands for) ...
      const session = await e.ort.InferenceSession.create(bytes, sessionOptions(1));
      const out = (await session.run(ortFeeds)).y!.data as Float32Array;
      await session.release();
      close(name, out, want, atol);
      // ... and the binding's synchronous run, as timed, with 2 threads: the same numbers.
      const s = syncSession(e, bytes, 2);
      close(`${name} (sync binding)`, s.run(ortFeeds).y!.data as Float32Array, out, 1e-5);
      s.dispose();
    });
  }
});

describe.skipIf(typeof tfEnv === "string")("TensorFlow.js workloads match kiln eager", () => {
  const env = tfEnv as T.TfjsEnv;
  const tf = env.tf;
  const mlpTrain = kilnMlpTraining();
  const blockTrain = kilnBlockTraining();
  for (const backend of ["cpu", "wasm"] as const) {
    it(`tfjs-${backend}: forward workloads`, () => {
      T.useBackend(tf, backend);
      const t = (x: Tensor) => tf.tensor(W.f32(x), x.shape.slice());
      const data = (x: T.TfTensor) => x.dataSync() as Float32Array;
      tf.tidy(() => {
        close("gelu chain", data(T.geluChain(tf, t(inp.chain))), ref.chain, 1e-5);
        close("softmax rows", data(T.softmaxRows(tf, t(inp.rows))), ref.softmax, 1e-6);
        close("layerNorm rows", data(T.layerNorm(tf, t(inp.rows), t(inp.lnW), t(inp.lnB))), ref.layerNorm, 1e-4);
        const mlp = T.mlp(tf, W.mlpWeights(W.kilnMlp(SIZES)));
        close("MLP forward", data(mlp.forward(t(inp.mlpX))), ref.mlp, 1e-5);
        mlp.dispose();
        const block = T.transformerBlock(tf, CFG, W.blockWeights(W.kilnBlock(CFG)));
        close("transformer block forward", data(block.forward(t(inp.blockX))), ref.block, 1e-4);
        block.dispose();
        close("matmul", data(tf.matMul(t(inp.a), t(inp.b))), ref.matmul, 1e-4);
      });
    });

    it(`tfjs-${backend}: AdamW training steps`, () => {
      T.useBackend(tf, backend);
      const t = (x: Tensor) => tf.tensor(W.f32(x), x.shape.slice());
      const run = (model: T.TfModel, x: T.TfTensor, target: T.TfTensor) => {
        const losses = [0, 1].map(() => {
          const l = model.trainStep(x, target);
          const v = l.dataSync()[0]!;
          l.dispose();
          return v;
        });
        return losses;
      };
      const x = t(inp.mlpX);
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(inp.mlpY.toArray()), "int32"), 10);
      const mlp = T.mlp(tf, W.mlpWeights(W.kilnMlp(SIZES)));
      const mlpLosses = run(mlp, x, y);
      close("MLP losses", mlpLosses, mlpTrain.losses, 1e-5);
      const w0 = transpose(mlpTrain.weight, SIZES[1]!, SIZES[0]!);
      close("MLP first weight after 2 steps", mlp.variables()[0]!.dataSync() as Float32Array, w0, 1e-5);
      mlp.dispose();
      tf.dispose([x, y]);

      const bx = t(inp.blockX);
      const bt = t(inp.blockTarget);
      const block = T.transformerBlock(tf, CFG, W.blockWeights(W.kilnBlock(CFG)));
      close("block losses", run(block, bx, bt), blockTrain.losses, 1e-5);
      // variables(): q, k, v, out_proj, linear1, ... (weight, bias each): linear1.weight is the 9th.
      const ff1 = transpose(blockTrain.weight, CFG.ff, CFG.width);
      close("block linear1.weight after 2 steps", block.variables()[8]!.dataSync() as Float32Array, ff1, 1e-5);
      block.dispose();
      tf.dispose([bx, bt]);
    });
  }
});
