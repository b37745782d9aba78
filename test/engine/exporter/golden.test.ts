/**
 * /metrics byte for byte: one rich, deterministic store (agents and runs in every state, phase
 * durations filling buckets, budgets, a NaN loss, ids that need escaping, push groups,
 * exemplars, a retired run, an imported run, the per-job cap) rendered in both formats on a fixed
 * clock, compared with the files under test/fixtures/exporter/. The files were captured from the
 * exporter before it moved onto prom-client's public API; any difference is a change a scraper
 * sees and must be made on purpose (regenerate with TRAINWATCH_WRITE_GOLDEN=1 and say why).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { Exporter } from '../../../electron/engine/exporter/exporter.ts';
import type { StorageView } from '../../../electron/engine/exporter/exporter.ts';
import { IngestStats } from '../../../electron/engine/ingest/stats.ts';
import { PushStore } from '../../../electron/engine/push/pushStore.ts';
import { exportRun, runFromSnapshot, buildSnapshot } from '../../../electron/engine/snapshot/snapshots.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'exporter');
const T0 = 1_800_000_000;

/** The store, stats, storage and push groups every golden render reads. */
async function scenario() {
  const clock = new ManualClock(T0);
  const store = new RunStore({ clock, stallAfterSeconds: 300, maxRuns: 50 });
  const stats = new IngestStats(() => clock.now());
  const apply = (e: Record<string, unknown>, at = clock.now()) => {
    const p = parseValue(e);
    if (p.kind !== 'event') throw new Error(`bad event ${JSON.stringify(e)}`);
    const r = store.apply(p.event, at);
    if (!r.ok) throw new Error(`refused ${JSON.stringify(e)}: ${r.rejection.message}`);
    stats.events[p.event.type]++;
  };
  const A = 'agent-1';
  const Q = 'q"uo\\te';
  const G = 'grpo';

  // A finished run that has since been retired: only its counts remain (retired totals).
  apply({ type: 'job_created', job_id: 'old-1', agent_id: G, ts: T0 - 9_000 }, T0 - 9_000);
  apply({ type: 'duration', job_id: 'old-1', agent_id: G, phase: 'iteration', seconds: 700, ts: T0 - 8_990 }, T0 - 8_990);
  apply({ type: 'job_failed', job_id: 'old-1', agent_id: G, error: 'OOM' }, T0 - 8_980);
  store.retire('old-1', 'age');

  // Ended long ago (past the 600 s TTL): in the totals, not in the per-job families.
  apply({ type: 'job_created', job_id: 'ended-long-ago', agent_id: G, total_iterations: 10 }, T0 - 5_000);
  apply({ type: 'job_completed', job_id: 'ended-long-ago', agent_id: G }, T0 - 4_000);

  // Running and fresh, with everything a training loop reports.
  const J = { job_id: 'run-1', agent_id: A };
  apply({ type: 'job_created', ...J, name: 'first', total_iterations: 100, budget_limit_usd: 50, ts: T0 - 200 }, T0 - 200);
  const seconds = [0.05, 0.1, 0.3, 0.7, 1, 1.5, 4, 7, 20, 45, 90, 200, 450, 1_000];
  seconds.forEach((s, i) => {
    for (const phase of ['trajectory_generation', 'policy_update', 'iteration', 'checkpoint_save']) {
      apply({ type: 'duration', ...J, phase, seconds: s, ts: T0 - 190 + i }, T0 - 190 + i);
    }
  });
  apply({ type: 'progress', ...J, current_iteration: 42, total_iterations: 100 }, T0 - 20);
  apply({ type: 'training', ...J, loss: 0.125, mean_reward: 3.5, iteration: 42 }, T0 - 15);
  apply({ type: 'budget', ...J, usage_usd: 12.5 }, T0 - 12);
  apply({ type: 'scalar', ...J, name: 'grad_norm', value: 2.5, step: 42 }, T0 - 11);
  apply({ type: 'system', ...J, cpu_ratio: 1.5, rss_bytes: 1_073_741_824, gpu_mem_bytes: 2_147_483_648, ts: T0 - 5 }, T0 - 5);

  // Running, NaN loss and -Infinity reward, a zero budget limit, an id that needs escaping.
  const N = { job_id: 'nan "run"\\x', agent_id: Q };
  apply({ type: 'job_created', ...N, budget_limit_usd: 0 }, T0 - 100);
  apply({ type: 'training', ...N, loss: 'NaN', mean_reward: '-Infinity' }, T0 - 90);
  apply({ type: 'budget', ...N, usage_usd: 42.5, limit_usd: 0 }, T0 - 80);
  apply({ type: 'duration', ...N, phase: 'policy_update', seconds: 0.2, ts: T0 - 79 }, T0 - 79);
  apply({ type: 'duration', ...N, phase: 'policy_update', seconds: 0.3, ts: T0 - 78 }, T0 - 78);

  // Running but silent for longer than the stall timeout; its system sample is stale too.
  const S = { job_id: 'stalled-1', agent_id: A };
  apply({ type: 'job_created', ...S, ts: T0 - 1_000 }, T0 - 1_000);
  apply({ type: 'system', ...S, cpu_ratio: 0.5, ts: T0 - 990 }, T0 - 990);
  apply({ type: 'progress', ...S, current_iteration: 3 }, T0 - 900);

  // Implicitly created (no job_created), then completed; over-budget.
  const C = { job_id: 'done-1', agent_id: G };
  apply({ type: 'budget', ...C, usage_usd: 150, limit_usd: 100 }, T0 - 300);
  apply({ type: 'duration', ...C, phase: 'trajectory_generation', seconds: 12, ts: T0 - 299 }, T0 - 299);
  apply({ type: 'job_completed', ...C }, T0 - 250);

  // Failed and cancelled, recently.
  apply({ type: 'job_created', job_id: 'fail-1', agent_id: G }, T0 - 240);
  apply({ type: 'job_failed', job_id: 'fail-1', agent_id: G, error: 'CUDA out of memory' }, T0 - 230);
  apply({ type: 'job_created', job_id: 'cancel-1', agent_id: Q }, T0 - 220);
  apply({ type: 'job_cancelled', job_id: 'cancel-1', agent_id: Q, reason: 'user' }, T0 - 210);

  // Two running jobs that spoke longest ago: the cap of 7 exported jobs leaves them out.
  apply({ type: 'job_created', job_id: 'quiet-1', agent_id: A }, T0 - 590);
  apply({ type: 'job_created', job_id: 'quiet-2', agent_id: A }, T0 - 595);

  // An imported snapshot: history, never in /metrics.
  const imported = runFromSnapshot(
    { ...buildSnapshot(store, store.get('done-1')!, '0.0.1'), exposition: '' },
    'imported-1',
    true,
  );
  store.add(imported);

  stats.errors.invalid_json = 3;
  stats.errors.job_ended = 1;
  stats.open.unix = 2;
  stats.accepted.unix = 5;
  stats.accepted.tcp = 1;
  stats.closed.idle_timeout = 1;
  stats.duplicates = 4;
  stats.implicitJobs = 1;

  const storage: StorageView = {
    stats: {
      commits: 17,
      writeErrors: 0,
      recovery: { torn_tail: 1, corrupt_record: 0, corrupt_file: 0, temp_file: 0, replay_rejected: 0 },
      startupSeconds: 0.25,
    },
    diskBytes: 1_234_567,
    pendingBytes: 512,
  };

  const push = new PushStore(null, { clock, ttlSeconds: 600 });
  const pushed = await push.push(
    'PUT',
    'job/nightly/host/gpu 1',
    '# HELP batch_rows Rows done\n# TYPE batch_rows gauge\nbatch_rows{shard="a\\"b\\\\c\\nd"} 7\n# TYPE batch_runs_total counter\nbatch_runs_total 3\n',
  );
  if (pushed.status !== 200) throw new Error(`push refused: ${JSON.stringify(pushed.body)}`);

  const exporter = new Exporter({ defaultMetrics: false, maxExportedJobs: 7, version: '1.2.3' });
  exporter.attach(store, stats, storage);
  exporter.attachPush(push);
  exporter.addExtraFamilies(push);
  return { clock, store, exporter };
}

function golden(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env.TRAINWATCH_WRITE_GOLDEN === '1') writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('/metrics, byte for byte', () => {
  it('renders the Prometheus text format exactly as the golden file', async () => {
    const { exporter } = await scenario();
    golden('metrics.txt', (await exporter.render()).body);
  });

  it('renders OpenMetrics (exemplars, _total counters, # EOF) exactly as the golden file', async () => {
    const { exporter } = await scenario();
    await exporter.render();
    golden('metrics.openmetrics.txt', (await exporter.render('application/openmetrics-text; version=1.0.0')).body);
  });

  it('exports one run as Prometheus text exactly as the golden file', async () => {
    const { store } = await scenario();
    for (const id of ['run-1', 'nan "run"\\x', 'imported-1']) {
      const out = await exportRun(store, store.get(id)!, 'prom', '1.2.3');
      golden(`run-${id.replace(/[^a-z0-9-]/g, '_')}.prom`, out.body);
    }
  });
});
