import { useMemo } from 'react';
import type { ReactNode } from 'react';
import type { EngineInfo } from '../../../shared/api.ts';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail, RunSummary } from '../../../shared/run.ts';
import { ApiError } from '../api/apiError.ts';
import { useRunActions } from '../api/useRunActions.ts';
import { useRunDetail } from '../api/useRunDetail.ts';
import { AlertPanel } from '../components/AlertPanel.tsx';
import { BudgetPanel } from '../components/BudgetPanel.tsx';
import { ChartControls } from '../components/ChartControls.tsx';
import { DurationsPanel } from '../components/DurationsPanel.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { ProgressPanel } from '../components/ProgressPanel.tsx';
import { RunActionsBar } from '../components/RunActionsBar.tsx';
import { BudgetMeter } from '../components/RunMeters.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { StatusHistoryPanel } from '../components/StatusHistoryPanel.tsx';
import { SystemPanel } from '../components/SystemPanel.tsx';
import { RunTimeDomain } from '../components/runTimeAxis.ts';
import { timeDomain } from '../model/sync.ts';
import { TrainingPanel } from '../components/TrainingPanel.tsx';
import { navigate } from '../hooks/useHashRoute.ts';
import { useNow } from '../hooks/useNow.ts';
import { budgetForecast } from '../model/budget.ts';
import { formatCount, formatDuration, formatMetric, formatRelative, formatTimestamp, formatUsd } from '../model/format.ts';
import { displayName } from '../model/overview.ts';
import { runElapsed, runProgress } from '../model/progress.ts';
import { DEFAULT_OVERVIEW, OVERVIEW_HREF } from '../../../shared/route.ts';
import type { ChartOptions } from '../../../shared/route.ts';

interface Props {
  jobId: string;
  /** The live summary from the stream: fresher than the detail, and its identity is the refresh signal. */
  summary: RunSummary | undefined;
  chart: ChartOptions;
  info: EngineInfo | null;
}

/** Used when the engine's info has not arrived yet; the engine's own default. */
const DEFAULT_STALL_SECONDS = 60;

/** Container: loads the run's detail, keeps it fresh, renders each state, then the panels. */
export function RunPage({ jobId, summary, chart, info }: Props) {
  const { detail, error } = useRunDetail(jobId, summary);
  const run = summary ?? detail;
  const actions = useRunActions(jobId);
  const series = detail?.series;
  const startedAt = detail?.started_at;
  const range = useMemo(() => (series !== undefined && startedAt !== undefined ? timeDomain(series, chart.x, startedAt) : undefined), [series, chart.x, startedAt]);
  // The same array while the range's ends stay: every time-synced chart reads it from context.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const timeAxis = useMemo(() => range, [range?.[0], range?.[1]]);
  // Once deleted there is nothing left to show here: back to the table (no Back into a deleted run).
  const onDelete = () => void actions.remove().then((ok) => ok && navigate({ page: 'overview', ...DEFAULT_OVERVIEW }, { replace: true }));

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
          <AlertPanel alert={run.alert} />
          <RunActionsBar
            run={run}
            state={actions.state}
            onExport={(f) => void actions.exportAs(f)}
            onCancel={() => void actions.cancel()}
            onDelete={onDelete}
          />
          <PanelBoundary label="Run summary">
            <RunSummaryPanel run={run} />
          </PanelBoundary>
          {detail === null ? (
            <div className="panel notice" role="status">
              Loading charts…
            </div>
          ) : (
            <RunTimeDomain.Provider value={timeAxis}>
              <RunPanels run={run} detail={detail} chart={chart} stallAfterSeconds={info?.stall_after_seconds ?? DEFAULT_STALL_SECONDS} />
            </RunTimeDomain.Provider>
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
  const elapsed = runElapsed(run, now);
  return (
    <section className="panel stats" aria-label="Summary">
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
      <Stat label={run.ended_at === null && !run.imported ? 'Running for' : 'Took'}>{formatDuration(elapsed)}</Stat>
      <Stat label="Last event" title={formatTimestamp(run.last_event_at)}>
        {formatRelative(run.last_event_at, now)}
      </Stat>
      <Stat label="Events">{formatCount(run.event_count)}</Stat>
      <Stat label="Iteration">{formatCount(run.current_iteration)}</Stat>
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

/** Everything drawn from the detail's series; the live summary supplies the latest numbers. */
function RunPanels({ run, detail, chart, stallAfterSeconds }: { run: RunSummary; detail: RunDetail; chart: ChartOptions; stallAfterSeconds: number }) {
  const now = useNow(5_000);
  const iterationSeconds = detail.series[SERIES.duration('iteration')]?.v;
  const progress = useMemo(() => runProgress(run, iterationSeconds ?? [], now), [run, iterationSeconds, now]);
  const usage = detail.series[SERIES.budgetUsage];
  const forecast = useMemo(
    () =>
      budgetForecast({
        usage: run.budget_usage_usd,
        limit: run.budget_limit_usd,
        t: usage?.t ?? [],
        v: usage?.v ?? [],
        currentIteration: run.current_iteration,
        totalIterations: run.total_iterations,
        ended: run.status !== 'running' && run.status !== 'stalled',
        eta: progress.eta,
        secondsPerIteration: progress.secondsPerIteration,
      }),
    [run, usage, progress],
  );
  const setChart = (c: ChartOptions, opts?: { replace?: boolean }) => navigate({ page: 'run', jobId: run.job_id, chart: c }, opts);
  return (
    <>
      <div className="run-top">
        <PanelBoundary label="Progress">
          <ProgressPanel run={run} progress={progress} />
        </PanelBoundary>
        <PanelBoundary label="Status history">
          <StatusHistoryPanel run={run} stallAfterSeconds={stallAfterSeconds} />
        </PanelBoundary>
      </div>
      <ChartControls options={chart} onChange={setChart} />
      <PanelBoundary label="Training">
        <TrainingPanel detail={detail} options={chart} />
      </PanelBoundary>
      <PanelBoundary label="System">
        <SystemPanel detail={detail} options={chart} />
      </PanelBoundary>
      <PanelBoundary label="Budget">
        <BudgetPanel run={run} detail={detail} forecast={forecast} options={chart} />
      </PanelBoundary>
      <PanelBoundary label="Durations">
        <DurationsPanel detail={detail} options={chart} />
      </PanelBoundary>
    </>
  );
}

/** Characters past which a parameter's value takes a row of its own. */
const LONG_PARAM = 40;

function ParamsPanel({ params }: { params: Record<string, unknown> }) {
  const entries = Object.entries(params);
  if (entries.length === 0) return null;
  return (
    <section className="panel params" aria-label="Parameters">
      <h3>Parameters</h3>
      <dl>
        {entries.map(([k, v]) => {
          const text = typeof v === 'string' ? v : JSON.stringify(v);
          // A long value (a TensorBoard text summary, a nested config) gets a full row and wraps,
          // instead of an ellipsis that hides the rest; short ones keep the compact grid.
          const long = text.length > LONG_PARAM || text.includes('\n');
          return (
            <div key={k} className={long ? 'param-long' : undefined} data-testid="param">
              <dt>{k}</dt>
              <dd title={long ? undefined : text}>{text}</dd>
            </div>
          );
        })}
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
