/**
 * The TypeScript client reports its process's pid in job_created (issue 11), so the engine's
 * system sampler can watch it: here the engine and the client share this process, and one
 * sample shows this process's own RSS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../clients/node/trainwatch.ts';
import { SERIES } from '../../shared/run.ts';
import { testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { until } from './process.ts';

describe('TypeScript client pid', () => {
  let engine: TestEngine;
  let c: Client;
  beforeAll(async () => {
    engine = await testEngine({ systemIntervalMs: 0 });
    c = new Client({ addr: `127.0.0.1:${engine.ingest.tcp!.port}`, env: {}, log: () => undefined });
  });
  afterAll(async () => {
    await c.close(1_000);
    await engine.dispose();
  });

  it('sends process.pid by default, or the pid it is given', async () => {
    c.start({ jobId: 'node-own', agentId: 'ppo' });
    // Above Linux's largest pid_max (2^22): no such process, so nothing to sample for it.
    c.start({ jobId: 'node-other', agentId: 'ppo', pid: 4_194_999 });
    await until(() => engine.store.get('node-own') !== undefined && engine.store.get('node-other') !== undefined, 10_000, 'both jobs');
    expect([engine.store.get('node-own')!.pid, engine.store.get('node-other')!.pid]).toEqual([process.pid, 4_194_999]);

    await engine.system.sample();
    const rss = engine.store.get('node-own')!.series.get(SERIES.system('rss_bytes'))!.lastValue()!;
    // This very process: vitest, the engine and the client, tens of MB at least.
    expect(rss).toBeGreaterThan(process.memoryUsage().rss / 2);
    expect(rss).toBeLessThan(process.memoryUsage().rss * 2);
    expect(engine.store.get('node-other')!.series.size).toBe(0);
    expect(engine.system.status.jobs).toBe(1);
  });
});
