/**
 * Snapshot export and import through the HTTP API: round trips, formats, and every kind of bad file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSnapshot } from '../../../shared/snapshot.ts';
import type { Snapshot } from '../../../shared/snapshot.ts';
import { parseExposition, valueOf } from '../../helpers/exposition.ts';
import { StreamClient, rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

let engine: TestEngine;
let client: StreamClient;
const ID = 'ünïcode run/7 "q"';
const J = { job_id: ID, agent_id: 'agent ✓' };

beforeAll(async () => {
  engine = await testEngine();
  client = await StreamClient.to(engine);
  await client.send(
    { type: 'job_created', ...J, name: 'Лосс 実験', total_iterations: 4, budget_limit_usd: 8, params: { lr: 0.001, tags: ['a', 'b'] } },
    ...[1, 2, 3].flatMap((i) => [
      { type: 'duration', ...J, phase: 'iteration', seconds: 10 },
      { type: 'duration', ...J, phase: 'policy_update', seconds: 0.3 * i },
      { type: 'progress', ...J, current_iteration: i, total_iterations: 4 },
      { type: 'training', ...J, loss: i === 2 ? 'NaN' : 1 / i, mean_reward: i, iteration: i },
      { type: 'budget', ...J, usage_usd: 2 * i, ts: 1_800_000_000 + 3600 * i },
      { type: 'scalar', ...J, name: 'grad_norm', value: i === 3 ? 'Infinity' : i, step: i },
    ]),
  );
});
afterAll(async () => {
  await client.close();
  await engine.dispose();
});

const url = (path: string) => `${engine.http.url}${path}`;
const enc = encodeURIComponent;

async function exportJson(id: string): Promise<{ text: string; snap: Snapshot }> {
  const res = await fetch(url(`/api/v1/runs/${enc(id)}/snapshot?format=json`));
  expect(res.status).toBe(200);
  const text = await res.text();
  const check = checkSnapshot(text);
  if (!check.ok) throw new Error(check.message);
  return { text, snap: check.snapshot };
}

const importText = (text: string, query = '') =>
  rawRequest(engine, { method: 'POST', path: `/api/v1/snapshots${query}`, headers: { 'content-type': 'application/json' }, body: text });

describe('export', () => {
  it('cuts a running run consistently, with summary numbers computed from its data', async () => {
    const { snap } = await exportJson(ID);
    expect(snap.run).toMatchObject({ job_id: ID, name: 'Лосс 実験', state: 'running', status: 'running', current_iteration: 3, event_count: 19 });
    expect(snap.series['progress/iteration']!.v).toEqual([1, 2, 3]);
    expect(snap.series['training/loss']!.v).toEqual([1, NaN, 1 / 3]);
    expect(snap.series['scalar/grad_norm']!.v).toEqual([1, 2, Infinity]);
    expect(snap.summary.progress).toEqual({ current_iteration: 3, total_iterations: 4, percent: 75, eta_seconds: 10 });
    // $2 per hour of ts; one iteration left at 10 s.
    expect(snap.summary.budget.burn_rate_usd_per_hour).toBeCloseTo(2, 9);
    expect(snap.summary.budget.projected_total_usd).toBeCloseTo(6 + 2 * (10 / 3600), 9);
    expect(snap.summary.phases.iteration).toMatchObject({ count: 3, sum: 30, mean: 10, p50: 7.5 });
    expect(snap.summary.phases.policy_update.histogram.counts).toEqual([0, 1, 2, 0, 0, 0, 0, 0]); // 0.3 | 0.6, 0.9
    const exp = parseExposition(snap.exposition);
    expect(valueOf(exp, 'training_iteration_current', { job_id: ID })).toBe(3);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'agent ✓' })).toBe(3);
    expect(snap.exposition).not.toContain('trainwatch_');
  });

  it('states no percent for a total that rounds the ratio to infinity (found by the fuzz suite)', async () => {
    // 5e-324 is a valid total_iterations on the wire; 2 / 5e-324 is Infinity, which a snapshot
    // cannot carry as a number.
    await client.send({ type: 'job_created', job_id: 'tiny-total', agent_id: 'a', total_iterations: 5e-324 }, { type: 'progress', job_id: 'tiny-total', agent_id: 'a', current_iteration: 2 });
    const { snap } = await exportJson('tiny-total');
    expect(snap.summary.progress).toEqual({ current_iteration: 2, total_iterations: 5e-324, percent: null, eta_seconds: 0 });
    await client.send({ type: 'job_completed', job_id: 'tiny-total', agent_id: 'a' }); // out of the other tests' active count
  });

  it('writes CSV with one row per point, and the prom format as the run\'s metrics', async () => {
    const csv = await (await fetch(url(`/api/v1/runs/${enc(ID)}/snapshot?format=csv`))).text();
    const rows = csv.trim().split('\n');
    expect(rows[0]).toBe('series,step,time,value');
    expect(rows.filter((r) => r.startsWith('training/loss,'))).toEqual([
      expect.stringMatching(/^training\/loss,1,\d+(\.\d+)?,1$/),
      expect.stringMatching(/^training\/loss,2,\d+(\.\d+)?,NaN$/),
      expect.stringMatching(/^training\/loss,3,\d+(\.\d+)?,0\.3333333333333333$/),
    ]);
    expect(rows.length).toBe(1 + 8 * 3); // header + 8 series of 3 points
    const prom = await fetch(url(`/api/v1/runs/${enc(ID)}/snapshot?format=prom`));
    expect(prom.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(prom.headers.get('content-disposition')).toMatch(/^attachment; filename="[A-Za-z0-9._-]+\.prom"$/);
    expect(await prom.text()).toContain('training_loss{agent_id="agent ✓",job_id="ünïcode run/7 \\"q\\""} 0.3333333333333333');
  });

  it.each([
    ['an unknown run', `/api/v1/runs/nope/snapshot`, 404, 'no_such_run'],
    ['an unknown format', `/api/v1/runs/${enc(ID)}/snapshot?format=xml`, 400, 'bad_format'],
  ])('answers %s with %i', async (_n, path, status, code) => {
    const res = await fetch(url(path));
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
  });
});

describe('import', () => {
  it('round-trips: export -> import -> export is equal in content, NaN and unicode included', async () => {
    const first = await exportJson(ID);
    const res = await importText(first.text, `?as=${enc('copy ü')}`);
    expect([res.status, JSON.parse(res.body)]).toEqual([201, { job_id: 'copy ü', renamed: false }]);
    const second = await exportJson('copy ü');
    const escaped = ID.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const strip = (s: Snapshot) => ({ ...s, exported_at: 0, run: { ...s.run, job_id: 'x' }, exposition: s.exposition.replaceAll('copy ü', escaped) });
    expect(strip(second.snap)).toEqual(strip(first.snap));
    const summary = engine.store.summary(engine.store.get('copy ü')!);
    expect(summary).toMatchObject({ imported: true, status: 'running', name: 'Лосс 実験' });
  });

  it('refuses live events for an imported run: it is read-only', async () => {
    const replies = await client.send({ type: 'progress', job_id: 'copy ü', agent_id: 'agent ✓', current_iteration: 9 });
    expect(replies[0]).toMatchObject({ type: 'error', reason: 'job_ended', message: 'job "copy ü" is an imported snapshot (read-only); progress ignored — use a new job_id for a new run' });
    expect(engine.store.get('copy ü')!.currentIteration).toBe(3);
  });

  it('keeps imported runs out of the live metrics and the active count', async () => {
    const { exp } = await scrape(engine);
    expect(exp.samples.some((s) => s.labels.job_id === 'copy ü')).toBe(false);
    expect(valueOf(exp, 'training_jobs_active')).toBe(1);
    expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'agent ✓' })).toBe(1);
  });

  it('never overwrites a run: an existing id is refused, or renamed on request', async () => {
    const { text } = await exportJson(ID);
    const refused = await importText(text);
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body).error.code).toBe('run_exists');
    const renamed = await importText(text, '?rename=1');
    expect(JSON.parse(renamed.body)).toEqual({ job_id: `${ID}-imported`, renamed: true });
    const again = await importText(text, '?rename=1');
    expect(JSON.parse(again.body)).toEqual({ job_id: `${ID}-imported-2`, renamed: true });
  });

  it('survives a restart as an imported run, its series read back on demand, and shares no data dir', async () => {
    const { text } = await exportJson(ID);
    expect(await testEngine({ dataDir: engine.options.dataDir }).catch((err: Error) => err.message)).toMatch(/is in use by another Trainwatch engine/);
    const other = await testEngine();
    const res = await rawRequest(other, { method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'application/json' }, body: text });
    expect(res.status).toBe(201);
    const dir = other.options.dataDir;
    await other.stop();
    const again = await testEngine({ dataDir: dir });
    const run = again.store.get(ID)!;
    expect([run.imported, run.seriesLoaded]).toEqual([true, false]);
    const d = await again.store.loadDetail(ID, 1000);
    expect(d!.series['training/loss']!.v).toEqual([1, NaN, 1 / 3]);
    await again.dispose();
  });

  describe('refuses bad files with a message that names the problem', () => {
    let good: Snapshot;
    beforeAll(async () => {
      good = JSON.parse((await exportJson(ID)).text) as Snapshot;
    });
    const mutate = (fn: (s: Record<string, any>) => void) => {
      const copy = structuredClone(good) as unknown as Record<string, any>;
      fn(copy);
      return JSON.stringify(copy);
    };
    it.each([
      ['an empty file', () => '', 'the file is empty'],
      ['a truncated file', () => JSON.stringify(good).slice(0, 500), /^not a snapshot: not valid JSON .*; was the file cut short\?$/],
      ['another JSON document', () => '{"hello":"world"}', 'not a snapshot: format is null, expected "trainwatch-snapshot"'],
      ['a newer version', () => mutate((s) => (s.version = 7)), 'snapshot version 7 is not supported; this Trainwatch reads version 1'],
      ['a missing run id', () => mutate((s) => delete s.run.job_id), 'run.job_id is required'],
      ['series of unequal length', () => mutate((s) => s.series['training/loss'].t.pop()), /^series.training\/loss: t, v and step must have the same length$/],
      ['negative iterations', () => mutate((s) => (s.run.total_iterations = -5e-324)), 'run.total_iterations: Too small: expected number to be >=0'],
      ['a negative spend', () => mutate((s) => (s.run.budget_usage_usd = -1)), 'run.budget_usage_usd: Too small: expected number to be >=0'],
      ['foreign histogram buckets', () => mutate((s) => (s.summary.phases.iteration.histogram.bounds = [1, 2])), /^summary.phases.iteration.histogram must use the inherited buckets 5, 10, 30, 60, 120, 300, 600/],
    ])('%s', async (_name, body, message) => {
      const before = engine.store.size;
      const res = await importText(body() as string, '?rename=1');
      expect(res.status).toBe(400);
      const err = JSON.parse(res.body).error as { code: string; message: string };
      expect(err.code).toBe('bad_snapshot');
      if (typeof message === 'string') expect(err.message).toBe(message);
      else expect(err.message).toMatch(message);
      expect(engine.store.size).toBe(before);
    });
  });

  it('refuses a body that is not JSON-typed, and one over the size limit without reading it', async () => {
    const wrongType = await rawRequest(engine, { method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    const huge = await rawRequest(engine, {
      method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 ** 3) }, body: '',
    });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('snapshot_too_large');
  });
});

describe('delete', () => {
  it('refuses a running run, deletes an ended one and an imported one', async () => {
    const running = await rawRequest(engine, { method: 'DELETE', path: `/api/v1/runs/${enc(ID)}` });
    expect([running.status, JSON.parse(running.body).error.code]).toEqual([409, 'run_is_running']);
    const imported = await rawRequest(engine, { method: 'DELETE', path: `/api/v1/runs/${enc('copy ü')}` });
    expect(imported.status).toBe(204);
    expect(engine.store.get('copy ü')).toBeUndefined();
    const foreign = await rawRequest(engine, { method: 'DELETE', path: `/api/v1/runs/${enc(`${ID}-imported`)}`, headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(engine.store.get(`${ID}-imported`)).toBeDefined();
  });
});
