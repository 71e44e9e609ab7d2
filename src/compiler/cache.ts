// The cache of compiled graphs per graph position of a compiled function, the guard check that
// matches a freshly traced graph against it, recompile reasons, and automatic dynamic shapes.
import type { CompiledGraph } from "../backends/types.js";
import { OUTPUTS_SEPARATOR, STEP_SEPARATOR, type InputMeta } from "./trace.js";

export interface CacheEntry {
  structureKey: string;
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
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether a cached entry's guards accept these inputs. */
export function guardsPass(entry: CacheEntry, structureKey: string, inputs: InputMeta[]): boolean {
  if (entry.structureKey !== structureKey || entry.inputs.length !== inputs.length) return false;
  for (let i = 0; i < inputs.length; i++) {
    const e = entry.inputs[i]!;
    const a = inputs[i]!;
    if (e.kind !== a.kind || e.dtype !== a.dtype || e.contiguous !== a.contiguous) return false;
    if (e.shape.length !== a.shape.length) return false;
    const dyn = entry.dynamicDims[i]!;
    for (let d = 0; d < a.shape.length; d++) if (!dyn.has(d) && e.shape[d] !== a.shape[d]) return false;
    if (e.kind === "scalar" && !entry.dynamicValue[i] && !Object.is(e.value, a.value)) return false;
  }
  return true;
}

/** Differences between an entry and new inputs, in PyTorch's recompile-reason style. */
function inputDifferences(entry: CacheEntry, inputs: InputMeta[]): { reasons: string[]; sizeDims: [number, number][]; values: number[] } {
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

function describeStructureChange(previous: string, current: string): string {
  const a = previous.split(OUTPUTS_SEPARATOR)[0]!.split(STEP_SEPARATOR);
  const b = current.split(OUTPUTS_SEPARATOR)[0]!.split(STEP_SEPARATOR);
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
export function recompileReason(cache: PositionCache, structureKey: string, inputs: InputMeta[]): RecompileDecision {
  const sameStructure = cache.entries.filter((e) => e.structureKey === structureKey && e.inputs.length === inputs.length);
  if (sameStructure.length === 0) {
    const last = cache.entries[cache.entries.length - 1]!;
    return { reason: describeStructureChange(last.structureKey, structureKey), newDynamicDims: [], newDynamicValues: [] };
  }
  let best: ReturnType<typeof inputDifferences> | null = null;
  for (const e of sameStructure) {
    const d = inputDifferences(e, inputs);
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
