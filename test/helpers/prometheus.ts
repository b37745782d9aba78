/**
 * A real Prometheus (Debian's) for tests: a temp dir with the given prometheus.yml, a free
 * loopback port, started and torn down by PID. Nothing here is a mock.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './engine.ts';
import { PROMETHEUS, PROMTOOL } from './parts.ts';

export { freePort };

export { PROMETHEUS, PROMTOOL };

export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, log: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface TestPrometheus {
  url: string;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts Prometheus with `config(dir)` as its prometheus.yml (the dir is where file_sd files go). */
export async function startPrometheus(config: (dir: string) => string): Promise<TestPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-prometheus-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'prometheus.yml'), config(dir));
  mkdirSync(path.join(dir, 'data'));
  let log = '';
  const proc: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  for (const stream of [proc.stdout!, proc.stderr!]) stream.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killed = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await poll('Prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dir, log: () => log, stop };
}

/** A tiny local HTTP server with a scripted answer, for the failure cases. */
export async function tinyServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; requests: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
