// kiln's native matrix multiply: C (=|+=) alpha · A·B on strided operands, float and double.
//
// BLIS-style blocking: B is packed into NR-wide, k-major panels (KC rows deep; they stay in L3
// and, while one A block streams past, each in L1 or L2, see Blocking), A into MR-tall panels of
// an MC-row block (it stays in L2), and a register-tiled micro-kernel multiplies one A panel by one B panel. Packing
// absorbs every stride pattern (transposed, broadcast 0-strides), so the kernels see only unit
// strides; packed panels are zero-padded, so edge tiles run the same kernel into a scratch tile.
// An A block with contiguous rows that serves only a few B panels is read in place instead
// (readsAInPlace): its packing would cost more than it saves.
// Large products are split over threads by blocks of rows × groups of columns (gemmParallel).
// A caller may keep a whole packed B between calls (kiln_*_packed: a weight multiplied again and
// again), in one layout for any M and thread count, so products skip packing it.
// Semantics are those of `gemm` in src/ops/matmul-kernel.ts:
//   A(i,k) = a[aOff + i·aRs + k·aCs], B(k,j) = b[bOff + k·bRs + j·bCs], C(i,j) = c[cOff + i·ldc + j].
// Without `accumulate` C is only written (never read, so stale NaNs in C do not leak). Each
// element of C is summed in the same order whatever the thread count, so results do not depend
// on it.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#ifdef __linux__
#include <sys/mman.h>
#endif
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define KILN_GEMM_AVX2 1
#ifdef __AVX512F__
#define KILN_GEMM_AVX512 1
#endif
#endif

namespace {

// Register tile MR×NR and cache blocks. On AVX2 the float tile is 6×16 (12 ymm accumulators,
// two for B, one broadcast of A: 15 of 16 registers) and the double tile 6×8. KC·NR·sizeof(T) is
// 16–24 KB (most of a 32 KB L1), MC·KC·sizeof(T) about 144 KB (well inside a 512 KB L2); a
// deeper KC than BLIS uses for Zen measured a few per cent faster here (fewer passes over C).
// With AVX-512 the same 6-row tile holds two zmm per row (6×32 floats, 6×16 doubles); on a Zen 5
// core it reached 203 GFLOP/s on 1024³ (the AVX2 tile: 103), of a 231 GFLOP/s FMA peak. The float
// B panel is KC 1024 deep (128 KB, read from the 1 MB L2: two loads per six FMAs leave it time):
// against KC 256 (a 32 KB panel in L1), C is loaded and stored once instead of once per 256 of
// K, and the 64-row products of an MLP (K 784, 1024) on two threads ran 5-12% faster, 1024³ on
// two threads 4-8%, on one thread within 2%. An 8-row tile measured within 2%.
template <typename T> struct Blocking;
#ifdef KILN_GEMM_AVX512
template <> struct Blocking<float> {
  static constexpr int MR = 6, NR = 32;
  static constexpr int64_t MC = 96, KC = 1024, NC = 4096;
};
template <> struct Blocking<double> {
  static constexpr int MR = 6, NR = 16;
  static constexpr int64_t MC = 72, KC = 256, NC = 2048;
};
#else
template <> struct Blocking<float> {
  static constexpr int MR = 6, NR = 16;
  static constexpr int64_t MC = 96, KC = 384, NC = 4080;
};
template <> struct Blocking<double> {
  static constexpr int MR = 6, NR = 8;
  static constexpr int64_t MC = 72, KC = 256, NC = 2040;
};
#endif

/** Below this many multiply-adds per thread, splitting a product costs more than it saves. */
constexpr int64_t PARALLEL_MIN_WORK = int64_t(1) << 21;

std::atomic<int32_t> requestedThreads{0};

/** The default thread count: OMP_NUM_THREADS (as PyTorch honours it), else the cores available. */
int32_t defaultThreadCount() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n > 0 && n < 4096) return int32_t(n);
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? int32_t(n) : 1;
}
const int32_t defaultThreads = defaultThreadCount();

int32_t maxThreads() {
  const int32_t n = requestedThreads.load(std::memory_order_relaxed);
  return n > 0 ? n : defaultThreads;
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/** Set on threads running pool items: products they start run serially (no nested parallelism). */
thread_local bool inPool = false;

/**
 * The worker threads of native code: the gemm's parallel drivers and, through kiln_parallel_for,
 * the loops of generated kernels (one pool per process, so the two never compete for the cores).
 * An OpenMP parallel region ends only when every thread of its team has arrived; when the machine is busy a woken worker may wait milliseconds
 * for a CPU, and measured here a 2-thread 256³ product then took 7–15 ms instead of 0.3 ms (the
 * caller had long finished the work alone). Here a job ends when its items are done: the caller
 * takes items too, and a worker that arrives late finds none left and is not waited for. Only
 * one job runs at a time; a call that finds the pool busy (another JS thread) runs serially. The
 * threads are never joined (they sleep between jobs and end with the process).
 */
class Pool {
 public:
  using Fn = void (*)(void* ctx, int64_t item, int slot, int team);

  /** Runs fn(ctx, i, slot, team) for every i < items on up to `threads` threads; the caller is slot 0. */
  void run(int threads, int64_t items, Fn fn, void* ctx) {
    threads = int(std::min<int64_t>(threads, items));
    std::unique_lock<std::mutex> own(busy, std::try_to_lock);
    if (threads <= 1 || inPool || !own.owns_lock()) {
      for (int64_t i = 0; i < items; ++i) fn(ctx, i, 0, 1);
      return;
    }
    Job job{fn, ctx, items, threads};
    {
      std::lock_guard<std::mutex> lk(m);
      const uint64_t g = generation.load(std::memory_order_relaxed);
      try {
        for (; started < threads - 1; ++started) std::thread([this, g] { work(g); }).detach();
      } catch (...) {
        // No more threads to be had: the job runs on those there are.
      }
      current = &job;
      generation.fetch_add(1, std::memory_order_release);
    }
    cv.notify_all();
    inPool = true;
    job.take(0);
    inPool = false;
    {
      std::lock_guard<std::mutex> lk(m);
      current = nullptr;  // from here no worker joins this job
    }
    // Wait only for workers that joined (they finish the items they took).
    for (int spins = 0; active.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < 1024) cpuRelax();
      else std::this_thread::yield();
    }
  }

 private:
  struct Job {
    Fn fn;
    void* ctx;
    int64_t items;
    int team;
    std::atomic<int64_t> next{0};
    int joined = 1;  // slots handed out, the caller's included (under the pool's mutex)
    Job(Fn f, void* c, int64_t n, int t) : fn(f), ctx(c), items(n), team(t) {}
    void take(int slot) {
      for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < items;) fn(ctx, i, slot, team);
    }
  };

  void work(uint64_t seen) {
    for (;;) {
      // Spin briefly first: products often come back to back (the layers of a model).
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(250);
      while (generation.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) cpuRelax();
      Job* job = nullptr;
      int slot = 0;
      {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return generation.load(std::memory_order_relaxed) != seen; });
        seen = generation.load(std::memory_order_relaxed);
        if (current && current->joined < current->team && current->next.load(std::memory_order_relaxed) < current->items) {
          job = current;
          slot = job->joined++;
          active.fetch_add(1, std::memory_order_relaxed);
        }
      }
      if (!job) continue;
      inPool = true;
      job->take(slot);
      inPool = false;
      active.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex busy;
  std::mutex m;
  std::condition_variable cv;
  int started = 0;  // worker threads started
  Job* current = nullptr;
  std::atomic<int> active{0};

 public:
  /** Jobs handed to the workers so far (tests check that generated kernels reach the pool). */
  std::atomic<uint64_t> generation{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: its threads outlive static destruction
  return *p;
}

/**
 * Asks Linux to back the 2 MB-aligned interior of a buffer about to be written for the first time
 * with huge pages (transparent huge pages in "madvise" mode). A fresh 4 MB JavaScript buffer
 * otherwise takes about 1000 page faults on first touch, measured at 3.4 ms here against 0.3 ms
 * with the advice: more than the kernel that fills it. Only a hint; contents are unchanged.
 */
void adviseHugePages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t HUGE = uintptr_t(2) << 20;
  if (bytes < 2 * HUGE) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + HUGE - 1) & ~(HUGE - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(HUGE - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/** A growable 64-byte-aligned scratch buffer; one per thread and role, so calls are reentrant. */
struct Scratch {
  void* p = nullptr;
  size_t bytes = 0;
  ~Scratch() { std::free(p); }
  void* get(size_t n) {
    if (n > bytes) {
      std::free(p);
      size_t rounded = (n + 4095) & ~size_t(4095);
      p = std::aligned_alloc(64, rounded);
      if (!p) {
        bytes = 0;
        std::abort();
      }
      bytes = rounded;
    }
    return p;
  }
};

template <typename T> T* scratchA(size_t n) {
  static thread_local Scratch s;
  return static_cast<T*>(s.get(n * sizeof(T)));
}
template <typename T> T* scratchB(size_t n) {
  static thread_local Scratch s;
  return static_cast<T*>(s.get(n * sizeof(T)));
}

/** Room after a packed A block for packRowsAvx's overhanging stores. */
constexpr size_t PACK_SLACK = 16;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
/** Splits n into ⌈n/block⌉ near-equal parts, each a multiple of `unit`: avoids a thin last block. */
int64_t balanced(int64_t n, int64_t block, int64_t unit) {
  int64_t parts = ceilDiv(n, block);
  return ceilDiv(ceilDiv(n, parts), unit) * unit;
}

// ---------------------------------------------------------------------------------------------
// Packing

#ifdef KILN_GEMM_AVX2
/** Transposes the 8×8 block src[j·ss + k] into dst[k·ds + j] (ss, ds in elements). */
inline void transpose8x8(const float* src, int64_t ss, float* dst, int64_t ds) {
  __m256 r0 = _mm256_loadu_ps(src + 0 * ss), r1 = _mm256_loadu_ps(src + 1 * ss);
  __m256 r2 = _mm256_loadu_ps(src + 2 * ss), r3 = _mm256_loadu_ps(src + 3 * ss);
  __m256 r4 = _mm256_loadu_ps(src + 4 * ss), r5 = _mm256_loadu_ps(src + 5 * ss);
  __m256 r6 = _mm256_loadu_ps(src + 6 * ss), r7 = _mm256_loadu_ps(src + 7 * ss);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * ds, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * ds, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/** Transposes the 4×4 block src[j·ss + k] into dst[k·ds + j]. */
inline void transpose4x4(const double* src, int64_t ss, double* dst, int64_t ds) {
  __m256d r0 = _mm256_loadu_pd(src + 0 * ss), r1 = _mm256_loadu_pd(src + 1 * ss);
  __m256d r2 = _mm256_loadu_pd(src + 2 * ss), r3 = _mm256_loadu_pd(src + 3 * ss);
  __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
  __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(dst + 0 * ds, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(dst + 1 * ds, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(dst + 2 * ds, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(dst + 3 * ds, _mm256_permute2f128_pd(t1, t3, 0x31));
}

/**
 * The row-major case of packA for one full 6-row panel, 8 (float) or 4 (double) columns at a
 * time through register transposes. Returns how many columns it packed. The float version
 * stores 8 lanes per column, the last two being junk that the next column's store overwrites,
 * so it writes 2 elements past its last column.
 */
inline int64_t packRowsAvx(int64_t kc, const float* src, int64_t rs, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    const float* s = src + k;
    __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + rs), r2 = _mm256_loadu_ps(s + 2 * rs);
    __m256 r3 = _mm256_loadu_ps(s + 3 * rs), r4 = _mm256_loadu_ps(s + 4 * rs), r5 = _mm256_loadu_ps(s + 5 * rs);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    // u_j holds, for columns j and j+4, rows 0..3 of that column (lanes 0-3 / 4-7).
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    // v_j: rows 4, 5 of columns j (lanes 0-1) and j+4 (lanes 4-5).
    __m256 v0 = t4, v1 = _mm256_shuffle_ps(t4, t4, 0xEE), v2 = t5, v3 = _mm256_shuffle_ps(t5, t5, 0xEE);
    float* d = dst + k * 6;
    _mm256_storeu_ps(d + 0, _mm256_permute2f128_ps(u0, v0, 0x20));
    _mm256_storeu_ps(d + 6, _mm256_permute2f128_ps(u1, v1, 0x20));
    _mm256_storeu_ps(d + 12, _mm256_permute2f128_ps(u2, v2, 0x20));
    _mm256_storeu_ps(d + 18, _mm256_permute2f128_ps(u3, v3, 0x20));
    _mm256_storeu_ps(d + 24, _mm256_permute2f128_ps(u0, v0, 0x31));
    _mm256_storeu_ps(d + 30, _mm256_permute2f128_ps(u1, v1, 0x31));
    _mm256_storeu_ps(d + 36, _mm256_permute2f128_ps(u2, v2, 0x31));
    _mm256_storeu_ps(d + 42, _mm256_permute2f128_ps(u3, v3, 0x31));
  }
  return k;
}

inline int64_t packRowsAvx(int64_t kc, const double* src, int64_t rs, double* dst) {
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    const double* s = src + k;
    __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + rs), r2 = _mm256_loadu_pd(s + 2 * rs);
    __m256d r3 = _mm256_loadu_pd(s + 3 * rs), r4 = _mm256_loadu_pd(s + 4 * rs), r5 = _mm256_loadu_pd(s + 5 * rs);
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    __m256d t4 = _mm256_unpacklo_pd(r4, r5), t5 = _mm256_unpackhi_pd(r4, r5);
    double* d = dst + k * 6;
    _mm256_storeu_pd(d + 0, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm_storeu_pd(d + 4, _mm256_castpd256_pd128(t4));
    _mm256_storeu_pd(d + 6, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm_storeu_pd(d + 10, _mm256_castpd256_pd128(t5));
    _mm256_storeu_pd(d + 12, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm_storeu_pd(d + 16, _mm256_extractf128_pd(t4, 1));
    _mm256_storeu_pd(d + 18, _mm256_permute2f128_pd(t1, t3, 0x31));
    _mm_storeu_pd(d + 22, _mm256_extractf128_pd(t5, 1));
  }
  return k;
}
#endif

/**
 * Packs rows [0, mc) × columns [0, kc) of A (origin `a`, strides rs/cs) into MR-row panels:
 * panel p holds A(p·MR + r, k) at dst[p·MR·kc + k·MR + r], zero beyond mc. May write up to
 * PACK_SLACK elements past the packed block (the scratch buffers have that room).
 */
template <typename T>
void packA(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst) {
  constexpr int MR = Blocking<T>::MR;
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int64_t h = std::min<int64_t>(MR, mc - i0);
    const T* src = a + i0 * rs;
    if (h == MR && cs == 1) {
      int64_t k = 0;
#ifdef KILN_GEMM_AVX2
      k = packRowsAvx(kc, src, rs, dst);
#endif
      const T* r0 = src;
      const T* r1 = src + rs;
      const T* r2 = src + 2 * rs;
      const T* r3 = src + 3 * rs;
      const T* r4 = src + 4 * rs;
      const T* r5 = src + 5 * rs;
      T* d = dst + k * MR;
      for (; k < kc; ++k, d += MR) {
        d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k]; d[4] = r4[k]; d[5] = r5[k];
      }
    } else if (h == MR && rs == 1) {
      T* d = dst;
      for (int64_t k = 0; k < kc; ++k, d += MR) {
        const T* s = src + k * cs;
        for (int r = 0; r < MR; ++r) d[r] = s[r];
      }
    } else {
      T* d = dst;
      for (int64_t k = 0; k < kc; ++k, d += MR) {
        const T* s = src + k * cs;
        for (int r = 0; r < MR; ++r) d[r] = r < h ? s[r * rs] : T(0);
      }
    }
  }
}

/**
 * Packs one NR-column panel of B: rows [0, kc), columns [0, w) of the block at `b` (strides
 * rs/cs) into dst[k·NR + j], zero for j ≥ w.
 */
template <typename T>
void packBPanel(int64_t kc, int64_t w, const T* b, int64_t rs, int64_t cs, T* dst) {
  constexpr int NR = Blocking<T>::NR;
  if (w == NR && cs == 1) {
    for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, b + k * rs, NR * sizeof(T));
    return;
  }
  int64_t k = 0;
#ifdef KILN_GEMM_AVX2
  // B transposed (columns contiguous in k): transpose square blocks with shuffles.
  if (w == NR && rs == 1) {
    constexpr int S = sizeof(T) == 4 ? 8 : 4;
    for (; k + S <= kc; k += S) {
      for (int j = 0; j < NR; j += S) {
        if constexpr (sizeof(T) == 4) transpose8x8(b + j * cs + k, cs, dst + k * NR + j, NR);
        else transpose4x4(b + j * cs + k, cs, dst + k * NR + j, NR);
      }
    }
  }
#endif
  if (w == NR) {
    for (; k < kc; ++k) {
      const T* s = b + k * rs;
      T* d = dst + k * NR;
      for (int j = 0; j < NR; ++j) d[j] = s[j * cs];
    }
  } else {
    for (; k < kc; ++k) {
      const T* s = b + k * rs;
      T* d = dst + k * NR;
      for (int j = 0; j < NR; ++j) d[j] = j < w ? s[j * cs] : T(0);
    }
  }
}

/**
 * Packs panels [q0, q1) of the kc×nc block of B at `b` (panel q starts at dst + q·NR·kc). When
 * rows of B are contiguous it walks 8 rows at a time across all the panels, so the reads are a
 * few sequential streams the hardware prefetches (one panel at a time would read a single
 * cache line per row, each a separate miss when rows are far apart).
 */
template <typename T>
void packB(int64_t kc, int64_t nc, int64_t q0, int64_t q1, const T* b, int64_t rs, int64_t cs, T* dst) {
  constexpr int NR = Blocking<T>::NR;
  const int64_t fullEnd = std::min(q1, nc / NR);
  if (cs == 1 && q0 < fullEnd) {
    for (int64_t k0 = 0; k0 < kc; k0 += 8) {
      const int64_t kb = std::min<int64_t>(8, kc - k0);
      for (int64_t q = q0; q < fullEnd; ++q) {
        const T* s = b + k0 * rs + q * NR;
        T* d = dst + q * NR * kc + k0 * NR;
        for (int64_t kk = 0; kk < kb; ++kk) std::memcpy(d + kk * NR, s + kk * rs, NR * sizeof(T));
      }
    }
    q0 = fullEnd;
  }
  for (int64_t q = q0; q < q1; ++q) {
    packBPanel(kc, std::min<int64_t>(NR, nc - q * NR), b + q * NR * cs, rs, cs, dst + q * NR * kc);
  }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels: c[r·ldc + j] (=|+=) alpha · Σₖ A(r, k) · pb[k·NR + j] for a full tile.

/** A micro-kernel's A operand as packed panels: A(r, k) at p[k·MR + r]. */
template <typename T> struct PackedA {
  const T* p;
  const T* at(int r, int64_t k) const { return p + k * Blocking<T>::MR + r; }
};

/**
 * A micro-kernel's A operand read in place from rows of A with unit column stride: A(r, k) at
 * rows[r][k]. Rows past the tile's height repeat its last row (their sums go to the scratch tile
 * and are dropped), so an edge tile reads nothing outside A.
 */
template <typename T> struct RowsA {
  const T* rows[Blocking<T>::MR];
  RowsA(const T* a, int64_t rs, int64_t h) {
    for (int r = 0; r < Blocking<T>::MR; ++r) rows[r] = a + std::min<int64_t>(r, h - 1) * rs;
  }
  const T* at(int r, int64_t k) const { return rows[r] + k; }
};

#ifdef KILN_GEMM_AVX2
/** The vector operations of a micro-kernel: 512-bit registers where AVX-512 is available, else 256-bit. */
template <typename T> struct Vec;
#ifdef KILN_GEMM_AVX512
template <> struct Vec<float> {
  using V = __m512;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_load_ps(p); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* c, V v, V alpha, bool add) {
    _mm512_storeu_ps(c, add ? _mm512_fmadd_ps(alpha, v, _mm512_loadu_ps(c)) : _mm512_mul_ps(alpha, v));
  }
  static V splat(float x) { return _mm512_set1_ps(x); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static float sum(V v) { return _mm512_reduce_add_ps(v); }
};
template <> struct Vec<double> {
  using V = __m512d;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const double* p) { return _mm512_load_pd(p); }
  static V broadcast(const double* p) { return _mm512_set1_pd(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static void store(double* c, V v, V alpha, bool add) {
    _mm512_storeu_pd(c, add ? _mm512_fmadd_pd(alpha, v, _mm512_loadu_pd(c)) : _mm512_mul_pd(alpha, v));
  }
  static V splat(double x) { return _mm512_set1_pd(x); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V loadu(const double* p) { return _mm512_loadu_pd(p); }
  static double sum(V v) { return _mm512_reduce_add_pd(v); }
};
#else
template <> struct Vec<float> {
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* c, V v, V alpha, bool add) {
    _mm256_storeu_ps(c, add ? _mm256_fmadd_ps(alpha, v, _mm256_loadu_ps(c)) : _mm256_mul_ps(alpha, v));
  }
  static V splat(float x) { return _mm256_set1_ps(x); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static float sum(V v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
  }
};
template <> struct Vec<double> {
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const double* p) { return _mm256_load_pd(p); }
  static V broadcast(const double* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static void store(double* c, V v, V alpha, bool add) {
    _mm256_storeu_pd(c, add ? _mm256_fmadd_pd(alpha, v, _mm256_loadu_pd(c)) : _mm256_mul_pd(alpha, v));
  }
  static V splat(double x) { return _mm256_set1_pd(x); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V loadu(const double* p) { return _mm256_loadu_pd(p); }
  static double sum(V v) {
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};
#endif

#ifdef KILN_GEMM_AVX512
/**
 * Longest chain of products a micro-kernel sums in one register: a float32 sum's rounding error
 * grows with its length, so a deeper block is summed as chains of at most CHAIN products added up
 * in registers, as blocks of K added into C would be. The AVX-512 tile has registers to spare for
 * the running totals (24 of 32); AVX2's 16 do not, and its blocks are shallow.
 */
constexpr int64_t CHAIN = 256;
#endif

/** The 6 × 2-vector tile: 12 accumulators, two vectors of B and one broadcast of A in registers. */
template <typename T, typename A>
void microKernel(int64_t kc, const A a, const T* __restrict pb, T* c, int64_t ldc, T alpha, bool add) {
  using X = Vec<T>;
  using V = typename X::V;
  constexpr int W = X::W;
  static_assert(Blocking<T>::MR == 6 && Blocking<T>::NR == 2 * W, "the tile is 6 rows of two vectors");
  for (int r = 0; r < 6; ++r) {
    // The tile's rows of C, read at the end: each spans two or three cache lines.
    for (int j = 0; j < 2 * W; j += 64 / int(sizeof(T))) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + j), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 2 * W - 1), _MM_HINT_T0);
  }
  V acc[6][2];
#ifdef KILN_GEMM_AVX512
  V total[6][2];
  const int64_t chains = ceilDiv(kc, CHAIN), len = ceilDiv(kc, chains);
#else
  const int64_t len = kc;
#endif
  for (int64_t k0 = 0; k0 < kc; k0 += len) {
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r) acc[r][0] = acc[r][1] = X::zero();
    const int64_t k1 = std::min(kc, k0 + len);
#pragma GCC unroll 4
    for (int64_t k = k0; k < k1; ++k) {
      const V b0 = X::load(pb);
      const V b1 = X::load(pb + W);
#pragma GCC unroll 6
      for (int r = 0; r < 6; ++r) {
        const V x = X::broadcast(a.at(r, k));
        acc[r][0] = X::fma(x, b0, acc[r][0]);
        acc[r][1] = X::fma(x, b1, acc[r][1]);
      }
      pb += 2 * W;
    }
#ifdef KILN_GEMM_AVX512
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r) {
      total[r][0] = k0 == 0 ? acc[r][0] : X::add(total[r][0], acc[r][0]);
      total[r][1] = k0 == 0 ? acc[r][1] : X::add(total[r][1], acc[r][1]);
    }
#endif
  }
#ifdef KILN_GEMM_AVX512
  const V (&sum)[6][2] = total;
#else
  const V (&sum)[6][2] = acc;
#endif
  const V al = X::splat(alpha);
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r, c += ldc) {
    X::store(c, sum[r][0], al, add);
    X::store(c + W, sum[r][1], al, add);
  }
}
#else
/** Portable kernel: fixed-size loops over a local tile, which compilers keep in vector registers. */
template <typename T, typename A>
void microKernel(int64_t kc, const A a, const T* __restrict pb, T* c, int64_t ldc, T alpha, bool add) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, pb += NR) {
    for (int r = 0; r < MR; ++r) {
      const T ar = *a.at(r, k);
      for (int j = 0; j < NR; ++j) acc[r][j] += ar * pb[j];
    }
  }
  for (int r = 0; r < MR; ++r) {
    T* cr = c + r * ldc;
    if (add) for (int j = 0; j < NR; ++j) cr[j] += alpha * acc[r][j];
    else for (int j = 0; j < NR; ++j) cr[j] = alpha * acc[r][j];
  }
}
#endif

/** An A block packed by packA: the tile of rows [i0, i0 + MR) is panel i0 / MR. */
template <typename T> struct PackedBlock {
  const T* pa;
  int64_t kc;
  PackedA<T> tile(int64_t i0, int64_t) const { return {pa + (i0 / Blocking<T>::MR) * Blocking<T>::MR * kc}; }
};

/** An A block read in place (unit column stride, row stride rs): small-M products skip packing A. */
template <typename T> struct RowsBlock {
  const T* a;
  int64_t rs;
  RowsA<T> tile(int64_t i0, int64_t h) const { return RowsA<T>(a + i0 * rs, rs, h); }
};

/**
 * Multiplies the A block (mc×kc, packed or in place) by packed B panels [jBegin, jEnd) (columns,
 * multiples of NR except at the block's end) into C at `c` (the block's origin).
 */
template <typename T, typename Block>
void macroKernel(int64_t mc, int64_t nc, int64_t kc, int64_t jBegin, int64_t jEnd, const Block& ab, const T* pb, T* c,
                 int64_t ldc, T alpha, bool add) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  alignas(64) T tile[MR * NR];
  for (int64_t j0 = jBegin; j0 < jEnd; j0 += NR) {
    const T* bp = pb + (j0 / NR) * NR * kc;
    const int64_t w = std::min<int64_t>(NR, nc - j0);
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
      const int64_t h = std::min<int64_t>(MR, mc - i0);
      const auto ap = ab.tile(i0, h);
      T* cp = c + i0 * ldc + j0;
      if (h == MR && w == NR) {
        microKernel(kc, ap, bp, cp, ldc, alpha, add);
      } else {
        microKernel(kc, ap, bp, tile, NR, T(1), false);
        for (int64_t r = 0; r < h; ++r) {
          T* cr = cp + r * ldc;
          const T* tr = tile + r * NR;
          if (add) for (int64_t j = 0; j < w; ++j) cr[j] += alpha * tr[j];
          else for (int64_t j = 0; j < w; ++j) cr[j] = alpha * tr[j];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fused epilogues

/**
 * Work on a product's output run as soon as rows of it are final: a compiled graph's kernel that
 * reads the product elementwise (bias, activation, residual) or by rows (layerNorm), which then
 * finds those rows in cache instead of memory. fn(ctx, e0, e1) handles elements [e0, e1) of the
 * output, whole rows at a time, on whichever thread finished them. The JS thread arms one before
 * the op it belongs to. A call writing exactly `elements` contiguous elements from `c` takes it
 * whole (a product made into a scratch buffer never does). An op that makes its output with
 * several products, each writing its own run of whole kernel rows once and in order (a
 * convolution, image by image), hands it over in parts: a call whose run starts where the parts
 * taken so far end takes that part. The JS thread then asks whether it ran
 * (kiln_epilogue_pending), which first runs it on any rest the parts left (the op is done, so
 * those elements are final), and runs the kernel itself if nothing took it.
 */
/** Elements handed to epilogues so far (a test hook: each product's are handed over exactly once). */
std::atomic<int64_t> epilogueElements{0};

struct Epilogue {
  void (*fn)(void* ctx, int64_t e0, int64_t e1) = nullptr;
  void* ctx = nullptr;
  const void* c = nullptr;
  int64_t elements = 0;
  /** Element offset of this product's output (a product of a batch, a part). */
  int64_t base = 0;
  /** Elements per row of the kernel (1 for an elementwise one): parts are runs of whole rows. */
  int64_t rowLength = 1;
  void rows(int64_t N, int64_t r0, int64_t r1) const {
    epilogueElements.fetch_add((r1 - r0) * N, std::memory_order_relaxed);
    fn(ctx, base + r0 * N, base + r1 * N);
  }
};

enum class EpilogueState { None, Armed, Parts, Taken };
/** The armed epilogue (used by the JS thread only: arming, taking and asking all happen there). */
Epilogue armedEpilogue;
EpilogueState epilogueState = EpilogueState::None;
/** Elements [0, epilogueCovered) of the armed epilogue's output were handed over in parts. */
int64_t epilogueCovered = 0;
/** Epilogues that ran fused into a product (a test hook). */
double epilogueRuns = 0;

/**
 * The armed epilogue, copied into `slot`, if a product writing `count` contiguous elements from
 * element `off` of c takes it: all of its output, or the next part (see Epilogue); else null.
 */
const Epilogue* takeEpilogue(const void* c, int64_t off, int64_t count, Epilogue& slot) {
  const Epilogue& a = armedEpilogue;
  if (epilogueState == EpilogueState::None || epilogueState == EpilogueState::Taken || a.c != c) return nullptr;
  slot = a;
  if (epilogueState == EpilogueState::Armed && off == 0 && count == a.elements) {
    epilogueState = EpilogueState::Taken;
    epilogueRuns += 1;
    return &slot;
  }
  if (off != epilogueCovered || count <= 0 || off + count > a.elements || off % a.rowLength != 0 || count % a.rowLength != 0) return nullptr;
  slot.base = off;
  epilogueCovered += count;
  epilogueState = EpilogueState::Parts;
  return &slot;
}

template <typename T> struct Problem {
  int64_t M, N, K;
  const T* a;
  int64_t aRs, aCs;
  const T* b;
  int64_t bRs, bCs;
  T* c;
  int64_t ldc;
  T alpha;
  bool accumulate;
  /** A whole packed B (see packedPanels) to fill, or with packedReady to read instead of B; or null. */
  T* packed = nullptr;
  bool packedReady = false;
  /** Run on rows of C once they are final, or on all of C at the end (see Epilogue). */
  const Epilogue* epi = nullptr;
};

/**
 * The layout of a whole packed B, shared by both drivers so that a packed copy kept between calls
 * serves any M and thread count: depth blocks of KC rows (the drivers' depth blocking, which
 * depends on K only, so sums run in the same order with and without a kept copy), each holding
 * all ⌈N/NR⌉ panels of kc×NR. The panels of columns [jc, jc + nc) of the depth block at row pc
 * start at packedPanels(...) and follow each other, as in a driver's own packed block.
 */
template <typename T> int64_t packedDepthBlock(int64_t K) { return balanced(K, Blocking<T>::KC, 1); }
template <typename T> int64_t packedWidth(int64_t N) { return ceilDiv(N, Blocking<T>::NR) * Blocking<T>::NR; }
template <typename T> T* packedPanels(const Problem<T>& p, int64_t pc, int64_t jc, int64_t kc) {
  return p.packed + pc * packedWidth<T>(p.N) + jc * kc;
}

/**
 * Whether a block of A serving `panels` B panels is read in place rather than packed: when its rows
 * are contiguous and it serves few panels, packing it costs more than its unit-stride reads save.
 * Measured on a Zen 5 core: a 64-row product split into column ranges over 2 threads (8 panels
 * each) ran 5-9% faster in place; a block serving all 32 panels of N = 1024 ran 2-3% slower.
 */
constexpr int64_t A_IN_PLACE_PANELS = 16;
template <typename T> bool readsAInPlace(const Problem<T>& p, int64_t panels) { return p.aCs == 1 && panels <= A_IN_PLACE_PANELS; }

template <typename T> void gemmSerial(const Problem<T>& p) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  const int64_t NC = balanced(p.N, Blocking<T>::NC, NR);
  const int64_t KC = packedDepthBlock<T>(p.K);
  const int64_t MC = balanced(p.M, Blocking<T>::MC, MR);
  T* scratch = p.packed ? nullptr : scratchB<T>(size_t(KC) * size_t(ceilDiv(NC, NR) * NR));
  T* pa = scratchA<T>(size_t(KC) * size_t(ceilDiv(MC, MR) * MR) + PACK_SLACK);
  for (int64_t jc = 0; jc < p.N; jc += NC) {
    const int64_t nc = std::min(NC, p.N - jc);
    for (int64_t pc = 0; pc < p.K; pc += KC) {
      const int64_t kc = std::min(KC, p.K - pc);
      const bool add = p.accumulate || pc > 0;
      const T* bBlock = p.b + pc * p.bRs + jc * p.bCs;
      T* pb = p.packed ? packedPanels(p, pc, jc, kc) : scratch;
      if (!p.packedReady) packB(kc, nc, 0, ceilDiv(nc, NR), bBlock, p.bRs, p.bCs, pb);
      for (int64_t ic = 0; ic < p.M; ic += MC) {
        const int64_t mc = std::min(MC, p.M - ic);
        const T* ab = p.a + ic * p.aRs + pc * p.aCs;
        if (readsAInPlace(p, ceilDiv(nc, NR))) {
          macroKernel(mc, nc, kc, 0, nc, RowsBlock<T>{ab, p.aRs}, pb, p.c + ic * p.ldc + jc, p.ldc, p.alpha, add);
        } else {
          packA(mc, kc, ab, p.aRs, p.aCs, pa);
          macroKernel(mc, nc, kc, 0, nc, PackedBlock<T>{pa, kc}, pb, p.c + ic * p.ldc + jc, p.ldc, p.alpha, add);
        }
        // One column block holds whole rows: they are final after the last depth block.
        if (p.epi && nc == p.N && pc + kc >= p.K) p.epi->rows(p.N, ic, ic + mc);
      }
    }
  }
  if (p.epi && NC < p.N) p.epi->rows(p.N, 0, p.M);
}

/** Budget for a packed B block of the parallel driver: it lives in L3 and is shared by all threads. */
constexpr int64_t PARALLEL_B_BYTES = int64_t(8) << 20;
/** B panels packed as one unit (8 rows of B at a time across them: a few sequential streams). */
constexpr int64_t GROUP = 8;

/** Runs `pack` unless another thread did or is doing it; returns once the data is packed. */
template <typename F> void packOnce(std::atomic<int>& state, F&& pack) {
  if (state.load(std::memory_order_acquire) == 2) return;
  int expected = 0;
  if (state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    pack();
    state.store(2, std::memory_order_release);
    return;
  }
  // Another thread is packing it (a short copy); yield in case that thread lost its CPU.
  for (int spins = 0; state.load(std::memory_order_acquire) != 2; ++spins) {
    if (spins < 256) cpuRelax();
    else std::this_thread::yield();
  }
}

/**
 * One column block of the parallel driver. Work items (an MC block of rows × a range of B panel
 * groups, each over all of K) go to the pool's threads. B is packed over the whole depth into one
 * shared block, each group of panels by whichever thread needs it first (threads start on
 * different groups), so no thread waits for the others between packing and computing.
 */
template <typename T> struct ParallelBlock {
  const Problem<T>* p;
  int64_t KC, MC, mBlocks, ncPad, groupsMax;
  int64_t jc, nc, panels, groups, chunks, groupsPerChunk;
  T* pb;
  std::atomic<int>* state;  // per (depth block, group): 0 to pack, 1 packing, 2 packed
  /** Whether an item's rows are whole rows of C (one column block, one column range), final when it ends. */
  bool wholeRows;

  static void run(void* ctx, int64_t item, int slot, int team) {
    const ParallelBlock& w = *static_cast<const ParallelBlock*>(ctx);
    const Problem<T>& p = *w.p;
    constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
    T* pa = scratchA<T>(size_t(w.KC) * size_t(ceilDiv(w.MC, MR) * MR) + PACK_SLACK);
    const int64_t ic = (item / w.chunks) * w.MC;
    const int64_t mc = std::min(w.MC, p.M - ic);
    const int64_t g0 = (item % w.chunks) * w.groupsPerChunk;
    const int64_t span = std::min(w.groups, g0 + w.groupsPerChunk) - g0;
    const int64_t first = int64_t(slot) * span / team;
    const T* bBlock = p.b + w.jc * p.bCs;
    T* cb = p.c + ic * p.ldc + w.jc;
    const bool inPlace = readsAInPlace(p, std::min(w.panels, span * GROUP));
    for (int64_t pc = 0; pc < p.K; pc += w.KC) {
      const int64_t kc = std::min(w.KC, p.K - pc);
      const bool add = p.accumulate || pc > 0;
      T* pbk = p.packed ? packedPanels(p, pc, w.jc, kc) : w.pb + pc * w.ncPad;
      const T* ab = p.a + ic * p.aRs + pc * p.aCs;
      if (!inPlace) packA(mc, kc, ab, p.aRs, p.aCs, pa);
      for (int64_t s = 0; s < span; ++s) {
        const int64_t g = g0 + (first + s) % span;
        const int64_t q0 = g * GROUP;
        const int64_t q1 = std::min(w.panels, q0 + GROUP);
        if (!p.packedReady) packOnce(w.state[(pc / w.KC) * w.groupsMax + g], [&] { packB(kc, w.nc, q0, q1, bBlock + pc * p.bRs, p.bRs, p.bCs, pbk); });
        const int64_t j1 = std::min(w.nc, q1 * NR);
        if (inPlace) macroKernel(mc, w.nc, kc, q0 * NR, j1, RowsBlock<T>{ab, p.aRs}, pbk, cb, p.ldc, p.alpha, add);
        else macroKernel(mc, w.nc, kc, q0 * NR, j1, PackedBlock<T>{pa, kc}, pbk, cb, p.ldc, p.alpha, add);
      }
    }
    if (p.epi && w.wholeRows) p.epi->rows(p.N, ic, ic + mc);
  }
};

template <typename T> void gemmParallel(const Problem<T>& p, int threads) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  ParallelBlock<T> w{};
  w.p = &p;
  w.KC = packedDepthBlock<T>(p.K);
  const int64_t kBlocks = ceilDiv(p.K, w.KC);
  const int64_t ncMax = std::max<int64_t>(GROUP * NR, std::min<int64_t>(Blocking<T>::NC, PARALLEL_B_BYTES / int64_t(sizeof(T)) / p.K / NR * NR));
  const int64_t NC = balanced(p.N, ncMax, NR);
  w.ncPad = ceilDiv(NC, NR) * NR;
  w.groupsMax = ceilDiv(ceilDiv(NC, NR), GROUP);
  w.MC = balanced(p.M, Blocking<T>::MC, MR);
  // Enough row blocks to keep every thread busy when M allows it (smaller blocks cost little).
  if (ceilDiv(p.M, w.MC) < 2 * threads && p.M >= 2 * threads * 4 * MR) w.MC = ceilDiv(ceilDiv(p.M, 2 * threads), MR) * MR;
  w.mBlocks = ceilDiv(p.M, w.MC);
  // Depth block kb (rows pc = kb·KC on) of the packed B starts at pb + pc·ncPad.
  w.pb = p.packed ? nullptr : scratchB<T>(size_t(p.K) * size_t(w.ncPad));
  const size_t states = size_t(kBlocks * w.groupsMax);
  std::unique_ptr<std::atomic<int>[]> state(new std::atomic<int>[states]);
  w.state = state.get();
  for (w.jc = 0; w.jc < p.N; w.jc += NC) {
    for (size_t i = 0; i < states; ++i) state[i].store(0, std::memory_order_relaxed);
    w.nc = std::min(NC, p.N - w.jc);
    w.panels = ceilDiv(w.nc, NR);
    w.groups = ceilDiv(w.panels, GROUP);
    // Column ranges per row block: more than one only when the row blocks are too few.
    const int64_t chunks = w.mBlocks >= 2 * threads ? 1 : ceilDiv(2 * threads, w.mBlocks);
    w.groupsPerChunk = ceilDiv(w.groups, std::min(chunks, w.groups));
    w.chunks = ceilDiv(w.groups, w.groupsPerChunk);
    w.wholeRows = w.nc == p.N && w.chunks == 1;
    pool().run(threads, w.mBlocks * w.chunks, &ParallelBlock<T>::run, &w);
  }
  if (p.epi && !w.wholeRows) p.epi->rows(p.N, 0, p.M);
}

/** y[i·ys] (=|+=) alpha · Σₖ A(i,k)·x[k·xs] for i < n: the M = 1 and N = 1 products. */
template <typename T>
void gemv(int64_t n, int64_t K, const T* a, int64_t rs, int64_t cs, const T* x, int64_t xs, T* y, int64_t ys, T alpha,
          bool accumulate) {
  T* xc = scratchA<T>(size_t(K) + size_t(n));
  T* acc = xc + K;
  for (int64_t k = 0; k < K; ++k) xc[k] = x[k * xs];
  if (cs == 1) {
    // Rows contiguous: one dot product per row, four partial sums to hide the add latency.
    for (int64_t i = 0; i < n; ++i) {
      const T* r = a + i * rs;
      T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t k = 0;
#ifdef KILN_GEMM_AVX2
      if constexpr (sizeof(T) == 4) {
        __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps(), v2 = _mm256_setzero_ps(), v3 = _mm256_setzero_ps();
        for (; k + 32 <= K; k += 32) {
          v0 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k), _mm256_loadu_ps(xc + k), v0);
          v1 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 8), _mm256_loadu_ps(xc + k + 8), v1);
          v2 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 16), _mm256_loadu_ps(xc + k + 16), v2);
          v3 = _mm256_fmadd_ps(_mm256_loadu_ps(r + k + 24), _mm256_loadu_ps(xc + k + 24), v3);
        }
        alignas(32) float t[8];
        _mm256_store_ps(t, _mm256_add_ps(_mm256_add_ps(v0, v1), _mm256_add_ps(v2, v3)));
        s0 = (t[0] + t[1]) + (t[2] + t[3]);
        s1 = (t[4] + t[5]) + (t[6] + t[7]);
      } else {
        __m256d v0 = _mm256_setzero_pd(), v1 = _mm256_setzero_pd(), v2 = _mm256_setzero_pd(), v3 = _mm256_setzero_pd();
        for (; k + 16 <= K; k += 16) {
          v0 = _mm256_fmadd_pd(_mm256_loadu_pd(r + k), _mm256_loadu_pd(xc + k), v0);
          v1 = _mm256_fmadd_pd(_mm256_loadu_pd(r + k + 4), _mm256_loadu_pd(xc + k + 4), v1);
          v2 = _mm256_fmadd_pd(_mm256_loadu_pd(r + k + 8), _mm256_loadu_pd(xc + k + 8), v2);
          v3 = _mm256_fmadd_pd(_mm256_loadu_pd(r + k + 12), _mm256_loadu_pd(xc + k + 12), v3);
        }
        alignas(32) double t[4];
        _mm256_store_pd(t, _mm256_add_pd(_mm256_add_pd(v0, v1), _mm256_add_pd(v2, v3)));
        s0 = t[0] + t[1];
        s1 = t[2] + t[3];
      }
#endif
      for (; k + 4 <= K; k += 4) {
        s0 += r[k] * xc[k];
        s1 += r[k + 1] * xc[k + 1];
        s2 += r[k + 2] * xc[k + 2];
        s3 += r[k + 3] * xc[k + 3];
      }
      for (; k < K; ++k) s0 += r[k] * xc[k];
      acc[i] = (s0 + s1) + (s2 + s3);
    }
  } else if (rs == 1) {
    // Columns contiguous: y += x_k · A(:, k), a vectorisable axpy per k.
    std::fill(acc, acc + n, T(0));
    for (int64_t k = 0; k < K; ++k) {
      const T* col = a + k * cs;
      const T xk = xc[k];
      for (int64_t i = 0; i < n; ++i) acc[i] += xk * col[i];
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      T s = 0;
      for (int64_t k = 0; k < K; ++k) s += a[i * rs + k * cs] * xc[k];
      acc[i] = s;
    }
  }
  if (accumulate) for (int64_t i = 0; i < n; ++i) y[i * ys] += alpha * acc[i];
  else for (int64_t i = 0; i < n; ++i) y[i * ys] = alpha * acc[i];
}

/**
 * s[r][c] = Σₖ ar[r][k]·bc[c][k]: dot products of R rows of A with C columns of B (each
 * contiguous in k). With vectors each sum runs lane-wise over k, then across lanes, then over
 * the tail, the same order whatever R and C, so results do not depend on how rows are grouped.
 */
template <typename T, int R, int C>
void dots(int64_t K, const T* const (&ar)[R], const T* const (&bc)[C], T (&s)[R][C]) {
  int64_t k = 0;
#ifdef KILN_GEMM_AVX2
  using X = Vec<T>;
  using V = typename X::V;
  V acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = X::zero();
  for (; k + X::W <= K; k += X::W) {
    V b[C];
    for (int c = 0; c < C; ++c) b[c] = X::loadu(bc[c] + k);
    for (int r = 0; r < R; ++r) {
      const V x = X::loadu(ar[r] + k);
      for (int c = 0; c < C; ++c) acc[r][c] = X::fma(x, b[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) s[r][c] = X::sum(acc[r][c]);
#else
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) s[r][c] = T(0);
#endif
  for (; k < K; ++k)
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) s[r][c] += ar[r][k] * bc[c][k];
}

/**
 * C = alpha·A·B for products with few columns (N below half the tile width, e.g. a classifier
 * head): dot products of A's rows with B's columns (B copied column-major if it is not). With
 * AVX-512 a float row's N sums are all kept in registers, so A is read once; otherwise two rows by
 * four columns at a time (eight independent sums hide the FMA latency). Tile products would pad N to
 * the tile width. One Zen 5 core, x·Wᵀ, 64×10×1024: 34 µs one row by four columns, 20 two rows
 * by four, 15 all columns. Rows are split among threads in blocks of ROWS.
 */
template <typename T> struct FewColumns {
  int64_t M, N, K;
  const T* a;
  int64_t aRs;
  const T* bt;  // column j of B at bt + j·K
  T* c;
  int64_t ldc;
  T alpha;
  bool accumulate;
  static constexpr int64_t ROWS = 16;

  template <int R, int C> void block(const T* const (&ar)[R], int64_t i, int64_t j) const {
    const T* bc[C];
    for (int q = 0; q < C; ++q) bc[q] = bt + (j + q) * K;
    T s[R][C];
    dots<T, R, C>(K, ar, bc, s);
    for (int r = 0; r < R; ++r) {
      T* cr = c + (i + r) * ldc + j;
      for (int q = 0; q < C; ++q) cr[q] = accumulate ? cr[q] + alpha * s[r][q] : alpha * s[r][q];
    }
  }
  template <int R> void rowBlock(int64_t i) const {
    const T* ar[R];
    for (int r = 0; r < R; ++r) ar[r] = a + (i + r) * aRs;
    int64_t j = 0;
    for (; j + 4 <= N; j += 4) block<R, 4>(ar, i, j);
    if (N - j == 3) block<R, 3>(ar, i, j);
    else if (N - j == 2) block<R, 2>(ar, i, j);
    else if (N - j == 1) block<R, 1>(ar, i, j);
  }
  template <int C> void allColumns(int64_t i0, int64_t i1) const {
    for (int64_t i = i0; i < i1; ++i) {
      const T* ar[1] = {a + i * aRs};
      block<1, C>(ar, i, 0);
    }
  }
  template <size_t... C> bool allColumns(int64_t i0, int64_t i1, std::index_sequence<C...>) const {
    return ((N == int64_t(C) + 1 && (allColumns<int(C) + 1>(i0, i1), true)) || ...);
  }
  void rows(int64_t i0, int64_t i1) const {
#ifdef KILN_GEMM_AVX512
    // All N (< 16) sums of a row at once, in registers with the row's vector of A: A is read once.
    // Float only (classifier heads): each N is an instantiation, and the runtime's build time counts.
    if constexpr (sizeof(T) == 4) {
      if (allColumns(i0, i1, std::make_index_sequence<size_t(Blocking<T>::NR / 2)>{})) return;
    }
#endif
    int64_t i = i0;
    for (; i + 2 <= i1; i += 2) rowBlock<2>(i);
    if (i < i1) rowBlock<1>(i);
  }
  static void run(void* ctx, int64_t item, int, int) {
    const FewColumns& f = *static_cast<const FewColumns*>(ctx);
    f.rows(item * ROWS, std::min(f.M, (item + 1) * ROWS));
  }
};

/**
 * Multiply-adds per thread worth splitting a few-column product for: these run at a quarter of
 * the tiles' rate or less, so the tiles' threshold would keep a 64×10×1024 classifier head (20 µs
 * on one Zen 5 core, 11 on two) serial.
 */
constexpr int64_t FEW_COLUMNS_MIN_WORK = PARALLEL_MIN_WORK / 8;

template <typename T>
void gemmFewColumns(int64_t M, int64_t N, int64_t K, const T* a, int64_t aRs, const T* b, int64_t bRs, int64_t bCs, T* c,
                    int64_t ldc, T alpha, bool accumulate) {
  const T* bt = b;
  if (bRs != 1 || bCs != K) {
    T* copy = scratchB<T>(size_t(N) * size_t(K));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) copy[j * K + k] = b[k * bRs + j * bCs];
    bt = copy;
  }
  FewColumns<T> f{M, N, K, a, aRs, bt, c, ldc, alpha, accumulate};
  const double work = double(M) * double(N) * double(K);
  const int64_t items = ceilDiv(M, FewColumns<T>::ROWS);
  const int threads = int(std::min<double>({double(maxThreads()), double(items), std::max(1.0, work / double(FEW_COLUMNS_MIN_WORK))}));
  if (threads > 1 && !inPool) pool().run(threads, items, &FewColumns<T>::run, &f);
  else f.rows(0, M);
}

/**
 * One product. With `packed` (a whole packed B, see packedPanels) the drivers pack B there, or
 * with `packedReady` read it from there without touching B. Only products of at least two rows
 * and columns and some depth use it (the others do not pack B); the caller checks packable().
 */
template <typename T>
void gemm(int64_t M, int64_t N, int64_t K, const T* a, int64_t aOff, int64_t aRs, int64_t aCs, const T* b, int64_t bOff,
          int64_t bRs, int64_t bCs, T* c, int64_t cOff, int64_t ldc, double alpha, int32_t accumulate, T* packed = nullptr,
          bool packedReady = false, const Epilogue* epi = nullptr) {
  if (M <= 0 || N <= 0) return;
  a += aOff;
  b += bOff;
  c += cOff;
  if (K <= 0) {
    if (!accumulate) for (int64_t i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, T(0));
    if (epi) epi->rows(N, 0, M);
    return;
  }
  if (!accumulate && ldc == N) adviseHugePages(c, size_t(M) * size_t(N) * sizeof(T));
  const T al = T(alpha);
  if (N == 1 || M == 1 || (N < Blocking<T>::NR / 2 && aCs == 1 && packed == nullptr)) {
    if (N == 1) gemv(M, K, a, aRs, aCs, b, bRs, c, ldc, al, accumulate != 0);
    else if (M == 1) gemv(N, K, b, bCs, bRs, a, aCs, c, 1, al, accumulate != 0);
    else gemmFewColumns(M, N, K, a, aRs, b, bRs, bCs, c, ldc, al, accumulate != 0);
    if (epi) epi->rows(N, 0, M);
    return;
  }
  Problem<T> p{M, N, K, a, aRs, aCs, b, bRs, bCs, c, ldc, al, accumulate != 0};
  p.packed = packed;
  p.packedReady = packed != nullptr && packedReady;
  p.epi = epi;
  const double work = double(M) * double(N) * double(K);
  // At least PARALLEL_MIN_WORK multiply-adds per thread; serial inside pool items.
  const int threads = int(std::min<double>(maxThreads(), std::max(1.0, work / double(PARALLEL_MIN_WORK))));
  if (threads > 1 && !inPool) return gemmParallel(p, threads);
  gemmSerial(p);
}

/** Whether a product of this shape packs B (so a packed B can be made or used by it). */
bool packable(int64_t M, int64_t N, int64_t K) { return M >= 2 && N >= 2 && K >= 1; }

/** Elements of a caller's buffer for a packed K×N B: the panels, room to align them, and a header. */
template <typename T> int64_t packedBufferLength(int64_t K, int64_t N) {
  return K * packedWidth<T>(N) + int64_t(64 / sizeof(T)) + 1;
}

/**
 * The 64-byte-aligned panels inside a caller's buffer of `len` elements (a JavaScript typed array,
 * aligned only to its element), or null if it cannot be used. Packing records the alignment offset
 * in the buffer's last element and reading takes it from there, so panels packed by one call are
 * found by the next; were the buffer ever moved, the recorded offset would no longer align and the
 * buffer is refused rather than misread.
 */
template <typename T> T* packedData(T* buf, int64_t len, int64_t K, int64_t N, bool ready) {
  if (buf == nullptr || len < packedBufferLength<T>(K, N)) return nullptr;
  constexpr int64_t maxOff = int64_t(64 / sizeof(T)) - 1;
  int64_t off;
  if (ready) {
    const T recorded = buf[len - 1];
    if (!(recorded >= T(0) && recorded <= T(maxOff))) return nullptr;
    off = int64_t(recorded);
  } else {
    off = int64_t((64 - reinterpret_cast<uintptr_t>(buf) % 64) % 64) / int64_t(sizeof(T));
    if (off > maxOff) return nullptr;
    buf[len - 1] = T(off);
  }
  T* data = buf + off;
  return reinterpret_cast<uintptr_t>(data) % 64 == 0 ? data : nullptr;
}

/**
 * A product into a caller's packed-B buffer: `ready` 0 packs B there while multiplying, 1 reads
 * the panels a previous call packed there (B itself is not read). Returns 1 when the buffer holds
 * B's packed panels after the call, 0 when the product ran without it (then it must not be
 * marked ready).
 */
template <typename T>
int32_t gemmPacked(int64_t M, int64_t N, int64_t K, const T* a, int64_t aOff, int64_t aRs, int64_t aCs, const T* b,
                   int64_t bOff, int64_t bRs, int64_t bCs, T* buf, int64_t len, int32_t ready, T* c, int64_t cOff,
                   int64_t ldc, double alpha, int32_t accumulate, const Epilogue* epi) {
  T* packed = packable(M, N, K) ? packedData(buf, len, K, N, ready != 0) : nullptr;
  // A fresh buffer is first written here: huge pages spare most of its page faults.
  if (packed && !ready) adviseHugePages(packed, size_t(K * packedWidth<T>(N)) * sizeof(T));
  gemm<T>(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate, packed, ready != 0, epi);
  return packed ? 1 : 0;
}

/** The products of gemmBatched as pool items (each product serial: it runs inside a pool item). */
template <typename T> struct BatchJob {
  int64_t M, N, K;
  const T* a;
  const double* aOffs;
  int64_t aRs, aCs;
  const T* b;
  const double* bOffs;  // null: every product's B is at bOff
  int64_t bOff;
  int64_t bRs, bCs;
  T* c;
  const double* cOffs;
  int64_t ldc;
  double alpha;
  int32_t accumulate;
  T* packed;  // a packed B shared by all products (ready), or null
  int64_t first;  // products before this one are done
  const Epilogue* epi;  // for all the products' outputs, or null
  void product(int64_t i, bool packing = false) const {
    Epilogue own;
    if (epi) {
      own = *epi;
      own.base = int64_t(cOffs[i]);
    }
    gemm<T>(M, N, K, a, int64_t(aOffs[i]), aRs, aCs, b, bOffs ? int64_t(bOffs[i]) : bOff, bRs, bCs, c, int64_t(cOffs[i]), ldc, alpha, accumulate, packed, !packing, epi ? &own : nullptr);
  }
  static void run(void* ctx, int64_t i, int, int) {
    const BatchJob& j = *static_cast<const BatchJob*>(ctx);
    j.product(j.first + i);
  }
};

/**
 * A batch of products of one shape at different offsets (doubles: exact below 2^53). Products
 * too small to be threaded one by one are spread over the threads instead.
 */
template <typename T> void gemmBatched(BatchJob<T>& job, int64_t batch) {
  if (batch <= job.first) return;
  const double work = double(job.M) * double(job.N) * double(job.K);
  const int64_t n = batch - job.first;
  const int threads = int(std::min<double>({double(maxThreads()), double(n), std::max(1.0, work * double(n) / double(PARALLEL_MIN_WORK))}));
  if (threads > 1 && work < 2.0 * double(PARALLEL_MIN_WORK) && !inPool) {
    pool().run(threads, n, &BatchJob<T>::run, &job);
    return;
  }
  for (int64_t i = job.first; i < batch; ++i) job.product(i);
}

template <typename T>
void gemmBatched(int64_t batch, int64_t M, int64_t N, int64_t K, const T* a, const double* aOffs, int64_t aRs, int64_t aCs,
                 const T* b, const double* bOffs, int64_t bRs, int64_t bCs, T* c, const double* cOffs, int64_t ldc,
                 double alpha, int32_t accumulate, const Epilogue* epi) {
  BatchJob<T> job{M, N, K, a, aOffs, aRs, aCs, b, bOffs, 0, bRs, bCs, c, cOffs, ldc, alpha, accumulate, nullptr, 0, epi};
  gemmBatched(job, batch);
}

/**
 * gemmBatched for products that share one B (at bOff), kept packed in a caller's buffer as for
 * gemmPacked. Unless the buffer is ready the first product packs it, and the others (which may
 * run at once on the pool) then only read it.
 */
template <typename T>
int32_t gemmBatchedPacked(int64_t batch, int64_t M, int64_t N, int64_t K, const T* a, const double* aOffs, int64_t aRs,
                          int64_t aCs, const T* b, int64_t bOff, int64_t bRs, int64_t bCs, T* buf, int64_t len,
                          int32_t ready, T* c, const double* cOffs, int64_t ldc, double alpha, int32_t accumulate,
                          const Epilogue* epi) {
  if (batch <= 0) return 0;
  T* packed = packable(M, N, K) ? packedData(buf, len, K, N, ready != 0) : nullptr;
  BatchJob<T> job{M, N, K, a, aOffs, aRs, aCs, b, nullptr, bOff, bRs, bCs, c, cOffs, ldc, alpha, accumulate, packed, 0, epi};
  if (packed && !ready) {
    adviseHugePages(packed, size_t(K * packedWidth<T>(N)) * sizeof(T));
    job.product(0, true);
    job.first = 1;
  }
  gemmBatched(job, batch);
  return packed ? 1 : 0;
}

/** The armed epilogue if this product's output, M×N contiguous from element cOff of c, is all of its elements or its next part. */
const Epilogue* epilogueFor(const void* c, int64_t cOff, int64_t ldc, int64_t M, int64_t N, Epilogue& slot) {
  return ldc == N || M == 1 ? takeEpilogue(c, cOff, M * N, slot) : nullptr;
}

/** The armed epilogue if a batch's outputs, one after another, are all of its elements or its next part. */
const Epilogue* epilogueFor(const void* c, const double* cOffs, int64_t batch, int64_t ldc, int64_t M, int64_t N, Epilogue& slot) {
  if (ldc != N && M != 1) return nullptr;
  for (int64_t i = 0; i < batch; ++i) if (cOffs[i] != cOffs[0] + double(i * M * N)) return nullptr;
  // Each product of the batch hands over its own elements (BatchJob sets base to its offset).
  return takeEpilogue(c, int64_t(cOffs[0]), batch * M * N, slot);
}

// ---------------------------------------------------------------------------------------------
// Convolution lowering

/**
 * A convolution's column matrix for one image and group, as ops/conv.ts im2col makes it:
 * col[((c·kh + i)·kw + j)·Ho·Wo + oh·Wo + ow] = x[xOff + (c0 + c)·sC + ih·sH + iw·sW] with
 * ih = oh·sh − pt + i·dh and iw = ow·sw − pl + j·dw, 0 outside the image. d holds Cg, kh, kw, Ho,
 * Wo, H, W, sh, sw, pt, pl, dh, dw. A row of output positions runs as a zero run, a copy (unit
 * strides) or a strided gather, then a zero run. im2colRows makes rows [r0, r1) of the matrix;
 * im2col splits them over the pool's threads when there are 2^16 elements or more.
 */
template <typename T>
void im2colRows(const int32_t* d, const T* x, int64_t xOff, int64_t sC, int64_t sH, int64_t sW, int64_t c0, T* col, int64_t r0, int64_t r1) {
  const int64_t kh = d[1], kw = d[2], Ho = d[3], Wo = d[4], H = d[5], W = d[6];
  const int64_t sh = d[7], sw = d[8], pt = d[9], pl = d[10], dh = d[11], dw = d[12];
  T* out = col + r0 * Ho * Wo;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / (kh * kw), i = r / kw % kh, j = r % kw;
    const T* xc = x + xOff + (c0 + c) * sC;
    const int64_t iw0 = j * dw - pl;
    // Output columns whose input column lies inside the image: [lo, hi).
    const int64_t lo = iw0 >= 0 ? 0 : std::min(Wo, (-iw0 + sw - 1) / sw);
    const int64_t hi = std::max(lo, std::min(Wo, W - iw0 <= 0 ? int64_t(0) : (W - iw0 + sw - 1) / sw));
    for (int64_t oh = 0; oh < Ho; ++oh, out += Wo) {
      const int64_t ih = oh * sh - pt + i * dh;
      if (ih < 0 || ih >= H) {
        std::fill(out, out + Wo, T(0));
        continue;
      }
      const T* row = xc + ih * sH;
      std::fill(out, out + lo, T(0));
      if (sw == 1 && sW == 1) std::memcpy(out + lo, row + iw0 + lo, size_t(hi - lo) * sizeof(T));
      else for (int64_t ow = lo; ow < hi; ++ow) out[ow] = row[(iw0 + ow * sw) * sW];
      std::fill(out + hi, out + Wo, T(0));
    }
  }
}

template <typename T> struct Im2colJob {
  const int32_t* d;
  const T* x;
  int64_t xOff, sC, sH, sW, c0;
  T* col;
  int64_t rows, chunks;
  static void run(void* ctx, int64_t item, int, int) {
    const Im2colJob& j = *static_cast<const Im2colJob*>(ctx);
    im2colRows(j.d, j.x, j.xOff, j.sC, j.sH, j.sW, j.c0, j.col, item * j.rows / j.chunks, (item + 1) * j.rows / j.chunks);
  }
};

template <typename T>
void im2col(const int32_t* d, const T* x, int64_t xOff, int64_t sC, int64_t sH, int64_t sW, int64_t c0, T* col) {
  const int64_t rows = int64_t(d[0]) * d[1] * d[2], plane = int64_t(d[3]) * d[4];
  const int threads = maxThreads();
  if (threads > 1 && !inPool && rows >= 2 && rows * plane >= (int64_t(1) << 16)) {
    Im2colJob<T> j{d, x, xOff, sC, sH, sW, c0, col, rows, std::min<int64_t>(rows, 4 * threads)};
    pool().run(threads, j.chunks, &Im2colJob<T>::run, &j);
  } else {
    im2colRows(d, x, xOff, sC, sH, sW, c0, col, 0, rows);
  }
}

}  // namespace

extern "C" {

void kiln_sgemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t aOff, int64_t aRs, int64_t aCs, const float* b,
                int64_t bOff, int64_t bRs, int64_t bCs, float* c, int64_t cOff, int64_t ldc, double alpha,
                int32_t accumulate) {
  Epilogue e;
  gemm<float>(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate, nullptr, false, epilogueFor(c, cOff, ldc, M, N, e));
}

void kiln_dgemm(int64_t M, int64_t N, int64_t K, const double* a, int64_t aOff, int64_t aRs, int64_t aCs,
                const double* b, int64_t bOff, int64_t bRs, int64_t bCs, double* c, int64_t cOff, int64_t ldc,
                double alpha, int32_t accumulate) {
  Epilogue e;
  gemm<double>(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate, nullptr, false, epilogueFor(c, cOff, ldc, M, N, e));
}

void kiln_sgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, const float* a, const double* aOffs, int64_t aRs,
                        int64_t aCs, const float* b, const double* bOffs, int64_t bRs, int64_t bCs, float* c,
                        const double* cOffs, int64_t ldc, double alpha, int32_t accumulate) {
  Epilogue e;
  gemmBatched<float>(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate, epilogueFor(c, cOffs, batch, ldc, M, N, e));
}

void kiln_dgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, const double* a, const double* aOffs, int64_t aRs,
                        int64_t aCs, const double* b, const double* bOffs, int64_t bRs, int64_t bCs, double* c,
                        const double* cOffs, int64_t ldc, double alpha, int32_t accumulate) {
  Epilogue e;
  gemmBatched<double>(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate, epilogueFor(c, cOffs, batch, ldc, M, N, e));
}

/** Elements of the buffer kiln_[sd]gemm_packed need for a packed K×N B (isDouble: of doubles). */
int64_t kiln_gemm_packed_length(int32_t isDouble, int64_t K, int64_t N) {
  return isDouble ? packedBufferLength<double>(K, N) : packedBufferLength<float>(K, N);
}

/**
 * kiln_sgemm with B's packed panels kept in `packed` (len floats, see kiln_gemm_packed_length):
 * ready 0 packs them there while multiplying, 1 reads them from there instead of B. Returns 1 when
 * `packed` holds B's panels after the call, 0 when the product ran without it.
 */
int32_t kiln_sgemm_packed(int64_t M, int64_t N, int64_t K, const float* a, int64_t aOff, int64_t aRs, int64_t aCs,
                          const float* b, int64_t bOff, int64_t bRs, int64_t bCs, float* packed, int64_t len, int32_t ready,
                          float* c, int64_t cOff, int64_t ldc, double alpha, int32_t accumulate) {
  Epilogue e;
  return gemmPacked<float>(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, len, ready, c, cOff, ldc, alpha, accumulate, epilogueFor(c, cOff, ldc, M, N, e));
}

int32_t kiln_dgemm_packed(int64_t M, int64_t N, int64_t K, const double* a, int64_t aOff, int64_t aRs, int64_t aCs,
                          const double* b, int64_t bOff, int64_t bRs, int64_t bCs, double* packed, int64_t len,
                          int32_t ready, double* c, int64_t cOff, int64_t ldc, double alpha, int32_t accumulate) {
  Epilogue e;
  return gemmPacked<double>(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, packed, len, ready, c, cOff, ldc, alpha, accumulate, epilogueFor(c, cOff, ldc, M, N, e));
}

/** kiln_sgemm_batched for products sharing one B at bOff, kept packed as for kiln_sgemm_packed. */
int32_t kiln_sgemm_batched_packed(int64_t batch, int64_t M, int64_t N, int64_t K, const float* a, const double* aOffs,
                                  int64_t aRs, int64_t aCs, const float* b, int64_t bOff, int64_t bRs, int64_t bCs,
                                  float* packed, int64_t len, int32_t ready, float* c, const double* cOffs, int64_t ldc,
                                  double alpha, int32_t accumulate) {
  Epilogue e;
  return gemmBatchedPacked<float>(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, len, ready, c, cOffs, ldc, alpha, accumulate, epilogueFor(c, cOffs, batch, ldc, M, N, e));
}

int32_t kiln_dgemm_batched_packed(int64_t batch, int64_t M, int64_t N, int64_t K, const double* a, const double* aOffs,
                                  int64_t aRs, int64_t aCs, const double* b, int64_t bOff, int64_t bRs, int64_t bCs,
                                  double* packed, int64_t len, int32_t ready, double* c, const double* cOffs, int64_t ldc,
                                  double alpha, int32_t accumulate) {
  Epilogue e;
  return gemmBatchedPacked<double>(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, packed, len, ready, c, cOffs, ldc, alpha, accumulate, epilogueFor(c, cOffs, batch, ldc, M, N, e));
}

void kiln_sim2col(const int32_t* dims, const float* x, int64_t xOff, int64_t sC, int64_t sH, int64_t sW, int64_t c0, float* col) {
  im2col<float>(dims, x, xOff, sC, sH, sW, c0, col);
}
void kiln_dim2col(const int32_t* dims, const double* x, int64_t xOff, int64_t sC, int64_t sH, int64_t sW, int64_t c0, double* col) {
  im2col<double>(dims, x, xOff, sC, sH, sW, c0, col);
}

/** Threads of later products and generated kernels in this process (n ≤ 0: the default, OMP_NUM_THREADS or the cores). */
void kiln_set_num_threads(int32_t n) { requestedThreads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

/**
 * Runs fn(ctx, begin, end) over [0, n) split into chunks of at least `grain`, on the pool (the
 * caller takes chunks too, and a worker that is late finds none left). Which thread runs a chunk
 * varies, so callers keep each element's result independent of the split.
 */
void kiln_parallel_for(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t), void* ctx) {
  struct Range {
    int64_t n, chunks;
    void (*fn)(void*, int64_t, int64_t);
    void* ctx;
    static void run(void* c, int64_t i, int, int) {
      const Range& r = *static_cast<const Range*>(c);
      r.fn(r.ctx, i * r.n / r.chunks, (i + 1) * r.n / r.chunks);
    }
  };
  const int threads = maxThreads();
  // A few chunks per thread, so a thread that starts late still gets a share.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(int64_t(threads) * 4, n / std::max<int64_t>(1, grain)));
  if (threads <= 1 || chunks <= 1 || inPool) return fn(ctx, 0, n);
  Range r{n, chunks, fn, ctx};
  pool().run(threads, chunks, &Range::run, &r);
}

/**
 * Arms an epilogue for the next product whose output is exactly `elements` elements from `c`, or
 * for the products writing it in parts of whole rows of `rowLength` elements (see Epilogue).
 * Generated libraries call it through the address kiln_arm_epilogue_entry gives.
 */
void kiln_arm_epilogue(void* fn, void* ctx, const void* c, int64_t elements, int64_t rowLength) {
  armedEpilogue = Epilogue{reinterpret_cast<void (*)(void*, int64_t, int64_t)>(fn), ctx, c, elements, 0, rowLength > 0 ? rowLength : 1};
  epilogueState = EpilogueState::Armed;
  epilogueCovered = 0;
}

/** 0 when the epilogue armed last ran inside its product, else 1 (then it is disarmed: the caller runs it). */
int32_t kiln_epilogue_pending() {
  if (epilogueState == EpilogueState::Parts) {
    const Epilogue& a = armedEpilogue;
    if (epilogueCovered < a.elements) {
      epilogueElements.fetch_add(a.elements - epilogueCovered, std::memory_order_relaxed);
      a.fn(a.ctx, epilogueCovered, a.elements);
    }
    epilogueRuns += 1;
    epilogueState = EpilogueState::Taken;
  }
  const bool ran = epilogueState == EpilogueState::Taken;
  epilogueState = EpilogueState::None;
  return ran ? 0 : 1;
}

/** Epilogues that ran fused into a product so far, and the elements they were handed (test hooks). */
double kiln_epilogue_runs() { return epilogueRuns; }
double kiln_epilogue_elements() { return double(epilogueElements.load(std::memory_order_relaxed)); }

/** The address of kiln_arm_epilogue, which generated libraries are given when they load. */
void* kiln_arm_epilogue_entry() { return reinterpret_cast<void*>(&kiln_arm_epilogue); }

/** Parallel jobs the pool has run (a test hook). */
double kiln_pool_jobs() { return double(pool().generation.load(std::memory_order_relaxed)); }

/** The address of kiln_parallel_for, which generated libraries are given when they load. */
void* kiln_parallel_for_entry() { return reinterpret_cast<void*>(&kiln_parallel_for); }

/** Huge-page advice for a fresh output buffer (see adviseHugePages). */
void kiln_advise_huge_pages(void* p, int64_t bytes) { adviseHugePages(p, size_t(bytes > 0 ? bytes : 0)); }

int32_t kiln_get_num_threads() { return maxThreads(); }

}  // extern "C"
