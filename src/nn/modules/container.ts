// Containers: Sequential, ModuleList, ModuleDict. They keep their entries in their own ordered
// storage (not in fields), so state-dict keys are "0.weight", "1.bias", ... in insertion order.
import { ArgumentError, IndexError, describeValue } from "../../core/errors.js";
import { Module } from "../module.js";

function checkModule(m: unknown, what: string): Module {
  if (!(m instanceof Module)) throw new ArgumentError(`${what}: ${describeValue(m)} is not a Module subclass`);
  return m;
}

function wrapIndex(idx: number, len: number): number {
  if (!Number.isInteger(idx) || idx < -len || idx >= len) throw new IndexError(`index ${idx} is out of range`);
  return idx < 0 ? idx + len : idx;
}

/** An ordered list of named entries shared by the containers. */
abstract class OrderedContainer extends Module {
  _entries: Map<string, Module> = new Map();

  override _ownEntries(): [string, unknown][] {
    const own = super._ownEntries().filter(([k]) => k !== "_entries");
    return [...this._entries.entries(), ...own];
  }

  override _setOwn(name: string, value: unknown): void {
    if (this._entries.has(name) || value instanceof Module) {
      if (value === null || value === undefined) this._entries.delete(name);
      else this._entries.set(name, checkModule(value, this.constructor.name));
    } else {
      super._setOwn(name, value);
    }
  }

  override _getOwn(name: string): unknown {
    return this._entries.has(name) ? this._entries.get(name) : super._getOwn(name);
  }

  get length(): number {
    return this._entries.size;
  }
}

/**
 * nn.Sequential(...modules) or nn.Sequential({ name: module, ... }): forward runs the modules in
 * order, passing each output to the next.
 */
export class Sequential extends OrderedContainer {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module) && typeof modules[0] === "object" && modules[0] !== null) {
      for (const [k, m] of Object.entries(modules[0] as Record<string, Module>)) this._entries.set(k, checkModule(m, "Sequential"));
    } else {
      (modules as Module[]).forEach((m, i) => this._entries.set(String(i), checkModule(m, "Sequential")));
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override forward(input: any): any {
    let x = input;
    for (const m of this._entries.values()) x = m.forward(x);
    return x;
  }

  /** The module at a position (negative counts from the end). */
  at(idx: number): Module {
    const mods = [...this._entries.values()];
    return mods[wrapIndex(idx, mods.length)]!;
  }

  /** A new Sequential of a range of the modules (the same module objects). */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(Object.fromEntries([...this._entries.entries()].slice(start, end)));
  }

  append(module: Module): this {
    this._entries.set(String(this._entries.size), checkModule(module, "Sequential.append"));
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._entries.values();
  }
}

/** nn.ModuleList: a list of modules registered as submodules "0", "1", ... */
export class ModuleList extends OrderedContainer {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  private _list(): Module[] {
    return [...this._entries.values()];
  }

  private _reset(list: Module[]): void {
    this._entries = new Map(list.map((m, i) => [String(i), m]));
  }

  at(idx: number): Module {
    const list = this._list();
    return list[wrapIndex(idx, list.length)]!;
  }

  /** Replaces the module at a position. */
  set(idx: number, module: Module): void {
    const list = this._list();
    list[wrapIndex(idx, list.length)] = checkModule(module, "ModuleList.set");
    this._reset(list);
  }

  append(module: Module): this {
    this._entries.set(String(this._entries.size), checkModule(module, "ModuleList.append"));
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  insert(index: number, module: Module): void {
    const list = this._list();
    const n = list.length;
    const i = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    list.splice(i, 0, checkModule(module, "ModuleList.insert"));
    this._reset(list);
  }

  /** Removes and returns the module at a position (default the last). */
  pop(idx = -1): Module {
    const list = this._list();
    const i = wrapIndex(idx, list.length);
    const [m] = list.splice(i, 1);
    this._reset(list);
    return m!;
  }

  slice(start?: number, end?: number): ModuleList {
    return new ModuleList(this._list().slice(start, end));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override forward(..._args: any[]): any {
    throw new ArgumentError("ModuleList has no forward(); iterate over it and call the modules");
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._entries.values();
  }
}

/** nn.ModuleDict: modules by name, in insertion order. */
export class ModuleDict extends OrderedContainer {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  get(key: string): Module | undefined {
    return this._entries.get(key);
  }

  set(key: string, module: Module): void {
    if (typeof key !== "string" || key === "" || key.includes(".")) {
      throw new ArgumentError(`module name must be a non-empty string without ".", but got ${describeValue(key)}`);
    }
    this._entries.set(key, checkModule(module, "ModuleDict.set"));
  }

  has(key: string): boolean {
    return this._entries.has(key);
  }

  delete(key: string): boolean {
    return this._entries.delete(key);
  }

  /** Removes and returns an entry. */
  pop(key: string): Module {
    const m = this._entries.get(key);
    if (m === undefined) throw new ArgumentError(`KeyError: '${key}'`);
    this._entries.delete(key);
    return m;
  }

  clear(): void {
    this._entries.clear();
  }

  keys(): string[] {
    return [...this._entries.keys()];
  }

  values(): Module[] {
    return [...this._entries.values()];
  }

  items(): [string, Module][] {
    return [...this._entries.entries()];
  }

  update(modules: Record<string, Module> | Iterable<[string, Module]>): void {
    const pairs: Iterable<[string, Module]> =
      Symbol.iterator in Object(modules) ? (modules as Iterable<[string, Module]>) : Object.entries(modules as Record<string, Module>);
    for (const [k, m] of pairs) this.set(k, m);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override forward(..._args: any[]): any {
    throw new ArgumentError("ModuleDict has no forward(); call the modules it holds");
  }

  [Symbol.iterator](): Iterator<string> {
    return this._entries.keys();
  }
}
