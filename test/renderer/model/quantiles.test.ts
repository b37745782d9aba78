import { describe, expect, it } from 'vitest';
import { bucketQuantile } from '../../../shared/math/histogram.ts';
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { bucketLabels, histogramOf, quantileSorted, quantilesOf, rollingQuantiles, slowdown } from '../../../renderer/src/model/quantiles.ts';

describe('quantileSorted: linear interpolation between closest ranks', () => {
  it.each([
    ['the median of an odd count', [1, 2, 3], 0.5, 2],
    ['the median of an even count', [1, 2, 3, 4], 0.5, 2.5],
    ['p95 of 1..20', Array.from({ length: 20 }, (_, i) => i + 1), 0.95, 19.05],
    ['p0 is the minimum', [4, 8], 0, 4],
    ['p100 is the maximum', [4, 8], 1, 8],
    ['one value is every quantile', [7], 0.95, 7],
  ])('%s', (_name, sorted, q, want) => {
    expect(quantileSorted(sorted, q)).toBeCloseTo(want, 12);
  });

  it.each([
    ['empty', [], 0.5],
    ['q above 1', [1], 1.5],
    ['q NaN', [1], Number.NaN],
  ])('is NaN for %s', (_name, sorted, q) => {
    expect(quantileSorted(sorted, q)).toBeNaN();
  });
});

describe('rollingQuantiles: p50/p95 over the last N observations', () => {
  it.each([
    ['window 2 over a ramp', [1, 2, 3, 4], 2, [0.5], [[1, 1.5, 2.5, 3.5]]],
    ['window 3, p50 and p95', [5, 1, 3, 10], 3, [0.5, 0.95], [[5, 3, 3, 3], [5, 4.8, 4.8, 9.3]]],
    ['a NaN is skipped inside its windows', [2, Number.NaN, 4], 2, [0.5], [[2, 2, 4]]],
    ['window 1 is the series itself', [3, 1], 1, [0.5], [[3, 1]]],
  ])('%s', (_name, values, window, qs, want) => {
    const got = rollingQuantiles(values, window, qs);
    expect(got).toHaveLength(want.length);
    got.forEach((line, k) => line.forEach((v, i) => expect(v).toBeCloseTo(want[k]![i]!, 12)));
  });

  it('shows a phase that slows down: the rolling p95 of the last window is the new pace', () => {
    const values = [...Array.from({ length: 20 }, () => 1), ...Array.from({ length: 20 }, () => 4)];
    const [p50, p95] = rollingQuantiles(values, 10, [0.5, 0.95]);
    expect(p50![9]).toBe(1);
    expect(p50![39]).toBe(4);
    expect(p95![39]).toBe(4);
  });
});

describe('histogramOf: observations over the inherited buckets', () => {
  const bounds = PHASE_METRIC.policy_update.buckets!; // 0.1, 0.5, 1, 2, 5, 10, 30
  it.each([
    ['le is inclusive, big values overflow', [0.1, 0.2, 1, 31, 100], [1, 1, 1, 0, 0, 0, 0, 2], 5],
    ['NaN and negative values are not observations', [Number.NaN, -1, 3], [0, 0, 0, 0, 1, 0, 0, 0], 1],
  ])('%s', (_name, values, counts, count) => {
    const h = histogramOf(values, bounds);
    expect(h.counts).toEqual(counts);
    expect(h.count).toBe(count);
  });

  it('feeds bucketQuantile as the exporter does: p50 of 1, 1, 3 interpolates inside (0.5, 1]', () => {
    const h = histogramOf([1, 1, 3], bounds);
    // rank 1.5 falls in (0.5, 1] holding 2: 0.5 + 0.5 * (1.5 / 2)
    expect(bucketQuantile(0.5, bounds, h)).toBeCloseTo(0.875, 12);
  });

  it('labels each bucket with its bound and unit, plus the overflow', () => {
    expect(bucketLabels([1, 5, 10])).toEqual(['≤ 1 s', '≤ 5 s', '≤ 10 s', '> 10 s']);
  });
});

describe('slowdown: recent median over early median', () => {
  it.each([
    ['steady', [2, 2, 2, 2, 2, 2], 20, { ratio: 1, window: 3 }],
    ['doubled', [1, 1, 1, 2, 2, 2], 20, { ratio: 2, window: 3 }],
    ['window 2 of 8 points', [1, 3, 9, 9, 9, 9, 4, 6], 2, { ratio: 2.5, window: 2 }],
    ['NaN ignored', [1, Number.NaN, 1, 3, 3], 20, { ratio: 3, window: 2 }],
  ])('%s', (_name, values, window, want) => {
    expect(slowdown(values, window)).toEqual(want);
  });

  it.each([
    ['too few points', [1, 2, 3]],
    ['an early median of 0', [0, 0, 0, 5, 5, 5]],
  ])('is null for %s', (_name, values) => {
    expect(slowdown(values)).toBeNull();
  });
});

describe('quantilesOf: the p50 and p95 the phase header shows, exact over the observations', () => {
  it.each<[string, number[], number[]]>([
    // Every iteration took 7 s: the (5, 10] bucket would interpolate a p50 of 7.5 s.
    ['all equal', [7, 7, 7, 7], [7, 7]],
    // 10 x 10 s then 10 x 30 s: the bucket interpolation says p95 = 28 s; the observations say 30 s.
    ['a slowdown', [...Array<number>(10).fill(10), ...Array<number>(10).fill(30)], [20, 30]],
    ['NaN is left out', [1, Number.NaN, 3], [2, 2.9]],
    ['none', [], [Number.NaN, Number.NaN]],
  ])('%s', (_name, values, want) => {
    const got = quantilesOf(values, [0.5, 0.95]);
    got.forEach((g, i) => (Number.isNaN(want[i]!) ? expect(g).toBeNaN() : expect(g).toBeCloseTo(want[i]!, 9)));
  });
});
