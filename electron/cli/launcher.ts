/**
 * `trainwatch run -- CMD ARGS...`: runs a training command as a child process and reports its
 * lifecycle as a job, so a run with no Trainwatch client inside still gets created/ended events,
 * a start and end time, and liveness (heartbeats while it runs).
 *
 * - The child gets TRAINWATCH_ADDR, TRAINWATCH_JOB_ID, TRAINWATCH_AGENT_ID and
 *   TRAINWATCH_LAUNCHED=1, so a client inside reports into the same job (and leaves
 *   job_created and the ending to the launcher).
 * - The launcher holds a stream connection that has reported the job, so a cancel from the UI
 *   (`POST /api/v1/runs/<id>/cancel`) reaches it: SIGINT to the child, SIGTERM after the grace
 *   period, SIGKILL after another, then `job_cancelled`.
 * - At the end: exit code 0 is `job_completed`; a non-zero code or a fatal signal is `job_failed`
 *   with the code or signal and the last lines of stderr; a cancel, a SIGINT/SIGTERM/SIGHUP sent
 *   to the launcher, or a child that died of SIGINT is `job_cancelled`.
 * - Signals sent to the launcher are forwarded to the child, except SIGINT while the launcher
 *   runs in a terminal: Ctrl-C already reached the child through the terminal's process group,
 *   and a second SIGINT would interrupt its clean-up.
 * - The launcher exits with the child's exit code (128 + the signal number when it died of one).
 * - The engine being down never affects the child: events wait in a bounded buffer.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Client, ENV } from '../../clients/node/trainwatch.ts';
import type { Run } from '../../clients/node/trainwatch.ts';

export interface LaunchOptions {
  command: string;
  args: string[];
  jobId: string;
  agentId: string;
  name?: string;
  /** Engine stream address (TRAINWATCH_ADDR syntax). */
  addr: string;
  /** SIGINT -> SIGTERM and SIGTERM -> SIGKILL, each. */
  graceMs: number;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The launcher's stdin is a terminal: Ctrl-C reaches the child directly. */
  interactive: boolean;
  log: (message: string) => void;
  /** How long to wait for the engine to acknowledge the final events. */
  flushTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Where the child's stderr is copied (it is also tailed for the failure message). */
  stderr?: NodeJS.WritableStream;
}

export type Outcome = 'completed' | 'failed' | 'cancelled';

export interface LaunchResult {
  exitCode: number;
  outcome: Outcome;
  /** What was recorded as the run's error or cancel reason. */
  detail: string | null;
}

/** Stderr kept for the failure message: the last lines of at most this many bytes. */
const TAIL_BYTES = 4096;
const TAIL_LINES = 20;
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const STOPPING: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

export async function launch(opts: LaunchOptions): Promise<LaunchResult> {
  const client = new Client({
    addr: opts.addr,
    clientId: `trainwatch-run-${os.hostname()}-${process.pid}-${opts.jobId}`.slice(0, 256),
    log: opts.log,
    // A client inside the child may end the job first; the launcher's ending is then refused.
    quietReasons: ['already_terminal'],
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 30_000,
    env: {},
    ...(opts.env[ENV.token] ? { token: opts.env[ENV.token] } : {}),
  });
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    stdio: ['inherit', 'inherit', 'pipe'],
    env: {
      ...opts.env,
      [ENV.addr]: opts.addr,
      [ENV.jobId]: opts.jobId,
      [ENV.agentId]: opts.agentId,
      [ENV.launched]: '1',
    },
  });
  const run: Run = client.start({
    jobId: opts.jobId,
    agentId: opts.agentId,
    name: opts.name ?? [opts.command, ...opts.args].join(' ').slice(0, 256),
    params: { command: [opts.command, ...opts.args], cwd: opts.cwd ?? process.cwd() },
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    announce: true,
  });

  let tail = Buffer.alloc(0);
  child.stderr!.on('data', (chunk: Buffer) => {
    (opts.stderr ?? process.stderr).write(chunk);
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
  });
  const stderrDone = new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()));

  let cancelReason: string | null = null;
  let stoppedBy: NodeJS.Signals | null = null;
  const timers: NodeJS.Timeout[] = [];
  const signal = (sig: NodeJS.Signals) => {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };
  run.onCancel((reason) => {
    cancelReason = reason;
    opts.log(`cancel requested (${reason}); sending SIGINT to pid ${child.pid}`);
    signal('SIGINT');
    timers.push(
      setTimeout(() => {
        opts.log(`pid ${child.pid} still running after ${opts.graceMs / 1000}s; sending SIGTERM`);
        signal('SIGTERM');
        timers.push(
          setTimeout(() => {
            opts.log(`pid ${child.pid} still running; sending SIGKILL`);
            signal('SIGKILL');
          }, opts.graceMs),
        );
      }, opts.graceMs),
    );
  });
  const onSignal = (sig: NodeJS.Signals) => {
    if (STOPPING.has(sig)) stoppedBy ??= sig;
    if (sig === 'SIGINT' && opts.interactive) return;
    signal(sig);
  };
  for (const sig of FORWARDED) process.on(sig, onSignal);

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
  });
  for (const t of timers) clearTimeout(t);
  for (const sig of FORWARDED) process.off(sig, onSignal);
  // The tail is complete once the pipe closes; a grandchild holding it open must not hold us.
  await Promise.race([stderrDone, new Promise((r) => setTimeout(r, 500))]);

  let outcome: Outcome;
  let detail: string | null = null;
  let exitCode: number;
  if (exit.error) {
    const code = (exit.error as NodeJS.ErrnoException).code;
    exitCode = code === 'ENOENT' ? 127 : 126;
    outcome = 'failed';
    detail = `cannot start ${JSON.stringify(opts.command)}: ${exit.error.message}`;
    opts.log(detail);
  } else {
    exitCode = exit.code ?? 128 + (os.constants.signals[exit.signal!] ?? 0);
    const how = exit.signal ? `killed by signal ${exit.signal}` : `exit code ${exit.code}`;
    if (cancelReason !== null) {
      outcome = 'cancelled';
      detail = cancelReason;
    } else if (stoppedBy !== null) {
      outcome = 'cancelled';
      detail = `stopped by ${stoppedBy} sent to trainwatch run (${how})`;
    } else if (exit.code === 0) {
      outcome = 'completed';
    } else if (exit.signal === 'SIGINT') {
      outcome = 'cancelled';
      detail = 'interrupted (SIGINT)';
    } else {
      outcome = 'failed';
      const lines = lastLines(tail);
      detail = `${how}${lines ? `; last stderr lines:\n${lines}` : ''}`;
    }
  }
  if (outcome === 'completed') run.finish();
  else if (outcome === 'cancelled') run.cancel(detail ?? undefined);
  else run.fail(detail ?? undefined);
  // Connected: wait for the engine to take the ending. Never reached: do not hold the shell up.
  await client.close(opts.flushTimeoutMs ?? (client.stats().connected ? 5_000 : 1_000));
  return { exitCode, outcome, detail };
}

function lastLines(buf: Buffer): string {
  const text = buf.toString('utf8').replace(/^[^\n]*\uFFFD/, '');
  return text.replace(/\s+$/, '').split('\n').slice(-TAIL_LINES).join('\n').slice(-8000);
}

/** A default agent id from the command: the script's name for an interpreter, else the program's. */
export function defaultAgentId(command: string, args: readonly string[]): string {
  const base = (p: string) => path.basename(p).replace(/\.(py|js|mjs|ts|sh|rb|pl|R|jl)$/, '');
  const interpreter = /^(python[\d.]*|node|bash|sh|zsh|ruby|perl|Rscript|julia|deno|bun)$/.test(path.basename(command));
  if (interpreter) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-c' || a === '-e' || a === '--eval') break; // inline code: no script name
      if (a === '-m') return args[i + 1] || base(command);
      if (!a.startsWith('-')) return base(a) || base(command);
    }
  }
  return base(command) || 'run';
}
