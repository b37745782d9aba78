import { useMemo, useState } from 'react';
import { SERIES } from '../../../shared/run.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { FleetRunDetail } from '../../../shared/fleet.ts';
import { useFleetRun } from '../api/useFleet.ts';
import { saveFile } from '../api/useRunActions.ts';
import type { SourcesApi } from '../api/sourcesApi.ts';
import { BudgetPanel } from '../components/BudgetPanel.tsx';
import { ChartControls } from '../components/ChartControls.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { BudgetMeter, ProgressMeter } from '../components/RunMeters.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { TrainingPanel } from '../components/TrainingPanel.tsx';
import { useNow } from '../hooks/useNow.ts';
import { budgetForecast } from '../model/budget.ts';
import { formatDuration, formatMetric, formatRelative, formatTimestamp } from '../model/format.ts';
import type { ChartOptions } from '../../../shared/route.ts';
import { FLEET_HREF } from '../model/fleetRoute.ts';

const FORMAT_LABEL = { json: 'JSON snapshot', csv: 'CSV', prom: 'Prometheus text' } as const;

/**
 * A run on another machine, read-only: its latest values and charts from what its source
 * queried (Prometheus' query_range, or the points a /metrics source kept), refreshed every 5 s.
 * The chart options live in this view's state, so a refresh never resets them.
 */
export function FleetRunPage({ api, source, instance, jobId }: { api: SourcesApi; source: string; instance: string; jobId: string }) {
  const { detail, error } = useFleetRun(api, source, instance, jobId);
  const [chart, setChart] = useState<ChartOptions>({ x: 'wall', smooth: 0, log: false });
  const [exporting, setExporting] = useState<SnapshotFormat | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const exportAs = async (format: SnapshotFormat) => {
    setExporting(format);
    setExportError(null);
    try {
      saveFile(await api.snapshot(source, instance, jobId, format));
    } catch (err) {
      setExportError(err instanceof Error ? err.message : String(err));
    } finally {
      setExporting(null);
    }
  };
  return (
    <div className="run-page" data-testid="fleet-run-page">
      <nav className="crumbs">
        <a href={FLEET_HREF}>← Fleet</a>
      </nav>
      {detail === null ? (
        <div className="panel notice" role={error ? 'alert' : 'status'}>
          {error ?? 'Loading run…'}
        </div>
      ) : (
        <>
          {error !== null && (
            <div className="banner" role="status">
              Could not refresh this run: {error}
            </div>
          )}
          <div className="run-head">
            <h2>{detail.job_id}</h2>
            <StatusBadge status={detail.status} />
            <span className="run-ids">
              agent <code>{detail.agent_id}</code> on <code>{detail.instance}</code> via source <code>{detail.source_id}</code>
            </span>
            <p className="callout" data-testid="read-only-note">
              Read-only: this run lives on {detail.instance}. Cancel or delete it there.
            </p>
          </div>
          <div className="run-actions" role="group" aria-label="Run actions">
            <span className="muted">Export</span>
            {SNAPSHOT_FORMATS.map((f) => {
              const href = api.snapshotHref(source, instance, jobId, f);
              return href !== null ? (
                <a key={f} className="link-button" href={href} download data-testid={`export-${f}`}>
                  {FORMAT_LABEL[f]}
                </a>
              ) : (
                // The desktop window has no engine URL to link to: the file comes over IPC.
                <button key={f} type="button" className="link-button" disabled={exporting !== null} onClick={() => void exportAs(f)} data-testid={`export-${f}`}>
                  {FORMAT_LABEL[f]}
                </button>
              );
            })}
            {exportError !== null && (
              <span className="action-error" role="alert" data-testid="export-error">
                {exportError}
              </span>
            )}
          </div>
          <Summary detail={detail} />
          <ChartControls options={chart} onChange={(c) => setChart(c)} />
          <Charts detail={detail} chart={chart} />
        </>
      )}
    </div>
  );
}

function Summary({ detail }: { detail: FleetRunDetail }) {
  const now = useNow();
  return (
    <section className="panel stats" aria-label="Summary">
      <div className="stat">
        <span className="stat-label">Progress</span>
        <span className="stat-value">
          <ProgressMeter run={detail} />
        </span>
      </div>
      <div className="stat">
        <span className="stat-label">Budget</span>
        <span className="stat-value">
          <BudgetMeter run={detail} />
        </span>
      </div>
      <div className="stat">
        <span className="stat-label">Latest loss</span>
        <span className="stat-value" data-testid="remote-loss">
          {formatMetric(detail.loss)}
        </span>
      </div>
      <div className="stat">
        <span className="stat-label">Latest reward</span>
        <span className="stat-value">{formatMetric(detail.mean_reward)}</span>
      </div>
      <div className="stat" title={formatTimestamp(detail.started_at)}>
        <span className="stat-label">Started</span>
        <span className="stat-value">{formatRelative(detail.started_at, now)}</span>
      </div>
      <div className="stat">
        <span className="stat-label">{detail.ended_at === null ? 'Running for' : 'Took'}</span>
        <span className="stat-value">{formatDuration((detail.ended_at ?? now) - detail.started_at)}</span>
      </div>
      <div className="stat" title={formatTimestamp(detail.last_event_at)}>
        <span className="stat-label">Last event</span>
        <span className="stat-value">{formatRelative(detail.last_event_at, now)}</span>
      </div>
    </section>
  );
}

function Charts({ detail, chart }: { detail: FleetRunDetail; chart: ChartOptions }) {
  const usage = detail.series[SERIES.budgetUsage];
  const forecast = useMemo(
    () =>
      budgetForecast({
        usage: detail.budget_usage_usd,
        limit: detail.budget_limit_usd,
        t: usage?.t ?? [],
        v: usage?.v ?? [],
        currentIteration: detail.current_iteration,
        totalIterations: detail.total_iterations,
        ended: detail.status !== 'running' && detail.status !== 'stalled',
        eta: null,
        secondsPerIteration: null,
      }),
    [detail, usage],
  );
  return (
    <>
      <PanelBoundary label="Training">
        <TrainingPanel detail={detail} options={chart} />
      </PanelBoundary>
      <PanelBoundary label="Budget">
        <BudgetPanel run={detail} detail={detail} forecast={forecast} options={chart} />
      </PanelBoundary>
    </>
  );
}
