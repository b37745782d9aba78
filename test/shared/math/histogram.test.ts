import { describe, expect, it } from 'vitest';
import { bucketQuantile, cumulative, emptyHistogram, observe } from '../../../shared/math/histogram.ts';

const BOUNDS = [0.1, 0.5, 1, 2, 5, 10, 30];
function hist(values: number[]) {
  const h = emptyHistogram(BOUNDS);
  for (const v of values) observe(h, BOUNDS, v);
  return h;
}

describe('observe', () => {
  it('puts a value on a bound into that bound (le is inclusive) and overflow past the last', () => {
    const h = hist([0.1, 0.11, 30, 31, 0]);
    expect(h.counts).toEqual([2, 1, 0, 0, 0, 0, 1, 1]);
    expect(cumulative(h)).toEqual([2, 3, 3, 3, 3, 3, 4, 5]);
    expect([h.count, h.sumMicros]).toEqual([5, 61_210_000]);
  });
});

describe('bucketQuantile (PromQL histogram_quantile semantics)', () => {
  it.each([
    // 10 observations in (1,2]: the median interpolates half way through that bucket.
    ['median inside one bucket', Array(10).fill(1.5), 0.5, 1.5],
    ['p95 inside one bucket', Array(10).fill(1.5), 0.95, 1.95],
    // 5 in (0,0.1], 5 in (0.5,1]: rank 5 is the top of the first bucket.
    ['rank at a bucket edge', [...Array(5).fill(0.05), ...Array(5).fill(0.7)], 0.5, 0.1],
    ['first bucket starts at 0', [0.05, 0.05], 0.5, 0.05],
    ['rank in +Inf returns the highest finite bound', [100, 200], 0.5, 30],
    ['empty', [], 0.5, NaN],
  ])('%s', (_name, values, q, expected) => {
    const got = bucketQuantile(q, BOUNDS, hist(values));
    if (Number.isNaN(expected)) expect(got).toBeNaN();
    else expect(got).toBeCloseTo(expected, 12);
  });

  it('answers NaN for q outside [0, 1]', () => {
    expect(bucketQuantile(1.5, BOUNDS, hist([1]))).toBeNaN();
  });
});
