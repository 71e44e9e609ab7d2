import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    // Test mode: fresh output buffers of compiled graphs start as garbage, so an element a
    // generated kernel fails to write shows up as a wrong result.
    // KILN_NATIVE_MIN_ELEMENTS=0: every kernel runs natively, however small (not only large ones).
    // KILN_NATIVE_PARALLEL_MIN=0: and splits its work across the thread pool in small pieces.
    env: { KILN_POISON_OUTPUTS: "1", KILN_NATIVE_MIN_ELEMENTS: "0", KILN_NATIVE_PARALLEL_MIN: "0" },
  },
});
