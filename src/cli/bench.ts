// `kiln bench [filter]`: runs the repository's benchmarks (bench/run.ts) and prints its table.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError } from "./errors.js";

export async function runBench(filter: string | undefined): Promise<void> {
  const runner = fileURLToPath(new URL("../../bench/run.ts", import.meta.url));
  if (!existsSync(runner)) throw new CliError(`the benchmarks are not in this copy of kiln (looked for ${runner})`);
  // bench/run.ts reads its filter from process.argv[2], as under `npm run bench [filter]`.
  process.argv = [process.argv[0]!, runner, ...(filter ? [filter] : [])];
  await import(pathToFileURL(runner).href);
}
