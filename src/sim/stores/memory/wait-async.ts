/**
 * Atomics.waitAsync that keeps the event loop alive while it waits.
 *
 * A pending waitAsync holds no handle: if every worker has exited (Ctrl-C terminated them) while
 * the main thread awaits one, Node finds its loop empty and leaves with exit code 13 ("unsettled
 * top-level await") instead of finishing the report. A ref'd interval holds the loop until the
 * wait settles. (Not a timer for the same span: it can fire just before V8 settles the wait's
 * own timeout, and the loop is empty again for that moment: 4 exits of 40 did that.) Same idea as
 * src/sync's pumps.
 */
const HOLD_MS = 2 ** 30; // never fires: only its handle matters

export async function waitAsyncAlive(cells: Int32Array, index: number, value: number, ms: number): Promise<void> {
  const wait = Atomics.waitAsync(cells, index, value, ms);
  if (!wait.async) return;
  const keepAlive = setInterval(() => undefined, HOLD_MS);
  try {
    await wait.value;
  } finally {
    clearInterval(keepAlive);
  }
}
