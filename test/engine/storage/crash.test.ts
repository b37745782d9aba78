/**
 * kill -9 during heavy ingest into several runs at once, again and again at random moments:
 * after every restart, every acknowledged event is there, and nothing is there twice. The client does what a real one
 * does: hello with its client_id, then resend from the engine's last_seq.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../../../electron/cli/demoScenario.ts';
import type { RunSummary } from '../../../shared/run.ts';
import { output, until } from '../../helpers/wait.ts';

import { CLI_BIN as BIN } from '../../helpers/cli.ts';
const ROUNDS = Number(process.env.TW_CRASH_ROUNDS ?? 6);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-crash-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  // Whatever happened in the test, no engine of ours outlives it.
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Server {
  child: ChildProcess;
  url: string;
  tcp: { host: string; port: number };
}

async function serve(): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await output(child, () => out, 'Ctrl-C stops.');
  const [host, port] = /ingest {3}tcp (\S+):(\d+)/.exec(out)!.slice(1) as [string, string];
  return { child, url: /metrics {2}(http:\/\/\S+)\/metrics/.exec(out)![1]!, tcp: { host, port: Number(port) } };
}

/** Runs the load is spread over: every commit covers several runs, as in a sweep. */
const RUNS = 8;

async function summaries(server: Server): Promise<Map<string, RunSummary>> {
  const res = await fetch(`${server.url}/api/v1/runs`);
  return new Map(((await res.json()) as { runs: RunSummary[] }).runs.map((r) => [r.job_id, r]));
}

/** seq 1..RUNS create the runs; every later seq is a progress event of run seq % RUNS. */
const line = (seq: number) =>
  seq <= RUNS
    ? JSON.stringify({ type: 'job_created', job_id: `crash-${seq % RUNS}`, agent_id: 'a', seq })
    : JSON.stringify({ type: 'progress', job_id: `crash-${seq % RUNS}`, agent_id: 'a', current_iteration: seq, seq });

/** How many of seq 1..applied went to run r: what its event count must be, exactly. */
const expectedEvents = (r: number, applied: number) => (applied < r || (r === 0 && applied < RUNS) ? 0 : Math.floor((applied - r) / RUNS) + (r === 0 ? 0 : 1));

describe('kill -9 during ingest', () => {
  it(`loses no acknowledged event and duplicates none, over ${ROUNDS} crashes`, async () => {
    const seed = Date.now() % 100_000;
    const rand = rng(seed);
    let maxAcked = 0;
    let sentMax = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      const server = await serve();
      const before = await summaries(server);
      // The last seq applied: the highest current_iteration, or the creates alone.
      let applied = before.size;
      for (const r of before.values()) applied = Math.max(applied, r.current_iteration ?? 0);
      // Every event up to it is there exactly once, in every run.
      const counts = Array.from({ length: RUNS }, (_, r) => before.get(`crash-${r}`)?.event_count ?? 0);
      expect({ round, seed, counts }).toEqual({ round, seed, counts: Array.from({ length: RUNS }, (_, r) => expectedEvents(r, applied)) });
      expect(applied, `round ${round} (seed ${seed}): acked ${maxAcked}, found ${applied}`).toBeGreaterThanOrEqual(maxAcked);
      if (round === ROUNDS) {
        server.child.kill('SIGTERM');
        break;
      }

      const socket = net.connect(server.tcp);
      await new Promise<void>((r) => socket.once('connect', () => r()));
      let buffer = '';
      let lastSeq: number | null | undefined;
      socket.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buffer.slice(0, nl)) as { type: string; seq?: number; last_seq?: number | null; reason?: string };
          buffer = buffer.slice(nl + 1);
          if (msg.type === 'hello') lastSeq = msg.last_seq;
          if (msg.type === 'ack') maxAcked = Math.max(maxAcked, msg.seq!);
          if (msg.type === 'error') throw new Error(`unexpected error line: ${JSON.stringify(msg)}`);
        }
      });
      socket.on('error', () => undefined);
      socket.write(`${JSON.stringify({ type: 'hello', client_id: 'crash-test' })}\n`);
      await until('the hello reply with last_seq', () => lastSeq !== undefined);
      // Resend whatever the engine does not have: from its last_seq on.
      let next = (lastSeq ?? 0) + 1;
      expect(next - 1, 'the engine remembers the last seq it wrote').toBe(applied);
      // The kill comes at a random moment after this round's first ack: mid-ingest, never before it.
      const ackedBefore = maxAcked;
      let killAt = Number.POSITIVE_INFINITY;
      const delay = 50 + rand() * 500;
      while (Date.now() < killAt) {
        if (killAt === Number.POSITIVE_INFINITY && maxAcked > ackedBefore) killAt = Date.now() + delay;
        let batch = '';
        for (let i = 0; i < 100; i++) batch += `${line(next++)}\n`;
        sentMax = next - 1;
        socket.write(batch);
        await new Promise((r) => setTimeout(r, 1));
      }
      server.child.kill('SIGKILL');
      await new Promise((r) => server.child.once('exit', r));
      socket.destroy();
    }
    expect(maxAcked).toBeGreaterThan(ROUNDS * 100);
    expect(sentMax).toBeGreaterThanOrEqual(maxAcked);
  }, 120_000);
});
