// One call of a compiled function: starts a trace, turns each graph break into "run the graph so
// far, continue with real values, start a new graph", and at the end runs the last graph and
// hands back real tensors. Graph positions (0, 1, 2, ... in the order graphs end) key the cache.
import { KilnError } from "../core/errors.js";
import { shapesEqual } from "../core/shape.js";
import type { Storage } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import { replaceStorageData, runEager, writeInto } from "../dispatch/dispatch.js";
import { noGrad } from "../dispatch/grad-mode.js";
import { activeTracer, setTracer, type Tracer } from "../dispatch/tracer.js";
import type { GradNode } from "../dispatch/grad-node.js";
import type { AnyOpDef, OutputMeta } from "../ops/registry.js";
import { eagerBackend } from "../backends/eager.js";
import { defaultBackend, jsBackend, nativeBackend } from "../backends/default.js";
import type { Backend, CompiledGraph } from "../backends/types.js";
import { entryMatches, recompileReason, describeGuards, PositionCache, type CacheEntry, type TraceSignature } from "./cache.js";
import { config, counters } from "./config.js";
import { BackendCompilerError, GraphBreakError, formatBreak, type GraphBreakInfo, type GraphBreakType } from "./errors.js";
import type { Node, PlaceholderKind } from "./graph.js";
import { dependentsOf } from "./graph-utils.js";
import { HINTS } from "./hints.js";
import { LazyValue, type LazyStorage } from "./lazy.js";
import { log, logEnabled } from "./logs.js";
import { emit, listening, now } from "./events.js";
import { PendingGroup } from "./pending.js";
import { collectors, dynamicMarksOf, modes, type CompiledFunctionState } from "./state.js";
import { FrozenSignature } from "./signature.js";
import { GraphTrace, type InputMeta, type TraceOwner } from "./trace.js";
import { captureUserStack } from "./user-stack.js";

/** Backends by name; "default" is the code generator with its best available target. */
export const builtinBackends: Record<"eager" | "default" | "js" | "native", Backend> = {
  eager: eagerBackend,
  default: defaultBackend,
  js: jsBackend,
  native: nativeBackend,
};

const frameStack: Frame[] = [];

export function activeFrame(): Frame | null {
  // Checked on every compiled call: avoid reading index -1 of an empty array (a slow property lookup).
  return frameStack.length === 0 ? null : frameStack[frameStack.length - 1]!;
}

function removeFrame(frame: Frame): void {
  if (frameStack[frameStack.length - 1] === frame) frameStack.pop();
  else {
    const i = frameStack.lastIndexOf(frame);
    if (i >= 0) frameStack.splice(i, 1);
  }
}

/** The frame whose trace is recording right now, if any. */
export function recordingFrame(): Frame | null {
  const f = activeFrame();
  return f !== null && f.trace !== null && activeTracer === f.trace ? f : null;
}

type FinishKind = "break" | "end";

export class Frame implements TraceOwner {
  trace: GraphTrace | null = null;
  position = 0;
  private prevTracer: Tracer | null = null;
  /** Names of the arguments (tensors by identity, numbers by value), made when first asked for. */
  private argNames: { tensors: Map<Tensor, string>; numbers: Map<number, string> } | null = null;
  private unnamed = 0;
  /** Logging calls deferred until the current graph has run (reorderable logging). */
  readonly deferred: (() => void)[] = [];

  constructor(
    readonly state: CompiledFunctionState,
    private readonly args: readonly unknown[],
  ) {}

  private nameArgs(v: unknown, name: string, depth: number): void {
    const names = this.argNames!;
    if (v instanceof Tensor) {
      if (!names.tensors.has(v)) names.tensors.set(v, name);
    } else if (typeof v === "number" && !names.numbers.has(v)) names.numbers.set(v, name);
    else if (Array.isArray(v) && depth < 3) v.forEach((x, j) => this.nameArgs(x, `${name}[${j}]`, depth + 1));
  }

  /** A readable name for a graph input (asked for only when a graph is compiled or printed). */
  nameFor(t: Tensor): string {
    if (this.argNames === null) {
      this.argNames = { tensors: new Map(), numbers: new Map() };
      this.args.forEach((a, i) => this.nameArgs(a, this.state.paramNames[i] ?? `arg${i}`, 0));
    }
    if (t._wrappedNumber) return this.argNames.numbers.get(t._storage!.data[0]!) ?? "scalar";
    return this.argNames.tensors.get(t) ?? this.state.tensorNames?.get(t) ?? `tensor_${this.unnamed++}`;
  }

  currentTrace(): GraphTrace {
    return this.trace!;
  }

  begin(): void {
    frameStack.push(this);
    this.prevTracer = activeTracer;
    this.startTrace();
  }

  private startTrace(): void {
    this.trace = new GraphTrace(this, false, this.state.positions.get(this.position)?.lastUsed ?? null);
    setTracer(this.trace);
  }

  /** Leaves the frame after the function returned: runs the last graph. */
  end(result: unknown): void {
    try {
      if (this.trace) this.finishGraph("end", result);
    } finally {
      this.leave();
    }
  }

  /** Leaves the frame at an async function's first await: the graph runs, all its values become concrete. */
  endAtAwait(): void {
    try {
      if (this.trace) this.finishGraph("break", undefined);
    } finally {
      this.leave();
    }
  }

  /** Leaves the frame after the function threw: effects recorded so far still happen. */
  fail(error: unknown): void {
    try {
      if (this.trace && !(error instanceof GraphBreakError)) this.finishGraph("break", undefined);
    } finally {
      this.leave();
    }
  }

  private leave(): void {
    this.trace = null;
    setTracer(this.prevTracer);
    removeFrame(this);
  }

  /** compiler.skipFrame(): run the graph so far, then the rest of this call eagerly. */
  skip(): void {
    this.state.skipped = true;
    if (this.trace) this.finishGraph("break", undefined);
    this.trace = null;
    setTracer(null);
  }

  runEagerOp(def: AnyOpDef, inputs: readonly Tensor[], attrs: object, metas: OutputMeta[]): Tensor[] {
    const prev = setTracer(null);
    try {
      return runEager(def, inputs, attrs, metas);
    } finally {
      setTracer(prev);
    }
  }

  /** A graph break: refuse it (fullgraph, errorOnGraphBreak) or run the graph so far and start anew. */
  graphBreak(type: GraphBreakType, reason: string): void {
    // The user's stack is costly to capture and parse: only when something will show it.
    const describe = (): GraphBreakInfo => ({ type, reason, userStack: captureUserStack(), hints: HINTS[type] });
    const strict = modes.errorOnBreak.length ? modes.errorOnBreak[modes.errorOnBreak.length - 1]! : !!this.state.options.fullgraph;
    if (strict) {
      const info = describe();
      this.abandon();
      const why = modes.errorOnBreak.length ? "inside errorOnGraphBreak(true, ...)" : "with fullgraph: true";
      throw new GraphBreakError(info, `compile(${this.state.name}) ${why} found a graph break.`);
    }
    counters.graphBreaks++;
    if (collectors.length !== 0 || listening() || logEnabled("graph_breaks")) {
      const info = describe();
      for (const c of collectors) c.breaks.push(info);
      emit(() => ({ kind: "graph-break", fn: this.state.name, position: this.position, info, time: now() }));
      log("graph_breaks", () => `${this.state.name}: ${formatBreak(info)}`);
    }
    if (this.trace) this.finishGraph("break", undefined);
    this.startTrace();
  }

  /** Drops the trace without running it: no tensor is modified. */
  private abandon(): void {
    const trace = this.trace;
    if (!trace) return;
    trace.finish();
    for (const g of trace.writtenInputs) if (g.root._lazy instanceof LazyValue) g.root._lazy = null;
    this.trace = null;
    setTracer(this.prevTracer);
    removeFrame(this);
  }

  /** Runs the current graph and makes its needed lazy tensors concrete. */
  private finishGraph(kind: FinishKind, result: unknown): void {
    const trace = this.trace!;
    trace.finish();
    setTracer(null);
    try {
      runGraph(this, trace, kind, result);
    } finally {
      this.trace = null;
      this.position++;
      if (this.deferred.length !== 0) for (const call of this.deferred.splice(0)) call();
    }
  }
}

/** Tensors reachable from a returned value (arrays, plain objects, Maps; a few levels deep). */
function reachableTensors(v: unknown, out: Tensor[], depth = 0): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (depth > 6 || v === null || typeof v !== "object") return out;
  else if (Array.isArray(v)) for (const x of v) reachableTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) reachableTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) reachableTensors(x, out, depth + 1);
  return out;
}

/** Tensors saved for backward by autograd nodes reachable from `roots`. */
function savedForBackward(roots: Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  const stack: GradNode[] = [];
  for (const t of roots) if (t.gradFn) stack.push(t.gradFn as GradNode);
  if (stack.length === 0) return out;
  const seen = new Set<GradNode>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    let anyLazy = false;
    for (const s of n.savedTensors()) {
      if (s._lazy !== null) {
        out.push(s);
        anyLazy = true;
      }
    }
    // Nodes created before this graph save only concrete tensors: no need to walk past them.
    if (!anyLazy && seen.size > 1) continue;
    for (const e of n.nextFunctions) if (e) stack.push(e.node);
  }
  return out;
}

function groupOf(t: Tensor, trace: GraphTrace): LazyStorage | null {
  const h = t._lazy;
  return h instanceof LazyValue && h.storage.trace === trace ? h.storage : null;
}

function resolveBackend(state: CompiledFunctionState): Backend {
  const b = state.options.backend ?? "default";
  if (typeof b === "function") return b;
  const found = builtinBackends[b];
  if (!found) throw new KilnError(`unknown backend "${String(b)}"; expected "eager", "default", "js", "native" or a function`);
  return found;
}

/**
 * A finished trace seen as a signature. A class rather than an object literal with arrow
 * functions: this is made on every call, and loaders that keep function names (tsx, esbuild's
 * keepNames) add a defineProperty per named closure, measured at about 0.5 µs each.
 */
class RecordedSignature implements TraceSignature {
  readonly steps: readonly number[];
  readonly nodes: readonly Node[];
  readonly inputTensors: readonly Tensor[];
  readonly inputKinds: readonly PlaceholderKind[];
  readonly expected: CacheEntry | null;
  readonly stepsMatched: number;
  readonly inputsMatched: number;
  constructor(
    private readonly trace: GraphTrace,
    readonly outputs: readonly Node[],
  ) {
    this.steps = trace.steps;
    this.nodes = trace.graph.nodes;
    this.inputTensors = trace.inputs;
    this.inputKinds = trace.inputKinds;
    this.expected = trace.expected;
    this.stepsMatched = trace.stepsMatched;
    this.inputsMatched = trace.inputsMatched;
  }
  inputs(): readonly InputMeta[] {
    return this.trace.inputMetas;
  }
  freeze(): FrozenSignature {
    return FrozenSignature.of(this.steps, this.nodes, this.outputs);
  }
}

/** Finds or compiles the graph for this position; "eager" when past the recompile limits. */
function lookupOrCompile(frame: Frame, trace: GraphTrace, outputs: Node[]): CompiledGraph {
  const state = frame.state;
  let cache = state.positions.get(frame.position);
  if (!cache) state.positions.set(frame.position, (cache = new PositionCache()));
  const signature = new RecordedSignature(trace, outputs);
  // First match in compile order (entryMatches is quick for trace.expected: mostly checked while recording).
  for (const e of cache.entries) {
    if (entryMatches(e, signature)) {
      counters.cacheHits++;
      cache.lastUsed = e;
      return e.compiled;
    }
  }
  // A miss: recompile reasons, guards, logs and the backend name the inputs.
  trace.nameInputs();
  if (cache.exhausted || state.exhausted) {
    counters.eagerFallbacks++;
    emit(() => ({ kind: "eager-fallback", fn: state.name, position: frame.position, reason: "recompile limit reached", time: now() }));
    return eagerBackend(trace.graph);
  }
  const isRecompile = cache.entries.length > 0;
  let recompileWhy: string | undefined;
  if (isRecompile) {
    const decision = recompileReason(cache, signature);
    recompileWhy = decision.reason;
    cache.lastReason = decision.reason;
    if (state.options.dynamic !== false) {
      for (const [i, d] of decision.newDynamicDims) {
        const set = cache.dynamicDims.get(i) ?? new Set<number>();
        set.add(d);
        cache.dynamicDims.set(i, set);
      }
      for (const i of decision.newDynamicValues) cache.dynamicValues.add(i);
    }
    if (cache.entries.length >= config.recompileLimit || state.totalCompiles >= config.accumulatedRecompileLimit) {
      const accumulated = state.totalCompiles >= config.accumulatedRecompileLimit;
      if (accumulated) state.exhausted = true;
      else cache.exhausted = true;
      const limitName = accumulated ? `accumulatedRecompileLimit (${config.accumulatedRecompileLimit})` : `recompileLimit (${config.recompileLimit})`;
      log(
        "warnings",
        `function '${state.name}' hit compiler.config.${limitName} at graph ${frame.position}; last reason: ${decision.reason}. This graph position will run eagerly from now on (results stay correct).`,
      );
      counters.eagerFallbacks++;
      emit(() => ({ kind: "eager-fallback", fn: state.name, position: frame.position, reason: decision.reason, time: now() }));
      return eagerBackend(trace.graph);
    }
    counters.recompiles++;
    log("recompiles", `Recompiling function '${state.name}' (graph ${frame.position}): ${decision.reason}`);
  }
  const entry: CacheEntry = {
    signature: signature.freeze(),
    inputs: trace.inputMetas,
    dynamicDims: trace.inputMetas.map((m, i) => {
      const dims = new Set<number>(cache!.dynamicDims.get(i) ?? []);
      if (state.options.dynamic === true && m.kind === "tensor") m.shape.forEach((_, d) => dims.add(d));
      const marks = dynamicMarksOf(trace.inputs[i]!);
      if (marks) for (const d of marks) dims.add(d);
      return dims;
    }),
    dynamicValue: trace.inputMetas.map((m, i) => m.kind === "scalar" && (state.options.dynamic === true || cache!.dynamicValues.has(i))),
    compiled: eagerBackend(trace.graph),
  };
  trace.graph.placeholders.forEach((p, i) => {
    p.meta.dynamicDims = [...entry.dynamicDims[i]!];
    p.meta.dynamicValue = entry.dynamicValue[i];
  });
  counters.compiles++;
  state.totalCompiles++;
  log("graph_code", () => `${state.name} graph ${frame.position}:\n${trace.graph.toString()}`);
  log("guards", () => `${state.name} graph ${frame.position} assumes:\n${describeGuards(entry)}`);
  const compileStart = now();
  try {
    entry.compiled = resolveBackend(state)(trace.graph, trace.inputs);
  } catch (e) {
    if (e instanceof KilnError && !(e instanceof BackendCompilerError) && typeof state.options.backend !== "function") throw e;
    const message = `backend failed to compile graph ${frame.position} of '${state.name}': ${e instanceof Error ? e.message : String(e)}`;
    if (!config.suppressErrors) throw new BackendCompilerError(message, e);
    log("warnings", `${message}; running it eagerly (config.suppressErrors)`);
    counters.eagerFallbacks++;
  }
  if (entry.compiled.code !== undefined && logEnabled("output_code")) {
    log("output_code", `${state.name} graph ${frame.position}:\n${entry.compiled.code}`);
  }
  cache.entries.push(entry);
  cache.lastUsed = entry;
  const compileMs = now() - compileStart;
  emit(() => ({
    kind: "graph-compiled",
    fn: state.name,
    position: frame.position,
    graph: trace.graph,
    compileMs,
    code: entry.compiled.code,
    guards: describeGuards(entry),
    recompileReason: recompileWhy,
    time: now(),
  }));
  return entry.compiled;
}

/** Chooses outputs, runs the graph, writes back mutated inputs and realises lazy tensors. */
function runGraph(frame: Frame, trace: GraphTrace, kind: FinishKind, result: unknown): void {
  const written = trace.writtenInputs;
  // The groups whose values leave the graph, in order (each marked `needed` once).
  const groups: LazyStorage[] = [];
  for (const g of written) need(groups, g);
  for (const g of trace.persistent) need(groups, g);
  if (kind === "break") {
    for (const g of trace.storages) need(groups, g);
  } else {
    const returned = result instanceof Tensor ? [result] : reachableTensors(result, []);
    for (const t of returned) {
      const g = groupOf(t, trace);
      if (g) need(groups, g);
    }
    for (const t of savedForBackward(returned)) {
      const g = groupOf(t, trace);
      if (g) need(groups, g);
    }
  }
  let neededCreated = 0; // groups among them created in the trace (trace.storages)
  for (const g of groups) if (!g.concreteRoot) neededCreated++;
  // Escaped values computed from an input's old contents are recomputed, when read, from a copy of
  // those contents taken before the write-back: one copy per written input, instead of making
  // every such value (in a training step nearly all of them) an output of the graph.
  const writtenAt = kind === "end" && written.length ? trace.inputs.map((t) => written.some((g) => g.root === t)) : null;
  let snapshot = false;
  if (writtenAt) {
    const dependents = dependentsOf(trace.graph, new Set<Node>(trace.graph.placeholders.filter((_, i) => writtenAt[i])));
    snapshot = trace.storages.some((g) => !g.needed && dependents.has(g.value));
  }
  const outputs = groups.map((g) => g.value);
  if (trace.opCount > 0) for (const c of collectors) c.graphs.push(trace.graph);
  let results: Tensor[] = [];
  // Written inputs still hold their old contents, which is what the graph's placeholders mean.
  for (const g of written) g.root._lazy = null;
  if (outputs.length > 0) {
    trace.graph.output(outputs);
    const hitsBefore = counters.cacheHits;
    const compiled = lookupOrCompile(frame, trace, outputs);
    const runStart = listening() ? now() : 0;
    results = noGrad(() => compiled(...trace.inputs));
    if (listening()) {
      emit(() => ({
        kind: "graph-run",
        fn: frame.state.name,
        position: frame.position,
        cacheHit: counters.cacheHits > hitsBefore,
        runMs: now() - runStart,
        opCount: trace.opCount,
        time: now(),
      }));
    }
    if (!Array.isArray(results) || results.length !== outputs.length) {
      throw new BackendCompilerError(
        `backend returned ${Array.isArray(results) ? results.length : typeof results} outputs for a graph with ${outputs.length}`,
      );
    }
  }
  let pendingInputs = trace.inputs;
  noGrad(() => {
    // Outputs that share memory with an input are copied; with many of both, look storages up in a set.
    const aliasesInput = new InputAliasing(trace.inputs, groups.length > 8);
    // Results that are an input's old contents (a backend may return the input itself) are
    // copied before any input is written back, so they keep the old contents.
    if (written.length) {
      const writtenStorages = new Set(written.map((g) => g.root._storage));
      results = results.map((r) => (writtenStorages.has(r._storage) ? r.clone() : r));
    }
    // A written input whose new contents came back in a buffer of their own takes that buffer
    // (its Storage object, shared with its views, gets the new array), and its old array is its
    // snapshot: no write-back copy and no snapshot copy (a training step's parameters and
    // optimizer state, several MB each).
    const adopts = adoptableResults(groups, results, aliasesInput);
    if (snapshot) pendingInputs = trace.inputs.map((t, i) => (!writtenAt![i] ? t : adopts.has(t) ? contentsOf(t) : snapshotOf(t)));
    groups.forEach((g, i) => realizeGroup(g, results[i]!, aliasesInput, adopts.has(g.root)));
    // Views of inputs that were never written are views of the real input.
    for (const g of trace.concreteGroups) if (!g.needed) realizeMembers(g);
  });
  if (kind === "end" && neededCreated < trace.storages.length) {
    // Values not among the outputs stay lazy and are computed when first read (no pass over them now).
    trace.pending = new PendingGroup(trace.graph, pendingInputs, trace.storages, frame.state.name);
  }
}

/** Marks a group as leaving the graph (once) and lists it. */
function need(groups: LazyStorage[], g: LazyStorage): void {
  if (g.needed) return;
  g.needed = true;
  groups.push(g);
}

/** Whether a result shares memory with a graph input (with many outputs, through a set of the inputs' storages). */
class InputAliasing {
  private readonly storages: Set<Storage | null> | null;
  constructor(
    private readonly inputs: readonly Tensor[],
    useSet: boolean,
  ) {
    this.storages = useSet ? new Set(inputs.map((t) => t._storage)) : null;
  }
  has(r: Tensor): boolean {
    if (this.storages !== null) return this.storages.has(r._storage);
    for (const t of this.inputs) if (t._storage === r._storage) return true;
    return false;
  }
}

/**
 * Written inputs (group roots) that may take their result's buffer instead of a copy: the input
 * spans its whole storage contiguously, and the result is a contiguous buffer of the same dtype
 * and size that no input and no other result uses.
 */
function adoptableResults(groups: readonly LazyStorage[], results: readonly Tensor[], aliasesInput: InputAliasing): Set<Tensor> {
  const adopts = new Set<Tensor>();
  if (!groups.some((g) => g.concreteRoot)) return adopts;
  const uses = new Map<unknown, number>();
  for (const r of results) uses.set(r._storage, (uses.get(r._storage) ?? 0) + 1);
  groups.forEach((g, i) => {
    if (!g.concreteRoot) return;
    const root = g.root;
    const r = results[i]!;
    if (r.dtype !== root.dtype || !shapesEqual(r.shape, root.shape) || !spansStorage(r) || !spansStorage(root)) return;
    if (r._storage === root._storage || uses.get(r._storage) !== 1 || aliasesInput.has(r) || r._lazy !== null) return;
    adopts.add(root);
  });
  return adopts;
}

/** Whether `t` is its whole storage, contiguously from its start. */
function spansStorage(t: Tensor): boolean {
  return t._offset === 0 && t._storage !== null && t._storage.data.length === t.numel() && t.isContiguous();
}

/** An input's current contents without a copy (its array, which an adopting write-back replaces). */
function contentsOf(t: Tensor): Tensor {
  return Tensor.fromData(t._storage!.data, t.shape.slice(), t.dtype);
}

/** A copy of an input's current contents (a block copy when it is contiguous). */
function snapshotOf(t: Tensor): Tensor {
  if (!t.isContiguous()) return t.clone();
  const data = t._data();
  return Tensor.fromData(data.slice(t._offset, t._offset + t.numel()), t.shape.slice(), t.dtype);
}

function realizeView(m: Tensor, root: Tensor): void {
  if (m === root) {
    m._lazy = null;
    return;
  }
  m._storage = root._storage;
  m._lazy = null;
}

function realizeGroup(g: LazyStorage, r: Tensor, aliasesInput: InputAliasing, adopt: boolean): void {
  if (g.concreteRoot) {
    const root = g.root;
    if (adopt) replaceStorageData(root._storage!, r._storage!.data);
    else writeInto(root, r);
    realizeMembers(g);
    return;
  }
  let value = r;
  if (!value.isContiguous() || value._offset !== 0 || aliasesInput.has(value) || value.dtype !== g.root.dtype) {
    value = value.to(g.root.dtype).clone();
  }
  const root = g.root;
  root._storage = value._storage;
  root._strides = value._strides.slice();
  root._offset = 0;
  root._lazy = null;
  realizeMembers(g);
}

/** Realises a group's members as views of its (now concrete) root. */
function realizeMembers(g: LazyStorage): void {
  // An index loop: most groups share one frozen empty list, which for-of iterates slowly.
  const members = g.members;
  for (let i = 0; i < members.length; i++) realizeView(members[i]!, g.root);
}
