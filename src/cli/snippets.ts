// Reads the user source lines around graph-break locations for the report (Node only).
import { readFileSync } from "node:fs";
import { parseLocation, snippetFromText, type SourceSnippet } from "../report/model.js";

/** Snippets for the given `path:line:column` locations; unreadable files are skipped. */
export function readSnippets(locations: Iterable<string>, context = 3): Record<string, SourceSnippet> {
  const files = new Map<string, string | null>();
  const out: Record<string, SourceSnippet> = {};
  for (const location of locations) {
    const loc = parseLocation(location);
    if (!loc) continue;
    let text = files.get(loc.file);
    if (text === undefined) {
      try {
        text = readFileSync(loc.file, "utf8");
      } catch {
        text = null;
      }
      files.set(loc.file, text);
    }
    if (text === null) continue;
    const s = snippetFromText(text, location, context);
    if (s) out[location] = s;
  }
  return out;
}
