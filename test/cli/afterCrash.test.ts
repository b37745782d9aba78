/**
 * `trainwatch ls / export / import / rm` on a data dir that a killed engine left behind: the
 * newest runs are only in the journal (not yet compacted into run logs), engine.json and the
 * lock name a dead process. The commands read and change the data dir directly, and the next
 * engine sees exactly what they did.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN as BIN } from '../helpers/cli.ts';
import { find, parseExposition, valueOf } from '../helpers/exposition.ts';
import { output } from '../helpers/wait.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-cli-crash-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('TRAINWATCH_')) delete e[k];
  return e;
}

async function serve(data: string): Promise<{ child: ChildProcess; url: string; tcp: { host: string; port: number } }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--system-interval', '0', '--data-dir', data], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await output(child, () => out, 'Ctrl-C stops.', 15_000);
  const [host, port] = /ingest {3}tcp (\S+):(\d+)/.exec(out)!.slice(1) as [string, string];
  return { child, url: /metrics {2}(http:\/\/\S+)\/metrics/.exec(out)![1]!, tcp: { host, port: Number(port) } };
}

function exit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Sends the lines (each with its seq) and resolves once the engine has acknowledged the last. */
async function sendAcked(tcp: { host: string; port: number }, lines: string[]): Promise<void> {
  const socket = net.connect(tcp);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const last = lines.length;
  await new Promise<void>((resolve, reject) => {
    let tail = '';
    socket.on('data', (d: Buffer) => {
      const parts = (tail + d.toString()).split('\n');
      tail = parts.pop()!;
      for (const p of parts) {
        const m = /^\{"type":"ack","seq":(\d+)\}$/.exec(p);
        if (m && Number(m[1]) === last) resolve();
        else if (!m) reject(new Error(`engine answered: ${p}`));
      }
    });
    socket.write(`${lines.join('\n')}\n`);
  });
  socket.destroy();
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { env: env(), encoding: 'utf8', timeout: 60_000 });
}

describe('trainwatch ls / export / import / rm after the engine was killed', () => {
  it('read every acknowledged event, change the data dir, and the next engine sees exactly that', async () => {
    const data = path.join(tmp, 'data');
    const s = await serve(data);
    const lines: string[] = [];
    const ev = (o: Record<string, unknown>) => lines.push(JSON.stringify({ ...o, seq: lines.length + 1 }));
    // 3 running runs with 200 training events each, then 40 short trials; killed right after the
    // last ack, so the trials are in the journal only (compaction runs a second after a commit).
    for (let r = 0; r < 3; r++) ev({ type: 'job_created', job_id: `long-${r}`, agent_id: 'trainer' });
    for (let i = 1; i <= 200; i++) for (let r = 0; r < 3; r++) ev({ type: 'training', job_id: `long-${r}`, agent_id: 'trainer', loss: 1 / i, iteration: i });
    for (let t = 0; t < 40; t++) {
      const J = { job_id: `trial-${t}`, agent_id: 'sweep' };
      ev({ type: 'job_created', ...J });
      ev({ type: 'training', ...J, loss: 0.5 + t / 100, iteration: 1 });
      ev(t % 4 === 3 ? { type: 'job_failed', ...J, error: 'diverged' } : { type: 'job_completed', ...J });
    }
    await sendAcked(s.tcp, lines);
    await exit(s.child, 'SIGKILL');
    expect(existsSync(path.join(data, 'engine.json'))).toBe(true);
    const logs = readdirSync(path.join(data, 'runs')).filter((f) => f.endsWith('.twlog'));
    // The premise: at least the last trial is not in a run log yet.
    expect(logs.some((f) => f.startsWith('trial-39-'))).toBe(false);

    // Offline: the listing has every run with every event.
    const listed = cli(['ls', '--data-dir', data, '--json']);
    expect(listed.status).toBe(0);
    const runs = JSON.parse(listed.stdout) as Array<{ job_id: string; event_count: number; status: string }>;
    expect(runs).toHaveLength(43);
    expect(Object.fromEntries(runs.map((r) => [r.job_id, [r.event_count, r.status]]))).toMatchObject({
      'long-0': [201, 'running'],
      'long-2': [201, 'running'],
      'trial-0': [3, 'completed'],
      'trial-39': [3, 'failed'],
    });
    // A running run's export has each of its 200 acknowledged points.
    const csv = cli(['export', 'long-1', '--data-dir', data, '--format', 'csv', '--out', '-']);
    expect(csv.stdout.split('\n').filter((l) => l.startsWith('training/loss,')).length).toBe(200);
    expect(csv.stdout).toContain('training/loss,200,');
    const snap = path.join(tmp, 'trial-39.json');
    expect(cli(['export', 'trial-39', '--data-dir', data, '--out', snap]).stdout).toBe(`wrote ${snap}\n`);
    expect(cli(['import', snap, '--data-dir', data, '--as', 'trial-39-copy']).stdout).toBe('imported as trial-39-copy\n');
    // Deleting a run that is only in the journal, and one in a run log; a running one is refused.
    expect(cli(['rm', 'trial-39', '--data-dir', data]).stdout).toBe('deleted trial-39\n');
    expect(cli(['rm', 'trial-0', '--data-dir', data]).stdout).toBe('deleted trial-0\n');
    const running = cli(['rm', 'long-0', '--data-dir', data]);
    expect([running.status, running.stderr]).toEqual([1, 'trainwatch: job "long-0" is still running; it can be deleted once it has ended\n']);

    // The next engine: the deleted runs stay deleted and still count; nothing acknowledged is missing.
    const s2 = await serve(data);
    const metrics = parseExposition(await (await fetch(`${s2.url}/metrics`)).text());
    expect(valueOf(metrics, 'training_jobs_created_total', { agent_id: 'sweep' })).toBe(40);
    expect(valueOf(metrics, 'training_jobs_completed_total', { agent_id: 'sweep' })).toBe(30);
    expect(valueOf(metrics, 'training_jobs_failed_total', { agent_id: 'sweep' })).toBe(10);
    expect(find(metrics, 'training_loss').filter((x) => x.labels.job_id?.startsWith('long-')).map((x) => x.value)).toEqual([1 / 200, 1 / 200, 1 / 200]);
    const online = cli(['ls', '--data-dir', data, '--json']);
    const ids = (JSON.parse(online.stdout) as Array<{ job_id: string }>).map((r) => r.job_id);
    expect(ids).toHaveLength(42);
    expect(ids).toContain('trial-39-copy');
    expect(ids).not.toContain('trial-39');
    expect(ids).not.toContain('trial-0');
    await exit(s2.child, 'SIGTERM');
  }, 120_000);
});
