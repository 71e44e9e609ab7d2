// Activation modules: ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax.
import type { Tensor } from "../../core/tensor.js";
import { gelu, relu, sigmoid, silu, tanh } from "../../api/pointwise.js";
import { softmax } from "../../api/reduce.js";
import { Module } from "../module.js";

export class ReLU extends Module {
  override forward(input: Tensor): Tensor {
    return relu(input);
  }
}

export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(options: { approximate?: "none" | "tanh" } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
  }
  override forward(input: Tensor): Tensor {
    return gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  override forward(input: Tensor): Tensor {
    return silu(input);
  }
}

export class Tanh extends Module {
  override forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

export class Sigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

/** Softmax along `dim` (PyTorch's implicit-dim choice when dim is omitted: 0 for 0/1/3-d inputs, else 1). */
export class Softmax extends Module {
  readonly dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = dim;
  }
  override forward(input: Tensor): Tensor {
    const dim = this.dim ?? (input.ndim === 0 || input.ndim === 1 || input.ndim === 3 ? 0 : 1);
    return softmax(input, dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
