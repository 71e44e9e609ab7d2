// optim.RMSprop (alpha, eps, weight decay, momentum, centered, maximize), following
// torch.optim.RMSprop's single-tensor update.
import { ArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { checkLR, Optimizer, stepBy, stepCounter, zerosState, type LR, type ParamGroup, type ParamsInput } from "./optimizer.js";

export interface RMSpropOptions {
  lr: LR;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<RMSpropOptions>): void {
    checkLR(g.lr);
    if (!(g.eps >= 0)) throw new ArgumentError(`Invalid epsilon value: ${g.eps}`);
    if (!(g.momentum >= 0)) throw new ArgumentError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new ArgumentError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (!(g.alpha >= 0)) throw new ArgumentError(`Invalid alpha value: ${g.alpha}`);
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      let g: Tensor = maximize ? p.grad.neg() : p.grad;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = stepCounter();
        state.squareAvg = zerosState(p);
        if (momentum > 0) state.momentumBuffer = zerosState(p);
        if (centered) state.gradAvg = zerosState(p);
      }
      (state.step as Tensor).add_(1);
      if (weightDecay !== 0) g = g.add(p, { alpha: weightDecay });
      const squareAvg = state.squareAvg as Tensor;
      squareAvg.mul_(alpha).add_(g.mul(g), { alpha: 1 - alpha });
      let avg: Tensor;
      if (centered) {
        const gradAvg = (state.gradAvg ??= zerosState(p)) as Tensor;
        gradAvg.mul_(alpha).add_(g, { alpha: 1 - alpha });
        avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt_();
      } else {
        avg = squareAvg.sqrt();
      }
      avg = avg.add_(eps);
      if (momentum > 0) {
        const buf = (state.momentumBuffer ??= zerosState(p)) as Tensor;
        buf.mul_(momentum).add_(g.div(avg));
        stepBy(p, buf, lr);
      } else {
        stepBy(p, g.div(avg), lr);
      }
    }
  }
}
