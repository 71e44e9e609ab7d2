// Lazy values of a trace. Tensors created inside a compiled region carry a LazyValue: the graph
// node holding their current contents and the LazyStorage (alias group) they view, mirroring
// eager storage sharing so that writes through views are recorded exactly.
import type { LazyHandle, Tensor } from "../core/tensor.js";
import type { Node } from "./graph.js";

/** Identifies the trace that owns a lazy value. */
export interface TraceRef {
  readonly id: number;
  active: boolean;
}

/**
 * An alias group: a root tensor and every view of it. `value` is the node holding the root's
 * current logical contents; each write through any member replaces it.
 */
export class LazyStorage {
  version = 0;
  /** Whether any member was written in the trace. */
  written = false;
  /** Lazy tensors of this group, realised together when the graph runs. */
  readonly members: Tensor[] = [];
  constructor(
    readonly trace: TraceRef,
    /** The root: a tensor created by a non-view op in the trace, or a concrete graph input. */
    readonly root: Tensor,
    public value: Node,
    /** The root is a concrete tensor (an input) rather than a value created in the trace. */
    readonly concreteRoot: boolean,
  ) {}
}

/** The handle on a lazy tensor (or on a concrete input that was written in the trace). */
export class LazyValue implements LazyHandle {
  constructor(
    readonly storage: LazyStorage,
    /** Node with this tensor's contents, valid while `nodeVersion === storage.version`. */
    public node: Node,
    public nodeVersion: number,
  ) {}
  get version(): number {
    return this.storage.version;
  }
}

/**
 * A lazy tensor that escaped a finished graph without being one of its outputs: it is
 * recomputed on demand from the recorded graph (DESIGN.md, "Rules that keep it sound").
 */
export class PendingValue implements LazyHandle {
  constructor(
    readonly recompute: () => void,
    readonly version: number,
  ) {}
}
