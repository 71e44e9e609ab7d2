// The JavaScript renderer: turns one scheduled kernel into the source of a function, for one
// loop variant (how many loop dims remain after merging, and whether each access's innermost
// stride is 1, 0 or something else). Pointwise work is the registry's scalar expressions and
// preludes; reductions are Reducer templates. Per row: the reductions run as phases over the
// reduced dims, full-level values are computed inline where a phase needs them, and row values
// (reduction results, pointwise work on them) are locals of the row.
import type { DType } from "../../core/dtype.js";
import type { Access, Kernel, Member } from "./schedule.js";
import { memberConstants, renameIds } from "./fragments.js";
import { kernelPhases } from "./phases.js";

/** The loop shape of one plan of a kernel: ranks after merging and innermost stride classes. */
export interface Variant {
  /** Outer (kept) dims after merging: 0, 1 or more ("m"). */
  outer: 0 | 1 | "m";
  /** Reduced (inner) dims after merging: 1 or more. */
  inner: 1 | "m";
  /** Per access: innermost stride 1, 0 or another value ("n"). */
  strides: ("1" | "0" | "n")[];
  /** Rows are short enough to keep expensive values of one phase for the next (`P.scratch`). */
  rowCache: boolean;
}

export function variantKey(v: Variant): string {
  return `${v.outer}${v.inner}${v.rowCache ? "c" : ""}${v.strides.join("")}`;
}

/** The value stored in a typed array of `dtype`, as an expression (exactly what a store does). */
export function castTo(dtype: DType, e: string): string {
  switch (dtype) {
    case "float32":
      return `Math.fround(${e})`;
    case "int32":
      return `((${e}) | 0)`;
    case "bool":
      return `((${e}) ? 1 : 0)`;
    default:
      return `+(${e})`;
  }
}

export interface RenderedKernel {
  source: string;
  /** Phases per row (passes over the reduced dims). */
  phases: number;
  /** Row-sized scratch buffers the kernel reads from `P.scratch`. */
  scratch: number;
}

/** Math functions worth keeping rather than recomputing in a later phase. */
const EXPENSIVE = /Math\.(?!fround|abs|imul|max|min|trunc|floor|ceil)\w+/;

/** Renders kernel `k` for variant `v` as the body of `function (D, O, P, A)`. */
export function renderKernel(k: Kernel, v: Variant): RenderedKernel {
  const kp = kernelPhases(k);
  const phases = kp.count;

  const L: string[] = [];
  const acc = (a: Access) => a.index;
  const usedAccesses = new Set<Access>();
  const value = (m: Member) => `v${kp.index.get(m)!}`;
  const operandExpr = (o: Member["operands"][number]) => ("member" in o ? value(o.member) : `l${acc(o.access)}`);

  // Preludes, renamed per member so two ops declaring the same constant can share a kernel.
  const preludes: string[] = [];
  const { renames, constants } = memberConstants(k, kp.live);
  // Attributes are constants of the graph: preludes folded to literals V8 can fold further.
  for (const c of constants) {
    if (c.folded) c.folded.forEach(([name, lit]) => preludes.push(`const ${name} = ${lit};`));
    else preludes.push(`const A${c.index} = A[${c.index}];`, renameIds(c.text, renames.get(c.member)!));
  }

  const compute = (m: Member): string => {
    const i = kp.index.get(m)!;
    const args = m.operands.map(operandExpr);
    const inDTypes = m.operands.map((o) => ("member" in o ? o.member.node.dtype : (o.access.views.length ? o.access.views[o.access.views.length - 1]! : o.access.source).dtype));
    const expr = renameIds(m.def.pointwise!(args, m.node.dtype, m.attrs, inDTypes), renames.get(m)!);
    return `const v${i} = ${castTo(m.node.dtype, expr)};`;
  };

  // Full members needed (transitively) to produce the given ones, in kernel order; cached ones
  // are read back from their row scratch buffer instead of being recomputed.
  const cached = new Map<Member, number>();

  const body: string[] = [];
  const indent = (lines: string[], n: number) => lines.map((l) => "  ".repeat(n) + l);
  for (const a of kp.rowLoads) {
    usedAccesses.add(a);
    body.push(`const l${a.index} = D${a.index}[p${a.index}];`);
  }
  for (const m of kp.reductions) body.push(`let ${value(m)};`);
  const rowPointwise = (ready: number) => {
    for (const m of kp.rowMembersReadyAt(ready)) body.push(compute(m));
  };
  rowPointwise(0);

  const laterNeeds = (p: number): Set<Member> => {
    const out = new Set<Member>();
    for (let q = p + 1; q < phases; q++) for (const m of kp.membersOf(q)) out.add(m);
    return out;
  };
  for (let p = 0; p < phases; p++) {
    const red = kp.reductionOf(p);
    const stores = kp.storesOf(p);
    const redInput = red ? red.operands[0]! : null;
    const ms = kp.membersOf(p, (m) => cached.has(m));
    const toCache: Member[] = [];
    if (v.rowCache && p + 1 < phases) {
      const later = laterNeeds(p);
      for (const m of ms) {
        if (cached.has(m) || !later.has(m)) continue;
        if (EXPENSIVE.test(compute(m))) toCache.push(m);
      }
    }
    const accs = kp.accessesOf(ms, red ? [red] : [], stores);
    accs.forEach((a) => usedAccesses.add(a));
    const ph: string[] = [`// phase ${p}${red ? `: ${red.def.name}` : ""}${stores.length ? `, writes ${stores.map(value).join(", ")}` : ""}`, "{"];
    if (red) {
      ph.push(`  const count = rn;`);
      ph.push(`  ${red.reducer!.reducer.init}`);
    }
    ph.push(`  ${accs.map((a) => `let q${a.index} = p${a.index};`).join(" ")}`);
    ph.push(`  for (let _done = 0; _done < rn; _done += ri) {`);
    const inner: string[] = [];
    for (const a of accs) {
      if (a.store) continue;
      const cls = v.strides[a.index];
      if (cls === "0") ph.push(`    const l${a.index} = D${a.index}[q${a.index}];`);
      else inner.push(`const l${a.index} = D${a.index}[q${a.index} + ${cls === "1" ? "_r" : `_r * is${a.index}`}];`);
    }
    for (const m of ms) {
      if (cached.has(m)) inner.push(`const ${value(m)} = S${cached.get(m)}[_done + _r];`);
      else inner.push(compute(m));
    }
    for (const m of toCache) inner.push(`S${cached.size + toCache.indexOf(m)}[_done + _r] = ${value(m)};`);
    for (const m of stores) {
      const a = m.store!;
      const cls = v.strides[a.index];
      inner.push(`D${a.index}[q${a.index}${cls === "1" ? " + _r" : cls === "0" ? "" : ` + _r * is${a.index}`}] = ${value(m)};`);
    }
    if (red) {
      const stepMap = renames.get(red)!;
      inner.push(`{ const x = ${operandExpr(redInput!)}, r = _done + _r; ${renameIds(red.reducer!.reducer.step, stepMap)} }`);
    }
    ph.push(`    for (let _r = 0; _r < ri; _r++) {`, ...indent(inner, 3), `    }`);
    if (v.inner === "m") {
      ph.push(`    for (let d = rRank - 2; d >= 0; d--) {`);
      ph.push(`      ridx[d]++;`);
      for (const a of accs) ph.push(`      q${a.index} += rs${a.index}[d];`);
      ph.push(`      if (ridx[d] < rShape[d]) break;`);
      for (const a of accs) ph.push(`      q${a.index} -= rs${a.index}[d] * rShape[d];`);
      ph.push(`      ridx[d] = 0;`, `    }`);
    }
    ph.push(`  }`);
    if (red) ph.push(`  ${value(red)} = ${castTo(red.node.dtype, renameIds(red.reducer!.reducer.result, renames.get(red)!))};`);
    ph.push("}");
    body.push(...ph);
    for (const m of toCache) cached.set(m, cached.size);
    if (red) rowPointwise(p + 1);
  }
  for (const m of k.members) {
    if (m.store && m.level === "row") {
      usedAccesses.add(m.store);
      body.push(`D${m.store.index}[p${m.store.index}] = ${value(m)};`);
    }
  }

  const used = [...usedAccesses].sort((a, b) => a.index - b.index);
  L.push(`// kernel ${k.id}: ${k.members.filter((m) => kp.live.has(m)).map((m) => m.def.name).join(", ")}`);
  L.push(...used.map((a) => `const D${a.index} = D[${a.index}];`));
  L.push(...preludes);
  for (let i = 0; i < cached.size; i++) L.push(`const S${i} = P.scratch[${i}];`);
  L.push(`const on = P.on, rn = P.rn, ri = P.ri;`);
  if (v.inner === "m") L.push(`const rShape = P.rShape, rRank = rShape.length, ridx = new Int32Array(rRank);`, ...used.map((a) => `const rs${a.index} = P.rs[${a.index}];`));
  for (const a of used) if (v.strides[a.index] === "n") L.push(`const is${a.index} = P.is[${a.index}];`);
  if (v.outer === 1) L.push(...used.map((a) => `const os${a.index} = P.os[${a.index}][0];`));
  if (v.outer === "m") L.push(`const oShape = P.oShape, oRank = oShape.length, oidx = new Int32Array(oRank);`, ...used.map((a) => `const os${a.index} = P.os[${a.index}];`));
  L.push(used.map((a) => `let p${a.index} = O[${a.index}];`).join(" "));
  L.push(`for (let _o = 0; _o < on; _o++) {`);
  L.push(...indent(body, 1));
  if (v.outer === 1) L.push(`  ${used.map((a) => `p${a.index} += os${a.index};`).join(" ")}`);
  if (v.outer === "m") {
    L.push(`  for (let d = oRank - 1; d >= 0; d--) {`, `    oidx[d]++;`);
    for (const a of used) L.push(`    p${a.index} += os${a.index}[d];`);
    L.push(`    if (oidx[d] < oShape[d]) break;`);
    for (const a of used) L.push(`    p${a.index} -= os${a.index}[d] * oShape[d];`);
    L.push(`    oidx[d] = 0;`, `  }`);
  }
  L.push(`}`);
  return { source: L.join("\n"), phases, scratch: cached.size };
}
