// Recording one graph: the tracer dispatch hands op calls to while a compiled function runs.
// Concrete tensors become placeholders by identity, op calls become nodes with lazy outputs, and
// writes are recorded functionally on alias groups (LazyStorage). The graph's signature (its
// guard set) is built incrementally as nodes are added.
import { contiguousStrides } from "../core/shape.js";
import type { Storage } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import type { Tracer } from "../dispatch/tracer.js";
import type { AnyOpDef, OutputMeta } from "../ops/registry.js";
import { Graph, type Node, type PlaceholderKind } from "./graph.js";
import "../ops/functionalization.js";
import { LazyStorage, LazyValue, type TraceRef } from "./lazy.js";
import type { GraphBreakType } from "./errors.js";

/** Metadata of one graph input, compared on cache lookup. */
export interface InputMeta {
  kind: PlaceholderKind;
  name: string;
  shape: readonly number[];
  dtype: string;
  contiguous: boolean;
  /** For wrapped numbers: the value, a constant of the graph unless it became dynamic. */
  value?: number;
}

/** What the trace needs from the compiled call it belongs to. */
export interface TraceOwner {
  /** A readable name for a concrete tensor that becomes a graph input. */
  nameFor(t: Tensor): string;
  /** Ends the current graph at a break (or throws under fullgraph) and starts a new one. */
  graphBreak(type: GraphBreakType, reason: string): void;
  /** Runs an op eagerly (after a break), without autograd. */
  runEagerOp(def: AnyOpDef, inputs: readonly Tensor[], attrs: object, metas: OutputMeta[]): Tensor[];
  /** The trace recording now (a new one after a break). */
  currentTrace(): GraphTrace;
}

let nextTraceId = 1;

/** Separators of the structure key: characters that never occur in op names or attribute keys. */
export const STEP_SEPARATOR = "\u0001";
export const OUTPUTS_SEPARATOR = "\u0002";

function scalarKey(v: unknown): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) {
    let s = "[";
    for (const x of v) s += scalarKey(x) + ",";
    return s + "]";
  }
  return JSON.stringify(v);
}

/** An exact, fast key for an op's attributes (part of the graph signature). */
function attrsKey(attrs: object): string {
  let s = "{";
  for (const k in attrs) s += k + ":" + scalarKey((attrs as Record<string, unknown>)[k]) + ";";
  return s + "}";
}

export class GraphTrace implements Tracer, TraceRef {
  readonly id = nextTraceId++;
  active = true;
  readonly graph = new Graph();
  /** Concrete tensors in placeholder order (what the compiled graph is called with). */
  readonly inputs: Tensor[] = [];
  readonly inputMetas: InputMeta[] = [];
  /** Alias groups created in this trace, in creation order. */
  readonly storages: LazyStorage[] = [];
  /** Concrete graph inputs and their alias groups. */
  readonly concrete = new Map<Tensor, LazyStorage>();
  /** Real storages written by this graph, with the group that wrote them. */
  readonly writtenStorages = new Map<Storage, LazyStorage>();
  private readonly structure: string[] = [];
  opCount = 0;
  /** Writes recorded so far (nonstrictTrace refuses to replay code that writes). */
  writeCount = 0;

  /**
   * @param metaOnly a scratch trace that never runs (cond's untaken branch, fake implementations):
   *   values of other traces are just inputs to it, never realised.
   */
  constructor(
    readonly owner: TraceOwner,
    readonly metaOnly = false,
  ) {}

  // ---------------------------------------------------------------- values

  private addPlaceholder(t: Tensor, kind: PlaceholderKind, name: string): Node {
    const node = this.graph.placeholder(name, { shape: t.shape.slice(), dtype: t.dtype }, kind);
    this.inputs.push(t);
    const meta: InputMeta = { kind, name, shape: t.shape.slice(), dtype: t.dtype, contiguous: t.isContiguous() };
    if (kind === "scalar") meta.value = t._storage!.data[t._offset]!;
    this.inputMetas.push(meta);
    this.structure.push(`P${kind}`);
    return node;
  }

  /** The alias group of a concrete tensor used by the graph, creating its placeholder on first use. */
  private concreteGroup(t: Tensor): LazyStorage {
    let group = this.concrete.get(t);
    if (group) return group;
    const written = t._storage !== null ? this.writtenStorages.get(t._storage) : undefined;
    if (written && written.root !== t) {
      // Another input sharing this memory was written in this graph: the placeholder would be stale.
      this.owner.graphBreak(
        "unsupported-op",
        "a tensor was read after a write to another tensor sharing its storage inside the same graph",
      );
      throw new RetryInNewTrace();
    }
    const kind: PlaceholderKind = t._wrappedNumber ? "scalar" : "tensor";
    const node = this.addPlaceholder(t, kind, this.owner.nameFor(t));
    group = new LazyStorage(this, t, node, true);
    this.concrete.set(t, group);
    return group;
  }

  /** The node holding a tensor's current value in this graph. */
  valueOf(t: Tensor): Node {
    const h = t._lazy;
    if (h instanceof LazyValue && h.storage.trace === this) {
      if (h.nodeVersion === h.storage.version) return h.node;
      const node = this.rederive(t, h);
      h.node = node;
      h.nodeVersion = h.storage.version;
      return node;
    }
    // A value of another graph: realise it, then it is an input here (a scratch trace only needs its metadata).
    if (h !== null && !this.metaOnly) t._data();
    return this.concreteGroup(t).value;
  }

  /** A view's value after its root was written: read its window of the root's new value. */
  private rederive(t: Tensor, h: LazyValue): Node {
    const s = h.storage;
    if (s.root === t) return s.value;
    const w = this.windowOf(t, s);
    return this.graph.call("stridedGather", [s.value], w, [{ shape: t.shape.slice(), dtype: t.dtype }]);
  }

  /** The strided window of a view in its root's contiguous layout, or null if not expressible. */
  private windowOf(t: Tensor, s: LazyStorage): { size: number[]; stride: number[]; offset: number } {
    return { size: t.shape.slice(), stride: t._strides.slice(), offset: t._offset - s.root._offset };
  }

  // ---------------------------------------------------------------- Tracer

  record(def: AnyOpDef, inputs: readonly Tensor[], attrs: object, metas: OutputMeta[]): Tensor[] {
    if (def.dataDependentShape) {
      this.owner.graphBreak("data-dependent-shape", `${def.name}() has an output shape that depends on input values`);
      return this.owner.runEagerOp(def, inputs, attrs, metas);
    }
    const args: Node[] = new Array(inputs.length);
    let ids = "";
    try {
      for (let i = 0; i < inputs.length; i++) {
        const a = this.valueOf(inputs[i]!);
        args[i] = a;
        ids += a.id + ",";
      }
    } catch (e) {
      if (e instanceof RetryInNewTrace) return this.owner.currentTrace().record(def, inputs, attrs, metas);
      throw e;
    }
    let nodeAttrs = attrs as Record<string, unknown>;
    let rngKey = "";
    if (def.runtimeAttrs && def.runtimeAttrs.length) {
      // Seeds and offsets change every call: they enter the graph as an input, not as constants.
      nodeAttrs = { ...nodeAttrs };
      const values = def.runtimeAttrs.map((k) => {
        const v = nodeAttrs[k] as number;
        delete nodeAttrs[k];
        return v;
      });
      const rng = Tensor.fromData(Float64Array.from(values), [values.length], "float64");
      args.push(this.addPlaceholder(rng, "rng", "rng"));
      rngKey = "R";
    }
    const node = this.graph.call(def.name, args, nodeAttrs, metas);
    this.opCount++;
    this.structure.push(def.name + "(" + ids + ")" + attrsKey(nodeAttrs) + rngKey);
    const outs: Tensor[] = new Array(metas.length);
    for (let i = 0; i < metas.length; i++) {
      const m = metas[i]!;
      const value = metas.length === 1 ? node : this.graph.getitem(node, i);
      if (metas.length > 1) this.structure.push(`G${i}`);
      let t: Tensor;
      if (m.view) {
        const base = inputs[0]!;
        const group = base._lazy instanceof LazyValue && base._lazy.storage.trace === this ? base._lazy.storage : this.concreteGroup(base);
        t = new Tensor(null, m.shape, m.view.strides, m.view.offset, m.dtype);
        t._base = group.root._base ?? group.root;
        t._lazy = new LazyValue(group, value, group.version);
        group.members.push(t);
      } else {
        t = new Tensor(null, m.shape, contiguousStrides(m.shape), 0, m.dtype);
        const group = new LazyStorage(this, t, value, false);
        this.storages.push(group);
        t._lazy = new LazyValue(group, value, 0);
        group.members.push(t);
      }
      outs[i] = t;
    }
    return outs;
  }

  recordWrite(target: Tensor, value: Tensor): boolean {
    let valueNode: Node;
    let group: LazyStorage;
    try {
      valueNode = this.valueOf(value);
      const h = target._lazy;
      group = h instanceof LazyValue && h.storage.trace === this ? h.storage : this.concreteGroup(target);
    } catch (e) {
      if (e instanceof RetryInNewTrace) return this.owner.currentTrace().recordWrite(target, value);
      throw e;
    }
    if (group.concreteRoot && group.root !== target && !group.root.isContiguous()) {
      this.owner.graphBreak("unsupported-op", "in-place write through a view of a non-contiguous input tensor");
      return false;
    }
    if (group.concreteRoot && group.root._storage !== null) {
      const other = this.writtenStorages.get(group.root._storage);
      const sharedInput = [...this.concrete.keys()].some((k) => k !== group.root && k._storage === group.root._storage);
      if ((other && other !== group) || sharedInput) {
        this.owner.graphBreak("unsupported-op", "in-place write to a tensor whose storage is shared with another graph input");
        return false;
      }
    }
    if (value.dtype !== target.dtype) {
      valueNode = this.graph.call("cast", [valueNode], { dtype: target.dtype }, [{ shape: target.shape.slice(), dtype: target.dtype }]);
      this.structure.push(`cast(${valueNode.args[0]!.id})${target.dtype}`);
    }
    if (group.root === target) {
      group.value = valueNode;
    } else {
      const w = this.windowOf(target, group);
      group.value = this.graph.call("stridedScatter", [group.value, valueNode], w, [
        { shape: group.root.shape.slice(), dtype: group.root.dtype },
      ]);
      this.structure.push(`S(${group.value.args.map((a) => a.id).join(",")})${attrsKey(w)}`);
    }
    group.version++;
    group.written = true;
    this.writeCount++;
    this.structure.push(`W${group.value.id}`);
    if (group.concreteRoot && group.root._storage !== null) this.writtenStorages.set(group.root._storage, group);
    const h = target._lazy;
    if (h instanceof LazyValue && h.storage === group) {
      h.node = valueNode;
      h.nodeVersion = group.version;
    } else {
      // A concrete input written in the graph reads as lazy until the graph runs and writes it back.
      target._lazy = new LazyValue(group, valueNode, group.version);
      group.members.push(target);
    }
    return true;
  }

  /** Adds a copy of a recorded call (nonstrictTrace replay), keeping the signature in step. */
  replayCall(target: string, args: Node[], attrs: Readonly<Record<string, unknown>>, outputs: Node["outputs"]): Node {
    const node = this.graph.call(target, args, attrs, outputs);
    let ids = "";
    for (const a of args) ids += a.id + ",";
    this.opCount++;
    this.structure.push(target + "(" + ids + ")" + attrsKey(attrs));
    return node;
  }

  replayGetitem(source: Node, index: number): Node {
    this.structure.push(`G${index}`);
    return this.graph.getitem(source, index);
  }

  /** A new lazy tensor holding a node's value (a fresh root). */
  lazyFromNode(node: Node): Tensor {
    const m = node.outputs[0]!;
    const t = new Tensor(null, m.shape.slice(), contiguousStrides(m.shape), 0, m.dtype);
    const group = new LazyStorage(this, t, node, false);
    this.storages.push(group);
    t._lazy = new LazyValue(group, node, 0);
    group.members.push(t);
    return t;
  }

  /** Whether reading this concrete tensor's memory now would miss a write recorded in this graph. */
  hasPendingWrite(t: Tensor): boolean {
    return t._storage !== null && this.writtenStorages.has(t._storage);
  }

  /** Concrete inputs of the graph that were written (need writing back when it runs). */
  get writtenInputs(): LazyStorage[] {
    return [...this.concrete.values()].filter((g) => g.written);
  }

  /** The structural part of the signature (ops, attributes, wiring), with the chosen outputs. */
  structureKey(outputs: readonly Node[]): string {
    return `${this.structure.join(STEP_SEPARATOR)}${OUTPUTS_SEPARATOR}${outputs.map((o) => o.id).join(",")}`;
  }
}

/** Thrown inside the trace when a break replaced it: the operation is recorded in the new trace. */
class RetryInNewTrace extends Error {
  constructor() {
    super("retry in the trace that follows the break");
  }
}
