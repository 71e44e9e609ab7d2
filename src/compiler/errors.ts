// Errors of the compiler: graph breaks refused by fullgraph/errorOnGraphBreak, and backend failures.
import { KilnError } from "../core/errors.js";

/** The built-in graph-break types (SPEC §2). */
export type GraphBreakType =
  | "explicit-graph-break"
  | "tensor-item"
  | "tensor-data-access"
  | "tensor-to-primitive"
  | "tensor-print"
  | "data-dependent-shape"
  | "unsupported-op"
  | "custom-op-without-fake"
  | "disabled-function";

/** One graph break as reported by explain(), logs and GraphBreakError. */
export interface GraphBreakInfo {
  type: GraphBreakType;
  /** What happened. */
  reason: string;
  /** User-code frames, innermost first, as `path:line:column`. */
  userStack: string[];
  /** How to rewrite the code to avoid the break. */
  hints: string[];
}

export function formatBreak(info: GraphBreakInfo): string {
  const lines = [`Graph break (${info.type}): ${info.reason}`];
  if (info.userStack.length) {
    lines.push("  User stack (innermost first):");
    for (const f of info.userStack) lines.push(`    at ${f}`);
  }
  if (info.hints.length) {
    lines.push("  Hints:");
    for (const h of info.hints) lines.push(`    - ${h}`);
  }
  return lines.join("\n");
}

/** Thrown at the first graph break under `fullgraph: true` or `errorOnGraphBreak(true, ...)`. */
export class GraphBreakError extends KilnError implements GraphBreakInfo {
  readonly type: GraphBreakType;
  readonly reason: string;
  readonly userStack: string[];
  readonly hints: string[];
  constructor(info: GraphBreakInfo, context: string) {
    super(`${context}\n${formatBreak(info)}`);
    this.type = info.type;
    this.reason = info.reason;
    this.userStack = info.userStack;
    this.hints = info.hints;
  }
}

/** A backend failed to compile or run a graph (thrown unless config.suppressErrors). */
export class BackendCompilerError extends KilnError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
