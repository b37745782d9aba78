/**
 * Waiting for a condition or an event, never for a fixed time: `until` polls a condition (the
 * one poll interval of the tests lives here), `poll` waits for a value, `output` waits for a
 * child process to print something. Each throws after its deadline, naming what it waited for.
 */
import type { ChildProcess } from 'node:child_process';

/** How often a condition is looked at again. */
const POLL_MS = 10;

/** Resolves once `cond` holds (looked at every `intervalMs`); throws after `timeoutMs` naming `what`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = POLL_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The first value `fn` gives that is not undefined (errors count as not yet), asked every 250 ms
 * (it is usually an HTTP query to a real server); throws after `timeoutMs` with the last error
 * and `log()`.
 */
export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, log: () => string = () => ''): Promise<T> {
  let last: unknown;
  let value: T | undefined;
  try {
    await until(what, async () => {
      try {
        value = await fn();
      } catch (err) {
        last = err;
        value = undefined;
      }
      return value !== undefined;
    }, timeoutMs, 250);
  } catch {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${log()}`);
  }
  return value as T;
}

/**
 * Resolves when `text()` (the child's output so far, kept by the caller) includes `wanted`,
 * looking again each time the child prints; throws when the child exits first or after
 * `timeoutMs`.
 */
export function output(child: ChildProcess, text: () => string, wanted: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (text().includes(wanted)) finish();
      else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`the process exited (${child.exitCode ?? child.signalCode}) before printing ${JSON.stringify(wanted)}:\n${text()}`));
    };
    const guard = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(wanted)}:\n${text()}`)), timeoutMs);
    // After the caller's own listeners (registered first), so text() already holds the chunk.
    const onData = () => check();
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', check);
    function finish(err?: Error) {
      clearTimeout(guard);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', check);
      if (err) reject(err);
      else resolve();
    }
    check();
  });
}
