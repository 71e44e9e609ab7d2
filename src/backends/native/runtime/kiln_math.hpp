// Fast math for generated C++ kernels: every function is a short, branch-free sequence of
// arithmetic, bit operations and selects, so g++ vectorises loops that call it (under
// `#pragma omp simd`, with the build's -fno-math-errno -fno-trapping-math). glibc's scalar
// expf/tanhf calls would block vectorisation and cost ~10 ns each.
//
// Float versions are within 2.5 ulp of the correctly rounded result over the whole range (most
// within 1-1.5), with NaN, ±Inf, overflow, underflow and -0 as in JavaScript's Math. In double,
// exp, expm1, log, log1p, log2, tanh and sigmoid are vectorisable polynomials too (within 2.5 ulp);
// erf, sin, cos, tan, atan, atan2, asin, acos, sinh, cosh and pow call the C library (accurate,
// scalar). test_math.cpp beside this file measures every function and times the float ones.
//
// Method: range reduction (Cody-Waite with constants split so products are exact; a per-exponent
// table of 2^E mod 2pi for sin/cos/tan), minimax polynomials fitted for this file (Remez
// exchange, float coefficients rounded one at a time with the rest refitted), reconstruction by
// writing powers of two into the exponent bits. The error-free sums need IEEE arithmetic as
// written: no -ffast-math (reassociation would undo them); fused multiply-adds do no harm.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#define KN_INLINE static inline __attribute__((always_inline))

namespace kn {
namespace detail {

// ---- bits, fma, selects -------------------------------------------------------------------

#if defined(__has_builtin)
#if __has_builtin(__builtin_bit_cast)
#define KN_BIT_CAST 1
#endif
#endif
#ifdef KN_BIT_CAST
template <class To, class From> KN_INLINE To bit_cast(From x) { return __builtin_bit_cast(To, x); }
#else
template <class To, class From> KN_INLINE To bit_cast(From x) {  // older compilers: same code after optimisation
  To t;
  std::memcpy(&t, &x, sizeof t);
  return t;
}
#endif
KN_INLINE uint32_t bits(float x) { return bit_cast<uint32_t>(x); }
KN_INLINE uint64_t bits(double x) { return bit_cast<uint64_t>(x); }
KN_INLINE float f32(uint32_t u) { return bit_cast<float>(u); }
KN_INLINE double f64(uint64_t u) { return bit_cast<double>(u); }

// ISO C++ mode compiles with -ffp-contract=off, so fused multiply-adds are spelled out; without
// hardware FMA they fall back to a multiply and an add (every reduction below stays exact then).
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
KN_INLINE float fmadd(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
KN_INLINE double fmadd(double a, double b, double c) { return __builtin_fma(a, b, c); }
#else
KN_INLINE float fmadd(float a, float b, float c) { return a * b + c; }
KN_INLINE double fmadd(double a, double b, double c) { return a * b + c; }
#endif

KN_INLINE float fabs_(float x) { return __builtin_fabsf(x); }
KN_INLINE double fabs_(double x) { return __builtin_fabs(x); }
KN_INLINE float copysign_(float m, float s) { return __builtin_copysignf(m, s); }
KN_INLINE double copysign_(double m, double s) { return __builtin_copysign(m, s); }
// Clamps written as selects that keep NaN (the comparisons are false for NaN).
template <class T> KN_INLINE T at_most(T x, T hi) { return x > hi ? hi : x; }
template <class T> KN_INLINE T at_least(T x, T lo) { return x < lo ? lo : x; }

// Horner's rule, unrolled at compile time: poly(x, c0, c1, ..., cn) = c0 + x*(c1 + x*(...)).
template <class T> KN_INLINE T poly(T, T c0) { return c0; }
template <class T, class... C> KN_INLINE T poly(T x, T c0, C... cs) { return fmadd(poly(x, cs...), x, c0); }

template <class T> struct Lim;
template <> struct Lim<float> {
  static constexpr float inf = __builtin_inff(), nan = __builtin_nanf("");
};
template <> struct Lim<double> {
  static constexpr double inf = __builtin_inf(), nan = __builtin_nan("");
};

// Adding 1.5*2^23 (2^52) rounds a float (double) below 2^22 (2^51) to an integer held in the
// low mantissa bits: this gives round-to-nearest without a conversion instruction (AVX2 has no
// double<->int64 conversions).
constexpr float RND_F = 0x1.8p23f;
constexpr double RND_D = 0x1.8p52;
KN_INLINE float round_int(float x) { return (x + RND_F) - RND_F; }
KN_INLINE double round_int(double x) { return (x + RND_D) - RND_D; }

// 2^n for an integer-valued n in the normal exponent range, put straight into the exponent bits.
KN_INLINE float pow2i(float n) { return f32(bits(n + (RND_F + 127.0f)) << 23); }
KN_INLINE double pow2i(double n) { return f64(bits(n + (RND_D + 1023.0)) << 52); }

// ---- exp ------------------------------------------------------------------------------------

// ln 2 split so that n*LN2_HI is exact for every n the reductions produce.
constexpr float LN2_HI_F = 0x1.62ep-1f, LN2_LO_F = 0x1.0bfbe8p-15f;
constexpr double LN2_HI_D = 0x1.62e42feep-1, LN2_LO_D = 0x1.a39ef35793c76p-33;
constexpr float LOG2E_F = 0x1.715476p+0f;
constexpr double LOG2E_D = 0x1.71547652b82fep+0;

// e^r - 1 - r = r^2 * Q(r) on |r| <= ln2/2.
KN_INLINE float expq(float r) {
  return poly(r, 0x1.fffffcp-2f, 0x1.55548cp-3f, 0x1.555858p-5f, 0x1.123dep-7f, 0x1.6ac74ep-10f);
}
KN_INLINE double expq(double r) {
  return poly(r, 0x1.000000000000ap-1, 0x1.55555555554fap-3, 0x1.555555555088cp-5, 0x1.1111111127b9dp-7, 0x1.6c16c184266dep-10, 0x1.a01a012a69052p-13, 0x1.a0199a16df60cp-16, 0x1.71df253be4167p-19, 0x1.28ad68a509e1dp-22, 0x1.ad7f77fea9c6cp-26);
}

// x = n ln2 + r + rl with |r| <= ln2/2, n integer-valued and rl the rounding error of r.
KN_INLINE float exp_reduce(float x, float& n, float& rl) {
  n = round_int(x * LOG2E_F);
  const float rh = fmadd(n, -LN2_HI_F, x);  // exact
  const float r = fmadd(n, -LN2_LO_F, rh);
  rl = fmadd(n, -LN2_LO_F, rh - r);
  return r;
}
KN_INLINE double exp_reduce(double x, double& n, double& rl) {
  n = round_int(x * LOG2E_D);
  const double rh = fmadd(n, -LN2_HI_D, x);  // exact
  const double r = fmadd(n, -LN2_LO_D, rh);
  rl = fmadd(n, -LN2_LO_D, rh - r);
  return r;
}

// c + e^(r+rl) - 1 with one final rounding: c + r is split exactly (|c| >= |r| or c = 0) and the
// small parts (that split's error, r^2 Q(r), rl) are added before the last sum.
template <class T> KN_INLINE T exp_sum(T c, T r, T rl) {
  const T s = c + r;
  const T e = (c - s) + r;
  return s + (e + fmadd(r * r, expq(r), fmadd(r, rl, rl)));
}

// e^x * 2^s for s in {0, -1}. The scale 2^(n+s) is applied as two factors so that results near
// the overflow threshold and subnormal results are exact products (one rounding at most).
template <class T> KN_INLINE T exp_s(T x, T s) {
  // Past these bounds the result is inf or rounds to 0 (e^x/2 still overflows at the top).
  constexpr T hi = sizeof(T) == 4 ? (T)90 : (T)711, lo = sizeof(T) == 4 ? (T)-104 : (T)-746;
  x = at_least(at_most(x, hi), lo);
  T n, rl;
  const T r = exp_reduce(x, n, rl);
  const T p = exp_sum((T)1, r, rl);
  const T n1 = round_int(n * (T)0.5);
  return (p * pow2i(n1)) * pow2i(n - n1 + s);
}

// e^x in float, the hot one (softmax): the reduced argument's rounding error is left out and
// 1 + (r + r^2 Q(r)) is rounded once, within 1 ulp in all, at about half exp_s's instructions.
// Out-of-range inputs are replaced at the end rather than clamped first: a clamp up front lets
// the compiler fold the arithmetic for the clamped lanes into a dozen vector blends.
KN_INLINE float exp_f(float x) {
  const float n = round_int(x * LOG2E_F);
  const float r = fmadd(n, -LN2_LO_F, fmadd(n, -LN2_HI_F, x));
  const float p = 1.0f + fmadd(r * r, expq(r), r);
  const float n1 = round_int(n * 0.5f);
  const float y = (p * pow2i(n1)) * pow2i(n - n1);  // garbage (but no NaN from finite x) outside the range
  return x > 90.0f ? Lim<float>::inf : x < -104.0f ? 0.0f : y;
}

// e^x - 1 for x in [-45, 710] (a float's range needs only [-18, 89]), without special cases.
template <class T> KN_INLINE T expm1_core(T x) {
  T n, rl;
  const T r = exp_reduce(x, n, rl);
  // e^x - 1 = 2^n (e^r - 1 + 1 - 2^-n); 1 - 2^-n is exact (or rounds to 1 when 2^-n is negligible).
  const T c = (T)1 - pow2i(-at_most(n, (T)(sizeof(T) == 4 ? 30 : 60)));
  const T n1 = round_int(n * (T)0.5);
  return (exp_sum(c, r, rl) * pow2i(n1)) * pow2i(n - n1);
}

template <class T> KN_INLINE T expm1_t(T x) {
  // Below -18 (-45) the result rounds to -1; above 89 (710) it overflows.
  const T xc = at_least(at_most(x, (T)(sizeof(T) == 4 ? 89 : 710)), (T)(sizeof(T) == 4 ? -18 : -45));
  const T r = expm1_core(xc);
  return x == 0 ? x : r;  // -0
}

// ---- log ------------------------------------------------------------------------------------

// Splits a positive normal x = 2^k m with m in [sqrt(1/2), sqrt(2)); returns f = m - 1 (exact).
KN_INLINE float log_split(float x, float& k) {
  const uint32_t ix = bits(x) + (0x3f800000u - 0x3f3504f3u);
  k = (float)(int32_t)(ix >> 23) - 127.0f;
  return f32((ix & 0x7fffffu) + 0x3f3504f3u) - 1.0f;
}
KN_INLINE double log_split(double x, double& k) {
  const uint64_t ix = bits(x) + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
  // k from the exponent field without an int64 -> double conversion (not in AVX2).
  k = f64((ix >> 52) | 0x4330000000000000ull) - (0x1p52 + 1023.0);
  return f64((ix & 0xfffffffffffffull) + 0x3fe6a09e667f3bcdull) - 1.0;
}

// log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1].
KN_INLINE float log1p_poly(float f) {
  // log(1+f) = f - f^2/2 + f^3 P(f)
  const float q = poly(f, 0x1.555554p-2f, -0x1.000226p-2f, 0x1.99a01ep-3f, -0x1.54728cp-3f, 0x1.22d8fap-3f, -0x1.0d81f6p-3f, 0x1.05600ep-3f, -0x1.38ce8ap-4f);
  return fmadd(f * f, fmadd(f, q, -0.5f), f);
}
KN_INLINE double log1p_poly(double f, double add) {  // log(1+f) + add, add small
  // With s = f/(2+f): log(1+f) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + s^2 T(s^2)); the big terms
  // f and f^2/2 are nearly exact and the polynomial only corrects.
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double hfsq = 0.5 * f * f;
  const double R = z * poly(z, 0x1.5555555555592p-1, 0x1.999999997fdb8p-2, 0x1.24924941f123ap-2, 0x1.c71c52095dfa3p-3, 0x1.74663ee846c13p-3, 0x1.39a1bababab74p-3, 0x1.2f0563674abd8p-3);
  return f - (hfsq - fmadd(s, hfsq + R, add));
}

template <class T> struct LogC;
template <> struct LogC<float> {
  static constexpr float ln2_hi = LN2_HI_F, ln2_lo = LN2_LO_F, sub_scale = 0x1p23f, sub_k = 23.0f, min_normal = 0x1p-126f;
  static constexpr float log2e_hi = 0x1.715476p+0f, log2e_lo = 0x1.4ae0cp-26f;
};
template <> struct LogC<double> {
  static constexpr double ln2_hi = LN2_HI_D, ln2_lo = LN2_LO_D, sub_scale = 0x1p54, sub_k = 54.0, min_normal = 0x1p-1022;
  static constexpr double log2e_hi = 0x1.71547652b82fep+0, log2e_lo = 0x1.777d0ffda0d24p-56;
};

// k ln2 + log(1 + f), or k + log2(1 + f). In double, k*ln2_lo joins the small terms before f is
// added (one rounding fewer); float has the precision to spare.
template <bool base2, class T> KN_INLINE T log_combine(T f, T k) {
  using C = LogC<T>;
  if constexpr (base2) {
    T y;
    if constexpr (sizeof(T) == 4) y = log1p_poly(f);
    else y = log1p_poly(f, 0.0);
    return k + fmadd(y, C::log2e_hi, y * C::log2e_lo);
  } else if constexpr (sizeof(T) == 8) {
    return fmadd(k, C::ln2_hi, log1p_poly(f, k * C::ln2_lo));
  } else {
    return fmadd(k, C::ln2_hi, fmadd(k, C::ln2_lo, log1p_poly(f)));
  }
}

// log(x) = k ln2 + log(1+f) for x > 0 finite; `base2` gives log2 instead.
template <class T, bool base2> KN_INLINE T log_t(T x) {
  using C = LogC<T>;
  const bool sub = x < C::min_normal;  // subnormals: scale into the normal range first
  T k;
  const T f = log_split(sub ? x * C::sub_scale : x, k);
  k = sub ? k - C::sub_k : k;
  const T r0 = log_combine<base2>(f, k);
  T r = x < Lim<T>::inf ? r0 : x;  // +inf, NaN
  r = x == 0 ? -Lim<T>::inf : r;
  return x < 0 ? Lim<T>::nan : r;
}

template <class T> KN_INLINE T log1p_t(T x) {
  const T u = (T)1 + x;
  const T c = x - (u - (T)1);  // the rounding error of 1 + x, put back into f below
  T k;
  const T f0 = log_split(u, k);
  const T f = fmadd(c, pow2i(-at_most(k, (T)100)), f0);
  T r = log_combine<false>(f, k);
  r = x == 0 ? x : r;  // -0
  r = u < Lim<T>::inf ? r : u;  // +inf, NaN
  r = u == 0 ? -Lim<T>::inf : r;
  return u < 0 ? Lim<T>::nan : r;
}

// ---- tanh, sigmoid ----------------------------------------------------------------------------

// tanh a = a + a^3 P(a^2) on [0, 0.5625].
KN_INLINE float tanh_poly(float a, float z) {
  return fmadd(a * z, poly(z, -0x1.555554p-2f, 0x1.111084p-3f, -0x1.b9f484p-5f, 0x1.63cb2ep-6f, -0x1.0d1d3ap-7f, 0x1.1c9e78p-9f), a);
}
KN_INLINE double tanh_poly(double a, double z) {
  return fmadd(a * z, poly(z, -0x1.5555555555555p-2, 0x1.1111111110c25p-3, -0x1.ba1ba1b9a038ap-5, 0x1.664f485cab346p-6, -0x1.226e2f155554fp-7, 0x1.d6d28f5a9db85p-9, -0x1.7d8eba6c0aff8p-10, 0x1.347776d0d4088p-11, -0x1.e8d9012a136a8p-13, 0x1.5b8537e05c03dp-14, -0x1.41c77adaa9387p-16), a);
}

template <class T> KN_INLINE T tanh_t(T x) {
  // Above 0.5625: tanh a = (e^2a - 1) / (e^2a + 1), through expm1; the division's roundings are
  // too coarse for small a (where the result is near a), which gets an odd polynomial instead.
  // Beyond 10 (float) or 20 (double) the result rounds to 1.
  const T a = at_most(fabs_(x), (T)(sizeof(T) == 4 ? 10 : 20));
  const T e = expm1_core(a + a);
  const T big = e / (e + (T)2);
  const T small = tanh_poly(a, a * a);
  return copysign_(a < (T)0.5625 ? small : big, x);
}

template <class T> KN_INLINE T sigmoid_t(T x) {
  // 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below, so neither side overflows or cancels.
  const T e = exp_s(-fabs_(x), (T)0);
  return (x >= 0 ? (T)1 : e) / ((T)1 + e);
}

// ---- erf (float) ---------------------------------------------------------------------------

KN_INLINE float erf_f(float x) {
  const float a = fabs_(x);
  // |x| < 0.921875: erf(x) = x + x P(x^2).
  const float z = a * a;
  const float small = fmadd(a, poly(z, 0x1.06eba8p-3f, -0x1.81274p-2f, 0x1.ce2d64p-4f, -0x1.b80118p-6f, 0x1.5449e4p-8f, -0x1.a606c2p-11f, 0x1.4f562ep-14f), a);
  // Above: erf(x) = 1 - exp(G(x)) with G = log(erfc) fitted as a polynomial in x - 1;
  // erfc is small there so exp's relative error hardly shows in 1 - erfc.
  const float t = at_most(a, 4.0f) - 1.0f;
  const float big = 1.0f - exp_f(poly(t, -0x1.d97fcp+0f, -0x1.51c9b2p+1f, -0x1.afaa1ap-1f, -0x1.5497d4p-5f, 0x1.401262p-7f, -0x1.0d3768p-10f, -0x1.0213fep-10f, 0x1.68fb3cp-11f, -0x1.2b6322p-13f));
  float r = a < 0.921875f ? small : big;
  r = a < 4.0f ? r : 1.0f;  // erfc(4) < 2^-25
  r = x == x ? r : x;
  return copysign_(r, x);
}

// ---- sin, cos, tan (float, computed in double) ----------------------------------------------

// (2^E mod 2pi) for E = 0..104 as three parts of <= 29, 29 and 53 bits: a float |x| >= 2^24 is
// M * 2^E with an integer |M| < 2^24, so x mod 2pi = M * table[E] mod 2pi with exact products.
// This is Payne–Hanek reduction folded into a table indexed by the exponent.
alignas(64) constexpr double TRIG_T0[105] = {
    0x1.0000000000000p+0, 0x1.0000000000000p+1, 0x1.0000000000000p+2, 0x1.b7812ae000000p+0,
    0x1.b7812ae000000p+1, 0x1.2b0bad5000000p-1, 0x1.2b0bad5000000p+0, 0x1.2b0bad5000000p+1,
    0x1.2b0bad5000000p+2, 0x1.87ef4ac000000p+1, 0x1.87ef4ac000000p+2, 0x1.7dbee05000000p+2,
    0x1.695e0b6000000p+2, 0x1.409c618000000p+2, 0x1.de321bb000000p+1, 0x1.304999c000000p+0,
    0x1.304999c000000p+1, 0x1.304999c000000p+2, 0x1.9ce6fca000000p+1, 0x1.58e8ec1000000p-3,
    0x1.58e8ec1000000p-2, 0x1.58e8ec1000000p-1, 0x1.58e8ec1000000p+0, 0x1.58e8ec1000000p+1,
    0x1.58e8ec1000000p+2, 0x1.1fb222e000000p+2, 0x1.5a8920f000000p+1, 0x1.5a8920f000000p+2,
    0x1.22f28cb000000p+2, 0x1.678ac84000000p+1, 0x1.678ac84000000p+2, 0x1.3cf5db4000000p+2,
    0x1.cf9802b000000p+1, 0x1.ebc26b9000000p-1, 0x1.ebc26b9000000p+0, 0x1.ebc26b9000000p+1,
    0x1.668ad94000000p+0, 0x1.668ad94000000p+1, 0x1.668ad94000000p+2, 0x1.3af5fd4000000p+2,
    0x1.c7988a9000000p+1, 0x1.abc6aac000000p-1, 0x1.abc6aac000000p+0, 0x1.abc6aac000000p+1,
    0x1.9a6f588000000p-2, 0x1.9a6f588000000p-1, 0x1.9a6f588000000p+0, 0x1.9a6f588000000p+1,
    0x1.09f4683000000p-3, 0x1.09f4683000000p-2, 0x1.09f4683000000p-1, 0x1.09f4683000000p+0,
    0x1.09f4683000000p+1, 0x1.09f4683000000p+2, 0x1.0392366000000p+1, 0x1.0392366000000p+2,
    0x1.d412de4000000p+0, 0x1.d412de4000000p+1, 0x1.07cca42000000p+0, 0x1.07cca42000000p+1,
    0x1.07cca42000000p+2, 0x1.f5e64c5000000p+0, 0x1.f5e64c5000000p+1, 0x1.8f1a5c3000000p+0,
    0x1.8f1a5c3000000p+1, 0x1.8f1a5c3000000p+2, 0x1.8c15033000000p+2, 0x1.860a512000000p+2,
    0x1.79f4ed0000000p+2, 0x1.61ca24d000000p+2, 0x1.3174946000000p+2, 0x1.a192e71000000p+1,
    0x1.ee66398000000p-3, 0x1.ee66398000000p-2, 0x1.ee66398000000p-1, 0x1.ee66398000000p+0,
    0x1.ee66398000000p+1, 0x1.711a111000000p+0, 0x1.711a111000000p+1, 0x1.711a111000000p+2,
    0x1.50146cd000000p+2, 0x1.0e09247000000p+2, 0x1.13e5275000000p+1, 0x1.13e5275000000p+2,
    0x1.2b5532b000000p+1, 0x1.2b5532b000000p+2, 0x1.8915606000000p+1, 0x1.8915606000000p+2,
    0x1.800b0b8000000p+2, 0x1.6df661d000000p+2, 0x1.49cd0e5000000p+2, 0x1.017a677000000p+2,
    0x1.c35466c000000p+0, 0x1.c35466c000000p+1, 0x1.89a58c4000000p-1, 0x1.89a58c4000000p+0,
    0x1.89a58c4000000p+1, 0x1.89a58c4000000p+2, 0x1.812b633000000p+2, 0x1.7037113000000p+2,
    0x1.4e4e6d3000000p+2, 0x1.0a7d251000000p+2, 0x1.05b529e000000p+1, 0x1.05b529e000000p+2,
    0x1.e52a7a6000000p+0,
};
alignas(64) constexpr double TRIG_T1[105] = {
    0.0, 0.0, 0.0, 0x1.de973dc000000p-29,
    0x1.de973dc000000p-28, 0x1.63d0d3e000000p-31, 0x1.63d0d3e000000p-30, 0x1.63d0d3e000000p-29,
    0x1.63d0d3e000000p-28, 0x1.b6ed46a000000p-28, 0x1.b6ed46a000000p-27, 0x1.cb00b98000000p-28,
    0x1.42a688f000000p-27, 0x1.fcf2e15000000p-27, 0x1.c62e48a000000p-29, 0x1.6af3cf0000000p-29,
    0x1.6af3cf0000000p-28, 0x1.6af3cf0000000p-27, 0x1.3635b62000000p-29, 0x1.6055432000000p-34,
    0x1.6055432000000p-33, 0x1.6055432000000p-32, 0x1.6055432000000p-31, 0x1.6055432000000p-30,
    0x1.6055432000000p-29, 0x1.3e83884000000p-30, 0x1.8e8d630000000p-28, 0x1.8e8d630000000p-27,
    0x1.29812b0000000p-28, 0x1.424df4f000000p-28, 0x1.424df4f000000p-27, 0x1.fc41b95000000p-27,
    0x1.c0a5086000000p-29, 0x1.7f853a9000000p-31, 0x1.7f853a9000000p-30, 0x1.7f853a9000000p-29,
    0x1.bb43661000000p-30, 0x1.bb43661000000p-29, 0x1.bb43661000000p-28, 0x1.32e9358000000p-27,
    0x1.baf0750000000p-28, 0x1.94b223b000000p-30, 0x1.94b223b000000p-29, 0x1.94b223b000000p-28,
    0x1.8afe657000000p-32, 0x1.8afe657000000p-31, 0x1.8afe657000000p-30, 0x1.8afe657000000p-29,
    0x1.a4a0463000000p-32, 0x1.a4a0463000000p-31, 0x1.a4a0463000000p-30, 0x1.a4a0463000000p-29,
    0x1.a4a0463000000p-28, 0x1.a4a0463000000p-27, 0x1.81ccb7e000000p-28, 0x1.81ccb7e000000p-27,
    0x1.ecfcfcf000000p-29, 0x1.ecfcfcf000000p-28, 0x1.928b319000000p-29, 0x1.928b319000000p-28,
    0x1.928b319000000p-27, 0x1.cbc32a6000000p-31, 0x1.cbc32a6000000p-30, 0x1.aa5a683000000p-29,
    0x1.aa5a683000000p-28, 0x1.aa5a683000000p-27, 0x1.98b53fb000000p-28, 0x1.105b0f2000000p-27,
    0x1.985bedd000000p-27, 0x1.50bb562000000p-28, 0x1.90c24b3000000p-28, 0x1.0d03560000000p-32,
    0x1.0ec09a6000000p-32, 0x1.0ec09a6000000p-31, 0x1.0ec09a6000000p-30, 0x1.0ec09a6000000p-29,
    0x1.0ec09a6000000p-28, 0x1.999a756000000p-33, 0x1.999a756000000p-32, 0x1.999a756000000p-31,
    0x1.aad91e1000000p-27, 0x1.9ab0176000000p-28, 0x1.255e6d7000000p-31, 0x1.255e6d7000000p-30,
    0x1.81fad5a000000p-28, 0x1.81fad5a000000p-27, 0x1.ee6dead000000p-29, 0x1.ee6dead000000p-28,
    0x1.6613ba5000000p-27, 0x1.0f35105000000p-29, 0x1.ff4057a000000p-27, 0x1.76267eb000000p-27,
    0x1.8fcb337000000p-29, 0x1.8fcb337000000p-28, 0x1.dc40bb6000000p-33, 0x1.dc40bb6000000p-32,
    0x1.dc40bb6000000p-31, 0x1.dc40bb6000000p-30, 0x1.eeb5fe4000000p-27, 0x1.5511cc0000000p-27,
    0x1.0e4b3c2000000p-30, 0x1.bb389e7000000p-27, 0x1.dc2e18d000000p-28, 0x1.dc2e18d000000p-27,
    0x1.8010098000000p-30,
};
alignas(64) constexpr double TRIG_T2[105] = {
    0.0, 0.0, 0.0, 0x1.676733ae8fe48p-58,
    0x1.676733ae8fe48p-57, 0x1.41009a33dd9b8p-64, 0x1.41009a33dd9b8p-63, 0x1.41009a33dd9b8p-62,
    0x1.41009a33dd9b8p-61, 0x1.b7a75a3b874b6p-58, 0x1.b7a75a3b874b6p-57, 0x1.18127272b447bp-60,
    0x1.f3706ce7ea085p-58, 0x1.5392035f98fd5p-56, 0x1.fba755abe768ap-65, 0x1.6f55d1053f822p-58,
    0x1.6f55d1053f822p-57, 0x1.6f55d1053f822p-56, 0x1.c42b77b117eaep-59, 0x1.72556bf4f9ec7p-63,
    0x1.72556bf4f9ec7p-62, 0x1.72556bf4f9ec7p-61, 0x1.72556bf4f9ec7p-60, 0x1.72556bf4f9ec7p-59,
    0x1.72556bf4f9ec7p-58, 0x1.30482e620ef58p-60, 0x1.ff8b4adf975f4p-58, 0x1.ff8b4adf975f4p-57,
    0x1.65945f2ced617p-58, 0x1.947f9043553a9p-61, 0x1.947f9043553a9p-60, 0x1.18d37de81d40ep-57,
    0x1.cab52b4f04e80p-58, 0x1.f346293266d21p-60, 0x1.f346293266d21p-59, 0x1.f346293266d21p-58,
    0x1.37ce184d76227p-60, 0x1.37ce184d76227p-59, 0x1.37ce184d76227p-58, 0x1.eb81b224be14bp-57,
    0x1.156dfc4188372p-58, 0x1.2486586340a59p-59, 0x1.2486586340a59p-58, 0x1.2486586340a59p-57,
    0x1.cc04a9dc93d6dp-61, 0x1.cc04a9dc93d6dp-60, 0x1.cc04a9dc93d6dp-59, 0x1.cc04a9dc93d6dp-58,
    0x1.fb843b3dbc916p-61, 0x1.fb843b3dbc916p-60, 0x1.fb843b3dbc916p-59, 0x1.fb843b3dbc916p-58,
    0x1.fb843b3dbc916p-57, 0x1.fb843b3dbc916p-56, 0x1.43890d9c746f8p-58, 0x1.43890d9c746f8p-57,
    0x1.d62da881868a2p-60, 0x1.d62da881868a2p-59, 0x1.3d94dc30166eap-58, 0x1.3d94dc30166eap-57,
    0x1.3d94dc30166eap-56, 0x1.503854bd0d650p-60, 0x1.503854bd0d650p-59, 0x1.6f3f10d73a930p-59,
    0x1.6f3f10d73a930p-58, 0x1.6f3f10d73a930p-57, 0x1.9231bb85bd184p-57, 0x1.ec0b887161116p-56,
    0x1.8f86ee7330df5p-59, 0x1.7b771110e061fp-57, 0x1.aaa1bbf908b61p-57, 0x1.1ee2392b2bcc4p-62,
    0x1.686f5a7eabc09p-63, 0x1.686f5a7eabc09p-62, 0x1.686f5a7eabc09p-61, 0x1.686f5a7eabc09p-60,
    0x1.686f5a7eabc09p-59, 0x1.fad1c5a774a11p-63, 0x1.fad1c5a774a11p-62, 0x1.fad1c5a774a11p-61,
    0x1.f986e9461b433p-56, 0x1.339e7ddf69fe0p-58, 0x1.3a90bdb58f81ep-60, 0x1.3a90bdb58f81ep-59,
    0x1.43efe2c83ecccp-59, 0x1.43efe2c83ecccp-58, 0x1.ef46f93f0d7e0p-58, 0x1.ef46f93f0d7e0p-57,
    0x1.248318aac5dc6p-58, 0x1.b06d65041b9d4p-58, 0x1.9083fb6d8e3dep-59, 0x1.7bf5978e0f113p-57,
    0x1.573d91e6cc293p-58, 0x1.573d91e6cc293p-57, 0x1.175ed2702248ep-64, 0x1.175ed2702248ep-63,
    0x1.175ed2702248ep-62, 0x1.175ed2702248ep-61, 0x1.6b4fba12a61dbp-56, 0x1.30794110f0348p-56,
    0x1.d662786c23109p-59, 0x1.cf726b06acbd4p-56, 0x1.f17d45f1fae75p-57, 0x1.f17d45f1fae75p-56,
    0x1.e6a2c67cce3dbp-59,
};


// Reduces float x to r in about [-pi/4, pi/4] (double) and the quadrant q (x = r + q pi/2 mod 2pi).
KN_INLINE double trig_reduce(float x, uint64_t& q) {
  const uint32_t ex = (bits(x) >> 23) & 0xffu;
  const int32_t e = at_most((int32_t)ex - 150, (int32_t)104);
  const int32_t E = e < 0 ? 0 : e;
  const double m = (double)(x * pow2i((float)-E));
  const uint64_t i = (uint32_t)E;  // a 64-bit index: g++ then vectorises the lookups (emulated gathers)
  const double s0 = m * TRIG_T0[i], s1 = m * TRIG_T1[i], s2 = m * TRIG_T2[i];
  const double t = fmadd(s0 + s1, 0x1.45f306dc9c883p-1, RND_D);  // round((s0+s1) * 2/pi)
  const double k = t - RND_D;
  q = bits(t);
  // pi/2 = C1 + C2 + C3 with C1, C2 of 26 bits: k*C1 and k*C2 are exact for |k| < 2^27.
  const double a = s0 - k * 0x1.921fb5p+0;
  const double b = a - k * 0x1.110b46p-26;
  return (b + s1) + fmadd(k, -0x1.1a62633145c07p-54, s2);
}
KN_INLINE double sin_poly(double r) {  // sin r on |r| <= pi/4, relative error < 6e-12 (plenty for float)
  const double z = r * r;
  return fmadd(r * z, poly(z, -0x1.5555554c71b5bp-3, 0x1.1111086a52f48p-7, -0x1.a00f7f1fa111p-13, 0x1.6cd1f0e31bb26p-19), r);
}
KN_INLINE double cos_poly(double r) {  // cos r on |r| <= pi/4, error < 2e-13
  const double z = r * r;
  return fmadd(z, fmadd(z, poly(z, 0x1.5555554ed9878p-5, -0x1.6c16b82a18181p-10, 0x1.a010ded25399ap-16, -0x1.241e9c8cd7dc6p-22), -0.5), 1.0);
}

KN_INLINE float sin_f(float x) {
  uint64_t q;
  const double r = trig_reduce(x, q);
  const double s = sin_poly(r), c = cos_poly(r);
  double v = (q & 1) ? c : s;
  v = (q & 2) ? -v : v;
  const float f = (float)v;
  return fabs_(x) < Lim<float>::inf ? (x == 0 ? x : f) : Lim<float>::nan;
}
KN_INLINE float cos_f(float x) {
  uint64_t q;
  const double r = trig_reduce(x, q);
  const double s = sin_poly(r), c = cos_poly(r);
  double v = (q & 1) ? s : c;
  v = ((q + 1) & 2) ? -v : v;
  const float f = (float)v;
  return fabs_(x) < Lim<float>::inf ? f : Lim<float>::nan;
}
KN_INLINE float tan_f(float x) {
  uint64_t q;
  const double r = trig_reduce(x, q);
  const double s = sin_poly(r), c = cos_poly(r);
  const double v = (q & 1) ? -c / s : s / c;
  const float f = (float)v;
  return fabs_(x) < Lim<float>::inf ? (x == 0 ? x : f) : Lim<float>::nan;
}

// ---- atan, atan2, asin, acos (float) ----------------------------------------------------------

constexpr float PIO2_HI_F = 0x1.921fb6p+0f, PIO2_LO_F = -0x1.777a5cp-25f;
constexpr float PI_HI_F = 0x1.921fb6p+1f, PI_LO_F = -0x1.777a5cp-24f;

KN_INLINE float atan_poly(float t) {  // atan t on [0, 1]
  const float z = t * t;
  return fmadd(t * z, poly(z, -0x1.555556p-2f, 0x1.999ffap-3f, -0x1.25132ep-3f, 0x1.ceece2p-4f, -0x1.92fbf6p-4f, 0x1.7baf9p-4f, -0x1.5105f6p-4f, 0x1.c94a8p-5f, -0x1.8095dp-6f, 0x1.21f1a4p-8f), t);
}

KN_INLINE float atan_f(float x) {
  const float a = fabs_(x);
  const bool inv = a > 1.0f;  // atan a = pi/2 - atan(1/a)
  const float p = atan_poly(inv ? 1.0f / a : a);
  const float r = inv ? PIO2_HI_F + (PIO2_LO_F - p) : p;
  return copysign_(r, x);
}

KN_INLINE float atan2_f(float y, float x) {
  const float ax = fabs_(x), ay = fabs_(y);
  const bool swap = ay > ax;
  const float mx = swap ? ay : ax, mn = swap ? ax : ay;
  float t = mn / mx;
  t = mx == 0 ? 0.0f : t;  // atan2(±0, ±0)
  t = mn == Lim<float>::inf ? 1.0f : t;  // atan2(±inf, ±inf)
  const float p = atan_poly(t);
  float r = swap ? PIO2_HI_F + (PIO2_LO_F - p) : p;
  r = __builtin_signbit(x) ? PI_HI_F + (PI_LO_F - r) : r;
  r = copysign_(r, y);
  return (x == x && y == y) ? r : x + y;
}

// asin s = s + s z P(z), z = s^2, on |s| <= 1/2; above, asin a = pi/2 - 2 asin(sqrt((1-a)/2)).
// The polynomial's correction term is float; the sum, the sqrt and pi/2 - 2 asin are double,
// since that subtraction cancels about one bit and float's sqrt would add its own rounding.
KN_INLINE double asin_core(float a, bool& big) {
  big = a > 0.5f;
  const float z = big ? 0.5f * (1.0f - a) : a * a;  // exact when big
  const float zp = z * poly(z, 0x1.555556p-3f, 0x1.33264p-4f, 0x1.706b2p-5f, 0x1.c1cb9cp-6f, 0x1.0693b2p-5f, 0x1.86155ap-7f);
  const double s = big ? std::sqrt((double)z) : (double)a;
  return fmadd(s, (double)zp, s);
}
constexpr double PIO2_D = 0x1.921fb54442d18p+0, PI_D = 0x1.921fb54442d18p+1;
KN_INLINE float asin_f(float x) {
  bool big;
  const double p = asin_core(fabs_(x), big);
  return copysign_((float)(big ? PIO2_D - 2.0 * p : p), x);
}
KN_INLINE float acos_f(float x) {
  bool big;
  const double p = asin_core(fabs_(x), big);
  // |x| <= 1/2: pi/2 - asin x;  x > 1/2: 2 asin(sqrt((1-x)/2));  x < -1/2: pi - that.
  const double small = PIO2_D - copysign_(p, (double)x);
  const double bigr = x > 0 ? 2.0 * p : PI_D - 2.0 * p;
  return (float)(big ? bigr : small);
}

// ---- sinh, cosh (float) -----------------------------------------------------------------------

KN_INLINE float sinh_f(float x) {
  const float a = fabs_(x);
  const float z = a * a;
  const float small = fmadd(a * z, poly(z, 0x1.555556p-3f, 0x1.110f8ap-7f, 0x1.a10acep-13f, 0x1.500c82p-19f), a);  // |x| < 1
  const float E = exp_s(a, -1.0f);  // e^a / 2
  const float big = E - 0.25f / E;
  return copysign_(a < 1.0f ? small : big, x);
}
KN_INLINE float cosh_f(float x) {
  const float E = exp_s(fabs_(x), -1.0f);
  return E + 0.25f / E;
}

// ---- pow --------------------------------------------------------------------------------------

KN_INLINE bool is_int(float y) { return __builtin_truncf(y) == y; }
KN_INLINE bool is_odd(float y) { return is_int(y) && __builtin_truncf(y * 0.5f) != y * 0.5f; }

// JavaScript's Math.pow for floats, computed as exp(y log|x|) in double (exact enough that the
// float result is the correctly rounded one up to double rounding).
KN_INLINE float pow_f(float x, float y) {
  // Exponents known at compile time (x ** 2 in a kernel): the exact shortcuts, same results.
  if (__builtin_constant_p(y)) {
    if (y == 2.0f) return x * x;
    if (y == 1.0f) return x;
    if (y == -1.0f) return 1.0f / x;
    if (y == 0.5f) return x == -Lim<float>::inf ? Lim<float>::inf : std::sqrt(x) + 0.0f;  // (-0) ** 0.5 is +0
  }
  const double l = log_t<double, false>((double)fabs_(x));
  // y * log|x|: 1^±inf and 0 * inf give NaN (JS: 1 ** Infinity is NaN).
  const double v = exp_s((double)y * l, 0.0);
  float r = (float)v;
  r = (__builtin_signbit(x) && is_odd(y)) ? -r : r;
  r = (x < 0 && x > -Lim<float>::inf && !is_int(y)) ? Lim<float>::nan : r;
  return y == 0 ? 1.0f : r;
}

KN_INLINE double pow_d(double x, double y) {
  // The C library's pow except where JavaScript differs: 1 ** NaN and (±1) ** ±Infinity are NaN.
  if (y != y) return y;
  if (__builtin_isinf(y) && fabs_(x) == 1.0) return Lim<double>::nan;
  return std::pow(x, y);
}

}  // namespace detail

// ---- public overloads ---------------------------------------------------------------------------

KN_INLINE float exp(float x) { return detail::exp_f(x); }
KN_INLINE double exp(double x) { return detail::exp_s(x, 0.0); }

KN_INLINE float expm1(float x) { return detail::expm1_t(x); }
KN_INLINE double expm1(double x) { return detail::expm1_t(x); }

KN_INLINE float log(float x) { return detail::log_t<float, false>(x); }
KN_INLINE double log(double x) { return detail::log_t<double, false>(x); }
KN_INLINE float log2(float x) { return detail::log_t<float, true>(x); }
KN_INLINE double log2(double x) { return detail::log_t<double, true>(x); }
KN_INLINE float log1p(float x) { return detail::log1p_t(x); }
KN_INLINE double log1p(double x) { return detail::log1p_t(x); }

KN_INLINE float tanh(float x) { return detail::tanh_t(x); }
KN_INLINE double tanh(double x) { return detail::tanh_t(x); }
KN_INLINE float sigmoid(float x) { return detail::sigmoid_t(x); }
KN_INLINE double sigmoid(double x) { return detail::sigmoid_t(x); }

KN_INLINE float erf(float x) { return detail::erf_f(x); }
KN_INLINE double erf(double x) { return std::erf(x); }

KN_INLINE float sqrt(float x) { return std::sqrt(x); }
KN_INLINE double sqrt(double x) { return std::sqrt(x); }

KN_INLINE float sin(float x) { return detail::sin_f(x); }
KN_INLINE double sin(double x) { return std::sin(x); }
KN_INLINE float cos(float x) { return detail::cos_f(x); }
KN_INLINE double cos(double x) { return std::cos(x); }
KN_INLINE float tan(float x) { return detail::tan_f(x); }
KN_INLINE double tan(double x) { return std::tan(x); }

KN_INLINE float atan(float x) { return detail::atan_f(x); }
KN_INLINE double atan(double x) { return std::atan(x); }
KN_INLINE float atan2(float y, float x) { return detail::atan2_f(y, x); }
KN_INLINE double atan2(double y, double x) { return std::atan2(y, x); }
KN_INLINE float asin(float x) { return detail::asin_f(x); }
KN_INLINE double asin(double x) { return std::asin(x); }
KN_INLINE float acos(float x) { return detail::acos_f(x); }
KN_INLINE double acos(double x) { return std::acos(x); }

KN_INLINE float sinh(float x) { return detail::sinh_f(x); }
KN_INLINE double sinh(double x) { return std::sinh(x); }
KN_INLINE float cosh(float x) { return detail::cosh_f(x); }
KN_INLINE double cosh(double x) { return std::cosh(x); }

KN_INLINE float pow(float x, float y) { return detail::pow_f(x, y); }
KN_INLINE double pow(double x, double y) { return detail::pow_d(x, y); }

// Mixed float/double arguments compute in double, as C++'s own overloads do.
KN_INLINE double pow(float x, double y) { return pow((double)x, y); }
KN_INLINE double pow(double x, float y) { return pow(x, (double)y); }
KN_INLINE double atan2(float y, double x) { return atan2((double)y, x); }
KN_INLINE double atan2(double y, float x) { return atan2(y, (double)x); }

// Integer arguments compute in double (as std:: does).
template <class I> using if_int = std::enable_if_t<std::is_integral_v<I>, double>;
#define KN_INT1(f) template <class I> KN_INLINE if_int<I> f(I x) { return f((double)x); }
KN_INT1(exp) KN_INT1(expm1) KN_INT1(log) KN_INT1(log2) KN_INT1(log1p) KN_INT1(tanh) KN_INT1(sigmoid)
KN_INT1(erf) KN_INT1(sqrt) KN_INT1(sin) KN_INT1(cos) KN_INT1(tan) KN_INT1(atan) KN_INT1(asin)
KN_INT1(acos) KN_INT1(sinh) KN_INT1(cosh)
#undef KN_INT1
template <class A, class B>
using if_int2 = std::enable_if_t<std::is_arithmetic_v<A> && std::is_arithmetic_v<B> && (std::is_integral_v<A> || std::is_integral_v<B>), double>;
template <class A, class B> KN_INLINE if_int2<A, B> pow(A x, B y) { return pow((double)x, (double)y); }
template <class A, class B> KN_INLINE if_int2<A, B> atan2(A y, B x) { return atan2((double)y, (double)x); }

}  // namespace kn

#undef KN_INLINE
#undef KN_BIT_CAST
