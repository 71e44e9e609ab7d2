// compile(): wraps a function (or a module's forward) so that each call is traced into graphs,
// graph breaks split it, and graphs are cached per position and run by the chosen backend.
import { KilnError, ArgumentError, describeValue } from "../core/errors.js";
import { installAccessHooks, type AccessKind } from "../core/hooks.js";
import type { Storage } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import { activeTracer } from "../dispatch/tracer.js";
import { activeFrame, Frame } from "./frame.js";
import { BREAK_FOR_ACCESS, reasonForAccess } from "./hints.js";
import { LazyValue } from "./lazy.js";
import { CompiledFunctionState, modes, type CompileOptions } from "./state.js";
import { GraphTrace } from "./trace.js";
import { config } from "./config.js";
import { emit, listening, now } from "./events.js";

let generation = 0;
/** Every compiled function's state, so reset() can drop their caches. */
const allStates = new Set<WeakRef<CompiledFunctionState>>();

/** Parameter names of a function from its source, for recompile reasons ("input x: ..."). */
export function parameterNames(fn: (...args: never[]) => unknown): string[] {
  const src = Function.prototype.toString.call(fn);
  let params: string;
  const arrow = /^(?:async\s*)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (arrow) params = arrow[1]!;
  else {
    const open = src.indexOf("(");
    if (open < 0) return [];
    let depth = 0;
    let end = open;
    for (let i = open; i < src.length; i++) {
      const c = src[i];
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") {
        depth--;
        if (depth === 0) {
          end = i;
          break;
        }
      }
    }
    params = src.slice(open + 1, end);
  }
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of params + ",") {
    if (c === "," && depth === 0) {
      const p = cur.trim().replace(/^\.\.\./, "");
      const m = /^([A-Za-z_$][\w$]*)/.exec(p);
      out.push(m ? m[1]! : `arg${out.length}`);
      cur = "";
      continue;
    }
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    cur += c;
  }
  return out.filter((p, i) => p !== "" || i < out.length - 1);
}

/** A module as compile() sees it: something with forward() and named parameters. */
export interface CompilableModule {
  forward(...args: never[]): unknown;
  namedParameters?(): Iterable<[string, Tensor]> | [string, Tensor][];
  namedBuffers?(): Iterable<[string, Tensor]> | [string, Tensor][];
}

function isModule(v: unknown): v is CompilableModule {
  return typeof v === "object" && v !== null && typeof (v as { forward?: unknown }).forward === "function";
}

function tensorNamesOf(m: CompilableModule): Map<Tensor, string> {
  const names = new Map<Tensor, string>();
  for (const [n, t] of m.namedParameters?.() ?? []) names.set(t, n);
  for (const [n, t] of m.namedBuffers?.() ?? []) names.set(t, n);
  return names;
}

function newState(name: string, options: CompileOptions, paramNames: string[], names: Map<Tensor, string> | null): CompiledFunctionState {
  const s = new CompiledFunctionState(name, options, paramNames, names);
  allStates.add(new WeakRef(s));
  s.generation = generation;
  return s;
}

function checkOptions(options: CompileOptions): void {
  if (typeof options !== "object" || options === null) throw new ArgumentError(`compile(): options must be an object, but got ${describeValue(options)}`);
  const b = options.backend;
  if (b !== undefined && b !== "eager" && b !== "default" && b !== "js" && b !== "native" && typeof b !== "function") {
    throw new ArgumentError(`compile(): backend must be "eager", "default", "js", "native" or a function, but got ${describeValue(b)}`);
  }
  if (options.dynamic !== undefined && typeof options.dynamic !== "boolean") {
    throw new ArgumentError(`compile(): dynamic must be true, false or undefined, but got ${describeValue(options.dynamic)}`);
  }
}

/** Wraps `fn` so every call is traced and compiled. Used by compile() for functions and modules. */
export function compileFunction<F extends (...args: never[]) => unknown>(
  fn: F,
  options: CompileOptions = {},
  names: Map<Tensor, string> | null = null,
  name = fn.name || "<anonymous>",
  /** The function whose parameter names name the arguments (a module's forward). */
  signatureOf: (...args: never[]) => unknown = fn,
): F {
  checkOptions(options);
  const paramNames = parameterNames(signatureOf);
  let state = newState(name, options, paramNames, names);
  const compiled = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    if (state.generation !== generation) state = newState(name, options, paramNames, names);
    if (modes.disabledDepth > 0 || state.skipped) return fn.apply(this, args) as ReturnType<F>;
    const outer = activeFrame();
    // A compiled function called while another one records is traced into the same graph.
    if (outer !== null && outer.trace !== null && activeTracer === outer.trace) return fn.apply(this, args) as ReturnType<F>;
    const frame = new Frame(state, args);
    if (listening()) emit(() => ({ kind: "call-start", fn: name, time: now() }));
    frame.begin();
    let result: unknown;
    const restoreLogging = patchReorderableLogging(frame);
    try {
      result = fn.apply(this, args);
    } catch (e) {
      restoreLogging();
      frame.fail(e);
      if (listening()) emit(() => ({ kind: "call-end", fn: name, time: now() }));
      throw e;
    }
    restoreLogging();
    // Code after the first await of an async function runs eagerly, outside this call's graphs:
    // the graph ends here and everything it computed becomes concrete.
    if (result instanceof Promise) frame.endAtAwait();
    else frame.end(result);
    if (listening()) emit(() => ({ kind: "call-end", fn: name, time: now() }));
    return result as ReturnType<F>;
  };
  Object.defineProperty(compiled, "name", { value: name });
  return compiled as unknown as F;
}

/** compile(fn, options) or compile(module, options): see SPEC §1. */
export function compile<F extends (...args: never[]) => unknown>(fn: F, options?: CompileOptions): F;
export function compile<M extends CompilableModule>(module: M, options?: CompileOptions): M;
export function compile(target: unknown, options: CompileOptions = {}): unknown {
  if (typeof target === "function") return compileFunction(target as (...args: never[]) => unknown, options);
  if (isModule(target)) {
    const names = tensorNamesOf(target);
    const forward = compileFunction(
      (...args: never[]) => target.forward(...args),
      options,
      names,
      `${target.constructor?.name ?? "Module"}.forward`,
      target.forward,
    );
    return new Proxy(target, {
      get(obj, prop, receiver) {
        if (prop === "forward") return forward;
        if (prop === "_orig_mod") return obj;
        void receiver;
        const v = Reflect.get(obj, prop, obj);
        return typeof v === "function" ? v.bind(obj) : v;
      },
    });
  }
  throw new ArgumentError(`compile() expects a function or a module with forward(), but got ${describeValue(target)}`);
}

/** Installs compiled forward on a module in place (module.compile()). */
export function compileModuleInPlace(module: CompilableModule, options: CompileOptions = {}): void {
  // The forward found now (a hook wrapper if hooks exist) is what the compiled forward runs.
  const original = module.forward as (...args: never[]) => unknown;
  const names = tensorNamesOf(module);
  const compiled = compileFunction(
    (...args: never[]) => original.apply(module, args),
    options,
    names,
    `${module.constructor?.name ?? "Module"}.forward`,
    original,
  );
  Object.defineProperty(module, "forward", { value: compiled, writable: true, configurable: true, enumerable: false });
}

/** compiler.reset(): drops every cache; stats are reset by the caller. */
export function resetCaches(): void {
  generation++;
  for (const ref of allStates) if (ref.deref() === undefined) allStates.delete(ref);
}

const nothingToRestore = (): void => {};

/** Console methods in config.reorderableLoggingFunctions print after the graph instead of breaking. */
function patchReorderableLogging(frame: Frame): () => void {
  if (config.reorderableLoggingFunctions.size === 0) return nothingToRestore;
  const restored: [string, unknown][] = [];
  const target = console as unknown as Record<string, unknown>;
  for (const key of Object.keys(target)) {
    const original = target[key];
    if (typeof original !== "function" || !config.reorderableLoggingFunctions.has(original as (...a: unknown[]) => void)) continue;
    restored.push([key, original]);
    target[key] = (...args: unknown[]) => {
      const lazy = args.some((a) => a instanceof Tensor && a._lazy instanceof LazyValue && !a._lazy.escaped);
      if (lazy && frame.trace !== null) frame.deferred.push(() => (original as (...a: unknown[]) => void).apply(console, args));
      else (original as (...a: unknown[]) => void).apply(console, args);
    };
  }
  return () => {
    for (const [k, v] of restored) target[k] = v;
  };
}

// ------------------------------------------------------------------ data access from tensors

installAccessHooks({
  realize(t: Tensor, access: AccessKind) {
    const h = t._lazy;
    if (h instanceof LazyValue) {
      const trace = h.storage.trace as GraphTrace;
      if (trace.pending !== null) {
        trace.pending.force();
        return;
      }
      if (!trace.active) {
        throw new KilnError("this tensor belongs to a compiled call that failed; its value was never computed");
      }
      const frame = trace.owner as Frame;
      frame.graphBreak(BREAK_FOR_ACCESS[access], reasonForAccess(access, t.shape));
      if (t._lazy !== null) throw new KilnError("kiln internal error: a tensor stayed lazy after its graph ran");
    }
  },
  observeRead(t: Tensor, access: AccessKind) {
    const tracer = activeTracer;
    if (tracer instanceof GraphTrace && tracer.hasPendingWrite(t)) {
      (tracer.owner as Frame).graphBreak(BREAK_FOR_ACCESS[access], `${reasonForAccess(access, t.shape)} (its memory was written inside the graph)`);
    }
  },
  beforeWrite(_storage: Storage) {},
});
