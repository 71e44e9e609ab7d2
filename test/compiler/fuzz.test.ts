import { describe, expect, it, vi } from "vitest";
import { compile, compiler } from "../../src/index.js";
import { compareRuns, generate, makeInputs, run } from "./fuzz-programs.js";

describe("compiler fuzz: random programs run eagerly and compiled agree", () => {
  it("200 fixed seeds", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    let breaks = 0;
    try {
      for (let seed = 1; seed <= 200; seed++) {
        const p = generate(seed);
        const eager = run(p, makeInputs(p, seed));
        const before = compiler.stats().graphBreaks;
        const compiled = compile((...xs: ReturnType<typeof makeInputs>) => run(p, xs))(...makeInputs(p, seed));
        breaks += compiler.stats().graphBreaks - before;
        const diff = compareRuns(eager, compiled);
        expect(diff, `seed ${seed}: ${JSON.stringify(p.steps)}`).toBeNull();
      }
    } finally {
      spy.mockRestore();
    }
    expect(breaks).toBeGreaterThan(50);
    // With an empty native build cache every graph is compiled by the C++ compiler first.
  }, 900_000);
});
