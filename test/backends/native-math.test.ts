// The native target's vectorisable math (src/backends/native/runtime/kiln_math.hpp): compiles the
// developer check runtime/test_math.cpp with the native build's flags and runs its check mode,
// which measures every kn:: function (float and double) against long double references over dense
// ranges and special values, and exits non-zero when one exceeds its tolerance in ulp.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const hasGpp = spawnSync("g++", ["--version"]).status === 0;
const runtime = join(dirname(fileURLToPath(import.meta.url)), "../../src/backends/native/runtime");
// The flags of the native build (src/backends/native/build.ts), less -shared/-fPIC.
const FLAGS = ["-O3", "-march=native", "-fopenmp-simd", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"];

describe("kiln_math.hpp", () => {
  it.skipIf(!hasGpp)("every function is within its ulp tolerance, specials included (skipped without g++)", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-math-"));
    try {
      const exe = join(dir, "test_math");
      const cc = spawnSync("g++", [...FLAGS, "-o", exe, join(runtime, "test_math.cpp")], { encoding: "utf8", timeout: 120_000 });
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync(exe, ["check"], { encoding: "utf8", timeout: 120_000 });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain("all within tolerance");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
