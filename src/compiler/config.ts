// compiler.config and compiler.stats(): global settings and counters of the compiler.

export interface CompilerConfig {
  /** Compiles allowed per graph position of a compiled function before it runs eagerly. */
  recompileLimit: number;
  /** Compiles allowed per compiled function over all its positions. */
  accumulatedRecompileLimit: number;
  /** false: backend failures throw BackendCompilerError; true: they are logged and the graph runs eagerly. */
  suppressErrors: boolean;
  /** Console methods (e.g. console.log) that receive tensors inside a compiled region run after the graph instead of breaking. */
  reorderableLoggingFunctions: Set<(...args: unknown[]) => void>;
}

export const config: CompilerConfig = {
  recompileLimit: 8,
  accumulatedRecompileLimit: 256,
  suppressErrors: false,
  reorderableLoggingFunctions: new Set(),
};

export interface CompilerStats {
  /** Graphs handed to a backend (first compiles and recompiles). */
  compiles: number;
  /** Graphs found in the cache. */
  cacheHits: number;
  graphBreaks: number;
  /** Compiles of a position that already had a compiled graph. */
  recompiles: number;
  /** Graphs run eagerly because of the recompile limit or a suppressed backend error. */
  eagerFallbacks: number;
}

export const counters: CompilerStats = { compiles: 0, cacheHits: 0, graphBreaks: 0, recompiles: 0, eagerFallbacks: 0 };

export function stats(): CompilerStats {
  return { ...counters };
}

export function resetCounters(): void {
  counters.compiles = 0;
  counters.cacheHits = 0;
  counters.graphBreaks = 0;
  counters.recompiles = 0;
  counters.eagerFallbacks = 0;
}
