// The C++ renderer: turns one scheduled kernel (src/backends/codegen/schedule.ts) into an
// `extern "C"` function for one loop variant, the native counterpart of render-js.ts. Same loop
// structure (codegen/phases.ts): per row, one pass over the reduced dims for each reduction, with
// full-level values computed inline. Differences that matter for speed: float32 work stays in
// float, inner loops are `#pragma omp simd` (with an OpenMP reduction clause for sums), rows (or,
// without reductions, segments of the data; for column plans, blocks of columns) are shared among
// threads by the runtime's pool (runtime/kiln_parallel.hpp), and transcendental functions are the
// vectorisable ones of runtime/kiln_math.hpp.
//
// Calling convention: `void name(void* D0, ..., void* Dn-1, const int32_t* M)`, one pointer per
// access of the kernel and an int32 array M laid out as:
//   [O0..On-1] [on, rn, ri] [oRank, oShape..] [rRank, rShape..] [os: n*oRank] [rs: n*rRank] [is: n]
// where O are element offsets of the accesses for this call (written per call).
import type { DType } from "../../core/dtype.js";
import { envNumber } from "../../core/env.js";
import { declaredNames, memberConstants, renameIds } from "../codegen/fragments.js";
import { kernelPhases, type KernelPhases } from "../codegen/phases.js";
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

/**
 * Integer and bool reads whose every consumer is a float32 pointwise member (`x * 2` reads the
 * wrapped scalar 2 as int32). They are loaded as float, as PyTorch casts such operands to the
 * op's float32 compute type, so the arithmetic stays in float lanes: computed in double, the
 * gelu(x * 2 + 1) kernel ran 1.45x as long (conversions, and half as many lanes per vector).
 */
function floatReadIntegers(k: Kernel): Set<Access> {
  const out = new Set<Access>();
  const blocked = new Set<Access>();
  for (const m of k.members) {
    for (const o of m.operands) {
      if (!("access" in o)) continue;
      const d = accessDType(o.access);
      if (d !== "int32" && d !== "bool") continue;
      if (m.reducer || m.node.dtype !== "float32") blocked.add(o.access);
      else out.add(o.access);
    }
  }
  for (const a of blocked) out.delete(a);
  return out;
}

export function cppVariantKey(v: Variant): string {
  return `${v.column ? "k" : ""}${v.outer}${v.inner}${v.rowCache && !v.column ? "c" : ""}${v.strides.join("")}`;
}

/** Calls worth a row scratch buffer when a later pass needs their value again (not min/max/abs-like helpers). */
const EXPENSIVE_CPP = /\bkn::(exp|expm1|log|log1p|log2|tanh|erf|sinh|cosh|sin|cos|tan|asin|acos|atan|atan2|pow|sigmoid)\w*\(/;

export function cppKernelName(k: Kernel, v: Variant): string {
  return `kiln_k${k.id}_${cppVariantKey(v)}`;
}

export interface RenderedCpp {
  name: string;
  source: string;
  /** Number of pointer parameters (one per access). */
  pointers: number;
  /** Whether it exports `<name>_epilogue` (the kernel armed as its product's epilogue). */
  epilogue: boolean;
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
  const floatLoads = floatReadIntegers(k);
  const load = (a: Access, index: string): string => `const ${floatLoads.has(a) ? "float" : computeType(accessDType(a))} l${a.index} = D${a.index}[${index}];`;
  const store = (m: Member, index: string): string => `D${m.store!.index}[${index}] = (${C_TYPE[m.node.dtype]})${value(m)};`;
  const innerIndex = (a: Access, q: string) => (v.strides[a.index] === "1" ? `${q} + _r` : v.strides[a.index] === "0" ? q : `${q} + _r * is${a.index}`);

  if (v.column) return renderColumns(k, v, kp, pre, compute, load, store, renames);

  const used = new Set<Access>(kp.rowLoads);
  const body: string[] = [];
  // Expensive values of one pass that a later pass needs again (softmax's exp) are kept in a row
  // scratch buffer `S<i>` and read back, as the JavaScript target does, instead of recomputed.
  const cached = new Map<Member, number>();
  const laterNeeds = (p: number): Set<Member> => {
    const out = new Set<Member>();
    for (let r = p + 1; r < kp.count; r++) for (const m of kp.membersOf(r)) out.add(m);
    return out;
  };

  /** One pass over the reduced dims of a row (or a segment), as lines. */
  const pass = (p: number, q: (a: Access) => string, lengthVar: string, odometer: boolean): string[] => {
    const red = kp.reductionOf(p);
    const stores = kp.storesOf(p);
    const ms = kp.membersOf(p, (m) => cached.has(m));
    const toCache: Member[] = [];
    if (v.rowCache && !v.column && p + 1 < kp.count) {
      const later = laterNeeds(p);
      for (const m of ms) if (!cached.has(m) && later.has(m) && EXPENSIVE_CPP.test(compute(m))) toCache.push(m);
    }
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
    for (const m of ms) inner.push(cached.has(m) ? `const ${computeType(m.node.dtype)} ${value(m)} = S${cached.get(m)}[_done + _r];` : compute(m));
    toCache.forEach((m, i) => inner.push(`S${cached.size + i}[_done + _r] = ${value(m)};`));
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
    for (const m of toCache) cached.set(m, cached.size);
    return out;
  };

  // The work is a range function over units [_begin, _end) (segments, or rows with reductions)
  // that the exported function hands to the thread pool. Everything it uses is a parameter or a
  // local (GCC honours __restrict only on parameters; values reached through a lambda's captures
  // would be reloaded after every store, measured 3x slower).
  let units: string;
  let grain: string;
  let parallel: string;
  const elementBody: string[] = [];
  if (R === 0) {
    // No reductions: one pass over rn elements, split into segments of rows for the threads.
    const segment = pass(0, (a) => `base${a.index}`, "len", false);
    const accs = [...used];
    units = "nrows * nseg";
    grain = "1";
    parallel = `rn >= ${PARALLEL_MIN}`;
    // A piece: `len` elements from position s0 of row `row` of the innermost dim.
    const piece = [`  ${accs.map((a) => `int64_t base${a.index} = M[${a.index}] + s0 * (int64_t)is[${a.index}];`).join(" ")}`];
    if (v.inner === "m") {
      piece.push(`  { int64_t t = row; for (int d = rRank - 2; d >= 0; d--) { const int64_t i = t % rShape[d]; t /= rShape[d];`);
      for (const a of accs) piece.push(`    base${a.index} += i * rs[${a.index} * rRank + d];`);
      piece.push(`  } }`);
    }
    // Each piece walks `len` elements once: the pass's own loop runs one round.
    piece.push(`  {`, `  const int64_t rn = len;`, ...segment.map((l) => "  " + l), `  }`);
    body.push(
      `const int64_t nrows = ri == 0 ? 0 : rn / ri, nseg = (ri + ${SEGMENT} - 1) / ${SEGMENT};`,
      `(void)nrows;`,
      `for (int64_t u = _begin; u < _end; u++) {`,
      `  const int64_t row = u / nseg, s0 = (u % nseg) * ${SEGMENT};`,
      `  const int64_t len = ri - s0 < ${SEGMENT} ? ri - s0 : ${SEGMENT};`,
      ...piece,
      `}`,
    );
    // The same work over elements [_begin, _end) of the iteration space (an epilogue's rows).
    elementBody.push(
      `for (int64_t _e = _begin; _e < _end;) {`,
      `  const int64_t row = _e / ri, s0 = _e - row * ri;`,
      `  const int64_t len = ri - s0 < _end - _e ? ri - s0 : _end - _e;`,
      ...piece,
      `  _e += len;`,
      `}`,
    );
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
    for (const [m, i] of cached) {
      const t = computeType(m.node.dtype);
      body.push(`kn::RowScratch<${t}> S${i}_buffer(rn); ${t}* __restrict S${i} = S${i}_buffer.data;`);
    }
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
  const decl: string[] = metaDeclarations(n);
  const pointers: string[] = [];
  for (const a of [...used].sort((x, y) => x.index - y.index)) {
    pointers.push(`${C_TYPE[accessDType(a)]}* __restrict D${a.index} = (${C_TYPE[accessDType(a)]}*)P${a.index};`);
    if (v.strides[a.index] === "n") pointers.push(`const int64_t is${a.index} = is[${a.index}];`);
  }
  const L: string[] = [];
  const rangeFunction = (fn: string, lines: string[]) => [
    `static void ${fn}(int64_t _begin, int64_t _end, ${params.map((p) => p.replace("* ", "* __restrict ")).join(", ")}) {`,
    ...[...decl, ...pre, ...pointers, ...lines].map((l) => "  " + l),
    "}",
  ];
  L.push(`// kernel ${k.id}: ${k.members.filter((m) => kp.live.has(m)).map((m) => m.def.name).join(", ")}`);
  L.push(...rangeFunction(`${name}_range`, body));
  if (k.epilogue) L.push(...epilogueFunctions(k, name, params, R === 0 ? rangeFunction(`${name}_elements`, elementBody) : null));
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
  return { name, source: L.join("\n"), pointers: n, epilogue: k.epilogue !== null };
}

/**
 * The kernel as the epilogue of the matrix product before it (gemm.cpp, Epilogue): `<name>_epilogue`,
 * called with the kernel's arguments, keeps them and arms the runtime with `<name>_epi`, which the
 * product calls with element ranges of its output (whole rows) as it finishes them. For a kernel
 * without reductions (`elements`: its range function over elements) the ranges are elements of the
 * iteration space; for a row kernel, rows of it (the product's rows are the kernel's rows).
 */
function epilogueFunctions(k: Kernel, name: string, params: string[], elements: string[] | null): string[] {
  const n = k.accesses.length;
  const args = k.accesses.map((a) => `c.P[${a.index}]`).join(", ");
  const ctx = `${name}_epilogue_args`;
  const L: string[] = [];
  if (elements) L.push(...elements);
  L.push(`struct ${ctx}_t { void* P[${n}]; const int32_t* M; };`, `static ${ctx}_t ${ctx};`);
  L.push(`static void ${name}_epi(void* ctx, int64_t _e0, int64_t _e1) {`, `  const ${ctx}_t& c = *static_cast<const ${ctx}_t*>(ctx);`);
  if (elements) {
    L.push(
      `  const int64_t total = _e1 - _e0;`,
      `  kn::parallel_for((total + ${SEGMENT} - 1) / ${SEGMENT}, 1, total >= ${PARALLEL_MIN}, [&](int64_t b, int64_t e) {`,
      `    ${name}_elements(_e0 + b * ${SEGMENT}, _e0 + e * ${SEGMENT} < _e1 ? _e0 + e * ${SEGMENT} : _e1, ${args}, c.M);`,
      `  });`,
    );
  } else {
    L.push(
      `  const int64_t rn = c.M[${n} + 1];`,
      `  if (rn == 0) return;`,
      `  const int64_t r0 = _e0 / rn, rows = _e1 / rn - r0;`,
      `  kn::parallel_for(rows, (${SEGMENT} + rn - 1) / rn, rows > 1 && rows * rn >= ${PARALLEL_MIN}, [&](int64_t b, int64_t e) { ${name}_range(r0 + b, r0 + e, ${args}, c.M); });`,
    );
  }
  L.push(`}`);
  L.push(
    `extern "C" void ${name}_epilogue(${params.join(", ")}) {`,
    `  const kn::ArmEpilogue arm = kn::arm_epilogue_entry();`,
    `  if (arm == nullptr) return;`,
    `  ${ctx} = ${ctx}_t{{${k.accesses.map((a) => `P${a.index}`).join(", ")}}, M};`,
    `  arm(reinterpret_cast<void*>(&${name}_epi), &${ctx}, P${k.epilogue!.read.index}, (int64_t)M[${n}] * M[${n} + 1], ${elements ? "1" : `(int64_t)M[${n} + 1]`});`,
    `}`,
  );
  return L;
}

/** Widest block of columns; test mode: narrow, so the suite's small tensors make several blocks and ragged ends. */
const COLUMN_BLOCK = PARALLEL_MIN === 0 ? 16 : 1024;
/** Reads a kernel's meta block (sizes, shapes, strides; see plan.ts) for `n` accesses. */
function metaDeclarations(n: number): string[] {
  return [
    `const int64_t on = M[${n}], rn = M[${n} + 1], ri = M[${n} + 2];`,
    `const int oRank = M[${n} + 3]; const int32_t* oShape = M + ${n} + 4;`,
    `const int rRank = oShape[oRank]; const int32_t* rShape = oShape + oRank + 1;`,
    `const int32_t* os = rShape + rRank; const int32_t* rs = os + ${n} * oRank; const int32_t* is = rs + ${n} * rRank;`,
    `(void)on; (void)rn; (void)ri; (void)os; (void)rs; (void)is; (void)oShape; (void)rShape;`,
  ];
}

/** Bytes of a block's arrays (row values, accumulators) kept within about half of a core's L1 data cache. */
const COLUMN_BYTES = 16384;
/** Narrowest block a parallel split makes (a run of 32 floats is two cache lines per reduced position). */
const COLUMN_MIN = PARALLEL_MIN === 0 ? 8 : 32;
/** Reduced positions per pass over a block's columns (one reduced dim). */
const COLUMN_UNROLL = 4;
/**
 * A parallel kernel narrows its blocks while there are fewer than 8 to share (the pool makes up to
 * 4 chunks per thread), but not below COLUMN_WIDE columns; below that only while there are fewer
 * than 2. Measured on 2 cores for a [1024, 1024] column sum: 2 blocks of 512 columns 78 µs,
 * 4 of 256 92 µs, 8 of 128 115 µs (a row sum: 75 µs).
 */
const COLUMN_WIDE = 512;
/**
 * The column variant (codegen/plan.ts `columnPlan`), the native counterpart of render-js.ts
 * `renderColumns`: units of work are blocks of up to COLUMN_BLOCK positions of the innermost kept
 * dim (times the other kept positions), shared among threads. Per block, each phase walks the
 * reduced positions and, for each, the block's columns in a `#pragma omp simd` loop: one
 * accumulator per column in local arrays, so the loop streams contiguous runs of the input and
 * vectorises across columns (a column sum runs at the speed of a row sum).
 */
function renderColumns(
  k: Kernel,
  v: Variant,
  kp: KernelPhases,
  pre: string[],
  compute: (m: Member) => string,
  load: (a: Access, index: string) => string,
  store: (m: Member, index: string) => string,
  renames: Map<Member, Map<string, string>>,
): RenderedCpp {
  const n = k.accesses.length;
  const value = (m: Member) => `v${kp.index.get(m)!}`;
  const arr = (m: Member) => `V${kp.index.get(m)!}`;
  const used = new Set<Access>();
  const accName = (m: Member, name: string) => `R${kp.index.get(m)!}_${name}`;
  const operand = (o: Member["operands"][number]) => ("member" in o ? value(o.member) : `l${o.access.index}`);
  const colIndex = (a: Access, p: string) => {
    const cls = v.strides[a.index];
    return cls === "1" ? `${p}${a.index} + _c` : cls === "0" ? `${p}${a.index}` : `${p}${a.index} + _c * is${a.index}`;
  };
  /**
   * Per reduction: its reducer, with its accumulators renamed to locals of their own (`a<member>_<name>`,
   * so reductions sharing a pass do not collide) beside the prelude renames; their C++ type; and
   * whether it is a Math.max/min fold.
   */
  const folds = new Map(
    kp.reductions.map((m) => {
      const r = m.reducer!.reducer;
      const extremum = extremumAccumulator(r.step);
      const accs = extremum ? [extremum.acc] : declaredNames(r.init);
      const map = new Map(renames.get(m)!);
      for (const a of accs) map.set(a, `a${kp.index.get(m)!}_${a}`);
      const xType = computeType(operandDType(m.operands[0]!));
      return [m, { r, map, extremum, xType, names: accs.map((a) => map.get(a)!), accType: extremum ? xType : "double" }];
    }),
  );
  const foldOf = (m: Member) => folds.get(m)!;

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
          out.push(`const ${computeType(src.node.dtype)} ${value(src)} = ${arr(src)}[_c];`);
        } else if (o.access.level === "row" && !seen.has(o.access)) {
          seen.add(o.access);
          used.add(o.access);
          out.push(load(o.access, colIndex(o.access, "p")));
        }
      }
    }
    return out;
  };
  const rowLoop = (lines: string[]): string[] => (lines.length ? ["#pragma omp simd", `for (int64_t _c = 0; _c < bl; _c++) {`, ...lines.map((l) => "  " + l), `}`] : []);
  const rowWork = (p: number, before: string[], computed: Member[]): string[] => {
    const ms = kp.rowMembersReadyAt(p);
    const lines = [...rowInputs([...computed, ...ms], []), ...before];
    for (const m of ms) lines.push(compute(m), `${arr(m)}[_c] = ${value(m)};`);
    return before.length || ms.length ? rowLoop(lines) : [];
  };

  const body: string[] = [];
  body.push(...rowWork(0, [], []));
  for (const group of kp.passes()) {
    const reds = group.map((p) => kp.reductionOf(p)).filter((m): m is Member => m !== null);
    const stores = group.flatMap((p) => kp.storesOf(p));
    const need = new Set(group.flatMap((p) => kp.membersOf(p)));
    const ms = k.members.filter((m) => need.has(m));
    const accs = kp.accessesOf(ms, reds, stores);
    accs.forEach((a) => used.add(a));
    const ph: string[] = [`// phase ${group.join(", ")}${reds.length ? `: ${reds.map((m) => m.def.name).join(", ")}` : ""}${stores.length ? `, writes ${stores.map(value).join(", ")}` : ""}`, "{"];
    const init: string[] = [];
    for (const red of reds) {
      const f = foldOf(red);
      if (f.extremum) init.push(`${accName(red, f.names[0]!)}[_c] = ${f.extremum.op === "max" ? "-" : ""}INFINITY;`);
      else init.push(...statementsToCpp(renameIds(f.r.init, f.map), { float: false }), ...f.names.map((nm) => `${accName(red, nm)}[_c] = ${nm};`));
    }
    ph.push(...rowLoop(init).map((l) => "  " + l));
    ph.push(`  ${accs.map((a) => `int64_t q${a.index} = p${a.index};`).join(" ")}`);
    /** One reduced position, `u` rows after q (unrolled loops only have one reduced dim): loads, members, stores, the steps. */
    const position = (u: number): string[] => {
      const at = (a: Access, base: string) => (u === 0 ? base : `${base} + ${u === 1 ? "" : `${u} * `}rs${a.index}`);
      const lines: string[] = [];
      for (const a of accs) if (!a.store) lines.push(load(a, at(a, v.strides[a.index] === "0" ? `q${a.index}` : colIndex(a, "q"))));
      for (const m of ms) lines.push(compute(m));
      for (const m of stores) lines.push(store(m, at(m.store!, colIndex(m.store!, "q"))));
      for (const red of reds) {
        const f = foldOf(red);
        const x = operand(red.operands[0]!);
        if (f.extremum) {
          const acc = f.names[0]!;
          lines.push(`${acc} = kn::j${f.extremum.op}(${acc}, (${f.xType})${x});`);
          continue;
        }
        const step = [`const double x = ${x};`];
        if (/\br\b/.test(f.r.step)) step.push(`const double r = (double)(_j + ${u});`);
        step.push(...statementsToCpp(renameIds(f.r.step, f.map), { float: false }, ""));
        lines.push("{", ...step.map((l) => "  " + l), "}");
      }
      return ["{", ...lines.map((l) => "  " + l), "}"];
    };
    /** The loop over the block's columns for `rows` consecutive reduced positions; accumulators stay in registers across them. */
    const columns = (rows: number): string[] => {
      const body = rowInputs(ms, reds);
      for (const red of reds) body.push(...foldOf(red).names.map((nm) => `${foldOf(red).accType} ${nm} = ${accName(red, nm)}[_c];`));
      for (let u = 0; u < rows; u++) body.push(...position(u));
      for (const red of reds) body.push(...foldOf(red).names.map((nm) => `${accName(red, nm)}[_c] = ${nm};`));
      return [`#pragma omp simd`, `for (int64_t _c = 0; _c < bl; _c++) {`, ...body.map((l) => "  " + l), `}`];
    };
    if (v.inner === 1) {
      // The same order of steps per column as one position at a time, with fewer trips of the accumulators through memory.
      ph.push(`  int64_t _j = 0;`, `  for (; _j + ${COLUMN_UNROLL} <= rn; _j += ${COLUMN_UNROLL}) {`);
      ph.push(...columns(COLUMN_UNROLL).map((l) => "    " + l), `    ${accs.map((a) => `q${a.index} += ${COLUMN_UNROLL} * rs${a.index};`).join(" ")}`, `  }`);
      ph.push(`  for (; _j < rn; _j++) {`, ...columns(1).map((l) => "    " + l), `    ${accs.map((a) => `q${a.index} += rs${a.index};`).join(" ")}`);
    } else {
      ph.push(`  int64_t ridx[32] = {0};`, `  for (int64_t _j = 0; _j < rn; _j++) {`, ...columns(1).map((l) => "    " + l));
      ph.push(`    for (int d = rRank - 1; d >= 0; d--) {`, `      ridx[d]++;`);
      for (const a of accs) ph.push(`      q${a.index} += rs[${a.index} * rRank + d];`);
      ph.push(`      if (ridx[d] < rShape[d]) break;`);
      for (const a of accs) ph.push(`      q${a.index} -= (int64_t)rs[${a.index} * rRank + d] * rShape[d];`);
      ph.push(`      ridx[d] = 0;`, `    }`);
    }
    ph.push(`  }`);
    // Each reduction's result, then the row work that waits for it.
    for (const p of group) {
      const red = kp.reductionOf(p);
      if (!red) continue;
      const f = foldOf(red);
      const before = [
        `const double count = (double)rn;`,
        ...f.names.map((nm) => `const ${f.accType} ${nm} = ${accName(red, nm)}[_c];`),
        `const ${computeType(red.node.dtype)} ${value(red)} = ${convert(red.node.dtype, exprToCpp(renameIds(f.r.result, f.map), { float: false }))};`,
        `${arr(red)}[_c] = ${value(red)};`,
      ];
      ph.push(...rowWork(p + 1, before, [red]).map((l) => "  " + l));
    }
    ph.push("}");
    body.push(...ph);
  }
  const storeLines: string[] = [];
  for (const m of kp.rowStores) {
    used.add(m.store!);
    storeLines.push(`D${m.store!.index}[${colIndex(m.store!, "p")}] = (${C_TYPE[m.node.dtype]})${arr(m)}[_c];`);
  }
  body.push(...rowLoop(storeLines));

  const accs = [...used].sort((a, b) => a.index - b.index);
  const arrays: [string, string][] = [];
  for (const m of k.members) if (kp.live.has(m) && m.level === "row") arrays.push([computeType(m.node.dtype), arr(m)]);
  for (const [m, f] of folds) for (const nm of f.names) arrays.push([f.accType, accName(m, nm)]);
  const perColumn = arrays.reduce((b, [t]) => b + (t === "float" ? 4 : 8), 0);
  // Wide blocks stream long runs of each row (measured: 512 columns 1.5x as fast per element as 128).
  const block = Math.max(COLUMN_MIN, Math.min(COLUMN_BLOCK, Math.floor(COLUMN_BYTES / Math.max(1, perColumn) / 8) * 8));
  const parallel = `on * rn >= ${PARALLEL_MIN}`;
  // The block width: `block`, narrower (down to COLUMN_MIN) while a parallel kernel has too few blocks to share.
  const blocks = [
    `const int64_t C = ri, nrest = C > 0 ? on / C : 0;`,
    `int64_t bw = C < ${block} ? C : ${block};`,
    `if (${parallel}) while (bw > ${COLUMN_MIN} && nrest * ((C + bw - 1) / bw) < (bw > ${COLUMN_WIDE} ? 8 : 2)) bw = ((bw >> 1) + 7) & ~(int64_t)7;`,
    `int64_t nblk = (C + bw - 1) / bw;`,
    // Blocks of equal width (a multiple of 8, at most `block`), so no thread gets a longer one.
    `bw = (((C + nblk - 1) / nblk) + 7) & ~(int64_t)7; nblk = (C + bw - 1) / bw;`,
  ];
  const name = cppKernelName(k, v);
  const params = [...k.accesses.map((a) => `void* P${a.index}`), "const int32_t* M"];
  const decl: string[] = metaDeclarations(n);
  const pointers: string[] = [];
  for (const a of accs) {
    pointers.push(`${C_TYPE[accessDType(a)]}* __restrict D${a.index} = (${C_TYPE[accessDType(a)]}*)P${a.index};`);
    if (v.strides[a.index] === "n") pointers.push(`const int64_t is${a.index} = is[${a.index}];`);
    if (v.inner === 1) pointers.push(`const int64_t rs${a.index} = rs[${a.index}];`);
  }
  const unit: string[] = [
    `for (int64_t u = _begin; u < _end; u++) {`,
    `  const int64_t _o = u / nblk, c0 = (u % nblk) * bw, bl = C - c0 < bw ? C - c0 : bw;`,
    `  ${accs.map((a) => `int64_t p${a.index} = M[${a.index}] + c0 * (int64_t)is[${a.index}];`).join(" ")}`,
  ];
  if (v.outer === 1) for (const a of accs) unit.push(`  p${a.index} += _o * (int64_t)os[${a.index}];`);
  if (v.outer === "m") {
    unit.push(`  { int64_t t = _o; for (int d = oRank - 1; d >= 0; d--) { const int64_t i = t % oShape[d]; t /= oShape[d];`);
    for (const a of accs) unit.push(`    p${a.index} += i * os[${a.index} * oRank + d];`);
    unit.push(`  } }`);
  }
  unit.push(...arrays.map(([t, nm]) => `  ${t} ${nm}[${block}];`), ...body.map((l) => "  " + l), `}`);

  const L: string[] = [];
  L.push(`// kernel ${k.id} (columns): ${k.members.filter((m) => kp.live.has(m)).map((m) => m.def.name).join(", ")}`);
  L.push(`static void ${name}_range(int64_t _begin, int64_t _end, ${params.map((p) => p.replace("* ", "* __restrict ")).join(", ")}) {`);
  L.push(...[...decl, ...pre, ...pointers, ...blocks, ...unit].map((l) => "  " + l), "}");
  L.push(`extern "C" void ${name}(${params.join(", ")}) {`);
  L.push(
    ...[
      decl[0]!,
      `if (on == 0 || ri == 0) return;`,
      ...blocks,
      `const int64_t units = nrest * nblk;`,
      `const int64_t work = rn * bw > 0 ? rn * bw : 1;`,
      `kn::parallel_for(units, (${SEGMENT} + work - 1) / work, units > 1 && ${parallel}, [&](int64_t _begin, int64_t _end) { ${name}_range(_begin, _end, ${k.accesses.map((a) => `P${a.index}`).join(", ")}, M); });`,
    ].map((l) => "  " + l),
    "}",
  );
  return { name, source: L.join("\n"), pointers: n, epilogue: false };
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
