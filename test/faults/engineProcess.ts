/**
 * `trainwatch serve` as a separate process, for faults that need a real process boundary
 * (kill -9, two engines, exit codes). The kill -9 loop itself lives in
 * test/engine/storage/crash.test.ts; this suite reuses the idea, not the loop.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { output } from '../helpers/wait.ts';

import { CLI_BIN as BIN } from '../helpers/cli.ts';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  tcp: { host: string; port: number };
  output: () => string;
}

export const children = new Set<ChildProcess>();

/** Starts serve and waits until it listens; rejects with its output when it exits instead. */
export async function serve(dataDir: string, extra: string[] = []): Promise<ServeProcess> {
  const r = await run(dataDir, extra, 'Ctrl-C stops.');
  if (r.exitCode !== null) throw new Error(`serve exited ${r.exitCode}:\n${r.output()}`);
  const out = r.output();
  const [host, port] = /ingest {3}tcp (\S+):(\d+)/.exec(out)!.slice(1) as [string, string];
  return { child: r.child, url: /metrics {2}(http:\/\/\S+)\/metrics/.exec(out)![1]!, tcp: { host, port: Number(port) }, output: r.output };
}

/** Runs serve until it prints `ready` or exits; returns how it ended. */
export async function run(dataDir: string, extra: string[], ready: string): Promise<{ child: ChildProcess; exitCode: number | null; output: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', dataDir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let exitCode: number | null = null;
  void exited.then((c) => (exitCode = c));
  // Started (it printed `ready`) or exited: either is an answer here.
  await output(child, () => out, ready, 20_000).catch((e: unknown) => {
    if (child.exitCode === null && child.signalCode === null) throw e;
  });
  if (exitCode === null && !out.includes(ready)) exitCode = await exited;
  return { child, exitCode, output: () => out, stderr: () => err };
}

export async function kill9(p: ServeProcess): Promise<void> {
  const gone = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGKILL');
  await gone;
}

/** A minimal stream client: hello, then one event at a time, recording each verdict. */
export class Feeder {
  private buf = '';
  private readonly replies: Array<Record<string, unknown>> = [];
  private waiter: (() => void) | null = null;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (t: string) => {
      this.buf += t;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.replies.push(JSON.parse(this.buf.slice(0, nl)) as Record<string, unknown>);
        this.buf = this.buf.slice(nl + 1);
      }
      this.waiter?.();
    });
  }

  static async connect(tcp: { host: string; port: number }, clientId: string): Promise<Feeder> {
    const socket = net.connect(tcp);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const f = new Feeder(socket);
    socket.write(`${JSON.stringify({ type: 'hello', client_id: clientId })}\n`);
    await f.next((r) => r.type === 'hello');
    return f;
  }

  /** Sends one event and returns the reply that settles its seq: an ack or an error line. */
  async send(event: Record<string, unknown> & { seq: number }): Promise<Record<string, unknown>> {
    this.socket.write(`${JSON.stringify(event)}\n`);
    return this.next((r) => (r.type === 'ack' || r.type === 'error') && r.seq === event.seq);
  }

  private async next(match: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const i = this.replies.findIndex(match);
      if (i >= 0) return this.replies.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no reply; got ${JSON.stringify(this.replies)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
