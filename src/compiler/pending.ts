// Escaped lazy values: tensors created in a finished graph that were not among its outputs.
// They are recomputed on demand from the recorded graph; before anything writes to an input
// they depend on, they are computed first (DESIGN.md, "Rules that keep it sound").
import type { Storage } from "../core/storage.js";
import type { Tensor } from "../core/tensor.js";
import { eagerBackend } from "../backends/eager.js";
import { noGrad } from "../dispatch/grad-mode.js";
import { setTracer } from "../dispatch/tracer.js";
import type { Graph } from "./graph.js";
import { extractSubgraph } from "./graph-utils.js";
import { PendingValue, type LazyStorage } from "./lazy.js";

const byStorage = new WeakMap<Storage, Set<WeakRef<PendingGroup>>>();

/** The escaped values of one finished graph, computed together when any of them is needed. */
export class PendingGroup {
  private done = false;
  private readonly groups: { storage: LazyStorage; members: WeakRef<Tensor>[] }[];

  constructor(
    private readonly graph: Graph,
    private readonly inputs: Tensor[],
    storages: LazyStorage[],
  ) {
    this.groups = storages.map((s) => ({ storage: s, members: s.members.map((m) => new WeakRef(m)) }));
    const self = new WeakRef(this);
    for (const s of storages) {
      for (const m of s.members) m._lazy = new PendingValue(() => this.force(), s.version);
    }
    for (const input of inputs) {
      if (input._storage === null) continue;
      let set = byStorage.get(input._storage);
      if (!set) byStorage.set(input._storage, (set = new Set()));
      for (const ref of set) if (ref.deref() === undefined) set.delete(ref);
      set.add(self);
    }
  }

  /** Computes every escaped value of the group that is still alive. */
  force(): void {
    if (this.done) return;
    this.done = true;
    const alive = this.groups
      .map((g) => ({ storage: g.storage, members: g.members.map((r) => r.deref()).filter((t): t is Tensor => t !== undefined && t._lazy instanceof PendingValue) }))
      .filter((g) => g.members.length > 0);
    if (alive.length === 0) return;
    const prev = setTracer(null);
    try {
      noGrad(() => this.compute(alive));
    } finally {
      setTracer(prev);
    }
  }

  private compute(alive: { storage: LazyStorage; members: Tensor[] }[]): void {
    const { graph, inputIndices } = extractSubgraph(this.graph, alive.map((g) => g.storage.value));
    const results = eagerBackend(graph)(...inputIndices.map((i) => this.inputs[i]!));
    alive.forEach((g, i) => {
      const r = results[i]!.contiguous();
      for (const m of g.members) {
        m._storage = r._storage;
        if (m === g.storage.root) {
          m._strides = r._strides.slice();
          m._offset = r._offset;
        } else m._offset += r._offset;
        m._lazy = null;
      }
    });
  }
}

/** Before an eager write to `storage`: compute escaped values that still need its old contents. */
export function forcePendingReaders(storage: Storage): void {
  const set = byStorage.get(storage);
  if (!set) return;
  byStorage.delete(storage);
  for (const ref of set) ref.deref()?.force();
}
