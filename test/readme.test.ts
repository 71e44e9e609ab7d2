// Every TypeScript code block of the README runs, as a user would run it, and exits cleanly.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(tmpdir(), "kiln-readme-"));
const withLocalImports = (code: string) => code.replaceAll('from "kiln"', `from ${JSON.stringify(join(root, "src/index.js"))}`);

describe("README code blocks", () => {
  it("has code blocks", () => expect(blocks.length).toBeGreaterThanOrEqual(4));
  it("type-checks under strict TypeScript", () => {
    const files = blocks.map((code, i) => {
      const file = join(dir, `typed${i + 1}.ts`);
      writeFileSync(file, withLocalImports(code) + "\nexport {};\n");
      return file;
    });
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const args = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "--types", "node", "--typeRoots", join(root, "node_modules/@types"), ...files];
    const r = spawnSync(process.execPath, [tsc, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
  blocks.forEach((code, i) => {
    it(`block ${i + 1} runs`, () => {
      const file = join(dir, `block${i + 1}.ts`);
      writeFileSync(file, withLocalImports(code));
      const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8", timeout: 120_000 });
      expect(r.stderr.replace(/\[kiln:warnings\][^\n]*\n/g, ""), `stderr of block ${i + 1}`).not.toMatch(/Error|error TS/);
      expect(r.status, r.stderr).toBe(0);
    });
  });
});
