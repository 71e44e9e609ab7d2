// Embedding: a lookup table of numEmbeddings vectors; weight starts N(0, 1) with the padding row
// zeroed (that row receives no gradient).
import type { Tensor } from "../../core/tensor.js";
import { ArgumentError } from "../../core/errors.js";
import { noGrad } from "../../dispatch/grad-mode.js";
import { embedding } from "../../api/indexing.js";
import "../../api/shape.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { normal_, zeros_ } from "../init.js";
import { checkPositiveInt, newParameter, type FactoryOptions } from "./common.js";

export interface EmbeddingModuleOptions extends FactoryOptions {
  paddingIdx?: number | null;
  /** Use this tensor (shape [numEmbeddings, embeddingDim]) as the weight instead of initialising one. */
  weight?: Tensor;
  /** Freeze the weight (requiresGrad false). */
  freeze?: boolean;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingModuleOptions = {}) {
    super();
    this.numEmbeddings = checkPositiveInt(numEmbeddings, "num_embeddings", true);
    this.embeddingDim = checkPositiveInt(embeddingDim, "embedding_dim", true);
    let p = options.paddingIdx ?? null;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings) throw new ArgumentError("Padding_idx must be within num_embeddings");
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    if (options.weight !== undefined) {
      const w = options.weight;
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new ArgumentError("Shape of weight does not match num_embeddings and embedding_dim");
      }
      this.weight = new Parameter(noGrad(() => w.detach()), !(options.freeze ?? false));
    } else {
      this.weight = newParameter([numEmbeddings, embeddingDim], options.dtype);
      this.resetParameters();
      if (options.freeze) this.weight.requiresGrad = false;
    }
  }

  /** Embedding.from_pretrained: wraps `embeddings` (shared storage), frozen by default. */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new ArgumentError("Embeddings parameter is expected to be 2-dimensional");
    return new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, {
      weight: embeddings,
      freeze: options.freeze ?? true,
      paddingIdx: options.paddingIdx ?? null,
    });
  }

  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const w = this.weight;
      const idx = this.paddingIdx;
      noGrad(() => zeros_(w.select(0, idx)));
    }
  }

  override forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ""}`;
  }
}
