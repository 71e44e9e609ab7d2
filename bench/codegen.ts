// The default backend (fusing code generator) against eager kiln, side by side in one process:
// a pointwise chain (with a hand-written JavaScript loop as the floor of the JS target), softmax
// and layerNorm over rows, an MLP forward and training step, and a transformer encoder block
// forward and training step.
// The cost of a cache hit is in bench/compiler.ts ("10-op function" rows).
import * as k from "../src/index.js";
import { compile, type Tensor } from "../src/index.js";
import { erfExpr } from "../src/ops/unary.js";
import { register } from "./harness.js";
import { setEpilogueFusion } from "../src/backends/native/target.js";
import { kilnBlock, kilnBlockTrainStep } from "./peers/workloads.js";

const N = 1 << 20;

/**
 * Runs `f` on one native thread and restores the setting: the "compiled, 1 thread" rows compare
 * with onnxruntime's 1-thread rows at the same thread count (the other compiled rows use all cores).
 */
function oneThread<T>(f: () => T): () => T {
  return () => {
    const prev = k.getNumThreads();
    k.setNumThreads(1);
    try {
      return f();
    } finally {
      k.setNumThreads(prev);
    }
  };
}

// 1. gelu(x * 2 + 1) on 2^20 float32 elements.
const chain = (x: Tensor) => x.mul(2).add(1).gelu();
register({ name: "pointwise chain, eager", size: "gelu(x*2+1), 2^20 f32", elements: N, runs: 9, setup: () => { const x = k.randn([N]); return () => chain(x); } });
register({
  name: "pointwise chain, hand-written JS loop",
  size: "gelu(x*2+1), 2^20 f32",
  elements: N,
  runs: 9,
  baseline: "pointwise chain, eager",
  setup: () => {
    const x = k.randn([N]);
    // One loop, the same erf formula as kiln's gelu, output allocated per call like the others.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const loop = new Function("x", "n", `const out = new Float32Array(n); for (let i = 0; i < n; i++) { const v = x[i] * 2 + 1; const u = v * ${Math.SQRT1_2}; out[i] = 0.5 * v * (1 + ${erfExpr("u")}); } return out;`) as (x: Float32Array, n: number) => Float32Array;
    const xd = x.toArray() as Float32Array;
    return () => loop(xd, N);
  },
});
for (const mode of ["compiled", "compiled, 1 thread"] as const) {
  register({
    name: `pointwise chain, ${mode}`,
    size: "gelu(x*2+1), 2^20 f32",
    elements: N,
    runs: 9,
    baseline: "pointwise chain, eager",
    setup: () => {
      const x = k.randn([N]);
      const f = compile(chain);
      f(x);
      return mode === "compiled, 1 thread" ? oneThread(() => f(x)) : () => f(x);
    },
  });
}
// The memory floor of any pointwise op returning a fresh tensor: read 2^20 floats, write a new
// output (its allocation included). The chain's ratio to it is its distance from memory speed.
register({
  name: "memory floor: x * 1, compiled",
  size: "2^20 f32, fresh output",
  elements: N,
  runs: 9,
  setup: () => {
    const x = k.randn([N]);
    const f = compile((t: Tensor) => t.mul(1));
    f(x);
    return () => f(x);
  },
});

// 2. softmax and layerNorm over the rows of 4096 x 1024.
const R = 4096;
const C = 1024;
register({ name: "softmax rows, eager", size: "[4096,1024], dim -1", elements: R * C, setup: () => { const x = k.randn([R, C]); return () => x.softmax(-1); } });
register({
  name: "softmax rows, compiled",
  size: "[4096,1024], dim -1",
  elements: R * C,
  baseline: "softmax rows, eager",
  setup: () => {
    const x = k.randn([R, C]);
    const f = compile((t: Tensor) => t.softmax(-1));
    f(x);
    return () => f(x);
  },
});
const ln = (x: Tensor, w: Tensor, b: Tensor) => k.nn.functional.layerNorm(x, [C], w, b);
register({ name: "layerNorm rows, eager", size: "[4096,1024], affine", elements: R * C, setup: () => { const x = k.randn([R, C]); const w = k.randn([C]); const b = k.randn([C]); return () => ln(x, w, b); } });
register({
  name: "layerNorm rows, compiled",
  size: "[4096,1024], affine",
  elements: R * C,
  baseline: "layerNorm rows, eager",
  setup: () => {
    const x = k.randn([R, C]);
    const w = k.randn([C]);
    const b = k.randn([C]);
    const f = compile(ln);
    f(x, w, b);
    return () => f(x, w, b);
  },
});

// 3. MLP 784-1024-1024-10 with ReLU, batch 64: forward (no grad) and a training step with AdamW.
const mlpFlops = 2 * 64 * (784 * 1024 + 1024 * 1024 + 1024 * 10);
function mlp() {
  k.manualSeed(0);
  return new k.nn.Sequential(new k.nn.Linear(784, 1024), new k.nn.ReLU(), new k.nn.Linear(1024, 1024), new k.nn.ReLU(), new k.nn.Linear(1024, 10));
}
for (const mode of ["eager", "compiled", "compiled, 1 thread"] as const) {
  register({
    name: `MLP forward, ${mode}`,
    size: "64x784-1024-1024-10",
    flops: mlpFlops,
    baseline: mode === "eager" ? undefined : "MLP forward, eager",
    setup: () => {
      const model = mlp();
      const x = k.randn([64, 784]);
      const fwd = (t: Tensor) => k.noGrad(() => model.forward(t));
      const f = mode === "eager" ? fwd : compile(fwd);
      f(x);
      return mode === "compiled, 1 thread" ? oneThread(() => f(x)) : () => f(x);
    },
  });
}
for (const compiled of [false, true]) {
  register({
    name: `MLP train step AdamW, ${compiled ? "compiled" : "eager"}`,
    size: "64x784-1024-1024-10",
    flops: 3 * mlpFlops,
    baseline: compiled ? "MLP train step AdamW, eager" : undefined,
    setup: () => {
      const model = mlp();
      const opt = new k.optim.AdamW(model.parameters(), { lr: 1e-3 });
      const x = k.randn([64, 784]);
      const y = k.randint(0, 10, [64]);
      const step = (xb: Tensor, yb: Tensor) => {
        opt.zeroGrad();
        const loss = k.nn.functional.crossEntropy(model.forward(xb), yb);
        loss.backward();
        opt.step();
        return loss;
      };
      const f = compiled ? compile(step) : step;
      f(x, y);
      return () => f(x, y);
    },
  });
}

// 4. Transformer encoder block: batch 8, sequence 128, width 256, 4 heads, feed-forward 1024.
for (const mode of ["eager", "compiled", "compiled, 1 thread", "compiled, no epilogues"] as const) {
  register({
    name: `transformer block forward, ${mode}`,
    size: "8x128x256, 4 heads, ff 1024",
    elements: 8 * 128 * 256,
    baseline: mode === "eager" ? undefined : "transformer block forward, eager",
    setup: () => {
      k.manualSeed(0);
      const layer = new k.nn.TransformerEncoderLayer(256, 4, { dimFeedforward: 1024, dropout: 0, batchFirst: true });
      layer.eval();
      const x = k.randn([8, 128, 256]);
      const fwd = (t: Tensor) => k.noGrad(() => layer.forward(t));
      // "no epilogues": every kernel after its matrix product, not fused into it (the other rows fuse).
      const prev = mode === "compiled, no epilogues" ? setEpilogueFusion(false) : null;
      const f = mode === "eager" ? fwd : compile(fwd);
      f(x);
      if (prev !== null) setEpilogueFusion(prev);
      return mode === "compiled, 1 thread" ? oneThread(() => f(x)) : () => f(x);
    },
  });
}

// 4b. The block's training step (MSE against a fixed target, then AdamW), as the peers run it.
for (const compiled of [false, true]) {
  register({
    name: `transformer block train step AdamW, ${compiled ? "compiled" : "eager"}`,
    size: "8x128x256, 4 heads, ff 1024",
    elements: 8 * 128 * 256,
    warmup: 1,
    baseline: compiled ? "transformer block train step AdamW, eager" : undefined,
    setup: () => {
      const step = kilnBlockTrainStep(kilnBlock());
      const f = compiled ? compile(step) : step;
      const x = k.randn([8, 128, 256]);
      const target = k.randn([8, 128, 256]);
      f(x, target);
      return () => f(x, target);
    },
  });
}

// 5. Two 3×3 conv + bias + ReLU layers, batch 8, 64 channels, 32×32, pooled: column matrices
// (im2col) and products, the first ReLU fused into its convolution's products.
const convFlops = 2 * (2 * 8 * 64 * 32 * 32 * 64 * 9);
for (const mode of ["eager", "compiled", "compiled, 1 thread", "compiled, no epilogues"] as const) {
  register({
    name: `conv block forward, ${mode}`,
    size: "8x64x32x32, 2 x (64 3x3 + ReLU)",
    flops: convFlops,
    baseline: mode === "eager" ? undefined : "conv block forward, eager",
    setup: () => {
      k.manualSeed(0);
      const c1 = new k.nn.Conv2d(64, 64, 3, { padding: 1 });
      const c2 = new k.nn.Conv2d(64, 64, 3, { padding: 1 });
      const x = k.randn([8, 64, 32, 32]);
      const fwd = (t: Tensor) => k.noGrad(() => c2.forward(c1.forward(t).relu()).relu().mean([2, 3]));
      const prev = mode === "compiled, no epilogues" ? setEpilogueFusion(false) : null;
      const f = mode === "eager" ? fwd : compile(fwd);
      f(x);
      if (prev !== null) setEpilogueFusion(prev);
      return mode === "compiled, 1 thread" ? oneThread(() => f(x)) : () => f(x);
    },
  });
}
