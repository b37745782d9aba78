import { memo, useMemo, useRef } from 'react';
import { useInView } from '../hooks/useInView.ts';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import type { Phase } from '../../../shared/protocol/events.ts';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail, SeriesData } from '../../../shared/run.ts';
import { formatCount, formatDuration } from '../model/format.ts';
import { mergeLines, seriesXY } from '../model/lines.ts';
import { SLOWDOWN_RATIO, bucketLabels, histogramOf, quantilesOf, rollingQuantiles, slowdown } from '../model/quantiles.ts';
import type { ChartOptions } from '../../../shared/route.ts';
import { PanelBoundary } from './PanelBoundary.tsx';
import { SeriesChart } from './SeriesChart.tsx';

const PHASE_LABEL: Record<Phase, string> = {
  trajectory_generation: 'Trajectory generation',
  policy_update: 'Policy update',
  iteration: 'Iteration',
  checkpoint_save: 'Checkpoint save',
};

/** Points in the rolling p50/p95 window. */
export const ROLLING_WINDOW = 20;

/** Per phase: the distribution over the inherited buckets, and p50/p95 over time. Memoised like TrainingPanel. */
export const DurationsPanel = memo(function DurationsPanel({ detail, options }: { detail: RunDetail; options: ChartOptions }) {
  const phases = PHASES.filter((p) => (detail.series[SERIES.duration(p)]?.v.length ?? 0) > 0);
  return (
    <section className="run-section" aria-label="Durations">
      <h3>Durations</h3>
      {phases.length === 0 ? (
        <p className="panel notice">No phase durations reported yet. Send <code>duration</code> events (trajectory_generation, policy_update, iteration, checkpoint_save) to see them here.</p>
      ) : (
        <div className="phases">
          {phases.map((p) => (
            <PanelBoundary key={p} label={`${PHASE_LABEL[p]} durations`}>
              <PhaseDurations phase={p} series={detail.series[SERIES.duration(p)]!} origin={detail.started_at} options={options} />
            </PanelBoundary>
          ))}
        </div>
      )}
    </section>
  );
});

const DURATION_LINES = [
  { key: 'p50', label: 'p50', color: 'var(--chart-duration)' },
  { key: 'p95', label: 'p95', color: 'var(--chart-p95)', dashed: true },
];
const NO_NOTES: string[] = [];

/** Memoised: a phase whose series did not change (model/reuse.ts) does not render again. */
const PhaseDurations = memo(function PhaseDurations({ phase, series: latest, origin, options }: { phase: Phase; series: SeriesData; origin: number; options: ChartOptions }) {
  const bounds = PHASE_METRIC[phase].buckets!;
  // Off screen, the panel (its bar chart and header) keeps the series it last showed, as
  // SeriesChart does: live updates cost nothing below the fold.
  const panel = useRef<HTMLDivElement>(null);
  const visible = useInView(panel);
  const shownSeries = useRef(latest);
  if (visible) shownSeries.current = latest;
  const series = shownSeries.current;
  const shaped = useMemo(() => {
    const h = histogramOf(series.v, bounds);
    const labels = bucketLabels(bounds);
    const bars = h.counts.map((count, i) => ({ bucket: labels[i]!, count }));
    const xy = seriesXY(series, options.x, origin);
    const [p50 = [], p95 = []] = rollingQuantiles(xy.y, ROLLING_WINDOW, [0.5, 0.95]);
    const merged = mergeLines([{ key: 'p50', x: xy.x, y: p50 }, { key: 'p95', x: xy.x, y: p95 }], options.log);
    // Exact quantiles of the observations, not the bucket interpolation: all iterations at 7 s
    // are a p50 of 7 s, where the (5, 10] bucket would say 7.5 s.
    const [p50All = Number.NaN, p95All = Number.NaN] = quantilesOf(series.v, [0.5, 0.95]);
    return { bars, p50: p50All, p95: p95All, mode: xy.mode, merged, slow: slowdown(series.v, ROLLING_WINDOW), count: h.count };
  }, [series, bounds, options, origin]);
  const slowing = shaped.slow !== null && shaped.slow.ratio >= SLOWDOWN_RATIO;
  const sampled = series.points > series.v.length;
  return (
    <div className="panel phase" data-testid={`phase-${phase}`} ref={panel}>
      <div className="phase-head">
        <h4>{PHASE_LABEL[phase]}</h4>
        <span className="muted">
          {formatCount(shaped.count)} observation{shaped.count === 1 ? '' : 's'} · <span data-testid={`p50-${phase}`}>p50 {formatDuration(shaped.p50)}</span> · <span data-testid={`p95-${phase}`}>p95 {formatDuration(shaped.p95)}</span>
        </span>
        {slowing && (
          <span className="slow-tag" role="status" data-testid={`slowdown-${phase}`}>
            ⚠ slowing down: median ×{shaped.slow!.ratio.toFixed(1)} since the start
          </span>
        )}
      </div>
      <div className="phase-body">
        <figure className="chart chart-histogram" data-testid={`histogram-${phase}`}>
          <figcaption className="chart-head">
            <span className="chart-title">Distribution (inherited buckets, s)</span>
          </figcaption>
          <BarChart responsive style={{ width: '100%', height: 160 }} data={shaped.bars} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid vertical={false} strokeDasharray="3 3" />
            <XAxis dataKey="bucket" tickLine={false} fontSize={10} interval={0} />
            <YAxis allowDecimals={false} tickLine={false} width={36} fontSize={11} />
            <Tooltip isAnimationActive={false} formatter={(v) => [String(v), 'observations']} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }} />
            <Bar dataKey="count" fill="var(--chart-duration)" isAnimationActive={false} />
          </BarChart>
        </figure>
        <SeriesChart
          key={shaped.mode}
          id={`duration-${phase}`}
          title={`p50 / p95 over the last ${ROLLING_WINDOW}`}
          unit="s"
          rows={shaped.merged.rows}
          xMode={shaped.mode}
          log={options.log}
          formatValue={formatDuration}
          height={160}
          legend
          lines={DURATION_LINES}
          notes={sampled ? [`Downsampled: ${series.v.length} of ${series.points} points shown; quantiles are over those.`] : NO_NOTES}
        />
      </div>
    </div>
  );
});
