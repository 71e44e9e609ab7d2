// nn.Module: the base class of layers and models. Parameters, buffers and submodules are found in
// the instance's own fields, so plain class fields work:
//
//   class Net extends nn.Module {
//     fc1 = new nn.Linear(4, 8);          // a submodule (key prefix "fc1.")
//     scale = new nn.Parameter(ones([8])); // a parameter
//     constructor() { super(); this.registerBuffer("steps", zeros([])); }
//     override forward(x: Tensor) { return this.fc1.forward(x).mul(this.scale); }
//   }
//
// A field holding a Parameter is a parameter, one holding a Module is a submodule, and a field
// named by registerBuffer is a buffer (null values are skipped, as PyTorch's None entries).
// Plain tensors and arrays of modules are not discovered: use registerBuffer, nn.ModuleList or
// nn.ModuleDict. Field order is registration order (JavaScript lists integer-like field names
// first; containers keep their own order).
//
// Modules run with `module.forward(...args)`. `forward` is an ordinary method that subclasses
// override. Registering a forward hook or pre-hook installs an instance-level `forward` wrapper
// that runs the hooks around the forward found at that moment, so `module.forward(...)` runs
// hooks once any exist (and costs nothing when none were ever registered).
import { type DType, isFloating } from "../core/dtype.js";
import { ArgumentError, KilnRuntimeError, describeValue } from "../core/errors.js";
import { shapesEqual } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { noGrad } from "../dispatch/grad-mode.js";
import "../api/autograd.js";
import "../api/shape.js";
import "../api/creation.js";
import { Parameter, setTensorData } from "./parameter.js";

/** A handle returned by hook registration; `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

/** Called before forward with the module and its arguments; may return replacement arguments. */
export type ForwardPreHook = (module: Module, args: unknown[]) => unknown[] | unknown | void;
/** Called after forward with the module, its arguments and output; may return a replacement output. */
export type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown | void;

/** A state dict: dotted names ("fc1.weight", "layers.0.bias") to tensors. */
export type StateDict = Record<string, Tensor>;

export interface StateDictOptions {
  /** Prefix for every key. */
  prefix?: string;
  /** Return the parameters themselves instead of detached aliases of them. */
  keepVars?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface NamedOptions {
  prefix?: string;
  /** Include members of submodules (default true). */
  recurse?: boolean;
  /** Report a tensor or module reached through several names only once (default true). */
  removeDuplicate?: boolean;
}

let nextHookId = 0;

/** A detached alias of a concrete tensor, sharing its storage (PyTorch's `t.detach()`). */
function detachedAlias(t: Tensor): Tensor {
  if (t._lazy !== null) return t.detach();
  return new Tensor(t._storage, t._shape.slice(), t._strides.slice(), t._offset, t.dtype);
}

export class Module {
  /** Whether the module is in training mode (set by train()/eval()). */
  training = true;
  /** Names of fields that hold buffers, in registration order. */
  _bufferNames: string[] = [];
  /** Buffers excluded from stateDict(). */
  _nonPersistent: Set<string> = new Set();
  _forwardPreHooks: Map<number, ForwardPreHook> | null = null;
  _forwardHooks: Map<number, ForwardHook> | null = null;

  /**
   * The computation of the module. Subclasses override it; the base version throws. Calling it
   * runs registered forward hooks (see the file comment).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._args: any[]): any {
    throw new KilnRuntimeError(`Module [${this.constructor.name}] is missing the required "forward" function`);
  }

  // ---------------------------------------------------------------- members

  /**
   * The module's own members as [name, value] pairs, in order. The default reads the instance's
   * own enumerable fields; containers override it to give their own order.
   */
  _ownEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(this)) out.push([key, (this as Record<string, unknown>)[key]]);
    return out;
  }

  /** Sets an own member (a field, or a container's entry). */
  _setOwn(name: string, value: unknown): void {
    (this as Record<string, unknown>)[name] = value;
  }

  /** Reads an own member. */
  _getOwn(name: string): unknown {
    return (this as Record<string, unknown>)[name];
  }

  private _ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [k, v] of this._ownEntries()) {
      if (v instanceof Parameter && !this._bufferNames.includes(k)) out.push([k, v]);
    }
    return out;
  }

  private _ownBuffers(persistentOnly = false): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const k of this._bufferNames) {
      if (persistentOnly && this._nonPersistent.has(k)) continue;
      const v = this._getOwn(k);
      if (v instanceof Tensor) out.push([k, v]);
    }
    return out;
  }

  private _ownChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of this._ownEntries()) if (v instanceof Module) out.push([k, v]);
    return out;
  }

  /**
   * Registers a buffer: a tensor that is part of the module's state but not a parameter (running
   * statistics). It is stored in the field `name`; reassigning the field replaces the buffer.
   * Non-persistent buffers are left out of stateDict().
   */
  registerBuffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new ArgumentError(`buffer name must be a non-empty string without ".", but got ${describeValue(name)}`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ArgumentError(`cannot assign '${describeValue(tensor)}' object to buffer '${name}' (Tensor or null required)`);
    }
    const existing = this._getOwn(name);
    if (existing instanceof Parameter || existing instanceof Module) {
      throw new KilnRuntimeError(`attribute '${name}' already exists`);
    }
    if (!this._bufferNames.includes(name)) this._bufferNames.push(name);
    if (options.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    this._setOwn(name, tensor);
  }

  /** Sets a parameter by name (null removes it); the same as assigning the field. */
  registerParameter(name: string, param: Parameter | null): void {
    if (param !== null && !(param instanceof Parameter)) {
      throw new ArgumentError(`cannot assign '${describeValue(param)}' object to parameter '${name}' (nn.Parameter or null required)`);
    }
    this._setOwn(name, param);
  }

  /** Sets a submodule by name; the same as assigning the field. */
  registerModule(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module)) {
      throw new ArgumentError(`${describeValue(module)} is not a Module subclass`);
    }
    this._setOwn(name, module);
  }

  /** Alias of registerModule (PyTorch's add_module). */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  /** (name, module) for this module and all submodules, this one first ("" is its name). */
  namedModules(options: { prefix?: string; removeDuplicate?: boolean } = {}): [string, Module][] {
    const out: [string, Module][] = [];
    const memo = new Set<Module>();
    const removeDuplicate = options.removeDuplicate ?? true;
    const visit = (m: Module, prefix: string) => {
      if (removeDuplicate) {
        if (memo.has(m)) return;
        memo.add(m);
      }
      out.push([prefix, m]);
      for (const [name, child] of m._ownChildren()) visit(child, prefix === "" ? name : `${prefix}.${name}`);
    };
    visit(this, options.prefix ?? "");
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Direct submodules. */
  namedChildren(): [string, Module][] {
    const memo = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [k, m] of this._ownChildren()) {
      if (memo.has(m)) continue;
      memo.add(m);
      out.push([k, m]);
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  private _namedMembers<T extends Tensor>(
    get: (m: Module) => [string, T][],
    options: NamedOptions,
  ): [string, T][] {
    const recurse = options.recurse ?? true;
    const removeDuplicate = options.removeDuplicate ?? true;
    const prefix = options.prefix ?? "";
    const mods: [string, Module][] = recurse ? this.namedModules({ prefix, removeDuplicate }) : [[prefix, this]];
    const memo = new Set<Tensor>();
    const out: [string, T][] = [];
    for (const [mp, m] of mods) {
      for (const [k, v] of get(m)) {
        if (removeDuplicate) {
          if (memo.has(v)) continue;
          memo.add(v);
        }
        out.push([mp === "" ? k : `${mp}.${k}`, v]);
      }
    }
    return out;
  }

  namedParameters(options: NamedOptions = {}): [string, Parameter][] {
    return this._namedMembers((m) => m._ownParameters(), options);
  }

  parameters(options: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  namedBuffers(options: NamedOptions = {}): [string, Tensor][] {
    return this._namedMembers((m) => m._ownBuffers(), options);
  }

  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  /** The submodule at a dotted path ("encoder.layers.0"); "" is this module. */
  getSubmodule(target: string): Module {
    if (target === "") return this;
    let m: Module = this;
    for (const part of target.split(".")) {
      const next = m._getOwn(part);
      if (!(next instanceof Module)) {
        throw new ArgumentError(`${m.constructor.name} has no attribute \`${part}\``);
      }
      m = next;
    }
    return m;
  }

  // ---------------------------------------------------------------- modes and grads

  /** Sets training mode on this module and every submodule; returns this. */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new ArgumentError("training mode is expected to be boolean");
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter; returns this. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Clears the gradients of all parameters (to null, or to zeros with setToNone: false). */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) zeroGradOf(p, setToNone);
  }

  // ---------------------------------------------------------------- transforms

  /** Calls fn on every submodule (children first) and then on this module; returns this. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Casts floating-point parameters and buffers to `dtype`. Parameters keep their identity (their
   * data is replaced, as PyTorch's `param.data = ...`), so optimizers built before still work;
   * their gradients are cast too. Integer buffers (numBatchesTracked) are left alone.
   */
  to(dtype: DType): this {
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [, p] of m._ownParameters()) {
          if (!isFloating(p.dtype) || p.dtype === dtype) continue;
          setTensorData(p, p.detach().to(dtype));
          if (p.grad !== null) p.grad = p.grad.to(dtype);
        }
        for (const [k, b] of m._ownBuffers()) {
          if (isFloating(b.dtype) && b.dtype !== dtype) m._setOwn(k, b.to(dtype));
        }
      }
    });
    return this;
  }

  /** to("float64"). */
  double(): this {
    return this.to("float64");
  }

  /** to("float32"). */
  float(): this {
    return this.to("float32");
  }

  // ---------------------------------------------------------------- state dicts

  /**
   * Parameters and persistent buffers by dotted name, each module's parameters then its buffers,
   * then its submodules'. Values are detached aliases sharing storage with the module's tensors
   * (the tensors themselves with keepVars).
   */
  stateDict(options: StateDictOptions = {}): StateDict {
    const out: StateDict = {};
    const keepVars = options.keepVars ?? false;
    const visit = (m: Module, prefix: string) => {
      for (const [k, p] of m._ownParameters()) out[prefix + k] = keepVars ? p : detachedAlias(p);
      for (const [k, b] of m._ownBuffers(true)) out[prefix + k] = keepVars ? b : detachedAlias(b);
      for (const [k, c] of m._ownChildren()) visit(c, `${prefix}${k}.`);
    };
    visit(this, options.prefix ?? "");
    return out;
  }

  /**
   * Copies values from `stateDict` (a record or Map) into the module's parameters and persistent
   * buffers, under noGrad. With strict (default), missing and unexpected keys are an error; a
   * shape mismatch is always an error. Returns the missing and unexpected keys.
   */
  loadStateDict(
    stateDict: Record<string, Tensor> | Map<string, Tensor>,
    options: { strict?: boolean } = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    if (stateDict === null || typeof stateDict !== "object") {
      throw new ArgumentError(`Expected state_dict to be dict-like, got ${describeValue(stateDict)}.`);
    }
    const entries = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict({ keepVars: true });
    const missingKeys: string[] = [];
    const unexpectedKeys: string[] = [];
    const errors: string[] = [];
    const copies: [Tensor, Tensor][] = [];
    for (const [key, target] of Object.entries(own)) {
      if (!entries.has(key)) {
        missingKeys.push(key);
        continue;
      }
      const src = entries.get(key);
      if (!(src instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected Tensor from checkpoint but received ${describeValue(src)}`);
        continue;
      }
      if (!shapesEqual(src.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape [${src.shape.join(", ")}] from checkpoint, the shape in current model is [${target.shape.join(", ")}].`,
        );
        continue;
      }
      copies.push([target, src]);
    }
    for (const key of entries.keys()) if (!(key in own)) unexpectedKeys.push(key);
    if (strict) {
      if (unexpectedKeys.length > 0) {
        errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `);
      }
      if (missingKeys.length > 0) {
        errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}. `);
      }
    }
    if (errors.length > 0) {
      throw new KilnRuntimeError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join("\n\t")}`);
    }
    noGrad(() => {
      for (const [target, src] of copies) if (target !== src) target.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---------------------------------------------------------------- hooks

  private _installHookRunner(): void {
    if (Object.prototype.hasOwnProperty.call(this, "_hookedForward")) return;
    const inner = this.forward;
    Object.defineProperty(this, "_hookedForward", { value: inner, enumerable: false, configurable: true });
    const runner = function (this: Module, ...args: unknown[]): unknown {
      return this._runHooked(inner, args);
    };
    Object.defineProperty(this, "forward", { value: runner, writable: true, enumerable: false, configurable: true });
  }

  _runHooked(inner: (...args: unknown[]) => unknown, args: unknown[]): unknown {
    if (this._forwardPreHooks) {
      for (const hook of [...this._forwardPreHooks.values()]) {
        const r = hook(this, args);
        if (r !== undefined) args = Array.isArray(r) ? r : [r];
      }
    }
    let out = inner.apply(this, args);
    if (this._forwardHooks) {
      for (const hook of [...this._forwardHooks.values()]) {
        const r = hook(this, args, out);
        if (r !== undefined) out = r;
      }
    }
    return out;
  }

  /**
   * Registers `hook(module, args)`, run before every forward call. Returning an array (or a single
   * value) replaces the arguments.
   */
  registerForwardPreHook(hook: ForwardPreHook, options: { prepend?: boolean } = {}): RemovableHandle {
    if (typeof hook !== "function") throw new ArgumentError(`hook must be a function, but got ${describeValue(hook)}`);
    this._installHookRunner();
    const id = nextHookId++;
    const map = (this._forwardPreHooks ??= new Map());
    if (options.prepend) this._forwardPreHooks = new Map([[id, hook], ...map]);
    else map.set(id, hook);
    return { remove: () => void this._forwardPreHooks?.delete(id) };
  }

  /**
   * Registers `hook(module, args, output)`, run after every forward call. Returning a value other
   * than undefined replaces the output.
   */
  registerForwardHook(hook: ForwardHook, options: { prepend?: boolean } = {}): RemovableHandle {
    if (typeof hook !== "function") throw new ArgumentError(`hook must be a function, but got ${describeValue(hook)}`);
    this._installHookRunner();
    const id = nextHookId++;
    const map = (this._forwardHooks ??= new Map());
    if (options.prepend) this._forwardHooks = new Map([[id, hook], ...map]);
    else map.set(id, hook);
    return { remove: () => void this._forwardHooks?.delete(id) };
  }

  // ---------------------------------------------------------------- printing

  /** Extra text shown between the parentheses when printing (like PyTorch's extra_repr). */
  extraRepr(): string {
    return "";
  }

  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra) lines.push(...extra.split("\n"));
    for (const [name, child] of this._ownChildren()) {
      const text = child.toString().split("\n").join("\n  ");
      lines.push(`(${name}): ${text}`);
    }
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (lines.length === 1 && this._ownChildren().length === 0) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Clears one tensor's gradient as Module.zeroGrad / Optimizer.zeroGrad do. */
export function zeroGradOf(p: Tensor, setToNone: boolean): void {
  if (p.grad === null) return;
  if (setToNone) {
    p.grad = null;
    return;
  }
  const g = p.grad.gradFn !== null ? p.grad.detach() : p.grad;
  g._requiresGrad = false;
  noGrad(() => g.zero_());
  p.grad = g;
}
