// The compiler's public surface: compile(), cond, library.customOp and the `compiler` namespace.
import { eagerBackend } from "../backends/eager.js";
import { compile, compileModuleInPlace, resetCaches } from "./compile.js";
import { config, resetCounters, stats } from "./config.js";
import { customOp } from "./custom-op.js";
import { BackendCompilerError, GraphBreakError } from "./errors.js";
import { cond, disable, errorOnGraphBreak, graphBreak, skipFrame } from "./escape-hatches.js";
import { nonstrictTrace } from "./nonstrict.js";
import { explain, ExplainOutput } from "./explain.js";
import { builtinBackends } from "./frame.js";
import { resetLogs, setLogs } from "./logs.js";
import { markDynamic } from "./state.js";
import { addEventListener } from "./events.js";
import "./module.js";
import "./backward.js";

/** compiler.reset(): drops every cache and counter. */
function reset(): void {
  resetCaches();
  resetCounters();
}

export const compiler = {
  graphBreak,
  skipFrame,
  errorOnGraphBreak,
  disable,
  nonstrictTrace,
  config,
  stats,
  reset,
  explain,
  setLogs,
  resetLogs,
  markDynamic,
  addEventListener,
  backends: { eager: eagerBackend, get default() { return builtinBackends.default; }, get js() { return builtinBackends.js; }, get native() { return builtinBackends.native; } },
  GraphBreakError,
  BackendCompilerError,
  ExplainOutput,
};

export const library = { customOp };

export { compile, compileModuleInPlace, cond };
export type { CompileOptions } from "./state.js";
export type { Graph, Node } from "./graph.js";
export type { Backend, CompiledGraph } from "../backends/types.js";
export type { GraphBreakInfo, GraphBreakType } from "./errors.js";
export type { LogRecord, LogSettings } from "./logs.js";
export type { CustomOp, CustomOpOptions } from "./custom-op.js";
export type { CompilerEvent, CompilerEventListener } from "./events.js";
export { GraphBreakError, BackendCompilerError };
