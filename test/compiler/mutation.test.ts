import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, type Tensor } from "../../src/index.js";

const f32 = (d: number[] | number[][]) => k.tensor(d, { dtype: "float32" });

afterEach(() => compiler.reset());

describe("mutation and aliasing", () => {
  it("a training-style function that mutates its inputs in place matches eager", () => {
    const step = (p: Tensor, g: Tensor, m: Tensor) => {
      m.mul_(0.9).add_(g);
      p.sub_(m.mul(0.1));
      return p.square().sum();
    };
    const make = () => [f32([1, 2, 3]), f32([0.5, -0.5, 1]), f32([0, 0, 0])];
    const [pe, ge, me] = make();
    const [pc, gc, mc] = make();
    const f = compile(step);
    for (let i = 0; i < 3; i++) {
      const le = step(pe!, ge!, me!);
      const lc = f(pc!, gc!, mc!);
      expect(lc.item()).toBeCloseTo(le.item() as number, 5);
      expect(pc!.tolist()).toEqual(pe!.tolist());
      expect(mc!.tolist()).toEqual(me!.tolist());
    }
    expect(compiler.stats()).toMatchObject({ compiles: 1, cacheHits: 2 });
    expect(pc!._version).toBeGreaterThan(0);
  });

  it("written inputs take their new buffers without ever sharing one with another tensor", () => {
    const fn = (p: Tensor, q: Tensor, r: Tensor, s: Tensor) => {
      const y = q.mul(2);
      p.copy_(y); // p's new contents are also returned below
      r.copy_(s); // r's new contents are another input's
      s.add_(1);
      return y;
    };
    for (const backend of ["eager", "default"] as const) {
      compiler.reset();
      const make = () => [f32([1, 2]), f32([3, 4]), f32([5, 6]), f32([7, 8])];
      const [pe, qe, re, se] = make();
      const [pc, qc, rc, sc] = make();
      const ye = fn(pe!, qe!, re!, se!);
      const f = compile(fn, { backend });
      const view = pc!.view([2]); // shares p's storage: sees the new contents after the call
      const yc = f(pc!, qc!, rc!, sc!) as Tensor;
      for (const [c, e] of [[pc, pe], [qc, qe], [rc, re], [sc, se], [yc, ye]] as const) expect(c!.tolist()).toEqual(e!.tolist());
      expect(view.tolist()).toEqual(pe!.tolist());
      // Later in-place writes stay in their own tensor.
      pc!.add_(100);
      expect(yc.tolist()).toEqual(ye.tolist());
      rc!.add_(100);
      expect(sc!.tolist()).toEqual(se!.tolist());
      expect(new Set([pc!, qc!, rc!, sc!, yc].map((t) => t._data())).size).toBe(5);
    }
  });

  it("writes through views of inputs reach the input, and returned views share its storage", () => {
    const fn = (x: Tensor) => {
      const t = x.transpose(0, 1);
      t.mul_(10);
      const col = x.transpose(0, 1).sum(1);
      return [t, col];
    };
    const xe = f32([[1, 2], [3, 4]]);
    const xc = f32([[1, 2], [3, 4]]);
    const [te, ce] = fn(xe) as Tensor[];
    const [tc, cc] = compile(fn)(xc) as Tensor[];
    expect(xc.tolist()).toEqual(xe.tolist());
    expect(tc!.tolist()).toEqual(te!.tolist());
    expect(cc!.tolist()).toEqual(ce!.tolist());
    expect(tc!._storage).toBe(xc._storage);
    tc!.add_(1);
    expect(xc.tolist()).toEqual([[11, 21], [31, 41]]);
  });

  it("reads after a write in the same graph see the written value", () => {
    const fn = (x: Tensor) => {
      const before = x.sum();
      x.add_(1);
      const after = x.sum();
      return before.sub(after);
    };
    const xe = f32([1, 2]);
    const xc = f32([1, 2]);
    expect(compile(fn)(xc).item()).toBe(fn(xe).item());
    expect(xc.tolist()).toEqual([2, 3]);
  });

  it("intermediates that escape through a closure can be read after the call", () => {
    let kept: Tensor | null = null;
    const fn = (x: Tensor) => {
      const mid = x.mul(3);
      kept = mid;
      return mid.add(1).sum();
    };
    const f = compile(fn);
    const out = f(f32([1, 2]));
    expect(out.item()).toBe(11);
    expect(kept!.isLazy).toBe(true);
    expect(kept!.tolist()).toEqual([3, 6]);
    expect(kept!.isLazy).toBe(false);
  });

  it("an escaped intermediate whose input was later written in place cannot be computed: a clear error, never garbage", () => {
    let kept: Tensor | null = null;
    const f = compile(function keepsDouble(x: Tensor) {
      kept = x.mul(2);
      return x.sum();
    });
    const x = f32([1, 2]);
    f(x);
    x.add_(100);
    expect(() => kept!.tolist()).toThrow(k.KilnError);
    expect(() => kept!.tolist()).toThrow(/escaped without being returned.*keepsDouble|keepsDouble.*escaped without being returned/);
    // returning it keeps its value
    const g = compile((y: Tensor) => {
      const d = y.mul(2);
      return [d, y.sum()];
    });
    const y = f32([1, 2]);
    const [d] = g(y) as Tensor[];
    y.add_(100);
    expect(d!.tolist()).toEqual([2, 4]);
  });

  it("an escaped intermediate of a call that also writes an input can be read after the call", () => {
    let kept: Tensor | null = null;
    const f = compile((x: Tensor, y: Tensor) => {
      kept = y.mul(3);
      x.add_(1);
      return x.sum();
    });
    for (let i = 0; i < 2; i++) {
      const x = f32([1, 2]);
      expect(f(x, f32([1, 2])).item()).toBe(5);
      expect(kept!.isLazy).toBe(true);
      expect(kept!.tolist()).toEqual([3, 6]);
    }
  });

  it("an escaped intermediate that depends on a mutated input keeps the old value", () => {
    let kept: Tensor | null = null;
    const f = compile((x: Tensor) => {
      kept = x.mul(2);
      x.add_(1);
      return x.sum();
    });
    const x = f32([1, 2]);
    expect(f(x).item()).toBe(5);
    expect(kept!.tolist()).toEqual([2, 4]);
    expect(x.tolist()).toEqual([2, 3]);
  });

  it("results of a graph that ended at a break are concrete and correct", () => {
    const fn = (x: Tensor) => {
      const a = x.exp();
      const b = a.mul(2);
      const n = b.sum().item() as number;
      return [a, b.div(n)];
    };
    const [ae, be] = fn(f32([0, 1])) as Tensor[];
    const [ac, bc] = compile(fn)(f32([0, 1])) as Tensor[];
    expect(ac!.tolist()).toEqual(ae!.tolist());
    expect(bc!.tolist()).toEqual(be!.tolist());
  });

  it("autograd through a compiled forward: backward outside the compiled function", () => {
    const fn = (x: Tensor, w: Tensor) => x.mul(w).tanh().sum();
    const make = () => [f32([0.5, -1, 2]), k.tensor([0.3, 0.2, -0.1], { requiresGrad: true })];
    const [xe, we] = make();
    fn(xe!, we!).backward();
    const [xc, wc] = make();
    const loss = compile(fn)(xc!, wc!);
    expect(loss.requiresGrad).toBe(true);
    loss.backward();
    (wc!.grad!.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo((we!.grad!.tolist() as number[])[i]!, 6));
  });

  it("a compiled training step (forward, backward, update) matches eager", () => {
    const step = (w: Tensor, x: Tensor, lr: number) => {
      const loss = x.mul(w).sigmoid().sum();
      loss.backward();
      k.noGrad(() => w.sub_(w.grad!.mul(lr)));
      w.grad = null;
      return loss.detach();
    };
    const we = k.tensor([0.1, 0.2], { requiresGrad: true });
    const wc = k.tensor([0.1, 0.2], { requiresGrad: true });
    const x = f32([1, -2]);
    const f = compile(step);
    for (let i = 0; i < 3; i++) {
      const le = step(we, x, 0.5);
      const lc = f(wc, x, 0.5);
      expect(lc.item()).toBeCloseTo(le.item() as number, 6);
      (wc.tolist() as number[]).forEach((v, j) => expect(v).toBeCloseTo((we.tolist() as number[])[j]!, 6));
    }
  });
});

describe("compiled backward", () => {
  it("backward() of a compiled forward's result is traced and compiled, and cached across steps", () => {
    const fn = (x: Tensor, w: Tensor) => x.matmul(w).tanh().square().mean();
    const x = k.tensor([[0.5, -1], [2, 0.25], [1, 1]], { dtype: "float32" });
    const we = k.tensor([[0.1, 0.2], [-0.3, 0.4]], { requiresGrad: true });
    const wc = k.tensor([[0.1, 0.2], [-0.3, 0.4]], { requiresGrad: true });
    const events: k.CompilerEvent[] = [];
    const remove = compiler.addEventListener((e) => events.push(e));
    const f = compile(fn);
    // step 1 creates .grad, later steps accumulate into it (a second graph, then cache hits)
    for (let step = 0; step < 3; step++) {
      fn(x, we).backward();
      f(x, wc).backward();
      (wc.grad!.tolist() as number[][]).flat().forEach((v, i) => expect(v).toBeCloseTo((we.grad!.tolist() as number[][]).flat()[i]!, 6));
    }
    remove();
    const compiledFns = events.filter((e): e is Extract<k.CompilerEvent, { kind: "graph-compiled" }> => e.kind === "graph-compiled").map((e) => e.fn);
    expect(compiledFns).toContain("backward");
    const backwardGraph = events.find((e): e is Extract<k.CompilerEvent, { kind: "graph-compiled" }> => e.kind === "graph-compiled" && e.fn === "backward")!;
    expect(backwardGraph.graph.callTargets.length).toBeGreaterThan(3);
    const runs = events.filter((e): e is Extract<k.CompilerEvent, { kind: "graph-run" }> => e.kind === "graph-run" && e.fn === "backward");
    expect(runs.some((r) => r.cacheHit)).toBe(true);
    expect(wc.grad!.isLazy).toBe(false);
  });
});
