// TensorFlow.js beside kiln's rows, on its CPU backend (plain JavaScript kernels) and its
// WebAssembly backend (XNNPACK, SIMD; one thread in Node, where its threaded build cannot start
// its Web Workers): "<workload>, tfjs-cpu" / "<workload>, tfjs-wasm", the ratio against kiln's
// eager row. The models are in tfjs-models.ts; the weights and inputs come from kiln's seeded
// models (workloads.ts). When the packages are missing, every row reports "skipped".
//
// What the training rows measure is mostly TF.js's backward matmuls: on the wasm backend a
// product with a transposed operand (dY·Wᵀ, Xᵀ·dY) leaves XNNPACK for a slow path, 15–40× the
// time of the plain product at 64x1024x1024 here; the cpu backend's kernels are plain JS.
import * as k from "../../src/index.js";
import { register, registered, type Benchmark } from "../harness.js";
import * as T from "./tfjs-models.js";
import * as W from "./workloads.js";

// The wasm backend compiles its module asynchronously, and the harness's setup() is synchronous:
// both backends are initialised here, once, at import.
const env = await T.loadTfjs();
if (typeof env !== "string") {
  process.stderr.write(`TF.js ${env.tf.version_core}: wasm backend with ${env.wasmThreads} thread(s), SIMD ${env.wasmSimd ? "on" : "off"}\n`);
}

// The tensors and variables of the row being timed, disposed when the next TF.js row starts.
let disposeLive: (() => void) | null = null;

interface TfRow {
  workload: string;
  size: string;
  baseline: string;
  flops?: number;
  elements?: number;
  runs?: number;
  warmup?: number;
  /** Builds inputs and model on the active backend; returns the timed call and a disposer. */
  build: (tf: T.Tf) => { run: () => void; dispose: () => void };
}

function registerTf(row: TfRow): void {
  for (const backend of ["cpu", "wasm"] as const) {
    const b: Benchmark = {
      name: `${row.workload}, tfjs-${backend}`,
      size: row.size,
      baseline: row.baseline,
      flops: row.flops,
      elements: row.elements,
      runs: row.runs ?? 9,
      warmup: row.warmup ?? 2,
      setup: () => {
        if (typeof env === "string") {
          b.skipReason = env;
          return null;
        }
        disposeLive?.();
        disposeLive = null;
        const { tf } = env;
        T.useBackend(tf, backend);
        const { run, dispose } = row.build(tf);
        disposeLive = dispose;
        return run;
      },
    };
    register(b);
  }
}

const fromKiln = (tf: T.Tf, t: k.Tensor): T.TfTensor => tf.tensor(W.f32(t), t.shape.slice());
/** Times `f`, disposing what it returns (TF.js kernels run synchronously on both backends). */
const disposing = (tf: T.Tf, f: () => T.TfTensor) => () => {
  tf.dispose(f());
};

registerTf({
  workload: "pointwise chain",
  size: "gelu(x*2+1), 2^20 f32",
  baseline: "pointwise chain, eager",
  elements: W.CHAIN_N,
  build: (tf) => {
    const x = fromKiln(tf, k.randn([W.CHAIN_N]));
    return { run: disposing(tf, () => T.geluChain(tf, x)), dispose: () => x.dispose() };
  },
});
registerTf({
  workload: "softmax rows",
  size: "[4096,1024], dim -1",
  baseline: "softmax rows, eager",
  elements: W.ROWS * W.COLS,
  build: (tf) => {
    const x = fromKiln(tf, k.randn([W.ROWS, W.COLS]));
    return { run: disposing(tf, () => T.softmaxRows(tf, x)), dispose: () => x.dispose() };
  },
});
registerTf({
  workload: "layerNorm rows",
  size: "[4096,1024], affine",
  baseline: "layerNorm rows, eager",
  elements: W.ROWS * W.COLS,
  build: (tf) => {
    const x = fromKiln(tf, k.randn([W.ROWS, W.COLS]));
    const w = fromKiln(tf, k.randn([W.COLS]));
    const b = fromKiln(tf, k.randn([W.COLS]));
    return { run: disposing(tf, () => T.layerNorm(tf, x, w, b)), dispose: () => tf.dispose([x, w, b]) };
  },
});

const mlpFlops = W.mlpFlops(W.MLP_BATCH, W.MLP_SIZES);
registerTf({
  workload: "MLP forward",
  size: "64x784-1024-1024-10",
  baseline: "MLP forward, eager",
  flops: mlpFlops,
  build: (tf) => {
    const model = T.mlp(tf, W.mlpWeights(W.kilnMlp()));
    const x = fromKiln(tf, k.randn([W.MLP_BATCH, W.MLP_SIZES[0]]));
    return { run: disposing(tf, () => model.forward(x)), dispose: () => (x.dispose(), model.dispose()) };
  },
});
registerTf({
  workload: "MLP train step AdamW",
  size: "64x784-1024-1024-10",
  baseline: "MLP train step AdamW, eager",
  flops: 3 * mlpFlops,
  build: (tf) => {
    const model = T.mlp(tf, W.mlpWeights(W.kilnMlp()));
    const x = fromKiln(tf, k.randn([W.MLP_BATCH, W.MLP_SIZES[0]]));
    const labels = k.randint(0, 10, [W.MLP_BATCH]).toArray();
    const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), "int32"), 10);
    return { run: disposing(tf, () => model.trainStep(x, y)), dispose: () => (tf.dispose([x, y]), model.dispose()) };
  },
});

const blockSize = "8x128x256, 4 heads, ff 1024";
const blockElems = W.BLOCK.batch * W.BLOCK.seq * W.BLOCK.width;
const blockShape = [W.BLOCK.batch, W.BLOCK.seq, W.BLOCK.width];
registerTf({
  workload: "transformer block forward",
  size: blockSize,
  baseline: "transformer block forward, eager",
  elements: blockElems,
  runs: 5,
  build: (tf) => {
    const model = T.transformerBlock(tf, W.BLOCK, W.blockWeights(W.kilnBlock()));
    const x = fromKiln(tf, k.randn(blockShape));
    return { run: disposing(tf, () => model.forward(x)), dispose: () => (x.dispose(), model.dispose()) };
  },
});

// bench/codegen.ts has no kiln row for the block's training step yet: the peers' baseline is
// registered here unless another file already did.
const blockTrainEager = "transformer block train step AdamW, eager";
if (!registered().some((b) => b.name === blockTrainEager)) {
  register({
    name: blockTrainEager,
    size: blockSize,
    elements: blockElems,
    warmup: 1,
    setup: () => {
      const step = W.kilnBlockTrainStep(W.kilnBlock());
      const x = k.randn(blockShape);
      const target = k.randn(blockShape);
      return () => step(x, target);
    },
  });
}
registerTf({
  workload: "transformer block train step AdamW",
  size: blockSize,
  baseline: blockTrainEager,
  elements: blockElems,
  runs: 5,
  warmup: 1,
  build: (tf) => {
    const model = T.transformerBlock(tf, W.BLOCK, W.blockWeights(W.kilnBlock()));
    const x = fromKiln(tf, k.randn(blockShape));
    const target = fromKiln(tf, k.randn(blockShape));
    return { run: disposing(tf, () => model.trainStep(x, target)), dispose: () => (tf.dispose([x, target]), model.dispose()) };
  },
});

registerTf({
  workload: "matmul float32 1024",
  size: "1024x1024x1024",
  baseline: "matmul float32 1024",
  flops: 2 * 1024 ** 3,
  runs: 5,
  build: (tf) => {
    const a = fromKiln(tf, k.rand([1024, 1024]));
    const b = fromKiln(tf, k.rand([1024, 1024]));
    return { run: disposing(tf, () => tf.matMul(a, b)), dispose: () => tf.dispose([a, b]) };
  },
});
