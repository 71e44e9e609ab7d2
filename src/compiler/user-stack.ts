// Finding the user's code in a stack trace: kiln's own frames, Node internals and dependencies
// are removed, leaving `path:line:column` of user code, innermost first. Under tsx, vitest or
// `node --enable-source-maps` the positions are already those of the TypeScript source.

const libraryRoot = (() => {
  try {
    const url = new URL("../..", import.meta.url);
    return url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
  } catch {
    return "";
  }
})();

function isLibraryFrame(location: string): boolean {
  if (location.startsWith("node:") || location.includes("node_modules") || location.startsWith("internal/")) return true;
  if (!libraryRoot) return false;
  return location.startsWith(libraryRoot + "src/") || location.startsWith(libraryRoot + "dist/");
}

/** Parses one V8 stack line into `path:line:column`, or null. */
function frameLocation(line: string): string | null {
  const m = /\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/.exec(line.trim());
  if (!m) return null;
  let loc = m[1]!;
  if (loc.startsWith("file://")) loc = decodeURIComponent(loc.slice(7));
  return loc;
}

/** User frames of the current stack, innermost first. */
export function captureUserStack(): string[] {
  const prevLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = prevLimit;
  const out: string[] = [];
  for (const line of stack.split("\n").slice(1)) {
    const loc = frameLocation(line);
    if (loc && !isLibraryFrame(loc)) out.push(loc);
  }
  return out;
}
