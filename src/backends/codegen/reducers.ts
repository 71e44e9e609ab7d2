// Reduction templates for the code generator: each reduction op's registry entry declares how it
// accumulates (`reduction`: `init`, `step` over `x` and position `r`, `result` with `count`), the
// same rule its eager kernel is built from. Reductions with extra outputs (indices) run through
// their eager kernels.
import type { DType } from "../../core/dtype.js";
import type { AnyOpDef } from "../../ops/registry.js";
import type { Reducer } from "../../ops/reduce-kernel.js";

export interface CodegenReducer {
  reducer: Reducer;
  /** Statements declaring constants the reducer reads from `attrs`. */
  prelude: string;
}

/** The reducer of a reduction op for these dtypes and attributes, or null (run it eagerly). */
export function reducerFor(def: AnyOpDef, inDType: DType, outDType: DType, attrs: Record<string, unknown>): CodegenReducer | null {
  if (def.kind !== "reduction" || !def.reduction) return null;
  if (!("dims" in attrs) || !("keepdim" in attrs)) return null;
  const reducer = def.reduction.reducer(inDType, outDType, attrs);
  if (reducer.extra && reducer.extra.length) return null;
  return { reducer, prelude: def.reduction.prelude?.(attrs) ?? "" };
}
