// setNumThreads / getNumThreads (torch.set_num_threads): the threads of native code, both the
// gemm's pool and the OpenMP loops of generated kernels (one libgomp per process, so setting it
// through any loaded library reaches all of them). Setting it never starts a compile: it is
// applied to libraries as they load.
import { ArgumentError } from "../../core/errors.js";
import type { NativeLibrary } from "./build.js";
import { getNumThreads as gemmThreads, setNumThreads as setGemmThreads } from "./gemm.js";

let setting = 0;
let applyToOpenMP: ((n: number) => unknown) | null = null;

/** Threads for native matmul, convolution and compiled kernels (default: the cores available). */
export function setNumThreads(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new ArgumentError(`setNumThreads(): number of threads must be a positive integer, but got ${String(n)}`);
  }
  setting = n;
  setGemmThreads(n);
  applyToOpenMP?.(n);
}

/** The threads native code uses. */
export function getNumThreads(): number {
  return gemmThreads();
}

/** C++ every generated module carries so the setting can reach OpenMP before the gemm loads. */
export const THREADS_SOURCE = `#include <omp.h>\nextern "C" void kiln_apply_threads(int32_t n) { omp_set_num_threads(n); }\n`;

/** Called for each library built from generated code when it loads. */
export function adoptThreadControl(lib: NativeLibrary): void {
  if (!applyToOpenMP) applyToOpenMP = lib.func("void kiln_apply_threads(int32_t n)");
  if (setting > 0) applyToOpenMP(setting);
}
