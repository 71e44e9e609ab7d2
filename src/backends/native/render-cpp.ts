// The C++ renderer: turns one scheduled kernel (src/backends/codegen/schedule.ts) into an
// `extern "C"` function for one loop variant, the native counterpart of render-js.ts. Same loop
// structure (codegen/phases.ts): per row, one pass over the reduced dims for each reduction, with
// full-level values computed inline. Differences that matter for speed: float32 work stays in
// float, inner loops are `#pragma omp simd` (with an OpenMP reduction clause for sums), rows (or,
// without reductions, segments of the data) are shared among threads by the runtime's pool
// (runtime/kiln_parallel.hpp), and transcendental functions are the vectorisable ones of
// runtime/kiln_math.hpp.
//
// Calling convention: `void name(void* D0, ..., void* Dn-1, const int32_t* M)`, one pointer per
// access of the kernel and an int32 array M laid out as:
//   [O0..On-1] [on, rn, ri] [oRank, oShape..] [rRank, rShape..] [os: n*oRank] [rs: n*rRank] [is: n]
// where O are element offsets of the accesses for this call (written per call).
import type { DType } from "../../core/dtype.js";
import { envNumber } from "../../core/env.js";
import { memberConstants, renameIds } from "../codegen/fragments.js";
import { kernelPhases } from "../codegen/phases.js";
import type { Variant } from "../codegen/render-js.js";
import type { Access, Kernel, Member } from "../codegen/schedule.js";
import { cppLiteral, exprToCpp, extremumAccumulator, statementsToCpp, sumAccumulator, type CppContext } from "./js-to-cpp.js";

/**
 * Below this many elements of work a kernel runs on one thread (waking a worker costs a few
 * microseconds). The pool never waits for a worker that is late, so a busy core costs nothing.
 * Test mode (KILN_NATIVE_PARALLEL_MIN=0): every kernel splits its work, in small pieces, so the
 * suite's small tensors exercise the parallel paths too.
 */
const PARALLEL_MIN = envNumber("KILN_NATIVE_PARALLEL_MIN", 1 << 16);
/** Elements per parallel work unit (a segment of a kernel without reductions, rows of one with). */
const SEGMENT = PARALLEL_MIN === 0 ? 16 : 1 << 13;

const C_TYPE: Record<DType, string> = { float32: "float", float64: "double", int32: "int32_t", bool: "uint8_t" };

/** The type values of a dtype are computed in: float for float32, double (as in JS) for the rest. */
function computeType(d: DType): string {
  return d === "float32" ? "float" : "double";
}

/** A computed value converted to what a store of `dtype` keeps (JS castTo semantics). */
function convert(d: DType, e: string): string {
  switch (d) {
    case "float32":
      return `(float)(${e})`;
    case "int32":
      return `(double)kn::to_i32(${e})`;
    case "bool":
      return `(kn::truthy(${e}) ? 1.0 : 0.0)`;
    default:
      return `(double)(${e})`;
  }
}

function accessDType(a: Access): DType {
  if (a.store) return a.source.dtype;
  return (a.views.length ? a.views[a.views.length - 1]! : a.source).dtype;
}

function operandDType(o: Member["operands"][number]): DType {
  return "member" in o ? o.member.node.dtype : accessDType(o.access);
}

export function cppVariantKey(v: Variant): string {
  return `${v.outer}${v.inner}${v.strides.join("")}`;
}

export function cppKernelName(k: Kernel, v: Variant): string {
  return `kiln_k${k.id}_${cppVariantKey(v)}`;
}

export interface RenderedCpp {
  name: string;
  source: string;
  /** Number of pointer parameters (one per access). */
  pointers: number;
}

/** Renders kernel `k` for variant `v`; throws if its scalar code has no C++ translation. */
export function renderCppKernel(k: Kernel, v: Variant): RenderedCpp {
  const kp = kernelPhases(k);
  const n = k.accesses.length;
  const R = kp.reductions.length;
  const value = (m: Member) => `v${kp.index.get(m)!}`;
  const ctxOf = (d: DType): CppContext => ({ float: d === "float32" });
  const { renames, constants } = memberConstants(k, kp.live);

  const pre: string[] = [];
  for (const c of constants) {
    if (!c.folded) throw new Error(`prelude of ${c.member.def.name} does not fold to constants`);
    const d = c.member.reducer ? "float64" : c.member.node.dtype;
    for (const [name, lit] of c.folded) {
      const num = lit === "true" ? 1 : lit === "false" ? 0 : Number(lit);
      pre.push(`const ${computeType(d)} ${name} = ${cppLiteral(num, ctxOf(d))};`);
    }
  }

  const operand = (o: Member["operands"][number]) => ("member" in o ? value(o.member) : `l${o.access.index}`);
  const compute = (m: Member): string => {
    const args = m.operands.map(operand);
    const inDTypes = m.operands.map(operandDType);
    const js = renameIds(m.def.pointwise!(args, m.node.dtype, m.attrs, inDTypes), renames.get(m)!);
    return `const ${computeType(m.node.dtype)} ${value(m)} = ${convert(m.node.dtype, exprToCpp(js, ctxOf(m.node.dtype)))};`;
  };
  const load = (a: Access, index: string): string => `const ${computeType(accessDType(a))} l${a.index} = D${a.index}[${index}];`;
  const store = (m: Member, index: string): string => `D${m.store!.index}[${index}] = (${C_TYPE[m.node.dtype]})${value(m)};`;
  const innerIndex = (a: Access, q: string) => (v.strides[a.index] === "1" ? `${q} + _r` : v.strides[a.index] === "0" ? q : `${q} + _r * is${a.index}`);

  const used = new Set<Access>(kp.rowLoads);
  const body: string[] = [];

  /** One pass over the reduced dims of a row (or a segment), as lines. */
  const pass = (p: number, q: (a: Access) => string, lengthVar: string, odometer: boolean): string[] => {
    const red = kp.reductionOf(p);
    const stores = kp.storesOf(p);
    const ms = kp.membersOf(p);
    const accs = kp.accessesOf(ms, red ? [red] : [], stores);
    accs.forEach((a) => used.add(a));
    const out: string[] = [`// phase ${p}${red ? `: ${red.def.name}` : ""}${stores.length ? `, writes ${stores.map(value).join(", ")}` : ""}`, "{"];
    let simd = "#pragma omp simd";
    // A max/min fold: the vector max/min instructions ignore NaN and the sign of zero, so the
    // loop also notes NaNs and zeros of the sign Math.max/Math.min prefer, applied after it.
    // It runs in the operand's type (exact for a max), starting from the fold's identity.
    const extremum = red ? extremumAccumulator(red.reducer!.reducer.step) : null;
    const extremumAcc = extremum && red ? (renames.get(red)!.get(extremum.acc) ?? extremum.acc) : "";
    const xType = red ? computeType(operandDType(red.operands[0]!)) : "double";
    if (red) {
      const r = red.reducer!.reducer;
      const map = renames.get(red)!;
      out.push(`  const double count = (double)rn;`);
      if (extremum) out.push(`  ${xType} ${extremumAcc} = ${extremum.op === "max" ? "-" : ""}INFINITY;`, `  int _nan = 0, _zero = 0;`);
      else out.push(...statementsToCpp(renameIds(r.init, map), { float: false }, "  "));
      const sum = sumAccumulator(r.step);
      simd = sum ? `#pragma omp simd reduction(+:${map.get(sum) ?? sum})` : "";
      if (extremum) simd = `#pragma omp simd reduction(${extremum.op}:${extremumAcc}) reduction(|:_nan) reduction(|:_zero)`;
    }
    const inner: string[] = [];
    for (const a of accs) if (!a.store && v.strides[a.index] !== "0") inner.push(load(a, innerIndex(a, `q${a.index}`)));
    for (const m of ms) inner.push(compute(m));
    for (const m of stores) inner.push(store(m, innerIndex(m.store!, `q${m.store!.index}`)));
    if (red) {
      const r = red.reducer!.reducer;
      const map = renames.get(red)!;
      const stepVars = [`const ${extremum ? xType : "double"} x = ${operand(red.operands[0]!)};`];
      if (/\br\b/.test(r.step)) stepVars.push(`const double r = (double)(_done + _r);`);
      const step = extremum
        ? [
            `${extremumAcc} = ${extremumAcc} ${extremum.op === "max" ? ">" : "<"} x ? ${extremumAcc} : x;`,
            `_nan |= x != x;`,
            `_zero |= kn::is_${extremum.op === "max" ? "pos" : "neg"}_zero(x);`,
          ]
        : statementsToCpp(renameIds(r.step, map), { float: false }, "");
      inner.push("{", ...[...stepVars, ...step].map((s) => "  " + s), "}");
    }
    out.push(`  ${accs.map((a) => `int64_t q${a.index} = ${q(a)};`).join(" ")}`);
    if (odometer) out.push(`  int64_t ridx[32] = {0};`);
    out.push(`  for (int64_t _done = 0; _done < rn; _done += ${lengthVar}) {`);
    for (const a of accs) if (!a.store && v.strides[a.index] === "0") out.push(`    ${load(a, `q${a.index}`)}`);
    if (simd) out.push(`    ${simd}`);
    out.push(`    for (int64_t _r = 0; _r < ${lengthVar}; _r++) {`, ...inner.map((l) => "      " + l), "    }");
    if (odometer) {
      out.push(`    for (int d = rRank - 2; d >= 0; d--) {`, `      ridx[d]++;`);
      for (const a of accs) out.push(`      q${a.index} += rs[${a.index} * rRank + d];`);
      out.push(`      if (ridx[d] < rShape[d]) break;`);
      for (const a of accs) out.push(`      q${a.index} -= (int64_t)rs[${a.index} * rRank + d] * rShape[d];`);
      out.push(`      ridx[d] = 0;`, `    }`);
    }
    out.push("  }");
    if (extremum) {
      out.push(`  if (_nan) ${extremumAcc} = NAN;`, `  else if (_zero && ${extremumAcc} == 0) ${extremumAcc} = ${extremum.op === "max" ? "0.0" : "-0.0"};`);
    }
    if (red) {
      const r = red.reducer!.reducer;
      out.push(`  ${value(red)} = ${convert(red.node.dtype, exprToCpp(renameIds(r.result, renames.get(red)!), { float: false }))};`);
    }
    out.push("}");
    return out;
  };

  // The work is a range function over units [_begin, _end) (segments, or rows with reductions)
  // that the exported function hands to the thread pool. Everything it uses is a parameter or a
  // local (GCC honours __restrict only on parameters; values reached through a lambda's captures
  // would be reloaded after every store, measured 3x slower).
  let units: string;
  let grain: string;
  let parallel: string;
  if (R === 0) {
    // No reductions: one pass over rn elements, split into segments of rows for the threads.
    const segment = pass(0, (a) => `base${a.index}`, "len", false);
    const accs = [...used];
    units = "nrows * nseg";
    grain = "1";
    parallel = `rn >= ${PARALLEL_MIN}`;
    body.push(
      `const int64_t nrows = ri == 0 ? 0 : rn / ri, nseg = (ri + ${SEGMENT} - 1) / ${SEGMENT};`,
      `(void)nrows;`,
      `for (int64_t u = _begin; u < _end; u++) {`,
      `  const int64_t row = u / nseg, s0 = (u % nseg) * ${SEGMENT};`,
      `  const int64_t len = ri - s0 < ${SEGMENT} ? ri - s0 : ${SEGMENT};`,
      `  ${accs.map((a) => `int64_t base${a.index} = M[${a.index}] + s0 * (int64_t)is[${a.index}];`).join(" ")}`,
    );
    if (v.inner === "m") {
      body.push(`  { int64_t t = row; for (int d = rRank - 2; d >= 0; d--) { const int64_t i = t % rShape[d]; t /= rShape[d];`);
      for (const a of accs) body.push(`    base${a.index} += i * rs[${a.index} * rRank + d];`);
      body.push(`  } }`);
    }
    // Each unit walks `len` elements once: the pass's own loop runs one round.
    body.push(`  const int64_t rn = len;`, ...segment.map((l) => "  " + l), `}`);
  } else {
    const rowBody: string[] = [];
    for (const a of kp.rowLoads) rowBody.push(load(a, `p${a.index}`));
    for (const m of kp.reductions) rowBody.push(`${computeType(m.node.dtype)} ${value(m)};`);
    for (const m of kp.rowMembersReadyAt(0)) rowBody.push(compute(m));
    for (let p = 0; p < kp.count; p++) {
      rowBody.push(...pass(p, (a) => `p${a.index}`, "ri", v.inner === "m"));
      if (kp.reductionOf(p)) for (const m of kp.rowMembersReadyAt(p + 1)) rowBody.push(compute(m));
    }
    for (const m of kp.rowStores) {
      used.add(m.store!);
      rowBody.push(store(m, `p${m.store!.index}`));
    }
    const accs = [...used].sort((a, b) => a.index - b.index);
    units = "on";
    grain = `(${SEGMENT} + rn - 1) / (rn > 0 ? rn : 1)`;
    parallel = `on > 1 && on * rn >= ${PARALLEL_MIN}`;
    body.push(`for (int64_t _o = _begin; _o < _end; _o++) {`);
    body.push(`  ${accs.map((a) => `int64_t p${a.index} = M[${a.index}];`).join(" ")}`);
    if (v.outer === 1) for (const a of accs) body.push(`  p${a.index} += _o * (int64_t)os[${a.index}];`);
    if (v.outer === "m") {
      body.push(`  { int64_t t = _o; for (int d = oRank - 1; d >= 0; d--) { const int64_t i = t % oShape[d]; t /= oShape[d];`);
      for (const a of accs) body.push(`    p${a.index} += i * os[${a.index} * oRank + d];`);
      body.push(`  } }`);
    }
    body.push(...rowBody.map((l) => "  " + l), "}");
  }

  const name = cppKernelName(k, v);
  const params = [...k.accesses.map((a) => `void* P${a.index}`), "const int32_t* M"];
  const decl: string[] = [
    `const int64_t on = M[${n}], rn = M[${n} + 1], ri = M[${n} + 2];`,
    `const int oRank = M[${n} + 3]; const int32_t* oShape = M + ${n} + 4;`,
    `const int rRank = oShape[oRank]; const int32_t* rShape = oShape + oRank + 1;`,
    `const int32_t* os = rShape + rRank; const int32_t* rs = os + ${n} * oRank; const int32_t* is = rs + ${n} * rRank;`,
    `(void)on; (void)rn; (void)ri; (void)os; (void)rs; (void)is; (void)oShape; (void)rShape;`,
  ];
  const pointers: string[] = [];
  for (const a of [...used].sort((x, y) => x.index - y.index)) {
    pointers.push(`${C_TYPE[accessDType(a)]}* __restrict D${a.index} = (${C_TYPE[accessDType(a)]}*)P${a.index};`);
    if (v.strides[a.index] === "n") pointers.push(`const int64_t is${a.index} = is[${a.index}];`);
  }
  const L: string[] = [];
  L.push(`// kernel ${k.id}: ${k.members.filter((m) => kp.live.has(m)).map((m) => m.def.name).join(", ")}`);
  L.push(`static void ${name}_range(int64_t _begin, int64_t _end, ${params.map((p) => p.replace("* ", "* __restrict ")).join(", ")}) {`);
  L.push(...[...decl, ...pre, ...pointers, ...body].map((l) => "  " + l), "}");
  L.push(`extern "C" void ${name}(${params.join(", ")}) {`);
  L.push(
    ...[
      decl[0]!,
      `(void)on; (void)rn; (void)ri;`,
      ...(R === 0 ? [`if (ri == 0 || rn == 0) return;`, `const int64_t nrows = rn / ri, nseg = (ri + ${SEGMENT} - 1) / ${SEGMENT};`] : []),
      `kn::parallel_for(${units}, ${grain}, ${parallel}, [&](int64_t _begin, int64_t _end) { ${name}_range(_begin, _end, ${k.accesses.map((a) => `P${a.index}`).join(", ")}, M); });`,
    ].map((l) => "  " + l),
    "}",
  );
  return { name, source: L.join("\n"), pointers: n };
}

/** The static part of M for a plan (offsets left 0, written per call). */
export function cppMeta(n: number, plan: { on: number; rn: number; ri: number; oShape: number[]; rShape: number[]; os: number[][]; rs: number[][]; is: number[] }): Int32Array | null {
  const vals: number[] = new Array<number>(n).fill(0);
  vals.push(plan.on, plan.rn, plan.ri, plan.oShape.length, ...plan.oShape, plan.rShape.length, ...plan.rShape);
  for (let a = 0; a < n; a++) vals.push(...plan.os[a]!);
  for (let a = 0; a < n; a++) vals.push(...plan.rs[a]!);
  vals.push(...plan.is);
  if (vals.some((x) => x > 0x7fffffff || x < -0x80000000)) return null;
  if (plan.rShape.length > 32) return null;
  return Int32Array.from(vals);
}
