import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    // Test mode: fresh output buffers of compiled graphs start as garbage, so an element a
    // generated kernel fails to write shows up as a wrong result.
    env: { KILN_POISON_OUTPUTS: "1" },
  },
});
