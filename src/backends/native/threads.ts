// setNumThreads / getNumThreads (torch.set_num_threads): the threads of native code. There is one
// pool of threads per process, in the gemm runtime (runtime/gemm.cpp); matrix products use it, and
// every library built from generated code is bound to it when it loads (kiln_bind_parallel), so
// one setting reaches both. Setting it never starts a compile: it is applied when the runtime
// loads.
import { ArgumentError } from "../../core/errors.js";
import type { NativeLibrary } from "./build.js";
import { getNumThreads as gemmThreads, setNumThreads as setGemmThreads, type NativeGemm } from "./gemm.js";

/** Threads for native matmul, convolution and compiled kernels (default: the cores available). */
export function setNumThreads(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new ArgumentError(`setNumThreads(): number of threads must be a positive integer, but got ${String(n)}`);
  }
  setGemmThreads(n);
}

/** The threads native code uses. */
export function getNumThreads(): number {
  return gemmThreads();
}

/** C++ every generated library carries: how it receives the runtime's entry points (the pool's parallel-for, epilogue arming). */
export const RUNTIME_BINDING_SOURCE =
  `extern "C" void kiln_bind_parallel(void* entry) { kn::parallel_entry() = reinterpret_cast<kn::ParallelFor>(entry); }\n` +
  `extern "C" void kiln_bind_epilogue(void* entry) { kn::arm_epilogue_entry() = reinterpret_cast<kn::ArmEpilogue>(entry); }\n`;

/** Binds a library built from generated code to the runtime (until then its loops run on the calling thread and it arms no epilogues). */
export function bindToRuntime(lib: NativeLibrary, runtime: NativeGemm): void {
  lib.func("void kiln_bind_parallel(void* entry)")(runtime.parallelEntry);
  lib.func("void kiln_bind_epilogue(void* entry)")(runtime.armEpilogueEntry);
}
