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
