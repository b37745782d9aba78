import { memo, useMemo } from 'react';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail, SeriesData } from '../../../shared/run.ts';
import { formatMetric } from '../model/format.ts';
import { lastValue, lossChart, mergeLines, scalarNames, seriesXY } from '../model/lines.ts';
import type { LineInput } from '../model/lines.ts';
import type { ChartOptions } from '../../../shared/route.ts';
import { emaSmooth } from '../model/smoothing.ts';
import { PanelBoundary } from './PanelBoundary.tsx';
import { SeriesChart } from './SeriesChart.tsx';
import { syncIdFor } from './SystemPanel.tsx';

/**
 * Loss, mean reward and every free-form scalar, each raw (faint) and EMA-smoothed. The Loss
 * chart falls back to a run's one loss-like scalar (model/lines.ts lossChart). Memoised: the
 * run view re-renders on every live summary (up to 10 a second for a busy run) and every clock
 * tick, but these charts change only with a new detail or new chart options.
 */
export const TrainingPanel = memo(function TrainingPanel({ detail, options }: { detail: RunDetail; options: ChartOptions }) {
  const loss = useMemo(() => lossChart(detail.series), [detail.series]);
  const names = useMemo(() => scalarNames(detail.series).filter((n) => n !== loss.covers), [detail.series, loss.covers]);
  return (
    <section className="run-section" aria-label="Training">
      <h3>Training</h3>
      <div className="charts">
        <PanelBoundary label="Loss chart">
          <SmoothedChart id="loss" title={loss.title} series={detail.series[loss.key]} origin={detail.started_at} options={options} color="var(--chart-loss)" />
        </PanelBoundary>
        <PanelBoundary label="Mean reward chart">
          <SmoothedChart id="reward" title="Mean reward" series={detail.series[SERIES.meanReward]} origin={detail.started_at} options={options} color="var(--chart-reward)" />
        </PanelBoundary>
        {names.map((name) => (
          <PanelBoundary key={name} label={`Scalar ${name} chart`}>
            <SmoothedChart id={`scalar-${name}`} title={name} series={detail.series[SERIES.scalar(name)]} origin={detail.started_at} options={options} color="var(--chart-scalar)" />
          </PanelBoundary>
        ))}
      </div>
    </section>
  );
});

interface SmoothedProps {
  id: string;
  title: string;
  series: SeriesData | undefined;
  origin: number;
  options: ChartOptions;
  color: string;
}

/** Memoised: a series that did not change (model/reuse.ts keeps its object) does not render again. */
export const SmoothedChart = memo(function SmoothedChart({ id, title, series, origin, options, color }: SmoothedProps) {
  const shaped = useMemo(() => {
    const xy = seriesXY(series, options.x, origin);
    const lines: LineInput[] = [{ key: 'raw', x: xy.x, y: xy.y }];
    if (options.smooth > 0) lines.push({ key: 'smooth', x: xy.x, y: emaSmooth(xy.y, options.smooth), counted: false });
    return { mode: xy.mode, merged: mergeLines(lines, options.log), last: lastValue(xy.y) };
  }, [series, options, origin]);
  const smoothing = options.smooth > 0;
  const lines = useMemo(
    () => (smoothing ? [{ key: 'raw', label: `${title} (raw)`, color, faint: true }, { key: 'smooth', label: `${title} (smoothed ${options.smooth})`, color }] : [{ key: 'raw', label: title, color }]),
    [smoothing, title, color, options.smooth],
  );
  const notes = useMemo(() => notesFor(shaped, options.x), [shaped, options.x]);
  return (
    <SeriesChart
      key={shaped.mode}
      id={id}
      title={title}
      rows={shaped.merged.rows}
      xMode={shaped.mode}
      log={options.log}
      syncId={syncIdFor(shaped.mode)}
      latest={shaped.last === null ? '' : formatMetric(series?.v[series.v.length - 1] ?? shaped.last)}
      lines={lines}
      notes={notes}
    />
  );
});

function notesFor(shaped: { mode: string; merged: { rows: readonly unknown[]; nonFinite: number; nonPositive: number } }, x: string): string[] {
  const notes: string[] = [];
  if (shaped.merged.nonFinite > 0) notes.push(`${shaped.merged.nonFinite} non-finite value${shaped.merged.nonFinite === 1 ? '' : 's'} (NaN or ±Inf) not plotted; gaps mark them.`);
  if (shaped.merged.nonPositive > 0) notes.push(`${shaped.merged.nonPositive} value${shaped.merged.nonPositive === 1 ? '' : 's'} ≤ 0 left out of the log scale.`);
  if (x === 'step' && shaped.mode !== 'step' && shaped.merged.rows.length > 0) notes.push('Some points carry no step: plotted against time since start.');
  return notes;
}
