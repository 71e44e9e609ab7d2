// module.compile(options): compiles a module's forward in place (SPEC §1). Installed on
// nn.Module from the compiler layer, which sits above nn.
import { Module } from "../nn/module.js";
import { compileModuleInPlace } from "./compile.js";
import type { CompileOptions } from "./state.js";

declare module "../nn/module.js" {
  interface Module {
    /** Compiles this module's forward in place: later `forward(...)` calls run compiled. */
    compile(options?: CompileOptions): void;
  }
}

Object.defineProperty(Module.prototype, "compile", {
  value: function (this: Module, options: CompileOptions = {}): void {
    compileModuleInPlace(this, options);
  },
  writable: true,
  configurable: true,
});
