// Dropout: zeroes elements with probability p in training (scaling the rest by 1/(1−p)).
import type { Tensor } from "../../core/tensor.js";
import { dropout } from "../../api/nn-functional.js";
import { Module } from "../module.js";
import { checkProbability } from "./common.js";

export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;

  constructor(p = 0.5, options: { inplace?: boolean } = {}) {
    super();
    this.p = checkProbability(p);
    this.inplace = options.inplace ?? false;
  }

  override forward(input: Tensor): Tensor {
    return dropout(input, { p: this.p, training: this.training, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=${this.inplace}`;
  }
}
