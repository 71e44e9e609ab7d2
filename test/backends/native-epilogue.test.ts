// Kernels run as epilogues of matrix products (native target): a compiled graph's kernel right
// after a matmul, reading its output element for element, is armed before the product and runs on
// the product's rows as they are finished (gemm.cpp, Epilogue). Each case runs the same function
// eagerly and compiled, compares the results, and counts the epilogues the runtime ran, so a case
// that should fuse and does not (or one that must not fuse and does) fails. The suite's test mode
// poisons fresh outputs, so an element the epilogue never wrote shows as NaN.
import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, type Tensor } from "../../src/index.js";
import { nativeAvailable } from "../../src/backends/native/build.js";
import { loadNativeGemm } from "../../src/backends/native/gemm.js";
import { setEpilogueFusion } from "../../src/backends/native/target.js";

const native = nativeAvailable();

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.toArray() as ArrayLike<number>;
  const y = b.toArray() as ArrayLike<number>;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(y[i]!));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/**
 * Runs f eagerly and compiled (three calls: the first builds, the others reuse every buffer),
 * checks the results agree, and returns how many epilogues ran per compiled call. With
 * `elements`, also checks that the epilogues were handed exactly that many elements per call
 * (each element of the product once: a row handed twice, or never, is a bug even when the
 * results come out right).
 */
function epiloguesPerCall(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol = 1e-5, elements?: number): number {
  const runtime = loadNativeGemm()!;
  const expected = k.noGrad(() => f(...inputs));
  const g = compile((...xs: Tensor[]) => k.noGrad(() => f(...xs)), { backend: "native" });
  expect(maxDiff(g(...inputs), expected)).toBeLessThan(tol);
  const before = runtime.epilogueRuns();
  const handed = runtime.epilogueElements();
  for (let i = 0; i < 2; i++) expect(maxDiff(g(...inputs), expected)).toBeLessThan(tol);
  if (elements !== undefined) expect((runtime.epilogueElements() - handed) / 2).toBe(elements);
  return (runtime.epilogueRuns() - before) / 2;
}

describe.skipIf(!native)("kernels fused into matrix products as epilogues", () => {
  it("runs bias and activation inside the product (one or several threads, row blocks or all rows at the end)", () => {
    k.manualSeed(1);
    const lin = (x: Tensor, w: Tensor, b: Tensor) => x.matmul(w.transpose(0, 1)).add(b).relu();
    // Serial products (row blocks; several column blocks: all rows at the end), threaded ones
    // (rows per work item; columns split among items: all rows at the end), a 2-row product.
    for (const [M, N, K] of [[64, 96, 50], [300, 40, 33], [7, 5000, 20], [256, 256, 128], [24, 2048, 256], [2, 70, 9]] as const) {
      const x = k.randn([M, K]);
      const w = k.randn([N, K]);
      const b = k.randn([N]);
      expect(epiloguesPerCall(lin, [x, w, b], 1e-5, M * N)).toBe(1);
    }
  });

  it("runs a residual add and layerNorm over rows inside the product", () => {
    k.manualSeed(2);
    const block = (x: Tensor, w: Tensor, r: Tensor, g: Tensor, b: Tensor) => k.nn.functional.layerNorm(x.matmul(w).add(r), [48], g, b);
    const x = k.randn([3, 40, 32]);
    const w = k.randn([32, 48]);
    const r = k.randn([3, 40, 48]);
    expect(epiloguesPerCall(block, [x, w, r, k.randn([48]), k.randn([48])], 1e-4, 3 * 40 * 48)).toBe(1);
    // Threaded with the columns split among work items: the row kernel runs once all rows are done.
    const wide = (a: Tensor, v: Tensor, g: Tensor, b: Tensor) => k.nn.functional.layerNorm(a.matmul(v), [2048], g, b);
    expect(epiloguesPerCall(wide, [k.randn([24, 256]), k.randn([256, 2048]), k.randn([2048]), k.randn([2048])], 1e-4, 24 * 2048)).toBe(1);
  });

  it("fuses into batched products and vector-matrix products, in float64 too", () => {
    k.manualSeed(3);
    const f = (a: Tensor, b: Tensor) => a.matmul(b).mul(0.5).tanh();
    expect(epiloguesPerCall(f, [k.randn([4, 50, 60]), k.randn([4, 60, 30])], 1e-5, 4 * 50 * 30)).toBe(1);
    expect(epiloguesPerCall(f, [k.randn([60]), k.randn([60, 30])], 1e-5, 30)).toBe(1);
    expect(epiloguesPerCall(f, [k.randn([20, 60], { dtype: "float64" }), k.randn([60, 30], { dtype: "float64" })], 1e-12, 20 * 30)).toBe(1);
  });

  it("runs a convolution's epilogue on each image's product as it finishes (elementwise and row kernels, groups, bias)", () => {
    k.manualSeed(6);
    const x = k.randn([3, 4, 9, 10]);
    const w = k.randn([6, 4, 3, 3]);
    const b = k.randn([6]);
    const r = k.randn([3, 6, 9, 10]);
    const out = 3 * 6 * 9 * 10;
    // Bias written first, then one product per image: each part handed over once, in order.
    expect(epiloguesPerCall((a, v, c) => k.conv2d(a, v, c, { padding: 1 }).relu(), [x, w, b], 1e-5, out)).toBe(1);
    expect(epiloguesPerCall((a, v, c, s) => k.conv2d(a, v, c, { padding: 1 }).add(s).tanh(), [x, w, b, r], 1e-5, out)).toBe(1);
    // Two groups: two products per image, each writing its own channels.
    const wg = k.randn([6, 2, 3, 3]);
    expect(epiloguesPerCall((a, v) => k.conv2d(a, v, null, { padding: 1, groups: 2 }).sigmoid(), [x, wg], 1e-5, out)).toBe(1);
    // A row kernel (softmax over the last dim): every part is a run of whole rows.
    expect(epiloguesPerCall((a, v, c) => k.conv2d(a, v, c, { padding: 1 }).softmax(-1), [x, w, b], 1e-5, out)).toBe(1);
    // Products large enough to be split over threads: each hands its part over by rows.
    const xl = k.randn([2, 32, 32, 32]);
    const wl = k.randn([32, 32, 3, 3]);
    expect(epiloguesPerCall((a, v, c) => k.conv2d(a, v, c, { padding: 1 }).relu(), [xl, wl, k.randn([32])], 1e-4, 2 * 32 * 32 * 32)).toBe(1);
    // A 1×1 convolution reads the input in place (no im2col) and hands over the same parts.
    const w1 = k.randn([5, 4, 1, 1]);
    expect(epiloguesPerCall((a, v) => k.conv2d(a, v).relu(), [x, w1], 1e-5, 3 * 5 * 9 * 10)).toBe(1);
  });

  it("does not fuse a kernel that reads the product at other positions, or a product that is an output", () => {
    k.manualSeed(4);
    const a = k.randn([40, 40]);
    const b = k.randn([40, 40]);
    // Transposed reads, and reductions over other dims than the last, need rows not finished yet.
    expect(epiloguesPerCall((x, y) => x.matmul(y).add(x.matmul(y).transpose(0, 1)), [a, b])).toBe(0);
    expect(epiloguesPerCall((x, y) => x.matmul(y).transpose(0, 1).add(1), [a, b])).toBe(0);
    expect(epiloguesPerCall((x, y) => x.matmul(y).sum(0), [a, b])).toBe(0);
    expect(epiloguesPerCall((x, y) => x.matmul(y).softmax(0), [a, b])).toBe(0);
    // A product broadcast across the kernel's rows (its shape is not the kernel's).
    expect(epiloguesPerCall((x, v, z) => x.matmul(v).add(z), [a, k.randn([40, 1]), k.randn([40, 40])])).toBe(0);
    // The product is returned: its buffer is fresh, so the kernel after it runs separately.
    const both = compile(
      (x: Tensor, y: Tensor) => {
        const p = x.matmul(y);
        return [p, p.relu()] as const;
      },
      { backend: "native" },
    );
    const runtime = loadNativeGemm()!;
    const before = runtime.epilogueRuns();
    const [p, q] = both(a, b);
    expect(runtime.epilogueRuns()).toBe(before);
    expect(maxDiff(p, a.matmul(b))).toBeLessThan(1e-5);
    expect(maxDiff(q, a.matmul(b).relu())).toBeLessThan(1e-5);
  });

  it("gives the same results fused and unfused", () => {
    k.manualSeed(5);
    const layer = new k.nn.TransformerEncoderLayer(32, 4, { dimFeedforward: 64, dropout: 0, batchFirst: true });
    layer.eval();
    const x = k.randn([2, 10, 32]);
    const fwd = (t: Tensor) => k.noGrad(() => layer.forward(t));
    const fused = compile(fwd, { backend: "native" })(x);
    const prev = setEpilogueFusion(false);
    try {
      const unfused = compile(fwd, { backend: "native" })(x);
      expect(fused.toArray()).toEqual(unfused.toArray());
    } finally {
      setEpilogueFusion(prev);
    }
  });
});
