import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public name; point it at the sources so no build is needed.
    alias: [
      { find: /^satchel$/, replacement: here("./runtime/index.ts") },
      { find: /^satchel\/next$/, replacement: here("./runtime/next/index.ts") },
      { find: /^satchel\/internal$/, replacement: here("./runtime/internal.ts") },
      { find: /^satchel\/import$/, replacement: here("./runtime/import/index.ts") },
      { find: /^satchel\/stores\/(.*)$/, replacement: here("./runtime/stores/$1.ts") },
    ],
  },
  test: {
    include: [
      "runtime/**/*.test.ts",
      "generator/**/*.test.ts",
      "bench/**/*.test.ts",
      "examples/**/*.test.ts",
      "scripts/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/.next/**", "**/dist/**"],
    // Hang guards, not speed limits: suites spawn real servers, Next builds and CLI processes, and must
    // pass on a busy 2-core machine. Timing belongs in `npm run bench`.
    testTimeout: 300_000,
    hookTimeout: 900_000,
    // Store suites talk to shared real servers; keep files from stepping on each other's keys.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
