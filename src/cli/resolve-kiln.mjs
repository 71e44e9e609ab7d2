// Module resolution hook of the `kiln` command: `import ... from "kiln"` in a user's script
// resolves to the kiln entry point the CLI itself uses (src/index.ts), whatever copy of kiln the
// script's folder would otherwise find, so both share one module instance.
const entry = new URL("../index.ts", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "kiln") return nextResolve(entry, context);
  return nextResolve(specifier, context);
}
