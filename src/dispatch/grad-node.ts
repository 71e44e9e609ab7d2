// Nodes of the autograd graph, created by dispatch when an op's inputs require gradients.
// The backward engine (src/autograd) walks them; the formulas live in the op registry.
import type { DType } from "../core/dtype.js";
import { KilnRuntimeError } from "../core/errors.js";
import type { GradFnLike, Tensor } from "../core/tensor.js";
import { torchTypeName } from "../core/dtype.js";
import type { AnyOpDef, GradContext } from "../ops/registry.js";

/** An edge to the node that receives the gradient of one input. */
export interface Edge {
  node: GradNode;
  outputNr: number;
}

/** A hook on the gradient flowing into one output of a node (tensor.registerHook on a non-leaf). */
export type GradHook = (grad: Tensor) => Tensor | void;

export abstract class GradNode implements GradFnLike {
  abstract readonly name: string;
  /** Created while a compiled function was being traced: its backward is compiled too. */
  recordedInTrace = false;
  /** One edge per input (null where the input needs no gradient). */
  abstract readonly nextFunctions: readonly (Edge | null)[];
  /** Hooks per output index, run before the gradient is used. */
  preHooks: Map<number, GradHook[]> | null = null;
  /** Computes input gradients from output gradients. */
  abstract apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[];
  abstract readonly numOutputs: number;
  /** Frees saved tensors after a backward pass without retainGraph. */
  releaseSaved(): void {}
  /** Tensors this node keeps for its formula (the compiler makes lazy ones graph outputs). */
  savedTensors(): Tensor[] {
    return [];
  }

  addPreHook(outputNr: number, hook: GradHook): void {
    this.preHooks ??= new Map();
    const list = this.preHooks.get(outputNr) ?? [];
    list.push(hook);
    this.preHooks.set(outputNr, list);
  }
}

/** Sink node of a leaf tensor: adds incoming gradients into `variable.grad`. */
export class AccumulateGrad extends GradNode {
  readonly name = "AccumulateGrad";
  readonly nextFunctions: readonly (Edge | null)[] = [];
  readonly numOutputs = 1;
  constructor(readonly variable: Tensor) {
    super();
  }
  apply(): (Tensor | null)[] {
    return [];
  }
}

const accumulators = new WeakMap<Tensor, AccumulateGrad>();

/** The edge through which a tensor receives its gradient, or null if it needs none. */
export function gradEdge(t: Tensor): Edge | null {
  if (t.gradFn !== null) return { node: t.gradFn as GradNode, outputNr: t._outputNr };
  if (!t.requiresGrad) return null;
  let acc = accumulators.get(t);
  if (!acc) {
    acc = new AccumulateGrad(t);
    accumulators.set(t, acc);
  }
  return { node: acc, outputNr: 0 };
}

function backwardName(op: string): string {
  return op.charAt(0).toUpperCase() + op.slice(1) + "Backward";
}

/** A saved tensor with the version it had when saved, checked when a formula reads it. */
class SavedTensor {
  readonly version: number;
  constructor(
    public tensor: Tensor | null,
    readonly owner: string,
    readonly isOutput: boolean,
    readonly index: number,
  ) {
    this.version = tensor!._version;
  }
  unpack(): Tensor {
    const t = this.tensor;
    if (t === null) {
      throw new KilnRuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.",
      );
    }
    if (t._version !== this.version) {
      throw new KilnRuntimeError(
        `one of the variables needed for gradient computation has been modified by an inplace operation: [${torchTypeName(t.dtype)}Tensor [${t.shape.join(", ")}]], which is ${this.isOutput ? "output" : "input"} ${this.index} of ${this.owner}, is at version ${t._version}; expected version ${this.version} instead.`,
      );
    }
    return t;
  }
}

/** The gradient node of one call of a registry op. */
export class OpGradNode extends GradNode implements GradContext<object> {
  readonly name: string;
  readonly nextFunctions: readonly (Edge | null)[];
  readonly numOutputs: number;
  private readonly saved: SavedTensor[];
  private readonly savedOutputs: SavedTensor[];
  private readonly shapes: (readonly number[])[];
  private readonly dtypes: DType[];

  constructor(
    readonly def: AnyOpDef,
    inputs: readonly Tensor[],
    readonly attrs: object,
    outputs: readonly Tensor[],
  ) {
    super();
    this.name = backwardName(def.name);
    this.nextFunctions = inputs.map(gradEdge);
    this.numOutputs = outputs.length;
    this.saved = inputs.map((t, i) => new SavedTensor(t, this.name, false, i));
    // Outputs are saved without a strong cycle problem: the GC collects cycles.
    this.savedOutputs = outputs.map((t, i) => new SavedTensor(t, this.name, true, i));
    this.shapes = inputs.map((t) => t.shape.slice());
    this.dtypes = inputs.map((t) => t.dtype);
  }

  input(i: number): Tensor {
    return this.saved[i]!.unpack();
  }
  output(i: number): Tensor {
    return this.savedOutputs[i]!.unpack();
  }
  inputShape(i: number): readonly number[] {
    return this.shapes[i]!;
  }
  inputDType(i: number): DType {
    return this.dtypes[i]!;
  }
  needsInputGrad(i: number): boolean {
    return this.nextFunctions[i] !== null;
  }

  apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    const formula = this.def.grad;
    if (typeof formula !== "function") {
      throw new KilnRuntimeError(`kiln internal error: ${this.def.name} has no gradient formula`);
    }
    return formula(this, gradOutputs);
  }

  override savedTensors(): Tensor[] {
    const out: Tensor[] = [];
    for (const s of this.saved) if (s.tensor) out.push(s.tensor);
    for (const s of this.savedOutputs) if (s.tensor) out.push(s.tensor);
    return out;
  }

  override releaseSaved(): void {
    for (const s of this.saved) s.tensor = null;
    for (const s of this.savedOutputs) s.tensor = null;
  }
}

/** A node whose backward is a JS function (used by custom autograd functions and CopySlices-like cases). */
export class FunctionGradNode extends GradNode {
  readonly nextFunctions: readonly (Edge | null)[];
  constructor(
    readonly name: string,
    inputs: readonly Tensor[],
    readonly numOutputs: number,
    private readonly backwardFn: (gradOutputs: (Tensor | null)[]) => (Tensor | null)[],
  ) {
    super();
    this.nextFunctions = inputs.map(gradEdge);
  }
  apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    return this.backwardFn(gradOutputs);
  }
}
