// The `kiln` command line (run through src/cli/bin.mjs). Commands: run, explain, bench, demo.
import { Command, InvalidArgumentError, Option } from "commander";
import { runBench } from "./bench.js";
import { CliError } from "./errors.js";
import { explainScript } from "./explain.js";
import { runScript } from "./run.js";
import { LOG_CATEGORIES, parseLogSpec } from "./session.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError("expected a positive number");
  return n;
}

function logSpec(value: string): string {
  try {
    parseLogSpec(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

const program = new Command();
program
  .name("kiln")
  .description("kiln: a PyTorch-style tensor library for TypeScript with a graph-capturing JIT compiler")
  .enablePositionalOptions()
  .showHelpAfterError();

program
  .command("run")
  .description("run a script (TypeScript or JavaScript) with kiln's logs on and write a compile report")
  .argument("<script>", "the script to run; it imports kiln as \"kiln\" or by a relative path")
  .argument("[args...]", "arguments for the script (its process.argv.slice(2)); put them after --")
  .option("--logs <categories>", `log categories, comma-separated: ${LOG_CATEGORIES.join(", ")}, all or none`, logSpec, "graph_breaks,recompiles")
  .option("--report <file>", "where to write the HTML compile report", "kiln-report.html")
  .option("--no-report", "do not write a report")
  .option("--no-summary", "do not print the summary at the end")
  .action(async (script: string, args: string[], opts: { logs: string; report: string | false; summary: boolean }) => {
    await runScript(script, args, { logs: opts.logs, report: opts.report, summary: opts.summary });
  });

program
  .command("explain")
  .description("print what compiler.explain says about one export of a script")
  .argument("<script>", "the script; importing it runs its top-level code")
  .requiredOption("--fn <name>", "the export: a function, or an object { fn, args } with example arguments")
  .option("--args <json>", 'arguments as a JSON array, e.g. \'[{"randn":[4,8]}, [[1,2],[3,4]], 3]\'')
  .option("--graphs", "also print every graph's code")
  .option("--json", "print JSON instead of text")
  .action(async (script: string, opts: { fn: string; args?: string; graphs?: boolean; json?: boolean }) => {
    await explainScript(script, opts);
  });

program
  .command("bench")
  .description("run the benchmarks and print the table")
  .argument("[filters...]", 'keep benchmarks whose name contains any of these texts ("!text" drops those containing text)')
  .action(async (filters: string[]) => {
    await runBench(filters);
  });

program
  .command("demo")
  .description("train a digit classifier on MNIST with compile() and compare it with eager mode (npm start)")
  .option("--steps <n>", "training steps", positiveInt, 600)
  .option("--hidden <n>", "hidden units of the model (its size)", positiveInt, 128)
  .option("--batch <n>", "batch size", positiveInt, 64)
  .option("--lr <x>", "learning rate (AdamW)", positiveNumber, 2e-3)
  .addOption(new Option("--mode <mode>", "how the training loop runs").choices(["compiled", "eager"]).default("compiled"))
  .option("--compare-steps <n>", "timed steps of each mode for the compiled-vs-eager comparison (0 to skip)", (v) => (v === "0" ? 0 : positiveInt(v)), 20)
  .option("--train-size <n>", "training images (of 10000; the rest, up to --test-size, are the test set)", positiveInt, 8000)
  .option("--test-size <n>", "test images", positiveInt, 2000)
  .option("--report <file>", "also write an HTML compile report of the run")
  .option("--show-graphs", "print the code of the training step's graphs")
  .option("--seed <n>", "random seed", (v) => Number(v), 0)
  .action(async (opts) => {
    const { runDemo } = await import("./demo.js");
    await runDemo(opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CliError) process.stderr.write(`kiln: ${e.message}\n`);
  else process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
