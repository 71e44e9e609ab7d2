// Building and loading native code: finds a C++ compiler (CXX, then g++, then clang++), compiles a
// source into a shared library in an on-disk cache keyed by the code, the flags and the compiler's
// version (so a second process loads instead of compiling), and loads it with koffi, whose calls
// pass TypedArrays to pointer parameters without copying.
import { envVar } from "../../core/env.js";
import { KilnRuntimeError } from "../../core/errors.js";
import { nodeHost, type NodeHost } from "./host.js";

export interface NativeLibrary {
  readonly path: string;
  /** A function of the library from its C prototype (koffi syntax), e.g. `void f(float* x, int64_t n)`. */
  func(signature: string): (...args: unknown[]) => unknown;
}

interface KoffiLib {
  func(signature: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLib;
}

export interface Toolchain {
  compiler: string;
  version: string;
  /**
   * The CPU the code is built for: builds use -march=native, so a library built on one machine
   * may not run on another (an AVX-512 build stops with an illegal instruction elsewhere). Part of
   * every cache key, so a cache directory moved or shared between machines never loads one.
   */
  machine: string;
  flags: string[];
  runtimeDir: string;
  cacheDir: string;
}

/**
 * Flags of every build. No -ffast-math: NaN and infinity must behave as in JavaScript; the two
 * flags below only let the compiler vectorise sqrt and reorder nothing observable. OpenMP only
 * for its simd pragmas (-fopenmp-simd links no libgomp): threads come from the runtime's pool.
 */
const FLAGS = ["-O3", "-march=native", "-fopenmp-simd", "-fPIC", "-shared", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"];

export type NativeBuildMode = "sync" | "background";

let buildMode: NativeBuildMode = envVar("KILN_NATIVE_BUILD") === "background" ? "background" : "sync";

/**
 * How native libraries are built: "sync" (default; the first call of a new graph waits for the
 * C++ compiler, as torch.compile waits for its code generator) or "background" (the first calls
 * run the JavaScript kernels while the compiler runs in another process).
 */
export function setNativeBuildMode(mode: NativeBuildMode): void {
  buildMode = mode;
}
export function nativeBuildMode(): NativeBuildMode {
  return buildMode;
}

let toolchain: Toolchain | null | undefined;
let whyUnavailable = "";
let koffi: Koffi | null = null;

function findCompiler(h: NodeHost): { compiler: string; version: string } | null {
  const candidates = h.env.CXX ? [h.env.CXX] : ["g++", "clang++"];
  for (const c of candidates) {
    const r = h.childProcess.spawnSync(c, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return { compiler: c, version: r.stdout.split("\n")[0]!.trim() };
  }
  return null;
}

function cacheDirOf(h: NodeHost): string {
  if (h.env.KILN_CACHE_DIR) return h.path.resolve(h.env.KILN_CACHE_DIR, "native");
  const base = h.env.XDG_CACHE_HOME || h.path.join(h.os.homedir(), ".cache");
  return h.path.join(base, "kiln", "native");
}

/** The toolchain, or null (and `unavailableReason()` says why) when native code cannot be built here. */
export function nativeToolchain(): Toolchain | null {
  if (toolchain !== undefined) return toolchain;
  const h = nodeHost();
  if (!h) {
    whyUnavailable = "not running in Node.js";
    return (toolchain = null);
  }
  if (h.env.KILN_NATIVE === "0") {
    whyUnavailable = "KILN_NATIVE=0";
    return (toolchain = null);
  }
  try {
    const req = h.module.createRequire(import.meta.url);
    koffi = req("koffi") as Koffi;
  } catch (e) {
    whyUnavailable = `the koffi package did not load (${(e as Error).message.split("\n")[0]})`;
    return (toolchain = null);
  }
  const found = findCompiler(h);
  if (!found) {
    whyUnavailable = h.env.CXX ? `the C++ compiler CXX=${h.env.CXX} did not run` : "no C++ compiler (g++ or clang++) on PATH";
    return (toolchain = null);
  }
  const runtimeDir = h.path.join(h.path.dirname(new URL(import.meta.url).pathname), "runtime");
  const cacheDir = cacheDirOf(h);
  try {
    h.fs.mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    whyUnavailable = `the cache directory ${cacheDir} cannot be created (${(e as Error).message})`;
    return (toolchain = null);
  }
  return (toolchain = { ...found, machine: machineOf(h), flags: FLAGS, runtimeDir, cacheDir });
}

/** The architecture, CPU model and (on Linux) the CPU's feature flags, which -march=native follows. */
function machineOf(h: NodeHost): string {
  let features = "";
  try {
    const info = h.fs.readFileSync("/proc/cpuinfo", "utf8");
    features = /^flags\s*:(.*)$/m.exec(info)?.[1]?.trim() ?? "";
  } catch {
    // Not Linux: the model name has to do.
  }
  return `${process.arch} ${h.os.cpus()[0]?.model ?? ""} ${features}`;
}

/** Whether native code can be built and loaded in this process. */
export function nativeAvailable(): boolean {
  return nativeToolchain() !== null;
}

/** Why native code is unavailable ("" when it is available). */
export function unavailableReason(): string {
  nativeToolchain();
  return whyUnavailable;
}

/** Text of a file of the C++ runtime (src/backends/native/runtime). */
export function runtimeSource(file: string): string {
  const tc = nativeToolchain();
  const h = nodeHost();
  if (!tc || !h) throw new KilnRuntimeError(`native code is unavailable: ${unavailableReason()}`);
  return h.fs.readFileSync(h.path.join(tc.runtimeDir, file), "utf8");
}

let runtimeHeaders: string | null = null;
/** The runtime's headers, part of every cache key (generated code includes them). */
function headersDigest(h: NodeHost, tc: Toolchain): string {
  if (runtimeHeaders !== null) return runtimeHeaders;
  const files = h.fs.readdirSync(tc.runtimeDir).filter((f) => f.endsWith(".hpp")).sort();
  const hash = h.crypto.createHash("sha256");
  for (const f of files) hash.update(f).update(h.fs.readFileSync(h.path.join(tc.runtimeDir, f)));
  return (runtimeHeaders = hash.digest("hex"));
}

const loaded = new Map<string, NativeLibrary>();

export interface BuildStats {
  compiled: number;
  loadedFromDisk: number;
  compileMs: number;
}
/** Counts of this process's builds: libraries compiled, libraries found in the disk cache. */
export const buildStats: BuildStats = { compiled: 0, loadedFromDisk: 0, compileMs: 0 };

/** Where the library for `source` lives in the cache, and whether it is built already. */
export function libraryPath(name: string, source: string): { path: string; built: boolean } {
  const tc = nativeToolchain();
  const h = nodeHost();
  if (!tc || !h) throw new KilnRuntimeError(`native code is unavailable: ${unavailableReason()}`);
  const key = h.crypto.createHash("sha256").update(tc.version).update("\0").update(tc.machine).update("\0").update(tc.flags.join(" ")).update("\0").update(headersDigest(h, tc)).update("\0").update(source).digest("hex").slice(0, 20);
  const path = h.path.join(tc.cacheDir, `${name}-${key}.so`);
  return { path, built: h.fs.existsSync(path) };
}

/** What generated sources include first: the runtime headers, precompiled once per cache. */
export const PRELUDE_HEADER = "kiln_prelude.hpp";
const PRELUDE_TEXT = `#pragma once\n#include <cstdint>\n#include <cmath>\n#include "kiln_js.hpp"\n#include "kiln_parallel.hpp"\n`;

let preludeDir: string | null = null;
/**
 * A directory holding the prelude header and its precompiled form (g++ picks the .gch up when the
 * flags match), which halves the compile time of a small generated module. Built once per cache.
 */
function ensurePrelude(h: NodeHost, tc: Toolchain): string {
  if (preludeDir) return preludeDir;
  const dir = h.path.join(tc.cacheDir, `prelude-${h.crypto.createHash("sha256").update(tc.version).update(tc.machine).update(tc.flags.join(" ")).update(headersDigest(h, tc)).digest("hex").slice(0, 16)}`);
  const header = h.path.join(dir, PRELUDE_HEADER);
  if (!h.fs.existsSync(`${header}.gch`)) {
    h.fs.mkdirSync(dir, { recursive: true });
    if (!h.fs.existsSync(header)) h.fs.writeFileSync(header, PRELUDE_TEXT);
    const tmp = `${header}.${process.pid}.${Math.random().toString(36).slice(2)}.gch`;
    const flags = tc.flags.filter((f) => f !== "-shared");
    const r = h.childProcess.spawnSync(tc.compiler, [...flags, `-I${tc.runtimeDir}`, "-x", "c++-header", header, "-o", tmp], { encoding: "utf8" });
    // Without a precompiled header the builds still work, only slower.
    if (r.status === 0) h.fs.renameSync(tmp, `${header}.gch`);
    else h.fs.rmSync(tmp, { force: true });
  }
  return (preludeDir = dir);
}

function compileArgs(tc: Toolchain, src: string, out: string): string[] {
  const h = nodeHost()!;
  return [...tc.flags, `-I${ensurePrelude(h, tc)}`, `-I${tc.runtimeDir}`, src, "-o", out];
}

function compileError(tc: Toolchain, src: string, stderr: string): KilnRuntimeError {
  const lines = stderr.split("\n").filter((l) => l.includes("error")).slice(0, 8).join("\n");
  return new KilnRuntimeError(`native build failed (${tc.compiler}); source kept at ${src}:\n${lines || stderr.slice(0, 2000)}`);
}

function openLibrary(path: string): NativeLibrary {
  let lib = loaded.get(path);
  if (!lib) {
    const k = koffi!.load(path);
    lib = { path, func: (signature) => k.func(signature) };
    loaded.set(path, lib);
  }
  return lib;
}

/** Compiles `source` (or finds it in the disk cache) and loads it. Synchronous. */
export function buildLibrary(name: string, source: string): NativeLibrary {
  const { path, built } = libraryPath(name, source);
  if (loaded.has(path)) return loaded.get(path)!;
  const tc = nativeToolchain()!;
  const h = nodeHost()!;
  if (built) {
    buildStats.loadedFromDisk++;
    return openLibrary(path);
  }
  // Build under unique names and rename: concurrent processes may build the same library.
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const src = `${tmp}.cpp`;
  h.fs.writeFileSync(src, source);
  const t0 = performance.now();
  const r = h.childProcess.spawnSync(tc.compiler, compileArgs(tc, src, tmp), { encoding: "utf8" });
  buildStats.compileMs += performance.now() - t0;
  if (r.status !== 0) throw compileError(tc, src, r.stderr ?? String(r.error));
  h.fs.renameSync(tmp, path);
  h.fs.rmSync(src, { force: true });
  buildStats.compiled++;
  return openLibrary(path);
}

/** A build running in another process; `poll()` returns the library once it is ready. */
export interface PendingBuild {
  poll(): NativeLibrary | null;
  readonly failed: KilnRuntimeError | null;
}

/**
 * Starts compiling `source` in the background (off the hot path) and returns a handle to poll.
 * Completion is seen by checking for the finished file, so a caller busy in a synchronous loop
 * (a training loop never yields to the event loop) still sees it.
 */
export function buildLibraryInBackground(name: string, source: string): PendingBuild {
  const { path, built } = libraryPath(name, source);
  if (built || loaded.has(path)) {
    const lib = buildLibrary(name, source);
    return { poll: () => lib, failed: null };
  }
  const tc = nativeToolchain()!;
  const h = nodeHost()!;
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const src = `${tmp}.cpp`;
  const errFile = `${tmp}.err`;
  h.fs.writeFileSync(src, source);
  // The shell renames the library into place only after a successful build.
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = `${[tc.compiler, ...compileArgs(tc, src, tmp)].map(q).join(" ")} 2> ${q(errFile)} && mv ${q(tmp)} ${q(path)} && rm -f ${q(src)} ${q(errFile)} || touch ${q(errFile + ".done")}`;
  const child = h.childProcess.spawn("sh", ["-c", cmd], { stdio: "ignore", detached: false });
  child.unref();
  const t0 = performance.now();
  let lib: NativeLibrary | null = null;
  const state: { failed: KilnRuntimeError | null } = { failed: null };
  return {
    get failed() {
      return state.failed;
    },
    poll() {
      if (lib || state.failed) return lib;
      if (h.fs.existsSync(path)) {
        buildStats.compiled++;
        buildStats.compileMs += performance.now() - t0;
        lib = openLibrary(path);
      } else if (h.fs.existsSync(errFile + ".done")) {
        state.failed = compileError(tc, src, h.fs.readFileSync(errFile, "utf8"));
      }
      return lib;
    },
  };
}
