// Lazy values of a trace. Tensors created inside a compiled region carry a LazyValue: the graph
// node holding their current contents and the LazyStorage (alias group) they view, mirroring
// eager storage sharing so that writes through views are recorded exactly.
import type { LazyHandle, Tensor } from "../core/tensor.js";
import type { Node } from "./graph.js";

/** Identifies the trace that owns a lazy value. */
export interface TraceRef {
  readonly id: number;
  active: boolean;
  /**
   * Set when the trace's graph has run and some of its values escaped without being outputs:
   * computes them (its lazy tensors that are left are exactly those).
   */
  pending: { force(): void } | null;
}

/** No lazy tensors besides the implicit ones (shared: groups add members with addMember). */
const NO_MEMBERS: readonly Tensor[] = Object.freeze([]);

/**
 * An alias group: a root tensor and every view of it. `value` is the node holding the root's
 * current logical contents; each write through any member replaces it.
 */
export class LazyStorage {
  version = 0;
  /** Whether any member was written in the trace. */
  written = false;
  /** Set when the graph ends if the group's value is one of the graph's outputs. */
  needed = false;
  /**
   * Lazy tensors of this group besides a root created in the trace (which always is one): views,
   * and concrete tensors written in the trace. All are realised together when the graph runs.
   */
  members: readonly Tensor[] = NO_MEMBERS;
  constructor(
    readonly trace: TraceRef,
    /** The root: a tensor created by a non-view op in the trace, or a concrete graph input. */
    readonly root: Tensor,
    public value: Node,
    /** The root is a concrete tensor (an input) rather than a value created in the trace. */
    readonly concreteRoot: boolean,
  ) {}

  addMember(t: Tensor): void {
    if (this.members === NO_MEMBERS) this.members = [t];
    else (this.members as Tensor[]).push(t);
  }
}

/**
 * The handle on a lazy tensor (or on a concrete input that was written in the trace). It stays
 * on a tensor that escaped a finished graph without being an output: such a value is recomputed
 * on demand through its trace's `pending` (DESIGN.md, "Rules that keep it sound").
 */
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

  /** Whether this is an escaped value of a graph that already ran (not a value being traced). */
  get escaped(): boolean {
    return this.storage.trace.pending !== null;
  }
}
