// The benchmark workloads written for TensorFlow.js (tfjs-core with the CPU and WebAssembly
// backends), from the same weights as kiln's rows (bench/peers/workloads.ts). TF.js has no gelu,
// layerNorm or AdamW op, so they are composed here from its ops the way a TF.js user would:
// gelu from tf.erf (exact form, as kiln's default), layerNorm from tf.moments, AdamW as
// tf.train.adam plus the decoupled decay p ← p·(1 − lr·wd) applied before the Adam step (what
// torch.optim.AdamW and kiln's AdamW do). Linear layers use tf.fused.matMul (bias and ReLU fused),
// TF.js's fast path on both backends.
//
// The packages are optional dev dependencies: they are loaded with require() behind loadTfjs(),
// so kiln's benchmarks run (and these rows report "skipped") when they are not installed.
import { createRequire } from "node:module";
import type * as TfCore from "@tensorflow/tfjs-core";
import { ADAMW, LN_EPS, type BlockConfig, type BlockWeights, type LinearWeights } from "./workloads.js";

export type Tf = typeof TfCore;
export type TfTensor = TfCore.Tensor;
export type TfBackendName = "cpu" | "wasm";

export interface TfjsEnv {
  tf: Tf;
  /** Threads the wasm backend runs with (1 in Node: its threaded build needs Web Workers). */
  wasmThreads: number;
  wasmSimd: boolean;
}

let loaded: Promise<TfjsEnv | string> | undefined;

/**
 * Loads tfjs-core and both backends and initialises them (the wasm backend compiles its module
 * asynchronously, once). Resolves to a reason string when a package is missing or fails.
 */
export function loadTfjs(): Promise<TfjsEnv | string> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    let tf: Tf;
    let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
    try {
      // require() for all, so the backends register into the one tfjs-core instance (the packages
      // are CommonJS for Node). tfjs-core registers no gradients on its own: the union package
      // @tensorflow/tfjs does, as its entry point (tfjs-core's register_all_gradients is
      // bundler-only ESM), so it is loaded for the training steps.
      tf = require("@tensorflow/tfjs-core") as Tf;
      require("@tensorflow/tfjs-backend-cpu");
      require("@tensorflow/tfjs");
      wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    } catch (e) {
      return `TensorFlow.js packages not installed (${firstLine(e)})`;
    }
    try {
      // Production mode drops TF.js's debug-time checks, as a deployed TF.js program runs.
      tf.enableProdMode();
      if (!(await tf.setBackend("wasm"))) return "the TF.js wasm backend failed to initialise";
      const wasmThreads = wasm.getThreadsCount();
      const wasmSimd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
      if (!(await tf.setBackend("cpu"))) return "the TF.js cpu backend failed to initialise";
      return { tf, wasmThreads, wasmSimd };
    } catch (e) {
      return `TensorFlow.js failed to initialise (${firstLine(e)})`;
    }
  })();
  return loaded;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

/**
 * Makes `name` the active backend, synchronously: both backends are initialised by loadTfjs(),
 * and tfjs-core's setBackend switches before its first await for an initialised backend.
 */
export function useBackend(tf: Tf, name: TfBackendName): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`TF.js backend ${name} is not active`);
}

// --- workloads ----------------------------------------------------------------------------------

/** gelu(x·2 + 1), exact form: 0.5·v·(1 + erf(v/√2)). */
export function geluChain(tf: Tf, x: TfTensor): TfTensor {
  return tf.tidy(() => {
    const v = tf.add(tf.mul(x, 2), 1);
    return tf.mul(tf.mul(v, 0.5), tf.add(tf.erf(tf.mul(v, Math.SQRT1_2)), 1));
  });
}

export function softmaxRows(tf: Tf, x: TfTensor): TfTensor {
  return tf.softmax(x, -1);
}

/** layerNorm over the last axis: (x − mean)·rsqrt(var + eps)·w + b (biased variance, as PyTorch). */
export function layerNorm(tf: Tf, x: TfTensor, w: TfTensor, b: TfTensor, eps = LN_EPS): TfTensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
  });
}

interface TfLinear {
  w: TfCore.Variable; // [in, out], as tf.layers.dense keeps its kernel
  b: TfCore.Variable;
}

/**
 * The weight is stored transposed ([in, out]) rather than used with transposeB: on the wasm
 * backend (tfjs-backend-wasm 4.22.0), tf.fused.matMul with transposeB and a bias returned wrong
 * values here (up to 3.3 off for [8,32]·[40,32]ᵀ + b; without the bias it was right), and
 * [in, out] is TF.js's own layout (tf.layers.dense's kernel).
 */
function tfLinear(tf: Tf, l: LinearWeights): TfLinear {
  const { inFeatures: I, outFeatures: O, weight } = l;
  const t = new Float32Array(I * O);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) t[i * O + o] = weight[o * I + i]!;
  // Unnamed variables: TF.js names must be unique per process, and rows build models repeatedly.
  return { w: tf.variable(tf.tensor2d(t, [I, O]), true), b: tf.variable(tf.tensor1d(l.bias), true) };
}

/** x [M, in] · W [in, out] + b, with the activation fused into the same kernel. */
function applyLinear(tf: Tf, x: TfTensor, l: TfLinear, activation: "linear" | "relu" = "linear"): TfTensor {
  return tf.fused.matMul({ a: x as TfCore.Tensor2D, b: l.w as TfCore.Tensor2D, bias: l.b, activation });
}

/** AdamW over `vars`: decoupled decay, then tf.train.adam (bias-corrected, eps outside the sqrt). */
class AdamW {
  private readonly adam: ReturnType<Tf["train"]["adam"]>;
  constructor(
    private readonly tf: Tf,
    private readonly vars: TfCore.Variable[],
  ) {
    this.adam = tf.train.adam(ADAMW.lr, ADAMW.beta1, ADAMW.beta2, ADAMW.eps);
  }

  /** One step on the loss `f` (a scalar); returns the loss, which the caller disposes. */
  step(f: () => TfCore.Scalar): TfCore.Scalar {
    const { tf, vars } = this;
    const { value, grads } = tf.variableGrads(f, vars);
    tf.tidy(() => {
      for (const v of vars) v.assign(tf.mul(v, 1 - ADAMW.lr * ADAMW.weightDecay));
    });
    // The NamedTensor[] form: the NamedTensorMap form is typed as a map of Variables.
    this.adam.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(grads);
    return value;
  }

  dispose(): void {
    this.adam.dispose();
  }
}

export interface TfModel {
  forward(x: TfTensor): TfTensor;
  /** One AdamW step on (x, target); returns the loss before the step. */
  trainStep(x: TfTensor, target: TfTensor): TfCore.Scalar;
  variables(): TfCore.Variable[];
  dispose(): void;
}

/** Linear → ReLU → … → Linear; the training step is softmax cross-entropy (mean) on one-hot labels. */
export function mlp(tf: Tf, layers: readonly LinearWeights[]): TfModel {
  const ls = layers.map((l) => tfLinear(tf, l));
  const vars = ls.flatMap((l) => [l.w, l.b]);
  const opt = new AdamW(tf, vars);
  const forward = (x: TfTensor) =>
    tf.tidy(() => ls.reduce((h, l, i) => applyLinear(tf, h, l, i + 1 < ls.length ? "relu" : "linear"), x));
  return {
    forward,
    trainStep: (x, oneHot) => opt.step(() => tf.losses.softmaxCrossEntropy(oneHot, forward(x)) as TfCore.Scalar),
    variables: () => vars,
    dispose: () => {
      opt.dispose();
      tf.dispose(vars);
    },
  };
}

/**
 * kiln's post-norm TransformerEncoderLayer (ReLU, no dropout, batch first); the training step is
 * MSE against a target, as kilnBlockTrainStep in workloads.ts.
 */
export function transformerBlock(tf: Tf, cfg: BlockConfig, w: BlockWeights): TfModel {
  const { batch: N, seq: L, width: E, heads: H } = cfg;
  const D = E / H;
  const q = tfLinear(tf, w.q);
  const k = tfLinear(tf, w.k);
  const v = tfLinear(tf, w.v);
  const out = tfLinear(tf, w.out);
  const ff1 = tfLinear(tf, w.ff1);
  const ff2 = tfLinear(tf, w.ff2);
  const norm = (p: { weight: Float32Array; bias: Float32Array }) => ({
    w: tf.variable(tf.tensor1d(p.weight), true),
    b: tf.variable(tf.tensor1d(p.bias), true),
  });
  const n1 = norm(w.norm1);
  const n2 = norm(w.norm2);
  const vars = [q, k, v, out, ff1, ff2, n1, n2].flatMap((p) => [p.w, p.b]);
  const opt = new AdamW(tf, vars);
  const forward = (x: TfTensor) =>
    tf.tidy(() => {
      const x2 = tf.reshape(x, [N * L, E]);
      const heads = (t: TfTensor) => tf.transpose(tf.reshape(t, [N, L, H, D]), [0, 2, 1, 3]); // [N, H, L, D]
      const qh = heads(applyLinear(tf, x2, q));
      const kh = heads(applyLinear(tf, x2, k));
      const vh = heads(applyLinear(tf, x2, v));
      const scores = tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(D));
      const attn = tf.matMul(tf.softmax(scores, -1), vh);
      const merged = tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [N * L, E]);
      const h1 = layerNorm(tf, tf.add(x2, applyLinear(tf, merged, out)), n1.w, n1.b);
      const f = applyLinear(tf, applyLinear(tf, h1, ff1, "relu"), ff2);
      return tf.reshape(layerNorm(tf, tf.add(h1, f), n2.w, n2.b), [N, L, E]);
    });
  return {
    forward,
    trainStep: (x, target) => opt.step(() => tf.losses.meanSquaredError(target, forward(x)) as TfCore.Scalar),
    variables: () => vars,
    dispose: () => {
      opt.dispose();
      tf.dispose(vars);
    },
  };
}
