// The native runtime (runtime/gemm.cpp) seen from JavaScript: built once per process (and cached
// on disk by build.ts), called through koffi with the typed arrays themselves as pointers, so no
// data is copied. It holds the matrix multiply and the process's one pool of worker threads,
// which generated kernels share (threads.ts), so it also owns the thread count.
import { PACKED_OK, PACKED_RAN, type GemmProvider } from "../../ops/matmul-kernel.js";
import { log } from "../../compiler/logs.js";
import { buildLibrary, buildLibraryInBackground, libraryPath, nativeAvailable, nativeBuildMode, runtimeSource, type NativeLibrary, type PendingBuild } from "./build.js";
import { nodeHost } from "./host.js";

const BATCHED_ARGS = "int64_t batch, int64_t M, int64_t N, int64_t K, const T* a, const double* aOffs, int64_t aRs, int64_t aCs, const T* b, const double* bOffs, int64_t bRs, int64_t bCs, T* c, const double* cOffs, int64_t ldc, double alpha, int32_t accumulate";
const GEMM_ARGS = "int64_t M, int64_t N, int64_t K, const T* a, int64_t aOff, int64_t aRs, int64_t aCs, const T* b, int64_t bOff, int64_t bRs, int64_t bCs, T* c, int64_t cOff, int64_t ldc, double alpha, int32_t accumulate";
const PACKED_ARGS = "int64_t M, int64_t N, int64_t K, const T* a, int64_t aOff, int64_t aRs, int64_t aCs, const T* b, int64_t bOff, int64_t bRs, int64_t bCs, T* packed, int64_t len, int32_t ready, T* c, int64_t cOff, int64_t ldc, double alpha, int32_t accumulate";
const BATCHED_PACKED_ARGS = "int64_t batch, int64_t M, int64_t N, int64_t K, const T* a, const double* aOffs, int64_t aRs, int64_t aCs, const T* b, int64_t bOff, int64_t bRs, int64_t bCs, T* packed, int64_t len, int32_t ready, T* c, const double* cOffs, int64_t ldc, double alpha, int32_t accumulate";

/** The runtime's functions: a GemmProvider that always handles the call, plus thread control. */
export interface NativeGemm extends Required<GemmProvider> {
  readonly library: NativeLibrary;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** The pool's parallel-for (an opaque pointer handed to generated libraries). */
  readonly parallelEntry: unknown;
  /** kiln_arm_epilogue (an opaque pointer handed to generated libraries). */
  readonly armEpilogueEntry: unknown;
  /** After a product: whether the epilogue armed before it is still to run (it is disarmed; the caller runs it). */
  epiloguePending(): boolean;
  /** Epilogues that ran fused into products in this process, and the elements handed to them (for tests). */
  epilogueRuns(): number;
  epilogueElements(): number;
  /** Asks for huge pages behind a fresh buffer about to be written (a hint; see gemm.cpp). */
  adviseHugePages(buffer: ArrayBufferView): void;
  /** Parallel jobs the thread pool has run in this process (for tests). */
  poolJobs(): number;
}

/** Buffers below this size are not worth a system call (the advice needs a 2 MB-aligned interior). */
const HUGE_PAGE_MIN_BYTES = 4 << 20;

type Raw = (...args: unknown[]) => unknown;

function bind(lib: NativeLibrary): NativeGemm {
  const s = lib.func(`void kiln_sgemm(${GEMM_ARGS.replace(/\bT\*/g, "float*")})`);
  const d = lib.func(`void kiln_dgemm(${GEMM_ARGS.replace(/\bT\*/g, "double*")})`);
  const sb = lib.func(`void kiln_sgemm_batched(${BATCHED_ARGS.replace(/\bT\*/g, "float*")})`);
  const db = lib.func(`void kiln_dgemm_batched(${BATCHED_ARGS.replace(/\bT\*/g, "double*")})`);
  const sp = lib.func(`int32_t kiln_sgemm_packed(${PACKED_ARGS.replace(/\bT\*/g, "float*")})`);
  const dp = lib.func(`int32_t kiln_dgemm_packed(${PACKED_ARGS.replace(/\bT\*/g, "double*")})`);
  const sbp = lib.func(`int32_t kiln_sgemm_batched_packed(${BATCHED_PACKED_ARGS.replace(/\bT\*/g, "float*")})`);
  const dbp = lib.func(`int32_t kiln_dgemm_batched_packed(${BATCHED_PACKED_ARGS.replace(/\bT\*/g, "double*")})`);
  const packedLength = lib.func("int64_t kiln_gemm_packed_length(int32_t isDouble, int64_t K, int64_t N)");
  const setThreads = lib.func("void kiln_set_num_threads(int32_t n)");
  const getThreads = lib.func("int32_t kiln_get_num_threads()");
  const parallelEntry = lib.func("void* kiln_parallel_for_entry()")();
  const armEpilogueEntry = lib.func("void* kiln_arm_epilogue_entry()")();
  const epiloguePending = lib.func("int32_t kiln_epilogue_pending()");
  const epilogueRuns = lib.func("double kiln_epilogue_runs()");
  const epilogueElements = lib.func("double kiln_epilogue_elements()");
  const advise = lib.func("void kiln_advise_huge_pages(void* p, int64_t bytes)");
  const poolJobs = lib.func("double kiln_pool_jobs()");
  const IM2COL_ARGS = "const int32_t* dims, const T* x, int64_t xOff, int64_t sC, int64_t sH, int64_t sW, int64_t c0, T* col";
  const sIm2col = lib.func(`void kiln_sim2col(${IM2COL_ARGS.replace(/\bT\*/g, "float*")})`);
  const dIm2col = lib.func(`void kiln_dim2col(${IM2COL_ARGS.replace(/\bT\*/g, "double*")})`);
  const call = (f: Raw) =>
    (M: number, N: number, K: number, a: unknown, aOff: number, aRs: number, aCs: number, b: unknown, bOff: number, bRs: number, bCs: number, c: unknown, cOff: number, ldc: number, alpha: number, accumulate: boolean): boolean => {
      f(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate ? 1 : 0);
      return true;
    };
  const callBatched = (f: Raw) =>
    (batch: number, M: number, N: number, K: number, a: unknown, aOffs: Float64Array, aRs: number, aCs: number, b: unknown, bOffs: Float64Array, bRs: number, bCs: number, c: unknown, cOffs: Float64Array, ldc: number, alpha: number, accumulate: boolean): boolean => {
      f(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate ? 1 : 0);
      return true;
    };
  // The runtime returns 1 when the buffer holds B's packed panels after the call, 0 when the product ran without it.
  const callPacked = (f: Raw) =>
    (M: number, N: number, K: number, a: unknown, aOff: number, aRs: number, aCs: number, b: unknown, bOff: number, bRs: number, bCs: number, packed: ArrayBufferView, ready: boolean, c: unknown, cOff: number, ldc: number, alpha: number, accumulate: boolean) =>
      f(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, (packed as Float32Array).length, ready ? 1 : 0, c, cOff, ldc, alpha, accumulate ? 1 : 0) === 1 ? PACKED_OK : PACKED_RAN;
  const callBatchedPacked = (f: Raw) =>
    (batch: number, M: number, N: number, K: number, a: unknown, aOffs: Float64Array, aRs: number, aCs: number, b: unknown, bOff: number, bRs: number, bCs: number, packed: ArrayBufferView, ready: boolean, c: unknown, cOffs: Float64Array, ldc: number, alpha: number, accumulate: boolean) =>
      f(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, (packed as Float32Array).length, ready ? 1 : 0, c, cOffs, ldc, alpha, accumulate ? 1 : 0) === 1 ? PACKED_OK : PACKED_RAN;
  return {
    library: lib,
    sgemm: call(s),
    dgemm: call(d),
    sgemmBatched: callBatched(sb),
    dgemmBatched: callBatched(db),
    packedLength: (isDouble, K, N) => Number(packedLength(isDouble ? 1 : 0, K, N)),
    im2col: (dims, x, xOff, sC, sH, sW, c0, col) => {
      if (x instanceof Float32Array && col instanceof Float32Array) sIm2col(dims, x, xOff, sC, sH, sW, c0, col);
      else if (x instanceof Float64Array && col instanceof Float64Array) dIm2col(dims, x, xOff, sC, sH, sW, c0, col);
      else return false;
      return true;
    },
    sgemmPacked: callPacked(sp),
    dgemmPacked: callPacked(dp),
    sgemmBatchedPacked: callBatchedPacked(sbp),
    dgemmBatchedPacked: callBatchedPacked(dbp),
    setNumThreads: (n) => void setThreads(Math.max(0, Math.floor(n))),
    getNumThreads: () => getThreads() as number,
    parallelEntry,
    armEpilogueEntry,
    epiloguePending: () => epiloguePending() !== 0,
    epilogueRuns: () => epilogueRuns() as number,
    epilogueElements: () => epilogueElements() as number,
    adviseHugePages: (buffer) => {
      if (buffer.byteLength >= HUGE_PAGE_MIN_BYTES) advise(buffer, buffer.byteLength);
    },
    poolJobs: () => poolJobs() as number,
  };
}

/** The runtime's source text (gemm.cpp is self-contained). */
function gemmSource(): string {
  return runtimeSource("gemm.cpp");
}

let loaded: NativeGemm | null | undefined;
/** Threads asked for before the library was loaded (0: the default, OMP_NUM_THREADS or the cores). */
let pendingThreads = 0;

function adopt(g: NativeGemm): NativeGemm {
  if (pendingThreads > 0) g.setNumThreads(pendingThreads);
  return (loaded = g);
}

/**
 * The native gemm, built (or loaded from the disk cache) on first use; null where native code
 * is unavailable. Throws KilnRuntimeError if the compiler rejects the runtime.
 */
export function loadNativeGemm(): NativeGemm | null {
  if (loaded !== undefined) return loaded;
  if (!nativeAvailable()) return (loaded = null);
  return adopt(bind(buildLibrary("gemm", gemmSource())));
}

/** The native gemm if it is loaded already (no build), else null. */
export function loadedNativeGemm(): NativeGemm | null {
  return loaded ?? null;
}

/** Whether the runtime library is in the disk cache, so loading it needs no compile. */
function nativeGemmBuilt(): boolean {
  return nativeAvailable() && libraryPath("gemm", gemmSource()).built;
}

/** Takes a library built elsewhere (a background build) as this process's native gemm. */
function adoptNativeGemm(lib: NativeLibrary): NativeGemm {
  return loaded ?? adopt(bind(lib));
}

let pending: PendingBuild | null = null;
let failed = false;

function giveUp(message: string): null {
  failed = true;
  log("warnings", `${message}; matmul and conv keep the JavaScript kernels and compiled kernels run on one thread`);
  return null;
}

/**
 * The runtime once it is usable, for its users (eager matmul/conv, compiled kernels' thread
 * pool): loaded from the disk cache, or built, synchronously or (build mode "background") in
 * another process while this returns null. Where native code is unavailable, or the build
 * failed (logged once), null.
 */
export function nativeRuntime(): NativeGemm | null {
  if (loaded !== undefined || failed) return loaded ?? null;
  if (pending) {
    const lib = pending.poll();
    if (lib) {
      pending = null;
      return adoptNativeGemm(lib);
    }
    if (pending.failed) {
      const error = pending.failed;
      pending = null;
      return giveUp(`native runtime build failed: ${error.message}`);
    }
    return null;
  }
  if (!nativeAvailable()) {
    failed = true; // the native target logs why, once, when it is first asked for
    return null;
  }
  try {
    if (nativeBuildMode() === "sync" || nativeGemmBuilt()) return loadNativeGemm();
    pending = buildLibraryInBackground("gemm", gemmSource());
    return nativeRuntime();
  } catch (e) {
    return giveUp(`native runtime unavailable: ${(e as Error).message}`);
  }
}

/**
 * Threads of native code (matmul, conv and compiled kernels): n ≥ 1, or 0 for the default
 * (OMP_NUM_THREADS, else the cores available). Applied when the library loads if it is not
 * loaded yet, so setting it never starts a compile.
 */
export function setNumThreads(n: number): void {
  pendingThreads = Math.max(0, Math.floor(n));
  loaded?.setNumThreads(pendingThreads);
}

/** The threads native code uses (the default before the library is loaded: OMP_NUM_THREADS or the cores). */
export function getNumThreads(): number {
  if (loaded) return loaded.getNumThreads();
  if (pendingThreads > 0) return pendingThreads;
  const h = nodeHost();
  if (!h) return 1;
  const env = Number.parseInt(h.env.OMP_NUM_THREADS ?? "", 10);
  if (Number.isFinite(env) && env > 0) return env;
  return typeof h.os.availableParallelism === "function" ? h.os.availableParallelism() : h.os.cpus().length;
}
