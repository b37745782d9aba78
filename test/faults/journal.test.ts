/**
 * The journal across real process deaths: kill -9 right after acknowledgements (before
 * compaction has moved anything into run logs), a torn segment tail, and the runs it held.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../shared/run.ts';
import { Feeder, children, kill9, serve } from './engineProcess.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'tw-journal-'));
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function runs(url: string): Promise<Map<string, RunSummary>> {
  const list = ((await (await fetch(`${url}/api/v1/runs`)).json()) as { runs: RunSummary[] }).runs;
  return new Map(list.map((r) => [r.job_id, r]));
}

const segments = (dataDir: string) => readdirSync(path.join(dataDir, 'journal')).filter((n) => n.endsWith('.twj')).sort();

describe('the journal after kill -9', () => {
  it('acknowledged events of many runs come back after kill -9 (journal and run logs), a torn segment tail is cut, and nothing doubles on the next start', async () => {
    const dataDir = path.join(root, 'torn');
    const p = await serve(dataDir);
    const f = await Feeder.connect(p.tcp, 'journal-client');
    let seq = 0;
    // 12 runs, interleaved: each created, then progress events for all of them in turn.
    for (let r = 0; r < 12; r++) expect(await f.send({ type: 'job_created', job_id: `j${r}`, agent_id: 'a', seq: ++seq })).toEqual({ type: 'ack', seq });
    for (let i = 1; i <= 5; i++) {
      for (let r = 0; r < 12; r++) expect(await f.send({ type: 'progress', job_id: `j${r}`, agent_id: 'a', current_iteration: i, seq: ++seq })).toEqual({ type: 'ack', seq });
    }
    f.close();
    await kill9(p);
    // A crash mid-commit leaves part of a record at the end of the active segment.
    const segs = segments(dataDir);
    expect(segs.length).toBeGreaterThanOrEqual(1);
    appendFileSync(path.join(dataDir, 'journal', segs.at(-1)!), '1234abcd {"k":"ev","j":"j0","n":99,"rt":1,"e":{"type":"progress","job_');

    const p2 = await serve(dataDir);
    const after = await runs(p2.url);
    expect([...after.keys()].sort()).toEqual(Array.from({ length: 12 }, (_, r) => `j${r}`).sort());
    for (const r of after.values()) expect([r.job_id, r.status, r.current_iteration, r.event_count]).toEqual([r.job_id, 'running', 5, 6]);
    const metrics = await (await fetch(`${p2.url}/metrics`)).text();
    expect(metrics).toMatch(/^trainwatch_storage_recovery_total\{kind="torn_tail"\} 1$/m);
    // The client is told where it stopped: nothing to resend.
    const f2 = await Feeder.connect(p2.tcp, 'journal-client');
    expect(await f2.send({ type: 'progress', job_id: 'j0', agent_id: 'a', current_iteration: 6, seq: seq + 1 })).toEqual({ type: 'ack', seq: seq + 1 });
    f2.close();
    // Killed again, possibly mid-compaction: the next start has every event exactly once.
    await kill9(p2);
    const p3 = await serve(dataDir);
    const again = await runs(p3.url);
    expect([again.get('j0')!.current_iteration, again.get('j0')!.event_count, again.get('j11')!.event_count]).toEqual([6, 7, 6]);
    await kill9(p3);
  }, 60_000);
});
