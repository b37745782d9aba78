/**
 * The storage bench's load (bench/storage.ts): many runs fed at once, generated as they are sent
 * (10 million events do not fit in one string), over several connections, with what the engine
 * acknowledged counted per connection. Also reads back what a restarted engine holds, so the
 * bench can say whether anything acknowledged was lost.
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';
import path from 'node:path';
import type { EngineInfo, RecoveryReport } from '../shared/api.ts';
import { ROOT, connect, freePort, readAcks } from './common.ts';

/** Run `r`'s event `k` (0-based): job_created, then training and progress in turns. */
export function runEvent(prefix: string, r: number, k: number, seq: number): string {
  const job = `${prefix}-${r}`;
  if (k === 0) return `{"type":"job_created","job_id":"${job}","agent_id":"agent-${r % 4}","total_iterations":1000000,"seq":${seq}}`;
  const it = Math.ceil(k / 2);
  if (k % 2 === 1) {
    // A float32 loss as `tensor.item()` gives it: noisy, decreasing.
    const loss = Math.fround(2.3 * Math.exp(-it / 3000) + 0.2 + 0.05 * Math.sin(it * 12.9898 + r) * Math.cos(it * 78.233));
    return `{"type":"training","job_id":"${job}","agent_id":"agent-${r % 4}","loss":${loss},"iteration":${it},"seq":${seq}}`;
  }
  return `{"type":"progress","job_id":"${job}","agent_id":"agent-${r % 4}","current_iteration":${it},"seq":${seq}}`;
}

/** The iteration a run shows after `events` of the events above (its last progress event). */
export function lastIteration(events: number): number {
  return Math.floor((events - 1) / 2);
}

export interface FeedResult {
  /** Events acknowledged (the sum of every connection's highest acked seq). */
  acked: number;
  seconds: number;
}

/**
 * Feeds `runs` runs `perRun` events each, round-robin over the runs (every run live at once, as
 * a multi-run load is), split over `connections` connections by run. Resolves once every event
 * is acknowledged.
 */
export async function feedRuns(target: net.NetConnectOpts, opts: { prefix: string; runs: number; perRun: number; connections: number }): Promise<FeedResult> {
  const t0 = process.hrtime.bigint();
  const conns = Math.max(1, Math.min(opts.connections, opts.runs));
  const acked = await Promise.all(
    Array.from({ length: conns }, async (_, c) => {
      const mine: number[] = [];
      for (let r = c; r < opts.runs; r += conns) mine.push(r);
      const total = mine.length * opts.perRun;
      const socket = await connect(target);
      let last = 0;
      let acks!: { errors: () => number };
      const done = new Promise<void>((resolve, reject) => {
        acks = readAcks(socket, (seq) => {
          last = seq;
          if (seq === total) resolve();
        });
        socket.once('close', () => reject(new Error(`engine closed the connection after ${last} of ${total} acks`)));
      });
      let seq = 0;
      let batch: string[] = [];
      let size = 0;
      for (let k = 0; k < opts.perRun; k++) {
        for (const r of mine) {
          const l = runEvent(opts.prefix, r, k, ++seq);
          batch.push(l);
          size += l.length + 1;
          if (size >= 256 * 1024 || seq === total) {
            const ok = socket.write(`${batch.join('\n')}\n`);
            batch = [];
            size = 0;
            if (!ok) await new Promise((r) => socket.once('drain', r));
          }
        }
      }
      await done;
      socket.destroy();
      if (acks.errors() > 0) throw new Error(`${acks.errors()} lines were rejected during the storage bench`);
      return last;
    }),
  );
  return { acked: acked.reduce((a, b) => a + b, 0), seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** Sends one connection's lines as fast as the socket takes them; returns acked events per second. */
export async function send(target: net.NetConnectOpts, lines: string[]): Promise<number> {
  const text = Buffer.from(`${lines.join('\n')}\n`);
  const last = lines.length;
  const socket = await connect(target);
  let acks!: { errors: () => number };
  const done = new Promise<void>((resolve, reject) => {
    acks = readAcks(socket, (seq) => seq === last && resolve());
    socket.once('close', () => reject(new Error('engine closed the connection')));
  });
  const t0 = process.hrtime.bigint();
  for (let off = 0; off < text.length; off += 64 * 1024) {
    if (!socket.write(text.subarray(off, off + 64 * 1024))) await new Promise((r) => socket.once('drain', r));
  }
  await done;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.destroy();
  if (acks.errors() > 0) throw new Error(`${acks.errors()} lines were rejected during the storage bench`);
  return last / s;
}

/** One sample of a Prometheus text exposition: `name{labels} value` lines, by name. */
export function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = [];
  for (const l of text.split('\n')) {
    if (!l.startsWith(name)) continue;
    const rest = l.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const brace = rest[0] === '{' ? rest.indexOf('}') + 1 : 0;
    out.push({ labels: rest.slice(0, brace), value: Number(rest.slice(brace).trim().split(' ')[0]) });
  }
  return out;
}

/**
 * What a restarted engine shows of runs fed by `feedRuns`, against what was acknowledged: the
 * runs active (/metrics `training_jobs_active`), each run's current iteration (/metrics
 * `training_iteration_current`), and the events the run list counts (/api/v1/runs).
 * Returns the problems found, one sentence each (empty: nothing acknowledged is missing).
 */
export async function checkRestored(http: string, opts: { prefix: string; runs: number; perRun: number; acked: number }): Promise<{ problems: string[]; events: number }> {
  const problems: string[] = [];
  const metrics = await (await fetch(`${http}/metrics`)).text();
  // Running or stalled (a restart long after the feed finds them stalled): both are active.
  const active = samples(metrics, 'training_jobs_active')[0]?.value ?? 0;
  if (active !== opts.runs) problems.push(`/metrics training_jobs_active is ${active}, ${opts.runs} runs were fed and never ended`);
  const want = lastIteration(opts.perRun);
  let wrong = 0;
  let seen = 0;
  for (const s of samples(metrics, 'training_iteration_current')) {
    const job = /job_id="([^"]+)"/.exec(s.labels)?.[1] ?? '';
    if (!job.startsWith(`${opts.prefix}-`)) continue;
    seen++;
    if (s.value !== want) wrong++;
  }
  if (seen !== opts.runs) problems.push(`/metrics has training_iteration_current for ${seen} of ${opts.runs} runs`);
  if (wrong > 0) problems.push(`/metrics training_iteration_current is not ${want} for ${wrong} runs`);
  const runs = ((await (await fetch(`${http}/api/v1/runs`)).json()) as { runs: Array<{ job_id: string; event_count: number }> }).runs;
  const events = runs.filter((r) => r.job_id.startsWith(`${opts.prefix}-`)).reduce((a, r) => a + r.event_count, 0);
  if (events !== opts.acked) problems.push(`/api/v1/runs counts ${events} events, ${opts.acked} were acknowledged`);
  return { problems, events };
}

export interface Restart {
  /** Seconds from spawning the CLI until /metrics answers 200. */
  metrics: number;
  /** Until GET / and GET /api/v1/runs both answer 200 (the UI can draw). */
  ui: number;
  /** The engine's own figure, `trainwatch_storage_startup_seconds`. */
  storageSeconds: number;
  /** What `check` returned, run against the started engine before it is stopped. */
  problems: string[];
  /** Seconds from SIGTERM to exit (a clean stop writes checkpoints). */
  stop: number;
  /** What opening the data dir did (`/api/v1/info` storage.recovery). */
  recovery: RecoveryReport | undefined;
}

/**
 * Starts the real CLI on `dir`, times it until /metrics and until the UI is ready, runs `check`
 * against it, then stops it cleanly (SIGTERM) and times the stop.
 */
export async function restartTimed(dir: string, check?: (http: string) => Promise<string[]>, nodeArgs: string[] = []): Promise<Restart> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/cli/trainwatch.js'), 'serve', '--port', String(port), '--ingest-port', '0', '--socket', path.join(dir, 'tw.sock'), '--data-dir', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const ok = async (p: string) => {
    try {
      const res = await fetch(`${base}${p}`);
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  };
  const since = () => (performance.now() - t0) / 1000;
  let metrics = Number.NaN;
  let ui = Number.NaN;
  let problems: string[] = [];
  let storageSeconds = Number.NaN;
  let stop = Number.NaN;
  let recovery: RecoveryReport | undefined;
  try {
    while (Number.isNaN(metrics) || Number.isNaN(ui)) {
      if (child.exitCode !== null) throw new Error(`engine exited during start-up on ${dir}`);
      if (Number.isNaN(metrics) && (await ok('/metrics'))) metrics = since();
      if (Number.isNaN(ui) && (await ok('/')) && (await ok('/api/v1/runs'))) ui = since();
      if (Number.isNaN(metrics) || Number.isNaN(ui)) await new Promise((r) => setTimeout(r, 10));
    }
    storageSeconds = samples(await (await fetch(`${base}/metrics`)).text(), 'trainwatch_storage_startup_seconds')[0]?.value ?? Number.NaN;
    recovery = ((await (await fetch(`${base}/api/v1/info`)).json()) as EngineInfo).storage.recovery;
    if (check) problems = await check(base);
  } finally {
    const s0 = performance.now();
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    stop = (performance.now() - s0) / 1000;
  }
  return { metrics, ui, storageSeconds, problems, stop, recovery };
}
