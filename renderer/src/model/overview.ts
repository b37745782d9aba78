/** Pure shaping of run summaries for the overview: tile counts, spend, ordering, bar levels. */
import type { RunStatus, RunSummary } from '../../../shared/run.ts';

export interface OverviewTotals {
  /** Running and stalled: the runs that have not ended. */
  active: number;
  running: number;
  stalled: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
  /** Sum of every run's latest budget usage, in USD. */
  spendUsd: number;
}

export function overviewTotals(runs: Iterable<RunSummary>): OverviewTotals {
  const counts: Record<RunStatus, number> = { running: 0, stalled: 0, completed: 0, failed: 0, cancelled: 0 };
  let spendUsd = 0;
  let total = 0;
  for (const run of runs) {
    counts[run.status]++;
    total++;
    // A non-finite usage cannot come from ingest (it is validated), but one would poison the sum.
    if (run.budget_usage_usd !== null && Number.isFinite(run.budget_usage_usd)) spendUsd += run.budget_usage_usd;
  }
  return { ...counts, active: counts.running + counts.stalled, total, spendUsd };
}

/** Newest first; ties (runs created in the same instant) by job id, so rows never jump around. */
export function sortRuns(runs: Iterable<RunSummary>): RunSummary[] {
  return [...runs].sort((a, b) => b.started_at - a.started_at || (a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0));
}

export function displayName(run: Pick<RunSummary, 'name' | 'job_id'>): string {
  return run.name !== null && run.name.trim() !== '' ? run.name : run.job_id;
}

/** Fraction done in [0, 1], or null when the total is unknown. */
export function progressFraction(run: Pick<RunSummary, 'current_iteration' | 'total_iterations'>): number | null {
  const total = run.total_iterations;
  if (total === null || total <= 0) return null;
  return clamp01((run.current_iteration ?? 0) / total);
}

export type BudgetLevel = 'ok' | 'warn' | 'over';

/** Amber from 90% of the limit, red only when the limit is actually exceeded. */
export function budgetLevel(percent: number): BudgetLevel {
  if (percent > 100) return 'over';
  if (percent >= 90) return 'warn';
  return 'ok';
}

/**
 * The run's budget utilization when it has a limit to be measured against. The engine reports
 * 0% for usage without a positive limit (the inherited gauge's rule); the UI shows that as
 * unknown instead of a reassuring empty bar.
 */
export function budgetPercent(run: Pick<RunSummary, 'budget_utilization_percent' | 'budget_limit_usd'>): number | null {
  if (run.budget_limit_usd === null || run.budget_limit_usd <= 0) return null;
  return run.budget_utilization_percent;
}

export function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
