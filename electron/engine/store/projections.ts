/**
 * The API's views of a run (shared/run.ts RunSummary and RunDetail) and the fields a summary and
 * a checkpoint share: plain data read from a run, nothing derived kept anywhere else.
 */
import type { RunDetail, RunSummary, SeriesData } from '../../../shared/run.ts';
import type { Run } from './run.ts';

/** The fields a run summary and a checkpoint share: the run's own state, nothing derived. */
export type StoredFields = Omit<RunSummary, 'status' | 'imported' | 'budget_utilization_percent'>;

export function storedFields(run: Run): StoredFields {
  return {
    job_id: run.jobId,
    agent_id: run.agentId,
    name: run.name,
    implicit: run.implicit,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    last_event_at: run.lastEventAt,
    event_count: run.eventCount,
    current_iteration: run.currentIteration,
    total_iterations: run.totalIterations,
    budget_usage_usd: run.budgetUsage,
    budget_limit_usd: run.budgetLimit,
    loss: run.loss,
    mean_reward: run.meanReward,
    error: run.error,
    cancel_reason: run.cancelReason,
    pid: run.pid,
    tags: [...run.tags],
    group: run.group,
    alert: run.alert,
  };
}

/** A run as the overview lists it, its status as of `now`. */
export function runSummary(run: Run, now: number, stallAfterSeconds: number): RunSummary {
  return {
    ...storedFields(run),
    status: run.status(now, stallAfterSeconds),
    imported: run.imported,
    budget_utilization_percent: run.budgetLimit !== null && run.budgetLimit > 0 ? run.budgetUtilization() : null,
  };
}

/** A run with its params and its series (each at most `maxPoints` points). */
export function runDetail(run: Run, now: number, stallAfterSeconds: number, maxPoints: number): RunDetail {
  const series: Record<string, SeriesData> = {};
  for (const [key, s] of run.series) series[key] = s.toData(maxPoints);
  return { ...runSummary(run, now, stallAfterSeconds), params: run.params, series };
}
