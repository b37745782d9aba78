/**
 * Duration statistics for the run view: exact quantiles over a rolling window of raw
 * observations (p50/p95 over time), the distribution over the inherited histogram buckets, and
 * a "this phase is slowing down" verdict.
 */
import { emptyHistogram, observe } from '../../../shared/math/histogram.ts';
import type { HistogramData } from '../../../shared/math/histogram.ts';

/**
 * The q-quantile of ascending `sorted` values with linear interpolation between closest ranks
 * (Hyndman & Fan type 7, what numpy and most spreadsheets use). NaN when empty.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

/**
 * For every point i, the quantiles `qs` of the finite values among the last `window` points
 * up to and including i. A window counted in points (not seconds) keeps the curve equally
 * smooth whether a phase takes 50 ms or 5 minutes.
 */
export function rollingQuantiles(values: readonly number[], window: number, qs: readonly number[]): number[][] {
  const w = Math.max(1, Math.floor(window));
  const out = qs.map(() => new Array<number>(values.length));
  for (let i = 0; i < values.length; i++) {
    const slice = values.slice(Math.max(0, i - w + 1), i + 1).filter((v) => Number.isFinite(v));
    slice.sort((a, b) => a - b);
    qs.forEach((q, k) => {
      out[k]![i] = quantileSorted(slice, q);
    });
  }
  return out;
}

/** The quantiles `qs` of the finite values (type 7, as quantileSorted); NaN each when there are none. */
export function quantilesOf(values: readonly number[], qs: readonly number[]): number[] {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return qs.map((q) => quantileSorted(sorted, q));
}

/** The observations as a histogram over `bounds` (le inclusive, plus overflow), as the exporter buckets them. */
export function histogramOf(values: readonly number[], bounds: readonly number[]): HistogramData {
  const h = emptyHistogram(bounds);
  for (const v of values) if (Number.isFinite(v) && v >= 0) observe(h, bounds, v);
  return h;
}

/** Bucket captions: `≤ 1 s`, `≤ 5 s`, …, `> 300 s`. */
export function bucketLabels(bounds: readonly number[]): string[] {
  return [...bounds.map((b) => `≤ ${b} s`), `> ${bounds[bounds.length - 1] ?? 0} s`];
}

export interface Slowdown {
  /** Median of the newest window over the median of the oldest one. */
  ratio: number;
  /** Points per window. */
  window: number;
}

/** A phase whose recent median is this many times its early median is called out as slowing down. */
export const SLOWDOWN_RATIO = 1.5;

/**
 * Compares the median of the first and the last `window` observations (at most half the
 * series each, so they never overlap). null with fewer than 4 finite observations or an early
 * median of 0.
 */
export function slowdown(values: readonly number[], window = 20): Slowdown | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 4) return null;
  const w = Math.min(Math.max(1, Math.floor(window)), Math.floor(finite.length / 2));
  const median = (xs: number[]) => quantileSorted(xs.sort((a, b) => a - b), 0.5);
  const early = median(finite.slice(0, w));
  const late = median(finite.slice(-w));
  if (!(early > 0)) return null;
  return { ratio: late / early, window: w };
}
