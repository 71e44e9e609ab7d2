// The native target of the default backend: the kernels of a graph's schedule rendered to C++
// (render-cpp.ts), compiled together as one shared library (build.ts: disk cache, koffi) and
// called with the tensors' buffers as pointers. Kernels or layouts it cannot render keep their
// JavaScript kernels. Builds run synchronously or in the background (`setNativeBuildMode`); while
// a background build runs, the JavaScript kernels run.
import { envNumber, envVar } from "../../core/env.js";
import type { TypedArray } from "../../core/dtype.js";
import { log } from "../../compiler/logs.js";
import type { KernelFn, KernelTarget, TargetModule } from "../codegen/index.js";
import type { KernelPlan } from "../codegen/plan.js";
import type { Kernel } from "../codegen/schedule.js";
import { buildLibrary, buildLibraryInBackground, nativeAvailable, nativeBuildMode, PRELUDE_HEADER, unavailableReason, type NativeLibrary, type PendingBuild } from "./build.js";
import { loadedNativeGemm, nativeRuntime } from "./gemm.js";
import { bindToRuntime, RUNTIME_BINDING_SOURCE } from "./threads.js";
import { cppKernelName, cppMeta, cppVariantKey, renderCppKernel } from "./render-cpp.js";

export { nativeBuildMode, setNativeBuildMode, type NativeBuildMode } from "./build.js";

const HEADER = `#include "${PRELUDE_HEADER}"\n${RUNTIME_BINDING_SOURCE}`;

/** Binds a generated library to the runtime's thread pool if the runtime is usable yet. */
function adopt(lib: NativeLibrary): NativeLibrary {
  const runtime = nativeRuntime();
  if (runtime) bindToRuntime(lib, runtime);
  else unbound.add(lib);
  return lib;
}
/**
 * Libraries loaded before the runtime (its background build still running): their loops run on
 * the calling thread until `changed()` finds the runtime and binds them.
 */
const unbound = new Set<NativeLibrary>();
function bindWaiting(): void {
  if (unbound.size === 0) return;
  const runtime = nativeRuntime();
  if (!runtime) return;
  for (const lib of unbound) bindToRuntime(lib, runtime);
  unbound.clear();
}

interface Rendered {
  kernel: Kernel;
  key: string;
  name: string;
  source: string;
  pointers: number;
  epilogue: boolean;
}

function tryRender(kernel: Kernel, plan: KernelPlan): Rendered | string {
  try {
    const r = renderCppKernel(kernel, plan.variant);
    return { kernel, key: cppVariantKey(plan.variant), name: r.name, source: r.source, pointers: r.pointers, epilogue: r.epilogue };
  } catch (e) {
    return (e as Error).message;
  }
}

/** A build whose failure (a compiler problem, never the user's) leaves the JavaScript kernels running. */
function tryBuild(name: string, source: string): NativeLibrary | null {
  try {
    return adopt(buildLibrary(name, source));
  } catch (e) {
    log("warnings", `native build failed, the JavaScript kernels run instead: ${(e as Error).message}`);
    return null;
  }
}

/**
 * Kernels over fewer elements than this run in JavaScript: a call through koffi costs about 1 µs,
 * more than a small JavaScript loop. KILN_NATIVE_MIN_ELEMENTS overrides it (the tests use 0 so
 * every kernel of the test suite runs natively).
 */
const minElements = envNumber("KILN_NATIVE_MIN_ELEMENTS", 4096);

/** KILN_NATIVE_EPILOGUES=0 runs every kernel after its matrix product, never inside it (for comparisons). */
let epilogues = envVar("KILN_NATIVE_EPILOGUES") !== "0";

/**
 * Whether graphs compiled from now on run kernels as their products' epilogues (benchmarks
 * compare both in one process); returns the previous setting.
 */
export function setEpilogueFusion(on: boolean): boolean {
  const prev = epilogues;
  epilogues = on;
  return prev;
}

const metaOf = new WeakMap<KernelPlan, Int32Array | null>();

/**
 * The JS-callable kernel (or with `entry` "_epilogue", the call that arms it as its product's
 * epilogue): writes this call's offsets into the plan's meta array and calls the library.
 */
function bind(lib: NativeLibrary, r: Rendered, plan: KernelPlan, entry = ""): KernelFn | null {
  let meta = metaOf.get(plan);
  if (meta === undefined) {
    meta = cppMeta(r.pointers, plan);
    metaOf.set(plan, meta);
  }
  if (!meta) return null;
  const m = meta;
  const n = r.pointers;
  const f = lib.func(`void ${r.name}${entry}(${[...Array.from({ length: n }, (_, i) => `void* P${i}`), "int32_t* M"].join(", ")})`);
  const args: (TypedArray | Int32Array | null)[] = new Array(n + 1).fill(null);
  args[n] = m;
  return (D: TypedArray[], O: number[]) => {
    for (let j = 0; j < n; j++) {
      args[j] = D[j] ?? null;
      m[j] = O[j] ?? 0;
    }
    f(...args);
  };
}

class NativeModule implements TargetModule {
  code: string;
  private lib: NativeLibrary | null = null;
  private pending: PendingBuild | null = null;
  private readonly byKey = new Map<string, Rendered>();
  private extra = new Map<string, { lib: NativeLibrary | null; pending: PendingBuild | null; r: Rendered }>();
  private dirty = false;

  constructor(items: { kernel: Kernel; plan: KernelPlan }[]) {
    const rendered: Rendered[] = [];
    const skipped: string[] = [];
    for (const { kernel, plan } of items) {
      if (plan.on * plan.rn < minElements) continue; // runs in JavaScript (see minElements)
      const r = tryRender(kernel, plan);
      if (typeof r === "string") skipped.push(`// kernel ${kernel.id} stays in JavaScript: ${r}`);
      else rendered.push(r);
    }
    for (const r of rendered) this.byKey.set(`${r.kernel.id}:${r.key}`, r);
    const source = HEADER + rendered.map((r) => r.source).join("\n\n") + "\n";
    this.code = `// native module (C++)\n${skipped.join("\n")}${skipped.length ? "\n" : ""}${source}`;
    if (rendered.length === 0) return;
    nativeRuntime(); // in background mode, starts the runtime's build beside this one
    if (nativeBuildMode() === "sync") this.lib = tryBuild("graph", source);
    else {
      this.pending = buildLibraryInBackground("graph", source);
      this.lib = this.pending.poll();
      if (this.lib) {
        adopt(this.lib);
        this.pending = null;
      }
    }
  }

  changed(): boolean {
    bindWaiting();
    if (this.pending) {
      const lib = this.pending.poll();
      if (lib) {
        this.lib = adopt(lib);
        this.pending = null;
        this.dirty = true;
      } else if (this.pending.failed) {
        log("warnings", `native build failed, the JavaScript kernels keep running: ${this.pending.failed.message}`);
        this.pending = null;
      }
    }
    for (const e of this.extra.values()) {
      if (!e.pending) continue;
      const lib = e.pending.poll();
      if (lib) {
        e.lib = adopt(lib);
        e.pending = null;
        this.dirty = true;
      } else if (e.pending.failed) e.pending = null;
    }
    const d = this.dirty;
    this.dirty = false;
    return d;
  }

  prepareOutput(data: TypedArray): void {
    loadedNativeGemm()?.adviseHugePages(data);
  }

  resolve(kernel: Kernel, plan: KernelPlan): KernelFn | null {
    return this.entry(kernel, plan, "");
  }

  resolveEpilogue(kernel: Kernel, plan: KernelPlan): KernelFn | null {
    if (!epilogues || !kernel.epilogue || plan.variant.column || !nativeRuntime()) return null;
    return this.entry(kernel, plan, "_epilogue");
  }

  epilogueRan(): boolean {
    return nativeRuntime()?.epiloguePending() === false;
  }

  /** The kernel's function for this plan (`suffix` "_epilogue": its epilogue arming), or null. */
  private entry(kernel: Kernel, plan: KernelPlan, suffix: string): KernelFn | null {
    if (plan.on * plan.rn < minElements) return null;
    const key = `${kernel.id}:${cppVariantKey(plan.variant)}`;
    const r = this.byKey.get(key);
    if (r) return this.lib && (suffix === "" || r.epilogue) ? bind(this.lib, r, plan, suffix) : null;
    // A layout the module was not built for (dynamic sizes or new strides): a module of its own.
    let e = this.extra.get(key);
    if (!e) {
      const rr = tryRender(kernel, plan);
      if (typeof rr === "string") return null;
      const source = HEADER + rr.source + "\n";
      if (nativeBuildMode() === "sync") e = { lib: tryBuild("kernel", source), pending: null, r: rr };
      else {
        const pending = buildLibraryInBackground("kernel", source);
        e = { lib: pending.poll(), pending: null, r: rr };
        if (e.lib) adopt(e.lib);
        else e.pending = pending;
      }
      this.extra.set(key, e);
    }
    return e.lib && (suffix === "" || e.r.epilogue) ? bind(e.lib, e.r, plan, suffix) : null;
  }
}

export const nativeTarget: KernelTarget = {
  name: "native",
  build: (items) => new NativeModule(items),
};

let announced = false;
/** The native target where a C++ compiler and koffi are usable; otherwise null, with one log line. */
export function availableNativeTarget(): KernelTarget | null {
  if (nativeAvailable()) return nativeTarget;
  if (!announced) {
    announced = true;
    const reason = unavailableReason();
    // Quiet where the JavaScript target is expected: browsers, or native switched off on purpose.
    if (reason !== "not running in Node.js" && reason !== "KILN_NATIVE=0") log("warnings", `native target unavailable (${reason}); the default backend uses the JavaScript target`);
  }
  return null;
}

export { cppKernelName };
