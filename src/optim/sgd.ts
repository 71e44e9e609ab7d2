// optim.SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay
// and maximize, following torch.optim.SGD's update exactly.
import { ArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { checkLR, Optimizer, persistentState, stepBy, type LR, type ParamGroup, type ParamsInput } from "./optimizer.js";

export interface SGDOptions {
  lr: LR;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<SGDOptions>): void {
    checkLR(g.lr);
    if (!(g.momentum >= 0)) throw new ArgumentError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new ArgumentError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ArgumentError("Nesterov momentum requires a momentum and zero dampening");
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const p of group.params) {
      if (p.grad === null) continue;
      let g: Tensor = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) g = g.add(p, { alpha: weightDecay });
      if (momentum !== 0) {
        const state = this.stateOf(p);
        let buf = state.momentumBuffer as Tensor | undefined;
        if (buf === undefined) {
          buf = persistentState(g.clone());
          state.momentumBuffer = buf;
        } else {
          buf.mul_(momentum).add_(g, { alpha: 1 - dampening });
        }
        g = nesterov ? g.add(buf, { alpha: momentum }) : buf;
      }
      stepBy(p, g, lr);
    }
  }
}
