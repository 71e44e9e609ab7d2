// Structured events of the compiler for tools (the `kiln run` report, profilers). Emitting costs
// nothing while no listener is registered.
import type { GraphBreakInfo } from "./errors.js";
import type { Graph } from "./graph.js";

export type CompilerEvent =
  | { kind: "call-start"; fn: string; time: number }
  | { kind: "call-end"; fn: string; time: number }
  | {
      kind: "graph-compiled";
      fn: string;
      position: number;
      graph: Graph;
      /** Milliseconds the backend took. */
      compileMs: number;
      /** Generated code, when the backend provides it. */
      code?: string;
      guards: string;
      /** Why an earlier compile of this position did not match, for recompiles. */
      recompileReason?: string;
      time: number;
    }
  | { kind: "graph-run"; fn: string; position: number; cacheHit: boolean; runMs: number; opCount: number; time: number }
  | { kind: "graph-break"; fn: string; position: number; info: GraphBreakInfo; time: number }
  | { kind: "eager-fallback"; fn: string; position: number; reason: string; time: number };

export type CompilerEventListener = (event: CompilerEvent) => void;

export const listeners: CompilerEventListener[] = [];

/** compiler.addEventListener: returns a function that removes the listener. */
export function addEventListener(listener: CompilerEventListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/** Whether any listener is registered (callers skip timing work otherwise). */
export function listening(): boolean {
  return listeners.length !== 0;
}

export function emit(make: () => CompilerEvent): void {
  if (listeners.length === 0) return;
  const event = make();
  for (const l of listeners) l(event);
}

export function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}
