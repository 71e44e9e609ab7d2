// The op registry: every op is declared once, here or in a family file beside it, with its meta
// function (shapes, dtypes, validation), eager CPU kernel, gradient formula and optional
// decomposition. Nothing else in kiln restates an op's rules.
import type { DType } from "../core/dtype.js";
import { KilnError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { ScalarExpr } from "./pointwise-kernel.js";
import type { Reducer } from "./reduce-kernel.js";

/** How a reduction accumulates: the eager kernel is built from it and code generators reuse it. */
export interface ReductionRule<A> {
  reducer(inDType: string, outDType: string, attrs: A): Reducer;
  /** Statements declaring constants the reducer reads from `attrs`. */
  prelude?(attrs: A): string;
}

/** Output metadata computed by a meta function. */
export interface OutputMeta {
  shape: number[];
  dtype: DType;
  /** For view ops: strides and offset into the storage of input 0. */
  view?: { strides: number[]; offset: number };
}

/** What a gradient formula may use: saved inputs and outputs, attributes, which grads are needed. */
export interface GradContext<A> {
  readonly attrs: A;
  /** Input i as saved at forward time; throws if it was modified in place since. */
  input(i: number): Tensor;
  /** Output i as saved at forward time; throws if it was modified in place since. */
  output(i: number): Tensor;
  /** Shape and dtype of input i (always available, never version-checked). */
  inputShape(i: number): readonly number[];
  inputDType(i: number): DType;
  /** Whether input i needs a gradient; formulas may skip work for the others. */
  needsInputGrad(i: number): boolean;
}

/** Gradient formula: one gradient (or null) per input, written with tensor ops so it is traceable. */
export type GradFormula<A> = (ctx: GradContext<A>, gradOutputs: (Tensor | null)[]) => (Tensor | null)[];

/** How the compiler's code generator may treat an op. */
export type OpKind =
  | "pointwise"
  | "reduction"
  | "view"
  | "matmul"
  | "creation"
  | "random"
  | "index"
  | "shape"
  | "composite"
  | "other";

export interface OpDef<A extends object = object> {
  readonly name: string;
  readonly kind: OpKind;
  /** Validates inputs and attributes (PyTorch's messages) and gives each output's metadata. */
  meta(inputs: readonly Tensor[], attrs: A): OutputMeta[];
  /**
   * Eager CPU kernel on concrete inputs. Writes into `outs` (allocated from the meta, contiguous,
   * zero-filled unless the op declares `overwritesOutputs`, possibly aliasing input 0 for in-place
   * ops) or, for data-dependent shapes, returns new outputs. View ops and composites have none.
   */
  kernel?(inputs: readonly Tensor[], attrs: A, outs: Tensor[]): Tensor[] | void;
  /** A composite runs as other ops (autograd flows through them); it needs no kernel or grad. */
  composite?(inputs: readonly Tensor[], attrs: A): Tensor[];
  /** The gradient formula, or a statement that the op is not differentiable. */
  readonly grad: GradFormula<A> | "nondifferentiable" | "composite";
  /** For pointwise ops: the scalar expression the eager kernel and code generators are built from. */
  readonly pointwise?: ScalarExpr<A>;
  /** Statements declaring the constants the pointwise expression uses, read from `attrs`. */
  readonly pointwisePrelude?: (attrs: A) => string;
  /** For reductions: the accumulator description (see ReductionRule). */
  readonly reduction?: ReductionRule<A>;
  /** Primitive form for code generators, written with ops; may throw to decline for some attributes. */
  decompose?(inputs: readonly Tensor[], attrs: A): Tensor[];
  /** Output shape depends on input values (nonzero, masked select): a graph break when traced. */
  readonly dataDependentShape?: boolean;
  /**
   * The kernel is known to write every element of its outputs, so a compiled graph hands it reused
   * buffers as they are; other kernels get them cleared to zero first (cheap next to a big op).
   */
  readonly overwritesOutputs?: boolean;
  /**
   * The kernel makes its output with calls of the matrix product (gemm or gemmBatched) that each
   * write their own run of it once, in order, and writes it nowhere else afterwards (one product;
   * a convolution's products image by image, onto a bias written before them), so a compiled
   * graph's next kernel may run as those products' epilogue, on rows as they are finished (the
   * native target; see codegen/schedule.ts `epilogue`).
   */
  readonly productEpilogue?: boolean;
  /** Attributes that change every call (random seeds and offsets): graph inputs, not constants. */
  readonly runtimeAttrs?: readonly (keyof A & string)[];
}

/** Type-erased entry as the registry stores it; the attribute type is only known by its definer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOpDef = OpDef<any>;

const registry = new Map<string, AnyOpDef>();

/** Declares an op. Its name must be unique. */
export function defineOp<A extends object>(def: OpDef<A>): OpDef<A> {
  if (registry.has(def.name)) throw new KilnError(`kiln internal error: op "${def.name}" is defined twice`);
  if (!def.kernel && !def.composite && def.kind !== "view") {
    throw new KilnError(`kiln internal error: op "${def.name}" has neither a kernel nor a composite`);
  }
  registry.set(def.name, def as AnyOpDef);
  return def;
}

export function getOp(name: string): AnyOpDef {
  const def = registry.get(name);
  if (!def) throw new KilnError(`kiln internal error: unknown op "${name}"`);
  return def;
}

export function hasOp(name: string): boolean {
  return registry.has(name);
}

export function allOps(): AnyOpDef[] {
  return [...registry.values()];
}

/** Runs an op by name through the dispatch layer (installed by it: ops cannot import dispatch). */
export type OpCaller = (name: string, inputs: readonly Tensor[], attrs: object) => Tensor[];

let caller: OpCaller = (name) => {
  throw new KilnError(`kiln internal error: op "${name}" was called before the dispatch layer was loaded`);
};

export function installOpCaller(fn: OpCaller): void {
  caller = fn;
}

/**
 * Calls an op from a gradient formula or composite that has no Tensor method for it, with
 * autograd and tracing as for any call.
 */
export function callOp(name: string, inputs: readonly Tensor[], attrs: object = {}): Tensor[] {
  return caller(name, inputs, attrs);
}

/** callOp for single-output ops. */
export function callOp1(name: string, inputs: readonly Tensor[], attrs: object = {}): Tensor {
  return caller(name, inputs, attrs)[0]!;
}
