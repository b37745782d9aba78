/**
 * Turns the API's columnar series into what a multi-line recharts chart plots: one row per x
 * with a column per line. Pure, no React; table-driven tests in test/renderer/model/lines.test.ts.
 */
import { LOSS_LIKE_SCALARS, SERIES } from '../../../shared/run.ts';
import type { SeriesData } from '../../../shared/run.ts';
import type { XMode } from '../../../shared/route.ts';

export interface XY {
  x: number[];
  y: number[];
  /** The axis actually used: `step` falls back to `relative` when some point has no step. */
  mode: XMode;
}

/**
 * Plots against the step only when every point has one (mixing steps and seconds on one axis
 * would be meaningless), else against seconds since `origin` (`relative`) or Unix seconds (`wall`).
 */
export function seriesXY(series: SeriesData | undefined, mode: XMode, origin: number): XY {
  if (!series) return { x: [], y: [], mode: mode === 'step' ? 'step' : mode };
  const steps = series.step;
  const byStep = mode === 'step' && steps !== undefined && steps.length === series.t.length && steps.every((s) => s !== null && Number.isFinite(s));
  const effective: XMode = mode === 'step' && !byStep ? 'relative' : mode;
  const x = series.t.map((t, i) => (effective === 'step' ? steps![i]! : effective === 'relative' ? t - origin : t));
  return { x, y: [...series.v], mode: effective };
}

export type Row = { x: number } & Record<string, number | null>;

export interface LineInput {
  key: string;
  x: readonly number[];
  y: readonly number[];
  /** false for a line derived from another (a smoothed copy): its gaps are the same points, counted once. */
  counted?: boolean;
}

export interface Merged {
  rows: Row[];
  /** NaN or infinite values, left as gaps. */
  nonFinite: number;
  /** Values <= 0 left out because the y axis is logarithmic. */
  nonPositive: number;
}

/**
 * One row per distinct x, ascending (steps can repeat or go back in a resumed run; recharts
 * draws a number axis in row order). Where two points of one line share an x, the later wins.
 * Lines without a point at some x get no key there, so `connectNulls` bridges them while real
 * gaps (null) stay gaps.
 */
export function mergeLines(lines: readonly LineInput[], log = false): Merged {
  const byX = new Map<number, Row>();
  let nonFinite = 0;
  let nonPositive = 0;
  for (const line of lines) {
    const n = Math.min(line.x.length, line.y.length);
    for (let i = 0; i < n; i++) {
      const x = line.x[i]!;
      if (!Number.isFinite(x)) continue;
      let y: number | null = line.y[i]!;
      if (!Number.isFinite(y)) {
        if (line.counted !== false) nonFinite++;
        y = null;
      } else if (log && y <= 0) {
        if (line.counted !== false) nonPositive++;
        y = null;
      }
      let row = byX.get(x);
      if (!row) byX.set(x, (row = { x } as Row));
      row[line.key] = y;
    }
  }
  return { rows: [...byX.values()].sort((a, b) => a.x - b.x), nonFinite, nonPositive };
}

/**
 * Colours for compared runs, by position in the selection, so a run keeps its colour in every
 * chart of the page (Tableau 10: distinguishable, and readable on light and dark panels).
 */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

export function lineColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/** Scalar series names (`scalar/<name>` keys), sorted. */
export function scalarNames(series: Readonly<Record<string, SeriesData>>): string[] {
  return Object.keys(series)
    .filter((k) => k.startsWith('scalar/'))
    .map((k) => k.slice('scalar/'.length))
    .sort();
}

/** What the Loss chart plots (a series key), its title, and the scalar it stands for (left out of the scalar charts). */
export interface LossChart {
  key: string;
  title: string;
  covers: string | null;
}

/**
 * The Loss chart of a run: its training loss, or else its one loss-like scalar (LOSS_LIKE_SCALARS:
 * an imported TensorBoard run's `train/loss`, Lightning's `train_loss`). A loss-like scalar that
 * holds exactly the training loss's numbers (the wandb layer sends both) is not charted twice.
 */
export function lossChart(series: Readonly<Record<string, SeriesData>>): LossChart {
  const lossLike = LOSS_LIKE_SCALARS.filter((name) => series[SERIES.scalar(name)] !== undefined);
  const loss = series[SERIES.loss];
  if (loss) {
    const same = lossLike.find((name) => sameValues(series[SERIES.scalar(name)]!.v, loss.v));
    return { key: SERIES.loss, title: 'Loss', covers: same ?? null };
  }
  if (lossLike.length === 1) return { key: SERIES.scalar(lossLike[0]!), title: `Loss (${lossLike[0]})`, covers: lossLike[0]! };
  return { key: SERIES.loss, title: 'Loss', covers: null };
}

/** Equal point for point; a non-finite value equals the same non-finite value (NaN too). */
function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && String(a[i]) !== String(b[i])) return false;
  return true;
}

/** The last finite value of a series, or its last value when none is finite; null when empty. */
export function lastValue(values: readonly number[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i]!)) return values[i]!;
  return values.length > 0 ? values[values.length - 1]! : null;
}
