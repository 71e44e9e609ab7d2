// The Tensor class: strided view metadata over a shared Storage, or a lazy value owned by the
// compiler while a compiled function is being traced. Ops are installed as methods by src/api.
import type { DType, TypedArray } from "./dtype.js";
import { isFloating } from "./dtype.js";
import { ArgumentError, KilnRuntimeError } from "./errors.js";
import { accessHooks, type AccessKind } from "./hooks.js";
import { contiguousStrides, normalizeDim, numelOf, type Shape } from "./shape.js";
import { Storage } from "./storage.js";
import { formatTensor } from "./format.js";
import { stridedCopy } from "./strided.js";

/** A node of the autograd graph; defined by the autograd layer, opaque here. */
export interface GradFnLike {
  readonly name: string;
}

/** What the compiler attaches to a lazy tensor; the core only reads its version counter. */
export interface LazyHandle {
  readonly version: number;
}

/** Nested arrays returned by `tolist()`. */
export type NestedList = number | boolean | NestedList[];

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

export class Tensor {
  /** Concrete storage, or null while the tensor is a lazy value of a trace. */
  _storage: Storage | null;
  _shape: number[];
  _strides: number[];
  _offset: number;
  readonly dtype: DType;
  /** Set by the compiler while this tensor stands for a value of a graph being traced. */
  _lazy: LazyHandle | null = null;
  /**
   * The compiler's record of this concrete tensor as an input of the graph being traced (opaque
   * here). A field rather than a map entry: tracing looks it up for every op input, and hashing
   * fresh objects into a map costs more than the rest of recording an op.
   */
  _traceInput: object | null = null;
  /** The tensor this one is a view of (the root base, as in PyTorch), or null. */
  _base: Tensor | null = null;

  // autograd state (the logic lives in src/autograd)
  _requiresGrad = false;
  grad: Tensor | null = null;
  gradFn: GradFnLike | null = null;
  _retainsGrad = false;
  _hooks: ((grad: Tensor) => Tensor | void)[] | null = null;
  /** Output index of this tensor in its gradFn's outputs. */
  _outputNr = 0;
  /** A JS number wrapped as a 0-d tensor: type promotion treats it as a scalar (PyTorch's wrapped number). */
  _wrappedNumber = false;

  constructor(storage: Storage | null, shape: number[], strides: number[], offset: number, dtype: DType) {
    this._storage = storage;
    this._shape = shape;
    this._strides = strides;
    this._offset = offset;
    this.dtype = dtype;
  }

  /** A new contiguous tensor over fresh or given data. */
  static fromData(data: TypedArray, shape: number[], dtype: DType): Tensor {
    return new Tensor(new Storage(data, dtype), shape, contiguousStrides(shape), 0, dtype);
  }

  get shape(): readonly number[] {
    return this._shape;
  }

  get ndim(): number {
    return this._shape.length;
  }

  dim(): number {
    return this._shape.length;
  }

  numel(): number {
    return numelOf(this._shape);
  }

  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return this._shape.slice();
    return this._shape[normalizeDim(dim, this.ndim)] ?? 1;
  }

  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    if (dim === undefined) return this._strides.slice();
    return this._strides[normalizeDim(dim, this.ndim)] ?? 1;
  }

  storageOffset(): number {
    return this._offset;
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let i = this._shape.length - 1; i >= 0; i--) {
      const s = this._shape[i]!;
      if (s !== 1 && this._strides[i] !== expected) return false;
      expected *= s;
    }
    return true;
  }

  isFloatingPoint(): boolean {
    return isFloating(this.dtype);
  }

  get isLazy(): boolean {
    return this._lazy !== null;
  }

  /** Version counter of the underlying storage (bumped by in-place writes). */
  get _version(): number {
    return this._storage !== null ? this._storage.version : (this._lazy?.version ?? 0);
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(flag: boolean) {
    if (typeof flag !== "boolean") throw new ArgumentError(`requiresGrad must be a boolean, but got ${typeof flag}`);
    if (flag && !isFloating(this.dtype)) {
      throw new KilnRuntimeError("only Tensors of floating point dtype can require gradients");
    }
    if (!flag && this.gradFn !== null) {
      throw new KilnRuntimeError(
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
      );
    }
    this._requiresGrad = flag;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * The concrete storage data, realising a lazy tensor first. Kernels and readers go through this
   * so the compiler sees every access.
   */
  _data(access: AccessKind = "data"): TypedArray {
    if (this._lazy !== null) accessHooks.realize(this, access);
    else accessHooks.observeRead(this, access);
    return this._storage!.data;
  }

  /** The value of a one-element tensor as a JS number (boolean for bool tensors). */
  item(): number | boolean {
    if (this.numel() !== 1) {
      throw new KilnRuntimeError(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
    const data = this._data("item");
    const v = data[this._offset]!;
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** Values as a fresh contiguous TypedArray in row-major order. */
  toArray(): TypedArray {
    const data = this._data("data");
    return gatherContiguous(data, this._shape, this._strides, this._offset);
  }

  /** Values as nested arrays (numbers, or booleans for bool tensors). */
  tolist(): NestedList {
    const flat = this.toArray();
    const isBool = this.dtype === "bool";
    const shape = this._shape;
    let pos = 0;
    const build = (d: number): NestedList => {
      if (d === shape.length) {
        const v = flat[pos++]!;
        return isBool ? v !== 0 : v;
      }
      const out: NestedList[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(build(d + 1));
      return out;
    };
    return build(0);
  }

  toString(): string {
    const data = this._data("print");
    return formatTensor(this, gatherContiguous(data, this._shape, this._strides, this._offset));
  }

  toJSON(): NestedList {
    return this.tolist();
  }

  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    if (this.numel() !== 1) {
      throw new KilnRuntimeError(
        `a Tensor with ${this.numel()} elements cannot be converted to a primitive (${hint === "number" ? "comparison or arithmetic" : "string concatenation"}); use item(), where() or cond()`,
      );
    }
    const data = this._data("primitive");
    return Number(data[this._offset]);
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/** Copies a strided view into a new contiguous array of the same type. */
export function gatherContiguous(data: TypedArray, shape: Shape, strides: readonly number[], offset: number): TypedArray {
  const Ctor = data.constructor as new (n: number) => TypedArray;
  const out = new Ctor(numelOf(shape));
  stridedCopy(data, offset, strides, shape, out, 0, contiguousStrides(shape));
  return out;
}
