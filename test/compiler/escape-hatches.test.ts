import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, cond, library, GraphBreakError, type Tensor } from "../../src/index.js";

const f32 = (d: number[] | number[][]) => k.tensor(d, { dtype: "float32" });

afterEach(() => compiler.reset());

describe("cond", () => {
  const trueFn = (x: Tensor) => x.sin();
  const falseFn = (x: Tensor) => x.cos();
  const fn = (x: Tensor) => cond(x.sum().gt(0), trueFn, falseFn, [x]) as Tensor;

  it("takes the right branch eagerly and compiled, without a graph break", () => {
    for (const data of [[1, 2], [-1, -2]]) {
      const eager = fn(f32(data)).tolist();
      expect(compile(fn, { fullgraph: true })(f32(data)).tolist()).toEqual(eager);
      const e = compiler.explain(fn)(f32(data));
      expect(e.graphBreakCount).toBe(0);
      expect(e.graphCount).toBe(1);
      expect(e.opsPerGraph[0]).toEqual(expect.arrayContaining(["sin", "cos", "where"]));
    }
    const expected = [Math.fround(Math.sin(1)), Math.fround(Math.sin(2))];
    expect(fn(f32([1, 2])).tolist()).toEqual(expected);
    // both predicates share one compiled graph
    compiler.reset();
    const f = compile(fn);
    f(f32([1, 2]));
    f(f32([-1, -2]));
    expect(compiler.stats()).toMatchObject({ compiles: 1, cacheHits: 1 });
  });

  it("accepts a JS boolean predicate and several outputs", () => {
    const out = cond(true, (a: Tensor, b: Tensor) => [a.add(b), a.sub(b)], (a: Tensor, b: Tensor) => [a.mul(b), a.div(b)], [f32([4]), f32([2])]) as Tensor[];
    expect(out.map((t) => t.tolist())).toEqual([[6], [2]]);
  });

  it("throws a clear error when the branches disagree, eagerly and compiled", () => {
    const bad = (x: Tensor) => cond(x.sum().gt(0), (a: Tensor) => a.sum(), (a: Tensor) => a.neg(), [x]) as Tensor;
    expect(() => bad(f32([1, 2]))).toThrow(/output 0 of trueFn is float32\[\] but output 0 of falseFn is float32\[2\]/);
    expect(() => compile(bad)(f32([1, 2]))).toThrow(/both branches must return the same shapes and dtypes/);
    expect(() => cond(k.tensor([true, false]), trueFn, falseFn, [f32([1])])).toThrow(/one-element/);
  });
});

describe("library.customOp", () => {
  it("runs opaque code on concrete tensors inside the graph when it has a fake", () => {
    const seen: boolean[] = [];
    const op = library.customOp("test::double_plus", (x: Tensor) => {
      seen.push(x.isLazy);
      return k.tensor((x.toArray() as Float32Array).map((v) => v * 2 + 1), { dtype: x.dtype });
    });
    op.registerFake((x: Tensor) => x.mul(1));
    const fn = (x: Tensor) => (op(x.add(1)) as Tensor).neg();
    const e = compiler.explain(fn)(f32([1, 2]));
    expect(e.graphBreakCount).toBe(0);
    expect(e.opsPerGraph[0]).toEqual(["add", "test::double_plus", "neg"]);
    expect(compile(fn, { fullgraph: true })(f32([1, 2])).tolist()).toEqual([-5, -7]);
    expect(fn(f32([1, 2])).tolist()).toEqual([-5, -7]);
    expect(seen.every((lazy) => lazy === false)).toBe(true);
  });

  it("a tensor its fake reads and the graph reads is one graph input", () => {
    const op = library.customOp("test::twice_shared", (x: Tensor) => x.mul(2));
    op.registerFake((x: Tensor) => k.emptyLike(x.add(1)));
    const fn = (x: Tensor) => x.sin().add(op(x) as Tensor).add(x);
    const e = compiler.explain(fn)(f32([1, 2]));
    expect(e.graphs[0]!.placeholders.map((p) => p.name)).toEqual(["x"]);
    const f = compile(fn);
    for (let i = 0; i < 3; i++) expect(f(f32([1, 2])).tolist()).toEqual(fn(f32([1, 2])).tolist());
    expect(compiler.stats()).toMatchObject({ compiles: 2, cacheHits: 2 });
  });

  it("without a fake it is a custom-op-without-fake break", () => {
    const op = library.customOp("test::no_fake", (x: Tensor) => x.mul(3));
    const fn = (x: Tensor) => (op(x.add(1)) as Tensor).sum();
    const e = compiler.explain(fn)(f32([1, 2]));
    expect(e.breakReasons.map((b) => b.type)).toEqual(["custom-op-without-fake"]);
    expect(e.breakReasons[0]!.hints.join(" ")).toContain("registerFake");
    expect(compile(fn)(f32([1, 2])).item()).toBe(15);
    expect(() => compile(fn, { fullgraph: true })(f32([1, 2]))).toThrow(GraphBreakError);
  });

  it("mutatesArgs: the write reaches the argument when the graph runs", () => {
    const op = library.customOp(
      "test::fill_seven",
      (buf: Tensor, x: Tensor) => {
        buf.fill_(7);
        return x.add(buf);
      },
      { mutatesArgs: [0] },
    );
    op.registerFake((_buf: Tensor, x: Tensor) => x.mul(1));
    const fn = (buf: Tensor, x: Tensor) => (op(buf, x.mul(2)) as Tensor).add(buf.sum());
    const be = f32([0, 0]);
    const bc = f32([0, 0]);
    const eager = fn(be, f32([1, 2])).tolist();
    expect(compile(fn)(bc, f32([1, 2])).tolist()).toEqual(eager);
    expect(bc.tolist()).toEqual([7, 7]);
  });

  it("validates its name", () => {
    expect(() => library.customOp("nonamespace", (x: Tensor) => x)).toThrow(/namespace::op_name/);
  });
});

describe("compiler.disable", () => {
  it("runs the function eagerly with a disabled-function break", () => {
    const inner = compiler.disable(function helper(x: Tensor) {
      return x.mul(2);
    });
    const fn = (x: Tensor) => inner(x.add(1)).sub(1);
    const e = compiler.explain(fn)(f32([1]));
    expect(e.breakReasons.map((b) => b.type)).toEqual(["disabled-function"]);
    expect(e.breakReasons[0]!.reason).toContain("helper");
    expect(e.opsPerGraph).toEqual([["add"], ["sub"]]);
    expect(compile(fn)(f32([1])).tolist()).toEqual([3]);
  });

  it("recursive (default) also runs compiled functions it calls eagerly; recursive: false compiles them", () => {
    const nested = compile((x: Tensor) => x.exp());
    const recursive = compiler.disable((x: Tensor) => nested(x));
    recursive(f32([0]));
    expect(compiler.stats().compiles).toBe(0);
    const shallow = compiler.disable((x: Tensor) => nested(x), { recursive: false });
    expect(shallow(f32([0])).tolist()).toEqual([1]);
    expect(compiler.stats().compiles).toBe(1);
    // inside a compiled function too
    compiler.reset();
    const outer = compile((x: Tensor) => shallow(x.add(1)).neg());
    expect(outer(f32([0])).item()).toBeCloseTo(-Math.E, 5);
    expect(compiler.stats().compiles).toBe(3);
  });
});

describe("compiler.skipFrame and nonstrictTrace", () => {
  it("skipFrame runs the rest of this call and later calls eagerly", () => {
    const nested = compile((x: Tensor) => x.cos());
    const fn = compile((x: Tensor) => {
      const a = x.add(1);
      compiler.skipFrame();
      return nested(a.mul(2));
    });
    expect(fn(f32([0])).item()).toBeCloseTo(Math.cos(2), 6);
    const after = compiler.stats();
    expect(after.compiles).toBe(2); // the graph before skipFrame, and the nested function
    fn(f32([0]));
    expect(compiler.stats().compiles).toBe(2);
    expect(compiler.stats().cacheHits).toBe(after.cacheHits + 1); // only nested
  });

  it("nonstrictTrace puts a pure function's ops in the graph and ignores its explicit breaks", () => {
    const pure = compiler.nonstrictTrace((x: Tensor) => {
      const y = x.mul(2);
      compiler.graphBreak();
      return y.add(1);
    });
    const e = compiler.explain((x: Tensor) => pure(x).relu())(f32([1, -3]));
    expect(e.graphBreakCount).toBe(0);
    expect(e.opsPerGraph).toEqual([["mul", "add", "relu"]]);
    expect(pure(f32([1])).tolist()).toEqual([3]);
  });
});

describe("nonstrictTrace replay", () => {
  it("replays recorded ops without re-running the JavaScript while argument metadata match", () => {
    let runs = 0;
    const scale = f32([10]);
    const pure = compiler.nonstrictTrace((x: Tensor, y: Tensor) => {
      runs++;
      return x.mul(y).add(scale).tanh();
    });
    const fn = (a: Tensor, b: Tensor) => pure(a, b).add(pure(b, a)).sum();
    const eager = fn(f32([0.1, 0.2]), f32([0.3, -0.4])).item() as number;
    runs = 0;
    const f = compile(fn);
    expect(f(f32([0.1, 0.2]), f32([0.3, -0.4])).item()).toBeCloseTo(eager, 6);
    expect(runs).toBe(1); // the second call inside the same trace was replayed
    expect(f(f32([0.5, 0.6]), f32([0.7, 0.8])).item()).toBeCloseTo(fn(f32([0.5, 0.6]), f32([0.7, 0.8])).item() as number, 6);
    expect(runs).toBe(3); // 1 (compiled, replayed) + 2 eager calls of fn for the reference
    const e = compiler.explain(fn)(f32([0.1, 0.2]), f32([0.3, -0.4]));
    expect(e.opsPerGraph[0]).toEqual(["mul", "add", "tanh", "mul", "add", "tanh", "add", "sum"]);
  });

  it("runs the JavaScript again when shapes differ or autograd must record", () => {
    let runs = 0;
    const pure = compiler.nonstrictTrace((x: Tensor) => {
      runs++;
      return x.exp();
    });
    const f = compile((x: Tensor) => pure(x).sum());
    f(f32([1, 2]));
    f(f32([1, 2]));
    expect(runs).toBe(1);
    f(f32([1, 2, 3]));
    expect(runs).toBe(2);
    const w = k.tensor([0.5, 1], { requiresGrad: true });
    const g = compile((x: Tensor) => pure(x).sum());
    const loss = g(w);
    loss.backward();
    expect(runs).toBe(3);
    expect((w.grad!.tolist() as number[])[0]).toBeCloseTo(Math.exp(0.5), 5);
  });
});
