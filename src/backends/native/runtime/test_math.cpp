// Developer check for kiln_math.hpp (not part of the library build): measures every kn:: function
// against long double references over dense ranges and special values, and times float loops
// (exp, tanh, erf and others) against std::. Built with the library's own flags, so the functions
// are measured as generated kernels use them: inlined and vectorised in `#pragma omp simd` loops.
//
// Build and run from the repository root:
//   g++ -O3 -march=native -fopenmp-simd -std=c++17 -fno-math-errno -fno-trapping-math
//       -o /tmp/test_math src/backends/native/runtime/test_math.cpp     (one line)
//   /tmp/test_math          # check: error table; exit status 1 if a function exceeds its tolerance
//   /tmp/test_math full     # the same with 32x more samples
//   /tmp/test_math bench    # ns/element of kn:: vs std:: on 2^20 floats (one thread)
#include "kiln_math.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using ld = long double;

// ---- error measure ------------------------------------------------------------------------------

constexpr double SIGN_OF_ZERO = 1e9;  // reported when only the sign of a zero is wrong
constexpr double WRONG_CLASS = 1e12;  // NaN where a number was due, or the reverse

/** Error of `got` in units in the last place of T at the exact value `ref`. */
template <class T> double ulp_error(T got, ld ref) {
  using L = std::numeric_limits<T>;
  if (std::isnan(ref)) return std::isnan(got) ? 0 : WRONG_CLASS;
  if (std::isnan(got)) return WRONG_CLASS;
  if (ref == 0) {
    if (got != 0) return std::fabs((ld)got) / (ld)L::denorm_min();
    return std::signbit(got) == std::signbit(ref) ? 0 : SIGN_OF_ZERO;
  }
  const ld big = std::ldexp((ld)1, L::max_exponent);  // where T's range ends: infinity stands there
  if (std::isinf((T)ref)) {  // the result overflows T
    if (got == (T)ref) return 0;
    return std::isinf(got) ? WRONG_CLASS : (double)((big - std::fabs((ld)got)) / std::ldexp((ld)1, L::max_exponent - L::digits));
  }
  ld g = got;
  if (std::isinf(got)) g = std::copysign(big, (ld)got);
  int e = std::ilogb(ref);
  if (e < L::min_exponent - 1) e = L::min_exponent - 1;
  return (double)(std::fabs(g - ref) / std::ldexp((ld)1, e - (L::digits - 1)));
}

struct Stat {
  double max_ulp = 0;
  double max_rel = 0;
  double worst_x = 0, worst_y = 0;
  long n = 0;
  template <class T> void add(T x, T y, T got, ld ref) {
    n++;
    const double u = ulp_error(got, ref);
    if (u > max_ulp || std::isnan(u)) {
      max_ulp = std::isnan(u) ? WRONG_CLASS : u;
      worst_x = x;
      worst_y = y;
    }
    // Relative error where the result is a normal number of T.
    if (std::isfinite(ref) && std::fabs(ref) >= (ld)std::numeric_limits<T>::min() && std::isfinite(got)) {
      const double r = (double)(std::fabs((ld)got - ref) / std::fabs(ref));
      if (r > max_rel) max_rel = r;
    }
  }
};

// ---- samples ------------------------------------------------------------------------------------

static std::mt19937_64 rng(12345);

template <class T> T from_bits(uint64_t u) {
  if constexpr (sizeof(T) == 4) {
    uint32_t v = (uint32_t)u;
    float f;
    std::memcpy(&f, &v, 4);
    return f;
  } else {
    double d;
    std::memcpy(&d, &u, 8);
    return d;
  }
}

/** Special values every function sees. */
template <class T> std::vector<T> specials() {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {L::quiet_NaN(), L::infinity(), L::max(), L::min(), L::denorm_min(), (T)0, (T)1, (T)0.5, (T)2,
                      (T)1e-30, (T)1e-8, (T)1e-4, (T)0.1, (T)3, (T)10, (T)100, (T)1e4, (T)1e8, (T)1e30,
                      (T)88.7228, (T)89, (T)709.78, (T)710, (T)745, (T)746, (T)103.9, (T)104, (T)3.9, (T)4, (T)6,
                      (T)0.921875, (T)M_PI, (T)(M_PI / 2), (T)(M_PI / 4), (T)1e10, (T)16367173.0 * (T)4722366482869645213696.0};
  const size_t n = v.size();
  for (size_t i = 0; i < n; i++) v.push_back(-v[i]);
  return v;
}

/** Samples: random bit patterns (all magnitudes), then uniform points in each range. */
template <class T> std::vector<T> samples(const std::vector<std::pair<double, double>>& ranges, long per) {
  std::vector<T> v = specials<T>();
  for (long i = 0; i < per; i++) v.push_back(from_bits<T>(rng()));
  for (auto [a, b] : ranges) {
    std::uniform_real_distribution<double> d(a, b);
    for (long i = 0; i < per; i++) v.push_back((T)d(rng));
    // and the ends, to the last representable neighbours
    T lo = (T)a, hi = (T)b;
    for (int i = 0; i < 64; i++) {
      v.push_back(lo);
      v.push_back(hi);
      lo = std::nextafter(lo, (T)b);
      hi = std::nextafter(hi, (T)a);
    }
  }
  return v;
}

// ---- the functions ------------------------------------------------------------------------------

static ld sigmoidl(ld x) { return 1 / (1 + std::exp(-x)); }

// A unary case: kn's function (a generic lambda for float and double), the reference, the ranges
// to sample densely beyond random bit patterns, and the tolerances in ulp (float, double).
template <class F> struct Unary {
  const char* name;
  F fn;
  ld (*ref)(ld);
  std::vector<std::pair<double, double>> ranges_f, ranges_d;
  double tol_f, tol_d;
  const char* double_impl;
};
template <class F> Unary<F> unary(const char* name, F fn, ld (*ref)(ld), std::vector<std::pair<double, double>> rf,
                                  std::vector<std::pair<double, double>> rd, double tf, double td, const char* dimpl) {
  return {name, fn, ref, rf, rd, tf, td, dimpl};
}

#define KN1(f) [](auto x) { return kn::f(x); }

static int failures = 0;
static bool verbose_rows = true;

static void row(const char* name, const char* type, const Stat& s, double tol, const char* impl) {
  const bool ok = s.max_ulp <= tol;
  if (!ok) failures++;
  if (verbose_rows || !ok)
    std::printf("%-8s %-6s %10ld  max %9.3g ulp  rel %9.3g  tol %4.1f  %-4s  worst x=%.9g y=%.9g  %s\n", name, type, s.n, s.max_ulp,
                s.max_rel, tol, ok ? "ok" : "FAIL", s.worst_x, s.worst_y, impl);
}

template <class T, class F> Stat measure1(const Unary<F>& c, long per) {
  const auto xs = samples<T>(sizeof(T) == 4 ? c.ranges_f : c.ranges_d, per);
  std::vector<T> ys(xs.size());
  const T* __restrict x = xs.data();
  T* __restrict y = ys.data();
  const long n = (long)xs.size();
  auto fn = c.fn;
#pragma omp simd
  for (long i = 0; i < n; i++) y[i] = fn(x[i]);
  Stat s;
  for (long i = 0; i < n; i++) s.add(x[i], (T)0, y[i], c.ref(x[i]));
  return s;
}

template <class F> void check1(const Unary<F>& c, long per) {
  row(c.name, "float", measure1<float>(c, per), c.tol_f, std::strcmp(c.name, "sqrt") == 0 ? "std" : "kn");
  row(c.name, "double", measure1<double>(c, per), c.tol_d, c.double_impl);
}

// pow and atan2: pairs of samples.
template <class T> std::vector<std::pair<T, T>> pow_samples(long per) {
  std::vector<std::pair<T, T>> v;
  std::uniform_real_distribution<double> lx(-10, 10), y30(-30, 30), x01(0.5, 2), ybig(-150, 150), yint(-40, 40), u(0, 1);
  for (long i = 0; i < per; i++) {
    v.push_back({(T)std::exp(lx(rng)), (T)y30(rng)});
    v.push_back({(T)x01(rng), (T)ybig(rng)});
    v.push_back({-(T)std::exp(lx(rng) * 0.3), (T)std::round(yint(rng))});
    v.push_back({from_bits<T>(rng()), from_bits<T>(rng())});
    v.push_back({from_bits<T>(rng()), (T)y30(rng)});
    v.push_back({(T)std::exp(lx(rng) * 8), (T)(u(rng) * 4 - 2)});
  }
  return v;
}
template <class T> std::vector<std::pair<T, T>> atan2_samples(long per) {
  std::vector<std::pair<T, T>> v;
  std::uniform_real_distribution<double> d(-10, 10);
  for (long i = 0; i < per; i++) {
    v.push_back({(T)d(rng), (T)d(rng)});
    v.push_back({from_bits<T>(rng()), from_bits<T>(rng())});
    v.push_back({(T)d(rng) * (T)1e-3, (T)d(rng)});
  }
  const auto sp = specials<T>();
  for (size_t i = 0; i < sp.size(); i += 3)
    for (size_t j = 0; j < sp.size(); j += 3) v.push_back({sp[i], sp[j]});
  return v;
}

template <class T, class F> Stat measure2(const std::vector<std::pair<T, T>>& xs, F fn, ld (*ref)(ld, ld)) {
  const long n = (long)xs.size();
  std::vector<T> a(n), b(n), ys(n);
  for (long i = 0; i < n; i++) a[i] = xs[i].first, b[i] = xs[i].second;
  const T* __restrict pa = a.data();
  const T* __restrict pb = b.data();
  T* __restrict y = ys.data();
#pragma omp simd
  for (long i = 0; i < n; i++) y[i] = fn(pa[i], pb[i]);
  Stat s;
  for (long i = 0; i < n; i++) s.add(pa[i], pb[i], y[i], ref(pa[i], pb[i]));
  return s;
}

/** JavaScript's Math.pow: C's pow except 1 ** NaN and (±1) ** ±Infinity are NaN. */
static ld js_powl(ld x, ld y) {
  if (std::isnan(y)) return y;
  if (std::isinf(y) && std::fabs(x) == 1) return NAN;
  return std::pow(x, y);
}
static ld atan2l_(ld y, ld x) { return std::atan2(y, x); }

/** Exact expectations of JavaScript semantics that the sampled checks may not hit. */
template <class T> void check_js_specials() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  struct P {
    T x, y, want;
  };
  const P pw[] = {{nan, 0, 1}, {nan, -(T)0, 1}, {1, nan, nan}, {1, inf, nan}, {-1, inf, nan}, {1, -inf, nan}, {-1, -inf, nan},
                  {(T)0.5, inf, 0}, {2, inf, inf}, {2, -inf, 0}, {(T)0.5, -inf, inf}, {-8, (T)(1.0 / 3), nan}, {-2, 3, -8},
                  {-2, 2, 4}, {-(T)0, 3, -(T)0}, {-(T)0, -3, -inf}, {-(T)0, 2, 0}, {-(T)0, -2, inf}, {-(T)0, (T)0.5, 0},
                  {-inf, 3, -inf}, {-inf, 2, inf}, {-inf, -3, -(T)0}, {-inf, (T)0.5, inf}, {0, -1, inf}, {inf, -1, 0},
                  {inf, 0, 1}, {0, 0, 1}, {-2, (T)-1, (T)-0.5}, {2, 10, 1024}, {10, -2, (T)0.01}, {-3, 7, -2187}};
  int bad = 0;
  for (const P& p : pw) {
    const T got = kn::pow(p.x, p.y);
    const bool ok = std::isnan(p.want) ? std::isnan(got) : (got == p.want && std::signbit(got) == std::signbit(p.want)) ||
                                                               ulp_error(got, (ld)p.want) <= 1;
    if (!ok) {
      bad++;
      std::printf("pow(%g, %g) = %g, want %g (%s)\n", (double)p.x, (double)p.y, (double)got, (double)p.want, sizeof(T) == 4 ? "float" : "double");
    }
  }
  // exponents known at compile time take shortcuts in kn::pow; they must agree with the general path
  const T xs[] = {0, -(T)0, 1, -1, (T)0.3, (T)-2.5, 3, (T)1e-20, (T)1e20, (T)1e-40, inf, -inf, nan, std::numeric_limits<T>::max()};
  for (const T x : xs) {
    const T got[] = {kn::pow(x, (T)2), kn::pow(x, (T)1), kn::pow(x, (T)-1), kn::pow(x, (T)0.5)};
    const T ys[] = {2, 1, -1, (T)0.5};
    for (int j = 0; j < 4; j++) {
      const ld want = js_powl(x, ys[j]);
      if (ulp_error(got[j], want) > 0.5) {
        bad++;
        std::printf("pow(%g, %g) = %g, want %g (%s, constant exponent)\n", (double)x, (double)ys[j], (double)got[j], (double)want,
                    sizeof(T) == 4 ? "float" : "double");
      }
    }
  }
  // atan2's signed zeros and infinities
  const T pi = (T)M_PI;
  const P at[] = {{0, 0, 0}, {-(T)0, 0, -(T)0}, {0, -(T)0, pi}, {-(T)0, -(T)0, -pi}, {0, -1, pi}, {-(T)0, -1, -pi},
                  {1, -(T)0, pi / 2}, {inf, inf, pi / 4}, {inf, -inf, 3 * pi / 4}, {-inf, -inf, -3 * pi / 4},
                  {1, inf, 0}, {1, -inf, pi}, {-1, -inf, -pi}, {nan, 1, nan}, {1, nan, nan}};
  for (const P& p : at) {
    const T got = kn::atan2(p.x, p.y);
    const bool ok = std::isnan(p.want) ? std::isnan(got) : (p.want == 0 ? got == 0 && std::signbit(got) == std::signbit(p.want) : ulp_error(got, (ld)p.want) <= 2);
    if (!ok) {
      bad++;
      std::printf("atan2(%g, %g) = %.9g, want %.9g (%s)\n", (double)p.x, (double)p.y, (double)got, (double)p.want, sizeof(T) == 4 ? "float" : "double");
    }
  }
  std::printf("%-8s %-6s %zu cases: %s\n", "js-spec", sizeof(T) == 4 ? "float" : "double", sizeof(pw) / sizeof(pw[0]) + sizeof(at) / sizeof(at[0]),
              bad ? "FAIL" : "ok");
  failures += bad;
}

static int run_checks(long per) {
  const std::vector<std::pair<double, double>> none;
  const double BIG_F = 3e38, BIG_D = 1.7e308;
  check1(unary("exp", KN1(exp), std::exp, {{-110, 95}, {-1, 1}, {85, 89}, {-104, -85}}, {{-750, 715}, {-1, 1}, {700, 710}, {-746, -700}}, 1.0, 1.0, "kn"), per);
  check1(unary("expm1", KN1(expm1), std::expm1, {{-20, 95}, {-1, 1}, {-1e-3, 1e-3}}, {{-50, 715}, {-1, 1}, {-1e-3, 1e-3}}, 1.5, 1.5, "kn"), per);
  check1(unary("log", KN1(log), std::log, {{0, 10}, {0.5, 2}, {0, BIG_F}}, {{0, 10}, {0.5, 2}, {0, BIG_D}}, 1.0, 1.0, "kn"), per);
  check1(unary("log1p", KN1(log1p), std::log1p, {{-1, 10}, {-1e-3, 1e-3}, {-0.4, 0.6}}, {{-1, 10}, {-1e-3, 1e-3}, {-0.4, 0.6}}, 2.0, 2.0, "kn"), per);
  check1(unary("log2", KN1(log2), std::log2, {{0, 10}, {0.5, 2}, {0, BIG_F}}, {{0, 10}, {0.5, 2}, {0, BIG_D}}, 2.0, 2.0, "kn"), per);
  check1(unary("tanh", KN1(tanh), std::tanh, {{-12, 12}, {-1, 1}, {-1e-3, 1e-3}}, {{-25, 25}, {-1, 1}, {-1e-3, 1e-3}}, 2.0, 2.0, "kn"), per);
  check1(unary("sigmoid", KN1(sigmoid), sigmoidl, {{-110, 110}, {-10, 10}}, {{-750, 750}, {-10, 10}}, 2.5, 2.5, "kn"), per);
  check1(unary("erf", KN1(erf), std::erf, {{-5, 5}, {-1, 1}, {0.9, 1}}, {{-7, 7}, {-1, 1}}, 1.5, 1.5, "std"), per);
  check1(unary("sqrt", KN1(sqrt), std::sqrt, {{0, 100}}, {{0, 100}}, 0.5, 0.5, "std"), per);
  check1(unary("sin", KN1(sin), std::sin, {{-10, 10}, {-1e6, 1e6}, {-BIG_F, BIG_F}}, {{-10, 10}, {-1e6, 1e6}}, 1.0, 1.0, "std"), per);
  check1(unary("cos", KN1(cos), std::cos, {{-10, 10}, {-1e6, 1e6}, {-BIG_F, BIG_F}}, {{-10, 10}, {-1e6, 1e6}}, 1.0, 1.0, "std"), per);
  check1(unary("tan", KN1(tan), std::tan, {{-10, 10}, {-1e6, 1e6}, {-BIG_F, BIG_F}}, {{-10, 10}, {-1e6, 1e6}}, 1.0, 1.0, "std"), per);
  check1(unary("atan", KN1(atan), std::atan, {{-10, 10}, {-1, 1}}, {{-10, 10}, {-1, 1}}, 1.5, 1.0, "std"), per);
  check1(unary("asin", KN1(asin), std::asin, {{-1, 1}, {0.45, 0.55}, {0.99, 1}}, {{-1, 1}}, 1.0, 1.0, "std"), per);
  check1(unary("acos", KN1(acos), std::acos, {{-1, 1}, {0.45, 0.55}, {-1, -0.99}}, {{-1, 1}}, 1.0, 1.0, "std"), per);
  check1(unary("sinh", KN1(sinh), std::sinh, {{-95, 95}, {-2, 2}, {-1e-3, 1e-3}}, {{-715, 715}, {-2, 2}}, 2.0, 2.0, "std"), per);
  check1(unary("cosh", KN1(cosh), std::cosh, {{-95, 95}, {-2, 2}}, {{-715, 715}, {-2, 2}}, 1.5, 2.0, "std"), per);
  auto powfn = [](auto x, auto y) { return kn::pow(x, y); };
  auto atan2fn = [](auto y, auto x) { return kn::atan2(y, x); };
  row("pow", "float", measure2(pow_samples<float>(per / 2), powfn, js_powl), 1.0, "kn");
  row("pow", "double", measure2(pow_samples<double>(per / 8), powfn, js_powl), 1.0, "std");
  row("atan2", "float", measure2(atan2_samples<float>(per), atan2fn, atan2l_), 2.0, "kn");
  row("atan2", "double", measure2(atan2_samples<double>(per / 2), atan2fn, atan2l_), 1.0, "std");
  check_js_specials<float>();
  check_js_specials<double>();
  std::printf(failures ? "%d FAILED\n" : "all within tolerance\n", failures);
  return failures ? 1 : 0;
}

#ifndef KN_CHECK_ONLY  // (the vitest build leaves the timing code out to compile faster)
// ---- speed --------------------------------------------------------------------------------------

template <class F> double time_loop(const float* __restrict x, float* __restrict y, long n, F fn) {
  double best = 1e30;
  for (int rep = 0; rep < 7; rep++) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp simd
    for (long i = 0; i < n; i++) y[i] = fn(x[i]);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best * 1e9 / (double)n;
}

static void bench() {
  const long n = 1L << 20;
  std::vector<float> xs(n), ys(n);
  std::uniform_real_distribution<float> d(-5, 5);
  for (auto& v : xs) v = d(rng);
  float* x = xs.data();
  float* y = ys.data();
  std::printf("ns/element on 2^20 floats in [-5, 5], one thread (best of 7)\n");
#define BENCH(label, knf, stdf)                                                   \
  do {                                                                            \
    const double a = time_loop(x, y, n, [](float v) { return knf; });             \
    const double b = time_loop(x, y, n, [](float v) { return stdf; });            \
    std::printf("  %-10s kn %6.3f   std %6.3f   (%.1fx)\n", label, a, b, b / a); \
  } while (0)
  BENCH("exp", kn::exp(v), std::exp(v));
  BENCH("tanh", kn::tanh(v), std::tanh(v));
  BENCH("erf", kn::erf(v), std::erf(v));
  BENCH("sigmoid", kn::sigmoid(v), 1.0f / (1.0f + std::exp(-v)));
  BENCH("log", kn::log(v + 6.0f), std::log(v + 6.0f));
  BENCH("expm1", kn::expm1(v), std::expm1(v));
  BENCH("log1p", kn::log1p(v + 5.5f), std::log1p(v + 5.5f));
  BENCH("sin", kn::sin(v), std::sin(v));
  BENCH("atan", kn::atan(v), std::atan(v));
  BENCH("pow", kn::pow(v + 6.0f, v), std::pow(v + 6.0f, v));
  BENCH("copy", v, v);
#undef BENCH
}

#endif

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "check";
#ifndef KN_CHECK_ONLY
  if (mode == "bench") {
    bench();
    return 0;
  }
#endif
  const long per = mode == "full" ? (1L << 21) : (1L << 16);
  return run_checks(per);
}
