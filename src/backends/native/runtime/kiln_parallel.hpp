// Parallel loops of generated kernels, and the other runtime entry they use (epilogues). They run on the gemm runtime's thread pool (gemm.cpp,
// kiln_parallel_for), whose address each generated library is given when it loads
// (kiln_bind_parallel): one pool per process, shared with matrix products, so kernels and
// products never compete for the cores, and the caller never waits for a worker that is late.
// Until a library is bound (the runtime not loaded yet), loops run on the calling thread.
#pragma once
#include <cstdint>
#include <type_traits>

namespace kn {

using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
using ParallelFor = void (*)(int64_t n, int64_t grain, RangeFn fn, void* ctx);

/** This library's entry into the pool (null until bound). */
inline ParallelFor& parallel_entry() {
  static ParallelFor entry = nullptr;
  return entry;
}

/**
 * The runtime's kiln_arm_epilogue (null until bound): a kernel armed as the epilogue of the next
 * matrix product runs on the product's rows as they are finished (gemm.cpp, Epilogue).
 */
using ArmEpilogue = void (*)(void* fn, void* ctx, const void* c, int64_t elements, int64_t rowLength);
inline ArmEpilogue& arm_epilogue_entry() {
  static ArmEpilogue entry = nullptr;
  return entry;
}

/**
 * Calls body(begin, end) over ranges covering [0, n): on the pool when `parallel` and the pool is
 * bound, in chunks of at least `grain` iterations; otherwise once, on this thread.
 */
template <class F> inline void parallel_for(int64_t n, int64_t grain, bool parallel, F&& body) {
  const ParallelFor entry = parallel_entry();
  if (!parallel || entry == nullptr || n < 2) {
    body(int64_t(0), n);
    return;
  }
  using Body = std::remove_reference_t<F>;
  entry(n, grain, [](void* ctx, int64_t b, int64_t e) { (*static_cast<Body*>(ctx))(b, e); }, const_cast<void*>(static_cast<const void*>(&body)));
}

}  // namespace kn
