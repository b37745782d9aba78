/**
 * The wire contract inherited from the original Python service (../shared/METRICS.md), pinned
 * here as its own table on purpose: if the catalog drifts, this test fails instead of following.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_LIST } from '../../../shared/catalog.ts';
import { find, parseExposition as parse, semanticProblems } from '../../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

const INHERITED: Array<[name: string, type: string, labels: string[], help: string, buckets?: number[]]> = [
  ['training_jobs_created_total', 'counter', ['agent_id'], 'Total number of training jobs created'],
  ['training_jobs_completed_total', 'counter', ['agent_id'], 'Total number of training jobs completed successfully'],
  ['training_jobs_failed_total', 'counter', ['agent_id'], 'Total number of training jobs failed'],
  ['training_jobs_cancelled_total', 'counter', ['agent_id'], 'Total number of training jobs cancelled'],
  ['training_jobs_active', 'gauge', [], 'Number of currently active training jobs'],
  ['training_trajectory_generation_duration_seconds', 'histogram', ['agent_id'], 'Time to generate trajectory batch', [1, 5, 10, 30, 60, 120, 300]],
  ['training_policy_update_duration_seconds', 'histogram', ['agent_id'], 'Time to update policy after training iteration', [0.1, 0.5, 1, 2, 5, 10, 30]],
  ['training_iteration_duration_seconds', 'histogram', ['agent_id'], 'Time to complete one training iteration', [5, 10, 30, 60, 120, 300, 600]],
  ['training_checkpoint_save_duration_seconds', 'histogram', ['agent_id'], 'Time to save checkpoint', [0.1, 0.5, 1, 2, 5, 10]],
  ['training_budget_usage_usd', 'gauge', ['agent_id', 'job_id'], 'Current budget usage in USD'],
  ['training_budget_limit_usd', 'gauge', ['agent_id', 'job_id'], 'Budget limit in USD'],
  ['training_budget_utilization_percent', 'gauge', ['agent_id', 'job_id'], 'Budget utilization percentage (0-100)'],
  ['training_iteration_current', 'gauge', ['agent_id', 'job_id'], 'Current training iteration'],
  ['training_iteration_total', 'gauge', ['agent_id', 'job_id'], 'Total training iterations planned'],
  ['training_loss', 'gauge', ['agent_id', 'job_id'], 'Current training loss'],
  ['training_reward_mean', 'gauge', ['agent_id', 'job_id'], 'Mean reward across trajectories'],
];

let engine: TestEngine;
let body: string;
beforeAll(async () => {
  engine = await testEngine();
  const client = await StreamClient.to(engine);
  const j = { job_id: 'c1', agent_id: 'a' };
  await client.send(
    { type: 'job_created', ...j, total_iterations: 4, budget_limit_usd: 10 },
    { type: 'budget', ...j, usage_usd: 1 },
    { type: 'progress', ...j, current_iteration: 1 },
    { type: 'training', ...j, loss: 1, mean_reward: 0 },
    ...(['trajectory_generation', 'policy_update', 'iteration', 'checkpoint_save'] as const).map((phase) => ({ type: 'duration', ...j, phase, seconds: 1 })),
  );
  await client.close();
  body = (await scrape(engine)).body;
});
afterAll(async () => engine.dispose());

describe('the inherited metric set in /metrics', () => {
  it.each(INHERITED)('%s is a %s with the original help text, labels and buckets', (name, type, labels, help, bucketList) => {
    expect(body).toContain(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
    const sampleName = type === 'histogram' ? `${name}_count` : name;
    const sample = body.split('\n').find((l) => l.startsWith(`${sampleName}{`) || l.startsWith(`${sampleName} `))!;
    const labelNames = [...(sample.match(/([a-z_]+)="/g) ?? [])].map((m) => m.slice(0, -2)).sort();
    expect(labelNames).toEqual([...labels].sort());
    if (bucketList) {
      const les = find(parse(body), `${name}_bucket`, { agent_id: 'a' }).map((s) => s.labels.le);
      expect(les).toEqual([...bucketList.map(String), '+Inf']);
    }
  });

  it('has no semantic problems promtool would miss', () => {
    expect(semanticProblems(parse(body))).toEqual([]);
  });
});

describe('the catalog', () => {
  it('names every metric once, also as OpenMetrics families (counters lose _total there)', () => {
    const names = METRIC_LIST.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    const families = METRIC_LIST.map((m) => (m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name));
    expect(new Set(families).size).toBe(families.length);
  });

  it('keeps _total for counters only, except the one inherited gauge that breaks the rule', () => {
    const offenders = METRIC_LIST.filter((m) => (m.type === 'counter') !== m.name.endsWith('_total')).map((m) => m.name);
    expect(offenders).toEqual(['training_iteration_total']);
  });

  it('prefixes the engine-health metrics with trainwatch_ and everything else with training_', () => {
    for (const m of METRIC_LIST) expect(m.name.startsWith(m.group === 'self' ? 'trainwatch_' : 'training_')).toBe(true);
  });
});
