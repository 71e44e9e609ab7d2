// The native gemm (src/backends/native/runtime/gemm.cpp) against the JavaScript kernel, through
// eager k.matmul / k.conv2d: the provider is switched per run, so the rows compare the same op
// (and a linear layer's product with its weight kept packed between calls).
// Skipped where no C++ compiler or koffi is available.
import * as k from "../src/index.js";
import { nativeAvailable, unavailableReason } from "../src/backends/native/build.js";
import { getNumThreads, loadNativeGemm, setNumThreads } from "../src/backends/native/gemm.js";
import { setGemmProvider, type GemmProvider } from "../src/ops/matmul-kernel.js";
import { register, type Benchmark } from "./harness.js";

/** Runs `f` with `provider` installed (null: the JavaScript kernel) and `threads` native threads. */
function using<T>(provider: GemmProvider | null, threads: number, f: () => T): T {
  const prev = setGemmProvider(provider);
  const prevThreads = getNumThreads();
  if (threads > 0) setNumThreads(threads);
  try {
    return f();
  } finally {
    setGemmProvider(prev);
    if (threads > 0) setNumThreads(prevThreads);
  }
}

/** The native provider, or null with the benchmark's skip reason set. */
function nativeProvider(b: Benchmark): GemmProvider | null {
  if (!nativeAvailable()) {
    b.skipReason = `native code unavailable: ${unavailableReason()}`;
    return null;
  }
  return loadNativeGemm();
}

const rand = (shape: number[]) => k.rand(shape);
const N = 1024;

register({
  name: "matmul float32 1024, JS kernel",
  size: `${N}x${N}x${N}`,
  flops: 2 * N ** 3,
  warmup: 1,
  setup: () => {
    const a = rand([N, N]);
    const b = rand([N, N]);
    return () => using(null, 0, () => k.matmul(a, b));
  },
});

for (const threads of [1, 2]) {
  const bench: Benchmark = {
    name: `matmul float32 1024, native gemm ${threads} thread${threads > 1 ? "s" : ""}`,
    size: `${N}x${N}x${N}`,
    flops: 2 * N ** 3,
    runs: 9,
    baseline: "matmul float32 1024, JS kernel",
    setup: () => {
      const p = nativeProvider(bench);
      if (!p) return null;
      const a = rand([N, N]);
      const b = rand([N, N]);
      return () => using(p, threads, () => k.matmul(a, b));
    },
  };
  register(bench);
}

// A linear layer of an MLP (batch 64, 1024 → 1024): x · Wᵀ, B transposed.
const linearJs = "linear float32 64x1024x1024 (x·Wᵀ), JS kernel";
register({
  name: linearJs,
  size: "64x1024 · (1024x1024)ᵀ",
  flops: 2 * 64 * 1024 * 1024,
  setup: () => {
    const x = rand([64, 1024]);
    const w = rand([1024, 1024]);
    return () => using(null, 0, () => k.matmul(x, w.T));
  },
});
const linearNative: Benchmark = {
  name: "linear float32 64x1024x1024 (x·Wᵀ), native gemm",
  size: "64x1024 · (1024x1024)ᵀ",
  flops: 2 * 64 * 1024 * 1024,
  runs: 21,
  baseline: linearJs,
  setup: () => {
    const p = nativeProvider(linearNative);
    if (!p) return null;
    const x = rand([64, 1024]);
    const w = rand([1024, 1024]);
    return () => using(p, 0, () => k.matmul(x, w.T));
  },
};
register(linearNative);
// The same product with W a parameter multiplied again unchanged (inference): after its second
// use its packed form is kept (the packed-B cache of src/ops/matmul-kernel.ts) and B is not
// packed again. The row above has a plain tensor as W, whose version does not track its values.
const linearPacked: Benchmark = {
  name: "linear float32 64x1024x1024 (x·Wᵀ), native gemm, W kept packed",
  size: "64x1024 · (1024x1024)ᵀ",
  flops: 2 * 64 * 1024 * 1024,
  runs: 21,
  baseline: linearNative.name,
  setup: () => {
    const p = nativeProvider(linearPacked);
    if (!p) return null;
    const x = rand([64, 1024]);
    const w = new k.nn.Parameter(rand([1024, 1024]));
    return () => using(p, 0, () => k.noGrad(() => k.matmul(x, w.T)));
  },
};
register(linearPacked);

// The conv2d of benchmarks.ts: im2col + gemm per image.
const convFlops = 2 * 8 * 64 * 32 * 32 * 32 * 9;
const convJs = "conv2d float32 3x3, JS gemm";
register({
  name: convJs,
  size: "[8,32,32,32] * [64,32,3,3], pad 1",
  flops: convFlops,
  setup: () => {
    const x = rand([8, 32, 32, 32]);
    const w = rand([64, 32, 3, 3]);
    return () => using(null, 0, () => k.conv2d(x, w, null, { padding: 1 }));
  },
});
const convNative: Benchmark = {
  name: "conv2d float32 3x3, native gemm",
  size: "[8,32,32,32] * [64,32,3,3], pad 1",
  flops: convFlops,
  runs: 11,
  baseline: convJs,
  setup: () => {
    const p = nativeProvider(convNative);
    if (!p) return null;
    const x = rand([8, 32, 32, 32]);
    const w = rand([64, 32, 3, 3]);
    return () => using(p, 0, () => k.conv2d(x, w, null, { padding: 1 }));
  },
};
register(convNative);
