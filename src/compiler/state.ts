// Global state of the compiler: the compiled functions' caches, the stack of running compiled
// calls, explain() collectors, and the markDynamic marks.
import type { Tensor } from "../core/tensor.js";
import type { Backend } from "../backends/types.js";
import type { PositionCache } from "./cache.js";
import type { GraphBreakInfo } from "./errors.js";
import type { Graph } from "./graph.js";

export interface CompileOptions {
  /** Capture exactly one graph or throw GraphBreakError at the first break. */
  fullgraph?: boolean;
  /** "eager", "default", or a function receiving every graph. */
  backend?: "eager" | "default" | "js" | "native" | Backend;
  /** undefined: static first, then automatic dynamic; false: always static; true: dynamic from the start. */
  dynamic?: boolean;
  /** "default" | "reduce-overhead" | "max-autotune" (accepted; only "default" behaviour exists yet). */
  mode?: "default" | "reduce-overhead" | "max-autotune";
}

/** Everything kiln keeps about one compiled function across calls. */
export class CompiledFunctionState {
  readonly positions = new Map<number, PositionCache>();
  totalCompiles = 0;
  /** Set by skipFrame(): later calls run eagerly. */
  skipped = false;
  /** Past accumulatedRecompileLimit: every position runs eagerly. */
  exhausted = false;
  warned = false;
  /** compiler.reset() count when this state was made: an older state is dropped on the next call. */
  generation = 0;
  constructor(
    readonly name: string,
    readonly options: CompileOptions,
    readonly paramNames: string[],
    /** Names of module parameters and buffers (for compiled modules), used in recompile reasons. */
    readonly tensorNames: Map<Tensor, string> | null,
  ) {}
}

/** Collects what happens during explain(). */
export interface ExplainCollector {
  graphs: Graph[];
  breaks: GraphBreakInfo[];
}

export const collectors: ExplainCollector[] = [];

const dynamicMarks = new WeakMap<Tensor, Set<number>>();

/** compiler.markDynamic(t, dim): this dim is compiled as dynamic from the first compile. */
export function markDynamic(t: Tensor, dim: number | number[]): void {
  const set = dynamicMarks.get(t) ?? new Set<number>();
  for (const d of Array.isArray(dim) ? dim : [dim]) set.add(d < 0 ? d + t.ndim : d);
  dynamicMarks.set(t, set);
}

export function dynamicMarksOf(t: Tensor): Set<number> | undefined {
  return dynamicMarks.get(t);
}

/** Flags that change how compiled calls behave while set (escape hatches push and pop them). */
export const modes = {
  /** Depth of compiler.disable(recursive) regions: compiled functions run eagerly inside. */
  disabledDepth: 0,
  /** Depth of nonstrictTrace regions: explicit graph breaks are ignored inside. */
  nonstrictDepth: 0,
  /** errorOnGraphBreak stack: the innermost flag decides. */
  errorOnBreak: [] as boolean[],
};
