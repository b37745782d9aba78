/**
 * A disk that fails is loud and honest: events stay visible but are not acknowledged, the error
 * is counted and reported, and the engine keeps going. The failures are real: the journal's
 * folder replaced by a plain file (ENOTDIR), a folder where a run's log must go (EISDIR).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    // The journal's folder becomes a file: the first commit cannot create its segment.
    const runs = path.join(engine.options.dataDir, 'journal');
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
    expect(warnings.join('\n')).toMatch(/writing the journal failed: ENOTDIR/);

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

  it("a run's log that cannot be written costs no acks: its events wait in the journal, survive a restart, and reach the log once it can be written", async () => {
    const warnings: string[] = [];
    engine = await testEngine({ warn: (m) => warnings.push(m) });
    // A directory where the run's log must go: opening it fails in the kernel (EISDIR), for this run only.
    const blocked = path.join(engine.options.dataDir, 'runs', logFileName('broken'));
    mkdirSync(blocked);
    const c = await StreamClient.to(engine);
    expect(await c.send({ type: 'job_created', job_id: 'broken', agent_id: 'a' }, { type: 'progress', job_id: 'broken', agent_id: 'a', current_iteration: 2 })).toEqual([{ type: 'ack', seq: 2 }]);
    await c.close();
    await engine.storage.idle();
    expect(warnings).toEqual([expect.stringMatching(/^storage: writing run logs failed: EISDIR: .*; the events are safe in the journal and are retried$/)]);
    expect(engine.storage.stats.writeErrors).toBeGreaterThanOrEqual(1);

    const dir = engine.options.dataDir;
    await engine.stop();
    engine = await testEngine({ dataDir: dir, warn: () => undefined });
    expect(engine.store.get('broken')).toMatchObject({ state: 'running', currentIteration: 2, eventCount: 2 });
    rmSync(blocked, { recursive: true });
    await engine.storage.idle();
    expect(readFileSync(path.join(dir, 'runs', logFileName('broken')), 'utf8').split('\n').filter((l) => l.includes('"k":"ev"'))).toHaveLength(2);
    await engine.stop();
    engine = await testEngine({ dataDir: dir });
    expect(engine.store.get('broken')).toMatchObject({ state: 'running', currentIteration: 2, eventCount: 2 });
  });
});
