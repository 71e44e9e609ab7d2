/// <reference types="vite/client" />
// The op test cases of every family, run through compile() with each built-in backend: results
// must match the same expectations as eager runs.
import { describe, expect, it } from "vitest";
import { compile, compiler } from "../../src/index.js";
import { checkCase, type OpCase } from "../helpers/op-cases.js";

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
