// Running code for output metadata only: ops are recorded into a scratch graph that never runs.
// Used to check cond's untaken branch and to evaluate custom ops' fake implementations.
import { KilnError } from "../core/errors.js";
import type { DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { setTracer } from "../dispatch/tracer.js";
import { noGrad } from "../dispatch/grad-mode.js";
import type { AnyOpDef, OutputMeta } from "../ops/registry.js";
import { LazyValue } from "./lazy.js";
import { GraphTrace, type TraceOwner } from "./trace.js";

export interface TensorMetaOnly {
  shape: readonly number[];
  dtype: DType;
}

class MetaOnlyOwner implements TraceOwner {
  trace!: GraphTrace;
  nameFor(): string {
    return "input";
  }
  graphBreak(): void {
    throw new KilnError("this code runs for metadata only (a cond branch or a fake implementation) and must not read tensor values");
  }
  runEagerOp(def: AnyOpDef, _inputs: readonly Tensor[], _attrs: object, _metas: OutputMeta[]): Tensor[] {
    throw new KilnError(`op ${def.name} cannot run for metadata only`);
  }
  currentTrace(): GraphTrace {
    return this.trace;
  }
}

/** Runs `fn` recording only metadata and returns the shapes and dtypes of its tensors. */
export function traceMetas(fn: () => Tensor[]): TensorMetaOnly[] {
  const owner = new MetaOnlyOwner();
  const trace = new GraphTrace(owner, true);
  owner.trace = trace;
  const prev = setTracer(trace);
  try {
    return noGrad(fn).map((t) => ({ shape: t.shape.slice(), dtype: t.dtype }));
  } finally {
    setTracer(prev);
    trace.finish();
    for (const g of trace.writtenInputs) if (g.root._lazy instanceof LazyValue) g.root._lazy = null;
  }
}
