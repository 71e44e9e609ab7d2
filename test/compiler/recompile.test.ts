import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, type LogRecord, type Tensor } from "../../src/index.js";

const f32 = (d: number[] | number[][]) => k.tensor(d, { dtype: "float32" });
const ones = (n: number) => k.tensor(Array.from({ length: n }, () => 1), { dtype: "float32" });

function captureLogs(): LogRecord[] {
  const records: LogRecord[] = [];
  compiler.setLogs({ recompiles: true, guards: true, graphBreaks: true, graphCode: true, handler: (r) => records.push(r) });
  return records;
}

afterEach(() => {
  compiler.reset();
  compiler.resetLogs();
  compiler.config.recompileLimit = 8;
});

describe("recompiles and dynamic shapes", () => {
  it("names the input and the dim in the recompile reason", () => {
    const logs = captureLogs();
    const f = compile((x: Tensor) => x.mul(2), { dynamic: false });
    f(ones(3));
    f(ones(4));
    const rec = logs.filter((r) => r.category === "recompiles");
    expect(rec.length).toBe(1);
    expect(rec[0]!.message).toContain("input x: size mismatch at dim 0: expected 3, actual 4");
    expect(compiler.stats()).toMatchObject({ compiles: 2, recompiles: 1 });
  });

  it("dynamic: undefined compiles static first, then makes the changed size dynamic", () => {
    const f = compile((x: Tensor) => x.exp().sum(0));
    f(ones(3));
    f(ones(4));
    f(ones(5));
    f(ones(6));
    expect(compiler.stats()).toMatchObject({ compiles: 2, recompiles: 1, cacheHits: 2 });
    expect(f(ones(7)).item()).toBeCloseTo(7 * Math.E, 4);
  });

  it("dynamic: false specialises on every size", () => {
    const f = compile((x: Tensor) => x.exp().sum(0), { dynamic: false });
    for (const n of [3, 4, 5, 3]) f(ones(n));
    expect(compiler.stats()).toMatchObject({ compiles: 3, recompiles: 2, cacheHits: 1 });
  });

  it("dynamic: true starts dynamic", () => {
    const logs = captureLogs();
    const f = compile((x: Tensor) => x.exp().sum(0), { dynamic: true });
    for (const n of [3, 4, 5]) f(ones(n));
    expect(compiler.stats()).toMatchObject({ compiles: 1, recompiles: 0, cacheHits: 2 });
    expect(logs.find((r) => r.category === "guards")!.message).toContain("x: float32[s0] contiguous");
  });

  it("markDynamic marks one dimension from the first compile", () => {
    const f = compile((x: Tensor) => x.sum(1));
    for (const n of [2, 3, 4]) {
      const x = k.tensor(Array.from({ length: n }, () => [1, 2]), { dtype: "float32" });
      compiler.markDynamic(x, 0);
      expect(f(x).tolist()).toEqual(Array.from({ length: n }, () => 3));
    }
    expect(compiler.stats()).toMatchObject({ compiles: 1, cacheHits: 2 });
  });

  it("changed number arguments recompile once and then become dynamic", () => {
    const logs = captureLogs();
    const f = compile((x: Tensor, scale: number) => x.mul(scale));
    expect(f(ones(2), 2).tolist()).toEqual([2, 2]);
    expect(f(ones(2), 3).tolist()).toEqual([3, 3]);
    expect(f(ones(2), 4).tolist()).toEqual([4, 4]);
    expect(compiler.stats()).toMatchObject({ compiles: 2, recompiles: 1, cacheHits: 1 });
    expect(logs.find((r) => r.category === "recompiles")!.message).toContain("number argument scale: value changed: expected 2, actual 3");
  });

  it("past recompileLimit the position runs eagerly with a warning, and results stay correct", () => {
    const logs: LogRecord[] = [];
    compiler.setLogs({ handler: (r) => logs.push(r) });
    compiler.config.recompileLimit = 3;
    const fn = function shapeShifter(x: Tensor) {
      return x.mul(x).sum();
    };
    const f = compile(fn, { dynamic: false });
    for (let n = 1; n <= 6; n++) expect(f(ones(n)).item()).toBe(n);
    const s = compiler.stats();
    expect(s.compiles).toBe(3);
    expect(s.eagerFallbacks).toBe(3);
    const warnings = logs.filter((r) => r.category === "warnings");
    expect(warnings.length).toBe(1);
    expect(warnings[0]!.message).toContain("shapeShifter");
    expect(warnings[0]!.message).toContain("recompileLimit (3)");
    expect(warnings[0]!.message).toContain("input x: size mismatch at dim 0: expected 3, actual 4");
  });

  it("a change in the traced graph is a recompile naming the step that changed", () => {
    const logs = captureLogs();
    const f = compile((x: Tensor, useExp: boolean) => (useExp ? x.exp() : x.sin()).sum());
    f(ones(2), true);
    f(ones(2), false);
    expect(logs.find((r) => r.category === "recompiles")!.message).toMatch(/graph changed at step \d+: expected exp\(.*actual sin\(/);
  });

  it("logs graph breaks with type, reason and location, and graph code", () => {
    const logs = captureLogs();
    compile((x: Tensor) => x.add(x.sum().item() as number))(ones(2));
    const brk = logs.find((r) => r.category === "graph_breaks")!;
    expect(brk.message).toContain("tensor-item");
    expect(brk.message).toContain("recompile.test.ts:");
    expect(logs.filter((r) => r.category === "graph_code").length).toBe(2);
    expect(logs.find((r) => r.category === "graph_code")!.message).toContain("const sum = sum(x");
  });
});
