/// <reference types="vite/client" />
// The op test cases of every family, run through compile() with each built-in backend: results
// must match the same expectations as eager runs.
import { describe, expect, it } from "vitest";
import { compile, compiler, Tensor } from "../../src/index.js";
import { checkCase, type CaseResult, type OpCase } from "../helpers/op-cases.js";

const modules = import.meta.glob<Record<string, unknown>>("../ops/cases/*.ts", { eager: true });

function isOpCaseList(v: unknown): v is OpCase[] {
  return Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === "object" && c !== null && typeof (c as OpCase).run === "function" && "expected" in (c as object));
}

const families: [string, OpCase[]][] = [];
for (const [path, mod] of Object.entries(modules)) {
  for (const [name, value] of Object.entries(mod)) {
    if (isOpCaseList(value)) families.push([`${path.split("/").pop()}:${name}`, value]);
  }
}

describe("op cases through compile()", () => {
  it("found the op case lists", () => {
    expect(families.length).toBeGreaterThan(0);
  });
  for (const backend of ["eager", "js", "default"] as const) {
    for (const [family, cases] of families) {
      describe(`${family} (${backend} backend)`, () => {
        for (const c of cases) {
          it(c.name, () => {
            compiler.reset();
            checkCase(c, compile(c.run, { backend })());
          });
        }
      });
    }
  }
});

/** The case's tensors copied by one more op, so the op's own outputs stay inside the graph. */
function copied(r: CaseResult): CaseResult {
  if (r instanceof Tensor) return r.clone();
  if (Array.isArray(r)) return r.map((t) => t.clone());
  return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.clone()]));
}

// Values that stay inside a compiled graph are written into buffers the graph keeps from call to
// call (poisoned when made, in test mode): every kernel must write all of its outputs, and must
// not rely on them starting at zero. The second call reuses the first call's buffers.
describe("op cases through compile(), results used inside the graph (default backend)", () => {
  for (const [family, cases] of families) {
    describe(family, () => {
      for (const c of cases) {
        it(c.name, () => {
          compiler.reset();
          const f = compile(() => copied(c.run()), { backend: "default" });
          checkCase(c, f());
          checkCase(c, f());
        });
      }
    });
  }
});
