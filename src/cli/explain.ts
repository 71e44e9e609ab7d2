// `kiln explain script.ts --fn name [--args json]`: compiler.explain for one export of a script.
//
// The export is either a function, called with the `--args` values, or an object
// `{ fn, args }` whose `args` (an array, or a function returning one) are the example inputs;
// `--args` overrides them. `--args` is a JSON array: numbers, strings, booleans and null are
// passed as they are; a (nested) array of numbers becomes a float32 tensor; `{"randn": [2, 3]}`,
// `{"rand": shape}`, `{"zeros": shape}`, `{"ones": shape}` and `{"randint": [low, high, shape]}`
// build tensors; `{"tensor": data, "dtype": "int32"}` a tensor of that dtype.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as kiln from "../index.js";
import { compiler } from "../index.js";
import type { DType } from "../index.js";
import { CliError } from "./errors.js";

export interface ExplainOptions {
  fn: string;
  args?: string;
  graphs?: boolean;
  json?: boolean;
}

function isNumberArray(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number" || isNumberArray(x));
}

/** Turns one `--args` JSON value into an argument. */
export function argumentFromJson(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return isNumberArray(v) ? kiln.tensor(v as number[], { dtype: "float32" }) : v.map(argumentFromJson);
  const o = v as Record<string, unknown>;
  const shape = (x: unknown) => x as number[];
  if ("randn" in o) return kiln.randn(shape(o.randn));
  if ("rand" in o) return kiln.rand(shape(o.rand));
  if ("zeros" in o) return kiln.zeros(shape(o.zeros));
  if ("ones" in o) return kiln.ones(shape(o.ones));
  if ("randint" in o) {
    const [low, high, size] = o.randint as [number, number, number[]];
    return kiln.randint(low, high, size);
  }
  if ("tensor" in o) return kiln.tensor(o.tensor as number[], { dtype: (o.dtype as DType | undefined) ?? "float32" });
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, argumentFromJson(x)]));
}

export async function explainScript(script: string, options: ExplainOptions): Promise<void> {
  const path = resolve(script);
  if (!existsSync(path)) throw new CliError(`no such file: ${script}`);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const target = mod[options.fn];
  if (target === undefined) {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function" || (typeof mod[k] === "object" && mod[k] !== null && "fn" in (mod[k] as object)));
    throw new CliError(`${script} has no export named "${options.fn}"${names.length ? `; its function exports: ${names.join(", ")}` : ""}`);
  }
  let fn: (...a: unknown[]) => unknown;
  let args: unknown[] = [];
  if (typeof target === "function") fn = target as (...a: unknown[]) => unknown;
  else if (typeof target === "object" && target !== null && typeof (target as { fn?: unknown }).fn === "function") {
    const t = target as { fn: (...a: unknown[]) => unknown; args?: unknown[] | (() => unknown[] | Promise<unknown[]>) };
    fn = t.fn;
    args = typeof t.args === "function" ? await t.args() : (t.args ?? []);
  } else throw new CliError(`export "${options.fn}" is neither a function nor an object { fn, args }`);
  if (options.args !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(options.args);
    } catch (e) {
      throw new CliError(`--args is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new CliError(`--args must be a JSON array of arguments, got ${options.args}`);
    args = parsed.map(argumentFromJson);
  }
  const out = compiler.explain(fn)(...args);
  if (options.json) {
    const { graphCount, graphBreakCount, breakReasons, opCount, opsPerGraph } = out;
    const json: Record<string, unknown> = { graphCount, graphBreakCount, breakReasons, opCount, opsPerGraph };
    if (options.graphs) json.graphs = out.graphs.map((g) => g.toString());
    process.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return;
  }
  process.stdout.write(`${out.toString()}\n`);
  if (options.graphs) out.graphs.forEach((g, i) => process.stdout.write(`\n--- graph ${i} ---\n${g.toString()}\n`));
}
