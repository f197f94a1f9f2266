/**
 * Atomics.waitAsync that keeps the event loop alive while it waits.
 *
 * A pending waitAsync holds no handle: if every worker has exited (Ctrl-C terminated them) while
 * the main thread awaits one, Node finds its loop empty and leaves with exit code 13 ("unsettled
 * top-level await") instead of finishing the report. A timer for the same span holds the loop.
 */
export async function waitAsyncAlive(cells: Int32Array, index: number, value: number, ms: number): Promise<void> {
  const wait = Atomics.waitAsync(cells, index, value, ms);
  if (!wait.async) return;
  const keepAlive = setTimeout(() => undefined, ms);
  try {
    await wait.value;
  } finally {
    clearTimeout(keepAlive);
  }
}
