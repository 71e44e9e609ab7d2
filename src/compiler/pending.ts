// Escaped lazy values: tensors created in a finished graph that were not among its outputs (kiln
// cannot see whether a value is still referenced, so only returned values, values saved for
// backward and values that need an input's old contents are outputs). An escaped value is
// recomputed from the recorded graph when first read. If an input it depends on was written in
// place since, its old contents are gone: reading it then throws instead of returning garbage.
import { KilnError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { eagerBackend } from "../backends/eager.js";
import { noGrad } from "../dispatch/grad-mode.js";
import { setTracer } from "../dispatch/tracer.js";
import type { Graph } from "./graph.js";
import { extractSubgraph } from "./graph-utils.js";
import { LazyValue, type LazyStorage } from "./lazy.js";

/** The escaped values of one finished graph, computed together when any of them is first read. */
export class PendingGroup {
  private done = false;
  private readonly versions: number[];

  /**
   * @param storages the graph's alias groups; those `needed` (outputs of the graph, already
   *   concrete) are skipped. The others' tensors keep their lazy handles, which find this group
   *   through their trace: creating it touches none of them.
   */
  constructor(
    private readonly graph: Graph,
    private readonly inputs: Tensor[],
    private readonly storages: LazyStorage[],
    private readonly fnName: string,
  ) {
    this.versions = inputs.map((t) => t._version);
  }

  /** Computes every escaped value of the group. */
  force(): void {
    if (this.done) return;
    const changed = this.inputs.findIndex((t, i) => t._version !== this.versions[i]);
    if (changed >= 0) {
      throw new KilnError(
        `this tensor was computed inside compiled function '${this.fnName}' and escaped without being returned; ` +
          `an input it depends on (${this.graph.placeholders[changed]?.name ?? `input ${changed}`}) was modified in place since, so it can no longer be computed. ` +
          "Return the tensor from the compiled function (or clone it there) to keep its value.",
      );
    }
    this.done = true;
    const prev = setTracer(null);
    try {
      noGrad(() => this.compute());
    } finally {
      setTracer(prev);
    }
  }

  private compute(): void {
    const escaped = this.storages.filter((s) => !s.needed);
    const { graph, inputIndices } = extractSubgraph(this.graph, escaped.map((s) => s.value));
    const results = eagerBackend(graph)(...inputIndices.map((i) => this.inputs[i]!));
    escaped.forEach((s, i) => {
      const r = results[i]!.contiguous();
      const root = s.root;
      const stillLazy = (t: Tensor): boolean => t._lazy instanceof LazyValue && t._lazy.storage === s;
      if (stillLazy(root)) {
        root._storage = r._storage;
        root._strides = r._strides.slice();
        root._offset = r._offset;
        root._lazy = null;
      }
      for (const m of s.members) {
        if (m === root || !stillLazy(m)) continue;
        m._storage = r._storage;
        m._offset += r._offset;
        m._lazy = null;
      }
    });
  }
}
