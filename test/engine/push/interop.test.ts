/**
 * The real prometheus_client (Debian's python3-prometheus-client, in /usr/bin/python3) pushes
 * with push_to_gateway, pushadd_to_gateway and delete_from_gateway to a live engine, exactly as
 * it would to a Pushgateway, and /metrics shows the values.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';
import { buckets, find, semanticProblems, valueOf } from '../../helpers/exposition.ts';
import { SYSTEM_PYTHON, missingPrometheusClient } from '../../helpers/parts.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const skipReason = missingPrometheusClient();

/**
 * Runs Python with the original metrics module importable (GATEWAY is the engine's address).
 * Asynchronously: the engine runs in this process and must answer while Python waits.
 */
async function python(engine: TestEngine, code: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(SYSTEM_PYTHON, ['-c', code], {
    env: { ...process.env, PYTHONPATH: FIXTURES, GATEWAY: `127.0.0.1:${engine.http.port}`, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

describe.skipIf(skipReason !== null)(`push_to_gateway from the real prometheus_client${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await testEngine();
  });
  afterAll(async () => engine.dispose());

  it('maps the original module pushed as it is onto a run, with exact values in /metrics', async () => {
    const r = await python(
      engine,
      `
import os
from prometheus_client import push_to_gateway
from original_metrics import REGISTRY, TrainingMetrics as M
M.job_created("ppo")
M.update_budget("ppo", "ppo-run-1", 5.0, 20.0)
M.update_progress("ppo", "ppo-run-1", 3, 10)
M.update_training_metrics("ppo", "ppo-run-1", loss=float("nan"), mean_reward=1.25)
M.observe_policy_update("ppo", 0.05)
M.observe_policy_update("ppo", 0.3)
M.observe_policy_update("ppo", 4.0)
push_to_gateway(os.environ["GATEWAY"], job="trainer", registry=REGISTRY)
M.update_progress("ppo", "ppo-run-1", 10, 10)
M.job_completed("ppo")
push_to_gateway(os.environ["GATEWAY"], job="trainer", registry=REGISTRY)
`,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { exp, body } = await scrape(engine);
    const job = { agent_id: 'ppo', job_id: 'ppo-run-1' };
    expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'ppo' })).toBe(1);
    expect(valueOf(exp, 'training_jobs_completed_total', { agent_id: 'ppo' })).toBe(1);
    expect(valueOf(exp, 'training_jobs_active')).toBe(0);
    expect(valueOf(exp, 'training_budget_usage_usd', job)).toBe(5);
    expect(valueOf(exp, 'training_budget_limit_usd', job)).toBe(20);
    expect(valueOf(exp, 'training_budget_utilization_percent', job)).toBe(25);
    expect(valueOf(exp, 'training_iteration_current', job)).toBe(10);
    expect(valueOf(exp, 'training_iteration_total', job)).toBe(10);
    expect(valueOf(exp, 'training_loss', job)).toBeNaN();
    expect(valueOf(exp, 'training_reward_mean', job)).toBe(1.25);
    expect(buckets(exp, 'training_policy_update_duration_seconds', { agent_id: 'ppo' })).toEqual({
      '0.1': 1, '0.5': 2, '1': 2, '2': 2, '5': 3, '10': 3, '30': 3, '+Inf': 3,
    });
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'ppo' })).toBe(3);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_sum', { agent_id: 'ppo' })).toBeCloseTo(4.35, 5);
    expect(valueOf(exp, 'training_job_status', { ...job, status: 'completed' })).toBe(1);
    // The inherited names are the engine's own series, never re-exposed as a push group.
    expect(find(exp, 'training_loss')).toHaveLength(1);
    expect(body).not.toContain('training_jobs_created_created');
    expect(valueOf(exp, 'push_time_seconds', { job: 'trainer', instance: '' })).toBeGreaterThan(1e9);
    expect(semanticProblems(exp)).toEqual([]);
  });

  it('keeps other metrics per group with the grouping labels, replaces them on PUT, merges on POST, and deletes on DELETE', async () => {
    const push = (fn: string, extra = '') =>
      python(
        engine,
        `
import os
from prometheus_client import CollectorRegistry, Gauge, Counter, ${fn}
reg = CollectorRegistry()
${extra}
${fn}(os.environ["GATEWAY"], job="eval", grouping_key={"host": "gpu/1", "empty": ""}, registry=reg)
`,
      );
    let r = await push('push_to_gateway', 'Gauge("eval_accuracy", "Accuracy on the eval set", registry=reg).set(0.93)\nCounter("eval_batches", "Batches evaluated", registry=reg).inc(7)');
    expect([r.status, r.stderr]).toEqual([0, '']);
    const labels = { job: 'eval', host: 'gpu/1', empty: '', instance: '' };
    let exp = (await scrape(engine)).exp;
    expect(valueOf(exp, 'eval_accuracy', labels)).toBe(0.93);
    expect(valueOf(exp, 'eval_batches_total', labels)).toBe(7);
    expect(exp.families.get('eval_accuracy')).toEqual({ name: 'eval_accuracy', type: 'gauge', help: 'Accuracy on the eval set' });

    r = await push('pushadd_to_gateway', 'Gauge("eval_loss", "Loss on the eval set", registry=reg).set(0.5)');
    expect(r.status).toBe(0);
    exp = (await scrape(engine)).exp;
    expect(valueOf(exp, 'eval_loss', labels)).toBe(0.5);
    expect(valueOf(exp, 'eval_accuracy', labels)).toBe(0.93);

    r = await push('push_to_gateway', 'Gauge("eval_loss", "Loss on the eval set", registry=reg).set(0.25)');
    expect(r.status).toBe(0);
    exp = (await scrape(engine)).exp;
    expect(valueOf(exp, 'eval_loss', labels)).toBe(0.25);
    expect(find(exp, 'eval_accuracy')).toEqual([]);

    r = await python(engine, 'import os\nfrom prometheus_client import delete_from_gateway\ndelete_from_gateway(os.environ["GATEWAY"], job="eval", grouping_key={"host": "gpu/1", "empty": ""})');
    expect(r.status).toBe(0);
    exp = (await scrape(engine)).exp;
    expect(find(exp, 'eval_loss')).toEqual([]);
    expect(find(exp, 'push_time_seconds', { job: 'eval' })).toEqual([]);
  });

  it('makes push_to_gateway raise on a push the engine refuses, with the reason in the HTTP error', async () => {
    const r = await python(
      engine,
      `
import os
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway
reg = CollectorRegistry()
Gauge("up_down", "A gauge", ["job"], registry=reg).labels(job="someone-else").set(1)
push_to_gateway(os.environ["GATEWAY"], job="mine", registry=reg)
`,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/HTTP Error 400/);
  });

  it('refuses a malformed push with 400 and a message naming the line', async () => {
    const res = await rawRequest(engine, {
      method: 'PUT',
      path: '/metrics/job/broken',
      headers: { 'content-type': 'text/plain; version=0.0.4' },
      body: '# TYPE a gauge\na 1\nb{x="1"} oops\n',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'bad_exposition', message: 'line 3: invalid value "oops" for "b"' } });
    expect(find((await scrape(engine)).exp, 'a')).toEqual([]);
  });
});
