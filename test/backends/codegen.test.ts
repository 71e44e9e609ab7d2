// The default backend's JavaScript target (fusing code generator): what it fuses, the code it prints, and that its
// results match eager runs (floats within 1e-5 relative, ints and bools exactly).
import { describe, expect, it, vi } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, type Tensor } from "../../src/index.js";
import type { CompiledGraph, Graph } from "../../src/compiler/index.js";
import { codegenBackend } from "../../src/backends/codegen/index.js";
import { defaultBackend, jsBackend } from "../../src/backends/default.js";
import { compareRuns, generate, makeInputs, run } from "../compiler/fuzz-programs.js";

/** Compiles `fn` with the default backend and keeps what the backend returned for each graph. */
function capture<A extends Tensor[]>(fn: (...xs: A) => Tensor | Tensor[], options: { dynamic?: boolean } = {}) {
  const compiled: CompiledGraph[] = [];
  const graphs: Graph[] = [];
  const f = compile(fn, {
    ...options,
    backend: (g, ex) => {
      const c = codegenBackend(g, ex);
      compiled.push(c);
      graphs.push(g);
      return c;
    },
  });
  return { f, compiled, graphs };
}

function schedule(c: CompiledGraph): string {
  return c.code!.split("\n\n")[0]!.replace("// schedule\n", "");
}

function kernels(c: CompiledGraph): number {
  return (c.code!.match(/^\/\/ kernel \d+/gm) ?? []).length;
}

function expectClose(a: Tensor, b: Tensor, rtol = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  const x = a.toArray();
  const y = b.toArray();
  for (let i = 0; i < x.length; i++) {
    const e = y[i]!;
    if (Number.isNaN(e)) expect(Number.isNaN(x[i]!)).toBe(true);
    else expect(Math.abs(x[i]! - e), `element ${i}: ${x[i]} vs ${e}`).toBeLessThanOrEqual(rtol * Math.abs(e) + 1e-6);
  }
}

function expectExact(a: Tensor, b: Tensor): void {
  expect(a.dtype).toBe(b.dtype);
  expect(a.tolist()).toEqual(b.tolist());
}

describe("default backend: fusion", () => {
  it("is the default backend (with the native target where a C++ compiler exists) and the \"js\" backend", () => {
    expect(compiler.backends.default).toBe(defaultBackend);
    expect(compiler.backends.js).toBe(jsBackend);
  });

  it("turns a pointwise chain into one kernel with no intermediate buffers", () => {
    const { f, compiled } = capture((x: Tensor) => x.mul(2).add(1).gelu().neg());
    const x = k.randn([1000]);
    expectClose(f(x) as Tensor, x.mul(2).add(1).gelu().neg());
    expect(compiled).toHaveLength(1);
    expect(kernels(compiled[0]!)).toBe(1);
    expect(schedule(compiled[0]!)).toMatchInlineSnapshot(`
      "kernel 0 over [1000]:
        full mul = mul(load(x), load(scalar))
        full add = add(mul, load(scalar_1))
        full gelu = gelu(add)
        full neg = neg(gelu) -> output
      return [neg]"
    `);
    // Only the output is written.
    expect(compiled[0]!.code!.match(/\] = v\d+;/g)).toHaveLength(1);
  });

  it("prints a small schedule with broadcasting and a reduction", () => {
    const { f, compiled } = capture((x: Tensor, y: Tensor) => x.mul(y).add(1).sum(-1));
    const x = k.randn([3, 4]);
    const y = k.randn([4]);
    expectClose(f(x, y) as Tensor, x.mul(y).add(1).sum(-1));
    expect(schedule(compiled[0]!)).toMatchInlineSnapshot(`
      "kernel 0 over [3, r4]:
        full mul = mul(load(x), load(y))
        full add = add(mul, load(scalar))
        row sum = reduce sum(add) -> output
      return [sum]"
    `);
  });

  it("fuses the pointwise work before a reduction (prologue) and after it (softmax as one kernel)", () => {
    const { f, compiled } = capture((x: Tensor) => x.mul(2).exp().sum(1, { keepdim: true }).log());
    const x = k.randn([5, 7]);
    expectClose(f(x) as Tensor, x.mul(2).exp().sum(1, { keepdim: true }).log());
    expect(kernels(compiled[0]!)).toBe(1);

    const sm = capture((t: Tensor) => t.softmax(-1));
    const z = k.randn([6, 33]);
    expectClose(sm.f(z) as Tensor, z.softmax(-1));
    expect(kernels(sm.compiled[0]!)).toBe(1);
    expect(sm.compiled[0]!.code).toContain("phase 2");
    // exp is computed once per element: the second pass reads it back from the row scratch buffer.
    expect(sm.compiled[0]!.code!.match(/Math\.exp/g)).toHaveLength(1);
  });

  it("lowers attention without dropout or masks to two matrix products around a fused softmax", () => {
    const F = k.nn.functional;
    const { f, compiled } = capture((q: Tensor, kk: Tensor, v: Tensor) => F.scaledDotProductAttention(q, kk, v));
    const [q, kk, v] = [k.randn([2, 3, 5, 8]), k.randn([2, 3, 6, 8]), k.randn([2, 3, 6, 4])];
    expectClose(f(q, kk, v) as Tensor, F.scaledDotProductAttention(q, kk, v), 1e-4);
    expect(schedule(compiled[0]!)).not.toContain("scaledDotProductAttention");
    expect(schedule(compiled[0]!).match(/extern \w+ = matmul/g)).toHaveLength(2);
    // The backward lowers the same way.
    const grads = (q: Tensor, kk: Tensor, v: Tensor) => {
      const [a, b, c] = [q, kk, v].map((t) => t.detach().requiresGrad_());
      F.scaledDotProductAttention(a!, b!, c!).square().sum().backward();
      return [a!.grad!, b!.grad!, c!.grad!];
    };
    const g = capture(grads);
    const got = g.f(q, kk, v) as Tensor[];
    grads(q, kk, v).forEach((want, i) => expectClose(got[i]!, want, 1e-4));
    expect(g.compiled.map(schedule).join("\n")).not.toContain("scaledDotProductAttention");
    // A causal mask keeps the fused attention kernel.
    const causal = capture((q: Tensor, kk: Tensor, v: Tensor) => F.scaledDotProductAttention(q, kk, v, { isCausal: true }));
    expectClose(causal.f(q, kk, v) as Tensor, F.scaledDotProductAttention(q, kk, v, { isCausal: true }), 1e-4);
    expect(schedule(causal.compiled[0]!)).toContain("= scaledDotProductAttention(");
  });

  it("fuses layerNorm (mean, variance, affine) into one row kernel", () => {
    const { f, compiled } = capture((x: Tensor, w: Tensor, b: Tensor) => k.nn.functional.layerNorm(x, [16], w, b));
    const x = k.randn([4, 3, 16]);
    const w = k.randn([16]);
    const b = k.randn([16]);
    expectClose(f(x, w, b) as Tensor, k.nn.functional.layerNorm(x, [16], w, b), 1e-4);
    expect(kernels(compiled[0]!)).toBe(1);
  });

  it("reads views and broadcasts through index arithmetic, not copies", () => {
    const { f, compiled } = capture((x: Tensor, y: Tensor) => x.T.add(y.unsqueeze(0)).relu().sum(0));
    const x = k.randn([5, 4]);
    const y = k.randn([5]);
    expectClose(f(x, y) as Tensor, x.T.add(y.unsqueeze(0)).relu().sum(0));
    expect(kernels(compiled[0]!)).toBe(1);
    expect(schedule(compiled[0]!)).toContain("load(x -> permute)");
  });

  it("walks reductions over outer dims as columns: per reduced row, a contiguous run of outputs", () => {
    const isColumns = (c: CompiledGraph) => /^\/\/ kernel \d+ \(columns\)/m.test(c.code!);
    // A bias gradient: sum over the rows; 300 columns make two blocks of the JS target (256 wide).
    const bias = capture((g: Tensor) => g.sum(0));
    const g = k.randn([37, 300]);
    expectClose(bias.f(g) as Tensor, g.sum(0));
    expect(isColumns(bias.compiled[0]!)).toBe(true);
    // Four reduced rows per pass over the block, the accumulator kept in a local between them.
    expect(bias.compiled[0]!.code).toContain("_j + 4 <= rn");
    // Reduced dims that merge ([8, 128] of [8, 128, 256]) and a transposed view are columns too;
    // a reduction over the contiguous dim keeps the row loops.
    const cases: [(t: Tensor) => Tensor, Tensor, boolean][] = [
      [(t) => t.sum([0, 1]), k.randn([8, 16, 24]), true],
      [(t) => t.T.sum(1), k.randn([20, 30]), true],
      [(t) => t.sum(1), k.randn([20, 30]), false],
      [(t) => t.T.sum(0), k.randn([20, 30]), false],
    ];
    for (const [fn, x, columns] of cases) {
      const c = capture(fn);
      expectClose(c.f(x) as Tensor, fn(x));
      expect(isColumns(c.compiled[0]!)).toBe(columns);
    }
    // Reductions that do not need each other's results share one pass over the input (layerNorm's
    // weight and bias gradients); one that does (a variance from the mean) gets a pass of its own.
    const ln = capture((gy: Tensor, xh: Tensor) => [gy.mul(xh).sum(0), gy.sum(0)]);
    const [gy, xh] = [k.randn([70, 40]), k.randn([70, 40])];
    (ln.f(gy, xh) as Tensor[]).forEach((t, i) => expectClose(t, [gy.mul(xh).sum(0), gy.sum(0)][i]!));
    expect(ln.compiled[0]!.code).toContain("// phase 0, 1: sum, sum");
    const centred = capture((t: Tensor) => t.sub(t.mean(0)).square().mean(0));
    expectClose(centred.f(gy) as Tensor, gy.sub(gy.mean(0)).square().mean(0));
    expect(centred.compiled[0]!.code).toContain("// phase 0: mean");
    expect(centred.compiled[0]!.code).toContain("// phase 1: mean");
    // softmax over dim 0: exp is computed in the sum's pass and read back in the writing pass
    // from the block's scratch buffer, as the row loops keep it per row.
    const sm = capture((t: Tensor) => t.softmax(0));
    const z = k.randn([40, 33]);
    expectClose(sm.f(z) as Tensor, z.softmax(0));
    expect(isColumns(sm.compiled[0]!)).toBe(true);
    const phase2 = sm.compiled[0]!.code!.split("// phase 2")[1]!;
    expect(phase2).toMatch(/= S0\[/);
    expect(phase2).not.toContain("Math.exp");
  });

  it("materialises a value read in a way that does not line up (transpose of an intermediate)", () => {
    const { f, compiled } = capture((x: Tensor) => {
      const y = x.exp();
      return y.add(y.T);
    });
    const x = k.randn([4, 4]);
    expectClose(f(x) as Tensor, x.exp().add(x.exp().T));
    expect(kernels(compiled[0]!)).toBe(2);
    expect(schedule(compiled[0]!)).toContain("-> buffer");
  });

  it("runs other ops through their eager kernels between fused kernels", () => {
    const { f, compiled } = capture((a: Tensor, b: Tensor, bias: Tensor) => a.matmul(b).add(bias).relu());
    const a = k.randn([3, 5]);
    const b = k.randn([5, 4]);
    const bias = k.randn([4]);
    expectClose(f(a, b, bias) as Tensor, a.matmul(b).add(bias).relu());
    expect(schedule(compiled[0]!)).toMatch(/^extern matmul = matmul\(a, b\)\nkernel 0/);
  });
});

describe("default backend: results", () => {
  it("compiles once for dynamic dims and serves other sizes with the same code", () => {
    compiler.reset();
    const { f, compiled } = capture((x: Tensor, y: Tensor) => x.mul(y).add(x.softmax(-1)).sum(0), { dynamic: true });
    for (const [n, m] of [
      [3, 4],
      [5, 7],
      [1, 9],
      [8, 1],
    ] as const) {
      const x = k.randn([n, m]);
      const y = k.randn([m]);
      expectClose(f(x, y) as Tensor, x.mul(y).add(x.softmax(-1)).sum(0));
    }
    expect(compiled).toHaveLength(1);
    expect(compiler.stats().compiles).toBe(1);
  });

  it("compiles column reductions once for dynamic dims, with ragged blocks, several phases and multi-dim reductions", () => {
    compiler.reset();
    const fn = (x: Tensor, b: Tensor) => {
      const centred = x.sub(x.mean([0, 2], { keepdim: true }));
      return [centred.square().mean([0, 2]).add(b), x.amax(0), centred.exp().sum(0).log()];
    };
    const { f, compiled } = capture(fn, { dynamic: true });
    for (const [a, n, c] of [
      [3, 5, 300],
      [2, 1, 7],
      [4, 9, 260],
      [1, 3, 2],
    ] as const) {
      // [a, n, 4, c] whose dims 0 and 2 (reduced) do not merge into one.
      const x = k.randn([a, 5, n, c]).slice(1, 0, 4).permute([0, 2, 1, 3]);
      const b = k.randn([n, c]);
      const got = f(x, b) as Tensor[];
      fn(x, b).forEach((t, i) => expectClose(got[i]!, t, 1e-4));
    }
    expect(compiled).toHaveLength(1);
  });

  it("handles strided, offset and broadcast inputs", () => {
    const { f } = capture((x: Tensor, y: Tensor) => x.sub(y).mul(x).amax(1));
    const base = k.randn([6, 8]);
    const x = base.T.slice(0, 1, 7); // non-contiguous, offset 1
    const y = k.randn([1, 6]);
    expectClose(f(x, y) as Tensor, x.sub(y).mul(x).amax(1));
    const x2 = k.randn([8, 6]).slice(0, 2, 8); // contiguous with an offset
    expectClose(f(x2, y) as Tensor, x2.sub(y).mul(x2).amax(1));
  });

  it("gives int32 and bool results exactly (wrap-around, division by zero, comparisons)", () => {
    const fn = (a: Tensor, b: Tensor) => {
      const big = a.mul(b).add(a.mul(a)).neg();
      const q = a.div(b, { roundingMode: "floor" });
      const r = a.remainder(b);
      const c = big.gt(q).logicalXor(r.eq(0));
      return [big, q, r, c, c.logicalNot().logicalOr(a.lt(0)), a.where(c, b).sum(0)];
    };
    const { f } = capture(fn);
    const a = k.tensor([[2147483647, -2147483648, 7], [-9, 0, 65536]], { dtype: "int32" });
    const b = k.tensor([[3, -1, 0], [4, 65536, -2]], { dtype: "int32" });
    const got = f(a, b) as Tensor[];
    const want = fn(a, b);
    got.forEach((t, i) => expectExact(t, want[i]!));
  });

  it("gives float32 results within 1e-5 relative on a mixed program", () => {
    const fn = (x: Tensor, y: Tensor) => {
      const h = x.matmul(y).mul(0.5).tanh();
      const s = h.sub(h.mean(-1, { keepdim: true })).square();
      return [s.sum(-1).sqrt(), h.sigmoid().mul(x.sum(1, { keepdim: true })), h.logSoftmax(0)];
    };
    const { f } = capture(fn);
    const x = k.randn([7, 9]);
    const y = k.randn([9, 11]);
    const got = f(x, y) as Tensor[];
    fn(x, y).forEach((t, i) => expectClose(got[i]!, t));
  });

  it("returns fresh outputs, never a buffer reused by the next call", () => {
    const { f } = capture((x: Tensor) => [x.exp().add(1), x.T, x]);
    const x = k.randn([3, 2]);
    const [a, b, c] = f(x) as Tensor[];
    const [a2] = f(k.zeros([3, 2])) as Tensor[];
    expectClose(a!, x.exp().add(1));
    expectClose(a2!, k.ones([3, 2]).mul(2));
    expectClose(b!, x.T);
    expectExact(c!, x);
    // a is computed (a fresh buffer); b and c are a view of x and x itself, as in eager mode.
    expect(a!._storage).not.toBe(a2!._storage);
    expect(a!.isContiguous()).toBe(true);
    expect(b!._storage).toBe(x._storage);
    expect(c).toBe(x);
    // A view of a computed value: the graph returns the computed value, the view is taken of it (as in eager).
    const v = capture((t: Tensor) => t.exp().T);
    const out = v.f(x) as Tensor;
    expectClose(out, x.exp().T);
    expect(out.stride()).toEqual(x.exp().T.stride());
    expect(kernels(v.compiled[0]!)).toBe(1);
  });

  it("writes an elementwise kernel over its product's buffer only when nothing else reads the product", () => {
    const x = k.randn([6, 5]);
    const u = k.randn([5, 8]);
    const v = k.randn([8, 8]);
    const c = k.randn([8]);
    // The product feeds only the bias + relu kernel, which then writes over it.
    const mlp = capture((a: Tensor, w: Tensor, w2: Tensor, b: Tensor) => a.matmul(w).add(b).relu().matmul(w2).add(b).relu());
    for (let i = 0; i < 2; i++) expectClose(mlp.f(x, u, v, c) as Tensor, x.matmul(u).add(c).relu().matmul(v).add(c).relu());
    // The product is read again after the next product (through a view): it must outlive the kernel.
    const reread = (a: Tensor, w: Tensor, w2: Tensor, b: Tensor) => {
      const p = a.matmul(w);
      return p.add(b).relu().matmul(w2).add(p.narrow(1, 0, 8).mul(2));
    };
    const g = capture(reread);
    for (let i = 0; i < 2; i++) expectClose(g.f(x, u, v, c) as Tensor, reread(x, u, v, c));
    // A row kernel after a product (softmax, then a column sum).
    const soft = (a: Tensor, w: Tensor) => a.matmul(w).softmax(-1).sum(0);
    expectClose(capture(soft).f(x, u) as Tensor, soft(x, u));
  });

  it("matches eager on 200 fuzz programs with breaks, views and in-place writes", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      for (let seed = 1; seed <= 200; seed++) {
        const p = generate(seed);
        const eager = run(p, makeInputs(p, seed));
        const compiled = compile((...xs: Tensor[]) => run(p, xs), { backend: "js" })(...makeInputs(p, seed));
        expect(compareRuns(eager, compiled), `seed ${seed}: ${JSON.stringify(p.steps)}`).toBeNull();
      }
    } finally {
      spy.mockRestore();
    }
  });
});
