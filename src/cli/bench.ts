// `kiln bench [filter ...]`: runs the repository's benchmarks (bench/run.ts) and prints its table.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError } from "./errors.js";

export async function runBench(filters: readonly string[]): Promise<void> {
  const runner = fileURLToPath(new URL("../../bench/run.ts", import.meta.url));
  if (!existsSync(runner)) throw new CliError(`the benchmarks are not in this copy of kiln (looked for ${runner})`);
  // bench/run.ts reads its filters from process.argv, as under `npm run bench [filter ...]`.
  process.argv = [process.argv[0]!, runner, ...filters];
  await import(pathToFileURL(runner).href);
}
