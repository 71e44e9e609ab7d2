// TransformerEncoderLayer (torch.nn.TransformerEncoderLayer): self-attention and a feed-forward
// block, each with dropout, a residual connection and LayerNorm (post-norm by default, pre-norm
// with normFirst). Submodules keep PyTorch's names: self_attn, linear1, dropout, linear2, norm1,
// norm2, dropout1, dropout2.
import { ArgumentError } from "../../core/errors.js";
import type { DType } from "../../core/dtype.js";
import type { Tensor } from "../../core/tensor.js";
import { gelu, relu } from "../../api/pointwise.js";
import { full } from "../../api/creation.js";
import { triu } from "../../api/indexing.js";
import { Module } from "../module.js";
import { MultiheadAttention } from "./attention.js";
import { Linear } from "./linear.js";
import { Dropout } from "./dropout.js";
import { LayerNorm } from "./normalization.js";
import type { FactoryOptions } from "./common.js";

/** A float mask [sz, sz] with −inf above the diagonal and 0 elsewhere (Transformer.generate_square_subsequent_mask). */
export function generateSquareSubsequentMask(sz: number, options: { dtype?: DType } = {}): Tensor {
  return triu(full([sz, sz], -Infinity, { dtype: options.dtype ?? "float32" }), 1);
}

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  /** "relu" (default), "gelu", a function or a module. */
  activation?: "relu" | "gelu" | ((x: Tensor) => Tensor) | Module;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}

export interface TransformerEncoderLayerForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  activation: ((x: Tensor) => Tensor) | Module;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const p = options.dropout ?? 0.1;
    const dff = options.dimFeedforward ?? 2048;
    const bias = options.bias ?? true;
    const dtype = options.dtype;
    const eps = options.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: options.batchFirst ?? false, dtype });
    this.linear1 = new Linear(dModel, dff, { bias, dtype });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(dff, dModel, { bias, dtype });
    this.normFirst = options.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps, bias, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, bias, dtype });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    const act = options.activation ?? "relu";
    if (act === "relu") this.activation = (x: Tensor) => relu(x);
    else if (act === "gelu") this.activation = (x: Tensor) => gelu(x);
    else if (typeof act === "function" || act instanceof Module) this.activation = act;
    else throw new ArgumentError(`activation should be relu/gelu, not ${String(act)}`);
  }

  get selfAttn(): MultiheadAttention {
    return this.self_attn;
  }

  private act(x: Tensor): Tensor {
    return this.activation instanceof Module ? this.activation.forward(x) : this.activation(x);
  }

  private saBlock(x: Tensor, mask: Tensor | null, kpm: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal });
    return this.dropout1.forward(y);
  }

  private ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(x)))));
  }

  override forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const mask = options.srcMask ?? null;
    const kpm = options.srcKeyPaddingMask ?? null;
    const isCausal = options.isCausal ?? false;
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), mask, kpm, isCausal));
      x = x.add(this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, mask, kpm, isCausal)));
      x = this.norm2.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }
}
