// The structural half of a graph's signature (DESIGN.md: "the signature is the guard set"): the
// steps a trace recorded, in order (inputs by kind, op calls with their wiring and attributes,
// getitems, writes), and which values are outputs. Recording a step pushes one number; a cache
// entry keeps a frozen copy of its trace's steps, and a lookup compares the new trace with it
// step by step, so a cache hit never builds a string. The readable form (`stepStrings`) is made
// only to explain a recompile.
import type { Node } from "./graph.js";

/**
 * A step is `nodeId * 4 + tag`: a node the trace added (placeholder, op call, getitem), a cast or
 * strided scatter added by a write, or (tag WRITE) the write itself, naming the value written.
 */
export const STEP_NODE = 0;
export const STEP_WRITE_CAST = 1;
export const STEP_WRITE_SCATTER = 2;
export const STEP_WRITE = 3;

export function step(nodeId: number, tag: number): number {
  return nodeId * 4 + tag;
}

/**
 * A copy of a trace's structure owned by a cache entry, independent of the graph's objects. Flat
 * arrays indexed by step (arguments and attributes by ranges) keep the comparison of a long
 * trace a linear scan.
 */
export class FrozenSignature {
  private constructor(
    private readonly steps: Int32Array,
    /** Per step: 1 for a placeholder, 0 for a call (or a write). */
    private readonly isPlaceholder: Uint8Array,
    /** Per step: the call target, or the placeholder kind ("" for writes). */
    private readonly targets: readonly string[],
    /** Argument ids of step i: argIds[argStart[i] .. argStart[i + 1]). */
    private readonly argStart: Int32Array,
    private readonly argIds: Int32Array,
    /** Attributes of step i, in key order: attrKeys/attrValues[attrStart[i] .. attrStart[i + 1]). */
    private readonly attrStart: Int32Array,
    private readonly attrKeys: readonly string[],
    private readonly attrValues: readonly unknown[],
    private readonly outputIds: Int32Array,
  ) {}

  static of(steps: readonly number[], nodes: readonly Node[], outputs: readonly Node[]): FrozenSignature {
    const n = steps.length;
    const isPlaceholder = new Uint8Array(n);
    const targets: string[] = [];
    const argStart = new Int32Array(n + 1);
    const argIds: number[] = [];
    const attrStart = new Int32Array(n + 1);
    const attrKeys: string[] = [];
    const attrValues: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const s = steps[i]!;
      if ((s & 3) === STEP_WRITE) targets.push("");
      else {
        const node = nodes[s >> 2]!;
        isPlaceholder[i] = node.op === "placeholder" ? 1 : 0;
        targets.push(node.op === "placeholder" ? node.placeholderKind! : node.target);
        for (const a of node.args) argIds.push(a.id);
        for (const k of Object.keys(node.attrs)) {
          attrKeys.push(k);
          attrValues.push(frozenCopy(node.attrs[k]));
        }
      }
      argStart[i + 1] = argIds.length;
      attrStart[i + 1] = attrKeys.length;
    }
    return new FrozenSignature(
      Int32Array.from(steps),
      isPlaceholder,
      targets,
      argStart,
      Int32Array.from(argIds),
      attrStart,
      attrKeys,
      attrValues,
      Int32Array.from(outputs, (o) => o.id),
    );
  }

  /**
   * Whether a trace's steps (over its graph's nodes) and outputs are structurally this signature,
   * given that its first `checked` steps are already known to match (compared while recording).
   */
  matches(steps: readonly number[], nodes: readonly Node[], outputs: readonly Node[], checked = 0): boolean {
    if (steps.length !== this.steps.length || outputs.length !== this.outputIds.length) return false;
    for (let i = 0; i < outputs.length; i++) if (outputs[i]!.id !== this.outputIds[i]) return false;
    for (let i = checked; i < steps.length; i++) if (!this.stepMatches(i, steps[i]!, nodes)) return false;
    return true;
  }

  /** Whether step `s` of a trace, its i-th, is this signature's i-th step. */
  stepMatches(i: number, s: number, nodes: readonly Node[]): boolean {
    if (i >= this.steps.length || s !== this.steps[i]) return false;
    if ((s & 3) === STEP_WRITE) return true;
    const n = nodes[s >> 2]!;
    if (n.op === "placeholder") return this.isPlaceholder[i] === 1 && n.placeholderKind === this.targets[i];
    if (this.isPlaceholder[i] !== 0 || n.target !== this.targets[i]) return false;
    const args = n.args;
    const start = this.argStart[i]!;
    if (args.length !== this.argStart[i + 1]! - start) return false;
    for (let j = 0; j < args.length; j++) if (args[j]!.id !== this.argIds[start + j]) return false;
    return attrsMatch(n.attrs, this.attrKeys, this.attrValues, this.attrStart[i]!, this.attrStart[i + 1]!);
  }

  /**
   * The steps as text, one string per step: `P<kind>` (a new input), `name(ids,){attrs}` (an op
   * call), `G<i>` (output i of a multi-output op), `cast(id)<dtype>` and `S(ids){window}` (a
   * write's cast and scatter), `W<id>` (a write). Made only to explain why a graph did not match.
   */
  stepStrings(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.steps[i]!;
      const tag = s & 3;
      const ids = Array.from(this.argIds.subarray(this.argStart[i], this.argStart[i + 1]));
      const attrAt = (key: string): unknown => {
        for (let k = this.attrStart[i]!; k < this.attrStart[i + 1]!; k++) if (this.attrKeys[k] === key) return this.attrValues[k];
        return undefined;
      };
      let attrs = "{";
      for (let k = this.attrStart[i]!; k < this.attrStart[i + 1]!; k++) attrs += this.attrKeys[k] + ":" + scalarKey(this.attrValues[k]) + ";";
      attrs += "}";
      if (tag === STEP_WRITE) out.push(`W${s >> 2}`);
      else if (tag === STEP_WRITE_CAST) out.push(`cast(${ids[0]})${String(attrAt("dtype"))}`);
      else if (tag === STEP_WRITE_SCATTER) out.push(`S(${ids.join(",")})${attrs}`);
      else if (this.isPlaceholder[i] === 1) out.push(`P${this.targets[i]}`);
      else if (this.targets[i] === "getitem") out.push(`G${String(attrAt("index"))}`);
      else out.push(this.targets[i] + "(" + ids.map((id) => id + ",").join("") + ")" + attrs);
    }
    return out;
  }
}

/** A snapshot of an attribute value: arrays, plain objects and typed arrays are copied. */
function frozenCopy(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(frozenCopy);
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice();
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = frozenCopy((v as Record<string, unknown>)[k]);
  return out;
}

/** Attributes equal to keys/values[start .. end), keys in the same order (no allocation for flat attributes). */
function attrsMatch(attrs: Readonly<Record<string, unknown>>, keys: readonly string[], values: readonly unknown[], start: number, end: number): boolean {
  let i = start;
  for (const k in attrs) {
    if (i >= end || k !== keys[i] || !valueMatches(attrs[k], values[i])) return false;
    i++;
  }
  return i === end;
}

/** Exact equality of attribute values: numbers by Object.is (-0 is not 0, NaN is NaN), containers by content. */
function valueMatches(a: unknown, b: unknown): boolean {
  if (typeof a === "number") return typeof b === "number" && Object.is(a, b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueMatches(a[i], b[i])) return false;
    return true;
  }
  if (ArrayBuffer.isView(a)) {
    if (!ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.prototype || Array.isArray(b) || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const keys = Object.keys(b);
  return attrsMatch(a as Record<string, unknown>, keys, keys.map((k) => (b as Record<string, unknown>)[k]), 0, keys.length);
}

function scalarKey(v: unknown): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) {
    let s = "[";
    for (const x of v) s += scalarKey(x) + ",";
    return s + "]";
  }
  return JSON.stringify(v) ?? String(v);
}
