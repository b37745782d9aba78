/**
 * Durable history with real files: restart, damage, retention, the data-dir lock.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { startEngine } from '../../../electron/engine/index.ts';
import type { Engine, EngineOptions } from '../../../electron/engine/index.ts';
import { logFileName } from '../../../electron/engine/storage/storage.ts';
import type { RunDetail } from '../../../shared/run.ts';
import { find, valueOf } from '../../helpers/exposition.ts';
import { StreamClient, scrape } from '../../helpers/engine.ts';

let dir: string;
let engine: Engine | null = null;
const warnings: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-storage-'));
  warnings.length = 0;
});
afterEach(async () => {
  await engine?.stop();
  engine = null;
  rmSync(dir, { recursive: true, force: true });
});

async function boot(over: Partial<EngineOptions> = {}): Promise<Engine> {
  engine = await startEngine({
    port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, dataDir: dir, warn: (m) => warnings.push(m), ...over,
  });
  return engine;
}

async function restart(over: Partial<EngineOptions> = {}): Promise<Engine> {
  await engine?.stop();
  engine = null;
  return boot(over);
}

const J = (job_id: string, agent_id = 'a') => ({ job_id, agent_id });

async function feed(e: Engine, ...events: Array<Record<string, unknown>>): Promise<void> {
  const c = await StreamClient.to(e);
  await c.send(...events);
  await c.close();
}

async function detail(e: Engine, id: string): Promise<RunDetail> {
  const d = await e.store.loadDetail(id, 10_000);
  if (!d) throw new Error(`no run ${id}`);
  return d;
}

const logOf = (id: string) => path.join(dir, 'runs', logFileName(id));

describe('restart', () => {
  it("restores a sweep's small ended runs from their few records (no end record each), with their seqs", async () => {
    const e = await boot();
    const c = await StreamClient.to(e);
    let seq = 0;
    const lines = ['{"type":"hello","client_id":"optuna-1"}'];
    for (let r = 0; r < 200; r++) {
      lines.push(JSON.stringify({ type: 'job_created', ...J(`trial-${r}`, 'sweep'), params: { lr: r / 1000 }, seq: ++seq }));
      lines.push(JSON.stringify({ type: 'training', ...J(`trial-${r}`, 'sweep'), loss: 1 / (r + 1), iteration: 1, seq: ++seq }));
      lines.push(JSON.stringify({ type: r % 10 === 0 ? 'job_failed' : 'job_completed', ...J(`trial-${r}`, 'sweep'), seq: ++seq }));
    }
    c.write(`${lines.join('\n')}\n`);
    await c.until(() => c.replies.some((r) => r.type === 'ack' && r.seq === seq));
    await c.close();
    // A larger run ends too: it gets its end record.
    await feed(e, { type: 'job_created', ...J('big') }, ...Array.from({ length: 20 }, (_, i) => ({ type: 'progress', ...J('big'), current_iteration: i })), { type: 'job_completed', ...J('big') });
    await e.idle();
    expect(readFileSync(logOf('trial-7'), 'utf8')).not.toContain('"k":"end"');
    expect(readFileSync(logOf('big'), 'utf8')).toContain('"k":"end"');
    const before = e.store.summaries().map((r) => JSON.stringify(r)).sort();

    const e2 = await restart({ maxRuns: 50 });
    // Restored (never replayed through the store's apply, where the 50-run bound would drop them).
    expect([e2.storage.stats.restoredRuns, e2.storage.stats.replayedRuns]).toEqual([201, 0]);
    expect(e2.store.summaries().map((r) => JSON.stringify(r)).sort()).toEqual(before);
    expect((await detail(e2, 'trial-123')).series['training/loss']!.v).toEqual([1 / 124]);
    const exp = (await scrape(e2)).exp;
    expect(valueOf(exp, 'training_jobs_failed_total', { agent_id: 'sweep' })).toBe(20);
    expect(valueOf(exp, 'training_jobs_completed_total', { agent_id: 'sweep' })).toBe(180);
    // The client's seqs came back from the small logs: a resend of the last one is a duplicate.
    const again = await StreamClient.to(e2);
    again.write(`{"type":"hello","client_id":"optuna-1"}\n${lines[lines.length - 1]}\n`);
    await again.until(() => again.replies.some((r) => r.type === 'ack' && r.seq === seq));
    expect(again.replies[0]).toMatchObject({ type: 'hello', last_seq: seq });
    await again.close();
    expect(valueOf((await scrape(e2)).exp, 'trainwatch_ingest_duplicates_total')).toBe(1);
  });

  it('brings back every run, its state, series and the counters', async () => {
    const e = await boot();
    await feed(
      e,
      { type: 'job_created', ...J('done'), name: 'finished run', total_iterations: 3, budget_limit_usd: 10, params: { lr: 0.1 } },
      ...[1, 2, 3].flatMap((i) => [
        { type: 'progress', ...J('done'), current_iteration: i },
        { type: 'training', ...J('done'), loss: i === 2 ? 'NaN' : 1 / i, iteration: i },
        { type: 'duration', ...J('done'), phase: 'iteration', seconds: 10 * i },
      ]),
      { type: 'budget', ...J('done'), usage_usd: 4 },
      { type: 'job_completed', ...J('done') },
      { type: 'job_created', ...J('live', 'b'), name: 'still running ü' },
      { type: 'scalar', ...J('live', 'b'), name: 'lr', value: 0.5, step: 1 },
      { type: 'job_failed', ...J('oops', 'b'), error: 'boom' },
    );
    const before = { done: await detail(e, 'done'), live: await detail(e, 'live'), metrics: (await scrape(e)).body };

    const e2 = await restart();
    const after = { done: await detail(e2, 'done'), live: await detail(e2, 'live'), metrics: (await scrape(e2)).body };
    expect(after.done).toEqual(before.done);
    expect(after.live).toEqual(before.live);
    const pick = (body: string) => body.split('\n').filter((l) => /^training_(jobs_|iteration_duration|budget|loss|iteration_)/.test(l)).join('\n');
    expect(pick(after.metrics)).toBe(pick(before.metrics));
    expect(e2.storage.stats.restoredRuns).toBe(2); // the two ended runs, from their end records
    // The running one, from the checkpoint the clean stop wrote: nothing replayed.
    expect([e2.storage.stats.checkpointedRuns, e2.storage.stats.replayedRuns, e2.storage.stats.replayedEvents]).toEqual([1, 0, 0]);
    expect(warnings).toEqual([]);
  });

  it('restores ended runs without their series, and reads the series on demand', async () => {
    const e = await boot();
    await feed(e, { type: 'job_created', ...J('r') }, ...Array.from({ length: 50 }, (_, i) => ({ type: 'training', ...J('r'), loss: i })), { type: 'job_completed', ...J('r') });
    const e2 = await restart();
    const run = e2.store.get('r')!;
    expect(run.seriesLoaded).toBe(false);
    expect(run.series.size).toBe(0);
    const d = await detail(e2, 'r');
    expect(d.series['training/loss']!.v).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(run.seriesLoaded).toBe(true);
  });

  it('keeps accepting events for a run that was running before the restart', async () => {
    const e = await boot();
    await feed(e, { type: 'job_created', ...J('cont') }, { type: 'progress', ...J('cont'), current_iteration: 1 });
    const e2 = await restart();
    await feed(e2, { type: 'progress', ...J('cont'), current_iteration: 2 }, { type: 'job_completed', ...J('cont') });
    const e3 = await restart();
    const d = await detail(e3, 'cont');
    expect([d.status, d.event_count, d.series['progress/iteration']!.v]).toEqual(['completed', 4, [1, 2]]);
  });

  it('writes the bytes the client sent, unchanged, and replays them', async () => {
    const e = await boot();
    // Odd spacing, key order, an escaped character, a field the engine does not know, a NaN loss.
    const sent = [
      '{"type":"job_created",  "agent_id":"a","job_id":"raw","name":"caf\\u00e9 ü", "seq":1}',
      '{"agent_id":"a","type":"training","job_id":"raw","loss":"NaN","iteration":2,"extra":{"k":[1, 2]},"seq":2}',
    ];
    const c = await StreamClient.to(e);
    c.write(`${sent.join('\n')}\n`);
    await c.until(() => c.replies.some((r) => r.type === 'ack' && r.seq === 2));
    await c.close();
    await e.storage.idle(); // moved from the journal into the run's log
    const log = readFileSync(logOf('raw'), 'utf8');
    for (const line of sent) expect(log).toContain(`,"e":${line}}\n`);
    const e2 = await restart();
    const d = await detail(e2, 'raw');
    expect([d.name, d.event_count, d.loss, d.series['training/loss']!.v]).toEqual(['café ü', 2, Number.NaN, [Number.NaN]]);
  });

  it('refuses a second engine on the same data dir', async () => {
    await boot();
    await expect(startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, dataDir: dir })).rejects.toThrow(
      `data dir ${dir} is in use by another Trainwatch engine (pid ${process.pid})`,
    );
  });
});

describe('damage', () => {
  it('cuts a torn last record, counts it, and keeps everything before it', async () => {
    const e = await boot();
    await feed(e, { type: 'job_created', ...J('t') }, { type: 'progress', ...J('t'), current_iteration: 7 });
    await e.stop();
    engine = null;
    appendFileSync(logOf('t'), '1a2b3c4d {"k":"ev","n":3,"rt":1,"e":{"type":"progr');
    const e2 = await boot();
    expect(e2.store.get('t')!.currentIteration).toBe(7);
    expect(e2.storage.stats.recovery.torn_tail).toBe(1);
    expect(valueOf((await scrape(e2)).exp, 'trainwatch_storage_recovery_total', { kind: 'torn_tail' })).toBe(1);
    expect(readFileSync(logOf('t'), 'utf8').endsWith('\n')).toBe(true);
    expect(warnings.join('\n')).toMatch(/cut a torn record of \d+ bytes from the end of .*t-[0-9a-f]{16}\.twlog/);
  });

  it('removes a log that a crash cut short before its first whole record (its events are in the journal)', async () => {
    await boot();
    await restart(); // the runs folder exists
    await engine!.stop();
    engine = null;
    writeFileSync(logOf('empty'), '');
    writeFileSync(logOf('half'), 'bab0f5d0 {"k":"hdr","v":1,"job_');
    const e = await boot();
    expect([existsSync(logOf('empty')), existsSync(logOf('half')), e.storage.stats.recovery.torn_tail, e.storage.stats.recovery.corrupt_file, e.store.size]).toEqual([false, false, 2, 0, 0]);
    expect(e.storage.recovery.problems).toEqual([
      expect.stringMatching(/^storage: removed .*(empty|half)-[0-9a-f]+\.twlog, cut short before its first record \(its events are replayed from the journal\)$/),
      expect.stringMatching(/^storage: removed .*(empty|half)-[0-9a-f]+\.twlog, cut short before its first record \(its events are replayed from the journal\)$/),
    ]);
    expect(warnings).toHaveLength(1); // the recovery's one message
  });

  it('loses only the record with a flipped byte', async () => {
    const e = await boot();
    await feed(e, { type: 'job_created', ...J('f') }, ...[1, 2, 3, 4, 5].map((i) => ({ type: 'progress', ...J('f'), current_iteration: i })));
    await e.stop();
    engine = null;
    const file = logOf('f');
    const buf = readFileSync(file);
    const lines = buf.toString('utf8').split('\n');
    // Damage the record of iteration 3 (header, created, 1, 2, 3 -> line index 4).
    const offset = lines.slice(0, 4).join('\n').length + 1 + 20;
    buf[offset] = buf[offset]! ^ 0x01;
    writeFileSync(file, buf);
    // The clean stop checkpointed the running run (holding iteration 3): without it the log is replayed.
    rmSync(file.replace(/\.twlog$/, '.twck'));
    const e2 = await boot();
    const d = await detail(e2, 'f');
    expect(d.series['progress/iteration']!.v).toEqual([1, 2, 4, 5]);
    expect(e2.storage.stats.recovery.corrupt_record).toBe(1);
  });

  it('moves an unreadable log aside and starts anyway', async () => {
    mkdtempSync(path.join(dir, 'x')); // the data dir exists with other content
    const runs = path.join(dir, 'runs');
    const e = await boot();
    await e.stop();
    engine = null;
    writeFileSync(path.join(runs, 'garbage-0000000000000000.twlog'), 'this is not a log\n');
    const e2 = await boot();
    expect(e2.storage.stats.recovery.corrupt_file).toBe(1);
    expect(readdirSync(runs).some((n) => /^garbage-0+\.twlog\.corrupt-/.test(n))).toBe(true);
    expect(e2.store.size).toBe(0);
  });

  it('moves a damaged totals file aside instead of silently starting from zero', async () => {
    const e = await boot();
    await feed(e, { type: 'job_completed', ...J('x') });
    e.store.retire('x', 'deleted');
    await e.idle();
    await e.stop();
    engine = null;
    writeFileSync(path.join(dir, 'totals.json'), '{"version":1,"agen');
    const e2 = await boot();
    expect(e2.storage.stats.recovery.corrupt_file).toBe(1);
    expect(readdirSync(dir).some((n) => n.startsWith('totals.json.corrupt-'))).toBe(true);
    expect(warnings.join('\n')).toMatch(/totals.json is unreadable .* moved aside/);
  });

  it('reports a recovery once, as one message, and in the engine info', async () => {
    const e = await boot();
    await feed(e, { type: 'job_created', ...J('r') }, { type: 'job_completed', ...J('r') });
    await e.stop();
    engine = null;
    writeFileSync(path.join(dir, 'totals.json'), 'not json');
    writeFileSync(path.join(dir, 'runs', 'x.twlog.9.tmp'), 'half');
    const clean = warnings.length;
    const e2 = await boot();
    const said = warnings.slice(clean).filter((w) => w.startsWith('storage:'));
    expect(said).toHaveLength(1);
    const recovery = e2.info().storage.recovery!;
    expect({ ...recovery, seconds: 0 }).toEqual({
      seconds: 0,
      restored_runs: 1,
      checkpointed_runs: 0,
      replayed_runs: 0,
      replayed_events: 0,
      repaired: { torn_tail: 0, corrupt_record: 0, corrupt_file: 1, temp_file: 1, replay_rejected: 0 },
      problems: [expect.stringMatching(/^storage: .*totals.json is unreadable \(not JSON: .*\); moved aside to .*totals.json.corrupt-/)],
      problem_count: 1,
    });
    expect(said[0]!.split('\n')).toEqual([
      expect.stringMatching(/^storage: recovered .* in \d+\.\d\d s: 1 runs restored, 0 events replayed; repaired: corrupt_file 1, temp_file 1$/),
      `  ${recovery.problems[0]}`,
    ]);

    // A clean start says nothing.
    const before = warnings.length;
    const e3 = await restart();
    expect(warnings.slice(before).filter((w) => w.startsWith('storage:'))).toEqual([]);
    expect(e3.info().storage.recovery!.problem_count).toBe(0);
  });

  type Totals = { version: number; agents: Record<string, { created: unknown; phases: Record<string, { counts: number[] }> }>; tombstones: unknown[][] };
  it.each<[string, (t: Totals) => void, string]>([
    ['a count that is a string', (t) => (t.agents.a!.created = '1'), 'agents.a.created'],
    ['a negative count', (t) => (t.agents.a!.created = -1), 'agents.a.created'],
    ['a histogram with a bucket missing', (t) => t.agents.a!.phases.policy_update!.counts.pop(), 'agents.a.phases.policy_update.counts'],
    ['a tombstone with an unknown state', (t) => (t.tombstones[0]![2] = 'exploded'), 'tombstones.0.2'],
    ['a version this engine does not know', (t) => (t.version = 2), 'version'],
  ])('moves aside a totals file with %s, naming where, and keeps the counters of the runs on disk', async (_name, damage, where) => {
    const e = await boot();
    await feed(e, { type: 'job_completed', ...J('x') }, { type: 'job_created', ...J('kept') }, { type: 'job_completed', ...J('kept') });
    e.store.retire('x', 'deleted');
    await e.idle();
    await e.stop();
    engine = null;
    const file = path.join(dir, 'totals.json');
    const totals = JSON.parse(readFileSync(file, 'utf8')) as Totals;
    damage(totals);
    writeFileSync(file, JSON.stringify(totals));
    const e2 = await boot();
    expect(e2.storage.stats.recovery.corrupt_file).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('totals.json.corrupt-'))).toHaveLength(1);
    expect(warnings.join('\n')).toContain(`totals.json is unreadable (${where}: `);
    expect(valueOf((await scrape(e2)).exp, 'training_jobs_completed_total', { agent_id: 'a' })).toBe(1);
  });

  it('removes leftover temp files', async () => {
    const e = await boot();
    await e.stop();
    engine = null;
    writeFileSync(path.join(dir, 'runs', 'x.twlog.123.tmp'), 'half');
    const e2 = await boot();
    expect(e2.storage.stats.recovery.temp_file).toBe(1);
    expect(existsSync(path.join(dir, 'runs', 'x.twlog.123.tmp'))).toBe(false);
  });
});

describe('the in-memory run bound', () => {
  it('keeps every ended run past it on disk and listed, exports the first with its series, and after a restart', async () => {
    const opts = { maxRuns: 3, maxLoadedEndedRuns: 2 };
    const e = await boot(opts);
    const ids = Array.from({ length: 10 }, (_, i) => `sweep-${i}`);
    for (const id of ids) {
      await feed(e, { type: 'job_created', ...J(id) }, ...[1, 2].map((i) => ({ type: 'training', ...J(id), loss: 1 / i, iteration: i })), { type: 'job_completed', ...J(id) });
    }
    await e.idle();
    const listed = async (x: Engine) => {
      const res = await fetch(`${x.http.url}/api/v1/runs`);
      return ((await res.json()) as { runs: Array<{ job_id: string }> }).runs.map((r) => r.job_id).sort();
    };
    const firstExport = async (x: Engine) => {
      const out = await x.actions.export('sweep-0', 'csv');
      return out.ok ? out.body : out.message;
    };
    expect(ids.filter((id) => existsSync(logOf(id)))).toEqual(ids);
    expect(await listed(e)).toEqual([...ids].sort());
    expect(e.store.get('sweep-0')?.seriesLoaded).toBe(false);
    const csv = await firstExport(e);
    expect(csv.split('\n').filter((l) => l.startsWith('training/loss,'))).toHaveLength(2);
    expect(valueOf((await scrape(e)).exp, 'trainwatch_runs_retired_total', { reason: 'capacity' })).toBe(0);

    const e2 = await restart(opts);
    expect(await listed(e2)).toEqual([...ids].sort());
    expect(await firstExport(e2)).toBe(csv);
  });
});

describe('retention and lifetime counters', () => {
  it('deletes ended runs past the count limit, oldest first, and the counters do not drop', async () => {
    const e = await boot({ retention: { maxAgeSeconds: 1e9, maxRuns: 2, maxBytes: 1e12 } });
    for (const id of ['r1', 'r2', 'r3']) {
      await feed(e, { type: 'job_created', ...J(id) }, { type: 'duration', ...J(id), phase: 'policy_update', seconds: 1 }, { type: 'job_completed', ...J(id) });
    }
    expect(e.storage.enforceRetention()).toBe(1);
    await e.idle();
    expect(e.store.get('r1')).toBeUndefined();
    expect(existsSync(logOf('r1'))).toBe(false);
    const exp = (await scrape(e)).exp;
    expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'a' })).toBe(3);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'a' })).toBe(3);
    expect(valueOf(exp, 'trainwatch_runs_retired_total', { reason: 'count' })).toBe(1);
    // The exporter page's retention line reads this.
    expect(e.info().retention).toEqual({ max_age_seconds: 1e9, max_runs: 2, max_bytes: 1e12, removed: { capacity: 0, age: 0, count: 1, bytes: 0, deleted: 0 } });

    const e2 = await restart({ retention: { maxAgeSeconds: 1e9, maxRuns: 2, maxBytes: 1e12 } });
    const exp2 = (await scrape(e2)).exp;
    expect(valueOf(exp2, 'training_jobs_created_total', { agent_id: 'a' })).toBe(3);
    expect(valueOf(exp2, 'training_jobs_completed_total', { agent_id: 'a' })).toBe(3);
    expect(valueOf(exp2, 'training_policy_update_duration_seconds_count', { agent_id: 'a' })).toBe(3);
    expect(e2.store.size).toBe(2);
  });

  it('deletes by age and by bytes, never a running run', async () => {
    const clock = new ManualClock(1_800_000_000);
    const e = await boot({ clock, retention: { maxAgeSeconds: 3600, maxRuns: 100, maxBytes: 1e12 } });
    await feed(e, { type: 'job_created', ...J('old') }, { type: 'job_completed', ...J('old') });
    await feed(e, { type: 'job_created', ...J('running') });
    clock.advance(7200);
    await feed(e, { type: 'job_created', ...J('new') }, { type: 'job_completed', ...J('new') });
    expect(e.storage.enforceRetention()).toBe(1);
    expect([...e.store.values()].map((r) => r.jobId).sort()).toEqual(['new', 'running']);

    const e2 = await restart({ clock, retention: { maxAgeSeconds: 1e9, maxRuns: 100, maxBytes: 1 } });
    expect([...e2.store.values()].map((r) => r.jobId)).toEqual(['running']);
    expect(e2.store.retiredCount.bytes).toBe(1);
  });

  it('finishes a deletion that a crash interrupted, counting the run exactly once', async () => {
    const e = await boot();
    await feed(e, { type: 'job_created', ...J('gone') }, { type: 'job_completed', ...J('gone') });
    await e.stop();
    engine = null;
    // What a crash between "rename for deletion" and "save totals" leaves behind.
    const { renameSync } = await import('node:fs');
    renameSync(logOf('gone'), `${logOf('gone')}.retired`);
    const e2 = await boot();
    expect(e2.store.get('gone')).toBeUndefined();
    expect(find((await scrape(e2)).exp, 'training_jobs_completed_total').map((s) => s.value)).toEqual([1]);
    const e3 = await restart();
    expect(find((await scrape(e3)).exp, 'training_jobs_completed_total').map((s) => s.value)).toEqual([1]);
    expect(readdirSync(path.join(dir, 'runs'))).toEqual([]);
  });
});
