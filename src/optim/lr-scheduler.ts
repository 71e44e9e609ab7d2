// Learning-rate schedulers (torch.optim.lr_scheduler): StepLR, CosineAnnealingLR, LinearLR,
// LambdaLR, SequentialLR. Each keeps PyTorch's recursive ("chainable") update for step() and its
// closed form for step(epoch). A group whose lr is a 0-d tensor is updated in place (fill_).
import { ArgumentError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { noGrad } from "../dispatch/grad-mode.js";
import "../api/creation.js";
import { toNumber, type Optimizer } from "./optimizer.js";

type AnyOptimizer = Optimizer<object>;
type Group = Record<string, unknown> & { lr: number | Tensor; initialLr?: number };

function groupsOf(opt: AnyOptimizer): Group[] {
  return opt.paramGroups as unknown as Group[];
}

function setLr(group: Group, lr: number): void {
  if (group.lr instanceof Tensor) {
    const t = group.lr;
    noGrad(() => t.fill_(lr));
  } else {
    group.lr = lr;
  }
}

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  lastEpoch: number;
  baseLrs: number[];
  _stepCount = 0;
  _lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    this.optimizer = optimizer;
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      // setdefault, as PyTorch: a second scheduler on the same optimizer keeps the first's base rates.
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = toNumber(g.lr);
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new ArgumentError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor (PyTorch's _initial_step). */
  protected initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The learning rates of the current groups. */
  protected currentLrs(): number[] {
    return groupsOf(this.optimizer).map((g) => toNumber(g.lr));
  }

  /** PyTorch's chainable get_lr(): new rates from the current ones and lastEpoch. */
  abstract getLr(): number[];

  /** The closed form for an explicit epoch, if the schedule has one. */
  closedFormLr(): number[] | null {
    return null;
  }

  /** Advances one epoch (or jumps to `epoch`) and writes the new rates into the groups. */
  step(epoch?: number): void {
    this._stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    groupsOf(this.optimizer).forEach((g, i) => setLr(g, values[i]!));
    this._lastLr = groupsOf(this.optimizer).map((g) => toNumber(g.lr));
  }

  /** The rates set by the last step(). */
  getLastLr(): number[] {
    return this._lastLr.slice();
  }

  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch, baseLrs: this.baseLrs.slice(), stepCount: this._stepCount, lastLr: this._lastLr.slice() };
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.lastEpoch = state.lastEpoch as number;
    this.baseLrs = (state.baseLrs as number[]).slice();
    this._stepCount = state.stepCount as number;
    this._lastLr = (state.lastLr as number[]).slice();
  }
}

/** Multiplies the rate by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: AnyOptimizer, stepSize: number, options: { gamma?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new ArgumentError(`step_size must be a positive integer, but got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }
  getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
  override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Cosine annealing from the base rate to etaMin over TMax epochs (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  readonly TMax: number;
  readonly etaMin: number;
  constructor(optimizer: AnyOptimizer, TMax: number, options: { etaMin?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    if (!(TMax > 0)) throw new ArgumentError(`T_max must be positive, but got ${TMax}`);
    this.TMax = TMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }
  getLr(): number[] {
    const { TMax: T, etaMin, lastEpoch: t } = this;
    const lrs = this.currentLrs();
    if (t === 0) return lrs;
    if (this._stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    if ((t - 1 - T) % (2 * T) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return lrs.map(
      (lr) => ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - etaMin) + etaMin,
    );
  }
  override closedFormLr(): number[] {
    const { TMax: T, etaMin, lastEpoch: t } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
}

/** Scales the rate linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(
    optimizer: AnyOptimizer,
    options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, options.lastEpoch ?? -1);
    const startFactor = options.startFactor ?? 1 / 3;
    const endFactor = options.endFactor ?? 1;
    if (startFactor > 1 || startFactor <= 0) {
      throw new ArgumentError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
    }
    if (endFactor > 1 || endFactor < 0) throw new ArgumentError("Ending multiplicative factor expected to be between 0 and 1.");
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }
  getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    const lrs = this.currentLrs();
    if (t === 0) return lrs.map((lr) => lr * s);
    if (t > n) return lrs;
    return lrs.map((lr) => lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }
  override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, t)) / n));
  }
}

/** The base rate times lrLambda(epoch) (one function, or one per group). */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];
  constructor(
    optimizer: AnyOptimizer,
    lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    options: { lastEpoch?: number } = {},
  ) {
    super(optimizer, options.lastEpoch ?? -1);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== n) throw new ArgumentError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
      this.lrLambdas = lrLambda.slice();
    } else {
      this.lrLambdas = new Array(n).fill(lrLambda);
    }
    this.initialStep();
  }
  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/** Runs schedulers one after another, switching at the given epoch milestones. */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  constructor(optimizer: AnyOptimizer, schedulers: LRScheduler[], milestones: number[], options: { lastEpoch?: number } = {}) {
    if (schedulers.length < 1) throw new ArgumentError("SequentialLR expects at least one scheduler");
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ArgumentError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got scheduler at index ${i} to be different than the optimizer passed in.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    // Resumes from the initial rates the sub-schedulers recorded (does not overwrite them).
    super(optimizer, 0);
    this.schedulers = schedulers.slice();
    this.milestones = milestones.slice();
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // Back to the initial rates, undo the initial steps of the schedulers, then take the first one's.
    for (const g of groupsOf(optimizer)) setLr(g, g.initialLr!);
    for (const s of this.schedulers) s.lastEpoch -= 1;
    const first = this.schedulers[0]!;
    first._stepCount = 0;
    first.step();
    this._lastLr = first.getLastLr();
  }
  getLr(): number[] {
    return this.currentLrs();
  }
  override step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this._lastLr = scheduler.getLastLr();
  }
}
