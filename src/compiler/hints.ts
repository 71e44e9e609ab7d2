// Reasons and hints for each graph-break type: what happened and how to rewrite the code.
import type { AccessKind } from "../core/hooks.js";
import type { GraphBreakType } from "./errors.js";

export const BREAK_FOR_ACCESS: Record<AccessKind, GraphBreakType> = {
  item: "tensor-item",
  data: "tensor-data-access",
  primitive: "tensor-to-primitive",
  print: "tensor-print",
};

export function reasonForAccess(access: AccessKind, shape: readonly number[]): string {
  const what = `a tensor of shape [${shape.join(", ")}] computed in the graph`;
  switch (access) {
    case "item":
      return `item() needs the value of ${what}`;
    case "data":
      return `the elements of ${what} were read (tolist(), toArray() or another read of values)`;
    case "primitive":
      return `${what} was converted to a JavaScript primitive (a comparison, arithmetic with numbers, Number() or string concatenation)`;
    case "print":
      return `${what} was printed or inspected (console.log, toString or util.inspect)`;
  }
}

export const HINTS: Record<GraphBreakType, string[]> = {
  "explicit-graph-break": ["remove compiler.graphBreak() if the break is not needed"],
  "tensor-item": [
    "keep the value as a 0-d tensor and pass it to ops: they accept tensors wherever they accept numbers",
    "branch with kiln.where(cond, a, b) or kiln.cond(pred, trueFn, falseFn, operands) instead of if (t.item() > 0)",
    "read the value after the compiled function returns",
  ],
  "tensor-data-access": [
    "read values (tolist(), toArray()) after the compiled function returns",
    "wrap code that needs values in compiler.disable, or express it with tensor ops",
  ],
  "tensor-to-primitive": [
    "compare with tensor ops (t.gt(0)) and choose with kiln.where or kiln.cond instead of JavaScript comparisons",
    "keep scalars as 0-d tensors instead of converting them to numbers",
    "call item() outside the compiled function",
  ],
  "tensor-print": [
    "move printing out of the compiled function",
    "add the console method to compiler.config.reorderableLoggingFunctions to print after the graph runs without a break",
  ],
  "data-dependent-shape": [
    "use a fixed-shape formulation, e.g. kiln.where(mask, x, 0) instead of x.maskedSelect(mask) or nonzero()",
  ],
  "unsupported-op": ["rewrite the code without the unsupported operation, or wrap it in compiler.disable"],
  "custom-op-without-fake": [
    "register a fake implementation with op.registerFake(fn); it builds outputs with kiln.emptyLike and friends",
  ],
  "disabled-function": [
    "remove compiler.disable if the function can be traced",
    "use compiler.nonstrictTrace for a pure function whose graph breaks can be ignored",
  ],
};
