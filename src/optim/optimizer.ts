// The Optimizer base class: parameter groups with per-group options, per-parameter state,
// zeroGrad, and state dicts. Subclasses implement step() with in-place tensor ops under noGrad,
// so a step run inside a compiled region is captured like any other code.
import { ArgumentError, KilnRuntimeError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { enableGrad, noGrad } from "../dispatch/grad-mode.js";
import { activeTracer } from "../dispatch/tracer.js";
import { zeros, zerosLike } from "../api/creation.js";
import "../api/pointwise.js";
import "../api/shape.js";

/** A learning rate (or other option) given as a number or a 0-d tensor. */
export type LR = number | Tensor;

/** A parameter group as given to a constructor: its parameters plus options overriding defaults. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;

/** What optimizer constructors accept: tensors, or parameter groups. */
export type ParamsInput<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** A parameter group: its parameters and its full set of options. */
export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };

/** Per-parameter state: numbers (step counts) and tensors (moment buffers). */
export type ParamState = Record<string, Tensor | number>;

/** A serialisable optimizer state: state by parameter index, groups with parameter indices. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: Record<string, unknown>[];
}

/** The value of an option that may be a 0-d tensor, as a number (reads the tensor). */
export function toNumber(v: LR): number {
  return v instanceof Tensor ? Number(v.item()) : v;
}

/** A fresh zero tensor shaped like `p` (optimizer state). */
export function zerosState(p: Tensor): Tensor {
  return persistentState(zerosLike(p));
}

/** A new step counter: a float64 0-d tensor holding 0 (PyTorch keeps `step` as a tensor too). */
export function stepCounter(): Tensor {
  return persistentState(zeros([], { dtype: "float64" }));
}

/**
 * State made inside a compiled training step (the first step creates it) outlives the step: the
 * trace makes it a graph output. Left to be recomputed when next read, the first read (the next
 * step) re-ran the whole first step's forward and backward eagerly.
 */
export function persistentState(t: Tensor): Tensor {
  activeTracer?.markPersistent?.(t);
  return t;
}

/** `x · s` where s is a number or a 0-d tensor. */
export function scale(x: Tensor, s: LR): Tensor {
  return x.mul(s);
}

/** p ← p − lr·u, in place (one fused add_ when lr is a number). */
export function stepBy(p: Tensor, u: Tensor, lr: LR): void {
  if (lr instanceof Tensor) p.sub_(u.mul(lr));
  else p.add_(u, { alpha: -lr });
}

export function checkLR(lr: unknown): void {
  if (lr instanceof Tensor) {
    if (lr.numel() !== 1) throw new ArgumentError("Tensor lr must be 1-element");
    return;
  }
  if (typeof lr !== "number" || !(lr >= 0)) throw new ArgumentError(`Invalid learning rate: ${String(lr)}`);
}

export abstract class Optimizer<O extends object = Record<string, unknown>> {
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  /** State per parameter (kept while the parameter is alive). */
  state: Map<Tensor, ParamState> = new Map();

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new ArgumentError(
        "params argument given to the optimizer should be an iterable of Tensors or dicts, but got Tensor",
      );
    }
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new ArgumentError("optimizer got an empty parameter list");
    const groups: ParamGroupInput<O>[] =
      list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a parameter group; options it leaves out take the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== "object" || !("params" in group)) {
      throw new ArgumentError(`param group must be an object with "params", but got ${describeValue(group)}`);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new ArgumentError(`optimizer can only optimize Tensors, but one of the params is ${describeValue(p)}`);
      if (!p.isLeaf) throw new ArgumentError("can't optimize a non-leaf Tensor");
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    for (const p of params) {
      if (seen.has(p)) throw new ArgumentError("some parameters appear in more than one parameter group");
      seen.add(p);
    }
    const full = { ...this.defaults, ...group, params } as ParamGroup<O>;
    this.validateGroup(full);
    this.paramGroups.push(full);
  }

  /** Checks a group's options (subclasses throw PyTorch's messages). */
  protected validateGroup(_group: ParamGroup<O>): void {}

  /** Clears gradients of all optimized parameters (to null, or to zeros with setToNone: false). */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else {
          const grad = p.grad.gradFn !== null ? p.grad.detach() : p.grad;
          grad._requiresGrad = false;
          noGrad(() => grad.zero_());
          p.grad = grad;
        }
      }
    }
  }

  /** The state of one parameter, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /**
   * Performs one update. `closure`, if given, re-evaluates the model and returns the loss; it is
   * run with gradients enabled and its result returned.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    let loss: Tensor | undefined;
    if (closure) loss = enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** Updates the parameters of one group (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /**
   * { state, paramGroups }: state keyed by the parameter's index across groups, groups with
   * `params` replaced by those indices. Tensors are the optimizer's own (not copies).
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = { ...g };
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed;
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /** Restores a stateDict() result: group options and per-parameter state (tensors are copied). */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const groups = stateDict.paramGroups;
    if (!Array.isArray(groups) || groups.length !== this.paramGroups.length) {
      throw new ArgumentError("loaded state dict has a different number of parameter groups");
    }
    groups.forEach((g, i) => {
      const own = this.paramGroups[i]!;
      if (!Array.isArray(g.params) || g.params.length !== own.params.length) {
        throw new ArgumentError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
    });
    const byIndex = new Map<number, Tensor>();
    groups.forEach((g, i) => {
      const own = this.paramGroups[i]!;
      (g.params as number[]).forEach((id, j) => byIndex.set(id, own.params[j]!));
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(stateDict.state ?? {})) {
      const p = byIndex.get(Number(key));
      if (!p) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) {
          copy[k] = noGrad(() => (v.isFloatingPoint() && v.ndim > 0 ? v.to(p.dtype) : v).clone());
        } else {
          if (typeof v !== "number") throw new KilnRuntimeError(`optimizer state "${k}" must be a number or a Tensor`);
          copy[k] = v;
        }
      }
      state.set(p, copy);
    }
    groups.forEach((g, i) => {
      const own = this.paramGroups[i]!;
      const { params: _ignored, ...options } = g;
      for (const [k, v] of Object.entries(options)) {
        (own as Record<string, unknown>)[k] = v instanceof Tensor ? noGrad(() => v.clone()) : Array.isArray(v) ? v.slice() : v;
      }
    });
    this.state = state;
  }
}
