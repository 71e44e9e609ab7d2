import { afterEach, describe, expect, it, vi } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, GraphBreakError, type Tensor } from "../../src/index.js";
import { lineOf } from "../helpers/source-lines.js";

const f32 = (d: number[] | number[][]) => k.tensor(d, { dtype: "float32" });
const here = import.meta.url;
const file = "breaks.test.ts";

afterEach(() => {
  compiler.reset();
  compiler.config.reorderableLoggingFunctions.clear();
});

/** Runs fn eagerly and compiled on fresh copies of the inputs and compares results. */
function sameAsEager(fn: (...xs: Tensor[]) => Tensor, make: () => Tensor[]): void {
  const eager = fn(...make()).tolist();
  const compiled = compile(fn)(...make()).tolist();
  expect(compiled).toEqual(eager);
}

describe("graph breaks", () => {
  it("an explicit break between two halves gives two graphs", () => {
    const fn = (x: Tensor) => {
      const a = x.sin().mul(2);
      compiler.graphBreak(); // @explicit-break
      return a.add(x).relu();
    };
    const e = compiler.explain(fn)(f32([1, -2]));
    expect(e.graphCount).toBe(2);
    expect(e.graphBreakCount).toBe(1);
    expect(e.opsPerGraph).toEqual([["sin", "mul"], ["add", "relu"]]);
    expect(e.breakReasons[0]!.type).toBe("explicit-graph-break");
    expect(e.breakReasons[0]!.reason).toBe("compiler.graphBreak() was called");
    expect(e.breakReasons[0]!.userStack[0]).toContain(`${file}:${lineOf(here, "@explicit-break")}:`);
    sameAsEager(fn, () => [f32([1, -2])]);
  });

  it("if (y.item() > 0) breaks with type tensor-item, a reason, hints and the user line", () => {
    const fn = (x: Tensor, y: Tensor) => {
      const s = y.mul(x).sum();
      if ((s.item() as number) > 0) return x.exp(); // @item-break
      return x.neg();
    };
    for (const y of [f32([1, 1]), f32([-1, -1])]) {
      const e = compiler.explain(fn)(f32([1, 2]), y);
      expect(e.graphCount).toBe(2);
      expect(e.graphBreakCount).toBe(1);
      const b = e.breakReasons[0]!;
      expect(b.type).toBe("tensor-item");
      expect(b.reason).toMatch(/item\(\) needs the value of a tensor of shape \[\]/);
      expect(b.hints.join("\n")).toMatch(/kiln\.where|kiln\.cond/);
      expect(b.userStack[0]).toContain(`${file}:${lineOf(here, "@item-break")}:`);
      sameAsEager(fn, () => [f32([1, 2]), y]);
    }
  });

  it("conversions to primitives and printing have their own break types", () => {
    const cases: [string, (t: Tensor) => unknown][] = [
      ["tensor-to-primitive", (t) => +(t as unknown as number)],
      ["tensor-to-primitive", (t) => (t as unknown as number) > 0],
      ["tensor-print", (t) => `${t}`],
      ["tensor-print", (t) => t.toString()],
      ["tensor-data-access", (t) => t.tolist()],
      ["tensor-data-access", (t) => t.toArray()],
    ];
    for (const [type, use] of cases) {
      const e = compiler.explain((x: Tensor) => {
        const s = x.sum();
        use(s);
        return s.mul(2);
      })(f32([1, 2]));
      expect(e.breakReasons.map((b) => b.type)).toEqual([type]);
      expect(e.graphCount).toBe(2);
    }
  });

  it("console.log of a tensor is a tensor-print break; reorderable logging prints after the graph instead", () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(" "));
    });
    try {
      const fn = (x: Tensor) => {
        const y = x.mul(3);
        console.log("y is", y);
        return y.add(1);
      };
      const e = compiler.explain(fn)(f32([1, 2]));
      expect(e.breakReasons.map((b) => b.type)).toEqual(["tensor-print"]);
      expect(printed).toEqual(["y is tensor([3., 6.])"]);
      printed.length = 0;
      compiler.config.reorderableLoggingFunctions.add(console.log);
      const e2 = compiler.explain(fn)(f32([1, 2]));
      expect(e2.graphBreakCount).toBe(0);
      expect(e2.graphCount).toBe(1);
      expect(printed).toEqual(["y is tensor([3., 6.])"]);
      expect(compile(fn)(f32([1, 2])).tolist()).toEqual([4, 7]);
    } finally {
      spy.mockRestore();
    }
  });

  it("a break three calls deep is reported once, with the innermost user frame first", () => {
    const level3 = (t: Tensor) => t.sum().item(); // @deep-break
    const level2 = (t: Tensor) => level3(t.mul(2));
    const level1 = (t: Tensor) => level2(t.add(1));
    const fn = (x: Tensor) => {
      const v = level1(x) as number;
      return x.mul(v);
    };
    const e = compiler.explain(fn)(f32([1, 2]));
    expect(e.graphBreakCount).toBe(1);
    const stack = e.breakReasons[0]!.userStack;
    expect(stack[0]).toContain(`${file}:${lineOf(here, "@deep-break")}:`);
    expect(stack.length).toBeGreaterThanOrEqual(4);
    expect(stack.every((f) => !f.includes("/src/compiler/"))).toBe(true);
    sameAsEager(fn, () => [f32([1, 2])]);
  });

  it("a break inside a for loop keeps compiling around it", () => {
    const fn = (x: Tensor) => {
      let acc = x;
      for (let i = 0; i < 3; i++) {
        acc = acc.mul(2).add(1);
        if ((acc.sum().item() as number) > 1000) break;
      }
      return acc.relu();
    };
    const e = compiler.explain(fn)(f32([1, 2]));
    expect(e.graphBreakCount).toBe(3);
    expect(e.graphCount).toBe(4);
    sameAsEager(fn, () => [f32([1, 2])]);
    const f = compile(fn);
    f(f32([1, 2]));
    compiler.reset();
    f(f32([1, 2]));
    f(f32([3, 4]));
    // four positions, each compiled once and then hit
    expect(compiler.stats()).toMatchObject({ compiles: 4, cacheHits: 4, recompiles: 0 });
  });

  it("a break inside try/finally still compiles the code around it and runs finally", () => {
    const log: string[] = [];
    const fn = (x: Tensor) => {
      const a = x.exp();
      try {
        log.push(String(a.sum().item() as number > 0));
        return a.mul(2);
      } finally {
        log.push("finally");
      }
    };
    const e = compiler.explain(fn)(f32([0]));
    expect(e.graphCount).toBe(2);
    expect(log).toEqual(["true", "finally"]);
    sameAsEager(fn, () => [f32([0, 1])]);
  });

  it("reading an input's values is not a break", () => {
    const fn = (x: Tensor, n: Tensor) => x.mul(n.item() as number).add(n.tolist() as number);
    const e = compiler.explain(fn)(f32([1, 2]), f32([3]).reshape([]));
    expect(e.graphBreakCount).toBe(0);
    expect(e.graphCount).toBe(1);
    sameAsEager(fn, () => [f32([1, 2]), f32([3]).reshape([])]);
  });

  it("fullgraph: true throws GraphBreakError at the first break before modifying any tensor", () => {
    const fn = (p: Tensor, x: Tensor) => {
      p.add_(x);
      const s = p.sum();
      if ((s.item() as number) > 0) p.mul_(2); // @fullgraph-break
      return p;
    };
    const p = f32([1, 2]);
    const before = p._version;
    let err: unknown;
    try {
      compile(fn, { fullgraph: true })(p, f32([1, 1]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraphBreakError);
    expect(err).toBeInstanceOf(k.KilnError);
    const g = err as GraphBreakError;
    expect(g.type).toBe("tensor-item");
    expect(g.reason).toMatch(/item\(\)/);
    expect(g.hints.length).toBeGreaterThan(0);
    expect(g.userStack[0]).toContain(`${file}:${lineOf(here, "@fullgraph-break")}:`);
    expect(g.message).toContain("tensor-item");
    expect(g.message).toContain(g.reason);
    expect(g.message).toContain(g.hints[0]!);
    expect(g.message).toContain(g.userStack[0]!);
    expect(p.tolist()).toEqual([1, 2]);
    expect(p._version).toBe(before);
    expect(compiler.GraphBreakError).toBe(GraphBreakError);
  });

  it("fullgraph: true accepts code without breaks", () => {
    const f = compile((x: Tensor) => x.mul(x).sum(), { fullgraph: true });
    expect(f(f32([1, 2, 3])).item()).toBe(14);
  });

  it("errorOnGraphBreak(true) turns breaks into errors inside its calls; false allows them under fullgraph", () => {
    const needsValue = (x: Tensor) => x.mul(x.sum().item() as number);
    const strict = compiler.errorOnGraphBreak(true, needsValue);
    expect(() => compile((x: Tensor) => strict(x.add(1)))(f32([1]))).toThrow(GraphBreakError);
    const lenient = compiler.errorOnGraphBreak(false, needsValue);
    const f = compile((x: Tensor) => lenient(x.add(1)).neg(), { fullgraph: true });
    expect(f(f32([1, 2])).tolist()).toEqual([-10, -15]);
  });

  it("an op with a data-dependent output shape breaks the graph", () => {
    const fn = (x: Tensor) => {
      const idx = k.nonzero(x.gt(0));
      return idx.add(1);
    };
    const e = compiler.explain(fn)(f32([1, -1, 2]));
    expect(e.breakReasons.map((b) => b.type)).toEqual(["data-dependent-shape"]);
    expect(e.breakReasons[0]!.reason).toContain("nonzero");
    sameAsEager(fn, () => [f32([1, -1, 2])]);
  });
});
