// The seam between dispatch and the compiler: while a tracer is active, ops are recorded into its
// graph instead of running. The compiler installs the tracer; dispatch only calls it.
import type { Tensor } from "../core/tensor.js";
import type { AnyOpDef, OutputMeta } from "../ops/registry.js";

export interface Tracer {
  /** Records an op and returns lazy outputs with the given metadata. */
  record(def: AnyOpDef, inputs: readonly Tensor[], attrs: object, metas: OutputMeta[]): Tensor[];
  /** Records writing `value` into `target` (an in-place op or copy_); false: write it eagerly instead. */
  recordWrite(target: Tensor, value: Tensor): boolean;
  /**
   * Declares that `t`, created while tracing, is kept in long-lived state (an optimizer's moment
   * buffers and step counters): its value becomes a graph output, concrete when the graph has run,
   * instead of an escaped value recomputed when first read.
   */
  markPersistent?(t: Tensor): void;
}

export let activeTracer: Tracer | null = null;

export function setTracer(t: Tracer | null): Tracer | null {
  const prev = activeTracer;
  activeTracer = t;
  return prev;
}
