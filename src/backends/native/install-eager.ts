// Native kernels for eager mode: a GemmProvider for the eager matmul/conv kernels
// (src/ops/matmul-kernel.ts) backed by the C++ runtime. Installing it is cheap: nothing is probed,
// compiled or loaded until the first product large enough to use it. Then the library is loaded
// from the disk cache, or built: synchronously, or in the background under
// `setNativeBuildMode("background")` (the JavaScript kernel runs until the build is done).
import { log } from "../../compiler/logs.js";
import { gemmProvider, setGemmProvider, type GemmProvider } from "../../ops/matmul-kernel.js";
import { buildLibraryInBackground, nativeAvailable, type PendingBuild } from "./build.js";
import { adoptNativeGemm, loadedNativeGemm, loadNativeGemm, nativeGemmBuilt, nativeGemmSource, type NativeGemm } from "./gemm.js";
import { nodeHost } from "./host.js";
import { nativeBuildMode } from "./target.js";

let ready: NativeGemm | null = null;
let off = false;
let pending: PendingBuild | null = null;

function disable(message: string): null {
  off = true;
  log("warnings", `${message}; eager matmul and conv keep the JavaScript kernels`);
  return null;
}

/** The native gemm once it is usable, starting its load or build on the first call. */
function resolve(): NativeGemm | null {
  if (ready || off) return ready;
  if (pending) {
    const lib = pending.poll();
    if (lib) {
      pending = null;
      return (ready = adoptNativeGemm(lib));
    }
    if (pending.failed) {
      const failed = pending.failed;
      pending = null;
      return disable(`native gemm build failed: ${failed.message}`);
    }
    return null;
  }
  if (!nativeAvailable()) {
    off = true; // the native target logs why, once, when it is first asked for
    return null;
  }
  ready = loadedNativeGemm();
  if (ready) return ready;
  try {
    if (nativeBuildMode() === "sync" || nativeGemmBuilt()) return (ready = loadNativeGemm());
    const { name, source } = nativeGemmSource();
    pending = buildLibraryInBackground(name, source);
    return resolve();
  } catch (e) {
    return disable(`native gemm unavailable: ${(e as Error).message}`);
  }
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
  // smallest product, in multiply-adds, that goes to the native gemm.
  const env = h.env.KILN_NATIVE_MIN_ELEMENTS;
  const minWork = env !== undefined && env !== "" && Number.isFinite(Number(env)) ? Number(env) : undefined;
  setGemmProvider(lazyProvider, minWork === undefined ? {} : { minWork });
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
