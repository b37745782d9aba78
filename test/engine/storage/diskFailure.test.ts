/**
 * A disk that fails is loud and honest: events stay visible but are not acknowledged, the error
 * is counted and reported, and the engine keeps going. The failure is real: the runs folder is
 * replaced by a plain file, so opening a new run's log fails in the kernel (ENOTDIR).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../../shared/api.ts';
import { valueOf } from '../../helpers/exposition.ts';
import { logFileName } from '../../../electron/engine/storage/storage.ts';
import { StreamClient, rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

let engine: TestEngine | null = null;
afterEach(async () => {
  await engine?.dispose();
  engine = null;
});

describe('a failing disk', () => {
  it('answers storage_failed instead of an ack, counts it, reports it, and recovers when the disk does', async () => {
    const warnings: string[] = [];
    engine = await testEngine({ warn: (m) => warnings.push(m) });
    const runs = path.join(engine.options.dataDir, 'runs');
    renameSync(runs, `${runs}.away`);
    writeFileSync(runs, 'not a directory');

    const c = await StreamClient.to(engine);
    c.write(`${JSON.stringify({ type: 'job_created', job_id: 'doomed', agent_id: 'a', seq: 1 })}\n`);
    await c.until(() => c.replies.length > 0);
    expect(c.replies).toEqual([
      {
        type: 'error',
        line: 0,
        seq: 1,
        reason: 'storage_failed',
        message: expect.stringMatching(/^events up to seq 1 were applied but could not be written to disk \(ENOTDIR: .*\); they are not acknowledged$/),
      },
    ]);
    // Still visible (in memory), loudly reported.
    expect(engine.store.get('doomed')?.state).toBe('running');
    const exp = (await scrape(engine)).exp;
    // Failed commits (retried with backoff, so possibly more than one by now).
    expect(valueOf(exp, 'trainwatch_storage_write_errors_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'storage_failed' })).toBe(1);
    const info = (await (await fetch(`${engine.http.url}/api/v1/info`)).json()) as EngineInfo;
    expect(info.storage.write_errors).toBeGreaterThanOrEqual(1);
    expect(info.storage.last_error).toMatch(/ENOTDIR/);
    expect(warnings.join('\n')).toMatch(/writing run logs failed: ENOTDIR/);

    // The HTTP path says 503 and gives no ack.
    const res = await rawRequest(engine, {
      method: 'POST', path: '/api/v1/events', headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ type: 'job_created', job_id: 'doomed-too', agent_id: 'a', seq: 5 })}\n`,
    });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ accepted: 1, ack: null, errors: [{ reason: 'storage_failed', seq: 5 }] });
    // Without any seq too: a 200 would claim the events are safe.
    const noSeq = await rawRequest(engine, {
      method: 'POST', path: '/api/v1/events', headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ type: 'job_created', job_id: 'doomed-three', agent_id: 'a' })}\n`,
    });
    expect([noSeq.status, JSON.parse(noSeq.body)]).toEqual([
      503,
      {
        accepted: 1, rejected: 0, duplicates: 0, ack: null, errors_omitted: 0,
        errors: [{ type: 'error', line: 0, reason: 'storage_failed', message: expect.stringMatching(/^1 accepted event\(s\) were applied but could not be written to disk \(ENOTDIR: .*\); send them again once the disk is fixed$/) }],
      },
    ]);
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason: 'storage_failed' })).toBe(3);

    // The disk comes back: what failed is retried and lands, new events are acknowledged again.
    rmSync(runs);
    renameSync(`${runs}.away`, runs);
    const ok = await c.send({ type: 'job_created', job_id: 'fine', agent_id: 'a' }, { type: 'progress', job_id: 'doomed', agent_id: 'a', current_iteration: 3 });
    expect(ok.at(-1)).toMatchObject({ type: 'ack' });
    await c.close();
    expect(warnings.filter((w) => w.includes('ENOTDIR'))).toHaveLength(1); // logged once, not per retry

    // Nothing that was applied is missing after a restart: the retried records made it to disk.
    const dir = engine.options.dataDir;
    await engine.stop();
    engine = await testEngine({ dataDir: dir });
    expect(engine.store.get('doomed')).toMatchObject({ state: 'running', currentIteration: 3, eventCount: 2 });
    expect(engine.store.get('doomed-too')?.state).toBe('running');
    expect(engine.store.get('doomed-three')?.state).toBe('running');
    expect(engine.storage.stats.recovery).toMatchObject({ corrupt_file: 0, corrupt_record: 0, torn_tail: 0 });
  });

  it("one run's log that cannot be written costs only its own clients their acks, not another run's", async () => {
    engine = await testEngine({ warn: () => undefined });
    // A directory where the run's log must go: opening it fails in the kernel (EISDIR), for this run only.
    const blocked = path.join(engine.options.dataDir, 'runs', logFileName('broken'));
    mkdirSync(blocked);
    const line = (e: Record<string, unknown>) => `${JSON.stringify(e)}\n`;
    const healthy = await StreamClient.to(engine);
    const hurt = await StreamClient.to(engine);
    healthy.write(line({ type: 'hello', client_id: 'healthy' }));
    hurt.write(line({ type: 'hello', client_id: 'hurt' }));

    hurt.write(line({ type: 'job_created', job_id: 'broken', agent_id: 'a', seq: 1 }));
    await hurt.until(() => hurt.replies.some((r) => r.type === 'error'));
    expect(hurt.replies.filter((r) => r.type !== 'hello')).toEqual([
      { type: 'error', line: 0, seq: 1, reason: 'storage_failed', message: expect.stringMatching(/^events up to seq 1 were applied but could not be written to disk \(EISDIR: .*\); they are not acknowledged$/) },
    ]);

    // While that log keeps failing (and is retried), another run's client is acknowledged as usual.
    healthy.write(line({ type: 'job_created', job_id: 'fine', agent_id: 'a', seq: 1 }) + line({ type: 'progress', job_id: 'fine', agent_id: 'a', current_iteration: 2, seq: 2 }));
    await healthy.until(() => healthy.replies.some((r) => r.type === 'ack' || r.type === 'error'));
    expect(healthy.replies.filter((r) => r.type !== 'hello')).toEqual([{ type: 'ack', seq: 2 }]);

    // The hurt client's acks stay refused while its run's log cannot be written, even for an
    // event of another run: an ack is cumulative and would cover seq 1.
    hurt.write(line({ type: 'job_created', job_id: 'other', agent_id: 'a', seq: 2 }));
    await hurt.until(() => hurt.replies.filter((r) => r.type === 'error').length === 2);
    expect(hurt.replies.at(-1)).toMatchObject({ type: 'error', seq: 2, reason: 'storage_failed' });

    // The disk comes back for it: the retry lands and acks flow again.
    rmSync(blocked, { recursive: true });
    hurt.write(line({ type: 'progress', job_id: 'broken', agent_id: 'a', current_iteration: 5, seq: 3 }));
    await hurt.until(() => hurt.replies.some((r) => r.type === 'ack'));
    expect(hurt.replies.at(-1)).toEqual({ type: 'ack', seq: 3 });
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason: 'storage_failed' })).toBe(2);
    await healthy.close();
    await hurt.close();

    const dir = engine.options.dataDir;
    await engine.stop();
    engine = await testEngine({ dataDir: dir });
    expect([engine.store.get('broken')?.currentIteration, engine.store.get('fine')?.currentIteration, engine.store.get('other')?.state]).toEqual([5, 2, 'running']);
  });
});
