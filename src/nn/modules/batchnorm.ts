// BatchNorm1d/2d with running statistics. Buffers keep PyTorch's state-dict names
// (running_mean, running_var, num_batches_tracked) and are read as runningMean, runningVar,
// numBatchesTracked.
import { ShapeError } from "../../core/errors.js";
import type { Tensor } from "../../core/tensor.js";
import { noGrad } from "../../dispatch/grad-mode.js";
import { batchNorm } from "../../api/nn-functional.js";
import "../../api/pointwise.js";
import { Module } from "../module.js";
import type { Parameter } from "../parameter.js";
import { emptyTensor, ones_, zeros_ } from "../init.js";
import { checkPositiveInt, newParameter, type FactoryOptions } from "./common.js";

export interface BatchNormModuleOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average; null: a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super();
    this.numFeatures = checkPositiveInt(numFeatures, "num_features");
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.weight = this.affine ? newParameter([numFeatures], options.dtype) : null;
    this.bias = this.affine ? newParameter([numFeatures], options.dtype) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", emptyTensor([numFeatures], options.dtype));
      this.registerBuffer("running_var", emptyTensor([numFeatures], options.dtype));
      this.registerBuffer("num_batches_tracked", emptyTensor([], "int32"));
    } else {
      this.registerBuffer("running_mean", null);
      this.registerBuffer("running_var", null);
      this.registerBuffer("num_batches_tracked", null);
    }
    this.resetParameters();
  }

  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  set runningMean(t: Tensor | null) {
    this.running_mean = t;
  }
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  set runningVar(t: Tensor | null) {
    this.running_var = t;
  }
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }
  set numBatchesTracked(t: Tensor | null) {
    this.num_batches_tracked = t;
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    zeros_(this.running_mean!);
    ones_(this.running_var!);
    zeros_(this.num_batches_tracked!);
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  protected abstract checkInputDim(input: Tensor): void;

  override forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked !== null) {
      const nbt = this.num_batches_tracked;
      noGrad(() => nbt.add_(1));
      if (this.momentum === null) factor = 1 / Number(nbt.item());
    }
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(
      input,
      useRunning ? this.running_mean : null,
      useRunning ? this.running_var : null,
      this.weight,
      this.bias,
      { training: bnTraining, momentum: factor, eps: this.eps },
    );
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch normalisation over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new ShapeError(`expected 2D or 3D input (got ${input.ndim}D input)`);
  }
}

/** Batch normalisation over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new ShapeError(`expected 4D input (got ${input.ndim}D input)`);
  }
}
