/**
 * The push endpoint over HTTP on a live engine: methods, content types, origins and sizes; the
 * mapping of the inherited names onto runs, push by push; and a /metrics that stays valid in
 * both formats with push groups in it (promtool too, where it is installed).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';
import { find, semanticProblems, valueOf } from '../../helpers/exposition.ts';
import { PROMTOOL, missingPromtool } from '../../helpers/parts.ts';

const promtoolSkip = missingPromtool();

let engine: TestEngine;
beforeAll(async () => {
  engine = await testEngine({ maxBodyBytes: 64 * 1024 });
});
afterAll(async () => engine.dispose());

async function push(path: string, body: string, method = 'PUT', headers: Record<string, string> = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }) {
  const r = await rawRequest(engine, { method, path, headers, body });
  return { status: r.status, headers: r.headers, body: JSON.parse(r.body) as Record<string, unknown> };
}

describe('the push endpoint', () => {
  it.each([
    ['GET', 405, { code: 'method_not_allowed', message: 'use PUT, POST, DELETE' }],
    ['PATCH', 405, { code: 'method_not_allowed', message: 'use PUT, POST, DELETE' }],
  ])('answers %s with %i', async (method, status, error) => {
    const r = await push('/metrics/job/x', '', method);
    expect([r.status, r.body, r.headers.allow]).toEqual([status, { error }, 'PUT, POST, DELETE']);
  });

  it('refuses the protobuf format, compression, a foreign origin, invalid UTF-8 and an oversized body', async () => {
    expect((await push('/metrics/job/x', 'a 1\n', 'PUT', { 'content-type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' })).body).toEqual({
      error: { code: 'unsupported_media_type', message: 'the protobuf format is not supported; push the text format (Content-Type: text/plain; version=0.0.4), got "application/vnd.google.protobuf"' },
    });
    expect((await push('/metrics/job/x', 'a 1\n', 'PUT', { 'content-encoding': 'gzip' })).status).toBe(415);
    expect(await push('/metrics/job/x', 'a 1\n', 'POST', { origin: 'http://evil.example', 'content-type': 'text/plain' })).toMatchObject({ status: 403, body: { error: { code: 'forbidden_origin' } } });
    const bad = await rawRequest(engine, { method: 'PUT', path: '/metrics/job/x', body: Buffer.from([0x61, 0x20, 0x31, 0xff, 0x0a]) });
    expect([bad.status, JSON.parse(bad.body)]).toEqual([400, { error: { code: 'bad_exposition', message: 'the body is not valid UTF-8' } }]);
    expect(await push('/metrics/job/x', `# ${'x'.repeat(70 * 1024)}\n`)).toMatchObject({ status: 413, body: { error: { code: 'body_too_large', message: 'a push is at most 65536 bytes' } } });
    const exp = (await scrape(engine)).exp;
    expect(find(exp, 'push_time_seconds', { job: 'x' })).toEqual([]);
    // Each refusal is counted by its code (the two 405s never were pushes).
    const outcomes = Object.fromEntries(find(exp, 'trainwatch_push_requests_total').map((s) => [s.labels.outcome, s.value]));
    expect(outcomes).toMatchObject({ ok: 0, unsupported_media_type: 1, unsupported_encoding: 1, forbidden_origin: 1, bad_exposition: 1, body_too_large: 1, too_many_groups: 0 });
    expect(valueOf(exp, 'trainwatch_push_groups')).toBe(0);
  });

  it('takes a push without a Content-Type (curl --data-binary) and deletes with DELETE', async () => {
    expect((await push('/metrics/job/curl/instance/box', 'queue_depth 7\n', 'POST', {})).status).toBe(200);
    const pushed = (await scrape(engine)).exp;
    expect(valueOf(pushed, 'queue_depth', { job: 'curl', instance: 'box' })).toBe(7);
    expect(valueOf(pushed, 'trainwatch_push_groups')).toBe(1);
    expect(valueOf(pushed, 'trainwatch_push_requests_total', { outcome: 'ok' })).toBe(1);
    expect(await push('/metrics/job/curl/instance/box', '', 'DELETE', {})).toEqual({ status: 202, headers: expect.anything(), body: { group: { job: 'curl', instance: 'box' }, deleted: true } });
    const deleted = (await scrape(engine)).exp;
    expect(find(deleted, 'queue_depth')).toEqual([]);
    expect([valueOf(deleted, 'trainwatch_push_groups'), valueOf(deleted, 'trainwatch_push_requests_total', { outcome: 'ok' })]).toEqual([0, 2]);
  });
});

describe('inherited names map onto runs', () => {
  const gauges = (job: string, agent: string, v: { current?: number; total?: number; usage?: number; limit?: number; loss?: string; reward?: number }) =>
    [
      v.current !== undefined && `training_iteration_current{agent_id="${agent}",job_id="${job}"} ${v.current}`,
      v.total !== undefined && `training_iteration_total{agent_id="${agent}",job_id="${job}"} ${v.total}`,
      v.usage !== undefined && `training_budget_usage_usd{agent_id="${agent}",job_id="${job}"} ${v.usage}`,
      v.limit !== undefined && `training_budget_limit_usd{agent_id="${agent}",job_id="${job}"} ${v.limit}`,
      v.loss !== undefined && `training_loss{agent_id="${agent}",job_id="${job}"} ${v.loss}`,
      v.reward !== undefined && `training_reward_mean{agent_id="${agent}",job_id="${job}"} ${v.reward}`,
    ]
      .filter(Boolean)
      .join('\n');

  it('creates the job with its metadata, applies only what changed, and keeps a silent pusher alive', async () => {
    const first = await push('/metrics/job/batch', `${gauges('pj1', 'pa', { current: 1, total: 10, usage: 2, limit: 8, loss: 'NaN', reward: 0.5 })}\n`);
    expect(first.status).toBe(200);
    expect(first.body.events).toEqual({ accepted: 4, rejected: 0, errors: [] });
    const run = engine.store.get('pj1')!;
    expect([run.implicit, run.totalIterations, run.budgetLimit, run.currentIteration, run.budgetUsage, run.meanReward]).toEqual([false, 10, 8, 1, 2, 0.5]);
    expect(run.loss).toBeNaN();
    const events = run.eventCount;
    // The same values again: one heartbeat, no new points.
    expect((await push('/metrics/job/batch', `${gauges('pj1', 'pa', { current: 1, total: 10, usage: 2, limit: 8, loss: 'NaN', reward: 0.5 })}\n`)).body.events).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(run.eventCount).toBe(events + 1);
    expect(run.series.get('progress/iteration')!.length).toBe(1);
    // Progress moves: one progress event.
    expect((await push('/metrics/job/batch', `${gauges('pj1', 'pa', { current: 2, total: 10, usage: 2, limit: 8, loss: 'NaN', reward: 0.5 })}\n`)).body.events).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(run.currentIteration).toBe(2);
  });

  it('ends the one running job of the agent when exactly one terminal counter went up by one', async () => {
    const base = `${gauges('pj2', 'pb', { current: 3, total: 3 })}\n# TYPE training_jobs_created_total counter\ntraining_jobs_created_total{agent_id="pb"} 1\n# TYPE training_jobs_failed_total counter\n`;
    await push('/metrics/job/pb', base);
    expect(engine.store.get('pj2')!.state).toBe('running');
    const out = await push('/metrics/job/pb', `${base}training_jobs_failed_total{agent_id="pb"} 1\n`);
    expect(out.body.not_mapped).toEqual([]);
    expect([engine.store.get('pj2')!.state, engine.store.get('pj2')!.error]).toEqual(['failed', 'reported failed by a push (training_jobs_failed_total went up)']);
    // Pushed again after the end: nothing is applied, and the push says why.
    const again = await push('/metrics/job/pb', `${base}training_jobs_failed_total{agent_id="pb"} 1\n`);
    expect(again.body.not_mapped).toEqual([{ metric: 'job "pj2"', reason: 'job_ended', detail: 'the run already ended as failed; its pushed values are not applied' }]);
  });

  it('says what it could not map: two running jobs, missing labels, foreign buckets, derived gauges', async () => {
    const body = [
      gauges('pj3', 'pc', { current: 1 }),
      gauges('pj4', 'pc', { current: 1 }),
      '# TYPE training_jobs_completed_total counter',
      'training_jobs_completed_total{agent_id="pc"} 1',
      '# TYPE training_policy_update_duration_seconds histogram',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="0.1"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="0.5"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="1.0"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="2.0"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="5.0"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="10.0"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="30.0"} 1',
      'training_policy_update_duration_seconds_bucket{agent_id="pc",le="+Inf"} 1',
      'training_policy_update_duration_seconds_sum{agent_id="pc"} 0.05',
      'training_policy_update_duration_seconds_count{agent_id="pc"} 1',
      '# TYPE training_iteration_duration_seconds histogram',
      'training_iteration_duration_seconds_bucket{agent_id="pd",le="7"} 1',
      'training_iteration_duration_seconds_bucket{agent_id="pd",le="+Inf"} 1',
      'training_loss{job_id="nolabel"} 1',
      'training_jobs_active 2',
      'training_budget_utilization_percent{agent_id="pc",job_id="pj3"} 10',
    ].join('\n');
    const out = await push('/metrics/job/pc', `${body}\n`);
    expect(out.status).toBe(200);
    expect((out.body.not_mapped as Array<{ reason: string }>).map((u) => u.reason).sort()).toEqual(
      ['ambiguous_lifecycle', 'derived', 'derived', 'different_buckets', 'missing_label', 'no_single_job'].sort(),
    );
    expect(engine.store.get('pj3')!.state).toBe('running');
    expect(engine.store.get('pj4')!.state).toBe('running');
  });
});

describe('/metrics with push groups', () => {
  beforeAll(async () => {
    await push(
      '/metrics/job/lint/host@base64/Z3B1LzE',
      [
        '# HELP eval_total Evaluations',
        '# TYPE eval_total counter',
        'eval_total{split="val"} 3',
        '# HELP lat Latency',
        '# TYPE lat histogram',
        'lat_bucket{le="0.5"} 1',
        'lat_bucket{le="+Inf"} 2',
        'lat_sum 1.5',
        'lat_count 2',
        '# HELP q Quantiles',
        '# TYPE q summary',
        'q{quantile="0.5"} 0.1',
        'q_sum 1',
        'q_count 4',
        '# HELP weird Escapes',
        'weird{v="quote \\" back \\\\ nl \\n"} NaN',
        '',
      ].join('\n'),
    );
  });

  it.each([['text'], ['openmetrics']] as const)('stays valid exposition in the %s format', async (format) => {
    const { body, exp, contentType } = await scrape(engine, format === 'openmetrics' ? 'application/openmetrics-text;version=1.0.0' : undefined);
    expect(contentType).toContain(format === 'openmetrics' ? 'openmetrics' : 'text/plain');
    expect(semanticProblems(exp)).toEqual([]);
    expect(valueOf(exp, 'eval_total', { job: 'lint', host: 'gpu/1', split: 'val', instance: '' })).toBe(3);
    expect(valueOf(exp, 'weird', { v: 'quote " back \\ nl \n' })).toBeNaN();
    if (format === 'openmetrics') {
      expect(body).toContain('push_failure_time_seconds{job="lint",host="gpu/1",instance=""} 0\n');
      expect(body.endsWith('\n# EOF\n')).toBe(true);
      expect(body.match(/^# EOF$/gm)).toHaveLength(1);
      expect(body).not.toContain('\n\n');
    }
  });

  it.skipIf(promtoolSkip !== null)(`passes promtool check metrics with only the inherited finding${promtoolSkip ? ` (skipped: ${promtoolSkip})` : ''}`, async () => {
    const { body } = await scrape(engine);
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({
      status: 3,
      output: 'training_iteration_total non-counter metrics should not have "_total" suffix',
    });
  });
});
