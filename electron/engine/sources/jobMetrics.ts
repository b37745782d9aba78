/**
 * From the per-job metrics of a Trainwatch `/metrics` (shared/catalog.ts) back to the run model:
 * which gauge feeds which RunSummary field and which detail series. Both remote sources (a
 * Prometheus, a scraped `/metrics` URL) build their runs through here.
 */
import { METRICS } from '../../../shared/catalog.ts';
import type { FleetRun } from '../../../shared/fleet.ts';
import { RUN_STATUSES, SERIES } from '../../../shared/run.ts';
import type { RunStatus } from '../../../shared/run.ts';

/** A per-job gauge and where its value goes. */
export interface JobGauge {
  metric: string;
  field: 'current_iteration' | 'total_iterations' | 'budget_usage_usd' | 'budget_limit_usd' | 'budget_utilization_percent' | 'loss' | 'mean_reward' | 'started_at' | 'last_event_at';
  /** The run-detail series it draws, when it is one. */
  series: string | null;
}

export const JOB_GAUGES: readonly JobGauge[] = [
  { metric: METRICS.iterationCurrent.name, field: 'current_iteration', series: SERIES.iteration },
  { metric: METRICS.iterationTotal.name, field: 'total_iterations', series: null },
  { metric: METRICS.budgetUsage.name, field: 'budget_usage_usd', series: SERIES.budgetUsage },
  { metric: METRICS.budgetLimit.name, field: 'budget_limit_usd', series: null },
  { metric: METRICS.budgetUtilization.name, field: 'budget_utilization_percent', series: SERIES.budgetUtilization },
  { metric: METRICS.loss.name, field: 'loss', series: SERIES.loss },
  { metric: METRICS.rewardMean.name, field: 'mean_reward', series: SERIES.meanReward },
  { metric: METRICS.jobStartTime.name, field: 'started_at', series: null },
  { metric: METRICS.jobLastEventTime.name, field: 'last_event_at', series: null },
];

export const STATUS_METRIC = METRICS.jobStatus.name;
export const JOB_METRIC_NAMES: readonly string[] = [STATUS_METRIC, ...JOB_GAUGES.map((g) => g.metric)];
const GAUGE_BY_METRIC = new Map(JOB_GAUGES.map((g) => [g.metric, g]));

/** What one look at a job's metrics says; fields that were absent stay undefined. */
export interface JobReading {
  instance: string;
  job_id: string;
  agent_id: string;
  status?: RunStatus;
  values: Partial<Record<JobGauge['field'], number>>;
}

/** Feeds one sample (name, labels, value) into the readings by instance and job; ignores the rest. */
export function readSample(readings: Map<string, JobReading>, instance: string, name: string, labels: Record<string, string>, value: number): void {
  const jobId = labels.job_id;
  const agentId = labels.agent_id;
  if (jobId === undefined || jobId === '' || agentId === undefined) return;
  const key = `${instance}\u0000${jobId}`;
  let r = readings.get(key);
  if (!r) readings.set(key, (r = { instance, job_id: jobId, agent_id: agentId, values: {} }));
  if (name === STATUS_METRIC) {
    const status = labels.status as RunStatus;
    if (value === 1 && (RUN_STATUSES as readonly string[]).includes(status)) r.status = status;
    return;
  }
  const gauge = GAUGE_BY_METRIC.get(name);
  if (gauge) r.values[gauge.field] = value;
}

/**
 * A fleet run from a reading. What /metrics does not carry (name, error text, event count, pid,
 * params) is absent: null or 0. An ended run's end is its last event (its terminal event).
 */
export function runFromReading(sourceId: string, r: JobReading, fallback: { status: RunStatus; startedAt: number; lastEventAt: number }): FleetRun {
  const v = r.values;
  const status = r.status ?? fallback.status;
  const startedAt = v.started_at ?? fallback.startedAt;
  const lastEventAt = v.last_event_at ?? fallback.lastEventAt;
  const ended = status !== 'running' && status !== 'stalled';
  const limit = v.budget_limit_usd ?? null;
  return {
    source_id: sourceId,
    instance: r.instance,
    job_id: r.job_id,
    agent_id: r.agent_id,
    name: null,
    status,
    implicit: false,
    imported: false,
    started_at: startedAt,
    ended_at: ended ? lastEventAt : null,
    last_event_at: lastEventAt,
    event_count: 0,
    current_iteration: v.current_iteration ?? null,
    total_iterations: v.total_iterations ?? null,
    budget_usage_usd: v.budget_usage_usd ?? null,
    budget_limit_usd: limit,
    // As the engine's own summary: null while there is no positive limit.
    budget_utilization_percent: limit !== null && limit > 0 ? (v.budget_utilization_percent ?? null) : null,
    loss: v.loss ?? null,
    mean_reward: v.mean_reward ?? null,
    error: null,
    cancel_reason: null,
    pid: null,
    tags: [],
    group: null,
  };
}

/** Instance, then start time (newest first), then job id: the order the fleet lists runs in. */
export function compareFleetRuns(a: FleetRun, b: FleetRun): number {
  return a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : b.started_at - a.started_at || (a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0);
}
