// MultiheadAttention (torch.nn.MultiheadAttention). Parameters keep PyTorch's state-dict names
// (in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias; q/k/v_proj_weight when kdim or
// vdim differ from embedDim) and are also reachable as inProjWeight, inProjBias, outProj, ...
import { ArgumentError, KilnRuntimeError, ShapeError } from "../../core/errors.js";
import type { Tensor } from "../../core/tensor.js";
import { isFloating } from "../../core/dtype.js";
import { linear } from "../../api/conv.js";
import { scaledDotProductAttention, dropout as dropoutFn } from "../../api/nn-functional.js";
import { maskedFill } from "../../api/pointwise.js";
import { softmax } from "../../api/reduce.js";
import { zeros } from "../../api/creation.js";
import "../../api/shape.js";
import "../../api/linalg.js";
import { isGradEnabled } from "../../dispatch/grad-mode.js";
import { Module } from "../module.js";
import type { Parameter } from "../parameter.js";
import { constant_, xavierUniform_ } from "../init.js";
import { Linear } from "./linear.js";
import { checkPositiveInt, checkProbability, newParameter, type FactoryOptions } from "./common.js";

export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights (training only). */
  dropout?: number;
  bias?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  /** Inputs and outputs are [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  addBiasKV?: boolean;
  addZeroAttn?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): true / non-zero float entries mark keys to ignore (added when float). */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: bool true = not allowed, float = added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true). */
  averageAttnWeights?: boolean;
  /** A hint that attnMask is the causal mask (attnMask is required, as in PyTorch). */
  isCausal?: boolean;
}

/** An additive float mask (0 where allowed, −inf where not) from a bool or float mask. */
function additiveMask(mask: Tensor, dtype: Tensor["dtype"]): Tensor {
  if (mask.dtype === "bool") return maskedFill(zeros(mask.shape.slice(), { dtype }), mask, -Infinity);
  if (!isFloating(mask.dtype)) throw new ArgumentError("only bool and floating types of masks are supported");
  return mask.to(dtype);
}

export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  in_proj_weight: Parameter | null = null;
  q_proj_weight: Parameter | null = null;
  k_proj_weight: Parameter | null = null;
  v_proj_weight: Parameter | null = null;
  in_proj_bias: Parameter | null = null;
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    this.embedDim = checkPositiveInt(embedDim, "embed_dim");
    this.numHeads = checkPositiveInt(numHeads, "num_heads");
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.dropout = checkProbability(options.dropout ?? 0);
    this.batchFirst = options.batchFirst ?? false;
    if (options.addBiasKV || options.addZeroAttn) throw new ArgumentError("MultiheadAttention: addBiasKV and addZeroAttn are not supported by kiln");
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new ArgumentError("embed_dim must be divisible by num_heads");
    const dtype = options.dtype;
    if (this.kdim === embedDim && this.vdim === embedDim) {
      this.in_proj_weight = newParameter([3 * embedDim, embedDim], dtype);
    } else {
      this.q_proj_weight = newParameter([embedDim, embedDim], dtype);
      this.k_proj_weight = newParameter([embedDim, this.kdim], dtype);
      this.v_proj_weight = newParameter([embedDim, this.vdim], dtype);
    }
    const bias = options.bias ?? true;
    if (bias) this.in_proj_bias = newParameter([3 * embedDim], dtype);
    this.out_proj = new Linear(embedDim, embedDim, { bias, dtype });
    this.resetParameters();
  }

  get inProjWeight(): Parameter | null {
    return this.in_proj_weight;
  }
  get inProjBias(): Parameter | null {
    return this.in_proj_bias;
  }
  get qProjWeight(): Parameter | null {
    return this.q_proj_weight;
  }
  get kProjWeight(): Parameter | null {
    return this.k_proj_weight;
  }
  get vProjWeight(): Parameter | null {
    return this.v_proj_weight;
  }
  get outProj(): Linear {
    return this.out_proj;
  }

  /** xavier_uniform_ on the input projections, zero biases (out_proj.weight keeps Linear's init). */
  resetParameters(): void {
    if (this.in_proj_weight) xavierUniform_(this.in_proj_weight);
    else {
      xavierUniform_(this.q_proj_weight!);
      xavierUniform_(this.k_proj_weight!);
      xavierUniform_(this.v_proj_weight!);
    }
    if (this.in_proj_bias) {
      constant_(this.in_proj_bias, 0);
      constant_(this.out_proj.bias!, 0);
    }
  }

  /**
   * Attention of query over key/value. Returns [output, weights]: weights are [N, L, S] averaged
   * over heads (or [N, numHeads, L, S]), or null when needWeights is false.
   */
  override forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiheadAttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    const needWeights = options.needWeights ?? true;
    const average = options.averageAttnWeights ?? true;
    const E = this.embedDim;
    const H = this.numHeads;
    const D = this.headDim;
    if (query.ndim !== 3 && query.ndim !== 2) {
      throw new ShapeError(`query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
    }
    const batched = query.ndim === 3;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new ShapeError(
        `For ${batched ? "batched (3-D)" : "unbatched (2-D)"} \`query\`, expected \`key\` and \`value\` to be ${batched ? "3-D" : "2-D"} but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`,
      );
    }
    let q = query;
    let k = key;
    let v = value;
    let kpm = options.keyPaddingMask ?? null;
    if (!batched) {
      q = q.unsqueeze(0);
      k = k.unsqueeze(0);
      v = v.unsqueeze(0);
      if (kpm !== null) kpm = kpm.unsqueeze(0);
    } else if (!this.batchFirst) {
      q = q.transpose(0, 1);
      k = k.transpose(0, 1);
      v = v.transpose(0, 1);
    }
    // Now q [N, L, E], k [N, S, kdim], v [N, S, vdim].
    const N = q.shape[0]!;
    const L = q.shape[1]!;
    const S = k.shape[1]!;
    if (q.shape[2] !== E) throw new ShapeError(`was expecting embedding dimension of ${E}, but got ${q.shape[2]}`);
    if (k.shape[1] !== v.shape[1] || k.shape[0] !== v.shape[0]) {
      throw new ShapeError(`key shape [${key.shape.join(", ")}] does not match value shape [${value.shape.join(", ")}]`);
    }
    const b = this.in_proj_bias;
    const bq = b ? b.narrow(0, 0, E) : null;
    const bk = b ? b.narrow(0, E, E) : null;
    const bv = b ? b.narrow(0, 2 * E, E) : null;
    const w = this.in_proj_weight;
    const wq = w ? w.narrow(0, 0, E) : this.q_proj_weight!;
    const wk = w ? w.narrow(0, E, E) : this.k_proj_weight!;
    const wv = w ? w.narrow(0, 2 * E, E) : this.v_proj_weight!;
    const heads = (t: Tensor, len: number) => t.reshape([N, len, H, D]).transpose(1, 2);
    let qp: Tensor;
    let kp: Tensor;
    let vp: Tensor;
    const recordsGrad = isGradEnabled() && (query.requiresGrad || (w?.requiresGrad ?? false) || (b?.requiresGrad ?? false));
    if (w && query === key && key === value && !recordsGrad) {
      // Self-attention without autograd: one product with the packed weight, then views of its
      // three parts (as PyTorch's packed in-projection), instead of three products of a third the
      // width. With autograd, each view's gradient would be padded to the full width and summed
      // (measured: a compiled training step 25% slower), so training keeps three products.
      const proj = linear(q, w, b);
      qp = proj.narrow(2, 0, E);
      kp = proj.narrow(2, E, E);
      vp = proj.narrow(2, 2 * E, E);
    } else {
      qp = linear(q, wq, bq);
      kp = linear(k, wk, bk);
      vp = linear(v, wv, bv);
    }
    const qh = heads(qp, L);
    const kh = heads(kp, S);
    const vh = heads(vp, S);

    // One additive mask broadcastable to [N, H, L, S] (or none).
    let mask: Tensor | null = null;
    const attnMask = options.attnMask ?? null;
    if (options.isCausal && attnMask === null) {
      throw new KilnRuntimeError(
        "Need attn_mask if specifying the is_causal hint. You may use generateSquareSubsequentMask to create this mask.",
      );
    }
    if (attnMask !== null) {
      if (attnMask.ndim === 2) {
        if (attnMask.shape[0] !== L || attnMask.shape[1] !== S) {
          throw new ShapeError(`The shape of the 2D attn_mask is [${attnMask.shape.join(", ")}], but should be [${L}, ${S}].`);
        }
        mask = additiveMask(attnMask, qh.dtype).reshape([1, 1, L, S]);
      } else if (attnMask.ndim === 3) {
        if (attnMask.shape[0] !== N * H || attnMask.shape[1] !== L || attnMask.shape[2] !== S) {
          throw new ShapeError(`The shape of the 3D attn_mask is [${attnMask.shape.join(", ")}], but should be [${N * H}, ${L}, ${S}].`);
        }
        mask = additiveMask(attnMask, qh.dtype).reshape([N, H, L, S]);
      } else {
        throw new ShapeError(`attn_mask's dimension ${attnMask.ndim} is not supported`);
      }
    }
    if (kpm !== null) {
      if (kpm.ndim !== 2 || kpm.shape[0] !== N || kpm.shape[1] !== S) {
        throw new ShapeError(`expecting key_padding_mask shape of [${N}, ${S}], but got [${kpm.shape.join(", ")}]`);
      }
      const m = additiveMask(kpm, qh.dtype).reshape([N, 1, 1, S]);
      mask = mask === null ? m : mask.add(m);
    }
    const p = this.training ? this.dropout : 0;
    let out: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      let scores = qh.mul(1 / Math.sqrt(D)).matmul(kh.transpose(-2, -1));
      if (mask !== null) scores = scores.add(mask);
      let attn = softmax(scores, -1);
      if (p > 0) attn = dropoutFn(attn, { p });
      out = attn.matmul(vh);
      weights = average ? attn.mean(1) : attn;
      if (!batched) weights = weights.squeeze(0);
    } else {
      out = scaledDotProductAttention(qh, kh, vh, { attnMask: mask, dropoutP: p });
    }
    out = this.out_proj.forward(out.transpose(1, 2).reshape([N, L, E]));
    if (!batched) out = out.squeeze(0);
    else if (!this.batchFirst) out = out.transpose(0, 1);
    return [out, weights];
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, batchFirst=${this.batchFirst}`;
  }
}
