// `kiln run script.ts|js [args...]`: runs a user's script in this process, with kiln's logs on and
// the compiler's events recorded, then writes the HTML report and prints a summary.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Session, summarize, writeReport } from "./session.js";

export interface RunOptions {
  logs: string;
  /** Report path, or false for none. */
  report: string | false;
  /** Print the summary (default true). */
  summary?: boolean;
}

function describeError(e: unknown): string {
  return e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
}

/** Whether Node loads `path` as an ES module (.mjs/.mts, or a package whose "type" is "module"). */
export function isEsModule(path: string): boolean {
  const ext = extname(path);
  if (ext === ".mjs" || ext === ".mts") return true;
  if (ext === ".cjs" || ext === ".cts") return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, "utf8")) as { type?: string }).type === "module";
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Runs the script. The report is written when the script is done: when its module has finished
 * evaluating and the event loop is empty (timers and promises it started included), or at
 * process.exit() if it calls that.
 */
export async function runScript(script: string, scriptArgs: string[], options: RunOptions): Promise<void> {
  const path = resolve(script);
  if (!existsSync(path)) {
    process.stderr.write(`kiln run: no such file: ${script}\n`);
    process.exitCode = 2;
    return;
  }
  const session = new Session({
    title: `kiln run ${basename(path)}`,
    command: ["kiln", "run", script, ...scriptArgs].join(" "),
    logs: options.logs,
  });
  let error: unknown;
  let failed = false;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    session.stop();
    const data = session.data(failed ? { error: describeError(error) } : {});
    if (options.summary ?? true) process.stderr.write(`\nkiln: ${summarize(data).replaceAll("\n", "\nkiln: ")}\n`);
    if (options.report !== false) {
      const file = writeReport(data, options.report);
      process.stderr.write(`kiln: report written to ${file}\n`);
    }
  };
  process.on("uncaughtExceptionMonitor", (e) => {
    failed = true;
    error = e;
  });
  process.once("exit", finish);
  // A script that never ends (a server, a watcher) gets its report on Ctrl-C.
  process.once("SIGINT", () => {
    finish();
    process.exit(130);
  });
  // The script sees itself as the program: process.argv[1] is its path.
  process.argv = [process.argv[0]!, path, ...scriptArgs];
  try {
    await import(pathToFileURL(path).href);
  } catch (e) {
    failed = true;
    error = e;
    process.stderr.write(`${describeError(e)}\n`);
    if (!isEsModule(path)) {
      process.stderr.write(
        `kiln run: ${script} is loaded as CommonJS. Scripts for kiln are ES modules: name the file .mts or .mjs, or run it from a folder whose package.json has "type": "module".\n`,
      );
    }
    process.exitCode = 1;
  }
  process.once("beforeExit", finish);
}
