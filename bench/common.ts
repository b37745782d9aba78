/**
 * What every benchmark file shares: the figure shape written to bench/results/*.json, medians,
 * the workload, and the real engine started through the real CLI in its own process.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEFAULT_DEMO, demoTimeline } from '../electron/cli/demoScenario.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');

export interface Figure {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number[];
  baseline?: string;
  /** How many times the baseline's per-operation cost one operation of this figure costs. */
  ratio?: number;
  /** The issue's target for this figure, in its unit, and whether the median meets it. */
  target?: string;
  met?: boolean;
  note?: string;
}

export function stats(name: string, unit: string, runs: number[]): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  return { name, unit, median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs };
}

/** Percentile of unsorted samples (nearest rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A realistic mix of lines: the demo's runs, repeated with fresh job ids until there are enough. */
export function workload(n: number, tag = 'bench'): { text: Buffer; lines: string[] } {
  const base = demoTimeline({ ...DEFAULT_DEMO, runs: 6, tag }).map((t) => t.event);
  const lines: string[] = [];
  for (let round = 0; lines.length < n; round++) {
    for (const e of base) {
      if (lines.length >= n) break;
      lines.push(JSON.stringify({ ...e, job_id: `${e.job_id}-${round}`, seq: lines.length + 1 }));
    }
  }
  return { text: Buffer.from(`${lines.join('\n')}\n`), lines };
}

export interface Server {
  tcp: { host: string; port: number };
  socket: string;
  http: string;
  pid: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** The real engine, through the real CLI, in its own process (as users run it). */
export async function startServer(dir: string, durability: 'fsync' | 'none' = 'fsync', extra: string[] = []): Promise<Server> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'dist/cli/trainwatch.js'), 'serve', '--port', '0', '--ingest-port', '0', '--socket', path.join(dir, 'tw.sock'), '--data-dir', dir, '--durability', durability, ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('Ctrl-C stops.')) {
    if (child.exitCode !== null) throw new Error(`engine failed to start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [host, port] = /ingest {3}tcp (\S+):(\d+)/.exec(out)!.slice(1) as [string, string];
  return {
    tcp: { host, port: Number(port) },
    socket: /ingest {3}unix (\S+)/.exec(out)![1]!,
    http: /metrics {2}(http:\S+)\/metrics/.exec(out)![1]!,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** CPU seconds (user + system) a process has used so far; NaN where /proc is not there. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** A free loopback port (to know the engine's HTTP port before it prints it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Connects and resolves once connected. */
export async function connect(target: net.NetConnectOpts): Promise<net.Socket> {
  const socket = net.connect(target);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Calls `onAck(seq)` for every ack line the engine sends; counts error lines. */
export function readAcks(socket: net.Socket, onAck: (seq: number) => void): { errors: () => number } {
  let tail = '';
  let errors = 0;
  socket.on('data', (d: Buffer) => {
    const s = tail + d.toString('latin1');
    const lines = s.split('\n');
    tail = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith('{"type":"ack","seq":')) onAck(Number(l.slice(20, -1)));
      else if (l.includes('"error"')) errors++;
    }
  });
  return { errors: () => errors };
}
