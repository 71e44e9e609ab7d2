import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, type Graph, type Tensor } from "../../src/index.js";

const f32 = (d: number[] | number[][]) => k.tensor(d, { dtype: "float32" });

afterEach(() => compiler.reset());

describe("compile(): one graph", () => {
  it("gives the eager result and captures one graph", () => {
    const fn = (x: Tensor, y: Tensor) => x.sin().mul(y).relu();
    const f = compile(fn);
    const x = f32([1, 2, 3]);
    const y = f32([1, -1, 2]);
    expect(f(x, y).tolist()).toEqual(fn(x, y).tolist());
    const e = compiler.explain(fn)(x, y);
    expect(e.graphCount).toBe(1);
    expect(e.graphBreakCount).toBe(0);
    expect(e.opsPerGraph).toEqual([["sin", "mul", "relu"]]);
    expect(e.opCount).toBe(3);
  });

  it("caches the graph: later calls with the same shapes are cache hits", () => {
    const f = compile((x: Tensor) => x.exp().add(1));
    const x = f32([0, 1]);
    f(x);
    f(f32([2, 3]));
    f(x);
    expect(compiler.stats()).toMatchObject({ compiles: 1, cacheHits: 2, graphBreaks: 0, recompiles: 0 });
    compiler.reset();
    expect(compiler.stats()).toEqual({ compiles: 0, cacheHits: 0, graphBreaks: 0, recompiles: 0, eagerFallbacks: 0 });
    f(x);
    expect(compiler.stats().compiles).toBe(1);
  });

  it("prints the captured graph as readable code", () => {
    let seen: Graph | null = null;
    const f = compile(
      (x: Tensor, w: Tensor) => x.mul(w).sum(1, { keepdim: true }).tanh(),
      {
        backend: (graph, inputs) => {
          seen = graph;
          return compiler.backends.eager(graph, inputs);
        },
      },
    );
    const out = f(f32([[1, 2], [3, 4]]), f32([0.5, -0.5]));
    expect(out.tolist()).toEqual([[Math.fround(Math.tanh(-0.5))], [Math.fround(Math.tanh(-0.5))]]);
    expect(seen).not.toBeNull();
    const g = seen! as Graph;
    expect(g.nodes.map((n) => n.op)).toEqual(["placeholder", "placeholder", "call", "call", "call", "output"]);
    expect(g.nodes.filter((n) => n.op === "call").map((n) => n.target)).toEqual(["mul", "sum", "tanh"]);
    expect(g.toString()).toMatchInlineSnapshot(`
      "graph(x: f32[2, 2], w: f32[2]) {
        const mul = mul(x, w);  // f32[2, 2]
        const sum = sum(mul, { dims: [1], keepdim: true });  // f32[2, 1]
        const tanh = tanh(sum);  // f32[2, 1]
        return [tanh];
      }"
    `);
  });

  it("hands every graph to a custom backend with example inputs", () => {
    const calls: number[][] = [];
    const f = compile(
      (x: Tensor) => {
        const a = x.add(1);
        compiler.graphBreak();
        return a.mul(2);
      },
      {
        backend: (graph, inputs) => {
          calls.push(inputs.map((t) => t.numel()));
          return compiler.backends.eager(graph, inputs);
        },
      },
    );
    expect(f(f32([1, 2])).tolist()).toEqual([4, 6]);
    expect(calls.length).toBe(2);
  });

  it("traces a compiled function called inside another into the same graph", () => {
    const inner = compile((x: Tensor) => x.cos());
    const outer = (x: Tensor) => inner(x.mul(2)).add(1);
    const e = compiler.explain(outer)(f32([0.5]));
    expect(e.graphCount).toBe(1);
    expect(e.opsPerGraph[0]).toEqual(["mul", "cos", "add"]);
    expect(compile(outer)(f32([0.5])).item()).toBeCloseTo(Math.cos(1) + 1, 6);
  });

  it("returns nested structures of tensors and keeps non-tensor values", () => {
    const fn = (x: Tensor) => ({ a: x.neg(), list: [x.exp(), 3], label: "ok" });
    const out = compile(fn)(f32([0, 1]));
    expect(out.a.tolist()).toEqual([-0, -1]);
    expect((out.list[0] as Tensor).tolist()).toEqual([1, Math.fround(Math.E)]);
    expect(out.list[1]).toBe(3);
    expect(out.label).toBe("ok");
  });

  it("throws user errors with the eager message, not as graph breaks", () => {
    const fn = (x: Tensor, y: Tensor) => x.add(y);
    const eagerError = (() => {
      try {
        fn(f32([1, 2, 3]), f32([1, 2]));
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(() => compile(fn)(f32([1, 2, 3]), f32([1, 2]))).toThrow(eagerError.message);
    expect(() => compile(fn, { fullgraph: true })(f32([1, 2, 3]), f32([1, 2]))).toThrow(k.ShapeError);
    expect(compiler.stats().graphBreaks).toBe(0);
  });

  it("validates compile options", () => {
    expect(() => compile((x: Tensor) => x, { backend: "fast" as "eager" })).toThrow(/backend must be/);
    expect(() => compile(42 as unknown as () => void)).toThrow(/expects a function or a module/);
  });

  it("runs random ops identically to eager under manualSeed", () => {
    const fn = (x: Tensor) => x.add(k.randn([3]));
    k.manualSeed(7);
    const eager1 = fn(f32([0, 0, 0])).tolist();
    const eager2 = fn(f32([0, 0, 0])).tolist();
    k.manualSeed(7);
    const f = compile(fn);
    expect(f(f32([0, 0, 0])).tolist()).toEqual(eager1);
    expect(f(f32([0, 0, 0])).tolist()).toEqual(eager2);
    expect(compiler.stats().compiles).toBe(1);
  });
});

describe("errors thrown by compiled code", () => {
  it("writes recorded before a user error still happen, and the eager error is rethrown", () => {
    const fn = (p: Tensor, bad: Tensor) => {
      p.add_(1);
      return p.matmul(bad);
    };
    const pe = f32([[1, 2]]);
    const pc = f32([[1, 2]]);
    let eagerMessage = "";
    try {
      fn(pe, f32([1, 2, 3]));
    } catch (e) {
      eagerMessage = (e as Error).message;
    }
    expect(eagerMessage).not.toBe("");
    expect(() => compile(fn)(pc, f32([1, 2, 3]))).toThrow(eagerMessage);
    expect(pc.tolist()).toEqual(pe.tolist());
  });

  it("an exception thrown by user JavaScript propagates unchanged after running the graph so far", () => {
    const seen: number[] = [];
    const fn = (x: Tensor) => {
      const y = x.mul(2);
      seen.push(y.sum().item() as number);
      throw new RangeError("user failure");
    };
    expect(() => compile(fn)(f32([1, 2]))).toThrow(RangeError);
    expect(seen).toEqual([6]);
  });
});
