import type { RunStatus, RunSummary } from '../../../shared/run.ts';
import { MISSING, formatCount, formatPercent, formatUsd } from '../model/format.ts';
import { budgetLevel, budgetPercent, progressFraction } from '../model/overview.ts';
import { Bar } from './Bar.tsx';
import type { BarTone } from './Bar.tsx';

/** A run that stopped short should not look like one still making progress. */
const PROGRESS_TONE: Record<RunStatus, BarTone> = { running: 'neutral', stalled: 'neutral', completed: 'done', failed: 'muted', cancelled: 'muted' };

type ProgressFields = Pick<RunSummary, 'current_iteration' | 'total_iterations' | 'status'>;

/** "iteration / total" with a bar; just the iteration when the total is unknown. */
export function ProgressMeter({ run }: { run: ProgressFields }) {
  const fraction = progressFraction(run);
  const text =
    run.total_iterations !== null
      ? `${formatCount(run.current_iteration ?? 0)} / ${formatCount(run.total_iterations)}`
      : run.current_iteration !== null
        ? formatCount(run.current_iteration)
        : MISSING;
  return (
    <span className="meter">
      {fraction !== null && <Bar fraction={fraction} tone={PROGRESS_TONE[run.status]} />}
      <span className="meter-text progress-text">{text}</span>
    </span>
  );
}

type BudgetFields = Pick<RunSummary, 'budget_usage_usd' | 'budget_limit_usd' | 'budget_utilization_percent'>;

/**
 * Budget used as a percentage of the limit, with a bar that turns amber from 90% and red over
 * 100%. Over budget is also said in words, so it never rests on colour alone.
 */
export function BudgetMeter({ run }: { run: BudgetFields }) {
  const percent = budgetPercent(run);
  if (percent === null) {
    // Usage without a limit: the spend is still worth showing.
    return <span className="meter-text budget-text">{run.budget_usage_usd === null ? MISSING : formatUsd(run.budget_usage_usd)}</span>;
  }
  const level = budgetLevel(percent);
  const title = `${formatUsd(run.budget_usage_usd)} of ${formatUsd(run.budget_limit_usd)}${level === 'over' ? ' (over budget)' : ''}`;
  return (
    <span className={`meter budget-${level}`} title={title}>
      <Bar fraction={percent / 100} tone={level} />
      <span className="meter-text budget-text">{formatPercent(percent)}</span>
      {level === 'over' && <span className="over-tag">over</span>}
    </span>
  );
}
