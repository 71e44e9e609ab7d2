// The JavaScript renderer: turns one scheduled kernel into the source of a function, for one
// loop variant (how many loop dims remain after merging, and whether each access's innermost
// stride is 1, 0 or something else). Pointwise work is the registry's scalar expressions and
// preludes; reductions are Reducer templates. Per row: the reductions run as phases over the
// reduced dims, full-level values are computed inline where a phase needs them, and row values
// (reduction results, pointwise work on them) are locals of the row. Column plans (reductions
// over dims outer to a contiguous kept dim) turn this inside out: see `renderColumns`.
import type { DType } from "../../core/dtype.js";
import type { Access, Kernel, Member } from "./schedule.js";
import { declaredNames, memberConstants, renameIds } from "./fragments.js";
import { kernelPhases, type KernelPhases } from "./phases.js";
import { ROW_CACHE_LIMIT } from "./plan.js";

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
  /**
   * Column loops (plan.ts): the innermost kept dim is the inner loop, the reduced dims are walked
   * outside it, and `strides` classify each access's stride along that kept dim.
   */
  column: boolean;
}

export function variantKey(v: Variant): string {
  return `${v.column ? "k" : ""}${v.outer}${v.inner}${v.rowCache ? "c" : ""}${v.strides.join("")}`;
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

  if (v.column) return renderColumns(k, v, kp, preludes, compute, renames);

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

/** Columns of a block (JS): row values and accumulators live in arrays of this length. */
const JS_BLOCK = 256;
/** Reduced positions per pass over a block's columns (one reduced dim): measured 2x faster than one. */
const COLUMN_UNROLL = 4;

/**
 * The column variant (plan.ts `columnPlan`): per block of up to JS_BLOCK positions of the innermost
 * kept dim, each phase walks the reduced positions once and, for each, the block's columns, with
 * one accumulator per column (arrays `R<member>_<name>`). Row values (reduction results, pointwise
 * work on them) are arrays `V<member>` of the block; row-level reads are loaded per column.
 */
function renderColumns(
  k: Kernel,
  v: Variant,
  kp: KernelPhases,
  preludes: string[],
  compute: (m: Member) => string,
  renames: Map<Member, Map<string, string>>,
): RenderedKernel {
  const value = (m: Member) => `v${kp.index.get(m)!}`;
  const arr = (m: Member) => `V${kp.index.get(m)!}`;
  const used = new Set<Access>();
  const accName = (m: Member, name: string) => `R${kp.index.get(m)!}_${name}`;
  // Accumulators renamed to locals of their own (`a<member>_<name>`: reductions sharing a pass do
  // not collide), beside the prelude renames.
  const reducerMap = new Map<Member, Map<string, string>>(
    kp.reductions.map((m) => {
      const map = new Map(renames.get(m)!);
      for (const a of declaredNames(m.reducer!.reducer.init)) map.set(a, `a${kp.index.get(m)!}_${a}`);
      return [m, map];
    }),
  );
  const initOf = (m: Member) => renameIds(m.reducer!.reducer.init, reducerMap.get(m)!);
  const accNames = new Map<Member, string[]>(kp.reductions.map((m) => [m, declaredNames(initOf(m))]));
  const rowMembers = k.members.filter((m) => kp.live.has(m) && m.level === "row");
  const colIndex = (a: Access, p: string) => {
    const cls = v.strides[a.index];
    return cls === "1" ? `${p}${a.index} + _c` : cls === "0" ? `${p}${a.index}` : `${p}${a.index} + _c * is${a.index}`;
  };

  /** Loads, per column, what `ms` read and do not compute themselves: row values from their arrays, row-level reads. */
  const rowInputs = (ms: Member[], extra: Member[]): string[] => {
    const out: string[] = [];
    const inLoop = new Set(ms);
    const seen = new Set<unknown>();
    for (const m of [...ms, ...extra]) {
      for (const o of m.operands) {
        if ("member" in o) {
          const src = o.member;
          if (src.level !== "row" || inLoop.has(src) || seen.has(src)) continue;
          seen.add(src);
          out.push(`const ${value(src)} = ${arr(src)}[_c];`);
        } else if (o.access.level === "row" && !seen.has(o.access)) {
          seen.add(o.access);
          used.add(o.access);
          out.push(`const l${o.access.index} = D${o.access.index}[${colIndex(o.access, "p")}];`);
        }
      }
    }
    return out;
  };
  const rowLoop = (lines: string[]): string[] => (lines.length ? [`for (let _c = 0; _c < bl; _c++) {`, ...lines.map((l) => "  " + l), `}`] : []);
  /** Row members ready after phase p - 1, computed per column and kept in their arrays. */
  const rowWork = (p: number, before: string[], computed: Member[]): string[] => {
    const ms = kp.rowMembersReadyAt(p);
    const lines = [...rowInputs([...computed, ...ms], []), ...before];
    for (const m of ms) lines.push(compute(m), `${arr(m)}[_c] = ${value(m)};`);
    return before.length || ms.length ? rowLoop(lines) : [];
  };

  // Expensive full values one phase computes and a later one needs are kept per block (as the
  // row variant keeps them per row): S<i>[_j * BW + _c].
  const cached = new Map<Member, number>();
  const laterNeeds = (p: number): Set<Member> => {
    const out = new Set<Member>();
    for (let q = p + 1; q < kp.count; q++) for (const m of kp.membersOf(q)) out.add(m);
    return out;
  };

  const body: string[] = [];
  body.push(...rowWork(0, [], []));
  for (const group of kp.passes()) {
    const last = group[group.length - 1]!;
    const reds = group.map((p) => kp.reductionOf(p)).filter((m): m is Member => m !== null);
    const stores = group.flatMap((p) => kp.storesOf(p));
    const need = new Set(group.flatMap((p) => kp.membersOf(p, (m) => cached.has(m))));
    const ms = k.members.filter((m) => need.has(m));
    const toCache: Member[] = [];
    if (v.rowCache && last + 1 < kp.count) {
      const later = laterNeeds(last);
      for (const m of ms) if (!cached.has(m) && later.has(m) && EXPENSIVE.test(compute(m))) toCache.push(m);
    }
    const accs = kp.accessesOf(ms, reds, stores);
    accs.forEach((a) => used.add(a));
    const ph: string[] = [`// phase ${group.join(", ")}${reds.length ? `: ${reds.map((m) => m.def.name).join(", ")}` : ""}${stores.length ? `, writes ${stores.map(value).join(", ")}` : ""}`, "{"];
    ph.push(...rowLoop(reds.flatMap((red) => [initOf(red), ...accNames.get(red)!.map((n) => `${accName(red, n)}[_c] = ${n};`)])).map((l) => "  " + l));
    ph.push(`  ${accs.map((a) => `let q${a.index} = p${a.index};`).join(" ")}`);
    /** One reduced position, `u` rows after q (unrolled loops only have one reduced dim): loads, members, stores, the steps. */
    const position = (u: number): string[] => {
      const at = (a: Access, base: string) => (u === 0 ? base : `${base} + ${u === 1 ? "" : `${u} * `}rs${a.index}`);
      const j = u === 0 ? "_j" : `(_j + ${u})`;
      const lines: string[] = [];
      for (const a of accs) if (!a.store) lines.push(`const l${a.index} = D${a.index}[${at(a, v.strides[a.index] === "0" ? `q${a.index}` : colIndex(a, "q"))}];`);
      for (const m of ms) lines.push(cached.has(m) ? `const ${value(m)} = S${cached.get(m)}[${j} * BW + _c];` : compute(m));
      toCache.forEach((m, i) => lines.push(`S${cached.size + i}[${j} * BW + _c] = ${value(m)};`));
      for (const m of stores) lines.push(`D${m.store!.index}[${at(m.store!, colIndex(m.store!, "q"))}] = ${value(m)};`);
      for (const red of reds) {
        const o = red.operands[0]!;
        const x = "member" in o ? value(o.member) : `l${o.access.index}`;
        lines.push(`{ const x = ${x}, r = ${j}; ${renameIds(red.reducer!.reducer.step, reducerMap.get(red)!)} }`);
      }
      return ["{", ...lines.map((l) => "  " + l), "}"];
    };
    /** The loop over the block's columns for `rows` consecutive reduced positions; accumulators stay in locals across them. */
    const columns = (rows: number): string[] => {
      const body = rowInputs(ms, reds);
      for (const red of reds) body.push(`let ${accNames.get(red)!.map((n) => `${n} = ${accName(red, n)}[_c]`).join(", ")};`);
      for (let u = 0; u < rows; u++) body.push(...position(u));
      for (const red of reds) body.push(accNames.get(red)!.map((n) => `${accName(red, n)}[_c] = ${n};`).join(" "));
      return [`for (let _c = 0; _c < bl; _c++) {`, ...body.map((l) => "  " + l), `}`];
    };
    if (v.inner === 1) {
      // The same order of steps per column as one position at a time, with fewer trips of the accumulators through memory.
      ph.push(`  let _j = 0;`, `  for (; _j + ${COLUMN_UNROLL} <= rn; _j += ${COLUMN_UNROLL}) {`);
      ph.push(...columns(COLUMN_UNROLL).map((l) => "    " + l), `    ${accs.map((a) => `q${a.index} += ${COLUMN_UNROLL} * rs${a.index};`).join(" ")}`, `  }`);
      ph.push(`  for (; _j < rn; _j++) {`, ...columns(1).map((l) => "    " + l), `    ${accs.map((a) => `q${a.index} += rs${a.index};`).join(" ")}`);
    } else {
      ph.push(`  for (let _j = 0; _j < rn; _j++) {`, ...columns(1).map((l) => "    " + l));
      ph.push(`    for (let d = rRank - 1; d >= 0; d--) {`, `      ridx[d]++;`);
      for (const a of accs) ph.push(`      q${a.index} += rs${a.index}[d];`);
      ph.push(`      if (ridx[d] < rShape[d]) break;`);
      for (const a of accs) ph.push(`      q${a.index} -= rs${a.index}[d] * rShape[d];`);
      ph.push(`      ridx[d] = 0;`, `    }`);
    }
    ph.push(`  }`);
    // Each reduction's result, then the row work that waits for it.
    for (const p of group) {
      const red = kp.reductionOf(p);
      if (!red) continue;
      const names = accNames.get(red)!;
      const result = castTo(red.node.dtype, renameIds(red.reducer!.reducer.result, reducerMap.get(red)!));
      const before = [`const count = rn;`, `const ${names.map((n) => `${n} = ${accName(red, n)}[_c]`).join(", ")};`, `const ${value(red)} = ${result};`, `${arr(red)}[_c] = ${value(red)};`];
      ph.push(...rowWork(p + 1, before, [red]).map((l) => "  " + l));
    }
    ph.push("}");
    body.push(...ph);
    for (const m of toCache) cached.set(m, cached.size);
  }
  const storeLines: string[] = [];
  for (const m of kp.rowStores) {
    used.add(m.store!);
    storeLines.push(`D${m.store!.index}[${colIndex(m.store!, "p")}] = ${arr(m)}[_c];`);
  }
  body.push(...rowLoop(storeLines));

  const accs = [...used].sort((a, b) => a.index - b.index);
  const L: string[] = [];
  L.push(`// kernel ${k.id} (columns): ${k.members.filter((m) => kp.live.has(m)).map((m) => m.def.name).join(", ")}`);
  L.push(...accs.map((a) => `const D${a.index} = D[${a.index}];`));
  L.push(...preludes);
  // With kept values the block is narrower, so that they stay as small as the row variant's (rn * BW <= ROW_CACHE_LIMIT).
  const width = cached.size ? `Math.min(${JS_BLOCK}, Math.floor(${ROW_CACHE_LIMIT} / rn))` : `${JS_BLOCK}`;
  L.push(`const on = P.on, rn = P.rn, C = P.ri, nrest = C > 0 ? on / C : 0, W = ${width}, BW = C < W ? C : W;`);
  for (let i = 0; i < cached.size; i++) L.push(`let S${i} = P.scratch[${i}];`, `if (S${i}.length < rn * BW) S${i} = P.scratch[${i}] = new Float64Array(rn * BW);`);
  if (v.inner === 1) L.push(...accs.map((a) => `const rs${a.index} = P.rs[${a.index}][0];`));
  else L.push(`const rShape = P.rShape, rRank = rShape.length, ridx = new Int32Array(rRank);`, ...accs.map((a) => `const rs${a.index} = P.rs[${a.index}];`));
  for (const a of accs) if (v.strides[a.index] === "n") L.push(`const is${a.index} = P.is[${a.index}];`);
  if (v.outer === 1) L.push(...accs.map((a) => `const os${a.index} = P.os[${a.index}][0];`));
  if (v.outer === "m") L.push(`const oShape = P.oShape, oRank = oShape.length, oidx = new Int32Array(oRank);`, ...accs.map((a) => `const os${a.index} = P.os[${a.index}];`));
  for (const m of rowMembers) L.push(`const ${arr(m)} = new Float64Array(BW);`);
  for (const m of kp.reductions) for (const n of accNames.get(m)!) L.push(`const ${accName(m, n)} = new Float64Array(BW);`);
  L.push(accs.map((a) => `let b${a.index} = O[${a.index}];`).join(" "));
  L.push(`for (let _o = 0; _o < nrest; _o++) {`);
  L.push(`  for (let _c0 = 0; _c0 < C; _c0 += BW) {`);
  L.push(`    const bl = C - _c0 < BW ? C - _c0 : BW;`);
  L.push(
    `    ${accs
      .map((a) => {
        const cls = v.strides[a.index];
        return `const p${a.index} = b${a.index}${cls === "1" ? " + _c0" : cls === "0" ? "" : ` + _c0 * is${a.index}`};`;
      })
      .join(" ")}`,
  );
  L.push(...body.map((l) => "    " + l));
  L.push(`  }`);
  if (v.outer === 1) L.push(`  ${accs.map((a) => `b${a.index} += os${a.index};`).join(" ")}`);
  if (v.outer === "m") {
    L.push(`  for (let d = oRank - 1; d >= 0; d--) {`, `    oidx[d]++;`);
    for (const a of accs) L.push(`    b${a.index} += os${a.index}[d];`);
    L.push(`    if (oidx[d] < oShape[d]) break;`);
    for (const a of accs) L.push(`    b${a.index} -= os${a.index}[d] * oShape[d];`);
    L.push(`    oidx[d] = 0;`, `  }`);
  }
  L.push(`}`);
  return { source: L.join("\n"), phases: kp.count, scratch: cached.size };
}
