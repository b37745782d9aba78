import { useMemo } from 'react';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail } from '../../../shared/run.ts';
import { useRunDetails } from '../api/useRunDetails.ts';
import { ChartControls } from '../components/ChartControls.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { SeriesChart } from '../components/SeriesChart.tsx';
import type { LineSpec } from '../components/SeriesChart.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { navigate } from '../hooks/useHashRoute.ts';
import { formatDuration, formatMetric } from '../model/format.ts';
import { lineColor, mergeLines, seriesXY } from '../model/lines.ts';
import type { LineInput } from '../model/lines.ts';
import { displayName } from '../model/overview.ts';
import { OVERVIEW_HREF, runHref } from '../../../shared/route.ts';
import type { ChartOptions } from '../../../shared/route.ts';
import type { RunIndex } from '../model/runIndex.ts';
import { emaSmooth } from '../model/smoothing.ts';

/** Keeps the total near DETAIL_POINTS' default however many runs are compared (item 6: ~1-2k points). */
const TOTAL_POINTS = 2_000;

interface Metric {
  id: string;
  title: string;
  key: string;
  smooth: boolean;
  format: (v: number) => string;
  unit?: string;
}

const METRICS: readonly Metric[] = [
  { id: 'compare-loss', title: 'Loss', key: SERIES.loss, smooth: true, format: formatMetric },
  { id: 'compare-reward', title: 'Mean reward', key: SERIES.meanReward, smooth: true, format: formatMetric },
  { id: 'compare-iteration', title: 'Iteration duration', key: SERIES.duration('iteration'), smooth: true, format: (v) => formatDuration(v), unit: 's' },
  { id: 'compare-policy', title: 'Policy update duration', key: SERIES.duration('policy_update'), smooth: true, format: (v) => formatDuration(v), unit: 's' },
];

/** Container: several runs overlaid, one colour per run in every chart (by position in the selection). */
export function ComparePage({ jobIds, chart, runs }: { jobIds: readonly string[]; chart: ChartOptions; runs: RunIndex }) {
  const points = Math.max(100, Math.floor(TOTAL_POINTS / Math.max(1, jobIds.length)));
  const { details, errors, loading } = useRunDetails(jobIds, points);
  const setChart = (c: ChartOptions, opts?: { replace?: boolean }) => navigate({ page: 'compare', jobIds: [...jobIds], chart: c }, opts);
  const backHref = `${OVERVIEW_HREF}?${new URLSearchParams(jobIds.map((id) => ['sel', id])).toString()}`;

  if (jobIds.length === 0) {
    return (
      <div className="panel notice">
        Nothing to compare. Tick two or more runs in the <a href={OVERVIEW_HREF}>runs table</a>, then press Compare.
      </div>
    );
  }
  return (
    <div className="run-page">
      <nav className="crumbs">
        <a href={backHref}>← All runs</a>
      </nav>
      <h2>Compare {jobIds.length} runs</h2>
      <ul className="legend" data-testid="compare-legend">
        {jobIds.map((id, i) => {
          const run = runs.get(id) ?? details.get(id);
          return (
            <li key={id}>
              <span className="swatch" style={{ background: lineColor(i) }} aria-hidden="true" />
              <a href={runHref(id)}>{run ? displayName(run) : id}</a>
              {run && <StatusBadge status={run.status} />}
              {errors.has(id) && <span className="action-error">{errors.get(id)}</span>}
              <button
                type="button"
                className="link-button"
                aria-label={`Remove ${id} from the comparison`}
                onClick={() => navigate({ page: 'compare', jobIds: jobIds.filter((x) => x !== id), chart })}
              >
                remove
              </button>
            </li>
          );
        })}
      </ul>
      <ChartControls options={chart} onChange={setChart} />
      {loading && details.size === 0 ? (
        <div className="panel notice" role="status">
          Loading runs…
        </div>
      ) : (
        <div className="charts">
          {METRICS.map((m) => (
            <PanelBoundary key={m.id} label={`${m.title} comparison`}>
              <CompareChart metric={m} jobIds={jobIds} details={details} chart={chart} />
            </PanelBoundary>
          ))}
        </div>
      )}
    </div>
  );
}

function CompareChart({ metric, jobIds, details, chart }: { metric: Metric; jobIds: readonly string[]; details: ReadonlyMap<string, RunDetail>; chart: ChartOptions }) {
  const shaped = useMemo(() => {
    const inputs: LineInput[] = [];
    const lines: LineSpec[] = [];
    const present = jobIds.flatMap((id, i) => {
      const d = details.get(id);
      const series = d?.series[metric.key];
      return d && series ? [{ d, series, i }] : [];
    });
    // One axis for all: if any run lacks steps, every run is plotted against time since its start.
    const mode = present.every(({ series, d }) => seriesXY(series, chart.x, d.started_at).mode === chart.x) ? chart.x : 'relative';
    present.forEach(({ d, series, i }) => {
      const xy = seriesXY(series, mode, d.started_at);
      const key = `r${i}`;
      inputs.push({ key, x: xy.x, y: metric.smooth && chart.smooth > 0 ? emaSmooth(xy.y, chart.smooth) : xy.y });
      lines.push({ key, label: displayName(d), color: lineColor(i) });
    });
    return { merged: mergeLines(inputs, chart.log), lines, mode };
  }, [metric, jobIds, details, chart]);
  return (
    <SeriesChart
      key={shaped.mode}
      id={metric.id}
      title={metric.title}
      unit={metric.unit}
      rows={shaped.merged.rows}
      lines={shaped.lines}
      xMode={shaped.mode}
      log={chart.log}
      formatValue={metric.format}
      legend
      connectGaps
    />
  );
}
