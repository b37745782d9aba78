/**
 * Fixed-bucket histograms as Prometheus keeps them: a count per bucket (non-cumulative here,
 * with one overflow slot past the last bound), a sum and a count. The run store keeps one per
 * run and phase; the exporter, agent totals and snapshots are all sums of these.
 */
export interface HistogramData {
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; counts[bounds.length] = above the last bound. */
  counts: number[];
  /**
   * The sum in whole microseconds. Integers add up exactly in any order (to 2^53 us, 285 years),
   * so a sum over runs never changes when runs are added or removed in another order; float sums
   * would, and `_sum` would step backwards, which Prometheus reads as a counter reset.
   */
  sumMicros: number;
  count: number;
}

export function sumSeconds(h: HistogramData): number {
  return h.sumMicros / 1e6;
}

export function emptyHistogram(bounds: readonly number[]): HistogramData {
  return { counts: new Array<number>(bounds.length + 1).fill(0), sumMicros: 0, count: 0 };
}

/** The slot of `counts` a value falls in: the first bound >= value (`le` is inclusive), or the overflow. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  return i;
}

/** Adds one observation; `le` is inclusive, as in Prometheus. */
export function observe(h: HistogramData, bounds: readonly number[], value: number): void {
  h.counts[bucketIndex(bounds, value)]!++;
  h.sumMicros += Math.round(value * 1e6);
  h.count++;
}

/** into += from (same bounds). */
export function addHistogram(into: HistogramData, from: HistogramData): void {
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i] ?? 0;
  into.sumMicros += from.sumMicros;
  into.count += from.count;
}

/** Cumulative counts per bound, then +Inf: what the `_bucket` series show. */
export function cumulative(h: HistogramData): number[] {
  const out: number[] = [];
  let acc = 0;
  for (const c of h.counts) out.push((acc += c));
  return out;
}

/**
 * The q-quantile estimated from buckets exactly as PromQL's histogram_quantile() does: linear
 * interpolation inside the bucket that holds the rank, the lower bound of the first bucket
 * taken as 0, and the highest finite bound returned when the rank falls in the +Inf bucket.
 * NaN for an empty histogram or q outside [0, 1].
 */
export function bucketQuantile(q: number, bounds: readonly number[], h: HistogramData): number {
  if (!(q >= 0 && q <= 1) || h.count === 0 || bounds.length === 0) return Number.NaN;
  const cum = cumulative(h);
  const rank = q * h.count;
  let i = 0;
  while (i < bounds.length && cum[i]! < rank) i++;
  if (i === bounds.length) return bounds[bounds.length - 1]!;
  const upper = bounds[i]!;
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : cum[i - 1]!;
  const inBucket = cum[i]! - below;
  if (inBucket === 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}
