/** Turns the API's columnar series into the row objects recharts plots. Pure, no React. */
import type { SeriesData } from '../../../shared/run.ts';

export interface ChartRow {
  x: number;
  /** null leaves a gap: recharts cannot place NaN or an infinity on an axis. */
  y: number | null;
}

/** `elapsed`: seconds since the run started, which reads better than clock times on an axis. */
export type XKind = 'step' | 'elapsed';

export interface ChartData {
  rows: ChartRow[];
  xKind: XKind;
  /** Points whose value was NaN or infinite, shown as a note instead of a line. */
  nonFinite: number;
  /** The newest value as sent (may be NaN), or null for an empty series. */
  last: number | null;
}

export const EMPTY_CHART: ChartData = { rows: [], xKind: 'elapsed', nonFinite: 0, last: null };

/**
 * Plots against the step when every point has one (a run's iterations are the natural axis),
 * else against seconds since `origin` (the run's start; the first point when not given):
 * mixing steps and times on one axis would be meaningless.
 */
export function toChartData(series: SeriesData | undefined, origin?: number): ChartData {
  if (!series || series.t.length === 0) return EMPTY_CHART;
  const steps = series.step;
  const byStep = steps !== undefined && steps.length === series.t.length && steps.every((s) => s !== null && Number.isFinite(s));
  const t0 = origin ?? series.t[0]!;
  const rows: ChartRow[] = [];
  let nonFinite = 0;
  for (let i = 0; i < series.t.length; i++) {
    const v = series.v[i] ?? Number.NaN;
    const finite = Number.isFinite(v);
    if (!finite) nonFinite++;
    const x = byStep ? (steps?.[i] ?? 0) : (series.t[i] ?? t0) - t0;
    rows.push({ x, y: finite ? v : null });
  }
  // Steps can repeat or go back (a resumed run); recharts draws a number axis in row order.
  if (byStep) rows.sort((a, b) => a.x - b.x);
  return { rows, xKind: byStep ? 'step' : 'elapsed', nonFinite, last: series.v[series.v.length - 1] ?? null };
}
