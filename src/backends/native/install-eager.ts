// Native kernels for eager mode: a GemmProvider for the eager matmul/conv kernels
// (src/ops/matmul-kernel.ts) backed by the C++ runtime. Installing it is cheap: nothing is probed,
// compiled or loaded until the first product large enough to use it. Then the library is loaded
// from the disk cache, or built: synchronously, or in the background under
// `setNativeBuildMode("background")` (the JavaScript kernel runs until the build is done).
import { envNumber } from "../../core/env.js";
import { gemmProvider, PACKED_MIN_ELEMENTS, PACKED_NOT_RUN, PROVIDER_MIN_WORK, setGemmProvider, setPackedCacheLimit, type GemmProvider } from "../../ops/matmul-kernel.js";
import { nativeRuntime, type NativeGemm } from "./gemm.js";
import { nodeHost } from "./host.js";

let ready: NativeGemm | null = null;

/** The native gemm once it is usable (nativeRuntime starts its load or build on the first call). */
function resolve(): NativeGemm | null {
  return (ready = nativeRuntime());
}

const lazyProvider: GemmProvider = {
  sgemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g !== null && g.sgemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate);
  },
  dgemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g !== null && g.dgemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate);
  },
  sgemmBatched(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g !== null && g.sgemmBatched(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate);
  },
  dgemmBatched(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g !== null && g.dgemmBatched(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate);
  },
  // Packed copies only once the library is usable: 0 keeps the cache from allocating before then.
  packedLength(isDouble, K, N) {
    const g = ready ?? resolve();
    return g === null ? 0 : g.packedLength(isDouble, K, N);
  },
  sgemmPacked(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOff, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g === null ? PACKED_NOT_RUN : g.sgemmPacked(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOff, ldc, alpha, accumulate);
  },
  dgemmPacked(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOff, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g === null ? PACKED_NOT_RUN : g.dgemmPacked(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOff, ldc, alpha, accumulate);
  },
  sgemmBatchedPacked(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOffs, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g === null ? PACKED_NOT_RUN : g.sgemmBatchedPacked(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOffs, ldc, alpha, accumulate);
  },
  dgemmBatchedPacked(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOffs, ldc, alpha, accumulate) {
    const g = ready ?? resolve();
    return g === null ? PACKED_NOT_RUN : g.dgemmBatchedPacked(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, isReady, c, cOffs, ldc, alpha, accumulate);
  },
  im2col(dims, x, xOff, sC, sH, sW, c0, col) {
    const g = ready ?? resolve();
    return g !== null && g.im2col(dims, x, xOff, sC, sH, sW, c0, col);
  },
};

/**
 * Makes eager matmul and conv use the native gemm for their large float products. Returns
 * whether the provider was installed: false outside Node or with KILN_NATIVE=0. Whether a
 * compiler and koffi are usable is checked on the first large product (probing the compiler
 * costs tens of milliseconds, too much for every import); if not, the JavaScript kernels run.
 */
export function installNativeEagerKernels(): boolean {
  const h = nodeHost();
  if (!h || h.env.KILN_NATIVE === "0") return false;
  // KILN_NATIVE_MIN_ELEMENTS (the native target's size threshold; 0 in the tests) also sets the
  // smallest product, in multiply-adds, that goes to the native gemm, and when lower than the
  // default the smallest B kept packed between calls (so the tests run small weights through
  // the packed-B cache too).
  const minWork = envNumber("KILN_NATIVE_MIN_ELEMENTS", PROVIDER_MIN_WORK);
  setGemmProvider(lazyProvider, { minWork, packedMinElements: minWork < PROVIDER_MIN_WORK ? minWork : PACKED_MIN_ELEMENTS });
  // KILN_GEMM_PACKED_CACHE_MB: memory for weights kept packed between products (0 turns it off).
  const mb = envNumber("KILN_GEMM_PACKED_CACHE_MB", -1);
  if (mb >= 0) setPackedCacheLimit(mb * 2 ** 20);
  return true;
}

/** Removes the provider if it is this one (tests, or a user who wants the JavaScript kernels). */
export function uninstallNativeEagerKernels(): void {
  if (gemmProvider() === lazyProvider) setGemmProvider(null);
}

/** The lazy provider itself, for tests that install it around a block. */
export function nativeEagerProvider(): GemmProvider {
  return lazyProvider;
}
