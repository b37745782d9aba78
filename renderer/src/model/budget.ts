/** Budget forecast for the run view: burn rate, projected spend, and when the limit is hit. Pure. */
import { burnRatePerHour, projectedSpend } from '../../../shared/math/rates.ts';

export type BudgetVerdict =
  /** Spend already exceeds the limit. */
  | 'over'
  /** Under the limit now, but the projection at completion exceeds it. */
  | 'will_overrun'
  | 'within'
  /** No limit, or too little data to project. */
  | 'unknown';

export interface BudgetForecast {
  usage: number | null;
  limit: number | null;
  /** usage / limit * 100, null without a positive limit. */
  percent: number | null;
  burnPerHour: number | null;
  projected: number | null;
  projectedPercent: number | null;
  /** The iteration during which spend reaches the limit, when the projection says it will; null otherwise. */
  limitIteration: number | null;
  verdict: BudgetVerdict;
}

export interface BudgetInputs {
  usage: number | null;
  limit: number | null;
  /** The budget/usage_usd series: times (Unix s) and values. */
  t: readonly number[];
  v: readonly number[];
  currentIteration: number | null;
  /** Seconds left (runProgress().eta); 0 when done. */
  eta: number | null;
  secondsPerIteration: number | null;
}

/**
 * Burn rate is the least-squares slope of usage over time (shared/math/rates.ts), so one late
 * bill does not swing the projection. The limit iteration uses the same rate and pace as the
 * projection, so "hits the limit at iteration N" and "projected over the limit" always agree.
 */
export function budgetForecast(input: BudgetInputs): BudgetForecast {
  const { usage, limit } = input;
  const hasLimit = limit !== null && limit > 0;
  const percent = hasLimit && usage !== null ? (usage / limit) * 100 : null;
  const burnPerHour = burnRatePerHour(input.t, input.v);
  const projected = projectedSpend(usage, burnPerHour, input.eta);
  const projectedPercent = hasLimit && projected !== null ? (projected / limit) * 100 : null;
  let verdict: BudgetVerdict = 'unknown';
  if (hasLimit && usage !== null && usage > limit) verdict = 'over';
  else if (hasLimit && projected !== null) verdict = projected > limit ? 'will_overrun' : 'within';
  let limitIteration: number | null = null;
  if (verdict === 'will_overrun' && usage !== null && burnPerHour !== null && burnPerHour > 0 && input.secondsPerIteration !== null && input.currentIteration !== null) {
    const perIteration = (burnPerHour * input.secondsPerIteration) / 3600;
    if (perIteration > 0) limitIteration = input.currentIteration + Math.ceil((limit! - usage) / perIteration);
  }
  return { usage, limit, percent, burnPerHour, projected, projectedPercent, limitIteration, verdict };
}
