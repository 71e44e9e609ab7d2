// The workloads of bench/codegen.ts as plain data, so that peer runtimes (onnxruntime-node,
// TensorFlow.js) run the same shapes with the same weights as kiln's rows. The kiln models are
// built here exactly as bench/codegen.ts builds them (manualSeed(0) before construction), and
// their parameters are copied out as Float32Arrays; the same builders take small shapes in
// test/bench/peers.test.ts, which checks each peer against kiln eager.
import * as k from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

/** A Linear layer's parameters in PyTorch layout: weight [out, in] row-major, bias [out]. */
export interface LinearWeights {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array;
}

export function f32(t: Tensor): Float32Array {
  const a = t.detach().toArray();
  if (!(a instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  return a;
}

/** Float32 tensor from data and shape (kiln side of the correctness checks). */
export function tensorOf(data: Float32Array, shape: readonly number[]): Tensor {
  return k.tensor(data).reshape([...shape]);
}

export function linearWeights(l: InstanceType<typeof k.nn.Linear>): LinearWeights {
  if (l.bias === null) throw new Error("bench linears have biases");
  return { inFeatures: l.inFeatures, outFeatures: l.outFeatures, weight: f32(l.weight), bias: f32(l.bias) };
}

// --- 1. pointwise chain -------------------------------------------------------------------------

export const CHAIN_N = 1 << 20;
/** kiln's gelu defaults to the exact (erf) form, as PyTorch's: the peers use erf too. */
export const kilnChain = (x: Tensor): Tensor => x.mul(2).add(1).gelu();

// --- 2. softmax and layerNorm over rows ---------------------------------------------------------

export const ROWS = 4096;
export const COLS = 1024;
export const LN_EPS = 1e-5;
export const kilnLayerNorm = (x: Tensor, w: Tensor, b: Tensor): Tensor =>
  k.nn.functional.layerNorm(x, [x.shape[x.ndim - 1]!], w, b, { eps: LN_EPS });

// --- 3. MLP -------------------------------------------------------------------------------------

export const MLP_BATCH = 64;
export const MLP_SIZES = [784, 1024, 1024, 10] as const;
export const mlpFlops = (batch: number, sizes: readonly number[]): number => {
  let f = 0;
  for (let i = 0; i + 1 < sizes.length; i++) f += 2 * batch * sizes[i]! * sizes[i + 1]!;
  return f;
};
/** AdamW settings of the training-step rows (kiln's AdamW defaults apart from lr). */
export const ADAMW = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 } as const;

/** The MLP of bench/codegen.ts (ReLU between Linears), seeded the same way. */
export function kilnMlp(sizes: readonly number[] = MLP_SIZES): InstanceType<typeof k.nn.Sequential> {
  k.manualSeed(0);
  const layers: InstanceType<typeof k.nn.Module>[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (i > 0) layers.push(new k.nn.ReLU());
    layers.push(new k.nn.Linear(sizes[i]!, sizes[i + 1]!));
  }
  return new k.nn.Sequential(...layers);
}

export function mlpWeights(model: InstanceType<typeof k.nn.Sequential>): LinearWeights[] {
  const out: LinearWeights[] = [];
  for (const m of model.children()) if (m instanceof k.nn.Linear) out.push(linearWeights(m));
  return out;
}

// --- 4. transformer encoder block ---------------------------------------------------------------

export interface BlockConfig {
  batch: number;
  seq: number;
  width: number;
  heads: number;
  ff: number;
}
export const BLOCK: BlockConfig = { batch: 8, seq: 128, width: 256, heads: 4, ff: 1024 };

/**
 * Parameters of kiln's TransformerEncoderLayer (post-norm, ReLU, eps 1e-5, batch first, no
 * dropout), with the packed input projection split into q, k and v Linears.
 */
export interface BlockWeights {
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  out: LinearWeights;
  ff1: LinearWeights;
  ff2: LinearWeights;
  norm1: { weight: Float32Array; bias: Float32Array };
  norm2: { weight: Float32Array; bias: Float32Array };
}

/** The block of bench/codegen.ts, seeded the same way. */
export function kilnBlock(cfg: BlockConfig = BLOCK): InstanceType<typeof k.nn.TransformerEncoderLayer> {
  k.manualSeed(0);
  return new k.nn.TransformerEncoderLayer(cfg.width, cfg.heads, { dimFeedforward: cfg.ff, dropout: 0, batchFirst: true });
}

export function blockWeights(layer: InstanceType<typeof k.nn.TransformerEncoderLayer>): BlockWeights {
  if (layer.normFirst) throw new Error("the bench block is post-norm");
  const attn = layer.self_attn;
  const E = attn.embedDim;
  const w = attn.in_proj_weight;
  const b = attn.in_proj_bias;
  if (w === null || b === null) throw new Error("expected a packed in_proj_weight with bias");
  const part = (i: number): LinearWeights => ({
    inFeatures: E,
    outFeatures: E,
    weight: f32(w.narrow(0, i * E, E)),
    bias: f32(b.narrow(0, i * E, E)),
  });
  const norm = (n: typeof layer.norm1) => {
    if (n.weight === null || n.bias === null) throw new Error("expected affine layer norms");
    if (n.eps !== LN_EPS) throw new Error(`expected eps ${LN_EPS}`);
    return { weight: f32(n.weight), bias: f32(n.bias) };
  };
  return {
    q: part(0),
    k: part(1),
    v: part(2),
    out: linearWeights(attn.out_proj),
    ff1: linearWeights(layer.linear1),
    ff2: linearWeights(layer.linear2),
    norm1: norm(layer.norm1),
    norm2: norm(layer.norm2),
  };
}

/**
 * The block's training step (no row in bench/codegen.ts yet): MSE of the block's output against
 * a fixed random target, then AdamW. Returns the loss.
 */
export function kilnBlockTrainStep(layer: InstanceType<typeof k.nn.TransformerEncoderLayer>): (x: Tensor, target: Tensor) => Tensor {
  const opt = new k.optim.AdamW(layer.parameters(), { lr: ADAMW.lr });
  return (x, target) => {
    opt.zeroGrad();
    const loss = k.nn.functional.mseLoss(layer.forward(x), target);
    loss.backward();
    opt.step();
    return loss;
  };
}

/** Max |a - b| over two equally long arrays (NaN anywhere gives NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
}
