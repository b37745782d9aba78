import { useMemo } from 'react';
import type { ReactNode } from 'react';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail, RunSummary } from '../../../shared/run.ts';
import { ApiError } from '../api/apiError.ts';
import { useRunDetail } from '../api/useRunDetail.ts';
import { MetricChart } from '../components/MetricChart.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { BudgetMeter, ProgressMeter } from '../components/RunMeters.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useNow } from '../hooks/useNow.ts';
import { toChartData } from '../model/chartData.ts';
import { formatCount, formatDuration, formatMetric, formatPercent, formatRelative, formatTimestamp, formatUsd } from '../model/format.ts';
import { displayName } from '../model/overview.ts';
import { OVERVIEW_HREF } from '../model/route.ts';

interface Props {
  jobId: string;
  /** The live summary from the stream: fresher than the detail, and its identity is the refresh signal. */
  summary: RunSummary | undefined;
}

const BUDGET_GUIDES = [
  { y: 90, label: '90%', tone: 'warn' },
  { y: 100, label: 'limit', tone: 'over' },
] as const;

/** Container: loads the run's detail, keeps it fresh, renders each state, then the panels. */
export function RunPage({ jobId, summary }: Props) {
  const { detail, error } = useRunDetail(jobId, summary);
  const run = summary ?? detail;

  return (
    <div className="run-page">
      <nav className="crumbs">
        <a href={OVERVIEW_HREF}>← All runs</a>
      </nav>
      {run === null ? (
        <div className="panel notice" role={error ? 'alert' : 'status'}>
          {error === null ? 'Loading run…' : describeError(error, jobId)}
        </div>
      ) : (
        <>
          {error !== null && (
            <div className="banner" role="status">
              Could not refresh this run: {error.message}
            </div>
          )}
          <RunHeader run={run} />
          <PanelBoundary label="Run summary">
            <RunSummaryPanel run={run} />
          </PanelBoundary>
          {detail === null ? (
            <div className="panel notice" role="status">
              Loading charts…
            </div>
          ) : (
            <RunCharts detail={detail} />
          )}
          {detail?.params && (
            <PanelBoundary label="Parameters">
              <ParamsPanel params={detail.params} />
            </PanelBoundary>
          )}
        </>
      )}
    </div>
  );
}

function RunHeader({ run }: { run: RunSummary }) {
  const name = displayName(run);
  return (
    <div className="run-head">
      <h2>{name}</h2>
      <StatusBadge status={run.status} />
      <span className="run-ids">
        {name !== run.job_id && <code>{run.job_id}</code>} agent <code>{run.agent_id}</code>
        {run.pid !== null && (
          <>
            {' '}
            pid <code>{run.pid}</code>
          </>
        )}
      </span>
      {run.status === 'failed' && run.error !== null && <p className="callout callout-failed">{run.error}</p>}
      {run.status === 'cancelled' && run.cancel_reason !== null && <p className="callout">{run.cancel_reason}</p>}
    </div>
  );
}

function RunSummaryPanel({ run }: { run: RunSummary }) {
  const now = useNow();
  const elapsed = (run.ended_at ?? now) - run.started_at;
  return (
    <section className="panel stats" aria-label="Summary">
      <Stat label="Progress">
        <ProgressMeter run={run} />
      </Stat>
      <Stat label="Budget">
        <BudgetMeter run={run} />
        {run.budget_usage_usd !== null && (
          <span className="stat-sub">
            {formatUsd(run.budget_usage_usd)}
            {run.budget_limit_usd !== null && ` of ${formatUsd(run.budget_limit_usd)}`}
          </span>
        )}
      </Stat>
      <Stat label="Latest loss">{formatMetric(run.loss)}</Stat>
      <Stat label="Latest reward">{formatMetric(run.mean_reward)}</Stat>
      <Stat label="Started" title={formatTimestamp(run.started_at)}>
        {formatRelative(run.started_at, now)}
      </Stat>
      <Stat label={run.ended_at === null ? 'Running for' : 'Took'}>{formatDuration(elapsed)}</Stat>
      <Stat label="Last event" title={formatTimestamp(run.last_event_at)}>
        {formatRelative(run.last_event_at, now)}
      </Stat>
      <Stat label="Events">{formatCount(run.event_count)}</Stat>
    </section>
  );
}

function Stat({ label, title, children }: { label: string; title?: string; children: ReactNode }) {
  return (
    <div className="stat" title={title}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{children}</span>
    </div>
  );
}

function RunCharts({ detail }: { detail: RunDetail }) {
  const loss = useMemo(() => toChartData(detail.series[SERIES.loss], detail.started_at), [detail]);
  const reward = useMemo(() => toChartData(detail.series[SERIES.meanReward], detail.started_at), [detail]);
  const budget = useMemo(() => toChartData(detail.series[SERIES.budgetUtilization], detail.started_at), [detail]);
  return (
    <div className="charts">
      <PanelBoundary label="Loss chart">
        <MetricChart title="Loss" data={loss} tone="loss" />
      </PanelBoundary>
      <PanelBoundary label="Mean reward chart">
        <MetricChart title="Mean reward" data={reward} tone="reward" />
      </PanelBoundary>
      <PanelBoundary label="Budget chart">
        <MetricChart title="Budget used" data={budget} tone="budget" formatValue={formatPercent} guides={BUDGET_GUIDES} />
      </PanelBoundary>
    </div>
  );
}

function ParamsPanel({ params }: { params: Record<string, unknown> }) {
  const entries = Object.entries(params);
  if (entries.length === 0) return null;
  return (
    <section className="panel params" aria-label="Parameters">
      <h3>Parameters</h3>
      <dl>
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function describeError(error: Error, jobId: string): string {
  if (error instanceof ApiError && error.code === 'no_such_run') {
    return `The engine has no run "${jobId}". It may have ended long ago and been removed, or the engine was restarted.`;
  }
  return error.message;
}
