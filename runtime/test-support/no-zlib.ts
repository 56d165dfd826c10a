/** Tests of edge runtimes, where `node:zlib` is missing and packing goes through CompressionStream. */
import { vi } from "vitest";

/**
 * Runs `fn` where `process.getBuiltinModule("node:zlib")` finds nothing; `fn` imports what it tests
 * again (`await import(...)`): the module graph is fresh, so compress.ts looks for node:zlib anew.
 */
export async function withoutNodeZlib<T>(fn: () => Promise<T>): Promise<T> {
  const original = process.getBuiltinModule.bind(process);
  const spy = vi
    .spyOn(process, "getBuiltinModule")
    .mockImplementation(((id: string) => (id === "node:zlib" ? undefined : original(id))) as never);
  vi.resetModules();
  try {
    return await fn();
  } finally {
    spy.mockRestore();
    vi.resetModules();
  }
}
