/** Budget forecast for the run view: spend rate, projected spend, and when the limit is hit. Pure. */
import { burnRatePerHour, projectedSpend } from '../../../shared/math/rates.ts';
import { formatCount, formatDuration, formatUsd, formatUsdRate } from './format.ts';

export type BudgetVerdict =
  /** Spend already exceeds the limit. */
  | 'over'
  /** Under the limit now, but the projection at completion exceeds it. */
  | 'will_overrun'
  | 'within'
  /** No limit, or too little data to project. */
  | 'unknown';

/**
 * How the projection was made, named in the UI's tooltip:
 * - `per_iteration`: spend per iteration so far x total iterations (whenever iterations are known);
 * - `wall_clock`: burn rate per hour x time left (runs without an iteration count);
 * - `final`: the run has ended, its spend is final.
 */
export type ProjectionMethod = 'per_iteration' | 'wall_clock' | 'final';

export interface BudgetForecast {
  usage: number | null;
  limit: number | null;
  /** usage / limit * 100, null without a positive limit. */
  percent: number | null;
  /** Spend per iteration so far (usage / iterations done); null unless iterations are known. */
  perIteration: number | null;
  /**
   * Spend per wall-clock hour (least-squares slope of the budget series); only for runs without
   * progress: the clock of a replayed, imported or bursty run says nothing about its cost.
   */
  burnPerHour: number | null;
  projected: number | null;
  projectedPercent: number | null;
  /** The iteration during which spend reaches the limit, when the projection says it will; null otherwise. */
  limitIteration: number | null;
  verdict: BudgetVerdict;
  method: ProjectionMethod | null;
  /** The time left the wall-clock projection used (the input's). */
  eta: number | null;
}

export interface BudgetInputs {
  usage: number | null;
  limit: number | null;
  /** The budget/usage_usd series: times (Unix s) and values. */
  t: readonly number[];
  v: readonly number[];
  currentIteration: number | null;
  totalIterations: number | null;
  /** The run has ended (completed, failed, cancelled): its spend is final. */
  ended: boolean;
  /** Seconds left (runProgress().eta); 0 when done. */
  eta: number | null;
  secondsPerIteration: number | null;
}

/**
 * With iterations known (some done, a total), the projection is what a person computes: spend
 * per iteration so far times the total ($24 at iteration 120 of 200 -> $40), whatever the
 * clock says. Without them, the wall-clock burn rate (least-squares, so one late bill does not
 * swing it) times the ETA. The limit iteration uses the same rate as the projection, so
 * "hits the limit at iteration N" and "projected over the limit" always agree.
 */
export function budgetForecast(input: BudgetInputs): BudgetForecast {
  const { usage, limit, currentIteration: current, totalIterations: total } = input;
  const hasLimit = limit !== null && limit > 0;
  const percent = hasLimit && usage !== null ? (usage / limit) * 100 : null;
  const iterationsKnown = usage !== null && current !== null && current > 0 && total !== null && total > 0;
  const perIteration = iterationsKnown ? usage / current : null;
  const burnPerHour = iterationsKnown ? null : burnRatePerHour(input.t, input.v);
  let projected: number | null = null;
  let method: ProjectionMethod | null = null;
  if (usage !== null && (input.ended || input.eta === 0)) {
    projected = usage;
    method = 'final';
  } else if (perIteration !== null) {
    projected = current! >= total! ? usage : perIteration * total!;
    method = 'per_iteration';
  } else {
    projected = projectedSpend(usage, burnPerHour, input.eta);
    if (projected !== null) method = 'wall_clock';
  }
  const projectedPercent = hasLimit && projected !== null ? (projected / limit) * 100 : null;
  let verdict: BudgetVerdict = 'unknown';
  if (hasLimit && usage !== null && usage > limit) verdict = 'over';
  else if (hasLimit && projected !== null) verdict = projected > limit ? 'will_overrun' : 'within';
  let limitIteration: number | null = null;
  if (verdict === 'will_overrun' && usage !== null) {
    if (method === 'per_iteration' && perIteration! > 0) {
      // The first whole iteration whose cumulative spend reaches the limit (a hair of float slack).
      limitIteration = Math.ceil(limit! / perIteration! - 1e-9);
    } else if (method === 'wall_clock' && burnPerHour !== null && burnPerHour > 0 && input.secondsPerIteration !== null && current !== null) {
      const perIt = (burnPerHour * input.secondsPerIteration) / 3600;
      if (perIt > 0) limitIteration = current + Math.ceil((limit! - usage) / perIt);
    }
  }
  return { usage, limit, percent, perIteration, burnPerHour, projected, projectedPercent, limitIteration, verdict, method, eta: input.eta };
}

/** The projection's method in words, for the tooltip on "At completion" (and the page's tests). */
export function describeProjection(f: BudgetForecast, run: { current_iteration: number | null; total_iterations: number | null }): string {
  switch (f.method) {
    case 'final':
      return 'The run has ended: this is its final spend.';
    case 'per_iteration':
      return `Spend per iteration so far (${formatUsdRate(f.perIteration!)} = ${formatUsd(f.usage)} / ${formatCount(run.current_iteration)} iterations) × ${formatCount(run.total_iterations)} total iterations.`;
    case 'wall_clock':
      return `Wall-clock burn rate (${formatUsdRate(f.burnPerHour!)}/hour, the trend of spend over time) × time left (${formatDuration(f.eta)}); used because the run reports no iterations done.`;
    case null:
      return f.burnPerHour === null ? 'Not enough spend data to project.' : 'No projection: the run reports no iteration count and no time left.';
  }
}
