// The native matrix multiply (src/backends/native/runtime/gemm.cpp): sgemm/dgemm against the
// JavaScript gemm on many shapes and stride patterns (edge tiles, transposed and broadcast
// operands, accumulate, alpha, several cache blocks, the threaded path), the thread setting, and
// eager matmul/conv2d with the native provider installed against the JavaScript kernels.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { nativeAvailable } from "../../src/backends/native/build.js";
import { getNumThreads, loadNativeGemm, setNumThreads, type NativeGemm } from "../../src/backends/native/gemm.js";
import { installNativeEagerKernels, nativeEagerProvider, uninstallNativeEagerKernels } from "../../src/backends/native/install-eager.js";
import { gemm, gemmProvider, setGemmProvider, type GemmProvider } from "../../src/ops/matmul-kernel.js";

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
      for (const N of [1, 3, 8, 15, 16, 17, 40]) {
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
  function both(f: () => k.Tensor): [Float32Array | Float64Array, Float32Array | Float64Array] {
    setGemmProvider(null);
    const js = f().toArray() as Float32Array | Float64Array;
    expect(installNativeEagerKernels()).toBe(true);
    const inner = gemmProvider()!;
    expect(inner).toBe(nativeEagerProvider());
    let handled = 0;
    setGemmProvider({
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
    const runs: (() => k.Tensor)[] = [
      () => k.conv2d(x, w3, bias, { padding: 1 }),
      () => k.conv2d(x, w1),
      () => k.conv2d(x, wg, null, { groups: 2, stride: 2 }),
    ];
    for (const f of runs) {
      const [js, nat] = both(f);
      expectClose(js, nat, 5e-5);
    }
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

describe.skipIf(native)("native gemm unavailable", () => {
  it("loadNativeGemm returns null", () => {
    expect(loadNativeGemm()).toBe(null);
  });
});
