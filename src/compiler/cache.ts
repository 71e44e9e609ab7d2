// The cache of compiled graphs per graph position of a compiled function, the guard check that
// matches a freshly traced graph against it, recompile reasons, and automatic dynamic shapes.
// A trace is compared with the entry its position used last while it records (GraphTrace.expected),
// step by step and input by input, so a lookup usually only confirms what is already known.
import type { CompiledGraph } from "../backends/types.js";
import type { Tensor } from "../core/tensor.js";
import type { Node, PlaceholderKind } from "./graph.js";
import type { FrozenSignature } from "./signature.js";
import type { InputMeta } from "./trace.js";

/** What a lookup compares: the new trace's steps, its graph's nodes, its chosen outputs and input metadata. */
export interface TraceSignature {
  steps: readonly number[];
  nodes: readonly Node[];
  outputs: readonly Node[];
  /** The graph's inputs and their placeholder kinds, in placeholder order (guards read them directly). */
  inputTensors: readonly Tensor[];
  inputKinds: readonly PlaceholderKind[];
  /** The inputs' guard metadata as records (made on request: recompile reasons and new entries need them). */
  inputs(): readonly InputMeta[];
  /** The same structure frozen, made only when a readable comparison is needed (recompile reasons). */
  freeze(): FrozenSignature;
  /** The entry the trace was compared with while it recorded, and how many leading steps and inputs matched it. */
  expected: CacheEntry | null;
  stepsMatched: number;
  inputsMatched: number;
}

export interface CacheEntry {
  signature: FrozenSignature;
  inputs: InputMeta[];
  /** Per input: dims compiled as dynamic (any size matches). */
  dynamicDims: Set<number>[];
  /** Per input: scalar value is a runtime input rather than a constant. */
  dynamicValue: boolean[];
  compiled: CompiledGraph;
}

/** What a position has learnt: compiled entries and which inputs turned out to vary. */
export class PositionCache {
  readonly entries: CacheEntry[] = [];
  /** Inputs (by placeholder index) whose sizes varied: those dims are compiled dynamic. */
  readonly dynamicDims = new Map<number, Set<number>>();
  readonly dynamicValues = new Set<number>();
  exhausted = false;
  lastReason = "";
  /** The entry found or compiled last: the next trace of this position is compared with it as it records. */
  lastUsed: CacheEntry | null = null;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameStructure(entry: CacheEntry, trace: TraceSignature): boolean {
  const checked = entry === trace.expected ? trace.stepsMatched : 0;
  return entry.inputs.length === trace.inputTensors.length && entry.signature.matches(trace.steps, trace.nodes, trace.outputs, checked);
}

/** Whether a cached entry matches a new trace: the same structure, and its guards accept the inputs. */
export function entryMatches(entry: CacheEntry, trace: TraceSignature): boolean {
  const tensors = trace.inputTensors;
  if (entry.inputs.length !== tensors.length) return false;
  // Input guards first: they are cheaper and tell apart entries that recompiled for new sizes.
  for (let i = entry === trace.expected ? trace.inputsMatched : 0; i < tensors.length; i++) {
    if (!tensorMatches(entry, i, trace.inputKinds[i]!, tensors[i]!)) return false;
  }
  return sameStructure(entry, trace);
}

/**
 * Whether an entry's guards accept tensor `t` (a placeholder of this kind) as its input i. The
 * tensor is read at lookup time: a concrete input's metadata cannot change while a trace records
 * (writes to it are lazy), so this is what it was when its placeholder was made.
 */
export function tensorMatches(entry: CacheEntry, i: number, kind: PlaceholderKind, t: Tensor): boolean {
  const e = entry.inputs[i];
  if (e === undefined || e.kind !== kind || e.dtype !== t.dtype) return false;
  const shape = t.shape;
  if (e.shape.length !== shape.length) return false;
  const dyn = entry.dynamicDims[i]!;
  for (let d = 0; d < shape.length; d++) if (e.shape[d] !== shape[d] && !dyn.has(d)) return false;
  if (kind === "scalar") return entry.dynamicValue[i]! || Object.is(e.value, t._storage!.data[t._offset]);
  return e.contiguous === t.isContiguous();
}

/** Differences between an entry and new inputs, in PyTorch's recompile-reason style. */
function inputDifferences(entry: CacheEntry, inputs: readonly InputMeta[]): { reasons: string[]; sizeDims: [number, number][]; values: number[] } {
  const reasons: string[] = [];
  const sizeDims: [number, number][] = [];
  const values: number[] = [];
  inputs.forEach((a, i) => {
    const e = entry.inputs[i]!;
    const what = a.kind === "scalar" ? `number argument ${a.name}` : `input ${a.name}`;
    if (e.dtype !== a.dtype) reasons.push(`${what}: dtype mismatch: expected ${e.dtype}, actual ${a.dtype}`);
    else if (e.shape.length !== a.shape.length) {
      reasons.push(`${what}: rank mismatch: expected ${e.shape.length}, actual ${a.shape.length}`);
    } else {
      for (let d = 0; d < a.shape.length; d++) {
        if (!entry.dynamicDims[i]!.has(d) && e.shape[d] !== a.shape[d]) {
          reasons.push(`${what}: size mismatch at dim ${d}: expected ${e.shape[d]}, actual ${a.shape[d]}`);
          sizeDims.push([i, d]);
        }
      }
      if (e.contiguous !== a.contiguous) reasons.push(`${what}: expected a ${e.contiguous ? "" : "non-"}contiguous tensor`);
      if (a.kind === "scalar" && !entry.dynamicValue[i] && !Object.is(e.value, a.value)) {
        reasons.push(`${what}: value changed: expected ${e.value}, actual ${a.value}`);
        values.push(i);
      }
    }
  });
  return { reasons, sizeDims, values };
}

/** A step of the structure key in words: `sin(...)`, `a new tensor input`, `a write`. */
function describeStep(step: string | undefined): string {
  if (step === undefined) return "the end of the graph";
  if (step.startsWith("P")) return `a new ${step.slice(1)} input`;
  if (step.startsWith("W")) return "an in-place write";
  if (step.startsWith("S(")) return "a write through a view";
  if (step.startsWith("G")) return `output ${step.slice(1)} of a multi-output op`;
  const m = /^([^(]+)\([^)]*\)(\{.*\})?/.exec(step);
  if (!m) return step;
  const attrs = m[2] && m[2] !== "{}" ? ` with ${m[2].slice(1, -1).replace(/;$/, "").replace(/;/g, ", ").replace(/:/g, "=")}` : "";
  const text = `${m[1]}(...)${attrs}`;
  return text.length > 100 ? text.slice(0, 97) + "..." : text;
}

function describeStructureChange(previous: FrozenSignature, current: FrozenSignature): string {
  const a = previous.stepStrings();
  const b = current.stepStrings();
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `graph changed at step ${i}: expected ${describeStep(a[i])}, actual ${describeStep(b[i])}`;
  }
  return "graph outputs changed";
}

export interface RecompileDecision {
  reason: string;
  /** Dims (input index, dim) that automatic dynamic now treats as dynamic. */
  newDynamicDims: [number, number][];
  newDynamicValues: number[];
}

/** Explains why no entry matched, choosing the nearest entry (fewest differences). */
export function recompileReason(cache: PositionCache, trace: TraceSignature): RecompileDecision {
  const candidates = cache.entries.filter((e) => sameStructure(e, trace));
  if (candidates.length === 0) {
    const last = cache.entries[cache.entries.length - 1]!;
    return { reason: describeStructureChange(last.signature, trace.freeze()), newDynamicDims: [], newDynamicValues: [] };
  }
  let best: ReturnType<typeof inputDifferences> | null = null;
  for (const e of candidates) {
    const d = inputDifferences(e, trace.inputs());
    if (best === null || d.reasons.length <= best.reasons.length) best = d; // ties: the newest entry
  }
  return {
    reason: best!.reasons.join("; ") || "guard failed",
    newDynamicDims: best!.sizeDims,
    newDynamicValues: best!.values,
  };
}

/** Readable guards of an entry, for the `guards` log. */
export function describeGuards(entry: CacheEntry): string {
  return entry.inputs
    .map((m, i) => {
      if (m.kind === "rng") return `${m.name}: random seed and offset (runtime)`;
      if (m.kind === "scalar") return `${m.name}: number ${entry.dynamicValue[i] ? "(dynamic)" : `== ${m.value}`}`;
      const dims = m.shape.map((s, d) => (entry.dynamicDims[i]!.has(d) ? "s" + d : String(s)));
      return `${m.name}: ${m.dtype}[${dims.join(", ")}]${m.contiguous ? " contiguous" : " strided"}`;
    })
    .join("\n");
}

export { sameList };
