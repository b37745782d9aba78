import { useMemo } from 'react';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail, RunSummary } from '../../../shared/run.ts';
import { describeProjection } from '../model/budget.ts';
import type { BudgetForecast } from '../model/budget.ts';
import { formatCount, formatPercent, formatUsd, formatUsdRate } from '../model/format.ts';
import { mergeLines, seriesXY } from '../model/lines.ts';
import type { ChartOptions } from '../../../shared/route.ts';
import { Gauge } from './Gauge.tsx';
import { SeriesChart } from './SeriesChart.tsx';
import type { Guide } from './SeriesChart.tsx';

interface Props {
  run: RunSummary;
  detail: RunDetail;
  forecast: BudgetForecast;
  options: ChartOptions;
}

const BUDGET_LINES = [{ key: 'usage', label: 'Spend', color: 'var(--chart-budget)' }];
const NO_GUIDES: Guide[] = [];

/** Usage against the limit over time, a utilization gauge, burn rate and the projection, in words. */
export function BudgetPanel({ run, detail, forecast, options }: Props) {
  const usage = detail.series[SERIES.budgetUsage];
  const shaped = useMemo(() => {
    const xy = seriesXY(usage, options.x, detail.started_at);
    return { mode: xy.mode, merged: mergeLines([{ key: 'usage', x: xy.x, y: xy.y }], options.log) };
  }, [usage, detail.started_at, options]);
  const limit = run.budget_limit_usd;
  // Stable props: the chart (memoised) renders again only when its series or the limit changes.
  const guides = useMemo(() => (limit !== null && limit > 0 ? [{ y: limit, label: `limit ${formatUsd(limit)}`, tone: 'over' as const }] : NO_GUIDES), [limit]);
  if (run.budget_usage_usd === null && run.budget_limit_usd === null) {
    return (
      <section className="run-section" aria-label="Budget">
        <h3>Budget</h3>
        <p className="panel notice">This run reports no budget. Send <code>budget</code> events (usage_usd, limit_usd) to track spend.</p>
      </section>
    );
  }
  const f = forecast;
  return (
    <section className="run-section" aria-label="Budget">
      <h3>Budget</h3>
      <div className="budget-grid">
        <div className="panel budget-facts">
          <Gauge percent={f.percent} label="Budget utilization" />
          <dl className="facts">
            <dt>Spent</dt>
            <dd data-testid="budget-spent">{formatUsd(f.usage)}{f.limit !== null && ` of ${formatUsd(f.limit)}`}</dd>
            <dt>Burn rate</dt>
            <dd data-testid="burn-rate">{burnText(f)}</dd>
            <dt>At completion</dt>
            <dd data-testid="projected" data-method={f.method ?? 'none'} title={describeProjection(f, run)}>
              {f.projected === null ? 'unknown' : `${formatUsd(f.projected)}${f.projectedPercent !== null ? ` (${formatPercent(f.projectedPercent)} of the limit)` : ''}`}
            </dd>
          </dl>
          <BudgetVerdictLine forecast={f} />
        </div>
        <SeriesChart
          key={shaped.mode}
          id="budget"
          title="Spend vs limit"
          unit="USD"
          rows={shaped.merged.rows}
          xMode={shaped.mode}
          log={options.log}
          formatValue={formatUsd}
          latest={formatUsd(f.usage)}
          lines={BUDGET_LINES}
          guides={guides}
        />
      </div>
    </section>
  );
}

/** Per iteration whenever iterations are known; per wall-clock hour only for runs without them (model/budget.ts). */
function burnText(f: BudgetForecast): string {
  if (f.perIteration !== null) return `${formatUsdRate(f.perIteration)}/iteration`;
  if (f.burnPerHour !== null) return `${formatUsdRate(f.burnPerHour)}/hour`;
  return 'not enough data';
}

/** The projection said plainly; overruns as an alert with the words, not just a red number. */
function BudgetVerdictLine({ forecast: f }: { forecast: BudgetForecast }) {
  switch (f.verdict) {
    case 'over':
      return (
        <p className="verdict verdict-over" role="alert" data-testid="budget-verdict">
          <strong>Over budget:</strong> spent {formatUsd(f.usage)}, {formatPercent(f.percent)} of the {formatUsd(f.limit)} limit
          {f.projected !== null && f.projected > (f.usage ?? 0) ? `; heading for ${formatUsd(f.projected)} at completion` : ''}.
        </p>
      );
    case 'will_overrun':
      return (
        <p className="verdict verdict-warn" role="alert" data-testid="budget-verdict">
          <strong>Will overrun:</strong> projected {formatUsd(f.projected)} at completion, {formatPercent(f.projectedPercent)} of the limit
          {f.limitIteration !== null ? `; the limit is reached around iteration ${formatCount(f.limitIteration)}` : ''}.
        </p>
      );
    case 'within':
      return (
        <p className="verdict verdict-ok" data-testid="budget-verdict">
          On track: projected {formatUsd(f.projected)} at completion, within the limit.
        </p>
      );
    case 'unknown':
      return (
        <p className="verdict" data-testid="budget-verdict">
          {f.limit === null ? 'No limit set, so no overrun to predict.' : 'Not enough data yet to project the spend.'}
        </p>
      );
  }
}
