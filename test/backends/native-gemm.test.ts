// The native matrix multiply (src/backends/native/runtime/gemm.cpp): sgemm/dgemm against the
// JavaScript gemm on many shapes and stride patterns (edge tiles, transposed and broadcast
// operands, accumulate, alpha, several cache blocks, the threaded path), the thread setting,
// eager matmul/conv2d with the native provider installed against the JavaScript kernels, and
// the packed-B cache (weights kept packed between products; src/ops/matmul-kernel.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { columnMatrixForTests } from "../../src/ops/conv.js";
import { nativeAvailable } from "../../src/backends/native/build.js";
import { getNumThreads, loadNativeGemm, setNumThreads, type NativeGemm } from "../../src/backends/native/gemm.js";
import { installNativeEagerKernels, nativeEagerProvider, uninstallNativeEagerKernels } from "../../src/backends/native/install-eager.js";
import { clearPackedCache, gemm, gemmProvider, PACKED_OK, PACKED_RAN, packedCacheStats, setGemmProvider, setPackedCacheLimit, type GemmProvider } from "../../src/ops/matmul-kernel.js";

const native = nativeAvailable();

/** Deterministic values in [-1, 1). */
function fill<T extends Float32Array | Float64Array>(arr: T, seed: number): T {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    arr[i] = s / 2 ** 31 - 1;
  }
  return arr;
}

type Layout = "rowmajor" | "transposed" | "broadcast" | "strided";
/** Strides and buffer size of an R×C operand stored in the given layout. */
function layout(l: Layout, R: number, C: number): { rs: number; cs: number; size: number } {
  switch (l) {
    case "rowmajor":
      return { rs: C, cs: 1, size: R * C };
    case "transposed":
      return { rs: 1, cs: R, size: R * C };
    case "broadcast":
      return { rs: 0, cs: 1, size: C }; // every row the same (a 0-stride expand)
    case "strided":
      return { rs: 3 * C + 1, cs: 2, size: R * (3 * C + 1) };
  }
}

interface Case {
  M: number;
  N: number;
  K: number;
  la: Layout;
  lb: Layout;
  alpha: number;
  accumulate: boolean;
}

/** Runs one case through `native` and through the JavaScript gemm (no provider) and compares. */
function compare(g: NativeGemm, dtype: "float32" | "float64", c: Case, seed: number): void {
  const Arr = dtype === "float32" ? Float32Array : Float64Array;
  const A = layout(c.la, c.M, c.K);
  const B = layout(c.lb, c.K, c.N);
  const aOff = 3, bOff = 5, cOff = 2, ldc = c.N + 3;
  const a = fill(new Arr(aOff + A.size), seed);
  const b = fill(new Arr(bOff + B.size), seed + 1);
  const cInit = fill(new Arr(cOff + c.M * ldc + 4), seed + 2);
  if (!c.accumulate) for (let i = 0; i < c.M; i++) cInit.fill(NaN, cOff + i * ldc, cOff + i * ldc + c.N); // never read
  const want = cInit.slice();
  const got = cInit.slice();
  const prev = setGemmProvider(null);
  try {
    gemm(c.M, c.N, c.K, a, aOff, A.rs, A.cs, b, bOff, B.rs, B.cs, want, cOff, ldc, c.alpha, c.accumulate);
  } finally {
    setGemmProvider(prev);
  }
  if (dtype === "float32") g.sgemm(c.M, c.N, c.K, a as Float32Array, aOff, A.rs, A.cs, b as Float32Array, bOff, B.rs, B.cs, got as Float32Array, cOff, ldc, c.alpha, c.accumulate);
  else g.dgemm(c.M, c.N, c.K, a as Float64Array, aOff, A.rs, A.cs, b as Float64Array, bOff, B.rs, B.cs, got as Float64Array, cOff, ldc, c.alpha, c.accumulate);
  // Float32 sums round differently (the JS kernel accumulates in double): scale by √K.
  const tol = (dtype === "float32" ? 2e-6 : 1e-13) * Math.max(1, Math.sqrt(c.K)) * Math.max(1, Math.abs(c.alpha));
  for (let q = 0; q < got.length; q++) {
    const w = want[q]!, v = got[q]!;
    if (Number.isNaN(w) && Number.isNaN(v)) continue;
    if (!(Math.abs(w - v) <= tol * Math.max(1, Math.abs(w)))) {
      throw new Error(`${dtype} ${JSON.stringify(c)}: element ${q} is ${v}, expected ${w}`);
    }
  }
}

describe.skipIf(!native)("native gemm kernel", () => {
  let g: NativeGemm;
  beforeAll(() => {
    g = loadNativeGemm()!;
  });

  it("matches the JavaScript gemm on edge sizes and every stride pattern", () => {
    const layouts: Layout[] = ["rowmajor", "transposed", "broadcast", "strided"];
    const sizes = [1, 2, 5, 6, 7, 13, 16, 17, 31, 33];
    let n = 0;
    for (const M of sizes) {
      for (const N of [1, 3, 8, 15, 16, 17, 31, 32, 33, 40, 65]) {
        for (const K of [1, 4, 9, 37]) {
          const la = layouts[(M + N) % 4]!;
          const lb = layouts[(N + K + M) % 4]!;
          const accumulate = (M + K) % 2 === 1;
          const alpha = n % 5 === 0 ? -0.5 : 1;
          compare(g, "float32", { M, N, K, la, lb, alpha, accumulate }, n);
          compare(g, "float64", { M, N, K, la, lb, alpha, accumulate }, n + 7);
          n++;
        }
      }
    }
  });

  it("matches on all layout pairs, with and without accumulate", () => {
    const layouts: Layout[] = ["rowmajor", "transposed", "broadcast", "strided"];
    let n = 100;
    for (const la of layouts) {
      for (const lb of layouts) {
        for (const accumulate of [false, true]) {
          compare(g, "float32", { M: 23, N: 35, K: 19, la, lb, alpha: 1.5, accumulate }, n);
          compare(g, "float64", { M: 23, N: 35, K: 19, la, lb, alpha: 1.5, accumulate }, n++);
        }
      }
    }
  });

  it("matches on products spanning several cache blocks and threads", () => {
    const big: Case[] = [
      { M: 301, N: 257, K: 700, la: "rowmajor", lb: "rowmajor", alpha: 1, accumulate: false },
      { M: 150, N: 4200, K: 40, la: "transposed", lb: "transposed", alpha: 2, accumulate: true },
      { M: 97, N: 300, K: 1000, la: "rowmajor", lb: "transposed", alpha: 1, accumulate: true },
      { M: 1, N: 1000, K: 300, la: "rowmajor", lb: "rowmajor", alpha: 1, accumulate: false },
      { M: 1000, N: 1, K: 300, la: "transposed", lb: "strided", alpha: -1, accumulate: true },
      { M: 600, N: 2, K: 600, la: "strided", lb: "broadcast", alpha: 1, accumulate: false },
      // Few columns (dot products, rows split among threads): B's columns contiguous, or copied.
      { M: 3000, N: 5, K: 400, la: "rowmajor", lb: "transposed", alpha: 1, accumulate: true },
      { M: 2000, N: 7, K: 500, la: "rowmajor", lb: "rowmajor", alpha: 0.5, accumulate: false },
    ];
    big.forEach((c, i) => {
      compare(g, "float32", c, 200 + i);
      compare(g, "float64", c, 300 + i);
    });
  });

  it("fills C with zeros for K = 0 unless accumulating, and ignores empty products", () => {
    const c = new Float32Array([1, 2, 3, 4]);
    g.sgemm(2, 2, 0, new Float32Array(0), 0, 0, 1, new Float32Array(0), 0, 2, 1, c, 0, 2, 1, true);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    g.sgemm(2, 2, 0, new Float32Array(0), 0, 0, 1, new Float32Array(0), 0, 2, 1, c, 0, 2, 1, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    const d = new Float64Array([5, 6]);
    g.dgemm(0, 2, 3, new Float64Array(0), 0, 3, 1, new Float64Array(6), 0, 2, 1, d, 0, 2, 1, false);
    expect(Array.from(d)).toEqual([5, 6]);
  });

  it("propagates NaN and infinity from the operands like the JavaScript kernel", () => {
    const a = fill(new Float32Array(20 * 20), 1);
    const b = fill(new Float32Array(20 * 20), 2);
    a[5] = NaN;
    b[20 * 3 + 7] = Infinity;
    const want = new Float32Array(400);
    const got = new Float32Array(400);
    const prev = setGemmProvider(null);
    gemm(20, 20, 20, a, 0, 20, 1, b, 0, 20, 1, want, 0, 20);
    setGemmProvider(prev);
    g.sgemm(20, 20, 20, a, 0, 20, 1, b, 0, 20, 1, got, 0, 20, 1, false);
    for (let q = 0; q < 400; q++) {
      const w = want[q]!, v = got[q]!;
      if (!Number.isFinite(w)) expect(v).toBe(w);
      else expect(Math.abs(v - w)).toBeLessThan(1e-4);
    }
  });

  it("runs batches of products at arbitrary offsets like one gemm per product", () => {
    for (const [batch, M, N, K] of [[5, 7, 9, 11], [40, 32, 32, 16], [3, 200, 150, 100], [64, 1, 20, 30]] as const) {
      for (const dtype of ["float32", "float64"] as const) {
        const Arr = dtype === "float32" ? Float32Array : Float64Array;
        // A transposed per product, B shared by pairs of products (offsets repeat), C with gaps.
        const a = fill(new Arr(batch * M * K + 1), batch);
        const b = fill(new Arr(Math.ceil(batch / 2) * K * N), batch + 1);
        const ldc = N + 1;
        const aOffs = Float64Array.from({ length: batch }, (_, i) => 1 + i * M * K);
        const bOffs = Float64Array.from({ length: batch }, (_, i) => (i >> 1) * K * N);
        const cOffs = Float64Array.from({ length: batch }, (_, i) => i * (M * ldc + 3));
        const want = fill(new Arr(batch * (M * ldc + 3)), 5);
        const got = want.slice();
        const prev = setGemmProvider(null);
        for (let i = 0; i < batch; i++) gemm(M, N, K, a, aOffs[i]!, 1, M, b, bOffs[i]!, N, 1, want, cOffs[i]!, ldc, 0.5, true);
        setGemmProvider(prev);
        if (dtype === "float32") g.sgemmBatched(batch, M, N, K, a as Float32Array, aOffs, 1, M, b as Float32Array, bOffs, N, 1, got as Float32Array, cOffs, ldc, 0.5, true);
        else g.dgemmBatched(batch, M, N, K, a as Float64Array, aOffs, 1, M, b as Float64Array, bOffs, N, 1, got as Float64Array, cOffs, ldc, 0.5, true);
        const tol = dtype === "float32" ? 1e-5 : 1e-12;
        let bad = -1;
        for (let q = 0; q < got.length && bad < 0; q++) if (!(Math.abs(got[q]! - want[q]!) <= tol * Math.max(1, Math.abs(want[q]!)))) bad = q;
        expect(bad, `${dtype} batch ${batch} ${M}x${N}x${K}: element ${bad}`).toBe(-1);
      }
    }
  });

  it("gives the same result with one thread and with several", () => {
    const before = getNumThreads();
    const M = 200, N = 300, K = 500;
    const a = fill(new Float32Array(M * K), 11);
    const b = fill(new Float32Array(K * N), 12);
    const one = new Float32Array(M * N);
    const two = new Float32Array(M * N);
    try {
      setNumThreads(1);
      expect(getNumThreads()).toBe(1);
      g.sgemm(M, N, K, a, 0, K, 1, b, 0, N, 1, one, 0, N, 1, false);
      setNumThreads(2);
      expect(getNumThreads()).toBe(2);
      g.sgemm(M, N, K, a, 0, K, 1, b, 0, N, 1, two, 0, N, 1, false);
    } finally {
      setNumThreads(0);
    }
    expect(getNumThreads()).toBe(before);
    // Each element is summed in the same order whichever thread computes it.
    expect(Array.from(two)).toEqual(Array.from(one));
  });
});

describe.skipIf(!native)("eager kernels with the native gemm provider", () => {
  let saved: GemmProvider | null = null;
  beforeAll(() => {
    saved = gemmProvider();
    loadNativeGemm(); // build before timing-sensitive tests
  });
  afterAll(() => {
    setGemmProvider(saved);
  });

  /**
   * Runs `f` with the JavaScript kernels, then with the native provider installed (counting the
   * products it handles), and returns both results.
   */
  /** Column matrices the native runtime made (convolutions). */
  let im2cols = 0;

  function both(f: () => k.Tensor): [Float32Array | Float64Array, Float32Array | Float64Array] {
    setGemmProvider(null);
    const js = f().toArray() as Float32Array | Float64Array;
    expect(installNativeEagerKernels()).toBe(true);
    const inner = gemmProvider()!;
    expect(inner).toBe(nativeEagerProvider());
    let handled = 0;
    setGemmProvider({
      im2col: (...args) => (inner.im2col!(...args) ? ++im2cols > 0 : false),
      sgemm: (...args) => (inner.sgemm(...args) ? ++handled > 0 : false),
      dgemm: (...args) => (inner.dgemm(...args) ? ++handled > 0 : false),
      sgemmBatched: (...args) => (inner.sgemmBatched!(...args) ? ++handled > 0 : false),
      dgemmBatched: (...args) => (inner.dgemmBatched!(...args) ? ++handled > 0 : false),
    });
    const nat = f().toArray() as Float32Array | Float64Array;
    setGemmProvider(inner);
    uninstallNativeEagerKernels();
    expect(gemmProvider()).toBe(null);
    expect(handled).toBeGreaterThan(0);
    return [js, nat];
  }

  function expectClose(js: ArrayLike<number>, nat: ArrayLike<number>, rel: number): void {
    expect(nat.length).toBe(js.length);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(nat[i]! - js[i]!) / Math.max(1, Math.abs(js[i]!)));
    expect(worst).toBeLessThan(rel);
  }

  it("matmul of large float32 tensors (plain, transposed, batched with a shared matrix)", () => {
    k.manualSeed(3);
    const x = k.randn([130, 200]);
    const w = k.randn([90, 200]);
    const xb = k.randn([3, 40, 200]);
    const ba = k.randn([4, 50, 60]);
    const bb = k.randn([4, 60, 30]);
    for (const f of [() => x.matmul(w.T), () => w.matmul(x.T), () => xb.matmul(w.T), () => ba.matmul(bb), () => ba.mT.matmul(ba)]) {
      const [js, nat] = both(f);
      expectClose(js, nat, 5e-5);
    }
  });

  it("matmul of float64 tensors", () => {
    k.manualSeed(4);
    const x = k.randn([64, 100], { dtype: "float64" });
    const w = k.randn([100, 70], { dtype: "float64" });
    const [js, nat] = both(() => x.matmul(w));
    expectClose(js, nat, 1e-12);
  });

  it("conv2d in float32 (im2col, pointwise and grouped) and its gradients", () => {
    k.manualSeed(5);
    const x = k.randn([2, 8, 20, 20]);
    const w3 = k.randn([16, 8, 3, 3]);
    const w1 = k.randn([12, 8, 1, 1]);
    const wg = k.randn([8, 4, 3, 3]);
    const bias = k.randn([16]);
    const xl = k.randn([1, 16, 24, 24]);
    const wl = k.randn([8, 16, 3, 3]);
    const runs: (() => k.Tensor)[] = [
      () => k.conv2d(x, w3, bias, { padding: 1 }),
      () => k.conv2d(x, w1),
      () => k.conv2d(x, wg, null, { groups: 2, stride: 2 }),
      // Padding wider than the kernel reach on one side, dilation, and a strided (transposed) input.
      () => k.conv2d(x, w3, bias, { padding: [3, 1], dilation: 2 }),
      () => k.conv2d(x.transpose(2, 3), w3, null, { padding: 2, stride: [1, 3] }),
      // Column matrices large enough to be split over threads (row ranges of 144 × 576).
      () => k.conv2d(xl, wl, null, { padding: 1 }),
    ];
    const before = im2cols;
    for (const f of runs) {
      const [js, nat] = both(f);
      expectClose(js, nat, 5e-5);
    }
    // The column matrices came from the native runtime (the 1×1 conv reads the input directly).
    expect(im2cols - before).toBeGreaterThanOrEqual(5);
    const [js64, nat64] = both(() => k.conv2d(x.double(), w3.double(), bias.double(), { padding: 1, stride: 2 }));
    expectClose(js64, nat64, 1e-12);
    // Gradients go through conv2dInputGrad and conv2dWeightGrad, both gemm-based.
    const grads = (): k.Tensor => {
      const xi = x.detach().requiresGrad_();
      const wi = w3.detach().requiresGrad_();
      k.conv2d(xi, wi, null, { padding: 1 }).square().sum().backward();
      return k.cat([xi.grad!.flatten(), wi.grad!.flatten()]);
    };
    const [js, nat] = both(grads);
    expectClose(js, nat, 2e-4);
  });

  it("makes convolutions' column matrices natively exactly as in JavaScript (every element written)", () => {
    k.manualSeed(7);
    expect(installNativeEagerKernels()).toBe(true);
    const attrs = (s: [number, number], p: [number, number, number, number], d: [number, number], groups: number) => ({ stride: s, padding: p, dilation: d, groups });
    const cases = [
      { x: k.randn([2, 8, 20, 20]), w: [16, 8, 3, 3], a: attrs([1, 1], [1, 1, 1, 1], [1, 1], 1) },
      { x: k.randn([2, 8, 20, 20]), w: [8, 4, 3, 3], a: attrs([2, 2], [0, 0, 0, 0], [1, 1], 2) },
      { x: k.randn([1, 6, 17, 13]), w: [4, 6, 3, 5], a: attrs([1, 3], [3, 0, 1, 4], [2, 1], 1) },
      { x: k.randn([1, 6, 13, 17]).transpose(2, 3), w: [4, 6, 3, 3], a: attrs([1, 1], [2, 2, 2, 2], [1, 1], 1) },
      // Large enough to be split over threads (144 rows of 576).
      { x: k.randn([1, 16, 24, 24]), w: [8, 16, 3, 3], a: attrs([1, 1], [1, 1, 1, 1], [1, 1], 1) },
      { x: k.randn([1, 16, 24, 24], { dtype: "float64" }), w: [8, 16, 3, 3], a: attrs([1, 1], [1, 1, 1, 1], [1, 1], 1) },
    ];
    for (const { x, w, a } of cases) {
      for (let n = 0; n < x.shape[0]!; n++) {
        for (let gi = 0; gi < a.groups; gi++) {
          const js = columnMatrixForTests(x, w, a, n, gi, false)!;
          const nat = columnMatrixForTests(x, w, a, n, gi, true);
          expect(nat).not.toBe(null);
          expect(Array.from(nat!)).toEqual(Array.from(js));
        }
      }
    }
  });

  it("keeps float32 conv results identical to float64 im2col within float32 tolerance", () => {
    k.manualSeed(6);
    const x = k.randn([1, 3, 16, 16]);
    const w = k.randn([4, 3, 5, 5]);
    setGemmProvider(null);
    const f32 = k.conv2d(x, w, null, { padding: 2 }).toArray();
    const f64 = k.conv2d(x.double(), w.double(), null, { padding: 2 }).toArray();
    expectClose(f64, f32, 1e-5);
  });
});

describe.skipIf(!native)("packed-B kernels", () => {
  let g: NativeGemm;
  beforeAll(() => {
    g = loadNativeGemm()!;
  });

  /** Index of the first element where the arrays differ (bit for bit), or -1. */
  function firstDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
    if (x.length !== y.length) return 0;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return i;
    return -1;
  }

  it("read B's packed panels instead of B: identical to packing per call, at any M and thread count", () => {
    try {
      packedProducts();
    } finally {
      setNumThreads(0);
    }
  });

  function packedProducts(): void {
    for (const dtype of ["float32", "float64"] as const) {
      const Arr = dtype === "float32" ? Float32Array : Float64Array;
      for (const [N, K, transposed] of [[300, 700, true], [37, 9, false], [1030, 400, true], [2, 1, false]] as const) {
        const bOff = 3;
        const b = fill(new Arr(bOff + K * N), N + K);
        const [bRs, bCs] = transposed ? [1, K] : [N, 1];
        const length = g.packedLength(dtype === "float64", K, N);
        // Views at offsets 0..2 elements into a buffer: the runtime aligns the panels itself.
        for (const shift of [0, 1, 2]) {
          const packed = new Arr(length + shift).subarray(shift);
          let ready = false;
          for (const [M, threads] of [[130, 2], [7, 1], [64, 2], [2, 1], [300, 1]] as const) {
            setNumThreads(threads);
            const a = fill(new Arr(M * K), M);
            const want = new Arr(M * N);
            const got = new Arr(M * N).fill(NaN);
            if (dtype === "float32") g.sgemm(M, N, K, a as Float32Array, 0, K, 1, b as Float32Array, bOff, bRs, bCs, want as Float32Array, 0, N, 1, false);
            else g.dgemm(M, N, K, a as Float64Array, 0, K, 1, b as Float64Array, bOff, bRs, bCs, want as Float64Array, 0, N, 1, false);
            // Once packed, B is not read: a B of garbage gives the same product.
            const bArg = ready ? new Arr(b.length).fill(1e30) : b;
            const r = dtype === "float32"
              ? g.sgemmPacked(M, N, K, a as Float32Array, 0, K, 1, bArg as Float32Array, bOff, bRs, bCs, packed as Float32Array, ready, got as Float32Array, 0, N, 1, false)
              : g.dgemmPacked(M, N, K, a as Float64Array, 0, K, 1, bArg as Float64Array, bOff, bRs, bCs, packed as Float64Array, ready, got as Float64Array, 0, N, 1, false);
            expect(r).toBe(PACKED_OK);
            ready = true;
            expect(firstDifference(got, want), `${dtype} ${M}x${N}x${K} shift ${shift}`).toBe(-1);
          }
        }
      }
    }
  }

  it("report products that do not pack B (one row or column) as run without the buffer", () => {
    const b = fill(new Float32Array(50 * 40), 1);
    const packed = new Float32Array(g.packedLength(false, 50, 40));
    const c = new Float32Array(40);
    expect(g.sgemmPacked(1, 40, 50, fill(new Float32Array(50), 2), 0, 50, 1, b, 0, 40, 1, packed, false, c, 0, 40, 1, false)).toBe(PACKED_RAN);
    // Too short a buffer is refused, not overrun.
    const short = new Float32Array(10);
    const c2 = new Float32Array(4 * 40);
    expect(g.sgemmPacked(4, 40, 50, fill(new Float32Array(200), 3), 0, 50, 1, b, 0, 40, 1, short, false, c2, 0, 40, 1, false)).toBe(PACKED_RAN);
    const want = new Float32Array(4 * 40);
    g.sgemm(4, 40, 50, fill(new Float32Array(200), 3), 0, 50, 1, b, 0, 40, 1, want, 0, 40, 1, false);
    expect(firstDifference(c2, want)).toBe(-1);
  });

  it("run batches sharing one packed B like one product each", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const Arr = dtype === "float32" ? Float32Array : Float64Array;
      for (const [batch, M, N, K] of [[6, 20, 40, 30], [3, 130, 300, 200]] as const) {
        const a = fill(new Arr(batch * M * K), batch);
        const b = fill(new Arr(K * N + 2), batch + 1);
        const aOffs = Float64Array.from({ length: batch }, (_, i) => i * M * K);
        const bOffs = new Float64Array(batch).fill(2);
        const cOffs = Float64Array.from({ length: batch }, (_, i) => i * M * N);
        const want = new Arr(batch * M * N);
        if (dtype === "float32") g.sgemmBatched(batch, M, N, K, a as Float32Array, aOffs, K, 1, b as Float32Array, bOffs, 1, K, want as Float32Array, cOffs, N, 1, false);
        else g.dgemmBatched(batch, M, N, K, a as Float64Array, aOffs, K, 1, b as Float64Array, bOffs, 1, K, want as Float64Array, cOffs, N, 1, false);
        const packed = new Arr(g.packedLength(dtype === "float64", K, N));
        for (const ready of [false, true, true]) {
          const got = new Arr(batch * M * N).fill(NaN);
          const bArg = ready ? new Arr(b.length) : b;
          const r = dtype === "float32"
            ? g.sgemmBatchedPacked(batch, M, N, K, a as Float32Array, aOffs, K, 1, bArg as Float32Array, 2, 1, K, packed as Float32Array, ready, got as Float32Array, cOffs, N, 1, false)
            : g.dgemmBatchedPacked(batch, M, N, K, a as Float64Array, aOffs, K, 1, bArg as Float64Array, 2, 1, K, packed as Float64Array, ready, got as Float64Array, cOffs, N, 1, false);
          expect(r).toBe(PACKED_OK);
          expect(firstDifference(got, want), `${dtype} batch ${batch} ready ${ready}`).toBe(-1);
        }
      }
    }
  });
});

describe.skipIf(!native)("packed-B cache of eager and compiled matmuls", () => {
  let saved: GemmProvider | null = null;
  beforeAll(() => {
    saved = gemmProvider();
    loadNativeGemm();
    installNativeEagerKernels();
  });
  afterAll(() => {
    setGemmProvider(saved);
    setPackedCacheLimit(256 * 2 ** 20);
  });

  /** Packs and hits of the cache while `f` runs. */
  function counted<T>(f: () => T): { value: T; packs: number; hits: number } {
    const before = packedCacheStats();
    const value = f();
    const after = packedCacheStats();
    return { value, packs: after.packs - before.packs, hits: after.hits - before.hits };
  }

  /** `f()` with the JavaScript kernel (no provider, so no cache). */
  function reference(f: () => k.Tensor): Float32Array | Float64Array {
    setGemmProvider(null);
    try {
      return f().toArray() as Float32Array | Float64Array;
    } finally {
      installNativeEagerKernels();
    }
  }

  function expectClose(got: k.Tensor, want: ArrayLike<number>, rel: number, what = ""): void {
    const g = got.toArray();
    expect(g.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
    expect(worst, what).toBeLessThan(rel);
  }

  it("packs a weight the second time it is multiplied unchanged, then reuses it", () => {
    clearPackedCache();
    k.manualSeed(10);
    const lin = new k.nn.Linear(300, 200);
    const x = k.randn([64, 300]);
    const f = () => k.noGrad(() => x.matmul(lin.weight.T));
    const want = reference(f);
    const first = counted(f);
    expect([first.packs, first.hits]).toEqual([0, 0]);
    const second = counted(f);
    expect([second.packs, second.hits]).toEqual([1, 0]);
    const third = counted(f);
    expect([third.packs, third.hits]).toEqual([0, 1]);
    // The packed form gives exactly what packing per call gives.
    expect(Array.from(second.value.toArray())).toEqual(Array.from(first.value.toArray()));
    expect(Array.from(third.value.toArray())).toEqual(Array.from(first.value.toArray()));
    expectClose(third.value, want, 5e-5);
    expect(packedCacheStats().copies).toBe(1);
  });

  it("does not reuse a packed weight after an in-place write (add_, copy_, an optimizer step)", () => {
    clearPackedCache();
    k.manualSeed(11);
    const lin = new k.nn.Linear(256, 128);
    const x = k.randn([32, 256]);
    const f = () => k.noGrad(() => x.matmul(lin.weight.T));
    const warm = () => {
      f();
      f();
      expect(counted(f).hits).toBe(1);
    };
    warm();
    k.noGrad(() => lin.weight.add_(1));
    const afterAdd = counted(f);
    expect(afterAdd.hits).toBe(0);
    expectClose(afterAdd.value, reference(f), 5e-5, "after add_");
    warm();
    k.noGrad(() => lin.weight.copy_(k.randn([128, 256])));
    const afterCopy = counted(f);
    expect(afterCopy.hits).toBe(0);
    expectClose(afterCopy.value, reference(f), 5e-5, "after copy_");
    warm();
    const opt = new k.optim.SGD(lin.parameters(), { lr: 0.5 });
    lin.forward(x).square().sum().backward();
    opt.step();
    const afterStep = counted(f);
    expect(afterStep.hits).toBe(0);
    expectClose(afterStep.value, reference(f), 5e-5, "after an SGD step");
    // A write through another view of the same storage invalidates too.
    warm();
    k.noGrad(() => lin.weight.view([-1]).narrow(0, 5, 3).fill_(7));
    const afterView = counted(f);
    expect(afterView.hits).toBe(0);
    expectClose(afterView.value, reference(f), 5e-5, "after a write through a view");
  });

  it("keeps views of one storage apart (offsets, transposes)", () => {
    clearPackedCache();
    k.manualSeed(12);
    const w = new k.nn.Parameter(k.randn([256, 256]));
    const x = k.randn([40, 128]);
    const y = k.randn([40, 256]);
    const fs = [
      () => k.noGrad(() => x.matmul(w.narrow(0, 0, 128))),
      () => k.noGrad(() => x.matmul(w.narrow(0, 128, 128))),
      () => k.noGrad(() => x.matmul(w.narrow(1, 64, 128).narrow(0, 64, 128))),
      () => k.noGrad(() => y.matmul(w)),
      () => k.noGrad(() => y.matmul(w.T)),
    ];
    const wants = fs.map(reference);
    let hits = 0;
    for (let round = 0; round < 4; round++) {
      fs.forEach((f, i) => {
        const r = counted(f);
        hits += r.hits;
        expectClose(r.value, wants[i]!, 5e-5, `view ${i} round ${round}`);
      });
    }
    expect(hits).toBe(2 * fs.length);
  });

  it("caches float64 weights", () => {
    clearPackedCache();
    k.manualSeed(13);
    const w = new k.nn.Parameter(k.randn([200, 150], { dtype: "float64" }));
    const x = k.randn([50, 150], { dtype: "float64" });
    const f = () => k.noGrad(() => x.matmul(w.T));
    const want = reference(f);
    f();
    f();
    const r = counted(f);
    expect(r.hits).toBe(1);
    expectClose(r.value, want, 1e-12);
    k.noGrad(() => w.mul_(-2));
    const again = counted(f);
    expect(again.hits).toBe(0);
    expectClose(again.value, reference(f), 1e-12);
  });

  it("caches a weight shared by a batch of products (rows that do not fold into one product)", () => {
    clearPackedCache();
    k.manualSeed(14);
    const w = new k.nn.Parameter(k.randn([96, 160]));
    const xb = k.randn([30, 3, 160]).transpose(0, 1); // [3, 30, 160], rows of a batch 480 apart
    const f = () => k.noGrad(() => xb.matmul(w.T));
    const want = reference(f);
    f();
    f();
    const r = counted(f);
    expect(r.hits).toBe(1);
    expectClose(r.value, want, 5e-5);
  });

  it("leaves alone tensors whose version does not track their values, and training steps", () => {
    clearPackedCache();
    k.manualSeed(15);
    const plain = k.randn([128, 128]); // no grad, never written in place: not trackable
    const x = k.randn([16, 128]);
    const r = counted(() => {
      for (let i = 0; i < 3; i++) x.matmul(plain);
    });
    expect(r.packs + r.hits).toBe(0);
    // A training loop changes its weights every step: nothing is packed into the cache.
    const lin = new k.nn.Linear(128, 128);
    const opt = new k.optim.SGD(lin.parameters(), { lr: 0.01 });
    const train = counted(() => {
      for (let i = 0; i < 4; i++) {
        opt.zeroGrad();
        lin.forward(x).square().mean().backward();
        opt.step();
      }
    });
    expect(train.packs + train.hits).toBe(0);
  });

  it("in compiled graphs reuses packed weights, and never an intermediate's buffer", () => {
    clearPackedCache();
    k.manualSeed(16);
    const lin = new k.nn.Linear(128, 160);
    const fwd = (x: k.Tensor, h: k.Tensor) =>
      k.noGrad(() => {
        // B of the second product is an intermediate: a compiled graph's scratch buffer, reused
        // from call to call with new values and no version bump.
        const z = lin.forward(x).relu();
        return z.matmul(h.mul(2).add(1)).sum(1);
      });
    const f = k.compile(fwd);
    let hits = 0;
    for (let i = 0; i < 5; i++) {
      const x = k.randn([48, 128]);
      const h = k.randn([160, 96]);
      const r = counted(() => f(x, h));
      hits += r.hits;
      expectClose(r.value, reference(() => fwd(x, h)), 1e-4, `call ${i}`);
    }
    expect(hits).toBeGreaterThanOrEqual(3);
    // An in-place update of the weight between calls is seen.
    k.noGrad(() => lin.weight.mul_(0.5));
    const x = k.randn([48, 128]);
    const h = k.randn([160, 96]);
    expectClose(f(x, h), reference(() => fwd(x, h)), 1e-4, "after mul_");
  });

  it("gives the JavaScript kernel's results over a random mix of products and in-place writes", () => {
    clearPackedCache();
    k.manualSeed(18);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return Math.floor((seed / 2 ** 32) * n); // high bits: an LCG's low bits cycle quickly
    };
    const ws = [new k.nn.Parameter(k.randn([96, 80])), new k.nn.Parameter(k.randn([96, 80], { dtype: "float64" }))];
    const views: ((w: k.Tensor) => k.Tensor)[] = [
      (w) => w.T,
      (w) => w.narrow(0, 16, 80),
      (w) => w.narrow(0, 8, 80).T.narrow(0, 0, 64).T,
      (w) => w.narrow(1, 10, 64).T,
      (w) => w.narrow(0, 0, 80), // the second view at another offset
    ];
    const compiled = views.map((view) => k.compile((x: k.Tensor, w: k.Tensor) => k.noGrad(() => x.matmul(view(w)).relu())));
    const writes: ((w: k.Tensor) => void)[] = [
      (w) => k.noGrad(() => w.add_(0.25)),
      (w) => k.noGrad(() => w.narrow(0, rnd(90), 3).mul_(-1)),
      (w) => k.noGrad(() => w.copy_(k.randn(w.shape.slice(), { dtype: w.dtype }))),
      (w) => new k.optim.SGD([w], { lr: 0.1 }).step(),
    ];
    let hits = 0;
    for (let step = 0; step < 80; step++) {
      const w = ws[rnd(2)]!;
      const v = rnd(views.length);
      const rows = [8, 33][rnd(2)]!;
      const inner = views[v]!(w).shape[0]!;
      const x = k.randn([rows, inner], { dtype: w.dtype });
      const op = rnd(10);
      if (op === 0) {
        w.grad = k.randn(w.shape.slice(), { dtype: w.dtype });
        writes[rnd(writes.length)]!(w);
        continue;
      }
      const run = op < 5 ? () => k.noGrad(() => x.matmul(views[v]!(w)).relu()) : op < 8 ? () => compiled[v]!(x, w) : () => k.noGrad(() => k.stack([x, x.mul(2)], 1).transpose(0, 1).matmul(views[v]!(w)).relu());
      const r = counted(run);
      hits += r.hits;
      const want = reference(op < 8 ? () => k.noGrad(() => x.matmul(views[v]!(w)).relu()) : () => k.noGrad(() => k.stack([x, x.mul(2)], 1).transpose(0, 1).matmul(views[v]!(w)).relu()));
      expectClose(r.value, want, w.dtype === "float64" ? 1e-12 : 5e-5, `step ${step}`);
    }
    expect(hits).toBeGreaterThan(10);
  });

  it("keeps its copies under the memory limit: drops idle copies, and does not thrash", () => {
    clearPackedCache();
    k.manualSeed(17);
    const ws = [0, 1, 2].map(() => new k.nn.Parameter(k.randn([256, 256])));
    const x = k.randn([32, 256]);
    const oneCopy = (256 * 256 + 17) * 4;
    setPackedCacheLimit(2 * oneCopy);
    try {
      // Three weights in turn, room for two: two keep their copies and hit on every round (they
      // do not evict each other, packing into fresh buffers on every call).
      const rounds = [0, 1, 2, 3].map(() => counted(() => ws.forEach((w) => k.noGrad(() => x.matmul(w)))));
      expect(rounds.map((r) => [r.packs, r.hits])).toEqual([[0, 0], [2, 0], [0, 2], [0, 2]]);
      let s = packedCacheStats();
      expect(s.copies).toBe(2);
      expect(s.bytes).toBeLessThanOrEqual(2 * oneCopy);
      // Then only the third: the least recently used copy (idle since) makes room for it.
      const third = counted(() => [0, 1, 2].forEach(() => k.noGrad(() => x.matmul(ws[2]!))));
      expect([third.packs, third.hits]).toEqual([1, 2]);
      s = packedCacheStats();
      expect(s.copies).toBe(2);
      expect(s.bytes).toBeLessThanOrEqual(2 * oneCopy);
      const first = counted(() => k.noGrad(() => x.matmul(ws[0]!)));
      expect(first.hits).toBe(0);
      // Results stay right whichever copies were dropped.
      for (const w of ws) expectClose(k.noGrad(() => x.matmul(w)), reference(() => x.matmul(w)), 5e-5);
      setPackedCacheLimit(0);
      expect(packedCacheStats().bytes).toBe(0);
      const r = counted(() => {
        for (let i = 0; i < 3; i++) k.noGrad(() => x.matmul(ws[0]!));
      });
      expect(r.packs + r.hits).toBe(0);
    } finally {
      setPackedCacheLimit(256 * 2 ** 20);
    }
  });
});

describe.skipIf(native)("native gemm unavailable", () => {
  it("loadNativeGemm returns null", () => {
    expect(loadNativeGemm()).toBe(null);
  });
});
