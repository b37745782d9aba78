/**
 * The TypeScript client (clients/node/trainwatch.ts) against a live engine: the job-scoped API,
 * withRun() failing, a cancel from the API, an engine that is down at start and restarts
 * mid-run, and a script that exits without closing the client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, metricValue, parseAddr, withRun } from '../../clients/node/trainwatch.ts';
import { startEngine } from '../../electron/engine/index.ts';
import type { Engine } from '../../electron/engine/index.ts';
import { closedPort, rawRequest, scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { semanticProblems, valueOf } from '../helpers/exposition.ts';
import { cleanEnv, killStarted, run, until } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const quiet = { log: () => undefined };
const clients: Client[] = [];
afterEach(async () => {
  killStarted();
  await Promise.all(clients.splice(0).map((c) => c.close(200)));
});

function client(addr: string, opts: ConstructorParameters<typeof Client>[0] = {}): Client {
  const c = new Client({ addr, reconnectMinMs: 20, reconnectMaxMs: 100, env: {}, ...quiet, ...opts });
  clients.push(c);
  return c;
}

describe('addresses and values', () => {
  it.each([
    ['HOST:PORT', '127.0.0.1:9479', { kind: 'tcp', host: '127.0.0.1', port: 9479 }],
    ['[IPV6]:PORT', '[::1]:9479', { kind: 'tcp', host: '::1', port: 9479 }],
    ['a socket path', '/run/user/1000/trainwatch.sock', { kind: 'unix', path: '/run/user/1000/trainwatch.sock' }],
    ['unix:PATH', 'unix:tw.sock', { kind: 'unix', path: 'tw.sock' }],
  ])('parses %s', (_name, text, want) => {
    expect(parseAddr(text)).toEqual(want);
  });

  it('writes non-finite metric values as the protocol strings', () => {
    expect([NaN, Infinity, -Infinity, 1.5].map(metricValue)).toEqual(['NaN', 'Infinity', '-Infinity', 1.5]);
  });
});

describe('against a live engine', () => {
  let engine: TestEngine;
  let addr: string;
  beforeAll(async () => {
    engine = await testEngine();
    addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
  });
  afterAll(async () => engine.dispose());

  it('sends sweep labels with job_created, and the run carries exactly them', async () => {
    const c = client(addr);
    c.start({ jobId: 'node-sweep', agentId: 'ts', tags: ['lr-sweep', 'ß-baseline'], group: 'sweep-12' }).finish();
    expect(await c.flush(5_000)).toBe(true);
    const run = (await (await fetch(`${engine.http.url}/api/v1/runs/node-sweep`)).json()) as { tags: string[]; group: string | null };
    expect([run.tags, run.group]).toEqual([['lr-sweep', 'ß-baseline'], 'sweep-12']);
  });

  it('reports a job with the job-scoped API, and /metrics shows exactly the values', async () => {
    const c = client(addr);
    const r = c.start({ jobId: 'node-ok', agentId: 'ts', totalIterations: 3, budgetLimitUsd: 10, name: 'from node', params: { seed: 1 } });
    for (let i = 1; i <= 3; i++) {
      const t = r.phase('trajectory_generation');
      t.end();
      t.end(); // only the first end counts
      await r.time('policy_update', () => undefined);
      r.progress(i);
      r.budget(i * 2);
      r.training({ loss: i === 3 ? NaN : 1 / i, meanReward: i });
      r.scalar('lr', 0.001, i);
    }
    r.finish();
    r.fail('too late'); // the first ending wins
    expect(await c.flush(5_000)).toBe(true);
    const { exp } = await scrape(engine);
    const job = { agent_id: 'ts', job_id: 'node-ok' };
    expect(valueOf(exp, 'training_iteration_current', job)).toBe(3);
    expect(valueOf(exp, 'training_iteration_total', job)).toBe(3);
    expect(valueOf(exp, 'training_budget_utilization_percent', job)).toBe(60);
    expect(valueOf(exp, 'training_loss', job)).toBeNaN();
    expect(valueOf(exp, 'training_reward_mean', job)).toBe(3);
    expect(valueOf(exp, 'training_trajectory_generation_duration_seconds_count', { agent_id: 'ts' })).toBe(3);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'ts' })).toBe(3);
    expect(valueOf(exp, 'training_job_status', { ...job, status: 'completed' })).toBe(1);
    expect(semanticProblems(exp)).toEqual([]);
    expect(c.stats()).toMatchObject({ rejected: 0, dropped: 0, buffered: 0, connected: true });
  });

  it('withRun() fails the job with the error text when the function throws, and rethrows', async () => {
    const c = client(addr);
    await expect(
      withRun({ jobId: 'node-boom', agentId: 'ts' }, () => {
        throw new TypeError('bad batch shape');
      }, c),
    ).rejects.toThrow('bad batch shape');
    expect(await c.flush(5_000)).toBe(true);
    expect([engine.store.get('node-boom')!.state, engine.store.get('node-boom')!.error]).toEqual(['failed', 'TypeError: bad batch shape']);
  });

  it('hears a cancel from the API: run.cancelled and the callback, then job_cancelled', async () => {
    const c = client(addr);
    const heard: string[] = [];
    const r = c.start({ jobId: 'node-cancel', agentId: 'ts', onCancel: (reason) => heard.push(reason) });
    expect(await c.flush(5_000)).toBe(true);
    const res = await rawRequest(engine, { method: 'POST', path: '/api/v1/runs/node-cancel/cancel', headers: { 'content-type': 'application/json' }, body: '{"reason":"stop"}' });
    expect(res.status).toBe(202);
    await until(() => r.cancelled, 5_000, 'the cancel');
    expect([r.cancelRequestReason, heard]).toEqual(['stop', ['stop']]);
    r.cancel();
    expect(await c.flush(5_000)).toBe(true);
    expect(engine.store.get('node-cancel')!.cancelReason).toBe('stop');
  });

  it('exits on its own when the script is done, after delivering what was pending', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-node-client-'));
    const script = path.join(dir, 'train.ts');
    writeFileSync(
      script,
      `import { start } from ${JSON.stringify(path.join(ROOT, 'clients/node/trainwatch.ts'))};
const run = start({ jobId: 'node-exit', agentId: 'ts' });
for (let i = 1; i <= 200; i++) run.progress(i);
run.finish();
`,
    );
    const r = await run(process.execPath, ['--import', 'tsx', script], cleanEnv({ TRAINWATCH_ADDR: addr }), 30_000);
    rmSync(dir, { recursive: true, force: true });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(engine.store.get('node-exit')!.currentIteration).toBe(200);
    expect(engine.store.get('node-exit')!.state).toBe('completed');
  });
});

describe('an engine that is down at start and restarts mid-run', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tw-node-resilience-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('never blocks the caller, keeps the newest events, reports the drops, and applies nothing twice', async () => {
    const port = await closedPort();
    const logs: string[] = [];
    const c = client(`127.0.0.1:${port}`, { maxBuffer: 50, log: (m) => logs.push(m) });
    const r = c.start({ jobId: 'node-resilient', agentId: 'ts' });
    // Never blocks: each call returns synchronously with the engine down (all 200 are queued
    // before any engine exists). How fast it returns is a benchmark's question, not a test's.
    const step = (i: number) => r.progress(i);
    for (let i = 1; i <= 200; i++) step(i);
    let engine: Engine | null = await startEngine({ port: 0, ingestPort: port, socketPath: null, dataDir, uiDir: null, defaultMetrics: false });
    try {
      expect(await c.flush(10_000)).toBe(true);
      await engine.stop();
      engine = null;
      for (let i = 201; i <= 300; i++) step(i);
      engine = await startEngine({ port: 0, ingestPort: port, socketPath: null, dataDir, uiDir: null, defaultMetrics: false });
      expect(await c.flush(10_000)).toBe(true);
      r.finish();
      expect(await c.flush(10_000)).toBe(true);
      const stats = c.stats();
      // 201 events (job_created kept) into 50 places, then 100 more into 50.
      expect(stats.dropped).toBe(151 + 50);
      expect(stats.reconnects).toBe(1);
      expect(logs.filter((l) => l.includes('dropping the oldest'))).toHaveLength(1);
      expect(logs.filter((l) => l.includes('events were dropped while it was unreachable'))).toHaveLength(2);
      const { exp } = await scrape(engine);
      expect(valueOf(exp, 'training_iteration_current', { job_id: 'node-resilient' })).toBe(300);
      expect(valueOf(exp, 'training_job_status', { job_id: 'node-resilient', status: 'completed' })).toBe(1);
      expect(valueOf(exp, 'trainwatch_ingest_duplicates_total')).toBe(0);
      expect(engine.store.detail('node-resilient', 100)!.series['scalar/trainwatch/dropped_events']!.v.at(-1)).toBe(stats.dropped);
    } finally {
      await engine?.stop();
    }
  });
});

