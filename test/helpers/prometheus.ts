/**
 * A real Prometheus (Debian's) for tests: a temp dir with the given prometheus.yml, a free
 * loopback port, started and torn down by PID. Nothing here is a mock.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closedPort } from './engine.ts';
import { PROMETHEUS, PROMTOOL } from './parts.ts';
import { poll } from './wait.ts';

export { closedPort };

export { PROMETHEUS, PROMTOOL };

export { poll };

export interface TestPrometheus {
  url: string;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * The TCP port process `pid` listens on, read back from /proc (Linux): the socket inodes among
 * its open files, looked up in its network namespace's listening sockets. A server started on
 * port 0 (Prometheus does not print the port it got) is found this way, with no port probed
 * beforehand and so no race for it.
 */
export function listeningPort(pid: number): number | undefined {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (f[3] === '0A' && inodes.has(f[9]!)) return parseInt(f[1]!.split(':')[1]!, 16);
    }
  }
  return undefined;
}

/** Prometheus started with --web.listen-address=127.0.0.1:0: its URL once it listens and is ready. */
export async function prometheusReady(proc: ChildProcess, log: () => string): Promise<string> {
  const port = await poll('Prometheus to listen', async () => {
    if (proc.exitCode !== null) throw new Error(`Prometheus exited with ${proc.exitCode}`);
    return listeningPort(proc.pid!);
  }, 30_000, log);
  const url = `http://127.0.0.1:${port}`;
  await poll('Prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000, log);
  return url;
}

/** Starts Prometheus with `config(dir)` as its prometheus.yml (the dir is where file_sd files go). */
export async function startPrometheus(config: (dir: string) => string): Promise<TestPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-prometheus-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), config(dir));
  mkdirSync(path.join(dir, 'data'));
  let log = '';
  const proc: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0', '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  for (const stream of [proc.stdout!, proc.stderr!]) stream.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-20_000)));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killed = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await prometheusReady(proc, () => log);
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
