/**
 * The inherited metric set, behaviour by behaviour, as the original Python module was tested:
 * every event goes through a real TCP ingest connection and every value is read back from a
 * real HTTP scrape of /metrics.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buckets, find, valueOf } from '../../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

let engine: TestEngine;
let client: StreamClient;

beforeEach(async () => {
  engine = await testEngine();
  client = await StreamClient.to(engine);
});
afterEach(async () => {
  await client.close();
  await engine.dispose();
});

const A = { agent_id: 'agent-1' };
const job = (job_id: string, agent_id = 'agent-1') => ({ job_id, agent_id });
const metrics = async () => (await scrape(engine)).exp;

describe('job lifecycle counters', () => {
  it('job_created increments training_jobs_created_total and training_jobs_active', async () => {
    await client.send({ type: 'job_created', ...job('j1') });
    const exp = await metrics();
    expect(valueOf(exp, 'training_jobs_created_total', A)).toBe(1);
    expect(valueOf(exp, 'training_jobs_active')).toBe(1);
  });

  it.each([
    ['job_completed', 'training_jobs_completed_total'],
    ['job_failed', 'training_jobs_failed_total'],
    ['job_cancelled', 'training_jobs_cancelled_total'],
  ])('%s increments %s and makes the job inactive', async (type, counter) => {
    await client.send({ type: 'job_created', ...job('j1') }, { type: 'job_created', ...job('j2') }, { type, ...job('j1') });
    const exp = await metrics();
    expect(valueOf(exp, counter, A)).toBe(1);
    expect(valueOf(exp, 'training_jobs_created_total', A)).toBe(2);
    expect(valueOf(exp, 'training_jobs_active')).toBe(1);
    const others = ['training_jobs_completed_total', 'training_jobs_failed_total', 'training_jobs_cancelled_total'].filter((c) => c !== counter);
    for (const c of others) expect(valueOf(exp, c, A)).toBe(0);
  });

  it('counts a repeated or contradicting terminal event once, and says why it was rejected', async () => {
    const replies = await client.send(
      { type: 'job_created', ...job('j1') },
      { type: 'job_failed', ...job('j1'), error: 'OOM' },
      { type: 'job_completed', ...job('j1') },
      { type: 'job_failed', ...job('j1') },
    );
    const errors = replies.filter((r) => r.type === 'error');
    expect(errors.map((e) => e.type === 'error' && [e.line, e.reason, e.seq])).toEqual([
      [3, 'already_terminal', 3],
      [4, 'already_terminal', 4],
    ]);
    const exp = await metrics();
    expect(valueOf(exp, 'training_jobs_failed_total', A)).toBe(1);
    expect(valueOf(exp, 'training_jobs_completed_total', A)).toBe(0);
    expect(valueOf(exp, 'training_jobs_active')).toBe(0);
    expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'already_terminal' })).toBe(2);
  });

  it('keeps counters per agent', async () => {
    await client.send(
      { type: 'job_created', ...job('a1', 'alpha') },
      { type: 'job_created', ...job('a2', 'alpha') },
      { type: 'job_created', ...job('b1', 'beta') },
      { type: 'job_completed', ...job('a1', 'alpha') },
    );
    const exp = await metrics();
    expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'alpha' })).toBe(2);
    expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'beta' })).toBe(1);
    expect(valueOf(exp, 'training_jobs_completed_total', { agent_id: 'alpha' })).toBe(1);
    expect(valueOf(exp, 'training_jobs_completed_total', { agent_id: 'beta' })).toBe(0);
    expect(valueOf(exp, 'training_jobs_active')).toBe(2);
  });
});

describe('duration histograms', () => {
  // Observations chosen to land on, below and above bucket bounds (le is inclusive).
  it.each([
    ['trajectory_generation', 'training_trajectory_generation_duration_seconds', [0.5, 5, 29.9, 300, 301],
      { '1': 1, '5': 2, '10': 2, '30': 3, '60': 3, '120': 3, '300': 4, '+Inf': 5 }],
    ['policy_update', 'training_policy_update_duration_seconds', [0.05, 0.1, 0.7, 2, 31],
      { '0.1': 2, '0.5': 2, '1': 3, '2': 4, '5': 4, '10': 4, '30': 4, '+Inf': 5 }],
    ['iteration', 'training_iteration_duration_seconds', [4, 10, 59, 600, 1200],
      { '5': 1, '10': 2, '30': 2, '60': 3, '120': 3, '300': 3, '600': 4, '+Inf': 5 }],
    ['checkpoint_save', 'training_checkpoint_save_duration_seconds', [0, 0.5, 1.5, 10, 11],
      { '0.1': 1, '0.5': 2, '1': 2, '2': 3, '5': 3, '10': 4, '+Inf': 5 }],
  ] as const)('a %s duration lands in %s with the inherited buckets', async (phase, name, values, expected) => {
    await client.send({ type: 'job_created', ...job('j1') }, ...values.map((seconds) => ({ type: 'duration', ...job('j1'), phase, seconds })));
    const exp = await metrics();
    expect(buckets(exp, name, A)).toEqual(expected);
    expect(valueOf(exp, `${name}_count`, A)).toBe(5);
    expect(valueOf(exp, `${name}_sum`, A)).toBeCloseTo(values.reduce((a: number, b: number) => a + b, 0), 9);
  });

  it('keeps histograms per agent, not per job', async () => {
    await client.send(
      { type: 'duration', ...job('j1', 'alpha'), phase: 'policy_update', seconds: 1 },
      { type: 'duration', ...job('j2', 'alpha'), phase: 'policy_update', seconds: 3 },
      { type: 'duration', ...job('j3', 'beta'), phase: 'policy_update', seconds: 0.2 },
    );
    const exp = await metrics();
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'alpha' })).toBe(2);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_sum', { agent_id: 'alpha' })).toBe(4);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'beta' })).toBe(1);
    expect(find(exp, 'training_policy_update_duration_seconds_count').every((s) => !('job_id' in s.labels))).toBe(true);
  });
});

describe('budget gauges', () => {
  it.each([
    ['under the limit', 25, 100, 25],
    ['at the limit', 100, 100, 100],
    ['over the limit', 150, 100, 150],
    ['with a zero limit (no division)', 42.5, 0, 0],
    ['with nothing spent', 0, 80, 0],
  ])('sets usage, limit and utilization %s', async (_name, usage, limit, utilization) => {
    await client.send({ type: 'job_created', ...job('j1') }, { type: 'budget', ...job('j1'), usage_usd: usage, limit_usd: limit });
    const exp = await metrics();
    const labels = { agent_id: 'agent-1', job_id: 'j1' };
    expect(valueOf(exp, 'training_budget_usage_usd', labels)).toBe(usage);
    expect(valueOf(exp, 'training_budget_limit_usd', labels)).toBe(limit);
    expect(valueOf(exp, 'training_budget_utilization_percent', labels)).toBe(utilization);
  });

  it('keeps the limit from job_created when a budget event carries only usage', async () => {
    await client.send(
      { type: 'job_created', ...job('j1'), budget_limit_usd: 40 },
      { type: 'budget', ...job('j1'), usage_usd: 10 },
    );
    const exp = await metrics();
    expect(valueOf(exp, 'training_budget_limit_usd', { job_id: 'j1' })).toBe(40);
    expect(valueOf(exp, 'training_budget_utilization_percent', { job_id: 'j1' })).toBe(25);
  });
});

describe('progress gauges', () => {
  it.each([
    ['at the start', 0, 100],
    ['half way', 50, 100],
    ['at the end', 100, 100],
  ])('sets current and total iteration %s', async (_name, current, total) => {
    await client.send({ type: 'job_created', ...job('j1') }, { type: 'progress', ...job('j1'), current_iteration: current, total_iterations: total });
    const exp = await metrics();
    expect(valueOf(exp, 'training_iteration_current', { job_id: 'j1' })).toBe(current);
    expect(valueOf(exp, 'training_iteration_total', { job_id: 'j1' })).toBe(total);
  });
});

describe('training values', () => {
  it.each([
    ['loss only', { loss: 0.75 }, 0.75, undefined],
    ['reward only', { mean_reward: -1.5 }, undefined, -1.5],
    ['both', { loss: 0.25, mean_reward: 3 }, 0.25, 3],
    ['neither', {}, undefined, undefined],
  ])('an update with %s sets exactly those gauges', async (_name, values, loss, reward) => {
    await client.send({ type: 'job_created', ...job('j1') }, { type: 'training', ...job('j1'), ...values });
    const exp = await metrics();
    const lossSamples = find(exp, 'training_loss', { job_id: 'j1' });
    const rewardSamples = find(exp, 'training_reward_mean', { job_id: 'j1' });
    expect(lossSamples.map((s) => s.value)).toEqual(loss === undefined ? [] : [loss]);
    expect(rewardSamples.map((s) => s.value)).toEqual(reward === undefined ? [] : [reward]);
  });

  it('keeps the previous loss when a later update carries only the reward', async () => {
    await client.send(
      { type: 'training', ...job('j1'), loss: 2 },
      { type: 'training', ...job('j1'), mean_reward: 0.5 },
    );
    const exp = await metrics();
    expect(valueOf(exp, 'training_loss', { job_id: 'j1' })).toBe(2);
    expect(valueOf(exp, 'training_reward_mean', { job_id: 'j1' })).toBe(0.5);
  });

  // prom-client writes NaN as `Nan`; both formats read the spelling case-insensitively.
  it('exports a NaN loss as NaN (sent as the string "NaN")', async () => {
    await client.send({ type: 'training', ...job('j1'), loss: 'NaN', mean_reward: '-Infinity' });
    const { body, exp } = await scrape(engine);
    expect(body).toContain('training_loss{agent_id="agent-1",job_id="j1"} Nan');
    expect(valueOf(exp, 'training_reward_mean', { job_id: 'j1' })).toBe(-Infinity);
  });
});

describe('a whole workflow', () => {
  it('reports what a training run did, value by value', async () => {
    const j = job('run-42', 'grpo');
    await client.send(
      { type: 'job_created', ...j, total_iterations: 3, budget_limit_usd: 10 },
      ...[1, 2, 3].flatMap((i) => [
        { type: 'duration', ...j, phase: 'trajectory_generation', seconds: 10 * i },
        { type: 'duration', ...j, phase: 'policy_update', seconds: 0.4 * i },
        { type: 'duration', ...j, phase: 'iteration', seconds: 11 * i },
        { type: 'progress', ...j, current_iteration: i, total_iterations: 3 },
        { type: 'training', ...j, loss: 1 / i, mean_reward: i },
        { type: 'budget', ...j, usage_usd: 3 * i },
      ]),
      { type: 'duration', ...j, phase: 'checkpoint_save', seconds: 2 },
    );
    let exp = await metrics();
    const L = { agent_id: 'grpo', job_id: 'run-42' };
    expect(valueOf(exp, 'training_jobs_active')).toBe(1);
    expect(valueOf(exp, 'training_job_status', { ...L, status: 'running' })).toBe(1);
    expect(valueOf(exp, 'training_iteration_current', L)).toBe(3);
    expect(valueOf(exp, 'training_loss', L)).toBeCloseTo(1 / 3, 12);
    expect(valueOf(exp, 'training_reward_mean', L)).toBe(3);
    expect(valueOf(exp, 'training_budget_utilization_percent', L)).toBe(90);
    expect(buckets(exp, 'training_trajectory_generation_duration_seconds', { agent_id: 'grpo' })).toEqual({
      '1': 0, '5': 0, '10': 1, '30': 3, '60': 3, '120': 3, '300': 3, '+Inf': 3,
    });
    expect(valueOf(exp, 'training_policy_update_duration_seconds_sum', { agent_id: 'grpo' })).toBeCloseTo(2.4, 12);
    expect(valueOf(exp, 'training_checkpoint_save_duration_seconds_count', { agent_id: 'grpo' })).toBe(1);

    await client.send({ type: 'job_completed', ...j });
    exp = await metrics();
    expect(valueOf(exp, 'training_jobs_completed_total', { agent_id: 'grpo' })).toBe(1);
    expect(valueOf(exp, 'training_jobs_active')).toBe(0);
    expect(valueOf(exp, 'training_job_status', { ...L, status: 'completed' })).toBe(1);
    expect(valueOf(exp, 'training_job_status', { ...L, status: 'running' })).toBe(0);
    expect(valueOf(exp, 'trainwatch_ingest_events_total', { type: 'duration' })).toBe(10);
    expect(valueOf(exp, 'trainwatch_ingest_events_total', { type: 'job_completed' })).toBe(1);
  });
});

describe('exemplars (OpenMetrics)', () => {
  it('links each duration bucket to the job that last landed in it, in OpenMetrics only', async () => {
    const long = 'x'.repeat(130);
    await client.send(
      { type: 'duration', ...job('slow-job'), phase: 'trajectory_generation', seconds: 75, ts: 1_800_000_000 },
      { type: 'duration', ...job('fast-job'), phase: 'trajectory_generation', seconds: 2, ts: 1_800_000_001 },
      { type: 'duration', ...job('later-slow'), phase: 'trajectory_generation', seconds: 90, ts: 1_800_000_002 },
      { type: 'duration', ...job(long), phase: 'trajectory_generation', seconds: 500, ts: 1_800_000_003 },
    );
    const om = (await scrape(engine, 'application/openmetrics-text;version=1.0.0')).body;
    const bucket = (le: string) => om.split('\n').find((l) => l.startsWith(`training_trajectory_generation_duration_seconds_bucket{le="${le}",agent_id="agent-1"}`));
    expect(bucket('5')).toBe('training_trajectory_generation_duration_seconds_bucket{le="5",agent_id="agent-1"} 1 # {job_id="fast-job"} 2 1800000001');
    expect(bucket('120')).toBe('training_trajectory_generation_duration_seconds_bucket{le="120",agent_id="agent-1"} 3 # {job_id="later-slow"} 90 1800000002');
    // A job id too long for an exemplar (OpenMetrics caps its labels at 128 characters) gets none.
    expect(bucket('+Inf')).toBe('training_trajectory_generation_duration_seconds_bucket{le="+Inf",agent_id="agent-1"} 4');
    const text = (await scrape(engine)).body;
    expect(text).not.toContain('# {job_id=');
  });
});
