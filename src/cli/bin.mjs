#!/usr/bin/env node
// The `kiln` command (package.json "bin"). It registers tsx so that kiln and users' scripts run
// as TypeScript directly, maps the bare specifier "kiln" to this copy of kiln (so a script's
// `import ... from "kiln"` and the CLI share one module instance, one compiler and its events),
// then runs the command line in src/cli/main.ts.
import { register } from "node:module";

await import("tsx/esm");
register("./resolve-kiln.mjs", import.meta.url);
await import("./main.ts");
