/**
 * A run read from another tool's log, as a snapshot (shared/snapshot.ts): the one form the
 * engine imports, so a TensorBoard log or a CSVLogger file goes through exactly the validation,
 * storage and all-or-nothing path a snapshot file does.
 */
import { PHASES } from '../../../shared/protocol/events.ts';
import { SERIES } from '../../../shared/run.ts';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, phaseBounds } from '../../../shared/snapshot.ts';
import type { Snapshot } from '../../../shared/snapshot.ts';

/** Longest tag that fits a snapshot's series key (200) behind the `scalar/` prefix. */
export const MAX_TAG_LENGTH = 200 - SERIES.scalar('').length;

/** One scalar series as read: parallel arrays in file order. */
export interface ScalarPoints {
  t: number[];
  v: number[];
  step: number[];
}

export interface ImportedRunData {
  jobId: string;
  /** Which reader made it: the run's agent_id (`tensorboard`, `csvlogger`). */
  agentId: string;
  name: string;
  scalars: Map<string, ScalarPoints>;
  params: Record<string, unknown> | null;
  /** Unix seconds; null where the log has no times (CSVLogger). */
  startedAt: number | null;
  endedAt: number | null;
  records: number;
  /** The directory a run was imported with (its sibling runs share it); null for a single file. */
  group?: string | null;
}

export function importedSnapshot(d: ImportedRunData, engineVersion: string, now: number): Snapshot {
  const series: Snapshot['series'] = {};
  let lastStep: number | null = null;
  for (const [tag, p] of d.scalars) {
    series[SERIES.scalar(tag)] = { t: p.t, v: p.v, step: p.step };
    for (const s of p.step) if (lastStep === null || s > lastStep) lastStep = s;
  }
  const started = d.startedAt ?? now;
  const ended = d.endedAt ?? started;
  const emptyPhase = (bounds: readonly number[]) => ({
    count: 0,
    sum: 0,
    mean: null,
    p50: null,
    p95: null,
    p99: null,
    histogram: { bounds: [...bounds], counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 },
  });
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    exported_at: now,
    engine: { version: engineVersion },
    run: {
      job_id: d.jobId,
      agent_id: d.agentId,
      name: d.name,
      // A log says nothing about how its run ended; "completed" is the state of a run that did.
      state: 'completed',
      status: 'completed',
      implicit: false,
      started_at: started,
      ended_at: ended,
      last_event_at: ended,
      event_count: d.records,
      current_iteration: lastStep !== null && lastStep >= 0 ? lastStep : null,
      total_iterations: null,
      budget_usage_usd: null,
      budget_limit_usd: null,
      loss: null,
      mean_reward: null,
      error: null,
      cancel_reason: null,
      pid: null,
      params: d.params,
      tags: [],
      group: d.group ?? null,
    },
    summary: {
      phases: Object.fromEntries(PHASES.map((p) => [p, emptyPhase(phaseBounds(p))])) as Snapshot['summary']['phases'],
      budget: { usage_usd: null, limit_usd: null, utilization_percent: null, burn_rate_usd_per_hour: null, projected_total_usd: null },
      progress: { current_iteration: lastStep !== null && lastStep >= 0 ? lastStep : null, total_iterations: null, percent: null, eta_seconds: null },
    },
    series,
    // The export renders a run's exposition afresh; an imported log has no /metrics of its own.
    exposition: '',
  };
}
