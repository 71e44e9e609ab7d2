// The native C++ target: the JS-to-C++ translation of the registry's scalar code (checked by
// compiling expressions and comparing with JavaScript on awkward values), builds cached on disk
// across processes, the fallback to JavaScript with one log line, explicit backend choice,
// background builds and thread settings. Whole-suite agreement with eager runs is checked by
// test/compiler/op-cases-compiled.test.ts and the fuzz tests, which run through this target.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, type Tensor } from "../../src/index.js";
import { buildLibrary, nativeAvailable, PRELUDE_HEADER } from "../../src/backends/native/build.js";
import { conditionToCpp, exprToCpp, statementsToCpp } from "../../src/backends/native/js-to-cpp.js";
import { nativeBackend } from "../../src/backends/default.js";

const native = nativeAvailable();
const VALUES = [0, -0, 1, -1, 0.5, -2.5, 2.5, 1.5, 0.49999999999999994, 7, -7, 3e9, -3e9, 2 ** 31, 1e-300, NaN, Infinity, -Infinity];

const EXPRESSIONS = [
  "x + y * 2",
  "(x - y) / 3",
  "(x + y) | 0",
  "x >>> 1",
  "x << y",
  "x >> 2",
  "~x",
  "x ^ y",
  "x & 6",
  "x % y",
  "Math.max(x, y)",
  "Math.min(x, y, 0)",
  "Math.round(x)",
  "Math.sign(x)",
  "Math.trunc(x) + Math.floor(y) - Math.ceil(x)",
  "Math.imul(x, y)",
  "Math.abs(x)",
  "Math.fround(x / 3)",
  "x ? y : 5",
  "x || y",
  "x && y",
  "!x",
  "x !== x ? 1 : 0",
  "x === y",
  "x < y ? x : y",
  "Number.isInteger(x)",
  "Number.isNaN(x) ? -1 : Number.isFinite(x) ? 1 : 0",
  "x > 0 && y > 0",
  "-x",
  "Math.PI * x + Math.LN2",
  "x === 0 ? Infinity : -Infinity",
  "Math.sqrt(x) + Math.exp(-y * y)",
  "Math.log1p(x) - Math.expm1(y)",
];

describe.skipIf(!native)("native target: JavaScript semantics of translated scalar code", () => {
  it("evaluates every expression form exactly as JavaScript on awkward values (double context)", () => {
    const fns = EXPRESSIONS.map((e, i) => `extern "C" double e${i}(double x, double y) { return ${exprToCpp(e, { float: false })}; }`);
    const lib = buildLibrary("test-exprs", `#include "${PRELUDE_HEADER}"\n${fns.join("\n")}\n`);
    EXPRESSIONS.forEach((e, i) => {
      const cpp = lib.func(`double e${i}(double x, double y)`);
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const js = new Function("x", "y", `return +(${e});`) as (x: number, y: number) => number;
      for (const x of VALUES) {
        for (const y of [VALUES[3]!, VALUES[5]!, VALUES[9]!, NaN, -0, 3e9]) {
          const want = js(x, y);
          const got = cpp(x, y) as number;
          // Transcendentals are not correctly rounded in either language; a multiply-add may be
          // contracted into one rounding (FMA) in C++.
          const inexact = /Math\.(sqrt|exp|log1p|expm1)|\*.*\+/.test(e);
          if (inexact && Number.isFinite(want)) expect(Math.abs(got - want), `${e} at x=${x}, y=${y}`).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-300);
          else expect(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)) || (got === want && !Object.is(want, -0)), `${e} at x=${x}, y=${y}: C++ ${got}, JS ${want}`).toBe(true);
        }
      }
    });
  });

  it("keeps float32 work in float (float literals) and translates statements and conditions", () => {
    expect(exprToCpp("x * 0.5 + 1", { float: true })).toBe("((x * 0.5f) + 1.0f)");
    expect(exprToCpp("x * 1e300", { float: true })).toBe("(x * 1e+300)");
    expect(conditionToCpp("acc", { float: false })).toBe("kn::truthy(acc)");
    expect(statementsToCpp("let acc = 0, idx = 0; if (acc === acc && !(x <= acc)) { acc = x; idx = r; }", { float: false })).toEqual([
      "double acc = 0.0;",
      "double idx = 0.0;",
      "if (((acc == acc) && (!(x <= acc)))) {",
      "  acc = x;",
      "  idx = r;",
      "}",
    ]);
    expect(() => exprToCpp("Math.random()", { float: false })).toThrow(/no C\+\+ translation for Math.random/);
  });
});

/** This process's environment for a child, without the suite's target choice (`npm run test:js`). */
function childEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  delete env.KILN_DEFAULT_TARGET;
  return env;
}

/** Runs the child script with extra environment; returns its JSON report and stderr. */
function child(env: Record<string, string>, backend = "default"): { report: { result: number[] | null; expected: number[]; error: string | null; compiled: number; loadedFromDisk: number }; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "fixtures/native-child.ts"), backend], { encoding: "utf8", env: childEnv(env) });
  expect(r.status, r.stderr).toBe(0);
  return { report: JSON.parse(r.stdout.trim().split("\n").pop()!), stderr: r.stderr };
}

function expectClose(a: readonly number[], b: readonly number[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(b[i]!) + 1e-6));
}

describe.skipIf(!native)("native target: vectorised reductions", () => {
  it("amax and amin keep Math.max/Math.min results: NaN wins, +0 above -0", () => {
    const rows = [[1, NaN, 3], [-0, -0, -1], [-0, 0, -5], [0, -0, -5], [2, 5, NaN], [-Infinity, -Infinity, -Infinity], [0, -0, 7]];
    const x = k.tensor(rows.flat()).reshape([rows.length, 3]);
    const show = (t: Tensor) => Array.from(t.toArray() as Float32Array, (v) => (Object.is(v, -0) ? "-0" : String(v)));
    for (const fn of [(t: Tensor) => t.amax(-1), (t: Tensor) => t.amin(-1), (t: Tensor) => t.neg().amin(-1)]) {
      const expected = show(fn(x));
      expect(show(compile(fn, { backend: "native" })(x) as Tensor)).toEqual(expected);
    }
    expect(show(x.amax(-1))).toEqual(["NaN", "-0", "0", "0", "NaN", "-Infinity", "7"]);
    expect(show(x.amin(-1))).toEqual(["NaN", "-1", "-5", "-5", "NaN", "-Infinity", "-0"]);
    // softmax reduces with amax first: NaN rows stay NaN, others match to float rounding.
    const soft = (t: Tensor) => t.softmax(-1);
    const e = soft(x).toArray() as Float32Array;
    const c = (compile(soft, { backend: "native" })(x) as Tensor).toArray() as Float32Array;
    e.forEach((v, i) => (Number.isNaN(v) ? expect(c[i]).toBeNaN() : expect(c[i]).toBeCloseTo(v, 6)));
  });
});

/** Eager vs compiled: floats within `rtol` relative (1e-6 absolute), NaN where eager has NaN, the sign of zero, ints and bools exactly. */
function expectMatches(got: Tensor, want: Tensor, what: string, rtol = 1e-5): void {
  expect(got.shape, what).toEqual(want.shape);
  expect(got.dtype, what).toBe(want.dtype);
  const g = got.toArray() as ArrayLike<number>;
  const w = want.toArray() as ArrayLike<number>;
  const exact = want.dtype === "int32" || want.dtype === "bool";
  for (let i = 0; i < w.length; i++) {
    const e = w[i]!;
    const a = g[i]!;
    if (Number.isNaN(e)) expect(a, `${what}, element ${i}`).toBeNaN();
    else if (exact || e === 0 || !Number.isFinite(e)) expect(Object.is(a, e), `${what}, element ${i}: ${a} vs ${e}`).toBe(true);
    else expect(Math.abs(a - e), `${what}, element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(rtol * Math.abs(e) + 1e-6);
  }
}

/** Tensors of `shape` with NaNs, signed zeros and ties among ordinary values (for max/min/argmax). */
function awkward(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = [NaN, -0, 0, 1, -1, 2, 2, -3];
  return k.tensor(Array.from({ length: n }, (_, i) => (i % 7 === 3 ? vals[(i >> 3) % vals.length]! : Math.round(Math.sin(i * 1.7) * 4)))).reshape(shape);
}

type ColumnCase = [name: string, fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: () => Tensor[], rtol?: number];

/**
 * Reductions over dims outer to a contiguous kept dim (run as column loops: per block of kept
 * positions, stream the reduced rows), with the shapes the fused kernels support around them.
 */
const COLUMN_CASES: ColumnCase[] = [
  ["sum(0), ragged blocks", (x) => x.sum(0), () => [k.randn([37, 300])]],
  ["sum(0) keepdim", (x) => x.sum(0, { keepdim: true }), () => [k.randn([37, 45])]],
  ["mean(0) float64", (x) => x.mean(0), () => [k.randn([33, 70], { dtype: "float64" })]],
  ["long sum(0)", (x) => x.sum(0), () => [k.randn([5000, 24])], 1e-4],
  ["prologue (a*b).sum(0), b broadcast", (a, b) => a.mul(b).add(1).sum(0), () => [k.randn([40, 50]), k.randn([50])]],
  ["prologue with a [R,1] broadcast (stride 0 along the columns)", (a, c) => a.mul(c).sum(0), () => [k.randn([20, 16]), k.randn([20, 1])]],
  ["epilogue mean(0)*2+bias, tanh", (x, b) => x.mean(0).mul(2).add(b).tanh(), () => [k.randn([50, 40]), k.randn([40])]],
  ["two reductions in one kernel: sum and sum of squares", (x) => [x.sum(0), x.square().sum(0)], () => [k.randn([33, 20])]],
  ["bias and layerNorm-weight gradients", (g, xh) => [g.mul(xh).sum(0), g.sum(0)], () => [k.randn([64, 48]), k.randn([64, 48])]],
  ["var(0) and std(0, correction 0)", (x) => [x.var(0), x.std(0, { correction: 0 })], () => [k.randn([33, 20])]],
  ["var(0) float64", (x) => x.var(0), () => [k.randn([33, 20], { dtype: "float64" })]],
  ["amax/amin(0): NaN wins, +0 above -0", (x) => [x.amax(0), x.amin(0), x.neg().amax(0)], () => [awkward([9, 24])]],
  ["argmax/argmin(0): first index of ties and NaN", (x) => [x.argmax(0), x.argmin(0)], () => [awkward([11, 20])]],
  ["prod(0)", (x) => x.prod(0), () => [k.rand([6, 20]).add(0.5)]],
  ["logsumexp(0)", (x) => x.logsumexp(0), () => [k.randn([30, 20])]],
  ["softmax(0) and logSoftmax(0): phases with full-size writes", (x) => [x.softmax(0), x.logSoftmax(0)], () => [k.randn([30, 20])]],
  ["normalise over dim 0 (mean, std, then more pointwise work)", (x) => x.sub(x.mean(0, { keepdim: true })).div(x.std(0, { keepdim: true }).add(1e-5)).relu(), () => [k.randn([25, 18])]],
  ["a transposed view reduced along its rows", (x) => x.T.sum(1), () => [k.randn([40, 30])]],
  ["a transposed input", (x) => x.sum(1), () => [k.randn([40, 30]).T]],
  ["an offset, strided input", (x) => x.mul(x).sum(0), () => [k.randn([40, 50]).slice(1, 3, 45)]],
  ["sum([0, 1]) of a 3-d tensor (merged reduced dims)", (x) => x.sum([0, 1]), () => [k.randn([4, 8, 24])]],
  ["sum(1) of a 3-d tensor (an outer kept dim)", (x) => x.sum(1).mul(3), () => [k.randn([4, 7, 24])]],
  ["sum([0, 2]) of a 4-d tensor (reduced dims that do not merge)", (x) => x.sum([0, 2]), () => [k.randn([4, 6, 5, 16])]],
  ["mean([0, 2], keepdim) then pointwise", (x) => x.mean([0, 2], { keepdim: true }).sub(1), () => [k.randn([3, 5, 4, 16])]],
  ["int32 sum(0) wraps exactly", (x) => x.mul(65536).sum(0), () => [k.randint(-40000, 40000, [20, 16])]],
  ["all/any(0)", (x) => [x.gt(0).all(0), x.gt(0).any(0)], () => [k.randn([3, 20])]],
  ["norm(2, 0)", (x) => x.norm(2, 0), () => [k.randn([30, 20])]],
  ["two kept columns", (x) => x.sum(0), () => [k.randn([300, 2])]],
];

describe.skipIf(!native)("column reductions (reduced dims outer to a contiguous kept dim)", () => {
  for (const backend of ["native", "js"] as const) {
    it(`match eager through the ${backend} target: reducers, prologues, epilogues, views, keepdim, several dims, dtypes`, () => {
      k.manualSeed(7);
      for (const [name, fn, inputs, rtol] of COLUMN_CASES) {
        const xs = inputs();
        const want = fn(...xs);
        const got = compile(fn, { backend })(...xs);
        const w = Array.isArray(want) ? want : [want];
        const g = Array.isArray(got) ? got : [got];
        w.forEach((t, i) => expectMatches(g[i]!, t, `${name} (${backend}), output ${i}`, rtol));
      }
    });
  }

  it("runs as column loops in C++, split among threads, and serves dynamic shapes with the same code", () => {
    const codes: string[] = [];
    const f = compile((x: Tensor, b: Tensor) => x.mul(2).sum(0).add(b), {
      dynamic: true,
      backend: (g, ex) => {
        const c = nativeBackend(g, ex);
        codes.push(c.code ?? "");
        return c;
      },
    });
    for (const [n, m] of [[30, 40], [7, 300], [1000, 9], [2, 64], [50, 3]] as const) {
      const x = k.randn([n, m]);
      const b = k.randn([m]);
      expectMatches(f(x, b) as Tensor, x.mul(2).sum(0).add(b), `[${n}, ${m}]`);
    }
    expect(codes).toHaveLength(1);
    const cpp = codes[0]!.slice(codes[0]!.indexOf("// native module"));
    expect(cpp).toMatch(/\/\/ kernel \d+ \(columns\)/);
    expect(cpp).toContain("kn::parallel_for(units");
    // The inner loop runs over the block's columns, four reduced rows per pass.
    expect(cpp).toMatch(/#pragma omp simd\n\s*for \(int64_t _c = 0; _c < bl; _c\+\+\)/);
    expect(cpp).toContain("_j + 4 <= rn");
    // Independent reductions (layerNorm's weight and bias gradients) share one pass over the input.
    const ln: string[] = [];
    const lnFn = (gy: Tensor, xh: Tensor) => [gy.mul(xh).sum([0, 1]), gy.sum([0, 1])];
    const lnF = compile(lnFn, { backend: (g, ex) => { const c = nativeBackend(g, ex); ln.push(c.code ?? ""); return c; } });
    const [gy, xh] = [k.randn([4, 30, 40]), k.randn([4, 30, 40])];
    (lnF(gy, xh) as Tensor[]).forEach((t, i) => expectMatches(t, lnFn(gy, xh)[i]!, "layerNorm gradients"));
    expect(ln[0]!.slice(ln[0]!.indexOf("// native module"))).toContain("// phase 0, 1: sum, sum");
    // A row reduction keeps the row loops.
    const rows: string[] = [];
    compile((x: Tensor) => x.sum(1), { backend: (g, ex) => { const c = nativeBackend(g, ex); rows.push(c.code ?? ""); return c; } })(k.randn([30, 40]));
    expect(rows[0]).not.toContain("(columns)");
    // Softmax over rows keeps its exp in a row scratch buffer for the second pass instead of recomputing it.
    const sm: string[] = [];
    const smF = compile((x: Tensor) => x.softmax(-1), { backend: (g, ex) => { const c = nativeBackend(g, ex); sm.push(c.code ?? ""); return c; } });
    const xs = k.randn([30, 40]);
    expectMatches(smF(xs) as Tensor, xs.softmax(-1), "softmax rows");
    const smCpp = sm[0]!.slice(sm[0]!.indexOf("// native module"));
    expect(smCpp).toContain("kn::RowScratch<float>");
    expect(smCpp.match(/kn::exp\(/g)).toHaveLength(1);
  });
});

describe.skipIf(!native)("native target: builds, cache and fallback", () => {
  it("compiles in the first process and loads from the disk cache in the second", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-cache-"));
    try {
      const first = child({ KILN_CACHE_DIR: dir });
      expect(first.report.compiled).toBeGreaterThan(0);
      expectClose(first.report.result!, first.report.expected);
      const second = child({ KILN_CACHE_DIR: dir });
      expect(second.report.compiled).toBe(0);
      expect(second.report.loadedFromDisk).toBeGreaterThan(0);
      expectClose(second.report.result!, second.report.expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("falls back to the JavaScript target with one log line when there is no compiler", () => {
    const { report, stderr } = child({ CXX: "/nonexistent/c++" });
    expect(report.error).toBeNull();
    expect(report.compiled).toBe(0);
    expectClose(report.result!, report.expected);
    expect(stderr.match(/native target unavailable \(the C\+\+ compiler CXX=\/nonexistent\/c\+\+ did not run\)/g)).toHaveLength(1);
  });

  it("says why when the native backend is asked for explicitly and is unavailable", () => {
    const { report } = child({ KILN_NATIVE: "0" }, "native");
    expect(report.error).toMatch(/KilnError: backend "native" is unavailable here: KILN_NATIVE=0\. Use backend "default"/);
  });
});

describe("setNumThreads", () => {
  it("rejects anything but a positive integer, as torch.set_num_threads does", () => {
    expect(() => k.setNumThreads(0)).toThrow(/setNumThreads\(\): number of threads must be a positive integer, but got 0/);
    expect(() => k.setNumThreads(1.5)).toThrow(/but got 1.5/);
    expect(() => k.setNumThreads("2" as unknown as number)).toThrow(/but got 2/);
  });

  it.skipIf(!native)("gives the same results with one and two threads, for compiled kernels and eager matmul", () => {
    const before = k.getNumThreads();
    const x = k.randn([256, 300]);
    const w = k.randn([300, 200]);
    const f = compile((a: Tensor, b: Tensor) => a.matmul(b).relu().softmax(-1).sum(0), { backend: "native" });
    try {
      k.setNumThreads(1);
      expect(k.getNumThreads()).toBe(1);
      const one = (f(x, w) as Tensor).toArray();
      k.setNumThreads(2);
      expect(k.getNumThreads()).toBe(2);
      const two = (f(x, w) as Tensor).toArray();
      expect(Array.from(two)).toEqual(Array.from(one));
    } finally {
      k.setNumThreads(before);
    }
  });
});

describe.skipIf(!native)("native target: background builds and threads", () => {
  it("runs the JavaScript kernels while a background build runs, then the native ones, with the same results", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-cache-"));
    try {
      const r = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "fixtures/native-background.ts")], { encoding: "utf8", env: childEnv({ KILN_CACHE_DIR: dir }) });
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as { callsBeforeNative: number; compiled: number; maxDiff: number; poolJobs: number };
      expect(report.compiled).toBeGreaterThanOrEqual(1);
      expect(report.callsBeforeNative).toBeGreaterThan(0);
      expect(report.maxDiff).toBeLessThan(1e-4);
      // Built after the graph's library, the runtime still reaches it: its kernels use the pool.
      expect(report.poolJobs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
