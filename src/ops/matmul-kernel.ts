// The eager matrix-multiply kernel: C (=|+=) alpha · A·B for strided A [M, K] and B [K, N] into a
// row-major C. Blocked GotoBLAS-style: B is packed into Float64Array panels of NR columns
// (k-major), A into panels of MR rows, and a 4×4 micro-kernel keeps its 16 accumulators in locals,
// so the inner loop is 8 sequential loads per 16 multiply-adds and no function call per element.
// Everything accumulates in JS doubles; an Int32Array C wraps like int32 on store.
// A faster implementation (the native backend's C++ kernel) can be installed with
// `setGemmProvider`; this layer never imports it, so it stays free of Node APIs. Such a provider
// may keep a weight's packed form between calls (the packed-B cache below).
import type { TypedArray } from "../core/dtype.js";
import type { Storage } from "../core/storage.js";
import type { Tensor } from "../core/tensor.js";

/**
 * A replacement for `gemm` on float arrays, with the same arguments and semantics. Each function
 * returns whether it did the product: false (e.g. its library is still being built) makes
 * `gemm` run the JavaScript kernel instead.
 */
/** One product on arrays of one float type (see `gemm` for the arguments). */
export type ProviderGemm<T extends Float32Array | Float64Array> = (
  M: number, N: number, K: number,
  a: T, aOff: number, aRs: number, aCs: number,
  b: T, bOff: number, bRs: number, bCs: number,
  c: T, cOff: number, ldc: number,
  alpha: number, accumulate: boolean,
) => boolean;

/** `batch` products of one shape; product i uses offsets aOffs[i], bOffs[i], cOffs[i]. */
export type ProviderGemmBatched<T extends Float32Array | Float64Array> = (
  batch: number, M: number, N: number, K: number,
  a: T, aOffs: Float64Array, aRs: number, aCs: number,
  b: T, bOffs: Float64Array, bRs: number, bCs: number,
  c: T, cOffs: Float64Array, ldc: number,
  alpha: number, accumulate: boolean,
) => boolean;

/**
 * What a product with a kept packed B did: PACKED_NOT_RUN (the provider could not run it: run the
 * JavaScript kernel), PACKED_RAN (done without the buffer, which does not hold B), PACKED_OK
 * (done, and the buffer holds B's packed form, whether this call packed it or read it).
 */
export const PACKED_NOT_RUN = 0;
export const PACKED_RAN = 1;
export const PACKED_OK = 2;
export type PackedResult = typeof PACKED_NOT_RUN | typeof PACKED_RAN | typeof PACKED_OK;

/**
 * One product whose B is kept packed in `packed` (a buffer of packedLength elements): `ready`
 * false packs B there while multiplying, true reads the packed form instead of B.
 */
export type ProviderGemmPacked<T extends Float32Array | Float64Array> = (
  M: number, N: number, K: number,
  a: T, aOff: number, aRs: number, aCs: number,
  b: T, bOff: number, bRs: number, bCs: number,
  packed: T, ready: boolean,
  c: T, cOff: number, ldc: number,
  alpha: number, accumulate: boolean,
) => PackedResult;

/** `batch` products sharing one B (at bOff), kept packed as for ProviderGemmPacked. */
export type ProviderGemmBatchedPacked<T extends Float32Array | Float64Array> = (
  batch: number, M: number, N: number, K: number,
  a: T, aOffs: Float64Array, aRs: number, aCs: number,
  b: T, bOff: number, bRs: number, bCs: number,
  packed: T, ready: boolean,
  c: T, cOffs: Float64Array, ldc: number,
  alpha: number, accumulate: boolean,
) => PackedResult;

export interface GemmProvider {
  sgemm: ProviderGemm<Float32Array>;
  dgemm: ProviderGemm<Float64Array>;
  sgemmBatched?: ProviderGemmBatched<Float32Array>;
  dgemmBatched?: ProviderGemmBatched<Float64Array>;
  /** Elements of the buffer the *Packed functions keep a packed K×N B in (0: they cannot now). */
  packedLength?(isDouble: boolean, K: number, N: number): number;
  sgemmPacked?: ProviderGemmPacked<Float32Array>;
  dgemmPacked?: ProviderGemmPacked<Float64Array>;
  sgemmBatchedPacked?: ProviderGemmBatchedPacked<Float32Array>;
  dgemmBatchedPacked?: ProviderGemmBatchedPacked<Float64Array>;
  /**
   * A convolution's column matrix for one image and group (ops/conv.ts im2col): `dims` holds
   * Cg, kh, kw, Ho, Wo, H, W, sh, sw, pt, pl, dh, dw; x is read at xOff through strides sC, sH,
   * sW from channel c0 on. x and col have one float type. False: not run (the caller does it).
   */
  im2col?(dims: Int32Array, x: Float32Array | Float64Array, xOff: number, sC: number, sH: number, sW: number, c0: number, col: Float32Array | Float64Array): boolean;
}

let provider: GemmProvider | null = null;

/**
 * Products with fewer multiply-adds (M·N·K) than this stay in JavaScript: a call through koffi
 * costs 1–3 µs, about what JavaScript needs for an 8×8×8 product. Measured on the development
 * machine: at 8³ JS 5.7 µs vs native 3.9 µs, at 6³ JS 2.8 µs vs native 4.4 µs.
 */
export const PROVIDER_MIN_WORK = 1024;

let providerMinWork = PROVIDER_MIN_WORK;

/**
 * Installs (or with null removes) the provider `gemm` uses for large float products; returns the
 * previous one. `minWork` overrides PROVIDER_MIN_WORK (tests use 0 to send every product to it),
 * `packedMinElements` the smallest B kept packed between calls (PACKED_MIN_ELEMENTS).
 */
export function setGemmProvider(p: GemmProvider | null, options: { minWork?: number; packedMinElements?: number } = {}): GemmProvider | null {
  const prev = provider;
  provider = p;
  providerMinWork = options.minWork ?? PROVIDER_MIN_WORK;
  packedMinElements = options.packedMinElements ?? PACKED_MIN_ELEMENTS;
  return prev;
}

/** The installed provider, or null. */
export function gemmProvider(): GemmProvider | null {
  return provider;
}

const MR = 4;
const NR = 4;
/** Depth of one packed block (rows of B, columns of A). */
const KC = 256;
/** Rows of A packed at once (its block stays in L2 while B panels stream through L1). */
const MC = 128;
/** Columns of B packed at once. */
const NC = 2048;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);
/** One edge tile of the micro-kernel. */
const edge = new Float64Array(MR * NR);

/** Below this many multiply-adds the packing overhead outweighs the blocked kernel. */
const SMALL = 4096;

/**
 * General matrix multiply on strided operands.
 * A element (i, k) is `a[aOff + i·aRs + k·aCs]`, B element (k, j) is `b[bOff + k·bRs + j·bCs]`,
 * C element (i, j) is `c[cOff + i·ldc + j]`. With `accumulate` the product is added to C.
 * `bSource`, the tensor whose storage `b` is, lets a provider keep B packed between calls (see
 * the packed-B cache); without it B is packed on every call.
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  a: TypedArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: TypedArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: TypedArray,
  cOff: number,
  ldc: number,
  alpha = 1,
  accumulate = false,
  bSource?: Tensor,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  if (provider !== null && M * N * K >= providerMinWork) {
    if (bSource !== undefined && provider.packedLength !== undefined && M > 1 && N > 1 && K * N >= packedMinElements) {
      const slot = packedSlot(bSource, b, K, N, bOff, bRs, bCs);
      if (slot !== null && gemmPacked(provider, slot, M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate)) return;
    }
    if (c instanceof Float32Array) {
      if (a instanceof Float32Array && b instanceof Float32Array && provider.sgemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate)) return;
    } else if (c instanceof Float64Array) {
      if (a instanceof Float64Array && b instanceof Float64Array && provider.dgemm(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate)) return;
    }
  }
  if (N === 1) return gemv(M, K, a, aOff, aRs, aCs, b, bOff, bRs, c, cOff, ldc, alpha, accumulate);
  if (M === 1) return gemv(N, K, b, bOff, bCs, bRs, a, aOff, aCs, c, cOff, 1, alpha, accumulate);
  if (M * N * K <= SMALL) return gemmSmall(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, alpha, accumulate);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const addTo = accumulate || pc > 0;
      packPanelsB(b, bOff + pc * bRs + jc * bCs, bRs, bCs, kc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packPanelsA(a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc);
        macroKernel(mc, nc, kc, c, cOff + ic * ldc + jc, ldc, alpha, addTo);
      }
    }
  }
}

/**
 * `batch` products of one shape: product i is `gemm` with offsets aOffs[i], bOffs[i], cOffs[i].
 * One provider call for the whole batch when the provider takes batches (one FFI crossing, and
 * the provider may run the products in parallel), else one `gemm` per product. `bSource` as for
 * `gemm` (used when every product has the same B).
 */
export function gemmBatched(
  batch: number,
  M: number,
  N: number,
  K: number,
  a: TypedArray,
  aOffs: Float64Array,
  aRs: number,
  aCs: number,
  b: TypedArray,
  bOffs: Float64Array,
  bRs: number,
  bCs: number,
  c: TypedArray,
  cOffs: Float64Array,
  ldc: number,
  alpha = 1,
  accumulate = false,
  bSource?: Tensor,
): void {
  if (batch === 0 || M === 0 || N === 0) return;
  const p = provider;
  if (p !== null && K > 0 && batch * M * N * K >= providerMinWork) {
    if (bSource !== undefined && p.packedLength !== undefined && M > 1 && N > 1 && K * N >= packedMinElements && sameOffsets(bOffs, batch)) {
      const slot = packedSlot(bSource, b, K, N, bOffs[0]!, bRs, bCs);
      if (slot !== null && gemmBatchedPacked(p, slot, batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs[0]!, bRs, bCs, c, cOffs, ldc, alpha, accumulate)) return;
    }
    if (c instanceof Float32Array) {
      if (p.sgemmBatched && a instanceof Float32Array && b instanceof Float32Array && p.sgemmBatched(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate)) return;
    } else if (c instanceof Float64Array) {
      if (p.dgemmBatched && a instanceof Float64Array && b instanceof Float64Array && p.dgemmBatched(batch, M, N, K, a, aOffs, aRs, aCs, b, bOffs, bRs, bCs, c, cOffs, ldc, alpha, accumulate)) return;
    }
  }
  for (let i = 0; i < batch; i++) gemm(M, N, K, a, aOffs[i]!, aRs, aCs, b, bOffs[i]!, bRs, bCs, c, cOffs[i]!, ldc, alpha, accumulate);
}

// ---------------------------------------------------------------------------------------------
// The packed-B cache. A provider packs B (reads it and writes a copy in its kernel's layout) on
// every product; with few rows (a batch of 64 through a 1024×1024 weight) that is 15–25% of the
// product. A weight multiplied again unchanged (inference, evaluation) can keep its packed form,
// as onnxruntime pre-packs constant weights. B's values are named by its Storage object and that
// storage's version (bumped by every in-place write), plus the view (offset, strides, K×N) and
// dtype. So that training (new values each step) pays nothing, a B is packed into the cache only
// the second time the same values are seen; a version change drops the storage's packed copies,
// and all copies together stay under a memory limit. To make room, the least recently used copies
// are dropped, but only those unused since the newcomer was last seen: weights used in turn that
// do not all fit (a model larger than the limit) keep the copies they have instead of evicting
// each other on every call (which would pack into a fresh buffer every time).

/** Default limit on the memory of packed copies (bytes); see setPackedCacheLimit. */
export const PACKED_CACHE_LIMIT = 256 * 2 ** 20;
/** Smallest B (elements) worth keeping packed by default: a smaller one packs in a few microseconds. */
export const PACKED_MIN_ELEMENTS = 16384;
let packedMinElements = PACKED_MIN_ELEMENTS;
/** Views of one storage tracked at once (more, e.g. many slices of one buffer: start over). */
const PACKED_MAX_VIEWS = 8;

/** One view of a storage: seen once (packed null), or with its packed copy. */
interface PackedView {
  packed: Float32Array | Float64Array | null;
  /** Whether `packed` holds B's packed form (else it is about to be filled). */
  ready: boolean;
  bytes: number;
  /** The provider whose layout `packed` is in. */
  by: GemmProvider | null;
  /** packedTick at this view's last sighting and the one before. */
  lastSeen: number;
  prevSeen: number;
  /** packedTick when `packed` was last used (the order of packedLru). */
  lastUse: number;
}

/** The views of one storage seen at its current version (never referring to the storage itself). */
interface PackedStorage {
  version: number;
  /** packedGeneration when the views were recorded (clearPackedCache starts a new one). */
  generation: number;
  readonly views: Map<string, PackedView>;
}

const packedStorages = new WeakMap<Storage, PackedStorage>();
/** Views holding a packed copy, least recently used first. */
const packedLru = new Set<PackedView>();
let packedBytes = 0;
let packedLimit = PACKED_CACHE_LIMIT;
let packedGeneration = 0;
/** Counts sightings: the cache's clock. */
let packedTick = 0;
let packs = 0;
let hits = 0;
/** Frees the copies of a storage that has been collected (they are not reachable through it then). */
const packedFinalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<PackedStorage>(dropViews) : null;

function dropView(v: PackedView): void {
  if (v.packed === null) return;
  packedLru.delete(v);
  packedBytes -= v.bytes;
  v.packed = null;
  v.ready = false;
  v.bytes = 0;
  v.by = null;
}

function dropViews(e: PackedStorage): void {
  for (const v of e.views.values()) dropView(v);
  e.views.clear();
}

/**
 * Whether `t`'s storage version changes whenever its values do, so that (storage, version) names
 * them. Eager in-place writes, optimizers and compiled graphs' write-backs all bump it; the
 * exception is a compiled graph's own scratch buffers (src/backends/codegen: reused from call to
 * call and rewritten by its kernels without a bump). Those are never leaves that require grad and
 * never written in place (their version stays 0), so a B qualifies if its root is a leaf that
 * requires grad (a model's parameters) or its storage has been written in place.
 */
function versionTracksValues(t: Tensor, s: Storage): boolean {
  if (s.version > 0) return true;
  const root = t._base ?? t;
  return root.requiresGrad && root.gradFn === null;
}

/**
 * The cache's record of B (`b` being bSource's storage data, seen as K×N at off/rs/cs), or null
 * when B is not cached: on the first sighting of these values, or when they are not trackable.
 */
function packedSlot(bSource: Tensor, b: TypedArray, K: number, N: number, off: number, rs: number, cs: number): PackedView | null {
  const s = bSource._storage;
  if (s === null || s.data !== b || !versionTracksValues(bSource, s)) return null;
  let e = packedStorages.get(s);
  if (e === undefined) {
    e = { version: s.version, generation: packedGeneration, views: new Map() };
    packedStorages.set(s, e);
    packedFinalizer?.register(s, e);
  } else if (e.version !== s.version || e.generation !== packedGeneration) {
    dropViews(e);
    e.version = s.version;
    e.generation = packedGeneration;
  }
  const key = `${off},${rs},${cs},${K},${N}`;
  const now = ++packedTick;
  const v = e.views.get(key);
  if (v !== undefined) {
    v.prevSeen = v.lastSeen;
    v.lastSeen = now;
    return v;
  }
  if (e.views.size >= PACKED_MAX_VIEWS) dropViews(e);
  e.views.set(key, { packed: null, ready: false, bytes: 0, by: null, lastSeen: now, prevSeen: now, lastUse: 0 });
  return null;
}

/**
 * Gives `v` a fresh buffer for B's packed form, making room under the limit by dropping copies
 * unused since v's previous sighting; false if there is no room.
 */
function allocatePacked(p: GemmProvider, v: PackedView, isDouble: boolean, K: number, N: number): boolean {
  const length = p.packedLength!(isDouble, K, N);
  const bytes = length * (isDouble ? 8 : 4);
  if (length <= 0 || bytes > packedLimit) return false;
  for (const old of packedLru) {
    // The order is by last use: once one copy is too recent to drop, so are the rest.
    if (packedBytes + bytes <= packedLimit || old.lastUse >= v.prevSeen) break;
    dropView(old);
  }
  if (packedBytes + bytes > packedLimit) return false;
  v.packed = isDouble ? new Float64Array(length) : new Float32Array(length);
  v.ready = false;
  v.bytes = bytes;
  v.by = p;
  packedBytes += bytes;
  return true;
}

/** Readies `v` for a product: true with v.ready telling whether it holds B already. */
function usePacked(p: GemmProvider, v: PackedView, isDouble: boolean, K: number, N: number): boolean {
  // Another provider's copy may be in another layout.
  if (v.by !== p) dropView(v);
  if (v.packed === null && !allocatePacked(p, v, isDouble, K, N)) return false;
  // Most recently used: to the end of the order.
  v.lastUse = packedTick;
  packedLru.delete(v);
  packedLru.add(v);
  return true;
}

/** Books a packed product's result; true if it ran (else the caller runs the product). */
function settlePacked(v: PackedView, r: PackedResult): boolean {
  if (r === PACKED_OK) {
    if (v.ready) hits++;
    else packs++;
    v.ready = true;
    return true;
  }
  dropView(v);
  return r === PACKED_RAN;
}

function gemmPacked(
  p: GemmProvider, v: PackedView, M: number, N: number, K: number,
  a: TypedArray, aOff: number, aRs: number, aCs: number,
  b: TypedArray, bOff: number, bRs: number, bCs: number,
  c: TypedArray, cOff: number, ldc: number, alpha: number, accumulate: boolean,
): boolean {
  if (c instanceof Float32Array) {
    if (!p.sgemmPacked || !(a instanceof Float32Array && b instanceof Float32Array) || !usePacked(p, v, false, K, N)) return false;
    return settlePacked(v, p.sgemmPacked(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, v.packed as Float32Array, v.ready, c, cOff, ldc, alpha, accumulate));
  }
  if (c instanceof Float64Array) {
    if (!p.dgemmPacked || !(a instanceof Float64Array && b instanceof Float64Array) || !usePacked(p, v, true, K, N)) return false;
    return settlePacked(v, p.dgemmPacked(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, v.packed as Float64Array, v.ready, c, cOff, ldc, alpha, accumulate));
  }
  return false;
}

function gemmBatchedPacked(
  p: GemmProvider, v: PackedView, batch: number, M: number, N: number, K: number,
  a: TypedArray, aOffs: Float64Array, aRs: number, aCs: number,
  b: TypedArray, bOff: number, bRs: number, bCs: number,
  c: TypedArray, cOffs: Float64Array, ldc: number, alpha: number, accumulate: boolean,
): boolean {
  if (c instanceof Float32Array) {
    if (!p.sgemmBatchedPacked || !(a instanceof Float32Array && b instanceof Float32Array) || !usePacked(p, v, false, K, N)) return false;
    return settlePacked(v, p.sgemmBatchedPacked(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, v.packed as Float32Array, v.ready, c, cOffs, ldc, alpha, accumulate));
  }
  if (c instanceof Float64Array) {
    if (!p.dgemmBatchedPacked || !(a instanceof Float64Array && b instanceof Float64Array) || !usePacked(p, v, true, K, N)) return false;
    return settlePacked(v, p.dgemmBatchedPacked(batch, M, N, K, a, aOffs, aRs, aCs, b, bOff, bRs, bCs, v.packed as Float64Array, v.ready, c, cOffs, ldc, alpha, accumulate));
  }
  return false;
}

function sameOffsets(offs: Float64Array, n: number): boolean {
  const first = offs[0];
  for (let i = 1; i < n; i++) if (offs[i] !== first) return false;
  return true;
}

/**
 * Sets the memory limit of the packed-B cache in bytes (0 disables it), dropping least recently
 * used copies to fit; returns the previous limit.
 */
export function setPackedCacheLimit(bytes: number): number {
  const prev = packedLimit;
  packedLimit = Math.max(0, bytes);
  for (const v of packedLru) {
    if (packedBytes <= packedLimit) break;
    dropView(v);
  }
  return prev;
}

/** Drops every packed copy and sighting (a WeakMap cannot be walked: sightings end with their generation). */
export function clearPackedCache(): void {
  for (const v of [...packedLru]) dropView(v);
  packedGeneration++;
}

/** The packed-B cache: packs and hits so far in this process, and the copies it holds now. */
export function packedCacheStats(): { packs: number; hits: number; bytes: number; copies: number } {
  return { packs, hits, bytes: packedBytes, copies: packedLru.size };
}

/** Packs a kc×nc block of B into ⌈nc/NR⌉ panels, each kc rows of NR values (zero-padded). */
function packPanelsB(b: TypedArray, off: number, rs: number, cs: number, kc: number, nc: number): void {
  const panels = Math.ceil(nc / NR);
  if (packB.length < panels * NR * kc) packB = new Float64Array(panels * NR * kc);
  const pb = packB;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NR;
    const base = jp * NR * kc;
    if (j0 + NR <= nc) {
      let src = off + j0 * cs;
      if (cs === 1) {
        for (let k = 0, p = base; k < kc; k++, p += NR, src += rs) {
          pb[p] = b[src]!;
          pb[p + 1] = b[src + 1]!;
          pb[p + 2] = b[src + 2]!;
          pb[p + 3] = b[src + 3]!;
        }
      } else {
        for (let k = 0, p = base; k < kc; k++, p += NR, src += rs) {
          pb[p] = b[src]!;
          pb[p + 1] = b[src + cs]!;
          pb[p + 2] = b[src + 2 * cs]!;
          pb[p + 3] = b[src + 3 * cs]!;
        }
      }
    } else {
      const w = nc - j0;
      for (let k = 0, p = base; k < kc; k++, p += NR) {
        const src = off + k * rs + j0 * cs;
        for (let j = 0; j < NR; j++) pb[p + j] = j < w ? b[src + j * cs]! : 0;
      }
    }
  }
}

/** Packs an mc×kc block of A into ⌈mc/MR⌉ panels, each kc columns of MR values (zero-padded). */
function packPanelsA(a: TypedArray, off: number, rs: number, cs: number, mc: number, kc: number): void {
  const panels = Math.ceil(mc / MR);
  if (packA.length < panels * MR * kc) packA = new Float64Array(panels * MR * kc);
  const pa = packA;
  for (let ip = 0; ip < panels; ip++) {
    const i0 = ip * MR;
    const base = ip * MR * kc;
    if (i0 + MR <= mc) {
      let s0 = off + i0 * rs;
      if (cs === 1) {
        // Rows are contiguous: read them sequentially, write interleaved.
        for (let r = 0; r < MR; r++, s0 += rs) {
          for (let k = 0, p = base + r; k < kc; k++, p += MR) pa[p] = a[s0 + k]!;
        }
      } else {
        for (let k = 0, p = base; k < kc; k++, p += MR, s0 += cs) {
          pa[p] = a[s0]!;
          pa[p + 1] = a[s0 + rs]!;
          pa[p + 2] = a[s0 + 2 * rs]!;
          pa[p + 3] = a[s0 + 3 * rs]!;
        }
      }
    } else {
      const h = mc - i0;
      for (let k = 0, p = base; k < kc; k++, p += MR) {
        const src = off + i0 * rs + k * cs;
        for (let r = 0; r < MR; r++) pa[p + r] = r < h ? a[src + r * rs]! : 0;
      }
    }
  }
}

/** Multiplies the packed A block by the packed B block into C, tile by tile. */
function macroKernel(mc: number, nc: number, kc: number, c: TypedArray, cOff: number, ldc: number, alpha: number, addTo: boolean): void {
  const pa = packA;
  const pb = packB;
  const stride = MR * kc;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const bBase = (j0 / NR) * NR * kc;
    const w = Math.min(NR, nc - j0);
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const aBase = (i0 / MR) * stride;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0, pA = aBase, pB = bBase; k < kc; k++, pA += 4, pB += 4) {
        const a0 = pa[pA]!, a1 = pa[pA + 1]!, a2 = pa[pA + 2]!, a3 = pa[pA + 3]!;
        const b0 = pb[pB]!, b1 = pb[pB + 1]!, b2 = pb[pB + 2]!, b3 = pb[pB + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const h = Math.min(MR, mc - i0);
      const p = cOff + i0 * ldc + j0;
      if (h === MR && w === NR && alpha === 1) {
        if (addTo) {
          c[p] += c00; c[p + 1] += c01; c[p + 2] += c02; c[p + 3] += c03;
          const p1 = p + ldc; c[p1] += c10; c[p1 + 1] += c11; c[p1 + 2] += c12; c[p1 + 3] += c13;
          const p2 = p1 + ldc; c[p2] += c20; c[p2 + 1] += c21; c[p2 + 2] += c22; c[p2 + 3] += c23;
          const p3 = p2 + ldc; c[p3] += c30; c[p3 + 1] += c31; c[p3 + 2] += c32; c[p3 + 3] += c33;
        } else {
          c[p] = c00; c[p + 1] = c01; c[p + 2] = c02; c[p + 3] = c03;
          const p1 = p + ldc; c[p1] = c10; c[p1 + 1] = c11; c[p1 + 2] = c12; c[p1 + 3] = c13;
          const p2 = p1 + ldc; c[p2] = c20; c[p2 + 1] = c21; c[p2 + 2] = c22; c[p2 + 3] = c23;
          const p3 = p2 + ldc; c[p3] = c30; c[p3 + 1] = c31; c[p3 + 2] = c32; c[p3 + 3] = c33;
        }
      } else {
        const e = edge;
        e[0] = c00; e[1] = c01; e[2] = c02; e[3] = c03;
        e[4] = c10; e[5] = c11; e[6] = c12; e[7] = c13;
        e[8] = c20; e[9] = c21; e[10] = c22; e[11] = c23;
        e[12] = c30; e[13] = c31; e[14] = c32; e[15] = c33;
        for (let r = 0; r < h; r++) {
          for (let j = 0; j < w; j++) {
            const q = p + r * ldc + j;
            const v = alpha * e[r * NR + j]!;
            c[q] = addTo ? c[q]! + v : v;
          }
        }
      }
    }
  }
}

/** y (=|+=) alpha · A·x for A [M, K] (strided) and x [K] (stride xs); y has stride ys. */
function gemv(
  M: number,
  K: number,
  a: TypedArray,
  aOff: number,
  aRs: number,
  aCs: number,
  x: TypedArray,
  xOff: number,
  xs: number,
  y: TypedArray,
  yOff: number,
  ys: number,
  alpha: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    let acc = 0;
    let pa = aOff + i * aRs;
    let px = xOff;
    if (aCs === 1 && xs === 1) {
      for (let k = 0; k < K; k++) acc += a[pa + k]! * x[px + k]!;
    } else {
      for (let k = 0; k < K; k++, pa += aCs, px += xs) acc += a[pa]! * x[px]!;
    }
    const q = yOff + i * ys;
    y[q] = accumulate ? y[q]! + alpha * acc : alpha * acc;
  }
}

function gemmSmall(
  M: number,
  N: number,
  K: number,
  a: TypedArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: TypedArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: TypedArray,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0, pa = aOff + i * aRs, pb = bOff + j * bCs; k < K; k++, pa += aCs, pb += bRs) acc += a[pa]! * b[pb]!;
      const q = cOff + i * ldc + j;
      c[q] = accumulate ? c[q]! + alpha * acc : alpha * acc;
    }
  }
}
