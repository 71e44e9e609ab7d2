// Recording one graph: the tracer dispatch hands op calls to while a compiled function runs.
// Concrete tensors become placeholders by identity, op calls become nodes with lazy outputs, and
// writes are recorded functionally on alias groups (LazyStorage). The graph's signature (its
// guard set) is recorded as steps (one number each, see signature.ts) as nodes are added.
import type { DType } from "../core/dtype.js";
import { contiguousStrides } from "../core/shape.js";
import type { Storage } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import type { Tracer } from "../dispatch/tracer.js";
import type { AnyOpDef, OutputMeta } from "../ops/registry.js";
import { Graph, type Node, type PlaceholderKind, type ValueMeta } from "./graph.js";
import "../ops/functionalization.js";
import { LazyStorage, LazyValue, type TraceRef } from "./lazy.js";
import type { GraphBreakType } from "./errors.js";
import { tensorMatches, type CacheEntry } from "./cache.js";
import type { PendingGroup } from "./pending.js";
import { STEP_NODE, STEP_WRITE, STEP_WRITE_CAST, STEP_WRITE_SCATTER, step } from "./signature.js";

/** Metadata of one graph input, compared on cache lookup. */
export interface InputMeta {
  kind: PlaceholderKind;
  /** Readable name; "" until the trace names its inputs (GraphTrace.nameInputs). */
  name: string;
  shape: readonly number[];
  dtype: DType;
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

const SCALAR_SHAPE: readonly number[] = Object.freeze([]);
/** The written-storages map of traces that have not written (never modified). */
const NO_WRITES = new Map<Storage, LazyStorage>();
const NO_GROUPS: readonly LazyStorage[] = Object.freeze([]);

export class GraphTrace implements Tracer, TraceRef {
  readonly id = nextTraceId++;
  active = true;
  pending: PendingGroup | null = null;
  readonly graph = new Graph();
  /** Concrete tensors in placeholder order (what the compiled graph is called with). */
  readonly inputs: Tensor[] = [];
  /** The placeholder kind of each input. */
  readonly inputKinds: PlaceholderKind[] = [];
  /** Guard metadata of the inputs so far, made on request (see `inputMetas`). */
  private metas: InputMeta[] | null = null;
  /** Inputs named so far (nameInputs). */
  private namedInputs = 0;
  /** Alias groups created in this trace, in creation order. */
  readonly storages: LazyStorage[] = [];
  /**
   * Alias groups of the concrete graph inputs, in placeholder order. A concrete tensor finds its
   * group through its `_traceInput` slot; `slotTaken` holds the groups of tensors whose slot
   * another live trace uses (a metadata-only trace or a nested compiled call).
   */
  readonly concreteGroups: LazyStorage[] = [];
  private slotTaken: Map<Tensor, LazyStorage> | null = null;
  /** Real storages written by this graph, with the group that wrote them (shared and empty until the first write). */
  writtenStorages: Map<Storage, LazyStorage> = NO_WRITES;
  /** The structural signature, one number per step (signature.ts). */
  readonly steps: number[] = [];
  opCount = 0;
  /** Alias groups of tensors declared persistent (markPersistent): outputs of the graph. */
  readonly persistent: LazyStorage[] = [];
  /** Writes recorded so far (nonstrictTrace refuses to replay code that writes). */
  writeCount = 0;

  /** Leading steps and inputs that match `expected` (compared as they are recorded, while the nodes are fresh in cache). */
  stepsMatched = 0;
  inputsMatched = 0;

  /**
   * @param metaOnly a scratch trace that never runs (cond's untaken branch, fake implementations):
   *   values of other traces are just inputs to it, never realised.
   * @param expected the cache entry this trace will most likely match (the last one used at its
   *   graph position).
   */
  constructor(
    readonly owner: TraceOwner,
    readonly metaOnly = false,
    readonly expected: CacheEntry | null = null,
  ) {
    this.graph.inputNamer = this;
  }

  private addStep(s: number): void {
    const i = this.steps.length;
    this.steps.push(s);
    if (this.stepsMatched === i && this.expected !== null && this.expected.signature.stepMatches(i, s, this.graph.nodes)) this.stepsMatched = i + 1;
  }

  /**
   * Guard metadata of the inputs (kind, shape, dtype, contiguity, a number's value). Made when
   * first asked for: a cache hit whose inputs were checked while recording never needs it. A
   * concrete input's metadata cannot change while the trace records (its writes are lazy), so
   * reading it late gives what it was when the placeholder was made.
   */
  get inputMetas(): InputMeta[] {
    const metas = (this.metas ??= []);
    if (metas.length < this.inputs.length) {
      const placeholders = this.graph.placeholders;
      for (let i = metas.length; i < this.inputs.length; i++) {
        const kind = this.inputKinds[i]!;
        const t = this.inputs[i]!;
        const v = placeholders[i]!.outputs[0]!;
        const meta: InputMeta = { kind, name: "", shape: v.shape, dtype: v.dtype, contiguous: kind === "scalar" || t.isContiguous() };
        if (kind === "scalar") meta.value = t._storage!.data[t._offset]!;
        metas.push(meta);
      }
    }
    return metas;
  }

  /** Names the inputs not named yet, in placeholder order (deferred: only compiles, recompile reasons and printing need names). */
  nameInputs(): void {
    if (this.namedInputs < this.inputs.length) {
      const metas = this.inputMetas;
      const placeholders = this.graph.placeholders;
      for (; this.namedInputs < this.inputs.length; this.namedInputs++) {
        const i = this.namedInputs;
        const node = placeholders[i]!;
        metas[i]!.name = node.placeholderKind === "rng" ? "rng" : this.owner.nameFor(this.inputs[i]!);
        node._nameAs(metas[i]!.name);
      }
    }
    // A finished trace gets no more inputs: its graph (which a cache entry may keep) need not keep the trace alive.
    if (!this.active) this.graph.inputNamer = null;
  }

  // ---------------------------------------------------------------- values

  /** `name` null: named later by nameInputs (a cache hit never needs names). */
  private addPlaceholder(t: Tensor, kind: PlaceholderKind, name: string | null): Node {
    const i = this.inputs.length;
    const expected = this.expected;
    let value: ValueMeta;
    if (this.inputsMatched === i && expected !== null && tensorMatches(expected, i, kind, t)) {
      this.inputsMatched = i + 1;
      // The expected graph's input has this very shape and dtype unless dims are dynamic: share its (immutable) metadata.
      value = expected.dynamicDims[i]!.size === 0 ? expected.inputs[i]! : { shape: t.shape.slice(), dtype: t.dtype };
    } else {
      value = { shape: t.shape.length === 0 ? SCALAR_SHAPE : t.shape.slice(), dtype: t.dtype };
    }
    const node = this.graph.placeholder(name, value, kind);
    this.inputs.push(t);
    this.inputKinds.push(kind);
    this.addStep(step(node.id, STEP_NODE));
    return node;
  }

  /** The alias group of a concrete tensor used by the graph, creating its placeholder on first use. */
  private concreteGroup(t: Tensor): LazyStorage {
    const slot = t._traceInput as LazyStorage | null;
    if (slot !== null && slot.trace === this) return slot;
    const taken = this.slotTaken?.get(t);
    if (taken !== undefined) return taken;
    const written = t._storage !== null && this.writtenStorages.size !== 0 ? this.writtenStorages.get(t._storage) : undefined;
    if (written && written.root !== t) {
      // Another input sharing this memory was written in this graph: the placeholder would be stale.
      this.owner.graphBreak(
        "unsupported-op",
        "a tensor was read after a write to another tensor sharing its storage inside the same graph",
      );
      throw new RetryInNewTrace();
    }
    const kind: PlaceholderKind = t._wrappedNumber ? "scalar" : "tensor";
    const node = this.addPlaceholder(t, kind, null);
    const group = new LazyStorage(this, t, node, true);
    this.concreteGroups.push(group);
    if (slot === null || !slot.trace.active) t._traceInput = group;
    else (this.slotTaken ??= new Map()).set(t, group);
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
    try {
      for (let i = 0; i < inputs.length; i++) args[i] = this.valueOf(inputs[i]!);
    } catch (e) {
      if (e instanceof RetryInNewTrace) return this.owner.currentTrace().record(def, inputs, attrs, metas);
      throw e;
    }
    let nodeAttrs = attrs as Record<string, unknown>;
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
    }
    const node = this.graph.call(def.name, args, nodeAttrs, metas);
    this.opCount++;
    this.addStep(step(node.id, STEP_NODE));
    const outs: Tensor[] = new Array(metas.length);
    for (let i = 0; i < metas.length; i++) {
      const m = metas[i]!;
      let value = node;
      if (metas.length > 1) {
        value = this.graph.getitem(node, i);
        this.addStep(step(value.id, STEP_NODE));
      }
      let t: Tensor;
      if (m.view) {
        const base = inputs[0]!;
        const group = base._lazy instanceof LazyValue && base._lazy.storage.trace === this ? base._lazy.storage : this.concreteGroup(base);
        t = new Tensor(null, m.shape, m.view.strides, m.view.offset, m.dtype);
        t._base = group.root._base ?? group.root;
        t._lazy = new LazyValue(group, value, group.version);
        group.addMember(t);
      } else {
        t = new Tensor(null, m.shape, contiguousStrides(m.shape), 0, m.dtype);
        const group = new LazyStorage(this, t, value, false);
        this.storages.push(group);
        t._lazy = new LazyValue(group, value, 0);
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
      let sharedInput = false;
      for (const g of this.concreteGroups) if (g.root !== group.root && g.root._storage === group.root._storage) sharedInput = true;
      if ((other && other !== group) || sharedInput) {
        this.owner.graphBreak("unsupported-op", "in-place write to a tensor whose storage is shared with another graph input");
        return false;
      }
    }
    if (value.dtype !== target.dtype) {
      valueNode = this.graph.call("cast", [valueNode], { dtype: target.dtype }, [{ shape: target.shape.slice(), dtype: target.dtype }]);
      this.addStep(step(valueNode.id, STEP_WRITE_CAST));
    }
    if (group.root === target) {
      group.value = valueNode;
    } else {
      const w = this.windowOf(target, group);
      group.value = this.graph.call("stridedScatter", [group.value, valueNode], w, [
        { shape: group.root.shape.slice(), dtype: group.root.dtype },
      ]);
      this.addStep(step(group.value.id, STEP_WRITE_SCATTER));
    }
    group.version++;
    group.written = true;
    this.writeCount++;
    this.addStep(step(group.value.id, STEP_WRITE));
    if (group.concreteRoot && group.root._storage !== null) {
      if (this.writtenStorages === NO_WRITES) this.writtenStorages = new Map();
      this.writtenStorages.set(group.root._storage, group);
    }
    const h = target._lazy;
    if (h instanceof LazyValue && h.storage === group) {
      h.node = valueNode;
      h.nodeVersion = group.version;
    } else {
      // A concrete input written in the graph reads as lazy until the graph runs and writes it back.
      target._lazy = new LazyValue(group, valueNode, group.version);
      group.addMember(target);
    }
    return true;
  }

  markPersistent(t: Tensor): void {
    const h = t._lazy;
    if (h instanceof LazyValue && h.storage.trace === this) this.persistent.push(h.storage);
  }

  /** Adds a copy of a recorded call (nonstrictTrace replay), keeping the signature in step. */
  replayCall(target: string, args: Node[], attrs: Readonly<Record<string, unknown>>, outputs: Node["outputs"]): Node {
    const node = this.graph.call(target, args, attrs, outputs);
    this.opCount++;
    this.addStep(step(node.id, STEP_NODE));
    return node;
  }

  replayGetitem(source: Node, index: number): Node {
    const node = this.graph.getitem(source, index);
    this.addStep(step(node.id, STEP_NODE));
    return node;
  }

  /** A new lazy tensor holding a node's value (a fresh root). */
  lazyFromNode(node: Node): Tensor {
    const m = node.outputs[0]!;
    const t = new Tensor(null, m.shape.slice(), contiguousStrides(m.shape), 0, m.dtype);
    const group = new LazyStorage(this, t, node, false);
    this.storages.push(group);
    t._lazy = new LazyValue(group, node, 0);
    return t;
  }

  /** Stops recording: later lookups of its inputs' slots see a finished trace, and the slots are cleared. */
  finish(): void {
    this.active = false;
    for (const g of this.concreteGroups) if (g.root._traceInput === g) g.root._traceInput = null;
  }

  /** Whether reading this concrete tensor's memory now would miss a write recorded in this graph. */
  hasPendingWrite(t: Tensor): boolean {
    return t._storage !== null && this.writtenStorages.has(t._storage);
  }

  /** Concrete inputs of the graph that were written (need writing back when it runs). */
  get writtenInputs(): readonly LazyStorage[] {
    if (this.writeCount === 0) return NO_GROUPS;
    const out: LazyStorage[] = [];
    for (const g of this.concreteGroups) if (g.written) out.push(g);
    return out;
  }
}

/** Thrown inside the trace when a break replaced it: the operation is recorded in the new trace. */
class RetryInNewTrace extends Error {
  constructor() {
    super("retry in the trace that follows the break");
  }
}
