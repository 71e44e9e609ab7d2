// Flatten: merges dims startDim..endDim (default 1..-1, keeping the batch dim).
import type { Tensor } from "../../core/tensor.js";
import { flatten } from "../../api/shape.js";
import { Module } from "../module.js";

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  override forward(input: Tensor): Tensor {
    return flatten(input, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
