// Finds line numbers of marker comments in a test file, so break locations can be asserted.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** 1-based line of the first line containing `marker` in the file at `url`. */
export function lineOf(url: string, marker: string): number {
  const lines = readFileSync(fileURLToPath(url), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not found`);
  return i + 1;
}
