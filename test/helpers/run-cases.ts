// Runs op cases eagerly and gradient cases through gradcheck.
import { describe, expect, it } from "vitest";
import { gradcheck } from "../../src/index.js";
import { checkCase, type GradCase, type OpCase } from "./op-cases.js";

export function runOpCases(title: string, cases: OpCase[]): void {
  describe(title, () => {
    for (const c of cases) it(c.name, () => checkCase(c, c.run()));
  });
}

export function runGradCases(title: string, cases: GradCase[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        expect(gradcheck(c.fn, c.inputs(), { atol: c.atol, rtol: c.rtol })).toBe(true);
      });
    }
  });
}
