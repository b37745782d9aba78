/**
 * Snapshot export of a remote run, from the data its source queried: the same formats and code
 * as a local run's export (snapshot/snapshots.ts), through a scratch run built from the fleet
 * run's summary and series. What a source cannot know stays empty: per-job phase histograms
 * (Prometheus has them per agent only), the error text, params, the event count.
 */
import type { FleetRunDetail } from '../../../shared/fleet.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { Clock } from '../clock.ts';
import { exportRun, setSeries } from '../snapshot/snapshots.ts';
import type { ExportedRun } from '../snapshot/snapshots.ts';
import { runFromCheckpoint } from '../store/checkpoint.ts';
import { emptyPhases, RunStore } from '../store/runStore.ts';
import { markImported } from '../store/restore.ts';
import type { Checkpoint } from '../storage/record.ts';

export async function exportRemoteRun(detail: FleetRunDetail, format: SnapshotFormat, clock: Clock, engineVersion: string): Promise<ExportedRun> {
  // Empty histograms with the inherited buckets: a fresh run's.
  const phases: Checkpoint['phases'] = emptyPhases();
  const run = runFromCheckpoint({
    job_id: detail.job_id,
    agent_id: detail.agent_id,
    name: detail.name,
    state: detail.status === 'stalled' ? 'running' : detail.status,
    implicit: false,
    created_explicitly: true,
    started_at: detail.started_at,
    ended_at: detail.ended_at,
    last_event_at: detail.last_event_at,
    event_count: detail.event_count,
    current_iteration: detail.current_iteration,
    total_iterations: detail.total_iterations,
    budget_usage_usd: detail.budget_usage_usd,
    budget_limit_usd: detail.budget_limit_usd,
    loss: detail.loss,
    mean_reward: detail.mean_reward,
    error: detail.error,
    cancel_reason: detail.cancel_reason,
    pid: null,
    tags: detail.tags,
    group: detail.group,
    params: { source: detail.source_id, instance: detail.instance },
    phases,
  });
  // As the source saw it: a remote run neither stalls nor recovers in the copy.
  markImported(run);
  setSeries(run, Object.fromEntries(Object.entries(detail.series).map(([k, s]) => [k, { t: s.t, v: s.v }])));
  const store = new RunStore({ clock, maxRuns: 1 });
  store.restore(run);
  return exportRun(store, run, format, engineVersion);
}
