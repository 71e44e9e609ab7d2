// The JavaScript renderer: turns one scheduled kernel into the source of a function, for one
// loop variant (how many loop dims remain after merging, and whether each access's innermost
// stride is 1, 0 or something else). Pointwise work is the registry's scalar expressions and
// preludes; reductions are Reducer templates. Per row: the reductions run as phases over the
// reduced dims, full-level values are computed inline where a phase needs them, and row values
// (reduction results, pointwise work on them) are locals of the row.
import type { DType } from "../../core/dtype.js";
import type { Access, Kernel, Member } from "./schedule.js";

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

const DECL = /\b(?:const|let|var)\s+([\s\S]*?);/g;

/** Names a prelude declares (`const alpha = attrs.alpha, beta = ...;`). */
function declaredNames(prelude: string): string[] {
  const names: string[] = [];
  for (const m of prelude.matchAll(DECL)) {
    for (const part of m[1]!.split(",")) {
      const id = /^\s*([A-Za-z_$][\w$]*)\s*=/.exec(part);
      if (id) names.push(id[1]!);
    }
  }
  return names;
}

/** Renames identifiers (not property names) in generated text. */
function renameIds(text: string, map: Map<string, string>): string {
  if (map.size === 0) return text;
  const re = new RegExp(`(?<![\\w$.])(${[...map.keys()].join("|")})(?![\\w$])`, "g");
  return text.replace(re, (n) => map.get(n)!);
}

/** The prelude's constants as JS literals, or null when they are not all plain numbers or booleans. */
function foldPrelude(text: string, names: string[], attrs: object): string[] | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const values = new Function("attrs", `${text}\nreturn [${names.join(", ")}];`)(attrs) as unknown[];
    if (!values.every((v) => typeof v === "number" || typeof v === "boolean")) return null;
    return values.map((v) => (Object.is(v, -0) ? "-0" : String(v)));
  } catch {
    return null;
  }
}

interface MemberInfo {
  m: Member;
  index: number;
  live: boolean;
  /** Full members: first phase in which the value can be computed. Row members: phase after which it is ready. */
  ready: number;
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
  const infos = new Map<Member, MemberInfo>();
  k.members.forEach((m, index) => infos.set(m, { m, index, live: false, ready: 0 }));
  // Liveness: stored members and everything they read.
  for (let i = k.members.length - 1; i >= 0; i--) {
    const m = k.members[i]!;
    const info = infos.get(m)!;
    if (m.store) info.live = true;
    if (info.live) for (const o of m.operands) if ("member" in o) infos.get(o.member)!.live = true;
  }
  const reductions = k.members.filter((m) => m.reducer && infos.get(m)!.live);
  const phaseOf = new Map<Member, number>(reductions.map((m, i) => [m, i]));
  for (const m of k.members) {
    const info = infos.get(m)!;
    let ready = 0;
    for (const o of m.operands) {
      if (!("member" in o)) continue;
      const dep = infos.get(o.member)!;
      ready = Math.max(ready, dep.ready);
    }
    if (m.reducer) ready = Math.max(ready, phaseOf.get(m)! + 1);
    info.ready = ready;
  }
  const R = reductions.length;
  const fullStores = k.members.filter((m) => m.store && m.level === "full");
  const storePhase = (m: Member) => (R === 0 ? 0 : infos.get(m)!.ready <= R - 1 ? R - 1 : R);
  const phases = Math.max(R, ...fullStores.map((m) => storePhase(m) + 1), 0);

  const L: string[] = [];
  const acc = (a: Access) => a.index;
  const usedAccesses = new Set<Access>();
  const value = (m: Member) => `v${infos.get(m)!.index}`;
  const operandExpr = (o: Member["operands"][number]) => ("member" in o ? value(o.member) : `l${acc(o.access)}`);

  // Preludes, renamed per member so two ops declaring the same constant can share a kernel.
  const preludes: string[] = [];
  const renames = new Map<Member, Map<string, string>>();
  k.members.forEach((m, i) => {
    if (!infos.get(m)!.live) return;
    const text = m.reducer ? m.reducer.prelude : (m.def.pointwisePrelude?.(m.attrs) ?? "");
    const map = new Map<string, string>(declaredNames(text).map((n) => [n, `${n}_${i}`]));
    map.set("attrs", `A${i}`);
    renames.set(m, map);
    if (!text.trim()) return;
    // Attributes are constants of the graph: fold the prelude to literals V8 can fold further.
    const names = declaredNames(text);
    const literals = foldPrelude(text, names, m.attrs);
    if (literals) names.forEach((n, j) => preludes.push(`const ${map.get(n)} = ${literals[j]};`));
    else preludes.push(`const A${i} = A[${i}];`, renameIds(text, map));
  });

  const compute = (m: Member): string => {
    const i = infos.get(m)!.index;
    const args = m.operands.map(operandExpr);
    const inDTypes = m.operands.map((o) => ("member" in o ? o.member.node.dtype : (o.access.views.length ? o.access.views[o.access.views.length - 1]! : o.access.source).dtype));
    const expr = renameIds(m.def.pointwise!(args, m.node.dtype, m.attrs, inDTypes), renames.get(m)!);
    return `const v${i} = ${castTo(m.node.dtype, expr)};`;
  };

  // Full members needed (transitively) to produce the given ones, in kernel order; cached ones
  // are read back from their row scratch buffer instead of being recomputed.
  const cached = new Map<Member, number>();
  const closure = (roots: Member[], stopAtCached: boolean): Member[] => {
    const need = new Set<Member>();
    const visit = (m: Member) => {
      if (need.has(m) || m.level !== "full") return;
      need.add(m);
      if (stopAtCached && cached.has(m)) return;
      for (const o of m.operands) if ("member" in o) visit(o.member);
    };
    roots.forEach(visit);
    return k.members.filter((m) => need.has(m) && !m.reducer);
  };
  const fullAccessesOf = (ms: Member[], extra: Member[], stores: Member[]): Access[] => {
    const out = new Set<Access>();
    for (const m of [...ms, ...extra]) for (const o of m.operands) if (!("member" in o) && o.access.level === "full") out.add(o.access);
    for (const m of stores) out.add(m.store!);
    return [...out].sort((a, b) => a.index - b.index);
  };

  const rowLoads = new Set<Access>();
  for (const m of k.members) {
    if (!infos.get(m)!.live) continue;
    for (const o of m.operands) if (!("member" in o) && o.access.level === "row") rowLoads.add(o.access);
  }

  const body: string[] = [];
  const indent = (lines: string[], n: number) => lines.map((l) => "  ".repeat(n) + l);
  for (const a of [...rowLoads].sort((x, y) => x.index - y.index)) {
    usedAccesses.add(a);
    body.push(`const l${a.index} = D${a.index}[p${a.index}];`);
  }
  for (const m of reductions) body.push(`let ${value(m)};`);
  const rowPointwise = (ready: number) => {
    for (const m of k.members) {
      const info = infos.get(m)!;
      if (info.live && m.level === "row" && !m.reducer && info.ready === ready) body.push(compute(m));
    }
  };
  rowPointwise(0);

  const phaseRoots = (p: number): Member[] => {
    const red = p < R ? reductions[p]! : null;
    const redInput = red ? red.operands[0]! : null;
    return [...fullStores.filter((m) => storePhase(m) === p), ...(redInput && "member" in redInput ? [redInput.member] : [])];
  };
  const laterNeeds = (p: number): Set<Member> => {
    const out = new Set<Member>();
    for (let q = p + 1; q < phases; q++) for (const m of closure(phaseRoots(q), false)) out.add(m);
    return out;
  };
  for (let p = 0; p < phases; p++) {
    const red = p < R ? reductions[p]! : null;
    const stores = fullStores.filter((m) => storePhase(m) === p);
    const redInput = red ? red.operands[0]! : null;
    const ms = closure(phaseRoots(p), true);
    const toCache: Member[] = [];
    if (v.rowCache && p + 1 < phases) {
      const later = laterNeeds(p);
      for (const m of ms) {
        if (cached.has(m) || !later.has(m)) continue;
        if (EXPENSIVE.test(compute(m))) toCache.push(m);
      }
    }
    const accs = fullAccessesOf(ms, red ? [red] : [], stores);
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
  L.push(`// kernel ${k.id}: ${k.members.filter((m) => infos.get(m)!.live).map((m) => m.def.name).join(", ")}`);
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
