// JavaScript number semantics for generated C++: the registry's scalar expressions are written in
// a subset of JavaScript, and the C++ renderer translates them to calls of these helpers where C++
// differs (truthiness of NaN, ToInt32 wrapping of bitwise operators, Math.max with NaN, `%` on
// doubles, Math.round's halves). Transcendental functions come from kiln_math.hpp.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include "kiln_math.hpp"

namespace kn {

/** JS truthiness of a number: 0 and NaN are false. */
static inline bool truthy(double x) { return x != 0 && x == x; }
static inline bool truthy(float x) { return x != 0 && x == x; }
static inline bool truthy(bool x) { return x; }

/** ECMAScript ToInt32: wraps modulo 2^32; NaN and infinities give 0. */
static inline int32_t to_i32(double x) {
  if (!(x == x) || std::isinf(x)) return 0;
  if (x >= -2147483648.0 && x < 2147483648.0) return (int32_t)x;
  double m = std::fmod(std::trunc(x), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int32_t)(uint32_t)m;
}
static inline uint32_t to_u32(double x) { return (uint32_t)to_i32(x); }

static inline double bor(double a, double b) { return (double)(to_i32(a) | to_i32(b)); }
static inline double band(double a, double b) { return (double)(to_i32(a) & to_i32(b)); }
static inline double bxor(double a, double b) { return (double)(to_i32(a) ^ to_i32(b)); }
static inline double bnot(double a) { return (double)(~to_i32(a)); }
static inline double shl(double a, double b) { return (double)(int32_t)(to_u32(a) << (to_u32(b) & 31)); }
static inline double shr(double a, double b) { return (double)(to_i32(a) >> (to_u32(b) & 31)); }
static inline double ushr(double a, double b) { return (double)(to_u32(a) >> (to_u32(b) & 31)); }
static inline double imul(double a, double b) { return (double)(int32_t)(to_u32(a) * to_u32(b)); }

/** JS `%`: the remainder with the sign of the dividend (C's fmod). */
static inline double jmod(double a, double b) { return std::fmod(a, b); }
static inline float jmod(float a, float b) { return std::fmod(a, b); }

/** Zeros of one sign, tested on the bits (vectorises as integer compares). */
static inline bool is_pos_zero(float x) { return detail::bits(x) == 0u; }
static inline bool is_pos_zero(double x) { return detail::bits(x) == 0u; }
static inline bool is_neg_zero(float x) { return detail::bits(x) == 0x80000000u; }
static inline bool is_neg_zero(double x) { return detail::bits(x) == 0x8000000000000000u; }

/** Math.max / Math.min: NaN if either is NaN; +0 is larger than -0. */
template <class T> static inline T jmax(T a, T b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
template <class T> static inline T jmin(T a, T b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double jmax(double a, float b) { return jmax<double>(a, b); }
static inline double jmax(float a, double b) { return jmax<double>(a, b); }
static inline double jmin(double a, float b) { return jmin<double>(a, b); }
static inline double jmin(float a, double b) { return jmin<double>(a, b); }

/** Math.round: halves go up (towards +infinity); -0 and NaN stay. */
template <class T> static inline T jround(T x) {
  T r = std::floor(x);
  T y = (x - r >= (T)0.5) ? r + 1 : r;
  return (y == 0 && (x < 0 || std::signbit(x))) ? -(T)0 : y;
}
/** Math.sign: -1, 0 (keeping -0), 1 or NaN. */
template <class T> static inline T jsign(T x) { return x > 0 ? (T)1 : x < 0 ? (T)-1 : x; }
template <class T> static inline bool isinteger(T x) { return std::isfinite(x) && std::trunc(x) == x; }

/** A row's worth of values a later pass of a reduction kernel reads back instead of recomputing (softmax's exp). */
template <class T> struct RowScratch {
  T* data;
  explicit RowScratch(int64_t n) : data(new T[n > 0 ? n : 1]) {}
  ~RowScratch() { delete[] data; }
  RowScratch(const RowScratch&) = delete;
  RowScratch& operator=(const RowScratch&) = delete;
};

}  // namespace kn
