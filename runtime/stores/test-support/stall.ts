/**
 * Blocks this thread (as a long synchronous task, a GC pause or a starved CPU does) until `done()`,
 * from a check-phase callback: the event loop's next steps are then its due timers, and only after
 * them the I/O that arrived meanwhile. What a store's deadline sees after such a stall.
 */
export function stallAfterIo(done: () => boolean): Promise<void> {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return new Promise((resumed) =>
    setImmediate(() => {
      while (!done()) Atomics.wait(cell, 0, 0, 2);
      resumed();
    }),
  );
}
