/**
 * Child processes for client tests, run asynchronously: the engine under test lives in this
 * process and must keep answering while the child runs (spawnSync would deadlock it).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { until as untilHolds } from '../helpers/wait.ts';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout contains `text`; rejects if the process ends first or after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  done: Promise<Finished>;
}

/** Every process a test file started, so a failing test cannot leave one behind. */
const started = new Set<ChildProcess>();

export function start(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, stdin: 'ignore' | 'pipe' = 'ignore'): Started {
  const child = spawn(command, args, { env, stdio: [stdin, 'pipe', 'pipe'] });
  started.add(child);
  let stdout = '';
  let stderr = '';
  let waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Finished>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      started.delete(child);
      for (const w of waiters) w();
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitFor(text, waitMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; stdout:\n${stdout}\nstderr:\n${stderr}`)), waitMs);
        const check = () => {
          if (stdout.includes(text)) {
            clearTimeout(deadline);
            waiters = waiters.filter((w) => w !== check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(deadline);
            reject(new Error(`the process ended before printing ${JSON.stringify(text)}; stdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Finished> {
  return start(command, args, env, timeoutMs).done;
}

/** Kills (by pid) whatever this file started and is still running. */
export function killStarted(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/** The environment without TRAINWATCH_* variables from the developer's shell, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TRAINWATCH_')) delete env[k];
  return { ...env, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

/** Resolves once `cond` holds (test/helpers/wait.ts, with this file's argument order). */
export function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
  return untilHolds(what, cond, timeoutMs);
}
