/**
 * The `trainwatch` command as a user runs it: real processes, real ports, real signals.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRuns, DEFAULT_DEMO } from '../../electron/cli/demoScenario.ts';
import { parseExposition, valueOf, find } from '../helpers/exposition.ts';
import { output } from '../helpers/wait.ts';

import { CLI_BIN as BIN } from '../helpers/cli.ts';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-cli-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  // Whatever happened in a test, no engine of ours outlives the file.
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('TRAINWATCH_') && !(k in extra)) delete env[k];
  return env;
}

interface Served {
  child: ChildProcess;
  output: () => string;
  url: string;
  tcp: string;
  socket: string;
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await output(child, () => out, 'Ctrl-C stops.', 15_000);
  return {
    child,
    output: () => out,
    url: /metrics {2}(http:\/\/\S+)\/metrics/.exec(out)![1]!,
    tcp: /ingest {3}tcp (\S+)/.exec(out)?.[1] ?? '',
    socket: /ingest {3}unix (\S+)/.exec(out)?.[1] ?? '',
  };
}

function stop(s: Served, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill(signal);
  });
}

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
}

describe('trainwatch serve + demo', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(['--port', '0', '--ingest-port', '0', '--socket', path.join(tmp, 'tw.sock'), '--data-dir', tmp]);
  });

  it('prints where it listens', () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.tcp).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(served.socket).toBe(path.join(tmp, 'tw.sock'));
    expect(served.output()).toContain(`export TRAINWATCH_ADDR=${served.tcp}`);
  });

  it('demo feeds every outcome through the Unix socket, and /metrics shows exactly what was sent', async () => {
    const r = run(['demo', '--speed', '500', '--runs', '5', '--seed', '7'], { TRAINWATCH_ADDR: served.socket });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const sent = Number(/sent (\d+) events, 0 rejected, acknowledged up to seq (\d+)/.exec(r.stdout)?.[1]);
    expect(r.stdout).toContain(`acknowledged up to seq ${sent}`);

    const exp = parseExposition(await (await fetch(`${served.url}/metrics`)).text());
    const total = (name: string) => find(exp, name).reduce((a, s) => a + s.value, 0);
    const plan = planRuns({ ...DEFAULT_DEMO, runs: 5, seed: 7 });
    expect(total('training_jobs_created_total')).toBe(5);
    expect(total('training_jobs_failed_total')).toBe(plan.filter((p) => p.outcome === 'failed').length);
    expect(total('training_jobs_cancelled_total')).toBe(1);
    expect(total('training_jobs_completed_total')).toBe(3);
    expect(valueOf(exp, 'training_jobs_active')).toBe(0);
    const events = find(exp, 'trainwatch_ingest_events_total').reduce((a, s) => a + s.value, 0);
    expect(events).toBe(sent);
    const iterations = plan.reduce((a, p) => a + p.lastIteration, 0);
    expect(total('training_iteration_duration_seconds_count')).toBe(iterations);
    const overBudget = plan.find((p) => p.outcome === 'over_budget')!;
    const util = find(exp, 'training_budget_utilization_percent').find((s) => s.labels.job_id!.endsWith(overBudget.jobId.slice(4)));
    expect(util!.value).toBeGreaterThan(100);
  });

  it('stops cleanly on SIGTERM and removes its socket', async () => {
    const code = await stop(served);
    expect(code).toBe(0);
    expect(served.output()).toContain('SIGTERM: stopping\nstopped\n');
    const reachable = await new Promise<boolean>((resolve) => {
      const s = net.connect({ path: path.join(tmp, 'tw.sock') });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(reachable).toBe(false);
  });
});

describe('configuration and errors', () => {
  it('takes its settings from environment variables, and flags win over them', async () => {
    const s = await serve(['--ingest-port', 'off'], { TRAINWATCH_PORT: '0', TRAINWATCH_INGEST_PORT: '0', TRAINWATCH_SOCKET: 'off', TRAINWATCH_DATA_DIR: tmp });
    expect(s.tcp).toBe('');
    expect(s.socket).toBe('');
    expect(s.output()).not.toContain('ingest');
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect(await stop(s, 'SIGINT')).toBe(0);
  });

  it('says clearly when the port is taken, and exits 1', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = run(['serve', '--port', String(port), '--ingest-port', '0', '--socket', 'off']);
    blocker.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`trainwatch: HTTP on 127.0.0.1:${port}: the address is already in use (another trainwatch serve?); choose another with --port\n`);
  });

  it.each([
    ['an unknown command', ['launch'], 'trainwatch: unknown command "launch"; try `trainwatch help`\n'],
    ['a bad port', ['serve', '--port', '70000'], 'trainwatch: --port must be an integer from 0 to 65535, got "70000"\n'],
    ['an unknown flag', ['serve', '--frobnicate'], 'trainwatch: unknown option --frobnicate; try `trainwatch help`\n'],
    ['a flag without its value', ['serve', '--port'], 'trainwatch: option --port needs a value\n'],
    ['a bad demo address', ['demo', '--addr', 'nonsense'], 'trainwatch: address "nonsense" is neither HOST:PORT nor a Unix socket path\n'],
  ])('rejects %s with exit code 2 and a message', (_name, args, message) => {
    const r = run(args);
    expect([r.status, r.stderr]).toEqual([2, message]);
  });

  it('refuses to bind a non-loopback address', () => {
    const r = run(['serve', '--host', '0.0.0.0', '--port', '0', '--ingest-port', '0', '--socket', 'off']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('trainwatch: --host 0.0.0.0 is not a loopback address: add --allow-remote to expose Trainwatch to the network (token auth is then always on)\n');
  });

  it('tells the user when demo finds no engine', () => {
    const r = run(['demo', '--addr', path.join(tmp, 'nobody.sock')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^trainwatch: cannot reach the engine at .*nobody\.sock: .*\(is `trainwatch serve` running\?\)\n$/);
  });

  it('prints help and version', () => {
    expect(run(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(run(['help']).stdout).toContain('trainwatch serve [options]');
  });
});

describe('trainwatch ls / export / import / rm', () => {
  const data = path.join(tmp, 'runs-cli');

  it('works against a running engine, and straight from the data dir when none runs', async () => {
    const s = await serve(['--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', data]);
    const fed = run(['demo', '--speed', '1000', '--runs', '2', '--seed', '3'], { TRAINWATCH_ADDR: s.tcp });
    expect(fed.status).toBe(0);
    // A second engine on the same data dir is refused.
    const second = run(['serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', data]);
    expect([second.status, second.stderr]).toEqual([1, expect.stringMatching(/^trainwatch: data dir .* is in use by another Trainwatch engine \(pid \d+\)/)]);

    const live = run(['ls', '--data-dir', data]);
    expect(live.status).toBe(0);
    const ids = [...live.stdout.matchAll(/^(demo\S+)/gm)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const snapFile = path.join(tmp, 'snap.json');
    expect(run(['export', ids[0]!, '--data-dir', data, '--out', snapFile]).stdout).toBe(`wrote ${snapFile}\n`);
    expect(run(['export', ids[0]!, '--data-dir', data, '--format', 'csv', '--out', '-']).stdout).toMatch(/^series,step,time,value\n/);
    expect(await stop(s)).toBe(0);

    // No engine now: the same commands read and write the data dir directly.
    const offline = run(['ls', '--data-dir', data, '--json']);
    expect((JSON.parse(offline.stdout) as Array<{ job_id: string }>).map((r) => r.job_id).sort()).toEqual([...ids].sort());
    expect(run(['import', snapFile, '--data-dir', data]).stderr).toMatch(/exists already/);
    expect(run(['import', snapFile, '--data-dir', data, '--as', 'copy']).stdout).toBe('imported as copy\n');
    expect(run(['rm', ids[1]!, '--data-dir', data]).stdout).toBe(`deleted ${ids[1]}\n`);
    const after = run(['ls', '--data-dir', data]).stdout;
    expect(after).toMatch(/^copy .*\(imported\)/m);
    expect(after).not.toContain(ids[1]!);

    // Back online, the engine sees what was done offline, and the counters kept the deleted run.
    const s2 = await serve(['--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', data]);
    const metrics = parseExposition(await (await fetch(`${s2.url}/metrics`)).text());
    expect(find(metrics, 'training_jobs_created_total').reduce((a, x) => a + x.value, 0)).toBe(2);
    expect(find(metrics, 'training_job_status').some((x) => x.labels.job_id === 'copy')).toBe(false);
    expect(await stop(s2)).toBe(0);
  }, 120_000); // a dozen CLI processes, each a Node start-up: slow on a loaded machine

  it.each([
    ['ls', ['ls']],
    ['export', ['export', 'some-run', '--out', '-']],
    ['rm', ['rm', 'some-run']],
  ])('%s on a data dir that does not exist says so, exits 1, and does not create it', (_name, args) => {
    const missing = path.join(tmp, 'mistyped-data-dir');
    const r = run([...args, '--data-dir', missing]);
    expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `trainwatch: no data dir at ${missing}: no engine has run on it (check --data-dir or TRAINWATCH_DATA_DIR)\n`]);
    expect(existsSync(missing)).toBe(false);
  });

  it('import without an engine starts a new data dir, which ls then reads', () => {
    const fresh = path.join(tmp, 'fresh-data-dir');
    const tb = path.join('test', 'fixtures', 'tensorboard', 'torch-summarywriter', 'reward_max');
    expect(run(['import', tb, '--data-dir', fresh]).status).toBe(0);
    const listed = run(['ls', '--data-dir', fresh, '--json']);
    expect((JSON.parse(listed.stdout) as Array<{ job_id: string }>).map((r) => r.job_id)).toEqual(['reward_max']);
  });

  it('says what is wrong with a bad snapshot file', () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{"format":"trainwatch-snapshot","version":9}');
    const r = run(['import', bad, '--data-dir', data]);
    expect([r.status, r.stderr]).toEqual([1, `trainwatch: ${bad}: snapshot version 9 is not supported; this Trainwatch reads version 1\n`]);
    expect(run(['import', path.join(tmp, 'missing.json'), '--data-dir', data]).stderr).toBe(`trainwatch: cannot read ${path.join(tmp, 'missing.json')}: no such file\n`);
  });
});
