/**
 * The Python client (clients/python/trainwatch/) in real python3 processes against a live
 * engine: the drop-in API as the original service called it, the job-scoped API, an exception
 * inside its context manager, a cancel from the API, and an engine that is down at start, goes
 * away mid-run and comes back. Also runs the client's own unit tests, so `npm test` fails when
 * they fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../electron/engine/index.ts';
import type { Engine } from '../../electron/engine/index.ts';
import { closedPort, rawRequest, scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { buckets, semanticProblems, valueOf } from '../helpers/exposition.ts';
import { cleanEnv, killStarted, run, start, until } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT_DIR = path.join(ROOT, 'clients/python');
const PYTHON = process.env.PYTHON ?? 'python3';

afterEach(() => killStarted());

function python(code: string, env: Record<string, string>, timeoutMs = 60_000) {
  return run(PYTHON, ['-c', code], cleanEnv({ PYTHONPATH: CLIENT_DIR, ...env }), timeoutMs);
}

describe('the Python client unit tests (python3 -m unittest)', () => {
  it('pass', () => {
    const r = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', CLIENT_DIR, '-p', 'test_*.py'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: cleanEnv() });
    expect(r.error).toBeUndefined();
    // Skips name their reason in the output (a framework this machine lacks).
    expect(`${r.stderr}`).toMatch(/\nOK( \(skipped=\d+\))?\n$/);
    expect(r.status).toBe(0);
  });
});

describe('against a live engine', () => {
  let engine: TestEngine;
  let addr: string;
  beforeAll(async () => {
    engine = await testEngine();
    addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
  });
  afterAll(async () => engine.dispose());

  it('drop-in: the original service calls show exactly the expected values in /metrics', async () => {
    const r = await python(
      `
import time
from trainwatch import TrainingMetrics

A = "grpo"
TrainingMetrics.job_created(A)
for it in range(1, 4):
    with TrainingMetrics.measure_trajectory_generation(A):
        time.sleep(0.002)
    with TrainingMetrics.measure_policy_update(A):
        time.sleep(0.002)
    with TrainingMetrics.measure_iteration(A):
        pass
    TrainingMetrics.update_progress(A, "grpo-job-1", it, 3)
    TrainingMetrics.update_budget(A, "grpo-job-1", it * 2.5, 10.0)
    TrainingMetrics.update_training_metrics(A, "grpo-job-1", loss=1.0 / it, mean_reward=it * 0.5)
with TrainingMetrics.measure_checkpoint_save(A):
    pass
TrainingMetrics.job_completed(A)

TrainingMetrics.job_created(A)
TrainingMetrics.update_progress(A, "grpo-job-2", 1, 5)
TrainingMetrics.update_training_metrics(A, "grpo-job-2", loss=float("nan"))
TrainingMetrics.update_budget(A, "grpo-job-2", 1.0, 0)
TrainingMetrics.job_failed(A)
`,
      { TRAINWATCH_ADDR: addr },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { exp } = await scrape(engine);
    const agent = { agent_id: 'grpo' };
    const j1 = { agent_id: 'grpo', job_id: 'grpo-job-1' };
    const j2 = { agent_id: 'grpo', job_id: 'grpo-job-2' };
    expect(valueOf(exp, 'training_jobs_created_total', agent)).toBe(2);
    expect(valueOf(exp, 'training_jobs_completed_total', agent)).toBe(1);
    expect(valueOf(exp, 'training_jobs_failed_total', agent)).toBe(1);
    expect(valueOf(exp, 'training_jobs_cancelled_total', agent)).toBe(0);
    expect(valueOf(exp, 'training_jobs_active')).toBe(0);
    expect(valueOf(exp, 'training_iteration_current', j1)).toBe(3);
    expect(valueOf(exp, 'training_iteration_total', j1)).toBe(3);
    expect(valueOf(exp, 'training_budget_usage_usd', j1)).toBe(7.5);
    expect(valueOf(exp, 'training_budget_limit_usd', j1)).toBe(10);
    expect(valueOf(exp, 'training_budget_utilization_percent', j1)).toBe(75);
    expect(valueOf(exp, 'training_loss', j1)).toBe(1 / 3);
    expect(valueOf(exp, 'training_reward_mean', j1)).toBe(1.5);
    expect(valueOf(exp, 'training_job_status', { ...j1, status: 'completed' })).toBe(1);
    expect(valueOf(exp, 'training_iteration_current', j2)).toBe(1);
    expect(valueOf(exp, 'training_loss', j2)).toBeNaN();
    expect(valueOf(exp, 'training_budget_utilization_percent', j2)).toBe(0);
    expect(valueOf(exp, 'training_job_status', { ...j2, status: 'failed' })).toBe(1);
    for (const [metric, n] of [
      ['training_trajectory_generation_duration_seconds', 3],
      ['training_policy_update_duration_seconds', 3],
      ['training_iteration_duration_seconds', 3],
      ['training_checkpoint_save_duration_seconds', 1],
    ] as const) {
      expect(valueOf(exp, `${metric}_count`, agent)).toBe(n);
      expect(buckets(exp, metric, agent)['+Inf']).toBe(n);
    }
    expect(buckets(exp, 'training_trajectory_generation_duration_seconds', agent)['1']).toBe(3);
    expect(buckets(exp, 'training_policy_update_duration_seconds', agent)['30']).toBe(3);
    // Phases measured before the first update belong to the job it named.
    expect(engine.store.get('grpo-job-1')!.phases.trajectory_generation.count).toBe(3);
    expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'invalid_json' })).toBe(0);
    expect(semanticProblems(exp)).toEqual([]);
  });

  it('job-scoped: start(), progress, phases and finish() show exactly the expected values', async () => {
    const r = await python(
      `
import trainwatch
with trainwatch.start(job_id="py-ok", agent_id="ppo", total_iterations=4, budget_limit_usd=8.0, name="PPO from python", params={"lr": 0.0003}) as run:
    for i in range(1, 5):
        with run.phase("policy_update"):
            pass
        run.progress(i)
        run.budget(i * 1.0)
        run.training(loss=0.5 / i, mean_reward=float("inf") if i == 4 else i)
        run.scalar("grad_norm", 0.1 * i, step=i)
`,
      { TRAINWATCH_ADDR: addr },
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    const { exp } = await scrape(engine);
    const job = { agent_id: 'ppo', job_id: 'py-ok' };
    expect(valueOf(exp, 'training_iteration_current', job)).toBe(4);
    expect(valueOf(exp, 'training_iteration_total', job)).toBe(4);
    expect(valueOf(exp, 'training_budget_usage_usd', job)).toBe(4);
    expect(valueOf(exp, 'training_budget_limit_usd', job)).toBe(8);
    expect(valueOf(exp, 'training_budget_utilization_percent', job)).toBe(50);
    expect(valueOf(exp, 'training_loss', job)).toBe(0.125);
    expect(valueOf(exp, 'training_reward_mean', job)).toBe(Infinity);
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'ppo' })).toBe(4);
    expect(valueOf(exp, 'training_job_status', { ...job, status: 'completed' })).toBe(1);
    const detail = engine.store.detail('py-ok', 100)!;
    expect(detail.name).toBe('PPO from python');
    expect(detail.params).toEqual({ lr: 0.0003 });
    expect(detail.implicit).toBe(false);
    expect(detail.series['scalar/grad_norm']!.v).toEqual([0.1, 0.2, 0.30000000000000004, 0.4]);
  });

  it('job-scoped: an exception inside the context manager fails the job with its text and still raises', async () => {
    const r = await python(
      `
import trainwatch
with trainwatch.start(job_id="py-boom", agent_id="ppo", total_iterations=10, budget_limit_usd=4) as run:
    run.progress(2)
    run.budget(1.0)
    run.training(loss=0.5, mean_reward=float("-inf"))
    raise RuntimeError("reward model unavailable")
`,
      { TRAINWATCH_ADDR: addr },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RuntimeError: reward model unavailable\n$/);
    const { exp } = await scrape(engine);
    const job = { agent_id: 'ppo', job_id: 'py-boom' };
    expect(valueOf(exp, 'training_job_status', { ...job, status: 'failed' })).toBe(1);
    expect(valueOf(exp, 'training_iteration_current', job)).toBe(2);
    expect(valueOf(exp, 'training_budget_utilization_percent', job)).toBe(25);
    expect(valueOf(exp, 'training_reward_mean', job)).toBe(-Infinity);
    expect(engine.store.get('py-boom')!.error).toBe('RuntimeError: reward model unavailable');
  });

  it('a cancel from the API reaches the script: run.cancelled, the callback, then job_cancelled', async () => {
    const p = start(
      PYTHON,
      [
        '-c',
        `
import time, trainwatch
heard = []
run = trainwatch.start(job_id="py-cancel", agent_id="ppo", on_cancel=heard.append)
print("ready", flush=True)
while not run.cancelled:
    time.sleep(0.01)
print("heard", heard, flush=True)
run.cancel()
`,
      ],
      cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: addr }),
    );
    await p.waitFor('ready');
    await until(() => engine.store.get('py-cancel') !== undefined, 10_000, 'the job to arrive');
    const res = await rawRequest(engine, {
      method: 'POST',
      path: '/api/v1/runs/py-cancel/cancel',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'enough for today' }),
    });
    expect([res.status, JSON.parse(res.body)]).toEqual([202, { job_id: 'py-cancel', reason: 'enough for today', delivered: 1 }]);
    const done = await p.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("heard ['enough for today']");
    const runState = engine.store.get('py-cancel')!;
    expect([runState.state, runState.cancelReason]).toEqual(['cancelled', 'enough for today']);
  });
});

describe('an engine that is down at start, goes away mid-run and comes back', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tw-py-resilience-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('never slows the training loop, delivers the newest state once, and reports the drops', async () => {
    const port = await closedPort();
    const N = 240;
    // The script pauses (outside its timed part) at iterations 81 and 161 and before its final
    // flush, until the test has switched the engine on or off: each phase is deterministic.
    const p = start(
      PYTHON,
      [
        '-c',
        `
import json, sys, time, trainwatch
trainwatch.configure(max_buffer=60, reconnect_min=0.05, reconnect_max=0.2)
run = trainwatch.start(job_id="resilient", agent_id="ppo", total_iterations=${N})
worst = 0.0
total = 0.0
for i in range(1, ${N} + 1):
    if i in (81, 161):
        print("pause", i, flush=True)
        sys.stdin.readline()
    t0 = time.perf_counter()
    run.progress(i)
    run.training(loss=1.0 / i)
    with run.phase("policy_update"):
        pass
    spent = time.perf_counter() - t0
    worst = max(worst, spent)
    total += spent
    time.sleep(0.005)
run.finish()
print("pause end", flush=True)
sys.stdin.readline()
flushed = trainwatch.flush(15)
print("RESULT " + json.dumps(dict(trainwatch.stats(), worst=worst, mean=total / ${N}, flushed=flushed)), flush=True)
`,
      ],
      cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: `127.0.0.1:${port}` }),
      90_000,
      'pipe',
    );
    const go = () => p.child.stdin!.write('go\n');
    const engineOn = () => startEngine({ port: 0, ingestPort: port, socketPath: null, dataDir, uiDir: null, defaultMetrics: false });
    let engine: Engine | null = null;
    try {
      await p.waitFor('pause 81\n'); // iterations 1-80 ran with no engine at all
      engine = await engineOn();
      go();
      await p.waitFor('pause 161\n'); // 81-160 with the engine up
      await until(() => engine!.store.get('resilient')?.currentIteration === 160, 10_000, 'iteration 160 to arrive');
      await engine.stop();
      engine = null;
      go();
      await p.waitFor('pause end\n'); // 161-240 with the engine gone again
      engine = await engineOn();
      go();
      const done = await p.done;
      expect(done.code).toBe(0);
      const result = JSON.parse(/RESULT (.*)/.exec(done.stdout)![1]!) as Record<string, number | boolean>;
      // The loop's own timing: reporting never waited for the network (a blocking connect or
      // hello would take seconds); on average a few microseconds per iteration.
      expect(result.worst).toBeLessThan(0.25);
      expect(result.mean).toBeLessThan(0.005);
      expect(result.flushed).toBe(true);
      expect(result.buffered).toBe(0);
      expect(result.dropped).toBeGreaterThan(0);
      expect(result.reconnects).toBe(1);
      // Said once when the buffer first overflowed, and once per outage when the engine was back.
      expect(done.stderr.match(/dropping the oldest/g)).toHaveLength(1);
      expect(done.stderr.match(/events were dropped while it was unreachable/g)).toHaveLength(2);

      const { exp } = await scrape(engine);
      const job = { agent_id: 'ppo', job_id: 'resilient' };
      expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'ppo' })).toBe(1);
      expect(valueOf(exp, 'training_iteration_current', job)).toBe(N);
      expect(valueOf(exp, 'training_loss', job)).toBe(1 / N);
      expect(valueOf(exp, 'training_job_status', { ...job, status: 'completed' })).toBe(1);
      expect(valueOf(exp, 'trainwatch_ingest_duplicates_total')).toBe(0);
      const dropped = engine.store.detail('resilient', 1000)!.series['scalar/trainwatch/dropped_events']!.v;
      expect(dropped.at(-1)).toBe(result.dropped);
    } finally {
      await engine?.stop();
    }
  });
});

