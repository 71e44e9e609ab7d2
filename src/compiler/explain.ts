// compiler.explain(fn)(...args): runs fn once compiled and reports its graphs and graph breaks.
import type { GraphBreakInfo } from "./errors.js";
import type { Graph } from "./graph.js";
import { compileFunction } from "./compile.js";
import { collectors, type CompileOptions } from "./state.js";

export class ExplainOutput {
  readonly graphCount: number;
  readonly graphBreakCount: number;
  readonly breakReasons: GraphBreakInfo[];
  readonly opCount: number;
  readonly opsPerGraph: string[][];
  constructor(
    readonly graphs: Graph[],
    breaks: GraphBreakInfo[],
  ) {
    this.graphCount = graphs.length;
    this.graphBreakCount = breaks.length;
    this.breakReasons = breaks;
    this.opsPerGraph = graphs.map((g) => g.callTargets);
    this.opCount = this.opsPerGraph.reduce((n, ops) => n + ops.length, 0);
  }

  toString(): string {
    const lines = [
      `Graph count: ${this.graphCount}`,
      `Graph break count: ${this.graphBreakCount}`,
      `Op count: ${this.opCount}`,
    ];
    this.opsPerGraph.forEach((ops, i) => lines.push(`Ops in graph ${i}: ${ops.join(", ") || "(none)"}`));
    if (this.breakReasons.length) {
      lines.push("Break reasons:");
      this.breakReasons.forEach((b, i) => {
        lines.push(`  ${i + 1}. ${b.type}: ${b.reason}`);
        if (b.userStack.length) lines.push(`     at ${b.userStack[0]}`);
        for (const h of b.hints) lines.push(`     hint: ${h}`);
      });
    }
    return lines.join("\n");
  }
}

/** Returns a function that runs `fn` once compiled (fresh caches) and reports what happened. */
export function explain<A extends unknown[]>(fn: (...args: A) => unknown, options: CompileOptions = {}): (...args: A) => ExplainOutput {
  return (...args: A) => {
    const collector = { graphs: [] as Graph[], breaks: [] as GraphBreakInfo[] };
    collectors.push(collector);
    try {
      const compiled = compileFunction(fn as (...a: never[]) => unknown, { ...options, fullgraph: false });
      (compiled as (...a: A) => unknown)(...args);
    } finally {
      collectors.splice(collectors.indexOf(collector), 1);
    }
    return new ExplainOutput(collector.graphs, collector.breaks);
  };
}
