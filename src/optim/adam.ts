// optim.Adam and optim.AdamW (with amsgrad, weight decay, maximize), following torch.optim's
// single-tensor updates.
import { ArgumentError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { div, maximum, pow, sub } from "../api/pointwise.js";
import { checkLR, Optimizer, stepCounter, zerosState, type LR, type ParamGroup, type ParamsInput, type ParamState } from "./optimizer.js";

export interface AdamOptions {
  lr: LR;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

function validate(g: ParamGroup<AdamOptions>): void {
  checkLR(g.lr);
  if (!(g.eps >= 0)) throw new ArgumentError(`Invalid epsilon value: ${g.eps}`);
  if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new ArgumentError("betas must be a pair of numbers");
  if (!(g.betas[0] >= 0 && g.betas[0] < 1)) throw new ArgumentError(`Invalid beta parameter at index 0: ${g.betas[0]}`);
  if (!(g.betas[1] >= 0 && g.betas[1] < 1)) throw new ArgumentError(`Invalid beta parameter at index 1: ${g.betas[1]}`);
  if (!(g.weightDecay >= 0)) throw new ArgumentError(`Invalid weight_decay value: ${g.weightDecay}`);
}

/**
 * Shared Adam/AdamW step; `decoupled` selects AdamW's weight decay. The step count is a float64 0-d
 * tensor (as PyTorch's) and the bias corrections are computed from it with tensor ops, so a
 * compiled training step records the same graph at every step instead of new constants.
 */
function adamStep(stateOf: (p: Tensor) => ParamState, group: ParamGroup<AdamOptions>, decoupled: boolean): void {
  const { lr, betas, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = betas;
  for (const p of group.params) {
    if (p.grad === null) continue;
    let g: Tensor = maximize ? p.grad.neg() : p.grad;
    const state = stateOf(p);
    if (state.step === undefined) {
      state.step = stepCounter();
      state.expAvg = zerosState(p);
      state.expAvgSq = zerosState(p);
      if (amsgrad) state.maxExpAvgSq = zerosState(p);
    }
    const step = state.step as Tensor;
    step.add_(1);
    if (weightDecay !== 0) {
      if (decoupled) {
        if (lr instanceof Tensor) p.mul_(lr.mul(-weightDecay).add(1));
        else p.mul_(1 - lr * weightDecay);
      } else {
        g = g.add(p, { alpha: weightDecay });
      }
    }
    const expAvg = state.expAvg as Tensor;
    const expAvgSq = state.expAvgSq as Tensor;
    expAvg.mul_(beta1).add_(g, { alpha: 1 - beta1 });
    expAvgSq.mul_(beta2).add_(g.mul(g), { alpha: 1 - beta2 });
    const biasCorrection1 = sub(1, pow(beta1, step));
    const biasCorrection2Sqrt = sub(1, pow(beta2, step)).sqrt();
    let second = expAvgSq;
    if (amsgrad) {
      let maxSq = state.maxExpAvgSq as Tensor | undefined;
      if (maxSq === undefined) {
        maxSq = zerosState(p);
        state.maxExpAvgSq = maxSq;
      }
      maxSq.copy_(maximum(maxSq, expAvgSq));
      second = maxSq;
    }
    const denom = second.sqrt().div(biasCorrection2Sqrt).add_(eps);
    const stepSize = div(lr, biasCorrection1);
    p.sub_(expAvg.div(denom).mul(stepSize));
  }
}

export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<AdamOptions>): void {
    validate(g);
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    adamStep((p) => this.stateOf(p), group, false);
  }
}

/** AdamW: Adam with decoupled weight decay (default 1e-2): p ← p·(1 − lr·wd) before the Adam step. */
export class AdamW extends Adam {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 1e-2 });
  }

  protected override updateGroup(group: ParamGroup<AdamOptions>): void {
    adamStep((p) => this.stateOf(p), group, true);
  }
}
